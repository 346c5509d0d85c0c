#include "engine/board/machine.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <cstring>
#include <optional>

#include "engine/base/bytes.h"
#include "engine/base/page.h"
#include "engine/board/elf_loader.h"
#include "engine/board/virt_fdt.h"
#include "engine/devices/clint.h"
#include "engine/devices/goldfish_rtc.h"
#include "engine/devices/htif.h"
#include "engine/devices/plic.h"
#include "engine/devices/sifive_test.h"
#include "engine/devices/uart16550.h"

namespace glassvm {

namespace {

constexpr uint64_t kMaxRam = 64ull << 30;
// The boot ROM's data words (entry point, device tree address) follow its code.
constexpr uint64_t kRomEntryOffset = 24;
constexpr uint64_t kRomFdtOffset = 32;

constexpr uint64_t kFdtAlign = 8;  // the DT spec's alignment for the blob
constexpr uint64_t kQemuFdtAlign = 2ull << 20;
constexpr uint64_t kFdtLimit = 0xc0000000;  // QEMU keeps the blob below 3 GiB

bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size) {
  return a < b + b_size && b < a + a_size;
}

/// Where the device tree blob of `size` bytes goes in RAM [base, base + ram_size): QEMU's place
/// (the end of RAM below 3 GiB, aligned down to 2 MiB) when it is free, else the highest
/// 8-byte aligned place that overlaps no segment of the loaded image. nullopt when none fits.
std::optional<uint64_t> place_fdt(uint64_t base, uint64_t ram_size, uint64_t size,
                                  std::span<const ElfSegment> segments) {
  const uint64_t end = base + ram_size;
  auto fits = [&](uint64_t addr) {
    if (addr < base || addr > end || size > end - addr) return false;
    for (const ElfSegment& s : segments)
      if (overlaps(addr, size, s.paddr, s.memsz)) return false;
    return true;
  };
  if (size > ram_size) return std::nullopt;
  const uint64_t top = std::min(end, kFdtLimit);
  if (top >= base + size) {
    const uint64_t qemu = (top - size) & ~(kQemuFdtAlign - 1);
    if (fits(qemu)) return qemu;
  }
  // Candidates: just below the end of RAM, and just below each segment.
  std::optional<uint64_t> best;
  auto consider = [&](uint64_t limit) {
    if (limit < base + size) return;
    const uint64_t addr = (limit - size) & ~(kFdtAlign - 1);
    if (fits(addr) && (!best || addr > *best)) best = addr;
  };
  consider(end);
  for (const ElfSegment& s : segments) consider(s.paddr);
  return best;
}

}  // namespace

/// Everything the board owns besides RAM, ROM and the CPU.
struct Machine::Devices {
  Devices(Machine& m)
      : clint(1, m.clock_, virt::kNsPerTick),
        plic(1),
        uart([&m](uint8_t byte) {
          m.host_.console_write({&byte, 1});
        }),
        test([&m](SifiveTest::Action action, int code) {
          if (action == SifiveTest::Action::Reset) {
            m.reset_requested_ = true;
            m.cpu_->request_stop();
          } else {
            m.request_exit(code);
          }
        }),
        rtc(m.clock_),
        htif([&m](int code) { m.request_exit(code); },
             [&m](uint8_t byte) {
               m.host_.console_write({&byte, 1});
             }) {}

  Clint clint;
  Plic plic;
  Uart16550 uart;
  SifiveTest test;
  GoldfishRtc rtc;
  Htif htif;
  bool htif_mapped = false;
};

std::unique_ptr<Machine> Machine::create(const MachineConfig& config, Host& host,
                                         std::string& error) {
  if (config.ram_size == 0 || config.ram_size % kPageSize != 0) {
    error = "memory size must be a non-zero multiple of 4 KiB";
    return nullptr;
  }
  if (config.ram_size > kMaxRam) {
    error = "memory size is larger than the 64 GiB this board supports";
    return nullptr;
  }
  std::vector<DeviceSpec> specs;
  for (const std::string& text : config.devices) {
    assert(config.registry && "MachineConfig::devices needs MachineConfig::registry");
    DeviceSpec spec;
    if (!config.registry->parse(text, spec, error)) {
      error = "-device " + text + ": " + error;
      return nullptr;
    }
    specs.push_back(std::move(spec));
  }
  std::unique_ptr<Machine> m(new Machine(config, host));
  if (!m->build(specs, error)) return nullptr;
  return m;
}

Machine::Machine(const MachineConfig& config, Host& host) : config_(config), host_(host) {}

Machine::~Machine() {
  // Address spaces go first, then the devices unmap their regions from the system container.
  cpu_.reset();
  cpu_as_.reset();
  system_as_.reset();
  if (devices_) {
    MemoryTransaction tx;
    for (MemoryRegion* sub : std::vector<MemoryRegion*>(system_.subregions()))
      system_.del_subregion(sub);
  }
}

