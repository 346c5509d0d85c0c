// Tests of the RISC-V IOMMU model (iommu/riscv_iommu.h): a driver's view. Each test builds
// device directories, page tables and commands in guest RAM, programs the registers through
// MMIO, and checks DMA results, fault records, interrupts and notifier events.
#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "iommu/device_iotlb.h"
#include "iommu/riscv_iommu.h"

namespace glassvm {
namespace {

using namespace riscv_iommu;
using F = IommuNotifierFlag;

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 0x1000000;  // 16 MiB
constexpr uint64_t kRegs = 0x3010000;
constexpr uint64_t kOutsideRam = 0x40000000;  // nothing is mapped there

struct FaultRecord {
  uint32_t cause = 0;
  uint32_t ttyp = 0;
  uint32_t did = 0;
  uint64_t iotval = 0;
  uint64_t iotval2 = 0;
};

struct Event {
  F type;
  uint64_t first;
  uint64_t last;
  bool operator==(const Event&) const = default;
};
void PrintTo(const Event& e, std::ostream* os) {
  *os << to_string(e.type) << " [0x" << std::hex << e.first << ", 0x" << e.last << "]";
}

class RiscvIommuTest : public ::testing::Test {
 protected:
  RiscvIommuTest() : sys("sys", &sys_root), iommu(sys), dev("dev", &iommu) {
    sys_root.init_container("sys", MemoryRegion::kWholeSpace);
    ram.init_ram("ram", kRamSize);
    sys_root.add_subregion(kRamBase, &ram);
    sys_root.add_subregion(kRegs, &iommu.mmio());
    iommu.irq(0).connect([this](bool level) { irq_level = level; });
  }
  ~RiscvIommuTest() override {
    sys_root.del_subregion(&iommu.mmio());
    sys_root.del_subregion(&ram);
  }

  // -- Guest memory and registers -----------------------------------------------------------

  uint64_t alloc_page() {
    uint64_t page = next_page;
    next_page += 0x1000;
    return page;
  }
  void w64(uint64_t addr, uint64_t value) {
    ASSERT_EQ(sys.store(addr, 8, value), MemTxResult::Ok) << std::hex << addr;
  }
  uint64_t r64(uint64_t addr) {
    uint64_t value = 0;
    EXPECT_EQ(sys.load(addr, 8, value), MemTxResult::Ok) << std::hex << addr;
    return value;
  }
  uint32_t r32(uint64_t addr) {
    uint64_t value = 0;
    EXPECT_EQ(sys.load(addr, 4, value), MemTxResult::Ok) << std::hex << addr;
    return static_cast<uint32_t>(value);
  }
  uint64_t reg(uint64_t offset, unsigned size = 4) {
    uint64_t value = 0;
    EXPECT_EQ(sys.load(kRegs + offset, size, value), MemTxResult::Ok);
    return value;
  }
  void set_reg(uint64_t offset, uint64_t value, unsigned size = 4) {
    EXPECT_EQ(sys.store(kRegs + offset, size, value), MemTxResult::Ok);
  }

  // -- Queues ---------------------------------------------------------------------------------

  /// A command queue of 2^log2 entries and a fault queue of 2^fq_log2 entries, both enabled
  /// with interrupts.
  void enable_queues(unsigned log2 = 4, unsigned fq_log2 = 4) {
    cq_base = alloc_page();
    fq_base = alloc_page();
    set_reg(CQB, (cq_base >> 2) | (log2 - 1), 8);
    set_reg(FQB, (fq_base >> 2) | (fq_log2 - 1), 8);
    set_reg(CQCSR, QCSR_EN | QCSR_IE);
    set_reg(FQCSR, QCSR_EN | QCSR_IE);
    ASSERT_TRUE(reg(CQCSR) & QCSR_ON);
    ASSERT_TRUE(reg(FQCSR) & QCSR_ON);
    cq_entries = 1u << log2;
  }
  /// Appends one command and rings the doorbell (cqt).
  void submit(uint64_t d0, uint64_t d1 = 0) {
    uint32_t tail = static_cast<uint32_t>(reg(CQT));
    w64(cq_base + tail * 16, d0);
    w64(cq_base + tail * 16 + 8, d1);
    set_reg(CQT, (tail + 1) % cq_entries);
  }
  static uint64_t inval_vma(bool av, uint64_t addr, bool pscv, uint32_t pscid) {
    return field(CMD_OPCODE, OP_IOTINVAL) | field(CMD_FUNC3, FUNC_IOTINVAL_VMA) |
           (av ? IOTINVAL_AV : 0) | (pscv ? IOTINVAL_PSCV : 0) | field(IOTINVAL_PSCID, pscid);
  }
  static uint64_t inval_addr(uint64_t addr) { return field(IOTINVAL_ADDR, addr >> 12); }

  /// The fault records between fqh and fqt; consumes them (fqh = fqt).
  std::vector<FaultRecord> take_faults() {
    std::vector<FaultRecord> out;
    uint32_t head = static_cast<uint32_t>(reg(FQH));
    uint32_t tail = static_cast<uint32_t>(reg(FQT));
    uint32_t entries = 1u << ((reg(FQB, 8) & 0x1f) + 1);
    for (uint32_t i = head; i != tail; i = (i + 1) % entries) {
      uint64_t addr = fq_base + uint64_t{i} * 32;
      uint64_t hdr = r64(addr);
      out.push_back({static_cast<uint32_t>(get_field(hdr, FQ_CAUSE)),
                     static_cast<uint32_t>(get_field(hdr, FQ_TTYP)),
                     static_cast<uint32_t>(get_field(hdr, FQ_DID)), r64(addr + 16),
                     r64(addr + 24)});
    }
    set_reg(FQH, tail);
    return out;
  }

  // -- Device directory -------------------------------------------------------------------------

  /// Points ddtp at a fresh root table in `mode`.
  void set_ddtp(uint64_t mode) {
    ddt_root = alloc_page();
    set_reg(DDTP, kModeOff, 8);  // a directory mode is entered from Off or Bare
    set_reg(DDTP, (ddt_root >> 2) | mode, 8);
  }
  /// The address of device `did`'s context, creating the directory levels on the way.
  uint64_t dc_addr(uint32_t did) {
    int levels = static_cast<int>(get_field(iommu.peek_register(DDTP), DDTP_MODE)) - kMode1Lvl;
    uint64_t ddi[3] = {did & 0x7f, (did >> 7) & 0x1ff, did >> 16};
    uint64_t table = ddt_root;
    for (int i = levels; i > 0; --i) {
      uint64_t slot = table + ddi[i] * 8;
      uint64_t ddte = r64(slot);
      if (!(ddte & DDTE_V)) {
        ddte = ((alloc_page() >> 12) << 10) | DDTE_V;
        w64(slot, ddte);
      }
      table = get_field(ddte, DDTE_PPN) << 12;
    }
    return table + ddi[0] * 32;
  }
  void write_dc(uint32_t did, uint64_t tc, uint64_t iohgatp, uint64_t ta, uint64_t fsc) {
    uint64_t a = dc_addr(did);
    w64(a, tc);
    w64(a + 8, iohgatp);
    w64(a + 16, ta);
    w64(a + 24, fsc);
  }
  /// Device `did` translating through a fresh first-stage root in `mode`, with `pscid`.
  uint64_t attach(uint32_t did, uint64_t mode, uint32_t pscid, uint64_t extra_tc = 0) {
    uint64_t root = alloc_page();
    write_dc(did, DC_TC_V | extra_tc, 0, field(DC_TA_PSCID, pscid),
             field(ATP_MODE, mode) | (root >> 12));
    return root;
  }

  // -- Page tables ----------------------------------------------------------------------------

  static constexpr uint64_t kUserRw = PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;

  /// The address of the PTE for `va` at `level` in the table tree at `root` (levels total).
  uint64_t pte_addr(uint64_t root, int levels, uint64_t va, int level) {
    uint64_t table = root;
    for (int l = levels - 1; l > level; --l) {
      uint64_t slot = table + ((va >> (12 + 9 * l)) & 511) * 8;
      uint64_t pte = r64(slot);
      if (!(pte & PTE_V)) {
        pte = ((alloc_page() >> 12) << 10) | PTE_V;
        w64(slot, pte);
      }
      table = get_field(pte, PTE_PPN) << 12;
    }
    return table + ((va >> (12 + 9 * level)) & 511) * 8;
  }
  void map(uint64_t root, int levels, uint64_t va, uint64_t pa, uint64_t flags = kUserRw,
           int level = 0) {
    w64(pte_addr(root, levels, va, level), ((pa >> 12) << 10) | flags);
  }

  // -- DMA ------------------------------------------------------------------------------------

