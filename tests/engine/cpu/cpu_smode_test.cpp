// S-mode tests (privileged spec 3.1.6-3.1.9, 3.3, chapter 4): the S CSRs and their WARL rules,
// the sstatus/sie/sip views, trap delegation from each mode, SRET with TSR, SFENCE.VMA and satp
// with TVM, WFI with TW, S-level interrupt enables and priority, scounteren gating.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "engine/cpu/csr.h"
#include "tests/engine/cpu/cpu_test_machine.h"

namespace glassvm::test {
namespace {

constexpr uint64_t kSIE = 1u << 1, kMIE = 1u << 3, kSPIE = 1u << 5, kSPP = 1u << 8, kSUM = 1u << 18,
                   kMXR = 1u << 19, kTVM = 1u << 20, kTW = 1u << 21, kTSR = 1u << 22;
constexpr uint64_t kInterrupt = 1ull << 63;
constexpr uint32_t kSfenceVma = 0x12000073;

class CpuSmode : public CpuMachine {
 protected:
  static constexpr uint64_t kTrapVec = kRamBase + 0x4000, kSTrapVec = kRamBase + 0x5000;

  void SetUp() override {
    ASSERT_TRUE(cpu_->poke_csr(kCsrMtvec, kTrapVec));
    ASSERT_TRUE(cpu_->poke_csr(kCsrStvec, kSTrapVec));
    cpu_->set_trap_hook([this](const TrapEvent& e) { traps_.push_back(e); });
  }
  void expect_m_trap(uint64_t cause, uint64_t epc, uint64_t tval) {
    EXPECT_EQ(cpu_->priv(), PrivLevel::Machine);
    EXPECT_EQ(cpu_->pc(), kTrapVec);
    EXPECT_EQ(csr(kCsrMcause), cause);
    EXPECT_EQ(csr(kCsrMepc), epc);
    EXPECT_EQ(csr(kCsrMtval), tval);
  }
  void expect_s_trap(uint64_t cause, uint64_t epc, uint64_t tval) {
    EXPECT_EQ(cpu_->priv(), PrivLevel::Supervisor);
    EXPECT_EQ(cpu_->pc(), kSTrapVec);
    EXPECT_EQ(csr(kCsrScause), cause);
    EXPECT_EQ(csr(kCsrSepc), epc);
    EXPECT_EQ(csr(kCsrStval), tval);
  }
  std::vector<TrapEvent> traps_;
};

TEST_F(CpuSmode, DefaultHartHasSupervisorMode) {
  const uint64_t misa = csr(kCsrMisa);
  for (char ext : {'I', 'M', 'A', 'C', 'S', 'U'}) EXPECT_TRUE(misa & (1ull << (ext - 'A'))) << ext;
  EXPECT_EQ((csr(kCsrMstatus) >> 34) & 3, 2u);  // SXL
  for (uint16_t n :
       {kCsrSstatus, kCsrSie, kCsrStvec, kCsrScounteren, kCsrSenvcfg, kCsrSscratch, kCsrSepc,
        kCsrScause, kCsrStval, kCsrSip, kCsrSatp, kCsrMedeleg, kCsrMideleg}) {
    uint64_t v;
    EXPECT_TRUE(cpu_->peek_csr(n, v)) << csr_name(n);
  }
  uint64_t v;
  EXPECT_TRUE(cpu_->peek_csr(kCsrStimecmp, v));  // Sstc (HartConfig::sstc, on by default)
}

TEST_F(CpuSmode, DelegationRegistersAreWarl) {
  cpu_->poke_csr(kCsrMedeleg, ~0ull);
  EXPECT_EQ(csr(kCsrMedeleg), 0xb3ffu);  // 0-9, 12, 13, 15; never ECALL from M (11)
  cpu_->poke_csr(kCsrMideleg, ~0ull);
  EXPECT_EQ(csr(kCsrMideleg), 0x222u);  // SSI, STI, SEI only
}

TEST_F(CpuSmode, PlainSupervisorRegisters) {
  for (uint16_t n : {kCsrSscratch, kCsrScause, kCsrStval}) {
    cpu_->poke_csr(n, 0xfedcba9876543210);
    EXPECT_EQ(csr(n), 0xfedcba9876543210u) << csr_name(n);
  }
  cpu_->poke_csr(kCsrSepc, 0x80001235);
  EXPECT_EQ(csr(kCsrSepc), 0x80001234u);
  cpu_->poke_csr(kCsrStvec, kRamBase | 1);  // vectored
  EXPECT_EQ(csr(kCsrStvec), kRamBase | 1);
  cpu_->poke_csr(kCsrStvec, kRamBase | 2);  // reserved mode: keeps the old mode
  EXPECT_EQ(csr(kCsrStvec), kRamBase | 1);
  cpu_->poke_csr(kCsrScounteren, ~0ull);
  EXPECT_EQ(csr(kCsrScounteren), 0xffffffffu);
  cpu_->poke_csr(kCsrSenvcfg, ~0ull);
  EXPECT_EQ(csr(kCsrSenvcfg), 1u);  // FIOM only
}

TEST_F(CpuSmode, SstatusIsAViewOfMstatus) {
  cpu_->poke_csr(kCsrMstatus, kMIE | (3ull << 11));
  cpu_->poke_csr(kCsrSstatus, ~0ull);
  const uint64_t m = csr(kCsrMstatus);
  EXPECT_EQ(m & (kSIE | kSPIE | kSPP | kSUM | kMXR), kSIE | kSPIE | kSPP | kSUM | kMXR);
  EXPECT_EQ(m & (kMIE | (3ull << 11)), kMIE | (3ull << 11));  // M fields untouched
  EXPECT_EQ(m & (kTVM | kTW | kTSR), 0u);
  const uint64_t s = csr(kCsrSstatus);
  EXPECT_EQ(s & kMIE, 0u);          // not visible
  EXPECT_EQ((s >> 32) & 3, 2u);     // UXL
  EXPECT_EQ(s & (3ull << 11), 0u);  // MPP not visible
  cpu_->poke_csr(kCsrSstatus, 0);
  EXPECT_EQ(csr(kCsrMstatus) & (kSIE | kSPIE | kSPP | kSUM | kMXR), 0u);
}

TEST_F(CpuSmode, SieAndSipShowOnlyDelegatedInterrupts) {
  cpu_->poke_csr(kCsrMie, 0xaaa);
  cpu_->poke_csr(kCsrMip, 0x222);
  EXPECT_EQ(csr(kCsrSie), 0u);
  EXPECT_EQ(csr(kCsrSip), 0u);
  cpu_->poke_csr(kCsrMideleg, 0x022);  // SSI and STI
  EXPECT_EQ(csr(kCsrSie), 0x022u);
  EXPECT_EQ(csr(kCsrSip), 0x022u);
  cpu_->poke_csr(kCsrSie, 0);  // clears only the delegated enables
  EXPECT_EQ(csr(kCsrMie), 0xa88u);
  cpu_->poke_csr(kCsrSip, 0);  // only SSIP is writable through sip
  EXPECT_EQ(csr(kCsrMip), 0x220u);
  cpu_->poke_csr(kCsrSip, ~0ull);
  EXPECT_EQ(csr(kCsrMip), 0x222u);
}

TEST_F(CpuSmode, EcallFromUserDelegatedToSupervisor) {
  cpu_->poke_csr(kCsrMedeleg, 1u << kExcEcallU);
  cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) | kSIE);
  run_in(PrivLevel::User, {kNop, kEcall});
  step(2);
  expect_s_trap(kExcEcallU, kCode + 4, 0);
  const uint64_t s = csr(kCsrMstatus);
  EXPECT_EQ(s & kSPP, 0u);      // came from U
  EXPECT_EQ(s & kSPIE, kSPIE);  // SIE was 1
  EXPECT_EQ(s & kSIE, 0u);
  EXPECT_EQ(csr(kCsrMcause), 0u);  // M-mode trap state untouched
  ASSERT_FALSE(traps_.empty());
  EXPECT_EQ(traps_.back().to, PrivLevel::Supervisor);
  EXPECT_EQ(traps_.back().from, PrivLevel::User);
}

