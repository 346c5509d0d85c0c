// Trap tests: every exception cause the hart raises, interrupts (priority, enables, vectored
// mtvec, WFI wake-up), MRET into U-mode, nested trap state, the trap and ecall hooks.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/cpu/csr.h"
#include "tests/engine/cpu/cpu_test_machine.h"

namespace glassvm::test {
namespace {

constexpr uint64_t kMIE = 1u << 3, kMPIE = 1u << 7, kMPRV = 1u << 17, kTW = 1u << 21;
constexpr uint64_t kInterrupt = 1ull << 63;

class CpuTrap : public CpuMachine {
 protected:
  static constexpr uint64_t kTrapVec = kRamBase + 0x4000;
  static constexpr uint64_t kUnmapped = 0x20000000;

  void SetUp() override {
    ASSERT_TRUE(cpu_->poke_csr(kCsrMtvec, kTrapVec));
    cpu_->set_trap_hook([this](const TrapEvent& e) { traps_.push_back(e); });
  }
  void expect_trap(uint64_t cause, uint64_t epc, uint64_t tval) {
    EXPECT_EQ(cpu_->pc(), kTrapVec);
    EXPECT_EQ(csr(kCsrMcause), cause);
    EXPECT_EQ(csr(kCsrMepc), epc);
    EXPECT_EQ(csr(kCsrMtval), tval);
    EXPECT_EQ(cpu_->priv(), PrivLevel::Machine);
  }
  std::vector<TrapEvent> traps_;
};

TEST_F(CpuTrap, IllegalInstructionReportsTheBits) {
  program({0xffffffffu});
  step();
  expect_trap(kExcIllegalInsn, kRamBase, 0xffffffffu);
  EXPECT_EQ(cpu_->instret(), 0u);  // a trap retires nothing
  ASSERT_EQ(traps_.size(), 1u);
  EXPECT_EQ(traps_[0].cause, kExcIllegalInsn);
  EXPECT_EQ(traps_[0].epc, kRamBase);
  EXPECT_EQ(traps_[0].from, PrivLevel::Machine);
}

TEST_F(CpuTrap, IllegalCompressedInstructionReportsSixteenBits) {
  put16(kRamBase, 0x0000);  // the all-zero parcel is defined illegal
  step();
  expect_trap(kExcIllegalInsn, kRamBase, 0);
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kCsrMtvec, kTrapVec);
  put16(kRamBase, 0x8002);  // c.jr x0 is reserved
  step();
  expect_trap(kExcIllegalInsn, kRamBase, 0x8002);
}

TEST_F(CpuTrap, SretAndSfenceAreIllegalWithoutSMode) {
  cpu_ = std::make_unique<Cpu>(*as_, 0, HartConfig{HartConfig::kBaseExtensions});
  cpu_->reset(kRamBase);
  ASSERT_TRUE(cpu_->poke_csr(kCsrMtvec, kTrapVec));
  program({kSret});
  step();
  expect_trap(kExcIllegalInsn, kRamBase, kSret);
}

TEST_F(CpuTrap, Breakpoint) {
  program({kNop, kEbreak});
  step(2);
  expect_trap(kExcBreakpoint, kRamBase + 4, kRamBase + 4);
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kCsrMtvec, kTrapVec);
  put16(kRamBase, 0x9002);  // c.ebreak
  step();
  expect_trap(kExcBreakpoint, kRamBase, kRamBase);
}

TEST_F(CpuTrap, EcallFromMachineAndUser) {
  program({kEcall});
  step();
  expect_trap(kExcEcallM, kRamBase, 0);
  const uint64_t user_pc = kRamBase + 0x1000;
  put(user_pc, {kNop, kEcall});
  enter(PrivLevel::User, user_pc);
  step(2);
  expect_trap(kExcEcallU, user_pc + 4, 0);
  EXPECT_EQ((csr(kCsrMstatus) >> 11) & 3, 0u);  // MPP = U
  EXPECT_EQ(traps_.back().from, PrivLevel::User);
}

TEST_F(CpuTrap, EcallHookCompletesUserEcalls) {
  int calls = 0;
  cpu_->set_ecall_hook([&](Cpu& cpu) {
    ++calls;
    cpu.set_reg(a0, 42);
    return true;
  });
  const uint64_t user_pc = kRamBase + 0x1000;
  put(user_pc, {kEcall, kNop});
  enter(PrivLevel::User, user_pc);
  step();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(x(a0), 42u);
  EXPECT_EQ(cpu_->pc(), user_pc + 4);
  EXPECT_EQ(cpu_->priv(), PrivLevel::User);
  // From M-mode the hook is not consulted.
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kCsrMtvec, kTrapVec);
  program({kEcall});
  step();
  EXPECT_EQ(calls, 1);
  expect_trap(kExcEcallM, kRamBase, 0);
}