  MemTxResult dma_read(uint32_t did, uint64_t iova, uint64_t& value, unsigned size = 8) {
    MemTxAttrs attrs;
    attrs.requester_id = did;
    return dev.load(iova, size, value, attrs);
  }
  MemTxResult dma_write(uint32_t did, uint64_t iova, uint64_t value, unsigned size = 8) {
    MemTxAttrs attrs;
    attrs.requester_id = did;
    return dev.store(iova, size, value, attrs);
  }
  /// The value device `did` reads at `iova`, or ~0 on a fault.
  uint64_t dma64(uint32_t did, uint64_t iova) {
    uint64_t value = 0;
    return dma_read(did, iova, value) == MemTxResult::Ok ? value : ~uint64_t{0};
  }

  /// An UNMAP/DEVIOTLB_UNMAP recorder for device `did`.
  std::vector<Event> events;
  IommuNotifier make_recorder(uint32_t did, F flags) {
    return IommuNotifier(
        "recorder", flags,
        [this](const IommuTlbEvent& e) {
          events.push_back({e.type, e.entry.first(), e.entry.last()});
        },
        0, UINT64_MAX, static_cast<int>(did));
  }

  MemoryRegion sys_root;
  MemoryRegion ram;
  AddressSpace sys;
  RiscvIommu iommu;
  AddressSpace dev;
  bool irq_level = false;
  uint64_t next_page = kRamBase + 0x100000;
  uint64_t cq_base = 0, fq_base = 0, ddt_root = 0;
  uint32_t cq_entries = 0;
};

// ---------------------------------------------------------------------------------------------
// Registers
// ---------------------------------------------------------------------------------------------

TEST_F(RiscvIommuTest, CapabilitiesAdvertiseWhatIsImplemented) {
  uint64_t caps = reg(CAPABILITIES, 8);
  EXPECT_EQ(get_field(caps, CAP_VERSION), 0x10u);
  EXPECT_TRUE(caps & CAP_SV39);
  EXPECT_TRUE(caps & CAP_SV48);
  EXPECT_TRUE(caps & CAP_SV57);
  EXPECT_TRUE(caps & CAP_ATS);
  EXPECT_EQ(get_field(caps, CAP_IGS), CAP_IGS_WSI);
  EXPECT_FALSE(caps & (CAP_SV32 | CAP_SV39X4 | CAP_MSI_FLAT | CAP_AMO_HWAD | CAP_T2GPA));
  EXPECT_FALSE(caps & (CAP_PD8 | CAP_PD17 | CAP_PD20 | CAP_HPM | CAP_DBG | CAP_END));
  // The two 32-bit halves read the same value.
  EXPECT_EQ(reg(CAPABILITIES) | (reg(CAPABILITIES + 4) << 32), caps);
  EXPECT_EQ(reg(FCTL), FCTL_WSI);
  set_reg(FCTL, FCTL_BE | FCTL_GXL);
  EXPECT_EQ(reg(FCTL), FCTL_WSI);  // read-only in this configuration
  // Absent registers read 0 and ignore writes.
  set_reg(TR_REQ_IOVA, 0x1234, 8);
  EXPECT_EQ(reg(TR_REQ_IOVA, 8), 0u);
  EXPECT_EQ(reg(IOHPMCYCLES, 8), 0u);
  EXPECT_EQ(reg(MSI_CFG_TBL, 8), 0u);
  EXPECT_EQ(reg(0xffc), 0u);
  // 16-bit accesses are not valid.
  uint64_t v = 0;
  EXPECT_NE(sys.load(kRegs + CAPABILITIES, 2, v), MemTxResult::Ok);
}

TEST_F(RiscvIommuTest, DdtpIsWrittenWholeOrByHalvesAndRejectsUnknownModes) {
  EXPECT_EQ(reg(DDTP, 8), kModeOff);  // reset value
  set_reg(DDTP + 4, 0x12);            // high half first, then the low half with the mode
  set_reg(DDTP, (0x80123000 >> 2) | kMode2Lvl);
  uint64_t ddtp = reg(DDTP, 8);
  EXPECT_EQ(get_field(ddtp, DDTP_MODE), kMode2Lvl);
  EXPECT_EQ(get_field(ddtp, DDTP_PPN), get_field((0x12ull << 32) | (0x80123000 >> 2), DDTP_PPN));
  EXPECT_FALSE(ddtp & DDTP_BUSY);
  set_reg(DDTP, kMode3Lvl + 1, 8);  // not a mode: the write is ignored
  EXPECT_EQ(reg(DDTP, 8), ddtp);
  set_reg(DDTP, kMode3Lvl, 8);  // from one directory mode to another: ignored too
  EXPECT_EQ(reg(DDTP, 8), ddtp);
  set_reg(DDTP, 0x3e0 | kModeBare, 8);  // reserved bits read 0
  EXPECT_EQ(reg(DDTP, 8), kModeBare);
}

TEST_F(RiscvIommuTest, IpsrIsWriteOneToClearAndDrivesTheVectorIcvecSelects) {
  enable_queues();
  set_reg(DDTP, kModeOff, 8);
  uint64_t v = 0;
  EXPECT_EQ(dma_read(1, 0x1000, v), MemTxResult::IommuFault);
  EXPECT_TRUE(reg(IPSR) & IPSR_FIP);
  EXPECT_TRUE(irq_level);
  set_reg(IPSR, IPSR_CIP);  // another bit: fip stays
  EXPECT_TRUE(reg(IPSR) & IPSR_FIP);
  set_reg(IPSR, IPSR_FIP);
  EXPECT_EQ(reg(IPSR), 0u);
  EXPECT_FALSE(irq_level);

  // Route fault interrupts to vector 2.
  bool level2 = false;
  iommu.irq(2).connect([&](bool level) { level2 = level; });
  set_reg(ICVEC, field(ICVEC_FIV, 2), 8);
  EXPECT_EQ(reg(ICVEC, 8), field(ICVEC_FIV, 2));
  EXPECT_EQ(dma_read(1, 0x1000, v), MemTxResult::IommuFault);
  EXPECT_TRUE(level2);
  EXPECT_FALSE(irq_level);
}

// ---------------------------------------------------------------------------------------------
// Device directory
// ---------------------------------------------------------------------------------------------

TEST_F(RiscvIommuTest, BareModePassesEverythingThrough) {
  set_reg(DDTP, kModeBare, 8);
  w64(kRamBase + 0x2000, 0x1122334455667788);
  EXPECT_EQ(dma64(7, kRamBase + 0x2000), 0x1122334455667788u);
}

TEST_F(RiscvIommuTest, OneTwoAndThreeLevelDirectoriesFindTheDevice) {
  enable_queues();
  struct Case {
    uint64_t mode;
    uint32_t did;
  };
  for (Case c : {Case{kMode1Lvl, 0x5a}, Case{kMode2Lvl, 0x1234}, Case{kMode3Lvl, 0xabcdef}}) {
    SCOPED_TRACE(c.mode);
    set_ddtp(c.mode);
    uint64_t root = attach(c.did, kSatpSv39, 1);
    uint64_t page = alloc_page();
    w64(page + 8, 0xfeed0000 + c.mode);
    map(root, 3, 0x10000, page);
    EXPECT_EQ(dma64(c.did, 0x10008), 0xfeed0000 + c.mode);
    // Another device id in the same directory has no valid context.
    EXPECT_EQ(dma64(c.did ^ 1, 0x10008), ~uint64_t{0});
    std::vector<FaultRecord> faults = take_faults();
    ASSERT_EQ(faults.size(), 1u);
    EXPECT_EQ(faults[0].cause, kCauseDdtNotValid);
    EXPECT_EQ(faults[0].did, c.did ^ 1);
  }
}

TEST_F(RiscvIommuTest, DeviceIdWiderThanTheDirectoryIsATransactionTypeFault) {
  enable_queues();
  set_ddtp(kMode1Lvl);  // 7-bit device ids
  attach(0x7f, kSatpBare, 0);
  EXPECT_EQ(dma64(0x7f, kRamBase), 0u);
  EXPECT_EQ(dma64(0x80, kRamBase), ~uint64_t{0});
  set_ddtp(kMode2Lvl);  // 16-bit device ids
  EXPECT_EQ(dma64(0x10000, kRamBase), ~uint64_t{0});
  std::vector<FaultRecord> faults = take_faults();
  ASSERT_EQ(faults.size(), 2u);
  EXPECT_EQ(faults[0].cause, kCauseTransactionTypeDisallowed);
  EXPECT_EQ(faults[0].did, 0x80u);
  EXPECT_EQ(faults[1].cause, kCauseTransactionTypeDisallowed);
  EXPECT_EQ(faults[1].did, 0x10000u);
}

TEST_F(RiscvIommuTest, DirectoryFaultsHaveTheirCauses) {
  enable_queues();
  // ddtp pointing outside RAM: the DDT entry load fails.
  set_reg(DDTP, (kOutsideRam >> 2) | kMode2Lvl, 8);
  EXPECT_EQ(dma64(3, 0x1000), ~uint64_t{0});
  // A non-leaf entry with reserved bits.
  set_ddtp(kMode2Lvl);
  w64(ddt_root + 8 * 1, DDTE_V | (uint64_t{1} << 60) | ((alloc_page() >> 12) << 10));
  EXPECT_EQ(dma64(0x80, 0x1000), ~uint64_t{0});  // DDI[1] = 1
  // A non-leaf entry pointing outside RAM.
  w64(ddt_root + 8 * 2, DDTE_V | ((kOutsideRam >> 12) << 10));
  EXPECT_EQ(dma64(0x100, 0x1000), ~uint64_t{0});  // DDI[1] = 2
  // Misconfigured contexts: a second stage, reserved tc bits, EN_PRI without EN_ATS, an
  // unsupported fsc mode, PDTV with a process directory, A/D update requests.
  write_dc(0, DC_TC_V, field(ATP_MODE, 8), 0, 0);
  write_dc(1, DC_TC_V | bit(40), 0, 0, 0);
  write_dc(2, DC_TC_V | DC_TC_EN_PRI, 0, 0, 0);
  write_dc(3, DC_TC_V, 0, 0, field(ATP_MODE, 11));
  write_dc(4, DC_TC_V | DC_TC_PDTV, 0, 0, field(ATP_MODE, 1));
  write_dc(5, DC_TC_V | DC_TC_SADE, 0, 0, 0);
  write_dc(6, DC_TC_V, 0, 1, 0);  // ta reserved bit
  for (uint32_t did = 0; did <= 6; ++did) EXPECT_EQ(dma64(did, 0x1000), ~uint64_t{0}) << did;
  // A valid one, to show the checks are not blanket.
  write_dc(7, DC_TC_V | DC_TC_EN_ATS | DC_TC_EN_PRI, 0, 0, 0);
  EXPECT_EQ(dma64(7, kRamBase), 0u);

  std::vector<FaultRecord> faults = take_faults();
  ASSERT_EQ(faults.size(), 10u);
  EXPECT_EQ(faults[0].cause, kCauseDdtLoadAccessFault);
  EXPECT_EQ(faults[0].did, 3u);
  EXPECT_EQ(faults[0].ttyp, kTtypUntranslatedRead);
  EXPECT_EQ(faults[0].iotval, 0x1000u);
  EXPECT_EQ(faults[1].cause, kCauseDdtMisconfigured);
  EXPECT_EQ(faults[2].cause, kCauseDdtLoadAccessFault);
  for (int i = 3; i < 10; ++i) {
    EXPECT_EQ(faults[i].cause, kCauseDdtMisconfigured) << i;
    EXPECT_EQ(faults[i].did, static_cast<uint32_t>(i - 3));
  }
}

TEST_F(RiscvIommuTest, OffModeDisallowsAllInboundTransactions) {
  enable_queues();
  uint64_t v = 0;
  EXPECT_EQ(dma_write(9, 0x5000, 1), MemTxResult::IommuFault);
  EXPECT_EQ(dma_read(9, 0x5000, v), MemTxResult::IommuFault);
  std::vector<FaultRecord> faults = take_faults();
  ASSERT_EQ(faults.size(), 2u);
  EXPECT_EQ(faults[0].cause, kCauseAllInboundDisallowed);
  EXPECT_EQ(faults[0].ttyp, kTtypUntranslatedWrite);
  EXPECT_EQ(faults[0].did, 9u);
  EXPECT_EQ(faults[0].iotval, 0x5000u);
  EXPECT_EQ(faults[1].ttyp, kTtypUntranslatedRead);
  EXPECT_TRUE(irq_level);
}

// ---------------------------------------------------------------------------------------------
// First-stage translation
// ---------------------------------------------------------------------------------------------

TEST_F(RiscvIommuTest, Sv39TranslatesPagesAndSuperpages) {
  enable_queues();
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(1, kSatpSv39, 5);
  uint64_t page = alloc_page();
  w64(page + 0x10, 0xaaaa);
  map(root, 3, 0x1000, page);
  // A 2 MiB superpage onto RAM base, and a 1 GiB one onto 0x80000000 too.
  map(root, 3, 0x40000000 + 0x200000, kRamBase, kUserRw, 1);
  map(root, 3, 0x1'0000'0000, kRamBase, kUserRw, 2);
  w64(kRamBase + 0x1238, 0xbbbb);
  // An upper-half (sign-extended) address.
  map(root, 3, 0xffffffffc0000000, page, kUserRw);

  EXPECT_EQ(dma64(1, 0x1010), 0xaaaau);
  EXPECT_EQ(dma64(1, 0x40200000 + 0x1238), 0xbbbbu);
  EXPECT_EQ(dma64(1, 0x1'0000'0000 + 0x1238), 0xbbbbu);
  EXPECT_EQ(dma64(1, 0xffffffffc0000010), 0xaaaau);
  // Writes land in RAM.
  EXPECT_EQ(dma_write(1, 0x40200000 + 0x1240, 0xcccc), MemTxResult::Ok);
  EXPECT_EQ(r64(kRamBase + 0x1240), 0xccccu);

  // The entries describe the blocks the leaves map.
  IommuTlbEntry e = iommu.lookup(0x40200000 + 0x1238, 1);
  EXPECT_EQ(e.first(), 0x40200000u);
  EXPECT_EQ(e.addr_mask, 0x1fffffu);
  EXPECT_EQ(e.translated_addr, kRamBase);
  EXPECT_EQ(e.perm, kIommuRw);
  e = iommu.lookup(0x1'2345'6789, 1);
  EXPECT_EQ(e.addr_mask, 0x3fffffffu);
  EXPECT_TRUE(take_faults().empty());
}

TEST_F(RiscvIommuTest, Sv48TranslatesFourLevelsAndA512GiBSuperpage) {
  enable_queues();
  set_ddtp(kMode3Lvl);
  uint64_t root = attach(0x20001, kSatpSv48, 7);
  uint64_t page = alloc_page();
  w64(page, 0x4848);
  map(root, 4, 0x7f12'3456'7000, page);
  map(root, 4, 0x0080'0000'0000, 0, kUserRw, 3);  // 512 GiB identity-like block at 512 GiB
  EXPECT_EQ(dma64(0x20001, 0x7f12'3456'7000), 0x4848u);
  EXPECT_EQ(dma64(0x20001, 0x0080'0000'0000 + kRamBase), 0u);
  w64(kRamBase + 8, 0x99);
  EXPECT_EQ(dma64(0x20001, 0x0080'0000'0000 + kRamBase + 8), 0x99u);
  EXPECT_EQ(iommu.lookup(0x0080'0000'0000, 0x20001).addr_mask, (uint64_t{1} << 39) - 1);
  // Sv39 would not reach this address: with Sv48 it is canonical.
  EXPECT_TRUE(take_faults().empty());
}

TEST_F(RiscvIommuTest, Sv57TranslatesFiveLevels) {
  enable_queues();
  set_ddtp(kMode2Lvl);
  uint64_t root = attach(0x300, kSatpSv57, 11);
  uint64_t page = alloc_page();
  w64(page + 0x20, 0x5757);
  const uint64_t iova = 0x00ab'cdef'1234'5000;  // needs 57 bits: not canonical for Sv48
  map(root, 5, iova, page);
  EXPECT_EQ(dma64(0x300, iova + 0x20), 0x5757u);
  EXPECT_EQ(dma64(0x300, 0xff00'0000'0000'0000), ~uint64_t{0});  // bit 56 clear above it
  std::vector<FaultRecord> faults = take_faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].cause, kCauseReadPageFault);
}

// Linux's riscv-iommu driver writes 64 KiB NAPOT leaves (Svnapot, which the IOMMU spec
// requires) for 64 KiB-aligned DMA buffers: 16 equal PTEs with N and ppn[3:0] = 1000.
TEST_F(RiscvIommuTest, SvnapotLeavesMap64KiBBlocks) {
  enable_queues();
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(6, kSatpSv39, 3);
  const uint64_t block = kRamBase + 0x200000;  // 64 KiB aligned
  const uint64_t napot = (((block >> 12) | kNapot64KPpnLow) << 10) | kUserRw | PTE_N;
  for (uint64_t page = 0; page < 16; ++page) {
    w64(pte_addr(root, 3, 0x50000 + page * 0x1000, 0), napot);
    w64(block + page * 0x1000 + 0x18, 0x4a00 + page);
  }
  for (uint64_t page = 0; page < 16; ++page) {
    EXPECT_EQ(dma64(6, 0x50000 + page * 0x1000 + 0x18), 0x4a00 + page) << page;
  }
  IommuTlbEntry e = iommu.lookup(0x57008, 6);
  EXPECT_EQ(e.first(), 0x57000u);
  EXPECT_EQ(e.translated_addr, block + 0x7000);
  EXPECT_EQ(e.perm, kIommuRw);

  // N anywhere else is reserved: a page fault.
  map(root, 3, 0x70000, block, kUserRw | PTE_N);        // ppn[3:0] = 0000
  map(root, 3, 0x40000000, block, kUserRw | PTE_N, 1);  // a 2 MiB leaf
  w64(pte_addr(root, 3, 0x80000000, 1), ((alloc_page() >> 12) << 10) | PTE_V | PTE_N);  // pointer
  for (uint64_t iova : {uint64_t{0x70000}, uint64_t{0x40000000}, uint64_t{0x80000000}}) {
    EXPECT_EQ(dma64(6, iova), ~uint64_t{0}) << std::hex << iova;
  }
  std::vector<FaultRecord> faults = take_faults();
  ASSERT_EQ(faults.size(), 3u);
  for (const FaultRecord& f : faults) EXPECT_EQ(f.cause, kCauseReadPageFault);
}

TEST_F(RiscvIommuTest, PageFaultsAndAccessFaultsHaveTheSpecCauses) {
  enable_queues();
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(2, kSatpSv39, 1);
  uint64_t page = alloc_page();
  map(root, 3, 0x1000, page, kUserRw & ~PTE_W);               // read-only
  map(root, 3, 0x2000, page, kUserRw & ~PTE_U);               // supervisor page
  map(root, 3, 0x3000, page, kUserRw & ~(PTE_A | PTE_D));     // A=0
  map(root, 3, 0x4000, page, kUserRw & ~PTE_D);               // D=0: read-only for devices
  map(root, 3, 0x5000, page, PTE_V | PTE_W | PTE_U | PTE_A);  // W without R
  map(root, 3, 0x6000, page, kUserRw | bit(62));              // PBMT bits: not supported
  map(root, 3, 0x600000, kRamBase + 0x1000, kUserRw, 1);      // misaligned 2 MiB superpage
  w64(pte_addr(root, 3, 0x40000000, 2), ((kOutsideRam >> 12) << 10) | PTE_V);  // table not in RAM

  struct Case {
    uint64_t iova;
    bool write;
    uint32_t cause;
  };
  const Case cases[] = {
      {0x1008, true, kCauseWritePageFault},
      {0x2008, false, kCauseReadPageFault},
      {0x3008, false, kCauseReadPageFault},
      {0x4008, true, kCauseWritePageFault},
      {0x5008, true, kCauseWritePageFault},
      {0x6008, false, kCauseReadPageFault},
      {0x7008, false, kCauseReadPageFault},  // not mapped (V=0)
      {0x600008, false, kCauseReadPageFault},
      {0x40000008, false, kCauseReadAccessFault},
      {0x40000008, true, kCauseWriteAccessFault},
      {0x0000004000000000, false, kCauseReadPageFault},  // not canonical for Sv39
  };
  for (const Case& c : cases) {
    uint64_t v = 0;
    MemTxResult r = c.write ? dma_write(2, c.iova, 1) : dma_read(2, c.iova, v);
    EXPECT_EQ(r, MemTxResult::IommuFault) << std::hex << c.iova;
  }
  // What is allowed still works.
  EXPECT_EQ(dma64(2, 0x1008), 0u);
  EXPECT_EQ(dma64(2, 0x4008), 0u);

  std::vector<FaultRecord> faults = take_faults();
  ASSERT_EQ(faults.size(), std::size(cases));
  for (size_t i = 0; i < faults.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(faults[i].cause, cases[i].cause);
    EXPECT_EQ(faults[i].did, 2u);
    EXPECT_EQ(faults[i].iotval, cases[i].iova);
    EXPECT_EQ(faults[i].iotval2, 0u);
    EXPECT_EQ(faults[i].ttyp, cases[i].write ? kTtypUntranslatedWrite : kTtypUntranslatedRead);
  }
  EXPECT_TRUE(reg(IPSR) & IPSR_FIP);
  EXPECT_TRUE(irq_level);
}

TEST_F(RiscvIommuTest, DisableTranslationFaultsSuppressesRecordsButNotFaults) {
  enable_queues();
  set_ddtp(kMode1Lvl);
  attach(3, kSatpSv39, 1, DC_TC_DTF);
  EXPECT_EQ(dma64(3, 0x1000), ~uint64_t{0});
  EXPECT_TRUE(take_faults().empty());
  EXPECT_FALSE(irq_level);
}

// ---------------------------------------------------------------------------------------------
// IOTLB and invalidation events
// ---------------------------------------------------------------------------------------------

TEST_F(RiscvIommuTest, ChangedPteIsSeenOnlyAfterIotinval) {
  enable_queues();
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(4, kSatpSv39, 9);
  uint64_t old_page = alloc_page(), new_page = alloc_page();
  w64(old_page, 0x01d);
  w64(new_page, 0x0e3);
  map(root, 3, 0x8000, old_page);
  EXPECT_EQ(dma64(4, 0x8000), 0x01du);
  uint64_t walks = iommu.stats().page_walks;

  map(root, 3, 0x8000, new_page);              // the guest changes the PTE...
  EXPECT_EQ(dma64(4, 0x8000), 0x01du);         // ...and the IOTLB still has the old one
  EXPECT_EQ(iommu.stats().page_walks, walks);  // a hit does not walk
  EXPECT_GE(iommu.stats().iotlb_hits, 1u);

  submit(inval_vma(true, 0x8000, true, 9), inval_addr(0x8000));
  EXPECT_EQ(reg(CQH), reg(CQT));
  EXPECT_EQ(dma64(4, 0x8000), 0x0e3u);
  EXPECT_EQ(iommu.stats().page_walks, walks + 1);

  // Removing the mapping is equally invisible until invalidated.
  w64(pte_addr(root, 3, 0x8000, 0), 0);
  EXPECT_EQ(dma64(4, 0x8000), 0x0e3u);
  submit(inval_vma(false, 0, true, 9));
  EXPECT_EQ(dma64(4, 0x8000), ~uint64_t{0});
}

TEST_F(RiscvIommuTest, IotinvalSendsExactlyTheUnmapsOfTheDroppedEntries) {
  enable_queues();
  set_ddtp(kMode1Lvl);
  uint64_t root4 = attach(4, kSatpSv39, 9);
  uint64_t root5 = attach(5, kSatpSv39, 10);
  uint64_t page = alloc_page();
  map(root4, 3, 0x1000, page);
  map(root4, 3, 0x2000, page, kUserRw | PTE_G);  // global
  map(root4, 3, 0x200000, kRamBase, kUserRw, 1);
  map(root5, 3, 0x1000, page);

  IommuNotifier n4 = make_recorder(4, F::Unmap);
  IommuNotifier n5 = make_recorder(5, F::Unmap);
  std::string error;
  ASSERT_TRUE(iommu.register_notifier(n4, &error)) << error;
  ASSERT_TRUE(iommu.register_notifier(n5, &error)) << error;
  auto fill = [&] {
    for (uint64_t iova : {0x1000, 0x2000, 0x234560}) EXPECT_NE(dma64(4, iova), ~uint64_t{0});
    EXPECT_NE(dma64(5, 0x1000), ~uint64_t{0});
    events.clear();
  };

  // By address, within the superpage: the superpage entry goes, and nothing else.
  fill();
  submit(inval_vma(true, 0x3ff000, true, 9), inval_addr(0x3ff000));
  EXPECT_EQ(events, (std::vector<Event>{{F::Unmap, 0x200000, 0x3fffff}}));

  // By address in every PSCID: both devices' page 0x1000.
  fill();
  submit(inval_vma(true, 0x1000, false, 0), inval_addr(0x1000));
  EXPECT_EQ(events, (std::vector<Event>{{F::Unmap, 0x1000, 0x1fff}, {F::Unmap, 0x1000, 0x1fff}}));

  // By PSCID: device 4's entries except the global one.
  fill();
  submit(inval_vma(false, 0, true, 9));
  EXPECT_EQ(events,
            (std::vector<Event>{{F::Unmap, 0x1000, 0x1fff}, {F::Unmap, 0x200000, 0x3fffff}}));

  // Everything: what is left (device 4's global page, device 5's page).
  fill();
  events.clear();
  submit(inval_vma(false, 0, false, 0));
  EXPECT_EQ(events, (std::vector<Event>{{F::Unmap, 0x1000, 0x1fff},
                                        {F::Unmap, 0x2000, 0x2fff},
                                        {F::Unmap, 0x200000, 0x3fffff},
                                        {F::Unmap, 0x1000, 0x1fff}}));
  EXPECT_EQ(iommu.iotlb_size(), 0u);

  // An invalidation of an address nobody cached says nothing; GVMA has nothing to drop.
  events.clear();
  submit(inval_vma(true, 0x9000, false, 0), inval_addr(0x9000));
  submit(field(CMD_OPCODE, OP_IOTINVAL) | field(CMD_FUNC3, FUNC_IOTINVAL_GVMA));
  EXPECT_TRUE(events.empty());
  EXPECT_FALSE(reg(CQCSR) & CQCSR_CMD_ILL);
}

TEST_F(RiscvIommuTest, MapNotifiersAreRefusedWithTheReason) {
  IommuNotifier map_and_unmap = make_recorder(1, F::IotlbEvents);
  std::string error;
  EXPECT_FALSE(iommu.register_notifier(map_and_unmap, &error));
  EXPECT_FALSE(map_and_unmap.registered());
  EXPECT_NE(error.find("page-table writes are invisible"), std::string::npos) << error;
  EXPECT_NE(error.find("MAP"), std::string::npos);
  IommuNotifier unmap = make_recorder(1, F::Unmap | F::DevIotlbUnmap);
  EXPECT_TRUE(iommu.register_notifier(unmap, &error));
  // Adding MAP later is refused too.
  IommuNotifier map_only = make_recorder(2, F::Map);
  EXPECT_FALSE(iommu.register_notifier(map_only, nullptr));
}

TEST_F(RiscvIommuTest, IodirInvalDdtMakesContextChangesVisibleAndUnmapsTheDevice) {
  enable_queues();
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(6, kSatpSv39, 3);
  map(root, 3, 0x1000, kRamBase);
  EXPECT_EQ(dma64(6, 0x1000), 0u);
  IommuNotifier n = make_recorder(6, F::Unmap);
  ASSERT_TRUE(iommu.register_notifier(n, nullptr));

  write_dc(6, 0, 0, 0, 0);  // the context is cached: still valid
  EXPECT_EQ(dma64(6, 0x1000), 0u);
  submit(field(CMD_OPCODE, OP_IODIR) | field(CMD_FUNC3, FUNC_IODIR_INVAL_DDT) | IODIR_DV |
         field(IODIR_DID, 6));
  EXPECT_EQ(events, (std::vector<Event>{{F::Unmap, 0, UINT64_MAX}}));
  EXPECT_EQ(dma64(6, 0x1000), ~uint64_t{0});
  std::vector<FaultRecord> faults = take_faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].cause, kCauseDdtNotValid);

