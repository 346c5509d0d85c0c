// Small helpers for the text the views show (internal to ui/).
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>

namespace glassvm::ui {

/// "0x" followed by the value in lower-case hex, without padding.
inline std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

/// "4 KiB", "2 MiB", "1 GiB", "512 GiB" for a page of 2^shift bytes.
inline std::string page_size(unsigned shift) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  const unsigned unit = shift / 10 < 4 ? shift / 10 : 4;
  return std::to_string(1ull << (shift - unit * 10)) + " " + kUnits[unit];
}

}  // namespace glassvm::ui
