// edu-dma, the teaching DMA device, on the virt board: its registers as a driver sees them,
// copies with no IOMMU and behind the RISC-V IOMMU (translated, remapped, faulted), the exact
// faulting IOVA, the interrupt line, the ATS path (ATC hits, misses, ATS.INVAL) and whatever
// nonsense a guest may write. The driver side is the guest's: registers and tables written
// through the system address space as the CPU would.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "assets/teach/edu_dma.h"
#include "engine/board/fdt.h"
#include "engine/board/machine.h"
#include "iommu/edu_dma_device.h"
#include "iommu/iommu_devices.h"
#include "iommu/riscv_iommu_device.h"
#include "tests/engine/memory/page_iommu.h"
#include "tests/iommu/iommu_board_fixture.h"
#include "tests/support/fake_board.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

using namespace riscv_iommu;
using testing::TestHost;

constexpr uint64_t kRam = 0x80000000;
constexpr uint64_t kRamEnd = kRam + (128ull << 20);
constexpr uint64_t kEdu = kEduDmaBase;
constexpr uint64_t kIommu = kVirtIommuSysBase;
// The eight virtio-mmio slots are the board's first DMA masters (ids 1..8); edu-dma comes next.
constexpr uint32_t kEduDeviceId = kFirstDmaDeviceId + 8;

// The guest's IOMMU tables and queues, and the IOVA window the tests map.
constexpr uint64_t kDdt = kRam + 0x100000, kRoot = kRam + 0x101000, kL1 = kRam + 0x102000,
                   kL0 = kRam + 0x103000, kFq = kRam + 0x104000, kCq = kRam + 0x105000;
constexpr uint64_t kIova = 0x40000000;
constexpr uint64_t kPages = kRam + 0x200000;  ///< page n of the window maps here + n pages
constexpr uint64_t kLeaf = PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;

class EduDmaTest : public testing::IommuBoardTest {
 protected:
  EduDmaDevice& edu() { return device<EduDmaDevice>(); }
  RiscvIommu& iommu() { return device<RiscvIommuDevice>().iommu(); }

  uint32_t reg(uint64_t offset) { return static_cast<uint32_t>(ld(kEdu + offset)); }
  void set_reg(uint64_t offset, uint32_t v) { st(kEdu + offset, v); }
  uint64_t fault_addr() {
    return reg(EDU_DMA_FAULT_ADDR_LO) | uint64_t{reg(EDU_DMA_FAULT_ADDR_HI)} << 32;
  }

  /// Programs a copy of `len` bytes from `src` to `dst` and starts it with `cmd`.
  void copy(uint64_t src, uint64_t dst, uint32_t len, uint32_t cmd = EDU_DMA_CMD_START) {
    set_reg(EDU_DMA_SRC_LO, static_cast<uint32_t>(src));
    set_reg(EDU_DMA_SRC_HI, static_cast<uint32_t>(src >> 32));
    set_reg(EDU_DMA_DST_LO, static_cast<uint32_t>(dst));
    set_reg(EDU_DMA_DST_HI, static_cast<uint32_t>(dst >> 32));
    set_reg(EDU_DMA_LEN, len);
    set_reg(EDU_DMA_CMD, cmd);
  }
  /// Fills [addr, addr + len) with bytes derived from `seed`.
  void fill(uint64_t addr, uint64_t len, uint8_t seed) {
    for (uint64_t i = 0; i < len; ++i) st(addr + i, static_cast<uint8_t>(seed + i * 7), 1);
  }
  /// Whether [addr, addr + len) holds what fill(…, seed) put in the source.
  bool holds(uint64_t addr, uint64_t len, uint8_t seed) {
    for (uint64_t i = 0; i < len; ++i)
      if (ld(addr + i, 1) != static_cast<uint8_t>(seed + i * 7)) return false;
    return true;
  }

