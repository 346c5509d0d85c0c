// The IOMMU panel's state sections: what the IOMMU holds now (registers, device contexts or
// endpoints, mappings, fault history) and the walk of one IOVA, from ui/iommu_state_view.h.
//
// Design note: the views read guest memory (a mapping table can take thousands of debug reads),
// so the panel keeps them in PanelState::iommu_state and rebuilds them only when the machine
// or the inputs change, or, at most every kRefreshSeconds, when the guest has run or the event
// log has grown since the last build; a paused machine costs nothing per frame. The mapping
// table draws only its visible rows (ImGuiListClipper).
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "engine/board/machine.h"
#include "imgui.h"
#include "iommu/iommu_trace.h"
#include "ui/app.h"
#include "ui/iommu_state_view.h"
#include "ui/panels.h"

namespace glassvm::ui {

namespace {

constexpr double kRefreshSeconds = 0.25;
/// The most mapping rows the table holds (the JS API has its own bound).
constexpr size_t kMaxMappingRows = 4096;

constexpr ImGuiTableFlags kTableFlags =
    ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_BordersInnerV;

std::optional<uint32_t> parse_device(const char* text) {
  if (text[0] == 0) return std::nullopt;
  return static_cast<uint32_t>(std::strtoul(text, nullptr, 10));
}

/// Rebuilds the cached views when they may be stale (see the file note).
void refresh(App& app, IommuStatePanelState& st) {
  Machine& m = app.machine();
  const IommuEventLog* log = app.iommu_log();
  const uint64_t seq = log ? log->last_seq() : 0;
  const std::string inputs = std::string(st.mapping_device_text) + "|" + st.walk_device_text + "|" +
                             st.walk_iova_text + "|" + std::to_string(st.walk_access);
  const double now = ImGui::GetTime();
  const bool changed = app.machine_epoch() != st.built_epoch || inputs != st.built_inputs;
  const bool moved = seq != st.built_seq || m.guest_ns() != st.built_guest_ns;
  if (!changed && !(moved && now - st.built_at >= kRefreshSeconds)) return;
  st.state = iommu_state_view(m);
  st.mappings = iommu_mappings(m, parse_device(st.mapping_device_text), kMaxMappingRows,
                               &st.mappings_truncated);
  st.walk_valid = st.walk_device_text[0] != 0 && st.walk_iova_text[0] != 0;
  if (st.walk_valid) {
    st.walk =
        iova_walk_view(m, static_cast<uint32_t>(std::strtoul(st.walk_device_text, nullptr, 10)),
                       std::strtoull(st.walk_iova_text, nullptr, 16),
                       st.walk_access == 1 ? kIommuWrite : kIommuRead);
  }
  st.built_inputs = inputs;
  st.built_at = now;
  st.built_seq = seq;
  st.built_epoch = app.machine_epoch();
  st.built_guest_ns = m.guest_ns();
}

void cell(const std::string& text) {
  ImGui::TableNextColumn();
  ImGui::TextUnformatted(text.c_str());
}
void cell_hex(uint64_t v) {
  ImGui::TableNextColumn();
  ImGui::Text("0x%" PRIx64, v);
}

void draw_fields(const char* id, const std::vector<IommuField>& fields) {
  if (!ImGui::BeginTable(id, 3, kTableFlags)) return;
  for (const char* h : {"field", "value", "meaning"}) ImGui::TableSetupColumn(h);
  ImGui::TableHeadersRow();
  for (const IommuField& f : fields) {
    ImGui::TableNextRow();
    cell(f.name);
    cell_hex(f.value);
    cell(f.meaning);
  }
  ImGui::EndTable();
}

void draw_contexts(const IommuStateView& v) {
  if (v.contexts.empty()) {
    ImGui::TextDisabled("No device behind the IOMMU.");
    return;
  }
  for (const IommuContextView& c : v.contexts) {
    ImGui::PushID(static_cast<int>(c.device));
    if (ImGui::TreeNode("ctx", "%u %s: %s", c.device, c.name.c_str(), c.summary.c_str())) {
      if (c.context_addr != 0) ImGui::Text("device context at 0x%" PRIx64, c.context_addr);
      if (!c.error.empty())
        ImGui::TextColored(ImVec4(1.0f, 0.45f, 0.35f, 1.0f), "%s", c.error.c_str());
      if (!c.fields.empty()) draw_fields("fields", c.fields);
      ImGui::TreePop();
    }
    ImGui::PopID();
  }
}

void draw_mappings(IommuStatePanelState& st) {
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
  ImGui::InputTextWithHint("##mapdev", "device", st.mapping_device_text,
                           sizeof st.mapping_device_text, ImGuiInputTextFlags_CharsDecimal);
  ImGui::SameLine();
  ImGui::Text("%zu mapping(s)%s", st.mappings.size(),
              st.mappings_truncated ? " (more not shown)" : "");
  if (st.mappings.empty()) return;
  const float height = ImGui::GetFontSize() * 14;
  if (!ImGui::BeginTable("mappings", 5, kTableFlags | ImGuiTableFlags_ScrollY, ImVec2(0, height)))
    return;
  ImGui::TableSetupScrollFreeze(0, 1);
  for (const char* h : {"dev", "IOVA", "physical", "perm", "domain"}) ImGui::TableSetupColumn(h);
  ImGui::TableHeadersRow();
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(st.mappings.size()));
  while (clipper.Step()) {
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const IommuMappingRow& r = st.mappings[static_cast<size_t>(i)];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::Text("%u", r.device);
      ImGui::TableNextColumn();
      ImGui::Text("0x%" PRIx64 "-0x%" PRIx64, r.iova, r.last);
      cell_hex(r.pa);
      cell(iommu_perm_name(r.perm));
      cell(r.domain ? std::to_string(*r.domain) : "-");
    }
  }
  ImGui::EndTable();
}

