// Pacing a machine's guest time against the wall clock, for the embedders that run it in real
// time: the command line's session and the page's App.
//
// Design note: guest time is the step count plus the time skipped while every hart idles
// (VirtualClock), 1 step = 1 ns. The skipped time is what pacing waits out: a guest that sleeps
// until a timer is ahead of the wall clock by the skip, and the embedder waits before running it
// on, so `sleep 1` takes about a second (DESIGN.md section 7). Steps are never waited for: a
// guest that runs faster than a step per nanosecond (the JIT does) is not slowed down to it, as
// QEMU's -icount does not unless asked to align. A guest that runs slower falls behind the wall
// clock, and that lag is forgiven beyond kMaxLagNs, so that a booting kernel's short sleeps fall
// into the lag and cost no wall time while a timer set after a long computation still waits for
// real. Only wall-clock waits depend on this: guest state never does.
#pragma once

#include <cstdint>

namespace glassvm {

class WallPacer {
 public:
  static constexpr uint64_t kMaxLagNs = 50'000'000;

  /// Guest time `guest_ns` is on schedule at wall time `wall_ns` (a new or restored machine).
  void start(uint64_t wall_ns, uint64_t guest_ns) { origin_ns_ = wall_ns - guest_ns; }

  /// A run took `took_ns` of wall time and `steps` steps: the guest time its steps gained
  /// over the wall clock is not waited for.
  void ran(uint64_t steps, uint64_t took_ns) {
    if (steps > took_ns) origin_ns_ -= steps - took_ns;
  }

  /// How far guest time `guest_ns` is ahead of the wall clock (negative: behind) at wall time
  /// `wall_ns`, after forgiving lag beyond kMaxLagNs. The embedder waits while it is ahead.
  int64_t ahead_ns(uint64_t wall_ns, uint64_t guest_ns) {
    // Unsigned wrap-around is fine: the origin may lie "before" wall time 0.
    const uint64_t wall = wall_ns - origin_ns_;
    if (wall > guest_ns + kMaxLagNs) origin_ns_ += wall - guest_ns - kMaxLagNs;
    return static_cast<int64_t>(guest_ns - (wall_ns - origin_ns_));
  }

 private:
  uint64_t origin_ns_ = 0;  ///< wall time at which guest time 0 would be on schedule
};

}  // namespace glassvm
