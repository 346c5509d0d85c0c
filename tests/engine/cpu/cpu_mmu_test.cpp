// Sv39/Sv48 translation tests (privileged spec 4.3-4.5): each PTE bit, superpages and their
// alignment, A/D updates, MXR/SUM/MPRV, page faults versus access faults and their xtval, TLB
// flushes by satp writes and SFENCE.VMA, and decoded code keyed by physical page.
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>

#include "engine/cpu/csr.h"
#include "tests/engine/cpu/cpu_test_machine.h"

namespace glassvm::test {
namespace {

constexpr uint64_t kV = 1, kR = 2, kW = 4, kX = 8, kU = 16, kA = 64, kD = 128;
constexpr uint64_t kMPRV = 1ull << 17, kSUM = 1ull << 18, kMXR = 1ull << 19;
constexpr uint32_t kSfenceVma = 0x12000073;

class CpuPaging : public CpuMachine {
 protected:
  static constexpr uint64_t kTrapVec = kRamBase + 0x4000;
  static constexpr uint64_t kRoot = kRamBase + 0x40000;  // Sv39 root table
  static constexpr uint64_t kCodeVa = 0x1000, kCodePa = kRamBase + 0x20000;
  static constexpr uint64_t kDataVa = 0x200000, kDataPa = kRamBase + 0x30000;

  void SetUp() override {
    ASSERT_TRUE(cpu_->poke_csr(kCsrMtvec, kTrapVec));
    ASSERT_TRUE(cpu_->poke_csr(kCsrSatp, satp()));
    ASSERT_EQ(csr(kCsrSatp), satp());
  }
  static uint64_t satp(uint64_t mode = 8) { return mode << 60 | (kRoot >> 12); }

  /// Maps `va` to `pa` with PTE `flags`, as a leaf at `level` (0: 4 KiB, 1: 2 MiB, 2: 1 GiB).
  /// Returns the leaf PTE's address.
  uint64_t map(uint64_t va, uint64_t pa, uint64_t flags, int level = 0) {
    return map_sv39(kRoot, next_table_, va, pa, flags, level);
  }
  /// Maps kCodeVa to kCodePa (with U for U-mode) and runs `code` there in `mode`.
  void run_in(PrivLevel mode, std::initializer_list<uint32_t> code) {
    map(kCodeVa, kCodePa, kV | kR | kX | kA | (mode == PrivLevel::User ? kU : 0));
    CpuMachine::run_in(mode, code, kCodePa, kCodeVa);
  }
  void expect_fault(uint64_t cause, uint64_t epc, uint64_t tval) {
    EXPECT_EQ(cpu_->priv(), PrivLevel::Machine);
    EXPECT_EQ(cpu_->pc(), kTrapVec);
    EXPECT_EQ(csr(kCsrMcause), cause);
    EXPECT_EQ(csr(kCsrMepc), epc);
    EXPECT_EQ(csr(kCsrMtval), tval);
  }
  /// Runs `load` (a0 <- [a1]) in S-mode at kCodeVa with a1 = va; expects `cause` or success.
  void s_load(uint64_t va, uint64_t pte_flags, uint64_t cause, uint64_t mstatus_extra = 0) {
    map(kDataVa, kDataPa, pte_flags);
    set_mem(kDataPa, 0x1122334455667788);
    cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) | mstatus_extra);
    cpu_->set_reg(a1, va);
    run_in(PrivLevel::Supervisor, {ld(a0, a1, 0)});
    step();
    if (cause == 0) {
      EXPECT_EQ(x(a0), 0x1122334455667788u);
      EXPECT_EQ(cpu_->pc(), kCodeVa + 4);
    } else {
      expect_fault(cause, kCodeVa, va);
    }
  }
  uint64_t next_table_ = kRoot + 0x1000;
};

TEST_F(CpuPaging, SatpModesAreWarl) {
  cpu_->poke_csr(kCsrSatp, 9ull << 60 | 5);  // Sv48
  EXPECT_EQ(csr(kCsrSatp), 9ull << 60 | 5);
  cpu_->poke_csr(kCsrSatp, 10ull << 60 | 7);  // Sv57: not supported, the write has no effect
  EXPECT_EQ(csr(kCsrSatp), 9ull << 60 | 5);
  cpu_->poke_csr(kCsrSatp, 1ull << 60 | 7);  // reserved
  EXPECT_EQ(csr(kCsrSatp), 9ull << 60 | 5);
  cpu_->poke_csr(kCsrSatp, 0);
  EXPECT_EQ(csr(kCsrSatp), 0u);
}

TEST_F(CpuPaging, MachineModeIgnoresSatp) {
  set_mem(kRamBase + 0x100, 42);
  cpu_->set_reg(a1, kRamBase + 0x100);
  program({ld(a0, a1, 0)});
  step();
  EXPECT_EQ(x(a0), 42u);
}

