// The engine's device models, added to a registry by register_builtin_devices(): the virt
// board's own devices (the 8 virtio-mmio slots among them), the user-creatable ns16550a, and the
// virtio devices that plug into the slots (virtio-blk-device, virtio-rng-device).
//
// Design note: a model is a thin adapter. The device class (engine/devices/) knows its
// registers; the model knows how the board meets it: which options place it (addr, irq), how
// its MMIO is mapped and where its interrupts go (through BoardContext), and what its
// device-tree nodes say. The board's own devices are models like any other, created by name
// from virt_board_devices(); they are marked not user-creatable because the board has exactly
// one of each (a second PLIC or CLINT would fight over the harts' interrupt inputs).
#include <cassert>
#include <memory>
#include <optional>
#include <string>

#include "engine/board/device_registry.h"
#include "engine/board/fdt.h"
#include "engine/board/machine.h"
#include "engine/board/virt_fdt.h"
#include "engine/cpu/cpu.h"
#include "engine/devices/clint.h"
#include "engine/devices/goldfish_rtc.h"
#include "engine/devices/plic.h"
#include "engine/devices/sifive_test.h"
#include "engine/devices/uart16550.h"
#include "engine/devices/virtio/blk.h"
#include "engine/devices/virtio/mmio.h"
#include "engine/devices/virtio/rng.h"

namespace glassvm {

namespace {

/// The ns16550a node size on QEMU's virt board (the registers use the first 8 bytes).
constexpr uint64_t kUartNodeSize = 0x100;
constexpr uint32_t kUartClockHz = 3686400;
static_assert(kVirtUartSize == kUartNodeSize);

DeviceOption addr_option(const char* default_addr, uint64_t size) {
  return {"addr", DeviceOption::Type::Number, default_addr, "MMIO base address",
          0,      UINT64_MAX - size + 1};
}

/// Restores `model` (a device class with kStateVersion, save() and load()) from a section of
/// `version`: each model has exactly one version so far.
template <typename Model>
void load_model(Model& model, StateReader& r, uint32_t version) {
  if (version != Model::kStateVersion) {
    r.fail("state version " + std::to_string(version) + " is not supported");
    return;
  }
  model.load(r);
}

DeviceOption irq_option(const char* default_irq) {
  return {"irq",        DeviceOption::Type::Number, default_irq, "PLIC interrupt source", 1,
          kVirtPlicNdev};
}

/// A 16550A UART. The first one created owns the console (input, and /chosen stdout-path);
/// every one's output goes to the console.
class Ns16550aDevice final : public Device {
 public:
  Ns16550aDevice(BoardContext& board, uint64_t addr, unsigned irq)
      : uart_([&host = board.host()](uint8_t byte) {
          host.console_write({&byte, 1});
        }),
        addr_(addr),
        irq_(irq) {
    board.map_mmio(addr, uart_.mmio());
    uart_.irq().connect(board.irq_input(irq));
    console_ = board.attach_console_input(
        {[this] { return uart_.can_receive(); }, [this](uint8_t byte) { uart_.receive(byte); }});
  }
  void reset() override { uart_.reset(); }
  uint32_t state_version() const override { return Uart16550::kStateVersion; }
  void save_state(StateWriter& w) const override { uart_.save(w); }
  void load_state(StateReader& r, uint32_t version) override { load_model(uart_, r, version); }
  std::string fdt_stdout_path() const override {
    return console_ ? "/soc/" + fdt_node_name("serial", addr_) : "";
  }
  void fdt_soc_nodes(FdtBuilder& b, const VirtFdtContext& ctx) const override {
    b.begin_node(fdt_node_name("serial", addr_));
    ctx.interrupts(b, irq_);
    b.prop_u32("clock-frequency", kUartClockHz);
    fdt_reg(b, addr_, kUartNodeSize);
    b.prop_string("compatible", "ns16550a");
    b.end_node();
  }

