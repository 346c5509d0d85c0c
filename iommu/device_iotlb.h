// Device-side translation caches: a per-device IOTLB that listens to UNMAP only (as vhost
// does), and an ATS cache that listens to DEVIOTLB_UNMAP only.
//
// Design note: a cache filled from translate() results and emptied by invalidations needs no
// MAP events: a miss asks the model. That is why these caches work with models that refuse MAP
// notifiers (the RISC-V IOMMU). Cached blocks never overlap: a miss means no cached block
// holds the iova, and inserting a new block first drops any cached block it overlaps. Only
// successful translations are cached; a fault is asked of the model every time, so that the
// model reports each one as its specification says.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <vector>

#include "engine/base/snapshot.h"
#include "engine/memory/iommu.h"
#include "iommu/ats.h"

namespace glassvm {

/// A bounded, least-recently-used cache of one device's translations through `region`.
class DeviceIotlb {
 public:
  static constexpr size_t kDefaultCapacity = 64;

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;         ///< lookups that asked the model (request())
    uint64_t invalidations = 0;  ///< invalidation events received
    uint64_t dropped = 0;        ///< entries dropped by invalidations
    uint64_t evictions = 0;      ///< entries dropped to make room
  };

  /// A cache for translations in context `iommu_idx`, asked with `attrs` (the device's
  /// requester id). `capacity` (>= 1, assert) bounds the number of cached blocks. The cache is
  /// not attached: call attach() before relying on it.
  DeviceIotlb(IommuMemoryRegion& region, std::string name, size_t capacity = kDefaultCapacity,
              int iommu_idx = 0, MemTxAttrs attrs = {});
  virtual ~DeviceIotlb() = default;
  DeviceIotlb(const DeviceIotlb&) = delete;
  DeviceIotlb& operator=(const DeviceIotlb&) = delete;

  /// Registers the invalidation notifier. Returns false with the model's reason in `*error`
  /// when the model refuses it; the cache then stays detached.
  bool attach(std::string* error);
  /// Unregisters and empties the cache.
  void detach();
  bool attached() const { return notifier_.registered(); }

  /// The translation of `iova` for `access` (not kIommuNone): the cached block holding it if
  /// its perm allows `access`, else the model's answer (request()), cached when it allows
  /// `access`. A result without `access` in perm is a fault, as with translate(). While
  /// detached, every lookup asks the model and nothing is cached.
  IommuTlbEntry lookup(uint64_t iova, IommuAccessFlags access);
  /// Drops every entry.
  void flush();

  /// The cached blocks, in ascending iova order.
  std::vector<IommuTlbEntry> entries() const;
  size_t size() const { return slots_.size(); }
  size_t capacity() const { return capacity_; }
  const Stats& stats() const { return stats_; }
  const IommuNotifier& notifier() const { return notifier_; }

  /// Snapshots, as part of the owner's section: the notifier (notifier_state.h), the capacity,
  /// the cached blocks from the most to the least recently used, and the counters. Every cached
  /// block must lead into `target` (assert): address spaces are wiring, rebuilt on load.
  void save(StateWriter& w, const AddressSpace& target) const;
  /// Restores what save() wrote into a cache built the same way (region, name, capacity, index),
  /// whose blocks then lead into `target`: the same blocks in the same LRU order, the same
  /// counters, and the notifier registered if it was (no replay, no event). Fails `r` on another
  /// cache, more blocks than the capacity, blocks that overlap, are not naturally aligned or
  /// grant nothing, or blocks in a detached cache; the cache may then be half-restored.
  void load(StateReader& r, AddressSpace& target);

 protected:
  /// A cache that invalidates on `listens_to` events (one event type).
  DeviceIotlb(IommuMemoryRegion& region, std::string name, size_t capacity, int iommu_idx,
              MemTxAttrs attrs, IommuNotifierFlag listens_to);
  /// Asks the model for the translation of `iova` on a miss: translate() here.
  virtual IommuTlbEntry request(uint64_t iova, IommuAccessFlags access);

  IommuMemoryRegion& region() { return region_; }
  int iommu_idx() const { return iommu_idx_; }
  MemTxAttrs attrs() const { return attrs_; }

 private:
  struct Slot {
    IommuTlbEntry entry;
    std::list<uint64_t>::iterator lru;  ///< its key in lru_
  };
  using SlotMap = std::map<uint64_t, Slot>;

  void invalidate(const IommuTlbEvent& event);
  /// The first slot that may overlap iovas from `first` on.
  SlotMap::iterator first_candidate(uint64_t first);
  void erase(SlotMap::iterator it);
  void insert(const IommuTlbEntry& entry);

  IommuMemoryRegion& region_;
  size_t capacity_;
  int iommu_idx_;
  MemTxAttrs attrs_;
  IommuNotifierFlag listens_to_;
  SlotMap slots_;            ///< block start -> cached block; blocks never overlap
  std::list<uint64_t> lru_;  ///< block starts, most recently used first
  Stats stats_;
  IommuNotifier notifier_;  ///< last: unregistered before the cache it empties goes away
};

/// A PCIe ATS-style device cache: the same cache, emptied only by DEVIOTLB_UNMAP events (the
/// invalidations a guest aims at device-side caches); IOTLB UNMAPs do not reach it. A miss is
/// an ATS Translation Request when the model is an AtsTranslationAgent (iommu/ats.h), and a
/// translate() otherwise.
class AtsDeviceIotlb : public DeviceIotlb {
 public:
  AtsDeviceIotlb(IommuMemoryRegion& region, std::string name, size_t capacity = kDefaultCapacity,
                 int iommu_idx = 0, MemTxAttrs attrs = {});

 protected:
  IommuTlbEntry request(uint64_t iova, IommuAccessFlags access) override;

 private:
  AtsTranslationAgent* agent_;  ///< the model as a translation agent, or nullptr
};

}  // namespace glassvm
