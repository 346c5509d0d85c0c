// The IOMMU panel: the machine's IOMMU and the address spaces behind it, the event timeline
// (drawn as a strip in guest time, and as a table) with its filters and pause-on-next-event,
// the selected event and the translation behind it, and each notifier's counts.
//
// Design note: the panel is drawn every frame while the guest may make thousands of events a
// second, so it reads the log without copying it (iommu_event_rows, iommu_timeline_ticks visit
// the ring newest first and stop early), formats only the rows it shows, and draws at most one
// tick per pixel column and lane.
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "engine/board/machine.h"
#include "imgui.h"
#include "ui/app.h"
#include "ui/cpu_view.h"
#include "ui/iommu_events.h"
#include "ui/iommu_state_view.h"
#include "ui/panels.h"
#include "ui/walk_diagram.h"

namespace glassvm::ui {

namespace {

/// The newest events the timeline shows (the log holds more; the JS API reads them all).
constexpr size_t kTimelineRows = 512;

/// Colours of the three event types, on the drawn timeline and in the table.
ImU32 event_colour(IommuNotifierFlag type) {
  switch (type) {
    case IommuNotifierFlag::Map: return IM_COL32(90, 200, 110, 255);
    case IommuNotifierFlag::Unmap: return IM_COL32(240, 150, 60, 255);
    case IommuNotifierFlag::DevIotlbUnmap: return IM_COL32(170, 120, 240, 255);
    default: return IM_COL32(180, 180, 180, 255);
  }
}

/// The timeline's lane of each type, top to bottom.
int event_lane(IommuNotifierFlag type) {
  return type == IommuNotifierFlag::Map ? 0 : type == IommuNotifierFlag::Unmap ? 1 : 2;
}

/// The most ticks the strip draws (the log holds at most 4096 by default).
constexpr size_t kMaxTicks = 8192;

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
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
  ImGui::InputTextWithHint("##first", "IOVA from (hex)", st.iommu_first_text,
                           sizeof st.iommu_first_text, ImGuiInputTextFlags_CharsHexadecimal);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
  ImGui::InputTextWithHint("##last", "IOVA to (hex)", st.iommu_last_text, sizeof st.iommu_last_text,
                           ImGuiInputTextFlags_CharsHexadecimal);
  if (st.iommu_device_text[0])
    filter.device = static_cast<uint32_t>(std::strtoul(st.iommu_device_text, nullptr, 10));
  filter.map = st.iommu_show_map;
  filter.unmap = st.iommu_show_unmap;
  filter.deviotlb_unmap = st.iommu_show_deviotlb;
  if (const std::optional<uint64_t> first = parse_address(st.iommu_first_text))
    filter.first = *first;
  if (const std::optional<uint64_t> last = parse_address(st.iommu_last_text)) filter.last = *last;
  if (filter.first > filter.last) {
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.4f, 1.0f), "(empty range)");
  }
}

/// A record's fields on one line each, for the tooltip and the selection.
std::string event_text(const IommuEventRecord& r) {
  const IommuEventRow row = iommu_event_row(r);
  char time[32];
  std::snprintf(time, sizeof time, "%.6f s", static_cast<double>(r.time_ns) / 1e9);
  return "#" + std::to_string(r.seq) + " at " + time + "\nmodel " + row.model + ", device " +
         row.device + "\n" + row.type + " " + row.range +
         (row.translation.empty() ? "" : " " + row.translation) + "\n" + row.notifiers;
}

/// The drawn timeline: one tick per event in the window, in a lane per type; hover shows the
/// event, a click selects it.
void draw_strip(App& app, const IommuEventLog& log, const IommuEventFilter& filter) {
  PanelState& st = app.panel_state();
  ImGui::Checkbox("fit to the events held", &st.iommu_window_fit);
  if (!st.iommu_window_fit) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
    ImGui::SliderFloat("last", &st.iommu_window_s, 1e-4f, 100.0f, "%.4f s",
                       ImGuiSliderFlags_Logarithmic);
  }
  const uint64_t now = app.machine().guest_ns();
  const uint64_t span = static_cast<uint64_t>(static_cast<double>(st.iommu_window_s) * 1e9);
  const uint64_t from = st.iommu_window_fit ? iommu_oldest_time_ns(log) : now - std::min(now, span);
  const uint64_t to = std::max(now, from + 1);
  const std::vector<IommuTimelineTick> ticks =
      iommu_timeline_ticks(log, filter, from, to, kMaxTicks);

  static const char* const kLanes[] = {"MAP", "UNMAP", "DEVIOTLB_UNMAP"};
  static constexpr IommuNotifierFlag kLaneTypes[] = {
      IommuNotifierFlag::Map, IommuNotifierFlag::Unmap, IommuNotifierFlag::DevIotlbUnmap};
  const float lane = ImGui::GetTextLineHeight() + 2;
  const float label_w = ImGui::CalcTextSize(kLanes[2]).x + ImGui::GetFontSize() * 0.6f;
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  const float width = std::max(ImGui::GetContentRegionAvail().x, label_w + 50);
  ImGui::InvisibleButton("##strip", ImVec2(width, lane * 3));
  const bool hovered = ImGui::IsItemHovered();
  const bool clicked = ImGui::IsItemClicked();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float x0 = origin.x + label_w, w = width - label_w;
  dl->AddRectFilled(ImVec2(x0, origin.y), ImVec2(x0 + w, origin.y + lane * 3),
                    IM_COL32(30, 33, 40, 255));
  for (int i = 0; i < 3; ++i) {
    dl->AddText(ImVec2(origin.x, origin.y + lane * i + 1), event_colour(kLaneTypes[i]), kLanes[i]);
    dl->AddLine(ImVec2(x0, origin.y + lane * (i + 1)), ImVec2(x0 + w, origin.y + lane * (i + 1)),
                IM_COL32(60, 64, 75, 255));
  }
  const double scale = static_cast<double>(w) / static_cast<double>(to - from);
  const float mouse_x = ImGui::GetIO().MousePos.x;
  const IommuTimelineTick* nearest = nullptr;
  float nearest_dx = 5.0f;  // px: how close the mouse must be
  int last_px[3] = {-1, -1, -1};
  const IommuTimelineTick* selected = nullptr;
  for (const IommuTimelineTick& t : ticks) {
    const float x = x0 + static_cast<float>(static_cast<double>(t.time_ns - from) * scale);
    const int l = event_lane(t.type);
    if (t.seq == st.iommu_selected_seq) selected = &t;
    if (hovered && std::abs(x - mouse_x) < nearest_dx) {
      nearest = &t;
      nearest_dx = std::abs(x - mouse_x);
    }
    if (static_cast<int>(x) == last_px[l]) continue;  // one line per pixel column and lane
    last_px[l] = static_cast<int>(x);
    const float y = origin.y + lane * l;
    dl->AddLine(ImVec2(x, y + 2), ImVec2(x, y + lane - 2), event_colour(t.type), 1.5f);
  }
  if (selected != nullptr) {
    const float x = x0 + static_cast<float>(static_cast<double>(selected->time_ns - from) * scale);
    dl->AddLine(ImVec2(x, origin.y), ImVec2(x, origin.y + lane * 3), IM_COL32(255, 255, 255, 255),
                2.5f);
  }
  if (nearest != nullptr) {
    if (const IommuEventRecord* r = log.find(nearest->seq))
      ImGui::SetTooltip("%s", event_text(*r).c_str());
    if (clicked) st.iommu_selected_seq = nearest->seq;
  }
  ImGui::TextDisabled("%.6f s .. %.6f s: %zu event(s) in the window",
                      static_cast<double>(from) / 1e9, static_cast<double>(to) / 1e9, ticks.size());
}

