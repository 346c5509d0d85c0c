#include "engine/board/machine.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <cstring>

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
constexpr uint64_t kPageSize = 4096;
// The boot ROM's data words (entry point, device tree address) follow its code.
constexpr uint64_t kRomEntryOffset = 24;
constexpr uint64_t kRomFdtOffset = 32;

void put_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

/// Everything the board owns besides RAM, ROM and the CPU.
struct Machine::Devices {
  Devices(Machine& m)
      : clint(1, [&m] { return m.guest_ns() / virt::kNsPerTick; }),
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
        rtc([&m] { return m.guest_ns(); }),
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
  std::unique_ptr<Machine> m(new Machine(config, host));
  m->build();
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

void Machine::build() {
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

  VirtFdtConfig fdt_config;
  fdt_config.harts = 1;
  fdt_config.ram_base = virt::kDramBase;
  fdt_config.ram_size = config_.ram_size;
  fdt_config.isa = "rv64imac_zicsr_zifencei_zicntr";
  fdt_config.timebase_hz = virt::kTimebaseHz;
  fdt_config.mmu_type = "";  // no paging yet: S-mode and Sv39 come with the Linux guest
  fdt_config.bootargs = config_.append;
  fdt_ = build_virt_fdt(fdt_config);
  // As QEMU does: the blob sits at the end of RAM (below 3 GiB), aligned down to 2 MiB.
  const uint64_t top = std::min<uint64_t>(virt::kDramBase + config_.ram_size, 0xc0000000ull);
  fdt_addr_ = (top - fdt_.size()) & ~((2ull << 20) - 1);
  if (fdt_addr_ < virt::kDramBase) fdt_addr_ = virt::kDramBase;
  reset();
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
  for (size_t i = 0; i < kCode.size(); ++i) put_le32(rom + 4 * i, kCode[i]);
  put_le64(rom + kRomEntryOffset, entry_);
  put_le64(rom + kRomFdtOffset, fdt_addr_);
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
  if (cpu_) instret_before_reset_ += cpu_->retired_instructions();
  Devices& d = *devices_;
  d.clint.reset();
  d.plic.reset();
  d.uart.reset();
  d.rtc.reset();
  // The device tree goes to RAM on every reset, after any image that may have overwritten it.
  const uint64_t fdt_offset = fdt_addr_ - virt::kDramBase;
  const uint64_t fdt_len = std::min<uint64_t>(fdt_.size(), config_.ram_size - fdt_offset);
  std::memcpy(ram_.ram_ptr() + fdt_offset, fdt_.data(), fdt_len);
  ram_.notify_ram_write(fdt_offset, fdt_len);
  write_boot_rom();
  cpu_->reset(virt::kMromBase);
  reset_requested_ = false;
}

uint64_t Machine::total_instructions() const {
  return instret_before_reset_ + cpu_->retired_instructions();
}

uint64_t Machine::guest_ns() const {
  return total_instructions() + idle_ns_;
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

uint64_t Machine::next_deadline_ns() const {
  const Devices& d = *devices_;
  const uint64_t clint = d.clint.next_deadline();
  const uint64_t clint_ns =
      clint > UINT64_MAX / virt::kNsPerTick ? UINT64_MAX : clint * virt::kNsPerTick;
  return std::min(clint_ns, d.rtc.next_deadline_ns());
}

MachineState Machine::run(uint64_t max_insns) {
  last_idle_skip_ns_ = 0;
  if (exited_) return MachineState::Exited;
  Devices& d = *devices_;
  deliver_console_input();
  uint64_t left = max_insns;
  bool first = true;
  while (left > 0 && !exited_) {
    if (!breakpoints_.empty() && !first && !cpu_->waiting_for_interrupt() &&
        breakpoints_.count(cpu_->pc()))
      return MachineState::Breakpoint;
    first = false;
    // End each CPU slice exactly when the next timer fires; single-step under breakpoints.
    const uint64_t now = guest_ns();
    const uint64_t deadline = next_deadline_ns();
    uint64_t slice = std::min(left, deadline > now ? deadline - now : 1);
    if (!breakpoints_.empty()) slice = 1;
    const uint64_t before = cpu_->retired_instructions();
    const RunExit why = cpu_->run(slice);
    // The budget counts steps: traps use it up without retiring an instruction.
    const uint64_t ran = cpu_->retired_instructions() - before;
    left -= std::min(left, why == RunExit::Budget ? slice : std::max<uint64_t>(ran, 1));
    d.clint.update();
    d.rtc.update();
    if (reset_requested_) {
      reset();
      return MachineState::Reset;
    }
    if (exited_) break;
    if (why == RunExit::Stopped) break;
    if (why == RunExit::Wfi && cpu_->waiting_for_interrupt()) {
      // The guest may have armed a timer during the slice: look again.
      const uint64_t wake = next_deadline_ns();
      if (wake == UINT64_MAX) return MachineState::Idle;
      // Nothing to do until the timer: skip guest time ahead to it.
      const uint64_t skip = wake > guest_ns() ? wake - guest_ns() : 0;
      idle_ns_ += skip;
      last_idle_skip_ns_ += skip;
      d.clint.update();
      d.rtc.update();
      if (last_idle_skip_ns_ >= 10'000'000) break;  // let the embedder pace against real time
    }
  }
  return exited_ ? MachineState::Exited : MachineState::Running;
}

}  // namespace glassvm