  /// The guest's side of the IOMMU: a fault queue and a command queue of 16 entries, a 1-level
  /// directory whose context for edu-dma points at an Sv39 table mapping the first `pages`
  /// pages of kIova to kPages (EN_ATS with `ats`), then the directory enabled.
  void setup_iommu(bool ats, unsigned pages = 8) {
    st(kIommu + FQB, field(QB_LOG2SZ_1, 3) | field(QB_PPN, kFq >> 12), 8);
    st(kIommu + FQCSR, QCSR_EN);
    ASSERT_EQ(ld(kIommu + FQCSR) & QCSR_ON, QCSR_ON);
    st(kIommu + CQB, field(QB_LOG2SZ_1, 3) | field(QB_PPN, kCq >> 12), 8);
    st(kIommu + CQCSR, QCSR_EN);
    ASSERT_EQ(ld(kIommu + CQCSR) & QCSR_ON, QCSR_ON);
    st(kRoot + ((kIova >> 30) & 511) * 8, ((kL1 >> 12) << 10) | PTE_V, 8);
    st(kL1 + ((kIova >> 21) & 511) * 8, ((kL0 >> 12) << 10) | PTE_V, 8);
    for (unsigned n = 0; n < pages; ++n) map(n, kPages + n * 0x1000, kLeaf);
    const uint64_t dc = kDdt + kEduDeviceId * kDcSize;
    st(dc, DC_TC_V | (ats ? DC_TC_EN_ATS : 0), 8);
    st(dc + 8, 0, 8);
    st(dc + 16, field(DC_TA_PSCID, 1), 8);
    st(dc + 24, field(ATP_MODE, kSatpSv39) | (kRoot >> 12), 8);
    st(kIommu + DDTP, field(DDTP_PPN, kDdt >> 12) | kMode1Lvl, 8);
  }
  /// Points page `n` of the window at `pa` with `flags` (0: unmapped).
  void map(unsigned n, uint64_t pa, uint64_t flags) {
    st(kL0 + (((kIova >> 12) + n) & 511) * 8, flags ? ((pa >> 12) << 10) | flags : 0, 8);
  }
  /// Queues one command and lets the IOMMU run it.
  void command(uint64_t d0, uint64_t d1) {
    const uint32_t tail = static_cast<uint32_t>(ld(kIommu + CQT));
    st(kCq + tail * kCommandSize, d0, 8);
    st(kCq + tail * kCommandSize + 8, d1, 8);
    st(kIommu + CQT, (tail + 1) & 15);
    ASSERT_EQ(ld(kIommu + CQH), (tail + 1) & 15u) << "the IOMMU did not run the command";
    ASSERT_EQ(ld(kIommu + CQCSR) & CQCSR_CMD_ILL, 0u);
  }
  /// IOTINVAL.VMA of page `n` of the window, then IOFENCE.C.
  void iotinval(unsigned n) {
    command(field(CMD_OPCODE, OP_IOTINVAL) | field(CMD_FUNC3, FUNC_IOTINVAL_VMA) | IOTINVAL_AV,
            field(IOTINVAL_ADDR, (kIova >> 12) + n));
    command(field(CMD_OPCODE, OP_IOFENCE) | field(CMD_FUNC3, FUNC_IOFENCE_C), 0);
  }
  /// ATS.INVAL of page `n` of the window, aimed at edu-dma's ATC.
  void ats_inval(unsigned n) {
    command(
        field(CMD_OPCODE, OP_ATS) | field(CMD_FUNC3, FUNC_ATS_INVAL) | field(ATS_RID, kEduDeviceId),
        kIova + n * 0x1000);
  }
  /// The fault records the IOMMU wrote since the queue was enabled (d0 and iotval each).
  std::vector<std::pair<uint64_t, uint64_t>> faults() {
    std::vector<std::pair<uint64_t, uint64_t>> out;
    const uint32_t tail = static_cast<uint32_t>(ld(kIommu + FQT));
    for (uint32_t i = 0; i < tail; ++i)
      out.emplace_back(ld(kFq + i * kFaultRecordSize, 8), ld(kFq + i * kFaultRecordSize + 16, 8));
    return out;
  }
};

