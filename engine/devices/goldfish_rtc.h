// The Goldfish RTC of the virt board ("goldfish_rtc" at 0x10_1000): a 64-bit nanosecond
// clock with one alarm.
//
// Design note: the time is `now + offset`, where `now` is the board's virtual clock
// (engine/base/clock.h: deterministic, derived from the step count) and the offset starts at
// the epoch time given at construction; guest writes to TIME_LOW/TIME_HIGH only move the
// offset. The alarm is an alarm on that clock, so it fires at exactly the instruction at which
// its time comes, however the embedder slices the run.
#pragma once

#include <cstdint>

#include "engine/base/clock.h"
#include "engine/base/irq.h"
#include "engine/base/snapshot.h"
#include "engine/memory/memory.h"

namespace glassvm {

/// Goldfish real-time clock with an alarm interrupt.
class GoldfishRtc {
 public:
  static constexpr uint64_t kMmioSize = 0x24;  ///< as QEMU's "goldfish_rtc" region

  /// Register offsets (Goldfish virtual hardware documentation).
  static constexpr uint64_t kTimeLow = 0x00;   ///< read: low 32 bits, latches TIME_HIGH
  static constexpr uint64_t kTimeHigh = 0x04;  ///< read: high half latched by TIME_LOW
  static constexpr uint64_t kAlarmLow = 0x08;  ///< write: low half, and arms the alarm
  static constexpr uint64_t kAlarmHigh = 0x0c;
  static constexpr uint64_t kIrqEnabled = 0x10;
  static constexpr uint64_t kClearAlarm = 0x14;
  static constexpr uint64_t kAlarmStatus = 0x18;  ///< 1 while an alarm is armed
  static constexpr uint64_t kClearInterrupt = 0x1c;

  /// An RTC reading `epoch_ns` when `clock` reads 0, with its alarm armed on `clock` (which
  /// must outlive it).
  explicit GoldfishRtc(VirtualClock& clock, uint64_t epoch_ns = 0);
  GoldfishRtc(const GoldfishRtc&) = delete;
  GoldfishRtc& operator=(const GoldfishRtc&) = delete;

  /// The register block, to be mapped by the board. 32-bit accesses only.
  MemoryRegion& mmio() { return mmio_; }
  /// The interrupt output: high while an alarm has fired, is not cleared, and IRQs are enabled.
  IrqLine& irq() { return irq_; }

  /// The current RTC time in nanoseconds.
  uint64_t time_ns() const { return clock_.now_ns() + offset_; }
  /// Fires the alarm if its time has come (its clock alarm does this when it fires).
  void update();
  /// The clock time at which the armed alarm fires, or UINT64_MAX if none is armed.
  uint64_t next_deadline_ns() const;

  /// Power-on state of the registers (alarm disarmed, interrupt cleared and disabled). The
  /// time keeps running.
  void reset();

  /// The version of the state save() writes.
  static constexpr uint32_t kStateVersion = 1;
  /// Writes the time offset, the alarm time and state, the latched TIME_HIGH, the interrupt
  /// bits and level. Not the clock alarm: the board saves the clock whole.
  void save(StateWriter& w) const;
  /// Restores what save() wrote, without touching the clock or its alarm. Fails `r` when the
  /// interrupt level disagrees with the interrupt bits. The interrupt line is set without
  /// telling its receiver.
  void load(StateReader& r);

 private:
  uint32_t read_reg(uint64_t offset, bool debug);
  void write_reg(uint64_t offset, uint32_t value);
  void arm_alarm();
  void fire();
  void update_irq() { irq_.set(irq_pending_ && irq_enabled_); }
  /// Arms the clock alarm for the RTC alarm (or disarms it).
  void update_clock_alarm();

  VirtualClock& clock_;
  VirtualClock::AlarmId clock_alarm_;
  uint64_t offset_;
  uint64_t alarm_next_ = 0;
  uint32_t time_high_ = 0;
  bool alarm_running_ = false;
  bool irq_pending_ = false;
  bool irq_enabled_ = false;
  IrqLine irq_;
  MemoryRegion mmio_;
};

}  // namespace glassvm
