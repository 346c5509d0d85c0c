// The Memory Map panel's view model: what the panel draws, computed from an AddressSpace.
//
// Design note: plain C++ without ImGui, so that everything the panel shows is unit-tested
// natively. The address bar cannot use a linear scale: on the virt board 128 MiB of RAM sits
// next to 8-byte MMIO windows and 2 GiB of holes. It uses a gap-compressed logarithmic scale
// instead: every mapped flat range gets a width proportional to
//   kMinUnits + log2(size in bytes)
// (so an 8-byte UART window is still a few pixels wide, and 128 MiB of RAM is only about three
// times wider), and every hole between two ranges is drawn as a fixed-width gap of kGapUnits.
// The segments keep the address order, so reading the bar left to right walks the map upwards.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/memory/memory.h"

namespace glassvm::ui {

/// One row of the region tree (QEMU `info mtree` without -f, one line per region).
struct RegionRow {
  unsigned depth = 0;  ///< 0 for the root
  std::string name;
  std::string kind;    ///< region_kind_name()
  uint64_t start = 0;  ///< absolute address (container bases added)
  uint64_t last = 0;   ///< absolute address of the last byte (start for an empty region)
  int priority = 0;
  bool enabled = true;
  bool is_alias = false;
  std::string alias_target;   ///< the target's name, for aliases ("" if none)
  uint64_t alias_offset = 0;  ///< offset into the target, for aliases
  bool has_children = false;
};

/// The region tree under `root` in depth-first order, children sorted like `info mtree` (by
/// address, then higher priority first). Disabled regions are included with enabled=false.
/// A null root gives no rows; a tree deeper than 256 levels is cut there (never a crash).
std::vector<RegionRow> region_rows(const MemoryRegion* root);

/// One range of a flat view, as shown by the address bar and returned to JavaScript.
struct FlatRow {
  uint64_t start = 0;
  uint64_t last = 0;  ///< address of the last byte
  std::string name;   ///< the leaf region's name
  std::string kind;   ///< "ram", "rom", "i/o" or "iommu" (a read-only range is "rom")
  int priority = 0;   ///< the leaf region's priority (as `info mtree -f` prints it)
  uint64_t offset_in_region = 0;
};

/// The flat view of `as` as rows, in address order (the lines of `info mtree -f`).
std::vector<FlatRow> flat_rows(const AddressSpace& as);

/// `rows` as the JSON array glassvm.memoryMap() returns:
/// [{"start":"0x..","end":"0x..","name":..,"kind":..,"priority":n}, ...] (end = last byte).
std::string flat_rows_json(const std::vector<FlatRow>& rows);

/// One piece of the address bar: a mapped range or a hole, with its horizontal extent.
struct BarSegment {
  double x0 = 0, x1 = 0;         ///< pixel extent within [0, width]
  bool hole = false;             ///< unmapped gap between two ranges (row is then -1)
  int row = -1;                  ///< index into the FlatRow vector the bar was built from
  uint64_t start = 0, last = 0;  ///< address range (for holes: the unmapped addresses)
};

/// The address bar: the flat view laid out on the gap-compressed log scale described above.
class AddressBar {
 public:
  static constexpr double kMinUnits = 4.0;  ///< width every range gets on top of log2(size)
  static constexpr double kGapUnits = 3.0;  ///< width of a hole between two ranges

  /// Lays `rows` (sorted, non-overlapping, as from flat_rows) out across `width` pixels.
  /// Empty rows or a width <= 0 give no segments.
  AddressBar(const std::vector<FlatRow>& rows, double width);

  const std::vector<BarSegment>& segments() const { return segments_; }
  /// The segment under pixel `x`, or nullptr when x is outside [0, width].
  const BarSegment* at(double x) const;
  /// The x position where `addr` is drawn (interpolated linearly inside its segment), or a
  /// negative number when `addr` lies before the first or after the last range.
  double x_of(uint64_t addr) const;

 private:
  std::vector<BarSegment> segments_;
  double width_ = 0;
};

/// The hover text for one flat range: name, kind, range and priority on separate lines.
std::string describe(const FlatRow& row);

}  // namespace glassvm::ui
