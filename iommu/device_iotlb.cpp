// DeviceIotlb and AtsDeviceIotlb: see device_iotlb.h.
#include "iommu/device_iotlb.h"

#include <cassert>
#include <iterator>
#include <utility>

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
