// The ImGui panels (one file each: *_panel.cpp). Each draws the contents of its window, which
// App::draw has begun; they read the machine through App and send commands through it.
#pragma once

namespace glassvm::ui {

class App;

/// Memory Map: the address bar of each flat view (hover for details), the region tree and the
/// `info mtree -f` text.
void draw_memory_map_panel(App& app);
/// CPU: run/pause/step, privilege level, disassembly around the pc with breakpoints,
/// registers and CSRs.
void draw_cpu_panel(App& app);
/// Performance: instructions per second, frame times and the time-slice controller.
void draw_performance_panel(App& app);
/// IOMMU: the machine's IOMMU events as a timeline with filters, pause on the next event, and
/// each notifier's delivered and skipped counts.
void draw_iommu_panel(App& app);
/// The IOMMU panel's state sections: registers, device contexts (or endpoints and domains),
/// the mapping table, the fault history and the walk of one IOVA (ui/iommu_state_view.h).
void draw_iommu_state(App& app);
/// Machine: guest choice, memory size, reset, pause, messages.
void draw_machine_panel(App& app);

}  // namespace glassvm::ui
