// The soft-float library against (1) pinned vectors for the corners where the host cannot be the
// reference (RMM, NaN bits, RISC-V's conversion and min/max rules, the FMA invalid rule) and
// (2) the host FPU, differentially, on random operands in the four modes x86-64 SSE implements
// (RNE, RTZ, RDN, RUP), values and all five flags. SSE detects tininess after rounding, as
// RISC-V does, so the host's UF is a valid reference. Host NaN bits are not (x86 makes a
// negative default NaN and propagates payloads): there the test asks only for our canonical NaN.
//
// This file is compiled with -ffp-contract=off and -frounding-math (tests/CMakeLists.txt), and
// every host operation reads its operands through volatile, so nothing is folded or fused.
#include "engine/cpu/softfloat.h"

#include <gtest/gtest.h>

#include <bit>
#include <cfenv>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <random>

namespace glassvm::sf {
namespace {

constexpr Rounding kRne = Rounding::kRne;
constexpr Rounding kRtz = Rounding::kRtz;
constexpr Rounding kRdn = Rounding::kRdn;
constexpr Rounding kRup = Rounding::kRup;
constexpr Rounding kRmm = Rounding::kRmm;

F32 f(float v) {
  return F32{std::bit_cast<uint32_t>(v)};
}
F64 d(double v) {
  return F64{std::bit_cast<uint64_t>(v)};
}
constexpr F32 kSnan32{0x7f800001u};
constexpr F32 kQnan32{0x7fc12345u};  // a quiet NaN with a payload
constexpr F64 kSnan64{0x7ff0000000000001ull};
constexpr F64 kQnan64{0x7ff8000000012345ull};
constexpr F32 kInf32{0x7f800000u};
constexpr F64 kInf64{0x7ff0000000000000ull};
constexpr F32 kMax32{0x7f7fffffu};
constexpr F64 kMax64{0x7fefffffffffffffull};
constexpr F32 kMinSub32{0x00000001u};
constexpr F64 kMinSub64{0x0000000000000001ull};

/// Runs op with mode rm from clear flags; returns the result, storing the flags in *flags.
template <class Op>
auto run(Rounding rm, uint32_t* flags, Op op) {
  Status st{rm, 0};
  auto r = op(st);
  *flags = st.flags;
  return r;
}

#define EXPECT_OP(rm, expr, want, want_flags)                           \
  do {                                                                  \
    uint32_t fl_;                                                       \
    const auto r_ = run(rm, &fl_, [&](Status& st) { return (expr); });  \
    EXPECT_EQ(r_, (want)) << #expr << " rm=" << int(rm);                \
    EXPECT_EQ(fl_, uint32_t(want_flags)) << #expr << " rm=" << int(rm); \
  } while (0)

// ---------------------------------------------------------------------------------------------
// Pinned vectors.

TEST(SoftFloatPinned, SignedZerosFromAddition) {
  // x + (-x) is +0, except -0 when rounding down (IEEE 754 6.3); -0 + -0 = -0 in every mode.
  for (Rounding rm : {kRne, kRtz, kRup, kRmm}) {
    EXPECT_OP(rm, add(f(1.5f), f(-1.5f), st), f(0.0f), 0);
    EXPECT_OP(rm, add(d(0.0), d(-0.0), st), d(0.0), 0);
    EXPECT_OP(rm, sub(d(2.0), d(2.0), st), d(0.0), 0);
  }
  EXPECT_OP(kRdn, add(f(1.5f), f(-1.5f), st), f(-0.0f), 0);
  EXPECT_OP(kRdn, add(d(0.0), d(-0.0), st), d(-0.0), 0);
  EXPECT_OP(kRdn, sub(d(2.0), d(2.0), st), d(-0.0), 0);
  for (Rounding rm : {kRne, kRtz, kRdn, kRup, kRmm}) {
    EXPECT_OP(rm, add(f(-0.0f), f(-0.0f), st), f(-0.0f), 0);
    EXPECT_OP(rm, sub(d(-0.0), d(0.0), st), d(-0.0), 0);
    EXPECT_OP(rm, add(d(-0.0), d(5.0), st), d(5.0), 0);
    EXPECT_OP(rm, mul(f(-0.0f), f(3.0f), st), f(-0.0f), 0);
  }
}

TEST(SoftFloatPinned, HalfwayCasesInEveryMode) {
  // 1 + 2^-24 is exactly halfway between 1 and 1 + 2^-23 in binary32.
  const F32 one = f(1.0f), half_ulp = f(0x1p-24f);
  EXPECT_OP(kRne, add(one, half_ulp, st), f(1.0f), kNx);
  EXPECT_OP(kRtz, add(one, half_ulp, st), f(1.0f), kNx);
  EXPECT_OP(kRdn, add(one, half_ulp, st), f(1.0f), kNx);
  EXPECT_OP(kRup, add(one, half_ulp, st), f(0x1.000002p0f), kNx);
  EXPECT_OP(kRmm, add(one, half_ulp, st), f(0x1.000002p0f), kNx);
  // Negative: magnitude rules mirror, RDN/RUP swap.
  EXPECT_OP(kRne, sub(f(-1.0f), half_ulp, st), f(-1.0f), kNx);
  EXPECT_OP(kRmm, sub(f(-1.0f), half_ulp, st), f(-0x1.000002p0f), kNx);
  EXPECT_OP(kRdn, sub(f(-1.0f), half_ulp, st), f(-0x1.000002p0f), kNx);
  EXPECT_OP(kRup, sub(f(-1.0f), half_ulp, st), f(-1.0f), kNx);
  // Halfway with an odd lower neighbour: RNE goes up, like RMM.
  EXPECT_OP(kRne, add(f(0x1.000002p0f), half_ulp, st), f(0x1.000004p0f), kNx);
  EXPECT_OP(kRmm, add(f(0x1.000002p0f), half_ulp, st), f(0x1.000004p0f), kNx);
  EXPECT_OP(kRtz, add(f(0x1.000002p0f), half_ulp, st), f(0x1.000002p0f), kNx);
  // binary64: 1 + 2^-53.
  EXPECT_OP(kRne, add(d(1.0), d(0x1p-53), st), d(1.0), kNx);
  EXPECT_OP(kRmm, add(d(1.0), d(0x1p-53), st), d(0x1.0000000000001p0), kNx);
  EXPECT_OP(kRup, add(d(1.0), d(0x1p-53), st), d(0x1.0000000000001p0), kNx);
  EXPECT_OP(kRmm, mul(d(-0x1.0000000000001p0), d(0x1.8p0), st), d(-0x1.8000000000002p0),
            kNx);  // 1.5 + 1.5*2^-52: halfway, away from zero
  EXPECT_OP(kRne, mul(d(-0x1.0000000000001p0), d(0x1.8p0), st), d(-0x1.8000000000002p0), kNx);
  EXPECT_OP(kRtz, mul(d(-0x1.0000000000001p0), d(0x1.8p0), st), d(-0x1.8000000000001p0), kNx);
  // Just below halfway (a sticky bit below): RMM stays down.
  EXPECT_OP(kRmm, add(one, f(0x1.fffffep-25f), st), f(1.0f), kNx);
}

TEST(SoftFloatPinned, OverflowPerMode) {
  // Inf or the largest finite value, by mode and sign (IEEE 754 7.4); always OF|NX.
  const uint32_t of = kOf | kNx;
  EXPECT_OP(kRne, mul(kMax32, f(2.0f), st), kInf32, of);
  EXPECT_OP(kRmm, mul(kMax32, f(2.0f), st), kInf32, of);
  EXPECT_OP(kRtz, mul(kMax32, f(2.0f), st), kMax32, of);
  EXPECT_OP(kRdn, mul(kMax32, f(2.0f), st), kMax32, of);
  EXPECT_OP(kRup, mul(kMax32, f(2.0f), st), kInf32, of);
  EXPECT_OP(kRne, mul(kMax64, d(-2.0), st), fsgnjn(kInf64, kInf64), of);
  EXPECT_OP(kRtz, mul(kMax64, d(-2.0), st), fsgnjn(kMax64, kMax64), of);
  EXPECT_OP(kRdn, mul(kMax64, d(-2.0), st), fsgnjn(kInf64, kInf64), of);
  EXPECT_OP(kRup, mul(kMax64, d(-2.0), st), fsgnjn(kMax64, kMax64), of);
  EXPECT_OP(kRmm, mul(kMax64, d(-2.0), st), fsgnjn(kInf64, kInf64), of);
  // Max + half an ulp: RNE ties to even, which is the overflow side (the next value, 2^128).
  EXPECT_OP(kRne, add(kMax32, f(0x1p103f), st), kInf32, of);
  EXPECT_OP(kRtz, add(kMax32, f(0x1p103f), st), kMax32, kNx);
  // Just under that: rounds back to max, only NX.
  EXPECT_OP(kRne, add(kMax32, f(0x1.fffffep102f), st), kMax32, kNx);
  EXPECT_OP(kRup, add(kMax32, f(0x1p80f), st), kInf32, of);
  // Inf arithmetic is exact: no flags.
  EXPECT_OP(kRne, add(kInf32, kMax32, st), kInf32, 0);
}

TEST(SoftFloatPinned, SubnormalsAndUnderflow) {
  // Exact subnormal results raise nothing.
  EXPECT_OP(kRne, mul(f(0x1p-126f), f(0.5f), st), f(0x1p-127f), 0);
  EXPECT_OP(kRne, sub(f(0x1p-126f), f(0x1.000002p-126f), st), F32{0x80000001u}, 0);
  // 2^-150: halfway between 0 and the smallest subnormal.
  EXPECT_OP(kRne, mul(kMinSub32, f(0.5f), st), f(0.0f), kUf | kNx);
  EXPECT_OP(kRtz, mul(kMinSub32, f(0.5f), st), f(0.0f), kUf | kNx);
  EXPECT_OP(kRdn, mul(kMinSub32, f(0.5f), st), f(0.0f), kUf | kNx);
  EXPECT_OP(kRup, mul(kMinSub32, f(0.5f), st), kMinSub32, kUf | kNx);
  EXPECT_OP(kRmm, mul(kMinSub32, f(0.5f), st), kMinSub32, kUf | kNx);
  EXPECT_OP(kRdn, mul(kMinSub32, f(-0.5f), st), F32{0x80000001u}, kUf | kNx);
  EXPECT_OP(kRmm, mul(kMinSub64, d(-0.5), st), F64{0x8000000000000001ull}, kUf | kNx);
  EXPECT_OP(kRne, mul(kMinSub64, d(0.75), st), kMinSub64, kUf | kNx);
  EXPECT_OP(kRne, div(kMinSub64, d(4.0), st), d(0.0), kUf | kNx);
  // (1 - 2^-24) * 2^-126 = 2^-126 - 2^-150: with an unbounded exponent it is exact and below
  // 2^-126, so tiny; as a subnormal it is halfway and rounds (to even) up to 2^-126. UF|NX.
  EXPECT_OP(kRne, mul(f(0x1.fffffep-1f), f(0x1p-126f), st), f(0x1p-126f), kUf | kNx);
  // 2^-126 * (1 - 2^-29) rounds to 2^-126 even with an unbounded exponent: not tiny, no UF
  // (tininess after rounding). Rounding down, it is tiny: UF.
  const F64 below = d(0x1.ffffffp-127);  // 2^-126 - 2^-151: 25 ones
  EXPECT_OP(kRne, f64_to_f32(d(0x1.fffffffp-127), st), f(0x1p-126f), kNx);
  EXPECT_OP(kRup, f64_to_f32(d(0x1.fffffffp-127), st), f(0x1p-126f), kNx);
  EXPECT_OP(kRtz, f64_to_f32(d(0x1.fffffffp-127), st), f(0x1.fffffcp-127f), kUf | kNx);
  EXPECT_OP(kRdn, f64_to_f32(d(0x1.fffffffp-127), st), f(0x1.fffffcp-127f), kUf | kNx);
  // 2^-126 - 2^-151 is halfway for 24 bits: RNE rounds up to 2^-126 (not tiny), RMM too.
  EXPECT_OP(kRne, f64_to_f32(below, st), f(0x1p-126f), kNx);
  EXPECT_OP(kRmm, f64_to_f32(below, st), f(0x1p-126f), kNx);
  // binary64: 2^-1022 - 2^-1076 (a 54-bit halfway) from an FMA: not tiny after rounding in RNE.
  EXPECT_OP(kRne, fnmsub(d(0x1p-538), d(0x1p-538), d(0x1p-1022), st), d(0x1p-1022), kNx);
  EXPECT_OP(kRtz, fnmsub(d(0x1p-538), d(0x1p-538), d(0x1p-1022), st), d(0x0.fffffffffffffp-1022),
            kUf | kNx);
  // 2^-1022 - 2^-1075 has 53 bits: exact with an unbounded exponent, so tiny; UF|NX even though
  // the subnormal rounding (to even) gives 2^-1022.
  EXPECT_OP(kRne, fnmsub(d(0x1p-538), d(0x1p-537), d(0x1p-1022), st), d(0x1p-1022), kUf | kNx);
  // Subnormal inputs are exact operands.
  EXPECT_OP(kRne, add(kMinSub32, kMinSub32, st), F32{2}, 0);
  EXPECT_OP(kRne, mul(kMinSub64, d(0x1p1023), st), d(0x1p-51), 0);
  EXPECT_OP(kRne, f32_to_f64(kMinSub32, st), d(0x1p-149), 0);
  EXPECT_OP(kRne, f64_to_f32(kMinSub64, st), f(0.0f), kUf | kNx);
  EXPECT_OP(kRup, f64_to_f32(kMinSub64, st), kMinSub32, kUf | kNx);
  EXPECT_OP(kRne, sqrt(kMinSub32, st), f(0x1.6a09e6p-75f), kNx);
  EXPECT_OP(kRne, sqrt(kMinSub64, st), d(0x1p-537), 0);
}

TEST(SoftFloatPinned, InvalidAndDivideByZero) {
  const F32 nan32 = kCanonicalNan32;
  const F64 nan64 = kCanonicalNan64;
  EXPECT_OP(kRne, add(kInf32, fsgnjn(kInf32, kInf32), st), nan32, kNv);
  EXPECT_OP(kRne, sub(kInf64, kInf64, st), nan64, kNv);
  EXPECT_OP(kRne, mul(f(0.0f), kInf32, st), nan32, kNv);
  EXPECT_OP(kRne, mul(kInf64, d(-0.0), st), nan64, kNv);
  EXPECT_OP(kRne, div(f(0.0f), f(-0.0f), st), nan32, kNv);
  EXPECT_OP(kRne, div(kInf64, kInf64, st), nan64, kNv);
  EXPECT_OP(kRne, div(f(1.0f), f(0.0f), st), kInf32, kDz);
  EXPECT_OP(kRne, div(f(-1.0f), f(0.0f), st), fsgnjn(kInf32, kInf32), kDz);
  EXPECT_OP(kRne, div(d(1.0), d(-0.0), st), fsgnjn(kInf64, kInf64), kDz);
  EXPECT_OP(kRne, div(kMinSub64, d(0.0), st), kInf64, kDz);
  EXPECT_OP(kRne, div(kInf64, d(0.0), st), kInf64, 0);  // inf / 0 is exact inf
  EXPECT_OP(kRne, div(d(0.0), kInf64, st), d(0.0), 0);
  EXPECT_OP(kRne, div(d(-3.0), kInf64, st), d(-0.0), 0);
  // sqrt: -0 -> -0 exactly; any negative, -inf and the smallest negative subnormal too, is NV.
  EXPECT_OP(kRne, sqrt(f(-0.0f), st), f(-0.0f), 0);
  EXPECT_OP(kRne, sqrt(d(-0.0), st), d(-0.0), 0);
  EXPECT_OP(kRne, sqrt(f(-1.0f), st), nan32, kNv);
  EXPECT_OP(kRne, sqrt(F64{0x8000000000000001ull}, st), nan64, kNv);
  EXPECT_OP(kRne, sqrt(fsgnjn(kInf64, kInf64), st), nan64, kNv);
  EXPECT_OP(kRne, sqrt(kInf64, st), kInf64, 0);
  EXPECT_OP(kRne, sqrt(d(4.0), st), d(2.0), 0);
  EXPECT_OP(kRdn, sqrt(d(2.0), st), d(0x1.6a09e667f3bccp0), kNx);
  EXPECT_OP(kRup, sqrt(d(2.0), st), d(0x1.6a09e667f3bcdp0), kNx);
  EXPECT_OP(kRmm, sqrt(f(2.0f), st), f(0x1.6a09e6p0f), kNx);
}

TEST(SoftFloatPinned, NaNInputsGiveCanonicalNaN) {
  // Quiet NaN in: canonical out, no flag. Signaling in: canonical out, NV. Payloads never
  // propagate, and the sign of a NaN never either.
  for (Rounding rm : {kRne, kRmm}) {
    EXPECT_OP(rm, add(kQnan32, f(1.0f), st), kCanonicalNan32, 0);
    EXPECT_OP(rm, add(f(1.0f), kSnan32, st), kCanonicalNan32, kNv);
    EXPECT_OP(rm, mul(fsgnjn(kQnan64, kQnan64), d(1.0), st), kCanonicalNan64, 0);
    EXPECT_OP(rm, div(kSnan64, kQnan64, st), kCanonicalNan64, kNv);
    EXPECT_OP(rm, sqrt(kSnan32, st), kCanonicalNan32, kNv);
    EXPECT_OP(rm, sqrt(kQnan64, st), kCanonicalNan64, 0);
    EXPECT_OP(rm, fmadd(kQnan32, f(1.0f), f(1.0f), st), kCanonicalNan32, 0);
    EXPECT_OP(rm, fnmadd(f(1.0f), f(1.0f), kSnan32, st), kCanonicalNan32, kNv);
    EXPECT_OP(rm, f32_to_f64(kSnan32, st), kCanonicalNan64, kNv);
    EXPECT_OP(rm, f32_to_f64(kQnan32, st), kCanonicalNan64, 0);
    EXPECT_OP(rm, f64_to_f32(kSnan64, st), kCanonicalNan32, kNv);
    EXPECT_OP(rm, f64_to_f32(fsgnjn(kQnan64, kQnan64), st), kCanonicalNan32, 0);
  }
  // The NaN from a negated FMA is still the positive canonical NaN.
  EXPECT_OP(kRne, fnmadd(kInf64, d(0.0), d(1.0), st), kCanonicalNan64, kNv);
}

TEST(SoftFloatPinned, FusedMultiplyAdd) {
  // RISC-V: inf * 0 + qNaN raises NV (IEEE 754 leaves it to the implementation).
  EXPECT_OP(kRne, fmadd(kInf32, f(0.0f), kQnan32, st), kCanonicalNan32, kNv);
  EXPECT_OP(kRne, fmadd(d(-0.0), kInf64, kQnan64, st), kCanonicalNan64, kNv);
  EXPECT_OP(kRne, fmadd(kInf32, f(0.0f), f(1.0f), st), kCanonicalNan32, kNv);
  // inf * x - inf is inf - inf.
  EXPECT_OP(kRne, fmsub(kInf64, d(2.0), kInf64, st), kCanonicalNan64, kNv);
  EXPECT_OP(kRne, fmadd(kInf64, d(2.0), kInf64, st), kInf64, 0);
  EXPECT_OP(kRne, fnmadd(kInf64, d(2.0), kInf64, st), fsgnjn(kInf64, kInf64), 0);
  EXPECT_OP(kRne, fmadd(d(2.0), d(3.0), fsgnjn(kInf64, kInf64), st), fsgnjn(kInf64, kInf64), 0);
  // One rounding: (1 + 2^-23)(1 - 2^-23) - 1 = -2^-46 exactly; two roundings would give 0.
  EXPECT_OP(kRne, fmadd(f(0x1.000002p0f), f(0x1.fffffcp-1f), f(-1.0f), st), f(-0x1p-46f), 0);
  EXPECT_OP(kRne, fmadd(d(0x1.0000000000001p0), d(0x1.ffffffffffffep-1), d(-1.0), st), d(-0x1p-104),
            0);
  // The four sign variants: a*b+c, a*b-c, -(a*b)+c, -(a*b)-c.
  EXPECT_OP(kRne, fmadd(d(2.0), d(3.0), d(1.0), st), d(7.0), 0);
  EXPECT_OP(kRne, fmsub(d(2.0), d(3.0), d(1.0), st), d(5.0), 0);
  EXPECT_OP(kRne, fnmsub(d(2.0), d(3.0), d(1.0), st), d(-5.0), 0);
  EXPECT_OP(kRne, fnmadd(d(2.0), d(3.0), d(1.0), st), d(-7.0), 0);
  EXPECT_OP(kRne, fnmadd(f(2.0f), f(3.0f), f(1.0f), st), f(-7.0f), 0);
  // Zero signs: exact zero sum is +0 (-0 in RDN); a zero product keeps c exactly.
  EXPECT_OP(kRne, fmadd(d(1.0), d(1.0), d(-1.0), st), d(0.0), 0);
  EXPECT_OP(kRdn, fmadd(d(1.0), d(1.0), d(-1.0), st), d(-0.0), 0);
  EXPECT_OP(kRne, fmadd(d(-0.0), d(1.0), d(-0.0), st), d(-0.0), 0);
  EXPECT_OP(kRne, fmadd(d(-0.0), d(1.0), d(0.0), st), d(0.0), 0);
  EXPECT_OP(kRdn, fmadd(d(-0.0), d(1.0), d(0.0), st), d(-0.0), 0);
  EXPECT_OP(kRne, fnmadd(f(0.0f), f(1.0f), f(0.0f), st), f(-0.0f), 0);
  EXPECT_OP(kRne, fmadd(f(0.0f), f(1.0f), kMinSub32, st), kMinSub32, 0);
  // Huge addend, tiny product: only the sticky bit of the product survives.
  EXPECT_OP(kRtz, fmadd(kMinSub64, kMinSub64, d(1.0), st), d(1.0), kNx);
  EXPECT_OP(kRup, fmadd(kMinSub64, kMinSub64, d(1.0), st), d(0x1.0000000000001p0), kNx);
  EXPECT_OP(kRdn, fmsub(kMinSub64, kMinSub64, d(1.0), st), d(-1.0), kNx);  // -(1 - tiny)
  EXPECT_OP(kRup, fmsub(kMinSub64, kMinSub64, d(1.0), st), d(-0x1.fffffffffffffp-1), kNx);
  EXPECT_OP(kRtz, fmsub(kMinSub64, kMinSub64, d(1.0), st), d(-0x1.fffffffffffffp-1), kNx);
  EXPECT_OP(kRdn, fnmadd(kMinSub64, kMinSub64, d(1.0), st), d(-0x1.0000000000001p0), kNx);
  EXPECT_OP(kRtz, fnmsub(kMinSub64, kMinSub64, d(1.0), st), d(0x1.fffffffffffffp-1), kNx);
  EXPECT_OP(kRmm, fmadd(kMinSub32, kMinSub32, f(1.0f), st), f(1.0f), kNx);
  // Product tiny and inexact on its own but the sum exact-ish: flags are of the final result.
  EXPECT_OP(kRne, fmadd(kMinSub32, f(0.5f), f(0.0f), st), f(0.0f), kUf | kNx);
  EXPECT_OP(kRmm, fmadd(kMinSub32, f(0.5f), f(0.0f), st), kMinSub32, kUf | kNx);
  // Overflowing product brought back in range by the addend is not an overflow.
  EXPECT_OP(kRne, fmadd(kMax32, f(2.0f), fsgnjn(kMax32, kMax32), st), kMax32, 0);
  EXPECT_OP(kRne, fmadd(kMax64, d(2.0), d(0.0), st), kInf64, kOf | kNx);
}

TEST(SoftFloatPinned, MinMax) {
  Status st;
  EXPECT_EQ(min(f(-0.0f), f(0.0f), st), f(-0.0f));
  EXPECT_EQ(min(f(0.0f), f(-0.0f), st), f(-0.0f));
  EXPECT_EQ(max(f(-0.0f), f(0.0f), st), f(0.0f));
  EXPECT_EQ(max(d(0.0), d(-0.0), st), d(0.0));
  EXPECT_EQ(min(d(-1.0), d(-2.0), st), d(-2.0));
  EXPECT_EQ(max(d(-1.0), d(-2.0), st), d(-1.0));
  EXPECT_EQ(min(kInf64, kMax64, st), kMax64);
  EXPECT_EQ(max(fsgnjn(kInf32, kInf32), kMinSub32, st), kMinSub32);
  EXPECT_EQ(st.flags, 0u);
  // One quiet NaN: the other operand, no flag.
  EXPECT_OP(kRne, min(kQnan32, f(3.0f), st), f(3.0f), 0);
  EXPECT_OP(kRne, max(d(-3.0), kQnan64, st), d(-3.0), 0);
  // A signaling NaN: still the other operand, but NV.
  EXPECT_OP(kRne, min(kSnan32, f(3.0f), st), f(3.0f), kNv);
  EXPECT_OP(kRne, max(d(-0.0), kSnan64, st), d(-0.0), kNv);
  // Two NaNs: canonical.
  EXPECT_OP(kRne, min(kQnan32, kQnan32, st), kCanonicalNan32, 0);
  EXPECT_OP(kRne, max(kQnan64, kSnan64, st), kCanonicalNan64, kNv);
}

TEST(SoftFloatPinned, Compare) {
  Status st;
  EXPECT_TRUE(feq(f(0.0f), f(-0.0f), st));
  EXPECT_TRUE(fle(d(-0.0), d(0.0), st));
  EXPECT_TRUE(fle(d(0.0), d(-0.0), st));
  EXPECT_FALSE(flt(d(-0.0), d(0.0), st));
  EXPECT_TRUE(flt(d(-1.0), d(-0.5), st));
  EXPECT_FALSE(flt(d(-0.5), d(-1.0), st));
  EXPECT_TRUE(flt(fsgnjn(kInf32, kInf32), f(-1e30f), st));
  EXPECT_TRUE(fle(kMinSub32, kMinSub32, st));
  EXPECT_FALSE(feq(kMinSub32, f(0.0f), st));
  EXPECT_TRUE(flt(F32{0x80000001u}, F32{0x00000000u}, st));
  EXPECT_EQ(st.flags, 0u);
  // feq is quiet: NV only for signaling NaNs.
  EXPECT_OP(kRne, feq(kQnan32, kQnan32, st), false, 0);
  EXPECT_OP(kRne, feq(kSnan64, d(1.0), st), false, kNv);
  // flt/fle signal on any NaN.
  EXPECT_OP(kRne, flt(kQnan32, f(1.0f), st), false, kNv);
  EXPECT_OP(kRne, fle(d(1.0), kQnan64, st), false, kNv);
  EXPECT_OP(kRne, fle(kSnan32, kSnan32, st), false, kNv);
}

TEST(SoftFloatPinned, Classify) {
  EXPECT_EQ(fclass(fsgnjn(kInf32, kInf32)), 1u << 0);
  EXPECT_EQ(fclass(f(-1.0f)), 1u << 1);
  EXPECT_EQ(fclass(F32{0x807fffffu}), 1u << 2);
  EXPECT_EQ(fclass(f(-0.0f)), 1u << 3);
  EXPECT_EQ(fclass(f(0.0f)), 1u << 4);
  EXPECT_EQ(fclass(kMinSub32), 1u << 5);
  EXPECT_EQ(fclass(f(0x1p-126f)), 1u << 6);
  EXPECT_EQ(fclass(kInf32), 1u << 7);
  EXPECT_EQ(fclass(kSnan32), 1u << 8);
  EXPECT_EQ(fclass(F32{0xffbfffffu}), 1u << 8);  // negative sNaN
  EXPECT_EQ(fclass(kQnan32), 1u << 9);
  EXPECT_EQ(fclass(fsgnjn(kInf64, kInf64)), 1u << 0);
  EXPECT_EQ(fclass(d(-0x1p-1022)), 1u << 1);
  EXPECT_EQ(fclass(F64{0x8000000000000001ull}), 1u << 2);
  EXPECT_EQ(fclass(d(-0.0)), 1u << 3);
  EXPECT_EQ(fclass(d(0.0)), 1u << 4);
  EXPECT_EQ(fclass(F64{0x000fffffffffffffull}), 1u << 5);
  EXPECT_EQ(fclass(kMax64), 1u << 6);
  EXPECT_EQ(fclass(kInf64), 1u << 7);
  EXPECT_EQ(fclass(kSnan64), 1u << 8);
  EXPECT_EQ(fclass(kCanonicalNan64), 1u << 9);
}

TEST(SoftFloatPinned, SignInjectionAndBoxing) {
  EXPECT_EQ(fsgnj(f(1.0f), f(-2.0f)), f(-1.0f));
  EXPECT_EQ(fsgnjn(f(1.0f), f(-2.0f)), f(1.0f));
  EXPECT_EQ(fsgnjx(f(-1.0f), f(-2.0f)), f(1.0f));
  EXPECT_EQ(fsgnj(kSnan32, f(-0.0f)), F32{0xff800001u});  // NaNs are bits here: kept as they are
  EXPECT_EQ(fsgnjn(d(-3.0), d(-3.0)), d(3.0));
  EXPECT_EQ(fsgnjx(d(-3.0), d(-3.0)), d(3.0));
  EXPECT_EQ(fsgnj(d(3.0), d(-0.0)), d(-3.0));
  EXPECT_EQ(box32(f(1.0f)), 0xffffffff3f800000ull);
  EXPECT_EQ(unbox32(0xffffffff3f800000ull), f(1.0f));
  EXPECT_EQ(unbox32(0x000000003f800000ull), kCanonicalNan32);
  EXPECT_EQ(unbox32(0xfffffffe3f800000ull), kCanonicalNan32);
  EXPECT_EQ(unbox32(d(1.0).v), kCanonicalNan32);
  EXPECT_EQ(unbox32(box32(kSnan32)), kSnan32);
}

TEST(SoftFloatPinned, FloatToFloat) {
  EXPECT_OP(kRne, f32_to_f64(f(-0x1.fffffep127f), st), d(-0x1.fffffep127), 0);
  EXPECT_OP(kRne, f32_to_f64(fsgnjn(kInf32, kInf32), st), fsgnjn(kInf64, kInf64), 0);
  EXPECT_OP(kRne, f64_to_f32(d(-0.0), st), f(-0.0f), 0);
  EXPECT_OP(kRne, f64_to_f32(kMax64, st), kInf32, kOf | kNx);
  EXPECT_OP(kRtz, f64_to_f32(kMax64, st), kMax32, kOf | kNx);
  EXPECT_OP(kRne, f64_to_f32(d(0x1.ffffffp127), st), kInf32, kOf | kNx);  // halfway to 2^128
  EXPECT_OP(kRne, f64_to_f32(d(0x1.fffffefp127), st), kMax32, kNx);
  EXPECT_OP(kRmm, f64_to_f32(d(0x1.000001p0), st), f(0x1.000002p0f), kNx);
  EXPECT_OP(kRne, f64_to_f32(d(0x1.000001p0), st), f(1.0f), kNx);
  EXPECT_OP(kRne, f64_to_f32(d(0x1.000003p0), st), f(0x1.000004p0f), kNx);
}

TEST(SoftFloatPinned, FloatToIntBoundaries) {
  // 2^31 - 0.5: halfway between 2^31-1 and 2^31; RNE/RMM/RUP round out of range (NV, no NX).
  const F64 h = d(2147483647.5);
  EXPECT_OP(kRne, f64_to_i32(h, st), INT32_MAX, kNv);
  EXPECT_OP(kRmm, f64_to_i32(h, st), INT32_MAX, kNv);
  EXPECT_OP(kRup, f64_to_i32(h, st), INT32_MAX, kNv);
  EXPECT_OP(kRtz, f64_to_i32(h, st), INT32_MAX, kNx);
  EXPECT_OP(kRdn, f64_to_i32(h, st), INT32_MAX, kNx);
  EXPECT_OP(kRne, f64_to_u32(h, st), 2147483648u, kNx);
  // -2^31 is in range; -2^31 - 0.5 rounds out of range except towards zero.
  EXPECT_OP(kRne, f64_to_i32(d(-2147483648.0), st), INT32_MIN, 0);
  EXPECT_OP(kRne, f64_to_i32(d(-2147483648.5), st), INT32_MIN, kNx);  // ties to even: -2^31
  EXPECT_OP(kRmm, f64_to_i32(d(-2147483648.5), st), INT32_MIN, kNv);
  EXPECT_OP(kRtz, f64_to_i32(d(-2147483648.5), st), INT32_MIN, kNx);
  EXPECT_OP(kRdn, f64_to_i32(d(-2147483648.5), st), INT32_MIN, kNv);
  EXPECT_OP(kRne, f64_to_i32(d(-2147483649.0), st), INT32_MIN, kNv);
  EXPECT_OP(kRne, f32_to_i32(f(0x1p31f), st), INT32_MAX, kNv);
  // 64-bit: -2^63 in range, 2^63 not; 2^64 out of range for unsigned.
  EXPECT_OP(kRne, f64_to_i64(d(-0x1p63), st), INT64_MIN, 0);
  EXPECT_OP(kRne, f32_to_i64(f(-0x1p63f), st), INT64_MIN, 0);
  EXPECT_OP(kRne, f64_to_i64(d(0x1p63), st), INT64_MAX, kNv);
  EXPECT_OP(kRne, f64_to_i64(d(-0x1.0000000000001p63), st), INT64_MIN, kNv);
  EXPECT_OP(kRne, f64_to_i64(d(0x1.fffffffffffffp62), st), 0x7ffffffffffffc00, 0);
  EXPECT_OP(kRne, f64_to_u64(d(0x1p64), st), UINT64_MAX, kNv);
  EXPECT_OP(kRne, f64_to_u64(d(0x1.fffffffffffffp63), st), 0xfffffffffffff800ull, 0);
  EXPECT_OP(kRne, f32_to_u64(f(0x1p64f), st), UINT64_MAX, kNv);
  EXPECT_OP(kRne, f64_to_u64(d(0x1p63), st), 0x8000000000000000ull, 0);
  EXPECT_OP(kRne, f64_to_u32(d(4294967295.5), st), UINT32_MAX, kNv);  // rounds to 2^32
  EXPECT_OP(kRtz, f64_to_u32(d(4294967295.5), st), UINT32_MAX, kNx);
  EXPECT_OP(kRne, f64_to_u32(d(4294967296.0), st), UINT32_MAX, kNv);
  EXPECT_OP(kRne, f64_to_i64(d(1e300), st), INT64_MAX, kNv);
  EXPECT_OP(kRne, f64_to_i64(d(-1e300), st), INT64_MIN, kNv);
  // NaN of either sign gives the largest positive; infinities saturate by sign.
  EXPECT_OP(kRne, f32_to_i32(kQnan32, st), INT32_MAX, kNv);
  EXPECT_OP(kRne, f32_to_i32(fsgnjn(kQnan32, kQnan32), st), INT32_MAX, kNv);
  EXPECT_OP(kRne, f64_to_u32(fsgnjn(kSnan64, kSnan64), st), UINT32_MAX, kNv);
  EXPECT_OP(kRne, f64_to_i64(kQnan64, st), INT64_MAX, kNv);
  EXPECT_OP(kRne, f32_to_u64(kQnan32, st), UINT64_MAX, kNv);
  EXPECT_OP(kRne, f64_to_i64(fsgnjn(kInf64, kInf64), st), INT64_MIN, kNv);
  EXPECT_OP(kRne, f64_to_u64(fsgnjn(kInf64, kInf64), st), 0ull, kNv);
  EXPECT_OP(kRne, f32_to_u32(kInf32, st), UINT32_MAX, kNv);
  // Unsigned and negative: 0 if it rounds to zero (NX only), NV otherwise.
  EXPECT_OP(kRtz, f64_to_u32(d(-0.9), st), 0u, kNx);
  EXPECT_OP(kRne, f64_to_u32(d(-0.5), st), 0u, kNx);
  EXPECT_OP(kRmm, f64_to_u32(d(-0.5), st), 0u, kNv);
  EXPECT_OP(kRdn, f32_to_u64(f(-0x1p-149f), st), 0ull, kNv);
  EXPECT_OP(kRup, f32_to_u64(f(-0x1p-149f), st), 0ull, kNx);
  EXPECT_OP(kRne, f64_to_u64(d(-1.0), st), 0ull, kNv);
  EXPECT_OP(kRne, f64_to_u64(d(-0.0), st), 0ull, 0);
  // Rounding modes on small values, RMM included.
  EXPECT_OP(kRne, f32_to_i32(f(2.5f), st), 2, kNx);
  EXPECT_OP(kRmm, f32_to_i32(f(2.5f), st), 3, kNx);
  EXPECT_OP(kRmm, f32_to_i32(f(-2.5f), st), -3, kNx);
  EXPECT_OP(kRne, f32_to_i32(f(-3.5f), st), -4, kNx);
  EXPECT_OP(kRtz, f32_to_i32(f(-3.5f), st), -3, kNx);
  EXPECT_OP(kRdn, f32_to_i32(f(-3.25f), st), -4, kNx);
  EXPECT_OP(kRup, f32_to_i32(f(-3.25f), st), -3, kNx);
  EXPECT_OP(kRup, f64_to_i64(d(0x1p-1074), st), 1, kNx);
  EXPECT_OP(kRmm, f64_to_i64(d(0.5), st), 1, kNx);
  EXPECT_OP(kRne, f64_to_i64(d(0.5), st), 0, kNx);
  EXPECT_OP(kRne, f64_to_i64(d(-7.0), st), -7, 0);
}

TEST(SoftFloatPinned, IntToFloat) {
  EXPECT_OP(kRne, i32_to_f32(0, st), f(0.0f), 0);
  EXPECT_OP(kRne, i64_to_f64(0, st), d(0.0), 0);
  EXPECT_OP(kRdn, i32_to_f32(0, st), f(0.0f), 0);  // +0 in every mode
  EXPECT_OP(kRne, i32_to_f32(INT32_MIN, st), f(-0x1p31f), 0);
  EXPECT_OP(kRne, i64_to_f64(INT64_MIN, st), d(-0x1p63), 0);
  EXPECT_OP(kRne, i32_to_f32(INT32_MAX, st), f(0x1p31f), kNx);
  EXPECT_OP(kRtz, i32_to_f32(INT32_MAX, st), f(0x1.fffffep30f), kNx);
  EXPECT_OP(kRne, i32_to_f64(INT32_MIN, st), d(-2147483648.0), 0);
  EXPECT_OP(kRne, u32_to_f64(UINT32_MAX, st), d(4294967295.0), 0);
  EXPECT_OP(kRne, u64_to_f64(UINT64_MAX, st), d(0x1p64), kNx);
  EXPECT_OP(kRtz, u64_to_f64(UINT64_MAX, st), d(0x1.fffffffffffffp63), kNx);
  EXPECT_OP(kRne, u64_to_f32(UINT64_MAX, st), f(0x1p64f), kNx);
  EXPECT_OP(kRne, i64_to_f32(INT64_MAX, st), f(0x1p63f), kNx);
  // 2^24 + 1 is halfway: even down, RMM up.
  EXPECT_OP(kRne, i32_to_f32(16777217, st), f(16777216.0f), kNx);
  EXPECT_OP(kRmm, i32_to_f32(16777217, st), f(16777218.0f), kNx);
  EXPECT_OP(kRmm, i32_to_f32(-16777217, st), f(-16777218.0f), kNx);
  EXPECT_OP(kRdn, u32_to_f32(16777217u, st), f(16777216.0f), kNx);
  EXPECT_OP(kRup, u32_to_f32(16777217u, st), f(16777218.0f), kNx);
  EXPECT_OP(kRmm, i64_to_f64((int64_t{1} << 53) + 1, st), d(0x1.0000000000001p53), kNx);
  EXPECT_OP(kRne, i64_to_f64((int64_t{1} << 53) + 1, st), d(0x1p53), kNx);
}

// ---------------------------------------------------------------------------------------------
// Differential against the host FPU, in the four modes it implements.

constexpr int kHostModes[] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};
constexpr Rounding kOurModes[] = {kRne, kRtz, kRdn, kRup};
constexpr int kRandomPerOpAndMode = 40000;

/// The host's flags since the last clear, as fflags bits.
uint32_t host_flags() {
  const int e = std::fetestexcept(FE_ALL_EXCEPT);
  return ((e & FE_INEXACT) ? kNx : 0) | ((e & FE_UNDERFLOW) ? kUf : 0) |
         ((e & FE_OVERFLOW) ? kOf : 0) | ((e & FE_DIVBYZERO) ? kDz : 0) |
         ((e & FE_INVALID) ? kNv : 0);
}

/// Random bit patterns biased towards the interesting: extreme exponents, zeros, infinities,
/// NaNs (quiet and signaling), fractions of long runs of ones or zeros.
template <class Bits, int kFracBits, int kExpBits>
class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  Bits next() {
    constexpr int kExpMax = (1 << kExpBits) - 1;
    constexpr int kBias = kExpMax / 2;
    const uint64_t r = rng_();
    const Bits sign = Bits(r & 1) << (kFracBits + kExpBits);
    int exp;
    switch ((r >> 1) % 16) {
      case 0: exp = 0; break;                                             // zero / subnormal
      case 1: exp = 1 + static_cast<int>((r >> 8) % 4); break;            // smallest normals
      case 2: exp = kExpMax - 1 - static_cast<int>((r >> 8) % 4); break;  // largest
      case 3: exp = kExpMax; break;                                       // inf / NaN
      case 4:
      case 5: exp = kBias - 2 + static_cast<int>((r >> 8) % 5); break;  // near 1
      default: exp = static_cast<int>((r >> 8) % kExpMax); break;
    }
    Bits frac;
    const uint64_t r2 = rng_();
    const Bits mask = (Bits{1} << kFracBits) - 1;
    switch (r2 % 8) {
      case 0: frac = 0; break;
      case 1: frac = mask; break;
      case 2: frac = mask >> (r2 >> 8) % kFracBits; break;           // low ones
      case 3: frac = (mask << (r2 >> 8) % kFracBits) & mask; break;  // high ones
      case 4: frac = Bits{1} << (r2 >> 8) % kFracBits; break;
      default: frac = static_cast<Bits>(rng_()) & mask; break;
    }
    return sign | (Bits(exp) << kFracBits) | frac;
  }
  uint64_t raw() { return rng_(); }