bool Machine::build(const std::vector<DeviceSpec>& specs, std::string& error) {
  devices_ = std::make_unique<Devices>(*this);
  Devices& d = *devices_;
  {
    MemoryTransaction tx;
    system_.init_container("system", MemoryRegion::kWholeSpace);
    mrom_.init_rom("riscv_virt_board.mrom", virt::kMromSize);
    ram_.init_ram("riscv_virt_board.ram", config_.ram_size);
    system_.add_subregion(virt::kMromBase, &mrom_);
    system_.add_subregion(kVirtTestBase, &d.test.mmio());
    system_.add_subregion(kVirtRtcBase, &d.rtc.mmio());
    system_.add_subregion(kVirtClintBase, &d.clint.swi_mmio());
    system_.add_subregion(kVirtClintBase + Clint::kMtimerOffset, &d.clint.mtimer_mmio());
    system_.add_subregion(kVirtPlicBase, &d.plic.mmio());
    system_.add_subregion(kVirtUartBase, &d.uart.mmio());
    system_.add_subregion(virt::kDramBase, &ram_);
  }
  system_as_ = std::make_unique<AddressSpace>("memory", &system_);
  cpu_as_ = std::make_unique<AddressSpace>("cpu-memory-0", &system_);
  cpu_ = std::make_unique<Cpu>(*cpu_as_, 0);

  Cpu& cpu = *cpu_;
  d.clint.msip(0).connect([&cpu](bool level) { cpu.set_interrupt_pending(kIrqMSoft, level); });
  d.clint.mtip(0).connect([&cpu](bool level) { cpu.set_interrupt_pending(kIrqMTimer, level); });
  d.plic.context_output(0).connect(
      [&cpu](bool level) { cpu.set_interrupt_pending(kIrqMExt, level); });
  d.plic.context_output(1).connect(
      [&cpu](bool level) { cpu.set_interrupt_pending(kIrqSExt, level); });
  d.uart.irq().connect(d.plic.input(kVirtUartIrq));
  d.rtc.irq().connect(d.plic.input(kVirtRtcIrq));
  cpu.set_time_source([this] { return devices_->clint.mtime(); });
  clock_.set_step_source([this] { return steps_before_reset_ + cpu_->steps(); });
  // A device that moves a deadline while the hart runs ends the CPU slice at that instruction,
  // so that run() can size the next slice for the new deadline (see run()).
  clock_.set_deadline_listener([this] {
    if (!in_cpu_run_) return;
    reslice_ = true;
    cpu_->request_stop();
  });

  taken_ranges_ = {
      {virt::kMromBase, virt::kMromBase + virt::kMromSize - 1},
      {kVirtTestBase, kVirtTestBase + kVirtTestSize - 1},
      {kVirtRtcBase, kVirtRtcBase + kVirtRtcSize - 1},
      {kVirtClintBase, kVirtClintBase + kVirtClintSize - 1},
      {kVirtPlicBase, kVirtPlicBase + kVirtPlicSize - 1},
      {kVirtUartBase, kVirtUartBase + kVirtUartSize - 1},
      {virt::kDramBase, virt::kDramBase + config_.ram_size - 1},
  };
  taken_irqs_ = {kVirtUartIrq, kVirtRtcIrq};
  for (const DeviceSpec& spec : specs)
    if (!add_device(spec, error)) return false;

  VirtFdtConfig fdt_config;
  for (const auto& dev : extra_devices_) {
    for (DeviceFdtNode& node : dev->fdt_nodes()) fdt_config.device_nodes.push_back(node);
  }
  fdt_config.harts = 1;
  fdt_config.ram_base = virt::kDramBase;
  fdt_config.ram_size = config_.ram_size;
  fdt_config.isa = "rv64imac_zicsr_zifencei_zicntr";
  fdt_config.timebase_hz = virt::kTimebaseHz;
  fdt_config.mmu_type = "riscv,sv48";  // the hart has S-mode with Sv39 and Sv48
  fdt_config.bootargs = config_.append;
  fdt_ = build_virt_fdt(fdt_config);
  const std::optional<uint64_t> fdt_addr =
      place_fdt(virt::kDramBase, config_.ram_size, fdt_.size(), {});
  if (!fdt_addr) {
    error =
        "memory size is too small for the device tree (" + std::to_string(fdt_.size()) + " bytes)";
    return false;
  }
  fdt_addr_ = *fdt_addr;
  reset();
  return true;
}

