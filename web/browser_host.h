// The engine's Host in the browser.
//
// Design note: the guest writes its console one byte at a time, and a call from wasm into JS per
// byte would dominate a chatty guest. BrowserHost therefore buffers output and hands it to the
// page once per frame (flush_output), where web/glassvm.js feeds xterm.js and the
// glassvm.consoleText() log. Input typed in the terminal (or sent with glassvm.sendInput) is
// queued here and drained by the UART through console_read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>

#include "engine/base/host.h"

namespace glassvm::web {

/// Host implementation for the Emscripten build: console through the page's JS, the clock from
/// performance.now(), logging to the browser console.
class BrowserHost final : public Host {
 public:
  /// Most bytes of pending input kept; further input is dropped (a huge paste cannot exhaust
  /// memory while the guest is paused).
  static constexpr size_t kMaxPendingInput = 1 << 20;
  /// Output is flushed early once this many bytes are buffered within one frame.
  static constexpr size_t kFlushThreshold = 64 << 10;

  /// Buffers guest console output until the next flush_output().
  void console_write(std::span<const uint8_t> bytes) override;
  /// Drains queued user input.
  size_t console_read(std::span<uint8_t> out) override;
  /// performance.now() in nanoseconds.
  uint64_t wall_clock_ns() override;
  /// Prints to the browser's developer console (console.debug/log/warn/error by level).
  void log(LogLevel level, std::string_view message) override;

  /// Queues bytes the user typed for the guest; bytes beyond kMaxPendingInput are dropped.
  void push_input(std::span<const uint8_t> bytes);
  /// Bytes of input still waiting for the guest.
  size_t pending_input() const { return input_.size(); }
  /// Drops pending input (the machine was rebuilt or reset).
  void clear_input() { input_.clear(); }

  /// Hands buffered output to the page (Module.onGlassvmConsole) and empties the buffer.
  void flush_output();

 private:
  std::string output_;
  std::deque<uint8_t> input_;
};

}  // namespace glassvm::web