 private:
  std::mt19937_64 rng_;
};
using Gen32 = Gen<uint32_t, 23, 8>;
using Gen64 = Gen<uint64_t, 52, 11>;

/// Checks one result against the host: bits equal, or both NaN with ours canonical; flags equal.
template <class T>
::testing::AssertionResult same(T ours, uint32_t our_flags, T host, uint32_t hflags,
                                const char* what, uint64_t a, uint64_t b, uint64_t c, int mode) {
  bool ok;
  if (is_nan(host)) {
    ok = ours == (sizeof(ours.v) == 4 ? T{static_cast<decltype(ours.v)>(kCanonicalNan32.v)}
                                      : T{static_cast<decltype(ours.v)>(kCanonicalNan64.v)});
  } else {
    ok = ours == host;
  }
  if (ok && our_flags == hflags) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << what << " mode " << mode << std::hex << " a=" << a << " b=" << b << " c=" << c
         << ": ours " << uint64_t(ours.v) << " flags " << our_flags << ", host " << uint64_t(host.v)
         << " flags " << hflags;
}

/// The host's FMA flags as RISC-V defines them: inf * 0 + qNaN is invalid on RISC-V, while x86
/// (like IEEE 754, which leaves it to the implementation) raises nothing.
template <class T>
uint32_t riscv_fma_flags(T a, T b, T c, uint32_t host_flags) {
  const T zero{}, inf = sizeof(a.v) == 4 ? T{static_cast<decltype(a.v)>(kInf32.v)}
                                         : T{static_cast<decltype(a.v)>(kInf64.v)};
  auto is = [](T x, T y) { return fsgnj(x, T{}) == y; };
  const bool inf_zero = (is(a, inf) && is(b, zero)) || (is(a, zero) && is(b, inf));
  return inf_zero && is_nan(c) ? host_flags | kNv : host_flags;
}

