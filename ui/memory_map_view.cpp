#include "ui/memory_map_view.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "ui/json_internal.h"

namespace glassvm::ui {

namespace {

constexpr unsigned kMaxDepth = 256;

uint64_t last_offset(unsigned __int128 size) {
  return size == 0 ? 0 : static_cast<uint64_t>(size - 1);
}

void walk(const MemoryRegion* mr, unsigned depth, uint64_t base, std::vector<RegionRow>& rows) {
  if (mr == nullptr || depth > kMaxDepth) return;
  RegionRow row;
  row.depth = depth;
  row.name = mr->name();
  row.kind = region_kind_name(*mr);
  row.start = base + mr->addr();
  row.last = row.start + last_offset(mr->size128());
  row.priority = mr->priority();
  row.enabled = mr->enabled();
  row.is_alias = mr->kind() == RegionKind::Alias;
  if (row.is_alias) {
    row.alias_target = mr->alias_target() ? mr->alias_target()->name() : "";
    row.alias_offset = mr->alias_offset();
  }
  row.has_children = !mr->subregions().empty();
  const uint64_t start = row.start;
  rows.push_back(std::move(row));

  std::vector<const MemoryRegion*> subs(mr->subregions().begin(), mr->subregions().end());
  std::stable_sort(subs.begin(), subs.end(), [](const MemoryRegion* a, const MemoryRegion* b) {
    if (a->addr() != b->addr()) return a->addr() < b->addr();
    return a->priority() > b->priority();
  });
  for (const MemoryRegion* sub : subs) walk(sub, depth + 1, start, rows);
}

}  // namespace

std::vector<RegionRow> region_rows(const MemoryRegion* root) {
  std::vector<RegionRow> rows;
  walk(root, 0, 0, rows);
  return rows;
}

std::vector<FlatRow> flat_rows(const AddressSpace& as) {
  std::vector<FlatRow> rows;
  for (const FlatRange& r : as.flat_view().ranges()) {
    FlatRow row;
    row.start = r.start;
    row.last = r.start + last_offset(r.size);
    row.name = r.mr ? r.mr->name() : "";
    row.kind = r.readonly ? "rom" : (r.mr ? region_kind_name(*r.mr) : "i/o");
    row.priority = r.mr ? r.mr->priority() : 0;
    row.offset_in_region = r.offset_in_region;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string flat_rows_json(const std::vector<FlatRow>& rows) {
  std::string out = "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    const FlatRow& r = rows[i];
    if (i) out += ',';
    out += "{\"start\":\"" + hex64(r.start) + "\",\"end\":\"" + hex64(r.last) + "\",\"name\":";
    json_append_string(out, r.name);
    out += ",\"kind\":";
    json_append_string(out, r.kind);
    out += ",\"priority\":" + std::to_string(r.priority) + "}";
  }
  out += "]";
  return out;
}

AddressBar::AddressBar(const std::vector<FlatRow>& rows, double width) : width_(width) {
  if (rows.empty() || !(width > 0)) return;
  // First pass in abstract units, then scale to the width.
  double units = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const FlatRow& r = rows[i];
    if (i > 0 && rows[i - 1].last + 1 < r.start) {
      BarSegment gap;
      gap.hole = true;
      gap.start = rows[i - 1].last + 1;
      gap.last = r.start - 1;
      gap.x0 = units;
      units += kGapUnits;
      gap.x1 = units;
      segments_.push_back(gap);
    }
    // size = last - start + 1, as a double (2^64 for a range covering everything).
    const double size = static_cast<double>(r.last - r.start) + 1.0;
    BarSegment seg;
    seg.row = static_cast<int>(i);
    seg.start = r.start;
    seg.last = r.last;
    seg.x0 = units;
    units += kMinUnits + std::log2(size);
    seg.x1 = units;
    segments_.push_back(seg);
  }
  const double scale = width / units;
  for (BarSegment& s : segments_) {
    s.x0 *= scale;
    s.x1 *= scale;
  }
  segments_.back().x1 = width;  // no rounding gap at the right edge
}

const BarSegment* AddressBar::at(double x) const {
  if (segments_.empty() || x < 0 || x > width_) return nullptr;
  // First segment whose right edge is beyond x (the last one includes x == width).
  auto it = std::upper_bound(segments_.begin(), segments_.end(), x,
                             [](double v, const BarSegment& s) { return v < s.x1; });
  if (it == segments_.end()) return &segments_.back();
  return &*it;
}

double AddressBar::x_of(uint64_t addr) const {
  for (const BarSegment& s : segments_) {
    if (addr < s.start || addr > s.last) continue;
    const double span = static_cast<double>(s.last - s.start) + 1.0;
    const double frac = static_cast<double>(addr - s.start) / span;
    return s.x0 + frac * (s.x1 - s.x0);
  }
  return -1.0;
}

std::string describe(const FlatRow& row) {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "\nkind: %s\nrange: 0x%016" PRIx64 "-0x%016" PRIx64 "\npriority: %d",
                row.kind.c_str(), row.start, row.last, row.priority);
  std::string out = row.name;
  out += buf;
  if (row.offset_in_region != 0) {
    std::snprintf(buf, sizeof buf, "\noffset in region: 0x%" PRIx64, row.offset_in_region);
    out += buf;
  }
  return out;
}

}  // namespace glassvm::ui
