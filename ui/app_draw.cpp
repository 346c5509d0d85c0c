// App::draw: tiles the open panels' windows over the canvas, lets each panel draw its
// contents, and notes where each window is (glassvm.panels()).
#include <algorithm>
#include <cstdio>
#include <string>

#include "imgui.h"
#include "ui/app.h"
#include "ui/json_internal.h"
#include "ui/layout.h"
#include "ui/lessons.h"
#include "ui/panels.h"

namespace glassvm::ui {

void App::draw(float width, float height) {
  PanelState& st = panel_;
  // Re-tile when the canvas changes size (the first frame included), the IOMMU panel comes or
  // goes with the machine's IOMMU, or a lesson opens or closes; otherwise the user's moves and
  // resizes stand.
  const bool iommu = iommu_log_ != nullptr;
  const bool lesson_open = lessons_->lesson() != nullptr;
  const bool retile = width != st.last_width || height != st.last_height ||
                      iommu != st.last_iommu || lesson_open != st.last_lesson_open;
  st.last_width = width;
  st.last_height = height;
  st.last_iommu = iommu;
  st.last_lesson_open = lesson_open;
  const LessonsRoom lessons = lesson_open ? LessonsRoom::Open : LessonsRoom::List;
  ++draw_count_;
  drawn_panels_.clear();
  for (const PanelRect& r :
       tile(layout_for_width(width, iommu, lessons, /*jit=*/true), width, height)) {
    if (!panel_open(r.id)) continue;
    const ImGuiCond cond = retile ? ImGuiCond_Always : ImGuiCond_FirstUseEver;
    ImGui::SetNextWindowPos(ImVec2(r.x, r.y), cond);
    ImGui::SetNextWindowSize(ImVec2(r.w, r.h), cond);
    if (ImGui::Begin(panel_title(r.id), nullptr, ImGuiWindowFlags_NoCollapse)) {
      const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
      drawn_panels_.push_back({r.id, pos.x, pos.y, size.x, size.y});
      switch (r.id) {
        case PanelId::Cpu: draw_cpu_panel(*this); break;
        case PanelId::MemoryMap: draw_memory_map_panel(*this); break;
        case PanelId::Machine: draw_machine_panel(*this); break;
        case PanelId::Performance: draw_performance_panel(*this); break;
        case PanelId::Iommu: draw_iommu_panel(*this); break;
        case PanelId::Lessons: draw_lessons_panel(*this); break;
        case PanelId::Jit: draw_jit_panel(*this); break;
      }
    }
    ImGui::End();
  }
}

std::string App::panels_json() const {
  std::string out = "[";
  for (int i = 0; i < kPanelCount; ++i) {
    const auto id = static_cast<PanelId>(i);
    const auto drawn = std::find_if(drawn_panels_.begin(), drawn_panels_.end(),
                                    [id](const PanelRect& r) { return r.id == id; });
    const PanelRect r = drawn != drawn_panels_.end() ? *drawn : PanelRect{id};
    if (i) out += ',';
    out += "{\"name\":";
    json_append_string(out, panel_title(id));
    char rect[160];
    std::snprintf(rect, sizeof rect,
                  ",\"open\":%s,\"shown\":%s,\"x\":%.0f,\"y\":%.0f,\"w\":%.0f,\"h\":%.0f}",
                  panel_open(id) ? "true" : "false",
                  drawn != drawn_panels_.end() ? "true" : "false", r.x, r.y, r.w, r.h);
    out += rect;
  }
  return out + "]";
}

}  // namespace glassvm::ui