void draw_faults(const IommuStateView& v) {
  ImGui::Text("%zu kept, %" PRIu64 " dropped by the IOMMU", v.faults.size(), v.faults_dropped);
  if (v.faults.empty()) return;
  const float height = ImGui::GetFontSize() * 10;
  if (!ImGui::BeginTable("faults", 7, kTableFlags | ImGuiTableFlags_ScrollY, ImVec2(0, height)))
    return;
  ImGui::TableSetupScrollFreeze(0, 1);
  for (const char* h : {"#", "guest time", "dev", "cause", "type", "IOVA", "queue"})
    ImGui::TableSetupColumn(h);
  ImGui::TableHeadersRow();
  for (auto it = v.faults.rbegin(); it != v.faults.rend(); ++it) {  // newest first
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::Text("%" PRIu64, it->seq);
    ImGui::TableNextColumn();
    ImGui::Text("%.6f s", static_cast<double>(it->time_ns) / 1e9);
    ImGui::TableNextColumn();
    ImGui::Text("%u", it->device);
    ImGui::TableNextColumn();
    ImGui::Text("%u %s", it->cause, it->text.c_str());
    cell(it->type);
    cell_hex(it->iova);
    cell(it->delivered ? "written" : "dropped");
  }
  ImGui::EndTable();
}

void draw_walk(IommuStatePanelState& st) {
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
  ImGui::InputTextWithHint("##walkdev", "device", st.walk_device_text, sizeof st.walk_device_text,
                           ImGuiInputTextFlags_CharsDecimal);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 10);
  ImGui::InputTextWithHint("##walkiova", "IOVA (hex)", st.walk_iova_text, sizeof st.walk_iova_text,
                           ImGuiInputTextFlags_CharsHexadecimal);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 5);
  ImGui::Combo("access##walk", &st.walk_access, "read\0write\0");
  if (!st.walk_valid) {
    ImGui::TextDisabled("Type a device id and an IOVA to walk the IOMMU's tables.");
    return;
  }
  const IovaWalkView& w = st.walk;
  ImGui::TextWrapped("%s", w.heading.c_str());
  if (w.iotlb_hit) ImGui::Text("IOTLB: %s", *w.iotlb_hit ? "hit (cached now)" : "miss");
  if (!w.steps.empty() && ImGui::BeginTable("walk", 5, kTableFlags)) {
    for (const char* h : {"step", "address", "value", "bits", "meaning"})
      ImGui::TableSetupColumn(h);
    ImGui::TableHeadersRow();
    for (const IovaWalkStep& s : w.steps) {
      ImGui::TableNextRow();
      cell(s.what);
      if (s.addr != 0)
        cell_hex(s.addr);
      else
        cell("-");
      cell_hex(s.value);
      cell(s.bits);
      cell(s.meaning);
    }
    ImGui::EndTable();
  }
  const ImVec4 color = w.ok ? ImVec4(0.5f, 0.9f, 0.5f, 1.0f) : ImVec4(1.0f, 0.45f, 0.35f, 1.0f);
  ImGui::TextColored(color, "%s", w.result.c_str());
}

}  // namespace

void draw_iommu_state(App& app) {
  IommuStatePanelState& st = app.panel_state().iommu_state;
  refresh(app, st);
  if (st.state.model.empty()) return;
  if (ImGui::CollapsingHeader("Registers")) draw_fields("registers", st.state.registers);
  if (ImGui::CollapsingHeader(st.state.model == "virtio-iommu" ? "Endpoints" : "Device contexts",
                              ImGuiTreeNodeFlags_DefaultOpen))
    draw_contexts(st.state);
  if (ImGui::CollapsingHeader("Mappings", ImGuiTreeNodeFlags_DefaultOpen)) draw_mappings(st);
  if (ImGui::CollapsingHeader("Faults", ImGuiTreeNodeFlags_DefaultOpen)) draw_faults(st.state);
  if (ImGui::CollapsingHeader("IOVA walk", ImGuiTreeNodeFlags_DefaultOpen)) draw_walk(st);
}

}  // namespace glassvm::ui