  // Illegal forms: INVAL_PDT without DV; INVAL_DDT with a PID (reserved); a DID wider than the
  // 1-level directory indexes.
  const uint64_t illegal[] = {
      field(CMD_OPCODE, OP_IODIR) | field(CMD_FUNC3, FUNC_IODIR_INVAL_PDT),
      field(CMD_OPCODE, OP_IODIR) | field(IODIR_PID, 1),
      field(CMD_OPCODE, OP_IODIR) | IODIR_DV | field(IODIR_DID, 0x80),
  };
  for (uint64_t cmd : illegal) {
    SCOPED_TRACE(cmd);
    uint32_t head = static_cast<uint32_t>(reg(CQH));
    submit(cmd);
    EXPECT_TRUE(reg(CQCSR) & CQCSR_CMD_ILL);
    EXPECT_EQ(reg(CQH), head);
    // Skip it: overwrite with a legal INVAL_PDT and clear cmd_ill.
    w64(cq_base + head * 16, field(CMD_OPCODE, OP_IODIR) | field(CMD_FUNC3, FUNC_IODIR_INVAL_PDT) |
                                 IODIR_DV | field(IODIR_DID, 6));
    set_reg(CQCSR, QCSR_EN | QCSR_IE | CQCSR_CMD_ILL);
    EXPECT_FALSE(reg(CQCSR) & CQCSR_CMD_ILL);
    EXPECT_EQ(reg(CQH), reg(CQT));
  }
}

