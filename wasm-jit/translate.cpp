// Page analysis, the module's shape and the Translator's common emission (translator.h).
//
// Layout of the function: its blocks in an order where only loops jump back (plan_layout:
// depth first, reverse postorder), and each loop of that order a region, a wasm loop of its
// own, nested in the regions around it. With the whole function as the outermost region:
//
//   loop $dispatch                       ;; the function's region
//     block $unit[k-1] ... block $unit[0] block $unknown
//       br_table (off >> 1) -> the unit holding the block at that halfword, else $unknown
//     end  ;; $unknown: leave with pc = vbase + off; return 1 if nothing ran
//     end  ;; $unit[0]: a block's code, or a region:
//       loop $loop                       ;; a region: its header first
//         block $unit[j-1] ... block $unit[1]
//           if (off != the header's offset)  br_table to the unit holding it, else round
//                                            the loop around this one
//         ;; $unit[0], the header's code
//         end  ;; $unit[1] ...
//       end
//     ...
//     end  ;; $unit[k-1]
//   end
//
// A jump forward is a `br` out to the start of its target's unit in the innermost region
// holding both (setting `off` when that unit is a region that dispatches); a jump back goes
// round the loop of the innermost region holding both, which is the target's own loop when
// it is a header: a loop in the guest is a loop in wasm, which the browser's optimizing
// compiler handles far better than going round one dispatch loop. An indirect jump sets
// `off` and goes round the innermost region's loop.
//
// In a page of more than TranslateRequest::max_blocks_per_function blocks, a region of at most
// that many that no such region holds is a loop nest with a function of its own (mark_nests):
// its unit in `run` is a call with `off`, then either a return (-1: it has left) or a `br` to
// the dispatch with the offset it returned. Inside, the nest is laid out as above with itself
// as the outermost region, and whatever goes outside it returns that offset to `run`.
#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <set>

#include "engine/base/page.h"
#include "engine/cpu/cpu_state.h"
#include "wasm-jit/translate.h"
#include "wasm-jit/translator.h"

