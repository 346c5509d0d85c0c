// Internals of the memory API shared by engine/memory*.cpp. Not for use outside those files.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/memory/memory.h"

namespace glassvm {

/// Resolves region trees into flat ranges (QEMU's render_memory_region + flatview_simplify).
class FlatViewBuilder {
 public:
  /// The flat view of the tree rooted at `root` as seen from address 0 (root->addr() counts,
  /// as in QEMU). `root` may be null: the view is then empty.
  static FlatView build(const MemoryRegion* root);

  /// QEMU's memory_region_get_flatview_root(): the region that actually determines the view
  /// (whole-covering aliases and single whole-covering children are looked through), or null
  /// when the view is empty because nothing is enabled.
  static const MemoryRegion* flatview_root(const MemoryRegion* root);

 private:
  using I128 = __int128;
  static void render(std::vector<FlatRange>& out, const MemoryRegion* mr, I128 base,
                     I128 clip_start, I128 clip_size, bool readonly, int depth);
};

namespace memory_internal {

/// Nesting depth of the current thread's transaction (0 between transactions).
int& transaction_depth();
/// Queues `as` for a rebuild at the outermost commit of this thread.
void queue_dirty(AddressSpace* as);
/// Forgets `as` (it is being destroyed).
void forget_dirty(AddressSpace* as);

}  // namespace memory_internal
}  // namespace glassvm
