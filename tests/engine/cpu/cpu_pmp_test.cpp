// Physical memory protection (privileged spec 3.7): OFF/TOR/NA4/NAPOT matching, priority of
// the lowest-numbered entry, partial matches, the L bit and M-mode, MPRV, the page-table
// walker's accesses, and that neither the data TLB nor the decoded-code cache lets an access
// skip a check (entries changed after a fill, boundaries inside a page).
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>

#include "engine/cpu/csr.h"
#include "tests/engine/cpu/cpu_test_machine.h"

namespace glassvm::test {
namespace {

constexpr uint8_t kR = 1, kW = 2, kX = 4, kL = 0x80;
constexpr uint8_t kTor = 1 << 3, kNa4 = 2 << 3, kNapot = 3 << 3;
constexpr uint64_t kMPRV = 1ull << 17;

class CpuPmp : public CpuMachine {
 protected:
  static constexpr uint64_t kTrapVec = kRamBase + 0x4000;
  static constexpr uint64_t kData = kRamBase + 0x8000;

  void SetUp() override {
    ASSERT_TRUE(cpu_->poke_csr(kCsrMtvec, kTrapVec));
    ASSERT_TRUE(cpu_->poke_csr(kCsrPmpcfg0, 0));  // start with every entry OFF
    set_mem(kData, 0x1122334455667788);
    set_mem(kData + 0x100, 0x99);
  }
  /// Sets entry `i` (0..7) to `cfg` with address register `addr`.
  void entry(unsigned i, uint8_t cfg, uint64_t addr) {
    ASSERT_TRUE(cpu_->poke_csr(static_cast<uint16_t>(kCsrPmpaddr0 + i), addr));
    const uint64_t old = csr(kCsrPmpcfg0);
    const uint64_t shift = 8 * i;
    ASSERT_TRUE(cpu_->poke_csr(
        kCsrPmpcfg0, (old & ~(0xffull << shift)) | (static_cast<uint64_t>(cfg) << shift)));
  }
  /// pmpaddr of a NAPOT region of `size` bytes at `base` (size a power of two >= 8).
  static uint64_t napot(uint64_t base, uint64_t size) { return (base >> 2) | ((size >> 3) - 1); }
  static constexpr uint64_t kAll = (1ull << 54) - 1;  // NAPOT over the whole space

