// The board's wiring of the hart's supervisor timer comparator (Sstc, and the SBI's
// set_timer): an alarm at stimecmp raises STIP on time, also while the hart waits in WFI.
#include <gtest/gtest.h>

#include <cstdint>

#include "engine/board/machine.h"
#include "engine/cpu/csr.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

constexpr uint32_t kWfi = 0x10500073, kLoop = 0x0000006f;  // wfi; j .
constexpr uint64_t kStip = 1u << kIrqSTimer;

class MachineSstc : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    m_ = Machine::create(MachineConfig{}, host_, error);
    ASSERT_TRUE(m_) << error;
    const uint32_t prog[] = {kWfi, kLoop};
    ASSERT_EQ(m_->system_as().write(virt::kDramBase, prog, sizeof prog), MemTxResult::Ok);
    const uint32_t handler[] = {kLoop};
    ASSERT_EQ(m_->system_as().write(kHandler, handler, sizeof handler), MemTxResult::Ok);
    Cpu& cpu = m_->cpu();
    cpu.reset(virt::kDramBase);
    ASSERT_TRUE(cpu.poke_csr(kCsrMtvec, kHandler));
    ASSERT_TRUE(cpu.poke_csr(kCsrMie, kStip));
    ASSERT_TRUE(cpu.poke_csr(kCsrMstatus, 1u << 3));  // MIE: the STI is taken in M-mode
  }
  uint64_t time() {
    uint64_t t = 0;
    EXPECT_TRUE(m_->cpu().peek_csr(kCsrTime, t));
    return t;
  }
  /// Runs until the hart leaves the WFI loop or `limit` slices pass.
  void run_until_trap() {
    for (int i = 0; i < 100 && m_->cpu().pc() != kHandler; ++i) m_->run(100'000);
  }
  static constexpr uint64_t kHandler = virt::kDramBase + 0x100;
  testing::TestHost host_;
  std::unique_ptr<Machine> m_;
};

TEST_F(MachineSstc, StimecmpWakesAWaitingHartOnTime) {
  const uint64_t deadline = time() + 50'000;  // 5 ms of guest time, far beyond one slice
  uint64_t trap_time = 0;
  m_->cpu().set_trap_hook([&](const TrapEvent&) { trap_time = time(); });
  ASSERT_TRUE(m_->cpu().poke_csr(kCsrMenvcfg, 1ull << 63));  // STCE
  ASSERT_TRUE(m_->cpu().poke_csr(kCsrStimecmp, deadline));
  run_until_trap();
  EXPECT_EQ(m_->cpu().pc(), kHandler);
  uint64_t cause = 0;
  m_->cpu().peek_csr(kCsrMcause, cause);
  EXPECT_EQ(cause, (1ull << 63) | kIrqSTimer);
  EXPECT_GE(trap_time, deadline);
  EXPECT_LE(trap_time, deadline + 1);  // skipped to the deadline, not past it
}

TEST_F(MachineSstc, SupervisorTimerOfTheSbiWakesAWaitingHart) {
  const uint64_t deadline = time() + 20'000;
  m_->cpu().set_supervisor_timer(deadline);
  run_until_trap();
  EXPECT_EQ(m_->cpu().pc(), kHandler);
  EXPECT_GE(time(), deadline);
}

TEST_F(MachineSstc, CancelledTimerLeavesTheHartIdle) {
  ASSERT_TRUE(m_->cpu().poke_csr(kCsrMenvcfg, 1ull << 63));
  ASSERT_TRUE(m_->cpu().poke_csr(kCsrStimecmp, time() + 1000));
  ASSERT_TRUE(m_->cpu().poke_csr(kCsrStimecmp, ~0ull));
  EXPECT_EQ(m_->run(100'000), MachineState::Idle);
  EXPECT_EQ(m_->cpu().pc(), virt::kDramBase + 4);
}

}  // namespace
}  // namespace glassvm
