// The Memory Map panel: address bars of the flat views, the region tree, the info mtree text.
#include <cinttypes>
#include <cstdio>

#include "imgui.h"
#include "ui/app.h"
#include "ui/memory_map_view.h"
#include "ui/panels.h"

namespace glassvm::ui {

namespace {

ImU32 kind_color(const std::string& kind) {
  if (kind == "ram") return IM_COL32(70, 150, 90, 255);
  if (kind == "rom") return IM_COL32(70, 110, 180, 255);
  if (kind == "iommu") return IM_COL32(150, 90, 170, 255);
  return IM_COL32(200, 130, 50, 255);  // i/o
}

/// One address bar with hover tooltips; returns the hovered row index or -1.
int draw_address_bar(const char* id, const std::vector<FlatRow>& rows, uint64_t pc) {
  const float width = ImGui::GetContentRegionAvail().x;
  const float height = 30.0f;
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton(id, ImVec2(width > 1 ? width : 1, height));
  const bool hovered = ImGui::IsItemHovered();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const AddressBar bar(rows, width);
  for (const BarSegment& s : bar.segments()) {
    const ImVec2 a(origin.x + static_cast<float>(s.x0), origin.y);
    const ImVec2 b(origin.x + static_cast<float>(s.x1), origin.y + height);
    if (s.hole) {
      dl->AddRectFilled(ImVec2(a.x, a.y + height * 0.4f), ImVec2(b.x, b.y - height * 0.4f),
                        IM_COL32(90, 90, 90, 255));
      continue;
    }
    const FlatRow& row = rows[static_cast<size_t>(s.row)];
    dl->AddRectFilled(a, b, kind_color(row.kind));
    dl->AddRect(a, b, IM_COL32(20, 20, 20, 255));
    const ImVec2 text = ImGui::CalcTextSize(row.name.c_str());
    if (text.x + 4 < b.x - a.x) {
      dl->PushClipRect(a, b, true);
      dl->AddText(ImVec2(a.x + 2, a.y + (height - text.y) / 2), IM_COL32(255, 255, 255, 255),
                  row.name.c_str());
      dl->PopClipRect();
    }
  }
  const double pc_x = bar.x_of(pc);
  if (pc_x >= 0) {
    const float x = origin.x + static_cast<float>(pc_x);
    dl->AddLine(ImVec2(x, origin.y - 2), ImVec2(x, origin.y + height + 2),
                IM_COL32(255, 60, 60, 255), 2.0f);
  }
  int hovered_row = -1;
  if (hovered) {
    const BarSegment* s = bar.at(ImGui::GetMousePos().x - origin.x);
    if (s != nullptr && s->hole) {
      ImGui::SetTooltip("unmapped\nrange: 0x%016" PRIx64 "-0x%016" PRIx64, s->start, s->last);
    } else if (s != nullptr) {
      hovered_row = s->row;
      ImGui::SetTooltip("%s", describe(rows[static_cast<size_t>(s->row)]).c_str());
    }
  }
  return hovered_row;
}

void draw_flat_table(const char* id, const std::vector<FlatRow>& rows, int highlight) {
  if (!ImGui::BeginTable(
          id, 4,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit))
    return;
  ImGui::TableSetupColumn("range");
  ImGui::TableSetupColumn("kind");
  ImGui::TableSetupColumn("prio");
  ImGui::TableSetupColumn("region", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  for (size_t i = 0; i < rows.size(); ++i) {
    const FlatRow& r = rows[i];
    ImGui::TableNextRow();
    if (static_cast<int>(i) == highlight)
      ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(90, 90, 30, 255));
    ImGui::TableNextColumn();
    ImGui::Text("%016" PRIx64 "-%016" PRIx64, r.start, r.last);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(r.kind.c_str());
    ImGui::TableNextColumn();
    ImGui::Text("%d", r.priority);
    ImGui::TableNextColumn();
    if (r.offset_in_region)
      ImGui::Text("%s @%016" PRIx64, r.name.c_str(), r.offset_in_region);
    else
      ImGui::TextUnformatted(r.name.c_str());
  }
  ImGui::EndTable();
}

void draw_region_tree(const MemoryRegion* root) {
  const std::vector<RegionRow> rows = region_rows(root);
  if (!ImGui::BeginTable(
          "tree", 4,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingFixedFit))
    return;
  ImGui::TableSetupColumn("region", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableSetupColumn("range");
  ImGui::TableSetupColumn("kind");
  ImGui::TableSetupColumn("prio");
  ImGui::TableHeadersRow();
  for (const RegionRow& r : rows) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::Indent(static_cast<float>(r.depth) * 12.0f + 0.001f);
    if (r.is_alias) {
      ImGui::Text("%s -> %s @%" PRIx64, r.name.c_str(), r.alias_target.c_str(), r.alias_offset);
    } else {
      ImGui::TextUnformatted(r.name.c_str());
    }
    if (!r.enabled) {
      ImGui::SameLine();
      ImGui::TextDisabled("(disabled)");
    }
    ImGui::Unindent(static_cast<float>(r.depth) * 12.0f + 0.001f);
    ImGui::TableNextColumn();
    ImGui::Text("%016" PRIx64 "-%016" PRIx64, r.start, r.last);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(r.kind.c_str());
    ImGui::TableNextColumn();
    ImGui::Text("%d", r.priority);
  }
  ImGui::EndTable();
}

}  // namespace

void draw_memory_map_panel(App& app) {
  Machine& m = app.machine();
  PanelState& st = app.panel_state();
  if (!ImGui::BeginTabBar("memory-map-tabs")) return;
  if (ImGui::BeginTabItem("Flat view")) {
    // One bar per distinct flat view (both spaces share the system root on virt).
    AddressSpace* spaces[] = {&m.cpu_as(), &m.system_as()};
    for (size_t i = 0; i < 2; ++i) {
      AddressSpace& as = *spaces[i];
      if (i == 1 && as.root() == spaces[0]->root()) {
        ImGui::TextDisabled("AS \"%s\" has the same flat view", as.name().c_str());
        continue;
      }
      ImGui::Text("AS \"%s\", root: %s", as.name().c_str(),
                  as.root() ? as.root()->name().c_str() : "(none)");
      const std::vector<FlatRow> rows = flat_rows(as);
      ImGui::PushID(static_cast<int>(i));
      const int hovered = draw_address_bar("bar", rows, m.cpu().pc());
      ImGui::TextDisabled("log scale per range, holes compressed; red line: pc");
      draw_flat_table("flat", rows, hovered);
      ImGui::PopID();
    }
    ImGui::EndTabItem();
  }
  if (ImGui::BeginTabItem("Region tree")) {
    draw_region_tree(m.system_as().root());
    ImGui::EndTabItem();
  }
  if (ImGui::BeginTabItem("info mtree")) {
    // Rebuilt only when a flat view changes or the machine is replaced.
    if (st.mtree_cpu_generation != m.cpu_as().generation() ||
        st.mtree_system_generation != m.system_as().generation() ||
        st.mtree_epoch != app.machine_epoch()) {
      st.mtree_text = m.info_mtree(true);
      st.mtree_cpu_generation = m.cpu_as().generation();
      st.mtree_system_generation = m.system_as().generation();
      st.mtree_epoch = app.machine_epoch();
    }
    if (ImGui::SmallButton("Copy")) ImGui::SetClipboardText(st.mtree_text.c_str());
    ImGui::BeginChild("mtree", ImVec2(0, 0), false, ImGuiWindowFlags_HorizontalScrollbar);
    ImGui::TextUnformatted(st.mtree_text.c_str(), st.mtree_text.c_str() + st.mtree_text.size());
    ImGui::EndChild();
    ImGui::EndTabItem();
  }
  ImGui::EndTabBar();
}

}  // namespace glassvm::ui
