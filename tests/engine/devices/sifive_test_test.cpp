// SifiveTest: the finisher values a guest writes to end a run or reset the machine.
#include "engine/devices/sifive_test.h"

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

struct Event {
  SifiveTest::Action action;
  int code;
};

class SifiveTestTest : public ::testing::Test {
 protected:
  SifiveTestTest() : dev([this](SifiveTest::Action a, int code) { events.push_back({a, code}); }) {}

  void wr(uint64_t off, uint64_t v, unsigned size = 4) { mmio_write(dev.mmio(), off, size, v); }

  std::vector<Event> events;
  SifiveTest dev;
};

TEST_F(SifiveTestTest, RegionMatchesQemuVirt) {
  EXPECT_EQ(dev.mmio().name(), "riscv.sifive.test");
  EXPECT_EQ(dev.mmio().size(), 0x1000u);
  EXPECT_EQ(dev.mmio().ops().valid.min_access_size, 2u);
  EXPECT_EQ(dev.mmio().ops().valid.max_access_size, 4u);
}

TEST_F(SifiveTestTest, PassFailReset) {
  wr(0, 0x5555);
  wr(0, 0x3333 | (42u << 16));
  wr(0, 0x7777);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].action, SifiveTest::Action::Pass);
  EXPECT_EQ(events[0].code, 0);
  EXPECT_EQ(events[1].action, SifiveTest::Action::Fail);
  EXPECT_EQ(events[1].code, 42);
  EXPECT_EQ(events[2].action, SifiveTest::Action::Reset);
}

TEST_F(SifiveTestTest, FailCodeIsSixteenBits) {
  wr(0, 0xffff3333u);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, SifiveTest::Action::Fail);
  EXPECT_EQ(events[0].code, 0xffff);
}

TEST_F(SifiveTestTest, HalfwordWriteOfPassWorks) {
  wr(0, 0x5555, 2);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, SifiveTest::Action::Pass);
}

TEST_F(SifiveTestTest, OtherValuesAndOffsetsAreIgnored) {
  wr(0, 0x1234);
  wr(0, 0x5556);
  wr(4, 0x5555);
  wr(2, 0x5555, 2);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(mmio_read(dev.mmio(), 0, 4), 0u);
}

TEST_F(SifiveTestTest, NoHandlerIsHarmless) {
  SifiveTest silent({});
  mmio_write(silent.mmio(), 0, 4, 0x5555);
}

TEST_F(SifiveTestTest, RandomWritesOnlyActOnMagicValues) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; i++) {
    unsigned size = 1u << (rng() % 4);
    uint64_t off = (rng() % 0x1000) & ~uint64_t(size - 1);
    uint64_t v = rng();
    if (rng() % 2) {
      dev.mmio().ops().read(off, size, v, {});
      EXPECT_EQ(v, 0u);
      continue;
    }
    size_t before = events.size();
    dev.mmio().ops().write(off, size, v, {});
    uint64_t low16 = v & 0xffff;
    bool magic = off == 0 && size >= 2 && (low16 == 0x3333 || low16 == 0x5555 || low16 == 0x7777);
    EXPECT_EQ(events.size(), before + (magic ? 1 : 0));
  }
  events.clear();
  wr(0, 0x5555);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, SifiveTest::Action::Pass);
}

TEST(SifiveTestBusTest, AccessesThroughAddressSpace) {
  std::vector<Event> events;
  SifiveTest dev([&](SifiveTest::Action a, int code) { events.push_back({a, code}); });
  TestBus bus;
  bus.map(0x100000, dev.mmio());
  AddressSpace& as = bus.as();
  EXPECT_NE(as.store(0x100000, 1, 0x55), MemTxResult::Ok);
  EXPECT_NE(as.store(0x100000, 8, 0x5555), MemTxResult::Ok);
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(as.store(0x100000, 4, 0x3333 | (3u << 16)), MemTxResult::Ok);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].action, SifiveTest::Action::Fail);
  EXPECT_EQ(events[0].code, 3);
  uint64_t v = 1;
  EXPECT_EQ(as.load(0x100ffc, 4, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0u);
  EXPECT_NE(as.load(0x101000, 4, v), MemTxResult::Ok);
}

}  // namespace
}  // namespace glassvm
