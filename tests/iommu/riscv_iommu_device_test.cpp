// Tests of the RISC-V IOMMU's board device and registry entries (iommu/riscv_iommu_device.h):
// created by name on a FakeBoard, it maps its registers, drives its PLIC source and writes the
// riscv,iommu device-tree node.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/board/fdt.h"
#include "engine/board/virt_fdt.h"
#include "iommu/iommu_devices.h"
#include "iommu/riscv_iommu_device.h"
#include "tests/support/fake_board.h"

namespace glassvm {
namespace {

using namespace riscv_iommu;
using testing::FakeBoard;

class RiscvIommuDeviceTest : public ::testing::Test {
 protected:
  RiscvIommuDeviceTest() {
    register_iommu_devices(registry);
    board.set_interrupt_controller([this](unsigned source) {
      return [this, source](bool level) { plic_inputs[source] = level; };
    });
  }
  ~RiscvIommuDeviceTest() override { board.unmap_all(); }

  /// Creates a device from `-device` text; the fixture owns it, so that it outlives the
  /// board's mapping of its registers (unmapped in the destructor, before the devices go).
  Device* create(const std::string& text, std::string* error_out = nullptr) {
    DeviceSpec spec;
    std::string error;
    if (!registry.parse(text, spec, error)) {
      if (error_out) *error_out = error;
      return nullptr;
    }
    std::unique_ptr<Device> dev = spec.model->create(board, spec.options, error);
    if (error_out) *error_out = error;
    if (!dev) return nullptr;
    devices.push_back(std::move(dev));
    return devices.back().get();
  }
  uint64_t load(uint64_t addr, unsigned size = 4) {
    uint64_t value = 0;
    EXPECT_EQ(board.system_as().load(addr, size, value), MemTxResult::Ok);
    return value;
  }
  void store(uint64_t addr, uint64_t value, unsigned size = 4) {
    EXPECT_EQ(board.system_as().store(addr, size, value), MemTxResult::Ok);
  }

  DeviceRegistry registry;
  FakeBoard board;
  std::map<unsigned, bool> plic_inputs;
  std::vector<std::unique_ptr<Device>> devices;
};

TEST_F(RiscvIommuDeviceTest, RegistersBothNames) {
  ASSERT_NE(registry.find("riscv-iommu-sys"), nullptr);
  ASSERT_NE(registry.find("riscv-iommu"), nullptr);
  EXPECT_EQ(registry.find("riscv-iommu-sys")->mmio_size, kRegBlockSize);
  std::string error;
  EXPECT_EQ(create("riscv-iommu,addr=0x3010800", &error), nullptr);
  EXPECT_NE(error.find("multiple of 0x1000"), std::string::npos) << error;
}

TEST_F(RiscvIommuDeviceTest, MapsItsRegistersAndRaisesItsPlicSource) {
  auto dev = create("riscv-iommu");
  ASSERT_NE(dev, nullptr);
  EXPECT_EQ(load(kVirtIommuSysBase + CAPABILITIES) & CAP_VERSION, CAP_VERSION_1_0);
  // A fault queue at 0 (nothing mapped there on this board: fqmf) with interrupts: a DMA while
  // ddtp is Off raises fip on vector 0, which reaches source 36.
  store(kVirtIommuSysBase + FQCSR, QCSR_EN | QCSR_IE);
  auto& iommu = static_cast<RiscvIommuDevice&>(*dev).iommu();
  AddressSpace dma("dma", &iommu);
  uint64_t v = 0;
  EXPECT_EQ(dma.load(0x1000, 4, v), MemTxResult::IommuFault);
  EXPECT_TRUE(load(kVirtIommuSysBase + FQCSR) & QCSR_MF);
  EXPECT_TRUE(plic_inputs[kVirtIommuSysIrq]);
  // Routed to vector 3 it still reaches the same source; cleared, the line drops.
  store(kVirtIommuSysBase + ICVEC, field(ICVEC_FIV, 3));
  EXPECT_TRUE(plic_inputs[kVirtIommuSysIrq]);
  store(kVirtIommuSysBase + IPSR, IPSR_FIP);
  EXPECT_FALSE(plic_inputs[kVirtIommuSysIrq]);
  dev->reset();
  EXPECT_EQ(load(kVirtIommuSysBase + FQCSR), 0u);
}

TEST_F(RiscvIommuDeviceTest, WritesTheRiscvIommuNode) {
  auto dev = create("riscv-iommu-sys,irq=40");
  ASSERT_NE(dev, nullptr);
  FdtBuilder b;
  b.begin_node("");
  dev->fdt_alloc_phandles(b);
  VirtFdtContext ctx;
  ctx.interrupt_parent = 9;
  dev->fdt_soc_nodes(b, ctx);
  b.end_node();
  std::vector<uint8_t> blob = b.finish();
  FdtReader r;
  ASSERT_TRUE(r.parse(blob)) << r.error();
  auto node = r.find_node("/iommu@3010000");
  ASSERT_TRUE(node);
  EXPECT_EQ(r.prop_u32(*node, "#iommu-cells"), 1u);
  EXPECT_EQ(r.prop_u32(*node, "phandle"), static_cast<RiscvIommuDevice&>(*dev).phandle());
  EXPECT_NE(static_cast<RiscvIommuDevice&>(*dev).phandle(), 0u);
  auto compatible = r.prop_strings(*node, "compatible");
  ASSERT_TRUE(compatible);
  EXPECT_EQ(compatible->back(), "riscv,iommu");
  EXPECT_EQ(r.prop_cells(*node, "reg"), (std::vector<uint32_t>{0, 0x3010000, 0, 0x1000}));
  EXPECT_EQ(r.prop_u32(*node, "interrupts"), 40u);
  EXPECT_EQ(r.prop_u32(*node, "interrupt-parent"), 9u);
}

}  // namespace
}  // namespace glassvm
