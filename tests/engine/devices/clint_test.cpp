// Clint: MSIP and timer programming the way OpenSBI and bare-metal code do it, with a fake
// time base.
#include "engine/devices/clint.h"

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

class ClintTest : public ::testing::Test {
 protected:
  ClintTest() : clint(2, clock, 1) {
    clock.set_step_source([this] { return now; });
  }

  uint64_t rd_swi(uint64_t off) { return mmio_read(clint.swi_mmio(), off, 4); }
  void wr_swi(uint64_t off, uint64_t v) { mmio_write(clint.swi_mmio(), off, 4, v); }
  uint64_t rd_timer(uint64_t off, unsigned size) {
    return mmio_read(clint.mtimer_mmio(), off, size);
  }
  void wr_timer(uint64_t off, uint64_t v, unsigned size) {
    mmio_write(clint.mtimer_mmio(), off, size, v);
  }

  uint64_t now = 0;
  VirtualClock clock;
  Clint clint;
};

TEST_F(ClintTest, RegionsMatchQemuVirt) {
  EXPECT_EQ(clint.swi_mmio().name(), "riscv.aclint.swi");
  EXPECT_EQ(clint.swi_mmio().size(), 0x4000u);
  EXPECT_EQ(clint.mtimer_mmio().name(), "riscv.aclint.mtimer");
  EXPECT_EQ(clint.mtimer_mmio().size(), 0x8000u);
  EXPECT_EQ(Clint::kMtimerOffset + Clint::kMtime, 0xbff8u);  // the classic CLINT mtime address
  EXPECT_EQ(clint.swi_mmio().ops().valid.max_access_size, 4u);
  EXPECT_EQ(clint.mtimer_mmio().ops().valid.min_access_size, 4u);
  EXPECT_EQ(clint.mtimer_mmio().ops().valid.max_access_size, 8u);
}

TEST_F(ClintTest, MsipOnlyBitZeroPerHart) {
  wr_swi(4, 1);
  EXPECT_FALSE(clint.msip(0).level());
  EXPECT_TRUE(clint.msip(1).level());
  EXPECT_EQ(rd_swi(4), 1u);
  EXPECT_EQ(rd_swi(0), 0u);
  wr_swi(4, 0xfffffffe);  // bit 0 clear: lowered, other bits ignored
  EXPECT_FALSE(clint.msip(1).level());
  EXPECT_EQ(rd_swi(4), 0u);
  wr_swi(8, 1);  // no hart 2
  EXPECT_EQ(rd_swi(8), 0u);
}

// mtimecmp is an alarm on the board's clock: writing it arms the alarm (which tells the board),
// and the alarm firing raises MTIP without anyone polling the CLINT.
TEST_F(ClintTest, MtimecmpArmsAnAlarmOnTheClock) {
  int changes = 0;
  clock.set_deadline_listener([&] { ++changes; });
  now = 100;
  wr_timer(Clint::kMtimecmp + 8, 130, 8);  // hart 1
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(clock.next_deadline_ns(), 130u);  // 1 ns per tick in this fixture
  now = 130;
  EXPECT_FALSE(clint.mtip(1).level());
  clock.fire_due();
  EXPECT_TRUE(clint.mtip(1).level());
  EXPECT_FALSE(clint.mtip(0).level());
  EXPECT_EQ(clock.next_deadline_ns(), VirtualClock::kNever);
  // Moving mtime moves the deadline too.
  wr_timer(Clint::kMtimecmp, 1000, 8);
  wr_timer(Clint::kMtime, 900, 8);
  EXPECT_EQ(clock.next_deadline_ns(), 230u);
}

TEST(ClintClock, TicksAreNsPerTickNanoseconds) {
  VirtualClock clock;
  uint64_t now = 0;
  clock.set_step_source([&] { return now; });
  Clint clint(1, clock, 100);
  now = 250;
  EXPECT_EQ(clint.mtime(), 2u);
  clint.set_mtimecmp(0, 5);
  EXPECT_EQ(clock.next_deadline_ns(), 500u);
  now = 499;
  clock.fire_due();
  EXPECT_FALSE(clint.mtip(0).level());
  now = 500;
  clock.fire_due();
  EXPECT_TRUE(clint.mtip(0).level());
  // A deadline beyond 2^64 ns is never.
  clint.set_mtimecmp(0, UINT64_MAX - 1);
  EXPECT_EQ(clock.next_deadline_ns(), VirtualClock::kNever);
}