TEST_F(CpuSmode, DelegatedUserEcallBypassesTheSbiHook) {
  bool called = false;
  cpu_->set_ecall_hook([&](Cpu&) { return called = true; });
  cpu_->poke_csr(kCsrMedeleg, 1u << kExcEcallU);
  run_in(PrivLevel::User, {kEcall});
  step();
  EXPECT_FALSE(called);
  expect_s_trap(kExcEcallU, kCode, 0);
  // A supervisor ecall reaches the hook (the SBI).
  run_in(PrivLevel::Supervisor, {kEcall});
  step();
  EXPECT_TRUE(called);
  EXPECT_EQ(cpu_->pc(), kCode + 4);
}

TEST_F(CpuSmode, TrapFromSupervisorSetsSpp) {
  cpu_->poke_csr(kCsrMedeleg, 1u << kExcIllegalInsn);
  run_in(PrivLevel::Supervisor, {0xffffffffu});
  step();
  expect_s_trap(kExcIllegalInsn, kCode, 0xffffffffu);
  EXPECT_EQ(csr(kCsrMstatus) & kSPP, kSPP);
}

TEST_F(CpuSmode, UndelegatedTrapsGoToMachine) {
  run_in(PrivLevel::Supervisor, {kEcall});
  step();
  expect_m_trap(kExcEcallS, kCode, 0);
  EXPECT_EQ((csr(kCsrMstatus) >> 11) & 3, 1u);  // MPP = S
}