TEST_F(EduDmaTest, TheRegistersReadAsTheHeaderSays) {
  build({"edu-dma"});
  EXPECT_EQ(reg(EDU_DMA_ID), EDU_DMA_ID_VALUE);
  EXPECT_EQ(reg(EDU_DMA_FEATURES), 0u);
  for (uint64_t off = EDU_DMA_SRC_LO; off <= EDU_DMA_ATC_INVALS; off += 4)
    EXPECT_EQ(reg(off), 0u) << std::hex << off;
  set_reg(EDU_DMA_SRC_HI, 0x12345678);
  set_reg(EDU_DMA_DST_LO, 0x9abcdef0);
  set_reg(EDU_DMA_LEN, 0x40);
  EXPECT_EQ(reg(EDU_DMA_SRC_HI), 0x12345678u);
  EXPECT_EQ(reg(EDU_DMA_DST_LO), 0x9abcdef0u);
  EXPECT_EQ(reg(EDU_DMA_LEN), 0x40u);
  // Without ats=on the ATC cannot be enabled.
  set_reg(EDU_DMA_ATS_CTRL, EDU_DMA_ATS_ENABLE);
  EXPECT_EQ(reg(EDU_DMA_ATS_CTRL), 0u);
  // A reset clears them.
  m->reset();
  EXPECT_EQ(reg(EDU_DMA_SRC_HI), 0u);
  EXPECT_EQ(reg(EDU_DMA_LEN), 0u);
  EXPECT_EQ(reg(EDU_DMA_ID), EDU_DMA_ID_VALUE);
}

TEST_F(EduDmaTest, AtsOnIsAFeatureTheGuestCanSee) {
  build({"edu-dma,ats=on"});
  EXPECT_EQ(reg(EDU_DMA_FEATURES), EDU_DMA_FEATURE_ATS);
  set_reg(EDU_DMA_ATS_CTRL, 0xffffffff);
  EXPECT_EQ(reg(EDU_DMA_ATS_CTRL), EDU_DMA_ATS_ENABLE);
}

TEST_F(EduDmaTest, OptionsAreChecked) {
  MachineConfig config;
  config.registry = &registry;
  std::string error;
  config.devices = {"edu-dma,ats=maybe"};
  EXPECT_EQ(Machine::create(config, host, error), nullptr);
  EXPECT_NE(error.find("expected on or off"), std::string::npos) << error;
  config.devices = {"edu-dma,addr=0x4000800"};
  EXPECT_EQ(Machine::create(config, host, error), nullptr);
  EXPECT_NE(error.find("multiple of 0x1000"), std::string::npos) << error;
}

TEST_F(EduDmaTest, WithoutAnIommuItCopiesPhysicalMemory) {
  build({"edu-dma"});
  EXPECT_EQ(&edu().dma_address_space(), &m->system_as());
  const uint64_t src = kRam + 0x300123, dst = kRam + 0x310456;
  const uint32_t len = 0x2345;  // unaligned, across pages on both sides
  fill(src, len, 3);
  copy(src, dst, len);
  EXPECT_EQ(reg(EDU_DMA_STATUS), EDU_DMA_STATUS_DONE);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_NONE);
  EXPECT_TRUE(holds(dst, len, 3));
  EXPECT_EQ(ld(dst + len, 1), 0u);  // not one byte more
  EXPECT_FALSE(edu().irq_level());  // no EDU_DMA_CMD_IRQ asked

  // The device tree names it, without iommus; info mtree shows no address space of its own.
  FdtReader r;
  ASSERT_TRUE(r.parse(m->fdt())) << r.error();
  auto node = r.find_node("/soc/dma@4000000");
  ASSERT_TRUE(node);
  EXPECT_EQ(r.prop_u32(*node, "interrupts"), kEduDmaIrq);
  EXPECT_FALSE(r.prop_cells(*node, "iommus"));
  EXPECT_EQ(m->info_mtree(true).find("address-space: edu-dma"), std::string::npos);
}