TEST_F(CpuPaging, LoadStoreAndFetchThroughSv39SetAandD) {
  const uint64_t data_pte = map(kDataVa, kDataPa, kV | kR | kW);
  set_mem(kDataPa + 8, 77);
  cpu_->set_reg(a1, kDataVa);
  cpu_->set_reg(a2, 99);
  run_in(PrivLevel::Supervisor, {ld(a0, a1, 8), sd(a2, a1, 16), ld(a3, a1, 16)});
  step();
  EXPECT_EQ(x(a0), 77u);
  EXPECT_EQ(mem(data_pte) & (kA | kD), kA);  // a load sets A only
  step(2);
  EXPECT_EQ(mem(kDataPa + 16), 99u);
  EXPECT_EQ(x(a3), 99u);
  EXPECT_EQ(mem(data_pte) & (kA | kD), kA | kD);  // a store sets D too
  EXPECT_EQ(cpu_->pc(), kCodeVa + 12);
}

TEST_F(CpuPaging, FetchSetsAccessedBit) {
  put(kCodePa, {kNop});
  const uint64_t pte = map(kCodeVa, kCodePa, kV | kX);
  enter(PrivLevel::Supervisor, kCodeVa);
  step();
  EXPECT_EQ(cpu_->pc(), kCodeVa + 4);
  EXPECT_TRUE(mem(pte) & kA);
  EXPECT_FALSE(mem(pte) & kD);
}

TEST_F(CpuPaging, InvalidPteIsALoadPageFault) {
  s_load(kDataVa, kR | kA, kExcLoadPageFault);  // V = 0
}
TEST_F(CpuPaging, UnmappedAddressIsALoadPageFault) {
  s_load(0x7000000, kV | kR | kA, kExcLoadPageFault);
}
TEST_F(CpuPaging, NonCanonicalAddressIsAPageFault) {
  s_load(1ull << 40, kV | kR | kA, kExcLoadPageFault);
}
TEST_F(CpuPaging, WriteWithoutReadIsReserved) {
  s_load(kDataVa, kV | kW | kA, kExcLoadPageFault);
}
TEST_F(CpuPaging, ReservedHighBitsFault) {
  s_load(kDataVa, kV | kR | kA | (1ull << 54), kExcLoadPageFault);
  s_load(kDataVa, kV | kR | kA | (1ull << 61), kExcLoadPageFault);  // PBMT without Svpbmt
}
TEST_F(CpuPaging, ExecuteOnlyPageNeedsMxrToLoad) {
  s_load(kDataVa, kV | kX | kA, kExcLoadPageFault);
}
TEST_F(CpuPaging, MxrMakesExecutablePagesReadable) {
  s_load(kDataVa, kV | kX | kA, 0, kMXR);
}
TEST_F(CpuPaging, SupervisorCannotReadUserPagesWithoutSum) {
  s_load(kDataVa, kV | kR | kU | kA, kExcLoadPageFault);
}
TEST_F(CpuPaging, SumLetsSupervisorReadUserPages) {
  s_load(kDataVa, kV | kR | kU | kA, 0, kSUM);
}

TEST_F(CpuPaging, ClearingSumDropsTheTranslationsItAllowed) {
  map(kDataVa, kDataPa, kV | kR | kU | kA);
  set_mem(kDataPa, 9);
  cpu_->set_reg(a1, kDataVa);
  cpu_->set_reg(t0, kSUM);
  run_in(PrivLevel::Supervisor, {csrrs(zero, kCsrSstatus, t0), ld(a0, a1, 0),
                                 csrrc(zero, kCsrSstatus, t0), ld(a2, a1, 0)});
  step(3);
  EXPECT_EQ(x(a0), 9u);
  step();
  expect_fault(kExcLoadPageFault, kCodeVa + 12, kDataVa);
}

TEST_F(CpuPaging, ClearingMxrDropsTheTranslationsItAllowed) {
  map(kDataVa, kDataPa, kV | kX | kA);
  set_mem(kDataPa, 9);
  cpu_->set_reg(a1, kDataVa);
  cpu_->set_reg(t0, kMXR);
  run_in(PrivLevel::Supervisor, {csrrs(zero, kCsrSstatus, t0), ld(a0, a1, 0),
                                 csrrc(zero, kCsrSstatus, t0), ld(a2, a1, 0)});
  step(3);
  EXPECT_EQ(x(a0), 9u);
  step();
  expect_fault(kExcLoadPageFault, kCodeVa + 12, kDataVa);
}

TEST_F(CpuPaging, PrivilegeChangeNeverUsesAnotherModesTranslation) {
  // S reads a supervisor page (filling the TLB), then SRET to U: U must fault on it.
  map(kDataVa, kDataPa, kV | kR | kA);
  put(kCodePa + 0x100, {ld(a0, a1, 0)});
  map(kCodeVa + 0x3000, kCodePa, kV | kR | kX | kU | kA);  // U alias of the code page
  cpu_->set_reg(a1, kDataVa);
  cpu_->poke_csr(kCsrSepc, kCodeVa + 0x3000 + 0x100);
  run_in(PrivLevel::Supervisor, {ld(a2, a1, 0), kSret});
  step(2);
  ASSERT_EQ(cpu_->priv(), PrivLevel::User);
  step();
  expect_fault(kExcLoadPageFault, kCodeVa + 0x3100, kDataVa);
}

