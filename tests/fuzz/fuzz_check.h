// What the fuzz targets share: an invariant check that aborts (so libFuzzer records the input).
#pragma once

#include <cstdio>
#include <cstdlib>

namespace glassvm::fuzz {

/// Aborts with `what` on stderr unless `ok`.
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

}  // namespace glassvm::fuzz
