#include "iommu/virtio_iommu.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <string>
#include <utility>

#include "engine/base/bytes.h"
#include "engine/devices/virtio/virtqueue.h"

namespace glassvm {

namespace {

/// The largest mask m (2^k - 1) such that the block iova & ~m lies inside [first, last] and
/// `delta` (phys - virt) is a multiple of m + 1, so that the block is aligned on both sides.
uint64_t block_mask(uint64_t iova, uint64_t first, uint64_t last, uint64_t delta) {
  uint64_t mask = 0;
  while (mask != ~uint64_t{0}) {
    const uint64_t next = (mask << 1) | 1;
    const uint64_t start = iova & ~next;
    if ((delta & next) != 0 || start < first || (start | next) > last) break;
    mask = next;
  }
  return mask;
}

/// The largest mask a block of a mapping with this `delta` may have.
uint64_t delta_mask(uint64_t delta) {
  return delta == 0 ? ~uint64_t{0} : (delta & (~delta + 1)) - 1;
}

IommuAccessFlags perm_of(uint32_t flags) {
  return static_cast<IommuAccessFlags>(((flags & VirtioIommu::kMapFRead) ? kIommuRead : 0) |
                                       ((flags & VirtioIommu::kMapFWrite) ? kIommuWrite : 0));
}

IommuTlbEntry make_entry(AddressSpace* as, uint64_t iova, uint64_t mask, uint64_t target,
                         IommuAccessFlags perm) {
  IommuTlbEntry e;
  e.target_as = as;
  e.iova = iova;
  e.addr_mask = mask;
  e.translated_addr = target;
  e.perm = perm;
  return e;
}

/// Calls f(iova, mask, phys) for the blocks of mapping [first, last] -> phys, in ascending
/// order: iommu_aligned_blocks(), each split further where phys is less aligned.
template <typename F>
void for_each_block(uint64_t first, uint64_t last, uint64_t phys, F&& f) {
  const uint64_t dmask = delta_mask(phys - first);
  for (const IommuBlock& b : iommu_aligned_blocks(first, last)) {
    const uint64_t mask = std::min(b.mask, dmask);
    for (uint64_t s = b.start;; s += mask + 1) {
      f(s, mask, phys + (s - first));
      if ((s | mask) == (b.start | b.mask)) break;
    }
  }
}

/// How many blocks for_each_block() makes, saturating at `limit` + 1.
uint64_t block_count(uint64_t first, uint64_t last, uint64_t phys, uint64_t limit) {
  const uint64_t dmask = delta_mask(phys - first);
  const int dbits = std::popcount(dmask);
  uint64_t n = 0;
  for (const IommuBlock& b : iommu_aligned_blocks(first, last)) {
    n += b.mask <= dmask ? 1 : (b.mask >> dbits) + 1;
    if (n > limit) return limit + 1;
  }
  return n;
}

}  // namespace

template <typename F>
void VirtioIommu::for_each_msi_block(F&& f) const {
  for (const ReservedRegion& r : options_.reserved) {
    if (r.subtype != kResvMemTMsi) continue;
    for_each_block(r.start, r.end, r.start,
                   [&](uint64_t iova, uint64_t mask, uint64_t) { f(iova, mask); });
  }
}

// ---------------------------------------------------------------------------------------------
// Endpoint: the IOMMU region of one endpoint
// ---------------------------------------------------------------------------------------------

class VirtioIommu::Endpoint final : public IommuMemoryRegion {
 public:
  Endpoint(VirtioIommu& owner, uint32_t id) : owner_(owner), id_(id) {
    init_iommu("virtio-iommu-ep" + std::to_string(id), MemoryRegion::kWholeSpace);
  }
  IommuTlbEntry translate(uint64_t iova, IommuAccessFlags access, int, MemTxAttrs attrs) override {
    return owner_.translate(*this, iova, access, attrs);
  }
  IommuTlbEntry lookup(uint64_t iova, int) const override { return owner_.resolve(*this, iova); }
  uint64_t min_page_size() const override { return owner_.granule_mask_ + 1; }
  /// MAP and UNMAP requests are announced as they happen: every notifier kind is honoured.
  bool notify_flag_changed(IommuNotifierFlag, IommuNotifierFlag, std::string*) override {
    return true;
  }
  void replay(IommuNotifier& notifier) override { owner_.replay(*this, notifier); }

  uint32_t id() const { return id_; }
  std::optional<uint32_t> domain;