TEST_F(EduDmaTest, AnUnmappedAddressIsAReadOrWriteErrorAtTheFirstFailingByte) {
  build({"edu-dma"});
  // The source runs off the end of RAM: nothing is written.
  fill(kRamEnd - 0x800, 0x800, 1);
  copy(kRamEnd - 0x800, kRam + 0x300000, 0x1000);
  EXPECT_EQ(reg(EDU_DMA_STATUS), EDU_DMA_STATUS_ERROR);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_READ);
  EXPECT_EQ(fault_addr(), kRamEnd);
  EXPECT_EQ(ld(kRam + 0x300000, 8), 0u);
  // The destination does: the part in RAM is written.
  copy(kRamEnd - 0x800, kRamEnd - 0x400, 0x800);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_WRITE);
  EXPECT_EQ(fault_addr(), kRamEnd);
  EXPECT_TRUE(holds(kRamEnd - 0x400, 0x400, 1));
  // A good copy afterwards clears the error.
  copy(kRam + 0x300000, kRam + 0x301000, 16);
  EXPECT_EQ(reg(EDU_DMA_STATUS), EDU_DMA_STATUS_DONE);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_NONE);
  EXPECT_EQ(fault_addr(), 0u);
}

TEST_F(EduDmaTest, TheInterruptFollowsDoneAndErrorWhenAsked) {
  build({"edu-dma"});
  const uint64_t pending = 0xc001000 + (kEduDmaIrq / 32) * 4;  // PLIC pending word
  const uint32_t bit = 1u << (kEduDmaIrq % 32);
  copy(kRam + 0x300000, kRam + 0x301000, 64, EDU_DMA_CMD_START | EDU_DMA_CMD_IRQ);
  EXPECT_TRUE(edu().irq_level());
  EXPECT_EQ(ld(pending) & bit, bit);
  set_reg(EDU_DMA_STATUS, EDU_DMA_STATUS_ERROR);  // the wrong bit: still high
  EXPECT_TRUE(edu().irq_level());
  set_reg(EDU_DMA_STATUS, EDU_DMA_STATUS_DONE);
  EXPECT_FALSE(edu().irq_level());
  EXPECT_EQ(reg(EDU_DMA_STATUS), 0u);
  // A failed copy raises it too; a copy without CMD_IRQ does not.
  copy(kRam, kRam + 0x1000, 0, EDU_DMA_CMD_START | EDU_DMA_CMD_IRQ);
  EXPECT_TRUE(edu().irq_level());
  copy(kRam + 0x300000, kRam + 0x301000, 64);
  EXPECT_FALSE(edu().irq_level());
  EXPECT_EQ(reg(EDU_DMA_STATUS), EDU_DMA_STATUS_DONE);
  // CMD without START does nothing.
  set_reg(EDU_DMA_CMD, EDU_DMA_CMD_IRQ);
  EXPECT_FALSE(edu().irq_level());
  EXPECT_EQ(reg(EDU_DMA_CMD), 0u);
  // Reset lowers it.
  copy(kRam + 0x300000, kRam + 0x301000, 64, EDU_DMA_CMD_START | EDU_DMA_CMD_IRQ);
  EXPECT_TRUE(edu().irq_level());
  m->reset();
  EXPECT_FALSE(edu().irq_level());
}

