// The device registry: models by name, validated options, help texts, and -device on the board.
#include "engine/board/device_registry.h"

#include <gtest/gtest.h>

#include "engine/board/fdt.h"
#include "engine/board/machine.h"
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
  toy.create = [](DeviceContext&, const DeviceOptions&, std::string&) {
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
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=0x10002000,irq=12,baud=9600"),
                       "unknown option 'baud'"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=0x10002000"), "'irq' is required"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=12k,irq=12"), "not a number"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=0x10002000,irq=0"), "out of range"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=0x10002000,irq=96"), "out of range"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=0x10002000,irq=12,irq=13"), "twice"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr,irq=12"), "needs a value"));
  EXPECT_TRUE(contains(parse_error(r, "ns16550a,addr=0xffffffffffffffff,irq=12"), "out of range"));
  EXPECT_EQ(parse_error(r, "ns16550a,addr=0x10002000,irq=12"), "(parsed)");
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
  auto m = make(host, r, {"ns16550a,addr=0x10002000,irq=12"}, error);
  ASSERT_TRUE(m) << error;
  EXPECT_TRUE(
      contains(m->info_mtree(false), "0000000010002000-0000000010002007 (prio 0, i/o): serial"));
  FdtReader reader;
  ASSERT_TRUE(reader.parse(m->fdt())) << reader.error();
  auto node = reader.find_node("/soc/serial@10002000");
  ASSERT_TRUE(node);
  auto irq = reader.prop_u32(*node, "interrupts");
  ASSERT_TRUE(irq);
  EXPECT_EQ(*irq, 12u);
  // The guest writes a byte: it reaches the console; with THRE interrupts enabled the line
  // reaches PLIC source 12.
  const uint8_t byte = 'Z';
  ASSERT_EQ(m->system_as().write(0x10002000, &byte, 1), MemTxResult::Ok);
  EXPECT_EQ(host.output, "Z");
  const uint8_t ier = 0x02;
  ASSERT_EQ(m->system_as().write(0x10002001, &ier, 1), MemTxResult::Ok);
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

TEST(DeviceRegistry, BoardRefusesConflictingPlacements) {
  DeviceRegistry r = builtin();
  TestHost host;
  std::string error;
  EXPECT_FALSE(make(host, r, {"ns16550a,addr=0x10000000,irq=12"}, error));
  EXPECT_TRUE(contains(error, "overlaps")) << error;
  EXPECT_FALSE(make(host, r, {"ns16550a,addr=0x80000000,irq=12"}, error));
  EXPECT_TRUE(contains(error, "overlaps")) << error;
  EXPECT_FALSE(make(host, r, {"ns16550a,addr=0x10002000,irq=10"}, error));
  EXPECT_TRUE(contains(error, "irq 10 is used")) << error;
  EXPECT_FALSE(
      make(host, r, {"ns16550a,addr=0x10002000,irq=12", "ns16550a,addr=0x10002000,irq=13"}, error));
  EXPECT_TRUE(contains(error, "overlaps")) << error;
  EXPECT_FALSE(make(host, r, {"ns16550a,addr=0x10002010,irq=12"}, error));
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

}  // namespace
}  // namespace glassvm