namespace {

/// What a device model may use of the board while it is created.
class BoardContext final : public DeviceContext {
 public:
  BoardContext(VirtualClock& clock, Host& host, MemoryRegion& system, Plic& plic)
      : clock_(clock), host_(host), system_(system), plic_(plic) {}
  VirtualClock& clock() override { return clock_; }
  Host& host() override { return host_; }
  void map_mmio(uint64_t addr, MemoryRegion& region) override {
    MemoryTransaction tx;
    system_.add_subregion(addr, &region);
  }
  IrqLine::Sink plic_input(unsigned irq) override { return plic_.input(irq); }

 private:
  VirtualClock& clock_;
  Host& host_;
  MemoryRegion& system_;
  Plic& plic_;
};

}  // namespace

bool Machine::add_device(const DeviceSpec& spec, std::string& error) {
  const DeviceModel& model = *spec.model;
  std::optional<std::pair<uint64_t, uint64_t>> range;
  for (const DeviceOption& opt : model.options) {
    if (opt.name == "addr" && model.mmio_size > 0) {
      const uint64_t addr = spec.options.number("addr");
      if (addr > UINT64_MAX - (model.mmio_size - 1)) {
        error = "-device " + model.name + ": addr is out of range";
        return false;
      }
      range = std::pair{addr, addr + model.mmio_size - 1};
      for (const auto& [start, end] : taken_ranges_) {
        if (range->first <= end && start <= range->second) {
          char buf[128];
          snprintf(buf, sizeof buf, "addr 0x%llx overlaps another device or RAM at 0x%llx",
                   static_cast<unsigned long long>(addr), static_cast<unsigned long long>(start));
          error = "-device " + model.name + ": " + buf;
          return false;
        }
      }
    }
    if (opt.name == "irq") {
      const unsigned irq = static_cast<unsigned>(spec.options.number("irq"));
      if (taken_irqs_.count(irq)) {
        error =
            "-device " + model.name + ": irq " + std::to_string(irq) + " is used by another device";
        return false;
      }
      taken_irqs_.insert(irq);
    }
  }
  if (range) taken_ranges_.push_back(*range);
  BoardContext ctx(clock_, host_, system_, devices_->plic);
  std::unique_ptr<Device> dev = model.create(ctx, spec.options, error);
  if (!dev) {
    error = "-device " + error;
    return false;
  }
  extra_devices_.push_back(std::move(dev));
  return true;
}

void Machine::write_boot_rom() {
  // The reset vector, as QEMU virt's: a0 = hartid, a1 = device tree, then jump to the entry.
  static constexpr std::array<uint32_t, 5> kCode = {
      0x00000297,  // auipc t0, 0
      0xf1402573,  // csrr  a0, mhartid
      0x0202b583,  // ld    a1, 32(t0)
      0x0182b283,  // ld    t0, 24(t0)
      0x00028067,  // jr    t0
  };
  uint8_t* rom = mrom_.ram_ptr();
  std::memset(rom, 0, virt::kMromSize);
  for (size_t i = 0; i < kCode.size(); ++i) store_le<uint32_t>(rom + 4 * i, kCode[i]);
  store_le<uint64_t>(rom + kRomEntryOffset, entry_);
  store_le<uint64_t>(rom + kRomFdtOffset, fdt_addr_);
}

bool Machine::load_kernel(std::span<const uint8_t> elf, const std::string& name,
                          std::string& error) {
  ElfImage image;
  std::string why;
  if (!parse_elf(elf, image, why)) {
    error = name + ": " + why;
    return false;
  }
  const uint64_t ram_end = virt::kDramBase + config_.ram_size;
  for (const ElfSegment& seg : image.segments) {
    if (seg.paddr < virt::kDramBase || seg.paddr > ram_end || seg.memsz > ram_end - seg.paddr) {
      char where[64];
      snprintf(where, sizeof where, "0x%llx (%llu bytes)",
               static_cast<unsigned long long>(seg.paddr),
               static_cast<unsigned long long>(seg.memsz));
      error = name + ": segment at " + where + " does not fit in RAM (0x80000000, " +
              std::to_string(config_.ram_size >> 10) + " KiB)";
      return false;
    }
  }
  const std::optional<uint64_t> fdt_addr =
      place_fdt(virt::kDramBase, config_.ram_size, fdt_.size(), image.segments);
  if (!fdt_addr) {
    error = name + ": no room for the device tree (" + std::to_string(fdt_.size()) +
            " bytes) in RAM (" + std::to_string(config_.ram_size >> 10) +
            " KiB) beside the image; give the machine more memory (-m)";
    return false;
  }
  fdt_addr_ = *fdt_addr;
  for (const ElfSegment& seg : image.segments) {
    uint8_t* dst = ram_.ram_ptr() + (seg.paddr - virt::kDramBase);
    std::memset(dst, 0, seg.memsz);
    if (!seg.data.empty()) std::memcpy(dst, seg.data.data(), seg.data.size());
    ram_.notify_ram_write(seg.paddr - virt::kDramBase, seg.memsz);
  }
  Devices& d = *devices_;
  {
    MemoryTransaction tx;
    if (d.htif_mapped) {
      system_.del_subregion(&d.htif.tohost_region());
      system_.del_subregion(&d.htif.fromhost_region());
      d.htif_mapped = false;
    }
    if (image.tohost && image.fromhost) {
      system_.add_subregion(*image.tohost, &d.htif.tohost_region(), 1);
      system_.add_subregion(*image.fromhost, &d.htif.fromhost_region(), 1);
      d.htif_mapped = true;
    }
  }
  entry_ = image.entry;
  reset();
  return true;
}

