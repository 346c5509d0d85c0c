// The rounded arithmetic: add, sub, mul, div, sqrt and the four fused multiply-adds. Each
// operation settles the special operands (NaN, inf, zero) here by IEEE 754 7.2/7.3 plus RISC-V's
// canonical-NaN rule, then hands an exact or sticky-jammed m * 2^e to round_pack.
#include <initializer_list>

#include "engine/cpu/softfloat.h"
#include "engine/cpu/softfloat_internal.h"

namespace glassvm::sf {
namespace {

using namespace internal;

/// The canonical NaN, with NV if any input NaN was signaling.
template <class F>
typename F::Bits nan_result(uint32_t& flags, std::initializer_list<Kind> kinds) {
  for (Kind k : kinds) {
    if (k == Kind::kSnan) flags |= kNv;
  }
  return kCanonicalNanBits<F>;
}

template <class F>
typename F::Bits add_impl(typename F::Bits a, typename F::Bits b, bool negate_b, Status& st) {
  auto x = unpack<F>(a);
  auto y = unpack<F>(b);
  y.sign ^= negate_b;
  if (is_nan(x.kind) || is_nan(y.kind)) return nan_result<F>(st.flags, {x.kind, y.kind});
  if (x.kind == Kind::kInf || y.kind == Kind::kInf) {
    if (x.kind == Kind::kInf && y.kind == Kind::kInf && x.sign != y.sign) {
      st.flags |= kNv;  // inf - inf
      return kCanonicalNanBits<F>;
    }
    return inf_bits<F>(x.kind == Kind::kInf ? x.sign : y.sign);
  }
  return add_round<F>(x.sign, x.e, x.m, y.sign, y.e, y.m, st.rm, st.flags);
}

template <class F>
typename F::Bits mul_impl(typename F::Bits a, typename F::Bits b, Status& st) {
  const auto x = unpack<F>(a);
  const auto y = unpack<F>(b);
  const bool sign = x.sign != y.sign;
  if (is_nan(x.kind) || is_nan(y.kind)) return nan_result<F>(st.flags, {x.kind, y.kind});
  if (x.kind == Kind::kInf || y.kind == Kind::kInf) {
    if (x.kind == Kind::kZero || y.kind == Kind::kZero) {
      st.flags |= kNv;  // 0 * inf
      return kCanonicalNanBits<F>;
    }
    return inf_bits<F>(sign);
  }
  // Exact: p x p bits fit the wide type.
  return round_pack<F>(sign, x.e + y.e, x.m * y.m, st.rm, st.flags);
}

template <class F>
typename F::Bits div_impl(typename F::Bits a, typename F::Bits b, Status& st) {
  using Wide = typename F::Wide;
  auto x = unpack<F>(a);
  auto y = unpack<F>(b);
  const bool sign = x.sign != y.sign;
  if (is_nan(x.kind) || is_nan(y.kind)) return nan_result<F>(st.flags, {x.kind, y.kind});
  if (x.kind == Kind::kInf) {
    if (y.kind == Kind::kInf) {
      st.flags |= kNv;
      return kCanonicalNanBits<F>;
    }
    return inf_bits<F>(sign);
  }
  if (y.kind == Kind::kInf) return zero_bits<F>(sign);
  if (y.kind == Kind::kZero) {
    if (x.kind == Kind::kZero) {
      st.flags |= kNv;
      return kCanonicalNanBits<F>;
    }
    st.flags |= kDz;
    return inf_bits<F>(sign);
  }
  if (x.kind == Kind::kZero) return zero_bits<F>(sign);
  // Both significands to exactly p bits; then (mx << (p+2)) / my lies in (2^(p+1), 2^(p+3)):
  // at least p+2 quotient bits, the remainder becoming the sticky bit.
  normalize_to<F>(x.m, x.e, F::kP - 1);
  normalize_to<F>(y.m, y.e, F::kP - 1);
  const Wide num = x.m << (F::kP + 2);
  Wide q = num / y.m;
  if (num % y.m != 0) q |= 1;
  return round_pack<F>(sign, x.e - y.e - (F::kP + 2), q, st.rm, st.flags);
}

/// floor(sqrt(n)) by the digit-by-digit method; *exact says whether it was exact.
template <class T>
T isqrt(T n, bool* exact) {
  T res = 0;
  T bit = T{1} << ((bit_width(n) - 1) & ~1);
  while (bit != 0) {
    if (n >= res + bit) {
      n -= res + bit;
      res = (res >> 1) + bit;
    } else {
      res >>= 1;
    }
    bit >>= 2;
  }
  *exact = n == 0;
  return res;
}

template <class F>
typename F::Bits sqrt_impl(typename F::Bits a, Status& st) {
  auto x = unpack<F>(a);
  if (is_nan(x.kind)) return nan_result<F>(st.flags, {x.kind});
  if (x.kind == Kind::kZero) return a;  // sqrt(+-0) = +-0
  if (x.sign) {
    st.flags |= kNv;
    return kCanonicalNanBits<F>;
  }
  if (x.kind == Kind::kInf) return a;
  // m to p bits, e made even, then m scaled by 4^k so that its root has at least p+2 bits:
  // m << 2k >= 2^(p-1+2k) gives a root >= 2^((p-1)/2 + k) with k = p/2 + 2.
  normalize_to<F>(x.m, x.e, F::kP - 1);
  if (x.e & 1) {
    x.m <<= 1;
    x.e -= 1;
  }
  constexpr int kK = F::kP / 2 + 2;
  bool exact;
  auto r = isqrt(x.m << (2 * kK), &exact);
  if (!exact) r |= 1;
  return round_pack<F>(false, x.e / 2 - kK, r, st.rm, st.flags);
}

/// (-1)^negate_product * a * b + (-1)^negate_c * c, rounded once.
template <class F>
typename F::Bits fma_impl(typename F::Bits a, typename F::Bits b, typename F::Bits c,
                          bool negate_product, bool negate_c, Status& st) {
  const auto x = unpack<F>(a);
  const auto y = unpack<F>(b);
  auto z = unpack<F>(c);
  z.sign ^= negate_c;
  const bool psign = (x.sign != y.sign) != negate_product;
  const bool inf_times_zero = (x.kind == Kind::kInf && y.kind == Kind::kZero) ||
                              (x.kind == Kind::kZero && y.kind == Kind::kInf);
  if (is_nan(x.kind) || is_nan(y.kind) || is_nan(z.kind)) {
    // RISC-V: inf * 0 is invalid even when the addend is a quiet NaN.
    if (inf_times_zero) st.flags |= kNv;
    return nan_result<F>(st.flags, {x.kind, y.kind, z.kind});
  }
  if (inf_times_zero) {
    st.flags |= kNv;
    return kCanonicalNanBits<F>;
  }
  if (x.kind == Kind::kInf || y.kind == Kind::kInf) {
    if (z.kind == Kind::kInf && z.sign != psign) {
      st.flags |= kNv;
      return kCanonicalNanBits<F>;
    }
    return inf_bits<F>(psign);
  }
  if (z.kind == Kind::kInf) return inf_bits<F>(z.sign);
  // The product is exact in the wide type (zero when either factor is zero).
  return add_round<F>(psign, x.e + y.e, x.m * y.m, z.sign, z.e, z.m, st.rm, st.flags);
}

}  // namespace

F32 add(F32 a, F32 b, Status& st) {
  return F32{add_impl<Fmt32>(a.v, b.v, false, st)};
}
F64 add(F64 a, F64 b, Status& st) {
  return F64{add_impl<Fmt64>(a.v, b.v, false, st)};
}
F32 sub(F32 a, F32 b, Status& st) {
  return F32{add_impl<Fmt32>(a.v, b.v, true, st)};
}
F64 sub(F64 a, F64 b, Status& st) {
  return F64{add_impl<Fmt64>(a.v, b.v, true, st)};
}
F32 mul(F32 a, F32 b, Status& st) {
  return F32{mul_impl<Fmt32>(a.v, b.v, st)};
}
F64 mul(F64 a, F64 b, Status& st) {
  return F64{mul_impl<Fmt64>(a.v, b.v, st)};
}
F32 div(F32 a, F32 b, Status& st) {
  return F32{div_impl<Fmt32>(a.v, b.v, st)};
}
F64 div(F64 a, F64 b, Status& st) {
  return F64{div_impl<Fmt64>(a.v, b.v, st)};
}
F32 sqrt(F32 a, Status& st) {
  return F32{sqrt_impl<Fmt32>(a.v, st)};
}
F64 sqrt(F64 a, Status& st) {
  return F64{sqrt_impl<Fmt64>(a.v, st)};
}

F32 fmadd(F32 a, F32 b, F32 c, Status& st) {
  return F32{fma_impl<Fmt32>(a.v, b.v, c.v, false, false, st)};
}
F64 fmadd(F64 a, F64 b, F64 c, Status& st) {
  return F64{fma_impl<Fmt64>(a.v, b.v, c.v, false, false, st)};
}
F32 fmsub(F32 a, F32 b, F32 c, Status& st) {
  return F32{fma_impl<Fmt32>(a.v, b.v, c.v, false, true, st)};
}
F64 fmsub(F64 a, F64 b, F64 c, Status& st) {
  return F64{fma_impl<Fmt64>(a.v, b.v, c.v, false, true, st)};
}
F32 fnmsub(F32 a, F32 b, F32 c, Status& st) {
  return F32{fma_impl<Fmt32>(a.v, b.v, c.v, true, false, st)};
}
F64 fnmsub(F64 a, F64 b, F64 c, Status& st) {
  return F64{fma_impl<Fmt64>(a.v, b.v, c.v, true, false, st)};
}
F32 fnmadd(F32 a, F32 b, F32 c, Status& st) {
  return F32{fma_impl<Fmt32>(a.v, b.v, c.v, true, true, st)};
}
F64 fnmadd(F64 a, F64 b, F64 c, Status& st) {
  return F64{fma_impl<Fmt64>(a.v, b.v, c.v, true, true, st)};
}

}  // namespace glassvm::sf
