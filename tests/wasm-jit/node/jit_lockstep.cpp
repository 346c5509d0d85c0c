// The JIT against the interpreter, in lockstep: two machines load the same guest, one with
// the JIT installed; both run the same slices (of varying, often tiny, step counts, so that
// translated code is entered with every kind of budget and left mid-page), and after every
// slice their harts must agree on every register, the pc, the FP state, the privilege, the
// CSRs and the counters. At the end their RAM and console output must be identical. Built
// by the web build (Emscripten) and run under node:
//
//   node jit_lockstep.js [--max-steps N] [--expect-text TEXT [--input TEXT --then-expect T2]]
//                        [-bios FILE] [-initrd FILE] [-append ARGS] [-m MIB]
//                        [-device SPEC]... KERNEL
//
// Exit status 0: no divergence, the JIT ran (steps in translated code > 0) and the guest
// exited with status 0 or printed TEXT; 1 otherwise, with the first divergence described.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "engine/board/device_registry.h"
#include "engine/board/machine.h"
#include "iommu/iommu_devices.h"
#include "wasm-jit/jit.h"

using namespace glassvm;

namespace {

class LockstepHost final : public Host {
 public:
  void console_write(std::span<const uint8_t> bytes) override {
    output.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  size_t console_read(std::span<uint8_t> out) override {
    if (!input_ready || input.empty()) return 0;
    const size_t n = std::min(out.size(), input.size());
    std::memcpy(out.data(), input.data(), n);
    input.erase(0, n);
    return n;
  }
  uint64_t wall_clock_ns() override { return 0; }
  void log(LogLevel, std::string_view message) override {
    fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
  }
  std::string output;
  std::string input;
  bool input_ready = false;
};

bool read_file(const std::string& path, std::vector<uint8_t>& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), {});
  return true;
}

/// The first difference between two harts, or "".
std::string compare(const Machine& ma, const Machine& mb) {
  const CpuState& a = const_cast<Machine&>(ma).cpu().state();
  const CpuState& b = const_cast<Machine&>(mb).cpu().state();
  char buf[256];
  if (a.retired_ != b.retired_ || a.traps_ != b.traps_) {
    snprintf(buf, sizeof buf,
             "counts: jit %" PRIu64 " retired %" PRIu64 " traps, interpreter %" PRIu64
             " retired %" PRIu64 " traps",
             a.retired_, a.traps_, b.retired_, b.traps_);
    return buf;
  }
  for (unsigned r = 0; r < 32; ++r) {
    if (a.x_[r] != b.x_[r]) {
      snprintf(buf, sizeof buf, "x%u: jit 0x%" PRIx64 ", interpreter 0x%" PRIx64, r, a.x_[r],
               b.x_[r]);
      return buf;
    }
    if (a.f_[r] != b.f_[r]) {
      snprintf(buf, sizeof buf, "f%u: jit 0x%" PRIx64 ", interpreter 0x%" PRIx64, r, a.f_[r],
               b.f_[r]);
      return buf;
    }
  }
#define GLASSVM_COMPARE(field)                                                      \
  if (a.field != b.field) {                                                         \
    snprintf(buf, sizeof buf, #field ": jit 0x%" PRIx64 ", interpreter 0x%" PRIx64, \
             static_cast<uint64_t>(a.field), static_cast<uint64_t>(b.field));       \
    return buf;                                                                     \
  }
  GLASSVM_COMPARE(pc_)
  GLASSVM_COMPARE(retired_)
  GLASSVM_COMPARE(traps_)
  GLASSVM_COMPARE(fcsr_)
  GLASSVM_COMPARE(priv_)
  GLASSVM_COMPARE(mstatus_)
  GLASSVM_COMPARE(mip_)
  GLASSVM_COMPARE(mie_)
  GLASSVM_COMPARE(mepc_)
  GLASSVM_COMPARE(mcause_)
  GLASSVM_COMPARE(mtval_)
  GLASSVM_COMPARE(sepc_)
  GLASSVM_COMPARE(scause_)
  GLASSVM_COMPARE(stval_)
  GLASSVM_COMPARE(satp_)
  GLASSVM_COMPARE(resv_valid_)
  GLASSVM_COMPARE(resv_addr_)
#undef GLASSVM_COMPARE
  return "";
}

/// Debugging: forwards to the JIT and, while `log` is set, prints each entry and exit.
class TracingExecutor final : public BlockExecutor {
 public:
  explicit TracingExecutor(BlockExecutor& inner) : inner_(inner) {}
  bool run(CpuState& s, ExecPage& page) override {
    const uint64_t pc = s.pc_, budget = s.budget_left_;
    const bool ran = inner_.run(s, page);
    if (log) {
      printf("  jit at 0x%" PRIx64 " budget %" PRIu64 " page 0x%" PRIx64 " -> %s pc 0x%" PRIx64
             " budget %" PRIu64 " a0 %" PRIx64 "\n",
             pc, budget, page.guest_page, ran ? "ran" : "no", s.pc_, s.budget_left_, s.x_[10]);
    }
    return ran;
  }
  void release(ExecPage& page) override { inner_.release(page); }
  uint32_t jumps_between_offers() const override { return inner_.jumps_between_offers(); }
  bool log = false;

