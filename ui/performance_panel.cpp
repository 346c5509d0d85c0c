// The Performance panel: instructions per second, frame times, the time-slice controller.
// (The JIT's statistics join here once the JIT exists.)
#include <cinttypes>

#include "imgui.h"
#include "ui/app.h"
#include "ui/panels.h"
#include "ui/perf_view.h"

namespace glassvm::ui {

void draw_performance_panel(App& app) {
  const FrameStats& frames = app.frame_stats();
  const SliceController& slices = app.slice_controller();
  ImGui::Text("Guest: %s instructions/s", format_si(app.ips()).c_str());
  ImGui::Text("Interpreter: %s instructions/s while running (UI time excluded)",
              format_si(app.interpreter_ips()).c_str());
  ImGui::Text("Retired: %" PRIu64 " instructions", app.machine().total_instructions());
  ImGui::Text("Frame: %.1f ms average, %.1f ms max (limit %.0f ms)", frames.average_ms(),
              frames.max_ms(), SliceController::kLimitMs);
  const std::vector<float>& history = frames.history();
  char overlay[48];
  std::snprintf(overlay, sizeof overlay, "frame ms (last %zu)", history.size());
  ImGui::PlotLines("##frames", history.data(), static_cast<int>(history.size()), 0, overlay, 0.0f,
                   2 * static_cast<float>(SliceController::kLimitMs),
                   ImVec2(ImGui::GetContentRegionAvail().x, 70));
  ImGui::Separator();
  ImGui::Text("Guest slice: %.1f ms last, %.1f ms next", app.last_slice_ms(),
              slices.next_budget_ms());
  ImGui::Text("Frame cost besides the guest: %.1f ms", slices.overhead_ms());
  ImGui::Text("Interpreter rate: %s instructions/ms", format_si(app.rate().per_ms()).c_str());
}

}  // namespace glassvm::ui
