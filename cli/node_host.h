// The Host of glassvm-node, the command line built with Emscripten and run by node: console
// input from process.stdin (a terminal in raw mode, or a pipe), buffered on the JS side.
//
// Design note: under node, a read of stdin that waits would block the one thread that also runs
// the guest, and a non-blocking read of fd 0 fails on a terminal or pipe node has not set up.
// So stdin is node's own stream: its 'data' events append to a queue in JS, and console_read()
// takes from that queue without waiting. The queue is bounded: past kStdinHighWater bytes the
// stream is paused (the pipe then pushes back on its writer) and resumed once the guest has
// read most of it. The run loop (main_node.cpp) gives the event loop a turn between slices,
// which is when those events arrive.
#pragma once

#include "cli/cli_host.h"

namespace glassvm {

class NodeHost final : public CliHost {
 public:
  /// Starts listening on process.stdin; with `raw_tty` a terminal is put in raw mode (restored
  /// by the destructor) and C-a x quits, as in the native build.
  explicit NodeHost(bool raw_tty);
  ~NodeHost() override;

  size_t console_read(std::span<uint8_t> out) override;
  bool input_pending() override;

 private:
  bool raw_ = false;
};

}  // namespace glassvm
