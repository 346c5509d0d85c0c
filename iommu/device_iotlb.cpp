// DeviceIotlb and AtsDeviceIotlb: see device_iotlb.h.
#include "iommu/device_iotlb.h"

#include <cassert>
#include <iterator>
#include <utility>

#include "iommu/notifier_state.h"

namespace glassvm {

DeviceIotlb::DeviceIotlb(IommuMemoryRegion& region, std::string name, size_t capacity,
                         int iommu_idx, MemTxAttrs attrs)
    : DeviceIotlb(region, std::move(name), capacity, iommu_idx, attrs, IommuNotifierFlag::Unmap) {}

DeviceIotlb::DeviceIotlb(IommuMemoryRegion& region, std::string name, size_t capacity,
                         int iommu_idx, MemTxAttrs attrs, IommuNotifierFlag listens_to)
    : region_(region),
      capacity_(capacity),
      iommu_idx_(iommu_idx),
      attrs_(attrs),
      listens_to_(listens_to) {
  assert(capacity >= 1 && "a DeviceIotlb needs room for at least one entry");
  notifier_.init(
      std::move(name), listens_to, [this](const IommuTlbEvent& e) { invalidate(e); }, 0, UINT64_MAX,
      iommu_idx);
}

bool DeviceIotlb::attach(std::string* error) {
  if (attached()) return true;
  flush();  // anything cached while detached may be stale
  return region_.register_notifier(notifier_, error);
}

void DeviceIotlb::detach() {
  if (attached()) region_.unregister_notifier(notifier_);
  flush();
}

DeviceIotlb::SlotMap::iterator DeviceIotlb::first_candidate(uint64_t first) {
  auto it = slots_.upper_bound(first);
  if (it != slots_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.entry.last() >= first) return prev;
  }
  return it;
}

void DeviceIotlb::erase(SlotMap::iterator it) {
  lru_.erase(it->second.lru);
  slots_.erase(it);
}

IommuTlbEntry DeviceIotlb::lookup(uint64_t iova, IommuAccessFlags access) {
  assert(access != kIommuNone && "a lookup needs an access to check");
  auto it = first_candidate(iova);
  if (it != slots_.end() && it->first <= iova && (it->second.entry.perm & access) == access) {
    ++stats_.hits;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.entry;
  }
  ++stats_.misses;
  IommuTlbEntry e = request(iova, access);
  bool holds = e.first() <= iova && iova <= e.last();
  if (attached() && holds && (e.perm & access) == access && e.target_as != nullptr) insert(e);
  return e;
}

IommuTlbEntry DeviceIotlb::request(uint64_t iova, IommuAccessFlags access) {
  return region_.translate(iova, access, iommu_idx_, attrs_);
}

void DeviceIotlb::insert(const IommuTlbEntry& entry) {
  // Drop what the new block overlaps (a stale block with too little permission, or smaller
  // blocks it now covers), then make room.
  for (auto it = first_candidate(entry.first()); it != slots_.end() && it->first <= entry.last();) {
    auto next = std::next(it);
    erase(it);
    it = next;
  }
  while (slots_.size() >= capacity_) {
    ++stats_.evictions;
    erase(slots_.find(lru_.back()));
  }
  IommuTlbEntry normalized = entry;
  normalized.iova = entry.first();
  lru_.push_front(normalized.iova);
  slots_.emplace(normalized.iova, Slot{normalized, lru_.begin()});
}

void DeviceIotlb::invalidate(const IommuTlbEvent& event) {
  if (event.type != listens_to_) return;  // only registered for it; kept as a guard
  ++stats_.invalidations;
  for (auto it = first_candidate(event.entry.first());
       it != slots_.end() && it->first <= event.entry.last();) {
    auto next = std::next(it);
    erase(it);
    ++stats_.dropped;
    it = next;
  }
}

void DeviceIotlb::flush() {
  slots_.clear();
  lru_.clear();
}

std::vector<IommuTlbEntry> DeviceIotlb::entries() const {
  std::vector<IommuTlbEntry> out;
  out.reserve(slots_.size());
  for (const auto& [start, slot] : slots_) out.push_back(slot.entry);
  return out;
}

