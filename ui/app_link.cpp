// App's share links: the current machine as a link, and a link opened into a machine that
// replays the sender's session (docs/links.md).
#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "engine/base/snapshot.h"
#include "ui/app.h"

namespace glassvm::ui {

namespace {

/// The most console input one machine records for a link; beyond it (a huge paste), the
/// machine can no longer be shared as a link, and recording stops.
constexpr uint64_t kMaxRecordedBytes = 256 << 10;

std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

}  // namespace

void App::start_session() {
  machine_->set_recording(true);
  origin_.start_ns = machine_->guest_ns();
  origin_.disk_blank = true;
  if (disk_) {
    std::vector<uint8_t> chunk(1 << 16);
    for (uint64_t off = 0; off < disk_->size() && origin_.disk_blank; off += chunk.size()) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(chunk.size(), disk_->size() - off));
      disk_->read(off, {chunk.data(), n});
      origin_.disk_blank =
          std::all_of(chunk.begin(), chunk.begin() + n, [](uint8_t b) { return b == 0; });
    }
  }
}

void App::mark_guest_bundled() {
  origin_.bundled = true;
}

void App::check_recording_size() {
  if (!machine_->recording_enabled() || machine_->recording().byte_count() <= kMaxRecordedBytes)
    return;
  machine_->set_recording(false);
  origin_.refusal = "more than " + std::to_string(kMaxRecordedBytes >> 10) +
                    " KiB of input was typed or pasted since the machine started, more than a "
                    "link carries; save a snapshot instead";
}

bool App::share_link(MachineLink& out, std::string& error) {
  auto refuse = [&](const std::string& why) {
    error = "Share: " + why;
    add_message(error);
    return false;
  };
  if (guest_name_.empty()) return refuse("no guest is loaded");
  if (!origin_.refusal.empty()) return refuse(origin_.refusal);
  if (machine_->playing())
    return refuse("the shared session is still replaying; share once it has ended");
  MachineLink link;
  if (origin_.bundled) {
    link.guest = guest_name_;
  } else if (origin_.start == MachineLink::Start::Snapshot) {
    return refuse(
        "the machine started from a snapshot file; share the file itself (Save snapshot)");
  } else if (origin_.has_initrd || origin_.program.empty()) {
    return refuse(guest_name_ + " is a kernel with an initramfs, which a link cannot carry");
  } else if (origin_.has_append) {
    return refuse(guest_name_ +
                  " was booted with a kernel command line, which a link cannot carry");
  } else if (origin_.program.size() > kMaxLinkProgram) {
    return refuse(guest_name_ + " is larger than the " + std::to_string(kMaxLinkProgram >> 10) +
                  " KiB a link carries");
  } else {
    link.program = origin_.program;
  }
  if (disk_ && !origin_.disk_blank)
    return refuse("the disk held data when the machine started; a link carries a blank disk only");
  if (disk_ && disk_->size() % (1 << 20) != 0)
    return refuse("the disk's size is not a whole number of MiB");
  link.guest_crc = origin_.crc;
  link.start = origin_.start;
  link.ram_mib = ram_mib_;
  link.devices = devices_;
  link.disk_mib = disk_ ? static_cast<uint32_t>(disk_->size() >> 20) : 0;
  link.jit = jit_enabled_;
  link.start_ns = origin_.start_ns;
  link.end_ns = machine_->guest_ns();
  link.end_hash = machine_->state_hash();
  link.input = machine_->recording();
  out = std::move(link);
  return true;
}