TEST_F(ClintTest, MtimecmpResetsToMaxAndTimerFiresAtDeadline) {
  EXPECT_EQ(rd_timer(Clint::kMtimecmp, 8), UINT64_MAX);
  EXPECT_EQ(rd_timer(Clint::kMtimecmp + 8 + 4, 4), 0xffffffffu);
  EXPECT_FALSE(clint.mtip(0).level());
  EXPECT_EQ(clint.next_deadline(), UINT64_MAX);

  now = 100;
  EXPECT_EQ(rd_timer(Clint::kMtime, 8), 100u);
  wr_timer(Clint::kMtimecmp, 150, 8);
  EXPECT_FALSE(clint.mtip(0).level());
  EXPECT_EQ(clint.next_deadline(), 150u);
  now = 149;
  clint.update();
  EXPECT_FALSE(clint.mtip(0).level());
  now = 150;
  EXPECT_FALSE(clint.mtip(0).level());  // only update() or an access samples the time
  clint.update();
  EXPECT_TRUE(clint.mtip(0).level());
  EXPECT_FALSE(clint.mtip(1).level());
  EXPECT_EQ(clint.next_deadline(), UINT64_MAX);
  // The handler pushes mtimecmp forward: MTIP drops at once.
  wr_timer(Clint::kMtimecmp, 1000, 8);
  EXPECT_FALSE(clint.mtip(0).level());
  EXPECT_EQ(clint.next_deadline(), 1000u);
  // A deadline in the past raises MTIP at once.
  wr_timer(Clint::kMtimecmp, 10, 8);
  EXPECT_TRUE(clint.mtip(0).level());
}

TEST_F(ClintTest, Rv32StyleHalfWrites) {
  now = 5;
  // The RV32 sequence: high to all-ones first, then low, then high.
  wr_timer(Clint::kMtimecmp + 8 + 4, 0xffffffff, 4);
  wr_timer(Clint::kMtimecmp + 8, 0x89abcdef, 4);
  wr_timer(Clint::kMtimecmp + 8 + 4, 0x1, 4);
  EXPECT_EQ(clint.mtimecmp(1), 0x189abcdefull);
  EXPECT_EQ(rd_timer(Clint::kMtimecmp + 8, 4), 0x89abcdefu);
  EXPECT_EQ(rd_timer(Clint::kMtimecmp + 8 + 4, 4), 0x1u);
  EXPECT_EQ(rd_timer(Clint::kMtimecmp + 8, 8), 0x189abcdefull);
  EXPECT_FALSE(clint.mtip(1).level());
  EXPECT_EQ(clint.next_deadline(), 0x189abcdefull);
  // An 8-byte write to the high half is not a register access.
  wr_timer(Clint::kMtimecmp + 8 + 4, 0, 8);
  EXPECT_EQ(clint.mtimecmp(1), 0x189abcdefull);
}

TEST_F(ClintTest, WritingMtimeMovesTheOffset) {
  now = 500;
  wr_timer(Clint::kMtime, 10000, 8);
  EXPECT_EQ(clint.mtime(), 10000u);
  now = 505;
  EXPECT_EQ(rd_timer(Clint::kMtime, 8), 10005u);
  EXPECT_EQ(rd_timer(Clint::kMtime + 4, 4), 0u);
  wr_timer(Clint::kMtimecmp, 10100, 8);
  EXPECT_EQ(clint.next_deadline(), 600u);  // in now() ticks
  // Moving mtime past mtimecmp raises MTIP immediately.
  wr_timer(Clint::kMtime + 4, 1, 4);
  EXPECT_EQ(clint.mtime(), 0x100000000ull + 10005);
  EXPECT_TRUE(clint.mtip(0).level());
  wr_timer(Clint::kMtime, 0, 8);
  EXPECT_FALSE(clint.mtip(0).level());
}

TEST_F(ClintTest, DeadlineBeyondTimeBaseIsNever) {
  now = 10;
  clint.set_mtime(UINT64_MAX - 100);
  clint.set_mtimecmp(0, UINT64_MAX - 50);
  EXPECT_EQ(clint.next_deadline(), 60u);
  now = UINT64_MAX - 20;  // mtime = now + offset would wrap before reaching UINT64_MAX - 50
  clint.set_mtime(5);
  EXPECT_EQ(clint.next_deadline(), UINT64_MAX);
}

TEST_F(ClintTest, ResetClearsState) {
  wr_swi(0, 1);
  now = 7;
  clint.set_mtimecmp(1, 3);
  EXPECT_TRUE(clint.mtip(1).level());
  clint.reset();
  EXPECT_FALSE(clint.msip(0).level());
  EXPECT_FALSE(clint.mtip(1).level());
  EXPECT_EQ(clint.mtime(), 0u);
  EXPECT_EQ(clint.mtimecmp(1), UINT64_MAX);
}

TEST_F(ClintTest, IrqLinesReachTheirSinks) {
  bool mtip1 = false;
  clint.mtip(1).connect([&](bool level) { mtip1 = level; });
  now = 20;
  wr_timer(Clint::kMtimecmp + 8, 20, 8);
  EXPECT_TRUE(mtip1);
}