namespace glassvm {

namespace jit {

using wasm::BlockType;
using wasm::ValType;
namespace op = wasm::op;

InsnKind insn_kind(Op o) {
  switch (o) {
    case Op::Beq:
    case Op::Bne:
    case Op::Blt:
    case Op::Bge:
    case Op::Bltu:
    case Op::Bgeu: return InsnKind::Branch;
    case Op::Jal: return InsnKind::Jal;
    case Op::Jalr: return InsnKind::Jalr;
    case Op::Illegal:
    case Op::Ecall:
    case Op::Ebreak:
    case Op::Mret:
    case Op::Sret:
    case Op::SfenceVma:
    case Op::Csrrw:
    case Op::Csrrs:
    case Op::Csrrc:
    case Op::Csrrwi:
    case Op::Csrrsi:
    case Op::Csrrci: return InsnKind::Exit;
    case Op::Wfi: return InsnKind::Interpret;
    default: return InsnKind::Straight;
  }
}

const wasm::FuncType& Translator::nest_type() {
  static const wasm::FuncType type{
      {ValType::I32, ValType::I64, ValType::I32, ValType::I64, ValType::I32}, {ValType::I32}};
  return type;
}

Translator::Translator(const std::vector<uint16_t>& block_offsets, uint32_t registers,
                       HelperImports& imports, int top_region)
    : top(top_region),
      code(top_region < 0 ? 1 : static_cast<uint32_t>(nest_type().params.size())),
      fn_regs_(registers),
      imports_(imports),
      offsets_(block_offsets) {
  if (top < 0) {
    vbase = code.add_local(ValType::I64);
    left = code.add_local(ValType::I64);
  } else {  // the parameters (s, vbase, off, left, tlb)
    vbase = 1;
    off = 2;
    left = 3;
    tlb = 4;
  }
  addr = code.add_local(ValType::I64);
  tmp = code.add_local(ValType::I64);
  if (top < 0) off = code.add_local(ValType::I32);
  host = code.add_local(ValType::I32);
  if (top < 0) tlb = code.add_local(ValType::I32);
}

uint32_t Translator::xl(unsigned r) {
  // Only the registers the function uses get a local: fewer locals compile faster.
  if (xl_[r] == 0) xl_[r] = code.add_local(ValType::I64);
  return xl_[r];
}

uint32_t Translator::x_offset(unsigned r) {
  return static_cast<uint32_t>(kCpuStateOffsetX + 8 * r);
}

void Translator::begin_block(uint32_t index, uint32_t len) {
  block_index = index;
  block_len = len;
  insn_index = 0;
  insn_off = offsets_[index];
  fs_on = false;
  // Every block starts with the function's registers in locals, all possibly newer than
  // the state (translator.h).
  loaded_ = dirty_ = fn_regs_;
}

void Translator::load_function_registers() {
  load_registers(fn_regs_);
}

void Translator::load_registers(uint32_t regs) {
  for (unsigned r = 1; r < 32; ++r) {
    if (!(regs & (1u << r))) continue;
    code.local_get(kS);
    code.mem(op::kI64Load, 3, x_offset(r));
    code.local_set(xl(r));
  }
}

void Translator::store_registers(uint32_t regs) {
  for (unsigned r = 1; r < 32; ++r) {
    if (!(regs & (1u << r))) continue;
    code.local_get(kS);
    code.local_get(xl(r));
    code.mem(op::kI64Store, 3, x_offset(r));
  }
}

void Translator::settle() {
  for (unsigned r = 1; r < 32; ++r) {
    const uint32_t bit = 1u << r;
    if (fn_regs_ & ~loaded_ & bit) {  // a function register a helper made stale: reload
      code.local_get(kS);
      code.mem(op::kI64Load, 3, x_offset(r));
      code.local_set(xl(r));
      loaded_ |= bit;
    } else if (dirty_ & ~fn_regs_ & bit) {  // a block-local register: store
      code.local_get(kS);
      code.local_get(xl(r));
      code.mem(op::kI64Store, 3, x_offset(r));
      dirty_ &= ~bit;
    }
  }
}

void Translator::get_x(unsigned r) {
  if (r == 0) {
    code.i64_const(0);
    return;
  }
  if (loaded_ & (1u << r)) {
    code.local_get(xl(r));
    return;
  }
  code.local_get(kS);
  code.mem(op::kI64Load, 3, x_offset(r));
  code.local_tee(xl(r));
  loaded_ |= 1u << r;
}

void Translator::set_x(unsigned r) {
  if (r == 0 || r >= 32) {
    code.op(op::kDrop);
    return;
  }
  code.local_set(xl(r));
  loaded_ |= 1u << r;
  dirty_ |= 1u << r;
}

void Translator::set_x_leaving(unsigned r) {
  code.local_tee(xl(r));
  code.local_set(tmp);
  code.local_get(kS);
  code.local_get(tmp);
  code.mem(op::kI64Store, 3, x_offset(r));
}

void Translator::store_dirty() {
  store_registers(dirty_);
}

void Translator::clean() {
  store_dirty();
  dirty_ = 0;
}

void Translator::forget() {
  assert(dirty_ == 0 && "forget() after clean()");
  loaded_ = 0;
}

void Translator::push_vaddr(int64_t page_offset) {
  code.local_get(vbase);
  if (page_offset != 0) {
    code.i64_const(page_offset);
    code.op(op::kI64Add);
  }
}

void Translator::store_pc_here() {
  code.local_get(kS);
  push_vaddr(insn_off);
  code.mem(op::kI64Store, 3, kCpuStateOffsetPc);
}

void Translator::push_budget(uint64_t extra) {
  code.local_get(left);
  if (extra != 0) {
    code.i64_const(static_cast<int64_t>(extra));
    code.op(op::kI64Add);
  }
}

void Translator::store_budget(uint64_t extra) {
  code.local_get(kS);
  push_budget(extra);
  code.mem(op::kI64Store, 3, kCpuStateOffsetBudget);
}

void Translator::call_helper(JitHelper h) {
  int32_t& f = imports_.func[static_cast<unsigned>(h)];
  if (f < 0) {
    f = static_cast<int32_t>(imports_.list.size());
    imports_.list.push_back(h);
  }
  code.call(static_cast<uint32_t>(f));
}

void Translator::leave_with_budget(uint64_t extra) {
  store_budget(extra);
  leave();
}

void Translator::leave() {
  if ((fn_regs_ & ~loaded_) == 0 && (dirty_ & ~fn_regs_) == 0) {
    // Every register the shared exit stores has a current local, and no other is dirty.
    code.br(exit_store);
    return;
  }
  store_dirty();
  code.br(exit_stored);
}

void Translator::leave_if_trapped() {
  assert(dirty_ == 0 && "registers must be clean around a helper");
  auto l = code.open_if();
  leave_with_budget(steps_after_here());
  code.end(l);
}

void Translator::leave_if_event() {
  code.local_get(kS);
  code.mem(op::kI32Load8U, 0, static_cast<uint32_t>(offsetof(CpuState, event_)));
  auto l = code.open_if();
  leave_after_here();
  code.end(l);
}

void Translator::leave_after_here() {
  code.local_get(kS);
  push_vaddr(insn_off + insn_len);
  code.mem(op::kI64Store, 3, kCpuStateOffsetPc);
  leave_with_budget(steps_after_here());
}

void Translator::leave_pc_set() {
  leave_with_budget(steps_after_here());
}

void Translator::leave_to_offset(int64_t target) {
  code.local_get(kS);
  push_vaddr(target);
  code.mem(op::kI64Store, 3, kCpuStateOffsetPc);
  leave_with_budget(0);
}

void Translator::leave_to_local(uint32_t addr_local) {
  code.local_get(kS);
  code.local_get(addr_local);
  code.mem(op::kI64Store, 3, kCpuStateOffsetPc);
  leave_with_budget(0);
}

void Translator::leave_unrun(int64_t target, uint64_t extra) {
  code.local_get(kS);
  if (target < 0) {
    code.local_get(vbase);
    code.local_get(off);
    code.op(op::kI64ExtendI32U);
    code.op(op::kI64Add);
  } else {
    push_vaddr(target);
  }
  code.mem(op::kI64Store, 3, kCpuStateOffsetPc);
  leave_with_budget(extra);
}

int Translator::block_at(int64_t o) const {
  if (o < 0 || o >= static_cast<int64_t>(kPageSize)) return -1;
  auto it = std::lower_bound(offsets_.begin(), offsets_.end(), static_cast<uint16_t>(o));
  if (it == offsets_.end() || *it != o) return -1;
  return static_cast<int>(it - offsets_.begin());
}

int Translator::child_holding(int r, uint32_t p) const {
  int child = -1;
  for (int d = region_of[p]; d != r; d = regions[d].parent) {
    if (d < 0) return -1;  // `r` does not hold place p
    child = d;
  }
  return child;
}

void Translator::return_to_run(int64_t target) {
  assert(top >= 0);
  store_dirty();
  store_budget(0);
  if (target < 0) {
    code.local_get(off);
  } else {
    code.i32_const(static_cast<int32_t>(target));
  }
  code.op(op::kReturn);
}

void Translator::go_to_offset(int64_t target) {
  const int found = block_at(target);
  if (found < 0) {
    leave_to_offset(target);
    return;
  }
  const uint32_t to = pos[static_cast<uint32_t>(found)], here = pos[block_index];
  if (top >= 0 && !holds(top, to)) {  // out of this loop nest's function
    return_to_run(target);
    return;
  }
  settle();
  // The innermost region holding both blocks (-1: the function).
  int r = region_of[here];
  while (r != top && !holds(r, to)) r = regions[r].parent;
  if (to <= here) {
    // Backward: round that region's loop, which dispatches on `off` unless it is the header.
    if (r < 0 || regions[r].dispatches) {
      code.i32_const(static_cast<int32_t>(target));
      code.local_set(off);
    }
    code.br(r < 0 ? dispatch : regions[r].loop);
    return;
  }
  // Forward: out to the start of the block's code (for the next block, that is just past the
  // end of this one; a plain fall-through would be wrong inside a taken branch's `if`), or
  // into the loop of the region inside that holds it.
  const int child = child_holding(r, to);
  if (child < 0) {
    code.br(starts[static_cast<uint32_t>(found)]);
    return;
  }
  if (regions[child].dispatches || regions[child].nest) {
    code.i32_const(static_cast<int32_t>(target));
    code.local_set(off);
  }
  code.br(regions[child].enter);
}

void Translator::go_to_local(uint32_t addr_local) {
  settle();
  // In the page: round the loop of the innermost region that dispatches, which passes an
  // offset it does not hold to the one around it (an unknown one leaves from $unknown).
  code.local_get(addr_local);
  code.local_get(vbase);
  code.op(op::kI64Sub);
  code.local_tee(tmp);
  code.i64_const(static_cast<int64_t>(kPageSize));
  code.op(op::kI64LtU);
  auto in_page = code.open_if();
  code.local_get(tmp);
  code.op(op::kI32WrapI64);
  code.local_set(off);
  int r = region_of[pos[block_index]];
  while (r != top && !regions[r].dispatches) r = regions[r].parent;
  if (r >= 0 && r == top && !regions[r].dispatches) {
    return_to_run(-1);
  } else {
    code.br(r < 0 ? dispatch : regions[r].loop);
  }
  code.end(in_page);
  leave_to_local(addr_local);
}

namespace {

/// Decodes the instruction at page offset `o`; false when it straddles the page end.
bool decode_at(const uint8_t* page, unsigned o, DecodedInsn& d) {
  uint16_t lo;
  std::memcpy(&lo, page + o, 2);
  if (insn_length(lo) == 2) {
    d = decode(lo);
    return true;
  }
  if (o + 4 > kPageSize) return false;
  uint32_t raw;
  std::memcpy(&raw, page + o, 4);
  d = decode(raw);
  return true;
}

/// A return: JALR through a link register (ra or t0) that links nothing.
bool is_return(const DecodedInsn& d) {
  return d.op == Op::Jalr && d.rd == 0 && (d.rs1 == 1 || d.rs1 == 5);
}

/// An indirect jump that is neither a call nor a return: most often a switch's jump table.
bool is_indirect_jump(const DecodedInsn& d) {
  return d.op == Op::Jalr && d.rd == 0 && !is_return(d);
}

/// Where the cases of a switch probably start, after its indirect jump (a `jr` through a
/// register other than a link register), at page offset `o`: compilers put the cases right
/// after it, each ending in a jump, so each instruction after an unconditional jump in the
/// next kSwitchSweepBytes bytes, up to a return or an instruction that cannot be decoded.
/// Translated with the rest, they spare the page a translation for each case as it is first
/// taken; a guess that is wrong only costs blocks that never run.
[[gnu::noinline]] std::vector<uint16_t> switch_cases(const uint8_t* page, unsigned o) {
  constexpr unsigned kSwitchSweepBytes = 512;
  std::vector<uint16_t> cases;
  bool after_jump = true;
  for (const unsigned end = std::min<unsigned>(kPageSize, o + kSwitchSweepBytes); o < end;) {
    DecodedInsn d;
    if (!decode_at(page, o, d) || d.op == Op::Illegal) break;
    if (after_jump) cases.push_back(static_cast<uint16_t>(o));
    if (is_return(d)) break;
    after_jump = (d.op == Op::Jal || d.op == Op::Jalr) && d.rd == 0;
    o += d.len;
  }
  return cases;
}

/// The block starts: the entries, and what they reach in the page (branch targets,
/// fall-throughs, return points after calls, the instruction after an exit), in the order
/// found: the entries first, then by distance from them.
[[gnu::noinline]] std::vector<uint16_t> find_blocks(const TranslateRequest& req) {
  std::set<uint16_t> starts;
  std::vector<uint16_t> order;
  std::deque<uint16_t> work;  // breadth first: what is near the entries comes first
  auto add = [&](int64_t o) {
    if (o < 0 || o >= static_cast<int64_t>(kPageSize) || (o & 1)) return;
    if (starts.size() >= req.max_blocks) return;
    if (starts.insert(static_cast<uint16_t>(o)).second) {
      work.push_back(static_cast<uint16_t>(o));
      order.push_back(static_cast<uint16_t>(o));
    }
  };
  for (uint16_t e : req.entries) add(e);
  while (!work.empty()) {
    unsigned o = work.front();
    work.pop_front();
    for (;;) {
      DecodedInsn d;
      if (!decode_at(req.host, o, d)) break;
      const InsnKind k = insn_kind(d.op);
      const int64_t next = o + d.len;
      if (k == InsnKind::Branch) {
        add(o + d.imm);
        add(next);
        break;
      }
      if (k == InsnKind::Jal || k == InsnKind::Jalr) {
        if (k == InsnKind::Jal) add(o + d.imm);
        if (d.rd != 0) add(next);  // where a call returns
        if (is_indirect_jump(d)) {
          for (uint16_t c : switch_cases(req.host, static_cast<unsigned>(next))) add(c);
        }
        break;
      }
      if (k == InsnKind::Exit) {
        // The hart goes on after a CSR access, an SFENCE or an ECALL the SBI answers; after a
        // trap or an xRET it is elsewhere (and zeroed memory is a run of illegal ones).
        if (d.op != Op::Illegal && d.op != Op::Ebreak && d.op != Op::Mret && d.op != Op::Sret) {
          add(next);
        }
        break;
      }
      if (k == InsnKind::Interpret || next >= static_cast<int64_t>(kPageSize)) break;
      if (starts.count(static_cast<uint16_t>(next))) break;
      o = static_cast<unsigned>(next);
    }
  }
  return order;
}

/// The instructions of the block at `o`: up to the next block start, a control transfer or
/// exit (included), an instruction left to the interpreter or the page end (excluded).
[[gnu::noinline]] std::vector<BlockInsn> block_insns(const uint8_t* page, uint16_t o,
                                                     const std::vector<uint16_t>& starts) {
  std::vector<BlockInsn> out;
  unsigned at = o;
  for (;;) {
    BlockInsn in;
    in.off = static_cast<uint16_t>(at);
    if (!decode_at(page, at, in.d)) break;
    const InsnKind k = insn_kind(in.d.op);
    if (k == InsnKind::Interpret) break;
    out.push_back(in);
    if (k != InsnKind::Straight) break;
    at += in.d.len;
    if (at >= kPageSize || std::binary_search(starts.begin(), starts.end(), at)) break;
  }
  return out;
}

void emit_insn(Translator& t, const BlockInsn& in, Flow& flow) {
  flow = Flow::Next;
  if (emit_alu(t, in)) return;
  if (emit_mem(t, in, flow)) return;
  if (emit_branch(t, in, flow)) return;
  if (emit_fp(t, in)) return;
  if (emit_system(t, in, flow)) return;
  assert(false && "an instruction no emitter handles");
}

}  // namespace

}  // namespace jit

namespace {

/// Where control can go from each block: its branch and jump targets and its end's next
/// block (`edges`, the transfers go_to_offset emits), and for the order only, where it
/// probably goes too (`hints`): a call's return point, and after an indirect jump that is not
/// a return (a switch's jump table) the blocks after it that nothing in the page reaches.
struct Successors {
  std::vector<std::vector<uint32_t>> edges, hints;
};

[[gnu::noinline]] Successors successors(const jit::Translator& t,
                                        const std::vector<std::vector<jit::BlockInsn>>& blocks) {
  using namespace jit;
  const auto n = static_cast<uint32_t>(blocks.size());
  Successors s;
  s.edges.resize(n);
  s.hints.resize(n);
  std::vector<bool> reached(n, false);
  auto add = [&](std::vector<uint32_t>& to, int64_t o) {
    const int b = t.block_at(o);
    if (b >= 0) to.push_back(static_cast<uint32_t>(b));
  };
  for (uint32_t i = 0; i < n; ++i) {
    for (const BlockInsn& in : blocks[i]) {
      if (insn_kind(in.d.op) == InsnKind::Branch) add(s.edges[i], in.off + in.d.imm);
    }
    const BlockInsn& end = blocks[i].back();
    const InsnKind k = insn_kind(end.d.op);
    const int64_t next = end.off + end.d.len;
    if (k == InsnKind::Jal) add(s.edges[i], end.off + end.d.imm);
    if (k != InsnKind::Jal && k != InsnKind::Jalr) add(s.edges[i], next);
    if ((k == InsnKind::Jal || k == InsnKind::Jalr) && end.d.rd != 0) add(s.hints[i], next);
    for (uint32_t j : s.edges[i]) reached[j] = true;
    for (uint32_t j : s.hints[i]) reached[j] = true;
  }
  int switch_block = -1;
  for (uint32_t i = 0; i < n; ++i) {
    if (!reached[i] && switch_block >= 0) s.hints[switch_block].push_back(i);
    if (is_indirect_jump(blocks[i].back().d)) switch_block = static_cast<int>(i);
  }
  return s;
}

/// The layout of the function's blocks (translator.h):
/// - the order: depth first from each block in page order that is not yet placed, each tree
///   in reverse postorder (a block before what it leads to, but for the edges back to a
///   block on the path to it), the trees one after the other;
/// - the regions: an edge back to a place makes it a header, and its region runs from it to
///   the last place with an edge back to it. A region that would overlap one before it without
///   nesting extends it and those around it instead.
[[gnu::noinline]] void plan_layout(jit::Translator& t,
                                   const std::vector<std::vector<jit::BlockInsn>>& blocks) {
  using namespace jit;
  const auto n = static_cast<uint32_t>(blocks.size());
  const Successors s = successors(t, blocks);
  std::vector<uint32_t> order;
  order.reserve(n);
  std::vector<uint8_t> state(n, 0);  // 0 new, 1 on the path, 2 done
  for (uint32_t root = 0; root < n; ++root) {
    if (state[root] != 0) continue;
    std::vector<uint32_t> post;
    // An explicit stack of (block, next successor to try): edges first, then hints.
    std::vector<std::pair<uint32_t, size_t>> path{{root, 0}};
    state[root] = 1;
    while (!path.empty()) {
      auto& [b, k] = path.back();
      const size_t ne = s.edges[b].size(), nh = s.hints[b].size();
      if (k == ne + nh) {
        state[b] = 2;
        post.push_back(b);
        path.pop_back();
        continue;
      }
      const uint32_t next = k < ne ? s.edges[b][k] : s.hints[b][k - ne];
      ++k;
      if (state[next] == 0) {
        state[next] = 1;
        path.push_back({next, 0});
      }
    }
    order.insert(order.end(), post.rbegin(), post.rend());
  }
  t.pos.assign(n, 0);
  for (uint32_t p = 0; p < n; ++p) t.pos[order[p]] = p;

  std::vector<int64_t> last(n, -1);  // by place: the last place with an edge back to it
  for (uint32_t i = 0; i < n; ++i) {
    for (uint32_t j : s.edges[i]) {
      if (t.pos[j] <= t.pos[i]) last[t.pos[j]] = std::max<int64_t>(last[t.pos[j]], t.pos[i]);
    }
  }
  t.regions.clear();
  for (uint32_t h = 0; h < n; ++h) {
    if (last[h] < 0) continue;
    const auto l = static_cast<uint32_t>(last[h]);
    // Those holding h end at l at least (they are nested, so they stay nested).
    for (Translator::Region& r : t.regions) {
      if (h <= r.last && r.last < l) r.last = l;
    }
    Translator::Region r;
    r.first = h;
    r.last = l;
    t.regions.push_back(r);
  }
  // Regions come by ascending header: the parent is the latest one before that holds it.
  for (size_t r = 0; r < t.regions.size(); ++r) {
    Translator::Region& g = t.regions[r];
    g.dispatches = g.last > g.first;
    for (size_t p = r; p-- > 0;) {
      if (t.regions[p].last >= g.last) {
        g.parent = static_cast<int>(p);
        break;
      }
    }
  }
  t.region_of.assign(n, -1);
  for (size_t r = 0; r < t.regions.size(); ++r) {
    for (uint32_t p = t.regions[r].first; p <= t.regions[r].last; ++p) {
      t.region_of[p] = static_cast<int>(r);  // the later region holding p is the inner one
    }
  }
}

/// The x registers the instructions of `insns` name, x0 excluded (for F/D instructions some
/// are f registers: a harmless excess).
uint32_t named_registers(const std::vector<jit::BlockInsn>& insns) {
  uint32_t named = 0;
  for (const jit::BlockInsn& in : insns) {
    named |= (1u << in.d.rd) | (1u << in.d.rs1) | (1u << in.d.rs2);
  }
  return named & ~1u;
}

/// The functions of a module besides `run`, one per loop nest (emit_module), and where `run`
/// calls them.
struct Nests {
  jit::HelperImports imports;
  std::vector<std::unique_ptr<jit::Translator>> functions;
  std::vector<std::pair<size_t, uint32_t>> calls;  ///< (where in run's code, which function)
};

/// Emits a function's body: the regions, each a wasm loop, and the blocks in them.
struct BodyEmitter {
  const TranslateRequest& req;
  const std::vector<std::vector<jit::BlockInsn>>& blocks;
  jit::Translator& t;
  TranslateResult& result;
  const std::vector<uint16_t>& offsets;  ///< of the blocks
  const std::vector<uint32_t>& order;    ///< order[p]: the block at place p
  Nests& nests;

