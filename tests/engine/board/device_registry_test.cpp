// The device registry: models by name, validated options, help texts, and -device on the board.
#include "engine/board/device_registry.h"

#include <gtest/gtest.h>
#include <cstdio>

#include "engine/board/fdt.h"
#include "engine/board/machine.h"
#include "engine/devices/uart16550.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

using testing::TestHost;

DeviceRegistry builtin() {
  DeviceRegistry r;
  register_builtin_devices(r);
  return r;
}

std::string parse_error(const DeviceRegistry& r, const std::string& text) {
  DeviceSpec spec;
  std::string error;
  if (r.parse(text, spec, error)) return "(parsed)";
  return error;
}

bool contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}

TEST(DeviceRegistry, ParsesOptionsAndAppliesDefaults) {
  DeviceRegistry r = builtin();
  DeviceModel toy;
  toy.name = "toy";
  toy.bus = "System";
  toy.description = "a test model";
  toy.options = {{"size", DeviceOption::Type::Number, "16", "how big", 1, 64},
                 {"label", DeviceOption::Type::String, "none", "a name"}};
  toy.create = [](BoardContext&, const DeviceOptions&, std::string&) {
    return std::unique_ptr<Device>();
  };
  r.add(toy);
  DeviceSpec spec;
  std::string error;
  ASSERT_TRUE(r.parse("toy", spec, error)) << error;
  EXPECT_EQ(spec.model, r.find("toy"));
  EXPECT_EQ(spec.options.number("size"), 16u);
  EXPECT_EQ(spec.options.string("label"), "none");
  ASSERT_TRUE(r.parse("toy,label=x,size=0x20", spec, error)) << error;
  EXPECT_EQ(spec.options.number("size"), 32u);
  EXPECT_EQ(spec.options.string("label"), "x");
  // Decimal, not octal.
  ASSERT_TRUE(r.parse("toy,size=010", spec, error)) << error;
  EXPECT_EQ(spec.options.number("size"), 10u);
}

TEST(DeviceRegistry, RejectsBadInputWithClearMessages) {
  DeviceRegistry r = builtin();
  EXPECT_TRUE(contains(parse_error(r, "nosuch"), "unknown device 'nosuch'"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=0x10009000,irq=12,baud=9600"),
                       "unknown option 'baud'"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=0x10009000"), "'irq' is required"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=12k,irq=12"), "not a number"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=0x10009000,irq=0"), "out of range"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=0x10009000,irq=96"), "out of range"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=0x10009000,irq=12,irq=13"), "twice"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr,irq=12"), "needs a value"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=0xffffffffffffffff,irq=12"), "out of range"));
  EXPECT_EQ(parse_error(r, "ns16550a,addr=0x10009000,irq=12"), "(parsed)");
}

TEST(DeviceRegistry, HelpListsModelsAndOptions) {
  DeviceRegistry r = builtin();
  EXPECT_TRUE(contains(r.help(), "name \"ns16550a\", bus System"));
  const std::string options = DeviceRegistry::help(*r.find("ns16550a"));
  EXPECT_TRUE(contains(options, "addr=<number>"));
  EXPECT_TRUE(contains(options, "irq=<number> - PLIC interrupt source, 1..95 (required)"));
}

TEST(DeviceRegistry, TwoRegistriesAreIndependent) {
  DeviceRegistry a = builtin();
  DeviceRegistry b;
  EXPECT_NE(a.find("ns16550a"), nullptr);
  EXPECT_EQ(b.find("ns16550a"), nullptr);
}

std::unique_ptr<Machine> make(TestHost& host, const DeviceRegistry& r,
                              std::vector<std::string> devices, std::string& error) {
  MachineConfig config;
  config.ram_size = 1 << 20;
  config.registry = &r;
  config.devices = std::move(devices);
  return Machine::create(config, host, error);
}

