// The RISC-V IOMMU in the virt board (-device riscv-iommu-sys): its device-tree node, the
// `iommus` of the virtio-mmio endpoint behind it, each endpoint's own address space, and a
// virtio-rng's DMA as the guest programs the IOMMU: faulted (ddtp Off), passed through (Bare),
// translated (a 1-level device directory and an Sv39 table). The driver side is the guest's:
// registers and tables written through the system address space as the CPU would.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/board/fdt.h"
#include "engine/board/machine.h"
#include "engine/devices/virtio/mmio.h"
#include "iommu/event_log.h"
#include "iommu/iommu_devices.h"
#include "iommu/riscv_iommu_device.h"
#include "tests/iommu/iommu_board_fixture.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

using namespace riscv_iommu;
using testing::TestHost;

constexpr uint64_t kRam = 0x80000000;
constexpr uint64_t kRegs = kVirtIommuSysBase;
// The first virtio device goes to the last slot (QEMU's rule): slot 7, device id 8.
constexpr uint64_t kRngSlot = 0x10008000;
constexpr uint32_t kRngDeviceId = kFirstDmaDeviceId + 7;

class RiscvIommuBoardTest : public testing::IommuBoardTest {
 protected:
  RiscvIommu& iommu() { return device<RiscvIommuDevice>().iommu(); }

  /// Linux's virtio-mmio probe of the rng, accepting VERSION_1 and ACCESS_PLATFORM; queue 0 of
  /// 8 entries with its rings at the device addresses `desc`, `avail`, `used` (IOVAs when the
  /// IOMMU translates), then DRIVER_OK.
  void init_rng(uint64_t desc, uint64_t avail, uint64_t used) {
    const uint64_t b = kRngSlot;
    ASSERT_EQ(ld(b + VirtioMmio::kDeviceId), 4u);
    st(b + VirtioMmio::kStatus, 0);
    st(b + VirtioMmio::kStatus, 1 | 2);
    st(b + VirtioMmio::kDeviceFeaturesSel, 1);
    // Behind the IOMMU the device asks for IOVAs: VIRTIO_F_ACCESS_PLATFORM (bit 33).
    ASSERT_EQ(ld(b + VirtioMmio::kDeviceFeatures) & 2, 2u);
    st(b + VirtioMmio::kDriverFeaturesSel, 1);
    st(b + VirtioMmio::kDriverFeatures, 1 | 2);
    st(b + VirtioMmio::kDriverFeaturesSel, 0);
    st(b + VirtioMmio::kDriverFeatures, 0);
    st(b + VirtioMmio::kStatus, 1 | 2 | 8);
    ASSERT_EQ(ld(b + VirtioMmio::kStatus) & 8, 8u);
    st(b + VirtioMmio::kQueueSel, 0);
    st(b + VirtioMmio::kQueueNum, 8);
    st(b + VirtioMmio::kQueueDescLow, static_cast<uint32_t>(desc));
    st(b + VirtioMmio::kQueueDescHigh, static_cast<uint32_t>(desc >> 32));
    st(b + VirtioMmio::kQueueDriverLow, static_cast<uint32_t>(avail));
    st(b + VirtioMmio::kQueueDriverHigh, static_cast<uint32_t>(avail >> 32));
    st(b + VirtioMmio::kQueueDeviceLow, static_cast<uint32_t>(used));
    st(b + VirtioMmio::kQueueDeviceHigh, static_cast<uint32_t>(used >> 32));
    st(b + VirtioMmio::kQueueReady, 1);
    st(b + VirtioMmio::kStatus, 1 | 2 | 8 | 4);
  }
  /// Puts one device-writable buffer of `len` bytes at device address `buf` in the ring whose
  /// descriptor table and avail ring are at physical `desc_pa` and `avail_pa`, and kicks.
  void request(uint64_t desc_pa, uint64_t avail_pa, uint64_t buf, uint32_t len) {
    st(desc_pa, buf, 8);
    st(desc_pa + 8, len);
    st(desc_pa + 12, 2, 2);  // VIRTQ_DESC_F_WRITE
    st(desc_pa + 14, 0, 2);
    st(avail_pa + 4, 0, 2);  // ring[0] = descriptor 0
    st(avail_pa + 2, 1, 2);  // idx
    st(kRngSlot + VirtioMmio::kQueueNotify, 0);
  }
  bool needs_reset() { return (ld(kRngSlot + VirtioMmio::kStatus) & 0x40) != 0; }
};

