// glassvm: the native command line. Options follow QEMU's spelling where one exists.
//
//   glassvm [-M virt] [-m 128M] [-bios none|default|FILE] -kernel FILE [-initrd FILE]
//           [-append ARGS] [-nographic] [--max-insns N] [-d in_asm,int] [-D logfile]
//           [--info-mtree] [--dump-dtb FILE] [--trace-iommu]
//
// Exit status: the guest's exit code (HTIF or test device); 2 for a problem with the command
// line or the files it names; 3 when --max-insns stopped the guest.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cli/drive.h"
#include "cli/native_host.h"
#include "cli/options.h"
#include "engine/board/device_registry.h"
#include "engine/board/machine.h"
#include "engine/cpu/decode.h"
#include "iommu/event_log.h"
#include "iommu/iommu_devices.h"
#include "iommu/iommu_trace.h"

using namespace glassvm;

namespace {

constexpr int kExitUsage = 2;
constexpr int kExitMaxInsns = 3;
constexpr uint64_t kSliceInsns = 1'000'000;

const char* cause_name(uint64_t cause) {
  const bool irq = cause >> 63;
  const uint64_t code = cause & ~(uint64_t{1} << 63);
  if (irq) {
    switch (code) {
      case 1: return "s_software";
      case 3: return "m_software";
      case 5: return "s_timer";
      case 7: return "m_timer";
      case 9: return "s_external";
      case 11: return "m_external";
      default: return "interrupt";
    }
  }
  static const char* const kNames[] = {
      "misaligned_fetch", "fault_fetch",      "illegal_instruction",
      "breakpoint",       "misaligned_load",  "fault_load",
      "misaligned_store", "fault_store",      "user_ecall",
      "supervisor_ecall", "hypervisor_ecall", "machine_ecall",
      "exec_page_fault",  "load_page_fault",  "reserved",
      "store_page_fault"};
  return code < std::size(kNames) ? kNames[code] : "exception";
}

bool read_file(const std::string& path, std::vector<uint8_t>& out, std::string& error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = path + ": is a directory";
    return false;
  }
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  // One read of the whole file (a kernel or initramfs is megabytes; a byte-wise stream
  // iterator costs tens of milliseconds of start-up).
  const std::streamoff size = f.tellg();
  if (size < 0 || !f.seekg(0)) {
    error = path + ": cannot read (not a regular file?)";
    return false;
  }
  out.resize(static_cast<size_t>(size));
  if (!f.read(reinterpret_cast<char*>(out.data()), size)) {
    error = path + ": read error";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CliOptions opts;
  std::string error;
  if (!parse_cli_options(argc, argv, opts, error)) {
    fprintf(stderr, "glassvm: %s\nTry 'glassvm --help' for more information.\n", error.c_str());
    return kExitUsage;
  }
  if (opts.help) {
    fputs(cli_usage(), stdout);
    return 0;
  }
  if (opts.version) {
    puts("GlassVM 0.1 (RISC-V virt, RV64GC)");
    return 0;
  }

  // The program is where the device libraries meet: each adds its models to one registry.
  DeviceRegistry registry;
  register_builtin_devices(registry);
  register_iommu_devices(registry);
  for (const std::string& device : opts.devices) {
    if (device == "help") {
      fputs(registry.help().c_str(), stdout);
      return 0;
    }
    const size_t comma = device.find(',');
    if (comma != std::string::npos && device.substr(device.rfind(',') + 1) == "help") {
      const DeviceModel* model = registry.find(device.substr(0, comma));
      if (model == nullptr) {
        fprintf(stderr, "glassvm: -device %s: unknown device '%s' (-device help lists them)\n",
                device.c_str(), device.substr(0, comma).c_str());
        return kExitUsage;
      }
      fputs(DeviceRegistry::help(*model).c_str(), stdout);
      return 0;
    }
  }

  NativeHost host(/*raw_tty=*/!opts.info_mtree);
  if (!opts.log_file.empty() && !host.set_log_file(opts.log_file, error)) {
    fprintf(stderr, "glassvm: cannot open log file %s\n", error.c_str());
    return kExitUsage;
  }

  MachineConfig config;
  config.ram_size = opts.ram_size;
  config.append = opts.append;
  config.registry = &registry;
  if (opts.bios == "none") config.firmware = Firmware::None;
  if (opts.bios == "default") config.firmware = Firmware::BuiltinSbi;
  std::vector<std::unique_ptr<OpenDrive>> drives;
  std::vector<DriveSpec> specs;
  unsigned virtio_index = 0;
  for (const std::string& text : opts.drives) {
    DriveSpec spec;
    if (!parse_drive(text, virtio_index, spec, error)) {
      fprintf(stderr, "glassvm: %s\n", error.c_str());
      return kExitUsage;
    }
    if (spec.virtio) ++virtio_index;
    if (config.drives.count(spec.id)) {
      fprintf(stderr, "glassvm: -drive %s: duplicate drive id '%s'\n", text.c_str(),
              spec.id.c_str());
      return kExitUsage;
    }
    std::unique_ptr<OpenDrive> drive = open_drive(spec, error);
    if (!drive) {
      fprintf(stderr, "glassvm: -drive %s: %s\n", text.c_str(), error.c_str());
      return kExitUsage;
    }
    config.drives[spec.id] = &drive->storage();
    specs.push_back(spec);
    drives.push_back(std::move(drive));
  }
  config.devices = board_devices(opts.devices, specs);
  // On a clean end (power-off, exit, C-a x) every write the guest made reaches its image.
  auto flush_drives = [&drives] {
    bool ok = true;
    for (auto& d : drives) {
      if (!d->storage().flush()) {
        fprintf(stderr, "glassvm: %s: flushing the disk image failed\n", d->spec.file.c_str());
        ok = false;
      }
    }
    return ok;
  };
  std::unique_ptr<Machine> machine = Machine::create(config, host, error);
  if (!machine) {
    fprintf(stderr, "glassvm: %s\n", error.c_str());
    return kExitUsage;
  }

  // Firmware, kernel, initrd: in this order, since each one's place depends on the previous.
  std::vector<uint8_t> bytes;
  if (!opts.bios.empty() && opts.bios != "none" && opts.bios != "default") {
    if (!read_file(opts.bios, bytes, error) || !machine->load_firmware(bytes, opts.bios, error)) {
      fprintf(stderr, "glassvm: %s\n", error.c_str());
      return kExitUsage;
    }
  }
  if (!opts.kernel.empty()) {
    if (!read_file(opts.kernel, bytes, error) || !machine->load_kernel(bytes, opts.kernel, error)) {
      fprintf(stderr, "glassvm: %s\n", error.c_str());
      return kExitUsage;
    }
  }
  if (!opts.initrd.empty()) {
    if (opts.kernel.empty()) {
      fprintf(stderr, "glassvm: -initrd needs -kernel\n");
      return kExitUsage;
    }
    if (!read_file(opts.initrd, bytes, error) || !machine->load_initrd(bytes, opts.initrd, error)) {
      fprintf(stderr, "glassvm: %s\n", error.c_str());
      return kExitUsage;
    }
  }
  if (!opts.dump_dtb.empty()) {
    std::ofstream out(opts.dump_dtb, std::ios::binary);
    out.write(reinterpret_cast<const char*>(machine->fdt().data()),
              static_cast<std::streamsize>(machine->fdt().size()));
    if (!out.flush()) {
      fprintf(stderr, "glassvm: %s: cannot write the device tree\n", opts.dump_dtb.c_str());
      return kExitUsage;
    }
    return 0;
  }

  if (opts.info_mtree) {
    fputs(machine->info_mtree(/*flatview=*/true).c_str(), stdout);
    return 0;
  }
  // A firmware alone may run (QEMU allows it: fw_dynamic_info then names no next stage).
  if (opts.kernel.empty() && machine->firmware() != Firmware::File) {
    fprintf(stderr, "glassvm: no guest to run: give -kernel FILE or -bios FILE (see --help)\n");
    return kExitUsage;
  }

  Cpu& cpu = machine->cpu();
  if (opts.trace_in_asm) {
    cpu.set_decode_hook([&host](uint64_t pc, const DecodedInsn& insn) {
      char line[160];
      snprintf(line, sizeof line, "0x%016" PRIx64 ":  %0*x  %s", pc, insn.len == 2 ? 4 : 8,
               insn.raw, disassemble(insn, pc).c_str());
      host.log(LogLevel::Debug, line);
    });
  }
  if (opts.trace_int) {
    cpu.set_trap_hook([&host, &cpu](const TrapEvent& e) {
      char line[200];
      snprintf(line, sizeof line,
               "riscv_cpu_do_interrupt: hart:%" PRIu64 ", async:%d, cause:%016" PRIx64
               ", epc:0x%016" PRIx64 ", tval:0x%016" PRIx64 ", desc=%s",
               cpu.hartid(), static_cast<int>(e.cause >> 63), e.cause, e.epc, e.tval,
               cause_name(e.cause));
      host.log(LogLevel::Debug, line);
    });
  }

  // --trace-iommu: an event log on every IOMMU region (riscv-iommu: one; virtio-iommu: one
  // per endpoint), whose listener logs each record as it is made (iommu/iommu_trace.h).
  std::unique_ptr<IommuEventLog> iommu_trace;
  if (opts.trace_iommu) {
    if (IommuProvider* iommu = machine->iommu()) {
      iommu_trace = std::make_unique<IommuEventLog>([&m = *machine] { return m.guest_ns(); }, 1);
      iommu_trace->set_listener([&host](const IommuEventRecord& record) {
        host.log(LogLevel::Debug, format_iommu_trace_line(record));
      });
      for (IommuMemoryRegion* region : iommu->iommu_regions()) iommu_trace->attach(*region);
    } else {
      host.log(LogLevel::Warning,
               "glassvm: --trace-iommu: the machine has no IOMMU (add -device riscv-iommu-sys "
               "or -device virtio-iommu); nothing to trace");
    }
  }

  const auto wall_start = std::chrono::steady_clock::now();
  auto wall_ns = [&wall_start] {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now() - wall_start)
                                     .count());
  };
  // --stats: one summary line at every end of the run (exit, C-a x, --max-insns).
  auto finish = [&](int status) {
    if (opts.stats) {
      const double wall_s = static_cast<double>(wall_ns()) / 1e9;
      const uint64_t insns = machine->total_instructions();
      const TlbStats tlb = machine->cpu().tlb_stats();
      fprintf(stderr,
              "\r\nglassvm: %" PRIu64
              " instructions, %.3f s guest time, %.3f s wall, %.1f M "
              "instructions/s; TLB misses %" PRIu64 " data, %" PRIu64 " fetch, flushes %" PRIu64
              "\r\n",
              insns, static_cast<double>(machine->guest_ns()) / 1e9, wall_s,
              wall_s > 0 ? static_cast<double>(insns) / wall_s / 1e6 : 0.0, tlb.data.misses,
              tlb.fetch.misses, tlb.data.flushes);
    }
    return status;
  };
  // Idle guests skip ahead to their next timer; pacing keeps guest time from running ahead of
  // the wall clock, so that `sleep 1` takes about a second. A guest that computes runs behind
  // the wall clock (1 instruction = 1 ns); that lag is forgiven beyond kMaxLagNs, so that a
  // timer after a long computation still waits for real, while a booting kernel's short
  // sleeps fall into the lag and cost no wall time.
  constexpr uint64_t kMaxLagNs = 50'000'000;
  uint64_t wall_origin_ns = 0;  // wall time at which guest time 0 would be on schedule
  // Called before every run: lag built up meanwhile (computing, or waiting for input) is
  // forgiven first; then, while guest time is ahead of the wall clock (a timer skip), wait,
  // waking early when input arrives (the guest then takes it at once).
  auto pace = [&] {
    for (;;) {
      uint64_t wall = wall_ns() - wall_origin_ns;
      const uint64_t guest = machine->guest_ns();
      if (wall > guest + kMaxLagNs) {
        wall_origin_ns += wall - guest - kMaxLagNs;
        wall = guest + kMaxLagNs;
      }
      if (guest <= wall + 1'000'000 || host.quit_requested()) return;
      const auto ms = static_cast<int>(std::min<uint64_t>((guest - wall) / 1'000'000, 100));
      if (host.input_closed()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
        continue;
      }
      const uint64_t before = wall_ns();
      host.wait_for_input(ms);
      if (wall_ns() - before < static_cast<uint64_t>(ms) * 1'000'000) return;  // input arrived
    }
  };

  uint64_t budget_left = opts.max_insns;
  for (;;) {
    if (host.quit_requested()) {
      fprintf(stderr, "\r\nglassvm: terminating on user request (C-a x)\r\n");
      return finish(flush_drives() ? 0 : kExitUsage);
    }
    uint64_t slice = kSliceInsns;
    if (opts.max_insns) {
      if (budget_left == 0) {
        fprintf(stderr, "glassvm: stopped after %" PRIu64 " instructions (--max-insns)\n",
                opts.max_insns);
        return finish(kExitMaxInsns);
      }
      slice = std::min(slice, budget_left);
    }
    pace();
    // The budget counts steps (a trap is one), so a guest trapping forever still ends the run.
    const uint64_t before = machine->total_steps();
    const MachineState state = machine->run(slice);
    if (opts.max_insns) budget_left -= std::min(budget_left, machine->total_steps() - before);
    switch (state) {
      case MachineState::Exited:
        if (!flush_drives()) return finish(kExitUsage);
        return finish(machine->exit_code());
      case MachineState::Idle:
        if (host.input_closed()) {
          fprintf(stderr, "glassvm: the guest waits for input and standard input is closed\n");
          return finish(0);
        }
        host.wait_for_input(20);
        break;
      case MachineState::Running: break;
      case MachineState::Reset: break;
      case MachineState::Breakpoint: {
        // The command line sets no breakpoints, but a board may stop at one (an embedder's, or a
        // future debugger option): say where, and go on; the next run() executes that
        // instruction (run() never stops at the first instruction of a call).
        char line[80];
        snprintf(line, sizeof line, "breakpoint at 0x%016" PRIx64 ", continuing", cpu.pc());
        host.log(LogLevel::Info, line);
        break;
      }
    }
  }
}
