#include "cli/session.h"

#include <cinttypes>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli/replay.h"
#include "engine/base/snapshot.h"
#include "engine/cpu/decode.h"
#include "iommu/iommu_devices.h"
#include "iommu/iommu_trace.h"

namespace glassvm {

namespace {

// The wasm build runs the JIT unless told not to; the native build has none.
#ifdef __EMSCRIPTEN__
constexpr bool kJitByDefault = true;
#else
constexpr bool kJitByDefault = false;
#endif

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

/// A whole file (a kernel, an image or a snapshot: no size limit beyond the host's memory).
bool read_file(const std::string& path, std::vector<uint8_t>& out, std::string& error) {
  return read_whole_file(path, UINT64_MAX, out, error);
}

// The bytes go to a new file next to `path`, which then replaces it, so that a failed write
// never leaves half a file where a good one was.
bool write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  const std::string temp = path + ".part";
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  out.close();
  std::error_code ec;
  if (out) std::filesystem::rename(temp, path, ec);
  if (!out || ec) {
    std::filesystem::remove(temp, ec);
    return false;
  }
  return true;
}

}  // namespace

std::unique_ptr<Session> Session::open(int argc, char** argv, const HostFactory& make_host,
                                       int& status) {
  std::unique_ptr<Session> s(new Session);
  if (!s->setup(argc, argv, make_host, status)) return nullptr;
  return s;
}

Session::~Session() {
  // The JIT goes before the machine's hart (which releases its pages into it).
  if (jit_) machine_->cpu().set_executor(nullptr);
  if (jit_dump_ && jit_dump_ != stderr) fclose(jit_dump_);
}

