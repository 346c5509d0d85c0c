// ShadowMap: see shadow_map.h.
#include "iommu/shadow_map.h"

#include <cassert>
#include <iterator>
#include <utility>

#include "iommu/notifier_state.h"

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

// Snapshot payload: the notifier (save_notifier), u64 number of mappings and each mapping in
// ascending IOVA order (u64 iova, u64 last, u64 translated_addr, u8 perm), then u64 maps,
// unmaps and splits.
void ShadowMap::save(StateWriter& w, const AddressSpace& target) const {
  save_notifier(w, notifier_);
  w.u64(map_.size());
  for (const auto& [iova, m] : map_) {
    assert(m.target_as == &target && "ShadowMap::save: a mapping leads elsewhere");
    w.u64(m.iova);
    w.u64(m.last);
    w.u64(m.translated_addr);
    w.u8(m.perm);
  }
  w.u64(stats_.maps);
  w.u64(stats_.unmaps);
  w.u64(stats_.splits);
}

void ShadowMap::load(StateReader& r, AddressSpace& target) {
  constexpr uint64_t kMappingBytes = 8 + 8 + 8 + 1;
  const bool attached = read_notifier(r, notifier_);
  // Bounded by the bytes that hold them: a count cannot make the reader allocate more.
  const uint64_t count = r.bounded(r.remaining() / kMappingBytes, "the number of mappings");
  if (r.ok() && count > 0 && !attached) r.fail("a detached shadow holds mappings");
  std::map<uint64_t, Mapping> map;
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    Mapping m;
    m.iova = r.u64();
    m.last = r.u64();
    m.translated_addr = r.u64();
    const uint8_t perm = r.u8();
    m.perm = static_cast<IommuAccessFlags>(perm);
    m.target_as = &target;
    if (!r.ok()) break;
    if (m.iova > m.last || m.iova < notifier_.start() || m.last > notifier_.end()) {
      r.fail("a mapping lies outside the shadow's window");
    } else if (!map.empty() && m.iova <= map.rbegin()->second.last) {
      r.fail("mappings overlap or are out of order");
    } else if (perm == kIommuNone || perm > kIommuRw) {
      r.fail("a mapping has permission " + std::to_string(perm));
    }
    map.emplace_hint(map.end(), m.iova, m);
  }
  Stats stats;
  stats.maps = r.u64();
  stats.unmaps = r.u64();
  stats.splits = r.u64();
  if (!r.ok()) return;
  restore_registration(r, region_, notifier_, attached);
  if (!r.ok()) return;
  map_ = std::move(map);
  stats_ = stats;
}

}  // namespace glassvm
