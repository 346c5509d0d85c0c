// Snapshot benchmark: boots the bundled Linux to its shell prompt, then saves the machine and
// restores it several times, and prints the snapshot's size and the median save and restore
// times (restore: Machine::from_snapshot, a new machine with everything in place).
//
//   build/native/tests/bench/snapshot_bench [--runs N] [-m MIB]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/board/machine.h"

namespace {

using glassvm::Machine;

class QuietHost final : public glassvm::Host {
 public:
  void console_write(std::span<const uint8_t> bytes) override {
    output.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (output.size() > 4096) output.erase(0, output.size() - 4096);
  }
  size_t console_read(std::span<uint8_t>) override { return 0; }
  uint64_t wall_clock_ns() override { return 0; }
  void log(glassvm::LogLevel, std::string_view) override {}
  std::string output;
};

std::vector<uint8_t> read_file(const char* path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "snapshot_bench: cannot read %s\n", path);
    std::exit(2);
  }
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  uint64_t mib = 128;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) runs = std::max(1, std::atoi(argv[i + 1]));
    if (!std::strcmp(argv[i], "-m")) mib = std::strtoull(argv[i + 1], nullptr, 10);
  }
  QuietHost host;
  glassvm::MachineConfig config;
  config.ram_size = mib << 20;
  config.append = "console=ttyS0";
  std::string error;
  auto m = Machine::create(config, host, error);
  if (!m || !m->load_kernel(read_file(GLASSVM_LINUX_IMAGE), "Image", error) ||
      !m->load_initrd(read_file(GLASSVM_LINUX_INITRD), "initramfs", error)) {
    std::fprintf(stderr, "snapshot_bench: %s\n", error.c_str());
    return 2;
  }
  while (host.output.find("~ # ") == std::string::npos && m->total_instructions() < 1'000'000'000)
    m->run(1'000'000);
  if (host.output.find("~ # ") == std::string::npos) {
    std::fprintf(stderr, "snapshot_bench: Linux did not reach its prompt\n");
    return 1;
  }
  std::vector<double> save_ms, load_ms;
  std::vector<uint8_t> snapshot;
  for (int r = 0; r < runs; ++r) {
    auto start = std::chrono::steady_clock::now();
    if (!m->save_snapshot(snapshot, error)) {
      std::fprintf(stderr, "snapshot_bench: %s\n", error.c_str());
      return 1;
    }
    save_ms.push_back(ms_since(start));
    QuietHost other;
    start = std::chrono::steady_clock::now();
    auto restored = Machine::from_snapshot(snapshot, glassvm::MachineConfig{}, other, error);
    load_ms.push_back(ms_since(start));
    if (!restored) {
      std::fprintf(stderr, "snapshot_bench: %s\n", error.c_str());
      return 1;
    }
  }
  std::printf("Linux at its prompt, %llu MiB RAM, %llu instructions in, median of %d runs:\n",
              static_cast<unsigned long long>(mib),
              static_cast<unsigned long long>(m->total_instructions()), runs);
  std::printf("  snapshot size   %.2f MB\n", static_cast<double>(snapshot.size()) / 1e6);
  std::printf("  save            %.1f ms\n", median(save_ms));
  std::printf("  restore         %.1f ms\n", median(load_ms));
  return 0;
}
