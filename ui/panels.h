// The ImGui panels (one file each: *_panel.cpp). Each draws the contents of its window, which
// App::draw has begun; they read the machine through App and send commands through it.
#pragma once

#include <cstdint>

namespace glassvm::ui {

class App;
struct JitStatus;
class JitTranslationLog;

/// Memory Map: the address bar of each flat view (hover for details), the region tree and the
/// `info mtree -f` text.
void draw_memory_map_panel(App& app);
/// CPU: run/pause/step, privilege level, disassembly around the pc with breakpoints,
/// registers and CSRs.
void draw_cpu_panel(App& app);
/// Performance: instructions per second, frame times, the time-slice controller, and the JIT's
/// switch and statistics.
void draw_performance_panel(App& app);
/// IOMMU: the machine's IOMMU events as a timeline with filters, pause on the next event, and
/// each notifier's delivered and skipped counts.
void draw_iommu_panel(App& app);
/// Lessons: the bundled lessons; an open lesson's introduction, its current step (what to
/// watch, what it means), "Run to the next event", "Next step", and what happened at the stop.
void draw_lessons_panel(App& app);
/// The IOMMU panel's state sections: registers, device contexts (or endpoints and domains),
/// the mapping table, the fault history and the walk of one IOVA (ui/iommu_state_view.h).
void draw_iommu_state(App& app);
/// JIT: the last translations the JIT made; the selected one's RISC-V instructions beside the
/// wasm text they became.
void draw_jit_panel(App& app);
/// The JIT panel's contents for `status` and `log`; `selected` is the selected record's seq
/// (one no longer held selects the newest). Separate from App so tests can draw any log.
void draw_jit_view(const JitStatus& status, const JitTranslationLog& log, uint64_t& selected);
/// Machine: guest choice, memory size, reset, pause, messages.
void draw_machine_panel(App& app);

}  // namespace glassvm::ui
