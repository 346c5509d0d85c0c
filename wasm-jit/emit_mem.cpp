// Loads and stores, integer and FP (unprivileged spec 2.6, 11.5, 12.5): the software TLB is
// checked inline, and a hit reads or writes guest RAM directly through the entry's addend;
// anything else (a miss, MMIO, a page-crossing access, a fault) calls jit_load/jit_store
// (helper_abi.h), which set pc and budget and call the helper_load/helper_store the
// interpreter's slow path calls.
//
// The tag test takes the entry of the access's first byte and compares its tag with the page
// of the last byte (tlb_test): misaligned accesses inside a page take the fast path, as in the
// interpreter's mem_load/mem_store (Linux copies with misaligned words when the hart handles
// them fast). Registers are read on the main path only (the register cache must look the same
// on both arms of the hit test).
#include <cstddef>

#include "engine/base/page.h"
#include "engine/cpu/cpu_internal.h"
#include "wasm-jit/translator.h"

namespace glassvm::jit {

namespace op = wasm::op;
using wasm::BlockType;

namespace {

struct Access {
  unsigned size = 8;
  uint8_t load_op = op::kI64Load;  ///< for loads: the wasm load that extends as RISC-V does
  uint8_t store_op = op::kI64Store;
  bool sign_extend = false;  ///< a load that sign-extends (for the slow path's helper)
  bool fp = false;           ///< an F/D access: f registers, mstatus.FS checked
  bool box32 = false;        ///< FLW: NaN-box the single
};

bool describe(Op o, Access& a) {
  switch (o) {
    case Op::Lb: a = {1, op::kI64Load8S, 0, true}; return true;
    case Op::Lh: a = {2, op::kI64Load16S, 0, true}; return true;
    case Op::Lw: a = {4, op::kI64Load32S, 0, true}; return true;
    case Op::Ld: a = {8, op::kI64Load, 0, 0}; return true;
    case Op::Lbu: a = {1, op::kI64Load8U, 0, 0}; return true;
    case Op::Lhu: a = {2, op::kI64Load16U, 0, 0}; return true;
    case Op::Lwu: a = {4, op::kI64Load32U, 0, 0}; return true;
    case Op::Sb: a = {1, 0, op::kI64Store8, 0}; return true;
    case Op::Sh: a = {2, 0, op::kI64Store16, 0}; return true;
    case Op::Sw: a = {4, 0, op::kI64Store32, 0}; return true;
    case Op::Sd: a = {8, 0, op::kI64Store, 0}; return true;
    case Op::Flw: a = {4, op::kI64Load32U, 0, 0, true, true}; return true;
    case Op::Fld: a = {8, op::kI64Load, 0, 0, true, false}; return true;
    case Op::Fsw: a = {4, 0, op::kI64Store32, 0, true, false}; return true;
    case Op::Fsd: a = {8, 0, op::kI64Store, 0, true, false}; return true;
    default: return false;
  }
}

unsigned log2_of(unsigned size) {
  return size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0;
}

/// Pushes the address of the TLB entry for t.addr (read or write set) into t.host and tests
/// its tag: leaves an i32 condition "hit". The entry is the one of the access's first byte,
/// and its tag is compared with the page of its last byte: an entry only ever holds a page
/// of its own index, and two neighbouring pages have different indices, so a hit means both
/// bytes lie in the entry's page. Misaligned accesses inside a page hit too (wasm accesses
/// need no alignment, and the interpreter's mem_load/mem_store take them through the entry).
void tlb_test(Translator& t, unsigned size, uint32_t set_offset) {
  static_assert(kTlbSize > 1, "a page and the next must have different entries");
  WasmCode& c = t.code;
  static_assert(sizeof(TlbEntry) == 16, "the entry's byte offset is (page & mask) << 4");
  c.local_get(t.tlb);
  c.local_get(t.addr);
  c.i64_const(kPageShift - 4);
  c.op(op::kI64ShrU);
  c.op(op::kI32WrapI64);
  c.i32_const((kTlbSize - 1) << 4);
  c.op(op::kI32And);
  c.op(op::kI32Add);
  c.local_tee(t.host);
  c.mem(op::kI64Load, 3, set_offset + offsetof(TlbEntry, tag));
  c.local_get(t.addr);
  if (size > 1) {
    c.i64_const(size - 1);
    c.op(op::kI64Add);
  }
  c.i64_const(static_cast<int64_t>(kPageMask));
  c.op(op::kI64And);
  c.op(op::kI64Eq);
}

/// Pushes the host address of t.addr through the entry in t.host.
void host_address(Translator& t, uint32_t set_offset) {
  WasmCode& c = t.code;
  c.local_get(t.host);
  c.mem(op::kI32Load, 2, set_offset + offsetof(TlbEntry, addend));
  c.local_get(t.addr);
  c.op(op::kI32WrapI64);
  c.op(op::kI32Add);
}

/// The slow path's call of jit_load or jit_store, whose arguments before `how` are on the
/// stack: the rest of them (and the value to store, from t.tmp) and the call.
void call_slow(Translator& t, const DecodedInsn& d, const Access& a, JitHelper h) {
  WasmCode& c = t.code;
  uint32_t how = a.size | (static_cast<uint32_t>(d.len) << jit_slow::kLengthShift);
  if (a.sign_extend) how |= jit_slow::kSignExtend;
  c.i32_const(static_cast<int32_t>(how));
  if (h == JitHelper::Store) c.local_get(t.tmp);
  t.push_vaddr(t.insn_off);
  t.push_budget(t.steps_from_here());
  t.call_helper(h);
}

/// Writes the loaded value in t.tmp where it goes: an FP load into f[rd] and mstatus (always in
/// the state); an integer one, on a path that leaves, into x[rd]'s local and the state both.
void write_loaded(Translator& t, const DecodedInsn& d, const Access& a) {
  WasmCode& c = t.code;
  if (a.fp) {
    c.local_get(Translator::kS);
    c.local_get(t.tmp);
    if (a.box32) {
      c.i64_const(static_cast<int64_t>(0xffffffff00000000ull));
      c.op(op::kI64Or);
    }
    c.mem(op::kI64Store, 3, f_offset(d.rd));
    set_fs_dirty(t);
  } else if (d.rd != 0) {
    c.local_get(t.tmp);
    t.set_x_leaving(d.rd);
  }
}

void emit_load(Translator& t, const DecodedInsn& d, const Access& a) {
  WasmCode& c = t.code;
  if (a.fp) check_fs(t, d);
  t.get_x(d.rs1);
  c.i64_const(d.imm);
  c.op(op::kI64Add);
  c.local_set(t.addr);
  const uint32_t set = kTlbSetOffsetRead;
  tlb_test(t, a.size, set);
  auto hit = c.open_if(BlockType::I64);
  host_address(t, set);
  c.mem(a.load_op, log2_of(a.size), 0);
  c.else_();
  c.local_get(Translator::kS);
  c.local_get(t.addr);
  call_slow(t, d, a, JitHelper::Load);
  c.local_set(t.tmp);
  c.local_get(Translator::kS);
  c.mem(op::kI32Load, 2, offsetof(CpuState, jit_exit_));
  c.local_tee(t.host);  // free on the slow path
  auto leave = c.open_if();
  // Leave: with rd unchanged after a trap; with the value in rd when the load completed (a
  // device may have raised an interrupt or changed the map).
  c.local_get(t.host);
  c.i32_const(static_cast<int32_t>(jit_slow::kLeaveAfter));
  c.op(op::kI32Eq);
  auto completed = c.open_if();
  write_loaded(t, d, a);
  c.end(completed);
  t.leave();
  c.end(leave);
  c.local_get(t.tmp);
  c.end(hit);
  if (!a.fp) {
    t.set_x(d.rd);
    return;
  }
  c.local_set(t.tmp);
  write_loaded(t, d, a);
}

void emit_store(Translator& t, const DecodedInsn& d, const Access& a) {
  WasmCode& c = t.code;
  if (a.fp) check_fs(t, d);
  if (a.fp) {
    c.local_get(Translator::kS);
    c.mem(op::kI64Load, 3, f_offset(d.rs2));
  } else {
    t.get_x(d.rs2);
  }
  c.local_set(t.tmp);
  t.get_x(d.rs1);
  c.i64_const(d.imm);
  c.op(op::kI64Add);
  c.local_set(t.addr);
  const uint32_t set = kTlbSetOffsetWrite;
  tlb_test(t, a.size, set);
  auto hit = c.open_if();
  host_address(t, set);
  c.local_get(t.tmp);
  c.mem(a.store_op, log2_of(a.size), 0);
  c.else_();
  c.local_get(Translator::kS);
  c.local_get(t.addr);
  call_slow(t, d, a, JitHelper::Store);
  auto leave = c.open_if();
  t.leave();
  c.end(leave);
  c.end(hit);
}

}  // namespace

void check_fs(Translator& t, const DecodedInsn& d) {
  if (t.fs_on) return;
  t.fs_on = true;
  WasmCode& c = t.code;
  c.local_get(Translator::kS);
  c.mem(op::kI64Load, 3, offsetof(CpuState, mstatus_));
  c.i64_const(static_cast<int64_t>(kMstatusFS));
  c.op(op::kI64And);
  c.op(op::kI64Eqz);
  auto off = c.open_if();
  t.store_pc_here();
  t.store_budget(t.steps_from_here());
  c.local_get(Translator::kS);
  c.i64_const(static_cast<int64_t>(kExcIllegalInsn));
  c.i64_const(d.raw);
  t.call_helper(JitHelper::Raise);
  c.op(op::kDrop);
  t.leave_with_budget(t.steps_after_here());
  c.end(off);
}

bool emit_mem(Translator& t, const BlockInsn& in, Flow& flow) {
  Access a;
  if (!describe(in.d.op, a)) return false;
  flow = Flow::Next;
  if (a.store_op != 0) {
    emit_store(t, in.d, a);
  } else {
    emit_load(t, in.d, a);
  }
  return true;
}

void set_fs_dirty(Translator& t) {
  WasmCode& c = t.code;
  c.local_get(Translator::kS);
  c.local_get(Translator::kS);
  c.mem(op::kI64Load, 3, offsetof(CpuState, mstatus_));
  c.i64_const(static_cast<int64_t>(kMstatusFS | kMstatusSD));
  c.op(op::kI64Or);
  c.mem(op::kI64Store, 3, offsetof(CpuState, mstatus_));
}

}  // namespace glassvm::jit