TEST_F(EduDmaTest, GuestNonsenseEndsInAnErrorStateNeverACrash) {
  build({"edu-dma"});
  // LEN 0 and LEN above the bound: nothing copied.
  fill(kRam + 0x300000, 16, 9);
  copy(kRam + 0x300000, kRam + 0x310000, 0);
  EXPECT_EQ(reg(EDU_DMA_STATUS), EDU_DMA_STATUS_ERROR);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_LEN);
  copy(kRam + 0x300000, kRam + 0x310000, EDU_DMA_MAX_LEN + 1);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_LEN);
  copy(kRam + 0x300000, kRam + 0x310000, 0xffffffff);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_LEN);
  EXPECT_EQ(ld(kRam + 0x310000, 8), 0u);
  // The largest copy is fine.
  copy(kRam + 0x300000, kRam + 0x400000, EDU_DMA_MAX_LEN);
  EXPECT_EQ(reg(EDU_DMA_STATUS), EDU_DMA_STATUS_DONE);
  // Ranges that wrap past 2^64.
  copy(0xfffffffffffff800, kRam + 0x310000, 0x1000);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_RANGE);
  EXPECT_EQ(fault_addr(), 0xfffffffffffff800u);
  copy(kRam + 0x300000, 0xffffffffffffffff, 2);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_RANGE);
  EXPECT_EQ(fault_addr(), 0xffffffffffffffffu);
  // The last byte of the space is not a wrap, just nothing there.
  copy(0xffffffffffffffff, kRam + 0x310000, 1);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_READ);
  EXPECT_EQ(fault_addr(), 0xffffffffffffffffu);
  // DMA into its own registers: refused by the re-entrancy guard, an error, not a recursion.
  copy(kRam + 0x300000, kEdu + EDU_DMA_CMD, 4);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_WRITE);
  EXPECT_EQ(fault_addr(), kEdu + EDU_DMA_CMD);
  // Read-only registers ignore writes; so does the unused rest of the block.
  for (uint64_t off :
       {EDU_DMA_ID, EDU_DMA_FEATURES, EDU_DMA_ERROR, EDU_DMA_FAULT_ADDR_LO, EDU_DMA_FAULT_ADDR_HI,
        EDU_DMA_ATC_HITS, EDU_DMA_ATC_MISSES, EDU_DMA_ATC_INVALS, 0x40, 0xffc}) {
    const uint32_t before = reg(off);
    set_reg(off, 0xdeadbeef);
    EXPECT_EQ(reg(off), before) << std::hex << off;
  }
  // BUSY cannot be set by the guest.
  set_reg(EDU_DMA_STATUS, EDU_DMA_STATUS_BUSY);
  EXPECT_EQ(reg(EDU_DMA_STATUS) & EDU_DMA_STATUS_BUSY, 0u);
  // Accesses other than aligned 32-bit ones are refused by the bus.
  uint64_t v = 0;
  EXPECT_NE(m->system_as().load(kEdu + EDU_DMA_ID, 1, v), MemTxResult::Ok);
  EXPECT_NE(m->system_as().load(kEdu + EDU_DMA_ID, 8, v), MemTxResult::Ok);
  EXPECT_NE(m->system_as().load(kEdu + 2, 4, v), MemTxResult::Ok);
  EXPECT_NE(m->system_as().store(kEdu + EDU_DMA_CMD, 2, EDU_DMA_CMD_START), MemTxResult::Ok);
}

TEST_F(EduDmaTest, BehindTheRiscvIommuItHasItsOwnAddressSpaceAndNode) {
  build({"riscv-iommu-sys", "edu-dma"});
  FdtReader r;
  ASSERT_TRUE(r.parse(m->fdt())) << r.error();
  auto node = r.find_node("/soc/dma@4000000");
  ASSERT_TRUE(node);
  EXPECT_EQ(r.prop_cells(*node, "iommus"),
            (std::vector<uint32_t>{m->iommu()->fdt_phandle(), kEduDeviceId}));
  auto compatible = r.prop_string(*node, "compatible");
  ASSERT_TRUE(compatible);
  EXPECT_EQ(*compatible, "glassvm,edu-dma");
  EXPECT_EQ(edu().dma_address_space().root(), &iommu());
  const std::string mtree = m->info_mtree(true);
  EXPECT_NE(mtree.find("address-space: edu-dma@4000000 (behind riscv-iommu)\n"
                       "  0000000000000000-ffffffffffffffff (prio 0, iommu): riscv-iommu\n"),
            std::string::npos)
      << mtree;
  EXPECT_NE(mtree.find("0000000004000000-0000000004000fff (prio 0, i/o): edu-dma"),
            std::string::npos)
      << mtree;
}

