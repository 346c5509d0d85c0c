// Integer-only IEEE 754 binary32/binary64 arithmetic with RISC-V's choices (unprivileged spec,
// "F" and "D" chapters), for the F and D extensions.
//
// Design note: the emulator must give the same bits natively and in WebAssembly, and wasm has
// only round-to-nearest-even, no exception flags and host-dependent NaN bits. So no result here
// goes through host floating point: values are raw bit patterns, and every operation is integer
// arithmetic on significands (64-bit for binary32, unsigned __int128 for binary64) ending in one
// rounding routine (softfloat_internal.h). Berkeley SoftFloat's algorithms are the reference;
// this is an independent implementation. RISC-V specifics, all applied here:
//   - NaN results are always the canonical NaN (never a propagated payload), spec "NaN
//     Generation and Propagation";
//   - tininess is detected after rounding, and UF is raised only for a tiny inexact result;
//   - conversions to integers saturate, NaN converting to the largest positive integer;
//   - fused multiply-add raises NV for inf*0 even when the addend is a quiet NaN.
// Every operation takes a Status: the rounding mode it uses (already resolved from the
// instruction's rm or frm) and the fflags it ORs its exceptions into.
#pragma once

#include <cstdint>

namespace glassvm::sf {

/// A binary32 value as its raw bits.
struct F32 {
  uint32_t v = 0;
  friend constexpr bool operator==(F32, F32) = default;
};
/// A binary64 value as its raw bits.
struct F64 {
  uint64_t v = 0;
  friend constexpr bool operator==(F64, F64) = default;
};

/// Rounding modes, numbered as the rm field and frm CSR encode them (spec Table "Rounding mode
/// encoding"); 5 and 6 are reserved and 7 (DYN) is resolved by the caller.
enum class Rounding : uint8_t {
  kRne = 0,  ///< to nearest, ties to even
  kRtz = 1,  ///< towards zero
  kRdn = 2,  ///< down (towards -inf)
  kRup = 3,  ///< up (towards +inf)
  kRmm = 4,  ///< to nearest, ties to max magnitude
};

/// Exception flags as the fflags CSR lays them out.
inline constexpr uint32_t kNx = 1u << 0;  ///< inexact
inline constexpr uint32_t kUf = 1u << 1;  ///< underflow
inline constexpr uint32_t kOf = 1u << 2;  ///< overflow
inline constexpr uint32_t kDz = 1u << 3;  ///< divide by zero
inline constexpr uint32_t kNv = 1u << 4;  ///< invalid operation

/// The canonical quiet NaNs, the only NaNs RISC-V arithmetic produces.
inline constexpr F32 kCanonicalNan32{0x7fc00000u};
inline constexpr F64 kCanonicalNan64{0x7ff8000000000000ull};

/// The environment of one operation: the rounding mode in, the accumulated flags out. Operations
/// only OR bits into `flags`; the caller clears it or merges it into fflags.
struct Status {
  Rounding rm = Rounding::kRne;
  uint32_t flags = 0;
};

// ---- Arithmetic: correctly rounded in st.rm, flags per IEEE 754; NaN results canonical. ----

/// a + b.
F32 add(F32 a, F32 b, Status& st);
/// a + b.
F64 add(F64 a, F64 b, Status& st);
/// a - b.
F32 sub(F32 a, F32 b, Status& st);
/// a - b.
F64 sub(F64 a, F64 b, Status& st);
/// a * b.
F32 mul(F32 a, F32 b, Status& st);
/// a * b.
F64 mul(F64 a, F64 b, Status& st);
/// a / b; finite nonzero / 0 is a signed inf with DZ, 0/0 and inf/inf are NV.
F32 div(F32 a, F32 b, Status& st);
/// a / b; finite nonzero / 0 is a signed inf with DZ, 0/0 and inf/inf are NV.
F64 div(F64 a, F64 b, Status& st);
/// Square root; sqrt(-0) = -0, any other negative (including -inf) is NV.
F32 sqrt(F32 a, Status& st);
/// Square root; sqrt(-0) = -0, any other negative (including -inf) is NV.
F64 sqrt(F64 a, Status& st);

/// FMADD: a*b + c with one rounding. NV for inf*0 (whatever c is, even a quiet NaN) and for
/// inf - inf.
F32 fmadd(F32 a, F32 b, F32 c, Status& st);
/// FMADD: a*b + c with one rounding (see the F32 overload).
F64 fmadd(F64 a, F64 b, F64 c, Status& st);
/// FMSUB: a*b - c with one rounding.
F32 fmsub(F32 a, F32 b, F32 c, Status& st);
/// FMSUB: a*b - c with one rounding.
F64 fmsub(F64 a, F64 b, F64 c, Status& st);
/// FNMSUB: -(a*b) + c with one rounding.
F32 fnmsub(F32 a, F32 b, F32 c, Status& st);
/// FNMSUB: -(a*b) + c with one rounding.
F64 fnmsub(F64 a, F64 b, F64 c, Status& st);
/// FNMADD: -(a*b) - c with one rounding.
F32 fnmadd(F32 a, F32 b, F32 c, Status& st);
/// FNMADD: -(a*b) - c with one rounding.
F64 fnmadd(F64 a, F64 b, F64 c, Status& st);

// ---- Min/max, comparisons, classification (no rounding; st.rm is ignored). ----

/// FMIN (spec 2.2+): the smaller, -0 < +0; one NaN gives the other operand, two give the
/// canonical NaN; NV if either is a signaling NaN.
F32 min(F32 a, F32 b, Status& st);
/// FMIN, binary64.
F64 min(F64 a, F64 b, Status& st);
/// FMAX: the larger, otherwise as min.
F32 max(F32 a, F32 b, Status& st);
/// FMAX, binary64.
F64 max(F64 a, F64 b, Status& st);
/// FEQ: quiet comparison; false with a NaN, NV only for a signaling NaN. +0 == -0.
bool feq(F32 a, F32 b, Status& st);
/// FEQ, binary64.
bool feq(F64 a, F64 b, Status& st);
/// FLT: signaling comparison; false and NV if either is any NaN.
bool flt(F32 a, F32 b, Status& st);
/// FLT, binary64.
bool flt(F64 a, F64 b, Status& st);
/// FLE: signaling comparison; false and NV if either is any NaN.
bool fle(F32 a, F32 b, Status& st);
/// FLE, binary64.
bool fle(F64 a, F64 b, Status& st);
/// FCLASS: exactly one bit of the 10-bit mask: 0 -inf, 1 negative normal, 2 negative subnormal,
/// 3 -0, 4 +0, 5 positive subnormal, 6 positive normal, 7 +inf, 8 signaling NaN, 9 quiet NaN.
uint32_t fclass(F32 a);
/// FCLASS, binary64.
uint32_t fclass(F64 a);

// ---- Conversions: rounded in st.rm. ----

/// FCVT.D.S: exact; a NaN becomes the canonical NaN (NV if it was signaling).
F64 f32_to_f64(F32 a, Status& st);
/// FCVT.S.D: rounded; a NaN becomes the canonical NaN (NV if it was signaling).
F32 f64_to_f32(F64 a, Status& st);

// Float to integer (FCVT.W/WU/L/LU.S/D): rounded in st.rm, NX if inexact. Out of range after
// rounding, infinite or NaN gives NV (and not NX) and the spec's saturated value: the most
// negative for negative inputs and -inf, the most positive for positive inputs, +inf and NaN.
// A negative value rounding to 0 converts to unsigned 0 (NX only). RV64 sign-extends the
// 32-bit results, WU included (alu::sext32), which the caller does.

/// FCVT.W.S.
int32_t f32_to_i32(F32 a, Status& st);
/// FCVT.WU.S.
uint32_t f32_to_u32(F32 a, Status& st);
/// FCVT.L.S.
int64_t f32_to_i64(F32 a, Status& st);
/// FCVT.LU.S.
uint64_t f32_to_u64(F32 a, Status& st);
/// FCVT.W.D.
int32_t f64_to_i32(F64 a, Status& st);
/// FCVT.WU.D.
uint32_t f64_to_u32(F64 a, Status& st);
/// FCVT.L.D.
int64_t f64_to_i64(F64 a, Status& st);
/// FCVT.LU.D.
uint64_t f64_to_u64(F64 a, Status& st);

// Integer to float (FCVT.S/D.W/WU/L/LU): rounded in st.rm, NX if inexact; +0 for 0.

/// FCVT.S.W.
F32 i32_to_f32(int32_t a, Status& st);
/// FCVT.S.WU.
F32 u32_to_f32(uint32_t a, Status& st);
/// FCVT.S.L.
F32 i64_to_f32(int64_t a, Status& st);
/// FCVT.S.LU.
F32 u64_to_f32(uint64_t a, Status& st);
/// FCVT.D.W (always exact).
F64 i32_to_f64(int32_t a, Status& st);
/// FCVT.D.WU (always exact).
F64 u32_to_f64(uint32_t a, Status& st);
/// FCVT.D.L.
F64 i64_to_f64(int64_t a, Status& st);
/// FCVT.D.LU.
F64 u64_to_f64(uint64_t a, Status& st);

// ---- Sign injection (FSGNJ/FSGNJN/FSGNJX): pure bit operations, NaNs included, no flags. ----

/// FSGNJ: a's magnitude with b's sign.
constexpr F32 fsgnj(F32 a, F32 b) {
  return F32{(a.v & 0x7fffffffu) | (b.v & 0x80000000u)};
}
/// FSGNJN: a's magnitude with the opposite of b's sign (FNEG when a == b).
constexpr F32 fsgnjn(F32 a, F32 b) {
  return F32{(a.v & 0x7fffffffu) | (~b.v & 0x80000000u)};
}
/// FSGNJX: a with its sign XORed with b's (FABS when a == b).
constexpr F32 fsgnjx(F32 a, F32 b) {
  return F32{a.v ^ (b.v & 0x80000000u)};
}
/// FSGNJ.D.
constexpr F64 fsgnj(F64 a, F64 b) {
  return F64{(a.v & ~(1ull << 63)) | (b.v & (1ull << 63))};
}
/// FSGNJN.D.
constexpr F64 fsgnjn(F64 a, F64 b) {
  return F64{(a.v & ~(1ull << 63)) | (~b.v & (1ull << 63))};
}
/// FSGNJX.D.
constexpr F64 fsgnjx(F64 a, F64 b) {
  return F64{a.v ^ (b.v & (1ull << 63))};
}

// ---- NaN boxing (spec "NaN Boxing of Narrower Values"). ----

/// The 64-bit f register image of a binary32 value: the upper 32 bits all ones.
constexpr uint64_t box32(F32 a) {
  return 0xffffffff00000000ull | a.v;
}
/// The binary32 value an f register holds: its low 32 bits if properly boxed (upper 32 bits all
/// ones), otherwise the canonical NaN, as every F instruction that reads a register must see it.
constexpr F32 unbox32(uint64_t reg) {
  return (reg >> 32) == 0xffffffffu ? F32{static_cast<uint32_t>(reg)} : kCanonicalNan32;
}

/// True for any NaN.
constexpr bool is_nan(F32 a) {
  return (a.v & 0x7fffffffu) > 0x7f800000u;
}
/// True for any NaN.
constexpr bool is_nan(F64 a) {
  return (a.v & ~(1ull << 63)) > 0x7ff0000000000000ull;
}
/// True for a signaling NaN (quiet bit, the fraction's top bit, clear).
constexpr bool is_snan(F32 a) {
  return is_nan(a) && !(a.v & 0x00400000u);
}
/// True for a signaling NaN (quiet bit, the fraction's top bit, clear).
constexpr bool is_snan(F64 a) {
  return is_nan(a) && !(a.v & 0x0008000000000000ull);
}

}  // namespace glassvm::sf