TEST_F(CpuPaging, StoreToReadOnlyPageIsAStorePageFault) {
  const uint64_t pte = map(kDataVa, kDataPa, kV | kR | kA);
  cpu_->set_reg(a1, kDataVa + 8);
  cpu_->set_reg(a2, 5);
  run_in(PrivLevel::Supervisor, {sd(a2, a1, 0)});
  step();
  expect_fault(kExcStorePageFault, kCodeVa, kDataVa + 8);
  EXPECT_EQ(mem(kDataPa + 8), 0u);
  EXPECT_FALSE(mem(pte) & kD);
}

TEST_F(CpuPaging, AmoNeedsWritePermissionAndReportsStoreFaults) {
  map(kDataVa, kDataPa, kV | kR | kA);
  cpu_->set_reg(a1, kDataVa);
  run_in(PrivLevel::Supervisor, {amo(0x00, true, a0, a1, a2)});  // amoadd.d
  step();
  expect_fault(kExcStorePageFault, kCodeVa, kDataVa);
}

TEST_F(CpuPaging, FetchFromNonExecutablePageIsAnInstructionPageFault) {
  put(kCodePa, {kNop});
  map(kCodeVa, kCodePa, kV | kR | kA);
  enter(PrivLevel::Supervisor, kCodeVa);
  step();
  expect_fault(kExcInsnPageFault, kCodeVa, kCodeVa);
}

TEST_F(CpuPaging, SupervisorNeverExecutesUserPagesEvenWithSum) {
  put(kCodePa, {kNop});
  map(kCodeVa, kCodePa, kV | kR | kX | kU | kA);
  cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) | kSUM);
  enter(PrivLevel::Supervisor, kCodeVa);
  step();
  expect_fault(kExcInsnPageFault, kCodeVa, kCodeVa);
}

TEST_F(CpuPaging, UserCannotTouchSupervisorPages) {
  map(kDataVa, kDataPa, kV | kR | kW | kA | kD);
  cpu_->set_reg(a1, kDataVa);
  run_in(PrivLevel::User, {ld(a0, a1, 0)});
  step();
  expect_fault(kExcLoadPageFault, kCodeVa, kDataVa);
  // ...nor fetch from them.
  cpu_->poke_csr(kCsrMtvec, kTrapVec);
  put(kCodePa, {kNop});
  map(kCodeVa, kCodePa, kV | kR | kX | kA);
  enter(PrivLevel::User, kCodeVa);
  step();
  expect_fault(kExcInsnPageFault, kCodeVa, kCodeVa);
}

TEST_F(CpuPaging, UserReadsUserPages) {
  map(kDataVa, kDataPa, kV | kR | kU | kA);
  set_mem(kDataPa, 123);
  cpu_->set_reg(a1, kDataVa);
  run_in(PrivLevel::User, {ld(a0, a1, 0)});
  step();
  EXPECT_EQ(x(a0), 123u);
  EXPECT_EQ(cpu_->priv(), PrivLevel::User);
}

TEST_F(CpuPaging, MegapageTranslatesTheLowBitsOfTheAddress) {
  // A 2 MiB leaf at level 1: VA 0x40000000 + off -> kRamBase + off.
  map(0x40000000, kRamBase, kV | kR | kA, 1);
  set_mem(kRamBase + 0x12348, 0xabcd);
  cpu_->set_reg(a1, 0x40012348);
  run_in(PrivLevel::Supervisor, {ld(a0, a1, 0)});
  step();
  EXPECT_EQ(x(a0), 0xabcdu);
}

TEST_F(CpuPaging, GigapageTranslates) {
  map(0x80000000ull << 1, kRamBase, kV | kR | kA, 2);  // VA 0x1_0000_0000
  set_mem(kRamBase + 0x30008, 0x55);
  cpu_->set_reg(a1, 0x100030008ull);
  run_in(PrivLevel::Supervisor, {ld(a0, a1, 0)});
  step();
  EXPECT_EQ(x(a0), 0x55u);
}

TEST_F(CpuPaging, MisalignedMegapageIsAPageFault) {
  map(0x40000000, kRamBase + 0x1000, kV | kR | kA, 1);  // PPN[0] != 0
  cpu_->set_reg(a1, 0x40000010);
  run_in(PrivLevel::Supervisor, {ld(a0, a1, 0)});
  step();
  expect_fault(kExcLoadPageFault, kCodeVa, 0x40000010);
}

TEST_F(CpuPaging, PointerAtLevelZeroIsAPageFault) {
  // A non-leaf PTE at the last level (R = W = X = 0, V = 1).
  map(kDataVa, kDataPa, kV);
  cpu_->set_reg(a1, kDataVa);
  run_in(PrivLevel::Supervisor, {ld(a0, a1, 0)});
  step();
  expect_fault(kExcLoadPageFault, kCodeVa, kDataVa);
}

TEST_F(CpuPaging, ReservedBitsInAPointerFault) {
  const uint64_t va = 0x40000000;  // its own gigabyte: the code's pointer stays clean
  map(va, kDataPa, kV | kR | kA);
  const uint64_t slot = kRoot + ((va >> 30) & 511) * 8;
  const uint64_t pointer = mem(slot);
  for (uint64_t bit : {kA, kD, kU}) {
    set_mem(slot, pointer | bit);
    cpu_->set_reg(a1, va);
    run_in(PrivLevel::Supervisor, {ld(a0, a1, 0)});
    step();
    expect_fault(kExcLoadPageFault, kCodeVa, va);
  }
  set_mem(slot, pointer);  // and the clean pointer works
  run_in(PrivLevel::Supervisor, {ld(a0, a1, 0)});
  step();
  EXPECT_EQ(cpu_->pc(), kCodeVa + 4);
}