TEST_F(ClintTest, RandomAccessesLeaveDeviceWorking) {
  std::mt19937_64 rng(99);
  for (int round = 0; round < 100; round++) {
    for (int i = 0; i < 300; i++) {
      unsigned size = 1u << (rng() % 4);
      bool swi = rng() % 2;
      uint64_t span = swi ? Clint::kSwiSize : Clint::kMtimerSize;
      uint64_t offset = rng() % 3 ? rng() % span : (swi ? rng() % 16 : span - 8 + rng() % 8);
      offset &= ~uint64_t(size - 1);
      uint64_t v = rng();
      MemoryRegion& mr = swi ? clint.swi_mmio() : clint.mtimer_mmio();
      if (rng() % 2) {
        mr.ops().read(offset, size, v, {});
      } else {
        mr.ops().write(offset, size, v, {});
      }
      now += rng() % 1000;
      if (rng() % 4 == 0) clint.update();
    }
    // The firmware reprograms the timer; it must behave.
    wr_swi(0, 0);
    wr_swi(4, 0);
    EXPECT_FALSE(clint.msip(0).level());
    EXPECT_FALSE(clint.msip(1).level());
    wr_timer(Clint::kMtime, 1000, 8);
    wr_timer(Clint::kMtimecmp, 1500, 8);
    wr_timer(Clint::kMtimecmp + 8, UINT64_MAX, 8);
    EXPECT_FALSE(clint.mtip(0).level());
    EXPECT_FALSE(clint.mtip(1).level());
    EXPECT_EQ(clint.next_deadline(), now + 500);
    now += 500;
    clint.update();
    EXPECT_TRUE(clint.mtip(0).level());
    EXPECT_FALSE(clint.mtip(1).level());
  }
}

TEST(ClintBusTest, AccessesThroughAddressSpace) {
  uint64_t now = 1000;
  VirtualClock clock;
  clock.set_step_source([&] { return now; });
  Clint clint(1, clock, 1);
  TestBus bus;
  bus.map(0x2000000, clint.swi_mmio());
  bus.map(0x2000000 + Clint::kMtimerOffset, clint.mtimer_mmio());
  AddressSpace& as = bus.as();
  EXPECT_EQ(as.store(0x2000000, 4, 1), MemTxResult::Ok);
  EXPECT_TRUE(clint.msip(0).level());
  uint64_t v = 0;
  EXPECT_NE(as.load(0x2000000, 1, v), MemTxResult::Ok);  // MSWI: 32-bit only
  EXPECT_NE(as.store(0x2000000, 8, 0), MemTxResult::Ok);
  EXPECT_TRUE(clint.msip(0).level());
  EXPECT_EQ(as.load(0x200bff8, 8, v), MemTxResult::Ok);
  EXPECT_EQ(v, 1000u);
  EXPECT_EQ(as.load(0x200bffc, 4, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(as.store(0x2004000, 8, 1200), MemTxResult::Ok);
  EXPECT_EQ(clint.mtimecmp(0), 1200u);
  EXPECT_EQ(as.store(0x2004004, 4, 0), MemTxResult::Ok);
  EXPECT_EQ(clint.mtimecmp(0), 1200u);
  EXPECT_NE(as.store(0x2004000, 2, 0), MemTxResult::Ok);  // MTIMER: 32 or 64 bits
  EXPECT_NE(as.load(0x2004004, 8, v), MemTxResult::Ok);   // misaligned
  EXPECT_EQ(clint.next_deadline(), 1200u);
  now = 1200;
  clint.update();
  EXPECT_TRUE(clint.mtip(0).level());
}

TEST(ClintBusTest, RandomBusAccessesLeaveDeviceWorking) {
  uint64_t now = 0;
  VirtualClock clock;
  clock.set_step_source([&] { return now; });
  Clint clint(4, clock, 1);
  TestBus bus;
  bus.map(0x2000000, clint.swi_mmio());
  bus.map(0x2000000 + Clint::kMtimerOffset, clint.mtimer_mmio());
  std::mt19937_64 rng(78);
  for (int i = 0; i < 20000; i++) {
    unsigned size = 1u << (rng() % 4);
    uint64_t addr = rng() % 2 ? 0x2000000 + rng() % 0x10010 : 0x200bff0 + rng() % 0x10;
    uint64_t v = rng();
    if (rng() % 2) {
      bus.as().load(addr, size, v);
    } else {
      bus.as().store(addr, size, v);
    }
    now += rng() % 64;
  }
  AddressSpace& as = bus.as();
  for (unsigned h = 0; h < 4; h++) {
    as.store(0x2000000 + 4 * h, 4, 0);
    as.store(0x2004000 + 8 * h, 8, UINT64_MAX);
    EXPECT_FALSE(clint.msip(h).level());
    EXPECT_FALSE(clint.mtip(h).level());
  }
  as.store(0x200bff8, 8, 0);
  as.store(0x2004000 + 8 * 3, 8, 10);
  EXPECT_EQ(clint.next_deadline(), now + 10);
}

}  // namespace
}  // namespace glassvm
