#include "engine/base/clock.h"

#include <cassert>
#include <string>

namespace glassvm {

VirtualClock::AlarmId VirtualClock::add_alarm(std::function<void()> on_fire) {
  assert(on_fire && "VirtualClock::add_alarm: an alarm needs a callback");
  alarms_.push_back({kNever, std::move(on_fire)});
  return static_cast<AlarmId>(alarms_.size() - 1);
}

void VirtualClock::set_alarm(AlarmId id, uint64_t deadline_ns) {
  assert(id < alarms_.size() && "VirtualClock::set_alarm: no such alarm");
  if (alarms_[id].deadline == deadline_ns) return;
  alarms_[id].deadline = deadline_ns;
  if (listener_) listener_();
}

uint64_t VirtualClock::alarm(AlarmId id) const {
  assert(id < alarms_.size() && "VirtualClock::alarm: no such alarm");
  return alarms_[id].deadline;
}

uint64_t VirtualClock::next_deadline_ns() const {
  uint64_t best = kNever;
  for (const Alarm& a : alarms_) best = a.deadline < best ? a.deadline : best;
  return best;
}

void VirtualClock::fire_due() {
  // One at a time, earliest first: a callback may arm or move other alarms.
  for (;;) {
    const uint64_t now = now_ns();
    Alarm* due = nullptr;
    for (Alarm& a : alarms_)
      if (a.deadline <= now && (due == nullptr || a.deadline < due->deadline)) due = &a;
    if (due == nullptr) return;
    due->deadline = kNever;
    due->on_fire();
  }
}

void VirtualClock::save_state(StateWriter& w) const {
  w.u64(skipped_ns_);
  w.u32(static_cast<uint32_t>(alarms_.size()));
  for (const Alarm& a : alarms_) w.u64(a.deadline);
}

void VirtualClock::load_state(StateReader& r) {
  const uint64_t skipped = r.u64();
  const uint32_t count = r.u32();
  if (r.ok() && count != alarms_.size()) {
    r.fail("the snapshot's machine has " + std::to_string(count) + " timers, this one " +
           std::to_string(alarms_.size()));
  }
  std::vector<uint64_t> deadlines;
  for (uint32_t i = 0; i < count && r.ok(); ++i) deadlines.push_back(r.u64());
  if (!r.ok()) return;
  skipped_ns_ = skipped;
  for (size_t i = 0; i < alarms_.size(); ++i) alarms_[i].deadline = deadlines[i];
}

}  // namespace glassvm
