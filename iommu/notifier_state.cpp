// save_notifier / read_notifier / restore_registration: see notifier_state.h.
#include "iommu/notifier_state.h"

#include <string>

namespace glassvm {

namespace {

std::string describe(IommuNotifierFlag flags, uint64_t start, uint64_t end, uint64_t index) {
  return to_string(flags) + " of IOVAs " + std::to_string(start) + "-" + std::to_string(end) +
         " of index " + std::to_string(index);
}

}  // namespace

void save_notifier(StateWriter& w, const IommuNotifier& n) {
  w.u8(static_cast<uint8_t>(n.flags()));
  w.u64(n.start());
  w.u64(n.end());
  w.u32(static_cast<uint32_t>(n.iommu_idx()));
  w.boolean(n.registered());
}

bool read_notifier(StateReader& r, const IommuNotifier& n) {
  const auto flags = static_cast<IommuNotifierFlag>(r.u8());
  const uint64_t start = r.u64();
  const uint64_t end = r.u64();
  const uint32_t index = r.u32();
  const bool registered = r.boolean();
  if (!r.ok()) return false;
  if (flags != n.flags() || start != n.start() || end != n.end() ||
      index != static_cast<uint32_t>(n.iommu_idx())) {
    r.fail("IOMMU notifier \"" + n.name() + "\" listened to " + describe(flags, start, end, index) +
           "; here it listens to " +
           describe(n.flags(), n.start(), n.end(), static_cast<uint32_t>(n.iommu_idx())));
    return false;
  }
  return registered;
}

void restore_registration(StateReader& r, IommuMemoryRegion& region, IommuNotifier& n,
                          bool registered) {
  if (!r.ok() || n.registered() == registered) return;
  if (!registered) {
    region.unregister_notifier(n);
    return;
  }
  std::string error;
  if (!region.register_notifier(n, &error)) r.fail(error);
}

}  // namespace glassvm
