// A native BrowserHost (web/browser_host.h) for the web API's fuzz target: guest console output
// and logs are dropped, input is queued as the page's is, and the clock is the fake one behind
// the native emscripten_get_now(). web/browser_host.cpp itself talks to the page through EM_JS,
// which has no native form.
#include <algorithm>
#include <cmath>

#include "tests/fuzz/web_shim/emscripten.h"
#include "tests/fuzz/web_shim/fake_clock.h"
#include "web/browser_host.h"

namespace {

double g_now_ms = 0;  // the fake clock

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

namespace glassvm::web {

void BrowserHost::console_write(std::span<const uint8_t> bytes) {
  output_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (output_.size() >= kFlushThreshold) flush_output();
}

// As web/browser_host.cpp: the queue is the page's, and so are its bounds.
size_t BrowserHost::console_read(std::span<uint8_t> out) {
  const size_t n = std::min(out.size(), input_.size());
  std::copy_n(input_.begin(), n, out.begin());
  input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(n));
  return n;
}

uint64_t BrowserHost::wall_clock_ns() {
  return static_cast<uint64_t>(emscripten_get_now() * 1e6);
}

void BrowserHost::log(LogLevel, std::string_view) {}

void BrowserHost::push_input(std::span<const uint8_t> bytes) {
  const size_t room = kMaxPendingInput - std::min(kMaxPendingInput, input_.size());
  const size_t n = std::min(room, bytes.size());
  input_.insert(input_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
}

void BrowserHost::flush_output() {
  output_.clear();
}

}  // namespace glassvm::web
