#include "engine/board/machine.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "engine/base/bytes.h"
#include "engine/base/page.h"
#include "engine/board/boot.h"
#include "engine/board/elf_loader.h"
#include "engine/board/virt_fdt.h"
#include "engine/cpu/csr.h"
#include "engine/devices/htif.h"
#include "engine/devices/virtio/mmio.h"

namespace glassvm {

namespace {

constexpr uint64_t kMaxRam = 64ull << 30;
// QEMU puts the kernel at the first 2 MiB boundary after the firmware; with the built-in SBI
// the kernel goes to the same place as after OpenSBI, 0x80200000.
constexpr uint64_t kKernelAlign = 2ull << 20;
constexpr uint64_t kBuiltinKernelBase = 0x80200000;
// QEMU 7.2 riscv_load_initrd: the initrd goes min(RAM/2, 128 MiB) after the kernel's entry.
constexpr uint64_t kInitrdMaxOffset = 128ull << 20;

constexpr uint64_t kFdtAlign = 8;  // the DT spec's alignment for the blob
constexpr uint64_t kQemuFdtAlign = 2ull << 20;
constexpr uint64_t kFdtLimit = 0xc0000000;  // QEMU keeps the blob below 3 GiB

bool overlaps(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size) {
  return a < b + b_size && b < a + a_size;
}

/// Where the device tree blob of `size` bytes goes in RAM [base, base + ram_size): QEMU's place
/// (the end of RAM below 3 GiB, aligned down to 2 MiB) when it is free, else the highest
/// 8-byte aligned place that overlaps no loaded image. nullopt when none fits.
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

/// The board as one device sees it. Owns the device's MMIO re-entrancy guard, shared by every
/// region the device maps.
class MachineBoardContext final : public BoardContext {
 public:
  explicit MachineBoardContext(Machine& m) : m_(m) { guard_.log = &m.host_.embedder(); }
  ~MachineBoardContext() override = default;

  unsigned num_harts() const override { return 1; }
  VirtualClock& clock() override { return m_.clock_; }
  Host& host() override { return m_.host_; }
  AddressSpace& dma_address_space() override { return *m_.system_as_; }
  void map_mmio(uint64_t addr, MemoryRegion& region, int priority) override {
    region.set_reentrancy_guard(&guard_);
    MemoryTransaction tx;
    m_.system_.add_subregion(addr, &region, priority);
  }
  void set_interrupt_controller(std::function<IrqLine::Sink(unsigned)> inputs) override {
    assert(!m_.irq_controller_ && "BoardContext: the board has an interrupt controller already");
    m_.irq_controller_ = std::move(inputs);
  }
  IrqLine::Sink irq_input(unsigned source) override {
    return m_.irq_controller_ ? m_.irq_controller_(source) : IrqLine::Sink{};
  }
  IrqLine::Sink hart_irq(unsigned hart, unsigned cause) override {
    assert(hart < num_harts() && "BoardContext::hart_irq: no such hart");
    (void)hart;
    Cpu& cpu = *m_.cpu_;
    return [&cpu, cause](bool level) { cpu.set_interrupt_pending(cause, level); };
  }
  void set_time_source(std::function<uint64_t()> mtime) override {
    m_.cpu_->set_time_source(std::move(mtime));
  }
  bool attach_console_input(ConsoleInput input) override {
    if (m_.console_.receive) return false;
    m_.console_ = std::move(input);
    return true;
  }
  void request_exit(int code) override { m_.request_exit(code); }
  void add_virtio_transport(VirtioMmio& transport) override {
    m_.virtio_transports_.push_back(&transport);
  }
  VirtioMmio* free_virtio_transport() override {
    for (auto it = m_.virtio_transports_.rbegin(); it != m_.virtio_transports_.rend(); ++it)
      if ((*it)->device() == nullptr) return *it;
    return nullptr;
  }
  BlockStorage* take_drive(const std::string& id, std::string& error) override {
    const auto it = m_.config_.drives.find(id);
    if (it == m_.config_.drives.end() || it->second == nullptr) {
      error = "drive '" + id + "' not found (give it with -drive id=" + id + ",...)";
      return nullptr;
    }
    if (!m_.taken_drives_.insert(id).second) {
      error = "drive '" + id + "' is already in use by another device";
      return nullptr;
    }
    return it->second;
  }
  void request_reset() override {
    m_.reset_requested_ = true;
    m_.cpu_->request_stop();
  }