TEST_F(CpuPaging, PageTableOutsideRamIsAnAccessFault) {
  put(kCodePa, {ld(a0, a1, 0)});
  map(kCodeVa, kCodePa, kV | kR | kX | kA);
  // The data VA's level-2 entry points at a table in unmapped space.
  const uint64_t slot = kRoot + ((0x40000000ull >> 30) & 511) * 8;
  set_mem(slot, ((0x20000000ull >> 12) << 10) | kV);
  cpu_->set_reg(a1, 0x40000000);
  enter(PrivLevel::Supervisor, kCodeVa);
  step();
  expect_fault(kExcLoadAccessFault, kCodeVa, 0x40000000);
}

TEST_F(CpuPaging, LeafInMmioIsAnAccessFaultNotAPageFault) {
  map(kDataVa, kMmioBase, kV | kR | kW | kA | kD);
  map(kDataVa + 0x1000, 0x20000000, kV | kR | kW | kA | kD);  // nothing there
  cpu_->set_reg(a1, kDataVa + 0x1000);
  run_in(PrivLevel::Supervisor, {ld(a0, a1, 0)});
  step();
  expect_fault(kExcLoadAccessFault, kCodeVa, kDataVa + 0x1000);
}

TEST_F(CpuPaging, StoreStraddlingIntoAnUnmappedPageWritesNothing) {
  map(kDataVa, kDataPa, kV | kR | kW | kA | kD);
  cpu_->set_reg(a1, kDataVa + 0xffc);
  cpu_->set_reg(a2, ~0ull);
  run_in(PrivLevel::Supervisor, {sd(a2, a1, 0)});
  step();
  expect_fault(kExcStorePageFault, kCodeVa, kDataVa + 0x1000);  // the faulting portion
  EXPECT_EQ(mem(kDataPa + 0xff8), 0u);
}

TEST_F(CpuPaging, LoadStraddlingTwoMappedPagesJoinsThem) {
  map(kDataVa, kDataPa, kV | kR | kA);
  map(kDataVa + 0x1000, kDataPa + 0x3000, kV | kR | kA);  // not contiguous physically
  set_mem(kDataPa + 0xffc, 0x44332211, 4);
  set_mem(kDataPa + 0x3000, 0x88776655, 4);
  cpu_->set_reg(a1, kDataVa + 0xffc);
  run_in(PrivLevel::Supervisor, {ld(a0, a1, 0)});
  step();
  EXPECT_EQ(x(a0), 0x8877665544332211u);
}

TEST_F(CpuPaging, MprvTranslatesMachineLoadsButNotFetches) {
  map(kDataVa, kDataPa, kV | kR | kA);
  set_mem(kDataPa, 31);
  // MPP = S, MPRV = 1: M-mode loads use S-mode translation; M-mode code still runs bare.
  cpu_->poke_csr(kCsrMstatus, (csr(kCsrMstatus) & ~(3ull << 11)) | (1ull << 11) | kMPRV);
  cpu_->set_reg(a1, kDataVa);
  program({ld(a0, a1, 0)});
  step();
  EXPECT_EQ(x(a0), 31u);
  EXPECT_EQ(cpu_->pc(), kRamBase + 4);
  // MPRV = 0: the same address is physical again (and unmapped).
  cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) & ~kMPRV);
  cpu_->set_pc(kRamBase);
  step();
  expect_fault(kExcLoadAccessFault, kRamBase, kDataVa);
}

TEST_F(CpuPaging, MprvWithMppUserChecksTheUBit) {
  map(kDataVa, kDataPa, kV | kR | kA);                                      // a supervisor page
  cpu_->poke_csr(kCsrMstatus, (csr(kCsrMstatus) & ~(3ull << 11)) | kMPRV);  // MPP = U
  cpu_->set_reg(a1, kDataVa);
  program({ld(a0, a1, 0)});
  step();
  expect_fault(kExcLoadPageFault, kRamBase, kDataVa);
}

TEST_F(CpuPaging, SfenceVmaMakesAChangedPteVisible) {
  const uint64_t pte = map(kDataVa, kDataPa, kV | kR | kA);
  set_mem(kDataPa, 1);
  set_mem(kDataPa + 0x1000, 2);
  cpu_->set_reg(a1, kDataVa);
  run_in(PrivLevel::Supervisor, {ld(a0, a1, 0), kSfenceVma, ld(a2, a1, 0)});
  step();
  EXPECT_EQ(x(a0), 1u);
  set_mem(pte, (((kDataPa + 0x1000) >> 12) << 10) | kV | kR | kA);
  step(2);
  EXPECT_EQ(x(a2), 2u);
}