TEST_F(EduDmaTest, ItCopiesThroughTheMappingSeesARemapAfterIotinvalAndFaultsWhenUnmapped) {
  build({"riscv-iommu-sys", "edu-dma"});
  setup_iommu(false);
  // Page 0 of the window is the source, pages 1-2 the destination.
  fill(kPages, 0x1000, 5);
  copy(kIova + 0x10, kIova + 0x1800, 0x1000 - 0x10);
  ASSERT_EQ(reg(EDU_DMA_STATUS), EDU_DMA_STATUS_DONE) << reg(EDU_DMA_ERROR);
  for (uint64_t i = 0; i < 0x1000 - 0x10; ++i)
    ASSERT_EQ(ld(kPages + 0x1800 + i, 1), static_cast<uint8_t>(5 + (i + 0x10) * 7)) << i;

  // Page 0 now points at another physical page: after IOTINVAL.VMA the device reads it.
  const uint64_t other = kRam + 0x380000;
  fill(other, 0x1000, 77);
  map(0, other, kLeaf);
  iotinval(0);
  copy(kIova, kIova + 0x3000, 0x100);
  ASSERT_EQ(reg(EDU_DMA_STATUS), EDU_DMA_STATUS_DONE);
  EXPECT_TRUE(holds(kPages + 0x3000, 0x100, 77));

  // Page 5 unmapped: a copy over pages 4-6 fails at the exact IOVA of page 5, and the IOMMU
  // records a read page fault of device 9 at that IOVA.
  map(5, 0, 0);
  iotinval(5);
  copy(kIova + 0x4000, kIova + 0x1000, 0x2800);
  EXPECT_EQ(reg(EDU_DMA_STATUS), EDU_DMA_STATUS_ERROR);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_READ);
  EXPECT_EQ(fault_addr(), kIova + 0x5000);
  auto records = faults();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(get_field(records[0].first, FQ_CAUSE), kCauseReadPageFault);
  EXPECT_EQ(get_field(records[0].first, FQ_DID), kEduDeviceId);
  EXPECT_EQ(get_field(records[0].first, FQ_TTYP), kTtypUntranslatedRead);
  EXPECT_EQ(records[0].second, kIova + 0x5000);

  // A read-only destination page: a write fault at its first byte the copy touches.
  map(6, kPages + 0x6000, PTE_V | PTE_R | PTE_U | PTE_A);
  iotinval(6);
  copy(kIova, kIova + 0x6100, 0x80);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_WRITE);
  EXPECT_EQ(fault_addr(), kIova + 0x6100);
  records = faults();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(get_field(records[1].first, FQ_CAUSE), kCauseWritePageFault);
  EXPECT_EQ(records[1].second, kIova + 0x6100);
}

TEST_F(EduDmaTest, AtsRequestsOfADeviceWithoutEnAtsAreDisallowed) {
  build({"riscv-iommu-sys", "edu-dma,ats=on"});
  setup_iommu(false);  // the context does not set EN_ATS
  set_reg(EDU_DMA_ATS_CTRL, EDU_DMA_ATS_ENABLE);
  copy(kIova, kIova + 0x1000, 0x10);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_READ);
  EXPECT_EQ(fault_addr(), kIova);
  auto records = faults();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(get_field(records[0].first, FQ_CAUSE), kCauseTransactionTypeDisallowed);
  EXPECT_EQ(get_field(records[0].first, FQ_TTYP), kTtypAtsTranslationRequest);
  EXPECT_EQ(get_field(records[0].first, FQ_DID), kEduDeviceId);
  EXPECT_EQ(records[0].second, kIova);
  EXPECT_EQ(reg(EDU_DMA_ATC_MISSES), 1u);
  // Untranslated requests of the same device still work.
  set_reg(EDU_DMA_ATS_CTRL, 0);
  copy(kIova, kIova + 0x1000, 0x10);
  EXPECT_EQ(reg(EDU_DMA_STATUS), EDU_DMA_STATUS_DONE);
}

TEST_F(EduDmaTest, InBareModeAtsRequestsAreDisallowedAndUntranslatedOnesPass) {
  build({"riscv-iommu-sys", "edu-dma,ats=on"});
  st(kIommu + FQB, field(QB_LOG2SZ_1, 3) | field(QB_PPN, kFq >> 12), 8);
  st(kIommu + FQCSR, QCSR_EN);
  st(kIommu + DDTP, kModeBare, 8);
  fill(kRam + 0x300000, 16, 4);
  copy(kRam + 0x300000, kRam + 0x301000, 16);
  EXPECT_EQ(reg(EDU_DMA_STATUS), EDU_DMA_STATUS_DONE);
  EXPECT_TRUE(holds(kRam + 0x301000, 16, 4));
  set_reg(EDU_DMA_ATS_CTRL, EDU_DMA_ATS_ENABLE);
  copy(kRam + 0x300000, kRam + 0x302000, 16);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_READ);
  auto records = faults();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(get_field(records[0].first, FQ_CAUSE), kCauseTransactionTypeDisallowed);
  EXPECT_EQ(get_field(records[0].first, FQ_TTYP), kTtypAtsTranslationRequest);
}

