// The IOMMU contract of the memory API: the IOMMU region kind, translation entries, and the
// notifiers through which a model tells its consumers about mapping changes.
//
// Design note: this is QEMU's IOMMU notifier API ("memory: introduce IOMMUNotifier and its
// caps", and the later IOMMUTLBEvent / DEVIOTLB_UNMAP additions) written again in plain C++.
// It lives in the engine because the memory API is where an access meets an IOMMU region; the
// models (virtio-iommu, RISC-V IOMMU) and the consumers (device IOTLBs, shadow maps, the event
// log) live in the top-level iommu/ library and use only what this header declares.
//
// The rules, each pinned by tests/engine/memory/iommu_notifier_test.cpp:
// - A notifier states the event types it wants (MAP, UNMAP, DEVIOTLB_UNMAP), an inclusive IOVA
//   range and an IOMMU index. notify() delivers an event only to notifiers whose index equals
//   the event's, whose flags contain its type and whose range overlaps the entry's block, in
//   that order of checks, and in registration order.
// - A delivered entry is cropped to the notifier's range. A crop that is not a naturally
//   aligned power-of-two block is delivered as the fewest aligned blocks, in ascending order,
//   so that every entry a notifier sees is a valid IommuTlbEntry.
// - An in-place change is an UNMAP of the old entry followed by a MAP of the new one.
// - The model hears of every change of the union of its notifiers' flags, and may refuse a
//   registration (the list stays unchanged and the caller gets the model's reason).
// - Replay delivers the current mappings to one notifier. It never goes through translate():
//   translate() is a device's request (a model may record faults, set A/D bits, count), while
//   replay uses lookup(), which must have no side effects.
// - Re-entrancy: a callback may unregister any notifier (itself included) and register new
//   ones. A notifier unregistered during a delivery receives nothing more from it (not even the
//   rest of its cropped blocks); one registered during a delivery does not receive the event
//   in flight. Destroying a region while it delivers is a programmer error.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/memory/memory.h"

namespace glassvm {

class IommuMemoryRegion;

// ---------------------------------------------------------------------------------------------
// Translations and events
// ---------------------------------------------------------------------------------------------

/// Access permissions of an IOMMU mapping (QEMU's IOMMUAccessFlags).
enum IommuAccessFlags : uint8_t {
  kIommuNone = 0,
  kIommuRead = 1,
  kIommuWrite = 2,
  kIommuRw = 3,
};

/// One translation (QEMU's IOMMUTLBEntry): the naturally aligned block [iova & ~addr_mask,
/// iova | addr_mask] maps to translated_addr in target_as with permission perm. addr_mask is
/// always 2^k - 1. The address an iova in the block reaches is
/// (translated_addr & ~addr_mask) | (iova & addr_mask).
struct IommuTlbEntry {
  AddressSpace* target_as = nullptr;
  uint64_t iova = 0;
  uint64_t translated_addr = 0;
  uint64_t addr_mask = 0;
  IommuAccessFlags perm = kIommuNone;

