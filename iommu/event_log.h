// The IOMMU event log behind the UI timeline: every MAP/UNMAP/DEVIOTLB_UNMAP a model emits,
// with who received it and who was skipped and why.
//
// Design note: the log is fed by the regions' delivery observer (IommuMemoryRegion::
// set_delivery_observer), not by a notifier of its own, because a notifier only sees what it
// receives, and the timeline must also show what each notifier was spared. The log is a ring of
// fixed capacity: memory stays bounded however long the guest runs, and a reader that fell
// behind learns how many records it missed. Sequence numbers start at 1 and never repeat or go
// back, even across clear(), so a reader can poll with events_since(last seen).
//
// A region has one delivery observer, so readers share one log instead of each attaching
// their own: the UI polls events_since(), and a listener (set_listener) hears each record as it
// is made, which is how --trace-iommu prints (iommu/iommu_trace.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/memory/iommu.h"

namespace glassvm {

/// One notify() or notify_one() call of a model, as the log keeps it.
struct IommuEventRecord {
  uint64_t seq = 0;                      ///< 1, 2, 3, ... in the order the deliveries completed
  uint64_t time_ns = 0;                  ///< guest time from the log's clock
  std::string model;                     ///< the IOMMU region's name
  std::optional<uint32_t> requester_id;  ///< the device concerned, when the model said
  int iommu_idx = 0;
  IommuNotifierFlag type = IommuNotifierFlag::None;
  IommuTlbEntry entry;                         ///< as the model emitted it (before cropping)
  bool targeted = false;                       ///< to one notifier (a replay), not a broadcast
  std::vector<IommuNotifierOutcome> outcomes;  ///< per notifier, in registration order
};

/// How often one notifier of one model received events, and was skipped for each reason.
struct IommuNotifierCounts {
  uint64_t delivered = 0;
  uint64_t skipped_index = 0;
  uint64_t skipped_flags = 0;
  uint64_t skipped_range = 0;
  uint64_t skipped() const { return skipped_index + skipped_flags + skipped_range; }
  /// What the notifier subscribed to, as its latest outcome said (a notifier re-registered with
  /// other flags or another range shows the new ones).
  IommuNotifierFlag flags = IommuNotifierFlag::None;
  uint64_t start = 0, end = UINT64_MAX;  ///< its IOVA range, inclusive
  int iommu_idx = 0;                     ///< its IOMMU index (the device, on riscv-iommu)
};

/// A bounded log of IOMMU notifications from any number of regions.
class IommuEventLog {
 public:
  /// Guest time in nanoseconds (the board's virtual clock).
  using Clock = std::function<uint64_t()>;
  static constexpr size_t kDefaultCapacity = 4096;

  /// A log keeping the last `capacity` (>= 1, assert) records, timed by `clock` (may be
  /// empty: times are then 0).
  explicit IommuEventLog(Clock clock, size_t capacity = kDefaultCapacity);
  IommuEventLog(const IommuEventLog&) = delete;
  IommuEventLog& operator=(const IommuEventLog&) = delete;

  /// Becomes `region`'s delivery observer (replacing any other). Either may be destroyed
  /// first: a region outliving the log finds the observer inert.
  void attach(IommuMemoryRegion& region);
  /// Removes `region`'s delivery observer (whoever set it). `region` must be alive.
  void detach(IommuMemoryRegion& region);

  /// Adds a record for `report` (what the observer calls), then hands it to the listener.
  void record(const IommuDeliveryReport& report);

  /// Called with each record as soon as it is made (and counted), e.g. the --trace-iommu
  /// printer. Empty to remove. It must not destroy the log.
  using Listener = std::function<void(const IommuEventRecord&)>;
  void set_listener(Listener listener) { listener_ = std::move(listener); }

  /// The records still held whose seq is greater than `seq`, oldest first, and how many such
  /// records are gone (overwritten by newer ones, or cleared) before this call.
  struct Slice {
    std::vector<IommuEventRecord> records;
    uint64_t dropped = 0;
  };
  Slice events_since(uint64_t seq) const;

  /// Calls `visit(record)` for each record held, newest first, without copying any, until
  /// `visit` returns false. This is how a reader that shows only the newest few (the panel,
  /// every frame) avoids copying the whole ring. `visit` must not add to or clear the log.
  template <class Visit>
  void visit_newest_first(Visit&& visit) const {
    for (size_t i = 0; i < count_; ++i) {
      const size_t slot = (next_slot_ + ring_.size() - 1 - i) % ring_.size();
      if (!visit(ring_[slot])) return;
    }
  }
  /// The record with sequence number `seq` if the log still holds it, else null. The pointer
  /// is valid until the next record() or clear().
  const IommuEventRecord* find(uint64_t seq) const;

  /// The seq of the newest record ever made (0 before the first).
  uint64_t last_seq() const { return next_seq_ - 1; }
  size_t size() const { return count_; }
  size_t capacity() const { return ring_.size(); }
  /// Records overwritten since the log was made (or cleared).
  uint64_t dropped() const { return dropped_; }
  /// Counts per (model, notifier name); notifiers sharing a name share counts.
  const std::map<std::pair<std::string, std::string>, IommuNotifierCounts>& counts() const {
    return counts_;
  }
  IommuNotifierCounts counts_for(const std::string& model, const std::string& notifier) const;
  /// Forgets records and counts; sequence numbers go on from where they were.
  void clear();

 private:
  Clock clock_;
  std::vector<IommuEventRecord> ring_;  ///< fixed size: the capacity
  size_t next_slot_ = 0;                ///< where the next record goes
  size_t count_ = 0;
  uint64_t next_seq_ = 1;
  uint64_t dropped_ = 0;
  std::map<std::pair<std::string, std::string>, IommuNotifierCounts> counts_;
  Listener listener_;
  /// Shared with the observers handed to regions, which hold it weakly: when the log dies,
  /// they find it gone.
  std::shared_ptr<IommuEventLog*> self_;
};

}  // namespace glassvm
