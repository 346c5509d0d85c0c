// Pacing guest time against the wall clock: idle skips are waited out, steps never are, and
// lag beyond a bound is forgiven (engine/base/pacer.h).
#include "engine/base/pacer.h"

#include <gtest/gtest.h>

namespace glassvm {
namespace {

constexpr uint64_t kMs = 1'000'000;

TEST(WallPacer, AStartedMachineIsOnSchedule) {
  WallPacer p;
  p.start(/*wall_ns=*/5 * kMs, /*guest_ns=*/0);
  EXPECT_EQ(p.ahead_ns(5 * kMs, 0), 0);
  // A restored machine's guest time has been running: it is on schedule too.
  p.start(7 * kMs, 3'000 * kMs);
  EXPECT_EQ(p.ahead_ns(7 * kMs, 3'000 * kMs), 0);
  EXPECT_EQ(p.ahead_ns(8 * kMs, 3'000 * kMs), -static_cast<int64_t>(kMs));
}

TEST(WallPacer, AnIdleSkipIsWaitedOut) {
  WallPacer p;
  p.start(0, 0);
  // 2 ms of steps in 2 ms of wall time, then the guest sleeps 1 s until a timer.
  p.ran(2 * kMs, 2 * kMs);
  EXPECT_EQ(p.ahead_ns(2 * kMs, 1'002 * kMs), 1'000 * kMs);
  // Half of it later, half of it is left.
  EXPECT_EQ(p.ahead_ns(502 * kMs, 1'002 * kMs), 500 * kMs);
}

TEST(WallPacer, StepsFasterThanTheWallClockAreNotWaitedFor) {
  WallPacer p;
  p.start(0, 0);
  // 3 G steps in one second of wall time (a JIT): guest time is 3 s, and nothing to wait for.
  p.ran(3'000 * kMs, 1'000 * kMs);
  EXPECT_EQ(p.ahead_ns(1'000 * kMs, 3'000 * kMs), 0);
  // A timer skip after it is still waited out in full.
  EXPECT_EQ(p.ahead_ns(1'000 * kMs, 4'000 * kMs), 1'000 * kMs);
}

TEST(WallPacer, LagBeyondTheBoundIsForgiven) {
  WallPacer p;
  p.start(0, 0);
  // 100 M steps took 1 s: the guest is 900 ms behind, of which the last 50 ms count.
  p.ran(100 * kMs, 1'000 * kMs);
  EXPECT_EQ(p.ahead_ns(1'000 * kMs, 100 * kMs), -static_cast<int64_t>(WallPacer::kMaxLagNs));
  // A short sleep falls into the lag and costs no wall time; a long one waits for the rest.
  EXPECT_LE(p.ahead_ns(1'000 * kMs, 140 * kMs), 0);
  EXPECT_EQ(p.ahead_ns(1'000 * kMs, 1'150 * kMs), 1'000 * kMs);
}

TEST(WallPacer, WrapsAroundAWallClockNearZero) {
  // Fast steps at the very start move the origin before wall time 0.
  WallPacer p;
  p.start(1, 0);
  p.ran(10 * kMs, 0);
  EXPECT_EQ(p.ahead_ns(1, 10 * kMs), 0);
  EXPECT_EQ(p.ahead_ns(1 + 5 * kMs, 10 * kMs), -static_cast<int64_t>(5 * kMs));
}

}  // namespace
}  // namespace glassvm
