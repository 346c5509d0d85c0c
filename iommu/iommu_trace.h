// --trace-iommu: one line of text per IOMMU event, as it is delivered.
//
// Design note: a region has one delivery observer, and the event log (iommu/event_log.h) is
// it. The trace is one more reader of that log: the program attaches an IommuEventLog to the
// IOMMU's regions and gives it a listener that prints format_iommu_trace_line() of each record
// as it is made, so the trace and the UI's timeline read the same records (same sequence, same
// guest-time stamps) instead of competing for the observer. The line carries everything a
// record has: guest time, the region (the model; a virtio-iommu endpoint's region names the
// endpoint), the device, the event type, the block, the translation, and what each notifier
// got: delivered (with its flags), or skipped with the reason (flags, range, index).
#pragma once

#include <string>

#include "iommu/event_log.h"

namespace glassvm {

/// "none", "r", "w" or "rw".
const char* iommu_perm_name(IommuAccessFlags perm);

/// One trace line for `record`, without a newline:
///   iommu: t=SECONDS.MICROSs MODEL dev ID TYPE[ (replay)] iova FIRST-LAST -> ADDR perm PERM
///       | to: NAME(FLAGS), ... | skipped: NAME(FLAGS only: flags), NAME(START-END: range),
///       NAME(index IDX: index)   (IDX: the notifier's own index)
/// with "dev -" when the model named no device, "(replay)" for a delivery to one notifier
/// (notify_one(), which the models use for replays), "none" for an empty list, and
/// "| notifiers: none" in place of both lists when no notifier was registered. PERM is "none",
/// "r", "w" or "rw"; numbers are hexadecimal with 0x, guest time is in seconds.
std::string format_iommu_trace_line(const IommuEventRecord& record);

/// The notifier part of that line, after its first " | ": "to: ... | skipped: ..." or
/// "notifiers: none" (the UI's timeline shows it in a column of its own).
std::string format_iommu_notifiers(const IommuEventRecord& record);

}  // namespace glassvm