 private:
  Machine& m_;
  MemReentrancyGuard guard_;
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
  if (config.registry != nullptr) {
    if (!m->build(*config.registry, error)) return nullptr;
  } else {
    DeviceRegistry registry;
    register_builtin_devices(registry);
    if (!m->build(registry, error)) return nullptr;
  }
  return m;
}

Machine::Machine(const MachineConfig& config, Host& host) : config_(config), host_(host) {}

void Machine::ConsoleTap::console_write(std::span<const uint8_t> bytes) {
  tail.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  // Trimmed in steps, so that a byte-at-a-time console does not move the string every time.
  if (tail.size() > 2 * kConsoleTailBytes) tail.erase(0, tail.size() - kConsoleTailBytes);
  host_.console_write(bytes);
}

Machine::~Machine() {
  // Address spaces go first, then the devices unmap their regions from the system container.
  cpu_.reset();
  cpu_as_.reset();
  system_as_.reset();
  {
    MemoryTransaction tx;
    for (MemoryRegion* sub : std::vector<MemoryRegion*>(system_.subregions()))
      system_.del_subregion(sub);
  }
  devices_.clear();
}

bool Machine::build(const DeviceRegistry& registry, std::string& error) {
  {
    MemoryTransaction tx;
    system_.init_container("system", MemoryRegion::kWholeSpace);
    mrom_.init_rom("riscv_virt_board.mrom", virt::kMromSize);
    ram_.init_ram("riscv_virt_board.ram", config_.ram_size);
    system_.add_subregion(virt::kMromBase, &mrom_);
    system_.add_subregion(virt::kDramBase, &ram_);
  }
  system_as_ = std::make_unique<AddressSpace>("memory", &system_);
  cpu_as_ = std::make_unique<AddressSpace>("cpu-memory-0", &system_);
  cpu_ = std::make_unique<Cpu>(*cpu_as_, 0);
  htif_ = std::make_unique<Htif>([this](int code) { request_exit(code); },
                                 [this](uint8_t byte) {
                                   host_.console_write({&byte, 1});
                                 });
  clock_.set_step_source([this] { return steps_before_reset_ + cpu_->steps(); });
  // A device that moves a deadline while the hart runs ends the CPU slice at that instruction,
  // so that run() can size the next slice for the new deadline (see run()).
  clock_.set_deadline_listener([this] {
    if (!in_cpu_run_) return;
    reslice_ = true;
    cpu_->request_stop();
  });
  {
    // The hart's supervisor timer comparator (Sstc, or the SBI's set_timer): an alarm at the
    // guest time `time` reaches stimecmp re-evaluates STIP, as the CLINT's does for MTIP, so
    // that it rises on time also while the hart waits in WFI.
    auto stimecmp = std::make_shared<uint64_t>(UINT64_MAX);
    auto arm = std::make_shared<VirtualClock::AlarmId>();
    auto rearm = [this, stimecmp, arm] {
      uint64_t time = 0;
      cpu_->peek_csr(kCsrTime, time);
      const uint64_t delta = *stimecmp > time ? *stimecmp - time : 0;
      const uint64_t now = clock_.now_ns();
      const bool never = *stimecmp == UINT64_MAX || delta == 0 ||
                         delta > (VirtualClock::kNever - now) / virt::kNsPerTick;
      clock_.set_alarm(*arm, never ? VirtualClock::kNever : now + delta * virt::kNsPerTick);
    };
    *arm = clock_.add_alarm([this, rearm] {
      cpu_->update_timer_interrupt();
      rearm();  // early when mtime was written meanwhile: wait for the rest
    });
    cpu_->set_timer_compare_listener([stimecmp, rearm](uint64_t value) {
      *stimecmp = value;
      rearm();
    });
  }

  taken_ranges_ = {
      {virt::kMromBase, virt::kMromBase + virt::kMromSize - 1},
      {virt::kDramBase, virt::kDramBase + config_.ram_size - 1},
  };
  // The board's own devices by name, then the user's; the user may not add the board's own.
  for (const std::string& text : virt_board_devices()) {
    DeviceSpec spec;
    const bool ok = registry.parse(text, spec, error);
    assert(ok && "Machine: the registry lacks the board's devices (register_builtin_devices)");
    (void)ok;
    if (!add_device(text, spec, error)) return false;
  }
  for (const std::string& text : config_.devices) {
    DeviceSpec spec;
    if (!registry.parse(text, spec, error)) {
      error = "-device " + text + ": " + error;
      return false;
    }
    if (!spec.model->user_creatable) {
      error = "-device " + text + ": '" + spec.model->name +
              "' is one of the virt board's own devices; the board creates it, and it cannot "
              "be added again";
      return false;
    }
    if (!add_device(text, spec, error)) {
      error = "-device " + error;
      return false;
    }
  }

  attach_dma_masters_to_iommu();

  fdt_config_ = VirtFdtConfig{};
  for (const DeviceEntry& entry : devices_) fdt_config_.devices.push_back(entry.device.get());
  fdt_config_.harts = 1;
  fdt_config_.ram_base = virt::kDramBase;
  fdt_config_.ram_size = config_.ram_size;
  fdt_config_.isa = "rv64imafdc_zicsr_zifencei_zicntr_sstc";  // Sstc: HartConfig::sstc
  fdt_config_.timebase_hz = virt::kTimebaseHz;
  fdt_config_.mmu_type = "riscv,sv48";  // the hart has S-mode with Sv39 and Sv48
  fdt_config_.bootargs = config_.append;
  fdt_config_.rng_seed.assign(std::begin(virt::kRngSeed), std::end(virt::kRngSeed));

  SbiPlatform platform;
  platform.mtime = [this] {
    uint64_t t = 0;
    cpu_->peek_csr(kCsrTime, t);  // the CLINT's mtime, through the hart's time source
    return t;
  };
  platform.ns_per_tick = virt::kNsPerTick;
  platform.shutdown = [this](int status) { request_exit(status); };
  platform.reboot = [this] {
    reset_requested_ = true;
    cpu_->request_stop();
  };
  platform.console_write = [this](std::span<const uint8_t> bytes) { host_.console_write(bytes); };
  platform.console_read = [this](std::span<uint8_t> out) { return read_uart_input(out); };
  sbi_ = std::make_unique<Sbi>(*cpu_, *system_as_, std::move(platform));

  assert(config_.firmware != Firmware::File &&
         "MachineConfig::firmware: give a firmware file with Machine::load_firmware");
  BootPlan plan;
  plan.firmware = config_.firmware;
  if (!commit(std::move(plan), "", error)) {
    error = "memory size is too small for the device tree (" +
            std::to_string(build_virt_fdt(fdt_config_).size()) + " bytes)";
    return false;
  }
  return true;
}

bool Machine::add_device(const std::string& text, const DeviceSpec& spec, std::string& error) {
  const DeviceModel& model = *spec.model;
  std::optional<std::pair<uint64_t, uint64_t>> range;
  std::optional<unsigned> irq;
  for (const DeviceOption& opt : model.options) {
    if (opt.name == "addr" && model.mmio_size > 0) {
      const uint64_t addr = spec.options.number("addr");
      if (addr > UINT64_MAX - (model.mmio_size - 1)) {
        error = model.name + ": addr is out of range";
        return false;
      }
      range = std::pair{addr, addr + model.mmio_size - 1};
      for (const auto& [start, end] : taken_ranges_) {
        if (range->first <= end && start <= range->second) {
          char buf[128];
          snprintf(buf, sizeof buf, "addr 0x%llx overlaps another device or RAM at 0x%llx",
                   static_cast<unsigned long long>(addr), static_cast<unsigned long long>(start));
          error = model.name + ": " + buf;
          return false;
        }
      }
    }
    if (opt.name == "irq") {
      irq = static_cast<unsigned>(spec.options.number("irq"));
      if (taken_irqs_.count(*irq)) {
        error = model.name + ": irq " + std::to_string(*irq) + " is used by another device";
        return false;
      }
    }
  }
  DeviceEntry entry;
  entry.spec = text;
  entry.context = std::make_unique<MachineBoardContext>(*this);
  entry.device = model.create(*entry.context, spec.options, error);
  if (!entry.device) return false;
  if (IommuProvider* iommu = entry.device->as_iommu()) {
    if (iommu_ != nullptr) {
      // Every DMA master sits behind the one IOMMU; a second would have no device to serve.
      error =
          model.name + ": the board has an IOMMU already (" + iommu_->name() + "); it takes one";
      // The device has mapped its registers: keep it until the failed machine goes.
      devices_.push_back(std::move(entry));
      return false;
    }
    iommu_ = iommu;
  }
  if (range) taken_ranges_.push_back(*range);
  if (irq) taken_irqs_.insert(*irq);
  devices_.push_back(std::move(entry));
  return true;
}

void Machine::attach_dma_masters_to_iommu() {
  if (iommu_ == nullptr) return;
  // Device ids: the DMA masters in creation order from kFirstDmaDeviceId, so the virtio-mmio
  // slot n (at 0x10001000 + n * 0x1000, PLIC source 1 + n) is device 1 + n whatever is
  // plugged in where (the slot of a virtio-iommu too, which then leaves its id unused).
  uint32_t next_id = kFirstDmaDeviceId;
  for (const DeviceEntry& entry : devices_)
    if (entry.device->is_dma_master()) entry.device->attach_iommu(*iommu_, next_id++);
}

void Machine::write_boot_rom() {
  BootRomConfig rom;
  rom.fdt_addr = fdt_addr_;
  rom.kernel_entry = plan_.has_kernel ? plan_.entry : 0;
  switch (plan_.firmware) {
    case Firmware::File: rom.start_addr = virt::kDramBase; break;
    case Firmware::BuiltinSbi:
      rom.start_addr = virt::kMromBase + kRomSbiEnterOffset;
      rom.builtin_sbi = true;
      break;
    case Firmware::Auto:
    case Firmware::None:
      // QEMU jumps to 0x80000000; GlassVM has always honoured a bare-metal ELF's entry.
      rom.start_addr = plan_.entry;
      break;
  }
  mrom_.note_ram_touched(0, virt::kMromSize);
  build_boot_rom({mrom_.ram_ptr(), virt::kMromSize}, rom);
}

bool Machine::in_ram(uint64_t addr, uint64_t size) const {
  const uint64_t end = virt::kDramBase + config_.ram_size;
  return addr >= virt::kDramBase && addr <= end && size <= end - addr;
}

namespace {

std::string hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

bool Machine::load_firmware(std::span<const uint8_t> bytes, const std::string& name,
                            std::string& error) {
  BootPlan plan = plan_;
  plan.firmware = Firmware::File;
  plan.firmware_blobs.clear();
  plan.firmware_end = 0;
  if (bytes.empty()) {
    error = name + ": empty file";
    return false;
  }
  if (detect_kernel_kind(bytes) == KernelKind::Elf) {
    ElfImage image;
    std::string why;
    if (!parse_elf(bytes, image, why)) {
      error = name + ": " + why +
              " (OpenSBI's .elf files are position-independent, linked at 0: use its .bin "
              "files)";
      return false;
    }
    for (const ElfSegment& seg : image.segments) {
      if (!in_ram(seg.paddr, seg.memsz)) {
        error = name + ": firmware segment at " + hex(seg.paddr) + " is outside RAM (0x80000000, " +
                std::to_string(config_.ram_size >> 10) +
                " KiB); an ELF firmware must be linked for RAM (OpenSBI's .elf files are "
                "linked at 0: use its .bin files)";
        return false;
      }
      plan.firmware_blobs.push_back({seg.paddr, {seg.data.begin(), seg.data.end()}, seg.memsz});
      plan.firmware_end = std::max(plan.firmware_end, seg.paddr + seg.memsz);
    }
  } else {
    if (!in_ram(virt::kDramBase, bytes.size())) {
      error = name + ": firmware (" + std::to_string(bytes.size()) + " bytes) does not fit in RAM";
      return false;
    }
    plan.firmware_blobs.push_back(
        {virt::kDramBase, std::vector<uint8_t>(bytes.begin(), bytes.end()), bytes.size()});
    plan.firmware_end = virt::kDramBase + bytes.size();
  }
  return commit(std::move(plan), name, error);
}

bool Machine::load_kernel(std::span<const uint8_t> bytes, const std::string& name,
                          std::string& error) {
  const KernelKind kind = detect_kernel_kind(bytes);
  BootPlan plan = plan_;
  if (plan.firmware == Firmware::Auto) {
    if (kind == KernelKind::Raw) {
      error = name +
              (bytes.empty() ? ": the file is empty"
                             : ": neither an ELF file nor a RISC-V Linux Image") +
              "; a raw binary needs a firmware (-bios default for the built-in SBI, or -bios "
              "FILE)";
      return false;
    }
    plan.firmware = kind == KernelKind::Elf ? Firmware::None : Firmware::BuiltinSbi;
  }
  plan.kernel_blobs.clear();
  plan.tohost.reset();
  plan.fromhost.reset();
  const uint64_t ram_end = virt::kDramBase + config_.ram_size;
  uint64_t start = virt::kDramBase;
  if (plan.firmware == Firmware::BuiltinSbi) start = kBuiltinKernelBase;
  if (plan.firmware == Firmware::File)
    start = (plan.firmware_end + kKernelAlign - 1) & ~(kKernelAlign - 1);

  if (kind == KernelKind::Elf) {
    ElfImage image;
    std::string why;
    if (!parse_elf(bytes, image, why)) {
      error = name + ": " + why;
      return false;
    }
    for (const ElfSegment& seg : image.segments) {
      if (!in_ram(seg.paddr, seg.memsz)) {
        error = name + ": segment at " + hex(seg.paddr) + " (" + std::to_string(seg.memsz) +
                " bytes) does not fit in RAM (0x80000000, " +
                std::to_string(config_.ram_size >> 10) + " KiB)";
        return false;
      }
      plan.kernel_blobs.push_back({seg.paddr, {seg.data.begin(), seg.data.end()}, seg.memsz});
    }
    plan.entry = image.entry;
    plan.tohost = image.tohost;
    plan.fromhost = image.fromhost;
  } else if (plan.firmware == Firmware::None) {
    error = name + (kind == KernelKind::LinuxImage
                        ? ": a Linux Image needs SBI firmware; leave out '-bios none' (the "
                          "built-in SBI) or give -bios FILE"
                        : ": not an ELF file (bad magic number); with '-bios none' the kernel "
                          "must be a RISC-V ELF executable");
    return false;
  } else {
    uint64_t size = bytes.size();
    if (kind == KernelKind::LinuxImage) {
      LinuxImageHeader header;
      std::string why;
      if (!parse_linux_image(bytes, header, why)) {
        error = name + ": " + why;
        return false;
      }
      size = std::max<uint64_t>(size, header.image_size);
    } else if (bytes.empty()) {
      error = name + ": empty file (neither an ELF, a Linux Image nor a raw binary)";
      return false;
    }
    if (start >= ram_end || size > ram_end - start) {
      error = name + ": kernel of " + std::to_string(size) + " bytes at " + hex(start) +
              " does not fit in RAM (0x80000000, " + std::to_string(config_.ram_size >> 10) +
              " KiB)";
      return false;
    }
    plan.kernel_blobs.push_back({start, std::vector<uint8_t>(bytes.begin(), bytes.end()), size});
    plan.entry = start;
  }
  plan.has_kernel = true;
  if (!plan.initrd.empty()) {
    // The initrd follows the kernel (QEMU computes its place from the kernel's entry).
    const uint64_t at = plan.entry + std::min(config_.ram_size / 2, kInitrdMaxOffset);
    if (!in_ram(at, plan.initrd.size())) {
      error = name + ": no room for the initrd after this kernel";
      return false;
    }
    plan.initrd_addr = at;
  }
  return commit(std::move(plan), name, error);
}

bool Machine::load_initrd(std::span<const uint8_t> bytes, const std::string& name,
                          std::string& error) {
  if (!plan_.has_kernel) {
    error = name + ": an initrd needs a kernel (-kernel)";
    return false;
  }
  const uint64_t at = plan_.entry + std::min(config_.ram_size / 2, kInitrdMaxOffset);
  if (!in_ram(at, bytes.size())) {
    error = name + ": initrd of " + std::to_string(bytes.size()) + " bytes at " + hex(at) +
            " does not fit in RAM (0x80000000, " + std::to_string(config_.ram_size >> 10) +
            " KiB); give the machine more memory (-m)";
    return false;
  }
  // The plan is taken rather than copied (its kernel is megabytes), and given back as it was
  // when the device tree finds no room.
  BootPlan plan = std::move(plan_);
  std::vector<uint8_t> previous = std::exchange(plan.initrd, {bytes.begin(), bytes.end()});
  const uint64_t previous_addr = std::exchange(plan.initrd_addr, at);
  if (commit(std::move(plan), name, error)) return true;
  plan.initrd = std::move(previous);
  plan.initrd_addr = previous_addr;
  plan_ = std::move(plan);
  return false;
}

bool Machine::commit(BootPlan&& plan, const std::string& name, std::string& error) {
  VirtFdtConfig fdt_config = fdt_config_;
  fdt_config.initrd.reset();
  if (!plan.initrd.empty())
    fdt_config.initrd = std::pair{plan.initrd_addr, plan.initrd_addr + plan.initrd.size()};
  std::vector<uint8_t> fdt = build_virt_fdt(fdt_config);
  std::vector<ElfSegment> taken;
  auto take = [&taken](uint64_t addr, uint64_t size) {
    ElfSegment seg;
    seg.paddr = addr;
    seg.memsz = size;
    taken.push_back(std::move(seg));
  };
  for (const Blob& b : plan.firmware_blobs) take(b.addr, b.memsz);
  for (const Blob& b : plan.kernel_blobs) take(b.addr, b.memsz);
  if (!plan.initrd.empty()) take(plan.initrd_addr, plan.initrd.size());
  const std::optional<uint64_t> fdt_addr =
      place_fdt(virt::kDramBase, config_.ram_size, fdt.size(), taken);
  if (!fdt_addr) {
    error = name + ": no room for the device tree (" + std::to_string(fdt.size()) +
            " bytes) in RAM (" + std::to_string(config_.ram_size >> 10) +
            " KiB) beside the images; give the machine more memory (-m)";
    return false;
  }
  plan_ = std::move(plan);
  fdt_ = std::move(fdt);
  fdt_addr_ = *fdt_addr;
  {
    MemoryTransaction tx;
    if (htif_mapped_) {
      system_.del_subregion(&htif_->tohost_region());
      system_.del_subregion(&htif_->fromhost_region());
      htif_mapped_ = false;
    }
    if (plan_.tohost && plan_.fromhost) {
      system_.add_subregion(*plan_.tohost, &htif_->tohost_region(), 1);
      system_.add_subregion(*plan_.fromhost, &htif_->fromhost_region(), 1);
      htif_mapped_ = true;
    }
  }
  reset();
  return true;
}

void Machine::enter_kernel_like_opensbi() {
  // OpenSBI delegates misaligned fetch, breakpoint, U-mode ecall and the page faults, and
  // hands every other exception from S or U-mode back to S-mode after trying to emulate it
  // (illegal instructions, access faults, misaligned accesses, which this hart does itself
  // except for atomics). With no M-mode code here, delegating those too gives the kernel
  // the same traps. S-mode ecalls stay with M: the built-in SBI answers them.
  uint64_t medeleg = 0;
  for (uint64_t cause :
       {kExcInsnMisaligned, kExcInsnAccessFault, kExcIllegalInsn, kExcBreakpoint,
        kExcLoadMisaligned, kExcLoadAccessFault, kExcStoreMisaligned, kExcStoreAccessFault,
        kExcEcallU, kExcInsnPageFault, kExcLoadPageFault, kExcStorePageFault})
    medeleg |= uint64_t{1} << cause;
  cpu_->poke_csr(kCsrMedeleg, medeleg);
  cpu_->poke_csr(kCsrMideleg, (1u << kIrqSSoft) | (1u << kIrqSTimer) | (1u << kIrqSExt));
  cpu_->poke_csr(kCsrMcounteren, 0xffffffff);  // cycle, time, instret readable in S and U
  // Sstc: OpenSBI lets S-mode program stimecmp itself when the hart has it (menvcfg.STCE);
  // Linux does so when the device tree lists sstc. Without Sstc the write is ignored.
  cpu_->poke_csr(kCsrMenvcfg, uint64_t{1} << 63);
  // One PMP entry, NAPOT over the whole address space, RWX: S and U may access everything.
  cpu_->poke_csr(kCsrPmpaddr0, ~uint64_t{0});
  cpu_->poke_csr(kCsrPmpcfg0, 0x1f);  // A=NAPOT, X, W, R
  // A trap that reaches M-mode parks the hart in the ROM, where run() reports it.
  cpu_->poke_csr(kCsrMtvec, virt::kMromBase + kRomSbiTrapOffset);
  // The ROM's reset vector jumps to an mret, which enters the kernel in S-mode.
  uint64_t mstatus = 0;
  cpu_->peek_csr(kCsrMstatus, mstatus);
  mstatus = (mstatus & ~(uint64_t{3} << 11)) | (uint64_t{1} << 11);  // MPP = S
  cpu_->poke_csr(kCsrMstatus, mstatus);
  cpu_->poke_csr(kCsrMepc, plan_.entry);
}

bool Machine::check_stray_m_trap() {
  if (plan_.firmware != Firmware::BuiltinSbi || cpu_->priv() != PrivLevel::Machine) return false;
  const uint64_t trap = virt::kMromBase + kRomSbiTrapOffset;
  if (cpu_->pc() < trap || cpu_->pc() >= trap + 8) return false;
  uint64_t cause = 0, epc = 0, tval = 0;
  cpu_->peek_csr(kCsrMcause, cause);
  cpu_->peek_csr(kCsrMepc, epc);
  cpu_->peek_csr(kCsrMtval, tval);
  host_.log(LogLevel::Error,
            "built-in SBI: a trap reached M-mode, where no firmware runs "
            "(mcause " +
                hex(cause) + ", mepc " + hex(epc) + ", mtval " + hex(tval) +
                "); stopping the machine");
  request_exit(1);
  return true;
}

void Machine::for_each_reset_piece(const ResetPiece& piece) const {
  for (const Blob& b : plan_.firmware_blobs) piece(b.addr, b.data, b.memsz);
  for (const Blob& b : plan_.kernel_blobs) piece(b.addr, b.data, b.memsz);
  if (!plan_.initrd.empty()) piece(plan_.initrd_addr, plan_.initrd, plan_.initrd.size());
  piece(fdt_addr_, fdt_, fdt_.size());
}

void Machine::reset() {
  for (const DeviceEntry& entry : devices_) entry.device->reset();
  sbi_->reset();
  // The images go back to RAM on every reset, the device tree last (QEMU's ROM reset).
  auto put = [this](uint64_t addr, std::span<const uint8_t> data, uint64_t memsz) {
    const uint64_t offset = addr - virt::kDramBase;
    // Bytes past the data (an ELF segment's or an Image's bss) are zeroed; each byte is
    // written once.
    ram_.note_ram_touched(offset, memsz);
    if (!data.empty()) std::memcpy(ram_.ram_ptr() + offset, data.data(), data.size());
    if (memsz > data.size())
      std::memset(ram_.ram_ptr() + offset + data.size(), 0, memsz - data.size());
    ram_.notify_ram_write(offset, memsz);
  };
  for_each_reset_piece(put);
  write_boot_rom();
  // Guest time goes on across the reset: the clock's step source adds the steps taken so far.
  instret_before_reset_ += cpu_->retired_instructions();
  steps_before_reset_ += cpu_->steps();
  cpu_->reset(virt::kMromBase);
  if (plan_.firmware == Firmware::BuiltinSbi) {
    enter_kernel_like_opensbi();
    sbi_->attach();
  } else {
    sbi_->detach();
  }
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

size_t Machine::read_uart_input(std::span<uint8_t> out) {
  // As OpenSBI's uart8250 getc does on QEMU: the byte comes out of the board UART's receive
  // buffer (LSR.DR, then RBR), so the SBI console and a UART driver share one input stream.
  // The UART's FIFO may be off (nobody set it up), holding one byte: refill it from the host
  // after each byte taken.
  constexpr uint64_t kRbr = kVirtUartBase, kLsr = kVirtUartBase + 5;
  size_t n = 0;
  while (n < out.size()) {
    deliver_console_input();
    uint8_t lsr = 0;
    if (system_as_->read(kLsr, &lsr, 1) != MemTxResult::Ok || !(lsr & 1)) break;
    if (system_as_->read(kRbr, &out[n], 1) != MemTxResult::Ok) break;
    ++n;
  }
  return n;
}

void Machine::deliver_console_input() {
  if (!console_.receive) return;
  if (playing_) {
    // The session's input only: what the user types meanwhile is dropped.
    deliver_played_input();
    uint8_t discard[64];
    while (host_.console_read(discard) == sizeof discard) {
    }
    return;
  }
  // Only take from the host what the console device can hold, so no typed byte is dropped.
  for (size_t taken = 0; taken < 64 && console_.can_receive(); ++taken) {
    uint8_t byte;
    if (host_.console_read({&byte, 1}) == 0) break;
    console_.receive(byte);
    if (recording_on_) recording_.add(clock_.now_ns(), byte);
  }
}

void Machine::set_recording(bool on) {
  recording_on_ = on;
  if (on) recording_ = {};
}

bool Machine::play(InputLog log, uint64_t end_ns, std::string& error) {
  const uint64_t now = clock_.now_ns();
  if (!log.well_formed()) {
    error = "the recorded input is malformed (an empty event, or times that go back)";
    return false;
  }
  if (end_ns < now || (!log.events.empty() && log.events.front().ns < now)) {
    error = "the recorded session starts at guest time " +
            std::to_string(log.events.empty() ? end_ns : log.events.front().ns) +
            " ns, before this machine's " + std::to_string(now) + " ns";
    return false;
  }
  if (!log.events.empty() && log.events.back().ns > end_ns) {
    error = "the recorded input goes on after the session's end";
    return false;
  }
  play_log_ = std::move(log);
  play_next_ = 0;
  play_end_ns_ = end_ns;
  playing_ = true;
  return true;
}

void Machine::stop_playing() {
  playing_ = false;
  play_log_ = {};
  play_next_ = 0;
}

void Machine::deliver_played_input() {
  const uint64_t now = clock_.now_ns();
  const std::vector<InputEvent>& events = play_log_.events;
  for (; play_next_ < events.size() && events[play_next_].ns <= now; ++play_next_) {
    for (uint8_t byte : events[play_next_].bytes) {
      // The recorded guest took these bytes at this very instruction; a console that cannot
      // take them now means this machine is not the recorded one.
      if (!console_.can_receive())
        host_.log(LogLevel::Warning,
                  "replay: the console refused recorded input (the "
                  "machine differs from the recorded one)");
      console_.receive(byte);
      if (recording_on_) recording_.add(now, byte);
    }
  }
}

uint64_t Machine::next_play_ns() const {
  if (!playing_) return VirtualClock::kNever;
  const std::vector<InputEvent>& events = play_log_.events;
  return play_next_ < events.size() ? std::min(events[play_next_].ns, play_end_ns_) : play_end_ns_;
}

std::string Machine::info_mtree(bool flatview) const {
  std::vector<const AddressSpace*> spaces = {cpu_as_.get(), system_as_.get()};
  if (iommu_ != nullptr)
    for (const AddressSpace* as : iommu_->dma_address_spaces()) spaces.push_back(as);
  return format_mtree(spaces, flatview);
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
    // alarms fire at the same step however the caller slices the run. A played session's
    // events and end are deadlines too.
    clock_.fire_due();
    if (playing_) {
      deliver_played_input();
      if (clock_.now_ns() >= play_end_ns_) {
        stop_playing();
        return MachineState::PlaybackEnd;
      }
    }
    const uint64_t deadline = std::min(clock_.next_deadline_ns(), next_play_ns());
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
    if (exited_ || check_stray_m_trap()) break;
    if (why == RunExit::Stopped) {
      if (reslice_) continue;  // a deadline moved: size the next slice for it
      break;
    }
    if (why == RunExit::Wfi && cpu_->waiting_for_interrupt()) {
      const uint64_t wake = std::min(clock_.next_deadline_ns(), next_play_ns());
      if (wake == VirtualClock::kNever) return MachineState::Idle;
      // Nothing to do until the next deadline: skip guest time ahead towards it, at most
      // kMaxIdleSkipNs at a time, so that an embedder pacing guest time against the wall
      // clock never finds it far ahead when input arrives (an idle kernel's next timer may be
      // minutes away; the guest must still answer a key at once).
      const uint64_t at = clock_.now_ns();
      const uint64_t skip = std::min(wake > at ? wake - at : 0, kMaxIdleSkipNs);
      clock_.advance(skip);
      last_idle_skip_ns_ += skip;
      clock_.fire_due();
      if (last_idle_skip_ns_ >= kMaxIdleSkipNs) break;  // let the embedder pace against real time
    }
  }
  return exited_ ? MachineState::Exited : MachineState::Running;
}

}  // namespace glassvm
