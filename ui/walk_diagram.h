// The walk diagram: a page-table walk drawn box by box, for the hart's Sv39/Sv48 walk (the CPU
// panel's translation view) and for an IOVA walk through the RISC-V IOMMU (the IOMMU panel).
//
// Design note: the diagram takes a plain description (WalkDiagram: the boxes from the root to
// the last entry read, and the result), so one drawing serves both walks, and what each box
// says is decided by the adapters below, which are plain C++ tested natively. The drawing
// (draw_walk_diagram) only lays the boxes out with ImGui's ImDrawList and adds nothing of its
// own: the same text is in the boxes, in their tooltips, and in the views' text rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glassvm::ui {

struct TranslationView;
struct IovaWalkView;

/// One box: the root (a register or a context) or one entry the walk read.
struct WalkDiagramBox {
  std::string title;          ///< "satp", "level 2 PTE", "ddtp", "device context", ...
  bool has_addr = false;      ///< false for a register (nothing was read from memory)
  uint64_t addr = 0;          ///< where the entry was read
  uint64_t value = 0;         ///< the register's or the entry's value
  bool pte = false;           ///< a PTE: its flag bits are drawn as cells V R W X U G A D
  std::string meaning;        ///< in words: "pointer to the level 1 table at 0x...", ...
  bool superpage = false;     ///< a leaf above the 4 KiB level
  uint64_t sets_ad = 0;       ///< the A/D bits (kPteA, kPteD) the walker would set here
  bool stopped_here = false;  ///< the walk failed at this entry
};

/// A walk ready to draw.
struct WalkDiagram {
  std::string heading;                ///< the walk in one line (mode, access, root)
  std::vector<WalkDiagramBox> boxes;  ///< root first
  bool ok = false;
  std::string result;  ///< the physical address and page size, or the fault and why
  std::string note;    ///< one more line for the result box (an IOTLB hit or miss), or ""
};

/// The hart's walk: satp's root, one box per PTE read, the superpage and A/D marks on the
/// leaf, and the result. Without translation (Bare, M-mode) only the result.
WalkDiagram walk_diagram(const TranslationView& view);

/// An IOVA walk: one box per step (the first, a register such as ddtp, has no address), PTE
/// steps with their bits, the last PTE marked a superpage when its page is 2 MiB or larger,
/// and the IOTLB hit or miss as the result's note.
WalkDiagram walk_diagram(const IovaWalkView& view);

/// Draws `diagram` at the cursor, as wide as the space available, and moves the cursor below
/// it. Hovering a box shows its text in a tooltip. Call inside an ImGui window.
void draw_walk_diagram(const WalkDiagram& diagram);

}  // namespace glassvm::ui