TEST_F(EduDmaTest, WhileTheIommuIsOffEveryCopyFails) {
  build({"riscv-iommu-sys", "edu-dma"});
  copy(kRam + 0x300000, kRam + 0x301000, 16);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_READ);
  EXPECT_EQ(fault_addr(), kRam + 0x300000);
}

TEST_F(EduDmaTest, WithAtsTheDeviceCachesTranslationsUntilAtsInval) {
  build({"riscv-iommu-sys", "edu-dma,ats=on"});
  setup_iommu(true);
  ASSERT_NE(edu().atc(), nullptr);
  set_reg(EDU_DMA_ATS_CTRL, EDU_DMA_ATS_ENABLE);
  fill(kPages, 0x2000, 11);
  // Two source pages and two destination pages: four ATS translation requests.
  copy(kIova, kIova + 0x4000, 0x2000);
  ASSERT_EQ(reg(EDU_DMA_STATUS), EDU_DMA_STATUS_DONE) << reg(EDU_DMA_ERROR);
  EXPECT_TRUE(holds(kPages + 0x4000, 0x2000, 11));
  EXPECT_EQ(reg(EDU_DMA_ATC_MISSES), 4u);
  EXPECT_EQ(reg(EDU_DMA_ATC_HITS), 0u);
  const uint64_t walks = iommu().stats().page_walks;
  copy(kIova, kIova + 0x4000, 0x2000);
  EXPECT_EQ(reg(EDU_DMA_ATC_HITS), 4u);
  EXPECT_EQ(reg(EDU_DMA_ATC_MISSES), 4u);
  EXPECT_EQ(iommu().stats().page_walks, walks);  // the IOMMU was not asked

  // Page 0 remapped, and only the IOMMU's IOTLB invalidated: the ATC still has the old page.
  const uint64_t other = kRam + 0x380000;
  fill(other, 0x1000, 99);
  map(0, other, kLeaf);
  iotinval(0);
  EXPECT_EQ(reg(EDU_DMA_ATC_INVALS), 0u);
  copy(kIova, kIova + 0x6000, 0x100);
  EXPECT_TRUE(holds(kPages + 0x6000, 0x100, 11));
  // ATS.INVAL reaches the device's ATC (a DEVIOTLB_UNMAP): now the new page arrives.
  ats_inval(0);
  EXPECT_EQ(reg(EDU_DMA_ATC_INVALS), 1u);
  const uint32_t misses = reg(EDU_DMA_ATC_MISSES);
  copy(kIova, kIova + 0x6000, 0x100);
  EXPECT_TRUE(holds(kPages + 0x6000, 0x100, 99));
  EXPECT_EQ(reg(EDU_DMA_ATC_MISSES), misses + 1);

  // An unmapped page through the ATS path: the device reports the same error and exact IOVA,
  // but the IOMMU answered a translation request (R = W = 0), which is no fault record.
  map(1, 0, 0);
  iotinval(1);
  ats_inval(1);
  copy(kIova + 0x1000, kIova + 0x6000, 0x10);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_READ);
  EXPECT_EQ(fault_addr(), kIova + 0x1000);
  EXPECT_TRUE(faults().empty());
  // A read-only destination: the translation grants R only, the device does not write.
  map(6, kPages + 0x6000, PTE_V | PTE_R | PTE_U | PTE_A);
  iotinval(6);
  ats_inval(6);
  copy(kIova, kIova + 0x6000, 0x10);
  EXPECT_EQ(reg(EDU_DMA_ERROR), EDU_DMA_ERR_WRITE);
  EXPECT_EQ(fault_addr(), kIova + 0x6000);
  EXPECT_TRUE(faults().empty());

  // ATS off: the device's requests are untranslated again, through its address space.
  set_reg(EDU_DMA_ATS_CTRL, 0);
  const uint32_t hits = reg(EDU_DMA_ATC_HITS);
  copy(kIova, kIova + 0x7000, 0x10);
  EXPECT_EQ(reg(EDU_DMA_STATUS), EDU_DMA_STATUS_DONE);
  EXPECT_EQ(reg(EDU_DMA_ATC_HITS), hits);

  // A reset zeroes the counters and empties the ATC.
  m->reset();
  EXPECT_EQ(reg(EDU_DMA_ATC_HITS), 0u);
  EXPECT_EQ(reg(EDU_DMA_ATC_MISSES), 0u);
  EXPECT_EQ(reg(EDU_DMA_ATC_INVALS), 0u);
  EXPECT_EQ(edu().atc()->size(), 0u);
}

