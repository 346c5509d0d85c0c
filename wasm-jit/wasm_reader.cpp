// WasmReader's checked reads (wasm_reader.h).
#include "wasm-jit/wasm_reader.h"

#include <cstdio>

namespace glassvm {

void WasmReader::fail(size_t at, const std::string& what) {
  if (!ok()) return;
  char where[40];
  std::snprintf(where, sizeof where, "at offset 0x%zx: ", at);
  error_ = where + what;
}

WasmReader::Saved WasmReader::enter(uint32_t size, size_t at, const char* context) {
  Saved saved{limit_, context_};
  if (ok() && size > left()) {
    fail(at, std::string(context) + " of " + std::to_string(size) +
                 " bytes runs past the end of the " + context_ + " (" + std::to_string(left()) +
                 " bytes left)");
  }
  if (!ok()) return saved;
  limit_ = pos_ + size;
  context_ = context;
  return saved;
}

void WasmReader::leave(const Saved& saved) {
  if (ok() && pos_ != limit_) {
    fail(pos_, std::string(context_) + " has " + std::to_string(left()) + " bytes left over");
  }
  limit_ = saved.limit;
  context_ = saved.context;
}

uint8_t WasmReader::u8() {
  if (ok() && at_limit()) fail(pos_, std::string("unexpected end of the ") + context_);
  return ok() ? bytes_[pos_++] : 0;
}

uint64_t WasmReader::fixed(unsigned size) {
  if (ok() && left() < size) fail(pos_, std::string("unexpected end of the ") + context_);
  if (!ok()) return 0;
  uint64_t value = 0;
  for (unsigned i = 0; i < size; ++i) value |= uint64_t{bytes_[pos_ + i]} << (8 * i);
  pos_ += size;
  return value;
}

std::string_view WasmReader::bytes() {
  const size_t at = pos_;
  const uint32_t size = u32();
  if (ok() && size > left()) {
    fail(at, "a string of " + std::to_string(size) + " bytes runs past the end of the " + context_);
  }
  if (!ok()) return {};
  std::string_view s(reinterpret_cast<const char*>(bytes_.data() + pos_), size);
  pos_ += size;
  return s;
}

// At most ceil(bits/7) bytes, and the unused bits of the last byte must be zero (or, when
// signed, copies of the sign bit).
uint64_t WasmReader::leb(unsigned bits, bool is_signed) {
  const size_t at = pos_;
  const unsigned max_bytes = (bits + 6) / 7;
  uint64_t result = 0;
  for (unsigned i = 0, shift = 0; ok(); ++i, shift += 7) {
    if (at_limit()) {
      fail(at, std::string("LEB128 number runs past the end of the ") + context_);
      break;
    }
    const uint8_t b = bytes_[pos_++];
    if (i == max_bytes - 1) {
      const unsigned used = bits - shift;  // value bits in this last byte
      const unsigned rest = (b & 0x7fu) >> (is_signed ? used - 1 : used);
      const bool extends = rest == 0 || (is_signed && rest == (0x7fu >> (used - 1)));
      if ((b & 0x80) || !extends) {
        fail(at, "LEB128 number too long or too large for " + std::to_string(bits) + " bits");
        break;
      }
    }
    result |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) {
      if (is_signed && shift + 7 < 64 && (b & 0x40)) result |= ~uint64_t{0} << (shift + 7);
      return result;
    }
  }
  return 0;
}

}  // namespace glassvm