/// One random differential run of a binary32 and a binary64 op family: `ours(a, b, c, st)` and
/// `host(a, b, c)` on host values, in every host mode.
template <class T, class Host, class GenT, class Ours, class HostOp>
void differential(const char* what, uint64_t seed, Ours ours, HostOp host, bool fma = false) {
  GenT gen(seed);
  int failures = 0;
  for (int m = 0; m < 4; ++m) {
    for (int i = 0; i < kRandomPerOpAndMode && failures < 10; ++i) {
      const T a{gen.next()}, b{gen.next()}, c{gen.next()};
      Status st{kOurModes[m], 0};
      const T r = ours(a, b, c, st);
      std::fesetround(kHostModes[m]);
      std::feclearexcept(FE_ALL_EXCEPT);
      const Host hr =
          host(std::bit_cast<Host>(a.v), std::bit_cast<Host>(b.v), std::bit_cast<Host>(c.v));
      uint32_t hf = host_flags();
      std::fesetround(FE_TONEAREST);
      if (fma) hf = riscv_fma_flags(a, b, c, hf);
      const auto res =
          same(r, st.flags, T{std::bit_cast<decltype(a.v)>(hr)}, hf, what, a.v, b.v, c.v, m);
      if (!res) ++failures;
      EXPECT_TRUE(res);
    }
  }
}

