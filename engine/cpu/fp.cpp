// The F and D instructions other than loads and stores (unprivileged spec chapters 11 and 12,
// "F" and "D"), behind helper_fp.
//
// Design note: every FP instruction is rare next to integer code and is dominated by its
// soft-float call, so the interpreter sends them all (but FLW/FLD/FSW/FSD, which take the TLB
// fast path in interp.cpp) through one helper that generated code can call the same way. No
// host floating point is used anywhere: results must be bit-identical natively and in wasm.
// Single-precision operands are unboxed (an improperly boxed value reads as the canonical NaN)
// and single results NaN-boxed; FS goes to Dirty whenever an f register or fflags changes
// (privileged spec 3.1.6.6), and SD with it.
#include "engine/cpu/alu.h"
#include "engine/cpu/cpu_internal.h"
#include "engine/cpu/helpers.h"
#include "engine/cpu/softfloat.h"

namespace glassvm {

namespace {

using alu::sext32;

constexpr unsigned kRmDyn = 7;

}  // namespace

bool helper_fp(CpuState& s, Op op, unsigned rd, unsigned rs1, unsigned rs2, unsigned rs3,
               unsigned rm, uint32_t raw) {
  s.sync_retired();
  Cpu::Impl& h = static_cast<Cpu::Impl&>(s);
  if ((h.mstatus_ & kMstatusFS) == 0) {
    h.raise_exception(kExcIllegalInsn, raw);
    return true;
  }
  if (rm == kRmDyn) rm = (h.fcsr_ >> 5) & 7;
  if (rm > 4) {  // the decoder rejects static 5 and 6; frm may hold 5, 6 or 7
    h.raise_exception(kExcIllegalInsn, raw);
    return true;
  }
  sf::Status st{static_cast<sf::Rounding>(rm), 0};
  uint64_t* const F = h.f_;
  uint64_t* const X = h.x_;
  const sf::F32 a32 = sf::unbox32(F[rs1]), b32 = sf::unbox32(F[rs2]), c32 = sf::unbox32(F[rs3]);
  const sf::F64 a64{F[rs1]}, b64{F[rs2]}, c64{F[rs3]};
  bool f_written = true;  // false for the ops that write an integer register
  uint64_t fres = 0;
  uint64_t xres = 0;
  auto s32 = [&fres](sf::F32 v) { fres = sf::box32(v); };
  auto s64 = [&fres](sf::F64 v) { fres = v.v; };
  auto x = [&xres, &f_written](uint64_t v) {
    xres = v;
    f_written = false;
  };
  switch (op) {
    case Op::FmaddS: s32(sf::fmadd(a32, b32, c32, st)); break;
    case Op::FmsubS: s32(sf::fmsub(a32, b32, c32, st)); break;
    case Op::FnmsubS: s32(sf::fnmsub(a32, b32, c32, st)); break;
    case Op::FnmaddS: s32(sf::fnmadd(a32, b32, c32, st)); break;
    case Op::FaddS: s32(sf::add(a32, b32, st)); break;
    case Op::FsubS: s32(sf::sub(a32, b32, st)); break;
    case Op::FmulS: s32(sf::mul(a32, b32, st)); break;
    case Op::FdivS: s32(sf::div(a32, b32, st)); break;
    case Op::FsqrtS: s32(sf::sqrt(a32, st)); break;
    case Op::FsgnjS: s32(sf::fsgnj(a32, b32)); break;
    case Op::FsgnjnS: s32(sf::fsgnjn(a32, b32)); break;
    case Op::FsgnjxS: s32(sf::fsgnjx(a32, b32)); break;
    case Op::FminS: s32(sf::min(a32, b32, st)); break;
    case Op::FmaxS: s32(sf::max(a32, b32, st)); break;
    case Op::FcvtWS: x(sext32(static_cast<uint32_t>(sf::f32_to_i32(a32, st)))); break;
    case Op::FcvtWuS: x(sext32(sf::f32_to_u32(a32, st))); break;
    case Op::FcvtLS: x(static_cast<uint64_t>(sf::f32_to_i64(a32, st))); break;
    case Op::FcvtLuS: x(sf::f32_to_u64(a32, st)); break;
    case Op::FcvtSW: s32(sf::i32_to_f32(static_cast<int32_t>(X[rs1]), st)); break;
    case Op::FcvtSWu: s32(sf::u32_to_f32(static_cast<uint32_t>(X[rs1]), st)); break;
    case Op::FcvtSL: s32(sf::i64_to_f32(static_cast<int64_t>(X[rs1]), st)); break;
    case Op::FcvtSLu: s32(sf::u64_to_f32(X[rs1], st)); break;
    case Op::FmvXW: x(sext32(F[rs1])); break;  // the raw low 32 bits, boxed or not
    case Op::FmvWX: s32(sf::F32{static_cast<uint32_t>(X[rs1])}); break;
    case Op::FeqS: x(sf::feq(a32, b32, st)); break;
    case Op::FltS: x(sf::flt(a32, b32, st)); break;
    case Op::FleS: x(sf::fle(a32, b32, st)); break;
    case Op::FclassS: x(sf::fclass(a32)); break;

    case Op::FmaddD: s64(sf::fmadd(a64, b64, c64, st)); break;
    case Op::FmsubD: s64(sf::fmsub(a64, b64, c64, st)); break;
    case Op::FnmsubD: s64(sf::fnmsub(a64, b64, c64, st)); break;
    case Op::FnmaddD: s64(sf::fnmadd(a64, b64, c64, st)); break;
    case Op::FaddD: s64(sf::add(a64, b64, st)); break;
    case Op::FsubD: s64(sf::sub(a64, b64, st)); break;
    case Op::FmulD: s64(sf::mul(a64, b64, st)); break;
    case Op::FdivD: s64(sf::div(a64, b64, st)); break;
    case Op::FsqrtD: s64(sf::sqrt(a64, st)); break;
    case Op::FsgnjD: s64(sf::fsgnj(a64, b64)); break;
    case Op::FsgnjnD: s64(sf::fsgnjn(a64, b64)); break;
    case Op::FsgnjxD: s64(sf::fsgnjx(a64, b64)); break;
    case Op::FminD: s64(sf::min(a64, b64, st)); break;
    case Op::FmaxD: s64(sf::max(a64, b64, st)); break;
    case Op::FcvtWD: x(sext32(static_cast<uint32_t>(sf::f64_to_i32(a64, st)))); break;
    case Op::FcvtWuD: x(sext32(sf::f64_to_u32(a64, st))); break;
    case Op::FcvtLD: x(static_cast<uint64_t>(sf::f64_to_i64(a64, st))); break;
    case Op::FcvtLuD: x(sf::f64_to_u64(a64, st)); break;
    case Op::FcvtDW: s64(sf::i32_to_f64(static_cast<int32_t>(X[rs1]), st)); break;
    case Op::FcvtDWu: s64(sf::u32_to_f64(static_cast<uint32_t>(X[rs1]), st)); break;
    case Op::FcvtDL: s64(sf::i64_to_f64(static_cast<int64_t>(X[rs1]), st)); break;
    case Op::FcvtDLu: s64(sf::u64_to_f64(X[rs1], st)); break;
    case Op::FmvXD: x(F[rs1]); break;
    case Op::FmvDX: s64(sf::F64{X[rs1]}); break;
    case Op::FeqD: x(sf::feq(a64, b64, st)); break;
    case Op::FltD: x(sf::flt(a64, b64, st)); break;
    case Op::FleD: x(sf::fle(a64, b64, st)); break;
    case Op::FclassD: x(sf::fclass(a64)); break;
    case Op::FcvtSD: s32(sf::f64_to_f32(a64, st)); break;
    case Op::FcvtDS: s64(sf::f32_to_f64(a32, st)); break;
    default:
      // Not an FP computation (loads and stores are the interpreter's): a programmer mistake,
      // but the guest only ever sees an illegal instruction.
      h.raise_exception(kExcIllegalInsn, raw);
      return true;
  }
  if (f_written) {
    F[rd] = fres;
  } else {
    X[rd] = xres;
  }
  h.fcsr_ |= st.flags;
  if (f_written || st.flags != 0) h.mstatus_ |= kMstatusFS | kMstatusSD;
  return false;
}

}  // namespace glassvm
