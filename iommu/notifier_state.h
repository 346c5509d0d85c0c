// How a notifier consumer (DeviceIotlb, ShadowMap) keeps its IommuNotifier in a snapshot.
//
// Design note: a notifier's name, flags, range and index are fixed when its consumer is built,
// and the consumer is built from the machine's configuration, so a snapshot records the flags,
// range and index only to check that it is loaded into the same consumer. What it restores is
// whether the notifier is registered. Restoring a registration replays nothing and delivers
// nothing: the consumer restores what it had cached itself, so the contents are exactly the
// saved ones, whichever of the IOMMU and the consumer is restored first.
#pragma once

#include "engine/base/snapshot.h"
#include "engine/memory/iommu.h"

namespace glassvm {

/// Writes `n`'s flags (u8), first and last IOVA (u64, u64), IOMMU index (u32) and whether it is
/// registered (boolean).
void save_notifier(StateWriter& w, const IommuNotifier& n);

/// Reads what save_notifier() wrote and returns whether the saved notifier was registered. Fails
/// `r`, naming both, when the saved flags, range or index are not `n`'s (another consumer).
bool read_notifier(StateReader& r, const IommuNotifier& n);

/// Registers `n` on `region` (registered true) or unregisters it (false), unless it already is
/// so; no replay, no event. Fails `r` with the model's reason when the model refuses it.
void restore_registration(StateReader& r, IommuMemoryRegion& region, IommuNotifier& n,
                          bool registered);

}  // namespace glassvm