TEST_F(CpuPaging, SatpWriteSwitchesAddressSpaces) {
  const uint64_t va = 0x40000000;  // a gigabyte of its own, so the roots differ only there
  map(va, kDataPa, kV | kR | kA);
  set_mem(kDataPa, 1);
  set_mem(kDataPa + 0x1000, 2);
  put(kCodePa, {ld(a0, a1, 0), csrrw(zero, kCsrSatp, a3), ld(a2, a1, 0)});
  map(kCodeVa, kCodePa, kV | kR | kX | kA);
  // A second root: a copy of the first, with va's gigabyte mapped by a 1 GiB leaf elsewhere.
  const uint64_t root2 = kRamBase + 0x60000;
  for (uint64_t off = 0; off < 0x1000; off += 8) set_mem(root2 + off, mem(kRoot + off));
  set_mem(root2 + 8, ((kRamBase >> 12) << 10) | kV | kR | kA);  // va -> kRamBase + offset
  cpu_->set_reg(a1, va + 0x30000 + 0x1000);                     // under root2: kDataPa + 0x1000
  cpu_->set_reg(a3, 8ull << 60 | (root2 >> 12));
  map(va + 0x31000, kDataPa, kV | kR | kA);  // under kRoot: kDataPa
  enter(PrivLevel::Supervisor, kCodeVa);
  step(3);
  EXPECT_EQ(x(a0), 1u);
  EXPECT_EQ(x(a2), 2u);
}

TEST_F(CpuPaging, AliasesShareCodeAndRemapRunsTheNewCode) {
  put(kCodePa, {addi(a0, a0, 1), jalr(zero, ra, 0)});
  put(kCodePa + 0x1000, {addi(a0, a0, 100), jalr(zero, ra, 0)});
  map(kCodeVa, kCodePa, kV | kX | kA);
  const uint64_t alias = map(kCodeVa + 0x5000, kCodePa, kV | kX | kA);
  cpu_->set_reg(ra, kCodeVa + 0x5000);  // first call returns to the alias: runs it again
  enter(PrivLevel::Supervisor, kCodeVa);
  step(4);
  EXPECT_EQ(x(a0), 2u);
  // Remap the alias to the other page; after SFENCE.VMA the new code runs.
  set_mem(alias, (((kCodePa + 0x1000) >> 12) << 10) | kV | kX | kA);
  put(kCodePa + 0x8, {kSfenceVma, jalr(zero, t0, 0)});
  cpu_->set_reg(t0, kCodeVa + 0x5000);
  cpu_->set_pc(kCodeVa + 0x8);
  step(3);
  EXPECT_EQ(x(a0), 102u);
}

TEST_F(CpuPaging, Sv48WalksFourLevels) {
  // Sv48 root at kRoot: its entry 0 points at the Sv39-style tables built below it.
  const uint64_t l2 = kRamBase + 0x70000;
  cpu_->poke_csr(kCsrSatp, 9ull << 60 | (l2 >> 12));
  // Build: l2[0] -> kRoot (used as level 2), kRoot tables as map() makes them.
  set_mem(l2, ((kRoot >> 12) << 10) | kV);
  map(kDataVa, kDataPa, kV | kR | kA);
  set_mem(kDataPa, 48);
  cpu_->set_reg(a1, kDataVa);
  put(kCodePa, {ld(a0, a1, 0)});
  map(kCodeVa, kCodePa, kV | kR | kX | kA);
  enter(PrivLevel::Supervisor, kCodeVa);
  step();
  EXPECT_EQ(x(a0), 48u);
  // A 48-bit address with bit 39 set is canonical under Sv48 but not mapped.
  cpu_->set_reg(a1, 1ull << 39);
  cpu_->set_pc(kCodeVa);
  step();
  expect_fault(kExcLoadPageFault, kCodeVa, 1ull << 39);
}

// -- SFENCE.VMA by address and ASID, ASID-tagged TLB entries (privileged spec 4.2.1) --

constexpr uint64_t kG = 32;
/// sfence.vma rs1, rs2.
constexpr uint32_t sfence_vma(uint32_t rs1, uint32_t rs2) {
  return kSfenceVma | rs2 << 20 | rs1 << 15;
}

TEST_F(CpuPaging, LoadStraddlingIntoAnUnmappedPageFaultsAtTheSecondPage) {
  map(kDataVa, kDataPa, kV | kR | kA);
  cpu_->set_reg(a1, kDataVa + 0xffc);
  run_in(PrivLevel::Supervisor, {ld(a0, a1, 0)});
  step();
  expect_fault(kExcLoadPageFault, kCodeVa, kDataVa + 0x1000);
}

TEST_F(CpuPaging, SatpAsidIsSixteenWritableBits) {
  cpu_->poke_csr(kCsrSatp, satp() | (0xffffull << 44));
  EXPECT_EQ(csr(kCsrSatp), satp() | (0xffffull << 44));
}