TEST_F(RiscvIommuBoardTest, TheDeviceTreeNamesTheIommuOnTheEndpoint) {
  build({"virtio-rng-device", "riscv-iommu-sys"});
  FdtReader r;
  ASSERT_TRUE(r.parse(m->fdt())) << r.error();
  auto iommu_node = r.find_node("/soc/iommu@3010000");
  ASSERT_TRUE(iommu_node);
  EXPECT_EQ(r.prop_u32(*iommu_node, "#iommu-cells"), 1u);
  auto phandle = r.prop_u32(*iommu_node, "phandle");
  ASSERT_TRUE(phandle);
  EXPECT_NE(*phandle, 0u);
  ASSERT_NE(m->iommu(), nullptr);
  EXPECT_EQ(m->iommu()->fdt_phandle(), *phandle);
  EXPECT_EQ(r.prop_u32(*iommu_node, "interrupts"), kVirtIommuSysIrq);
  auto plic = r.find_node("/soc/plic@c000000");
  ASSERT_TRUE(plic);
  EXPECT_EQ(r.prop_u32(*iommu_node, "interrupt-parent"), r.prop_u32(*plic, "phandle"));

  auto rng = r.find_node("/soc/virtio_mmio@10008000");
  ASSERT_TRUE(rng);
  EXPECT_EQ(r.prop_cells(*rng, "iommus"), (std::vector<uint32_t>{*phandle, kRngDeviceId}));
  EXPECT_EQ(r.prop_u32(*rng, "interrupts"), 8u);
  // An empty slot does no DMA and names no IOMMU.
  auto empty = r.find_node("/soc/virtio_mmio@10001000");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(r.prop_cells(*empty, "iommus"));

  // The endpoint's own address space, rooted at the IOMMU region, appears in info mtree.
  ASSERT_EQ(m->iommu()->dma_address_spaces().size(), 1u);
  EXPECT_EQ(m->iommu()->dma_address_spaces()[0]->root(), &iommu());
  const std::string mtree = m->info_mtree(true);
  EXPECT_NE(mtree.find("address-space: virtio-mmio@10008000 (behind riscv-iommu)\n"
                       "  0000000000000000-ffffffffffffffff (prio 0, iommu): riscv-iommu\n"),
            std::string::npos)
      << mtree;
  EXPECT_NE(mtree.find("0000000003010000-0000000003010fff (prio 0, i/o): riscv-iommu-regs"),
            std::string::npos);
}

TEST_F(RiscvIommuBoardTest, TheOrderOfTheDevicesDoesNotMatter) {
  build({"riscv-iommu", "virtio-rng-device"});
  FdtReader r;
  ASSERT_TRUE(r.parse(m->fdt())) << r.error();
  auto rng = r.find_node("/soc/virtio_mmio@10008000");
  ASSERT_TRUE(rng);
  EXPECT_EQ(r.prop_cells(*rng, "iommus"),
            (std::vector<uint32_t>{m->iommu()->fdt_phandle(), kRngDeviceId}));
}

TEST_F(RiscvIommuBoardTest, WithoutAnIommuNothingChanges) {
  build({"virtio-rng-device"});
  EXPECT_EQ(m->iommu(), nullptr);
  FdtReader r;
  ASSERT_TRUE(r.parse(m->fdt())) << r.error();
  auto rng = r.find_node("/soc/virtio_mmio@10008000");
  ASSERT_TRUE(rng);
  EXPECT_FALSE(r.prop_cells(*rng, "iommus"));
  EXPECT_FALSE(r.find_node("/soc/iommu@3010000"));
  EXPECT_EQ(m->info_mtree(true).find("behind"), std::string::npos);
  // The device offers no ACCESS_PLATFORM: its DMA is to physical addresses.
  st(kRngSlot + VirtioMmio::kDeviceFeaturesSel, 1);
  EXPECT_EQ(ld(kRngSlot + VirtioMmio::kDeviceFeatures) & 2, 0u);
}

TEST_F(RiscvIommuBoardTest, ASecondIommuIsRefused) {
  MachineConfig config;
  config.registry = &registry;
  config.devices = {"riscv-iommu-sys", "riscv-iommu,addr=0x3011000,irq=37"};
  std::string error;
  EXPECT_EQ(Machine::create(config, host, error), nullptr);
  EXPECT_NE(error.find("the board has an IOMMU already"), std::string::npos) << error;
}

TEST_F(RiscvIommuBoardTest, DmaFaultsWhileTheIommuIsOff) {
  build({"virtio-rng-device", "riscv-iommu-sys"});
  const uint64_t desc = kRam + 0x10000, avail = kRam + 0x11000, used = kRam + 0x12000;
  init_rng(desc, avail, used);
  // ddtp is Off after reset: every DMA of the device faults, and the device reports an error.
  EXPECT_EQ(get_field(ld(kRegs + DDTP, 8), DDTP_MODE), kModeOff);
  request(desc, avail, kRam + 0x13000, 16);
  EXPECT_TRUE(needs_reset());
  EXPECT_EQ(ld(used + 2, 2), 0u);
  EXPECT_GT(iommu().stats().faults_dropped + iommu().stats().faults_recorded, 0u);
}

