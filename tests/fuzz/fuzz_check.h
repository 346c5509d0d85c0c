// What the fuzz targets share: an invariant check that aborts (so libFuzzer records the input),
// and a Host that swallows everything.
#pragma once

#include <cstdio>
#include <cstdlib>

#include "engine/base/host.h"

namespace glassvm::fuzz {

/// Aborts with `what` on stderr unless `ok`.
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

/// A Host with no console, no input and no clock, for machines built by a fuzz target.
class QuietHost final : public Host {
 public:
  void console_write(std::span<const uint8_t>) override {}
  size_t console_read(std::span<uint8_t>) override { return 0; }
  uint64_t wall_clock_ns() override { return 0; }
  void log(LogLevel, std::string_view) override {}
};

}  // namespace glassvm::fuzz