  void expect_trap(uint64_t cause, uint64_t epc, uint64_t tval) {
    EXPECT_EQ(cpu_->priv(), PrivLevel::Machine);
    EXPECT_EQ(cpu_->pc(), kTrapVec);
    EXPECT_EQ(csr(kCsrMcause), cause);
    EXPECT_EQ(csr(kCsrMepc), epc);
    EXPECT_EQ(csr(kCsrMtval), tval);
  }
  /// One load (a0 <- [a1]) of `size` bytes in S-mode at `addr`; returns whether it succeeded.
  bool s_load(uint64_t addr, unsigned size = 8) {
    const uint32_t f3 = size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0;
    cpu_->set_reg(a1, addr);
    run_in(PrivLevel::Supervisor, {load(f3, a0, a1, 0)});
    step();
    return cpu_->priv() == PrivLevel::Supervisor;
  }
  /// In M-mode with MPRV = 1 and MPP = S: loads are S-mode accesses, fetches stay M.
  void mprv_supervisor() {
    cpu_->poke_csr(kCsrMstatus, (csr(kCsrMstatus) & ~(3ull << 11)) | (1ull << 11) | kMPRV);
  }
};

TEST_F(CpuPmp, SupervisorWithNoEntryCannotFetch) {
  run_in(PrivLevel::Supervisor, {kNop});
  step();
  expect_trap(kExcInsnAccessFault, kCode, kCode);
}

TEST_F(CpuPmp, MachineModeWithNoEntryIsUnrestricted) {
  cpu_->set_reg(a1, kData);
  program({ld(a0, a1, 0), sd(a0, a1, 8)});
  step(2);
  EXPECT_EQ(x(a0), 0x1122334455667788u);
  EXPECT_EQ(mem(kData + 8), 0x1122334455667788u);
}

TEST_F(CpuPmp, NapotEntryGrantsItsPermissionsOnly) {
  entry(0, kNapot | kR, napot(kData, 0x1000));  // the data page: read-only
  entry(1, kNapot | kR | kW | kX, kAll);
  EXPECT_TRUE(s_load(kData));
  EXPECT_EQ(x(a0), 0x1122334455667788u);
  cpu_->set_reg(a1, kData);
  run_in(PrivLevel::Supervisor, {sd(a0, a1, 16)});
  step();
  expect_trap(kExcStoreAccessFault, kCode, kData + 16);  // an access fault, not a page fault
}

TEST_F(CpuPmp, LowestNumberedMatchingEntryWins) {
  entry(0, kNapot | kR | kW | kX, kAll);
  entry(1, kNapot, napot(kData, 0x1000));  // would deny, but entry 0 matches first
  EXPECT_TRUE(s_load(kData));
}

TEST_F(CpuPmp, TorMatchesFromThePreviousAddressUpToItsOwn) {
  entry(0, 0, kData >> 2);                // OFF: only the lower bound of entry 1
  entry(1, kTor, (kData + 0x1000) >> 2);  // [kData, kData + 4 KiB): no permission
  entry(2, kNapot | kR | kW | kX, kAll);
  EXPECT_FALSE(s_load(kData + 0xff8));
  expect_trap(kExcLoadAccessFault, kCode, kData + 0xff8);
  EXPECT_TRUE(s_load(kData + 0x1000));
  EXPECT_TRUE(s_load(kData - 8));
}

TEST_F(CpuPmp, TorOfEntryZeroStartsAtAddressZero) {
  entry(0, kTor | kR | kX, (kRamBase + 0x10000) >> 2);
  EXPECT_TRUE(s_load(kData));
  EXPECT_FALSE(s_load(kRamBase + 0x10000));  // above the top: no entry matches
}

TEST_F(CpuPmp, Na4CoversFourBytes) {
  entry(0, kNa4, (kData + 0x100) >> 2);
  entry(1, kNapot | kR | kW | kX, kAll);
  EXPECT_FALSE(s_load(kData + 0x100, 4));
  EXPECT_TRUE(s_load(kData + 0x104, 4));
  EXPECT_TRUE(s_load(kData + 0xfc, 4));
}

TEST_F(CpuPmp, AccessMatchingAnEntryPartlyFailsEvenIfBothEntriesAllow) {
  entry(0, kNa4 | kR | kW, (kData + 0x100) >> 2);
  entry(1, kNapot | kR | kW | kX, kAll);
  EXPECT_TRUE(s_load(kData + 0x100, 4));
  EXPECT_FALSE(s_load(kData + 0x100, 8));  // bytes 4..7 lie outside entry 0
  expect_trap(kExcLoadAccessFault, kCode, kData + 0x100);
}

TEST_F(CpuPmp, LockedEntryAppliesToMachineMode) {
  entry(0, kNapot | kR | kW | kX, napot(kData, 0x1000));  // unlocked: M ignores permissions
  entry(1, kNapot | kL, napot(kData + 0x1000, 0x1000));   // locked, no permission
  cpu_->set_reg(a1, kData);
  cpu_->set_reg(a2, kData + 0x1000);
  program({ld(a0, a1, 0), ld(a0, a2, 0)});
  step();
  EXPECT_EQ(cpu_->pc(), kRamBase + 4);
  step();
  expect_trap(kExcLoadAccessFault, kRamBase + 4, kData + 0x1000);
}

TEST_F(CpuPmp, UnlockedEntryDoesNotRestrictMachineMode) {
  entry(0, kNapot, napot(kData, 0x1000));
  cpu_->set_reg(a1, kData);
  program({ld(a0, a1, 0)});
  step();
  EXPECT_EQ(x(a0), 0x1122334455667788u);
}

TEST_F(CpuPmp, LockedEntryIgnoresWritesUntilReset) {
  entry(0, kNapot | kR | kL, napot(kData, 0x1000));
  cpu_->poke_csr(kCsrPmpcfg0, 0x1f);
  cpu_->poke_csr(kCsrPmpaddr0, kAll);
  EXPECT_EQ(csr(kCsrPmpcfg0) & 0xff, kNapot | kR | kL);
  EXPECT_EQ(csr(kCsrPmpaddr0), napot(kData, 0x1000));
  cpu_->reset(kRamBase);
  EXPECT_EQ(csr(kCsrPmpcfg0), 0u);
}

TEST_F(CpuPmp, MprvMakesMachineLoadsSupervisorAccesses) {
  mprv_supervisor();
  cpu_->set_reg(a1, kData);
  program({ld(a0, a1, 0)});  // the fetch is M-mode and needs no entry; the load is S
  step();
  expect_trap(kExcLoadAccessFault, kRamBase, kData);
}

TEST_F(CpuPmp, WritingAnEntryDropsTranslationsItNoLongerAllows) {
  entry(0, kNapot | kR | kW | kX, kAll);
  mprv_supervisor();
  cpu_->set_reg(a1, kData);
  program({ld(a0, a1, 0), ld(a2, a1, 0)});
  step();  // fills the TLB for the data page
  EXPECT_EQ(x(a0), 0x1122334455667788u);
  entry(0, kNapot | kX, kAll);  // no more R
  step();
  expect_trap(kExcLoadAccessFault, kRamBase + 4, kData);
}

TEST_F(CpuPmp, BoundaryInsideAPageIsCheckedOnEveryAccess) {
  entry(0, kNa4, (kData + 0x100) >> 2);
  entry(1, kNapot | kR | kW | kX, kAll);
  mprv_supervisor();
  cpu_->set_reg(a1, kData);
  program({ld(a0, a1, 0), ld(a0, a1, 8), lw(a2, a1, 0x100)});
  step(2);  // two loads from the page: neither may make it a TLB hit for the third
  EXPECT_EQ(cpu_->pc(), kRamBase + 8);
  step();
  expect_trap(kExcLoadAccessFault, kRamBase + 8, kData + 0x100);
}

TEST_F(CpuPmp, FetchFromAPageSplitByAnEntryStopsAtTheBoundary) {
  entry(0, kNa4 | kR, (kCode + 8) >> 2);  // the third instruction: not executable
  entry(1, kNapot | kR | kW | kX, kAll);
  run_in(PrivLevel::Supervisor, {addi(a0, zero, 1), addi(a0, a0, 1), addi(a0, a0, 1)});
  step(3);
  EXPECT_EQ(x(a0), 2u);
  expect_trap(kExcInsnAccessFault, kCode + 8, kCode + 8);
}

TEST_F(CpuPmp, PageTableWalkIsASupervisorAccess) {
  constexpr uint64_t kRoot = kRamBase + 0x40000;
  entry(0, kNapot | kX, napot(kRoot, 0x1000));  // the root table: not readable by S
  entry(1, kNapot | kR | kW | kX, kAll);
  set_mem(kRoot + 2 * 8, ((kRamBase >> 12) << 10) | 0xcf);  // 1 GiB leaf at 0x80000000: VRWXAD
  ASSERT_TRUE(cpu_->poke_csr(kCsrSatp, 8ull << 60 | (kRoot >> 12)));
  mprv_supervisor();
  cpu_->set_reg(a1, kData);
  program({ld(a0, a1, 0)});
  step();
  expect_trap(kExcLoadAccessFault, kRamBase, kData);
  entry(0, kNapot | kR | kW, napot(kRoot, 0x1000));
  cpu_->set_pc(kRamBase);
  mprv_supervisor();
  step();
  EXPECT_EQ(x(a0), 0x1122334455667788u);
}

TEST_F(CpuPmp, AmoNeedsReadAndWrite) {
  entry(0, kNapot | kW, napot(kData, 0x1000));  // W without R is reserved: becomes no access
  entry(1, kNapot | kR | kW | kX, kAll);
  EXPECT_EQ(csr(kCsrPmpcfg0) & 7, 0u);
  entry(0, kNapot | kR, napot(kData, 0x1000));
  cpu_->set_reg(a1, kData);
  run_in(PrivLevel::Supervisor, {amo(0x00, true, a0, a1, a2)});  // amoadd.d
  step();
  expect_trap(kExcStoreAccessFault, kCode, kData);
}

}  // namespace
}  // namespace glassvm::test
