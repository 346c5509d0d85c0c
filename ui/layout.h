// Where each panel goes: the tiled layout of the ImGui panels over the canvas.
//
// Design note: the panels are tiled in columns (CPU | Memory Map | Machine over Performance on
// a wide canvas, two columns on a medium one) and re-tiled whenever the canvas size changes; in
// between, the user may move and resize them. A column is a list of panels with height
// weights; the IOMMU panel is one more entry when the machine has an IOMMU, the Lessons
// panel one more when the page shows it (larger while a lesson is open), and the JIT panel one
// more when the page shows it (the page always does). On a canvas too narrow
// for its columns (below kMinColumnWidth each) the columns are stacked into one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassvm::ui {

/// The panels, in the order their windows are submitted.
enum class PanelId { Cpu, MemoryMap, Machine, Performance, Iommu, Lessons, Jit };
constexpr int kPanelCount = 7;

/// The window title of a panel (also its ImGui id). Never null.
const char* panel_title(PanelId id);
/// The panel whose title is `name` (any case: "iommu", "Memory Map"), or nothing.
std::optional<PanelId> parse_panel(std::string_view name);

/// A panel's place on the canvas, in pixels.
struct PanelRect {
  PanelId id;
  float x = 0, y = 0, w = 0, h = 0;
};

/// One column of the layout: its width weight and its panels with their height weights.
struct LayoutColumn {
  float weight = 1;
  std::vector<std::pair<PanelId, float>> panels;
};

/// How much room the Lessons panel gets: none (not shown), a list of lessons, or an open lesson
/// (its text and buttons: the larger share of its column).
enum class LessonsRoom { None, List, Open };

/// The default arrangement: CPU | Memory Map | Machine over Performance. With `iommu` (the
/// machine has one), the IOMMU panel shares the middle column with the Memory Map. The Lessons
/// panel goes under Performance, in the column next to the page's console. With `jit`, the JIT
/// panel goes under the Memory Map (and the IOMMU panel), where it is widest.
std::vector<LayoutColumn> default_layout(bool iommu = false,
                                         LessonsRoom lessons = LessonsRoom::None, bool jit = false);

/// The arrangement for a canvas `width` pixels wide: default_layout() from 960 px, two columns
/// (CPU over Performance | Memory Map over Machine, the IOMMU panel between them; the Lessons
/// panel between CPU and Performance; the JIT panel under Machine) from 640 px, otherwise one
/// column.
std::vector<LayoutColumn> layout_for_width(float width, bool iommu = false,
                                           LessonsRoom lessons = LessonsRoom::None,
                                           bool jit = false);

/// Tiles `columns` over a `width` x `height` canvas. Rects do not overlap and lie within the
/// canvas; a non-positive size gives no rects.
std::vector<PanelRect> tile(const std::vector<LayoutColumn>& columns, float width, float height);

}  // namespace glassvm::ui
