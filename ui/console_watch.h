// A Host that passes everything through to another and can watch the guest's console output
// for a string: "run until the console prints X" (the Lessons panel's console stop). The
// match completes with the line that holds the text (its newline written), so that the stop
// shows the whole line.
//
// Design note: App builds its machines on this Host rather than on the embedder's, so that the
// console is watched where the bytes are written, inside Machine::run, and the hart can be
// stopped at the instruction boundary after the write. Only a tail shorter than the watched
// text, or the rest of the matching line up to kMaxLineRest, is kept between writes (bounded,
// whatever the guest prints), and an unarmed watch costs one branch per write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "engine/base/host.h"

namespace glassvm::ui {

/// Forwards every call to an inner Host, and when armed, calls a handler the first time the
/// console output written since arming contains the watched text.
class ConsoleWatch final : public Host {
 public:
  /// Longest text that can be watched; longer texts are cut to their first kMaxText bytes.
  static constexpr size_t kMaxText = 256;
  /// After the text, at most this many bytes are awaited for the end of its line.
  static constexpr size_t kMaxLineRest = 4096;

  /// Forwards to `inner`, which must outlive this.
  explicit ConsoleWatch(Host& inner) : inner_(inner) {}

  /// Watches for `text` (non-empty) in the output from now on; `on_match` runs once, inside the
  /// console_write that ends the line holding it (or passes kMaxLineRest bytes after it), and
  /// the watch then disarms itself.
  void arm(std::string text, std::function<void()> on_match);
  /// Completes a match whose line is still open because the text ends the output so far (a
  /// shell prompt, then the guest waits for input): runs the handler and returns true. Returns
  /// false (and keeps waiting) otherwise.
  bool complete_open_line();
  /// Stops watching (nothing happens on a match).
  void disarm();
  bool armed() const { return !text_.empty(); }
  const std::string& text() const { return text_; }

  void console_write(std::span<const uint8_t> bytes) override;
  size_t console_read(std::span<uint8_t> out) override { return inner_.console_read(out); }
  uint64_t wall_clock_ns() override { return inner_.wall_clock_ns(); }
  void log(LogLevel level, std::string_view message) override { inner_.log(level, message); }

 private:
  Host& inner_;
  std::string text_;    ///< the watched text; empty: not armed
  std::string tail_;    ///< before a match: the last text_.size() - 1 bytes; after: the line's rest
  bool found_ = false;  ///< the text was written; waiting for the end of its line
  std::function<void()> on_match_;
};

}  // namespace glassvm::ui
