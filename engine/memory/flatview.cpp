// Rendering a region tree into a FlatView (QEMU's render_memory_region semantics).
//
// Design note: subregions are rendered in priority order (highest first, newest first among
// equals) and each later region only fills the gaps that earlier ones left. That single rule
// gives QEMU's overlap behaviour: a container with holes lets lower-priority siblings show
// through, and a region that has both its own contents and subregions (an MMIO region with a
// window on top) is visible wherever its subregions are not. Arithmetic is 128-bit because a
// region may span the whole 2^64-byte space and an alias may shift its window below zero.
#include <algorithm>
#include <cassert>

#include "engine/memory/memory.h"
#include "engine/memory/memory_internal.h"

namespace glassvm {

namespace {

// Deep enough for any real board; stops a (buggy) alias cycle from exhausting the stack.
constexpr int kMaxRenderDepth = 64;

bool can_merge(const FlatRange& a, const FlatRange& b) {
  return a.mr == b.mr && a.readonly == b.readonly &&
         static_cast<unsigned __int128>(a.start) + a.size == b.start &&
         static_cast<unsigned __int128>(a.offset_in_region) + a.size == b.offset_in_region;
}

}  // namespace

void FlatViewBuilder::render(std::vector<FlatRange>& out, const MemoryRegion* mr, I128 base,
                             I128 clip_start, I128 clip_size, bool readonly, int depth) {
  if (mr == nullptr || !mr->enabled_ || depth > kMaxRenderDepth) return;
  base += mr->addr_;
  readonly = readonly || mr->kind_ == RegionKind::Rom;

  // Clip to the region itself.
  I128 start = std::max(base, clip_start);
  I128 end = std::min(base + static_cast<I128>(mr->size128()), clip_start + clip_size);
  if (end <= start) return;
  clip_start = start;
  clip_size = end - start;

  if (mr->kind_ == RegionKind::Alias) {
    const MemoryRegion* target = mr->alias_;
    if (target == nullptr) return;
    base -= target->addr_;
    base -= mr->alias_offset_;
    render(out, target, base, clip_start, clip_size, readonly, depth + 1);
    return;
  }

  for (const MemoryRegion* sub : mr->subregions_) {
    render(out, sub, base, clip_start, clip_size, readonly, depth + 1);
  }
  if (!mr->terminates()) return;

  // Fill the gaps left inside [clip_start, clip_start + clip_size) with this region.
  FlatRange fr;
  fr.mr = const_cast<MemoryRegion*>(mr);
  fr.readonly = readonly;
  uint64_t offset_in_region = static_cast<uint64_t>(clip_start - base);
  I128 pos = clip_start;
  I128 remain = clip_size;
  size_t i = 0;
  for (; i < out.size() && remain > 0; ++i) {
    I128 r_start = out[i].start;
    I128 r_end = r_start + static_cast<I128>(out[i].size);
    if (pos >= r_end) continue;
    if (pos < r_start) {
      I128 now = std::min(remain, r_start - pos);
      fr.start = static_cast<uint64_t>(pos);
      fr.size = static_cast<unsigned __int128>(now);
      fr.offset_in_region = offset_in_region;
      out.insert(out.begin() + static_cast<std::ptrdiff_t>(i), fr);
      ++i;
      pos += now;
      offset_in_region += static_cast<uint64_t>(now);
      remain -= now;
    }
    I128 now = std::min(pos + remain, r_end) - pos;
    pos += now;
    offset_in_region += static_cast<uint64_t>(now);
    remain -= now;
  }
  if (remain > 0) {
    fr.start = static_cast<uint64_t>(pos);
    fr.size = static_cast<unsigned __int128>(remain);
    fr.offset_in_region = offset_in_region;
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(i), fr);
  }
}

FlatView FlatViewBuilder::build(const MemoryRegion* root) {
  FlatView view;
  if (root == nullptr) return view;
  std::vector<FlatRange> ranges;
  render(ranges, root, 0, 0, static_cast<I128>(1) << 64, false, 0);
  // Merge neighbours that continue each other (QEMU's flatview_simplify).
  for (const FlatRange& r : ranges) {
    if (!view.ranges_.empty() && can_merge(view.ranges_.back(), r)) {
      view.ranges_.back().size += r.size;
    } else {
      view.ranges_.push_back(r);
    }
  }
  return view;
}

const MemoryRegion* FlatViewBuilder::flatview_root(const MemoryRegion* mr) {
  for (int depth = 0; mr != nullptr && mr->enabled_ && depth <= kMaxRenderDepth; ++depth) {
    if (mr->kind_ == RegionKind::Alias) {
      if (mr->alias_ != nullptr && mr->alias_offset_ == 0 &&
          mr->size128() >= mr->alias_->size128()) {
        mr = mr->alias_;
        continue;
      }
    } else if (!mr->terminates()) {
      int found = 0;
      const MemoryRegion* next = nullptr;
      for (const MemoryRegion* child : mr->subregions_) {
        if (!child->enabled_) continue;
        if (++found > 1) {
          next = nullptr;
          break;
        }
        if (child->addr_ == 0 && mr->size128() >= child->size128()) next = child;
      }
      if (found == 0) return nullptr;
      if (next != nullptr) {
        mr = next;
        continue;
      }
    }
    return mr;
  }
  return nullptr;
}

}  // namespace glassvm