// A second UART: mapped, wired to the PLIC, in the device tree, and it works.
TEST(DeviceRegistry, SecondUartOnTheBoard) {
  DeviceRegistry r = builtin();
  TestHost host;
  std::string error;
  auto m = make(host, r, {"ns16550a,addr=0x10009000,irq=12"}, error);
  ASSERT_TRUE(m) << error;
  EXPECT_TRUE(
      contains(m->info_mtree(false), "0000000010009000-0000000010009007 (prio 0, i/o): serial"));
  FdtReader reader;
  ASSERT_TRUE(reader.parse(m->fdt())) << reader.error();
  auto node = reader.find_node("/soc/serial@10009000");
  ASSERT_TRUE(node);
  auto irq = reader.prop_u32(*node, "interrupts");
  ASSERT_TRUE(irq);
  EXPECT_EQ(*irq, 12u);
  // The guest writes a byte: it reaches the console; with THRE interrupts enabled the line
  // reaches PLIC source 12.
  const uint8_t byte = 'Z';
  ASSERT_EQ(m->system_as().write(0x10009000, &byte, 1), MemTxResult::Ok);
  EXPECT_EQ(host.output, "Z");
  const uint8_t ier = 0x02;
  ASSERT_EQ(m->system_as().write(0x10009001, &ier, 1), MemTxResult::Ok);
  uint32_t pending = 0;
  ASSERT_EQ(m->system_as().read(0xc001000, &pending, 4, MemTxAttrs{.debug = true}),
            MemTxResult::Ok);
  EXPECT_TRUE(pending & (1u << 12)) << std::hex << pending;
  // Reset brings it back to its power-on state (interrupt lowered).
  m->reset();
  ASSERT_EQ(m->system_as().read(0xc001000, &pending, 4, MemTxAttrs{.debug = true}),
            MemTxResult::Ok);
  EXPECT_FALSE(pending & (1u << 12));
}

// The board's UART owns the console: host input reaches it, not a -device one, and it stays
// the device tree's stdout.
TEST(DeviceRegistry, FirstUartOwnsTheConsole) {
  DeviceRegistry r = builtin();
  TestHost host;
  std::string error;
  auto m = make(host, r, {"ns16550a,addr=0x10009000,irq=12"}, error);
  ASSERT_TRUE(m) << error;
  FdtReader reader;
  ASSERT_TRUE(reader.parse(m->fdt())) << reader.error();
  EXPECT_EQ(reader.prop_string(*reader.find_node("/chosen"), "stdout-path"),
            "/soc/serial@10000000");
  // Both UARTs show a driver is listening (a read of LSR), then the host types.
  uint8_t lsr = 0;
  ASSERT_EQ(m->system_as().read(0x10000005, &lsr, 1), MemTxResult::Ok);
  ASSERT_EQ(m->system_as().read(0x10009005, &lsr, 1), MemTxResult::Ok);
  host.type("k");
  m->run(1);
  ASSERT_EQ(m->system_as().read(0x10009005, &lsr, 1), MemTxResult::Ok);
  EXPECT_FALSE(lsr & Uart16550::kLsrDr);
  ASSERT_EQ(m->system_as().read(0x10000005, &lsr, 1), MemTxResult::Ok);
  EXPECT_TRUE(lsr & Uart16550::kLsrDr);
  uint8_t rbr = 0;
  ASSERT_EQ(m->system_as().read(0x10000000, &rbr, 1), MemTxResult::Ok);
  EXPECT_EQ(rbr, 'k');
}

TEST(DeviceRegistry, BoardRefusesConflictingPlacements) {
  DeviceRegistry r = builtin();
  TestHost host;
  std::string error;
  EXPECT_FALSE(make(host, r, {"ns16550a,addr=0x10000000,irq=12"}, error));
  EXPECT_TRUE(contains(error, "overlaps")) << error;
  EXPECT_FALSE(make(host, r, {"ns16550a,addr=0x80000000,irq=12"}, error));
  EXPECT_TRUE(contains(error, "overlaps")) << error;
  EXPECT_FALSE(make(host, r, {"ns16550a,addr=0x10009000,irq=10"}, error));
  EXPECT_TRUE(contains(error, "irq 10 is used")) << error;
  EXPECT_FALSE(
      make(host, r, {"ns16550a,addr=0x10009000,irq=12", "ns16550a,addr=0x10009000,irq=13"}, error));
  EXPECT_TRUE(contains(error, "overlaps")) << error;
  EXPECT_FALSE(make(host, r, {"ns16550a,addr=0x10009010,irq=12"}, error));
  EXPECT_TRUE(contains(error, "multiple of 0x100")) << error;
  EXPECT_FALSE(make(host, r, {"bogus"}, error));
  EXPECT_TRUE(contains(error, "-device bogus: unknown device")) << error;
}

// Without -device the machine is the standard one (its device tree has no extra node).
TEST(DeviceRegistry, DefaultMachineUnchanged) {
  DeviceRegistry r = builtin();
  TestHost host;
  std::string error;
  auto plain = make(host, r, {}, error);
  ASSERT_TRUE(plain) << error;
  MachineConfig config;
  config.ram_size = 1 << 20;
  auto no_registry = Machine::create(config, host, error);
  ASSERT_TRUE(no_registry) << error;
  EXPECT_EQ(plain->fdt(), no_registry->fdt());
  EXPECT_EQ(plain->info_mtree(true), no_registry->info_mtree(true));
}