  uint64_t first() const { return iova & ~addr_mask; }  ///< first iova of the block
  uint64_t last() const { return iova | addr_mask; }    ///< last iova of the block (inclusive)
  bool operator==(const IommuTlbEntry&) const = default;
};

/// What a notifier wants to hear (QEMU's IOMMUNotifierFlag). A bit set: the event types are
/// the single bits Map, Unmap and DevIotlbUnmap; IotlbEvents and All are unions.
enum class IommuNotifierFlag : uint8_t {
  None = 0,
  Map = 1,            ///< new mappings (additions)
  Unmap = 2,          ///< removals and IOTLB invalidations
  DevIotlbUnmap = 4,  ///< invalidations aimed at device-side (ATS) translation caches
  IotlbEvents = Map | Unmap,
  All = Map | Unmap | DevIotlbUnmap,
};

constexpr IommuNotifierFlag operator|(IommuNotifierFlag a, IommuNotifierFlag b) {
  return static_cast<IommuNotifierFlag>(static_cast<uint8_t>(a) | static_cast<uint8_t>(b));
}
constexpr IommuNotifierFlag operator&(IommuNotifierFlag a, IommuNotifierFlag b) {
  return static_cast<IommuNotifierFlag>(static_cast<uint8_t>(a) & static_cast<uint8_t>(b));
}
/// Whether `flags` has any bit of `bits`.
constexpr bool has_any(IommuNotifierFlag flags, IommuNotifierFlag bits) {
  return (flags & bits) != IommuNotifierFlag::None;
}
/// "MAP", "UNMAP", "DEVIOTLB_UNMAP", unions joined by '|', "NONE" for no bit.
std::string to_string(IommuNotifierFlag flags);

/// One mapping change (QEMU's IOMMUTLBEvent). `type` is exactly one of Map, Unmap and
/// DevIotlbUnmap. A Map entry has a permission; an Unmap or DevIotlbUnmap entry has
/// perm kIommuNone. Anything else is a programmer error in the model (assert).
struct IommuTlbEvent {
  IommuNotifierFlag type = IommuNotifierFlag::Unmap;
  IommuTlbEntry entry;
};

/// One naturally aligned block [start, start + mask].
struct IommuBlock {
  uint64_t start = 0;
  uint64_t mask = 0;
  bool operator==(const IommuBlock&) const = default;
};

/// The fewest naturally aligned power-of-two blocks that exactly cover [first, last], in
/// ascending order (at most 128). Requires first <= last (assert; without assertions, none).
/// Models use it to turn a guest-given range, which may be anything, into valid entries.
std::vector<IommuBlock> iommu_aligned_blocks(uint64_t first, uint64_t last);

// ---------------------------------------------------------------------------------------------
// Notifiers
// ---------------------------------------------------------------------------------------------

/// A subscriber to an IOMMU region's mapping changes (QEMU's IOMMUNotifier). Configure it while
/// unregistered, then register it with IommuMemoryRegion::register_notifier(). Destroying a
/// registered notifier unregisters it; a notifier outliving its region is simply let go.
class IommuNotifier {
 public:
  using Callback = std::function<void(const IommuTlbEvent&)>;

  IommuNotifier() = default;
  /// Same as init().
  IommuNotifier(std::string name, IommuNotifierFlag flags, Callback callback, uint64_t start = 0,
                uint64_t end = UINT64_MAX, int iommu_idx = 0);
  ~IommuNotifier();
  IommuNotifier(const IommuNotifier&) = delete;
  IommuNotifier& operator=(const IommuNotifier&) = delete;

  /// QEMU's iommu_notifier_init: what to hear (`flags`, not None), about which IOVAs
  /// ([start, end], inclusive, start <= end) of which index. `name` names it in traces and
  /// the UI. Only while unregistered (assert).
  void init(std::string name, IommuNotifierFlag flags, Callback callback, uint64_t start = 0,
            uint64_t end = UINT64_MAX, int iommu_idx = 0);

  const std::string& name() const { return name_; }
  IommuNotifierFlag flags() const { return flags_; }
  uint64_t start() const { return start_; }
  uint64_t end() const { return end_; }  ///< inclusive
  int iommu_idx() const { return iommu_idx_; }
  /// The region it is registered with, or nullptr.
  IommuMemoryRegion* region() const { return region_; }
  bool registered() const { return region_ != nullptr; }

  /// Hands `event` to the callback. The region calls it; nothing else should.
  void deliver(const IommuTlbEvent& event) const {
    if (callback_) callback_(event);
  }