bool Session::setup(int argc, char** argv, const HostFactory& make_host, int& status) {
  CliOptions& opts = opts_;
  std::string error;
  status = kExitUsage;
  // Nothing to run, and nothing wrong (--help, --info-mtree, ...).
  auto done = [&status] {
    status = 0;
    return false;
  };
  if (!parse_cli_options(argc, argv, opts, error)) {
    fprintf(stderr, "glassvm: %s\nTry 'glassvm --help' for more information.\n", error.c_str());
    return false;
  }
  if (opts.help) {
    fputs(cli_usage(), stdout);
    return done();
  }
  if (opts.version) {
    puts("GlassVM 0.1 (RISC-V virt, RV64GC)");
    return done();
  }

  // The program is where the device libraries meet: each adds its models to one registry.
  DeviceRegistry& registry = registry_;
  register_builtin_devices(registry);
  register_iommu_devices(registry);
  for (const std::string& device : opts.devices) {
    if (device == "help") {
      fputs(registry.help().c_str(), stdout);
      return done();
    }
    const size_t comma = device.find(',');
    if (comma != std::string::npos && device.substr(device.rfind(',') + 1) == "help") {
      const DeviceModel* model = registry.find(device.substr(0, comma));
      if (model == nullptr) {
        fprintf(stderr, "glassvm: -device %s: unknown device '%s' (-device help lists them)\n",
                device.c_str(), device.substr(0, comma).c_str());
        return false;
      }
      fputs(DeviceRegistry::help(*model).c_str(), stdout);
      return done();
    }
  }

  host_ = make_host(opts);
  if (!opts.log_file.empty() && !host_->set_log_file(opts.log_file, error)) {
    fprintf(stderr, "glassvm: cannot open log file %s\n", error.c_str());
    return false;
  }

#ifdef __EMSCRIPTEN__
  // A wasm32 memory holds at most 4 GB, host data included (the page has the same limit).
  if (opts.ram_size > (uint64_t{2} << 30)) {
    fprintf(stderr, "glassvm: -m: at most 2G of guest RAM in the wasm build\n");
    return false;
  }
#endif
  MachineConfig config;
  config.ram_size = opts.ram_size;
  config.append = opts.append;
  config.registry = &registry;
  if (opts.bios == "none") config.firmware = Firmware::None;
  if (opts.bios == "default") config.firmware = Firmware::BuiltinSbi;
  std::vector<DriveSpec> specs;
  unsigned virtio_index = 0;
  for (const std::string& text : opts.drives) {
    DriveSpec spec;
    if (!parse_drive(text, virtio_index, spec, error)) {
      fprintf(stderr, "glassvm: %s\n", error.c_str());
      return false;
    }
    if (spec.virtio) ++virtio_index;
    if (config.drives.count(spec.id)) {
      fprintf(stderr, "glassvm: -drive %s: duplicate drive id '%s'\n", text.c_str(),
              spec.id.c_str());
      return false;
    }
    std::unique_ptr<OpenDrive> drive = open_drive(spec, error);
    if (!drive) {
      fprintf(stderr, "glassvm: -drive %s: %s\n", text.c_str(), error.c_str());
      return false;
    }
    config.drives[spec.id] = &drive->storage();
    specs.push_back(spec);
    drives_.push_back(std::move(drive));
  }
  config.devices = board_devices(opts.devices, specs);
  if (!opts.replay.empty()) return setup_replay(config, status);
  if (!opts.snapshot_load.empty()) {
    std::vector<uint8_t> file;
    if (!read_file(opts.snapshot_load, file, error) ||
        !(machine_ = Machine::from_snapshot(file, config, *host_, error))) {
      fprintf(stderr, "glassvm: %s: %s\n", opts.snapshot_load.c_str(), error.c_str());
      return false;
    }
  } else {
    machine_ = Machine::create(config, *host_, error);
  }
  Machine* machine = machine_.get();
  if (!machine) {
    fprintf(stderr, "glassvm: %s\n", error.c_str());
    return false;
  }

  // Firmware, kernel, initrd: in this order, since each one's place depends on the previous.
  std::vector<uint8_t> bytes;
  if (!opts.bios.empty() && opts.bios != "none" && opts.bios != "default") {
    if (!read_file(opts.bios, bytes, error) || !machine->load_firmware(bytes, opts.bios, error)) {
      fprintf(stderr, "glassvm: %s\n", error.c_str());
      return false;
    }
  }
  if (!opts.kernel.empty()) {
    if (!read_file(opts.kernel, bytes, error) || !machine->load_kernel(bytes, opts.kernel, error)) {
      fprintf(stderr, "glassvm: %s\n", error.c_str());
      return false;
    }
    if (!opts.record.empty()) {
      if (bytes.size() > kMaxLinkProgram) {
        fprintf(stderr, "glassvm: --record: %s is larger than the %zu bytes a session carries\n",
                opts.kernel.c_str(), kMaxLinkProgram);
        return false;
      }
      record_program_ = bytes;
      machine->set_recording(true);
    }
  }
  if (!opts.initrd.empty()) {
    if (opts.kernel.empty()) {
      fprintf(stderr, "glassvm: -initrd needs -kernel\n");
      return false;
    }
    if (!read_file(opts.initrd, bytes, error) || !machine->load_initrd(bytes, opts.initrd, error)) {
      fprintf(stderr, "glassvm: %s\n", error.c_str());
      return false;
    }
  }
  if (!opts.dump_dtb.empty()) {
    std::ofstream out(opts.dump_dtb, std::ios::binary);
    out.write(reinterpret_cast<const char*>(machine->fdt().data()),
              static_cast<std::streamsize>(machine->fdt().size()));
    if (!out.flush()) {
      fprintf(stderr, "glassvm: %s: cannot write the device tree\n", opts.dump_dtb.c_str());
      return false;
    }
    return done();
  }

  if (opts.info_mtree) {
    fputs(machine->info_mtree(/*flatview=*/true).c_str(), stdout);
    return done();
  }
  // A firmware alone may run (QEMU allows it: fw_dynamic_info then names no next stage).
  if (opts.kernel.empty() && opts.snapshot_load.empty() && machine->firmware() != Firmware::File) {
    fprintf(stderr, "glassvm: no guest to run: give -kernel FILE or -bios FILE (see --help)\n");
    return false;
  }

  // The screen as it was when the snapshot was saved.
  if (!opts.snapshot_load.empty()) {
    const std::string_view tail = machine->console_tail();
    host_->console_write({reinterpret_cast<const uint8_t*>(tail.data()), tail.size()});
  }
  return start(status);
}

bool Session::start(int& status) {
  if (!opts_.snapshot_on_output.empty()) host_->watch_console(opts_.snapshot_on_output);
  install_traces();
  install_jit();
  budget_left_ = opts_.max_insns;
  wall_start_ns_ = host_->wall_clock_ns();
  // Guest time is pacer_'s (engine/base/pacer.h): idle skips are waited out, steps never.
  pacer_.start(0, machine_->guest_ns());
  status = 0;
  return true;
}

