// ShadowMap: see shadow_map.h.
#include "iommu/shadow_map.h"

#include <iterator>
#include <utility>

namespace glassvm {

ShadowMap::ShadowMap(IommuMemoryRegion& region, std::string name, int iommu_idx, uint64_t start,
                     uint64_t end)
    : region_(region) {
  notifier_.init(
      std::move(name), IommuNotifierFlag::IotlbEvents,
      [this](const IommuTlbEvent& e) { on_event(e); }, start, end, iommu_idx);
}

bool ShadowMap::attach(std::string* error) {
  if (attached()) return true;
  map_.clear();
  if (!region_.register_notifier(notifier_, error)) return false;
  region_.replay(notifier_);
  return true;
}

void ShadowMap::detach() {
  if (attached()) region_.unregister_notifier(notifier_);
  map_.clear();
}

void ShadowMap::on_event(const IommuTlbEvent& event) {
  const IommuTlbEntry& e = event.entry;
  switch (event.type) {
    case IommuNotifierFlag::Map:
      ++stats_.maps;
      remove(e.first(), e.last());  // a MAP replaces whatever it covers
      map_[e.first()] = {e.first(), e.last(), e.translated_addr & ~e.addr_mask, e.perm,
                         e.target_as};
      break;
    case IommuNotifierFlag::Unmap:
      ++stats_.unmaps;
      remove(e.first(), e.last());
      break;
    default: break;  // not registered for anything else
  }
}

void ShadowMap::remove(uint64_t first, uint64_t last) {
  auto it = map_.upper_bound(first);
  if (it != map_.begin() && std::prev(it)->second.last >= first) --it;
  std::vector<Mapping> keep;  // the parts outside [first, last]
  while (it != map_.end() && it->first <= last) {
    const Mapping& m = it->second;
    if (m.iova < first) {
      Mapping left = m;
      left.last = first - 1;
      keep.push_back(left);
    }
    if (m.last > last) {
      Mapping right = m;
      right.iova = last + 1;
      right.translated_addr = m.translated_addr + (right.iova - m.iova);
      keep.push_back(right);
    }
    if (m.iova < first || m.last > last) ++stats_.splits;
    it = map_.erase(it);
  }
  for (const Mapping& m : keep) map_[m.iova] = m;
}

std::optional<ShadowMap::Mapping> ShadowMap::lookup(uint64_t iova) const {
  auto it = map_.upper_bound(iova);
  if (it == map_.begin()) return std::nullopt;
  --it;
  if (it->second.last < iova) return std::nullopt;
  return it->second;
}

std::vector<ShadowMap::Mapping> ShadowMap::mappings() const {
  std::vector<Mapping> out;
  out.reserve(map_.size());
  for (const auto& [iova, m] : map_) out.push_back(m);
  return out;
}

}  // namespace glassvm
