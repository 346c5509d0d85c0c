// The soft-float core shared by softfloat_*.cpp: format traits, unpacking, and the one rounding
// routine every operation ends in.
//
// Design note: an operation reduces its exact result to (sign, e, m) meaning m * 2^e, with m an
// unsigned integer. When the result is not exact, m carries a "sticky" 1 in its least
// significant bit standing for the lost nonzero tail, and the operation guarantees m then has at
// least p+2 significant bits (p the format's precision), so the rounding point is at least two
// bits above that sticky bit and rounding sees the true value's position. round_pack then
// handles every range: normal, subnormal (with tininess after rounding), overflow.
#pragma once

#include <algorithm>
#include <cstdint>
#include <utility>

#include "engine/cpu/softfloat.h"

namespace glassvm::sf::internal {

using U128 = unsigned __int128;

/// Number of significant bits of v (0 for 0).
constexpr int bit_width(uint64_t v) {
  return v == 0 ? 0 : 64 - __builtin_clzll(v);
}
/// Number of significant bits of v (0 for 0).
constexpr int bit_width(U128 v) {
  const uint64_t hi = static_cast<uint64_t>(v >> 64);
  return hi != 0 ? 64 + bit_width(hi) : bit_width(static_cast<uint64_t>(v));
}

/// Format traits: Bits is the encoding, Wide the working significand integer.
struct Fmt32 {
  using Type = F32;
  using Bits = uint32_t;
  using Wide = uint64_t;
  static constexpr int kBits = 32;
  static constexpr int kP = 24;  // precision, implicit bit included
  static constexpr int kExpBits = 8;
  static constexpr int kBias = 127;
};
/// Format traits of binary64.
struct Fmt64 {
  using Type = F64;
  using Bits = uint64_t;
  using Wide = U128;
  static constexpr int kBits = 64;
  static constexpr int kP = 53;
  static constexpr int kExpBits = 11;
  static constexpr int kBias = 1023;
};

template <class F>
inline constexpr int kWideBits = sizeof(typename F::Wide) * 8;
template <class F>
inline constexpr int kFracBits = F::kP - 1;
template <class F>
inline constexpr int kExpMax = (1 << F::kExpBits) - 1;
template <class F>
inline constexpr int kEmin = 1 - F::kBias;  // exponent of the smallest normal
template <class F>
inline constexpr int kQmin = kEmin<F> - kFracBits<F>;  // weight of a subnormal's last bit
template <class F>
inline constexpr typename F::Bits kSignBit = typename F::Bits{1} << (F::kBits - 1);
template <class F>
inline constexpr typename F::Bits kFracMask = (typename F::Bits{1} << kFracBits<F>)-1;
template <class F>
inline constexpr typename F::Bits kInfBits = typename F::Bits(kExpMax<F>) << kFracBits<F>;
template <class F>
inline constexpr
    typename F::Bits kCanonicalNanBits = kInfBits<F> | (typename F::Bits{1} << (kFracBits<F> - 1));

/// What a value is, decoded once.
enum class Kind : uint8_t { kZero, kFinite, kInf, kQnan, kSnan };

/// A decoded value: for kFinite, the value is (-1)^sign * m * 2^e with m != 0.
template <class F>
struct Unpacked {
  bool sign;
  Kind kind;
  int e;
  typename F::Wide m;
};

/// Decodes a to its kind, sign and exact m * 2^e.
template <class F>
constexpr Unpacked<F> unpack(typename F::Bits a) {
  using Bits = typename F::Bits;
  const bool sign = (a & kSignBit<F>) != 0;
  const int biased = static_cast<int>((a >> kFracBits<F>)&Bits(kExpMax<F>));
  const Bits frac = a & kFracMask<F>;
  if (biased == kExpMax<F>) {
    if (frac == 0) return {sign, Kind::kInf, 0, 0};
    const bool quiet = (frac >> (kFracBits<F> - 1)) != 0;
    return {sign, quiet ? Kind::kQnan : Kind::kSnan, 0, 0};
  }
  if (biased == 0) {
    if (frac == 0) return {sign, Kind::kZero, 0, 0};
    return {sign, Kind::kFinite, kQmin<F>, frac};
  }
  return {sign, Kind::kFinite, biased - F::kBias - kFracBits<F>,
          typename F::Wide(frac | (Bits{1} << kFracBits<F>))};
}

constexpr bool is_nan(Kind k) {
  return k == Kind::kQnan || k == Kind::kSnan;
}

/// Signed zero / infinity encodings.
template <class F>
constexpr typename F::Bits zero_bits(bool sign) {
  return sign ? kSignBit<F> : 0;
}
template <class F>
constexpr typename F::Bits inf_bits(bool sign) {
  return zero_bits<F>(sign) | kInfBits<F>;
}

/// m >> shift (shift >= 1) rounded to an integer in mode rm for a value of the given sign;
/// sets *inexact when bits were lost. Any shift is allowed (all bits lost beyond the width).
template <class T>
constexpr T round_shift(T m, int shift, bool sign, Rounding rm, bool* inexact) {
  constexpr int kW = sizeof(T) * 8;
  T q;
  bool round, sticky;
  if (shift > kW) {
    q = 0, round = false, sticky = m != 0;
  } else if (shift == kW) {
    q = 0, round = (m >> (kW - 1)) != 0, sticky = (m << 1) != 0;
  } else {
    q = m >> shift;
    round = ((m >> (shift - 1)) & 1) != 0;
    sticky = (m & ((T{1} << (shift - 1)) - 1)) != 0;
  }
  *inexact = round || sticky;
  bool up = false;
  switch (rm) {
    case Rounding::kRne: up = round && (sticky || (q & 1) != 0); break;
    case Rounding::kRmm: up = round; break;
    case Rounding::kRtz: up = false; break;
    case Rounding::kRdn: up = sign && *inexact; break;
    case Rounding::kRup: up = !sign && *inexact; break;
  }
  return q + (up ? 1 : 0);
}

/// The result of an overflow in mode rm: inf, or the largest finite value for the modes that
/// round towards zero from this side (IEEE 754 7.4).
template <class F>
constexpr typename F::Bits overflow_bits(bool sign, Rounding rm) {
  const bool to_inf = rm == Rounding::kRne || rm == Rounding::kRmm ||
                      (rm == Rounding::kRdn && sign) || (rm == Rounding::kRup && !sign);
  return to_inf ? inf_bits<F>(sign) : zero_bits<F>(sign) | (kInfBits<F> - 1);
}

/// Rounds (-1)^sign * m * 2^e to the format in mode rm and encodes it, raising NX, UF (tiny
/// after rounding and inexact), OF. m == 0 gives a zero of the given sign. m's last bit may be
/// sticky if m has at least p+2 significant bits (file note).
template <class F>
constexpr typename F::Bits round_pack(bool sign, int e, typename F::Wide m, Rounding rm,
                                      uint32_t& flags) {
  using Bits = typename F::Bits;
  using Wide = typename F::Wide;
  constexpr int kP = F::kP;
  if (m == 0) return zero_bits<F>(sign);
  const int msb = bit_width(m) - 1;
  const int normal_shift = msb - (kP - 1);
  const int shift = std::max(normal_shift, kQmin<F> - e);
  Wide q;
  bool inexact = false;
  if (shift <= 0) {
    q = m << -shift;
  } else {
    q = round_shift(m, shift, sign, rm, &inexact);
  }
  int lsb_exp = e + shift;
  if (inexact) {
    flags |= kNx;
    // Tiny after rounding: below 2^emin once rounded to p bits with an unbounded exponent.
    if (e + msb < kEmin<F>) {
      bool tiny = true;
      if (e + msb == kEmin<F> - 1 && normal_shift > 0) {
        bool unused;
        const Wide qu = round_shift(m, normal_shift, sign, rm, &unused);
        tiny = (qu >> kP) == 0;
      }
      if (tiny) flags |= kUf;
    }
  }
  if ((q >> kP) != 0) {  // rounding carried out: 2^p
    q >>= 1;
    ++lsb_exp;
  }
  if ((q >> (kP - 1)) == 0) return zero_bits<F>(sign) | static_cast<Bits>(q);  // subnormal/0
  const int biased = lsb_exp + kFracBits<F> + F::kBias;
  if (biased >= kExpMax<F>) {
    flags |= kOf | kNx;
    return overflow_bits<F>(sign, rm);
  }
  return zero_bits<F>(sign) | (Bits(biased) << kFracBits<F>) |
         (static_cast<Bits>(q) & kFracMask<F>);
}

/// Shifts m left so that its top bit is at `bit`, lowering e to keep m * 2^e.
template <class F>
constexpr void normalize_to(typename F::Wide& m, int& e, int bit) {
  const int s = bit - (bit_width(m) - 1);
  m <<= s;
  e -= s;
}

/// (-1)^sx*mx*2^ex + (-1)^sy*my*2^ey rounded once: the shared tail of add and fused
/// multiply-add. Each m may have up to 2p bits, exact (no sticky yet). An exact zero sum of
/// nonzero terms, or of zeros of opposite signs, is +0, or -0 when rounding down (IEEE 754 6.3).
template <class F>
constexpr typename F::Bits add_round(bool sx, int ex, typename F::Wide mx, bool sy, int ey,
                                     typename F::Wide my, Rounding rm, uint32_t& flags) {
  using Wide = typename F::Wide;
  constexpr int kW = kWideBits<F>;
  if (mx == 0 && my == 0) return zero_bits<F>(sx == sy ? sx : rm == Rounding::kRdn);
  if (my == 0) return round_pack<F>(sx, ex, mx, rm, flags);
  if (mx == 0) return round_pack<F>(sy, ey, my, rm, flags);
  // Both to the top minus two bits (room for the carry); the low 2p bits then end at least
  // kW-2-2p >= 14 bits above bit 0, so an alignment shift of 0 or 1 loses nothing, and a larger
  // one leaves at least kW-4 significant bits after any cancellation.
  normalize_to<F>(mx, ex, kW - 3);
  normalize_to<F>(my, ey, kW - 3);
  if (ex < ey || (ex == ey && mx < my)) {
    std::swap(sx, sy);
    std::swap(ex, ey);
    std::swap(mx, my);
  }
  const int d = ex - ey;
  if (d >= kW) {
    my = 1;
  } else if (d > 0) {
    my = (my >> d) | Wide((my & ((Wide{1} << d) - 1)) != 0);
  }
  Wide m;
  if (sx == sy) {
    m = mx + my;
  } else {
    m = mx - my;  // mx >= my: same exponent now, and if d == 0 compared above
    if (m == 0) return zero_bits<F>(rm == Rounding::kRdn);
  }
  return round_pack<F>(sx, ex, m, rm, flags);
}

}  // namespace glassvm::sf::internal
