// The Host of the command line, shared by the native `glassvm` (native_host.cpp: termios and
// poll) and the wasm build under node (node_host.cpp: process.stdin events): the console on
// stdout, logging to stderr or a -D file, the steady clock, and QEMU's C-a escapes. Only how
// console input arrives differs.
#pragma once

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <utility>

#include "engine/base/host.h"

namespace glassvm {

class CliHost : public Host {
 public:
  ~CliHost() override;

  /// Sends log output to `path` instead of stderr. Returns false with `error` if it can't be
  /// opened.
  bool set_log_file(const std::string& path, std::string& error);

  void console_write(std::span<const uint8_t> bytes) override;
  uint64_t wall_clock_ns() override;
  void log(LogLevel level, std::string_view message) override;

  /// Whether console input is waiting to be read (the run loop then runs the guest at once).
  virtual bool input_pending() = 0;
  /// Whether standard input has reached its end.
  bool input_closed() const { return eof_; }
  /// Whether the user asked to quit (C-a x).
  bool quit_requested() const { return quit_; }
  /// Watches the console's output for `text` (--snapshot-on-output); console_seen() then says
  /// whether it has appeared since.
  void watch_console(std::string text) {
    watch_ = std::move(text);
    watch_window_.clear();
    watch_seen_ = false;
  }
  bool console_seen() const { return watch_seen_; }
  /// Whether the user asked for a snapshot (C-a s) since the last call; clears the request.
  bool take_snapshot_request() { return std::exchange(snapshot_, false); }

 protected:
  /// Passes one byte read from a terminal through the C-a escapes (QEMU's -nographic):
  /// returns true when `c` goes to the guest; C-a x sets quit_requested(), C-a s asks for a
  /// snapshot (take_snapshot_request()), C-a h prints the
  /// keys, C-a C-a sends one C-a. Bytes from a pipe skip this (they are not keys).
  bool filter_terminal_byte(uint8_t c);

  bool eof_ = false;
  bool quit_ = false;
  bool snapshot_ = false;

 private:
  bool escape_ = false;
  std::string watch_;         ///< the text watch_console() looks for ("": none)
  std::string watch_window_;  ///< the output's last bytes, where a match may have begun
  bool watch_seen_ = false;
  FILE* log_ = stderr;
};

}  // namespace glassvm