  /// A whole function: `run` (r = -1) or loop nest r's. Every exit branches out to one of two
  /// shared exits: $store stores the registers from their locals, $stored is for exits that
  /// have already stored what was newer. A nest returns -1 through them (it has left).
  void function(int r) {
    namespace op = wasm::op;
    wasm::WasmCode& c = t.code;
    t.exit_stored = c.open_block();
    t.exit_store = c.open_block();
    if (r < 0) {  // run's entry: vbase, off, left and the TLB set from the state
      c.local_get(jit::Translator::kS);
      c.mem(op::kI64Load, 3, kCpuStateOffsetPc);
      c.local_tee(t.tmp);
      c.i64_const(~static_cast<int64_t>(kPageSize - 1));
      c.op(op::kI64And);
      c.local_set(t.vbase);
      c.local_get(t.tmp);
      c.op(op::kI32WrapI64);
      c.i32_const(static_cast<int32_t>(kPageSize - 1));
      c.op(op::kI32And);
      c.local_set(t.off);
      c.local_get(jit::Translator::kS);
      c.mem(op::kI64Load, 3, kCpuStateOffsetBudget);
      c.local_set(t.left);
      c.local_get(jit::Translator::kS);
      c.mem(op::kI32Load, 2, kCpuStateOffsetTlb);
      c.local_set(t.tlb);
    }
    t.load_function_registers();
    region(r);
    c.op(op::kUnreachable);
    c.end(t.exit_store);
    t.begin_block(0, 0);
    t.store_dirty();  // all the function's registers
    c.end(t.exit_stored);
    if (r >= 0) c.i32_const(-1);
  }