// The board's own devices are models in the same registry: listed as no-user, and -device
// refuses a second one with a message that says why.
TEST(DeviceRegistry, BoardDevicesAreListedAndNotUserCreatable) {
  DeviceRegistry r = builtin();
  for (const char* name : {"clint", "plic", "sifive_test", "goldfish_rtc"}) {
    ASSERT_NE(r.find(name), nullptr) << name;
    EXPECT_FALSE(r.find(name)->user_creatable) << name;
    EXPECT_TRUE(contains(r.help(), (std::string("name \"") + name + "\"").c_str())) << r.help();
  }
  EXPECT_TRUE(contains(r.help(),
                       "name \"clint\", bus System, desc \"SiFive CLINT (msip, "
                       "mtimecmp, mtime)\", no-user\n"))
      << r.help();
  EXPECT_FALSE(contains(r.help(),
                        "ns16550a\", bus System, desc \"16550A UART (output to the "
                        "console; the first one also gets its input)\", no-user"));
  TestHost host;
  std::string error;
  for (const char* text : {"clint", "plic,addr=0x20000000", "goldfish_rtc,addr=0x20000000,irq=20",
                           "sifive_test,addr=0x20000000"}) {
    EXPECT_FALSE(make(host, r, {text}, error)) << text;
    EXPECT_TRUE(contains(error, "is one of the virt board's own devices")) << error;
    EXPECT_TRUE(contains(error, (std::string("-device ") + text + ":").c_str())) << error;
  }
}

// The board creates its devices by name from the registry, in QEMU virt's order.
TEST(DeviceRegistry, BoardDeviceListComesFromTheRegistry) {
  DeviceRegistry r = builtin();
  TestHost host;
  std::string error;
  auto m = make(host, r, {"ns16550a,addr=0x10009000,irq=12"}, error);
  ASSERT_TRUE(m) << error;
  std::vector<std::string> specs;
  for (const Machine::DeviceEntry& e : m->devices()) specs.push_back(e.spec);
  std::vector<std::string> expected = {"clint", "plic"};
  for (unsigned n = 0; n < 8; ++n) {
    char slot[64];
    std::snprintf(slot, sizeof slot, "virtio-mmio,addr=0x%x,irq=%u", 0x10001000 + n * 0x1000,
                  n + 1);
    expected.push_back(slot);
  }
  expected.insert(expected.end(), {"sifive_test", "ns16550a,addr=0x10000000,irq=10", "goldfish_rtc",
                                   "ns16550a,addr=0x10009000,irq=12"});
  EXPECT_EQ(specs, expected);
  // A registry without the board's models is a programmer error; a registry with a model the
  // board does not use changes nothing.
  DeviceRegistry more = builtin();
  DeviceModel toy;
  toy.name = "toy";
  toy.bus = "System";
  toy.create = [](BoardContext&, const DeviceOptions&, std::string&) {
    return std::unique_ptr<Device>();
  };
  more.add(toy);
  auto plain = make(host, more, {}, error);
  ASSERT_TRUE(plain) << error;
  EXPECT_EQ(plain->devices().size(), 13u);
}

// A device model whose write handler at offset 0 of its first region makes a DMA write to
// `target` (option), and which counts the writes its second region receives.
class DmaToy final : public Device {
 public:
  DmaToy(BoardContext& board, uint64_t addr, uint64_t target) : board_(board), target_(target) {
    MemoryRegionOps a;
    a.write = [this](uint64_t, unsigned, uint64_t, MemTxAttrs) {
      const uint32_t v = 1;
      last_dma = board_.dma_address_space().write(target_, &v, 4);
      return MemTxResult::Ok;
    };
    a.read = [](uint64_t, unsigned, uint64_t& v, MemTxAttrs) {
      v = 0;
      return MemTxResult::Ok;
    };
    MemoryRegionOps b = a;
    b.write = [this](uint64_t, unsigned, uint64_t, MemTxAttrs) {
      ++b_writes;
      return MemTxResult::Ok;
    };
    a_.init_io("dmatoy.a", 0x10, a);
    b_.init_io("dmatoy.b", 0x10, b);
    board.map_mmio(addr, a_);
    board.map_mmio(addr + 0x10, b_);
  }
  BoardContext& board_;
  uint64_t target_;
  MemTxResult last_dma = MemTxResult::Ok;
  int b_writes = 0;
  MemoryRegion a_, b_;
};