TEST_F(CpuTrap, EcallHookDecliningTraps) {
  cpu_->set_ecall_hook([](Cpu&) { return false; });
  const uint64_t user_pc = kRamBase + 0x1000;
  put(user_pc, {kEcall});
  enter(PrivLevel::User, user_pc);
  step();
  expect_trap(kExcEcallU, user_pc, 0);
}

TEST_F(CpuTrap, MretToUserRestoresState) {
  cpu_->poke_csr(kCsrMstatus, kMPIE | kMPRV);  // MPP = U, MIE = 0
  cpu_->poke_csr(kCsrMepc, kRamBase + 0x100);
  program({kMret});
  step();
  EXPECT_EQ(cpu_->priv(), PrivLevel::User);
  EXPECT_EQ(cpu_->pc(), kRamBase + 0x100);
  uint64_t s = csr(kCsrMstatus);
  EXPECT_TRUE(s & kMIE);    // MIE := MPIE
  EXPECT_TRUE(s & kMPIE);   // MPIE := 1
  EXPECT_FALSE(s & kMPRV);  // leaving M clears MPRV
  EXPECT_EQ((s >> 11) & 3, 0u);
}

TEST_F(CpuTrap, MretToMachineKeepsMprv) {
  cpu_->poke_csr(kCsrMstatus, (3ull << 11) | kMPRV);
  cpu_->poke_csr(kCsrMepc, kRamBase + 0x100);
  program({kMret});
  step();
  EXPECT_EQ(cpu_->priv(), PrivLevel::Machine);
  EXPECT_TRUE(csr(kCsrMstatus) & kMPRV);
  EXPECT_FALSE(csr(kCsrMstatus) & kMIE);
  EXPECT_EQ((csr(kCsrMstatus) >> 11) & 3, 0u);  // MPP := U
}

TEST_F(CpuTrap, MretInUserModeIsIllegal) {
  const uint64_t user_pc = kRamBase + 0x1000;
  put(user_pc, {kMret});
  enter(PrivLevel::User, user_pc);
  step();
  expect_trap(kExcIllegalInsn, user_pc, kMret);
}

TEST_F(CpuTrap, NestedTrapState) {
  // A trap with MIE=1 saves it in MPIE; a second trap inside the handler saves MIE=0 and MPP=M.
  cpu_->poke_csr(kCsrMstatus, kMIE);
  program({kEcall});
  put(kTrapVec, {kEbreak});
  step();
  uint64_t s = csr(kCsrMstatus);
  EXPECT_FALSE(s & kMIE);
  EXPECT_TRUE(s & kMPIE);
  EXPECT_EQ((s >> 11) & 3, 3u);
  step();
  expect_trap(kExcBreakpoint, kTrapVec, kTrapVec);
  s = csr(kCsrMstatus);
  EXPECT_FALSE(s & kMPIE);
  EXPECT_EQ((s >> 11) & 3, 3u);
}

TEST_F(CpuTrap, WfiInUserWithTwIsIllegal) {
  const uint64_t user_pc = kRamBase + 0x1000;
  put(user_pc, {kWfi, kWfi});
  cpu_->poke_csr(kCsrMie, 1u << kIrqMTimer);
  cpu_->set_interrupt_pending(kIrqMTimer, true);  // so that a legal WFI does not stall
  cpu_->poke_csr(kCsrMstatus, 0);
  enter(PrivLevel::User, user_pc);
  // In U-mode the pending timer interrupt is taken first; disable it for this test.
  cpu_->poke_csr(kCsrMie, 0);
  cpu_->poke_csr(kCsrMstatus, kTW);
  step();
  expect_trap(kExcIllegalInsn, user_pc, kWfi);
}

TEST_F(CpuTrap, WfiStallsUntilAnInterruptIsPending) {
  program({kWfi, addi(a0, zero, 1)});
  cpu_->poke_csr(kCsrMie, 1u << kIrqMTimer);  // enabled in mie but MIE = 0: wake without trap
  EXPECT_EQ(cpu_->run(10), RunExit::Wfi);
  EXPECT_TRUE(cpu_->waiting_for_interrupt());
  EXPECT_EQ(cpu_->pc(), kRamBase + 4);
  EXPECT_EQ(cpu_->run(10), RunExit::Wfi);  // still nothing pending
  EXPECT_EQ(x(a0), 0u);
  cpu_->set_interrupt_pending(kIrqMTimer, true);
  EXPECT_EQ(cpu_->run(1), RunExit::Budget);
  EXPECT_FALSE(cpu_->waiting_for_interrupt());
  EXPECT_EQ(x(a0), 1u);
  EXPECT_TRUE(traps_.empty());
}