 private:
  Uart16550 uart_;
  uint64_t addr_;
  unsigned irq_;
  bool console_ = false;
};

/// The CLINT: MSIP and MTIP of every hart, and the harts' time CSR.
class ClintDevice final : public Device {
 public:
  ClintDevice(BoardContext& board, uint64_t addr)
      : clint_(board.num_harts(), board.clock(), virt::kNsPerTick), addr_(addr) {
    board.map_mmio(addr, clint_.swi_mmio());
    board.map_mmio(addr + Clint::kMtimerOffset, clint_.mtimer_mmio());
    for (unsigned h = 0; h < board.num_harts(); ++h) {
      clint_.msip(h).connect(board.hart_irq(h, kIrqMSoft));
      clint_.mtip(h).connect(board.hart_irq(h, kIrqMTimer));
    }
    board.set_time_source([this] { return clint_.mtime(); });
  }
  void reset() override { clint_.reset(); }
  uint32_t state_version() const override { return Clint::kStateVersion; }
  void save_state(StateWriter& w) const override { clint_.save(w); }
  void load_state(StateReader& r, uint32_t version) override { load_model(clint_, r, version); }
  bool fdt_is_interrupt_controller() const override { return true; }
  void fdt_soc_nodes(FdtBuilder& b, const VirtFdtContext& ctx) const override {
    std::vector<uint32_t> cells;
    for (uint32_t ph : ctx.intc_phandles)
      cells.insert(cells.end(), {ph, kIrqMSoft, ph, kIrqMTimer});
    b.begin_node(fdt_node_name("clint", addr_));
    b.prop_cells("interrupts-extended", cells);
    fdt_reg(b, addr_, kVirtClintSize);
    b.prop_strings("compatible", {"sifive,clint0", "riscv,clint0"});
    b.end_node();
  }

 private:
  Clint clint_;
  uint64_t addr_;
};

/// The PLIC: the board's interrupt controller, M and S contexts of every hart.
class PlicDevice final : public Device {
 public:
  PlicDevice(BoardContext& board, uint64_t addr) : plic_(board.num_harts()), addr_(addr) {
    board.map_mmio(addr, plic_.mmio());
    for (unsigned h = 0; h < board.num_harts(); ++h) {
      plic_.context_output(2 * h).connect(board.hart_irq(h, kIrqMExt));
      plic_.context_output(2 * h + 1).connect(board.hart_irq(h, kIrqSExt));
    }
    board.set_interrupt_controller([this](unsigned source) { return plic_.input(source); });
  }
  void reset() override { plic_.reset(); }
  uint32_t state_version() const override { return Plic::kStateVersion; }
  void save_state(StateWriter& w) const override { plic_.save(w); }
  void load_state(StateReader& r, uint32_t version) override { load_model(plic_, r, version); }
  void fdt_alloc_phandles(FdtBuilder& b) override { phandle_ = b.alloc_phandle(); }
  uint32_t fdt_interrupt_parent() const override { return phandle_; }
  bool fdt_is_interrupt_controller() const override { return true; }
  void fdt_soc_nodes(FdtBuilder& b, const VirtFdtContext& ctx) const override {
    std::vector<uint32_t> cells;
    for (uint32_t ph : ctx.intc_phandles) cells.insert(cells.end(), {ph, kIrqMExt, ph, kIrqSExt});
    b.begin_node(fdt_node_name("plic", addr_));
    b.prop_u32("phandle", phandle_);
    b.prop_u32("riscv,ndev", kVirtPlicNdev);
    fdt_reg(b, addr_, kVirtPlicSize);
    b.prop_cells("interrupts-extended", cells);
    b.prop_empty("interrupt-controller");
    b.prop_strings("compatible", {"sifive,plic-1.0.0", "riscv,plic0"});
    b.prop_u32("#address-cells", 0);
    b.prop_u32("#interrupt-cells", 1);
    b.end_node();
  }

