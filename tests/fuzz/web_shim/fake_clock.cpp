// The fake clock (fake_clock.h) and the native emscripten_get_now() that reads it.
#include "tests/fuzz/web_shim/fake_clock.h"

#include <cmath>

#include "tests/fuzz/web_shim/emscripten.h"

namespace {

double g_now_ms = 0;

}  // namespace

extern "C" double emscripten_get_now(void) {
  g_now_ms += glassvm::fuzz::kFakeClockTickMs;
  return g_now_ms;
}

namespace glassvm::fuzz {

void fake_clock_reset() {
  g_now_ms = 0;
}

void fake_clock_advance(double ms) {
  if (ms > 0 && std::isfinite(ms)) g_now_ms += ms;
}

}  // namespace glassvm::fuzz
