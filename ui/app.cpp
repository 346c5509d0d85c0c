#include "ui/app.h"

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>

#include "engine/base/snapshot.h"
#include "iommu/iommu_trace.h"
#include "ui/cpu_view.h"
#include "ui/json_internal.h"
#include "ui/lessons.h"
#include "ui/memory_map_view.h"

namespace glassvm::ui {

namespace {

/// Runs per slice: the slice is cut into this many runs so it ends close to its budget.
constexpr unsigned kRunsPerSlice = 4;
/// Pacing (engine/base/pacer.h): how far guest time may run ahead of the wall clock after a
/// timer skip before the page waits.
constexpr int64_t kPaceSlackNs = 1'000'000;

}  // namespace

std::string describe_stop(const StopReport& stop) {
  char buf[160];
  switch (stop.kind) {
    case StopReport::Kind::None: return "";
    case StopReport::Kind::IommuEvent:
      if (!stop.event) return "IOMMU event";
      return "IOMMU event #" + std::to_string(stop.event->seq) + ": " +
             format_iommu_trace_line(*stop.event);
    case StopReport::Kind::Trap: {
      const uint64_t code = stop.trap.cause & ~(uint64_t{1} << 63);
      std::snprintf(buf, sizeof buf,
                    " (cause %" PRIu64 "), tval 0x%" PRIx64 ", %s -> %s, epc 0x%" PRIx64, code,
                    stop.trap.tval, priv_letter(stop.trap.from), priv_letter(stop.trap.to),
                    stop.trap.epc);
      return "trap: " + cause_text(stop.trap.cause) + buf;
    }
    case StopReport::Kind::Console: return "the console printed \"" + stop.console + "\"";
  }
  return "";
}

App::App(Host& host) : host_(host), lessons_(std::make_unique<LessonRunner>()) {
  std::string error;
  register_builtin_devices(registry_);
  MachineConfig config;
  config.ram_size = uint64_t{ram_mib_} << 20;
  config.registry = &registry_;
  machine_ = Machine::create(config, console_, error);
  assert(machine_ && "a 128 MiB virt machine must always build");
  catalog_.add_bundled("linux");
  catalog_.add_bundled("demo.elf");
  catalog_.add_bundled("bench.elf");
  update_jit();
}

App::~App() {
  drop_jit();
}

void App::set_jit_enabled(bool on) {
  jit_enabled_ = on;
  update_jit();
}

void App::update_jit() {
  Cpu& cpu = machine_->cpu();
  if (!jit_enabled_) {
    if (jit_installed_) cpu.set_executor(nullptr);
    jit_installed_ = false;
    return;
  }
  if (!jit_) {
    jit_ = make_jit(JitOptions{}, jit_why_);
    if (!jit_) return;
    jit_why_.clear();
    jit_steps_base_ = machine_->total_steps();
    jit_->set_translation_hook([this](const JitTranslation& t) { jit_log_.add(t); });
  }
  if (!jit_installed_) cpu.set_executor(jit_.get());
  jit_installed_ = true;
}

void App::drop_jit() {
  if (jit_installed_) machine_->cpu().set_executor(nullptr);
  jit_installed_ = false;
  jit_.reset();
  jit_log_.clear();
}

JitStatus App::jit_status() const {
  JitStatus status;
  status.enabled = jit_enabled_;
  status.available = jit_why_.empty();
  status.why = jit_why_;
  status.installed = jit_installed_;
  if (jit_) {
    status.stats = jit_->stats();
    status.steps = machine_->total_steps() - jit_steps_base_;
  }
  return status;
}

std::unique_ptr<Machine> App::build(unsigned mib, const GuestImage* image, const std::string& name,
                                    std::string& error) {
  MachineConfig config;
  config.ram_size = uint64_t{mib} << 20;
  config.registry = &registry_;
  config.devices = devices_;
  if (disk_) {
    config.drives[kDiskDriveId] = disk_.get();
    config.devices.push_back(std::string("virtio-blk-device,drive=") + kDiskDriveId);
  }
  if (image != nullptr) config.append = image->append;
  std::unique_ptr<Machine> machine = Machine::create(config, console_, error);
  if (!machine || image == nullptr) return machine;
  if (!machine->load_kernel(image->kernel, name, error)) return nullptr;
  if (!image->initrd.empty() && !machine->load_initrd(image->initrd, name + " (initramfs)", error))
    return nullptr;
  return machine;
}

void App::adopt(std::unique_ptr<Machine> machine) {
  // Breakpoints are addresses in the guest image: keep them across rebuilds of one guest.
  if (machine_) {
    for (uint64_t pc : machine_->breakpoints()) machine->add_breakpoint(pc);
  }
  // The old machine's regions go with it: drop its log first, then watch the new one's.
  iommu_log_.reset();
  drop_jit();
  machine_ = std::move(machine);
  iommu_log_ = watch_iommu_events(*machine_);
  pending_stop_.reset();
  paused_at_iommu_event_ = 0;
  panel_.iommu_selected_seq = 0;  // sequence numbers start again in the new log
  if (iommu_log_) {
    iommu_log_->set_listener([this](const IommuEventRecord& record) {
      if (!pause_on_iommu_event_ || !iommu_event_matches(record, iommu_stop_filter_)) return;
      StopReport stop;
      stop.kind = StopReport::Kind::IommuEvent;
      stop.event = record;
      request_pause(std::move(stop));
    });
  }
  install_trap_hook();
  update_jit();
  ++machine_epoch_;
  loaded_at_ms_ = last_now_ms_;
  pacer_.start(host_.wall_clock_ns(), 0);  // guest time 0 is now
  ips_.clear();
  busy_insns_ = 0;
  busy_ms_ = 0;
  idle_ = false;
  sleep_until_ms_ = 0;
  status_.clear();
  replay_ = {};
  start_session();
}

bool App::load_guest(std::span<const uint8_t> elf, const std::string& name, std::string& error) {
  GuestImage image;
  image.kernel.assign(elf.begin(), elf.end());
  return load_guest(std::move(image), name, error);
}

bool App::load_guest(GuestImage image, const std::string& name, std::string& error) {
  error.clear();
  if (image.kernel.empty()) {
    error = name + ": the file is empty, not a RISC-V ELF executable or Linux kernel";
    add_message(error);
    return false;
  }
  std::unique_ptr<Machine> machine = build(ram_mib_, &image, name, error);
  if (!machine) {
    if (error.empty()) error = name + ": could not be loaded";
    add_message(error);
    return false;
  }
  // A different guest: the old breakpoints mean nothing in it.
  if (name != guest_name_) {
    for (uint64_t pc :
         std::vector<uint64_t>(machine_->breakpoints().begin(), machine_->breakpoints().end()))
      machine_->remove_breakpoint(pc);
  }
  const size_t bytes = image.size();
  const bool has_initrd = !image.initrd.empty();
  origin_ = {};
  origin_.has_initrd = has_initrd;
  origin_.has_append = !image.append.empty();
  if (!has_initrd) origin_.program = image.kernel;
  origin_.crc = link_guest_crc(image.kernel, image.initrd);
  catalog_.remember(name, std::move(image));
  guest_name_ = name;
  from_snapshot_ = false;
  adopt(std::move(machine));
  paused_ = false;
  add_message("Loaded " + name + " (" + std::to_string(bytes) + " bytes" +
              (has_initrd ? " with its initramfs" : "") + ", " + std::to_string(ram_mib_) +
              " MiB RAM)");
  return true;
}

bool App::load_snapshot(std::span<const uint8_t> bytes, const std::string& name, std::string& error,
                        const SnapshotFile::Prepared* prepared) {
  MachineConfig base;
  base.registry = &registry_;
  // The checksum of the file without its trailer, computed once: the reader compares it with
  // the trailer, and share links name the bundled snapshot by the whole file's.
  SnapshotFile::Prepared checked = prepared ? *prepared : SnapshotFile::Prepared{};
  if (!checked.body_crc && bytes.size() >= 4)
    checked.body_crc = crc32_of(bytes.first(bytes.size() - 4));
  std::unique_ptr<Machine> machine = Machine::from_snapshot(bytes, base, console_, error, &checked);
  if (!machine) {
    error = name + ": " + error;
    add_message(error);
    return false;
  }
  // The snapshot's disk (with what its guest had written) replaces the page's; the old one
  // stays alive until the old machine is gone.
  std::unique_ptr<MemoryBlockStorage> old_disk = std::move(disk_);
  disk_ = machine->take_restored_drive(kDiskDriveId);
  if (disk_) disk_name_ = name + " (its disk)";
  const MachineConfig& config = machine->config();
  ram_mib_ = static_cast<unsigned>(std::max<uint64_t>(1, config.ram_size >> 20));
  const std::string disk_device = std::string("virtio-blk-device,drive=") + kDiskDriveId;
  devices_.clear();
  for (const std::string& d : config.devices) {
    if (d != disk_device) devices_.push_back(d);
  }
  for (uint64_t pc :
       std::vector<uint64_t>(machine_->breakpoints().begin(), machine_->breakpoints().end()))
    machine_->remove_breakpoint(pc);
  guest_name_ = name;
  from_snapshot_ = true;
  origin_ = {};
  origin_.start = MachineLink::Start::Snapshot;
  // The whole file's CRC-32 (a link names the bundled snapshot by it): the body's continued
  // over the trailer (a file shorter than that does not load).
  origin_.crc = crc32_of(bytes.last(4), *checked.body_crc);
  adopt(std::move(machine));
  old_disk.reset();
  // The restored guest's clock has been running: its time 0 was that long ago.
  pacer_.start(host_.wall_clock_ns(), machine_->guest_ns());
  paused_ = false;
  add_message("Loaded snapshot " + name + " (" + std::to_string(bytes.size()) + " bytes, " +
              std::to_string(machine_->total_instructions()) + " instructions in)");
  return true;
}

bool App::save_snapshot(std::vector<uint8_t>& out, std::string& error) {
  if (!machine_->save_snapshot(out, error)) {
    add_message(error);
    return false;
  }
  return true;
}

bool App::refuse_after_snapshot(const std::string& what, std::string& error) {
  if (!from_snapshot_) return false;
  error = what +
          ": the machine was loaded from a snapshot, which keeps its memory size, "
          "devices and disk; load a guest to change them";
  add_message(error);
  return true;
}

void App::set_ram_mib(unsigned mib) {
  std::string refused;
  if (mib != ram_mib_ && refuse_after_snapshot("Memory size", refused)) return;
  if (std::string problem = check_ram_mib(mib); !problem.empty()) {
    add_message(problem);
    return;
  }
  if (mib == ram_mib_) return;
  std::string error;
  std::unique_ptr<Machine> machine = build(mib, catalog_.find(guest_name_), guest_name_, error);
  if (!machine) {
    add_message("Memory size " + std::to_string(mib) + " MiB: " + error);
    return;
  }
  ram_mib_ = mib;
  adopt(std::move(machine));
  add_message("Memory size set to " + std::to_string(mib) + " MiB (machine restarted)");
}

bool App::set_devices(std::vector<std::string> devices, std::string& error) {
  error.clear();
  if (refuse_after_snapshot("Devices", error)) return false;
  std::swap(devices_, devices);
  std::unique_ptr<Machine> machine =
      build(ram_mib_, catalog_.find(guest_name_), guest_name_, error);
  if (!machine) {
    std::swap(devices_, devices);  // the old list, with the old machine
    if (error.empty()) error = "the devices could not be added";
    add_message("Devices: " + error);
    return false;
  }
  adopt(std::move(machine));
  std::string list;
  for (const std::string& d : devices_) list += (list.empty() ? "" : ", ") + d;
  add_message(devices_.empty() ? "Devices: the board's own only (machine restarted)"
                               : "Devices: " + list + " (machine restarted)");
  return true;
}

bool App::set_disk(std::vector<uint8_t> bytes, const std::string& name, std::string& error) {
  error = check_disk_bytes(bytes.size(), name);
  if (!error.empty()) {
    add_message(error);
    return false;
  }
  return replace_disk(std::make_unique<MemoryBlockStorage>(std::move(bytes)), name, error);
}

bool App::set_blank_disk(uint64_t mib, std::string& error) {
  if (mib == 0 || mib > kMaxDiskMib) {
    error = "Disk: a blank disk of " + std::to_string(mib) + " MiB is not supported: choose 1 to " +
            std::to_string(kMaxDiskMib) + " MiB.";
    add_message(error);
    return false;
  }
  return set_disk(std::vector<uint8_t>(mib << 20), "blank " + std::to_string(mib) + " MiB", error);
}

void App::remove_disk() {
  if (!disk_) return;
  std::string error;
  replace_disk(nullptr, "", error);
}

bool App::replace_disk(std::unique_ptr<MemoryBlockStorage> disk, std::string name,
                       std::string& error) {
  error.clear();
  if (refuse_after_snapshot("Disk", error)) return false;
  std::swap(disk_, disk);
  std::unique_ptr<Machine> machine =
      build(ram_mib_, catalog_.find(guest_name_), guest_name_, error);
  if (!machine) {
    std::swap(disk_, disk);  // the old disk, with the old machine
    if (error.empty()) error = "the machine could not be built";
    error = "Disk: " + error;
    add_message(error);
    return false;
  }
  adopt(std::move(machine));  // the old machine goes before the old disk (`disk`) it used
  disk_name_ = std::move(name);
  add_message(disk_ ? "Disk: " + disk_name_ + ", " + std::to_string(disk_->size()) +
                          " bytes, a virtio-blk disk (/dev/vda in Linux; machine restarted)"
                    : "Disk removed (machine restarted)");
  return true;
}

std::vector<uint8_t> App::take_disk_changes() {
  std::vector<uint8_t> out;
  if (!disk_) return out;
  const std::vector<uint8_t>& bytes = disk_->bytes();
  for (uint64_t block : disk_->take_written_blocks()) {
    const uint64_t offset = block * MemoryBlockStorage::kBlock;
    const uint64_t length = std::min<uint64_t>(MemoryBlockStorage::kBlock, bytes.size() - offset);
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(offset >> (8 * i)));
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(length >> (8 * i)));
    out.insert(out.end(), bytes.begin() + static_cast<ptrdiff_t>(offset),
               bytes.begin() + static_cast<ptrdiff_t>(offset + length));
  }
  return out;
}

