// A Host for tests: console output is captured, console input is scripted, time is fake.
#pragma once

#include <deque>
#include <string>

#include "engine/base/host.h"

namespace glassvm::testing {

class TestHost final : public Host {
 public:
  void console_write(std::span<const uint8_t> bytes) override {
    output.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  size_t console_read(std::span<uint8_t> out) override {
    size_t n = 0;
    while (n < out.size() && !input.empty()) {
      out[n++] = static_cast<uint8_t>(input.front());
      input.pop_front();
    }
    return n;
  }
  uint64_t wall_clock_ns() override { return clock_ns; }
  void log(LogLevel, std::string_view message) override {
    logged.append(message);
    logged.push_back('\n');
  }

  /// Queues text as if typed.
  void type(std::string_view text) { input.insert(input.end(), text.begin(), text.end()); }

  std::string output;
  std::string logged;
  std::deque<char> input;
  uint64_t clock_ns = 0;
};

}  // namespace glassvm::testing
