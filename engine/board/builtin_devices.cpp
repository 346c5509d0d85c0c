// The engine's user-creatable device models, added to a registry by register_builtin_devices().
//
// Design note: a model is a thin adapter. The device class (engine/devices/) knows its
// registers; the model knows how the board meets it: which options place it (addr, irq), how
// its MMIO is mapped, where its interrupt goes, and what its device-tree node says.
#include <memory>

#include "engine/board/device_registry.h"
#include "engine/devices/uart16550.h"

namespace glassvm {

namespace {

/// The ns16550a node size on QEMU's virt board (the registers use the first 8 bytes).
constexpr uint64_t kUartNodeSize = 0x100;
constexpr uint32_t kUartClockHz = 3686400;

/// An extra ns16550a UART whose output goes to the host console (input stays with the board's
/// first UART, which the console is wired to).
class Ns16550aDevice final : public Device {
 public:
  Ns16550aDevice(DeviceContext& ctx, uint64_t addr, unsigned irq)
      : uart_([&host = ctx.host()](uint8_t byte) {
          host.console_write({&byte, 1});
        }),
        addr_(addr),
        irq_(irq) {
    ctx.map_mmio(addr, uart_.mmio());
    uart_.irq().connect(ctx.plic_input(irq));
  }
  void reset() override { uart_.reset(); }
  std::vector<DeviceFdtNode> fdt_nodes() const override {
    DeviceFdtNode node;
    node.name = "serial";
    node.addr = addr_;
    node.size = kUartNodeSize;
    node.irq = irq_;
    node.compatible = "ns16550a";
    node.u32_props = {{"clock-frequency", kUartClockHz}};
    return {node};
  }

 private:
  Uart16550 uart_;
  uint64_t addr_;
  unsigned irq_;
};

}  // namespace

void register_builtin_devices(DeviceRegistry& registry) {
  DeviceModel uart;
  uart.name = "ns16550a";
  uart.bus = "System";
  uart.description = "16550A UART (output to the console)";
  uart.options = {
      {"addr", DeviceOption::Type::Number, "", "MMIO base address, a multiple of 0x100", 0,
       UINT64_MAX - kUartNodeSize + 1},
      {"irq", DeviceOption::Type::Number, "", "PLIC interrupt source", 1, 95},
  };
  uart.mmio_size = kUartNodeSize;
  uart.create = [](DeviceContext& ctx, const DeviceOptions& opts,
                   std::string& error) -> std::unique_ptr<Device> {
    const uint64_t addr = opts.number("addr");
    if (addr % kUartNodeSize != 0) {
      error = "ns16550a: addr must be a multiple of 0x100";
      return nullptr;
    }
    return std::make_unique<Ns16550aDevice>(ctx, addr, static_cast<unsigned>(opts.number("irq")));
  };
  registry.add(std::move(uart));
}

}  // namespace glassvm