 private:
  friend class IommuMemoryRegion;
  std::string name_;
  IommuNotifierFlag flags_ = IommuNotifierFlag::None;
  Callback callback_;
  uint64_t start_ = 0;
  uint64_t end_ = UINT64_MAX;
  int iommu_idx_ = 0;
  IommuMemoryRegion* region_ = nullptr;
};

/// What notify() did with an event for one notifier, in the order the checks are made.
enum class IommuDeliveryOutcome : uint8_t {
  Delivered,     ///< received it (possibly cropped, possibly as several blocks)
  SkippedIndex,  ///< registered for another IOMMU index
  SkippedFlags,  ///< its flags lack the event's type
  SkippedRange,  ///< its range does not overlap the entry's block
};
/// "delivered", "skipped-index", "skipped-flags", "skipped-range".
const char* to_string(IommuDeliveryOutcome outcome);

/// One notifier's outcome, as the delivery observer sees it. A copy, not a pointer: the
/// notifier may be gone by the time the observer runs.
struct IommuNotifierOutcome {
  std::string name;
  IommuNotifierFlag flags = IommuNotifierFlag::None;
  IommuDeliveryOutcome outcome = IommuDeliveryOutcome::Delivered;
  uint64_t start = 0;         ///< the notifier's range (a skip for range is explained by it)
  uint64_t end = UINT64_MAX;  ///< inclusive
  int iommu_idx = 0;          ///< the notifier's index (a skip for index is explained by it)
};

/// Everything the delivery observer learns about one notify() or notify_one() call.
struct IommuDeliveryReport {
  const IommuMemoryRegion* region = nullptr;
  int iommu_idx = 0;
  IommuTlbEvent event;
  std::optional<uint32_t> requester_id;  ///< the device concerned, when the model said so
  bool targeted = false;                 ///< notify_one() (e.g. a replay), not a broadcast
  /// One per notifier considered, in registration order. Notifiers unregistered before their
  /// turn, and those registered during the delivery, are not listed.
  std::vector<IommuNotifierOutcome> outcomes;
};

// ---------------------------------------------------------------------------------------------
// IommuMemoryRegion
// ---------------------------------------------------------------------------------------------

/// A region whose accesses are translated by an IOMMU model into another address space.
/// The iommu/ models derive from it. An AddressSpace calls translate() once per access (per
/// translated block for DMA, and per byte for an access that crosses a block), with the index
/// attrs_to_index() picks. The access is an IommuFault when perm lacks the access, when
/// target_as is null, or after more than 8 chained translations (a loop); otherwise it
/// continues in target_as at (translated_addr & ~addr_mask) | (iova & addr_mask).
///
/// The model announces mapping changes with notify(); consumers register IommuNotifiers.
class IommuMemoryRegion : public MemoryRegion {
 public:
  IommuMemoryRegion() = default;
  /// Lets go of every notifier still registered (they become unregistered; the model is not
  /// told, it is being destroyed).
  ~IommuMemoryRegion() override;

  void init_iommu(std::string name, uint64_t size);

  // -- What the model implements ------------------------------------------------------------

  /// A device's translation request: translates `iova` (relative to the region) for an access
  /// needing `access`, in the context `iommu_idx`. A result whose perm lacks `access` is a
  /// fault, and the model reports faults as its specification says. `attrs` carries the
  /// requester id, which models that keep one context per device (RISC-V IOMMU device
  /// directory, virtio-iommu endpoints) need to find the device; index and attrs are both
  /// given so that a model may use either.
  virtual IommuTlbEntry translate(uint64_t iova, IommuAccessFlags access, int iommu_idx,
                                  MemTxAttrs attrs) = 0;

  /// The IOMMU index an access with `attrs` uses (QEMU's attrs_to_index). Default 0.
  virtual int attrs_to_index(MemTxAttrs attrs) const { return 0; }
  /// How many indexes the model has (QEMU's num_indexes); indexes are 0..num_indexes()-1.
  virtual int num_indexes() const { return 1; }
  /// The smallest block the model maps (QEMU's get_min_page_size); default kPageSize. The
  /// default replay steps at least this far.
  virtual uint64_t min_page_size() const;

  /// What the model's tables map at `iova` in context `iommu_idx` right now, with NO side
  /// effects: no fault recorded, no A/D bit set, no statistic counted. It serves replay, the
  /// UI and checkers. perm is the mapping's permission (kIommuNone: nothing mapped anywhere in
  /// the returned block, which the model may make as large as the hole it knows of).
  /// Default: nothing mapped in the whole space (so the default replay delivers nothing).
  virtual IommuTlbEntry lookup(uint64_t iova, int iommu_idx) const;

