// The engine's only window on the outside world.
//
// Design note: the engine never calls the OS, the browser or a terminal directly. Whatever it
// needs from outside (console bytes, the wall clock, logging, later block storage) goes through
// this interface. The native command line, the browser and the tests each implement it, so that
// the engine that ships is the engine that is tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace glassvm {

enum class LogLevel : uint8_t { Debug, Info, Warning, Error };

/// What the engine needs from its embedder. Implementations must not throw.
class Host {
 public:
  virtual ~Host() = default;

  /// Sends bytes the guest wrote to its console (UART, HTIF, SBI console) to the user.
  virtual void console_write(std::span<const uint8_t> bytes) = 0;

  /// Copies up to `out.size()` bytes of pending console input into `out` without blocking and
  /// returns how many were copied (0 when nothing is pending).
  virtual size_t console_read(std::span<uint8_t> out) = 0;

  /// A monotonic wall clock in nanoseconds. Used only to pace idle guests, never for guest time.
  virtual uint64_t wall_clock_ns() = 0;

  /// A diagnostic message for the user (trace output, warnings about guest behaviour).
  virtual void log(LogLevel level, std::string_view message) = 0;
};

}  // namespace glassvm