// Host operations through volatile operands and results, out of line: each is a real run-time
// instruction that the compiler can neither fold nor move across the flag reads around it.
template <class H>
[[gnu::noinline]] H host_add(H a, H b, H) {
  volatile H x = a, y = b;
  volatile H r = x + y;
  return r;
}
template <class H>
[[gnu::noinline]] H host_sub(H a, H b, H) {
  volatile H x = a, y = b;
  volatile H r = x - y;
  return r;
}
template <class H>
[[gnu::noinline]] H host_mul(H a, H b, H) {
  volatile H x = a, y = b;
  volatile H r = x * y;
  return r;
}
template <class H>
[[gnu::noinline]] H host_div(H a, H b, H) {
  volatile H x = a, y = b;
  volatile H r = x / y;
  return r;
}
template <class H>
[[gnu::noinline]] H host_sqrt(H a, H, H) {
  volatile H x = a;
  volatile H r = std::sqrt(H(x));
  return r;
}
template <class H>
[[gnu::noinline]] H host_fma(H a, H b, H c) {
  volatile H x = a, y = b, z = c;
  volatile H r = std::fma(H(x), H(y), H(z));
  return r;
}

template <class To, class From>
[[gnu::noinline]] To host_convert(From v) {
  volatile From x = v;
  volatile To r = static_cast<To>(x);
  return r;
}
template <class H>
[[gnu::noinline]] H host_rint(H v) {
  volatile H x = v;
  volatile H r = std::rint(H(x));
  return r;
}

