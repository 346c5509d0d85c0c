// App::draw: tiles the panel windows over the canvas and lets each panel draw its contents.
#include "imgui.h"
#include "ui/app.h"
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
  for (const PanelRect& r : tile(layout_for_width(width, iommu, lessons), width, height)) {
    const ImGuiCond cond = retile ? ImGuiCond_Always : ImGuiCond_FirstUseEver;
    ImGui::SetNextWindowPos(ImVec2(r.x, r.y), cond);
    ImGui::SetNextWindowSize(ImVec2(r.w, r.h), cond);
    if (ImGui::Begin(panel_title(r.id), nullptr, ImGuiWindowFlags_NoCollapse)) {
      switch (r.id) {
        case PanelId::Cpu: draw_cpu_panel(*this); break;
        case PanelId::MemoryMap: draw_memory_map_panel(*this); break;
        case PanelId::Machine: draw_machine_panel(*this); break;
        case PanelId::Performance: draw_performance_panel(*this); break;
        case PanelId::Iommu: draw_iommu_panel(*this); break;
        case PanelId::Lessons: draw_lessons_panel(*this); break;
      }
    }
    ImGui::End();
  }
}

}  // namespace glassvm::ui