TEST_F(CpuSmode, TrapsInMachineModeAreNeverDelegated) {
  cpu_->poke_csr(kCsrMedeleg, ~0ull);
  program({0xffffffffu});
  step();
  expect_m_trap(kExcIllegalInsn, kRamBase, 0xffffffffu);
}

TEST_F(CpuSmode, SretReturnsToSppAndRestoresSie) {
  cpu_->poke_csr(kCsrSepc, kRamBase + 0x2000);
  cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) | kSPIE | kSPP);
  run_in(PrivLevel::Supervisor, {kSret});
  step();
  EXPECT_EQ(cpu_->priv(), PrivLevel::Supervisor);
  EXPECT_EQ(cpu_->pc(), kRamBase + 0x2000);
  uint64_t s = csr(kCsrMstatus);
  EXPECT_EQ(s & (kSIE | kSPIE | kSPP), kSIE | kSPIE);  // SIE <- SPIE, SPIE <- 1, SPP <- U
  // Now SPP = U: sret goes to U.
  put(kRamBase + 0x2000, {kSret});
  cpu_->poke_csr(kCsrSepc, kRamBase + 0x3000);
  step();
  EXPECT_EQ(cpu_->priv(), PrivLevel::User);
  EXPECT_EQ(cpu_->pc(), kRamBase + 0x3000);
}

TEST_F(CpuSmode, SretClearsMprv) {
  cpu_->poke_csr(kCsrSepc, kRamBase + 0x2000);
  cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) | (1ull << 17));
  program({kSret});  // legal in M-mode
  step();
  EXPECT_EQ(cpu_->priv(), PrivLevel::User);
  EXPECT_EQ(csr(kCsrMstatus) & (1ull << 17), 0u);
}

TEST_F(CpuSmode, SretIsIllegalInUserAndWithTsr) {
  run_in(PrivLevel::User, {kSret});
  step();
  expect_m_trap(kExcIllegalInsn, kCode, kSret);
  cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) | kTSR);
  run_in(PrivLevel::Supervisor, {kSret});
  step();
  expect_m_trap(kExcIllegalInsn, kCode, kSret);
}

TEST_F(CpuSmode, SfenceAndSatpTrapWithTvm) {
  run_in(PrivLevel::Supervisor, {kSfenceVma, csrrs(a0, kCsrSatp, zero)});
  step(2);
  EXPECT_EQ(cpu_->pc(), kCode + 8);  // both fine without TVM
  cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) | kTVM);
  run_in(PrivLevel::Supervisor, {kSfenceVma});
  step();
  expect_m_trap(kExcIllegalInsn, kCode, kSfenceVma);
  run_in(PrivLevel::Supervisor, {csrrs(a0, kCsrSatp, zero)});
  step();
  expect_m_trap(kExcIllegalInsn, kCode, csrrs(a0, kCsrSatp, zero));
  cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) & ~kTVM);
  run_in(PrivLevel::User, {kSfenceVma});
  step();
  expect_m_trap(kExcIllegalInsn, kCode, kSfenceVma);
}

TEST_F(CpuSmode, WfiRulesWithTw) {
  cpu_->poke_csr(kCsrMie, 1u << kIrqMTimer);
  run_in(PrivLevel::Supervisor, {kWfi});
  step();
  EXPECT_TRUE(cpu_->waiting_for_interrupt());  // S-mode WFI without TW waits
  cpu_->set_interrupt_pending(kIrqMTimer, true);
  step();
  expect_m_trap(kIrqMTimer | kInterrupt, kCode + 4, 0);
  cpu_->set_interrupt_pending(kIrqMTimer, false);
  cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) | kTW);
  run_in(PrivLevel::Supervisor, {kWfi});
  step();
  expect_m_trap(kExcIllegalInsn, kCode, kWfi);
  cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) & ~kTW);
  run_in(PrivLevel::User, {kWfi});  // U-mode WFI traps whenever S-mode exists
  step();
  expect_m_trap(kExcIllegalInsn, kCode, kWfi);
}

TEST_F(CpuSmode, DelegatedInterruptNeedsSieInSupervisor) {
  cpu_->poke_csr(kCsrMideleg, 1u << kIrqSTimer);
  cpu_->poke_csr(kCsrMie, 1u << kIrqSTimer);
  cpu_->poke_csr(kCsrMip, 1u << kIrqSTimer);
  run_in(PrivLevel::Supervisor, {kNop, kNop, kNop});
  step();
  EXPECT_EQ(cpu_->pc(), kCode + 4);  // SIE = 0: not taken
  cpu_->poke_csr(kCsrSstatus, kSIE);
  step();
  expect_s_trap(kIrqSTimer | kInterrupt, kCode + 4, 0);
}