class CpuTlbFence : public CpuPaging {
 protected:
  static constexpr uint64_t kVaA = kDataVa, kVaB = kDataVa + 0x1000;
  /// Maps A and B (flags `flags_a`, `flags_b`) to pages holding 1 and 2, runs two loads in
  /// S-mode (filling the TLB), remaps both to pages holding 11 and 12, runs `fence`, loads
  /// again: a2/a3 then show which translations the fence dropped.
  void fence_and_reload(uint64_t flags_a, uint64_t flags_b, uint32_t fence) {
    const uint64_t pte_a = map(kVaA, kDataPa, flags_a);
    const uint64_t pte_b = map(kVaB, kDataPa + 0x1000, flags_b);
    set_mem(kDataPa, 1);
    set_mem(kDataPa + 0x1000, 2);
    set_mem(kDataPa + 0x4000, 11);
    set_mem(kDataPa + 0x5000, 12);
    cpu_->set_reg(t0, kVaA);
    cpu_->set_reg(t1, kVaB);
    run_in(PrivLevel::Supervisor,
           {ld(a0, t0, 0), ld(a1, t1, 0), fence, ld(a2, t0, 0), ld(a3, t1, 0)});
    step(2);
    ASSERT_EQ(x(a0), 1u);
    ASSERT_EQ(x(a1), 2u);
    set_mem(pte_a, (((kDataPa + 0x4000) >> 12) << 10) | flags_a);
    set_mem(pte_b, (((kDataPa + 0x5000) >> 12) << 10) | flags_b);
    step(3);
    ASSERT_EQ(cpu_->priv(), PrivLevel::Supervisor);
  }
};

TEST_F(CpuTlbFence, ByAddressDropsOnlyThatPage) {
  cpu_->set_reg(a4, kVaA + 0x123);
  fence_and_reload(kV | kR | kA, kV | kR | kA, sfence_vma(a4, zero));
  EXPECT_EQ(x(a2), 11u);
  EXPECT_EQ(x(a3), 2u);  // B's old translation may stay cached (and here does)
}

TEST_F(CpuTlbFence, ByAddressDropsGlobalMappingsToo) {
  cpu_->set_reg(a4, kVaA);
  fence_and_reload(kV | kR | kA | kG, kV | kR | kA, sfence_vma(a4, zero));
  EXPECT_EQ(x(a2), 11u);
}

TEST_F(CpuTlbFence, ByAsidKeepsGlobalMappings) {
  cpu_->set_reg(a5, 0);  // satp's ASID is 0
  fence_and_reload(kV | kR | kA | kG, kV | kR | kA, sfence_vma(zero, a5));
  EXPECT_EQ(x(a2), 1u);  // global: not part of any one address space
  EXPECT_EQ(x(a3), 12u);
}

TEST_F(CpuTlbFence, ByAnotherAsidDropsNothingOfThisOne) {
  cpu_->set_reg(a5, 7);
  fence_and_reload(kV | kR | kA, kV | kR | kA, sfence_vma(zero, a5));
  EXPECT_EQ(x(a2), 1u);
  EXPECT_EQ(x(a3), 2u);
}

TEST_F(CpuTlbFence, ByAddressAndAsidDropsThatPageOfThatAsid) {
  cpu_->set_reg(a4, kVaB);
  cpu_->set_reg(a5, 0);
  fence_and_reload(kV | kR | kA, kV | kR | kA, sfence_vma(a4, a5));
  EXPECT_EQ(x(a2), 1u);
  EXPECT_EQ(x(a3), 12u);
}

TEST_F(CpuTlbFence, WithX0AndX0DropsEverything) {
  fence_and_reload(kV | kR | kA | kG, kV | kR | kA, sfence_vma(zero, zero));
  EXPECT_EQ(x(a2), 11u);
  EXPECT_EQ(x(a3), 12u);
}

TEST_F(CpuTlbFence, ByAddressDropsEverySliceOfASuperpage) {
  // A 2 MiB leaf: a load from one 4 KiB slice, then the leaf is removed and a fence names
  // the superpage's first byte: the slice must go too.
  const uint64_t va = 0x40000000, pa = kRamBase;  // megapage-aligned
  const uint64_t pte = map(va, pa, kV | kR | kA, 1);
  set_mem(kDataPa + 0x1000, 5);
  const uint64_t target = va + (kDataPa + 0x1000 - pa);
  cpu_->set_reg(t0, target);
  cpu_->set_reg(a4, va);
  run_in(PrivLevel::Supervisor, {ld(a0, t0, 0), sfence_vma(a4, zero), ld(a2, t0, 0)});
  step();
  ASSERT_EQ(x(a0), 5u);
  set_mem(pte, 0);
  step(2);
  expect_fault(kExcLoadPageFault, kCodeVa + 8, target);
}

TEST_F(CpuTlbFence, ByAddressOutsideEverySuperpageKeepsTheirSlices) {
  // A slice of a 2 MiB leaf and a 4 KiB page are cached; both leaves change; a fence names
  // the 4 KiB page: its translation goes, the superpage's slice may stay (and here does).
  const uint64_t va = 0x40000000, pa = kRamBase;
  const uint64_t big = map(va, pa, kV | kR | kA, 1);
  const uint64_t small = map(kDataVa, kDataPa, kV | kR | kA);
  set_mem(kDataPa, 1);
  set_mem(kDataPa + 0x1000, 2);
  const uint64_t target = va + (kDataPa + 0x1000 - pa);
  cpu_->set_reg(t0, target);
  cpu_->set_reg(t1, kDataVa);
  run_in(PrivLevel::Supervisor,
         {ld(a0, t0, 0), ld(a1, t1, 0), sfence_vma(t1, zero), ld(a2, t0, 0), ld(a3, t1, 0)});
  step(2);
  ASSERT_EQ(x(a0), 2u);
  ASSERT_EQ(x(a1), 1u);
  set_mem(big, 0);
  set_mem(small, (((kDataPa + 0x1000) >> 12) << 10) | kV | kR | kA);
  step(3);
  EXPECT_EQ(x(a2), 2u);
  EXPECT_EQ(x(a3), 2u);
}