#define DIFF_BOTH(name, ours_expr, host_fn, fma)                                          \
  TEST(SoftFloatHost, name##32) {                                                         \
    differential<F32, float, Gen32>(                                                      \
        #name "32", 0x5eed0000 + __LINE__,                                                \
        [](F32 a, F32 b, F32 c, Status& st) { return ours_expr; }, host_fn<float>, fma);  \
  }                                                                                       \
  TEST(SoftFloatHost, name##64) {                                                         \
    differential<F64, double, Gen64>(                                                     \
        #name "64", 0x64640000 + __LINE__,                                                \
        [](F64 a, F64 b, F64 c, Status& st) { return ours_expr; }, host_fn<double>, fma); \
  }

DIFF_BOTH(Add, ((void)c, add(a, b, st)), host_add, false)
DIFF_BOTH(Sub, ((void)c, sub(a, b, st)), host_sub, false)
DIFF_BOTH(Mul, ((void)c, mul(a, b, st)), host_mul, false)
DIFF_BOTH(Div, ((void)c, div(a, b, st)), host_div, false)
DIFF_BOTH(Sqrt, ((void)b, (void)c, sqrt(a, st)), host_sqrt, false)
DIFF_BOTH(Fma, fmadd(a, b, c, st), host_fma, true)

[[gnu::noinline]] float host_neg_fma(float a, float b, float c) {
  volatile float x = a, y = b, z = c;
  volatile float r = std::fma(-float(x), float(y), -float(z));
  return r;
}
[[gnu::noinline]] double host_fmsub(double a, double b, double c) {
  volatile double x = a, y = b, z = c;
  volatile double r = std::fma(double(x), double(y), -double(z));
  return r;
}
[[gnu::noinline]] double host_fnmsub(double a, double b, double c) {
  volatile double x = a, y = b, z = c;
  volatile double r = std::fma(-double(x), double(y), double(z));
  return r;
}

