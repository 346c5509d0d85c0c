// The IOMMU notifier contract: registration, the flag union, delivery with cropping, replay.
//
// Design note: delivery walks the notifier list by index, and an unregistration during a
// delivery nulls its slot instead of erasing it (compact() erases once the outermost delivery
// is over). So a callback may unregister anyone, itself included, or register new notifiers
// (appended past the count the running loop captured), without invalidating the loop. A
// delivery checks the slot again before each cropped block, so an unregistered notifier
// receives nothing more, even when its destructor ran inside the callback.
#include <algorithm>
#include <cassert>
#include <utility>

#include "engine/base/page.h"
#include "engine/memory/iommu.h"

namespace glassvm {

namespace {

[[maybe_unused]] bool is_block_mask(uint64_t mask) {
  return (mask & (mask + 1)) == 0;
}

/// Whether `event` is well formed: one type bit, a perm exactly when it is a MAP, a 2^k-1 mask.
[[maybe_unused]] bool valid_event(const IommuTlbEvent& event) {
  if (!is_block_mask(event.entry.addr_mask)) return false;
  switch (event.type) {
    case IommuNotifierFlag::Map: return event.entry.perm != kIommuNone;
    case IommuNotifierFlag::Unmap:
    case IommuNotifierFlag::DevIotlbUnmap: return event.entry.perm == kIommuNone;
    default: return false;
  }
}

}  // namespace

std::string to_string(IommuNotifierFlag flags) {
  static constexpr std::pair<IommuNotifierFlag, const char*> kNames[] = {
      {IommuNotifierFlag::Map, "MAP"},
      {IommuNotifierFlag::Unmap, "UNMAP"},
      {IommuNotifierFlag::DevIotlbUnmap, "DEVIOTLB_UNMAP"},
  };
  std::string out;
  for (const auto& [bit, name] : kNames) {
    if (!has_any(flags, bit)) continue;
    if (!out.empty()) out += '|';
    out += name;
  }
  return out.empty() ? "NONE" : out;
}

const char* to_string(IommuDeliveryOutcome outcome) {
  switch (outcome) {
    case IommuDeliveryOutcome::Delivered: return "delivered";
    case IommuDeliveryOutcome::SkippedIndex: return "skipped-index";
    case IommuDeliveryOutcome::SkippedFlags: return "skipped-flags";
    case IommuDeliveryOutcome::SkippedRange: return "skipped-range";
  }
  return "?";
}

std::vector<IommuBlock> iommu_aligned_blocks(uint64_t first, uint64_t last) {
  assert(first <= last && "iommu_aligned_blocks needs first <= last");
  std::vector<IommuBlock> out;
  if (first > last) return out;  // (release builds) nothing rather than a loop without end
  for (;;) {
    // The largest block `first` is aligned to, shrunk until it ends within the range.
    uint64_t mask = first == 0 ? ~uint64_t{0} : (first & (~first + 1)) - 1;
    while ((first | mask) > last) mask >>= 1;
    out.push_back({first, mask});
    if ((first | mask) == last) break;
    first = (first | mask) + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// IommuNotifier
// ---------------------------------------------------------------------------------------------

IommuNotifier::IommuNotifier(std::string name, IommuNotifierFlag flags, Callback callback,
                             uint64_t start, uint64_t end, int iommu_idx) {
  init(std::move(name), flags, std::move(callback), start, end, iommu_idx);
}

IommuNotifier::~IommuNotifier() {
  if (region_ != nullptr) region_->unregister_notifier(*this);
}

void IommuNotifier::init(std::string name, IommuNotifierFlag flags, Callback callback,
                         uint64_t start, uint64_t end, int iommu_idx) {
  assert(region_ == nullptr && "unregister an IommuNotifier before changing it");
  assert(start <= end && "an IommuNotifier range needs start <= end");
  name_ = std::move(name);
  flags_ = flags;
  callback_ = std::move(callback);
  start_ = start;
  end_ = end;
  iommu_idx_ = iommu_idx;
}

// ---------------------------------------------------------------------------------------------
// IommuMemoryRegion: model defaults
// ---------------------------------------------------------------------------------------------

IommuMemoryRegion::~IommuMemoryRegion() {
  assert(delivering_ == 0 && "an IommuMemoryRegion destroyed while it delivers an event");
  for (IommuNotifier* n : notifiers_) {
    if (n != nullptr) n->region_ = nullptr;
  }
}

void IommuMemoryRegion::init_iommu(std::string name, uint64_t size) {
  MemoryTransaction transaction;
  reset_kind(std::move(name), RegionKind::Iommu, size);
  mark_changed(/*reinitialised=*/true);
}

uint64_t IommuMemoryRegion::min_page_size() const {
  return kPageSize;
}

IommuTlbEntry IommuMemoryRegion::lookup(uint64_t iova, int iommu_idx) const {
  IommuTlbEntry nothing;
  nothing.addr_mask = ~uint64_t{0};
  return nothing;
}

void IommuMemoryRegion::replay(IommuNotifier& notifier) {
  if (!has_any(notifier.flags(), IommuNotifierFlag::Map)) return;  // would all be skipped
  if (size128() == 0) return;
  uint64_t region_last = static_cast<uint64_t>(size128() - 1);
  if (notifier.start() > region_last) return;
  uint64_t hi = std::min(notifier.end(), region_last);
  uint64_t step_mask = std::max<uint64_t>(min_page_size(), 1) - 1;
  assert(is_block_mask(step_mask) && "min_page_size() must be a power of two");
  uint64_t addr = notifier.start();
  for (;;) {
    IommuTlbEntry e = lookup(addr, notifier.iommu_idx());
    assert(is_block_mask(e.addr_mask) && "lookup() returned a mask that is not 2^k - 1");
    bool covers = e.first() <= addr && addr <= e.last();
    if (e.perm != kIommuNone && covers) {
      notify_one(notifier, {IommuNotifierFlag::Map, e});
    }
    // Skip the block lookup() described (mapped or a hole), and at least one minimum page.
    uint64_t done = std::max(covers ? e.last() : addr, addr | step_mask);
    if (done >= hi) break;
    addr = done + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// IommuMemoryRegion: registration
// ---------------------------------------------------------------------------------------------

IommuNotifierFlag IommuMemoryRegion::union_excluding(const IommuNotifier* skip) const {
  IommuNotifierFlag flags = IommuNotifierFlag::None;
  for (const IommuNotifier* n : notifiers_) {
    if (n != nullptr && n != skip) flags = flags | n->flags_;
  }
  return flags;
}

IommuNotifierFlag IommuMemoryRegion::notifier_flags() const {
  return union_excluding(nullptr);
}

std::vector<const IommuNotifier*> IommuMemoryRegion::notifiers() const {
  std::vector<const IommuNotifier*> out;
  for (const IommuNotifier* n : notifiers_) {
    if (n != nullptr) out.push_back(n);
  }
  return out;
}

bool IommuMemoryRegion::register_notifier(IommuNotifier& notifier, std::string* error) {
  assert(notifier.region_ == nullptr && "the IommuNotifier is already registered");
  assert(notifier.flags_ != IommuNotifierFlag::None && "an IommuNotifier needs flags (init())");
  assert(notifier.iommu_idx_ >= 0 && notifier.iommu_idx_ < num_indexes() &&
         "the IommuNotifier's index is outside the model's num_indexes()");
  IommuNotifierFlag old_flags = notifier_flags();
  IommuNotifierFlag new_flags = old_flags | notifier.flags_;
  if (new_flags != old_flags) {
    std::string why;
    if (!notify_flag_changed(old_flags, new_flags, &why)) {
      if (why.empty()) why = "the model cannot provide these events";
      if (error != nullptr) {
        *error = name() + ": cannot register IOMMU notifier \"" + notifier.name_ + "\" for " +
                 to_string(notifier.flags_) + ": " + why;
      }
      return false;
    }
  }
  notifiers_.push_back(&notifier);
  notifier.region_ = this;
  return true;
}

void IommuMemoryRegion::unregister_notifier(IommuNotifier& notifier) {
  assert(notifier.region_ == this && "the IommuNotifier is not registered with this region");
  auto it = std::find(notifiers_.begin(), notifiers_.end(), &notifier);
  assert(it != notifiers_.end());
  IommuNotifierFlag old_flags = notifier_flags();
  if (delivering_ > 0) {
    *it = nullptr;  // a delivery loop is walking the list: keep the indexes stable
  } else {
    notifiers_.erase(it);
  }
  notifier.region_ = nullptr;
  IommuNotifierFlag new_flags = notifier_flags();
  if (new_flags != old_flags) {
    std::string ignored;  // a removal cannot be refused
    notify_flag_changed(old_flags, new_flags, &ignored);
  }
}

void IommuMemoryRegion::compact() {
  notifiers_.erase(std::remove(notifiers_.begin(), notifiers_.end(), nullptr), notifiers_.end());
}

// ---------------------------------------------------------------------------------------------
// IommuMemoryRegion: delivery
// ---------------------------------------------------------------------------------------------

IommuDeliveryOutcome IommuMemoryRegion::classify(const IommuNotifier& n, int iommu_idx,
                                                 const IommuTlbEvent& event, bool check_index) {
  if (check_index && n.iommu_idx_ != iommu_idx) return IommuDeliveryOutcome::SkippedIndex;
  if (!has_any(n.flags_, event.type)) return IommuDeliveryOutcome::SkippedFlags;
  if (n.start_ > event.entry.last() || n.end_ < event.entry.first()) {
    return IommuDeliveryOutcome::SkippedRange;
  }
  return IommuDeliveryOutcome::Delivered;
}

void IommuMemoryRegion::deliver_cropped(IommuNotifier& n, long slot, const IommuTlbEvent& event) {
  const IommuTlbEntry& e = event.entry;
  uint64_t first = e.first();
  uint64_t lo = std::max(first, n.start_);
  uint64_t hi = std::min(e.last(), n.end_);
  uint64_t target_base = e.translated_addr & ~e.addr_mask;
  if (lo == first && hi == e.last()) {  // the usual case: the whole block, nothing to split
    IommuTlbEvent whole = event;
    whole.entry.iova = first;
    whole.entry.translated_addr = target_base;
    n.deliver(whole);
    return;
  }
  for (const IommuBlock& block : iommu_aligned_blocks(lo, hi)) {
    // Unregistered (perhaps destroyed) by an earlier block's callback: nothing more for it.
    if (slot >= 0 && notifiers_[slot] != &n) return;
    IommuTlbEvent piece = event;
    piece.entry.iova = block.start;
    piece.entry.addr_mask = block.mask;
    piece.entry.translated_addr = target_base + (block.start - first);
    n.deliver(piece);
  }
}

void IommuMemoryRegion::notify(int iommu_idx, const IommuTlbEvent& event,
                               std::optional<uint32_t> requester_id) {
  assert(valid_event(event) &&
         "an IommuTlbEvent needs one type, a perm exactly when it is a MAP, a 2^k-1 mask");
  assert(iommu_idx >= 0 && iommu_idx < num_indexes() && "notify() with an index out of range");
  bool observed = static_cast<bool>(observer_);
  IommuDeliveryReport report;
  ++delivering_;
  size_t count = notifiers_.size();  // notifiers registered from now on wait for the next event
  for (size_t i = 0; i < count; ++i) {
    IommuNotifier* n = notifiers_[i];
    if (n == nullptr) continue;
    IommuDeliveryOutcome outcome = classify(*n, iommu_idx, event, /*check_index=*/true);
    if (observed)
      report.outcomes.push_back({n->name_, n->flags_, outcome, n->start_, n->end_, n->iommu_idx_});
    if (outcome == IommuDeliveryOutcome::Delivered)
      deliver_cropped(*n, static_cast<long>(i), event);
  }
  if (--delivering_ == 0) compact();
  if (observed && observer_) {
    report.region = this;
    report.iommu_idx = iommu_idx;
    report.event = event;
    report.requester_id = requester_id;
    observer_(report);
  }
}

IommuDeliveryOutcome IommuMemoryRegion::notify_one(IommuNotifier& notifier,
                                                   const IommuTlbEvent& event) {
  assert(valid_event(event) &&
         "an IommuTlbEvent needs one type, a perm exactly when it is a MAP, a 2^k-1 mask");
  IommuDeliveryOutcome outcome =
      classify(notifier, notifier.iommu_idx_, event, /*check_index=*/false);
  IommuDeliveryReport report;
  report.iommu_idx = notifier.iommu_idx_;  // copied now: a callback may destroy the notifier
  if (observer_)
    report.outcomes.push_back({notifier.name_, notifier.flags_, outcome, notifier.start_,
                               notifier.end_, notifier.iommu_idx_});
  if (outcome == IommuDeliveryOutcome::Delivered) {
    ++delivering_;
    auto it = std::find(notifiers_.begin(), notifiers_.end(), &notifier);
    long slot = it == notifiers_.end() ? -1 : static_cast<long>(it - notifiers_.begin());
    deliver_cropped(notifier, slot, event);
    if (--delivering_ == 0) compact();
  }
  if (observer_) {
    report.region = this;
    report.event = event;
    report.targeted = true;
    observer_(report);
  }
  return outcome;
}

void IommuMemoryRegion::notify_change(int iommu_idx, const IommuTlbEntry& old_entry,
                                      const IommuTlbEntry& new_entry,
                                      std::optional<uint32_t> requester_id) {
  IommuTlbEvent unmap{IommuNotifierFlag::Unmap, old_entry};
  unmap.entry.perm = kIommuNone;
  notify(iommu_idx, unmap, requester_id);
  notify(iommu_idx, {IommuNotifierFlag::Map, new_entry}, requester_id);
}

}  // namespace glassvm