void draw_timeline(App& app, const IommuEventLog& log, const IommuEventFilter& filter) {
  PanelState& st = app.panel_state();
  const std::vector<IommuEventRow> rows = iommu_event_rows(log, filter, kTimelineRows);
  ImGui::Text("%" PRIu64 " events (%zu held, %" PRIu64 " dropped); showing %zu", log.last_seq(),
              log.size(), log.dropped(), rows.size());
  const float share = st.iommu_selected_seq != 0 ? 0.4f : 0.6f;
  const float height = ImGui::GetContentRegionAvail().y * share;
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
      const std::string seq = std::to_string(r.seq);
      if (ImGui::Selectable(seq.c_str(), r.seq == st.iommu_selected_seq,
                            ImGuiSelectableFlags_SpanAllColumns))
        st.iommu_selected_seq = r.seq;
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

/// The selected event: its fields, and the translation behind it.
void draw_selected(App& app, const IommuEventLog& log) {
  PanelState& st = app.panel_state();
  if (st.iommu_selected_seq == 0) {
    ImGui::TextDisabled("Select an event on the timeline or in the table to see it here.");
    return;
  }
  const IommuEventRecord* r = log.find(st.iommu_selected_seq);
  if (r == nullptr) {
    ImGui::TextDisabled("Event #%" PRIu64 " is no longer held (the log keeps the newest %zu).",
                        st.iommu_selected_seq, log.capacity());
    return;
  }
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(event_colour(r->type)), "%s",
                     event_text(*r).c_str());
  if (ImGui::SmallButton("clear selection")) st.iommu_selected_seq = 0;
  // The translation behind it: the walk of the event's first IOVA by its device, through the
  // IOMMU's tables as they are now (debug reads: no IOTLB fill, no fault, no event).
  if (!r->requester_id) {
    ImGui::TextDisabled("The event names no device: there is no walk to show.");
    return;
  }
  ImGui::TextDisabled("The translation behind it now (a read of its first IOVA):");
  draw_walk_diagram(
      walk_diagram(iova_walk_view(app.machine(), *r->requester_id, r->entry.iova, kIommuRead)));
}

void draw_notifiers(const IommuEventLog& log) {
  const std::vector<IommuNotifierRow> rows = iommu_notifier_rows(log);
  if (rows.empty()) {
    ImGui::TextDisabled("No notifier has been offered an event yet.");
    return;
  }
  if (!ImGui::BeginTable(
          "notifiers", 9,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV))
    return;
  for (const char* h : {"model", "notifier", "hears", "IOVA range", "index", "delivered",
                        "skipped: flags", "range", "index"})
    ImGui::TableSetupColumn(h);
  ImGui::TableHeadersRow();
  for (const IommuNotifierRow& r : rows) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(r.model.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(r.name.c_str());
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(to_string(r.counts.flags).c_str());
    ImGui::TableNextColumn();
    ImGui::Text("0x%" PRIx64 "-0x%" PRIx64, r.counts.start, r.counts.end);
    ImGui::TableNextColumn();
    ImGui::Text("%d", r.counts.iommu_idx);
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
  draw_strip(app, *log, filter);
  draw_timeline(app, *log, filter);
  if (ImGui::CollapsingHeader("Selected event", ImGuiTreeNodeFlags_DefaultOpen))
    draw_selected(app, *log);
  if (ImGui::CollapsingHeader("Notifiers", ImGuiTreeNodeFlags_DefaultOpen)) draw_notifiers(*log);
  draw_iommu_state(app);
}

}  // namespace glassvm::ui
