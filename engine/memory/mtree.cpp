// format_mtree(): the text of QEMU 7.2's `info mtree` (and `info mtree -f`).
//
// Design note: the output follows QEMU's mtree_print_mr / mtree_print_flatview line for line
// so that dumps can be compared with QEMU's. QEMU walks hash tables, so the order of its
// address-space groups and flat views is arbitrary; here it is fixed: address-space groups
// (spaces sharing a root) in order of first appearance in `spaces`, names sorted inside a
// group as QEMU does; flat views sorted by the name of their first address space, address
// spaces inside a flat view in `spaces` order. With `spaces` = {memory, cpu-memory-0, ...}
// this reproduces shared/reference/qemu-7.2-virt-info-mtree.txt.
#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>

#include "engine/memory/memory.h"
#include "engine/memory/memory_internal.h"

namespace glassvm {

namespace {

constexpr const char* kIndent = "  ";

/// QEMU's MR_SIZE: the offset of the last byte (size - 1), 0 for an empty region.
uint64_t last_offset(unsigned __int128 size) {
  return size == 0 ? 0 : static_cast<uint64_t>(size - 1);
}

void append(std::string& out, const char* fmt, auto... args) {
  char buf[256];
  int n = std::snprintf(buf, sizeof buf, fmt, args...);
  if (n < 0) return;
  if (static_cast<size_t>(n) < sizeof buf) {
    out.append(buf, static_cast<size_t>(n));
    return;
  }
  std::string big(static_cast<size_t>(n) + 1, '\0');
  std::snprintf(big.data(), big.size(), fmt, args...);
  big.resize(static_cast<size_t>(n));
  out += big;
}

class MtreePrinter {
 public:
  explicit MtreePrinter(std::string& out) : out_(out) {}

  void print_region(const MemoryRegion* mr, unsigned level, uint64_t base) {
    if (mr == nullptr || level > 256) return;
    uint64_t cur_start = base + mr->addr();
    uint64_t cur_end = cur_start + last_offset(mr->size128());
    if (cur_start < base || cur_end < cur_start) out_ += "[DETECTED OVERFLOW!] ";

    if (mr->kind() == RegionKind::Alias) {
      const MemoryRegion* target = mr->alias_target();
      if (target != nullptr &&
          std::find(alias_queue_.begin(), alias_queue_.end(), target) == alias_queue_.end()) {
        alias_queue_.push_back(target);
      }
      if (mr->enabled()) {
        indent(level);
        uint64_t alias_start = mr->alias_offset();
        append(out_,
               "%016" PRIx64 "-%016" PRIx64 " (prio %d, %s): alias %s @%s %016" PRIx64
               "-%016" PRIx64 "\n",
               cur_start, cur_end, mr->priority(), region_kind_name(*mr), mr->name().c_str(),
               target ? target->name().c_str() : "(null)", alias_start,
               alias_start + last_offset(mr->size128()));
      }
    } else if (mr->enabled()) {
      indent(level);
      append(out_, "%016" PRIx64 "-%016" PRIx64 " (prio %d, %s): %s\n", cur_start, cur_end,
             mr->priority(), region_kind_name(*mr), mr->name().c_str());
    }

    // Children by address; at equal addresses higher priority first; otherwise stable.
    // (QEMU descends into disabled regions too, printing their enabled children.)
    std::vector<const MemoryRegion*> subs(mr->subregions().begin(), mr->subregions().end());
    std::stable_sort(subs.begin(), subs.end(), [](const MemoryRegion* a, const MemoryRegion* b) {
      if (a->addr() != b->addr()) return a->addr() < b->addr();
      return a->priority() > b->priority();
    });
    for (const MemoryRegion* sub : subs) print_region(sub, level + 1, cur_start);
  }

  void print_alias_targets() {
    // The queue grows while it is printed (aliases inside alias targets).
    for (size_t i = 0; i < alias_queue_.size(); ++i) {
      const MemoryRegion* mr = alias_queue_[i];
      append(out_, "memory-region: %s\n", mr->name().c_str());
      print_region(mr, 1, 0);
      out_ += "\n";
    }
  }

 private:
  void indent(unsigned level) {
    for (unsigned i = 0; i < level; ++i) out_ += kIndent;
  }

