// The page's record of IOMMU events: one event log on every IOMMU region of the current
// machine, and the JSON the JS API hands out (glassvm.iommuEvents(sinceSeq)).
//
// Design note: a region has one delivery observer, so the page keeps one IommuEventLog per
// machine (App makes it when it adopts a machine and drops it before the machine goes) and
// every reader polls it with a sequence number, as --trace-iommu's printer listens to its own.
// The log is a bounded ring: a reader that falls behind is told how many events it missed.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "iommu/event_log.h"

namespace glassvm {
class Machine;
}

namespace glassvm::ui {

/// An event log attached to every IOMMU region of `machine` (none when it has no IOMMU), timed
/// by the machine's guest clock. The machine must outlive the log.
std::unique_ptr<IommuEventLog> watch_iommu_events(
    Machine& machine, size_t capacity = IommuEventLog::kDefaultCapacity);

/// glassvm.iommuEvents(since): {"lastSeq":N,"dropped":N,"events":[{"seq","timeNs","model",
/// "device" (number or null),"type":"MAP"|"UNMAP"|"DEVIOTLB_UNMAP","replay","iova","last",
/// "translated","perm":"none"|"r"|"w"|"rw","notifiers":[{"name","flags","outcome"}]}]};
/// addresses as 16-digit hex strings. `dropped`: records newer than `since` no longer held.
/// A null log (no IOMMU) gives no events.
std::string iommu_events_json(const IommuEventLog* log, uint64_t since);

/// Which events the timeline shows.
struct IommuEventFilter {
  std::optional<uint32_t> device;  ///< only this requester id (events naming none never match)
  bool map = true, unmap = true, deviotlb_unmap = true;  ///< the types shown
  uint64_t first = 0, last = UINT64_MAX;                 ///< only blocks overlapping this range
};
/// Whether `record` passes `filter`.
bool iommu_event_matches(const IommuEventRecord& record, const IommuEventFilter& filter);

/// One timeline row, as text.
struct IommuEventRow {
  uint64_t seq = 0;
  uint64_t time_ns = 0;
  std::string model;        ///< the region: "riscv-iommu", "virtio-iommu-ep8"
  std::string device;       ///< the requester id, or "-"
  std::string type;         ///< "MAP", "UNMAP", "DEVIOTLB_UNMAP", with " (replay)" for a replay
  std::string range;        ///< "0x40000000-0x40000fff"
  std::string translation;  ///< "-> 0x80019000 rw" (MAP) or "" (nothing to show)
  std::string notifiers;    ///< "to: a(UNMAP) | skipped: b(MAP only: flags)", or "none"
};
/// One record as a timeline row.
IommuEventRow iommu_event_row(const IommuEventRecord& record);
/// The newest `max_rows` events that pass `filter`, oldest first, from the records still held.
std::vector<IommuEventRow> iommu_event_rows(const IommuEventLog& log,
                                            const IommuEventFilter& filter, size_t max_rows);

/// One tick of the drawn timeline.
struct IommuTimelineTick {
  uint64_t seq = 0;
  uint64_t time_ns = 0;
  IommuNotifierFlag type = IommuNotifierFlag::None;
};
/// The held events that pass `filter` with guest time in [from_ns, to_ns], newest first, at
/// most `max_ticks`. Guest time never goes back in one log, so the walk stops at the first
/// event older than `from_ns`: only what the visible window holds is visited.
std::vector<IommuTimelineTick> iommu_timeline_ticks(const IommuEventLog& log,
                                                    const IommuEventFilter& filter,
                                                    uint64_t from_ns, uint64_t to_ns,
                                                    size_t max_ticks);
/// The guest time of the oldest event still held (0 when none is).
uint64_t iommu_oldest_time_ns(const IommuEventLog& log);

/// One notifier's counts, for the notifier table.
struct IommuNotifierRow {
  std::string model, name;
  IommuNotifierCounts counts;
};
/// Every notifier the log has seen an outcome for, by model then name.
std::vector<IommuNotifierRow> iommu_notifier_rows(const IommuEventLog& log);

/// glassvm.iommuNotifiers(): [{"model","name","delivered","skippedFlags","skippedRange",
/// "skippedIndex","flags","start","end","index"}] from iommu_notifier_rows() (flags as
/// to_string(IommuNotifierFlag) gives them, the range as 16-digit hex strings); [] for a null
/// log.
std::string iommu_notifiers_json(const IommuEventLog* log);

}  // namespace glassvm::ui
