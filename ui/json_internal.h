// Small helpers for the JSON strings the UI hands to JavaScript (internal to ui/).
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace glassvm::ui {

/// Appends `text` as a JSON string literal (quotes included), escaping what JSON requires.
inline void json_append_string(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

/// "0x" followed by the value in lower-case hex, zero-padded to 16 digits.
inline std::string hex64(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, value);
  return buf;
}

}  // namespace glassvm::ui
