// Conversions between the two formats and to and from integers (spec "Floating-Point
// Conversion and Move Instructions", including the table of fcvt results for out-of-range
// inputs: saturation, NaN to the largest positive integer, NV without NX).
#include "engine/cpu/softfloat.h"
#include "engine/cpu/softfloat_internal.h"

namespace glassvm::sf {
namespace {

using namespace internal;

template <class To, class From>
typename To::Bits convert_float(typename From::Bits a, Status& st) {
  const auto x = unpack<From>(a);
  switch (x.kind) {
    case Kind::kSnan: st.flags |= kNv; return kCanonicalNanBits<To>;
    case Kind::kQnan: return kCanonicalNanBits<To>;
    case Kind::kInf: return inf_bits<To>(x.sign);
    case Kind::kZero: return zero_bits<To>(x.sign);
    case Kind::kFinite: break;
  }
  // At most 53 significant bits, which fit either wide type; exact, so no sticky bit.
  return round_pack<To>(x.sign, x.e, typename To::Wide(x.m), st.rm, st.flags);
}

/// Float to a `width`-bit integer, signed or not, as a two's-complement bit pattern.
template <class F>
uint64_t to_int(typename F::Bits a, bool is_signed, int width, Status& st) {
  const U128 umax = (U128{1} << width) - 1;
  const U128 smax = (U128{1} << (width - 1)) - 1;
  const uint64_t max_bits = static_cast<uint64_t>(is_signed ? smax : umax);
  const uint64_t min_bits = is_signed ? static_cast<uint64_t>(-static_cast<int64_t>(smax) - 1) : 0;
  const auto x = unpack<F>(a);
  switch (x.kind) {
    case Kind::kSnan:
    case Kind::kQnan: st.flags |= kNv; return max_bits;
    case Kind::kInf: st.flags |= kNv; return x.sign ? min_bits : max_bits;
    case Kind::kZero: return 0;
    case Kind::kFinite: break;
  }
  // The magnitude rounded to an integer; anything of 2^66 or more is out of every range.
  U128 mag;
  bool inexact = false;
  const int msb = bit_width(x.m) - 1;
  if (x.e >= 0) {
    if (x.e + msb >= 66) {
      st.flags |= kNv;
      return x.sign ? min_bits : max_bits;
    }
    mag = U128(x.m) << x.e;
  } else {
    mag = round_shift(U128(x.m), -x.e, x.sign, st.rm, &inexact);
  }
  const U128 limit = is_signed ? (x.sign ? smax + 1 : smax) : (x.sign ? 0 : umax);
  if (mag > limit) {
    st.flags |= kNv;
    return x.sign ? min_bits : max_bits;
  }
  if (inexact) st.flags |= kNx;
  const uint64_t bits = static_cast<uint64_t>(mag);
  return x.sign ? 0 - bits : bits;
}

template <class F>
typename F::Bits from_int(bool sign, uint64_t magnitude, Status& st) {
  return round_pack<F>(sign, 0, typename F::Wide(magnitude), st.rm, st.flags);
}

uint64_t magnitude(int64_t v) {
  return v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
}

}  // namespace

F64 f32_to_f64(F32 a, Status& st) {
  return F64{convert_float<Fmt64, Fmt32>(a.v, st)};
}
F32 f64_to_f32(F64 a, Status& st) {
  return F32{convert_float<Fmt32, Fmt64>(a.v, st)};
}

int32_t f32_to_i32(F32 a, Status& st) {
  return static_cast<int32_t>(to_int<Fmt32>(a.v, true, 32, st));
}
uint32_t f32_to_u32(F32 a, Status& st) {
  return static_cast<uint32_t>(to_int<Fmt32>(a.v, false, 32, st));
}
int64_t f32_to_i64(F32 a, Status& st) {
  return static_cast<int64_t>(to_int<Fmt32>(a.v, true, 64, st));
}
uint64_t f32_to_u64(F32 a, Status& st) {
  return to_int<Fmt32>(a.v, false, 64, st);
}
int32_t f64_to_i32(F64 a, Status& st) {
  return static_cast<int32_t>(to_int<Fmt64>(a.v, true, 32, st));
}
uint32_t f64_to_u32(F64 a, Status& st) {
  return static_cast<uint32_t>(to_int<Fmt64>(a.v, false, 32, st));
}
int64_t f64_to_i64(F64 a, Status& st) {
  return static_cast<int64_t>(to_int<Fmt64>(a.v, true, 64, st));
}
uint64_t f64_to_u64(F64 a, Status& st) {
  return to_int<Fmt64>(a.v, false, 64, st);
}

F32 i32_to_f32(int32_t a, Status& st) {
  return F32{from_int<Fmt32>(a < 0, magnitude(a), st)};
}
F32 u32_to_f32(uint32_t a, Status& st) {
  return F32{from_int<Fmt32>(false, a, st)};
}
F32 i64_to_f32(int64_t a, Status& st) {
  return F32{from_int<Fmt32>(a < 0, magnitude(a), st)};
}
F32 u64_to_f32(uint64_t a, Status& st) {
  return F32{from_int<Fmt32>(false, a, st)};
}
F64 i32_to_f64(int32_t a, Status& st) {
  return F64{from_int<Fmt64>(a < 0, magnitude(a), st)};
}
F64 u32_to_f64(uint32_t a, Status& st) {
  return F64{from_int<Fmt64>(false, a, st)};
}
F64 i64_to_f64(int64_t a, Status& st) {
  return F64{from_int<Fmt64>(a < 0, magnitude(a), st)};
}
F64 u64_to_f64(uint64_t a, Status& st) {
  return F64{from_int<Fmt64>(false, a, st)};
}

}  // namespace glassvm::sf
