// The Performance view model: the IPS window, frame statistics, and the time-slice controller
// driven with synthetic timings.
#include "ui/perf_view.h"

#include <gtest/gtest.h>

#include <cmath>

namespace glassvm::ui {
namespace {

TEST(IpsMeter, CountsOverTheLastSecond) {
  IpsMeter m;
  EXPECT_EQ(m.ips(), 0);
  m.sample(0, 0);
  EXPECT_EQ(m.ips(), 0);
  // 1 M instructions per 10 ms frame = 100 M/s.
  for (int i = 1; i <= 300; ++i) m.sample(i * 10.0, uint64_t(i) * 1'000'000);
  EXPECT_NEAR(m.ips(), 100e6, 1e3);
  // The guest slows to 10 M/s: after a full second the old rate is forgotten.
  uint64_t n = 300'000'000;
  for (int i = 301; i <= 400; ++i) m.sample(i * 10.0, n += 100'000);
  EXPECT_NEAR(m.ips(), 10e6, 1e3);
  // Paused: the count stays, the rate falls to zero within a second.
  for (int i = 401; i <= 520; ++i) m.sample(i * 10.0, n);
  EXPECT_EQ(m.ips(), 0);
}

TEST(IpsMeter, ANewMachineRestartsTheWindowAndTimeNeverGoesBack) {
  IpsMeter m;
  m.sample(0, 1'000'000);
  m.sample(100, 2'000'000);
  EXPECT_NEAR(m.ips(), 10e6, 1);
  m.sample(200, 500);  // fewer instructions: a new machine
  EXPECT_EQ(m.ips(), 0);
  m.sample(300, 100'500);
  EXPECT_NEAR(m.ips(), 1e6, 1);
  m.sample(250, 999'999'999);  // out of order: ignored
  EXPECT_NEAR(m.ips(), 1e6, 1);
  m.sample(NAN, 5);
  EXPECT_NEAR(m.ips(), 1e6, 1);
}

TEST(FrameStats, AverageAndMaxOverTheLastSecondAndABoundedHistory) {
  FrameStats f;
  EXPECT_EQ(f.average_ms(), 0);
  for (int i = 0; i < 100; ++i) f.add(i * 16.0, 30.0);    // 1.6 s of slow frames
  for (int i = 100; i < 200; ++i) f.add(i * 16.0, 10.0);  // then 1.6 s of fast ones
  EXPECT_NEAR(f.average_ms(), 10.0, 1e-9);
  EXPECT_NEAR(f.max_ms(), 10.0, 1e-9);
  f.add(200 * 16.0, 19.0);
  EXPECT_NEAR(f.max_ms(), 19.0, 1e-9);
  for (int i = 0; i < 1000; ++i) f.add(4000 + i, 1.0);
  EXPECT_EQ(f.history().size(), FrameStats::kHistory);
  EXPECT_FLOAT_EQ(f.history().back(), 1.0f);
  f.add(6000, -1);
  f.add(6000, INFINITY);
  EXPECT_FLOAT_EQ(f.history().back(), 1.0f);
}

/// A simulated page: each frame costs `draw_ms` plus the guest slice, which takes as long as
/// its budget (the run loop stops at the budget), give or take the last run's overshoot.
struct SimulatedPage {
  double draw_ms;
  double overshoot_ms = 0.5;
  double run_frame(SliceController& c) {
    const double slice = c.next_budget_ms() + overshoot_ms;
    const double frame = draw_ms + slice;
    c.observe(frame, slice);
    return frame;
  }
};

TEST(SliceController, KeepsFramesUnderTheLimitWhileGivingTheGuestTheRest) {
  SliceController c;
  SimulatedPage page{3.0};
  double frame = 0;
  for (int i = 0; i < 100; ++i) frame = page.run_frame(c);
  EXPECT_LT(frame, SliceController::kLimitMs);
  // Close to the target: the guest gets what drawing leaves.
  EXPECT_NEAR(frame, SliceController::kTargetFrameMs, 1.0);
  EXPECT_GT(c.next_budget_ms(), 10.0);
}

TEST(SliceController, ReactsAtOnceToAnExpensiveFrameAndRecoversSlowly) {
  SliceController c;
  SimulatedPage page{2.0};
  for (int i = 0; i < 100; ++i) page.run_frame(c);
  const double calm_budget = c.next_budget_ms();
  // Drawing suddenly costs 10 ms (a big table opened): the very next frame is under the limit.
  page.draw_ms = 10.0;
  double first = page.run_frame(c);  // this one still used the old budget
  (void)first;
  const double next = page.run_frame(c);
  EXPECT_LT(next, SliceController::kLimitMs);
  EXPECT_LT(c.next_budget_ms(), calm_budget);
  // Back to cheap drawing: the budget grows back over a few frames, not at once.
  page.draw_ms = 2.0;
  page.run_frame(c);
  EXPECT_LT(c.next_budget_ms(), calm_budget - 1.0);
  for (int i = 0; i < 100; ++i) page.run_frame(c);
  EXPECT_NEAR(c.next_budget_ms(), calm_budget, 0.5);
}

TEST(SliceController, BudgetStaysWithinItsBoundsForAnyInput) {
  SliceController c;
  c.observe(500.0, 1.0);  // a huge stall (tab switch, GC)
  EXPECT_EQ(c.next_budget_ms(), SliceController::kMinBudgetMs);
  SliceController d;
  for (int i = 0; i < 200; ++i) d.observe(0.0, 0.0);  // free frames
  EXPECT_EQ(d.next_budget_ms(), SliceController::kMaxBudgetMs);
  const double before = d.next_budget_ms();
  d.observe(NAN, 1);
  d.observe(-5, 1);
  d.observe(5, -1);
  EXPECT_EQ(d.next_budget_ms(), before);
}

TEST(RateEstimator, LearnsTheInterpreterSpeed) {
  RateEstimator r;
  EXPECT_EQ(r.per_ms(), RateEstimator::kInitialPerMs);
  for (int i = 0; i < 20; ++i) r.observe(1'000'000, 10.0);  // 100 M/s
  EXPECT_NEAR(r.per_ms(), 100'000.0, 1.0);
  EXPECT_NEAR(static_cast<double>(r.instructions_for(12.0)), 1.2e6, 100);
  r.observe(5, 0.1);  // too short to trust
  r.observe(0, 10);
  EXPECT_NEAR(r.per_ms(), 100'000.0, 1.0);
  EXPECT_EQ(r.instructions_for(0), 1000u);
  EXPECT_EQ(r.instructions_for(-3), 1000u);
}

TEST(FormatSi, Prefixes) {
  EXPECT_EQ(format_si(0), "0");
  EXPECT_EQ(format_si(950), "950");
  EXPECT_EQ(format_si(12345), "12.3 k");
  EXPECT_EQ(format_si(45.6e6), "45.6 M");
  EXPECT_EQ(format_si(1.234e9), "1.23 G");
  EXPECT_EQ(format_si(NAN), "?");
}

TEST(DrawPacer, DrawsLessWhenTheGuestGetsTooLittleOfTheClock) {
  DrawPacer p;
  double now = 1000;
  p.restart(now);  // windows of ten 100 ms slices from here
  EXPECT_EQ(p.interval_ms(), DrawPacer::kInitialIntervalMs);
  // The guest runs 60% of each second (expensive drawings): the interval grows to its maximum.
  for (int s = 0; s < 12; ++s)
    for (int i = 0; i < 10; ++i) p.note_guest(now += 100, 60);
  EXPECT_EQ(p.interval_ms(), DrawPacer::kMaxIntervalMs);
  // The guest runs 99% of the time (cheap drawings): it shrinks to its minimum.
  for (int s = 0; s < 30; ++s)
    for (int i = 0; i < 10; ++i) p.note_guest(now += 100, 99);
  EXPECT_EQ(p.interval_ms(), DrawPacer::kMinIntervalMs);
  // Near the target it holds still.
  const double held = p.interval_ms() * 1.5;
  for (int i = 0; i < 10; ++i) p.note_guest(now += 100, 80);  // one window short: grows once
  EXPECT_DOUBLE_EQ(p.interval_ms(), held);
  for (int s = 0; s < 5; ++s)
    for (int i = 0; i < 10; ++i)
      p.note_guest(now += 100, 100 * (DrawPacer::kTargetGuestShare + 0.02));
  EXPECT_DOUBLE_EQ(p.interval_ms(), held);
}

TEST(DrawPacer, TimeTheGuestDidNotWantIsNotCounted) {
  DrawPacer p;
  double now = 0;
  // Busy 95% for a while, then idle for 10 s, then busy again at 95%: the idle time never
  // counts as time the drawings took, so the interval only shrinks.
  for (int i = 0; i < 20; ++i) p.note_guest(now += 100, 95);
  const double before = p.interval_ms();
  now += 10000;
  p.restart(now);
  for (int i = 0; i < 20; ++i) p.note_guest(now += 100, 95);
  EXPECT_LE(p.interval_ms(), before);
  // Nonsense is ignored.
  const double kept = p.interval_ms();
  p.note_guest(NAN, 5);
  p.note_guest(now + 5000, -1);
  p.note_guest(now + 5000, INFINITY);
  EXPECT_EQ(p.interval_ms(), kept);
}

}  // namespace
}  // namespace glassvm::ui