// --replay: the machine the link describes, built as the page builds it (App::build): the
// link's memory size and devices, then its blank disk on virtio-blk as drive disk0.
bool Session::setup_replay(MachineConfig config, int& status) {
  std::string error;
  MachineLink& link = replay_link_;
  LinkGuest guest;
  const std::string dir = opts_.guests_dir.empty() ? default_guests_dir() : opts_.guests_dir;
  if (!read_link_argument(opts_.replay, link, error) || !find_link_guest(link, dir, guest, error)) {
    fprintf(stderr, "glassvm: --replay: %s\n", error.c_str());
    return false;
  }
#ifdef __EMSCRIPTEN__
  if (link.ram_mib > 2048) {
    fprintf(stderr, "glassvm: --replay: at most 2G of guest RAM in the wasm build\n");
    return false;
  }
#endif
  config.ram_size = uint64_t{link.ram_mib} << 20;
  config.devices = link.devices;
  config.append = guest.append;
  if (link.disk_mib > 0) {
    replay_disk_ =
        std::make_unique<MemoryBlockStorage>(std::vector<uint8_t>(uint64_t{link.disk_mib} << 20));
    config.drives["disk0"] = replay_disk_.get();
    config.devices.push_back("virtio-blk-device,drive=disk0");
  }
  const char* what = link.guest.empty() ? "the link's program" : link.guest.c_str();
  if (!guest.snapshot.empty()) {
    machine_ = Machine::from_snapshot(guest.snapshot, config, *host_, error);
  } else {
    machine_ = Machine::create(config, *host_, error);
    if (machine_ && !machine_->load_kernel(guest.kernel, what, error)) machine_.reset();
    if (machine_ && !guest.initrd.empty() && !machine_->load_initrd(guest.initrd, what, error))
      machine_.reset();
  }
  if (!machine_) {
    fprintf(stderr, "glassvm: --replay: %s\n", error.c_str());
    return false;
  }
  if (machine_->guest_ns() != link.start_ns) {
    fprintf(stderr,
            "glassvm: --replay: the session starts at guest time %" PRIu64
            " ns, this machine at %" PRIu64 " ns\n",
            link.start_ns, machine_->guest_ns());
    return false;
  }
  if (!machine_->play(std::move(link.input), link.end_ns, error)) {
    fprintf(stderr, "glassvm: --replay: %s\n", error.c_str());
    return false;
  }
  if (!guest.snapshot.empty()) {
    const std::string_view tail = machine_->console_tail();
    host_->console_write({reinterpret_cast<const uint8_t*>(tail.data()), tail.size()});
  }
  if (opts_.jit == CliOptions::Jit::Default)
    opts_.jit = link.jit ? CliOptions::Jit::On : CliOptions::Jit::Off;
  return start(status);
}

// --record: the session as a link (docs/links.md), written where --snapshot-save writes.
bool Session::save_recording() {
  MachineLink link;
  link.program = record_program_;
  link.guest_crc = link_guest_crc(record_program_, {});
  link.ram_mib = static_cast<uint32_t>(opts_.ram_size >> 20);
  link.devices = opts_.devices;
  link.jit = jit_ != nullptr;
  link.end_ns = machine_->guest_ns();
  link.end_hash = machine_->state_hash();
  link.input = machine_->recording();
  const std::vector<uint8_t> bytes = encode_link(link);
  if (!write_file_atomically(opts_.record, bytes)) {
    fprintf(stderr, "\r\nglassvm: %s: cannot write the session\r\n", opts_.record.c_str());
    return false;
  }
  fprintf(stderr,
          "\r\nglassvm: recorded the session to %s: %zu input events, %zu bytes (as a link: "
          "%zu characters); state hash %016" PRIx64 " at guest time %" PRIu64 " ns\r\n",
          opts_.record.c_str(), link.input.events.size(), bytes.size(), (bytes.size() + 2) / 3 * 4,
          link.end_hash, link.end_ns);
  return true;
}

