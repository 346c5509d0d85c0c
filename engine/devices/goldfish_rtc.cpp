#include "engine/devices/goldfish_rtc.h"

#include <cassert>
#include <utility>

#include "engine/devices/reg32.h"

namespace glassvm {

GoldfishRtc::GoldfishRtc(VirtualClock& clock, uint64_t epoch_ns)
    : clock_(clock), clock_alarm_(clock.add_alarm([this] { update(); })), offset_(epoch_ns) {
  // 32-bit registers only, as QEMU's goldfish_rtc_ops.
  mmio_.init_io("goldfish_rtc", kMmioSize,
                reg32_ops([this](uint64_t offset, bool debug) { return read_reg(offset, debug); },
                          [this](uint64_t offset, uint32_t value) { write_reg(offset, value); }));
}

void GoldfishRtc::reset() {
  alarm_next_ = 0;
  alarm_running_ = false;
  irq_pending_ = false;
  irq_enabled_ = false;
  update_irq();
  update_clock_alarm();
}

void GoldfishRtc::update_clock_alarm() {
  clock_.set_alarm(clock_alarm_, next_deadline_ns());
}

void GoldfishRtc::fire() {
  alarm_running_ = false;
  irq_pending_ = true;
  update_irq();
  update_clock_alarm();
}

void GoldfishRtc::arm_alarm() {
  if (alarm_next_ <= time_ns()) {
    fire();  // an alarm in the past fires at once
  } else {
    alarm_running_ = true;
    update_clock_alarm();
  }
}

void GoldfishRtc::update() {
  if (alarm_running_ && time_ns() >= alarm_next_) {
    fire();
  } else {
    update_clock_alarm();  // the time moved under the alarm: arm the clock again
  }
}

uint64_t GoldfishRtc::next_deadline_ns() const {
  if (!alarm_running_) return UINT64_MAX;
  uint64_t now = clock_.now_ns();
  uint64_t t = now + offset_;
  if (t >= alarm_next_) return now;  // due already; update() will fire it
  uint64_t delta = alarm_next_ - t;
  return now > UINT64_MAX - delta ? UINT64_MAX : now + delta;
}

uint32_t GoldfishRtc::read_reg(uint64_t offset, bool debug) {
  switch (offset) {
    case kTimeLow: {
      uint64_t t = time_ns();
      if (!debug) time_high_ = static_cast<uint32_t>(t >> 32);
      return static_cast<uint32_t>(t);
    }
    case kTimeHigh: return time_high_;
    case kAlarmLow: return static_cast<uint32_t>(alarm_next_);
    case kAlarmHigh: return static_cast<uint32_t>(alarm_next_ >> 32);
    case kIrqEnabled: return irq_enabled_ ? 1 : 0;
    case kAlarmStatus: return alarm_running_ ? 1 : 0;
    default: return 0;  // write-only or reserved
  }
}

void GoldfishRtc::write_reg(uint64_t offset, uint32_t value) {
  switch (offset) {
    case kTimeLow: {
      uint64_t t = time_ns();
      offset_ += ((t & ~0xffffffffull) | value) - t;
      update_clock_alarm();
      break;
    }
    case kTimeHigh: {
      uint64_t t = time_ns();
      offset_ += ((t & 0xffffffffull) | (uint64_t{value} << 32)) - t;
      update_clock_alarm();
      break;
    }
    case kAlarmLow:
      alarm_next_ = (alarm_next_ & ~0xffffffffull) | value;
      arm_alarm();
      break;
    case kAlarmHigh: alarm_next_ = (alarm_next_ & 0xffffffffull) | (uint64_t{value} << 32); break;
    case kIrqEnabled:
      irq_enabled_ = value & 1;
      update_irq();
      break;
    case kClearAlarm:
      alarm_running_ = false;
      update_clock_alarm();
      break;
    case kClearInterrupt:
      irq_pending_ = false;
      update_irq();
      break;
    default: break;  // read-only or reserved
  }
}

// Snapshot payload (version 1): u64 time offset, u64 alarm time, u32 latched TIME_HIGH; alarm
// armed, interrupt pending, interrupt enabled, interrupt level (booleans).
void GoldfishRtc::save(StateWriter& w) const {
  w.u64(offset_);
  w.u64(alarm_next_);
  w.u32(time_high_);
  w.boolean(alarm_running_);
  w.boolean(irq_pending_);
  w.boolean(irq_enabled_);
  w.boolean(irq_.level());
}

void GoldfishRtc::load(StateReader& r) {
  const uint64_t offset = r.u64();
  const uint64_t alarm_next = r.u64();
  const uint32_t time_high = r.u32();
  const bool alarm_running = r.boolean();
  const bool irq_pending = r.boolean();
  const bool irq_enabled = r.boolean();
  const bool level = r.boolean();
  if (!r.ok()) return;
  if (level != (irq_pending && irq_enabled)) {
    return r.fail("the interrupt level disagrees with the interrupt bits");
  }
  offset_ = offset;
  alarm_next_ = alarm_next;
  time_high_ = time_high;
  alarm_running_ = alarm_running;
  irq_pending_ = irq_pending;
  irq_enabled_ = irq_enabled;
  irq_.restore_level(level);
}

}  // namespace glassvm
