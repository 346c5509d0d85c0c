// The CPU panel: run/pause/step, disassembly around the pc with breakpoints, registers, CSRs.
#include <cinttypes>
#include <cstdio>

#include "engine/cpu/csr.h"
#include "imgui.h"
#include "ui/app.h"
#include "ui/cpu_view.h"
#include "ui/panels.h"
#include "ui/translation_view.h"
#include "ui/walk_diagram.h"

namespace glassvm::ui {

namespace {

constexpr unsigned kLinesBefore = 6;
constexpr unsigned kLinesAfter = 12;

void draw_controls(App& app) {
  Machine& m = app.machine();
  if (app.paused()) {
    if (ImGui::Button("Run")) app.resume();
  } else {
    if (ImGui::Button("Pause")) app.pause();
  }
  ImGui::SameLine();
  ImGui::BeginDisabled(!app.paused() || m.exited());
  if (ImGui::Button("Step")) app.step();
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::Text("pc 0x%016" PRIx64 "  %s-mode", m.cpu().pc(), priv_name(m.cpu().priv()));
  uint64_t satp = 0;
  if (m.cpu().peek_csr(kCsrSatp, satp)) {
    // What translates the hart's next access: the privilege above and satp's mode and ASID.
    const SatpReading r = read_satp(satp);
    ImGui::SameLine();
    if (r.paging)
      ImGui::Text("  satp %s ASID %u root 0x%" PRIx64, r.mode.c_str(), r.asid, r.root);
    else
      ImGui::TextDisabled("  satp Bare (no translation)");
  }
  ImGui::Text("retired %" PRIu64 "%s%s", m.total_instructions(), app.status().empty() ? "" : "  | ",
              app.status().c_str());
  if (m.cpu().waiting_for_interrupt()) {
    ImGui::SameLine();
    ImGui::TextDisabled("(in WFI)");
  }
}

/// Picks `addr` for the Translation section (the next draw opens it) as an access of `access`
/// (0 fetch, 1 load, 2 store): a click on a register's value or on a disassembly address.
void pick_for_translation(PanelState& st, uint64_t addr, int access) {
  std::snprintf(st.translate_text, sizeof st.translate_text, "%" PRIx64, addr);
  st.translate_access = access;
  st.translate_picked = true;
}

void draw_disassembly(App& app) {
  Machine& m = app.machine();
  PanelState& st = app.panel_state();
  ImGui::Checkbox("Follow pc", &st.follow_pc);
  if (st.follow_pc) st.disasm_addr = m.cpu().pc();
  ImGui::SameLine();
  ImGui::SetNextItemWidth(150);
  const bool entered =
      ImGui::InputTextWithHint("##bp", "breakpoint pc (hex)", st.breakpoint_text,
                               sizeof st.breakpoint_text, ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::SameLine();
  if (ImGui::Button("Toggle breakpoint") || entered) {
    if (std::optional<uint64_t> pc = parse_pc(st.breakpoint_text)) {
      toggle_breakpoint(m, *pc);
      st.breakpoint_text[0] = 0;
    } else {
      app.add_message(std::string("Not a valid breakpoint address: \"") + st.breakpoint_text +
                      "\" (an even hex address, e.g. 0x80000000)");
    }
  }
  const std::vector<uint64_t> bps(m.breakpoints().begin(), m.breakpoints().end());
  const std::vector<DisasmRow> rows =
      disassembly(m.cpu_as(), st.disasm_addr & ~uint64_t{1}, kLinesBefore, kLinesAfter, bps);
  if (!ImGui::BeginTable("disasm", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit))
    return;
  ImGui::TableSetupColumn("bp");
  ImGui::TableSetupColumn("address");
  ImGui::TableSetupColumn("bytes");
  ImGui::TableSetupColumn("instruction", ImGuiTableColumnFlags_WidthStretch);
  for (const DisasmRow& r : rows) {
    ImGui::TableNextRow();
    if (r.is_pc) ImGui::TableSetBgColor(ImGuiTableBgTarget_RowBg1, IM_COL32(40, 80, 140, 255));
    ImGui::TableNextColumn();
    ImGui::PushID(static_cast<int>(r.addr & 0x7fffffff));
    // Clicking the marker column toggles a breakpoint on that line.
    if (ImGui::Selectable(r.breakpoint ? " o " : "   ", false, ImGuiSelectableFlags_None,
                          ImVec2(18, 0)) &&
        r.readable) {
      toggle_breakpoint(m, r.addr);
    }
    if (r.breakpoint) {
      ImDrawList* dl = ImGui::GetWindowDrawList();
      const ImVec2 mn = ImGui::GetItemRectMin(), mx = ImGui::GetItemRectMax();
      dl->AddCircleFilled(ImVec2((mn.x + mx.x) / 2, (mn.y + mx.y) / 2), 5,
                          IM_COL32(220, 50, 50, 255));
    }
    ImGui::PopID();
    ImGui::TableNextColumn();
    // Clicking the address walks it as an instruction fetch in the Translation section.
    char addr_text[24];
    std::snprintf(addr_text, sizeof addr_text, "%s%016" PRIx64, r.is_pc ? ">" : " ", r.addr);
    if (ImGui::Selectable(addr_text)) pick_for_translation(st, r.addr, 0);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("Click: show how this address translates");
    ImGui::TableNextColumn();
    if (!r.readable)
      ImGui::TextDisabled("--");
    else if (r.len == 2)
      ImGui::Text("%04x    ", r.raw);
    else
      ImGui::Text("%08x", r.raw);
    ImGui::TableNextColumn();
    if (r.readable)
      ImGui::TextUnformatted(r.text.c_str());
    else
      ImGui::TextDisabled("%s", r.text.c_str());
  }
  ImGui::EndTable();
}

void draw_registers(App& app) {
  const std::vector<RegisterRow> regs = register_rows(app.machine().cpu());
  if (!ImGui::BeginTable(
          "regs", 4,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV))
    return;
  for (size_t i = 0; i < 16; ++i) {
    ImGui::TableNextRow();
    for (size_t half = 0; half < 2; ++half) {
      const RegisterRow& r = regs[i + half * 16];
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(r.name.c_str());
      ImGui::TableNextColumn();
      // Clicking a value walks it as a load address in the Translation section.
      char value_text[20];
      std::snprintf(value_text, sizeof value_text, "%016" PRIx64, r.value);
      ImGui::PushID(r.name.c_str());
      if (r.value == 0)
        ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
      if (ImGui::Selectable(value_text)) pick_for_translation(app.panel_state(), r.value, 1);
      if (r.value == 0) ImGui::PopStyleColor();
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("Click: show how this address translates");
      ImGui::PopID();
    }
  }
  ImGui::EndTable();
}

void draw_csrs(App& app) {
  if (!ImGui::BeginTable(
          "csrs", 3,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV))
    return;
  for (const CsrRow& r : csr_rows(app.machine().cpu())) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(r.name.c_str());
    ImGui::TableNextColumn();
    ImGui::Text("%016" PRIx64, r.value);
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(r.note.c_str());
  }
  ImGui::EndTable();
}

void draw_walk_rows(const TranslationView& v);

/// The page-table walk of an address (the pc when none is typed), level by level.
void draw_translation(App& app) {
  PanelState& st = app.panel_state();
  const Cpu& cpu = app.machine().cpu();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
  ImGui::InputTextWithHint("##va", "address (hex), empty: pc", st.translate_text,
                           sizeof st.translate_text);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
  ImGui::Combo("access", &st.translate_access, "fetch\0load\0store\0");
  const std::optional<uint64_t> typed = parse_address(st.translate_text);
  const uint64_t va = st.translate_text[0] && typed ? *typed : cpu.pc();
  static constexpr Access kAccess[] = {Access::Fetch, Access::Load, Access::Store};
  const TranslationView v = translation_view(cpu, va, kAccess[st.translate_access % 3]);
  draw_walk_diagram(walk_diagram(v));
  // The same walk as text rows, for copying addresses.
  if (!v.rows.empty() && ImGui::TreeNode("as text")) {
    draw_walk_rows(v);
    ImGui::TreePop();
  }
}

/// The walk's PTEs as a table.
void draw_walk_rows(const TranslationView& v) {
  if (ImGui::BeginTable(
          "walk", 5,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV)) {
    ImGui::TableSetupColumn("level");
    ImGui::TableSetupColumn("PTE address");
    ImGui::TableSetupColumn("PTE");
    ImGui::TableSetupColumn("DAGUXWRV");
    ImGui::TableSetupColumn("meaning");
    ImGui::TableHeadersRow();
    for (const WalkRow& r : v.rows) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%u", r.level);
      ImGui::TableNextColumn();
      ImGui::Text("%016" PRIx64, r.pte_addr);
      ImGui::TableNextColumn();
      ImGui::Text("%016" PRIx64, r.pte);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(r.bits.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(r.meaning.c_str());
    }
    ImGui::EndTable();
  }
}

}  // namespace

void draw_cpu_panel(App& app) {
  draw_controls(app);
  ImGui::Separator();
  if (ImGui::CollapsingHeader("Disassembly", ImGuiTreeNodeFlags_DefaultOpen)) draw_disassembly(app);
  if (ImGui::CollapsingHeader("Registers", ImGuiTreeNodeFlags_DefaultOpen)) draw_registers(app);
  if (ImGui::CollapsingHeader("CSRs", ImGuiTreeNodeFlags_DefaultOpen)) draw_csrs(app);
  PanelState& st = app.panel_state();
  if (st.translate_picked) {
    ImGui::SetNextItemOpen(true);
    st.translate_picked = false;
  }
  if (ImGui::CollapsingHeader("Translation")) draw_translation(app);
}

}  // namespace glassvm::ui