TEST_F(CpuSmode, DelegatedInterruptIsTakenInUserRegardlessOfSie) {
  cpu_->poke_csr(kCsrMideleg, 1u << kIrqSSoft);
  cpu_->poke_csr(kCsrMie, 1u << kIrqSSoft);
  run_in(PrivLevel::User, {kNop, kNop});
  cpu_->poke_csr(kCsrMip, 1u << kIrqSSoft);
  step();
  expect_s_trap(kIrqSSoft | kInterrupt, kCode, 0);
}

TEST_F(CpuSmode, DelegatedInterruptIsNeverTakenInMachine) {
  cpu_->poke_csr(kCsrMideleg, 1u << kIrqSTimer);
  cpu_->poke_csr(kCsrMie, 1u << kIrqSTimer);
  cpu_->poke_csr(kCsrMip, 1u << kIrqSTimer);
  cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) | kMIE | kSIE);
  program({kNop});
  step();
  EXPECT_EQ(cpu_->pc(), kRamBase + 4);
}

TEST_F(CpuSmode, MachineInterruptPreemptsSupervisorEvenWithMieClear) {
  cpu_->poke_csr(kCsrMideleg, 1u << kIrqSExt);
  cpu_->poke_csr(kCsrMie, (1u << kIrqSExt) | (1u << kIrqMTimer));
  cpu_->poke_csr(kCsrSstatus, kSIE);
  run_in(PrivLevel::Supervisor, {kNop});
  cpu_->set_interrupt_pending(kIrqSExt, true);
  cpu_->set_interrupt_pending(kIrqMTimer, true);
  step();
  // M-level interrupts come before S-level ones, though SEI outranks MTI within a level.
  expect_m_trap(kIrqMTimer | kInterrupt, kCode, 0);
}

TEST_F(CpuSmode, UndelegatedSupervisorInterruptGoesToMachine) {
  cpu_->poke_csr(kCsrMie, 1u << kIrqSTimer);
  run_in(PrivLevel::Supervisor, {kNop});
  cpu_->poke_csr(kCsrMip, 1u << kIrqSTimer);
  step();
  expect_m_trap(kIrqSTimer | kInterrupt, kCode, 0);
}

TEST_F(CpuSmode, VectoredStvecForInterrupts) {
  cpu_->poke_csr(kCsrStvec, kSTrapVec | 1);
  cpu_->poke_csr(kCsrMideleg, 1u << kIrqSSoft);
  cpu_->poke_csr(kCsrMie, 1u << kIrqSSoft);
  run_in(PrivLevel::User, {kNop});
  cpu_->poke_csr(kCsrMip, 1u << kIrqSSoft);
  step();
  EXPECT_EQ(cpu_->pc(), kSTrapVec + 4 * kIrqSSoft);
}

TEST_F(CpuSmode, CountersAreGatedByScounterenInUser) {
  cpu_->poke_csr(kCsrMcounteren, 1u << 2);  // IR
  run_in(PrivLevel::Supervisor, {csrrs(a0, kCsrInstret, zero)});
  step();
  EXPECT_EQ(cpu_->pc(), kCode + 4);  // S needs only mcounteren
  run_in(PrivLevel::User, {csrrs(a0, kCsrInstret, zero)});
  step();
  expect_m_trap(kExcIllegalInsn, kCode, csrrs(a0, kCsrInstret, zero));
  cpu_->poke_csr(kCsrScounteren, 1u << 2);
  run_in(PrivLevel::User, {csrrs(a0, kCsrInstret, zero)});
  step();
  EXPECT_EQ(cpu_->pc(), kCode + 4);
  cpu_->poke_csr(kCsrMcounteren, 0);  // mcounteren still gates U
  run_in(PrivLevel::User, {csrrs(a0, kCsrInstret, zero)});
  step();
  expect_m_trap(kExcIllegalInsn, kCode, csrrs(a0, kCsrInstret, zero));
}

TEST_F(CpuSmode, SupervisorCannotAccessMachineCsrs) {
  run_in(PrivLevel::Supervisor, {csrrs(a0, kCsrMstatus, zero)});
  step();
  expect_m_trap(kExcIllegalInsn, kCode, csrrs(a0, kCsrMstatus, zero));
  run_in(PrivLevel::User, {csrrs(a0, kCsrSstatus, zero)});
  step();
  expect_m_trap(kExcIllegalInsn, kCode, csrrs(a0, kCsrSstatus, zero));
}

}  // namespace
}  // namespace glassvm::test
