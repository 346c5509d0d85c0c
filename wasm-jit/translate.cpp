// Page analysis, the module's shape and the Translator's common emission (translator.h).
//
// Layout of the function (n blocks, block i at page offset o_i, ascending):
//
//   loop $dispatch
//     block $start[n-1] ... block $start[0] block $unknown
//       br_table (off >> 1) -> $start[i] for the halfword of o_i, else $unknown
//     end  ;; $unknown: leave with pc = vbase + off; return 1 if nothing ran
//     end  ;; $start[0]: block 0's code, falling through into block 1's
//     ...
//     end  ;; $start[n-1]: the last block's code
//   end
//
// Block i sits inside $start[i+1..n-1], so a jump to a later block is a `br` out to the start
// of its code, and one to an earlier block sets `off` and goes round $dispatch.
#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <deque>
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

Translator::Translator(const std::vector<uint16_t>& block_offsets, uint32_t registers)
    : fn_regs_(registers), offsets_(block_offsets) {
  vbase = code.add_local(ValType::I64);
  left = code.add_local(ValType::I64);
  addr = code.add_local(ValType::I64);
  tmp = code.add_local(ValType::I64);
  off = code.add_local(ValType::I32);
  entered = code.add_local(ValType::I32);
  host = code.add_local(ValType::I32);
  tlb = code.add_local(ValType::I32);
  for (auto& f : helper_func_) f = -1;
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
  for (unsigned r = 1; r < 32; ++r) {
    if (!(fn_regs_ & (1u << r))) continue;
    code.local_get(kS);
    code.mem(op::kI64Load, 3, x_offset(r));
    code.local_set(xl(r));
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
  for (unsigned r = 1; r < 32; ++r) {
    if (!(dirty_ & (1u << r))) continue;
    code.local_get(kS);
    code.local_get(xl(r));
    code.mem(op::kI64Store, 3, x_offset(r));
  }
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

void Translator::store_budget(uint64_t extra) {
  code.local_get(kS);
  code.local_get(left);
  if (extra != 0) {
    code.i64_const(static_cast<int64_t>(extra));
    code.op(op::kI64Add);
  }
  code.mem(op::kI64Store, 3, kCpuStateOffsetBudget);
}

void Translator::call_helper(JitHelper h) {
  int32_t& f = helper_func_[static_cast<unsigned>(h)];
  if (f < 0) {
    f = static_cast<int32_t>(imports.size());
    imports.push_back(h);
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

void Translator::leave_unrun(int64_t target) {
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
  leave_with_budget(0);  // the function returns 1 if no block ran (`entered`)
}

int Translator::block_at(int64_t o) const {
  if (o < 0 || o >= static_cast<int64_t>(kPageSize)) return -1;
  auto it = std::lower_bound(offsets_.begin(), offsets_.end(), static_cast<uint16_t>(o));
  if (it == offsets_.end() || *it != o) return -1;
  return static_cast<int>(it - offsets_.begin());
}

void Translator::go_to_offset(int64_t target) {
  const int b = block_at(target);
  if (b < 0) {
    leave_to_offset(target);
    return;
  }
  settle();
  // A later block: out to the start of its code (for the next block, that is just past the
  // end of this one's loop; a plain fall-through would be wrong inside a taken branch's `if`).
  if (b > static_cast<int>(block_index)) {
    code.br(starts[b]);
    return;
  }
  if (b == static_cast<int>(block_index)) {
    assert(self_loop_open && "a jump to its own block that translate_page did not see");
    code.br(self_loop);  // a loop of one block: no dispatch
    return;
  }
  code.i32_const(static_cast<int32_t>(target));
  code.local_set(off);
  code.br(dispatch);
}

void Translator::go_to_local(uint32_t addr_local) {
  settle();
  // In the page: dispatch on the offset (an unknown one leaves from $unknown).
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
  code.br(dispatch);
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

/// The block starts: the entries, and what they reach in the page (branch targets,
/// fall-throughs, return points after calls, the instruction after an exit), in the order
/// found: the entries first, then by distance from them.
std::vector<uint16_t> find_blocks(const TranslateRequest& req) {
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
std::vector<BlockInsn> block_insns(const uint8_t* page, uint16_t o,
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

/// Emits the module for the blocks at `kept` (ascending) into `result`.
void emit_module(const TranslateRequest& req, const std::vector<uint16_t>& kept,
                 const std::vector<uint16_t>& starts, TranslateResult& result) {
  using namespace jit;
  result = TranslateResult{};
  std::vector<std::vector<BlockInsn>> blocks;
  for (uint16_t o : kept) blocks.push_back(block_insns(req.host, o, starts));

  // The integer registers the function's instructions name (for F/D instructions some of
  // these are f registers: a harmless excess).
  uint32_t regs = 0;
  for (const auto& b : blocks) {
    for (const BlockInsn& in : b) regs |= (1u << in.d.rd) | (1u << in.d.rs1) | (1u << in.d.rs2);
  }
  // Registers in locals across blocks pay in loops but make every local live everywhere,
  // which the browser's optimizing compiler pays for superlinearly in big functions: only
  // small ones keep them (the others keep them within each block).
  if (kept.size() > req.max_blocks_with_registers) regs = 0;
  Translator t(kept, regs & ~1u);
  WasmCode& c = t.code;
  // Every exit branches out to one of these: $store stores the registers from their locals,
  // $stored is for exits that have already stored what was newer.
  t.exit_stored = c.open_block();
  t.exit_store = c.open_block();
  // Entry: vbase, off, left from the state.
  c.local_get(Translator::kS);
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
  c.local_get(Translator::kS);
  c.mem(op::kI64Load, 3, kCpuStateOffsetBudget);
  c.local_set(t.left);
  c.local_get(Translator::kS);
  c.mem(op::kI32Load, 2, kCpuStateOffsetTlb);
  c.local_set(t.tlb);
  t.load_function_registers();

  t.dispatch = c.open_loop();
  t.starts.resize(kept.size());
  for (size_t i = kept.size(); i-- > 0;) t.starts[i] = c.open_block();
  auto unknown = c.open_block();
  // Indexed by halfword from the first block to the last (any other offset is unknown).
  const unsigned first = kept.front() / 2;
  std::vector<WasmCode::Label> table(kept.back() / 2 - first + 1, unknown);
  for (size_t i = 0; i < kept.size(); ++i) table[kept[i] / 2 - first] = t.starts[i];
  c.local_get(t.off);
  c.i32_const(1);
  c.op(op::kI32ShrU);
  if (first != 0) {
    c.i32_const(static_cast<int32_t>(first));
    c.op(op::kI32Sub);
  }
  c.br_table(table, unknown);
  c.end(unknown);
  // An offset with no block: leave there; "ran nothing" unless a block ran. A jump inside the
  // page gets here too, with the registers in locals: store them as any exit does.
  t.begin_block(0, 0);
  t.leave_unrun(-1);

  for (size_t i = 0; i < kept.size(); ++i) {
    c.end(t.starts[i]);
    const auto& insns = blocks[i];
    t.begin_block(static_cast<uint32_t>(i), static_cast<uint32_t>(insns.size()));
    // A wasm loop only where the block jumps to its own start: a loop makes the browser's
    // optimizing compiler merge every local at its head, which costs in big functions.
    bool jumps_to_itself = false;
    for (const BlockInsn& in : insns) {
      const InsnKind k = insn_kind(in.d.op);
      if ((k == InsnKind::Branch || k == InsnKind::Jal) && in.off + in.d.imm == kept[i]) {
        jumps_to_itself = true;
      }
    }
    t.self_loop_open = jumps_to_itself;
    if (t.self_loop_open) t.self_loop = c.open_loop();
    // The budget must cover the whole block, else the interpreter runs what is left.
    c.local_get(t.left);
    c.i64_const(static_cast<int64_t>(insns.size()));
    c.op(op::kI64LtU);
    auto short_budget = c.open_if();
    t.leave_unrun(kept[i]);
    c.end(short_budget);
    c.local_get(t.left);
    c.i64_const(static_cast<int64_t>(insns.size()));
    c.op(op::kI64Sub);
    c.local_set(t.left);
    c.i32_const(1);
    c.local_set(t.entered);

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
      emit_insn(t, in, flow);
      ++result.insns;
      if (flow == Flow::Left) break;
    }
    if (flow == Flow::Next) {
      const BlockInsn& last = insns.back();
      t.go_to_offset(last.off + last.d.len);
    }
    if (t.self_loop_open) c.end(t.self_loop);
  }
  c.end(t.dispatch);
  c.op(op::kUnreachable);
  c.end(t.exit_store);
  t.begin_block(0, 0);
  t.store_dirty();  // all the function's registers
  c.end(t.exit_stored);
  c.local_get(t.entered);
  c.op(op::kI32Eqz);

  wasm::WasmModuleBuilder m;
  for (JitHelper h : t.imports) m.import_function("h", jit_helper_name(h), jit_helper_type(h));
  m.import_memory("e", "m", 0);
  const wasm::FuncType run_type{{ValType::I32}, {ValType::I32}};
  const uint32_t f = m.add_function(run_type, c.finish());
  m.export_function("run", f);
  result.wasm = m.finish();
  result.blocks = kept;
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
