// The Performance panel: instructions per second, frame times, the time-slice controller, the
// JIT's switch and statistics, and the software TLB.
#include <algorithm>
#include <cinttypes>

#include "imgui.h"
#include "ui/app.h"
#include "ui/jit_view.h"
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
  const DrawPacer& pacer = app.draw_pacer();
  ImGui::Text("Busy guest: panels drawn every %.0f ms, guest %.0f%% of the wall clock",
              pacer.interval_ms(), pacer.guest_share() * 100);

  // The JIT: its switch (applied at once: nothing runs while the panels are drawn) and numbers.
  ImGui::Separator();
  bool jit_on = app.jit_enabled();
  if (ImGui::Checkbox("JIT (translate hot guest code to WebAssembly)", &jit_on))
    app.set_jit_enabled(jit_on);
  for (const std::string& line : jit_status_lines(app.jit_status()))
    ImGui::TextUnformatted(line.c_str());

  // Boot progress: how far the guest has come since it was loaded, in guest and wall time.
  ImGui::Separator();
  Machine& m = app.machine();
  ImGui::Text("Since load: %s instructions, %.3f s guest time, %.1f s wall",
              format_si(static_cast<double>(m.total_instructions())).c_str(),
              static_cast<double>(m.guest_ns()) / 1e9, app.seconds_since_load());

  // The software TLB: misses walk the page tables (or look up RAM when paging is off). Hits are
  // not counted (that would slow the hit path), so the rate is shown per 1000 instructions.
  const TlbStats tlb = m.cpu().tlb_stats();
  const double kinsns = std::max(1.0, static_cast<double>(m.total_instructions()) / 1000.0);
  ImGui::Text("TLB misses per 1000 instructions: data %.2f, fetch %.2f",
              static_cast<double>(tlb.data.misses) / kinsns,
              static_cast<double>(tlb.fetch.misses) / kinsns);
  ImGui::Text("TLB flushes: %" PRIu64 " data, %" PRIu64 " fetch; refills %" PRIu64 " data, %" PRIu64
              " fetch",
              tlb.data.flushes, tlb.fetch.flushes, tlb.data.refills, tlb.fetch.refills);
}

}  // namespace glassvm::ui
