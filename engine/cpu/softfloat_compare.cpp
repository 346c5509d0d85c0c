// Min/max, comparisons and classification: no rounding, only the NaN rules (spec "Single-
// Precision Floating-Point Compare Instructions", "Computational Instructions" for FMIN/FMAX as
// of version 2.2, "Classify Instruction").
#include "engine/cpu/softfloat.h"
#include "engine/cpu/softfloat_internal.h"

namespace glassvm::sf {
namespace {

using namespace internal;

template <class F>
bool is_nan_bits(typename F::Bits a) {
  return is_nan(unpack<F>(a).kind);
}
template <class F>
bool is_snan_bits(typename F::Bits a) {
  return unpack<F>(a).kind == Kind::kSnan;
}

/// a < b on non-NaN values as a total order on the encodings, -0 below +0 (used by min/max).
template <class F>
bool less_ordered(typename F::Bits a, typename F::Bits b, bool zero_signs_differ) {
  const bool sa = (a & kSignBit<F>) != 0;
  const bool sb = (b & kSignBit<F>) != 0;
  const auto ma = a & ~kSignBit<F>;
  const auto mb = b & ~kSignBit<F>;
  if (sa != sb) {
    // Different signs: the negative one is smaller, except +0 vs -0 when zeros compare equal.
    if (!zero_signs_differ && ma == 0 && mb == 0) return false;
    return sa;
  }
  return sa ? ma > mb : ma < mb;
}

template <class F>
typename F::Bits minmax(typename F::Bits a, typename F::Bits b, bool want_max, Status& st) {
  const bool na = is_nan_bits<F>(a), nb = is_nan_bits<F>(b);
  if (is_snan_bits<F>(a) || is_snan_bits<F>(b)) st.flags |= kNv;
  if (na && nb) return kCanonicalNanBits<F>;
  if (na) return b;
  if (nb) return a;
  const bool a_less = less_ordered<F>(a, b, true);
  return a_less != want_max ? a : b;
}

template <class F>
bool feq_impl(typename F::Bits a, typename F::Bits b, Status& st) {
  if (is_nan_bits<F>(a) || is_nan_bits<F>(b)) {
    if (is_snan_bits<F>(a) || is_snan_bits<F>(b)) st.flags |= kNv;
    return false;
  }
  return a == b || ((a | b) & ~kSignBit<F>) == 0;
}

template <class F>
bool flt_impl(typename F::Bits a, typename F::Bits b, Status& st) {
  if (is_nan_bits<F>(a) || is_nan_bits<F>(b)) {
    st.flags |= kNv;
    return false;
  }
  return less_ordered<F>(a, b, false);
}

template <class F>
bool fle_impl(typename F::Bits a, typename F::Bits b, Status& st) {
  if (is_nan_bits<F>(a) || is_nan_bits<F>(b)) {
    st.flags |= kNv;
    return false;
  }
  return !less_ordered<F>(b, a, false);
}

template <class F>
uint32_t fclass_impl(typename F::Bits a) {
  const auto x = unpack<F>(a);
  const bool subnormal = ((a >> kFracBits<F>)&typename F::Bits(kExpMax<F>)) == 0;
  switch (x.kind) {
    case Kind::kInf: return x.sign ? 1u << 0 : 1u << 7;
    case Kind::kZero: return x.sign ? 1u << 3 : 1u << 4;
    case Kind::kSnan: return 1u << 8;
    case Kind::kQnan: return 1u << 9;
    case Kind::kFinite: break;
  }
  if (subnormal) return x.sign ? 1u << 2 : 1u << 5;
  return x.sign ? 1u << 1 : 1u << 6;
}

}  // namespace

F32 min(F32 a, F32 b, Status& st) {
  return F32{minmax<Fmt32>(a.v, b.v, false, st)};
}
F64 min(F64 a, F64 b, Status& st) {
  return F64{minmax<Fmt64>(a.v, b.v, false, st)};
}
F32 max(F32 a, F32 b, Status& st) {
  return F32{minmax<Fmt32>(a.v, b.v, true, st)};
}
F64 max(F64 a, F64 b, Status& st) {
  return F64{minmax<Fmt64>(a.v, b.v, true, st)};
}
bool feq(F32 a, F32 b, Status& st) {
  return feq_impl<Fmt32>(a.v, b.v, st);
}
bool feq(F64 a, F64 b, Status& st) {
  return feq_impl<Fmt64>(a.v, b.v, st);
}
bool flt(F32 a, F32 b, Status& st) {
  return flt_impl<Fmt32>(a.v, b.v, st);
}
bool flt(F64 a, F64 b, Status& st) {
  return flt_impl<Fmt64>(a.v, b.v, st);
}
bool fle(F32 a, F32 b, Status& st) {
  return fle_impl<Fmt32>(a.v, b.v, st);
}
bool fle(F64 a, F64 b, Status& st) {
  return fle_impl<Fmt64>(a.v, b.v, st);
}
uint32_t fclass(F32 a) {
  return fclass_impl<Fmt32>(a.v);
}
uint32_t fclass(F64 a) {
  return fclass_impl<Fmt64>(a.v);
}

}  // namespace glassvm::sf
