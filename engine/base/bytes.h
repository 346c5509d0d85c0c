// Byte-order helpers: read and write little- and big-endian integers in byte buffers.
//
// Guest memory, ELF files and MMIO registers are little-endian; the flattened device tree is
// big-endian. These work on any host and compile to a plain load or store where they can.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace glassvm {

/// Reads an unsigned little-endian integer of sizeof(T) bytes from `p`.
template <typename T>
constexpr T load_le(const uint8_t* p) {
  static_assert(std::is_unsigned_v<T>, "load_le reads unsigned integers");
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(T{p[i]} << (8 * i));
  return v;
}

/// Writes `v` to `p` as sizeof(T) little-endian bytes.
template <typename T>
constexpr void store_le(uint8_t* p, T v) {
  static_assert(std::is_unsigned_v<T>, "store_le writes unsigned integers");
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

/// Reads an unsigned big-endian integer of sizeof(T) bytes from `p`.
template <typename T>
constexpr T load_be(const uint8_t* p) {
  static_assert(std::is_unsigned_v<T>, "load_be reads unsigned integers");
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | p[i]);
  return v;
}

/// Writes `v` to `p` as sizeof(T) big-endian bytes.
template <typename T>
constexpr void store_be(uint8_t* p, T v) {
  static_assert(std::is_unsigned_v<T>, "store_be writes unsigned integers");
  for (size_t i = 0; i < sizeof(T); ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * (sizeof(T) - 1 - i)));
}

}  // namespace glassvm