// Snapshot payload: the notifier (save_notifier), u64 capacity, u64 number of cached blocks and
// each block from the most recently used on (u64 first IOVA, u64 addr_mask, u64 translated_addr,
// u8 perm), then u64 hits, misses, invalidations, dropped and evictions.
void DeviceIotlb::save(StateWriter& w, const AddressSpace& target) const {
  save_notifier(w, notifier_);
  w.u64(capacity_);
  w.u64(lru_.size());
  for (uint64_t start : lru_) {
    const IommuTlbEntry& e = slots_.at(start).entry;
    assert(e.target_as == &target && "DeviceIotlb::save: a cached block leads elsewhere");
    w.u64(e.iova);
    w.u64(e.addr_mask);
    w.u64(e.translated_addr);
    w.u8(e.perm);
  }
  for (uint64_t v :
       {stats_.hits, stats_.misses, stats_.invalidations, stats_.dropped, stats_.evictions}) {
    w.u64(v);
  }
}

void DeviceIotlb::load(StateReader& r, AddressSpace& target) {
  const bool attached = read_notifier(r, notifier_);
  const uint64_t capacity = r.u64();
  if (r.ok() && capacity != capacity_) {
    r.fail("the translation cache held " + std::to_string(capacity) + " entries; this one holds " +
           std::to_string(capacity_));
  }
  const uint64_t count = r.bounded(capacity_, "the number of cached translations");
  if (r.ok() && count > 0 && !attached) r.fail("a detached translation cache holds entries");
  std::vector<IommuTlbEntry> lru;  // most recently used first
  SlotMap blocks;                  // to find overlaps; the slots' lru iterators are set below
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    IommuTlbEntry e;
    e.target_as = &target;
    e.iova = r.u64();
    e.addr_mask = r.u64();
    e.translated_addr = r.u64();
    const uint8_t perm = r.u8();
    if (!r.ok()) break;
    if ((e.addr_mask & (e.addr_mask + 1)) != 0 || (e.iova & e.addr_mask) != 0) {
      r.fail("a cached translation is not a naturally aligned block");
    } else if (perm == kIommuNone || perm > kIommuRw) {
      r.fail("a cached translation has permission " + std::to_string(perm));
    }
    e.perm = static_cast<IommuAccessFlags>(perm);
    auto next = blocks.lower_bound(e.iova);
    const bool overlaps =
        (next != blocks.end() && next->first <= e.last()) ||
        (next != blocks.begin() && std::prev(next)->second.entry.last() >= e.iova);
    if (r.ok() && overlaps) r.fail("two cached translations overlap");
    blocks.emplace(e.iova, Slot{e, {}});
    lru.push_back(e);
  }
  Stats stats;
  for (uint64_t* v :
       {&stats.hits, &stats.misses, &stats.invalidations, &stats.dropped, &stats.evictions}) {
    *v = r.u64();
  }
  if (!r.ok()) return;
  flush();
  restore_registration(r, region_, notifier_, attached);
  if (!r.ok()) return;
  for (auto it = lru.rbegin(); it != lru.rend(); ++it) {  // least recently used first
    lru_.push_front(it->iova);
    slots_.emplace(it->iova, Slot{*it, lru_.begin()});
  }
  stats_ = stats;
}

AtsDeviceIotlb::AtsDeviceIotlb(IommuMemoryRegion& region, std::string name, size_t capacity,
                               int iommu_idx, MemTxAttrs attrs)
    : DeviceIotlb(region, std::move(name), capacity, iommu_idx, attrs,
                  IommuNotifierFlag::DevIotlbUnmap),
      agent_(dynamic_cast<AtsTranslationAgent*>(&region)) {}

IommuTlbEntry AtsDeviceIotlb::request(uint64_t iova, IommuAccessFlags access) {
  if (agent_ == nullptr) return DeviceIotlb::request(iova, access);
  return agent_->ats_request_translation(iova, access, iommu_idx(), attrs());
}

}  // namespace glassvm
