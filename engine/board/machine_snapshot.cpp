// Machine::save_snapshot / from_snapshot: the board's sections of a snapshot.
//
// Sections, in the order they are restored (docs/snapshots.md):
//   config     what the machine was built from: RAM size, firmware choice, command line,
//              -device texts, the drives they name (ids and sizes)
//   boot       the loaded images (firmware, kernel, initrd) as reset puts them back, and where
//              the device tree went
//   ram        a bitmap of the RAM pages that hold anything but zeros, then those pages
//   drives     each drive's id and size, a bitmap of its 4 KiB blocks that hold anything but
//              zeros, then those blocks
//   hart0      the hart (Cpu::save_state)
//   board      counters across resets, the exit status, the built-in SBI's timer
//   console    the console's last output (Machine::console_tail), for the screen
//   htif       Spike's tohost/fromhost words
//   device/N   device N in creation order (Device::save_state)
//   clock      guest time skipped and every alarm's deadline: last, so that nothing restored
//              after it moves a deadline
#include <algorithm>
#include <cassert>
#include <cstring>

#include "engine/base/page.h"
#include "engine/board/machine.h"

namespace glassvm {

namespace {

constexpr uint32_t kConfigVersion = 1, kBootVersion = 1, kRamVersion = 2, kBoardVersion = 1,
                   kConsoleVersion = 1, kDrivesVersion = 1;
constexpr uint64_t kDriveBlock = 4096;
/// The most bytes the small sections may unpack to.
constexpr uint64_t kSmallSection = 1 << 20;
/// The most a device's section may unpack to.
constexpr uint64_t kDeviceSection = 16 << 20;
constexpr uint64_t kMaxDevices = 256, kMaxText = 64 << 10;

std::string device_section(size_t index) {
  return "device/" + std::to_string(index);
}

}  // namespace

std::vector<uint8_t> Machine::pages_as_reset_left() const {
  // The pages reset() writes, each drawn as it leaves it on a machine whose RAM was zero (as
  // from_snapshot's is when it commits the images), then compared with RAM.
  const uint64_t pages = config_.ram_size / kPageSize;
  struct Piece {
    uint64_t addr;
    std::span<const uint8_t> data;
    uint64_t memsz;
  };
  std::vector<Piece> pieces;
  std::vector<uint8_t> covered(pages);
  for_each_reset_piece([&](uint64_t addr, std::span<const uint8_t> data, uint64_t memsz) {
    if (memsz == 0) return;
    pieces.push_back({addr, data, memsz});
    const uint64_t first = (addr - virt::kDramBase) / kPageSize;
    const uint64_t last = (addr - virt::kDramBase + memsz - 1) / kPageSize;
    for (uint64_t i = first; i <= last && i < pages; ++i) covered[i] = 1;
  });
  std::vector<uint8_t> kept((pages + 7) / 8);
  std::vector<uint8_t> page(kPageSize);
  const uint8_t* base = ram_.ram_ptr();
  for (uint64_t i = 0; i < pages; ++i) {
    if (!covered[i]) continue;
    const uint64_t start = virt::kDramBase + i * kPageSize;
    std::fill(page.begin(), page.end(), 0);
    for (const Piece& p : pieces) {
      const uint64_t lo = std::max(start, p.addr),
                     hi = std::min(start + kPageSize, p.addr + p.memsz);
      if (lo >= hi) continue;
      // [lo, hi) is the piece's data up to `split`, then its zeros. Nothing is copied when
      // [lo, hi) lies past the data (a piece may have none): there is nothing to point at.
      const uint64_t split = std::clamp(p.addr + p.data.size(), lo, hi);
      if (split > lo)
        std::memcpy(page.data() + (lo - start), p.data.data() + (lo - p.addr), split - lo);
      std::memset(page.data() + (split - start), 0, hi - split);
    }
    if (std::all_of(page.begin(), page.end(), [](uint8_t b) { return b == 0; })) continue;
    if (std::memcmp(base + i * kPageSize, page.data(), kPageSize) == 0)
      kept[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
  }
  return kept;
}

bool Machine::save_snapshot(std::vector<uint8_t>& out, std::string& error) {
  assert(!in_cpu_run_ && "Machine::save_snapshot inside run()");
  for (const DeviceEntry& entry : devices_) {
    if (entry.device->state_version() == 0) {
      error = "cannot save a snapshot of this machine: device " + entry.spec +
              " does not support snapshots yet";
      return false;
    }
  }
  uint64_t drive_bytes = 0;
  for (const std::string& id : taken_drives_) drive_bytes += config_.drives.at(id)->size();
  if (drive_bytes > kMaxSnapshotDrive) {
    error = "cannot save a snapshot of this machine: its disks hold " +
            std::to_string(drive_bytes >> 20) + " MiB, more than the " +
            std::to_string(kMaxSnapshotDrive >> 20) + " MiB a snapshot may hold";
    return false;
  }
  SnapshotWriter file;
  write_sections([&file](std::string name, uint32_t version, std::span<const uint8_t> payload) {
    file.add(std::move(name), version, payload);
  });
  out = file.finish();
  return true;
}

uint64_t Machine::state_hash() const {
  assert(!in_cpu_run_ && "Machine::state_hash inside run()");
  StateHash hash;
  write_sections([&hash](std::string name, uint32_t version, std::span<const uint8_t> payload) {
    hash.add(name);
    const uint8_t v[4] = {static_cast<uint8_t>(version), static_cast<uint8_t>(version >> 8),
                          static_cast<uint8_t>(version >> 16), static_cast<uint8_t>(version >> 24)};
    hash.add(v);
    hash.add(payload);
  });
  return hash.value();
}

void Machine::write_sections(const SectionSink& file) const {
  StateWriter config;
  config.u64(config_.ram_size);
  config.u8(
      static_cast<uint8_t>(config_.firmware == Firmware::File ? Firmware::Auto : config_.firmware));
  config.str(config_.append);
  config.u64(config_.devices.size());
  for (const std::string& d : config_.devices) config.str(d);
  config.u64(taken_drives_.size());
  for (const std::string& id : taken_drives_) {
    config.str(id);
    config.u64(config_.drives.at(id)->size());
  }
  file("config", kConfigVersion, config.data());

  StateWriter boot;
  auto blobs = [&boot](const std::vector<Blob>& list) {
    boot.u64(list.size());
    for (const Blob& b : list) {
      boot.u64(b.addr);
      boot.blob(b.data);
      boot.u64(b.memsz);
    }
  };
  boot.u8(static_cast<uint8_t>(plan_.firmware));
  blobs(plan_.firmware_blobs);
  boot.u64(plan_.firmware_end);
  blobs(plan_.kernel_blobs);
  boot.boolean(plan_.has_kernel);
  boot.u64(plan_.entry);
  boot.boolean(plan_.tohost.has_value());
  boot.u64(plan_.tohost.value_or(0));
  boot.boolean(plan_.fromhost.has_value());
  boot.u64(plan_.fromhost.value_or(0));
  boot.blob(plan_.initrd);
  boot.u64(plan_.initrd_addr);
  boot.u64(fdt_addr_);
  file("boot", kBootVersion, boot.data());

  {
    // Pages of zeros are left out, and so are pages that hold what reset() writes there (the
    // loader commits the boot images first): for Linux at its prompt, most of the kernel.
    const uint64_t pages = config_.ram_size / kPageSize;
    const std::vector<uint8_t> kept = pages_as_reset_left();
    std::vector<uint8_t> bitmap((pages + 7) / 8);
    std::vector<uint64_t> present;
    const uint8_t* base = ram_.ram_ptr();
    for (uint64_t i = 0; i < pages; ++i) {
      const uint64_t off = i * kPageSize;
      if (!ram_.ram_maybe_written(off) || (kept[i / 8] >> (i % 8) & 1)) continue;
      const uint8_t* p = base + off;
      if (p[0] == 0 && std::memcmp(p, p + 1, kPageSize - 1) == 0) continue;
      bitmap[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
      present.push_back(i);
    }
    StateWriter ram;
    ram.u64(pages);
    ram.bytes(bitmap);
    ram.bytes(kept);
    for (uint64_t i : present) ram.bytes({base + i * kPageSize, kPageSize});
    file("ram", kRamVersion, ram.data());
  }

  {
    // Blocks of zeros are left out, as RAM pages are.
    StateWriter drives;
    drives.u64(taken_drives_.size());
    std::vector<uint8_t> block(kDriveBlock);
    for (const std::string& id : taken_drives_) {
      BlockStorage& drive = *config_.drives.at(id);
      const uint64_t blocks = (drive.size() + kDriveBlock - 1) / kDriveBlock;
      std::vector<uint8_t> bitmap((blocks + 7) / 8);
      StateWriter data;
      for (uint64_t b = 0; b < blocks; ++b) {
        const size_t n =
            static_cast<size_t>(std::min<uint64_t>(kDriveBlock, drive.size() - b * kDriveBlock));
        if (!drive.read(b * kDriveBlock, {block.data(), n})) std::fill_n(block.begin(), n, 0);
        if (std::all_of(block.begin(), block.begin() + static_cast<ptrdiff_t>(n),
                        [](uint8_t v) { return v == 0; }))
          continue;
        bitmap[b / 8] |= static_cast<uint8_t>(1u << (b % 8));
        data.bytes({block.data(), n});
      }
      drives.str(id);
      drives.u64(drive.size());
      drives.bytes(bitmap);
      drives.blob(data.data());
    }
    file("drives", kDrivesVersion, drives.data());
  }

  StateWriter hart;
  cpu_->save_state(hart);
  file("hart0", Cpu::kStateVersion, hart.data());

  StateWriter board;
  board.u64(instret_before_reset_);
  board.u64(steps_before_reset_);
  board.boolean(exited_);
  board.u32(static_cast<uint32_t>(exit_code_));
  board.u64(sbi_->timer_compare());
  file("board", kBoardVersion, board.data());

  StateWriter console;
  console.str(console_tail());
  file("console", kConsoleVersion, console.data());

  StateWriter htif;
  htif_->save(htif);
  file("htif", Htif::kStateVersion, htif.data());

  for (size_t i = 0; i < devices_.size(); ++i) {
    // A device without snapshot support (save_snapshot refuses it) is named, for the hash.
    StateWriter w;
    if (devices_[i].device->state_version() == 0)
      w.str(devices_[i].spec);
    else
      devices_[i].device->save_state(w);
    file(device_section(i), devices_[i].device->state_version(), w.data());
  }

  StateWriter clock;
  clock_.save_state(clock);
  file("clock", VirtualClock::kStateVersion, clock.data());
}

std::unique_ptr<Machine> Machine::from_snapshot(std::span<const uint8_t> bytes,
                                                const MachineConfig& base, Host& host,
                                                std::string& error,
                                                const SnapshotFile::Prepared* prepared) {
  SnapshotFile file;
  if (!file.open(bytes, error, prepared)) return nullptr;
  SnapshotSection section;
  if (!file.unpack("config", kSmallSection, section, error)) return nullptr;
  if (section.version != kConfigVersion) {
    error = "section config has version " + std::to_string(section.version) +
            ", which this build does not read";
    return nullptr;
  }
  MachineConfig config = base;
  StateReader r(section, "config");
  config.ram_size = r.u64();
  const uint8_t firmware = r.u8();
  if (firmware > static_cast<uint8_t>(Firmware::BuiltinSbi)) r.fail("bad firmware kind");
  config.firmware = static_cast<Firmware>(firmware);
  config.append = r.str(kMaxText);
  config.devices.clear();
  const uint64_t devices = r.bounded(kMaxDevices, "the number of -device options");
  for (uint64_t i = 0; i < devices && r.ok(); ++i) config.devices.push_back(r.str(kMaxText));
  // The drives come back from the snapshot, into disks in memory that the machine owns (their
  // contents are restored with the rest, in the drives section).
  const uint64_t drives = r.bounded(kMaxDevices, "the number of drives");
  std::map<std::string, uint64_t> drive_sizes;
  uint64_t drive_bytes = 0;
  config.drives.clear();
  for (uint64_t i = 0; i < drives && r.ok(); ++i) {
    const std::string id = r.str(kMaxText);
    const uint64_t size = r.u64();
    if (!r.ok()) break;
    if (size > kMaxSnapshotDrive || drive_bytes + size > kMaxSnapshotDrive)
      r.fail("drive '" + id + "' makes the disks larger than a snapshot may hold");
    else if (!drive_sizes.emplace(id, size).second)
      r.fail("drive '" + id + "' appears twice");
    drive_bytes += size;
  }
  if (!r.finish()) {
    error = r.error();
    return nullptr;
  }
  std::vector<std::unique_ptr<MemoryBlockStorage>> owned;
  for (const auto& [id, size] : drive_sizes) {
    owned.push_back(std::make_unique<MemoryBlockStorage>(std::vector<uint8_t>(size)));
    config.drives[id] = owned.back().get();
  }
  std::unique_ptr<Machine> m = create(config, host, error);
  if (!m) {
    error = "the snapshot's machine cannot be built: " + error;
    return nullptr;
  }
  m->owned_drives_ = std::move(owned);
  if (!m->restore(file, error)) return nullptr;
  return m;
}

std::unique_ptr<MemoryBlockStorage> Machine::take_restored_drive(const std::string& id) {
  auto it = config_.drives.find(id);
  if (it == config_.drives.end()) return nullptr;
  for (auto& owned : owned_drives_) {
    if (owned.get() == it->second) {
      std::unique_ptr<MemoryBlockStorage> out = std::move(owned);
      std::erase(owned_drives_, nullptr);
      return out;
    }
  }
  return nullptr;
}

bool Machine::restore(const SnapshotFile& file, std::string& error) {
  // Every section this machine has must be there, and nothing else.
  const size_t expected = 9 + devices_.size();
  if (file.sections().size() != expected) {
    error = "the snapshot has " + std::to_string(file.sections().size()) +
            " sections; a machine with these devices has " + std::to_string(expected);
    return false;
  }
  SnapshotSection s;
  auto open = [&](const std::string& name, uint64_t max, uint32_t version) {
    if (!file.unpack(name, max, s, error)) return false;
    if (s.version > version || s.version == 0) {
      error = "section " + name + " has version " + std::to_string(s.version) +
              ", which this build does not read";
      return false;
    }
    return true;
  };
  auto done = [&](StateReader& r) {
    if (r.finish()) return true;
    error = r.error();
    return false;
  };

  // boot: the images, committed as a loader would (which places the device tree and resets).
  if (!open("boot", config_.ram_size + kSmallSection, kBootVersion)) return false;
  {
    StateReader r(s, "boot");
    BootPlan plan;
    uint64_t image_bytes = 0;
    auto blobs = [&](std::vector<Blob>& list) {
      const uint64_t n = r.bounded(kMaxDevices, "the number of image pieces");
      for (uint64_t i = 0; i < n && r.ok(); ++i) {
        Blob b;
        b.addr = r.u64();
        b.data = r.blob(config_.ram_size);
        b.memsz = r.u64();
        image_bytes += b.data.size();
        if (r.ok() && (b.data.size() > b.memsz || !in_ram(b.addr, b.memsz))) {
          r.fail("an image piece lies outside RAM");
        }
        list.push_back(std::move(b));
      }
    };
    const uint8_t firmware = r.u8();
    if (firmware > static_cast<uint8_t>(Firmware::File)) r.fail("bad firmware kind");
    plan.firmware = static_cast<Firmware>(firmware);
    blobs(plan.firmware_blobs);
    plan.firmware_end = r.u64();
    blobs(plan.kernel_blobs);
    plan.has_kernel = r.boolean();
    plan.entry = r.u64();
    const bool tohost = r.boolean();
    const uint64_t tohost_addr = r.u64();
    const bool fromhost = r.boolean();
    const uint64_t fromhost_addr = r.u64();
    if (tohost != fromhost) r.fail("an HTIF word without the other");
    if (tohost && (tohost_addr % 8 != 0 || fromhost_addr % 8 != 0 || !in_ram(tohost_addr, 8) ||
                   !in_ram(fromhost_addr, 8) || tohost_addr == fromhost_addr)) {
      r.fail("bad HTIF addresses");
    }
    if (tohost) {
      plan.tohost = tohost_addr;
      plan.fromhost = fromhost_addr;
    }
    plan.initrd = r.blob(config_.ram_size);
    plan.initrd_addr = r.u64();
    image_bytes += plan.initrd.size();
    if (!plan.initrd.empty() && !in_ram(plan.initrd_addr, plan.initrd.size())) {
      r.fail("the initrd lies outside RAM");
    }
    if (image_bytes > config_.ram_size) r.fail("the images are larger than RAM");
    const uint64_t fdt_addr = r.u64();
    if (!done(r)) return false;
    if (!commit(std::move(plan), "snapshot", error)) return false;
    if (fdt_addr != fdt_addr_) {
      error = "section boot: the device tree was at " + std::to_string(fdt_addr) +
              ", this build puts it at " + std::to_string(fdt_addr_);
      return false;
    }
  }

  // ram (version 1 has no bitmap of the pages as reset left them)
  const uint64_t pages = config_.ram_size / kPageSize;
  const uint64_t bitmap_bytes = (pages + 7) / 8;
  if (!open("ram", 8 + 2 * bitmap_bytes + config_.ram_size, kRamVersion)) return false;
  {
    StateReader r(s, "ram");
    if (r.u64() != pages) r.fail("the RAM size differs from the configuration's");
    auto bitmap = r.bytes(bitmap_bytes);
    std::vector<uint8_t> kept(bitmap_bytes);
    if (s.version >= 2) {
      auto k = r.bytes(bitmap_bytes);
      if (r.ok()) std::copy(k.begin(), k.end(), kept.begin());
    }
    uint64_t present = 0;
    for (uint64_t i = 0; i < bitmap.size() && i < kept.size(); ++i) {
      present += static_cast<unsigned>(__builtin_popcount(bitmap[i]));
      if (bitmap[i] & kept[i]) r.fail("a page is both saved and kept as reset left it");
    }
    if (r.ok() && r.remaining() != present * kPageSize) {
      r.fail("the pages do not match the bitmap");
    }
    if (!r.ok()) return done(r);
    uint8_t* base = ram_.ram_ptr();
    // Runs of saved pages are read with one copy each, straight into RAM (in wasm every large
    // copy is a call out to JavaScript: one per page cost more than the copying).
    const auto saved = [&](uint64_t i) { return (bitmap[i / 8] >> (i % 8) & 1) != 0; };
    const auto as_reset_left = [&](uint64_t i) { return (kept[i / 8] >> (i % 8) & 1) != 0; };
    for (uint64_t i = 0; i < pages;) {
      const uint64_t off = i * kPageSize;
      if (saved(i)) {
        uint64_t n = 1;
        while (i + n < pages && saved(i + n)) ++n;
        ram_.note_ram_touched(off, n * kPageSize);
        if (!r.read_into({base + off, static_cast<size_t>(n * kPageSize)})) return done(r);
        i += n;
        continue;
      }
      if (!as_reset_left(i) && ram_.ram_maybe_written(off)) {
        std::memset(base + off, 0, kPageSize);
      }
      ++i;
    }
    if (!done(r)) return false;
    ram_.notify_ram_write(0, config_.ram_size);
  }

  // drives (into the disks from_snapshot made for them, all zeros so far)
  uint64_t drive_bytes = 0;
  for (const std::string& id : taken_drives_) drive_bytes += config_.drives.at(id)->size();
  if (!open("drives", kSmallSection + drive_bytes + drive_bytes / kDriveBlock / 8, kDrivesVersion))
    return false;
  {
    StateReader r(s, "drives");
    if (r.u64() != taken_drives_.size()) r.fail("the drives differ from the configuration's");
    for (const std::string& id : taken_drives_) {
      if (!r.ok()) break;
      BlockStorage& drive = *config_.drives.at(id);
      if (r.str(kMaxText) != id || r.u64() != drive.size()) {
        r.fail("the drives differ from the configuration's");
        break;
      }
      const uint64_t blocks = (drive.size() + kDriveBlock - 1) / kDriveBlock;
      auto bitmap = r.bytes((blocks + 7) / 8);
      const uint64_t length = r.u64();
      auto data = r.bytes(length);
      if (!r.ok()) break;
      uint64_t at = 0;
      for (uint64_t b = 0; b < blocks; ++b) {
        if (!(bitmap[b / 8] & (1u << (b % 8)))) continue;
        const uint64_t n = std::min<uint64_t>(kDriveBlock, drive.size() - b * kDriveBlock);
        if (length - at < n) break;
        drive.write(b * kDriveBlock, data.subspan(at, n));
        at += n;
      }
      if (at != length) r.fail("drive '" + id + "': the blocks do not match the bitmap");
    }
    if (!done(r)) return false;
    // Restoring is not the guest writing: the page's record of written blocks starts empty.
    for (auto& owned : owned_drives_) owned->take_written_blocks();
  }

  if (!open("hart0", kSmallSection, Cpu::kStateVersion)) return false;
  {
    StateReader r(s, "hart0");
    cpu_->load_state(r);
    if (!done(r)) return false;
  }

  if (!open("board", kSmallSection, kBoardVersion)) return false;
  {
    StateReader r(s, "board");
    instret_before_reset_ = r.u64();
    steps_before_reset_ = r.u64();
    exited_ = r.boolean();
    exit_code_ = static_cast<int>(r.u32());
    sbi_->restore_timer_compare(r.u64());
    if (!done(r)) return false;
  }

  if (!open("console", kSmallSection, kConsoleVersion)) return false;
  {
    StateReader r(s, "console");
    std::string tail = r.str(kConsoleTailBytes);
    if (!done(r)) return false;
    host_.tail = std::move(tail);
  }

  if (!open("htif", kSmallSection, Htif::kStateVersion)) return false;
  {
    StateReader r(s, "htif");
    htif_->load(r);
    if (!done(r)) return false;
  }

  for (size_t i = 0; i < devices_.size(); ++i) {
    Device& device = *devices_[i].device;
    const std::string name = device_section(i);
    if (device.state_version() == 0) {
      error = "device " + devices_[i].spec + " does not support snapshots yet";
      return false;
    }
    if (!open(name, kDeviceSection, device.state_version())) return false;
    StateReader r(s, name + " (" + devices_[i].spec + ")");
    device.load_state(r, s.version);
    if (!done(r)) return false;
  }

  if (!open("clock", kSmallSection, VirtualClock::kStateVersion)) return false;
  {
    StateReader r(s, "clock");
    clock_.load_state(r);
    if (!done(r)) return false;
  }
  return true;
}

}  // namespace glassvm