void Machine::reset() {
  Devices& d = *devices_;
  d.clint.reset();
  d.plic.reset();
  d.uart.reset();
  d.rtc.reset();
  for (const auto& dev : extra_devices_) dev->reset();
  // The device tree goes to RAM on every reset, after any image that may have overwritten it.
  const uint64_t fdt_offset = fdt_addr_ - virt::kDramBase;
  std::memcpy(ram_.ram_ptr() + fdt_offset, fdt_.data(), fdt_.size());
  ram_.notify_ram_write(fdt_offset, fdt_.size());
  write_boot_rom();
  // Guest time goes on across the reset: the clock's step source adds the steps taken so far.
  instret_before_reset_ += cpu_->retired_instructions();
  steps_before_reset_ += cpu_->steps();
  cpu_->reset(virt::kMromBase);
  reset_requested_ = false;
}

uint64_t Machine::total_instructions() const {
  return instret_before_reset_ + cpu_->retired_instructions();
}

uint64_t Machine::total_steps() const {
  return steps_before_reset_ + cpu_->steps();
}

uint64_t Machine::guest_ns() const {
  return clock_.now_ns();
}

void Machine::request_exit(int code) {
  if (exited_) return;
  exited_ = true;
  exit_code_ = code;
  cpu_->request_stop();
}

void Machine::deliver_console_input() {
  Uart16550& uart = devices_->uart;
  uint8_t buf[64];
  size_t room = 0;
  // Only take from the host what the UART can hold, so no typed byte is ever dropped.
  while (uart.can_receive() && room < sizeof buf) {
    const size_t n = host_.console_read({buf, 1});
    if (n == 0) break;
    uart.receive(buf[0]);
    ++room;
  }
}

std::string Machine::info_mtree(bool flatview) const {
  return format_mtree({cpu_as_.get(), system_as_.get()}, flatview);
}

MachineState Machine::run(uint64_t max_steps) {
  last_idle_skip_ns_ = 0;
  if (exited_) return MachineState::Exited;
  deliver_console_input();
  uint64_t left = max_steps;
  bool first = true;
  while (left > 0 && !exited_) {
    if (!breakpoints_.empty() && !first && !cpu_->waiting_for_interrupt() &&
        breakpoints_.count(cpu_->pc()))
      return MachineState::Breakpoint;
    first = false;
    // Run the hart exactly up to the next deadline (single-step under breakpoints), so that
    // alarms fire at the same step however the caller slices the run.
    clock_.fire_due();
    const uint64_t deadline = clock_.next_deadline_ns();
    const uint64_t now = clock_.now_ns();
    uint64_t slice = std::min(left, deadline > now ? deadline - now : 1);
    if (!breakpoints_.empty()) slice = 1;
    const uint64_t before = cpu_->steps();
    reslice_ = false;
    in_cpu_run_ = true;
    const RunExit why = cpu_->run(slice);
    in_cpu_run_ = false;
    left -= std::min(left, cpu_->steps() - before);
    clock_.fire_due();
    if (reset_requested_) {
      reset();
      return MachineState::Reset;
    }
    if (exited_) break;
    if (why == RunExit::Stopped) {
      if (reslice_) continue;  // a deadline moved: size the next slice for it
      break;
    }
    if (why == RunExit::Wfi && cpu_->waiting_for_interrupt()) {
      const uint64_t wake = clock_.next_deadline_ns();
      if (wake == VirtualClock::kNever) return MachineState::Idle;
      // Nothing to do until the next deadline: skip guest time ahead to it.
      const uint64_t at = clock_.now_ns();
      const uint64_t skip = wake > at ? wake - at : 0;
      clock_.advance(skip);
      last_idle_skip_ns_ += skip;
      clock_.fire_due();
      if (last_idle_skip_ns_ >= 10'000'000) break;  // let the embedder pace against real time
    }
  }
  return exited_ ? MachineState::Exited : MachineState::Running;
}

}  // namespace glassvm