std::string App::disk_json() const {
  std::string out = "{\"attached\":";
  out += disk_ ? "true" : "false";
  out += ",\"name\":";
  json_append_string(out, disk_name_);
  out += ",\"bytes\":" + std::to_string(disk_ ? disk_->size() : 0);
  out += ",\"readOnly\":";
  out += disk_ && disk_->read_only() ? "true" : "false";
  out += ",\"bytesWritten\":" + std::to_string(disk_ ? disk_->bytes_written() : 0) + "}";
  return out;
}

void App::reset() {
  if (from_snapshot_) {
    // The snapshot's images go back to RAM and the hart restarts at the boot ROM, as the
    // guest's own reboot does.
    drop_jit();
    machine_->reset();
    update_jit();
    ++machine_epoch_;
    origin_.refusal =
        "the machine was reset after starting from a snapshot, which a link cannot reproduce";
    add_message("Machine reset");
    return;
  }
  std::string error;
  std::unique_ptr<Machine> machine =
      build(ram_mib_, catalog_.find(guest_name_), guest_name_, error);
  if (!machine) {  // cannot happen for an image that loaded before; keep the old machine
    add_message("Reset failed: " + error);
    return;
  }
  adopt(std::move(machine));
  add_message("Machine reset");
}

void App::run_slice(double budget_ms, double now_ms) {
  lessons_->poll(*this);  // a lesson's guest that just loaded waits at its start
  last_now_ms_ = now_ms;
  last_slice_ms_ = 0;
  ips_.sample(now_ms, machine_->total_instructions());
  if (guest_name_.empty()) {
    status_ = "no guest loaded";
    return;
  }
  if (machine_->exited()) {
    status_ = "exited with code " + std::to_string(machine_->exit_code());
    return;
  }
  if (paused_) {
    status_ = "paused";
    return;
  }
  if (now_ms < sleep_until_ms_) {
    status_ = "sleeping: waiting for a guest timer";
    return;
  }
  status_.clear();

  const uint64_t start_ns = host_.wall_clock_ns();
  const uint64_t budget_ns = static_cast<uint64_t>(std::max(0.0, budget_ms) * 1e6);
  const uint64_t cap = rate_.instructions_for(budget_ms);
  const uint64_t chunk = std::max<uint64_t>(1000, cap / kRunsPerSlice);
  const uint64_t first = machine_->total_instructions();
  bool measured = true;  // whether the slice ran flat out (a fair rate measurement)
  idle_ = false;
  for (uint64_t ran = 0; ran < cap;) {
    // run() counts steps (a trap is one), so a guest in a trap loop still uses up the cap.
    const uint64_t before = machine_->total_steps();
    // Lag built up since the last run (computing, or waiting for input) is forgiven before a
    // timer skip can jump guest time ahead, so that the skip is then waited out in full.
    guest_ahead_ns();
    const uint64_t run_start_ns = host_.wall_clock_ns();
    const MachineState state = machine_->run(std::min(chunk, cap - ran));
    ran += machine_->total_steps() - before;
    pacer_.ran(machine_->total_steps() - before, host_.wall_clock_ns() - run_start_ns);
    // A guest that went idle right after the watched text (a prompt) has completed its line.
    if (state == MachineState::Idle || machine_->last_idle_skip_ns() > 0 ||
        machine_->cpu().waiting_for_interrupt())
      console_.complete_open_line();
    if (take_stop()) {
      measured = false;
      break;
    }
    if (state == MachineState::Breakpoint) {
      paused_ = true;
      status_ = "paused";
      char buf[64];
      std::snprintf(buf, sizeof buf, "Breakpoint at 0x%016" PRIx64, machine_->cpu().pc());
      add_message(buf);
      measured = false;
      break;
    }
    if (state == MachineState::Exited) {
      add_message(guest_name_ + " exited with code " + std::to_string(machine_->exit_code()));
      // A shared session may end with the guest's own exit.
      if (replay_.opened && !replay_.finished) finish_replay();
      measured = false;
      break;
    }
    if (state == MachineState::Reset) add_message(guest_name_ + " reset the machine");
    if (state == MachineState::PlaybackEnd) finish_replay();
    if (state == MachineState::Idle) {
      idle_ = true;
      status_ = "idle: waiting for input";
      measured = false;
      break;
    }
    if (machine_->last_idle_skip_ns() > 0) {
      measured = false;
      // The guest slept until a timer. If that put guest time ahead of the wall clock, wait
      // for the wall clock to catch up before running on.
      const int64_t ahead_ns = guest_ahead_ns();
      if (ahead_ns > kPaceSlackNs) {
        sleep_until_ms_ = now_ms + static_cast<double>(host_.wall_clock_ns() - start_ns) / 1e6 +
                          static_cast<double>(ahead_ns) / 1e6;
        break;
      }
    }
    if (host_.wall_clock_ns() - start_ns >= budget_ns) break;
  }
  const uint64_t elapsed_ns = host_.wall_clock_ns() - start_ns;
  last_slice_ms_ = static_cast<double>(elapsed_ns) / 1e6;
  if (measured) {
    rate_.observe(machine_->total_instructions() - first, last_slice_ms_);
    busy_insns_ += machine_->total_instructions() - first;
    busy_ms_ += last_slice_ms_;
  }
  check_recording_size();
  lessons_->poll(*this);
}

