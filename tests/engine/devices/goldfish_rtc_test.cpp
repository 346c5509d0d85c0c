// GoldfishRtc: time reads and alarm programming the way Linux's rtc-goldfish driver does,
// with a fake clock.
#include "engine/devices/goldfish_rtc.h"

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

constexpr uint64_t kEpoch = 1700000000ull * 1000000000ull;  // Nov 2023, in ns

class GoldfishRtcTest : public ::testing::Test {
 protected:
  GoldfishRtcTest() : rtc(clock, kEpoch) {
    clock.set_step_source([this] { return now; });
  }

  uint32_t rd(uint64_t off, MemTxAttrs attrs = {}) {
    return static_cast<uint32_t>(mmio_read(rtc.mmio(), off, 4, attrs));
  }
  void wr(uint64_t off, uint32_t v) { mmio_write(rtc.mmio(), off, 4, v); }
  uint64_t read_time() {
    uint64_t low = rd(GoldfishRtc::kTimeLow);
    return low | (uint64_t{rd(GoldfishRtc::kTimeHigh)} << 32);
  }
  void set_alarm(uint64_t t) {
    wr(GoldfishRtc::kAlarmHigh, static_cast<uint32_t>(t >> 32));
    wr(GoldfishRtc::kAlarmLow, static_cast<uint32_t>(t));
  }

  uint64_t now = 0;
  VirtualClock clock;
  GoldfishRtc rtc;
};

TEST_F(GoldfishRtcTest, RegionMatchesQemuVirt) {
  EXPECT_EQ(rtc.mmio().name(), "goldfish_rtc");
  EXPECT_EQ(rtc.mmio().size(), 0x24u);
  EXPECT_EQ(rtc.mmio().ops().valid.min_access_size, 4u);
  EXPECT_EQ(rtc.mmio().ops().valid.max_access_size, 4u);
}

TEST_F(GoldfishRtcTest, TimeFollowsClockFromEpoch) {
  now = 5;
  EXPECT_EQ(read_time(), kEpoch + 5);
  now = 123456789;
  EXPECT_EQ(read_time(), kEpoch + 123456789);
  EXPECT_EQ(rtc.time_ns(), kEpoch + 123456789);
}

TEST_F(GoldfishRtcTest, TimeLowLatchesTimeHigh) {
  now = 0xffffffffull - (kEpoch & 0xffffffffull);  // the low word is about to wrap
  uint32_t low = rd(GoldfishRtc::kTimeLow);
  uint64_t expected_high = (kEpoch + now) >> 32;
  now += 10;  // the carry into the high word happens between the two reads
  EXPECT_EQ(rd(GoldfishRtc::kTimeHigh), expected_high);
  EXPECT_EQ(low, 0xffffffffu);
  EXPECT_EQ(read_time(), kEpoch + now);
}

TEST_F(GoldfishRtcTest, WritingTimeSetsTheClock) {
  now = 1000;
  wr(GoldfishRtc::kTimeHigh, 0x1);
  wr(GoldfishRtc::kTimeLow, 0x20);
  EXPECT_EQ(read_time(), 0x100000020ull);
  now = 1100;
  EXPECT_EQ(read_time(), 0x100000020ull + 100);
}

// The alarm is an alarm on the board's clock: arming it tells the board, and the clock fires
// it without anyone polling the RTC. Clearing it disarms the clock alarm.
TEST_F(GoldfishRtcTest, AlarmIsAClockAlarm) {
  bool line = false;
  rtc.irq().connect([&](bool level) { line = level; });
  int changes = 0;
  clock.set_deadline_listener([&] { ++changes; });
  now = 1000;
  wr(GoldfishRtc::kIrqEnabled, 1);
  set_alarm(kEpoch + 1700);
  EXPECT_GE(changes, 1);
  EXPECT_EQ(clock.next_deadline_ns(), 1700u);
  now = 1700;
  clock.fire_due();
  EXPECT_TRUE(line);
  EXPECT_EQ(clock.next_deadline_ns(), VirtualClock::kNever);
  wr(GoldfishRtc::kClearInterrupt, 1);
  set_alarm(kEpoch + 2000);
  EXPECT_EQ(clock.next_deadline_ns(), 2000u);
  wr(GoldfishRtc::kClearAlarm, 1);
  EXPECT_EQ(clock.next_deadline_ns(), VirtualClock::kNever);
}

TEST_F(GoldfishRtcTest, AlarmFiresAtItsTime) {
  bool line = false;
  rtc.irq().connect([&](bool level) { line = level; });
  now = 1000;
  wr(GoldfishRtc::kIrqEnabled, 1);
  EXPECT_EQ(rd(GoldfishRtc::kIrqEnabled), 1u);
  set_alarm(kEpoch + 1500);
  EXPECT_EQ(rd(GoldfishRtc::kAlarmStatus), 1u);
  EXPECT_EQ(rd(GoldfishRtc::kAlarmLow), static_cast<uint32_t>(kEpoch + 1500));
  EXPECT_EQ(rd(GoldfishRtc::kAlarmHigh), static_cast<uint32_t>((kEpoch + 1500) >> 32));
  EXPECT_EQ(rtc.next_deadline_ns(), 1500u);
  now = 1499;
  rtc.update();
  EXPECT_FALSE(line);
  now = 1500;
  rtc.update();
  EXPECT_TRUE(line);
  EXPECT_EQ(rd(GoldfishRtc::kAlarmStatus), 0u);
  EXPECT_EQ(rtc.next_deadline_ns(), UINT64_MAX);
  wr(GoldfishRtc::kClearInterrupt, 1);
  EXPECT_FALSE(line);
}