TEST_F(CpuTrap, WfiWakesIntoTheInterruptHandler) {
  program({kWfi, kNop});
  cpu_->poke_csr(kCsrMie, 1u << kIrqMExt);
  cpu_->poke_csr(kCsrMstatus, kMIE);
  EXPECT_EQ(cpu_->run(10), RunExit::Wfi);
  cpu_->set_interrupt_pending(kIrqMExt, true);
  cpu_->run(1);
  expect_trap(kInterrupt | kIrqMExt, kRamBase + 4, 0);
}

TEST_F(CpuTrap, InterruptNeedsMieInMachineMode) {
  program({kNop, kNop, kNop});
  cpu_->poke_csr(kCsrMie, 1u << kIrqMSoft);
  cpu_->set_interrupt_pending(kIrqMSoft, true);
  step();
  EXPECT_EQ(cpu_->pc(), kRamBase + 4);  // MIE = 0: not taken
  cpu_->poke_csr(kCsrMstatus, kMIE);
  step();
  expect_trap(kInterrupt | kIrqMSoft, kRamBase + 4, 0);
  EXPECT_TRUE(csr(kCsrMstatus) & kMPIE);
}

TEST_F(CpuTrap, InterruptTakenInUserModeRegardlessOfMie) {
  const uint64_t user_pc = kRamBase + 0x1000;
  put(user_pc, {kNop, kNop});
  enter(PrivLevel::User, user_pc);
  cpu_->poke_csr(kCsrMstatus, 0);
  cpu_->poke_csr(kCsrMie, 1u << kIrqMTimer);
  cpu_->set_interrupt_pending(kIrqMTimer, true);
  step();
  expect_trap(kInterrupt | kIrqMTimer, user_pc, 0);
  EXPECT_EQ(traps_.back().from, PrivLevel::User);
}

TEST_F(CpuTrap, InterruptPriority) {
  // SEIP needs a hart with S-mode (without S the S-level interrupt bits are read-only zero).
  cpu_ =
      std::make_unique<Cpu>(*as_, 0, HartConfig{HartConfig::kBaseExtensions | misa_extension('S')});
  cpu_->reset(kRamBase);
  SetUp();
  program({kNop});
  cpu_->poke_csr(kCsrMstatus, kMIE);
  cpu_->poke_csr(kCsrMie, 0xaaa);
  cpu_->set_interrupt_pending(kIrqMTimer, true);
  cpu_->set_interrupt_pending(kIrqMSoft, true);
  cpu_->poke_csr(kCsrMip, 1u << kIrqSExt);
  cpu_->set_interrupt_pending(kIrqMExt, true);
  const uint64_t expected[] = {kIrqMExt, kIrqMSoft, kIrqMTimer, kIrqSExt};
  for (uint64_t irq : expected) {
    cpu_->set_pc(kRamBase);
    cpu_->poke_csr(kCsrMstatus, kMIE);
    step();
    EXPECT_EQ(csr(kCsrMcause), kInterrupt | irq);
    if (irq == kIrqSExt) {
      cpu_->poke_csr(kCsrMip, 0);
    } else {
      cpu_->set_interrupt_pending(static_cast<unsigned>(irq), false);
    }
  }
}

TEST_F(CpuTrap, VectoredMtvecOnlyForInterrupts) {
  cpu_->poke_csr(kCsrMtvec, kTrapVec | 1);
  cpu_->poke_csr(kCsrMstatus, kMIE);
  cpu_->poke_csr(kCsrMie, 1u << kIrqMTimer);
  program({kNop, kNop});
  cpu_->set_interrupt_pending(kIrqMTimer, true);
  step();
  EXPECT_EQ(cpu_->pc(), kTrapVec + 4 * kIrqMTimer);
  // Exceptions go to the base.
  cpu_->set_interrupt_pending(kIrqMTimer, false);
  program({kEbreak});
  cpu_->set_pc(kRamBase);
  step();
  EXPECT_EQ(cpu_->pc(), kTrapVec);
}

TEST_F(CpuTrap, InterruptRaisedByADeviceDuringRunIsTakenAtTheNextBoundary) {
  program({sw(zero, a1, 0), kNop, kNop, kNop});
  cpu_->set_reg(a1, kMmioBase);
  cpu_->poke_csr(kCsrMstatus, kMIE);
  cpu_->poke_csr(kCsrMie, 1u << kIrqMExt);
  on_mmio_write_ = [this](uint64_t) { cpu_->set_interrupt_pending(kIrqMExt, true); };
  cpu_->run(2);
  expect_trap(kInterrupt | kIrqMExt, kRamBase + 4, 0);
  EXPECT_EQ(cpu_->instret(), 1u);
}

