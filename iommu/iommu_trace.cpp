// --trace-iommu lines: see iommu_trace.h.
#include "iommu/iommu_trace.h"

#include <cinttypes>
#include <cstdio>
#include <string>

namespace glassvm {

namespace {

std::string hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

/// "NAME(why)" for one skipped notifier.
std::string skipped(const IommuNotifierOutcome& o) {
  switch (o.outcome) {
    case IommuDeliveryOutcome::SkippedFlags:
      return o.name + "(" + to_string(o.flags) + " only: flags)";
    case IommuDeliveryOutcome::SkippedRange:
      return o.name + "(" + hex(o.start) + "-" + hex(o.end) + ": range)";
    case IommuDeliveryOutcome::SkippedIndex:
      return o.name + "(index " + std::to_string(o.iommu_idx) + ": index)";
    case IommuDeliveryOutcome::Delivered: break;
  }
  return o.name;
}

}  // namespace

const char* iommu_perm_name(IommuAccessFlags perm) {
  switch (perm) {
    case kIommuRead: return "r";
    case kIommuWrite: return "w";
    case kIommuRw: return "rw";
    default: return "none";
  }
}

std::string format_iommu_trace_line(const IommuEventRecord& r) {
  char time[48];
  snprintf(time, sizeof time, "t=%" PRIu64 ".%06" PRIu64 "s", r.time_ns / 1'000'000'000,
           r.time_ns % 1'000'000'000 / 1000);
  std::string line = "iommu: ";
  line += time;
  line += ' ' + (r.model.empty() ? std::string("?") : r.model);
  line += " dev " + (r.requester_id ? std::to_string(*r.requester_id) : std::string("-"));
  line += ' ' + to_string(r.type);
  if (r.targeted) line += " (replay)";
  line += " iova " + hex(r.entry.first()) + "-" + hex(r.entry.last());
  line += " -> " + hex(r.entry.translated_addr & ~r.entry.addr_mask);
  line += " perm ";
  line += iommu_perm_name(r.entry.perm);
  return line + " | " + format_iommu_notifiers(r);
}

std::string format_iommu_notifiers(const IommuEventRecord& r) {
  if (r.outcomes.empty()) return "notifiers: none";
  std::string to, skip;
  for (const IommuNotifierOutcome& o : r.outcomes) {
    std::string& list = o.outcome == IommuDeliveryOutcome::Delivered ? to : skip;
    if (!list.empty()) list += ", ";
    list += o.outcome == IommuDeliveryOutcome::Delivered ? o.name + "(" + to_string(o.flags) + ")"
                                                         : skipped(o);
  }
  return "to: " + (to.empty() ? std::string("none") : to) +
         " | skipped: " + (skip.empty() ? std::string("none") : skip);
}

}  // namespace glassvm