TEST_F(GoldfishRtcTest, AlarmInThePastFiresAtOnce) {
  now = 50;
  wr(GoldfishRtc::kIrqEnabled, 1);
  set_alarm(kEpoch + 10);
  EXPECT_TRUE(rtc.irq().level());
  EXPECT_EQ(rd(GoldfishRtc::kAlarmStatus), 0u);
}

TEST_F(GoldfishRtcTest, ClearAlarmDisarms) {
  wr(GoldfishRtc::kIrqEnabled, 1);
  set_alarm(kEpoch + 100);
  wr(GoldfishRtc::kClearAlarm, 1);
  EXPECT_EQ(rd(GoldfishRtc::kAlarmStatus), 0u);
  EXPECT_EQ(rtc.next_deadline_ns(), UINT64_MAX);
  now = 200;
  rtc.update();
  EXPECT_FALSE(rtc.irq().level());
}

TEST_F(GoldfishRtcTest, DisabledInterruptStaysLowUntilEnabled) {
  set_alarm(kEpoch + 10);
  now = 10;
  rtc.update();
  EXPECT_FALSE(rtc.irq().level());
  wr(GoldfishRtc::kIrqEnabled, 3);  // only bit 0 counts
  EXPECT_EQ(rd(GoldfishRtc::kIrqEnabled), 1u);
  EXPECT_TRUE(rtc.irq().level());
  wr(GoldfishRtc::kIrqEnabled, 0);
  EXPECT_FALSE(rtc.irq().level());
}

TEST_F(GoldfishRtcTest, DebugReadDoesNotLatch) {
  now = 0;
  (void)rd(GoldfishRtc::kTimeLow);
  uint32_t high = rd(GoldfishRtc::kTimeHigh);
  now = 1ull << 40;
  MemTxAttrs debug;
  debug.debug = true;
  (void)rd(GoldfishRtc::kTimeLow, debug);
  EXPECT_EQ(rd(GoldfishRtc::kTimeHigh), high);
}

TEST_F(GoldfishRtcTest, RandomAccessesLeaveDeviceWorking) {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 100; round++) {
    for (int i = 0; i < 300; i++) {
      unsigned size = 1u << (rng() % 4);
      uint64_t off = (rng() % GoldfishRtc::kMmioSize) & ~uint64_t(size - 1);
      uint64_t v = rng();
      if (rng() % 2) {
        rtc.mmio().ops().read(off, size, v, {});
        EXPECT_LE(v, 0xffffffffu);
      } else {
        rtc.mmio().ops().write(off, size, v, {});
      }
      now += rng() % 100000;
      if (rng() % 4 == 0) rtc.update();
    }
    // The driver sets the time and an alarm 1 ms ahead.
    wr(GoldfishRtc::kClearAlarm, 1);
    wr(GoldfishRtc::kClearInterrupt, 1);
    wr(GoldfishRtc::kTimeHigh, 0);
    wr(GoldfishRtc::kTimeLow, 0);
    EXPECT_LT(read_time(), 1u << 20);
    uint64_t t = read_time();
    wr(GoldfishRtc::kIrqEnabled, 1);
    set_alarm(t + 1000000);
    EXPECT_FALSE(rtc.irq().level());
    EXPECT_EQ(rtc.next_deadline_ns(), now + 1000000);
    now += 1000000;
    rtc.update();
    EXPECT_TRUE(rtc.irq().level());
  }
}

TEST(GoldfishRtcBusTest, AccessesThroughAddressSpace) {
  uint64_t now = 77;
  VirtualClock clock;
  clock.set_step_source([&] { return now; });
  GoldfishRtc rtc(clock, kEpoch);
  TestBus bus;
  bus.map(0x101000, rtc.mmio());
  AddressSpace& as = bus.as();
  uint64_t lo = 0, hi = 0, v = 0;
  EXPECT_EQ(as.load(0x101000, 4, lo), MemTxResult::Ok);
  EXPECT_EQ(as.load(0x101004, 4, hi), MemTxResult::Ok);
  EXPECT_EQ(lo | hi << 32, kEpoch + 77);
  EXPECT_NE(as.load(0x101000, 8, v), MemTxResult::Ok);  // 32-bit only
  EXPECT_NE(as.load(0x101000, 1, v), MemTxResult::Ok);
  EXPECT_NE(as.load(0x101024, 4, v), MemTxResult::Ok);  // region is 0x24 bytes
  EXPECT_EQ(as.store(0x101010, 4, 1), MemTxResult::Ok);
  EXPECT_EQ(as.store(0x10100c, 4, (kEpoch + 100) >> 32), MemTxResult::Ok);
  EXPECT_EQ(as.store(0x101008, 4, (kEpoch + 100) & 0xffffffff), MemTxResult::Ok);
  EXPECT_EQ(rtc.next_deadline_ns(), 100u);
  now = 100;
  rtc.update();
  EXPECT_TRUE(rtc.irq().level());
  EXPECT_EQ(as.store(0x10101c, 4, 0), MemTxResult::Ok);
  EXPECT_FALSE(rtc.irq().level());
}

}  // namespace
}  // namespace glassvm