TEST_F(CpuTrap, MisalignedAtomics) {
  const uint64_t d = kRamBase + 0x2001;
  program({amo(0x02, false, a0, a1, 0)});  // lr.w
  cpu_->set_reg(a1, d);
  step();
  expect_trap(kExcLoadMisaligned, kRamBase, d);
  for (uint32_t f5 : {0x03u, 0x00u, 0x01u}) {  // sc, amoadd, amoswap
    cpu_->reset(kRamBase);
    cpu_->poke_csr(kCsrMtvec, kTrapVec);
    program({amo(f5, true, a0, a1, a2)});
    cpu_->set_reg(a1, kRamBase + 0x2004);
    step();
    expect_trap(kExcStoreMisaligned, kRamBase, kRamBase + 0x2004);
  }
}

TEST_F(CpuTrap, AccessFaults) {
  struct Case {
    uint32_t insn;
    uint64_t cause;
  } cases[] = {
      {ld(a0, a1, 0), kExcLoadAccessFault},
      {lb(a0, a1, 0), kExcLoadAccessFault},
      {sd(a2, a1, 0), kExcStoreAccessFault},
      {sh(a2, a1, 0), kExcStoreAccessFault},
      {amo(0x00, true, a0, a1, a2), kExcStoreAccessFault},  // amoadd.d
      {amo(0x02, true, a0, a1, 0), kExcLoadAccessFault},    // lr.d
  };
  for (const Case& c : cases) {
    cpu_->reset(kRamBase);
    cpu_->poke_csr(kCsrMtvec, kTrapVec);
    program({c.insn});
    cpu_->set_reg(a1, kUnmapped + 8);
    cpu_->set_reg(a0, 0x77);
    step();
    expect_trap(c.cause, kRamBase, kUnmapped + 8);
    EXPECT_EQ(x(a0), 0x77u) << "a faulting instruction must not write rd";
  }
}

TEST_F(CpuTrap, FetchAccessFault) {
  program({jalr(ra, a1, 0)});
  cpu_->set_reg(a1, kUnmapped);
  step();
  EXPECT_EQ(cpu_->pc(), kUnmapped);
  EXPECT_EQ(x(ra), kRamBase + 4);
  step();
  expect_trap(kExcInsnAccessFault, kUnmapped, kUnmapped);
}

TEST_F(CpuTrap, FetchFromMmioWorksUncached) {
  // The MMIO page answers reads with mmio_value_: executing from it works, uncached.
  mmio_value_ = addi(a0, zero, 5);
  cpu_->set_pc(kMmioBase);
  step();
  EXPECT_EQ(x(a0), 5u);
  EXPECT_EQ(cpu_->pc(), kMmioBase + 4);
}

TEST_F(CpuTrap, MisalignedJumpWithoutC) {
  program({csrrci(zero, kCsrMisa, 4), jalr(ra, a1, 2)});
  cpu_->set_reg(a1, kRamBase + 0x100);
  cpu_->set_reg(ra, 0x55);
  step(2);
  expect_trap(kExcInsnMisaligned, kRamBase + 4, kRamBase + 0x102);
  EXPECT_EQ(x(ra), 0x55u);  // the jump did not complete
  // A taken branch to a 2-mod-4 target, and a JAL.
  cpu_->set_pc(kRamBase + 0x200);
  put(kRamBase + 0x200, {beq(zero, zero, 6), bne(zero, zero, 6), jal(zero, -2)});
  step();
  expect_trap(kExcInsnMisaligned, kRamBase + 0x200, kRamBase + 0x206);
  cpu_->set_pc(kRamBase + 0x204);
  step();  // not taken: no trap
  EXPECT_EQ(cpu_->pc(), kRamBase + 0x208);
  step();
  expect_trap(kExcInsnMisaligned, kRamBase + 0x208, kRamBase + 0x206);
}

TEST_F(CpuTrap, CompressedIsIllegalWithoutC) {
  program({csrrci(zero, kCsrMisa, 4)});
  put16(kRamBase + 4, 0x0505);  // c.addi a0, 1
  put16(kRamBase + 6, 0x0001);
  step(2);
  expect_trap(kExcIllegalInsn, kRamBase + 4, 0x0505);
}