void App::set_pause_on_trap(bool on, std::vector<uint64_t> causes) {
  pause_on_trap_ = on;
  trap_stop_causes_ = std::move(causes);
  install_trap_hook();
}

void App::install_trap_hook() {
  if (!pause_on_trap_) {
    machine_->cpu().set_trap_hook(nullptr);
    return;
  }
  // Safe from inside run(): request_stop() makes it return at the next instruction boundary,
  // which after a trap is the handler's first instruction.
  machine_->cpu().set_trap_hook([this](const TrapEvent& trap) {
    const std::vector<uint64_t>& causes = trap_stop_causes_;
    if (!causes.empty() && std::find(causes.begin(), causes.end(), trap.cause) == causes.end())
      return;
    StopReport stop;
    stop.kind = StopReport::Kind::Trap;
    stop.trap = trap;
    request_pause(std::move(stop));
  });
}

void App::set_pause_on_console(std::string text) {
  if (text.empty()) {
    console_.disarm();
    return;
  }
  console_.arm(text, [this, text] {
    StopReport stop;
    stop.kind = StopReport::Kind::Console;
    stop.console = text;
    request_pause(std::move(stop));
  });
}

void App::disarm_stops() {
  pause_on_iommu_event_ = false;
  set_pause_on_trap(false);
  console_.disarm();
}