TEST_F(RiscvIommuTest, TheTopOfTheAddressSpaceIsAnOrdinaryPage) {
  enable_queues();
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(2, kSatpSv39, 4);
  uint64_t page = alloc_page();
  w64(page + 0xff8, 0x7075);
  map(root, 3, 0xfffffffffffff000, page);
  EXPECT_EQ(dma64(2, 0xfffffffffffffff8), 0x7075u);
  IommuNotifier n = make_recorder(2, F::Unmap);
  ASSERT_TRUE(iommu.register_notifier(n, nullptr));
  submit(inval_vma(true, 0, true, 4), inval_addr(0xfffffffffffff000));
  EXPECT_EQ(events, (std::vector<Event>{{F::Unmap, 0xfffffffffffff000, UINT64_MAX}}));
  // A transfer that runs off the top ends in an error, not a wrap to address 0.
  uint8_t buf[16] = {};
  MemTxAttrs attrs;
  attrs.requester_id = 2;
  EXPECT_NE(dev.read(0xfffffffffffffff8, buf, sizeof buf, attrs), MemTxResult::Ok);
}

TEST_F(RiscvIommuTest, ADeviceIotlbStaysCoherentThroughIotinval) {
  enable_queues();
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(5, kSatpSv39, 8);
  uint64_t a = alloc_page(), b = alloc_page();
  map(root, 3, 0x4000, a);
  MemTxAttrs attrs;
  attrs.requester_id = 5;
  DeviceIotlb cache(iommu, "dev5", DeviceIotlb::kDefaultCapacity, 5, attrs);
  std::string error;
  ASSERT_TRUE(cache.attach(&error)) << error;
  EXPECT_EQ(cache.lookup(0x4010, kIommuRead).translated_addr, a);
  map(root, 3, 0x4000, b);
  EXPECT_EQ(cache.lookup(0x4010, kIommuRead).translated_addr, a);  // not yet invalidated
  submit(inval_vma(true, 0, true, 8), inval_addr(0x4000));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.lookup(0x4010, kIommuRead).translated_addr, b);
}