 private:
  Plic plic_;
  uint64_t addr_;
  uint32_t phandle_ = 0;
};

/// The sifive,test finisher, with the /poweroff and /reboot syscon nodes that point at it.
class SifiveTestDevice final : public Device {
 public:
  SifiveTestDevice(BoardContext& board, uint64_t addr)
      : test_([&board](SifiveTest::Action action, int code) {
          if (action == SifiveTest::Action::Reset) {
            board.request_reset();
          } else {
            board.request_exit(code);
          }
        }),
        addr_(addr) {
    board.map_mmio(addr, test_.mmio());
  }
  uint32_t state_version() const override { return SifiveTest::kStateVersion; }
  void save_state(StateWriter& w) const override { test_.save(w); }
  void load_state(StateReader& r, uint32_t version) override { load_model(test_, r, version); }
  void fdt_alloc_phandles(FdtBuilder& b) override { phandle_ = b.alloc_phandle(); }
  void fdt_root_nodes(FdtBuilder& b, const VirtFdtContext&) const override {
    for (auto [name, value] :
         {std::pair{"poweroff", kVirtTestPass}, std::pair{"reboot", kVirtTestReset}}) {
      b.begin_node(name);
      b.prop_u32("value", value);
      b.prop_u32("offset", 0);
      b.prop_u32("regmap", phandle_);
      b.prop_string("compatible", std::string("syscon-") + name);
      b.end_node();
    }
  }
  void fdt_soc_nodes(FdtBuilder& b, const VirtFdtContext&) const override {
    b.begin_node(fdt_node_name("test", addr_));
    b.prop_u32("phandle", phandle_);
    fdt_reg(b, addr_, kVirtTestSize);
    b.prop_strings("compatible", {"sifive,test1", "sifive,test0", "syscon"});
    b.end_node();
  }

 private:
  SifiveTest test_;
  uint64_t addr_;
  uint32_t phandle_ = 0;
};

/// The goldfish RTC.
class GoldfishRtcDevice final : public Device {
 public:
  GoldfishRtcDevice(BoardContext& board, uint64_t addr, unsigned irq)
      : rtc_(board.clock()), addr_(addr), irq_(irq) {
    board.map_mmio(addr, rtc_.mmio());
    rtc_.irq().connect(board.irq_input(irq));
  }
  void reset() override { rtc_.reset(); }
  uint32_t state_version() const override { return GoldfishRtc::kStateVersion; }
  void save_state(StateWriter& w) const override { rtc_.save(w); }
  void load_state(StateReader& r, uint32_t version) override { load_model(rtc_, r, version); }
  void fdt_soc_nodes(FdtBuilder& b, const VirtFdtContext& ctx) const override {
    b.begin_node(fdt_node_name("rtc", addr_));
    ctx.interrupts(b, irq_);
    fdt_reg(b, addr_, kVirtRtcSize);
    b.prop_string("compatible", "google,goldfish-rtc");
    b.end_node();
  }

 private:
  GoldfishRtc rtc_;
  uint64_t addr_;
  unsigned irq_;
};

/// One virtio-mmio slot: the transport, empty until a virtio device plugs into it. Its node is
/// written whether or not a device sits behind it, as QEMU does (a driver finds DeviceID 0).
/// On a board with an IOMMU, a slot with a device behind it does its DMA through its own
/// address space, "virtio-mmio@ADDR (behind riscv-iommu)", as requester `device_id`, offers
/// VIRTIO_F_ACCESS_PLATFORM (so that the driver hands it IOVAs) and names the IOMMU in its
/// node's `iommus`. An empty slot stays as it is, and so does the slot that hosts the IOMMU
/// (a virtio-iommu), whose node becomes the IOMMU's node instead.
class VirtioMmioSlotDevice final : public Device {
 public:
  VirtioMmioSlotDevice(BoardContext& board, uint64_t addr, unsigned irq)
      : transport_(board.dma_address_space(), nullptr), addr_(addr), irq_(irq) {
    board.map_mmio(addr, transport_.mmio());
    transport_.irq().connect(board.irq_input(irq));
    transport_.set_log(&board.host());
    board.add_virtio_transport(transport_);
  }
  void reset() override { transport_.reset(); }
  /// The transport's state; the device behind it is saved by its own Device
  /// (VirtioBackendDevice), and the IOMMU wiring is rebuilt by the board.
  uint32_t state_version() const override { return VirtioMmio::kStateVersion; }
  void save_state(StateWriter& w) const override { transport_.save(w); }
  void load_state(StateReader& r, uint32_t version) override { load_model(transport_, r, version); }
  void fdt_soc_nodes(FdtBuilder& b, const VirtFdtContext& ctx) const override {
    std::optional<FdtIommuRef> ref;
    if (iommu_) ref = FdtIommuRef{iommu_->fdt_phandle(), device_id_};
    fdt_virtio_mmio_node(b, ctx, addr_, irq_, ref, hosted_ ? hosted_->fdt_phandle() : 0);
  }
  bool is_dma_master() const override { return true; }
  void attach_iommu(IommuProvider& iommu, uint32_t device_id) override {
    if (transport_.device() == nullptr) return;
    if (iommu.is_own_virtio_device(*transport_.device())) {
      hosted_ = &iommu;  // its DMA stays on the board's DMA space
      return;
    }
    iommu_ = &iommu;
    device_id_ = device_id;
    const std::string name = fdt_node_name("virtio-mmio", addr_) + " (behind " + iommu.name() + ")";
    MemTxAttrs attrs;
    attrs.requester_id = device_id;
    transport_.set_dma(iommu.dma_address_space(device_id, name), attrs,
                       /*access_platform=*/true);
  }