void Session::install_traces() {
  Machine* machine = machine_.get();
  Cpu& cpu = machine->cpu();
  if (opts_.trace_in_asm) {
    cpu.set_decode_hook([&host = *host_](uint64_t pc, const DecodedInsn& insn) {
      char line[160];
      snprintf(line, sizeof line, "0x%016" PRIx64 ":  %0*x  %s", pc, insn.len == 2 ? 4 : 8,
               insn.raw, disassemble(insn, pc).c_str());
      host.log(LogLevel::Debug, line);
    });
  }
  if (opts_.trace_int) {
    cpu.set_trap_hook([&host = *host_, &cpu](const TrapEvent& e) {
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
  if (opts_.trace_iommu) {
    if (IommuProvider* iommu = machine->iommu()) {
      iommu_trace_ = std::make_unique<IommuEventLog>([&m = *machine] { return m.guest_ns(); }, 1);
      iommu_trace_->set_listener([&host = *host_](const IommuEventRecord& record) {
        host.log(LogLevel::Debug, format_iommu_trace_line(record));
      });
      for (IommuMemoryRegion* region : iommu->iommu_regions()) iommu_trace_->attach(*region);
    } else {
      host_->log(LogLevel::Warning,
                 "glassvm: --trace-iommu: the machine has no IOMMU (add -device riscv-iommu-sys "
                 "or -device virtio-iommu); nothing to trace");
    }
  }
}

void Session::install_jit() {
  const bool want =
      opts_.jit == CliOptions::Jit::On || (opts_.jit == CliOptions::Jit::Default && kJitByDefault);
  if (!want) return;
  std::string why;
  jit_ = make_jit(JitOptions{}, why);
  if (!jit_) {
    fprintf(stderr, "glassvm: no JIT (%s): interpreting\n", why.c_str());
    return;
  }
  machine_->cpu().set_executor(jit_.get());
  if (!opts_.dump_jit) return;
  jit_dump_ = stderr;
  if (!opts_.dump_jit_file.empty()) {
    jit_dump_ = fopen(opts_.dump_jit_file.c_str(), "w");
    if (!jit_dump_) {
      fprintf(stderr, "glassvm: --dump-jit=%s: %s; dumping to stderr\n",
              opts_.dump_jit_file.c_str(), strerror(errno));
      jit_dump_ = stderr;
    }
  }
  jit_->set_translation_hook([out = jit_dump_](const JitTranslation& t) {
    fprintf(out, ";; translation of page 0x%016" PRIx64 ": %u wasm bytes, %.3f ms; entries",
            t.guest_page, t.wasm_bytes, static_cast<double>(t.compile_ns) / 1e6);
    for (const uint64_t entry : t.entries) fprintf(out, " 0x%" PRIx64, entry);
    fprintf(out, "\n;; RISC-V\n%s;; wasm\n%s\n", t.riscv.c_str(), t.wat.c_str());
  });
}

// On a clean end (power-off, exit, C-a x) every write the guest made reaches its image.
bool Session::flush_drives() {
  bool ok = true;
  for (auto& d : drives_) {
    if (!d->storage().flush()) {
      fprintf(stderr, "glassvm: %s: flushing the disk image failed\n", d->spec.file.c_str());
      ok = false;
    }
  }
  return ok;
}

uint64_t Session::wall_ns() const {
  return host_->wall_clock_ns() - wall_start_ns_;
}

// --snapshot-save.
bool Session::save_snapshot() {
  std::vector<uint8_t> bytes;
  std::string error;
  const std::string& path = opts_.snapshot_save;
  if (!machine_->save_snapshot(bytes, error)) {
    fprintf(stderr, "\r\nglassvm: %s\r\n", error.c_str());
    return false;
  }
  if (!write_file_atomically(path, bytes)) {
    fprintf(stderr, "\r\nglassvm: %s: cannot write the snapshot\r\n", path.c_str());
    return false;
  }
  fprintf(stderr, "\r\nglassvm: saved a snapshot to %s (%zu bytes) at instruction %" PRIu64 "\r\n",
          path.c_str(), bytes.size(), machine_->total_instructions());
  return true;
}

// --stats: one summary line at every end of the run (exit, C-a x, --max-insns).
int Session::finish(int status) {
  if (!opts_.snapshot_save.empty() && !save_snapshot()) status = kExitUsage;
  if (!opts_.record.empty() && !save_recording()) status = kExitUsage;
  if (opts_.state_hash || !opts_.replay.empty()) {
    const uint64_t hash = machine_->state_hash();
    fprintf(stderr, "\r\nglassvm: state hash %016" PRIx64 " at guest time %" PRIu64 " ns\r\n", hash,
            machine_->guest_ns());
    if (!opts_.replay.empty()) {
      const bool same =
          hash == replay_link_.end_hash && machine_->guest_ns() == replay_link_.end_ns;
      fprintf(stderr,
              "glassvm: --replay: %s the recorded session's (state hash %016" PRIx64
              " at guest time %" PRIu64 " ns)\r\n",
              same ? "the same state as" : "NOT the state of", replay_link_.end_hash,
              replay_link_.end_ns);
      if (!same && status == 0) status = 1;
    }
  }
  if (opts_.stats) {
    const double wall_s = static_cast<double>(wall_ns()) / 1e9;
    const uint64_t insns = machine_->total_instructions();
    const TlbStats tlb = machine_->cpu().tlb_stats();
    fprintf(stderr,
            "\r\nglassvm: %" PRIu64
            " instructions, %.3f s guest time, %.3f s wall, %.1f M "
            "instructions/s; TLB misses %" PRIu64 " data, %" PRIu64 " fetch, flushes %" PRIu64
            "\r\n",
            insns, static_cast<double>(machine_->guest_ns()) / 1e9, wall_s,
            wall_s > 0 ? static_cast<double>(insns) / wall_s / 1e6 : 0.0, tlb.data.misses,
            tlb.fetch.misses, tlb.data.flushes);
    if (jit_) {
      const JitStats& j = jit_->stats();
      fprintf(stderr,
              "glassvm: JIT: %" PRIu64 " translations (%.3f s compiling, %" PRIu64
              " failed), %u modules live (%" PRIu64 " bytes), %" PRIu64 " evictions, %" PRIu64
              " invalidations; %" PRIu64 " steps in translated code, %" PRIu64 " entries\r\n",
              j.translations, static_cast<double>(j.compile_ns) / 1e9, j.compile_failures,
              j.modules_live, j.code_bytes, j.evictions, j.invalidations, j.steps_jitted,
              j.entries);
    }
  }
  fflush(nullptr);
  return status;
}

// How long to wait before the next slice: while guest time is ahead of the wall clock (a timer
// skip), until it is due, unless input is waiting (the guest then takes it at once). Lag built
// up meanwhile (computing, or waiting for input) is forgiven first.
int Session::pace_wait_ms() {
  if (!opts_.replay.empty()) return 0;  // a replay runs flat out
  const int64_t ahead = pacer_.ahead_ns(wall_ns(), machine_->guest_ns());
  if (ahead <= 1'000'000 || host_->quit_requested() || host_->input_pending()) return 0;
  return static_cast<int>(std::min<int64_t>(ahead / 1'000'000, 100));
}

Step Session::step() {
  auto exit_with = [this](int status) { return Step{Step::Kind::Exit, 0, finish(status)}; };
  if (host_->quit_requested()) {
    fprintf(stderr, "\r\nglassvm: terminating on user request (C-a x)\r\n");
    return exit_with(flush_drives() ? 0 : kExitUsage);
  }
  if (host_->take_snapshot_request()) {
    if (opts_.snapshot_save.empty()) {
      fprintf(stderr, "\r\nglassvm: C-a s: give --snapshot-save FILE to save snapshots\r\n");
    } else {
      save_snapshot();
    }
  }
  uint64_t slice = kSliceInsns;
  if (opts_.max_insns) {
    if (budget_left_ == 0) {
      fprintf(stderr, "glassvm: stopped after %" PRIu64 " instructions (--max-insns)\n",
              opts_.max_insns);
      return exit_with(kExitMaxInsns);
    }
    slice = std::min(slice, budget_left_);
  }
  if (const int ms = pace_wait_ms(); ms > 0) return Step{Step::Kind::Wait, ms, 0};
  // The budget counts steps (a trap is one), so a guest trapping forever still ends the run.
  const uint64_t before = machine_->total_steps();
  const uint64_t wall_before = wall_ns();
  const MachineState state = machine_->run(slice);
  pacer_.ran(machine_->total_steps() - before, wall_ns() - wall_before);
  if (opts_.max_insns) budget_left_ -= std::min(budget_left_, machine_->total_steps() - before);
  if (host_->console_seen()) {
    fprintf(stderr, "\r\nglassvm: the console printed the --snapshot-on-output text\r\n");
    return exit_with(flush_drives() ? 0 : kExitUsage);
  }
  switch (state) {
    case MachineState::Exited:
      if (!flush_drives()) return exit_with(kExitUsage);
      return exit_with(machine_->exit_code());
    case MachineState::Idle:
      if (host_->input_closed()) {
        fprintf(stderr, "glassvm: the guest waits for input and standard input is closed\n");
        return exit_with(0);
      }
      // Input the guest has not taken yet (the UART's FIFO was full) wakes it at once.
      if (host_->input_pending()) return Step{};
      return Step{Step::Kind::Wait, 20, 0};
    case MachineState::PlaybackEnd: return exit_with(flush_drives() ? 0 : kExitUsage);
    case MachineState::Running: break;
    case MachineState::Reset: break;
    case MachineState::Breakpoint: {
      // The command line sets no breakpoints, but a board may stop at one (an embedder's, or a
      // future debugger option): say where, and go on; the next run() executes that
      // instruction (run() never stops at the first instruction of a call).
      char line[80];
      snprintf(line, sizeof line, "breakpoint at 0x%016" PRIx64 ", continuing",
               machine_->cpu().pc());
      host_->log(LogLevel::Info, line);
      break;
    }
  }
  return Step{};
}

}  // namespace glassvm