TEST_F(CpuTlbFence, SuperpagesBeyondTheTrackedRangesAreStillFenced) {
  // Eight 2 MiB leaves 4 MiB apart (more separate ranges than a set tracks), each with a slice
  // cached; then every leaf is removed and a fence names each superpage's last byte: a load
  // from any of them must fault.
  constexpr unsigned kLeaves = 8;
  constexpr uint64_t kBase = 0x40000000, kStride = 4 << 20, kSlice = 0x31000;
  constexpr uint64_t kLeafFlags = kV | kR | kA;
  uint64_t ptes[kLeaves];
  for (unsigned i = 0; i < kLeaves; ++i)
    ptes[i] = map(kBase + i * kStride, kRamBase, kLeafFlags, 1);
  set_mem(kRamBase + kSlice, 9);
  const uint32_t next = op(0, 0, t1, t1, t2), next_fence = op(0, 0, a4, a4, t2);  // add
  for (unsigned probe : {0u, 3u, 5u, 7u}) {
    SCOPED_TRACE(probe);
    for (unsigned i = 0; i < kLeaves; ++i) set_mem(ptes[i], ((kRamBase >> 12) << 10) | kLeafFlags);
    cpu_->flush_tlb();
    cpu_->set_reg(t1, kBase + kSlice);
    cpu_->set_reg(t2, kStride);
    cpu_->set_reg(a4, kBase + (2 << 20) - 1);
    cpu_->set_reg(a5, kBase + probe * kStride + kSlice);
    run_in(PrivLevel::Supervisor, {});
    uint64_t at = kCodePa;
    for (unsigned i = 0; i < kLeaves; ++i, at += 8) put(at, {ld(a0, t1, 0), next});
    for (unsigned i = 0; i < kLeaves; ++i, at += 8) put(at, {sfence_vma(a4, zero), next_fence});
    put(at, {ld(a2, a5, 0)});
    step(2 * kLeaves);
    ASSERT_EQ(x(a0), 9u);
    for (unsigned i = 0; i < kLeaves; ++i) set_mem(ptes[i], 0);
    step(2 * kLeaves + 1);
    expect_fault(kExcLoadPageFault, kCodeVa + 4 * 4 * kLeaves, kBase + probe * kStride + kSlice);
  }
}

TEST_F(CpuPaging, SwitchingAsidNeverUsesTheOtherAsidsTranslations) {
  // Same root, other ASID, PTE changed without a fence: the old ASID's entry must not match.
  const uint64_t pte = map(kDataVa, kDataPa, kV | kR | kA);
  set_mem(kDataPa, 1);
  set_mem(kDataPa + 0x1000, 2);
  cpu_->set_reg(a1, kDataVa);
  cpu_->set_reg(a3, satp() | (5ull << 44));
  run_in(PrivLevel::Supervisor, {ld(a0, a1, 0), csrrw(zero, kCsrSatp, a3), ld(a2, a1, 0)});
  step();
  ASSERT_EQ(x(a0), 1u);
  set_mem(pte, (((kDataPa + 0x1000) >> 12) << 10) | kV | kR | kA);
  step(2);
  EXPECT_EQ(x(a2), 2u);
}

TEST_F(CpuPaging, TlbStatsCountMissesRefillsAndFlushes) {
  map(kDataVa, kDataPa, kV | kR | kA);
  cpu_->set_reg(a1, kDataVa);
  run_in(PrivLevel::Supervisor, {ld(a0, a1, 0), ld(a0, a1, 8), kSfenceVma});
  const TlbStats before = cpu_->tlb_stats();
  step(2);
  const TlbStats after = cpu_->tlb_stats();
  EXPECT_EQ(after.data.misses, before.data.misses + 1);  // the second load hits
  EXPECT_EQ(after.data.refills, before.data.refills + 1);
  EXPECT_GE(after.fetch.refills, before.fetch.refills);
  step();
  EXPECT_EQ(cpu_->tlb_stats().data.flushes, after.data.flushes + 1);
  EXPECT_EQ(cpu_->tlb_stats().fetch.flushes, after.fetch.flushes + 1);
}

// -- Cpu::walk_page_tables: the debugger's walk --

TEST_F(CpuPaging, WalkIsIdentityWhereNothingTranslates) {
  // M-mode without MPRV ignores satp (4.1.11).
  const PageWalk w = cpu_->walk_page_tables(0x1234, Access::Load);
  EXPECT_TRUE(w.ok);
  EXPECT_FALSE(w.paged);
  EXPECT_EQ(w.pa, 0x1234u);
  EXPECT_TRUE(w.steps.empty());
  EXPECT_EQ(w.priv, PrivLevel::Machine);
}