void App::request_pause(StopReport stop) {
  if (pending_stop_) return;
  pending_stop_ = std::move(stop);
  machine_->cpu().request_stop();
}

bool App::take_stop() {
  if (!pending_stop_) return false;
  StopReport stop = std::move(*pending_stop_);
  pending_stop_.reset();
  // One-shot: the stop that fired turns itself off.
  switch (stop.kind) {
    case StopReport::Kind::IommuEvent:
      pause_on_iommu_event_ = false;
      paused_at_iommu_event_ = stop.event ? stop.event->seq : 0;
      break;
    case StopReport::Kind::Trap: set_pause_on_trap(false); break;
    default: break;
  }
  stop.pc = machine_->cpu().pc();
  stop.count = last_stop_.count + 1;
  paused_ = true;
  status_ = "paused";
  switch (stop.kind) {
    case StopReport::Kind::IommuEvent:
      add_message("Paused at IOMMU event #" + std::to_string(paused_at_iommu_event_));
      break;
    case StopReport::Kind::Trap: add_message("Paused at a " + describe_stop(stop)); break;
    default: add_message("Paused: " + describe_stop(stop)); break;
  }
  last_stop_ = std::move(stop);
  return true;
}

int64_t App::guest_ahead_ns() {
  return pacer_.ahead_ns(host_.wall_clock_ns(), machine_->guest_ns());
}