TEST_F(RiscvIommuTest, AWalkThatReplacesAnIotlbEntryUnmapsTheOldOne) {
  // Found while writing riscv_iommu_fuzz's invariants: the IOTLB keeps one entry per device, PSCID
  // and base, and a walk that found a new leaf at a cached entry's base replaced it without an
  // UNMAP, so a device IOTLB kept the old block, and an IOTINVAL.VMA that covered it (but not the
  // new, smaller block) left it there.
  enable_queues();
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(5, kSatpSv39, 8);
  constexpr uint64_t kReadOnly = PTE_V | PTE_R | PTE_U | PTE_A;
  map(root, 3, 0x200000, kRamBase + 0x200000, kReadOnly, 1);  // a read-only 2 MiB superpage
  MemTxAttrs attrs;
  attrs.requester_id = 5;
  DeviceIotlb cache(iommu, "dev5", DeviceIotlb::kDefaultCapacity, 5, attrs);
  ASSERT_TRUE(cache.attach(nullptr));
  EXPECT_EQ(cache.lookup(0x200000, kIommuRead).addr_mask, 0x1fffffu);

  // The guest turns the superpage into a table with a writable page at the same base. A write
  // there misses the read-only entry and walks, and its 4 KiB leaf takes the entry's place.
  uint64_t table = alloc_page();
  w64(pte_addr(root, 3, 0x200000, 1), ((table >> 12) << 10) | PTE_V);
  map(root, 3, 0x200000, kRamBase + 0x400000);
  EXPECT_EQ(dma_write(5, 0x200000, 0), MemTxResult::Ok);
  EXPECT_EQ(cache.size(), 0u);  // the superpage left the IOTLB, so it left the cache too

  EXPECT_EQ(cache.lookup(0x205000, kIommuRead).perm, kIommuNone);  // not mapped any more
  EXPECT_EQ(cache.lookup(0x200000, kIommuRead).translated_addr, kRamBase + 0x400000);
  submit(inval_vma(true, 0, false, 0), inval_addr(0x200000));
  EXPECT_EQ(cache.size(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Replay and lookup
// ---------------------------------------------------------------------------------------------

TEST_F(RiscvIommuTest, ReplayDeliversTheCurrentMappingsWithoutSideEffects) {
  enable_queues();
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(8, kSatpSv39, 2);
  map(root, 3, 0x1000, kRamBase + 0x1000);
  map(root, 3, 0x3000, kRamBase + 0x3000, kUserRw & ~PTE_D);  // read-only for the device
  map(root, 3, 0x4000, kRamBase, kUserRw & ~PTE_A);           // no access: not a mapping
  map(root, 3, 0x200000, kRamBase, kUserRw, 1);
  map(root, 3, 0xffffffffc0001000, kRamBase);
  // Broken parts of the tables: a pointer outside RAM, a misaligned superpage, reserved bits.
  w64(pte_addr(root, 3, 0x40000000, 2), ((kOutsideRam >> 12) << 10) | PTE_V);
  map(root, 3, 0x600000, kRamBase + 0x1000, kUserRw, 1);
  map(root, 3, 0x5000, kRamBase, kUserRw | bit(63));

  struct Mapping {
    uint64_t first, last, target;
    IommuAccessFlags perm;
    bool operator==(const Mapping&) const = default;
  };
  std::vector<Mapping> got;
  IommuNotifier n(
      "replay", F::Map,
      [&](const IommuTlbEvent& e) {
        got.push_back({e.entry.first(), e.entry.last(), e.entry.translated_addr, e.entry.perm});
      },
      0, UINT64_MAX, 8);
  uint64_t faults_before = iommu.stats().faults_recorded;
  uint64_t walks_before = iommu.stats().page_walks;
  iommu.replay(n);  // an unregistered MAP notifier may still ask for a replay
  EXPECT_EQ(got,
            (std::vector<Mapping>{{0x1000, 0x1fff, kRamBase + 0x1000, kIommuRw},
                                  {0x3000, 0x3fff, kRamBase + 0x3000, kIommuRead},
                                  {0x200000, 0x3fffff, kRamBase, kIommuRw},
                                  {0xffffffffc0001000, 0xffffffffc0001fff, kRamBase, kIommuRw}}));
  EXPECT_EQ(iommu.stats().faults_recorded, faults_before);
  EXPECT_EQ(iommu.stats().page_walks, walks_before);
  EXPECT_EQ(iommu.iotlb_size(), 0u);
  EXPECT_EQ(reg(FQT), 0u);
  EXPECT_EQ(reg(IPSR), 0u);

  // A notifier range crops the walk.
  got.clear();
  IommuNotifier part(
      "part", F::Map,
      [&](const IommuTlbEvent& e) {
        got.push_back({e.entry.first(), e.entry.last(), 0, e.entry.perm});
      },
      0x2000, 0x2fffff, 8);
  iommu.replay(part);
  EXPECT_EQ(got, (std::vector<Mapping>{{0x3000, 0x3fff, 0, kIommuRead},
                                       {0x200000, 0x2fffff, 0, kIommuRw}}));

  // lookup() of a fault site records nothing either.
  EXPECT_EQ(iommu.lookup(0x40000000, 8).perm, kIommuNone);
  EXPECT_EQ(iommu.lookup(0x7000, 8).perm, kIommuNone);
  EXPECT_EQ(iommu.lookup(0x1000, 99).perm, kIommuNone);  // no context
  EXPECT_EQ(reg(FQT), 0u);
  // A device with an invalid context replays nothing, and records nothing.
  got.clear();
  IommuNotifier none(
      "none", F::Map, [&](const IommuTlbEvent&) { got.push_back({}); }, 0, UINT64_MAX, 99);
  iommu.replay(none);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(reg(FQT), 0u);
}

TEST_F(RiscvIommuTest, ReplayOfALoopingTableIsBounded) {
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(1, kSatpSv48, 2);
  // Every entry of every level points back at the root: 512^4 paths.
  for (uint64_t i = 0; i < 512; ++i) w64(root + i * 8, ((root >> 12) << 10) | PTE_V);
  int delivered = 0;
  IommuNotifier n(
      "loop", F::Map, [&](const IommuTlbEvent&) { ++delivered; }, 0, UINT64_MAX, 1);
  iommu.replay(n);
  EXPECT_EQ(delivered, 0);  // level-0 pointers are invalid; and the walk ended
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

TEST_F(RiscvIommuTest, AtsInvalSendsDevIotlbUnmapForThePayloadRange) {
  enable_queues();
  IommuNotifier n = make_recorder(0x12345, F::DevIotlbUnmap);
  IommuNotifier other = make_recorder(0x345, F::Unmap | F::DevIotlbUnmap);
  ASSERT_TRUE(iommu.register_notifier(n, nullptr));
  ASSERT_TRUE(iommu.register_notifier(other, nullptr));
  uint64_t cmd = field(CMD_OPCODE, OP_ATS) | field(CMD_FUNC3, FUNC_ATS_INVAL) |
                 field(ATS_RID, 0x2345) | ATS_DSV | field(ATS_DSEG, 0x1);
  submit(cmd, 0x7000);                               // one page
  submit(cmd, 0x5000 | ATS_INVAL_S);                 // one 1 above bit 12: 16 KiB at 0x4000
  submit(cmd, 0x100000 | 0x7f000 | ATS_INVAL_S);     // 7 ones: 1 MiB at 0x100000
  submit(cmd, ATS_INVAL_ADDR | ATS_INVAL_S);         // all ones: everything
  submit(cmd, 0x7fff'ffff'ffff'f000 | ATS_INVAL_S);  // 51 ones: everything too
  EXPECT_EQ(events, (std::vector<Event>{{F::DevIotlbUnmap, 0x7000, 0x7fff},
                                        {F::DevIotlbUnmap, 0x4000, 0x7fff},
                                        {F::DevIotlbUnmap, 0x100000, 0x1fffff},
                                        {F::DevIotlbUnmap, 0, UINT64_MAX},
                                        {F::DevIotlbUnmap, 0, UINT64_MAX}}));
  // PRGR is accepted.
  submit(field(CMD_OPCODE, OP_ATS) | field(CMD_FUNC3, FUNC_ATS_PRGR));
  EXPECT_EQ(reg(CQH), reg(CQT));
  EXPECT_EQ(reg(CQCSR) & CQCSR_CMD_ILL, 0u);
}

TEST_F(RiscvIommuTest, IofenceWritesItsDataAndSignalsCompletion) {
  enable_queues();
  uint64_t target = alloc_page() + 0x40;
  w64(target, 0xffffffffffffffff);
  submit(field(CMD_OPCODE, OP_IOFENCE) | IOFENCE_AV | IOFENCE_PR | IOFENCE_PW |
             field(IOFENCE_DATA, 0xc0ffee11),
         target >> 2);
  EXPECT_EQ(r64(target), 0xffffffffc0ffee11u);  // 4 bytes written
  EXPECT_FALSE(irq_level);
  submit(field(CMD_OPCODE, OP_IOFENCE) | IOFENCE_WSI);
  EXPECT_TRUE(reg(CQCSR) & CQCSR_FENCE_W_IP);
  EXPECT_TRUE(reg(IPSR) & IPSR_CIP);
  EXPECT_TRUE(irq_level);
  EXPECT_EQ(reg(CQH), reg(CQT));                         // fence_w_ip does not stop the queue
  set_reg(CQCSR, QCSR_EN | QCSR_IE | CQCSR_FENCE_W_IP);  // write 1 to clear
  EXPECT_FALSE(reg(CQCSR) & CQCSR_FENCE_W_IP);

  // A fence whose write fails is a command-queue memory fault; the queue stops on it.
  submit(field(CMD_OPCODE, OP_IOFENCE) | IOFENCE_AV, kOutsideRam >> 2);
  EXPECT_TRUE(reg(CQCSR) & QCSR_MF);
  EXPECT_NE(reg(CQH), reg(CQT));
}

TEST_F(RiscvIommuTest, IllegalCommandSetsCmdIllAndStopsTheQueue) {
  enable_queues();
  uint64_t target = alloc_page();
  uint64_t fence = field(CMD_OPCODE, OP_IOFENCE) | IOFENCE_AV | field(IOFENCE_DATA, 0x77);
  // Illegal: unknown opcode, unknown func3, reserved bits.
  for (uint64_t bad :
       {field(CMD_OPCODE, 9), field(CMD_OPCODE, OP_IOFENCE) | field(CMD_FUNC3, 1),
        inval_vma(false, 0, false, 0) | bit(40),
        field(CMD_OPCODE, OP_IOTINVAL) | field(CMD_FUNC3, FUNC_IOTINVAL_GVMA) | IOTINVAL_PSCV}) {
    SCOPED_TRACE(bad);
    set_reg(CQCSR, 0);
    set_reg(CQT, 0);
    enable_queues();
    w64(target, 0);
    submit(bad);
    submit(fence, target >> 2);
    EXPECT_TRUE(reg(CQCSR) & CQCSR_CMD_ILL);
    EXPECT_EQ(reg(CQH), 0u);  // on the illegal command
    EXPECT_EQ(reg(CQT), 2u);
    EXPECT_EQ(r64(target), 0u);  // the fence behind it did not run
    EXPECT_TRUE(reg(IPSR) & IPSR_CIP);
    EXPECT_TRUE(irq_level);
    set_reg(IPSR, IPSR_CIP);
  }
  // Software fixes the command and clears cmd_ill: the queue runs on.
  w64(cq_base, fence);
  w64(cq_base + 8, target >> 2);
  set_reg(CQCSR, QCSR_EN | QCSR_IE | CQCSR_CMD_ILL);
  EXPECT_FALSE(reg(CQCSR) & CQCSR_CMD_ILL);
  EXPECT_EQ(reg(CQH), 2u);
  EXPECT_EQ(r64(target), 0x77u);
}

TEST_F(RiscvIommuTest, CommandQueueWrapsAndFaultsOnBadMemory) {
  enable_queues(/*log2=*/2);  // 4 entries
  uint64_t target = alloc_page();
  for (uint32_t i = 1; i <= 7; ++i) {
    submit(field(CMD_OPCODE, OP_IOFENCE) | IOFENCE_AV | field(IOFENCE_DATA, i), target >> 2);
    EXPECT_EQ(r32(target), i);
  }
  EXPECT_EQ(reg(CQH), 3u);
  EXPECT_EQ(reg(CQT), 3u);
  // cqt is WARL: only the index bits are kept.
  set_reg(CQT, 0x107);
  EXPECT_EQ(reg(CQT), 3u);
  // A queue outside RAM: the fetch fails. Enabling it starts from index 0.
  set_reg(CQCSR, 0);
  set_reg(CQB, (kOutsideRam >> 2) | 1, 8);
  set_reg(CQCSR, QCSR_EN | QCSR_IE);
  EXPECT_EQ(reg(CQH), 0u);
  EXPECT_EQ(reg(CQT), 0u);
  EXPECT_FALSE(reg(CQCSR) & QCSR_MF);  // nothing to fetch yet
  set_reg(CQT, 1);
  EXPECT_TRUE(reg(CQCSR) & QCSR_MF);
  EXPECT_EQ(reg(CQH), 0u);
  EXPECT_TRUE(reg(IPSR) & IPSR_CIP);
  // The base cannot move while the queue is on.
  set_reg(CQB, (cq_base >> 2) | 1, 8);
  EXPECT_EQ(get_field(reg(CQB, 8), QB_PPN), kOutsideRam >> 12);
}

// ---------------------------------------------------------------------------------------------
// Fault queue
// ---------------------------------------------------------------------------------------------

TEST_F(RiscvIommuTest, FaultQueueOverflowsAndReportsMemoryFaults) {
  enable_queues(4, /*fq_log2=*/2);  // 4 entries: 3 records fit
  for (int i = 0; i < 5; ++i) EXPECT_EQ(dma64(1, 0x1000 * i), ~uint64_t{0});
  EXPECT_TRUE(reg(FQCSR) & QCSR_OF);
  EXPECT_EQ(reg(FQT), 3u);
  std::vector<FaultRecord> faults = take_faults();
  ASSERT_EQ(faults.size(), 3u);
  EXPECT_EQ(faults[2].iotval, 0x2000u);
  EXPECT_EQ(iommu.stats().faults_dropped, 2u);
  // While fqof is set nothing is recorded even with room; clearing it resumes recording.
  EXPECT_EQ(dma64(1, 0x9000), ~uint64_t{0});
  EXPECT_EQ(reg(FQT), 3u);
  set_reg(FQCSR, QCSR_EN | QCSR_IE | QCSR_OF);
  EXPECT_FALSE(reg(FQCSR) & QCSR_OF);
  EXPECT_EQ(dma64(1, 0xa000), ~uint64_t{0});
  EXPECT_EQ(reg(FQT), 0u);  // wrapped
  faults = take_faults();
  ASSERT_EQ(faults.size(), 1u);
  EXPECT_EQ(faults[0].iotval, 0xa000u);

  // A fault queue outside RAM: the record write fails and fqmf is set.
  set_reg(FQCSR, 0);
  set_reg(FQB, (kOutsideRam >> 2) | 3, 8);
  set_reg(FQCSR, QCSR_EN | QCSR_IE);
  set_reg(IPSR, IPSR_FIP);
  EXPECT_EQ(dma64(1, 0x1000), ~uint64_t{0});
  EXPECT_TRUE(reg(FQCSR) & QCSR_MF);
  EXPECT_EQ(reg(FQT), 0u);
  EXPECT_TRUE(reg(IPSR) & IPSR_FIP);
}

TEST_F(RiscvIommuTest, FaultsWithoutInterruptEnableLeaveTheLineLow) {
  enable_queues();
  set_reg(FQCSR, QCSR_EN);  // fie = 0
  EXPECT_EQ(dma64(1, 0x1000), ~uint64_t{0});
  EXPECT_EQ(reg(FQT), 1u);
  EXPECT_FALSE(reg(IPSR) & IPSR_FIP);
  EXPECT_FALSE(irq_level);
}

// ---------------------------------------------------------------------------------------------
// DMA through the region
// ---------------------------------------------------------------------------------------------

TEST_F(RiscvIommuTest, DmaReachesTheTranslatedBytesAndFaultsAreIommuFaults) {
  enable_queues();
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(3, kSatpSv39, 1);
  uint64_t a = alloc_page(), b = alloc_page();
  map(root, 3, 0x10000, a);
  map(root, 3, 0x11000, b);  // contiguous in iova, not in RAM
  std::vector<uint8_t> data(0x100);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  MemTxAttrs attrs;
  attrs.requester_id = 3;
  ASSERT_EQ(dev.write(0x10f80, data.data(), data.size(), attrs), MemTxResult::Ok);
  EXPECT_EQ(r64(a + 0xf80), 0x0706050403020100u);
  EXPECT_EQ(r64(b), 0x8786858483828180u);
  std::vector<uint8_t> back(data.size());
  ASSERT_EQ(dev.read(0x10f80, back.data(), back.size(), attrs), MemTxResult::Ok);
  EXPECT_EQ(back, data);
  // Past the mapping, the transfer faults.
  EXPECT_EQ(dev.read(0x11f80, back.data(), back.size(), attrs), MemTxResult::IommuFault);
  // Another requester id is another device.
  attrs.requester_id = 4;
  EXPECT_EQ(dev.read(0x10f80, back.data(), 8, attrs), MemTxResult::IommuFault);
}

TEST_F(RiscvIommuTest, DdtpWriteDropsCachesAndUnmapsEveryListeningDevice) {
  enable_queues();
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(2, kSatpSv39, 1);
  map(root, 3, 0x1000, kRamBase);
  EXPECT_EQ(dma64(2, 0x1000), 0u);
  EXPECT_EQ(iommu.iotlb_size(), 1u);
  IommuNotifier n = make_recorder(2, F::Unmap);
  ASSERT_TRUE(iommu.register_notifier(n, nullptr));
  set_reg(DDTP, kModeBare, 8);
  EXPECT_EQ(iommu.iotlb_size(), 0u);
  EXPECT_EQ(events, (std::vector<Event>{{F::Unmap, 0, UINT64_MAX}}));
}

// ---------------------------------------------------------------------------------------------
// Debug introspection (the UI's view: nothing may change)
// ---------------------------------------------------------------------------------------------

using Kind = RiscvIommu::WalkStep::Kind;

TEST_F(RiscvIommuTest, DebugMappingsAreTheReplaysLeavesAndAreBounded) {
  enable_queues();
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(8, kSatpSv39, 2);
  map(root, 3, 0x1000, kRamBase + 0x1000);
  map(root, 3, 0x3000, kRamBase + 0x3000, kUserRw & ~PTE_D);
  map(root, 3, 0x4000, kRamBase, kUserRw & ~PTE_A);  // no access: not a mapping
  map(root, 3, 0x200000, kRamBase, kUserRw, 1);
  std::vector<IommuTlbEntry> replayed;
  IommuNotifier n(
      "replay", F::Map, [&](const IommuTlbEvent& e) { replayed.push_back(e.entry); }, 0, UINT64_MAX,
      8);
  iommu.replay(n);
  const RiscvIommu::Stats before = iommu.stats();
  bool truncated = true;
  const std::vector<IommuTlbEntry> all = iommu.debug_mappings(8, 100, 1 << 20, &truncated);
  EXPECT_EQ(all, replayed);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[1].first(), 0x3000u);
  EXPECT_EQ(all[1].perm, kIommuRead);
  EXPECT_EQ(all[2].last(), 0x3fffffu);
  EXPECT_FALSE(truncated);
  // At most max_entries, saying there were more.
  const std::vector<IommuTlbEntry> two = iommu.debug_mappings(8, 2, 1 << 20, &truncated);
  EXPECT_EQ(two, std::vector<IommuTlbEntry>(all.begin(), all.begin() + 2));
  EXPECT_TRUE(truncated);
  // A device without a context has none; nothing was recorded or cached on the way.
  EXPECT_TRUE(iommu.debug_mappings(99, 100, 1 << 20, &truncated).empty());
  EXPECT_EQ(iommu.stats().faults_recorded, before.faults_recorded);
  EXPECT_EQ(iommu.stats().page_walks, before.page_walks);
  EXPECT_EQ(iommu.iotlb_size(), 0u);
  EXPECT_EQ(reg(FQT), 0u);
}

TEST_F(RiscvIommuTest, DebugMappingsOfALoopingTableEndAtTheReadBound) {
  set_ddtp(kMode1Lvl);
  uint64_t root = attach(1, kSatpSv48, 2);
  for (uint64_t i = 0; i < 512; ++i) w64(root + i * 8, ((root >> 12) << 10) | PTE_V);
  bool truncated = false;
  EXPECT_TRUE(iommu.debug_mappings(1, 100, 4096, &truncated).empty());
  EXPECT_TRUE(truncated);  // the bound, not the table, ended the walk
  // A leaf reached through the loop is found as often as the bounds allow, no more.
  w64(root + 511 * 8, ((kRamBase >> 12) << 10) | kUserRw);  // a 512 GiB leaf at the top
  const std::vector<IommuTlbEntry> some =
      iommu.debug_mappings(1, 5, RiscvIommu::kReplayMaxReads, &truncated);
  EXPECT_LE(some.size(), 5u);
  EXPECT_TRUE(truncated);
}

TEST_F(RiscvIommuTest, DebugWalkRecordsEveryStepAndChangesNothing) {
  enable_queues();
  set_ddtp(kMode2Lvl);
  const uint32_t did = 0x185;  // DDI[1] = 3, DDI[0] = 5
  uint64_t root = attach(did, kSatpSv39, 9, DC_TC_EN_ATS);
  map(root, 3, 0x5000, kRamBase + 0x7000);
  map(root, 3, 0x6000, kRamBase + 0x8000, kUserRw & ~PTE_D);
  map(root, 3, 0x400000, kRamBase + 0x200000, kUserRw, 1);
  const RiscvIommu::Stats s0 = iommu.stats();

  RiscvIommu::IovaWalk w = iommu.debug_walk(did, 0x5123, kIommuRead);
  ASSERT_TRUE(w.ok);
  EXPECT_EQ(w.pa, kRamBase + 0x7123);
  EXPECT_EQ(w.page_mask, 0xfffu);
  EXPECT_EQ(w.perm, kIommuRw);
  EXPECT_EQ(w.context.cause, 0u);
  EXPECT_EQ(w.context.context_addr, dc_addr(did));
  EXPECT_EQ(get_field(w.context.ta, DC_TA_PSCID), 9u);
  EXPECT_TRUE(w.context.tc & DC_TC_EN_ATS);
  // ddtp, the DDI[1] entry, the four context doublewords; then three PTEs.
  ASSERT_EQ(w.context.steps.size(), 6u);
  EXPECT_EQ(w.context.steps[0].kind, Kind::Ddtp);
  EXPECT_EQ(w.context.steps[1].kind, Kind::DdtEntry);
  EXPECT_EQ(w.context.steps[1].index, 1);
  EXPECT_EQ(w.context.steps[1].addr, ddt_root + 3 * 8);
  EXPECT_EQ(w.context.steps[5].kind, Kind::ContextWord);
  EXPECT_EQ(w.context.steps[5].addr, dc_addr(did) + 24);
  ASSERT_EQ(w.ptes.size(), 3u);
  EXPECT_EQ(w.ptes[2].addr, pte_addr(root, 3, 0x5000, 0));
  EXPECT_EQ(w.ptes[2].index, 0);

  // A superpage stops at level 1; a write to a leaf without D, an unmapped page, and a device
  // without a context are the faults translate() would record.
  w = iommu.debug_walk(did, 0x5abcde, kIommuWrite);
  EXPECT_TRUE(w.ok);
  EXPECT_EQ(w.page_mask, 0x1fffffu);
  EXPECT_EQ(w.pa, kRamBase + 0x3abcde);
  EXPECT_EQ(w.ptes.size(), 2u);
  EXPECT_EQ(iommu.debug_walk(did, 0x6000, kIommuWrite).cause, kCauseWritePageFault);
  EXPECT_TRUE(iommu.debug_walk(did, 0x6000, kIommuRead).ok);
  w = iommu.debug_walk(did, 0x9000, kIommuRead);
  EXPECT_EQ(w.cause, kCauseReadPageFault);
  EXPECT_EQ(w.ptes.back().value, 0u);
  w = iommu.debug_walk(did + 1, 0x5000, kIommuRead);
  EXPECT_EQ(w.cause, kCauseDdtNotValid);
  // The whole context is read; its tc has no V.
  ASSERT_EQ(w.context.steps.size(), 6u);
  EXPECT_EQ(w.context.steps[2].kind, Kind::ContextWord);
  EXPECT_EQ(w.context.steps[2].value & DC_TC_V, 0u);
  // A device id wider than a two-level directory indexes.
  EXPECT_EQ(iommu.debug_walk(0x10000, 0x5000, kIommuRead).cause, kCauseTransactionTypeDisallowed);

  // Nothing of the above touched the IOMMU's state.
  EXPECT_EQ(iommu.stats().page_walks, s0.page_walks);
  EXPECT_EQ(iommu.stats().ddt_walks, s0.ddt_walks);
  EXPECT_EQ(iommu.stats().faults_recorded, s0.faults_recorded);
  EXPECT_EQ(iommu.iotlb_size(), 0u);
  EXPECT_EQ(reg(FQT), 0u);
  EXPECT_TRUE(iommu.fault_history().empty());

  // The IOTLB holds a page only after a DMA used it; asking does not fill it.
  EXPECT_FALSE(iommu.iotlb_holds(did, 0x5000));
  EXPECT_EQ(iommu.iotlb_size(), 0u);
  EXPECT_NE(dma64(did, 0x5000), ~uint64_t{0});
  EXPECT_TRUE(iommu.iotlb_holds(did, 0x5ff8));
  EXPECT_FALSE(iommu.iotlb_holds(did, 0x400000));
  EXPECT_EQ(iommu.iotlb_size(), 1u);

  // Off: every device's walk ends at ddtp with "all inbound transactions disallowed".
  set_reg(DDTP, kModeOff, 8);
  w = iommu.debug_walk(did, 0x5000, kIommuRead);
  EXPECT_EQ(w.cause, kCauseAllInboundDisallowed);
  EXPECT_EQ(w.context.steps.size(), 1u);
}

TEST_F(RiscvIommuTest, FaultHistoryKeepsTheNewestRecordsAndWhetherTheQueueTookThem) {
  uint64_t now = 5;
  iommu.set_clock([&] { return now; });
  // Off, fault queue off: the fault is reported but dropped.
  EXPECT_EQ(dma64(3, 0x1000), ~uint64_t{0});
  ASSERT_EQ(iommu.fault_history().size(), 1u);
  RiscvIommu::FaultRecord f = iommu.fault_history().back();
  EXPECT_EQ(f.seq, 1u);
  EXPECT_EQ(f.time_ns, 5u);
  EXPECT_EQ(f.cause, kCauseAllInboundDisallowed);
  EXPECT_EQ(f.ttyp, kTtypUntranslatedRead);
  EXPECT_EQ(f.did, 3u);
  EXPECT_EQ(f.iotval, 0x1000u);
  EXPECT_FALSE(f.delivered);

  // A four-entry queue takes three records, then overflows; the history keeps the newest.
  enable_queues(4, /*fq_log2=*/2);
  set_ddtp(kMode1Lvl);
  const size_t total = RiscvIommu::kFaultHistory + 40;
  for (size_t i = 0; i < total; ++i) {
    now = 100 + i;
    EXPECT_EQ(dma_write(7, 0x1000 * i, 1), MemTxResult::IommuFault);
  }
  const std::deque<RiscvIommu::FaultRecord>& h = iommu.fault_history();
  ASSERT_EQ(h.size(), RiscvIommu::kFaultHistory);
  EXPECT_EQ(h.back().seq, total + 1);
  EXPECT_EQ(h.front().seq, total + 2 - RiscvIommu::kFaultHistory);
  EXPECT_EQ(h.back().time_ns, 100 + total - 1);
  EXPECT_EQ(h.back().cause, kCauseDdtNotValid);
  EXPECT_EQ(h.back().ttyp, kTtypUntranslatedWrite);
  EXPECT_EQ(h.back().iotval, 0x1000 * (total - 1));
  size_t delivered = 0;
  for (const RiscvIommu::FaultRecord& r : h) delivered += r.delivered;
  EXPECT_EQ(delivered, 0u);  // the three the queue took are older than the history keeps
  EXPECT_EQ(take_faults().size(), 3u);
  EXPECT_EQ(iommu.stats().faults_dropped, total + 1 - 3);
}

}  // namespace
}  // namespace glassvm