 private:
  BlockExecutor& inner_;
};

struct Options {
  std::string kernel, bios, initrd, append, expect_text, input, then_expect;
  std::vector<std::string> devices;  ///< -device arguments
  uint64_t max_steps = 4'000'000'000ull;
  uint64_t ram_mib = 128;
  uint64_t stop_slice = 0, stop_len = 0;  ///< debugging: end after slice K cut to M steps
  std::string solo;               ///< "jit" or "interp": run one machine alone and print its speed
  uint32_t max_modules = 0;       ///< JitOptions::max_modules when not 0
  uint32_t hot = 0;               ///< JitOptions::hot_steps when not 0
  uint32_t max_module_bytes = 0;  ///< JitOptions::max_module_bytes when not 0
  uint32_t min_steps = 0;         ///< JitOptions::min_steps_per_entry when not 0
  uint32_t max_fn_blocks = 0;     ///< JitOptions::max_blocks_per_function when not 0
};

std::unique_ptr<Machine> make_machine(const Options& o, Host& host, std::string& error) {
  static const DeviceRegistry registry = [] {
    DeviceRegistry r;
    register_builtin_devices(r);
    register_iommu_devices(r);
    return r;
  }();
  MachineConfig config;
  config.ram_size = o.ram_mib << 20;
  config.append = o.append;
  config.registry = &registry;
  config.devices = o.devices;
  auto m = Machine::create(config, host, error);
  if (!m) return nullptr;
  std::vector<uint8_t> bytes;
  if (!o.bios.empty()) {
    if (!read_file(o.bios, bytes)) return error = "cannot read " + o.bios, nullptr;
    if (!m->load_firmware(bytes, o.bios, error)) return nullptr;
  }
  if (!read_file(o.kernel, bytes)) return error = "cannot read " + o.kernel, nullptr;
  if (!m->load_kernel(bytes, o.kernel, error)) return nullptr;
  if (!o.initrd.empty()) {
    if (!read_file(o.initrd, bytes)) return error = "cannot read " + o.initrd, nullptr;
    if (!m->load_initrd(bytes, o.initrd, error)) return nullptr;
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--max-steps") {
      o.max_steps = std::stoull(next());
    } else if (a == "--expect-text") {
      o.expect_text = next();
    } else if (a == "--then-expect") {
      o.then_expect = next();
    } else if (a == "--input") {
      o.input = next();
    } else if (a == "-bios") {
      o.bios = next();
    } else if (a == "-initrd") {
      o.initrd = next();
    } else if (a == "-append") {
      o.append = next();
    } else if (a == "--stop-slice") {
      o.stop_slice = std::stoull(next());
      o.stop_len = std::stoull(next());
    } else if (a == "--hot") {
      o.hot = static_cast<uint32_t>(std::stoul(next()));
    } else if (a == "--max-module-bytes") {
      o.max_module_bytes = static_cast<uint32_t>(std::stoul(next()));
    } else if (a == "-device") {
      o.devices.push_back(next());
    } else if (a == "--min-steps") {
      o.min_steps = static_cast<uint32_t>(std::stoul(next()));
    } else if (a == "--max-fn-blocks") {
      o.max_fn_blocks = static_cast<uint32_t>(std::stoul(next()));
    } else if (a == "--max-modules") {
      o.max_modules = static_cast<uint32_t>(std::stoul(next()));
    } else if (a == "--solo") {
      o.solo = next();
    } else if (a == "-m") {
      o.ram_mib = std::stoull(next());
    } else {
      o.kernel = a;
    }
  }
  LockstepHost host_jit, host_interp;
  std::string error;
  auto mj = make_machine(o, host_jit, error);
  auto mi = mj ? make_machine(o, host_interp, error) : nullptr;
  if (!mj || !mi) {
    fprintf(stderr, "jit_lockstep: %s\n", error.c_str());
    return 1;
  }
  JitOptions jo;
  if (o.solo.empty()) {  // translate early and everything: more code goes through the JIT
    jo.hot_steps = 2;
    jo.min_steps_per_entry = 0;
    jo.jumps_between_offers = 16;  // slices are short: loops must reach the JIT within them
  }
  jo.verify_code = o.solo.empty();  // a 4 KiB compare per entry: not when timing
  if (o.max_modules != 0) jo.max_modules = o.max_modules;
  if (o.hot != 0) jo.hot_steps = o.hot;
  if (o.max_module_bytes != 0) jo.max_module_bytes = o.max_module_bytes;
  if (o.min_steps != 0) jo.min_steps_per_entry = o.min_steps;
  if (o.max_fn_blocks != 0) jo.max_blocks_per_function = o.max_fn_blocks;
  auto jit = make_jit(jo, error);
  if (!jit) {
    fprintf(stderr, "jit_lockstep: no JIT: %s\n", error.c_str());
    return 1;
  }
  TracingExecutor tracer(*jit);
  mj->cpu().set_executor(o.stop_slice != 0 ? static_cast<BlockExecutor*>(&tracer) : jit.get());
  if (!o.solo.empty()) {
    Machine& m = o.solo == "jit" ? *mj : *mi;
    const auto t0 = std::chrono::steady_clock::now();
    MachineState st = MachineState::Running;
    const LockstepHost& h = o.solo == "jit" ? host_jit : host_interp;
    while ((st == MachineState::Running || st == MachineState::Idle) &&
           m.total_steps() < o.max_steps) {
      if (!o.expect_text.empty() && h.output.find(o.expect_text) != std::string::npos) break;
      st = m.run(o.expect_text.empty() ? 10'000'000 : 1'000'000);
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    printf("%s %s: %" PRIu64 " steps in %.3f s: %.1f M steps/s (exit %d), %" PRIu64
           " translations, %.1f ms compiling, %" PRIu64 " entries, %" PRIu64
           " steps jitted, %.0f bytes a module, %" PRIu64 " invalidations\n",
           o.kernel.c_str(), o.solo.c_str(), m.total_steps(), s,
           static_cast<double>(m.total_steps()) / s / 1e6, m.exit_code(), jit->stats().translations,
           static_cast<double>(jit->stats().compile_ns) / 1e6, jit->stats().entries,
           jit->stats().steps_jitted,
           static_cast<double>(jit->stats().code_bytes) / std::max(1u, jit->stats().modules_live),
           jit->stats().invalidations);
    mj->cpu().set_executor(nullptr);
    return 0;
  }

  // Slices of varying length, from a fixed seed: the same on every run.
  uint64_t seed = 0x9e3779b97f4a7c15ull, steps = 0, slices = 0;
  int status = 0;
  std::string why;
  for (;;) {
    seed += 0x9e3779b97f4a7c15ull;  // splitmix64
    uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    const uint64_t kind = z % 8, r = z >> 8;
    uint64_t n = kind == 0 ? 1 + r % 7 : kind < 6 ? 1 + r % 300 : 1 + r % 20000;
    if (o.stop_slice != 0 && slices + 1 == o.stop_slice) {
      n = o.stop_len;
      tracer.log = true;
    }
    const uint64_t pc_before = mi->cpu().pc();
    const MachineState sj = mj->run(n);
    const MachineState si = mi->run(n);
    ++slices;
    steps = mi->total_steps();
    why = compare(*mj, *mi);
    if (why.empty() && sj != si) why = "machine states differ";
    if (why.empty() && host_jit.output != host_interp.output) why = "console output differs";
    if (!why.empty()) {
      char where[128];
      snprintf(where, sizeof where,
               " (in a slice of %" PRIu64 " steps from pc 0x%" PRIx64 ", now at 0x%" PRIx64 ")", n,
               pc_before, mi->cpu().pc());
      why += where;
      status = 1;
      break;
    }
    if (o.stop_slice != 0 && slices == o.stop_slice) {
      printf("same after %" PRIu64 " steps, at pc 0x%" PRIx64 "\n", steps, mi->cpu().pc());
      mj->cpu().set_executor(nullptr);
      return 0;
    }
    if (!o.expect_text.empty() && host_interp.output.find(o.expect_text) != std::string::npos) {
      if (!o.input.empty() && !host_interp.input_ready) {
        host_jit.input = host_interp.input = o.input;
        host_jit.input_ready = host_interp.input_ready = true;
        o.expect_text = o.then_expect;
        o.input.clear();
        continue;
      }
      break;
    }
    if (si == MachineState::Exited) {
      if (o.expect_text.empty() && mi->exit_code() != 0) {
        why = "the guest exited with status " + std::to_string(mi->exit_code());
        status = 1;
      }
      break;
    }
    if (si == MachineState::Idle || si == MachineState::Reset) {
      why = "the guest idles or reset without finishing";
      status = 1;
      break;
    }
    if (steps >= o.max_steps) {
      why = "no end within --max-steps";
      status = 1;
      break;
    }
  }
  if (status == 0 && mj->ram().size() == mi->ram().size() &&
      std::memcmp(mj->ram().ram_ptr(), mi->ram().ram_ptr(), mi->ram().size()) != 0) {
    why = "RAM differs at the end";
    status = 1;
  }
  const JitStats& st = jit->stats();
  if (status == 0 && st.steps_jitted == 0) {
    why = "no step ran in translated code";
    status = 1;
  }
  printf("%s: %" PRIu64 " steps in %" PRIu64 " slices, %" PRIu64
         " in translated code (%.1f%%), "
         "%" PRIu64 " translations, %" PRIu64 " loop-nest functions, %u modules live, %" PRIu64
         " evictions, %" PRIu64 " invalidations%s%s\n",
         o.kernel.c_str(), steps, slices, st.steps_jitted,
         steps ? 100.0 * static_cast<double>(st.steps_jitted) / static_cast<double>(steps) : 0.0,
         st.translations, st.nest_functions, st.modules_live, st.evictions, st.invalidations,
         why.empty() ? "" : ": ", why.c_str());
  mj->cpu().set_executor(nullptr);
  return status;
}
