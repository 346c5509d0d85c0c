// IommuEventLog: see event_log.h.
#include "iommu/event_log.h"

#include <cassert>

namespace glassvm {

IommuEventLog::IommuEventLog(Clock clock, size_t capacity)
    : clock_(std::move(clock)), ring_(capacity), self_(std::make_shared<IommuEventLog*>(this)) {
  assert(capacity >= 1 && "an IommuEventLog needs room for at least one record");
}

void IommuEventLog::attach(IommuMemoryRegion& region) {
  std::weak_ptr<IommuEventLog*> weak = self_;
  region.set_delivery_observer([weak](const IommuDeliveryReport& report) {
    if (auto log = weak.lock()) (*log)->record(report);
  });
}

void IommuEventLog::detach(IommuMemoryRegion& region) {
  region.set_delivery_observer(nullptr);
}

void IommuEventLog::record(const IommuDeliveryReport& report) {
  if (count_ == ring_.size()) {
    ++dropped_;  // the oldest record is overwritten
  } else {
    ++count_;
  }
  IommuEventRecord& r = ring_[next_slot_];
  next_slot_ = (next_slot_ + 1) % ring_.size();
  r.seq = next_seq_++;
  r.time_ns = clock_ ? clock_() : 0;
  r.model = report.region != nullptr ? report.region->name() : std::string();
  r.requester_id = report.requester_id;
  r.iommu_idx = report.iommu_idx;
  r.type = report.event.type;
  r.entry = report.event.entry;
  r.targeted = report.targeted;
  r.outcomes = report.outcomes;  // reuses the slot's storage where it can

  for (const IommuNotifierOutcome& o : report.outcomes) {
    IommuNotifierCounts& c = counts_[{r.model, o.name}];
    c.flags = o.flags;
    c.start = o.start;
    c.end = o.end;
    c.iommu_idx = o.iommu_idx;
    switch (o.outcome) {
      case IommuDeliveryOutcome::Delivered: ++c.delivered; break;
      case IommuDeliveryOutcome::SkippedIndex: ++c.skipped_index; break;
      case IommuDeliveryOutcome::SkippedFlags: ++c.skipped_flags; break;
      case IommuDeliveryOutcome::SkippedRange: ++c.skipped_range; break;
    }
  }
  if (listener_) listener_(r);
}

IommuEventLog::Slice IommuEventLog::events_since(uint64_t seq) const {
  Slice out;
  uint64_t oldest = next_seq_ - count_;  // seq of the oldest record held (next_seq_ if none)
  uint64_t from = seq + 1;
  if (seq >= last_seq()) return out;
  if (from < oldest) {
    out.dropped = oldest - from;
    from = oldest;
  }
  size_t oldest_slot = (next_slot_ + ring_.size() - count_) % ring_.size();
  out.records.reserve(next_seq_ - from);
  for (uint64_t s = from; s < next_seq_; ++s) {
    out.records.push_back(ring_[(oldest_slot + (s - oldest)) % ring_.size()]);
  }
  return out;
}

const IommuEventRecord* IommuEventLog::find(uint64_t seq) const {
  if (seq == 0 || seq >= next_seq_ || next_seq_ - seq > count_) return nullptr;
  // The newest record (seq next_seq_ - 1) is in the slot before next_slot_.
  const size_t back = static_cast<size_t>(next_seq_ - seq);
  return &ring_[(next_slot_ + ring_.size() - back) % ring_.size()];
}

IommuNotifierCounts IommuEventLog::counts_for(const std::string& model,
                                              const std::string& notifier) const {
  auto it = counts_.find({model, notifier});
  return it == counts_.end() ? IommuNotifierCounts{} : it->second;
}

void IommuEventLog::clear() {
  for (IommuEventRecord& r : ring_) r = IommuEventRecord{};
  next_slot_ = 0;
  count_ = 0;
  dropped_ = 0;
  counts_.clear();
}

}  // namespace glassvm
