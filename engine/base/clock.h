// The virtual clock: guest time and every deadline armed on it, in one object per machine.
//
// Design note: guest time is not wall time. The board supplies a step counter (instructions
// retired plus traps taken: 1 step = 1 ns) and the clock adds the time skipped while every
// hart idles, so a machine with the same inputs runs the same way on every host. Devices arm
// alarms (the CLINT's mtimecmp, the RTC's alarm) instead of being polled, and the board runs
// the CPU exactly up to the earliest deadline. When a device moves a deadline while the CPU is
// running, the clock tells the board (the deadline listener), which ends the CPU slice at that
// instruction boundary: an interrupt then never depends on how the embedder slices run().
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/base/snapshot.h"

namespace glassvm {

/// Guest time in nanoseconds and the device alarms armed on it.
class VirtualClock {
 public:
  /// A deadline that is never reached.
  static constexpr uint64_t kNever = UINT64_MAX;
  /// Names one alarm of this clock (returned by add_alarm).
  using AlarmId = unsigned;

  VirtualClock() = default;
  VirtualClock(const VirtualClock&) = delete;
  VirtualClock& operator=(const VirtualClock&) = delete;

  /// Sets the step counter guest time is derived from (it must not decrease). Until one is
  /// set, only advance() moves time.
  void set_step_source(std::function<uint64_t()> steps) { steps_ = std::move(steps); }
  /// Called whenever an alarm's deadline changes (armed, moved or cancelled). The board uses
  /// it to end the current CPU slice, which was sized for the old deadlines.
  void set_deadline_listener(std::function<void()> listener) { listener_ = std::move(listener); }

  /// Guest time: steps plus the time skipped ahead (advance()).
  uint64_t now_ns() const { return (steps_ ? steps_() : 0) + skipped_ns_; }
  /// Moves guest time forward by `ns` without any step (idle skip, or the steps of a CPU that
  /// is about to be reset). Fires nothing: the board calls fire_due() afterwards.
  void advance(uint64_t ns) { skipped_ns_ += ns; }

  /// Registers an alarm whose `on_fire` runs (from fire_due()) once guest time reaches its
  /// deadline. It starts disarmed. Alarms live as long as the clock.
  AlarmId add_alarm(std::function<void()> on_fire);
  /// Arms alarm `id` (assert if unknown) for guest time `deadline_ns`; kNever disarms it. A
  /// deadline that has already passed fires at the next fire_due().
  void set_alarm(AlarmId id, uint64_t deadline_ns);
  /// The deadline of alarm `id` (kNever when disarmed).
  uint64_t alarm(AlarmId id) const;

  /// The earliest armed deadline, or kNever.
  uint64_t next_deadline_ns() const;
  /// Fires, in deadline order, every alarm whose deadline has been reached; each is disarmed
  /// before its callback runs (which may arm it again).
  void fire_due();

  /// Snapshots: the time skipped and every alarm's deadline (the callbacks stay: a restored
  /// machine registers the same alarms in the same order).
  static constexpr uint32_t kStateVersion = 1;
  void save_state(StateWriter& w) const;
  /// Fails the reader when the snapshot has another number of alarms. Tells no listener.
  void load_state(StateReader& r);

 private:
  struct Alarm {
    uint64_t deadline = kNever;
    std::function<void()> on_fire;
  };
  std::function<uint64_t()> steps_;
  std::function<void()> listener_;
  uint64_t skipped_ns_ = 0;
  std::vector<Alarm> alarms_;
};

}  // namespace glassvm
