// The RISC-V IOMMU's translation side: the device-directory walk (2.1, 2.3 steps 1-10), the
// first-stage page-table walk (2.3, privileged spec Sv39/Sv48/Sv57), the IOTLB and
// device-context cache, and the IOMMU notifier contract (translate, lookup, replay, refusal
// of MAP notifiers, UNMAP/DEVIOTLB_UNMAP events).
//
// Design note: one walker serves translate(), lookup() and replay(). translate() puts the
// caches in front of it and records faults; lookup() and replay() call it on guest memory
// with debug reads and touch nothing else, so the UI's view of a device's mappings never
// changes what the device sees.
#include <algorithm>
#include <cassert>
#include <functional>
#include <set>
#include <vector>

#include "iommu/riscv_iommu.h"

namespace glassvm {

using namespace riscv_iommu;

namespace {

/// First-stage levels of an iosatp mode, or 0 when the mode is not supported.
int satp_levels(uint64_t mode) {
  switch (mode) {
    case kSatpSv39: return 3;
    case kSatpSv48: return 4;
    case kSatpSv57: return 5;
    default: return 0;
  }
}

enum class PteKind { Invalid, Pointer, Leaf };

/// Classifies a first-stage PTE found at `level` (0 = 4 KiB leaves); for a leaf, `perm` is
/// what a device (a U-mode requester, no hardware A/D updates) may do through it.
PteKind classify_pte(uint64_t pte, int level, IommuAccessFlags& perm) {
  perm = kIommuNone;
  if (!(pte & PTE_V) || ((pte & PTE_W) && !(pte & PTE_R)) || (pte & PTE_RESERVED)) {
    return PteKind::Invalid;
  }
  const bool leaf = pte & (PTE_R | PTE_X);
  uint64_t ppn = get_field(pte, PTE_PPN);
  if ((pte & PTE_N) && (!leaf || level != 0 || (ppn & 0xf) != kNapot64KPpnLow)) {
    return PteKind::Invalid;
  }
  if (!leaf) return level == 0 ? PteKind::Invalid : PteKind::Pointer;
  if (level > 0 && (ppn & ((uint64_t{1} << (9 * level)) - 1))) return PteKind::Invalid;
  // No process id: the request is a U-mode one and needs U. Without AMO_HWAD, A=0 faults
  // every access and D=0 faults writes.
  if (!(pte & PTE_U) || !(pte & PTE_A)) return PteKind::Leaf;
  unsigned p = (pte & PTE_R) ? kIommuRead : 0;
  if ((pte & PTE_W) && (pte & PTE_D)) p |= kIommuWrite;
  perm = static_cast<IommuAccessFlags>(p);
  return PteKind::Leaf;
}

/// The address a leaf PTE maps `iova`'s page to. In a 64 KiB NAPOT leaf the low four bits of
/// the PPN come from the iova (Svnapot: pa.ppn[3:0] = va.vpn[3:0]); such a leaf is used, and
/// cached, one 4 KiB page at a time, as hardware may: an IOTINVAL.VMA of a page drops it.
uint64_t leaf_address(uint64_t pte, uint64_t iova) {
  uint64_t ppn = get_field(pte, PTE_PPN);
  if (pte & PTE_N) ppn = (ppn & ~uint64_t{0xf}) | ((iova >> 12) & 0xf);
  return ppn << 12;
}

uint64_t level_mask(int level) {
  return (uint64_t{1} << (12 + 9 * level)) - 1;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Walks
// ---------------------------------------------------------------------------------------------

bool RiscvIommu::load64(uint64_t addr, uint64_t& value, bool debug) const {
  MemTxAttrs attrs;
  attrs.debug = debug;
  return memory_.load(addr, 8, value, attrs) == MemTxResult::Ok;
}

bool RiscvIommu::dc_misconfigured(const DeviceContext& dc) {
  // 2.1.4, for what this IOMMU supports.
  const uint64_t tc = dc.tc;
  if (tc & DC_TC_RESERVED) return true;
  if ((tc & DC_TC_EN_PRI) && !(tc & DC_TC_EN_ATS)) return true;
  if ((tc & DC_TC_PRPR) && !(tc & DC_TC_EN_PRI)) return true;
  if (tc & DC_TC_T2GPA) return true;                // capabilities.T2GPA is 0
  if (tc & (DC_TC_GADE | DC_TC_SADE)) return true;  // capabilities.AMO_HWAD is 0
  if ((tc & DC_TC_DPE) && !(tc & DC_TC_PDTV)) return true;
  if (tc & DC_TC_SBE) return true;                        // capabilities.END is 0
  if (tc & DC_TC_SXL) return true;                        // no Sv32 (fctl.GXL is 0)
  if (get_field(dc.iohgatp, ATP_MODE) != 0) return true;  // no second stage
  if (dc.ta & DC_TA_RESERVED) return true;
  uint64_t mode = get_field(dc.fsc, ATP_MODE);
  if (tc & DC_TC_PDTV) return mode != 0;  // PD8/PD17/PD20 are 0: only a Bare pdtp
  if (mode != kSatpBare && satp_levels(mode) == 0) return true;
  if (dc.fsc & IOSATP_RESERVED) return true;
  return false;
}

uint32_t RiscvIommu::walk_ddt(uint32_t did, DeviceContext& dc, bool debug,
                              std::vector<WalkStep>* steps, uint64_t* context_addr) const {
  auto record = [steps](WalkStep::Kind kind, int index, uint64_t addr, uint64_t value) {
    if (steps != nullptr) steps->push_back({kind, index, addr, value});
  };
  record(WalkStep::Kind::Ddtp, 0, 0, ddtp_);
  int levels = 0;  // non-leaf levels above the leaf table
  unsigned did_bits = 0;
  switch (get_field(ddtp_, DDTP_MODE)) {
    case kMode1Lvl: levels = 0, did_bits = kDdi0Bits; break;
    case kMode2Lvl: levels = 1, did_bits = kDdi0Bits + kDdi1Bits; break;
    case kMode3Lvl: levels = 2, did_bits = kDeviceIdBits; break;
    default: return kCauseAllInboundDisallowed;  // not a table mode: callers handle Off/Bare
  }
  // 2.3 step 3: a device id wider than the directory can index.
  if (did >> did_bits) return kCauseTransactionTypeDisallowed;
  const uint64_t ddi[3] = {did & ((1u << kDdi0Bits) - 1),
                           (did >> kDdi0Bits) & ((1u << kDdi1Bits) - 1),
                           did >> (kDdi0Bits + kDdi1Bits)};
  uint64_t addr = get_field(ddtp_, DDTP_PPN) << 12;
  for (int i = levels; i > 0; --i) {
    uint64_t ddte = 0;
    if (!load64(addr + ddi[i] * 8, ddte, debug)) return kCauseDdtLoadAccessFault;
    record(WalkStep::Kind::DdtEntry, i, addr + ddi[i] * 8, ddte);
    if (!(ddte & DDTE_V)) return kCauseDdtNotValid;
    if (ddte & DDTE_RESERVED) return kCauseDdtMisconfigured;
    addr = get_field(ddte, DDTE_PPN) << 12;
  }
  uint64_t base = addr + ddi[0] * kDcSize;
  if (context_addr != nullptr) *context_addr = base;
  uint64_t* words[4] = {&dc.tc, &dc.iohgatp, &dc.ta, &dc.fsc};
  for (int i = 0; i < 4; ++i) {
    if (!load64(base + 8 * i, *words[i], debug)) return kCauseDdtLoadAccessFault;
    record(WalkStep::Kind::ContextWord, i, base + 8 * i, *words[i]);
  }
  if (!(dc.tc & DC_TC_V)) return kCauseDdtNotValid;
  if (dc_misconfigured(dc)) return kCauseDdtMisconfigured;
  return 0;
}

IommuTlbEntry RiscvIommu::identity_entry() const {
  IommuTlbEntry e;
  e.target_as = &memory_;
  e.addr_mask = ~uint64_t{0};
  e.perm = kIommuRw;
  return e;
}

RiscvIommu::Walk RiscvIommu::walk_first_stage(const DeviceContext& dc, uint64_t iova, bool debug,
                                              std::vector<WalkStep>* steps) const {
  Walk w;
  w.entry.target_as = &memory_;
  int levels = satp_levels(get_field(dc.fsc, ATP_MODE));
  assert(levels > 0 && "walk_first_stage needs a checked, non-Bare context");
  int va_bits = 12 + 9 * levels;
  // The iova must be the sign extension of its low va_bits bits; the hole between the two
  // canonical halves is reported as one block of half the address width.
  int unused = 64 - va_bits;
  if (static_cast<uint64_t>(static_cast<int64_t>(iova << unused) >> unused) != iova) {
    w.page_fault = true;
    w.entry.addr_mask = (uint64_t{1} << (va_bits - 1)) - 1;
    w.entry.iova = iova & ~w.entry.addr_mask;
    return w;
  }
  uint64_t table = get_field(dc.fsc, ATP_PPN) << 12;
  for (int level = levels - 1; level >= 0; --level) {
    uint64_t mask = level_mask(level);
    w.entry.addr_mask = mask;
    w.entry.iova = iova & ~mask;
    uint64_t index = (iova >> (12 + 9 * level)) & 511;
    uint64_t pte = 0;
    if (!load64(table + index * 8, pte, debug)) {
      w.access_fault = true;  // an implicit access: reported with the request's access type
      return w;
    }
    if (steps != nullptr) steps->push_back({WalkStep::Kind::Pte, level, table + index * 8, pte});
    IommuAccessFlags perm = kIommuNone;
    switch (classify_pte(pte, level, perm)) {
      case PteKind::Invalid: w.page_fault = true; return w;
      case PteKind::Pointer:
        w.global = w.global || (pte & PTE_G);
        table = get_field(pte, PTE_PPN) << 12;
        break;
      case PteKind::Leaf:
        w.global = w.global || (pte & PTE_G);
        w.entry.translated_addr = leaf_address(pte, iova);
        w.entry.perm = perm;
        if (perm == kIommuNone) w.page_fault = true;  // U=0 or A=0: no access is allowed
        return w;
    }
  }
  w.page_fault = true;  // unreachable: classify_pte makes a level-0 pointer invalid
  return w;
}

uint32_t RiscvIommu::walk_fault_cause(const Walk& w, IommuAccessFlags access) {
  const bool write = access & kIommuWrite;
  if (w.access_fault) return write ? kCauseWriteAccessFault : kCauseReadAccessFault;
  if (w.page_fault || (w.entry.perm & access) != access) {
    return write ? kCauseWritePageFault : kCauseReadPageFault;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The IommuMemoryRegion contract
// ---------------------------------------------------------------------------------------------

int RiscvIommu::attrs_to_index(MemTxAttrs attrs) const {
  assert(attrs.requester_id < (1u << kDeviceIdBits) &&
         "a device behind the RISC-V IOMMU needs a 24-bit requester id (device_id)");
  return static_cast<int>(attrs.requester_id & ((1u << kDeviceIdBits) - 1));
}

IommuTlbEntry RiscvIommu::translate(uint64_t iova, IommuAccessFlags access, int iommu_idx,
                                    MemTxAttrs attrs) {
  if (attrs.debug) return lookup(iova, iommu_idx);
  return translate_request(iova, access, static_cast<uint32_t>(iommu_idx), false);
}

IommuTlbEntry RiscvIommu::ats_request_translation(uint64_t iova, IommuAccessFlags access,
                                                  int iommu_idx, MemTxAttrs attrs) {
  if (attrs.debug) return lookup(iova, iommu_idx);
  return translate_request(iova, access, static_cast<uint32_t>(iommu_idx), true);
}

IommuTlbEntry RiscvIommu::translate_request(uint64_t iova, IommuAccessFlags access, uint32_t did,
                                            bool ats) {
  const bool write = access & kIommuWrite;
  const uint32_t ttyp = ats     ? kTtypAtsTranslationRequest
                        : write ? kTtypUntranslatedWrite
                                : kTtypUntranslatedRead;
  IommuTlbEntry fault;
  fault.iova = iova & ~uint64_t{0xfff};
  fault.addr_mask = 0xfff;

  switch (get_field(ddtp_, DDTP_MODE)) {
    case kModeOff: record_fault(kCauseAllInboundDisallowed, ttyp, did, iova, 0); return fault;
    case kModeBare:
      // 2.3: in Bare mode nothing translates, so an ATS translation request is a disallowed
      // transaction type.
      if (!ats) return identity_entry();
      record_fault(kCauseTransactionTypeDisallowed, ttyp, did, iova, 0);
      return fault;
    default: break;
  }

  DeviceContext dc;
  auto cached = dc_cache_.find(did);
  if (cached != dc_cache_.end()) {
    dc = cached->second;
  } else {
    ++stats_.ddt_walks;
    uint32_t cause = walk_ddt(did, dc, false);
    if (cause != 0) {
      record_fault(cause, ttyp, did, iova, 0);
      return fault;
    }
    if (dc_cache_.size() >= kDcCacheCapacity) dc_cache_.erase(dc_cache_.begin());
    dc_cache_[did] = dc;
  }
  const bool report = !(dc.tc & DC_TC_DTF);  // DTF: faults past the context are not reported

  // 2.3: a device whose context does not enable ATS may not ask for translations.
  if (ats && !(dc.tc & DC_TC_EN_ATS)) {
    if (report) record_fault(kCauseTransactionTypeDisallowed, ttyp, did, iova, 0);
    return fault;
  }

  if ((dc.tc & DC_TC_PDTV) || get_field(dc.fsc, ATP_MODE) == kSatpBare) return identity_entry();

  const auto pscid = static_cast<uint32_t>(get_field(dc.ta, DC_TA_PSCID));
  if (const IotlbEntry* hit = iotlb_find(did, pscid, iova)) {
    if ((hit->entry.perm & access) == access) {
      ++stats_.iotlb_hits;
      return hit->entry;
    }
    // A cached entry without the permission (e.g. D=0 for a write) is walked again: a fault is
    // decided on the tables, never on a cached entry.
  }
  ++stats_.iotlb_misses;
  ++stats_.page_walks;
  Walk w = walk_first_stage(dc, iova, false);
  if (ats && !w.access_fault) {
    // An ATS translation completes with the permissions the tables grant; a page fault is a
    // Success completion with R = W = 0, which the device judges. Neither is a fault record.
    if (w.page_fault) return fault;
    iotlb_insert(did, pscid, w);
    return w.entry;
  }
  // An access fault reading the tables is reported for ATS requests too (a Completer Abort).
  if (uint32_t cause = walk_fault_cause(w, access); cause != 0) {
    if (report) record_fault(cause, ttyp, did, iova, 0);
    return fault;
  }
  iotlb_insert(did, pscid, w);
  return w.entry;
}

RiscvIommu::Walk RiscvIommu::lookup_in_context(const DeviceContext& dc, uint64_t iova) const {
  if ((dc.tc & DC_TC_PDTV) || get_field(dc.fsc, ATP_MODE) == kSatpBare) {
    Walk w;
    w.entry = identity_entry();
    return w;
  }
  return walk_first_stage(dc, iova, true);
}

IommuTlbEntry RiscvIommu::lookup(uint64_t iova, int iommu_idx) const {
  IommuTlbEntry nothing;
  nothing.addr_mask = ~uint64_t{0};
  switch (get_field(ddtp_, DDTP_MODE)) {
    case kModeOff: return nothing;
    case kModeBare: return identity_entry();
    default: break;
  }
  DeviceContext dc;
  if (walk_ddt(static_cast<uint32_t>(iommu_idx), dc, true) != 0) return nothing;
  Walk w = lookup_in_context(dc, iova);
  if (w.access_fault || w.page_fault) w.entry.perm = kIommuNone;
  if (w.entry.perm == kIommuNone) {
    w.entry.target_as = nullptr;
    w.entry.translated_addr = 0;
  }
  return w.entry;
}

bool RiscvIommu::notify_flag_changed(IommuNotifierFlag old_flags, IommuNotifierFlag new_flags,
                                     std::string* error) {
  if (has_any(new_flags, IommuNotifierFlag::Map) && !has_any(old_flags, IommuNotifierFlag::Map)) {
    if (error != nullptr) {
      *error =
          "the RISC-V IOMMU cannot send MAP events: page-table writes are invisible to it (it "
          "learns of changes only from the guest's IOTINVAL/IODIR invalidation commands), so it "
          "can announce removals (UNMAP, DEVIOTLB_UNMAP) but never new mappings; register for "
          "UNMAP and ask for a replay to learn the current mappings";
    }
    return false;
  }
  return true;
}

void RiscvIommu::replay(IommuNotifier& notifier) {
  if (!has_any(notifier.flags(), IommuNotifierFlag::Map)) return;
  visit_device_leaves(static_cast<uint32_t>(notifier.iommu_idx()), notifier.start(), notifier.end(),
                      kReplayMaxReads, [&](const IommuTlbEntry& e) {
                        notify_one(notifier, {IommuNotifierFlag::Map, e});
                        return true;
                      });
}

bool RiscvIommu::visit_device_leaves(uint32_t did, uint64_t first, uint64_t last,
                                     uint64_t max_reads,
                                     const std::function<bool(const IommuTlbEntry&)>& leaf) const {
  switch (get_field(ddtp_, DDTP_MODE)) {
    case kModeOff: return true;
    case kModeBare: return leaf(identity_entry());
    default: break;
  }
  DeviceContext dc;
  if (walk_ddt(did, dc, true) != 0) return true;
  if ((dc.tc & DC_TC_PDTV) || get_field(dc.fsc, ATP_MODE) == kSatpBare) {
    return leaf(identity_entry());
  }
  const int levels = satp_levels(get_field(dc.fsc, ATP_MODE));
  uint64_t reads = 0;
  return visit_leaves(get_field(dc.fsc, ATP_PPN) << 12, levels - 1, 0, 12 + 9 * levels, first, last,
                      max_reads, reads, leaf);
}

bool RiscvIommu::visit_leaves(uint64_t table, int level, uint64_t va_base, int va_bits,
                              uint64_t first, uint64_t last, uint64_t max_reads, uint64_t& reads,
                              const std::function<bool(const IommuTlbEntry&)>& leaf) const {
  const int shift = 12 + 9 * level;
  const int unused = 64 - va_bits;
  for (uint64_t index = 0; index < 512; ++index) {
    uint64_t va = va_base | (index << shift);
    va = static_cast<uint64_t>(static_cast<int64_t>(va << unused) >> unused);  // canonical
    if ((va | level_mask(level)) < first || va > last) continue;
    if (reads >= max_reads) return false;
    ++reads;
    uint64_t pte = 0;
    if (!load64(table + index * 8, pte, true)) continue;
    IommuAccessFlags perm = kIommuNone;
    switch (classify_pte(pte, level, perm)) {
      case PteKind::Invalid: break;
      case PteKind::Pointer:
        if (!visit_leaves(get_field(pte, PTE_PPN) << 12, level - 1, va, va_bits, first, last,
                          max_reads, reads, leaf)) {
          return false;
        }
        break;
      case PteKind::Leaf:
        if (perm != kIommuNone) {
          IommuTlbEntry e;
          e.target_as = &memory_;
          e.iova = va;
          e.translated_addr = leaf_address(pte, va);
          e.addr_mask = level_mask(level);
          e.perm = perm;
          if (!leaf(e)) return false;
        }
        break;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Debug introspection
// ---------------------------------------------------------------------------------------------

RiscvIommu::ContextWalk RiscvIommu::debug_context(uint32_t did) const {
  ContextWalk c;
  c.ddtp_mode = get_field(ddtp_, DDTP_MODE);
  switch (c.ddtp_mode) {
    case kModeOff:
      c.steps.push_back({WalkStep::Kind::Ddtp, 0, 0, ddtp_});
      c.cause = kCauseAllInboundDisallowed;
      return c;
    case kModeBare: c.steps.push_back({WalkStep::Kind::Ddtp, 0, 0, ddtp_}); return c;
    default: break;
  }
  DeviceContext dc;
  c.cause = walk_ddt(did, dc, true, &c.steps, &c.context_addr);
  c.tc = dc.tc, c.iohgatp = dc.iohgatp, c.ta = dc.ta, c.fsc = dc.fsc;
  return c;
}

RiscvIommu::IovaWalk RiscvIommu::debug_walk(uint32_t did, uint64_t iova,
                                            IommuAccessFlags access) const {
  IovaWalk v;
  v.context = debug_context(did);
  if (v.context.cause != 0) {
    v.cause = v.context.cause;
    return v;
  }
  const DeviceContext dc{v.context.tc, v.context.iohgatp, v.context.ta, v.context.fsc};
  if (v.context.ddtp_mode == kModeBare || (dc.tc & DC_TC_PDTV) ||
      get_field(dc.fsc, ATP_MODE) == kSatpBare) {
    v.identity = v.ok = true;
    v.pa = iova;
    v.page_mask = ~uint64_t{0};
    v.perm = kIommuRw;
    return v;
  }
  const Walk w = walk_first_stage(dc, iova, true, &v.ptes);
  v.perm = w.entry.perm;
  v.page_mask = w.entry.addr_mask;
  v.napot = !v.ptes.empty() && (v.ptes.back().value & PTE_N) && w.entry.perm != kIommuNone;
  v.cause = walk_fault_cause(w, access);
  v.reported = !(dc.tc & DC_TC_DTF);
  v.ok = v.cause == 0;
  if (v.ok) v.pa = w.entry.translated_addr | (iova & w.entry.addr_mask);
  return v;
}

bool RiscvIommu::iotlb_holds(uint32_t did, uint64_t iova) const {
  DeviceContext dc;
  const uint64_t mode = get_field(ddtp_, DDTP_MODE);
  if (mode == kModeOff || mode == kModeBare || walk_ddt(did, dc, true) != 0) return false;
  return iotlb_find(did, static_cast<uint32_t>(get_field(dc.ta, DC_TA_PSCID)), iova) != nullptr;
}

std::vector<IommuTlbEntry> RiscvIommu::debug_mappings(uint32_t did, size_t max_entries,
                                                      uint64_t max_reads, bool* truncated) const {
  std::vector<IommuTlbEntry> out;
  bool more = false;
  const bool finished =
      visit_device_leaves(did, 0, ~uint64_t{0}, max_reads, [&](const IommuTlbEntry& e) {
        if (out.size() >= max_entries) {
          more = true;
          return false;
        }
        out.push_back(e);
        return true;
      });
  if (truncated != nullptr) *truncated = more || !finished;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Caches and invalidation events
// ---------------------------------------------------------------------------------------------

const RiscvIommu::IotlbEntry* RiscvIommu::iotlb_find(uint32_t did, uint32_t pscid,
                                                     uint64_t iova) const {
  for (int level = 0; level < 5; ++level) {
    uint64_t mask = level_mask(level);
    auto it = iotlb_.find({did, pscid, iova & ~mask});
    if (it != iotlb_.end() && it->second.entry.addr_mask == mask) return &it->second;
  }
  return nullptr;
}

void RiscvIommu::iotlb_insert(uint32_t did, uint32_t pscid, const Walk& walk) {
  IotlbKey key{did, pscid, walk.entry.first()};
  // A walk that finds another leaf at a cached entry's base (the entry lacked the access, or
  // the tables changed) replaces it: the old block leaves the IOTLB, announced like any drop.
  auto old = iotlb_.find(key);
  if (old != iotlb_.end() && old->second.entry != walk.entry) {
    iotlb_invalidate([&](const IotlbKey& k, const IotlbEntry&) {
      return k.did == key.did && k.pscid == key.pscid && k.base == key.base;
    });
  }
  iotlb_.erase(key);
  if (iotlb_.size() >= kIotlbCapacity) {
    auto oldest = std::min_element(iotlb_.begin(), iotlb_.end(), [](const auto& a, const auto& b) {
      return a.second.stamp < b.second.stamp;
    });
    IotlbKey victim = oldest->first;
    iotlb_invalidate([&](const IotlbKey& k, const IotlbEntry&) {
      return k.did == victim.did && k.pscid == victim.pscid && k.base == victim.base;
    });
  }
  iotlb_[key] = {walk.entry, walk.global, ++iotlb_stamp_};
}

void RiscvIommu::iotlb_invalidate(
    const std::function<bool(const IotlbKey&, const IotlbEntry&)>& match) {
  // Drop first, then announce: a callback may translate again and refill the IOTLB.
  std::vector<std::pair<uint32_t, IommuTlbEntry>> dropped;
  for (auto it = iotlb_.begin(); it != iotlb_.end();) {
    if (match(it->first, it->second)) {
      dropped.emplace_back(it->first.did, it->second.entry);
      it = iotlb_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [did, entry] : dropped) {
    IommuTlbEntry e = entry;
    e.translated_addr = 0;
    e.perm = kIommuNone;
    e.iova = entry.first();
    notify(static_cast<int>(did), {IommuNotifierFlag::Unmap, e}, did);
  }
}

void RiscvIommu::unmap_whole_space(uint32_t did) {
  IommuTlbEntry e;
  e.target_as = &memory_;
  e.addr_mask = ~uint64_t{0};
  notify(static_cast<int>(did), {IommuNotifierFlag::Unmap, e}, did);
}

void RiscvIommu::invalidate_everything() {
  // Announced for every device a notifier listens to, and for every device whose context or
  // translations were cached (so that the delivery observer, --trace-iommu and the event log,
  // sees the invalidation even with no notifier registered).
  std::set<int> indexes;
  for (const IommuNotifier* n : notifiers()) indexes.insert(n->iommu_idx());
  for (const auto& [did, dc] : dc_cache_) indexes.insert(static_cast<int>(did));
  for (const auto& [key, entry] : iotlb_) indexes.insert(static_cast<int>(key.did));
  dc_cache_.clear();
  iotlb_.clear();
  for (int idx : indexes) unmap_whole_space(static_cast<uint32_t>(idx));
}

}  // namespace glassvm
