// The RV64M operations whose result is more than one host instruction: the special cases of
// division (by zero, overflow) and the high halves of products, as the unprivileged spec's
// M chapter defines them. Pure functions, shared by the interpreter and the JIT's helpers so
// that each instruction has one meaning.
#pragma once

#include <cstdint>

namespace glassvm::alu {

/// Sign-extends the low 32 bits to 64 (the *W instructions' result rule).
constexpr uint64_t sext32(uint64_t v) {
  return static_cast<uint64_t>(
      static_cast<int64_t>(static_cast<int32_t>(static_cast<uint32_t>(v))));
}

/// MULH: high 64 bits of signed x signed.
inline uint64_t mulh(uint64_t a, uint64_t b) {
  return static_cast<uint64_t>((static_cast<__int128>(static_cast<int64_t>(a)) *
                                static_cast<__int128>(static_cast<int64_t>(b))) >>
                               64);
}
/// MULHSU: high 64 bits of signed a x unsigned b.
inline uint64_t mulhsu(uint64_t a, uint64_t b) {
  return static_cast<uint64_t>(
      (static_cast<__int128>(static_cast<int64_t>(a)) * static_cast<__int128>(b)) >> 64);
}
/// MULHU: high 64 bits of unsigned x unsigned.
inline uint64_t mulhu(uint64_t a, uint64_t b) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >> 64);
}
/// DIV: x / 0 = -1; INT64_MIN / -1 = INT64_MIN (overflow).
constexpr uint64_t div(uint64_t ua, uint64_t ub) {
  const int64_t a = static_cast<int64_t>(ua), b = static_cast<int64_t>(ub);
  return b == 0 ? ~uint64_t{0} : (a == INT64_MIN && b == -1) ? ua : static_cast<uint64_t>(a / b);
}
/// DIVU: x / 0 = all ones.
constexpr uint64_t divu(uint64_t a, uint64_t b) {
  return b == 0 ? ~uint64_t{0} : a / b;
}
/// REM: x % 0 = x; INT64_MIN % -1 = 0.
constexpr uint64_t rem(uint64_t ua, uint64_t ub) {
  const int64_t a = static_cast<int64_t>(ua), b = static_cast<int64_t>(ub);
  return b == 0 ? ua : (a == INT64_MIN && b == -1) ? 0 : static_cast<uint64_t>(a % b);
}
/// REMU: x % 0 = x.
constexpr uint64_t remu(uint64_t a, uint64_t b) {
  return b == 0 ? a : a % b;
}
/// DIVW: 32-bit DIV, sign-extended.
constexpr uint64_t divw(uint64_t ua, uint64_t ub) {
  const int32_t a = static_cast<int32_t>(ua), b = static_cast<int32_t>(ub);
  return b == 0                        ? ~uint64_t{0}
         : (a == INT32_MIN && b == -1) ? sext32(static_cast<uint32_t>(a))
                                       : sext32(static_cast<uint32_t>(a / b));
}
/// DIVUW: 32-bit DIVU, sign-extended.
constexpr uint64_t divuw(uint64_t ua, uint64_t ub) {
  const uint32_t a = static_cast<uint32_t>(ua), b = static_cast<uint32_t>(ub);
  return b == 0 ? ~uint64_t{0} : sext32(a / b);
}
/// REMW: 32-bit REM, sign-extended.
constexpr uint64_t remw(uint64_t ua, uint64_t ub) {
  const int32_t a = static_cast<int32_t>(ua), b = static_cast<int32_t>(ub);
  return b == 0                        ? sext32(static_cast<uint32_t>(a))
         : (a == INT32_MIN && b == -1) ? 0
                                       : sext32(static_cast<uint32_t>(a % b));
}
/// REMUW: 32-bit REMU, sign-extended.
constexpr uint64_t remuw(uint64_t ua, uint64_t ub) {
  const uint32_t a = static_cast<uint32_t>(ua), b = static_cast<uint32_t>(ub);
  return b == 0 ? sext32(a) : sext32(a % b);
}

}  // namespace glassvm::alu
