// Test support: WebAssembly modules written out as bytes in a test, one section at a time, so
// that the printer's and the validators' tests are hermetic (no assembler at test time).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace glassvm::test {

using WasmBytes = std::vector<uint8_t>;

/// `value` as unsigned LEB128.
inline WasmBytes uleb(uint64_t value) {
  WasmBytes out;
  do {
    uint8_t b = value & 0x7f;
    value >>= 7;
    out.push_back(value ? b | 0x80 : b);
  } while (value);
  return out;
}

/// The concatenation of `parts`.
inline WasmBytes cat(std::initializer_list<WasmBytes> parts) {
  WasmBytes out;
  for (const WasmBytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

/// A name or byte string: its length, then its bytes.
inline WasmBytes str(std::string_view s) {
  return cat({uleb(s.size()), WasmBytes(s.begin(), s.end())});
}

/// A section: its id, its size, then `contents`.
inline WasmBytes section(uint8_t id, const WasmBytes& contents) {
  return cat({{id}, uleb(contents.size()), contents});
}

/// A vector of `items`: their count, then each.
inline WasmBytes vec(std::initializer_list<WasmBytes> items) {
  return cat({uleb(items.size()), cat(items)});
}

/// A function body (an entry of the code section): its size, then `locals` and `code`.
inline WasmBytes body(const WasmBytes& locals, const WasmBytes& code) {
  return cat({uleb(locals.size() + code.size()), locals, code});
}

/// A module: the magic number and version 1, then `sections` in order.
inline WasmBytes wasm_module(std::initializer_list<WasmBytes> sections) {
  return cat({{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}, cat(sections)});
}

}  // namespace glassvm::test