void App::pause() {
  paused_ = true;
}

void App::resume() {
  paused_ = false;
}

void App::step() {
  if (!paused_ || machine_->exited() || guest_name_.empty()) return;
  const MachineState state = machine_->run(1);
  if (state == MachineState::Exited)
    add_message(guest_name_ + " exited with code " + std::to_string(machine_->exit_code()));
  take_stop();  // the step made the event (or trap, or output) an armed stop waits for
  lessons_->poll(*this);
}

void App::note_frame(double frame_ms) {
  frames_.add(last_now_ms_, frame_ms);
  slices_.observe(frame_ms, last_slice_ms_);
}

void App::add_message(std::string message) {
  host_.log(LogLevel::Info, message);
  messages_.add(std::move(message));
}

void App::choose_guest(const std::string& name) {
  if (const GuestImage* image = catalog_.find(name)) {
    std::string error;
    load_guest(GuestImage(*image), name, error);  // a copy: load_guest replaces the catalog's
    return;
  }
  if (callbacks_.fetch_guest) {
    add_message("Downloading " + name + "...");
    callbacks_.fetch_guest(name);
    return;
  }
  add_message(name + " is not available here");
}

std::string App::memory_map_json() const {
  return flat_rows_json(flat_rows(machine_->cpu_as()));
}

std::string App::registers_json() const {
  return ui::registers_json(machine_->cpu());
}

std::string App::state_json() const {
  const bool exited = machine_->exited();
  const bool running = !guest_name_.empty() && !paused_ && !exited;
  std::string out = "{\"running\":";
  out += running ? "true" : "false";
  out += ",\"paused\":";
  out += paused_ ? "true" : "false";
  out += ",\"exited\":";
  out += exited ? "true" : "false";
  out += ",\"exitCode\":" + std::to_string(machine_->exit_code()) + ",\"guest\":";
  json_append_string(out, guest_name_);
  out += ",\"ramMiB\":" + std::to_string(ram_mib_) + "}";
  return out;
}

}  // namespace glassvm::ui
