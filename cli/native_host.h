// The command line's Host: the console on stdin/stdout, the steady clock, logging to stderr or
// a -D file.
#pragma once

#include <cstdio>
#include <string>

#include "engine/base/host.h"

namespace glassvm {

class NativeHost final : public Host {
 public:
  /// With `raw_tty`, a terminal on stdin is switched to raw input (restored by the destructor)
  /// so that every key reaches the guest; Ctrl-A x then quits and Ctrl-A Ctrl-A sends Ctrl-A,
  /// as in QEMU's -nographic.
  explicit NativeHost(bool raw_tty);
  ~NativeHost() override;

  /// Sends log output to `path` instead of stderr. Returns false with `error` if it can't be
  /// opened.
  bool set_log_file(const std::string& path, std::string& error);

  void console_write(std::span<const uint8_t> bytes) override;
  size_t console_read(std::span<uint8_t> out) override;
  uint64_t wall_clock_ns() override;
  void log(LogLevel level, std::string_view message) override;

  /// Blocks until console input is available or `timeout_ms` passes.
  void wait_for_input(int timeout_ms);
  /// Whether standard input has reached its end.
  bool input_closed() const { return eof_; }
  /// Whether the user asked to quit (Ctrl-A x).
  bool quit_requested() const { return quit_; }

 private:
  bool raw_ = false;
  bool eof_ = false;
  bool escape_ = false;
  bool quit_ = false;
  FILE* log_ = stderr;
  struct Saved;
  Saved* saved_ = nullptr;
};

}  // namespace glassvm
