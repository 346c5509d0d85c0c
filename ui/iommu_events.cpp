#include "ui/iommu_events.h"

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

}  // namespace glassvm::ui
