#include "web/browser_host.h"

#include <emscripten.h>

#include <algorithm>

namespace glassvm::web {
namespace {

// The page installs Module.onGlassvmConsole(Uint8Array); until then output is dropped here
// (BrowserHost keeps nothing the page never asked for).
EM_JS(void, js_console_output, (const uint8_t* data, size_t size), {
  if (Module["onGlassvmConsole"]) Module["onGlassvmConsole"](HEAPU8.slice(data, data + size));
});

EM_JS(void, js_log, (int level, const char* data, size_t size), {
  var text = "[glassvm] " + UTF8ToString(data, size);
  if (level >= 3)
    console.error(text);
  else if (level == 2)
    console.warn(text);
  else if (level == 1)
    console.log(text);
  else
    console.debug(text);
});

}  // namespace

void BrowserHost::console_write(std::span<const uint8_t> bytes) {
  output_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (output_.size() >= kFlushThreshold) flush_output();
}

size_t BrowserHost::console_read(std::span<uint8_t> out) {
  const size_t n = std::min(out.size(), input_.size());
  std::copy_n(input_.begin(), n, out.begin());
  input_.erase(input_.begin(), input_.begin() + static_cast<std::ptrdiff_t>(n));
  return n;
}

uint64_t BrowserHost::wall_clock_ns() {
  return static_cast<uint64_t>(emscripten_get_now() * 1e6);
}

void BrowserHost::log(LogLevel level, std::string_view message) {
  js_log(static_cast<int>(level), message.data(), message.size());
}

void BrowserHost::push_input(std::span<const uint8_t> bytes) {
  const size_t room = kMaxPendingInput - std::min(kMaxPendingInput, input_.size());
  const size_t n = std::min(room, bytes.size());
  input_.insert(input_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
}

void BrowserHost::flush_output() {
  if (output_.empty()) return;
  js_console_output(reinterpret_cast<const uint8_t*>(output_.data()), output_.size());
  output_.clear();
}

}  // namespace glassvm::web
