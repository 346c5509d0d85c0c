// Plic: sources, priorities, enables, thresholds and the claim/complete cycle the way the
// Linux irq-sifive-plic driver and OpenSBI use them.
#include "engine/devices/plic.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <vector>

#include "tests/support/mmio_regs.h"
#include "tests/support/test_bus.h"

namespace glassvm {
namespace {

using testing::mmio_read;
using testing::mmio_write;
using testing::TestBus;

class PlicTest : public ::testing::Test {
 protected:
  PlicTest() : plic(2) {}

  uint32_t rd(uint64_t off, MemTxAttrs attrs = {}) {
    return static_cast<uint32_t>(mmio_read(plic.mmio(), off, 4, attrs));
  }
  void wr(uint64_t off, uint32_t v) { mmio_write(plic.mmio(), off, 4, v); }
  static uint64_t prio(unsigned src) { return Plic::kPriorityBase + 4 * src; }
  static uint64_t enable(unsigned ctx, unsigned src) {
    return Plic::kEnableBase + Plic::kEnableStride * ctx + 4 * (src / 32);
  }
  static uint64_t threshold(unsigned ctx) {
    return Plic::kContextBase + Plic::kContextStride * ctx + Plic::kThreshold;
  }
  static uint64_t claim(unsigned ctx) {
    return Plic::kContextBase + Plic::kContextStride * ctx + Plic::kClaim;
  }
  void enable_src(unsigned ctx, unsigned src) {
    wr(enable(ctx, src), rd(enable(ctx, src)) | (1u << (src % 32)));
  }

