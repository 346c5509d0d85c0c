// The memory slow paths generated code calls (wasm-jit/helper_abi.h): jit_load and jit_store
// set pc and budget as the helpers' calling convention asks, extend as the load does, and say
// when generated code must leave, with pc and budget for the exit.
#include <gtest/gtest.h>

#include <cstdint>

#include "engine/cpu/cpu_state.h"
#include "engine/cpu/csr.h"
#include "tests/engine/cpu/cpu_test_machine.h"
#include "wasm-jit/helper_abi.h"

namespace glassvm::test {
namespace {

class JitSlowPathTest : public CpuMachine {
 protected:
  static constexpr uint64_t kPc = kRamBase + 0x40;
  static constexpr uint64_t kHandler = kRamBase + 0x400;
  static constexpr uint64_t kData = kRamBase + 0x2000;
  void SetUp() override {
    ASSERT_TRUE(cpu_->poke_csr(kCsrMtvec, kHandler));
    cpu_->executor_state().event_ = false;  // as inside a run, between events
  }
  /// `how` for an access of `size` bytes by an instruction of `len` bytes.
  static uint32_t how(unsigned size, unsigned len, bool sign = false) {
    return size | (len << jit_slow::kLengthShift) | (sign ? jit_slow::kSignExtend : 0);
  }
};

TEST_F(JitSlowPathTest, ALoadThatCompletesGoesOnWithTheValueExtendedAsTheLoadDoes) {
  CpuState& s = cpu_->executor_state();
  set_mem(kData, 0x00000000ffff8081ull);
  EXPECT_EQ(jit_load(s, kData, how(4, 4, true), kPc, 9), 0xffffffffffff8081ull);
  EXPECT_EQ(s.jit_exit_, jit_slow::kGoOn);
  EXPECT_EQ(s.pc_, kPc);  // what the helper saw, and nothing changed it
  EXPECT_EQ(s.budget_left_, 9u);
  EXPECT_EQ(jit_load(s, kData, how(2, 2), kPc, 9), 0x8081u);
  EXPECT_EQ(jit_load(s, kData, how(1, 2, true), kPc, 9), 0xffffffffffffff81ull);
  EXPECT_EQ(jit_load(s, kData + 1, how(8, 4, true), kPc, 9), 0x00000000ffff80ull);
}

TEST_F(JitSlowPathTest, ALoadThatFaultsTakesTheTrapAndUsesItsStep) {
  CpuState& s = cpu_->executor_state();
  s.jit_exit_ = jit_slow::kGoOn;
  jit_load(s, 0x20000000, how(8, 4), kPc, 9);
  EXPECT_EQ(s.jit_exit_, jit_slow::kTrapped);
  EXPECT_EQ(s.pc_, kHandler);
  EXPECT_EQ(s.budget_left_, 8u);
  EXPECT_EQ(csr(kCsrMepc), kPc);
  EXPECT_EQ(csr(kCsrMcause), kExcLoadAccessFault);
}

TEST_F(JitSlowPathTest, ALoadThatCompletesWithAnEventLeavesAfterTheInstruction) {
  CpuState& s = cpu_->executor_state();
  set_mem(kData, 42);
  s.event_ = true;
  EXPECT_EQ(jit_load(s, kData, how(8, 2), kPc, 9), 42u);
  EXPECT_EQ(s.jit_exit_, jit_slow::kLeaveAfter);
  EXPECT_EQ(s.pc_, kPc + 2);  // a compressed load
  EXPECT_EQ(s.budget_left_, 8u);
}

TEST_F(JitSlowPathTest, AStoreGoesOnOrLeavesWithPcAndBudgetForTheExit) {
  CpuState& s = cpu_->executor_state();
  EXPECT_EQ(jit_store(s, kData + 3, how(8, 4), 0x1122334455667788ull, kPc, 5), 0u);
  EXPECT_EQ(mem(kData + 3), 0x1122334455667788ull);
  EXPECT_EQ(s.pc_, kPc);
  EXPECT_EQ(s.budget_left_, 5u);

  // A device raises an event from the store's callback: the store completed, leave after it.
  bool seen = false;
  on_mmio_write_ = [&](uint64_t v) {
    seen = v == 7 && cpu_->state().pc_ == kPc && cpu_->state().budget_left_ == 5;
    cpu_->executor_state().event_ = true;
  };
  EXPECT_EQ(jit_store(s, kMmioBase, how(4, 4), 7, kPc, 5), 1u);
  EXPECT_TRUE(seen);
  EXPECT_EQ(s.pc_, kPc + 4);
  EXPECT_EQ(s.budget_left_, 4u);

  s.event_ = false;
  EXPECT_EQ(jit_store(s, 0x20000000, how(4, 4), 7, kPc, 5), 1u);
  EXPECT_EQ(s.pc_, kHandler);
  EXPECT_EQ(s.budget_left_, 4u);
  EXPECT_EQ(csr(kCsrMcause), kExcStoreAccessFault);
}

}  // namespace
}  // namespace glassvm::test
