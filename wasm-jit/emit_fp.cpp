// F and D arithmetic (FADD, FSUB, FMUL, FDIV, FSQRT, single and double) inline, with the helper
// as the slow path; the moves between x and f registers and the double sign injections inline
// (they raise no flag); every other FP instruction goes through helper_fp (emit_system.cpp),
// and the loads and stores through the TLB (emit_mem.cpp).
//
// Design note: WebAssembly's f32/f64 add, sub, mul and div round to nearest, ties to even, and
// are correctly rounded (only NaN bit patterns may differ by host), but give no exception flags.
// The inline path is therefore taken only where its result is the soft-float result bit for bit
// and the flags the operation raises are already set, so that fcsr does not change:
//  - the rounding mode is RNE (static, or dynamic with frm = 0);
//  - fflags.NX is already set (it is sticky, and FP code sets it early and seldom clears it);
//  - the result is finite and at least twice the smallest normal number: then it is not NaN
//    (no canonical-NaN question, no invalid operation), not infinite (no overflow: with RNE an
//    overflow gives infinity; no division by zero), and not tiny even before rounding (no
//    underflow), so NX is the only flag it can raise;
//  - single operands are properly NaN-boxed (an improperly boxed one reads as the canonical
//    NaN, which the helper handles);
//  - mstatus.FS is not Off.
// The result is then NaN-boxed (single) and written to f[rd], and FS and SD are set, as
// helper_fp does. Anything else (other rounding modes, flags to raise, special values) takes
// the helper, which is exact by construction.
#include <cstddef>

#include "engine/cpu/cpu_internal.h"
#include "wasm-jit/translator.h"

