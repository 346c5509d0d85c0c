// CpuState and the shared helpers: the public state mirrors the hart, the budget is written
// back wherever it can be observed, the helpers follow their calling convention, and the
// alu.h operations give the M extension's special cases.
#include <gtest/gtest.h>

#include <cstdint>

#include "engine/cpu/alu.h"
#include "engine/cpu/cpu_state.h"
#include "engine/cpu/csr.h"
#include "engine/cpu/helpers.h"
#include "tests/engine/cpu/cpu_test_machine.h"

namespace glassvm::test {
namespace {

class CpuStateTest : public CpuMachine {};

TEST_F(CpuStateTest, StateMirrorsTheHart) {
  program({addi(a0, zero, 7), addi(a1, a0, 1)});
  cpu_->run(2);
  const CpuState& s = cpu_->state();
  EXPECT_EQ(s.x_[a0], 7u);
  EXPECT_EQ(s.x_[a1], 8u);
  EXPECT_EQ(s.pc_, cpu_->pc());
  EXPECT_EQ(s.pc_, kRamBase + 8);
  EXPECT_EQ(s.priv_, PrivLevel::Machine);
  EXPECT_EQ(s.retired_, 2u);
  EXPECT_EQ(s.budget_left_, 0u);
}

TEST_F(CpuStateTest, BudgetIsWrittenBackBeforeADeviceSeesTheHart) {
  // The third instruction stores to MMIO: from the device callback the state must show that
  // instruction's pc and 8 steps left of 10 (the current one included).
  program({kNop, kNop, sd(a0, a1, 0), kNop, kNop});
  cpu_->set_reg(a1, kMmioBase);
  uint64_t seen_left = 0, seen_pc = 0, seen_steps = 0;
  on_mmio_write_ = [&](uint64_t) {
    seen_left = cpu_->state().budget_left_;
    seen_pc = cpu_->state().pc_;
    seen_steps = cpu_->steps();
  };
  EXPECT_EQ(cpu_->run(10), RunExit::Budget);
  EXPECT_EQ(seen_left, 8u);
  EXPECT_EQ(seen_pc, kRamBase + 8);
  EXPECT_EQ(seen_steps, 2u);
  EXPECT_EQ(cpu_->state().budget_left_, 0u);
}

TEST_F(CpuStateTest, HelperRaiseTakesTheTrapAndCountsIt) {
  ASSERT_TRUE(cpu_->poke_csr(kCsrMtvec, kRamBase + 0x400));
  CpuState& s = cpu_->executor_state();
  s.pc_ = kRamBase + 0x10;
  const uint64_t steps = cpu_->steps();
  EXPECT_TRUE(helper_raise(s, kExcBreakpoint, kRamBase + 0x10));
  EXPECT_EQ(s.pc_, kRamBase + 0x400);
  EXPECT_EQ(csr(kCsrMepc), kRamBase + 0x10);
  EXPECT_EQ(csr(kCsrMcause), kExcBreakpoint);
  EXPECT_EQ(cpu_->steps(), steps + 1);
}

TEST_F(CpuStateTest, HelperCsrCompletesOrTraps) {
  CpuState& s = cpu_->executor_state();
  s.x_[a1] = 0x1234;
  s.pc_ = kRamBase;
  EXPECT_FALSE(helper_csr(s, Op::Csrrw, a0, a1, kCsrMscratch, csrrw(a0, kCsrMscratch, a1)));
  EXPECT_EQ(csr(kCsrMscratch), 0x1234u);
  EXPECT_EQ(s.x_[a0], 0u);
  const uint32_t bad = csrrw(a0, 0x7ff, a1);  // no such CSR
  EXPECT_TRUE(helper_csr(s, Op::Csrrw, a0, a1, 0x7ff, bad));
  EXPECT_EQ(csr(kCsrMcause), kExcIllegalInsn);
  EXPECT_EQ(csr(kCsrMtval), bad);
}

TEST_F(CpuStateTest, HelperMemoryAndAmo) {
  CpuState& s = cpu_->executor_state();
  s.pc_ = kRamBase;
  const uint64_t d = kRamBase + 0x2000;
  EXPECT_FALSE(helper_store(s, d + 3, 8, 0x1122334455667788ull));  // misaligned is fine
  uint64_t v = 0;
  EXPECT_FALSE(helper_load(s, d + 3, 8, v));
  EXPECT_EQ(v, 0x1122334455667788ull);
  s.x_[a1] = d + 16;
  s.x_[a2] = 5;
  set_mem(d + 16, 10);
  EXPECT_FALSE(helper_amo(s, Op::AmoaddD, a0, a1, a2));
  EXPECT_EQ(s.x_[a0], 10u);
  EXPECT_EQ(mem(d + 16), 15u);
  EXPECT_TRUE(helper_load(s, 0x20000000, 4, v));
  EXPECT_EQ(csr(kCsrMcause), kExcLoadAccessFault);
  EXPECT_EQ(csr(kCsrMtval), 0x20000000u);
}

TEST(CpuAlu, DivisionAndHighProductSpecialCases) {
  constexpr uint64_t kMin = 1ull << 63, kAll = ~0ull;
  EXPECT_EQ(alu::div(7, 0), kAll);
  EXPECT_EQ(alu::div(kMin, kAll), kMin);
  EXPECT_EQ(alu::div(static_cast<uint64_t>(-7), 2), static_cast<uint64_t>(-3));
  EXPECT_EQ(alu::divu(7, 0), kAll);
  EXPECT_EQ(alu::rem(7, 0), 7u);
  EXPECT_EQ(alu::rem(kMin, kAll), 0u);
  EXPECT_EQ(alu::rem(static_cast<uint64_t>(-7), 2), static_cast<uint64_t>(-1));
  EXPECT_EQ(alu::remu(7, 0), 7u);
  EXPECT_EQ(alu::divw(0x80000000u, 0xffffffffu), 0xffffffff80000000ull);
  EXPECT_EQ(alu::divw(5, 0), kAll);
  EXPECT_EQ(alu::divuw(0xfffffffeu, 1), 0xfffffffffffffffeull);
  EXPECT_EQ(alu::divuw(5, 0), kAll);
  EXPECT_EQ(alu::remw(0x80000000u, 0xffffffffu), 0u);
  EXPECT_EQ(alu::remw(0x80000001u, 0), 0xffffffff80000001ull);
  EXPECT_EQ(alu::remuw(0x80000001u, 0), 0xffffffff80000001ull);
  EXPECT_EQ(alu::mulh(kAll, kAll), 0u);
  EXPECT_EQ(alu::mulhsu(kAll, kAll), kAll);
  EXPECT_EQ(alu::mulhu(kAll, kAll), kAll - 1);
  EXPECT_EQ(alu::mulh(kMin, kMin), 1ull << 62);
}

}  // namespace
}  // namespace glassvm::test
