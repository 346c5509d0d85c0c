// Tests for the virt board's generated device tree: parsed back with FdtReader and, when dtc is
// installed, decompiled by dtc.
#include "engine/board/virt_fdt.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "engine/board/fdt.h"

#include "tests/support/fake_board.h"
#include "tests/support/require.h"

namespace glassvm {
namespace {

/// The virt board's own devices, created from the registry by name on a FakeBoard of `harts`.
class BoardDevices {
 public:
  explicit BoardDevices(unsigned harts) : board_(harts) {
    DeviceRegistry registry;
    register_builtin_devices(registry);
    for (const std::string& text : virt_board_devices()) {
      DeviceSpec spec;
      std::string error;
      EXPECT_TRUE(registry.parse(text, spec, error)) << error;
      devices_.push_back(spec.model->create(board_, spec.options, error));
      EXPECT_TRUE(devices_.back()) << error;
    }
  }
  ~BoardDevices() { board_.unmap_all(); }
  std::vector<Device*> list() const {
    std::vector<Device*> out;
    for (const auto& d : devices_) out.push_back(d.get());
    return out;
  }

 private:
  testing::FakeBoard board_;
  std::vector<std::unique_ptr<Device>> devices_;
};

/// Builds the tree of `c` with the virt board's own devices (QEMU virt's fixed set).
FdtReader parse(VirtFdtConfig c) {
  BoardDevices devices(c.harts);
  c.devices = devices.list();
  FdtReader r;
  EXPECT_TRUE(r.parse(build_virt_fdt(c))) << r.error();
  return r;
}

/// Builds the tree of `c` as it is, without devices unless `c.devices` names some.
FdtReader parse_bare(const VirtFdtConfig& c) {
  FdtReader r;
  EXPECT_TRUE(r.parse(build_virt_fdt(c))) << r.error();
  return r;
}

std::vector<std::string_view> strs(const FdtReader& r, std::string_view path,
                                   std::string_view prop) {
  auto n = r.find_node(path);
  if (!n) return {};
  return r.prop_strings(*n, prop).value_or(std::vector<std::string_view>{});
}

TEST(VirtFdt, DefaultBoardMatchesQemuVirt) {
  VirtFdtConfig c;
  c.bootargs = "console=ttyS0";
  FdtReader r = parse(c);
  ASSERT_TRUE(r.ok());
  const auto root = FdtReader::kRoot;
  EXPECT_EQ(r.prop_string(root, "compatible"), "riscv-virtio");
  EXPECT_EQ(r.prop_string(root, "model"), "riscv-virtio,qemu");
  EXPECT_EQ(r.prop_u32(root, "#address-cells"), 2u);
  EXPECT_EQ(r.prop_u32(root, "#size-cells"), 2u);

  std::vector<std::string> top;
  for (auto n : r.children(root)) top.emplace_back(r.node_name(n));
  EXPECT_EQ(top, (std::vector<std::string>{"chosen", "poweroff", "reboot", "memory@80000000",
                                           "cpus", "soc"}));

  auto chosen = *r.find_node("/chosen");
  EXPECT_EQ(r.prop_string(chosen, "stdout-path"), "/soc/serial@10000000");
  EXPECT_EQ(r.prop_string(chosen, "bootargs"), "console=ttyS0");
  EXPECT_FALSE(r.property(chosen, "linux,initrd-start"));
  EXPECT_FALSE(r.property(chosen, "rng-seed"));
  // stdout-path names a node that exists.
  EXPECT_TRUE(r.find_node(*r.prop_string(chosen, "stdout-path")));

  auto mem = *r.find_node("/memory@80000000");
  EXPECT_EQ(r.prop_string(mem, "device_type"), "memory");
  EXPECT_EQ(r.prop_cells(mem, "reg"), (std::vector<uint32_t>{0, 0x80000000, 0, 0x8000000}));

  auto cpus = *r.find_node("/cpus");
  EXPECT_EQ(r.prop_u32(cpus, "#address-cells"), 1u);
  EXPECT_EQ(r.prop_u32(cpus, "#size-cells"), 0u);
  EXPECT_EQ(r.prop_u32(cpus, "timebase-frequency"), 10000000u);
  auto cpu0 = *r.find_node("/cpus/cpu@0");
  EXPECT_EQ(r.prop_string(cpu0, "device_type"), "cpu");
  EXPECT_EQ(r.prop_string(cpu0, "compatible"), "riscv");
  EXPECT_EQ(r.prop_string(cpu0, "status"), "okay");
  EXPECT_EQ(r.prop_string(cpu0, "riscv,isa"), "rv64imafdc_zicsr_zifencei_zicntr");
  EXPECT_EQ(r.prop_string(cpu0, "riscv,isa-base"), "rv64i");
  EXPECT_EQ(
      r.prop_strings(cpu0, "riscv,isa-extensions"),
      (std::vector<std::string_view>{"i", "m", "a", "f", "d", "c", "zicsr", "zifencei", "zicntr"}));
  EXPECT_EQ(r.prop_string(cpu0, "mmu-type"), "riscv,sv39");
  EXPECT_EQ(r.prop_u32(cpu0, "reg"), 0u);
  EXPECT_EQ(r.prop_u32(cpu0, "phandle"), 1u);  // QEMU numbering: cpu0=1, intc=2, plic=3, test=4
  auto intc = *r.find_node("/cpus/cpu@0/interrupt-controller");
  EXPECT_EQ(r.prop_string(intc, "compatible"), "riscv,cpu-intc");
  EXPECT_EQ(r.prop_u32(intc, "#interrupt-cells"), 1u);
  EXPECT_TRUE(r.property(intc, "interrupt-controller"));
  EXPECT_EQ(r.prop_u32(intc, "phandle"), 2u);
  EXPECT_EQ(r.prop_u32(*r.find_node("/cpus/cpu-map/cluster0/core0"), "cpu"), 1u);

  auto soc = *r.find_node("/soc");
  EXPECT_EQ(r.prop_string(soc, "compatible"), "simple-bus");
  EXPECT_TRUE(r.property(soc, "ranges"));

  auto plic = *r.find_node("/soc/plic@c000000");
  EXPECT_EQ(r.prop_u32(plic, "phandle"), 3u);
  EXPECT_EQ(strs(r, "/soc/plic@c000000", "compatible"),
            (std::vector<std::string_view>{"sifive,plic-1.0.0", "riscv,plic0"}));
  EXPECT_EQ(r.prop_u32(plic, "riscv,ndev"), 0x5fu);
  EXPECT_EQ(r.prop_cells(plic, "reg"), (std::vector<uint32_t>{0, 0xc000000, 0, 0x600000}));
  EXPECT_EQ(r.prop_cells(plic, "interrupts-extended"), (std::vector<uint32_t>{2, 11, 2, 9}));
  EXPECT_EQ(r.prop_u32(plic, "#interrupt-cells"), 1u);
  EXPECT_EQ(r.prop_u32(plic, "#address-cells"), 0u);
  EXPECT_TRUE(r.property(plic, "interrupt-controller"));

  auto clint = *r.find_node("/soc/clint@2000000");
  EXPECT_EQ(strs(r, "/soc/clint@2000000", "compatible"),
            (std::vector<std::string_view>{"sifive,clint0", "riscv,clint0"}));
  EXPECT_EQ(r.prop_cells(clint, "reg"), (std::vector<uint32_t>{0, 0x2000000, 0, 0x10000}));
  EXPECT_EQ(r.prop_cells(clint, "interrupts-extended"), (std::vector<uint32_t>{2, 3, 2, 7}));

  auto uart = *r.find_node("/soc/serial@10000000");
  EXPECT_EQ(r.prop_string(uart, "compatible"), "ns16550a");
  EXPECT_EQ(r.prop_u32(uart, "clock-frequency"), 0x384000u);
  EXPECT_EQ(r.prop_u32(uart, "interrupts"), 10u);
  EXPECT_EQ(r.find_by_phandle(*r.prop_u32(uart, "interrupt-parent")), plic);
  EXPECT_EQ(r.prop_cells(uart, "reg"), (std::vector<uint32_t>{0, 0x10000000, 0, 0x100}));

  auto rtc = *r.find_node("/soc/rtc@101000");
  EXPECT_EQ(r.prop_string(rtc, "compatible"), "google,goldfish-rtc");
  EXPECT_EQ(r.prop_u32(rtc, "interrupts"), 11u);
  EXPECT_EQ(r.find_by_phandle(*r.prop_u32(rtc, "interrupt-parent")), plic);

  auto test = *r.find_node("/soc/test@100000");
  EXPECT_EQ(strs(r, "/soc/test@100000", "compatible"),
            (std::vector<std::string_view>{"sifive,test1", "sifive,test0", "syscon"}));
  EXPECT_EQ(r.prop_u32(test, "phandle"), 4u);
  auto poweroff = *r.find_node("/poweroff");
  EXPECT_EQ(r.prop_string(poweroff, "compatible"), "syscon-poweroff");
  EXPECT_EQ(r.prop_u32(poweroff, "value"), 0x5555u);
  EXPECT_EQ(r.prop_u32(poweroff, "offset"), 0u);
  EXPECT_EQ(r.find_by_phandle(*r.prop_u32(poweroff, "regmap")), test);
  auto reboot = *r.find_node("/reboot");
  EXPECT_EQ(r.prop_string(reboot, "compatible"), "syscon-reboot");
  EXPECT_EQ(r.prop_u32(reboot, "value"), 0x7777u);
  EXPECT_EQ(r.find_by_phandle(*r.prop_u32(reboot, "regmap")), test);

  // QEMU's /soc order: the nodes it creates last come first; the 8 virtio-mmio slots (board
  // devices, empty or not) sit after the test device, before the PLIC and CLINT.
  std::vector<std::string> soc_nodes;
  for (auto n : r.children(soc)) soc_nodes.emplace_back(r.node_name(n));
  EXPECT_EQ(soc_nodes, (std::vector<std::string>{
                           "rtc@101000", "serial@10000000", "test@100000", "virtio_mmio@10008000",
                           "virtio_mmio@10007000", "virtio_mmio@10006000", "virtio_mmio@10005000",
                           "virtio_mmio@10004000", "virtio_mmio@10003000", "virtio_mmio@10002000",
                           "virtio_mmio@10001000", "plic@c000000", "clint@2000000"}));
}

TEST(VirtFdt, FourHartsGetPerHartInterruptWiring) {
  VirtFdtConfig c;
  c.harts = 4;
  c.boot_hart = 2;
  FdtReader r = parse(c);
  EXPECT_EQ(r.boot_cpuid_phys(), 2u);
  std::vector<uint32_t> intc(4), plic_expect, clint_expect;
  for (unsigned i = 0; i < 4; ++i) {
    auto cpu = r.find_node("/cpus/cpu@" + std::to_string(i));
    ASSERT_TRUE(cpu);
    EXPECT_EQ(r.prop_u32(*cpu, "reg"), i);
    intc[i] = *r.prop_u32(*r.find_child(*cpu, "interrupt-controller"), "phandle");
    // cpu-map core i refers to cpu i.
    auto core = r.find_node("/cpus/cpu-map/cluster0/core" + std::to_string(i));
    ASSERT_TRUE(core);
    EXPECT_EQ(r.find_by_phandle(*r.prop_u32(*core, "cpu")), cpu);
    plic_expect.insert(plic_expect.end(), {intc[i], 11, intc[i], 9});
    clint_expect.insert(clint_expect.end(), {intc[i], 3, intc[i], 7});
  }
  // QEMU numbers phandles from the last hart down.
  EXPECT_EQ(*r.prop_u32(*r.find_node("/cpus/cpu@3"), "phandle"), 1u);
  EXPECT_EQ(intc[0], 8u);
  EXPECT_EQ(r.prop_cells(*r.find_node("/soc/plic"), "interrupts-extended"), plic_expect);
  EXPECT_EQ(r.prop_cells(*r.find_node("/soc/clint"), "interrupts-extended"), clint_expect);
  EXPECT_EQ(r.prop_u32(*r.find_node("/soc/plic"), "phandle"), 9u);
}

// Without devices the tree has none of their nodes: every device node comes from a device.
TEST(VirtFdt, OptionalPartsFollowTheConfig) {
  VirtFdtConfig c;
  c.mmu_type = "";
  c.ram_base = 0x100000000;
  c.ram_size = 0x180000000;
  c.virtio_mmio_slots = 2;
  c.initrd = std::pair<uint64_t, uint64_t>{0x184000000, 0x185000000};
  c.rng_seed = {1, 2, 3, 4};
  FdtReader r = parse_bare(c);
  EXPECT_FALSE(r.find_node("/soc/serial"));
  EXPECT_FALSE(r.find_node("/soc/rtc"));
  EXPECT_FALSE(r.find_node("/soc/test"));
  EXPECT_FALSE(r.find_node("/poweroff"));
  EXPECT_FALSE(r.find_node("/soc/plic"));
  EXPECT_FALSE(r.find_node("/soc/clint"));
  auto chosen = *r.find_node("/chosen");
  EXPECT_FALSE(r.property(chosen, "stdout-path"));
  EXPECT_FALSE(r.property(chosen, "bootargs"));
  EXPECT_EQ(r.prop_u64(chosen, "linux,initrd-start"), 0x184000000u);
  EXPECT_EQ(r.prop_u64(chosen, "linux,initrd-end"), 0x185000000u);
  EXPECT_EQ(r.property(chosen, "rng-seed")->size(), 4u);
  EXPECT_EQ(r.prop_string(*r.find_node("/cpus/cpu@0"), "mmu-type"), "riscv,none");
  auto mem = r.find_node("/memory@100000000");
  ASSERT_TRUE(mem);
  EXPECT_EQ(r.prop_cells(*mem, "reg"), (std::vector<uint32_t>{1, 0, 1, 0x80000000}));
  // Virtio slots exist, listed from the highest address down as QEMU does, with no interrupt
  // properties since there is no PLIC.
  auto soc = *r.find_node("/soc");
  ASSERT_EQ(r.children(soc).size(), 2u);
  EXPECT_EQ(r.node_name(r.children(soc)[0]), "virtio_mmio@10002000");
  EXPECT_EQ(r.node_name(r.children(soc)[1]), "virtio_mmio@10001000");
  EXPECT_FALSE(r.property(r.children(soc)[0], "interrupts"));
}

// The slots are the board's virtio-mmio devices, which write their own nodes.
TEST(VirtFdt, VirtioSlotsUsePlicIrqs) {
  VirtFdtConfig c;
  FdtReader r = parse(c);
  for (unsigned n = 0; n < 8; ++n) {
    char path[64];
    std::snprintf(path, sizeof path, "/soc/virtio_mmio@%x", 0x10001000 + n * 0x1000);
    auto v = r.find_node(path);
    ASSERT_TRUE(v) << path;
    EXPECT_EQ(r.prop_string(*v, "compatible"), "virtio,mmio");
    EXPECT_EQ(r.prop_u32(*v, "interrupts"), 1 + n);
    EXPECT_EQ(r.prop_cells(*v, "reg"),
              (std::vector<uint32_t>{0, 0x10001000 + n * 0x1000, 0, 0x1000}));
  }
  // The slots sit where QEMU puts them: after the test device, before the PLIC and CLINT.
  std::vector<std::string> soc_nodes;
  for (auto n : r.children(*r.find_node("/soc"))) soc_nodes.emplace_back(r.node_name(n));
  ASSERT_EQ(soc_nodes.size(), 13u);
  EXPECT_EQ(soc_nodes[2], "test@100000");
  EXPECT_EQ(soc_nodes[3], "virtio_mmio@10008000");
  EXPECT_EQ(soc_nodes[10], "virtio_mmio@10001000");
  EXPECT_EQ(soc_nodes[11], "plic@c000000");
  EXPECT_EQ(soc_nodes[12], "clint@2000000");
}

TEST(VirtFdt, DtcAcceptsTheTree) {
  GLASSVM_REQUIRE(test::have_tool("dtc"), "dtc not on PATH (apt-get install device-tree-compiler)");
  VirtFdtConfig c;
  c.harts = 2;
  c.bootargs = "console=ttyS0 root=/dev/vda";
  BoardDevices devices(c.harts);
  c.devices = devices.list();
  const std::vector<uint8_t> blob = build_virt_fdt(c);
  const std::string base = ::testing::TempDir() + "glassvm_virt_fdt_" + std::to_string(getpid());
  const std::string in = base + ".dtb", out = base + ".dts", err = base + ".err";
  {
    std::ofstream f(in, std::ios::binary);
    f.write(reinterpret_cast<const char*>(blob.data()), static_cast<std::streamsize>(blob.size()));
  }
  // Without -q: dtc's semantic checks (phandle references, #cells, unit addresses vs reg)
  // print warnings; our tree must produce none. interrupt_provider is off because QEMU 7.2's
  // riscv,cpu-intc nodes have no #address-cells either, and we match QEMU 7.2.
  const std::string cmd =
      "dtc -W no-interrupt_provider -I dtb -O dts -o '" + out + "' '" + in + "' 2>'" + err + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto slurp = [](const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  const std::string dts = slurp(out), warnings = slurp(err);
  std::remove(in.c_str());
  std::remove(out.c_str());
  std::remove(err.c_str());
  EXPECT_EQ(warnings, "");
  for (const char* expected :
       {"cpu@0 {", "cpu@1 {", "riscv,cpu-intc", "memory@80000000 {", "plic@c000000 {",
        "clint@2000000 {", "serial@10000000 {", "rtc@101000 {", "test@100000 {",
        "virtio_mmio@10008000 {", "poweroff {", "reboot {",
        "stdout-path = \"/soc/serial@10000000\";", "bootargs = \"console=ttyS0 root=/dev/vda\";",
        "compatible = \"sifive,test1\\0sifive,test0\\0syscon\";"}) {
    EXPECT_NE(dts.find(expected), std::string::npos) << "missing: " << expected << "\n" << dts;
  }
}

TEST(VirtFdt, IsaPropertiesSplitTheIsaString) {
  IsaProperties p = isa_properties("rv64imafdc_zicsr_zifencei_zicntr_sstc");
  EXPECT_EQ(p.base, "rv64i");
  EXPECT_EQ(p.extensions, (std::vector<std::string>{"i", "m", "a", "f", "d", "c", "zicsr",
                                                    "zifencei", "zicntr", "sstc"}));
  p = isa_properties("rv32gc");
  EXPECT_EQ(p.base, "rv32i");
  EXPECT_EQ(p.extensions,
            (std::vector<std::string>{"i", "m", "a", "f", "d", "zicsr", "zifencei", "c"}));
  EXPECT_EQ(isa_properties("rv64").base, "");  // no base letter: not understood
  EXPECT_EQ(isa_properties("x86").base, "");
  EXPECT_EQ(isa_properties("rv64e").base, "");  // RV64E is not described this way here
}

}  // namespace
}  // namespace glassvm