TEST(SoftFloatHost, FmaSignVariants) {
  differential<F32, float, Gen32>(
      "fnmadd32", 11, [](F32 a, F32 b, F32 c, Status& st) { return fnmadd(a, b, c, st); },
      host_neg_fma, true);
  differential<F64, double, Gen64>(
      "fmsub64", 12, [](F64 a, F64 b, F64 c, Status& st) { return fmsub(a, b, c, st); }, host_fmsub,
      true);
  differential<F64, double, Gen64>(
      "fnmsub64", 13, [](F64 a, F64 b, F64 c, Status& st) { return fnmsub(a, b, c, st); },
      host_fnmsub, true);
}

/// FMA operands whose product and addend nearly cancel, where one rounding matters most.
TEST(SoftFloatHost, FmaCancellation) {
  Gen64 gen(77);
  for (int m = 0; m < 4; ++m) {
    for (int i = 0; i < kRandomPerOpAndMode; ++i) {
      const F64 a{gen.next()}, b{gen.next()};
      Status st0{kRne, 0};
      F64 c = fsgnjn(mul(a, b, st0), a);  // -(a*b) rounded, up to a few ulps off
      c.v += static_cast<int64_t>(gen.raw() % 5) - 2;
      c = fsgnjx(c, a);
      Status st{kOurModes[m], 0};
      const F64 r = fmadd(a, b, c, st);
      std::fesetround(kHostModes[m]);
      std::feclearexcept(FE_ALL_EXCEPT);
      const double hr = host_fma<double>(std::bit_cast<double>(a.v), std::bit_cast<double>(b.v),
                                         std::bit_cast<double>(c.v));
      const uint32_t hf = riscv_fma_flags(a, b, c, host_flags());
      std::fesetround(FE_TONEAREST);
      ASSERT_TRUE(same(r, st.flags, d(hr), hf, "fma-cancel", a.v, b.v, c.v, m));
    }
  }
}

