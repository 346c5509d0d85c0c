// The JIT panel: the last translations the JIT made (newest first) and, for the selected one,
// its RISC-V instructions beside the wasm text they became, each in its own scrolling pane.
// What is shown are the JIT panel's copies (ui/jit_view.h), never the JIT's own state.
#include "imgui.h"
#include "ui/app.h"
#include "ui/jit_view.h"
#include "ui/panels.h"
#include "ui/text_internal.h"

namespace glassvm::ui {

namespace {

/// The list of translations, newest first; clicking one selects it.
void draw_translation_list(const JitTranslationLog& log, uint64_t& selected, float height) {
  ImGui::BeginChild("##translations", ImVec2(0, height), true);
  const auto& records = log.records();
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    ImGui::PushID(static_cast<int>(it->seq));
    if (ImGui::Selectable(jit_translation_label(*it).c_str(), it->seq == selected))
      selected = it->seq;
    ImGui::PopID();
  }
  ImGui::EndChild();
}

/// One titled, scrolling pane of text (horizontal scrolling too: wasm lines run long).
void draw_text_pane(const char* id, const char* title, const std::string& text, float width) {
  ImGui::BeginGroup();
  ImGui::TextDisabled("%s", title);
  ImGui::BeginChild(id, ImVec2(width, 0), true, ImGuiWindowFlags_HorizontalScrollbar);
  ImGui::TextUnformatted(text.data(), text.data() + text.size());
  ImGui::EndChild();
  ImGui::EndGroup();
}

void draw_translation(const JitTranslationRecord& r) {
  ImGui::Text("Page %s: %u entries, %u bytes of wasm, %.2f ms to compile%s",
              hex(r.guest_page).c_str(), r.entry_count, r.wasm_bytes,
              static_cast<double>(r.compile_ns) / 1e6, r.truncated ? " (cut to fit)" : "");
  const float half = (ImGui::GetContentRegionAvail().x - ImGui::GetStyle().ItemSpacing.x) / 2;
  draw_text_pane("##riscv", "RISC-V", r.riscv, half);
  ImGui::SameLine();
  draw_text_pane("##wat", "wasm text", r.wat, half);
}

}  // namespace

void draw_jit_panel(App& app) {
  draw_jit_view(app.jit_status(), app.jit_translations(), app.panel_state().jit_selected_seq);
}

void draw_jit_view(const JitStatus& status, const JitTranslationLog& log, uint64_t& selected) {
  ImGui::TextUnformatted(jit_status_lines(status).front().c_str());
  ImGui::Text("%zu translations kept of %llu made (%.0f KiB)", log.records().size(),
              static_cast<unsigned long long>(log.added()),
              static_cast<double>(log.bytes()) / 1024);
  if (log.records().empty()) {
    ImGui::TextWrapped(
        status.available
            ? "No translations yet. Code the guest runs often is translated to WebAssembly "
              "page by page; each translation appears here with its RISC-V instructions and "
              "the wasm text they became."
            : "Without a JIT the interpreter runs every instruction, and nothing is translated. "
              "The Performance panel has the JIT's switch.");
    return;
  }
  if (log.find(selected) == nullptr) selected = log.records().back().seq;
  draw_translation_list(log, selected, ImGui::GetContentRegionAvail().y * 0.3f);
  draw_translation(*log.find(selected));
}

}  // namespace glassvm::ui
