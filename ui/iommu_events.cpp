#include "ui/iommu_events.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "engine/board/machine.h"
#include "iommu/iommu_trace.h"
#include "ui/json_internal.h"

namespace glassvm::ui {

std::unique_ptr<IommuEventLog> watch_iommu_events(Machine& machine, size_t capacity) {
  IommuProvider* iommu = machine.iommu();
  if (iommu == nullptr) return nullptr;
  auto log = std::make_unique<IommuEventLog>([&machine] { return machine.guest_ns(); }, capacity);
  for (IommuMemoryRegion* region : iommu->iommu_regions()) log->attach(*region);
  return log;
}

std::string iommu_events_json(const IommuEventLog* log, uint64_t since) {
  if (log == nullptr) return "{\"lastSeq\":0,\"dropped\":0,\"events\":[]}";
  const IommuEventLog::Slice slice = log->events_since(since);
  std::string out = "{\"lastSeq\":" + std::to_string(log->last_seq()) +
                    ",\"dropped\":" + std::to_string(slice.dropped) + ",\"events\":[";
  bool first = true;
  for (const IommuEventRecord& r : slice.records) {
    if (!first) out += ',';
    first = false;
    out += "{\"seq\":" + std::to_string(r.seq) + ",\"timeNs\":" + std::to_string(r.time_ns) +
           ",\"model\":";
    json_append_string(out, r.model);
    out += ",\"device\":" + (r.requester_id ? std::to_string(*r.requester_id) : "null") +
           ",\"type\":\"" + to_string(r.type) + "\",\"replay\":" + (r.targeted ? "true" : "false") +
           ",\"iova\":\"" + hex64(r.entry.first()) + "\",\"last\":\"" + hex64(r.entry.last()) +
           "\",\"translated\":\"" + hex64(r.entry.translated_addr) + "\",\"perm\":\"" +
           iommu_perm_name(r.entry.perm) + "\",\"notifiers\":[";
    for (size_t i = 0; i < r.outcomes.size(); ++i) {
      const IommuNotifierOutcome& o = r.outcomes[i];
      if (i) out += ',';
      out += "{\"name\":";
      json_append_string(out, o.name);
      out +=
          ",\"flags\":\"" + to_string(o.flags) + "\",\"outcome\":\"" + to_string(o.outcome) + "\"}";
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

bool iommu_event_matches(const IommuEventRecord& r, const IommuEventFilter& f) {
  if (f.device && r.requester_id != f.device) return false;
  switch (r.type) {
    case IommuNotifierFlag::Map:
      if (!f.map) return false;
      break;
    case IommuNotifierFlag::Unmap:
      if (!f.unmap) return false;
      break;
    case IommuNotifierFlag::DevIotlbUnmap:
      if (!f.deviotlb_unmap) return false;
      break;
    default: break;
  }
  return r.entry.first() <= f.last && f.first <= r.entry.last();
}

IommuEventRow iommu_event_row(const IommuEventRecord& r) {
  IommuEventRow row;
  row.seq = r.seq;
  row.time_ns = r.time_ns;
  row.model = r.model;
  row.device = r.requester_id ? std::to_string(*r.requester_id) : "-";
  row.type = to_string(r.type) + (r.targeted ? " (replay)" : "");
  char buf[64];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64 "-0x%" PRIx64, r.entry.first(), r.entry.last());
  row.range = buf;
  if (r.type == IommuNotifierFlag::Map) {
    std::snprintf(buf, sizeof buf, "-> 0x%" PRIx64 " %s", r.entry.translated_addr,
                  iommu_perm_name(r.entry.perm));
    row.translation = buf;
  }
  row.notifiers = format_iommu_notifiers(r);
  return row;
}

std::vector<IommuEventRow> iommu_event_rows(const IommuEventLog& log,
                                            const IommuEventFilter& filter, size_t max_rows) {
  // Newest first, without copying the ring, and only the rows returned are formatted: the
  // panel calls this every frame.
  std::vector<const IommuEventRecord*> shown;
  log.visit_newest_first([&](const IommuEventRecord& r) {
    if (shown.size() >= max_rows) return false;
    if (iommu_event_matches(r, filter)) shown.push_back(&r);
    return true;
  });
  std::vector<IommuEventRow> rows;
  rows.reserve(shown.size());
  for (auto it = shown.rbegin(); it != shown.rend(); ++it) rows.push_back(iommu_event_row(**it));
  return rows;
}

std::vector<IommuTimelineTick> iommu_timeline_ticks(const IommuEventLog& log,
                                                    const IommuEventFilter& filter,
                                                    uint64_t from_ns, uint64_t to_ns,
                                                    size_t max_ticks) {
  std::vector<IommuTimelineTick> ticks;
  log.visit_newest_first([&](const IommuEventRecord& r) {
    if (r.time_ns < from_ns || ticks.size() >= max_ticks) return false;
    if (r.time_ns <= to_ns && iommu_event_matches(r, filter))
      ticks.push_back({r.seq, r.time_ns, r.type});
    return true;
  });
  return ticks;
}

uint64_t iommu_oldest_time_ns(const IommuEventLog& log) {
  const IommuEventRecord* oldest = log.find(log.last_seq() + 1 - log.size());
  return oldest != nullptr ? oldest->time_ns : 0;
}

std::vector<IommuNotifierRow> iommu_notifier_rows(const IommuEventLog& log) {
  std::vector<IommuNotifierRow> rows;
  for (const auto& [key, counts] : log.counts()) rows.push_back({key.first, key.second, counts});
  return rows;
}

std::string iommu_notifiers_json(const IommuEventLog* log) {
  if (log == nullptr) return "[]";
  std::string out = "[";
  for (const IommuNotifierRow& r : iommu_notifier_rows(*log)) {
    if (out.size() > 1) out += ',';
    out += "{\"model\":";
    json_append_string(out, r.model);
    out += ",\"name\":";
    json_append_string(out, r.name);
    out += ",\"delivered\":" + std::to_string(r.counts.delivered) +
           ",\"skippedFlags\":" + std::to_string(r.counts.skipped_flags) +
           ",\"skippedRange\":" + std::to_string(r.counts.skipped_range) +
           ",\"skippedIndex\":" + std::to_string(r.counts.skipped_index) + ",\"flags\":";
    json_append_string(out, to_string(r.counts.flags));
    out += ",\"start\":\"" + hex64(r.counts.start) + "\",\"end\":\"" + hex64(r.counts.end) +
           "\",\"index\":" + std::to_string(r.counts.iommu_idx) + "}";
  }
  return out + "]";
}

}  // namespace glassvm::ui
