// The native command line's Host: console input from a terminal (raw mode) or a pipe on stdin,
// polled; the rest is CliHost's.
#pragma once

#include "cli/cli_host.h"

namespace glassvm {

class NativeHost final : public CliHost {
 public:
  /// With `raw_tty`, a terminal on stdin is switched to raw input (restored by the destructor)
  /// so that every key reaches the guest; Ctrl-A x then quits and Ctrl-A Ctrl-A sends Ctrl-A,
  /// as in QEMU's -nographic.
  explicit NativeHost(bool raw_tty);
  ~NativeHost() override;

  size_t console_read(std::span<uint8_t> out) override;
  bool input_pending() override;

  /// Blocks until console input is available or `timeout_ms` passes.
  void wait_for_input(int timeout_ms);

 private:
  bool raw_ = false;
  struct Saved;
  Saved* saved_ = nullptr;
};

}  // namespace glassvm