 private:
  VirtioIommu& owner_;
  uint32_t id_;
};

// ---------------------------------------------------------------------------------------------
// Construction, configuration, features
// ---------------------------------------------------------------------------------------------

VirtioIommu::VirtioIommu(AddressSpace& target, Options options)
    : target_(target), options_(std::move(options)), bypass_(options_.boot_bypass) {
  assert(options_.page_size_mask != 0 && "VirtioIommu: page_size_mask needs a bit (5.13.4)");
  assert(options_.input_start <= options_.input_end && "VirtioIommu: empty input range");
  assert(options_.domain_start <= options_.domain_end && "VirtioIommu: empty domain range");
  assert(std::all_of(options_.reserved.begin(), options_.reserved.end(),
                     [](const ReservedRegion& r) { return r.start <= r.end; }) &&
         "VirtioIommu: a reserved region ends before it starts");
  assert(options_.reserved.size() * 24 <= options_.probe_size &&
         "VirtioIommu: the RESV_MEM properties must fit probe_size");
  const uint64_t mask = options_.page_size_mask;
  granule_mask_ = (mask & (~mask + 1)) - 1;
}

VirtioIommu::VirtioIommu(AddressSpace& target) : VirtioIommu(target, Options{}) {}

VirtioIommu::~VirtioIommu() = default;

IommuMemoryRegion& VirtioIommu::add_endpoint(uint32_t id) {
  assert(!endpoints_.contains(id) && "VirtioIommu::add_endpoint: endpoint added twice");
  auto& slot = endpoints_[id];
  slot = std::make_unique<Endpoint>(*this, id);
  return *slot;
}

IommuMemoryRegion* VirtioIommu::endpoint(uint32_t id) {
  auto it = endpoints_.find(id);
  return it == endpoints_.end() ? nullptr : it->second.get();
}

std::optional<uint32_t> VirtioIommu::endpoint_domain(uint32_t id) const {
  auto it = endpoints_.find(id);
  return it == endpoints_.end() ? std::nullopt : it->second->domain;
}

std::vector<VirtioIommu::EndpointInfo> VirtioIommu::endpoints() const {
  std::vector<EndpointInfo> out;
  for (const auto& [id, ep] : endpoints_) {
    const View view = view_of(*ep);
    out.push_back({id, ep->domain, view.identity, !view.identity && view.mappings == nullptr});
  }
  return out;
}

std::vector<VirtioIommu::DomainInfo> VirtioIommu::domains() const {
  std::vector<DomainInfo> out;
  for (const auto& [id, d] : domains_) {
    out.push_back({id, d.bypass, {d.endpoints.begin(), d.endpoints.end()}, d.mappings.size()});
  }
  return out;
}

std::vector<VirtioIommu::MappingInfo> VirtioIommu::mappings(std::optional<uint32_t> domain,
                                                            size_t max_entries,
                                                            bool* truncated) const {
  std::vector<MappingInfo> out;
  bool more = false;
  for (const auto& [id, d] : domains_) {
    if (domain && id != *domain) continue;
    for (const auto& [first, m] : d.mappings) {
      if (out.size() >= max_entries) {
        more = true;
        break;
      }
      out.push_back({id, first, m.last, m.phys, perm_of(m.flags), (m.flags & kMapFMmio) != 0});
    }
  }
  if (truncated != nullptr) *truncated = more;
  return out;
}

uint64_t VirtioIommu::device_features() const {
  uint64_t f = virtio_bit(kFInputRange) | virtio_bit(kFDomainRange) | virtio_bit(kFMapUnmap) |
               virtio_bit(kFProbe) | virtio_bit(kFMmio) | virtio_bit(kFBypassConfig);
  return f;  // not F_BYPASS: superseded by F_BYPASS_CONFIG (5.13.3, device requirements)
}

uint64_t VirtioIommu::config_read(uint32_t offset, unsigned size) const {
  uint8_t cfg[kConfigSize] = {};
  store_le<uint64_t>(cfg + kCfgPageSizeMask, options_.page_size_mask);
  store_le<uint64_t>(cfg + kCfgInputStart, options_.input_start);
  store_le<uint64_t>(cfg + kCfgInputEnd, options_.input_end);
  store_le<uint32_t>(cfg + kCfgDomainStart, options_.domain_start);
  store_le<uint32_t>(cfg + kCfgDomainEnd, options_.domain_end);
  store_le<uint32_t>(cfg + kCfgProbeSize, options_.probe_size);
  cfg[kCfgBypass] = bypass_ ? 1 : 0;
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= uint64_t{cfg[offset + i]} << (8 * i);
  return v;
}

void VirtioIommu::config_write(uint32_t offset, unsigned size, uint64_t value) {
  if (!(features_ & virtio_bit(kFBypassConfig))) return;
  if (offset > kCfgBypass || offset + size <= kCfgBypass) return;  // not the bypass byte
  // 5.13.4, driver requirements: the driver writes 0 or 1; bits 1-7 are ignored.
  const bool next = ((value >> (8 * (kCfgBypass - offset))) & 1) != 0;
  if (next == bypass_) return;
  std::vector<Endpoint*> unattached;
  for (auto& [id, ep] : endpoints_) {
    if (!ep->domain) unattached.push_back(ep.get());
  }
  for (Endpoint* ep : unattached) announce(*ep, view_of(*ep), IommuNotifierFlag::Unmap);
  bypass_ = next;
  for (Endpoint* ep : unattached) announce(*ep, view_of(*ep), IommuNotifierFlag::Map);
}

void VirtioIommu::reset() {
  for (auto& [id, ep] : endpoints_) {
    if (ep->domain) move_endpoint(*ep, std::nullopt);
  }
  assert(domains_.empty() && mapping_count_ == 0);
  features_ = 0;
  event_queue_ = nullptr;
  pending_faults_.clear();
}

void VirtioIommu::system_reset() {
  reset();
  if (bypass_ != options_.boot_bypass) {
    for (auto& [id, ep] : endpoints_) announce(*ep, view_of(*ep), IommuNotifierFlag::Unmap);
    bypass_ = options_.boot_bypass;
    for (auto& [id, ep] : endpoints_) announce(*ep, view_of(*ep), IommuNotifierFlag::Map);
  }
}

// ---------------------------------------------------------------------------------------------
// Views, translation, announcements
// ---------------------------------------------------------------------------------------------

VirtioIommu::View VirtioIommu::view_of(const Endpoint& ep) const {
  if (!ep.domain) return {bypass_, nullptr};
  const Domain& d = domains_.at(*ep.domain);
  if (d.bypass) return {true, nullptr};
  return {false, &d.mappings};
}

IommuTlbEntry VirtioIommu::resolve(const Endpoint& ep, uint64_t iova) const {
  const View view = view_of(ep);
  if (view.identity) return make_entry(&target_, 0, ~uint64_t{0}, 0, kIommuRw);
  uint64_t hole_first = 0, hole_last = ~uint64_t{0};
  // MSI doorbells are identity-mapped for every endpoint (no MAP may cover them), as in QEMU.
  for (const ReservedRegion& r : options_.reserved) {
    if (r.subtype != kResvMemTMsi) continue;
    if (r.start <= iova && iova <= r.end) {
      const uint64_t mask = block_mask(iova, r.start, r.end, 0);
      return make_entry(&target_, iova & ~mask, mask, iova & ~mask, kIommuRw);
    }
    if (r.end < iova) hole_first = std::max(hole_first, r.end + 1);
    if (r.start > iova) hole_last = std::min(hole_last, r.start - 1);
  }
  if (view.mappings) {
    const MappingTable& table = *view.mappings;
    auto next = table.upper_bound(iova);
    if (next != table.begin()) {
      auto it = std::prev(next);
      if (iova <= it->second.last) {
        const Mapping& m = it->second;
        const uint64_t mask = block_mask(iova, it->first, m.last, m.phys - it->first);
        return make_entry(&target_, iova & ~mask, mask, m.phys + ((iova & ~mask) - it->first),
                          perm_of(m.flags));
      }
      hole_first = std::max(hole_first, it->second.last + 1);
    }
    if (next != table.end()) hole_last = std::min(hole_last, next->first - 1);
  }
  const uint64_t mask = block_mask(iova, hole_first, hole_last, 0);
  return make_entry(&target_, iova & ~mask, mask, 0, kIommuNone);
}

IommuTlbEntry VirtioIommu::translate(Endpoint& ep, uint64_t iova, IommuAccessFlags access,
                                     MemTxAttrs attrs) {
  IommuTlbEntry e = resolve(ep, iova);
  if ((e.perm & access) != access && !attrs.debug) {
    Fault f;
    f.reason = ep.domain ? kFaultRMapping : kFaultRDomain;
    f.flags = kFaultFAddress | ((access & kIommuRead) ? kFaultFRead : 0) |
              ((access & kIommuWrite) ? kFaultFWrite : 0);
    f.endpoint = ep.id();
    f.address = iova;
    report_fault(f);
  }
  return e;
}

void VirtioIommu::replay(Endpoint& ep, IommuNotifier& notifier) {
  if (!has_any(notifier.flags(), IommuNotifierFlag::Map)) return;
  const View view = view_of(ep);
  if (view.identity) {
    ep.notify_one(notifier,
                  {IommuNotifierFlag::Map, make_entry(&target_, 0, ~uint64_t{0}, 0, kIommuRw)});
    return;
  }
  for_each_msi_block([&](uint64_t iova, uint64_t mask) {
    ep.notify_one(notifier,
                  {IommuNotifierFlag::Map, make_entry(&target_, iova, mask, iova, kIommuRw)});
  });
  if (!view.mappings) return;
  for (const auto& [first, m] : *view.mappings) {
    if (m.last < notifier.start() || first > notifier.end()) continue;
    const IommuAccessFlags perm = perm_of(m.flags);  // (a lambda cannot capture a binding)
    for_each_block(first, m.last, m.phys, [&](uint64_t iova, uint64_t mask, uint64_t phys) {
      ep.notify_one(notifier,
                    {IommuNotifierFlag::Map, make_entry(&target_, iova, mask, phys, perm)});
    });
  }
}

void VirtioIommu::announce(Endpoint& ep, const View& view, IommuNotifierFlag type) {
  const bool is_map = type == IommuNotifierFlag::Map;
  if (view.identity) {
    ep.notify(0, {type, make_entry(&target_, 0, ~uint64_t{0}, 0, is_map ? kIommuRw : kIommuNone)},
              ep.id());
    return;
  }
  for_each_msi_block([&](uint64_t iova, uint64_t mask) {
    ep.notify(0, {type, make_entry(&target_, iova, mask, iova, is_map ? kIommuRw : kIommuNone)},
              ep.id());
  });
  if (!view.mappings) return;
  for (const auto& [first, m] : *view.mappings) {
    const IommuAccessFlags perm = is_map ? perm_of(m.flags) : kIommuNone;
    for_each_block(first, m.last, m.phys, [&](uint64_t iova, uint64_t mask, uint64_t phys) {
      ep.notify(0, {type, make_entry(&target_, iova, mask, phys, perm)}, ep.id());
    });
  }
}

void VirtioIommu::announce_mapping(const Domain& domain, uint64_t first, const Mapping& m,
                                   IommuNotifierFlag type) {
  const IommuAccessFlags perm = type == IommuNotifierFlag::Map ? perm_of(m.flags) : kIommuNone;
  for (uint32_t id : domain.endpoints) {
    Endpoint& ep = *endpoints_.at(id);
    for_each_block(first, m.last, m.phys, [&](uint64_t iova, uint64_t mask, uint64_t phys) {
      ep.notify(0, {type, make_entry(&target_, iova, mask, phys, perm)}, id);
    });
  }
}

void VirtioIommu::move_endpoint(Endpoint& ep, std::optional<uint32_t> domain_id) {
  const std::optional<uint32_t> old = ep.domain;
  // The old view stays valid while it is announced: the old domain is destroyed last.
  announce(ep, view_of(ep), IommuNotifierFlag::Unmap);
  if (old) domains_.at(*old).endpoints.erase(ep.id());
  ep.domain = domain_id;
  if (domain_id) domains_.at(*domain_id).endpoints.insert(ep.id());
  announce(ep, view_of(ep), IommuNotifierFlag::Map);
  if (old) {
    auto it = domains_.find(*old);
    if (it->second.endpoints.empty()) {  // DETACH request: it ceases to exist
      mapping_count_ -= it->second.mappings.size();
      domains_.erase(it);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

VirtioIommu::Reply VirtioIommu::attach(const uint8_t* req) {
  const uint32_t domain = load_le<uint32_t>(req + 4);
  const uint32_t endpoint = load_le<uint32_t>(req + 8);
  const uint32_t flags = load_le<uint32_t>(req + 12);
  const uint32_t reserved = load_le<uint32_t>(req + 16);
  const uint32_t known = (features_ & virtio_bit(kFBypassConfig)) ? kAttachFBypass : 0;
  if (reserved != 0 || (flags & ~known) != 0) return {kSInval};  // MUST (ATTACH request)
  auto ep = endpoints_.find(endpoint);
  if (ep == endpoints_.end()) return {kSNoEnt};
  if (domain < options_.domain_start || domain > options_.domain_end) return {kSRange};
  const bool bypass = (flags & kAttachFBypass) != 0;
  auto existing = domains_.find(domain);
  if (existing != domains_.end() && existing->second.bypass != bypass) return {kSInval};
  if (ep->second->domain == domain) return {kSOk};
  if (existing == domains_.end()) domains_[domain].bypass = bypass;
  move_endpoint(*ep->second, domain);  // detaches from the old domain first (ATTACH request)
  return {kSOk};
}

VirtioIommu::Reply VirtioIommu::detach(const uint8_t* req) {
  const uint32_t domain = load_le<uint32_t>(req + 4);
  const uint32_t endpoint = load_le<uint32_t>(req + 8);
  auto ep = endpoints_.find(endpoint);
  if (ep == endpoints_.end()) return {kSNoEnt};
  if (ep->second->domain != domain) return {kSInval};  // no such domain, or not attached to it
  move_endpoint(*ep->second, std::nullopt);
  return {kSOk};
}

VirtioIommu::Reply VirtioIommu::map(const uint8_t* req) {
  if (!(features_ & virtio_bit(kFMapUnmap))) return {kSUnsupp};
  const uint32_t domain = load_le<uint32_t>(req + 4);
  const uint64_t first = load_le<uint64_t>(req + 8);
  const uint64_t last = load_le<uint64_t>(req + 16);
  const uint64_t phys = load_le<uint64_t>(req + 24);
  const uint32_t flags = load_le<uint32_t>(req + 32);
  const uint32_t known =
      kMapFRead | kMapFWrite | ((features_ & virtio_bit(kFMmio)) ? kMapFMmio : 0);
  if ((flags & ~known) != 0) return {kSInval};
  if (last < first) return {kSInval};  // MAP request: virt_end > virt_start
  // Alignment on the granule; last + 1 wraps to 0 (aligned) for a range ending at 2^64 - 1.
  if (((first | phys | (last + 1)) & granule_mask_) != 0) return {kSRange};
  if (first < options_.input_start || last > options_.input_end) return {kSRange};
  if (phys > UINT64_MAX - (last - first)) return {kSRange};  // phys_end beyond 2^64 - 1
  auto dom = domains_.find(domain);
  if (dom == domains_.end()) return {kSNoEnt};
  Domain& d = dom->second;
  if (d.bypass) return {kSInval};
  // A mapping nothing can access would be announced as a MAP without permission.
  if ((flags & (kMapFRead | kMapFWrite)) == 0) return {kSUnsupp};
  for (const ReservedRegion& r : options_.reserved) {
    if (first <= r.end && r.start <= last) return {kSInval};
  }
  const Mapping m{last, phys, flags};
  auto next = d.mappings.lower_bound(first);
  const bool overlaps_next = next != d.mappings.end() && next->first <= last;
  const bool overlaps_prev = next != d.mappings.begin() && std::prev(next)->second.last >= first;
  if (overlaps_next || overlaps_prev) {
    const bool same_range = overlaps_next && next->first == first && next->second.last == last;
    if (!options_.replace_in_place || !same_range) return {kSInval};
    const Mapping old = next->second;
    next->second = m;
    // An in-place change: per endpoint, each old block is unmapped and the new blocks mapped.
    for (uint32_t id : d.endpoints) {
      Endpoint& ep = *endpoints_.at(id);
      std::vector<IommuTlbEntry> olds;
      for_each_block(first, last, old.phys, [&](uint64_t iova, uint64_t mask, uint64_t p) {
        olds.push_back(make_entry(&target_, iova, mask, p, perm_of(old.flags)));
      });
      std::vector<IommuTlbEntry> news;
      for_each_block(first, last, phys, [&](uint64_t iova, uint64_t mask, uint64_t p) {
        news.push_back(make_entry(&target_, iova, mask, p, perm_of(flags)));
      });
      if (olds.size() == news.size()) {
        for (size_t i = 0; i < olds.size(); ++i) ep.notify_change(0, olds[i], news[i], id);
      } else {
        for (IommuTlbEntry e : olds) {
          e.perm = kIommuNone;
          ep.notify(0, {IommuNotifierFlag::Unmap, e}, id);
        }
        for (auto& e : news) ep.notify(0, {IommuNotifierFlag::Map, e}, id);
      }
    }
    return {kSOk};
  }
  if (mapping_count_ >= options_.max_mappings) return {kSNoMem};
  if (block_count(first, last, phys, kMaxBlocksPerMapping) > kMaxBlocksPerMapping) {
    return {kSNoMem};
  }
  d.mappings.emplace(first, m);
  ++mapping_count_;
  announce_mapping(d, first, m, IommuNotifierFlag::Map);
  return {kSOk};
}

VirtioIommu::Reply VirtioIommu::unmap(const uint8_t* req) {
  if (!(features_ & virtio_bit(kFMapUnmap))) return {kSUnsupp};
  const uint32_t domain = load_le<uint32_t>(req + 4);
  const uint64_t first = load_le<uint64_t>(req + 8);
  const uint64_t last = load_le<uint64_t>(req + 16);
  // `reserved` is ignored: the UNMAP request only allows (MAY) an INVAL for it.
  if (last < first) return {kSInval};
  auto dom = domains_.find(domain);
  if (dom == domains_.end()) return {kSNoEnt};
  Domain& d = dom->second;
  if (d.bypass) return {kSInval};
  // The mappings the range touches: from the one holding `first` (if any) to the last one
  // starting at or before `last`. None may stick out of the range (example 4 of the UNMAP request).
  auto begin = d.mappings.upper_bound(first);
  if (begin != d.mappings.begin() && std::prev(begin)->second.last >= first) --begin;
  auto end = d.mappings.upper_bound(last);
  for (auto it = begin; it != end; ++it) {
    if (it->first < first || it->second.last > last) return {kSRange};
  }
  std::vector<std::pair<uint64_t, Mapping>> removed(begin, end);
  d.mappings.erase(begin, end);
  mapping_count_ -= removed.size();
  for (const auto& [start, m] : removed) announce_mapping(d, start, m, IommuNotifierFlag::Unmap);
  return {kSOk};
}

VirtioIommu::Reply VirtioIommu::probe(const uint8_t* req) {
  const uint32_t endpoint = load_le<uint32_t>(req + 4);
  if (!endpoints_.contains(endpoint)) return {kSNoEnt};
  Reply reply;
  reply.payload.assign(options_.probe_size, 0);  // ends with NONE: zeroes (PROBE request)
  uint8_t* p = reply.payload.data();
  for (const ReservedRegion& r : options_.reserved) {
    store_le<uint16_t>(p, kProbeTResvMem);
    store_le<uint16_t>(p + 2, 20);  // the size without the 4-byte property header
    p[4] = r.subtype;
    store_le<uint64_t>(p + 8, r.start);
    store_le<uint64_t>(p + 16, r.end);
    p += 24;
  }
  return reply;
}

void VirtioIommu::queue_notify(unsigned index, VirtQueue& queue) {
  if (index == 1) {
    event_queue_ = &queue;
    flush_faults();
    return;
  }
  VirtqChain chain;
  while (queue.pop(chain) == VirtQueue::Pop::Chain) {
    uint8_t req[kProbeLen] = {};
    // 5.13.6: without a head and a tail the request cannot be parsed; it is returned unwritten.
    if (chain.readable_len < 4 || chain.writable_len < kTailLen) {
      if (!queue.push(chain, 0)) return;
      continue;
    }
    if (!queue.read(chain, 0, std::span<uint8_t>(req, 4))) return;
    uint32_t need = 0;
    uint64_t tail_at = 0;  // where the tail is, in the writable bytes
    switch (req[0]) {
      case kTAttach: need = kAttachLen; break;
      case kTDetach: need = kDetachLen; break;
      case kTMap: need = kMapLen; break;
      case kTUnmap: need = kUnmapLen; break;
      case kTProbe:
        if (features_ & virtio_bit(kFProbe)) {
          need = kProbeLen;
          tail_at = options_.probe_size;
        }
        break;
      default: break;
    }
    if (need == 0) {  // 5.13.6: an unknown type (or a PROBE not negotiated) is not written
      if (!queue.push(chain, 0)) return;
      continue;
    }
    Reply reply;
    if (chain.readable_len < need) {
      reply.status = kSInval;  // the fields are not all there
    } else if (chain.writable_len < tail_at + kTailLen) {
      reply.status = kSInval;  // PROBE request: properties smaller than probe_size
    } else {
      if (!queue.read(chain, 0, std::span<uint8_t>(req, need))) return;
      switch (req[0]) {
        case kTAttach: reply = attach(req); break;
        case kTDetach: reply = detach(req); break;
        case kTMap: reply = map(req); break;
        case kTUnmap: reply = unmap(req); break;
        default: reply = probe(req); break;
      }
    }
    if (chain.writable_len < tail_at + kTailLen) {
      tail_at = chain.writable_len - kTailLen;  // a short PROBE: the tail ends the buffer
    } else if (reply.status == kSOk && !reply.payload.empty()) {
      if (!queue.write(chain, 0, reply.payload)) return;
    } else if (tail_at != 0) {
      // A failed PROBE writes no property, but the bytes before the tail are the driver's
      // to read: they are zeroes (no property).
      std::vector<uint8_t> zero(tail_at, 0);
      if (!queue.write(chain, 0, zero)) return;
    }
    const uint8_t tail[kTailLen] = {reply.status, 0, 0, 0};
    if (!queue.write(chain, tail_at, tail)) return;
    if (!queue.push(chain, static_cast<uint32_t>(tail_at + kTailLen))) return;
  }
}

// ---------------------------------------------------------------------------------------------
// Fault reporting
// ---------------------------------------------------------------------------------------------

void VirtioIommu::report_fault(const Fault& fault) {
  const bool dropped = pending_faults_.size() >= kMaxPendingFaults;
  if (fault_history_.size() >= kFaultHistory) fault_history_.pop_front();
  fault_history_.push_back({++fault_seq_, clock_ ? clock_() : 0, fault, !dropped});
  if (dropped) {
    ++faults_dropped_;
    return;
  }
  pending_faults_.push_back(fault);
  flush_faults();
}

void VirtioIommu::flush_faults() {
  if (!event_queue_) return;
  VirtQueue& q = *event_queue_;
  VirtqChain chain;
  while (!pending_faults_.empty() && q.pop(chain) == VirtQueue::Pop::Chain) {
    if (chain.writable_len < kFaultLen) {
      // Too small for a report (Fault reporting: not split over buffers): returned unwritten.
      if (!q.push(chain, 0)) break;
      continue;
    }
    const Fault& f = pending_faults_.front();
    uint8_t raw[kFaultLen] = {};
    raw[0] = f.reason;
    store_le<uint32_t>(raw + 4, f.flags);
    store_le<uint32_t>(raw + 8, f.endpoint);
    store_le<uint64_t>(raw + 16, f.address);
    if (!q.write(chain, 0, raw) || !q.push(chain, kFaultLen)) break;
    pending_faults_.pop_front();
    ++faults_reported_;
  }
  q.signal_used();
}

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

namespace {

void save_fault(StateWriter& w, const VirtioIommu::Fault& f) {
  w.u8(f.reason);
  w.u32(f.flags);
  w.u32(f.endpoint);
  w.u64(f.address);
}

VirtioIommu::Fault read_fault(StateReader& r) {
  VirtioIommu::Fault f;
  f.reason = r.u8();
  f.flags = r.u32();
  f.endpoint = r.u32();
  f.address = r.u64();
  return f;
}

}  // namespace

// Snapshot payload (version 1): boolean bypass, u64 negotiated features, boolean event queue
// notified; u64 number of endpoints, each: u32 id, boolean attached, u32 domain (0 when not
// attached); u64 number of domains, each: u32 id, boolean bypass, u64 number of mappings, each:
// u64 virt_start, u64 virt_end, u64 phys_start, u32 flags; u64 number of faults waiting for an
// event buffer, each a fault (u8 reason, u32 flags, u32 endpoint, u64 address); u64 faults
// reported, u64 faults dropped; u64 faults so far, u64 number of faults kept, each: u64 seq,
// u64 time_ns, the fault, boolean delivered.
void VirtioIommu::save_state(StateWriter& w) const {
  w.boolean(bypass_);
  w.u64(features_);
  w.boolean(event_queue_ != nullptr);
  w.u64(endpoints_.size());
  for (const auto& [id, ep] : endpoints_) {
    w.u32(id);
    w.boolean(ep->domain.has_value());
    w.u32(ep->domain.value_or(0));
  }
  w.u64(domains_.size());
  for (const auto& [id, d] : domains_) {
    w.u32(id);
    w.boolean(d.bypass);
    w.u64(d.mappings.size());
    for (const auto& [first, m] : d.mappings) {
      w.u64(first);
      w.u64(m.last);
      w.u64(m.phys);
      w.u32(m.flags);
    }
  }
  w.u64(pending_faults_.size());
  for (const Fault& f : pending_faults_) save_fault(w, f);
  w.u64(faults_reported_);
  w.u64(faults_dropped_);
  w.u64(fault_seq_);
  w.u64(fault_history_.size());
  for (const FaultRecord& f : fault_history_) {
    w.u64(f.seq);
    w.u64(f.time_ns);
    save_fault(w, f.fault);
    w.boolean(f.delivered);
  }
}

void VirtioIommu::load_state(StateReader& r, VirtQueue& event_queue) {
  auto check = [&r](bool bad, const std::string& why) {
    if (r.ok() && bad) r.fail(why);
  };
  const bool bypass = r.boolean();
  const uint64_t features = r.u64();
  const bool event_queue_known = r.boolean();
  // What the transport accepts at FEATURES_OK: a subset of the offer, with VERSION_1.
  const uint64_t offer = device_features() | virtio_bit(kVirtioFVersion1) |
                         virtio_bit(kVirtioFIndirectDesc) | virtio_bit(kVirtioFAccessPlatform);
  check((features & ~offer) != 0, "features the device never offered");
  check(features != 0 && !(features & virtio_bit(kVirtioFVersion1)), "features without VERSION_1");
  // The driver reaches the queues (and so can attach anything) only once features are agreed.
  check(features == 0 && event_queue_known, "an event queue before features were negotiated");

  // -- Endpoints: the board's, each in a domain or not ----------------------------------------
  const uint64_t endpoints = r.u64();
  check(endpoints != endpoints_.size(), "the device had " + std::to_string(endpoints) +
                                            " endpoints; this one has " +
                                            std::to_string(endpoints_.size()));
  std::map<uint32_t, std::optional<uint32_t>> attached;  // endpoint -> domain
  for (const auto& [id, ep] : endpoints_) {
    if (!r.ok()) break;
    const uint32_t saved_id = r.u32();
    const bool in_domain = r.boolean();
    const uint32_t domain = r.u32();
    check(saved_id != id, "the device had endpoint " + std::to_string(saved_id) +
                              " where this one has endpoint " + std::to_string(id));
    check(!in_domain && domain != 0, "an endpoint in no domain names a domain");
    attached[id] = in_domain ? std::optional<uint32_t>(domain) : std::nullopt;
  }

  // -- Domains and their mappings ---------------------------------------------------------------
  std::map<uint32_t, Domain> domains;
  size_t mapping_count = 0;
  const uint64_t ndomains = r.bounded(endpoints_.size(), "the number of domains");
  check(ndomains > 0 && features == 0, "domains before features were negotiated");
  const uint32_t known = kMapFRead | kMapFWrite | ((features & virtio_bit(kFMmio)) ? kMapFMmio : 0);
  for (uint64_t i = 0; i < ndomains && r.ok(); ++i) {
    const uint32_t id = r.u32();
    Domain d;
    d.bypass = r.boolean();
    const uint64_t n = r.bounded(options_.max_mappings - mapping_count, "the number of mappings");
    check(!domains.empty() && id <= domains.rbegin()->first, "domains repeat or are out of order");
    check(id < options_.domain_start || id > options_.domain_end,
          "domain " + std::to_string(id) + " is outside the domain range");
    check(d.bypass && n > 0, "a bypass domain holds mappings");
    for (uint64_t j = 0; j < n && r.ok(); ++j) {
      const uint64_t first = r.u64();
      Mapping m;
      m.last = r.u64();
      m.phys = r.u64();
      m.flags = r.u32();
      if (!r.ok()) break;
      const std::string at =
          "the mapping at IOVA " + std::to_string(first) + " of domain " + std::to_string(id);
      // The checks map() makes, in its order.
      check((m.flags & ~known) != 0, at + " has unknown or unnegotiated flags");
      check(m.last < first, at + " ends before it starts");
      check(((first | m.phys | (m.last + 1)) & granule_mask_) != 0,
            at + " is not aligned to the page granule");
      check(first < options_.input_start || m.last > options_.input_end,
            at + " is outside the input range");
      check(m.phys > UINT64_MAX - (m.last - first), at + " runs past the top of memory");
      check((m.flags & (kMapFRead | kMapFWrite)) == 0, at + " grants nothing");
      for (const ReservedRegion& res : options_.reserved) {
        check(first <= res.end && res.start <= m.last, at + " covers a reserved region");
      }
      check(!d.mappings.empty() && first <= d.mappings.rbegin()->second.last,
            at + " overlaps another or is out of order");
      // A MAP of exactly an existing range may replace it without this bound (replace_in_place).
      check(!options_.replace_in_place &&
                block_count(first, m.last, m.phys, kMaxBlocksPerMapping) > kMaxBlocksPerMapping,
            at + " needs more blocks than a MAP may make");
      d.mappings.emplace_hint(d.mappings.end(), first, m);
    }
    mapping_count += d.mappings.size();
    domains.emplace_hint(domains.end(), id, std::move(d));
  }
  // Domains exist exactly while an endpoint is attached (DETACH request).
  for (const auto& [ep, domain] : attached) {
    if (!domain || !r.ok()) continue;
    auto it = domains.find(*domain);
    check(it == domains.end(), "endpoint " + std::to_string(ep) + " is attached to domain " +
                                   std::to_string(*domain) + ", which does not exist");
    if (it != domains.end()) it->second.endpoints.insert(ep);
  }
  for (const auto& [id, d] : domains) {
    check(d.endpoints.empty(), "domain " + std::to_string(id) + " has no endpoint");
  }

  // -- Faults -----------------------------------------------------------------------------------
  auto check_fault = [&](const Fault& f) {
    check(f.reason > kFaultRMapping, "a fault with reason " + std::to_string(f.reason));
    check((f.flags & ~(kFaultFRead | kFaultFWrite | kFaultFAddress)) != 0,
          "a fault with unknown flags");
    check(!endpoints_.contains(f.endpoint),
          "a fault of endpoint " + std::to_string(f.endpoint) + ", which does not exist");
  };
  std::deque<Fault> pending;
  const uint64_t npending = r.bounded(kMaxPendingFaults, "the number of waiting faults");
  for (uint64_t i = 0; i < npending && r.ok(); ++i) {
    pending.push_back(read_fault(r));
    check_fault(pending.back());
  }
  const uint64_t reported = r.u64();
  const uint64_t dropped = r.u64();
  const uint64_t seq = r.u64();
  std::deque<FaultRecord> history;
  const uint64_t kept = r.bounded(kFaultHistory, "the number of faults kept");
  for (uint64_t i = 0; i < kept && r.ok(); ++i) {
    FaultRecord f;
    f.seq = r.u64();
    f.time_ns = r.u64();
    f.fault = read_fault(r);
    f.delivered = r.boolean();
    check(f.seq == 0 || f.seq > seq || (!history.empty() && f.seq <= history.back().seq),
          "the faults kept are not numbered in order");
    check_fault(f.fault);
    history.push_back(f);
  }
  if (!r.ok()) return;

  for (auto& [id, ep] : endpoints_) ep->domain = attached.at(id);
  domains_ = std::move(domains);
  mapping_count_ = mapping_count;
  bypass_ = bypass;
  features_ = features;
  event_queue_ = event_queue_known ? &event_queue : nullptr;
  pending_faults_ = std::move(pending);
  faults_reported_ = reported;
  faults_dropped_ = dropped;
  fault_seq_ = seq;
  fault_history_ = std::move(history);
}

}  // namespace glassvm
