#include "ui/layout.h"

#include <algorithm>
#include <cctype>

namespace glassvm::ui {

namespace {
constexpr float kMinColumnWidth = 320;

/// The Lessons panel's height weight: a list is short, an open lesson takes room.
float lessons_weight(LessonsRoom lessons, float list, float open) {
  return lessons == LessonsRoom::Open ? open : list;
}
}  // namespace

const char* panel_title(PanelId id) {
  switch (id) {
    case PanelId::Cpu: return "CPU";
    case PanelId::MemoryMap: return "Memory Map";
    case PanelId::Machine: return "Machine";
    case PanelId::Performance: return "Performance";
    case PanelId::Iommu: return "IOMMU";
    case PanelId::Lessons: return "Lessons";
    case PanelId::Jit: return "JIT";
  }
  return "?";
}

std::optional<PanelId> parse_panel(std::string_view name) {
  for (int i = 0; i < kPanelCount; ++i) {
    const auto id = static_cast<PanelId>(i);
    const std::string_view title = panel_title(id);
    if (title.size() == name.size() &&
        std::equal(title.begin(), title.end(), name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        }))
      return id;
  }
  return std::nullopt;
}

std::vector<LayoutColumn> default_layout(bool iommu, LessonsRoom lessons, bool jit) {
  std::vector<LayoutColumn> columns = {
      {1.0f, {{PanelId::Cpu, 1.0f}}},
      {1.1f, {{PanelId::MemoryMap, 1.0f}}},
      {0.9f, {{PanelId::Machine, 0.5f}, {PanelId::Performance, 0.5f}}},
  };
  if (iommu) columns[1].panels.push_back({PanelId::Iommu, 1.0f});
  if (jit) columns[1].panels.push_back({PanelId::Jit, 0.6f});
  if (lessons != LessonsRoom::None)
    columns[2].panels.push_back({PanelId::Lessons, lessons_weight(lessons, 0.6f, 1.8f)});
  return columns;
}

std::vector<LayoutColumn> layout_for_width(float width, bool iommu, LessonsRoom lessons, bool jit) {
  if (width >= 3 * kMinColumnWidth) return default_layout(iommu, lessons, jit);
  if (width >= 2 * kMinColumnWidth) {
    std::vector<LayoutColumn> columns = {
        {1.0f, {{PanelId::Cpu, 0.62f}, {PanelId::Performance, 0.38f}}},
        {1.0f, {{PanelId::MemoryMap, 0.6f}, {PanelId::Machine, 0.4f}}},
    };
    if (iommu) columns[1].panels.insert(columns[1].panels.begin() + 1, {PanelId::Iommu, 0.8f});
    if (jit) columns[1].panels.push_back({PanelId::Jit, 0.5f});
    if (lessons != LessonsRoom::None) {
      columns[0].panels.insert(columns[0].panels.begin() + 1,
                               {PanelId::Lessons, lessons_weight(lessons, 0.4f, 0.9f)});
    }
    return columns;
  }
  std::vector<LayoutColumn> columns = {{1.0f,
                                        {{PanelId::Cpu, 1.0f},
                                         {PanelId::MemoryMap, 1.0f},
                                         {PanelId::Machine, 0.6f},
                                         {PanelId::Performance, 0.6f}}}};
  if (iommu) columns[0].panels.push_back({PanelId::Iommu, 1.0f});
  if (jit) columns[0].panels.push_back({PanelId::Jit, 0.6f});
  if (lessons != LessonsRoom::None)
    columns[0].panels.push_back({PanelId::Lessons, lessons_weight(lessons, 0.6f, 1.0f)});
  return columns;
}

std::vector<PanelRect> tile(const std::vector<LayoutColumn>& columns, float width, float height) {
  std::vector<PanelRect> rects;
  if (!(width > 0) || !(height > 0) || columns.empty()) return rects;
  if (width < kMinColumnWidth * static_cast<float>(columns.size()) && columns.size() > 1) {
    // Narrow: one column holding every panel.
    LayoutColumn single{1.0f, {}};
    for (const LayoutColumn& c : columns)
      for (const auto& p : c.panels) single.panels.push_back(p);
    return tile({single}, width, height);
  }
  float total_w = 0;
  for (const LayoutColumn& c : columns) total_w += c.weight > 0 ? c.weight : 0;
  if (!(total_w > 0)) return rects;
  float x = 0;
  for (size_t ci = 0; ci < columns.size(); ++ci) {
    const LayoutColumn& c = columns[ci];
    const float w =
        ci + 1 == columns.size() ? width - x : width * (c.weight > 0 ? c.weight : 0) / total_w;
    float total_h = 0;
    for (const auto& p : c.panels) total_h += p.second > 0 ? p.second : 0;
    float y = 0;
    for (size_t pi = 0; pi < c.panels.size(); ++pi) {
      const auto& [id, weight] = c.panels[pi];
      float h = total_h > 0 ? height * (weight > 0 ? weight : 0) / total_h : 0;
      if (pi + 1 == c.panels.size()) h = height - y;
      rects.push_back({id, x, y, w, h});
      y += h;
    }
    x += w;
  }
  return rects;
}

}  // namespace glassvm::ui
