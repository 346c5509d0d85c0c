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
#include <string>

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

}  // namespace glassvm::ui
