// A bounds-checked reader of WebAssembly binary format bytes (section 5.2 of the Core
// Specification 2.0: bytes, LEB128 integers, fixed-size floats, length-prefixed strings).
//
// Design note: made for untrusted bytes. Reads stop at a movable limit (the module, then a
// section, then a function body), and the first error sticks: afterwards every read returns
// zero without moving, so a loop over a count read from the bytes ends as soon as they run out
// instead of trusting the count. Guest-agnostic, like the rest of the encoder side.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace glassvm {

/// Reads a wasm module's bytes, failing (once, with the byte offset) on anything malformed.
class WasmReader {
 public:
  /// The limit and context to restore after a narrowed range (see enter()).
  struct Saved {
    size_t limit;
    const char* context;
  };

  /// Reads `bytes`, which must outlive the reader.
  explicit WasmReader(std::span<const uint8_t> bytes) : bytes_(bytes), limit_(bytes.size()) {}

  /// True until the first failure.
  bool ok() const { return error_.empty(); }
  /// The offset of the next byte from the start of the module.
  size_t pos() const { return pos_; }
  /// Whether the current range is read to its end.
  bool at_limit() const { return pos_ >= limit_; }
  /// The bytes left in the current range.
  size_t left() const { return limit_ - pos_; }
  /// The first failure: "at offset 0x1f: what went wrong"; empty while ok().
  const std::string& error() const { return error_; }

  /// Records a failure at byte offset `at`, unless one is recorded already.
  void fail(size_t at, const std::string& what);

  /// Narrows the range to the next `size` bytes, a `context` ("section", "function body") whose
  /// size field is at `at`; fails when they run past the current range. Undo with leave().
  Saved enter(uint32_t size, size_t at, const char* context);
  /// Fails unless the narrowed range was read to its end, then restores `saved`.
  void leave(const Saved& saved);
  /// Skips to the end of the current range.
  void skip_rest() { pos_ = pos_ > limit_ ? pos_ : limit_; }

  /// One byte.
  uint8_t u8();
  /// `size` (at most 8) bytes, little-endian.
  uint64_t fixed(unsigned size);
  /// LEB128 integers, checked for length and for unused bits (section 5.2.2).
  uint32_t u32() { return static_cast<uint32_t>(leb(32, false)); }
  int32_t s32() { return static_cast<int32_t>(static_cast<uint32_t>(leb(32, true))); }
  int64_t s33() { return static_cast<int64_t>(leb(33, true)); }
  int64_t s64() { return static_cast<int64_t>(leb(64, true)); }
  /// A length-prefixed byte string (a name, a data segment's bytes), viewing the input.
  std::string_view bytes();

 private:
  uint64_t leb(unsigned bits, bool is_signed);

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  size_t limit_;
  const char* context_ = "module";
  std::string error_;
};

}  // namespace glassvm