DeviceRegistry with_dma_toy(std::vector<DmaToy*>& made) {
  DeviceRegistry r = builtin();
  DeviceModel toy;
  toy.name = "dmatoy";
  toy.bus = "System";
  toy.mmio_size = 0x20;
  toy.options = {{"addr", DeviceOption::Type::Number, "", "base", 0, 0xffffffff},
                 {"target", DeviceOption::Type::Number, "", "DMA target", 0, 0xffffffff}};
  toy.create = [&made](BoardContext& board, const DeviceOptions& opts, std::string&) {
    auto dev = std::make_unique<DmaToy>(board, opts.number("addr"), opts.number("target"));
    made.push_back(dev.get());
    return std::unique_ptr<Device>(std::move(dev));
  };
  r.add(toy);
  return r;
}

// Every region of one device shares one re-entrancy guard: a handler of the device that DMAs
// into its own other region is refused (and the Host warned once), while DMA into another
// device's registers goes through.
TEST(DeviceRegistry, OneReentrancyGuardPerDevice) {
  std::vector<DmaToy*> made;
  DeviceRegistry r = with_dma_toy(made);
  TestHost host;
  std::string error;
  auto m =
      make(host, r,
           {"dmatoy,addr=0x20000000,target=0x20000010", "dmatoy,addr=0x20001000,target=0x20000010"},
           error);
  ASSERT_TRUE(m) << error;
  ASSERT_EQ(made.size(), 2u);
  const uint32_t one = 1;
  // Device 0 writes into its own region b from a handler of its region a: blocked.
  ASSERT_EQ(m->system_as().write(0x20000000, &one, 4), MemTxResult::Ok);
  EXPECT_EQ(made[0]->last_dma, MemTxResult::DeviceError);
  EXPECT_EQ(made[0]->b_writes, 0);
  EXPECT_EQ(made[0]->b_.reentrancy_guard().blocked, 1u);
  EXPECT_EQ(&made[0]->a_.reentrancy_guard(), &made[0]->b_.reentrancy_guard());
  EXPECT_TRUE(contains(host.logged, "blocked re-entrant MMIO")) << host.logged;
  EXPECT_TRUE(contains(host.logged, "dmatoy.b")) << host.logged;
  // A second time: refused again, but the warning is not repeated.
  const std::string logged = host.logged;
  ASSERT_EQ(m->system_as().write(0x20000000, &one, 4), MemTxResult::Ok);
  EXPECT_EQ(made[0]->last_dma, MemTxResult::DeviceError);
  EXPECT_EQ(made[0]->b_.reentrancy_guard().blocked, 2u);
  EXPECT_EQ(host.logged, logged);
  // Device 1 writes into device 0's region b: another device, another guard: it arrives.
  ASSERT_EQ(m->system_as().write(0x20001000, &one, 4), MemTxResult::Ok);
  EXPECT_EQ(made[1]->last_dma, MemTxResult::Ok);
  EXPECT_EQ(made[0]->b_writes, 1);
  EXPECT_NE(&made[0]->a_.reentrancy_guard(), &made[1]->a_.reentrancy_guard());
}

// The board's own devices have guards too: the CLINT's two blocks share one.
TEST(DeviceRegistry, BoardDevicesShareAGuardAcrossTheirRegions) {
  TestHost host;
  std::string error;
  MachineConfig config;
  config.ram_size = 1 << 20;
  auto m = Machine::create(config, host, error);
  ASSERT_TRUE(m) << error;
  const MemoryRegion* swi = nullptr;
  const MemoryRegion* mtimer = nullptr;
  const MemoryRegion* plic = nullptr;
  for (const MemoryRegion* sub : m->system_as().root()->subregions()) {
    if (sub->name() == "riscv.aclint.swi") swi = sub;
    if (sub->name() == "riscv.aclint.mtimer") mtimer = sub;
    if (sub->name() == "riscv.sifive.plic") plic = sub;
  }
  ASSERT_TRUE(swi && mtimer && plic);
  EXPECT_EQ(&swi->reentrancy_guard(), &mtimer->reentrancy_guard());
  EXPECT_NE(&swi->reentrancy_guard(), &plic->reentrancy_guard());
  EXPECT_EQ(swi->reentrancy_guard().log, &host);
}

}  // namespace
}  // namespace glassvm