/// An IOMMU provider whose model offers no ATS (a PageIommu): one address space, rooted at it.
/// (No `override` below, so that the fake keeps compiling as the provider interface grows.)
class PageIommuProvider : public IommuProvider {
 public:
  explicit PageIommuProvider(AddressSpace& target) { mr.target_as = &target; }
  AddressSpace& dma_address_space(uint32_t, const std::string& name) {
    if (!space) space = std::make_unique<AddressSpace>(name, &mr);
    return *space;
  }
  std::vector<const AddressSpace*> dma_address_spaces() const { return {space.get()}; }
  std::vector<IommuMemoryRegion*> iommu_regions() { return {&mr}; }
  std::string name() const { return "page-iommu"; }
  uint32_t fdt_phandle() const { return 1; }

  testing::PageIommu mr{UINT64_MAX};
  std::unique_ptr<AddressSpace> space;
};

TEST(EduDmaWithoutAtsIommuTest, BehindAModelWithoutAtsTheDeviceHasNoAtc) {
  testing::FakeBoard board;
  MemoryRegion ram;
  ram.init_ram("ram", 0x10000);
  {
    MemoryTransaction tx;
    board.map_mmio(kRam, ram, 0);
  }
  PageIommuProvider provider(board.system_as());
  provider.mr.pages[0][1] = {kRam, kIommuRw};  // IOVA page 1 -> RAM page 0
  provider.mr.pages[0][2] = {kRam + 0x1000, kIommuRw};
  EduDmaDevice edu(board, kEdu, kEduDmaIrq, /*ats=*/true);
  edu.attach_iommu(provider, 3);
  EXPECT_EQ(edu.atc(), nullptr);
  EXPECT_NE(board.test_host().logged.find("page-iommu does not offer ATS"), std::string::npos)
      << board.test_host().logged;
  AddressSpace& as = board.system_as();
  EXPECT_EQ(as.store(kRam, 8, 0x1122334455667788), MemTxResult::Ok);
  // ATS enabled, but without an ATC the copy is untranslated, through the device's space.
  auto w = [&](uint64_t off, uint32_t v) {
    EXPECT_EQ(as.store(kEdu + off, 4, v), MemTxResult::Ok);
  };
  w(EDU_DMA_ATS_CTRL, EDU_DMA_ATS_ENABLE);
  w(EDU_DMA_SRC_LO, 0x1000);
  w(EDU_DMA_DST_LO, 0x2000);
  w(EDU_DMA_LEN, 8);
  w(EDU_DMA_CMD, EDU_DMA_CMD_START);
  uint64_t v = 0;
  EXPECT_EQ(as.load(kEdu + EDU_DMA_STATUS, 4, v), MemTxResult::Ok);
  EXPECT_EQ(v, EDU_DMA_STATUS_DONE);
  EXPECT_EQ(as.load(kRam + 0x1000, 8, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x1122334455667788u);
  EXPECT_EQ(provider.mr.translate_calls, 2);
  EXPECT_EQ(as.load(kEdu + EDU_DMA_ATC_MISSES, 4, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0u);
  board.unmap_all();
}

}  // namespace
}  // namespace glassvm