TEST(SoftFloatHost, FloatToFloat) {
  differential<F64, double, Gen32>(
      "f32_to_f64", 21,
      [](F64 a, F64, F64, Status& st) { return f32_to_f64(F32{uint32_t(a.v)}, st); },
      [](double a, double, double) {
        return host_convert<double>(std::bit_cast<float>(uint32_t(std::bit_cast<uint64_t>(a))));
      });
}

/// Binary64 to binary32 needs 64-bit generated operands, so it has its own loop.
TEST(SoftFloatHost, NarrowingConversion) {
  Gen64 gen(23);
  for (int m = 0; m < 4; ++m) {
    for (int i = 0; i < kRandomPerOpAndMode; ++i) {
      F64 a{gen.next()};
      if (i % 2) {  // aim at binary32's range, where rounding happens
        a.v = (a.v & 0x800fffffffffffffull) |
              (uint64_t(1023 - 160 + static_cast<int>(gen.raw() % 300)) << 52);
      }
      Status st{kOurModes[m], 0};
      const F32 r = f64_to_f32(a, st);
      std::fesetround(kHostModes[m]);
      std::feclearexcept(FE_ALL_EXCEPT);
      const float hr = host_convert<float>(std::bit_cast<double>(a.v));
      const uint32_t hf = host_flags();
      std::fesetround(FE_TONEAREST);
      ASSERT_TRUE(same(r, st.flags, f(hr), hf, "f64_to_f32", a.v, 0, 0, m));
    }
  }
}

/// Float to integer against the host's rint (which rounds in the current mode and raises NX):
/// in range, the rounded value and NX; out of range, RISC-V's saturation with NV alone.
template <class T, class Int, class GenT, class Ours>
void to_int_differential(uint64_t seed, Ours ours) {
  using Host = std::conditional_t<sizeof(T) == 4, float, double>;
  GenT gen(seed);
  constexpr Int kMin = std::numeric_limits<Int>::min();
  constexpr Int kMax = std::numeric_limits<Int>::max();
  for (int m = 0; m < 4; ++m) {
    for (int i = 0; i < kRandomPerOpAndMode; ++i) {
      T a{gen.next()};
      if (i % 2) {  // exponents around the integer range, where the boundaries are
        constexpr int kFrac = sizeof(T) == 4 ? 23 : 52;
        constexpr int kBias = sizeof(T) == 4 ? 127 : 1023;
        const int e = kBias - 2 + static_cast<int>(gen.raw() % (sizeof(Int) * 8 + 4));
        a.v = (a.v & ~(decltype(a.v)((1 << (sizeof(T) == 4 ? 8 : 11)) - 1) << kFrac)) |
              (decltype(a.v)(e) << kFrac);
      }
      Status st{kOurModes[m], 0};
      const Int r = ours(a, st);
      std::fesetround(kHostModes[m]);
      std::feclearexcept(FE_ALL_EXCEPT);
      const Host hr = host_rint(std::bit_cast<Host>(a.v));
      uint32_t hf = host_flags() & kNx;
      std::fesetround(FE_TONEAREST);
      Int want;
      // Exact comparisons against powers of two: kMin is one, kMax + 1 is one.
      const Host lo = static_cast<Host>(kMin);
      const Host top = kMin < 0 ? -static_cast<Host>(kMin) : 2 * (static_cast<Host>(kMax / 2 + 1));
      if (std::isnan(hr)) {
        want = kMax, hf = kNv;
      } else if (hr < lo) {
        want = kMin, hf = kNv;
      } else if (hr >= top) {
        want = kMax, hf = kNv;
      } else {
        want = static_cast<Int>(hr);
      }
      ASSERT_EQ(r, want) << std::hex << a.v << " mode " << m;
      ASSERT_EQ(st.flags, hf) << std::hex << a.v << " mode " << m;
    }
  }
}

TEST(SoftFloatHost, FloatToInt) {
  to_int_differential<F32, int32_t, Gen32>(31, [](F32 a, Status& st) { return f32_to_i32(a, st); });
  to_int_differential<F32, uint32_t, Gen32>(32,
                                            [](F32 a, Status& st) { return f32_to_u32(a, st); });
  to_int_differential<F32, int64_t, Gen32>(33, [](F32 a, Status& st) { return f32_to_i64(a, st); });
  to_int_differential<F32, uint64_t, Gen32>(34,
                                            [](F32 a, Status& st) { return f32_to_u64(a, st); });
  to_int_differential<F64, int32_t, Gen64>(35, [](F64 a, Status& st) { return f64_to_i32(a, st); });
  to_int_differential<F64, uint32_t, Gen64>(36,
                                            [](F64 a, Status& st) { return f64_to_u32(a, st); });
  to_int_differential<F64, int64_t, Gen64>(37, [](F64 a, Status& st) { return f64_to_i64(a, st); });
  to_int_differential<F64, uint64_t, Gen64>(38,
                                            [](F64 a, Status& st) { return f64_to_u64(a, st); });
}