  Plic plic;
};

TEST_F(PlicTest, RegionMatchesQemuVirt) {
  EXPECT_EQ(plic.mmio().name(), "riscv.sifive.plic");
  EXPECT_EQ(plic.mmio().size(), 0x600000u);
  EXPECT_EQ(plic.mmio().ops().valid.min_access_size, 4u);
  EXPECT_EQ(plic.mmio().ops().valid.max_access_size, 4u);
  EXPECT_EQ(plic.num_contexts(), 4u);
}

TEST_F(PlicTest, ClaimCompleteCycleForLevelSource) {
  wr(prio(10), 1);
  enable_src(1, 10);  // hart 0, S-mode context
  wr(threshold(1), 0);
  plic.set_source(10, true);
  EXPECT_TRUE(plic.context_output(1).level());
  EXPECT_FALSE(plic.context_output(0).level());  // not enabled for M-mode
  EXPECT_EQ(rd(Plic::kPendingBase), 1u << 10);

  EXPECT_EQ(rd(claim(1)), 10u);
  EXPECT_FALSE(plic.context_output(1).level());
  EXPECT_EQ(rd(Plic::kPendingBase), 0u);
  EXPECT_TRUE(plic.claimed(10));
  EXPECT_EQ(rd(claim(1)), 0u);  // nothing else to claim

  wr(claim(1), 10);  // complete while the device still asserts: pending again
  EXPECT_TRUE(plic.context_output(1).level());
  EXPECT_EQ(rd(claim(1)), 10u);
  plic.set_source(10, false);  // the handler served the device
  wr(claim(1), 10);
  EXPECT_FALSE(plic.context_output(1).level());
  EXPECT_EQ(rd(Plic::kPendingBase), 0u);
}

TEST_F(PlicTest, ThresholdMasksLowerOrEqualPriorities) {
  wr(prio(3), 3);
  enable_src(0, 3);
  plic.set_source(3, true);
  wr(threshold(0), 3);
  EXPECT_FALSE(plic.context_output(0).level());
  EXPECT_EQ(rd(claim(0)), 0u);
  wr(threshold(0), 2);
  EXPECT_TRUE(plic.context_output(0).level());
  EXPECT_EQ(rd(threshold(0)), 2u);
}

TEST_F(PlicTest, PriorityZeroNeverInterrupts) {
  enable_src(0, 4);
  plic.set_source(4, true);
  EXPECT_TRUE(plic.pending(4));
  EXPECT_FALSE(plic.context_output(0).level());
  wr(prio(4), 1);
  EXPECT_TRUE(plic.context_output(0).level());
}

TEST_F(PlicTest, HighestPriorityFirstThenLowestId) {
  wr(prio(5), 2);
  wr(prio(7), 5);
  wr(prio(40), 5);
  for (unsigned s : {5u, 7u, 40u}) {
    enable_src(2, s);  // hart 1, M-mode
    plic.set_source(s, true);
  }
  EXPECT_EQ(rd(Plic::kPendingBase + 4), 1u << (40 - 32));
  EXPECT_EQ(rd(claim(2)), 7u);
  EXPECT_EQ(rd(claim(2)), 40u);
  EXPECT_EQ(rd(claim(2)), 5u);
  EXPECT_EQ(rd(claim(2)), 0u);
  EXPECT_FALSE(plic.context_output(2).level());
}

TEST_F(PlicTest, SourceZeroDoesNotExist) {
  wr(prio(0), 7);
  EXPECT_EQ(rd(prio(0)), 0u);
  wr(enable(0, 0), 0xffffffff);
  EXPECT_EQ(rd(enable(0, 0)), 0xfffffffeu);
  wr(enable(0, 95), 0xffffffff);
  EXPECT_EQ(rd(enable(0, 95)), 0xffffffffu);  // sources 64..95 all exist
  wr(claim(0), 0);                            // completing id 0 is ignored
  EXPECT_EQ(rd(claim(0)), 0u);
}

TEST_F(PlicTest, PriorityAndThresholdAreWarl) {
  wr(prio(9), 0xffffffff);
  EXPECT_EQ(rd(prio(9)), 7u);
  wr(threshold(3), 0x12345679);
  EXPECT_EQ(rd(threshold(3)), 1u);
}

TEST_F(PlicTest, CompletionOfDisabledSourceIsIgnored) {
  wr(prio(12), 1);
  enable_src(0, 12);
  plic.set_source(12, true);
  EXPECT_EQ(rd(claim(0)), 12u);
  plic.set_source(12, false);
  wr(enable(0, 12), 0);
  wr(claim(0), 12);
  EXPECT_TRUE(plic.claimed(12));
  // Linux's eoi for a masked irq: enable, complete, disable.
  enable_src(0, 12);
  wr(claim(0), 12);
  EXPECT_FALSE(plic.claimed(12));
}

TEST_F(PlicTest, SourceDroppingBeforeClaimIsNotPending) {
  wr(prio(2), 1);
  enable_src(0, 2);
  plic.set_source(2, true);
  EXPECT_TRUE(plic.context_output(0).level());
  plic.set_source(2, false);
  EXPECT_FALSE(plic.context_output(0).level());
  EXPECT_EQ(rd(claim(0)), 0u);
}

TEST_F(PlicTest, PendingIsReadOnly) {
  wr(Plic::kPendingBase, 0xffffffff);
  EXPECT_EQ(rd(Plic::kPendingBase), 0u);
}

TEST_F(PlicTest, DeviceLineDrivesSourceAndBothContexts) {
  IrqLine uart_irq;
  uart_irq.connect(plic.input(10));
  wr(prio(10), 1);
  enable_src(0, 10);
  enable_src(1, 10);
  uart_irq.raise();
  EXPECT_TRUE(plic.context_output(0).level());
  EXPECT_TRUE(plic.context_output(1).level());
  // Whoever claims first gets it; the other context sees nothing to claim.
  EXPECT_EQ(rd(claim(1)), 10u);
  EXPECT_FALSE(plic.context_output(0).level());
  EXPECT_EQ(rd(claim(0)), 0u);
  uart_irq.lower();
  wr(claim(1), 10);
  EXPECT_FALSE(plic.context_output(0).level());
  EXPECT_FALSE(plic.context_output(1).level());
}

TEST_F(PlicTest, DebugReadOfClaimDoesNotClaim) {
  wr(prio(6), 1);
  enable_src(0, 6);
  plic.set_source(6, true);
  MemTxAttrs debug;
  debug.debug = true;
  EXPECT_EQ(rd(claim(0), debug), 6u);
  EXPECT_FALSE(plic.claimed(6));
  EXPECT_TRUE(plic.context_output(0).level());
}

TEST_F(PlicTest, ContextsBeyondTheHartsAreReserved) {
  wr(enable(4, 10), 0xffffffff);
  EXPECT_EQ(rd(enable(4, 10)), 0u);
  wr(threshold(4), 3);
  EXPECT_EQ(rd(threshold(4)), 0u);
  EXPECT_EQ(rd(claim(1023)), 0u);
  EXPECT_EQ(rd(0x5ffffc), 0u);
}

TEST_F(PlicTest, RandomAccessesLeaveDeviceWorking) {
  std::mt19937_64 rng(2024);
  auto random_offset = [&]() -> uint64_t {
    switch (rng() % 5) {
      case 0: return rng() % 0x200;  // priorities
      case 1: return 0x1000 + rng() % 0x20;
      case 2: return 0x2000 + rng() % 0x300;
      case 3: return 0x200000 + rng() % 0x5000;
      default: return rng() % Plic::kMmioSize;
    }
  };
  for (int round = 0; round < 50; round++) {
    for (int i = 0; i < 500; i++) {
      unsigned size = 1u << (rng() % 4);
      uint64_t off = random_offset() & ~uint64_t(size - 1);
      uint64_t v = rng();
      if (rng() % 2) {
        plic.mmio().ops().read(off, size, v, {});
      } else {
        plic.mmio().ops().write(off, size, v, {});
      }
      if (rng() % 4 == 0) plic.set_source(1 + rng() % 95, rng() % 2);
    }
    // A driver takes over: everything masked, then one source routed to context 1.
    for (unsigned s = 1; s < Plic::kNumSources; s++) plic.set_source(s, false);
    for (unsigned c = 0; c < plic.num_contexts(); c++) {
      for (unsigned w = 0; w < 3; w++) wr(Plic::kEnableBase + Plic::kEnableStride * c + 4 * w, 0);
      // Drain any claims left by the random phase.
      for (unsigned s = 1; s < Plic::kNumSources; s++) {
        enable_src(c, s);
        wr(claim(c), s);
        wr(enable(c, s), 0);
      }
    }
    for (unsigned c = 0; c < plic.num_contexts(); c++) EXPECT_FALSE(plic.context_output(c).level());
    wr(prio(33), 2);
    wr(threshold(1), 1);
    enable_src(1, 33);
    plic.set_source(33, true);
    EXPECT_TRUE(plic.context_output(1).level());
    EXPECT_EQ(rd(claim(1)), 33u);
    plic.set_source(33, false);
    wr(claim(1), 33);
    EXPECT_FALSE(plic.context_output(1).level());
    EXPECT_FALSE(plic.claimed(33));
  }
}

TEST(PlicBusTest, AccessesThroughAddressSpace) {
  Plic plic(1);
  TestBus bus;
  bus.map(0xc000000, plic.mmio());
  AddressSpace& as = bus.as();
  EXPECT_EQ(as.store(0xc000000 + 4 * 10, 4, 1), MemTxResult::Ok);
  EXPECT_EQ(as.store(0xc002080, 4, 1u << 10), MemTxResult::Ok);    // context 1 enables
  EXPECT_NE(as.store(0xc000000 + 4 * 11, 1, 1), MemTxResult::Ok);  // 32-bit only
  EXPECT_NE(as.store(0xc000000 + 4 * 11, 8, 1), MemTxResult::Ok);
  EXPECT_EQ(plic.priority(11), 0u);
  plic.set_source(10, true);
  EXPECT_TRUE(plic.context_output(1).level());
  uint64_t v = 0;
  EXPECT_EQ(as.load(0xc201004, 4, v), MemTxResult::Ok);
  EXPECT_EQ(v, 10u);
  plic.set_source(10, false);
  EXPECT_EQ(as.store(0xc201004, 4, 10), MemTxResult::Ok);
  EXPECT_FALSE(plic.claimed(10));
  EXPECT_NE(as.load(0xc600000, 4, v), MemTxResult::Ok);
}

TEST(PlicBusTest, RandomBusAccessesLeaveDeviceWorking) {
  Plic plic(2);
  TestBus bus;
  bus.map(0xc000000, plic.mmio());
  std::mt19937_64 rng(79);
  for (int i = 0; i < 20000; i++) {
    unsigned size = 1u << (rng() % 4);
    uint64_t base = (rng() % 4 == 0) ? 0x200000 + rng() % 0x4000 : rng() % 0x2200;
    uint64_t addr = 0xc000000 + base;
    uint64_t v = rng();
    if (rng() % 2) {
      bus.as().load(addr, size, v);
    } else {
      bus.as().store(addr, size, v);
    }
    if (rng() % 8 == 0) plic.set_source(1 + rng() % 95, rng() % 2);
  }
  for (unsigned s = 1; s < Plic::kNumSources; s++) plic.set_source(s, false);
  plic.reset();
  for (unsigned c = 0; c < plic.num_contexts(); c++) EXPECT_FALSE(plic.context_output(c).level());
  AddressSpace& as = bus.as();
  as.store(0xc000000 + 4 * 1, 4, 7);
  as.store(0xc002000 + 0x80 * 3, 4, 1u << 1);
  plic.set_source(1, true);
  EXPECT_TRUE(plic.context_output(3).level());
  uint64_t v = 0;
  as.load(0xc200000 + 0x1000 * 3 + 4, 4, v);
  EXPECT_EQ(v, 1u);
}

}  // namespace
}  // namespace glassvm