  /// Region `r` (-1: the whole function) as a loop of its units, the blocks and regions
  /// directly inside it in their order, each after the end of the wasm block that a branch to
  /// it leaves:
  ///
  ///   loop $loop
  ///     block $unit[k-1] ... block $unit[1]
  ///       (dispatch)
  ///     unit 0
  ///     end $unit[1]  unit 1 ...  end $unit[k-1]  unit k-1
  ///   end
  ///
  /// The function's loop dispatches every time round, through a br_table over the page's
  /// halfwords with unit 0 labelled too and an extra block for unknown offsets. A region's
  /// unit 0 is its header, and its loop dispatches only when `off` is not the header's
  /// offset, so a back edge to the header runs straight into it; an offset that is not its
  /// own goes round the loop around it.
  void region(int r) {
    using namespace jit;
    WasmCode& c = t.code;
    const uint32_t first = r < 0 ? 0 : t.regions[r].first;
    const uint32_t last = r < 0 ? static_cast<uint32_t>(order.size() - 1) : t.regions[r].last;
    struct Unit {
      int region;      // a region inside, or -1 for a block
      uint32_t place;  // its first place
    };
    std::vector<Unit> units;
    for (uint32_t p = first; p <= last;) {
      const int inner = t.child_holding(r, p);
      units.push_back({inner, p});
      p = inner < 0 ? p + 1 : t.regions[inner].last + 1;
    }
    auto label = [&](const Unit& u) -> WasmCode::Label& {
      return u.region < 0 ? t.starts[order[u.place]] : t.regions[u.region].enter;
    };
    const WasmCode::Label loop = c.open_loop();
    (r < 0 ? t.dispatch : t.regions[r].loop) = loop;
    const size_t labelled = r < 0 ? 0 : 1;
    for (size_t u = units.size(); u-- > labelled;) label(units[u]) = c.open_block();
    // Where the dispatch sends the block at place p: the start of the unit holding it.
    auto label_at = [&](uint32_t p) { return label({t.child_holding(r, p), p}); };
    if (r < 0) {
      const WasmCode::Label unknown = c.open_block();
      dispatch_table(first, last, unknown, label_at);
      c.end(unknown);
      // An offset with no block: leave there (having run nothing, unless a block ran). A jump
      // inside the page gets here too, with the registers in locals: store them as any exit does.
      t.begin_block(0, 0);
      t.leave_unrun(-1);
    } else if (t.regions[r].dispatches) {
      c.local_get(t.off);
      c.i32_const(offsets[order[first]]);
      c.op(wasm::op::kI32Ne);
      const WasmCode::Label header = c.open_if();
      const WasmCode::Label out = c.open_block();
      dispatch_table(first, last, out,
                     [&](uint32_t p) { return p == first ? header : label_at(p); });
      c.end(out);
      const int parent = t.regions[r].parent;
      if (r == t.top) {  // not in this loop nest's function: back to run
        t.begin_block(0, 0);
        t.return_to_run(-1);
      } else {
        c.br(parent < 0 ? t.dispatch : t.regions[parent].loop);
      }
      c.end(header);
    }
    for (size_t u = 0; u < units.size(); ++u) {
      if (u >= labelled) c.end(label(units[u]));
      if (units[u].region < 0) {
        block(order[units[u].place]);
      } else if (t.regions[units[u].region].nest) {
        call_nest(units[u].region);
      } else {
        region(units[u].region);
      }
    }
    c.end(loop);
  }