bool App::open_link(const MachineLink& link, GuestImage image, std::span<const uint8_t> snapshot,
                    std::string& error) {
  const std::string name = link.guest.empty() ? "shared program" : link.guest;
  auto refuse = [&](const std::string& why) {
    error = "Link: " + why;
    add_message(error);
    return false;
  };
  if (link.guest.empty()) image = GuestImage{link.program, {}, ""};
  const bool from_snapshot = link.start == MachineLink::Start::Snapshot;
  const uint32_t crc =
      from_snapshot ? crc32_of(snapshot) : link_guest_crc(image.kernel, image.initrd);
  if (crc != link.guest_crc) {
    char buf[96];
    std::snprintf(buf, sizeof buf, " (CRC-32 %08" PRIx32 ", this page's %08" PRIx32 ")",
                  link.guest_crc, crc);
    return refuse("the link was made with another " + name + (from_snapshot ? " snapshot" : "") +
                  " than this page has" + buf);
  }
  if (std::string problem = check_ram_mib(link.ram_mib); !problem.empty()) return refuse(problem);
  if (link.disk_mib > kMaxDiskMib)
    return refuse("a disk of " + std::to_string(link.disk_mib) + " MiB (at most " +
                  std::to_string(kMaxDiskMib) + ")");

  // The link's configuration, put back as it was if its machine cannot be built.
  const unsigned old_ram = ram_mib_;
  std::vector<std::string> old_devices = devices_;
  std::unique_ptr<MemoryBlockStorage> old_disk = std::move(disk_);
  std::string old_disk_name = disk_name_;
  ram_mib_ = link.ram_mib;
  devices_ = link.devices;
  if (link.disk_mib > 0) {
    disk_ =
        std::make_unique<MemoryBlockStorage>(std::vector<uint8_t>(uint64_t{link.disk_mib} << 20));
    disk_name_ = "blank " + std::to_string(link.disk_mib) + " MiB";
  }
  std::unique_ptr<Machine> machine;
  if (from_snapshot) {
    MachineConfig base;
    base.registry = &registry_;
    machine = Machine::from_snapshot(snapshot, base, console_, error);
    if (machine) {
      std::unique_ptr<MemoryBlockStorage> restored = machine->take_restored_drive(kDiskDriveId);
      if (restored) disk_ = std::move(restored);
    }
  } else {
    machine = build(ram_mib_, &image, name, error);
  }
  if (machine && machine->guest_ns() != link.start_ns)
    error = "the session starts at guest time " + std::to_string(link.start_ns) +
            " ns, but this machine starts at " + std::to_string(machine->guest_ns()) + " ns";
  else if (machine)
    machine->play(link.input, link.end_ns, error);
  if (!machine || !machine->playing()) {
    machine.reset();  // before the disk it may use
    ram_mib_ = old_ram;
    devices_ = std::move(old_devices);
    disk_ = std::move(old_disk);
    disk_name_ = std::move(old_disk_name);
    return refuse(error.empty() ? "the machine could not be built" : error);
  }
  for (uint64_t pc :
       std::vector<uint64_t>(machine_->breakpoints().begin(), machine_->breakpoints().end()))
    machine_->remove_breakpoint(pc);
  if (from_snapshot) {
    const MachineConfig& config = machine->config();
    ram_mib_ = static_cast<unsigned>(std::max<uint64_t>(1, config.ram_size >> 20));
  } else {
    catalog_.remember(name, image);
  }
  guest_name_ = name;
  from_snapshot_ = from_snapshot;
  const InputLog played = link.input;
  adopt(std::move(machine));  // the old machine goes before the old disk it used
  old_disk.reset();
  if (from_snapshot) pacer_.start(host_.wall_clock_ns(), machine_->guest_ns());
  origin_ = {};
  origin_.bundled = !link.guest.empty();
  origin_.program = link.program;
  origin_.crc = link.guest_crc;
  origin_.start = link.start;
  start_session();
  set_jit_enabled(link.jit);
  paused_ = false;
  replay_ = {};
  replay_.opened = true;
  replay_.events = played.events.size();
  replay_.end_ns = link.end_ns;
  replay_.expected_hash = link.end_hash;
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f", static_cast<double>(link.end_ns - link.start_ns) / 1e9);
  add_message("Replaying a shared session of " + name + ": " +
              std::to_string(played.events.size()) + " input events over " + secs +
              " s of guest time; your typing counts once it has ended");
  return true;
}

std::string App::replay_json() const {
  const bool playing = replay_.opened && !replay_.finished && machine_->playing();
  std::string out = "{\"opened\":";
  out += replay_.opened ? "true" : "false";
  out += ",\"playing\":";
  out += playing ? "true" : "false";
  out += ",\"finished\":";
  out += replay_.finished ? "true" : "false";
  out += ",\"matched\":";
  out += replay_.matched ? "true" : "false";
  out += ",\"events\":" + std::to_string(replay_.events);
  out += ",\"played\":" + std::to_string(playing ? machine_->played_events() : replay_.played);
  out += ",\"endNs\":" + std::to_string(replay_.end_ns);
  out += ",\"guestNs\":" + std::to_string(machine_->guest_ns());
  out += ",\"hash\":\"" + hex64(replay_.hash) + "\"";
  out += ",\"expectedHash\":\"" + hex64(replay_.expected_hash) + "\"}";
  return out;
}

void App::finish_replay() {
  if (machine_->playing()) machine_->stop_playing();
  replay_.finished = true;
  replay_.played = replay_.events;
  replay_.hash = machine_->state_hash();
  replay_.matched = replay_.hash == replay_.expected_hash;
  add_message(replay_.matched
                  ? "The shared session has ended, in exactly the sender's state (state hash " +
                        hex64(replay_.hash) + "). The machine is yours now."
                  : "The shared session has ended, but NOT in the sender's state (state hash " +
                        hex64(replay_.hash) + ", the sender's " + hex64(replay_.expected_hash) +
                        "). The machine is yours now.");
}

}  // namespace glassvm::ui
