// The Performance panel's view model and the frame time-slice controller.
//
// Design note: the page runs one loop: each frame runs the guest for a time slice, then draws.
// SliceController picks that slice. It learns the frame's fixed cost (everything but the guest:
// drawing, the browser's own work) as frame time minus the time the guest slice took, and
// gives the guest what is left of kTargetFrameMs. The cost estimate rises at once when a frame
// gets more expensive and decays slowly when it gets cheaper, so a frame over the 20 ms limit
// is followed by a shorter slice immediately. The frame time it is fed is the busy time of the
// frame (from the start of the frame callback to the end of rendering), not the interval
// between animation frames, which the display's refresh rate rounds up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace glassvm::ui {

/// Guest instructions per second over a sliding one-second window.
class IpsMeter {
 public:
  static constexpr double kWindowMs = 1000.0;

  /// Records that `total_instructions` had retired at time `now_ms` (any monotonic clock).
  /// A count lower than the previous one (a new machine) restarts the window; a time earlier
  /// than the previous sample is ignored.
  void sample(double now_ms, uint64_t total_instructions);
  /// Instructions per second over the last second of samples (over the whole history while it
  /// is shorter than a second); 0 until two samples at different times exist.
  double ips() const;
  /// Forgets every sample.
  void clear() { samples_.clear(); }

 private:
  struct Sample {
    double t;
    uint64_t n;
  };
  std::deque<Sample> samples_;
};

/// Frame times: the average over the last second and a fixed-length history for the plot.
class FrameStats {
 public:
  static constexpr size_t kHistory = 240;  ///< frames kept for the plot (4 s at 60 Hz)

  /// Records a frame that took `frame_ms` and ended at `now_ms`. Negative or non-finite
  /// values are ignored.
  void add(double now_ms, double frame_ms);
  /// The average frame time over the frames of the last second (0 before the first frame).
  double average_ms() const;
  /// The longest frame of the last second.
  double max_ms() const;
  /// The last kHistory frame times, oldest first (for ImGui::PlotLines).
  const std::vector<float>& history() const { return history_; }

 private:
  struct Frame {
    double t;
    double ms;
  };
  std::deque<Frame> recent_;
  std::vector<float> history_;
};

/// Chooses each frame's guest time slice so that frames stay under the 20 ms limit.
class SliceController {
 public:
  static constexpr double kLimitMs = 20.0;        ///< frames must stay under this
  static constexpr double kTargetFrameMs = 15.0;  ///< what the controller aims at
  static constexpr double kMinBudgetMs = 1.0;     ///< the guest always progresses a little
  static constexpr double kMaxBudgetMs = 14.0;

  /// Feeds one frame: it took `frame_ms` in total, of which the guest slice took `slice_ms`.
  /// Non-finite or negative inputs are ignored.
  void observe(double frame_ms, double slice_ms);
  /// The guest time slice for the next frame, in [kMinBudgetMs, kMaxBudgetMs].
  double next_budget_ms() const { return budget_ms_; }
  /// The current estimate of a frame's cost besides the guest.
  double overhead_ms() const { return overhead_ms_; }

 private:
  double overhead_ms_ = 4.0;  ///< a guess until the first frame is observed
  double budget_ms_ = kTargetFrameMs - 4.0;
};

/// Sizes guest runs in instructions from a measured instructions-per-millisecond rate, so that
/// a slice can be cut into a few runs and stopped near its budget.
class RateEstimator {
 public:
  static constexpr double kInitialPerMs = 50'000.0;  ///< a guess (50 MIPS) until measured
  /// Shorter runs are not measured: browsers coarsen performance.now() to about 0.1 ms.
  static constexpr double kMinMeasuredMs = 0.2;

  /// Records that `instructions` ran in `elapsed_ms` of busy guest time. Runs shorter than
  /// kMinMeasuredMs or of no instructions are ignored (too noisy).
  void observe(uint64_t instructions, double elapsed_ms);
  double per_ms() const { return per_ms_; }
  /// Instructions expected to take `ms` (at least 1000).
  uint64_t instructions_for(double ms) const;

 private:
  double per_ms_ = kInitialPerMs;
};

/// Spaces the panel drawings of a guest that runs flat out, so that the guest keeps about
/// kTargetGuestShare of the wall clock whatever a drawing costs: a drawing's cost is mostly
/// outside the page's reach (a browser without GPU compositing reads the canvas back after the
/// frame), so the pacer measures the result instead, the share of wall time the guest ran, and
/// lengthens the interval when the share falls short and shortens it when there is room.
class DrawPacer {
 public:
  static constexpr double kMinIntervalMs = 100;   ///< at most 10 drawings a second
  static constexpr double kMaxIntervalMs = 1000;  ///< at least one drawing a second
  static constexpr double kInitialIntervalMs = 250;
  static constexpr double kTargetGuestShare = 0.85;
  /// Wall time over which the share is measured before the interval changes.
  static constexpr double kWindowMs = 1000;

  /// Records that, at `now_ms`, the guest had just run for `guest_ms` of wall time while busy.
  /// Once kWindowMs has passed since the window began, adjusts the interval and begins the next.
  /// Non-finite or negative inputs are ignored.
  void note_guest(double now_ms, double guest_ms);
  /// The guest is not busy (idle, paused, asleep): the next window begins at `now_ms`, so that
  /// time the guest did not want is not held against the drawings.
  void restart(double now_ms);
  /// How long to wait between drawings while the guest is busy.
  double interval_ms() const { return interval_ms_; }
  /// The guest's share of the wall clock over the last whole window (0 before the first).
  double guest_share() const { return guest_share_; }

 private:
  double interval_ms_ = kInitialIntervalMs;
  double guest_share_ = 0;
  double window_start_ms_ = -1;  ///< negative: no window yet
  double guest_ms_ = 0;
};

/// A count per second for display with an SI prefix: "0", "950", "12.3 k", "45.6 M", "1.23 G".
std::string format_si(double value);

}  // namespace glassvm::ui
