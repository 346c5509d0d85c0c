// The IOMMU panel: the machine's IOMMU and the address spaces behind it, the event timeline
// with its filters and pause-on-next-event, and each notifier's counts.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>

#include "engine/board/machine.h"
#include "imgui.h"
#include "ui/app.h"
#include "ui/iommu_events.h"
#include "ui/panels.h"

namespace glassvm::ui {

namespace {

/// The newest events the timeline shows (the log holds more; the JS API reads them all).
constexpr size_t kTimelineRows = 512;

void draw_filters(PanelState& st, IommuEventFilter& filter) {
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
  ImGui::InputTextWithHint("##dev", "device", st.iommu_device_text, sizeof st.iommu_device_text,
                           ImGuiInputTextFlags_CharsDecimal);
  ImGui::SameLine();
  ImGui::Checkbox("MAP", &st.iommu_show_map);
  ImGui::SameLine();
  ImGui::Checkbox("UNMAP", &st.iommu_show_unmap);
  ImGui::SameLine();
  ImGui::Checkbox("DEVIOTLB_UNMAP", &st.iommu_show_deviotlb);
  if (st.iommu_device_text[0])
    filter.device = static_cast<uint32_t>(std::strtoul(st.iommu_device_text, nullptr, 10));
  filter.map = st.iommu_show_map;
  filter.unmap = st.iommu_show_unmap;
  filter.deviotlb_unmap = st.iommu_show_deviotlb;
}

void draw_timeline(App& app, const IommuEventLog& log, const IommuEventFilter& filter) {
  const std::vector<IommuEventRow> rows = iommu_event_rows(log, filter, kTimelineRows);
  ImGui::Text("%" PRIu64 " events (%zu held, %" PRIu64 " dropped); showing %zu", log.last_seq(),
              log.size(), log.dropped(), rows.size());
  const float height = ImGui::GetContentRegionAvail().y * 0.7f;
  if (!ImGui::BeginTable("events", 7,
                         ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_ScrollX |
                             ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV,
                         ImVec2(0, height > 80 ? height : 80)))
    return;
  ImGui::TableSetupScrollFreeze(0, 1);
  for (const char* h : {"#", "guest time", "model", "dev", "type", "IOVA", "notifiers"})
    ImGui::TableSetupColumn(h);
  ImGui::TableHeadersRow();
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(rows.size()));
  while (clipper.Step()) {
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const IommuEventRow& r = rows[static_cast<size_t>(i)];
      ImGui::TableNextRow();
      const bool stopped_here = r.seq == app.paused_at_iommu_event();
      if (stopped_here)
        ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg0, IM_COL32(120, 90, 20, 160));
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, r.seq);
      ImGui::TableNextColumn();
      ImGui::Text("%.6f s", static_cast<double>(r.time_ns) / 1e9);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(r.model.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(r.device.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(r.type.c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%s %s", r.range.c_str(), r.translation.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(r.notifiers.c_str());
    }
  }
  ImGui::EndTable();
}

void draw_notifiers(const IommuEventLog& log) {
  const std::vector<IommuNotifierRow> rows = iommu_notifier_rows(log);
  if (rows.empty()) {
    ImGui::TextDisabled("No notifier has been offered an event yet.");
    return;
  }
  if (!ImGui::BeginTable(
          "notifiers", 6,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV))
    return;
  for (const char* h : {"model", "notifier", "delivered", "skipped: flags", "range", "index"})
    ImGui::TableSetupColumn(h);
  ImGui::TableHeadersRow();
  for (const IommuNotifierRow& r : rows) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(r.model.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(r.name.c_str());
    for (uint64_t n : {r.counts.delivered, r.counts.skipped_flags, r.counts.skipped_range,
                       r.counts.skipped_index}) {
      ImGui::TableNextColumn();
      ImGui::Text("%" PRIu64, n);
    }
  }
  ImGui::EndTable();
}

}  // namespace

void draw_iommu_panel(App& app) {
  const IommuEventLog* log = app.iommu_log();
  IommuProvider* iommu = app.machine().iommu();
  if (log == nullptr || iommu == nullptr) {
    ImGui::TextWrapped(
        "This machine has no IOMMU. Add one with ?device=riscv-iommu or "
        "?device=virtio-iommu in the page's address.");
    return;
  }
  ImGui::Text("%s: %zu device address space(s) behind it", iommu->name().c_str(),
              iommu->dma_address_spaces().size());
  bool pause = app.pause_on_iommu_event();
  if (ImGui::Checkbox("Pause on the next event", &pause)) app.set_pause_on_iommu_event(pause);
  if (app.paused_at_iommu_event() != 0) {
    ImGui::SameLine();
    ImGui::TextDisabled("(paused at #%" PRIu64 ")", app.paused_at_iommu_event());
  }
  IommuEventFilter filter;
  draw_filters(app.panel_state(), filter);
  draw_timeline(app, *log, filter);
  if (ImGui::CollapsingHeader("Notifiers", ImGuiTreeNodeFlags_DefaultOpen)) draw_notifiers(*log);
  draw_iommu_state(app);
}

}  // namespace glassvm::ui