  /// The loop nest `r` as a function of its own, and run's call of it at `off`: the
  /// registers go through the state, the nest returns the page offset to go on at, or -1
  /// when it has left (pc, budget and its registers stored).
  [[gnu::noinline]] void call_nest(int r) {
    using namespace jit;
    namespace op = wasm::op;
    uint32_t keep = 0;
    for (uint32_t p = t.regions[r].first; p <= t.regions[r].last; ++p) {
      keep |= named_registers(blocks[order[p]]);
    }
    if (t.regions[r].last - t.regions[r].first + 1 > req.max_blocks_with_registers) keep = 0;
    auto fn = std::make_unique<Translator>(offsets, keep, nests.imports, r);
    fn->adopt_layout(t);
    BodyEmitter{req, blocks, *fn, result, offsets, order, nests}.function(r);
    const auto index = static_cast<uint32_t>(nests.functions.size());
    nests.functions.push_back(std::move(fn));

    // The call. run keeps no registers in locals when it has nests (emit_module): the blocks
    // before stored what they wrote, and those after load what they read.
    assert(t.function_registers() == 0);
    WasmCode& c = t.code;
    c.local_get(Translator::kS);
    c.local_get(t.vbase);
    c.local_get(t.off);
    c.local_get(t.left);
    c.local_get(t.tlb);
    nests.calls.emplace_back(c.call_later(), index);
    c.local_tee(t.off);
    c.i32_const(0);
    c.op(op::kI32LtS);
    c.br_if(t.exit_stored);
    c.local_get(Translator::kS);
    c.mem(op::kI64Load, 3, kCpuStateOffsetBudget);
    c.local_set(t.left);
    c.br(t.dispatch);
  }