 private:
  VirtioMmio transport_;
  uint64_t addr_;
  unsigned irq_;
  IommuProvider* iommu_ = nullptr;   ///< the IOMMU the slot's DMA goes through, if any
  IommuProvider* hosted_ = nullptr;  ///< the IOMMU plugged into this slot, if any
  uint32_t device_id_ = 0;
};

/// A virtio device (virtio-blk-device, virtio-rng-device): the backend only. It plugs into the
/// board's next free virtio-mmio slot, whose device writes the node, resets the backend and saves
/// the transport's state; this device saves the backend's own.
class VirtioBackendDevice final : public Device {
 public:
  explicit VirtioBackendDevice(std::unique_ptr<VirtioDevice> backend)
      : backend_(std::move(backend)) {}
  /// Plugs the backend into the board's next free slot; false with a message when none is left.
  bool plug(BoardContext& board, const std::string& name, std::string& error) {
    VirtioMmio* slot = board.free_virtio_transport();
    if (!slot) {
      error = name + ": no free virtio-mmio slot (the virt board has " +
              std::to_string(kVirtVirtioSlots) + ")";
      return false;
    }
    slot->plug(*backend_);
    return true;
  }

  /// The backend's own state (the slot saves the transport's): 0, so that the machine refuses
  /// to be saved, for a backend that cannot be saved.
  uint32_t state_version() const override { return backend_->state_version(); }
  void save_state(StateWriter& w) const override { backend_->save(w); }
  void load_state(StateReader& r, uint32_t version) override {
    if (version == 0 || version != backend_->state_version()) {
      r.fail("state version " + std::to_string(version) + " is not supported");
      return;
    }
    backend_->load(r);
  }

