// A shadow of an IOMMU context's mappings, kept up to date from MAP and UNMAP events, as VFIO
// keeps the host IOMMU in step with a guest's.
//
// Design note: the shadow stores ranges, not IommuTlbEntries, because an UNMAP that covers part
// of a mapped block leaves pieces that are not aligned blocks (VFIO would have to refuse such
// an unmap; a shadow can simply split). A MAP over a range that is already mapped replaces what
// it covers, so the shadow always equals "the last MAP not since unmapped" at every iova, which
// is what the model's lookup() and translate() must agree with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/base/snapshot.h"
#include "engine/memory/iommu.h"

namespace glassvm {

/// Mirrors every mapping of one IOMMU context (index) of a region, within an IOVA window.
class ShadowMap {
 public:
  /// One mapped range: iovas [iova, last] go to translated_addr + (iova' - iova).
  struct Mapping {
    uint64_t iova = 0;
    uint64_t last = 0;  ///< inclusive
    uint64_t translated_addr = 0;
    IommuAccessFlags perm = kIommuNone;
    AddressSpace* target_as = nullptr;
    bool operator==(const Mapping&) const = default;
  };
  struct Stats {
    uint64_t maps = 0;    ///< MAP events received
    uint64_t unmaps = 0;  ///< UNMAP events received
    uint64_t splits = 0;  ///< mappings cut in two or trimmed by a partial UNMAP or MAP
  };

  /// A shadow of context `iommu_idx` of `region`, for iovas [start, end]. Not attached yet.
  ShadowMap(IommuMemoryRegion& region, std::string name = "shadow-map", int iommu_idx = 0,
            uint64_t start = 0, uint64_t end = UINT64_MAX);
  ShadowMap(const ShadowMap&) = delete;
  ShadowMap& operator=(const ShadowMap&) = delete;

  /// Registers for MAP and UNMAP events, then asks the model to replay its current mappings.
  /// Returns false with the model's reason in `*error` when the model refuses MAP notifiers
  /// (it cannot tell about new mappings); the shadow then stays detached and empty.
  bool attach(std::string* error);
  /// Unregisters and forgets every mapping.
  void detach();
  bool attached() const { return notifier_.registered(); }

  /// The mapping that holds `iova`, or nothing.
  std::optional<Mapping> lookup(uint64_t iova) const;
  /// Every mapping, in ascending iova order.
  std::vector<Mapping> mappings() const;
  size_t size() const { return map_.size(); }
  const Stats& stats() const { return stats_; }
  const IommuNotifier& notifier() const { return notifier_; }

  /// Snapshots, as part of the owner's section: the notifier (notifier_state.h), every mapping
  /// and the counters. Every mapping must lead into `target` (assert): address spaces are
  /// wiring, rebuilt on load.
  void save(StateWriter& w, const AddressSpace& target) const;
  /// Restores what save() wrote into a shadow built the same way (region, name, index, window),
  /// whose mappings then lead into `target`: the same mappings and counters, and the notifier
  /// registered if it was, without a replay (the mappings are the saved ones). Fails `r` on
  /// another shadow, on mappings that overlap, are out of order, lie outside the window or grant
  /// nothing, and on mappings in a detached shadow; the shadow may then be half-restored.
  void load(StateReader& r, AddressSpace& target);

 private:
  void on_event(const IommuTlbEvent& event);
  /// Removes [first, last] from the shadow, keeping the parts of mappings outside it.
  void remove(uint64_t first, uint64_t last);

  IommuMemoryRegion& region_;
  std::map<uint64_t, Mapping> map_;  ///< by iova; ranges never overlap
  Stats stats_;
  IommuNotifier notifier_;  ///< last: unregistered before the map it updates goes away
};

}  // namespace glassvm
