// The walk diagram: the adapters (plain C++) and the drawing (ImDrawList). See walk_diagram.h.
#include "ui/walk_diagram.h"

#include <algorithm>

#include "engine/cpu/pte.h"
#include "imgui.h"
#include "ui/iommu_state_view.h"
#include "ui/text_internal.h"
#include "ui/translation_view.h"

namespace glassvm::ui {

// [SECTION] Adapters

WalkDiagram walk_diagram(const TranslationView& view) {
  WalkDiagram d;
  const PageWalk& w = view.walk;
  d.heading = view.heading;
  d.ok = w.ok;
  d.result = view.result;
  if (!w.paged) return d;
  WalkDiagramBox root;
  root.title = "satp";
  root.value = w.root;
  root.meaning = std::string(w.levels == 4 ? "Sv48" : "Sv39") + ": the root table (level " +
                 std::to_string(w.levels - 1) + ") is at " + hex(w.root);
  d.boxes.push_back(std::move(root));
  for (size_t i = 0; i < view.rows.size(); ++i) {
    const WalkRow& r = view.rows[i];
    const bool last = i + 1 == view.rows.size();
    WalkDiagramBox b;
    b.title = "level " + std::to_string(r.level) + " PTE";
    b.has_addr = true;
    b.addr = r.pte_addr;
    b.value = r.pte;
    b.pte = true;
    b.meaning = r.meaning;
    b.superpage = last && w.ok && r.level > 0;
    b.sets_ad = last && w.ok ? w.sets_ad : 0;
    b.stopped_here = last && !w.ok;
    d.boxes.push_back(std::move(b));
  }
  return d;
}

WalkDiagram walk_diagram(const IovaWalkView& view) {
  WalkDiagram d;
  d.heading = view.heading;
  d.ok = view.ok;
  d.result = view.result;
  if (view.iotlb_hit) {
    d.note = *view.iotlb_hit ? "IOTLB: hit (the IOMMU would not walk)"
                             : "IOTLB: miss (the IOMMU walks as drawn)";
  }
  size_t last_pte = view.steps.size();
  for (size_t i = 0; i < view.steps.size(); ++i) {
    const IovaWalkStep& s = view.steps[i];
    WalkDiagramBox b;
    b.title = s.what;
    b.has_addr = s.addr != 0;
    b.addr = s.addr;
    b.value = s.value;
    b.pte = !s.bits.empty();
    b.meaning = s.meaning;
    if (b.pte) last_pte = i;
    d.boxes.push_back(std::move(b));
  }
  if (!d.boxes.empty() && !view.ok) d.boxes.back().stopped_here = true;
  // A superpage is a leaf above the 4 KiB level: 2 MiB or more (a 64 KiB Svnapot page is a
  // level-0 leaf, and page_size 0 means no translation).
  if (view.ok && last_pte + 1 == d.boxes.size() && view.page_size >= (1u << 21) &&
      pte_is_leaf(d.boxes[last_pte].value))
    d.boxes[last_pte].superpage = true;
  return d;
}

// [SECTION] Drawing

namespace {

constexpr ImU32 kBoxFill = IM_COL32(38, 44, 56, 255);
constexpr ImU32 kBoxBorder = IM_COL32(110, 122, 145, 255);
constexpr ImU32 kTitle = IM_COL32(255, 214, 120, 255);
constexpr ImU32 kText = IM_COL32(225, 228, 235, 255);
constexpr ImU32 kDim = IM_COL32(150, 156, 170, 255);
constexpr ImU32 kBitSet = IM_COL32(60, 150, 90, 255);
constexpr ImU32 kBitClear = IM_COL32(62, 66, 76, 255);
constexpr ImU32 kFault = IM_COL32(230, 85, 75, 255);
constexpr ImU32 kFaultFill = IM_COL32(90, 30, 30, 255);
constexpr ImU32 kOk = IM_COL32(90, 190, 110, 255);
constexpr ImU32 kSuperpage = IM_COL32(235, 150, 60, 255);
constexpr ImU32 kSetsAd = IM_COL32(90, 160, 235, 255);

/// The first line of a box: its title, then where it was read and its value.
std::string address_line(const WalkDiagramBox& b) {
  std::string out = hex(b.value);
  if (b.has_addr) out = "at " + hex(b.addr) + " = " + out;
  return out;
}

/// The text a box shows, for its tooltip.
std::string box_tooltip(const WalkDiagramBox& b) {
  std::string out = b.title + " " + address_line(b);
  if (b.pte) out += "\nbits DAGUXWRV " + pte_bits(b.value);
  out += "\n" + b.meaning;
  if (b.superpage) out += "\na superpage: the leaf is above the 4 KiB level";
  if (b.sets_ad) {
    out += "\nthe walker sets ";
    out += b.sets_ad == (kPteA | kPteD) ? "A and D" : (b.sets_ad & kPteA) ? "A" : "D";
    out += " in this PTE";
  }
  return out;
}

/// A small labelled tag ("superpage") at `pos`; returns its width.
float draw_tag(ImDrawList* dl, ImVec2 pos, const char* text, ImU32 col) {
  const ImVec2 size = ImGui::CalcTextSize(text);
  const float pad = ImGui::GetFontSize() * 0.3f;
  dl->AddRect(pos, ImVec2(pos.x + size.x + 2 * pad, pos.y + size.y + 2), col, 3.0f);
  dl->AddText(ImVec2(pos.x + pad, pos.y + 1), col, text);
  return size.x + 2 * pad;
}

/// The eight flag cells V R W X U G A D, bit 0 first; returns their width.
float draw_bits(ImDrawList* dl, ImVec2 pos, uint64_t pte, float line) {
  const float cell = line * 1.3f;
  for (unsigned bit = 0; bit < 8; ++bit) {
    const ImVec2 a(pos.x + bit * cell, pos.y);
    const ImVec2 b(a.x + cell - 2, a.y + line);
    const bool set = (pte >> bit) & 1;
    dl->AddRectFilled(a, b, set ? kBitSet : kBitClear, 2.0f);
    const char letter[2] = {kPteFlagNames[bit], 0};
    const ImVec2 ts = ImGui::CalcTextSize(letter);
    dl->AddText(ImVec2(a.x + (cell - 2 - ts.x) / 2, a.y + (line - ts.y) / 2), set ? kText : kDim,
                letter);
  }
  return 8 * cell;
}

/// A downward arrow from `top` of length `len`.
void draw_arrow(ImDrawList* dl, ImVec2 top, float len, ImU32 col) {
  const float head = len * 0.4f;
  dl->AddLine(top, ImVec2(top.x, top.y + len - head), col, 2.0f);
  dl->AddTriangleFilled(ImVec2(top.x - head * 0.6f, top.y + len - head),
                        ImVec2(top.x + head * 0.6f, top.y + len - head), ImVec2(top.x, top.y + len),
                        col);
}

/// Shows `text` as a tooltip while the mouse is over the rectangle.
void tooltip_over(ImVec2 a, ImVec2 b, const std::string& text) {
  if (ImGui::IsWindowHovered() && ImGui::IsMouseHoveringRect(a, b))
    ImGui::SetTooltip("%s", text.c_str());
}

}  // namespace

void draw_walk_diagram(const WalkDiagram& d) {
  if (!d.heading.empty()) ImGui::TextWrapped("%s", d.heading.c_str());
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const float line = ImGui::GetTextLineHeight();
  const float pad = ImGui::GetStyle().FramePadding.x + 2;
  const float width = std::max(ImGui::GetContentRegionAvail().x - 2, line * 16);
  const float wrap = width - 2 * pad;
  const float gap = line * 1.4f;  // the arrow between boxes
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  float y = origin.y;

  for (size_t i = 0; i < d.boxes.size(); ++i) {
    const WalkDiagramBox& b = d.boxes[i];
    const ImVec2 meaning_size = ImGui::CalcTextSize(b.meaning.c_str(), nullptr, false, wrap);
    const std::string addr = address_line(b);
    const float title_w = ImGui::CalcTextSize(b.title.c_str()).x + line * 0.6f;
    // The address and value beside the title when they fit, else on a line of their own.
    const bool addr_below = title_w + ImGui::CalcTextSize(addr.c_str()).x > wrap;
    const float height =
        pad + line * (addr_below ? 2 : 1) + (b.pte ? line + 4 : 0) + meaning_size.y + pad;
    const ImVec2 a(origin.x, y), z(origin.x + width, y + height);
    dl->AddRectFilled(a, z, b.stopped_here ? kFaultFill : kBoxFill, 4.0f);
    dl->AddRect(a, z, b.stopped_here ? kFault : kBoxBorder, 4.0f, 0, b.stopped_here ? 2.0f : 1.0f);
    dl->PushClipRect(a, z, true);  // a narrow panel cuts the text at the box's edge
    ImVec2 p(a.x + pad, a.y + pad);
    dl->AddText(p, kTitle, b.title.c_str());
    if (addr_below) p.y += line;
    dl->AddText(ImVec2(addr_below ? p.x : p.x + title_w, p.y), kText, addr.c_str());
    p.y += line;
    if (b.pte) {
      float x = p.x + draw_bits(dl, ImVec2(p.x, p.y + 2), b.value, line) + line * 0.5f;
      if (b.superpage) x += draw_tag(dl, ImVec2(x, p.y + 2), "superpage", kSuperpage) + line * 0.4f;
      if (b.sets_ad) {
        const char* tag = b.sets_ad == (kPteA | kPteD) ? "hart sets A, D here"
                          : (b.sets_ad & kPteA)        ? "hart sets A here"
                                                       : "hart sets D here";
        draw_tag(dl, ImVec2(x, p.y + 2), tag, kSetsAd);
      }
      p.y += line + 4;
    }
    dl->AddText(ImGui::GetFont(), ImGui::GetFontSize(), p, b.stopped_here ? kFault : kText,
                b.meaning.c_str(), nullptr, wrap);
    dl->PopClipRect();
    tooltip_over(a, z, box_tooltip(b));
    y += height;
    draw_arrow(dl, ImVec2(origin.x + line * 2, y + 2), gap - 4, b.stopped_here ? kFault : kDim);
    y += gap;
  }

  // The result: the physical address and page size, or the fault and why.
  const std::string label = d.ok ? "result" : "fault";
  const ImVec2 result_size = ImGui::CalcTextSize(d.result.c_str(), nullptr, false, wrap);
  const ImVec2 note_size = d.note.empty() ? ImVec2(0, 0) : ImGui::CalcTextSize(d.note.c_str());
  const float height = pad + line + result_size.y + note_size.y + pad;
  const ImVec2 a(origin.x, y), z(origin.x + width, y + height);
  dl->AddRectFilled(a, z, d.ok ? kBoxFill : kFaultFill, 4.0f);
  dl->AddRect(a, z, d.ok ? kOk : kFault, 4.0f, 0, 2.0f);
  dl->PushClipRect(a, z, true);
  ImVec2 p(a.x + pad, a.y + pad);
  dl->AddText(p, d.ok ? kOk : kFault, label.c_str());
  p.y += line;
  dl->AddText(ImGui::GetFont(), ImGui::GetFontSize(), p, kText, d.result.c_str(), nullptr, wrap);
  p.y += result_size.y;
  if (!d.note.empty()) dl->AddText(p, kDim, d.note.c_str());
  dl->PopClipRect();
  tooltip_over(a, z, label + ": " + d.result + (d.note.empty() ? "" : "\n" + d.note));
  y += height;

  ImGui::Dummy(ImVec2(width, y - origin.y + 2));
}

}  // namespace glassvm::ui
