// The Machine panel: guest choice, memory size, reset, pause, messages.
#include <cstdio>

#include "imgui.h"
#include "ui/app.h"
#include "ui/machine_view.h"
#include "ui/panels.h"

namespace glassvm::ui {

void draw_machine_panel(App& app) {
  // Guest selector.
  const std::string& current = app.guest_name();
  ImGui::SetNextItemWidth(200);
  std::string chosen;  // chosen after the list is drawn: loading a guest may change the list
  if (ImGui::BeginCombo("Guest", current.empty() ? "(none)" : current.c_str())) {
    for (const GuestChoice& g : app.guests().choices()) {
      const std::string label = g.bundled ? g.name + "  (bundled)" : g.name + "  (your file)";
      if (ImGui::Selectable(label.c_str(), g.name == current)) chosen = g.name;
    }
    ImGui::EndCombo();
  }
  if (!chosen.empty()) app.choose_guest(chosen);
  if (app.callbacks().open_file_dialog) {
    ImGui::SameLine();
    if (ImGui::Button("Open ELF...")) app.callbacks().open_file_dialog();
  }
  ImGui::TextDisabled("or drop a RISC-V ELF file onto the page");

  // Memory size.
  char current_ram[32];
  std::snprintf(current_ram, sizeof current_ram, "%u MiB", app.ram_mib());
  ImGui::SetNextItemWidth(200);
  if (ImGui::BeginCombo("Memory", current_ram)) {
    for (unsigned mib : kRamChoicesMib) {
      char label[32];
      std::snprintf(label, sizeof label, "%u MiB", mib);
      if (ImGui::Selectable(label, mib == app.ram_mib())) app.set_ram_mib(mib);
    }
    ImGui::EndCombo();
  }

  // Run control.
  if (ImGui::Button("Reset")) app.reset();
  ImGui::SameLine();
  if (app.paused()) {
    if (ImGui::Button("Resume")) app.resume();
  } else {
    if (ImGui::Button("Pause")) app.pause();
  }
  ImGui::SameLine();
  // Asked only now: the choices above may have replaced the machine (a guest, a memory size,
  // a reset).
  const Machine& now = app.machine();
  if (now.exited())
    ImGui::Text("exited with code %d", now.exit_code());
  else
    ImGui::TextUnformatted(app.status().empty() ? "running" : app.status().c_str());

  ImGui::Separator();
  ImGui::TextUnformatted("Messages");
  ImGui::BeginChild("messages", ImVec2(0, 0), true);
  for (const std::string& msg : app.messages()) ImGui::TextWrapped("%s", msg.c_str());
  if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY()) ImGui::SetScrollHereY(1.0f);
  ImGui::EndChild();
}

}  // namespace glassvm::ui
