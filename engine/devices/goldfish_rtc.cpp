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

}  // namespace glassvm
