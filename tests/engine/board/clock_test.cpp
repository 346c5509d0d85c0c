// The virtual clock: guest time from a step counter plus skipped time, and device alarms.
#include "engine/base/clock.h"

#include <gtest/gtest.h>

#include <vector>

namespace glassvm {
namespace {

TEST(VirtualClock, TimeIsStepsPlusSkippedTime) {
  VirtualClock clock;
  EXPECT_EQ(clock.now_ns(), 0u);
  uint64_t steps = 0;
  clock.set_step_source([&] { return steps; });
  steps = 1234;
  EXPECT_EQ(clock.now_ns(), 1234u);
  clock.advance(1000);
  EXPECT_EQ(clock.now_ns(), 2234u);
}

TEST(VirtualClock, AlarmsFireInDeadlineOrderOnceDue) {
  VirtualClock clock;
  uint64_t steps = 0;
  clock.set_step_source([&] { return steps; });
  std::vector<int> fired;
  const auto a = clock.add_alarm([&] { fired.push_back(1); });
  const auto b = clock.add_alarm([&] { fired.push_back(2); });
  EXPECT_EQ(clock.next_deadline_ns(), VirtualClock::kNever);
  clock.set_alarm(a, 300);
  clock.set_alarm(b, 200);
  EXPECT_EQ(clock.alarm(a), 300u);
  EXPECT_EQ(clock.next_deadline_ns(), 200u);
  steps = 199;
  clock.fire_due();
  EXPECT_TRUE(fired.empty());
  steps = 1000;
  clock.fire_due();
  EXPECT_EQ(fired, (std::vector<int>{2, 1}));
  // Fired alarms are disarmed.
  EXPECT_EQ(clock.next_deadline_ns(), VirtualClock::kNever);
  clock.fire_due();
  EXPECT_EQ(fired.size(), 2u);
}

TEST(VirtualClock, AnAlarmMayRearmItselfFromItsCallback) {
  VirtualClock clock;
  uint64_t steps = 0;
  clock.set_step_source([&] { return steps; });
  int count = 0;
  VirtualClock::AlarmId id = 0;
  id = clock.add_alarm([&] {
    ++count;
    clock.set_alarm(id, steps + 10);
  });
  clock.set_alarm(id, 5);
  steps = 5;
  clock.fire_due();
  EXPECT_EQ(count, 1);
  EXPECT_EQ(clock.next_deadline_ns(), 15u);
}

TEST(VirtualClock, TheListenerHearsEveryDeadlineChange) {
  VirtualClock clock;
  int changes = 0;
  clock.set_deadline_listener([&] { ++changes; });
  const auto id = clock.add_alarm([] {});
  clock.set_alarm(id, 100);
  EXPECT_EQ(changes, 1);
  clock.set_alarm(id, 100);  // unchanged: nothing to tell
  EXPECT_EQ(changes, 1);
  clock.set_alarm(id, 50);
  clock.set_alarm(id, VirtualClock::kNever);
  EXPECT_EQ(changes, 3);
}

}  // namespace
}  // namespace glassvm