  /// Told when the union of the registered notifiers' flags changes from `old_flags` to
  /// `new_flags` (on a registration that adds bits, and on an unregistration that removes
  /// some). Return false, with a reason in `*error`, to refuse a registration the model cannot
  /// honour (e.g. MAP events from a model that only learns of invalidations); the return is
  /// ignored on unregistration. Default: accept.
  virtual bool notify_flag_changed(IommuNotifierFlag old_flags, IommuNotifierFlag new_flags,
                                   std::string* error) {
    return true;
  }

  /// Delivers a MAP event for each current mapping to `notifier` alone (QEMU's
  /// memory_region_iommu_replay), through notify_one(), so its flags and range apply. The
  /// default walks the notifier's range (clipped to the region) with lookup(), in steps of
  /// at least min_page_size() and skipping whole blocks as lookup() reports them; it never
  /// calls translate(). A model whose tables are sparse overrides it to walk them directly.
  virtual void replay(IommuNotifier& notifier);

  // -- Registration -------------------------------------------------------------------------

  /// Registers `notifier` (configured, unregistered, index below num_indexes(): assert).
  /// When this changes the flag union the model is asked first; if it refuses, nothing changes
  /// and false is returned with the model's reason in `*error` (which may be null).
  bool register_notifier(IommuNotifier& notifier, std::string* error);
  /// Unregisters `notifier`, which must be registered here (assert), and tells the model if
  /// the flag union shrinks.
  void unregister_notifier(IommuNotifier& notifier);
  /// The union of the registered notifiers' flags.
  IommuNotifierFlag notifier_flags() const;
  /// The registered notifiers, in registration order (for the UI and traces).
  std::vector<const IommuNotifier*> notifiers() const;

  // -- Delivery (called by the model) -------------------------------------------------------

  /// Delivers `event` to every registered notifier of index `iommu_idx` whose flags contain
  /// its type and whose range overlaps its block, cropped to that range (see the file note).
  /// `requester_id` only informs the delivery observer.
  void notify(int iommu_idx, const IommuTlbEvent& event,
              std::optional<uint32_t> requester_id = std::nullopt);
  /// Delivers `event` to `notifier` alone, with the same flag and range rules (its index is
  /// not checked: the caller chose it). Returns what happened.
  IommuDeliveryOutcome notify_one(IommuNotifier& notifier, const IommuTlbEvent& event);
  /// An in-place change: notify() an UNMAP of `old_entry` (its perm is ignored), then a MAP of
  /// `new_entry` (which needs a perm).
  void notify_change(int iommu_idx, const IommuTlbEntry& old_entry, const IommuTlbEntry& new_entry,
                     std::optional<uint32_t> requester_id = std::nullopt);

  /// The one delivery observer (the event log, the --trace-iommu printer): called after every
  /// notify() and notify_one() with what each notifier got. Empty to remove it.
  using DeliveryObserver = std::function<void(const IommuDeliveryReport&)>;
  void set_delivery_observer(DeliveryObserver observer) { observer_ = std::move(observer); }
  bool has_delivery_observer() const { return static_cast<bool>(observer_); }

 private:
  /// The outcome for `n` without delivering.
  static IommuDeliveryOutcome classify(const IommuNotifier& n, int iommu_idx,
                                       const IommuTlbEvent& event, bool check_index);
  /// Delivers the crop of `event` to notifier slot `slot` (or to `n` when slot < 0); stops
  /// early if the notifier is unregistered by a callback.
  void deliver_cropped(IommuNotifier& n, long slot, const IommuTlbEvent& event);
  /// Drops the slots emptied during a delivery (once no delivery is running).
  void compact();
  IommuNotifierFlag union_excluding(const IommuNotifier* skip) const;

  /// Registration order. A slot is nulled (not erased) when its notifier is unregistered
  /// during a delivery, so that running loops keep their place; compact() erases it later.
  std::vector<IommuNotifier*> notifiers_;
  int delivering_ = 0;  ///< nesting depth of notify()/notify_one() calls
  DeliveryObserver observer_;
};

}  // namespace glassvm
