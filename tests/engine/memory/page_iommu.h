// A test IOMMU model shared by the notifier tests (tests/engine/memory) and the consumer tests
// (tests/iommu): a table of 4 KiB pages per IOMMU index that emits MAP and UNMAP events as
// virtio-iommu does, counts device translations and faults, and records flag-union changes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "engine/memory/memory.h"

namespace glassvm::testing {

class PageIommu : public IommuMemoryRegion {
 public:
  struct Page {
    uint64_t target = 0;
    IommuAccessFlags perm = kIommuNone;
  };
  static constexpr int kMaxIndexes = 4;

  std::map<uint64_t, Page> pages[kMaxIndexes];  ///< page number -> mapping, per index
  AddressSpace* target_as = nullptr;
  int indexes = 1;
  int translate_calls = 0;  ///< device translation requests (translate())
  int faults = 0;           ///< translate() requests that found no permission
  int last_translate_idx = -1;
  std::vector<std::pair<IommuNotifierFlag, IommuNotifierFlag>> flag_changes;
  std::string refuse_map;  ///< non-empty: refuse MAP notifiers with this reason

  explicit PageIommu(uint64_t size = 0x100000, std::string name = "page-iommu") {
    init_iommu(std::move(name), size);
  }

  IommuTlbEntry translate(uint64_t iova, IommuAccessFlags access, int iommu_idx,
                          MemTxAttrs) override {
    ++translate_calls;
    last_translate_idx = iommu_idx;
    IommuTlbEntry e = lookup(iova, iommu_idx);
    if (e.perm == kIommuNone) {
      e.iova = iova & ~0xfffull;  // a fault is reported for the page, not the hole
      e.addr_mask = 0xfff;
    }
    if ((e.perm & access) != access) ++faults;
    return e;
  }

  int attrs_to_index(MemTxAttrs attrs) const override {
    return attrs.requester_id < static_cast<uint32_t>(indexes) ? attrs.requester_id : 0;
  }
  int num_indexes() const override { return indexes; }

  /// The page at `iova`, or the largest aligned hole (up to 2^40) around it.
  IommuTlbEntry lookup(uint64_t iova, int iommu_idx) const override {
    const auto& table = pages[iommu_idx];
    IommuTlbEntry e;
    e.target_as = target_as;
    auto it = table.find(iova >> 12);
    if (it != table.end()) {
      e.iova = iova & ~0xfffull;
      e.addr_mask = 0xfff;
      e.translated_addr = it->second.target;
      e.perm = it->second.perm;
      return e;
    }
    for (int shift = 40; shift >= 12; --shift) {
      uint64_t mask = (uint64_t{1} << shift) - 1;
      uint64_t first = iova & ~mask;
      auto next = table.lower_bound(first >> 12);
      if (next == table.end() || (next->first << 12) > (first | mask)) {
        e.iova = first;
        e.addr_mask = mask;
        return e;
      }
    }
    e.iova = iova & ~0xfffull;  // not reached: the 4 KiB page itself is a hole
    e.addr_mask = 0xfff;
    return e;
  }

  bool notify_flag_changed(IommuNotifierFlag old_flags, IommuNotifierFlag new_flags,
                           std::string* error) override {
    flag_changes.emplace_back(old_flags, new_flags);
    if (!refuse_map.empty() && has_any(new_flags, IommuNotifierFlag::Map)) {
      *error = refuse_map;
      return false;
    }
    return true;
  }

  /// Maps the aligned block [iova, iova + size) to `target` (aligned like it) and emits one MAP.
  void map(int idx, uint64_t iova, uint64_t size, uint64_t target, IommuAccessFlags perm) {
    EXPECT_EQ((iova | target) & (size - 1), 0u) << "PageIommu::map needs aligned blocks";
    for (uint64_t off = 0; off < size; off += 0x1000) {
      pages[idx][(iova + off) >> 12] = {target + off, perm};
    }
    notify(idx, {IommuNotifierFlag::Map, entry(iova, size - 1, target, perm)});
  }

  /// Unmaps [first, last] (any range) and emits UNMAPs for it as aligned blocks.
  void unmap(int idx, uint64_t first, uint64_t last) {
    for (uint64_t page = first >> 12; page <= last >> 12; ++page) pages[idx].erase(page);
    for (const IommuBlock& b : iommu_aligned_blocks(first, last)) {
      notify(idx, {IommuNotifierFlag::Unmap, entry(b.start, b.mask, 0, kIommuNone)});
    }
  }

  IommuTlbEntry entry(uint64_t iova, uint64_t mask, uint64_t target, IommuAccessFlags perm) const {
    IommuTlbEntry e;
    e.target_as = target_as;
    e.iova = iova;
    e.addr_mask = mask;
    e.translated_addr = target;
    e.perm = perm;
    return e;
  }
};

}  // namespace glassvm::testing