  std::string& out_;
  std::vector<const MemoryRegion*> alias_queue_;
};

void print_flatview(std::string& out, int number, const std::vector<const AddressSpace*>& group,
                    const MemoryRegion* fv_root) {
  append(out, "FlatView #%d\n", number);
  for (const AddressSpace* as : group) {
    const MemoryRegion* root = as->root();
    append(out, " AS \"%s\", root: %s", as->name().c_str(), root ? root->name().c_str() : "(none)");
    if (root != nullptr && root->kind() == RegionKind::Alias && root->alias_target() != nullptr) {
      append(out, ", alias %s", root->alias_target()->name().c_str());
    }
    out += "\n";
  }
  append(out, " Root memory region: %s\n", fv_root ? fv_root->name().c_str() : "(none)");
  const auto& ranges = group.front()->flat_view().ranges();
  if (ranges.empty()) {
    out += kIndent;
    out += "No rendered FlatView\n\n";
    return;
  }
  for (const FlatRange& r : ranges) {
    const char* type = r.readonly ? "rom" : region_kind_name(*r.mr);
    uint64_t end = r.start + last_offset(r.size);
    if (r.offset_in_region != 0) {
      append(out, "%s%016" PRIx64 "-%016" PRIx64 " (prio %d, %s): %s @%016" PRIx64 "\n", kIndent,
             r.start, end, r.mr->priority(), type, r.mr->name().c_str(), r.offset_in_region);
    } else {
      append(out, "%s%016" PRIx64 "-%016" PRIx64 " (prio %d, %s): %s\n", kIndent, r.start, end,
             r.mr->priority(), type, r.mr->name().c_str());
    }
  }
  out += "\n";
}

}  // namespace

const char* region_kind_name(const MemoryRegion& region) {
  const MemoryRegion* mr = &region;
  // Aliases report their target's kind (QEMU's memory_region_type); guard against cycles.
  for (int i = 0; mr->kind() == RegionKind::Alias && mr->alias_target() != nullptr && i < 64; ++i)
    mr = mr->alias_target();
  switch (mr->kind()) {
    case RegionKind::Ram: return "ram";
    case RegionKind::Rom: return "rom";
    case RegionKind::Iommu: return "iommu";
    case RegionKind::Mmio:
    case RegionKind::Container:
    case RegionKind::Alias: return "i/o";
  }
  return "i/o";
}

std::string format_mtree(const std::vector<const AddressSpace*>& spaces, bool flatview) {
  std::string out;
  MtreePrinter printer(out);

  // Address spaces grouped by root.
  std::vector<std::pair<const MemoryRegion*, std::vector<const AddressSpace*>>> by_root;
  for (const AddressSpace* as : spaces) {
    assert(as != nullptr);
    auto it = std::find_if(by_root.begin(), by_root.end(),
                           [as](const auto& g) { return g.first == as->root(); });
    if (it == by_root.end()) {
      by_root.push_back({as->root(), {as}});
    } else {
      it->second.push_back(as);
    }
  }
  for (auto& [root, group] : by_root) {
    std::stable_sort(group.begin(), group.end(), [](const AddressSpace* a, const AddressSpace* b) {
      return a->name() < b->name();
    });
    for (const AddressSpace* as : group) append(out, "address-space: %s\n", as->name().c_str());
    printer.print_region(root, 1, 0);
    out += "\n";
  }
  printer.print_alias_targets();

  if (!flatview) return out;

  // Address spaces grouped by the region that determines their flat view (QEMU shares one
  // FlatView between them).
  std::vector<std::pair<const MemoryRegion*, std::vector<const AddressSpace*>>> by_view;
  for (const AddressSpace* as : spaces) {
    const MemoryRegion* fv_root = FlatViewBuilder::flatview_root(as->root());
    auto it = std::find_if(by_view.begin(), by_view.end(),
                           [fv_root](const auto& g) { return g.first == fv_root; });
    if (it == by_view.end()) {
      by_view.push_back({fv_root, {as}});
    } else {
      it->second.push_back(as);
    }
  }
  std::stable_sort(by_view.begin(), by_view.end(), [](const auto& a, const auto& b) {
    return a.second.front()->name() < b.second.front()->name();
  });
  int number = 0;
  for (const auto& [fv_root, group] : by_view) print_flatview(out, number++, group, fv_root);
  return out;
}

}  // namespace glassvm