 private:
  std::unique_ptr<VirtioDevice> backend_;
};

/// A model of one of the board's own devices, placed by an `addr` option with QEMU's default.
DeviceModel board_model(const char* name, const char* description, const char* addr,
                        uint64_t size) {
  DeviceModel model;
  model.name = name;
  model.bus = "System";
  model.description = description;
  model.options = {addr_option(addr, size)};
  model.mmio_size = size;
  model.user_creatable = false;
  return model;
}

}  // namespace

void register_builtin_devices(DeviceRegistry& registry) {
  DeviceModel uart;
  uart.name = "ns16550a";
  uart.bus = "System";
  uart.description = "16550A UART (output to the console; the first one also gets its input)";
  uart.options = {
      {"addr", DeviceOption::Type::Number, "", "MMIO base address, a multiple of 0x100", 0,
       UINT64_MAX - kUartNodeSize + 1},
      {"irq", DeviceOption::Type::Number, "", "PLIC interrupt source", 1, kVirtPlicNdev},
  };
  uart.mmio_size = kUartNodeSize;
  uart.create = [](BoardContext& board, const DeviceOptions& opts,
                   std::string& error) -> std::unique_ptr<Device> {
    const uint64_t addr = opts.number("addr");
    if (addr % kUartNodeSize != 0) {
      error = "ns16550a: addr must be a multiple of 0x100";
      return nullptr;
    }
    return std::make_unique<Ns16550aDevice>(board, addr, static_cast<unsigned>(opts.number("irq")));
  };
  registry.add(std::move(uart));

  DeviceModel clint =
      board_model("clint", "SiFive CLINT (msip, mtimecmp, mtime)", "0x2000000", kVirtClintSize);
  clint.create = [](BoardContext& board, const DeviceOptions& opts, std::string&) {
    return std::unique_ptr<Device>(new ClintDevice(board, opts.number("addr")));
  };
  registry.add(std::move(clint));

  DeviceModel plic =
      board_model("plic", "SiFive PLIC (the interrupt controller)", "0xc000000", kVirtPlicSize);
  plic.create = [](BoardContext& board, const DeviceOptions& opts, std::string&) {
    return std::unique_ptr<Device>(new PlicDevice(board, opts.number("addr")));
  };
  registry.add(std::move(plic));

  DeviceModel test = board_model("sifive_test", "SiFive test finisher (power-off, reset)",
                                 "0x100000", kVirtTestSize);
  test.create = [](BoardContext& board, const DeviceOptions& opts, std::string&) {
    return std::unique_ptr<Device>(new SifiveTestDevice(board, opts.number("addr")));
  };
  registry.add(std::move(test));

  DeviceModel rtc =
      board_model("goldfish_rtc", "Goldfish real-time clock", "0x101000", kVirtRtcSize);
  rtc.options.push_back(irq_option("11"));
  rtc.create = [](BoardContext& board, const DeviceOptions& opts, std::string&) {
    return std::unique_ptr<Device>(new GoldfishRtcDevice(
        board, opts.number("addr"), static_cast<unsigned>(opts.number("irq"))));
  };
  registry.add(std::move(rtc));

  DeviceModel slot = board_model("virtio-mmio", "virtio-mmio transport (one slot of the board's 8)",
                                 "0x10001000", kVirtVirtioStride);
  slot.options.push_back(irq_option("1"));
  slot.create = [](BoardContext& board, const DeviceOptions& opts, std::string&) {
    return std::unique_ptr<Device>(new VirtioMmioSlotDevice(
        board, opts.number("addr"), static_cast<unsigned>(opts.number("irq"))));
  };
  registry.add(std::move(slot));

  DeviceModel blk;
  blk.name = "virtio-blk-device";
  blk.bus = "virtio-bus";
  blk.description = "virtio block device, on the next free virtio-mmio slot";
  blk.options = {{"drive", DeviceOption::Type::String, "", "the -drive id of its disk image"}};
  blk.create = [](BoardContext& board, const DeviceOptions& opts,
                  std::string& error) -> std::unique_ptr<Device> {
    if (!board.free_virtio_transport()) {
      error = "virtio-blk-device: no free virtio-mmio slot";
      return nullptr;
    }
    BlockStorage* storage = board.take_drive(opts.string("drive"), error);
    if (!storage) {
      error = "virtio-blk-device: " + error;
      return nullptr;
    }
    auto dev = std::make_unique<VirtioBackendDevice>(
        std::make_unique<VirtioBlk>(*storage, opts.string("drive")));
    if (!dev->plug(board, "virtio-blk-device", error)) return nullptr;
    return dev;
  };
  registry.add(std::move(blk));

  DeviceModel rng;
  rng.name = "virtio-rng-device";
  rng.bus = "virtio-bus";
  rng.description =
      "virtio entropy device (deterministic bytes from a seed), on the next free "
      "virtio-mmio slot";
  rng.options = {{"seed", DeviceOption::Type::Number, "0", "seed of the byte stream"}};
  rng.create = [](BoardContext& board, const DeviceOptions& opts,
                  std::string& error) -> std::unique_ptr<Device> {
    auto dev =
        std::make_unique<VirtioBackendDevice>(std::make_unique<VirtioRng>(opts.number("seed")));
    if (!dev->plug(board, "virtio-rng-device", error)) return nullptr;
    return dev;
  };
  registry.add(std::move(rng));
}

const std::vector<std::string>& virt_board_devices() {
  // QEMU virt's order of creating their device-tree nodes (see engine/board/virt_fdt.h).
  static const std::vector<std::string> kDevices = {
      "clint",
      "plic",
      "virtio-mmio,addr=0x10001000,irq=1",
      "virtio-mmio,addr=0x10002000,irq=2",
      "virtio-mmio,addr=0x10003000,irq=3",
      "virtio-mmio,addr=0x10004000,irq=4",
      "virtio-mmio,addr=0x10005000,irq=5",
      "virtio-mmio,addr=0x10006000,irq=6",
      "virtio-mmio,addr=0x10007000,irq=7",
      "virtio-mmio,addr=0x10008000,irq=8",
      "sifive_test",
      "ns16550a,addr=0x10000000,irq=10",
      "goldfish_rtc",
  };
  return kDevices;
}

}  // namespace glassvm