namespace glassvm::jit {

namespace op = wasm::op;

namespace {

// WebAssembly's floating-point opcodes used here.
constexpr uint8_t kF32Sqrt = 0x91, kF64Sqrt = 0x9f;
constexpr uint8_t kF32Add = 0x92, kF32Sub = 0x93, kF32Mul = 0x94, kF32Div = 0x95;
constexpr uint8_t kF64Add = 0xa0, kF64Sub = 0xa1, kF64Mul = 0xa2, kF64Div = 0xa3;
constexpr uint8_t kI32ReinterpretF32 = 0xbc, kI64ReinterpretF64 = 0xbd;
constexpr uint8_t kF32ReinterpretI32 = 0xbe, kF64ReinterpretI64 = 0xbf;

constexpr unsigned kRmRne = 0, kRmDyn = 7;
constexpr uint32_t kFflagsNx = 1;
constexpr uint32_t kFrmMask = 7u << 5;

struct Arith {
  uint8_t wasm_op = 0;
  bool single = false;
  bool unary = false;  ///< FSQRT: rs1 only
};

bool arith(Op o, Arith& a) {
  switch (o) {
    case Op::FaddS: a = {kF32Add, true}; return true;
    case Op::FsubS: a = {kF32Sub, true}; return true;
    case Op::FmulS: a = {kF32Mul, true}; return true;
    case Op::FdivS: a = {kF32Div, true}; return true;
    case Op::FsqrtS: a = {kF32Sqrt, true, true}; return true;
    case Op::FaddD: a = {kF64Add, false}; return true;
    case Op::FsubD: a = {kF64Sub, false}; return true;
    case Op::FmulD: a = {kF64Mul, false}; return true;
    case Op::FdivD: a = {kF64Div, false}; return true;
    case Op::FsqrtD: a = {kF64Sqrt, false, true}; return true;
    default: return false;
  }
}

/// Pushes f[r]'s raw bits.
void push_f(WasmCode& c, unsigned r) {
  c.local_get(Translator::kS);
  c.mem(op::kI64Load, 3, f_offset(r));
}

/// Pushes f[r] as an f32 (its low half).
void push_f32(WasmCode& c, unsigned r) {
  push_f(c, r);
  c.op(op::kI32WrapI64);
  c.op(kF32ReinterpretI32);
}

/// Pushes whether f[r] is properly NaN-boxed (its high half all ones).
void push_boxed(WasmCode& c, unsigned r) {
  push_f(c, r);
  c.i64_const(32);
  c.op(op::kI64ShrU);
  c.i64_const(0xffffffff);
  c.op(op::kI64Eq);
}

/// Computes the operation into t.tmp (the raw result: boxed for single) and pushes whether the
/// result's biased exponent lies in [2, max finite]: neither NaN, infinite, zero nor tiny.
void compute(Translator& t, const DecodedInsn& d, const Arith& a) {
  WasmCode& c = t.code;
  if (a.single) {
    push_f32(c, d.rs1);
    if (!a.unary) push_f32(c, d.rs2);
    c.op(a.wasm_op);
    c.op(kI32ReinterpretF32);
    c.op(op::kI64ExtendI32U);
    c.i64_const(static_cast<int64_t>(0xffffffff00000000ull));
    c.op(op::kI64Or);
    c.local_tee(t.tmp);
    c.i64_const(23);
  } else {
    push_f(c, d.rs1);
    c.op(kF64ReinterpretI64);
    if (!a.unary) {
      push_f(c, d.rs2);
      c.op(kF64ReinterpretI64);
    }
    c.op(a.wasm_op);
    c.op(kI64ReinterpretF64);
    c.local_tee(t.tmp);
    c.i64_const(52);
  }
  c.op(op::kI64ShrU);
  c.op(op::kI32WrapI64);
  const int32_t exp_max = a.single ? 0xff : 0x7ff;  // all ones: infinity or NaN
  c.i32_const(exp_max);
  c.op(op::kI32And);
  c.i32_const(2);
  c.op(op::kI32Sub);
  c.i32_const(exp_max - 2);
  c.op(op::kI32LtU);
}

/// Pushes whether fcsr allows the inline path: RNE, and NX already set.
void push_fcsr_ok(WasmCode& c, unsigned rm) {
  c.local_get(Translator::kS);
  c.mem(op::kI32Load, 2, kCpuStateOffsetFcsr);
  const uint32_t mask = rm == kRmDyn ? (kFrmMask | kFflagsNx) : kFflagsNx;
  c.i32_const(static_cast<int32_t>(mask));
  c.op(op::kI32And);
  c.i32_const(static_cast<int32_t>(kFflagsNx));
  c.op(op::kI32Eq);
}

/// Pushes whether mstatus.FS is not Off.
void push_fs_on(WasmCode& c) {
  c.local_get(Translator::kS);
  c.mem(op::kI64Load, 3, offsetof(CpuState, mstatus_));
  c.i64_const(static_cast<int64_t>(kMstatusFS));
  c.op(op::kI64And);
  c.i64_const(0);
  c.op(op::kI64Ne);
}

/// The inline path's write: f[rd] = t.tmp, FS Dirty and SD.
void write_result(Translator& t, unsigned rd) {
  WasmCode& c = t.code;
  c.local_get(Translator::kS);
  c.local_get(t.tmp);
  c.mem(op::kI64Store, 3, f_offset(rd));
  set_fs_dirty(t);
}

/// The slow path: helper_fp, with pc and budget set for a trap. It reads and writes f, fcsr and
/// mstatus only, so the x registers may stay in their locals (a trap leaves through an exit
/// that stores them), as for jit_load.
void call_helper(Translator& t, const DecodedInsn& d) {
  WasmCode& c = t.code;
  t.store_pc_here();
  t.store_budget(t.steps_from_here());
  c.local_get(Translator::kS);
  c.i32_const(static_cast<int32_t>(d.op));
  c.i32_const(d.rd);
  c.i32_const(d.rs1);
  c.i32_const(d.rs2);
  c.i32_const(d.rs3);
  c.i32_const(d.rm);
  c.i32_const(static_cast<int32_t>(d.raw));
  t.call_helper(JitHelper::Fp);
  auto trapped = c.open_if();
  t.leave_with_budget(t.steps_after_here());
  c.end(trapped);
}

/// Pops raw bits into f[rd], and sets FS Dirty and SD.
void pop_f(Translator& t, unsigned rd) {
  WasmCode& c = t.code;
  c.local_set(t.tmp);
  write_result(t, rd);
}

constexpr int64_t kSign64 = static_cast<int64_t>(0x8000000000000000ull);

/// The moves and the double sign injections: no rounding, no flag, no NaN to canonicalize
/// (unprivileged spec 12.3, 12.6). Only mstatus.FS Off traps, as the helper would.
bool emit_move(Translator& t, const DecodedInsn& d) {
  WasmCode& c = t.code;
  switch (d.op) {
    case Op::FmvXD:
    case Op::FmvXW:
    case Op::FmvDX:
    case Op::FmvWX:
    case Op::FsgnjD:
    case Op::FsgnjnD:
    case Op::FsgnjxD: break;
    default: return false;
  }
  check_fs(t, d);
  switch (d.op) {
    case Op::FmvXD:  // x[rd] = f[rs1]; the f registers are untouched, FS stays as it is
      push_f(c, d.rs1);
      t.set_x(d.rd);
      break;
    case Op::FmvXW:  // the low 32 bits, sign-extended, boxed or not
      push_f(c, d.rs1);
      c.op(op::kI32WrapI64);
      c.op(op::kI64ExtendI32S);
      t.set_x(d.rd);
      break;
    case Op::FmvDX:
      t.get_x(d.rs1);
      pop_f(t, d.rd);
      break;
    case Op::FmvWX:  // NaN-boxed
      t.get_x(d.rs1);
      c.i64_const(0xffffffff);
      c.op(op::kI64And);
      c.i64_const(static_cast<int64_t>(0xffffffff00000000ull));
      c.op(op::kI64Or);
      pop_f(t, d.rd);
      break;
    default: {  // FSGNJ.D, FSGNJN.D, FSGNJX.D: rs1's magnitude (or all of it), rs2's sign
      push_f(c, d.rs1);
      if (d.op != Op::FsgnjxD) {
        c.i64_const(~kSign64);
        c.op(op::kI64And);
      }
      push_f(c, d.rs2);
      if (d.op == Op::FsgnjnD) {
        c.i64_const(-1);
        c.op(op::kI64Xor);
      }
      c.i64_const(kSign64);
      c.op(op::kI64And);
      c.op(d.op == Op::FsgnjxD ? op::kI64Xor : op::kI64Or);
      pop_f(t, d.rd);
      break;
    }
  }
  return true;
}

}  // namespace

bool emit_fp(Translator& t, const BlockInsn& in) {
  const DecodedInsn& d = in.d;
  if (emit_move(t, d)) return true;
  Arith a;
  if (!arith(d.op, a)) return false;
  WasmCode& c = t.code;
  if (d.rm != kRmRne && d.rm != kRmDyn) {  // a static mode wasm has not: always the helper
    call_helper(t, d);
    return true;
  }
  compute(t, d, a);
  push_fcsr_ok(c, d.rm);
  c.op(op::kI32And);
  if (!t.fs_on) {  // else checked before, in this block
    push_fs_on(c);
    c.op(op::kI32And);
  }
  if (a.single) {
    push_boxed(c, d.rs1);
    c.op(op::kI32And);
    if (!a.unary) {
      push_boxed(c, d.rs2);
      c.op(op::kI32And);
    }
  }
  auto fast = c.open_if();
  write_result(t, d.rd);
  c.else_();
  call_helper(t, d);
  c.end(fast);
  return true;
}

}  // namespace glassvm::jit
