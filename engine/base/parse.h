// Reading numbers the way QEMU's command line and device properties do.
#pragma once

#include <cstdint>
#include <string_view>

namespace glassvm {

/// Parses `text` as a decimal number, or (when `allow_hex`) a hexadecimal one with a 0x or 0X
/// prefix, into `value`. Never octal: QEMU reads "010" as ten, and a user who writes a leading
/// zero does not mean base 8. Returns false, leaving `value` alone, for an empty text, any
/// other character, or a value above UINT64_MAX.
inline bool parse_u64(std::string_view text, uint64_t& value, bool allow_hex = true) {
  const bool hex =
      allow_hex && text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const size_t start = hex ? 2 : 0;
  const uint64_t base = hex ? 16 : 10;
  if (text.size() <= start) return false;
  uint64_t v = 0;
  for (size_t i = start; i < text.size(); ++i) {
    const char c = text[i];
    uint64_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint64_t>(c - '0');
    } else if (hex && c >= 'a' && c <= 'f') {
      digit = static_cast<uint64_t>(c - 'a' + 10);
    } else if (hex && c >= 'A' && c <= 'F') {
      digit = static_cast<uint64_t>(c - 'A' + 10);
    } else {
      return false;
    }
    if (v > (UINT64_MAX - digit) / base) return false;
    v = v * base + digit;
  }
  value = v;
  return true;
}

}  // namespace glassvm