TEST_F(RiscvIommuBoardTest, BareModePassesDmaThrough) {
  build({"virtio-rng-device", "riscv-iommu-sys"});
  st(kRegs + DDTP, kModeBare, 8);
  const uint64_t desc = kRam + 0x10000, avail = kRam + 0x11000, used = kRam + 0x12000;
  const uint64_t buf = kRam + 0x13000;
  init_rng(desc, avail, used);
  request(desc, avail, buf, 16);
  EXPECT_FALSE(needs_reset());
  EXPECT_EQ(ld(used + 2, 2), 1u);
  EXPECT_EQ(ld(used + 8), 16u);  // used[0].len
  EXPECT_NE(ld(buf, 8) | ld(buf + 8, 8), 0u);
}

TEST_F(RiscvIommuBoardTest, AfterAResetTheDeviceIsStillBehindTheIommuAndItIsOffAgain) {
  build({"virtio-rng-device", "riscv-iommu-sys"});
  st(kRegs + DDTP, kModeBare, 8);
  m->reset();
  EXPECT_EQ(get_field(ld(kRegs + DDTP, 8), DDTP_MODE), kModeOff);
  const uint64_t desc = kRam + 0x10000, avail = kRam + 0x11000, used = kRam + 0x12000;
  init_rng(desc, avail, used);  // still offers ACCESS_PLATFORM
  request(desc, avail, kRam + 0x13000, 16);
  EXPECT_TRUE(needs_reset());
  EXPECT_EQ(ld(used + 2, 2), 0u);
}

TEST_F(RiscvIommuBoardTest, A1LevelDirectoryAndAnSv39TableTranslateTheDevicesDma) {
  build({"virtio-rng-device", "riscv-iommu-sys"});
  // Tables in RAM: the directory (one page: device ids 0..127), the device's Sv39 root and
  // its two lower levels.
  const uint64_t ddt = kRam + 0x100000, root = kRam + 0x101000, l1 = kRam + 0x102000,
                 l0 = kRam + 0x103000;
  st(root + ((0x40000000 >> 30) & 511) * 8, ((l1 >> 12) << 10) | PTE_V, 8);
  st(l1 + 0 * 8, ((l0 >> 12) << 10) | PTE_V, 8);
  // IOVA 0x40000000 + n pages -> PA 0x80200000 + n pages (rings and a buffer), user RW, A/D.
  const uint64_t pa = kRam + 0x200000;
  for (uint64_t n = 0; n < 4; ++n)
    st(l0 + n * 8,
       (((pa + n * 0x1000) >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D, 8);
  const uint64_t dc = ddt + kRngDeviceId * 32;
  st(dc, DC_TC_V, 8);
  st(dc + 8, 0, 8);
  st(dc + 16, field(DC_TA_PSCID, 5), 8);
  st(dc + 24, field(ATP_MODE, kSatpSv39) | (root >> 12), 8);
  st(kRegs + DDTP, (ddt >> 2) | kMode1Lvl, 8);

  const uint64_t iova = 0x40000000;
  init_rng(iova, iova + 0x1000, iova + 0x2000);
  request(pa, pa + 0x1000, iova + 0x3000, 32);
  EXPECT_FALSE(needs_reset());
  EXPECT_EQ(ld(pa + 0x2000 + 2, 2), 1u);  // the used ring, at its physical address
  EXPECT_EQ(ld(pa + 0x2000 + 8), 32u);
  EXPECT_NE(ld(pa + 0x3000, 8) | ld(pa + 0x3018, 8), 0u);  // the bytes reached the mapped page
  EXPECT_GT(iommu().stats().page_walks, 0u);
  EXPECT_EQ(iommu().stats().faults_recorded + iommu().stats().faults_dropped, 0u);

  // A buffer at an IOVA the table does not map: the device's DMA faults.
  st(pa + 16, iova + 0x10000, 8);  // descriptor 1
  st(pa + 16 + 8, 16);
  st(pa + 16 + 12, 2, 2);
  st(pa + 0x1000 + 6, 1, 2);  // avail ring[1] = descriptor 1
  st(pa + 0x1000 + 2, 2, 2);
  st(kRngSlot + VirtioMmio::kQueueNotify, 0);
  EXPECT_TRUE(needs_reset());
  EXPECT_GT(iommu().stats().faults_recorded + iommu().stats().faults_dropped, 0u);

  // Turning the IOMMU off drops the cached context and translations: announced as an UNMAP of
  // the device's whole space even though no notifier listens (the event log, --trace-iommu).
  IommuEventLog log(nullptr);
  log.attach(iommu());
  st(kRegs + DDTP, kModeOff, 8);
  const std::vector<IommuEventRecord> records = log.events_since(0).records;
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].requester_id, kRngDeviceId);
  EXPECT_EQ(records[0].type, IommuNotifierFlag::Unmap);
  EXPECT_EQ(records[0].entry.addr_mask, ~uint64_t{0});
  EXPECT_TRUE(records[0].outcomes.empty());
}

}  // namespace
}  // namespace glassvm