  /// br_table on `off` over the halfwords of the blocks at places first..last: the block at
  /// place p to label(p), any other offset to `fallback`.
  template <typename LabelAt>
  void dispatch_table(uint32_t first, uint32_t last, wasm::WasmCode::Label fallback,
                      LabelAt label) {
    namespace op = wasm::op;
    wasm::WasmCode& c = t.code;
    unsigned lo = kPageSize, hi = 0;
    for (uint32_t p = first; p <= last; ++p) {
      lo = std::min<unsigned>(lo, offsets[order[p]] / 2);
      hi = std::max<unsigned>(hi, offsets[order[p]] / 2);
    }
    std::vector<wasm::WasmCode::Label> table(hi - lo + 1, fallback);
    for (uint32_t p = first; p <= last; ++p) table[offsets[order[p]] / 2 - lo] = label(p);
    c.local_get(t.off);
    c.i32_const(1);
    c.op(op::kI32ShrU);
    if (lo != 0) {
      c.i32_const(static_cast<int32_t>(lo));
      c.op(op::kI32Sub);
    }
    c.br_table(table, fallback);
  }

  /// The instruction the conditional branch ending block i skips when that is all it skips,
  /// and it may run either way (emit_branch_over), else null.
  const jit::BlockInsn* skipped_by_branch(uint32_t i) const {
    const jit::BlockInsn& b = blocks[i].back();
    if (jit::insn_kind(b.d.op) != jit::InsnKind::Branch) return nullptr;
    const int64_t next = b.off + b.d.len;
    const int j = t.block_at(next);
    if (j < 0 || blocks[j].size() != 1) return nullptr;
    const jit::BlockInsn& s = blocks[j].front();
    if (b.off + b.d.imm != next + s.d.len || !jit::skips_cleanly(s.d)) return nullptr;
    return &s;
  }

