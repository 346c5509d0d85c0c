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

/// Reads `size` (1, 2, 4 or 8) little-endian bytes at `p`. A switch of fixed-size reads, so
/// that every compiler emits plain loads (a memcpy of a variable size is a library call in
/// WebAssembly).
inline uint64_t load_le_sized(const uint8_t* p, unsigned size) {
  switch (size) {
    case 1: return p[0];
    case 2: return load_le<uint16_t>(p);
    case 4: return load_le<uint32_t>(p);
    default: return load_le<uint64_t>(p);
  }
}

/// Writes the low `size` (1, 2, 4 or 8) bytes of `v` at `p`, little-endian.
inline void store_le_sized(uint8_t* p, unsigned size, uint64_t v) {
  switch (size) {
    case 1: p[0] = static_cast<uint8_t>(v); break;
    case 2: store_le<uint16_t>(p, static_cast<uint16_t>(v)); break;
    case 4: store_le<uint32_t>(p, static_cast<uint32_t>(v)); break;
    default: store_le<uint64_t>(p, v); break;
  }
}

}  // namespace glassvm
