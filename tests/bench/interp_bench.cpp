// Prints the native interpreter's speed in guest instructions per second on a compute-bound
// guest (assets/bench/bench.c: integer arithmetic, branches, loads and stores, calls).
//
//   interp_bench [ELF] [--runs N]
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/board/machine.h"

using namespace glassvm;

namespace {

class BenchHost final : public Host {
 public:
  void console_write(std::span<const uint8_t> bytes) override {
    output.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  size_t console_read(std::span<uint8_t>) override { return 0; }
  uint64_t wall_clock_ns() override { return 0; }
  void log(LogLevel, std::string_view message) override {
    fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
  }
  std::string output;
};

}  // namespace

int main(int argc, char** argv) {
  std::string path = std::string(GLASSVM_GUEST_DIR) + "/bench.elf";
  int runs = 3;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
      runs = atoi(argv[++i]);
    } else {
      path = argv[i];
    }
  }
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    fprintf(stderr, "interp_bench: cannot open %s\n", path.c_str());
    return 2;
  }
  const std::vector<uint8_t> elf{std::istreambuf_iterator<char>(f), {}};

  double best = 0;
  for (int run = 0; run < runs; ++run) {
    BenchHost host;
    std::string error;
    auto m = Machine::create(MachineConfig{}, host, error);
    if (!m || !m->load_kernel(elf, path, error)) {
      fprintf(stderr, "interp_bench: %s\n", error.c_str());
      return 2;
    }
    const auto t0 = std::chrono::steady_clock::now();
    while (m->run(100'000'000) == MachineState::Running) {
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!m->exited() || m->exit_code() != 0) {
      fprintf(stderr, "interp_bench: guest failed (exit %d): %s\n", m->exit_code(),
              host.output.c_str());
      return 1;
    }
    const double mips = m->total_instructions() / secs / 1e6;
    const CodeCacheStats cache = m->cpu().code_cache_stats();
    printf("run %d: %" PRIu64
           " guest instructions in %.3f s = %.1f million instructions/s"
           " (code cache: %zu of %zu pages, %" PRIu64 " evictions)\n",
           run + 1, m->total_instructions(), secs, mips, cache.live_pages, cache.capacity,
           cache.evictions);
    best = std::max(best, mips);
  }
  printf("interpreter (native): best %.1f million guest instructions per second\n", best);
  return 0;
}
