// Sstc: the stimecmp CSR, menvcfg.STCE and mcounteren.TM gating, mip.STIP following
// time >= stimecmp, the comparator listener the board arms its alarm from, and the SBI's
// set_supervisor_timer().
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "engine/cpu/csr.h"
#include "tests/engine/cpu/cpu_test_machine.h"

namespace glassvm::test {
namespace {

constexpr uint64_t kStce = 1ull << 63;
constexpr uint64_t kStip = 1u << kIrqSTimer;
constexpr uint64_t kTm = 2;  // mcounteren.TM

class CpuSstc : public CpuMachine {
 protected:
  static constexpr uint64_t kTrapVec = kRamBase + 0x4000;
  void SetUp() override {
    ASSERT_TRUE(cpu_->poke_csr(kCsrMtvec, kTrapVec));
    cpu_->set_time_source([this] { return time_; });
    cpu_->set_timer_compare_listener([this](uint64_t v) { compares_.push_back(v); });
  }
  bool stip() { return (csr(kCsrMip) & kStip) != 0; }

  uint64_t time_ = 0;
  std::vector<uint64_t> compares_;
};

TEST_F(CpuSstc, StimecmpExistsOnlyWithSstc) {
  uint64_t v;
  EXPECT_TRUE(cpu_->peek_csr(kCsrStimecmp, v));
  HartConfig config;
  config.sstc = false;
  Cpu plain(*as_, 1, config);
  EXPECT_FALSE(plain.peek_csr(kCsrStimecmp, v));
  EXPECT_TRUE(plain.poke_csr(kCsrMenvcfg, ~0ull));
  ASSERT_TRUE(plain.peek_csr(kCsrMenvcfg, v));
  EXPECT_EQ(v, 1u);  // FIOM only: STCE is read-only zero without Sstc
}

TEST_F(CpuSstc, MenvcfgKeepsFiomAndStceOnly) {
  cpu_->poke_csr(kCsrMenvcfg, ~0ull);
  EXPECT_EQ(csr(kCsrMenvcfg), kStce | 1);
}

TEST_F(CpuSstc, StipFollowsTimeWhileStceIsSet) {
  cpu_->poke_csr(kCsrMenvcfg, kStce);
  cpu_->poke_csr(kCsrStimecmp, 100);
  time_ = 99;
  cpu_->update_timer_interrupt();
  EXPECT_FALSE(stip());
  time_ = 100;
  cpu_->update_timer_interrupt();
  EXPECT_TRUE(stip());
  cpu_->poke_csr(kCsrStimecmp, 200);  // a deadline in the future clears STIP at once
  EXPECT_FALSE(stip());
  cpu_->poke_csr(kCsrStimecmp, 50);  // one in the past raises it at once
  EXPECT_TRUE(stip());
}

TEST_F(CpuSstc, MachineCannotWriteStipWhileStceIsSet) {
  cpu_->poke_csr(kCsrMip, kStip);
  EXPECT_TRUE(stip());  // STCE = 0: STIP is M-mode's to write
  cpu_->poke_csr(kCsrMenvcfg, kStce);
  EXPECT_FALSE(stip());  // now it is the comparator's (stimecmp resets to the far future)
  cpu_->poke_csr(kCsrMip, kStip);
  EXPECT_FALSE(stip());
}

TEST_F(CpuSstc, ComparatorDoesNothingWithoutStce) {
  cpu_->poke_csr(kCsrStimecmp, 0);
  time_ = 10;
  cpu_->update_timer_interrupt();
  EXPECT_FALSE(stip());
}

TEST_F(CpuSstc, SupervisorAccessNeedsMcounterenTmAndStce) {
  const uint32_t read = csrrs(a0, kCsrStimecmp, zero);
  run_in(PrivLevel::Supervisor, {read});
  step();
  EXPECT_EQ(csr(kCsrMcause), kExcIllegalInsn);  // neither
  cpu_->poke_csr(kCsrMcounteren, kTm);
  run_in(PrivLevel::Supervisor, {read});
  step();
  EXPECT_EQ(cpu_->priv(), PrivLevel::Machine);  // TM without STCE
  cpu_->poke_csr(kCsrMcounteren, 0);
  cpu_->poke_csr(kCsrMenvcfg, kStce);
  run_in(PrivLevel::Supervisor, {read});
  step();
  EXPECT_EQ(cpu_->priv(), PrivLevel::Machine);  // STCE without TM
  cpu_->poke_csr(kCsrMcounteren, kTm);
  cpu_->poke_csr(kCsrStimecmp, 1234);
  run_in(PrivLevel::Supervisor, {read});
  step();
  EXPECT_EQ(cpu_->priv(), PrivLevel::Supervisor);
  EXPECT_EQ(x(a0), 1234u);
  run_in(PrivLevel::User, {read});
  step();
  EXPECT_EQ(cpu_->priv(), PrivLevel::Machine);  // never from U
  EXPECT_EQ(csr(kCsrMcause), kExcIllegalInsn);
}

TEST_F(CpuSstc, SupervisorTimerInterruptIsTakenWhenTimeReachesStimecmp) {
  cpu_->poke_csr(kCsrMenvcfg, kStce);
  cpu_->poke_csr(kCsrMcounteren, kTm);
  cpu_->poke_csr(kCsrMideleg, kStip);
  cpu_->poke_csr(kCsrMie, kStip);
  cpu_->poke_csr(kCsrStvec, kRamBase + 0x5000);
  cpu_->poke_csr(kCsrSstatus, 2);  // SIE
  cpu_->set_reg(a1, 500);
  run_in(PrivLevel::Supervisor, {csrrw(zero, kCsrStimecmp, a1), kWfi, kNop});
  step(2);
  EXPECT_TRUE(cpu_->waiting_for_interrupt());
  time_ = 500;
  cpu_->update_timer_interrupt();  // what the board's alarm does
  step();
  EXPECT_EQ(cpu_->priv(), PrivLevel::Supervisor);
  EXPECT_EQ(cpu_->pc(), kRamBase + 0x5000);
  EXPECT_EQ(csr(kCsrScause), (1ull << 63) | kIrqSTimer);
}

TEST_F(CpuSstc, ListenerHearsEveryComparatorChange) {
  compares_.clear();
  cpu_->poke_csr(kCsrStimecmp, 300);  // STCE = 0: the comparator drives nothing
  cpu_->poke_csr(kCsrMenvcfg, kStce);
  cpu_->poke_csr(kCsrStimecmp, 400);
  cpu_->poke_csr(kCsrMenvcfg, 0);
  EXPECT_EQ(compares_, (std::vector<uint64_t>{~0ull, 300, 400, ~0ull}));
}

TEST_F(CpuSstc, SbiSetTimerDrivesStipWithoutStce) {
  compares_.clear();
  cpu_->set_supervisor_timer(70);
  EXPECT_EQ(compares_, (std::vector<uint64_t>{70}));
  EXPECT_EQ(csr(kCsrStimecmp), 70u);
  time_ = 69;
  cpu_->update_timer_interrupt();
  EXPECT_FALSE(stip());
  time_ = 70;
  cpu_->update_timer_interrupt();
  EXPECT_TRUE(stip());
  cpu_->set_supervisor_timer(~0ull);  // what Linux does to cancel the timer
  EXPECT_FALSE(stip());
  cpu_->reset(kRamBase);  // reset ends the SBI's hold on STIP
  cpu_->poke_csr(kCsrMip, kStip);
  EXPECT_TRUE(stip());
}

}  // namespace
}  // namespace glassvm::test