TEST_F(CpuPaging, WalkShowsEveryLevelAndChangesNothing) {
  const uint64_t leaf = map(kDataVa, kDataPa, kV | kR | kW);  // A and D clear
  run_in(PrivLevel::Supervisor, {ld(a0, a1, 0)});
  const uint64_t before = mem(leaf);
  const PageWalk w = cpu_->walk_page_tables(kDataVa + 0x123, Access::Store);
  ASSERT_TRUE(w.ok) << w.why;
  EXPECT_TRUE(w.paged);
  EXPECT_EQ(w.levels, 3u);
  EXPECT_EQ(w.root, kRoot);
  EXPECT_EQ(w.priv, PrivLevel::Supervisor);
  EXPECT_EQ(w.pa, kDataPa + 0x123);
  EXPECT_EQ(w.leaf_shift, 12u);
  ASSERT_EQ(w.steps.size(), 3u);
  EXPECT_EQ(w.steps[0].level, 2u);
  EXPECT_EQ(w.steps[0].pte_addr, kRoot + ((kDataVa >> 30) & 511) * 8);
  EXPECT_EQ(w.steps[2].level, 0u);
  EXPECT_EQ(w.steps[2].pte_addr, leaf);
  EXPECT_EQ(w.steps[2].pte, before);
  EXPECT_EQ(w.sets_ad, kA | kD);  // what a store would set
  EXPECT_EQ(cpu_->walk_page_tables(kDataVa, Access::Load).sets_ad, kA);
  // Only read: the PTE keeps A and D clear, and the hart's own access still sets them.
  EXPECT_EQ(mem(leaf), before);
  cpu_->set_reg(a1, kDataVa);
  step();
  EXPECT_EQ(cpu_->pc(), kCodeVa + 4);
  EXPECT_EQ(mem(leaf), before | kA);
}

TEST_F(CpuPaging, WalkStopsAtASuperpageLeaf) {
  map(0x40000000, kRamBase, kV | kR | kA, 1);  // 2 MiB at 1 GiB
  run_in(PrivLevel::Supervisor, {kSfenceVma});
  const PageWalk w = cpu_->walk_page_tables(0x40012345, Access::Load);
  ASSERT_TRUE(w.ok) << w.why;
  EXPECT_EQ(w.steps.size(), 2u);
  EXPECT_EQ(w.leaf_shift, 21u);
  EXPECT_EQ(w.pa, kRamBase + 0x12345);
  EXPECT_EQ(w.sets_ad, 0u);
}

/// The walk names the fault the hart takes for the same access, and the rule that failed.
TEST_F(CpuPaging, WalkFaultsAsTheHartDoes) {
  struct Case {
    uint64_t flags;
    uint64_t mstatus;
    uint64_t cause;
    const char* why;
  };
  const Case cases[] = {
      {kR | kA, 0, 13, "not valid"},
      {kV | kW | kA, 0, 13, "W without R"},
      {kV | kR | kU | kA, 0, 13, "without SUM"},
      {kV | kR | kU | kA, kSUM, 0, ""},
      {kV | kX | kA, 0, 13, "not readable"},
      {kV | kX | kA, kMXR, 0, ""},
      {kV | kR | kA | (1ull << 60), 0, 13, "reserved bits"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.why);
    map(kDataVa, kDataPa, c.flags);
    cpu_->poke_csr(kCsrMstatus, (csr(kCsrMstatus) & ~(kSUM | kMXR)) | c.mstatus);
    // The illegal instruction after the load brings a hart that did not fault back to M.
    run_in(PrivLevel::Supervisor, {kSfenceVma, ld(a0, a1, 0), 0xffffffffu});
    step();  // the SFENCE.VMA: the walk must not see what the TLB kept from the last case
    const PageWalk w = cpu_->walk_page_tables(kDataVa, Access::Load);
    EXPECT_EQ(w.ok, c.cause == 0);
    EXPECT_NE(w.why.find(c.why), std::string::npos) << w.why;
    cpu_->set_reg(a1, kDataVa);
    step();  // the load
    if (c.cause == 0) {
      step();  // the illegal instruction
      expect_fault(kExcIllegalInsn, kCodeVa + 8, 0xffffffffu);
      EXPECT_EQ(w.pa, kDataPa);
    } else {
      EXPECT_EQ(w.fault_cause, c.cause);
      expect_fault(c.cause, kCodeVa + 4, kDataVa);
    }
  }
}

TEST_F(CpuPaging, WalkReportsAMisalignedSuperpageAndATableOutsideRam) {
  map(0x40000000, kRamBase + 0x1000, kV | kR | kA, 1);  // a 2 MiB leaf on a 4 KiB boundary
  run_in(PrivLevel::Supervisor, {kSfenceVma});
  PageWalk w = cpu_->walk_page_tables(0x40000000, Access::Load);
  EXPECT_FALSE(w.ok);
  EXPECT_EQ(w.fault_cause, 13u);
  EXPECT_NE(w.why.find("misaligned superpage"), std::string::npos) << w.why;
  // A pointer into nothing: the next level's PTE is not in RAM, an access fault (4.3.2 step 2).
  set_mem(kRoot + ((0x80000000ull >> 30) & 511) * 8, ((0x20000000ull >> 12) << 10) | kV);
  w = cpu_->walk_page_tables(0x80000000, Access::Fetch);
  EXPECT_FALSE(w.ok);
  EXPECT_EQ(w.fault_cause, 1u);
  EXPECT_EQ(w.steps.size(), 1u);
  EXPECT_NE(w.why.find("not in RAM"), std::string::npos) << w.why;
}

}  // namespace
}  // namespace glassvm::test