TEST_F(CpuTrap, TrapClearsTheReservation) {
  const uint64_t d = kRamBase + 0x2000;
  program({amo(0x02, true, a0, a1, 0), kEbreak});
  put(kTrapVec, {amo(0x03, true, a3, a1, a2)});
  cpu_->set_reg(a1, d);
  step(3);
  EXPECT_EQ(x(a3), 1u);
}

TEST_F(CpuTrap, BudgetCountsTrapsAsSteps) {
  program({kEbreak});
  put(kTrapVec, {kNop, kNop, kNop});
  EXPECT_EQ(cpu_->run(3), RunExit::Budget);
  EXPECT_EQ(cpu_->pc(), kTrapVec + 8);
  EXPECT_EQ(cpu_->instret(), 2u);
}

TEST_F(CpuTrap, TrapLoopUsesUpTheBudgetStepByStep) {
  // An illegal instruction whose handler is unmapped: every later step is a fetch fault at
  // mtvec. Nothing retires, yet each trap is a step and the run ends on its budget.
  program({0xffffffffu});
  ASSERT_TRUE(cpu_->poke_csr(kCsrMtvec, kUnmapped));
  traps_.clear();
  constexpr uint64_t kSteps = 100'000;
  for (int round = 1; round <= 3; ++round) {
    EXPECT_EQ(cpu_->run(kSteps), RunExit::Budget);
    EXPECT_EQ(cpu_->steps(), round * kSteps);
  }
  EXPECT_EQ(cpu_->instret(), 0u);
  EXPECT_EQ(traps_.size(), 3 * kSteps);
  EXPECT_EQ(traps_[0].cause, kExcIllegalInsn);
  EXPECT_EQ(traps_[0].epc, kRamBase);
  EXPECT_EQ(cpu_->pc(), kUnmapped);
  EXPECT_EQ(csr(kCsrMcause), kExcInsnAccessFault);
  EXPECT_EQ(csr(kCsrMepc), kUnmapped);
  EXPECT_EQ(csr(kCsrMtval), kUnmapped);
  EXPECT_EQ(cpu_->code_cache_stats().live_pages, 1u) << "a fetch fault must not cache a page";
}

TEST_F(CpuTrap, MisalignedAccessIntoUnmappedSpaceFaultsOnThePortion) {
  // RAM ends at kRamBase + kRamSize; what follows is unmapped. The faulting portion of an
  // access that starts in RAM begins at the end of RAM (privileged spec 3.1.16: mtval holds
  // the address of the portion of the access that caused the fault).
  const uint64_t end = kRamBase + kRamSize;
  struct Case {
    uint32_t insn;
    uint64_t cause;
  } cases[] = {
      {ld(a0, a1, 0), kExcLoadAccessFault},
      {lw(a0, a1, 0), kExcLoadAccessFault},
      {sd(a2, a1, 0), kExcStoreAccessFault},
      {sw(a2, a1, 0), kExcStoreAccessFault},
  };
  for (const Case& c : cases) {
    cpu_->reset(kRamBase);
    cpu_->poke_csr(kCsrMtvec, kTrapVec);
    program({c.insn});
    set_mem(end - 8, 0x1111111111111111ull);
    cpu_->set_reg(a1, end - 2);
    cpu_->set_reg(a2, ~0ull);
    cpu_->set_reg(a0, 0x77);
    step();
    expect_trap(c.cause, kRamBase, end);
    EXPECT_EQ(x(a0), 0x77u);
    EXPECT_EQ(mem(end - 8), 0x1111111111111111ull) << "a faulting store must write nothing";
  }
  // Starting in unmapped space: the first portion faults.
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kCsrMtvec, kTrapVec);
  program({sd(a2, a1, 0)});
  set_mem(kRamBase + 0x10, 0);
  cpu_->set_reg(a1, kRamBase - 4);
  step();
  expect_trap(kExcStoreAccessFault, kRamBase, kRamBase - 4);
}

TEST_F(CpuTrap, StoreStraddlingFromMmioIntoUnmappedSpaceWritesNothing) {
  program({sd(a2, a1, 0), lw(a0, a1, 0)});
  cpu_->set_reg(a1, kMmioBase + 0x1000 - 3);
  cpu_->set_reg(a2, 0x1122334455667788ull);
  step();
  expect_trap(kExcStoreAccessFault, kRamBase, kMmioBase + 0x1000);
  EXPECT_TRUE(mmio_writes_.empty()) << "no byte of a faulting store may reach the device";
  cpu_->set_pc(kRamBase + 4);
  step();
  expect_trap(kExcLoadAccessFault, kRamBase + 4, kMmioBase + 0x1000);
}

}  // namespace
}  // namespace glassvm::test