  /// Block i's code: the budget check, its instructions, and where it goes on to.
  [[gnu::noinline]] void block(uint32_t i) {
    using namespace jit;
    namespace op = wasm::op;
    WasmCode& c = t.code;
    const auto& insns = blocks[i];
    t.begin_block(i, static_cast<uint32_t>(insns.size()));
    // The budget must cover the whole block, else the interpreter runs what is left. The
    // difference is negative when it is short (and for a budget of 2^63 or more, which the
    // machine's slices never are: such a run is only interpreted).
    c.local_get(t.left);
    c.i64_const(static_cast<int64_t>(insns.size()));
    c.op(op::kI64Sub);
    c.local_tee(t.left);
    const BlockInsn* skipped = skipped_by_branch(i);
    c.i64_const(skipped != nullptr ? 1 : 0);  // a skipped instruction may run too
    c.op(op::kI64LtS);
    auto short_budget = c.open_if();
    t.leave_unrun(offsets[i], insns.size());
    c.end(short_budget);

    if (req.listing) result.riscv += "block " + std::to_string(i) + ":\n";
    Flow flow = Flow::Next;
    for (uint32_t k = 0; k < insns.size(); ++k) {
      const BlockInsn& in = insns[k];
      t.begin_insn(k, in.off, in.d.len);
      if (req.listing) {
        char head[32];
        snprintf(head, sizeof head, "  %016llx  ",
                 static_cast<unsigned long long>(req.guest_page + in.off));
        result.riscv += head + disassemble(in.d, req.guest_page + in.off) + "\n";
      }
      if (skipped != nullptr && k + 1 == insns.size()) {
        emit_branch_over(t, in, *skipped);
        flow = Flow::Left;
      } else {
        emit_insn(t, in, flow);
      }
      ++result.insns;
      if (flow == Flow::Left) break;
    }
    if (flow == Flow::Next) {
      const BlockInsn& end = insns.back();
      t.go_to_offset(end.off + end.d.len);
    }
  }
};

/// Marks the loop nests that get a function of their own (Region::nest): in a function of
/// more than `max_blocks` blocks, each largest region of at most that many (none inside
/// another). A function's every local is live wherever it may leave, so in one big function
/// a hot inner loop carries all the page's registers, and the browser's optimizing compiler
/// spends long on it; a nest's function names only its own registers, is small, and is tiered
/// up on its own. Returns the number of blocks left to `run`.
[[gnu::noinline]] size_t mark_nests(jit::Translator& t, size_t blocks, uint32_t max_blocks) {
  if (blocks <= max_blocks) return blocks;
  for (jit::Translator::Region& g : t.regions) {
    const uint32_t size = g.last - g.first + 1;
    if (size > max_blocks) continue;
    bool inside = false;  // inside a region already marked
    for (int p = g.parent; p >= 0 && !inside; p = t.regions[p].parent) inside = t.regions[p].nest;
    if (inside) continue;
    g.nest = true;
    blocks -= size;
  }
  return blocks;
}

/// Emits the module for the blocks at `kept` (ascending) into `result`.
[[gnu::noinline]] void emit_module(const TranslateRequest& req, const std::vector<uint16_t>& kept,
                                   const std::vector<uint16_t>& starts, TranslateResult& result) {
  using namespace jit;
  result = TranslateResult{};
  std::vector<std::vector<BlockInsn>> blocks;
  for (uint16_t o : kept) blocks.push_back(block_insns(req.host, o, starts));

  // The layout comes first: the loop nests with functions of their own (mark_nests) keep
  // their registers themselves.
  Nests nests;
  Translator layout(kept, 0, nests.imports);
  plan_layout(layout, blocks);
  std::vector<uint32_t> order(kept.size());
  for (uint32_t i = 0; i < kept.size(); ++i) order[layout.pos[i]] = i;
  const size_t run_blocks = mark_nests(layout, kept.size(), req.max_blocks_per_function);
  std::vector<bool> in_nest(kept.size(), false);
  for (const Translator::Region& g : layout.regions) {
    if (!g.nest) continue;
    for (uint32_t p = g.first; p <= g.last; ++p) in_nest[order[p]] = true;
  }
  // The integer registers run's own instructions name. Registers in locals across blocks pay
  // in loops but make every local live everywhere, which the browser's optimizing compiler
  // pays for as functions grow: past the bound they stay in locals within each block only.
  // So do they when the loop nests have functions of their own: run is then the glue between
  // them, and its calls would store and reload its registers around each nest.
  uint32_t regs = 0;
  for (size_t i = 0; i < kept.size(); ++i) {
    if (!in_nest[i]) regs |= named_registers(blocks[i]);
  }
  if (run_blocks > req.max_blocks_with_registers || run_blocks < kept.size()) regs = 0;
  Translator t(kept, regs, nests.imports);
  t.adopt_layout(layout);
  BodyEmitter{req, blocks, t, result, kept, order, nests}.function(-1);
  WasmCode& c = t.code;

  wasm::WasmModuleBuilder m;
  for (JitHelper h : nests.imports.list) {
    m.import_function("h", jit_helper_name(h), jit_helper_type(h));
  }
  m.import_memory("e", "m", 0);
  // run is the first function after the imports, the nests' functions follow it.
  const auto first_nest = static_cast<uint32_t>(nests.imports.list.size()) + 1;
  for (const auto& [at, k] : nests.calls) c.patch_call(at, first_nest + k);
  const wasm::FuncType run_type{{ValType::I32}, {}};
  const uint32_t f = m.add_function(run_type, c.finish());
  for (const auto& fn : nests.functions) m.add_function(Translator::nest_type(), fn->code.finish());
  m.export_function("run", f);
  result.wasm = m.finish();
  result.blocks = kept;
  result.nests = static_cast<uint32_t>(nests.functions.size());
}

}  // namespace

bool translate_page(const TranslateRequest& req, TranslateResult& result) {
  using namespace jit;
  const std::vector<uint16_t> found = find_blocks(req);
  std::vector<uint16_t> starts = found;
  std::sort(starts.begin(), starts.end());
  // The blocks nearest the entries first, as long as the module stays within its size: a big
  // page is translated around the code that runs, not from its start. Start from an estimate
  // (most instructions take 10-40 bytes, memory ones ~120) and take fewer blocks while the
  // module comes out too big.
  std::vector<uint16_t> usable;
  size_t count = 0, insns = 0;
  uint16_t lo = kPageSize, hi = 0;
  for (uint16_t o : found) {
    const std::vector<BlockInsn> b = block_insns(req.host, o, starts);
    if (b.empty()) continue;  // starts with an instruction left to the interpreter
    usable.push_back(o);
    lo = std::min(lo, o);
    hi = std::max(hi, o);
    insns += b.size();
    // The br_table spans the blocks' offsets (up to 2 bytes a halfword).
    const size_t estimate = 256 + (hi - lo) + 48 * usable.size() + 40 * insns;
    if (estimate <= req.max_bytes || count == 0) count = usable.size();
  }
  if (usable.empty()) return false;
  for (;;) {
    std::vector<uint16_t> kept(usable.begin(), usable.begin() + static_cast<ptrdiff_t>(count));
    std::sort(kept.begin(), kept.end());
    emit_module(req, kept, starts, result);
    // One block alone may exceed the cap: it is still bounded by the page.
    if (result.wasm.size() <= req.max_bytes || count == 1) return true;
    count = std::max<size_t>(1, count * req.max_bytes / result.wasm.size() * 9 / 10);
  }
}

}  // namespace glassvm