/// Integer to float against the host's conversion instructions (which honour the mode).
TEST(SoftFloatHost, IntToFloat) {
  std::mt19937_64 rng(41);
  for (int m = 0; m < 4; ++m) {
    for (int i = 0; i < kRandomPerOpAndMode; ++i) {
      uint64_t v = rng();
      v >>= rng() % 64;  // all magnitudes
      if (rng() & 1) v = 0 - v;
      const Rounding rm = kOurModes[m];
      auto check = [&](auto ours, auto host_value, const char* what) {
        Status st{rm, 0};
        const auto r = ours(st);
        std::fesetround(kHostModes[m]);
        std::feclearexcept(FE_ALL_EXCEPT);
        const auto h = host_value();
        const uint32_t hf = host_flags();
        std::fesetround(FE_TONEAREST);
        ASSERT_EQ(uint64_t(r.v), uint64_t(std::bit_cast<decltype(r.v)>(h)))
            << what << " " << std::hex << v << " mode " << m;
        ASSERT_EQ(st.flags, hf) << what << " " << std::hex << v << " mode " << m;
      };
      const int64_t s64 = static_cast<int64_t>(v);
      const uint64_t u64 = v;
      const int32_t s32 = static_cast<int32_t>(v);
      const uint32_t u32 = static_cast<uint32_t>(v);
      check([&](Status& st) { return i64_to_f32(s64, st); },
            [&] { return host_convert<float, int64_t>(s64); }, "l->s");
      check([&](Status& st) { return u64_to_f32(u64, st); },
            [&] { return host_convert<float, uint64_t>(u64); }, "lu->s");
      check([&](Status& st) { return i32_to_f32(s32, st); },
            [&] { return host_convert<float, int32_t>(s32); }, "w->s");
      check([&](Status& st) { return u32_to_f32(u32, st); },
            [&] { return host_convert<float, uint32_t>(u32); }, "wu->s");
      check([&](Status& st) { return i64_to_f64(s64, st); },
            [&] { return host_convert<double, int64_t>(s64); }, "l->d");
      check([&](Status& st) { return u64_to_f64(u64, st); },
            [&] { return host_convert<double, uint64_t>(u64); }, "lu->d");
      check([&](Status& st) { return i32_to_f64(s32, st); },
            [&] { return host_convert<double, int32_t>(s32); }, "w->d");
      check([&](Status& st) { return u32_to_f64(u32, st); },
            [&] { return host_convert<double, uint32_t>(u32); }, "wu->d");
    }
  }
}

/// x (a double) rounded to binary32 to nearest, ties away from zero (RMM), from the host's
/// directed rounding: the towards-zero neighbour or the next one away, whichever is nearer, away
/// on a tie. Both differences are exact in binary64. Needs |x| <= FLT_MAX.
float host_rmm(double x, bool* inexact) {
  std::fesetround(FE_TOWARDZERO);
  const float toward = host_convert<float>(x);
  std::fesetround(FE_TONEAREST);
  *inexact = double(toward) != x;
  if (!*inexact) return toward;
  const float away = std::nextafter(toward, x > 0 ? INFINITY : -INFINITY);
  return std::fabs(double(away) - x) <= std::fabs(x - double(toward)) ? away : toward;
}

/// RMM, which no host implements, against host_rmm on results exact in binary64: binary32
/// products (48 bits) and sums of nearby exponents, and 32-bit integers; plus float to integer
/// against a ties-away rounding built from trunc.
TEST(SoftFloatHost, RoundToNearestMaxMagnitude) {
  Gen32 gen(61);
  int compared = 0;
  for (int i = 0; i < 4 * kRandomPerOpAndMode; ++i) {
    const F32 a{gen.next()};
    F32 b{gen.next()};
    if (i % 2) b.v = (b.v & 0x807fffffu) | ((a.v & 0x7f800000u) + ((gen.raw() % 32) << 23));
    if (is_nan(a) || is_nan(b) || fclass(a) & 0x81 || fclass(b) & 0x81) continue;  // no inf
    const double x = std::bit_cast<float>(a.v), y = std::bit_cast<float>(b.v);
    const double product = x * y;  // exact: 48 bits, exponent well inside binary64's
    bool inexact;
    if (std::fabs(product) <= FLT_MAX) {
      const float want = host_rmm(product, &inexact);
      Status st{kRmm, 0};
      const F32 r = mul(a, b, st);
      ASSERT_EQ(r, f(want)) << std::hex << a.v << " * " << b.v;
      ASSERT_EQ((st.flags & kNx) != 0, inexact) << std::hex << a.v << " * " << b.v;
      ++compared;
    }
    const double sum = x + y;
    const double bb = sum - x;
    const double err = (x - (sum - bb)) + (y - bb);  // Knuth's TwoSum: the exact error
    if (err == 0 && std::fabs(sum) <= FLT_MAX) {
      const float want = host_rmm(sum, &inexact);
      Status st{kRmm, 0};
      const F32 r = add(a, b, st);
      ASSERT_EQ(r, f(want)) << std::hex << a.v << " + " << b.v;
      ASSERT_EQ((st.flags & kNx) != 0, inexact) << std::hex << a.v << " + " << b.v;
      ++compared;
    }
    const int32_t n = static_cast<int32_t>(gen.raw()) >> (gen.raw() % 32);
    Status st{kRmm, 0};
    ASSERT_EQ(i32_to_f32(n, st), f(host_rmm(n, &inexact))) << n;
    ASSERT_EQ(st.flags, inexact ? kNx : 0u) << n;
    // Float to integer: trunc, then away from zero when the dropped fraction is at least 1/2.
    if (std::fabs(x) < 0x1p62) {
      const double t = std::trunc(x);
      const double want = std::fabs(x - t) >= 0.5 ? t + (x > 0 ? 1 : -1) : t;
      Status st2{kRmm, 0};
      ASSERT_EQ(f32_to_i64(a, st2), static_cast<int64_t>(want)) << std::hex << a.v;
      ASSERT_EQ(st2.flags, x != t ? kNx : 0u) << std::hex << a.v;
    }
  }
  EXPECT_GT(compared, 4 * kRandomPerOpAndMode / 2);
}

/// Comparisons and min/max against the host's comparison values; the flags against the rule
/// (feq quiet, flt/fle signaling).
TEST(SoftFloatHost, CompareAndMinMax) {
  Gen64 gen(51);
  for (int i = 0; i < kRandomPerOpAndMode; ++i) {
    const F64 a{gen.next()};
    const F64 b = i % 4 == 1 ? a : i % 4 == 2 ? fsgnjn(a, a) : F64{gen.next()};
    const double x = std::bit_cast<double>(a.v), y = std::bit_cast<double>(b.v);
    Status st;
    const bool eq = feq(a, b, st);
    EXPECT_EQ(eq, x == y);
    EXPECT_EQ(st.flags, (is_snan(a) || is_snan(b)) ? kNv : 0u);
    Status st2;
    EXPECT_EQ(flt(a, b, st2), x < y);
    EXPECT_EQ(st2.flags, (is_nan(a) || is_nan(b)) ? kNv : 0u);
    Status st3;
    EXPECT_EQ(fle(a, b, st3), x <= y);
    EXPECT_EQ(st3.flags, (is_nan(a) || is_nan(b)) ? kNv : 0u);
    Status st4;
    const F64 lo = min(a, b, st4);
    if (!is_nan(a) && !is_nan(b)) {
      if (x != y) {
        EXPECT_EQ(lo, x < y ? a : b);
      } else if (x == 0) {
        EXPECT_EQ(lo.v, a.v | b.v);  // -0 wins
      }
    }
    const F32 a32{uint32_t(a.v >> 32)}, b32{uint32_t(b.v >> 32)};
    const float x32 = std::bit_cast<float>(a32.v), y32 = std::bit_cast<float>(b32.v);
    Status st5;
    EXPECT_EQ(flt(a32, b32, st5), x32 < y32);
    EXPECT_EQ(fle(a32, b32, st5), x32 <= y32);
    EXPECT_EQ(feq(a32, b32, st5), x32 == y32);
    const F32 hi = max(a32, b32, st5);
    if (!is_nan(a32) && !is_nan(b32) && x32 != y32) {
      EXPECT_EQ(hi, x32 > y32 ? a32 : b32);
    }
  }
}

}  // namespace
}  // namespace glassvm::sf
