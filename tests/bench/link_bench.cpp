// Share-link benchmark: the size of a link (its URL text, docs/links.md) for each bundled
// teaching program with a minute of recorded input, as the page makes it (the program named,
// with the lesson's devices) and as a link carrying the program itself (a user's own copy).
// The minute of input is 300 keystrokes of shell-like typing (words, Enter, pauses of 0.05 to
// 1.5 s, from a fixed generator) stamped with guest time; and the demo guest's minute is also
// recorded for real (the machine running, each keystroke typed at its guest time; the demo
// sleeps without a timer while it waits for a key, so its guest time stands still meanwhile
// and the real recording spans far less than a minute of guest time).
//
//   build/native/tests/bench/link_bench
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "engine/board/machine.h"
#include "engine/board/machine_link.h"

namespace {

using glassvm::InputLog;
using glassvm::MachineLink;

class QuietHost final : public glassvm::Host {
 public:
  void console_write(std::span<const uint8_t>) override {}
  size_t console_read(std::span<uint8_t> out) override {
    size_t n = 0;
    while (n < out.size() && !input.empty()) {
      out[n++] = static_cast<uint8_t>(input.front());
      input.erase(0, 1);
    }
    return n;
  }
  uint64_t wall_clock_ns() override { return 0; }
  void log(glassvm::LogLevel, std::string_view) override {}
  std::string input;
};

std::vector<uint8_t> read_guest(const std::string& name) {
  std::ifstream f(std::string(GLASSVM_GUEST_DIR) + "/" + name, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "link_bench: cannot read %s\n", name.c_str());
    std::exit(2);
  }
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// A minute of typing: keystrokes with their guest times (ns from 0).
std::vector<std::pair<uint64_t, char>> typing_minute() {
  static const char* const kWords[] = {"help", "ticks", "echo",          "hello", "mem",     "csr",
                                       "ls",   "cat",   "/proc/cpuinfo", "bench", "uname -a"};
  std::mt19937_64 rng(42);
  std::vector<std::pair<uint64_t, char>> keys;
  uint64_t t = 500'000'000;
  while (keys.size() < 300) {
    const std::string word = kWords[rng() % std::size(kWords)];
    for (char c : word + (rng() % 3 == 0 ? "\r" : " ")) {
      t += 50'000'000 + rng() % 150'000'000;  // 50..200 ms between keys
      keys.push_back({t, c});
    }
    t += rng() % 1'500'000'000;  // a pause to think
  }
  keys.resize(300);
  // Scaled to a minute.
  const uint64_t end = keys.back().first;
  for (auto& key : keys)
    key.first =
        static_cast<uint64_t>(static_cast<double>(key.first) * 60e9 / static_cast<double>(end));
  return keys;
}

size_t text_size(const MachineLink& link) {
  return glassvm::encode_link_text(link).size();
}

}  // namespace

int main() {
  const auto keys = typing_minute();
  InputLog minute;
  for (const auto& [t, c] : keys) minute.add(t, static_cast<uint8_t>(c));
  const double seconds = static_cast<double>(keys.back().first) / 1e9;
  std::printf("a minute of input: %zu keystrokes over %.1f s of guest time\n", keys.size(),
              seconds);
  std::printf("%-24s %8s %14s %18s\n", "program", "ELF", "link (named)", "link (carried)");

  struct Program {
    const char* name;
    std::vector<std::string> devices;
  };
  const Program programs[] = {{"demo.elf", {}},
                              {"bench.elf", {}},
                              {"teach_page_fault.elf", {}},
                              {"teach_dma_fault.elf", {"riscv-iommu-sys", "edu-dma"}},
                              {"teach_riscv_iommu.elf", {"riscv-iommu-sys", "edu-dma,ats=on"}},
                              {"teach_virtio_iommu.elf", {"virtio-iommu-device", "edu-dma"}}};
  for (const Program& p : programs) {
    const std::vector<uint8_t> elf = read_guest(p.name);
    MachineLink link;
    link.guest = p.name;
    link.guest_crc = glassvm::link_guest_crc(elf, {});
    link.devices = p.devices;
    link.end_ns = keys.back().first + 1'000'000'000;
    link.end_hash = 0x0123456789abcdef;
    link.input = minute;
    const size_t named = text_size(link);
    link.guest.clear();
    link.program = elf;
    const size_t carried = text_size(link);
    std::printf("%-24s %8zu %9zu chars %13zu chars%s\n", p.name, elf.size(), named, carried,
                carried > glassvm::kMaxLinkText ? " (a file)" : "");
  }

  // The demo guest's minute for real: the keystrokes reach the running guest at their times.
  QuietHost host;
  glassvm::MachineConfig config;
  std::string error;
  auto m = glassvm::Machine::create(config, host, error);
  const std::vector<uint8_t> demo = read_guest("demo.elf");
  if (!m || !m->load_kernel(demo, "demo.elf", error)) {
    std::fprintf(stderr, "link_bench: %s\n", error.c_str());
    return 2;
  }
  m->set_recording(true);
  for (const auto& [t, c] : keys) {
    while (m->guest_ns() < t && !m->exited()) {
      if (m->run(std::min<uint64_t>(t - m->guest_ns(), 10'000'000)) == glassvm::MachineState::Idle)
        break;  // waiting for input: the key arrives now
    }
    host.input.push_back(c);
    m->run(1);
  }
  MachineLink link;
  link.guest = "demo.elf";
  link.guest_crc = glassvm::link_guest_crc(demo, {});
  link.end_ns = m->guest_ns();
  link.end_hash = m->state_hash();
  link.input = m->recording();
  std::printf(
      "demo.elf recorded for real: %zu input events, %llu bytes over %.1f s of guest "
      "time: link %zu chars\n",
      link.input.events.size(), static_cast<unsigned long long>(link.input.byte_count()),
      static_cast<double>(link.end_ns) / 1e9, text_size(link));
  return 0;
}
