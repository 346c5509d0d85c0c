// The memory API: regions, address spaces, flat views, listeners.
//
// Design note: this is QEMU's memory API written again in plain C++20. A machine builds a tree
// of MemoryRegions (RAM, ROM, MMIO, containers, aliases, IOMMU regions); an AddressSpace
// resolves its root region into a FlatView, a sorted list of non-overlapping ranges, once per
// transaction. Every access, whether from a CPU or from a device doing DMA, is dispatched
// through a FlatView. No state is shared between machines: two machines can live in one
// process, side by side on one thread or on threads of their own. The one piece of state that
// is not in an object is the transaction nesting, which is per thread and empty between
// transactions (see [SECTION] Transactions for why that is harmless).
//
// [SECTION] Access results and attributes
// [SECTION] MMIO ops (valid vs impl access rules)
// [SECTION] MemoryRegion
// [SECTION] FlatView and listeners
// [SECTION] AddressSpace
// [SECTION] Transactions
// [SECTION] info mtree
// The IOMMU region kind and its notifier contract are in iommu.h, included at the end.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/host.h"
#include "engine/base/host_ram.h"

namespace glassvm {

class AddressSpace;
class MemoryRegion;

// ---------------------------------------------------------------------------------------------
// [SECTION] Access results and attributes
// ---------------------------------------------------------------------------------------------

/// The outcome of one bus transaction. Anything but Ok becomes an access fault in a CPU and a
/// device error state in a DMA master.
enum class MemTxResult : uint8_t {
  Ok,
  DecodeError,  ///< nothing is mapped there, or the access breaks the region's valid rules
  DeviceError,  ///< the device rejected the access
  IommuFault,   ///< an IOMMU region found no mapping, or one without the needed permission
};

/// Who is accessing, carried along with each transaction.
struct MemTxAttrs {
  uint32_t requester_id = 0;  ///< device id of a DMA master (0 for CPUs)
  bool debug = false;         ///< a debugger/UI peek: must have no side effects on devices
};

// ---------------------------------------------------------------------------------------------
// [SECTION] MMIO ops
// ---------------------------------------------------------------------------------------------

/// Sizes and alignment accepted by a region. Sizes are powers of two in bytes (1..8).
/// As in QEMU, a zero size means a default: valid.max_access_size 0 accepts every size,
/// impl.min_access_size 0 means 1 and impl.max_access_size 0 means 4.
struct AccessRules {
  unsigned min_access_size = 1;
  unsigned max_access_size = 8;
  bool unaligned = false;  ///< whether accesses not aligned to their size are allowed
};

/// The behaviour of an MMIO region. `valid` says what the guest may do (anything else is a
/// DecodeError); `impl` says what the callbacks implement, and the bus adapts accesses to it
/// as QEMU's access_with_adjusted_size does. The callback size is the access size clamped to
/// [impl.min_access_size, impl.max_access_size]. A wider access becomes several callbacks at
/// offset, offset+unit, ... each carrying the next bits of the value. A narrower access
/// becomes ONE callback of the wider size at the SAME offset (not re-aligned): a write carries
/// the value zero-extended (no read-modify-write: the bytes beyond the access are written as
/// zero), a read returns the low bytes of the callback's result. So a callback sees sizes
/// within `impl`, but its offset is aligned only as far as `valid` demands, and a widened
/// access at the end of a region extends past it: a device whose impl.min exceeds its
/// valid.min must bound-check. `impl.unaligned` only matters to DMA: read()/write() cut a
/// transfer into aligned pieces unless both valid.unaligned and impl.unaligned are set.
struct MemoryRegionOps {
  /// Reads `size` bytes at `offset` (relative to the region) into `value`.
  std::function<MemTxResult(uint64_t offset, unsigned size, uint64_t& value, MemTxAttrs attrs)>
      read;
  /// Writes the low `size` bytes of `value` at `offset`.
  std::function<MemTxResult(uint64_t offset, unsigned size, uint64_t value, MemTxAttrs attrs)>
      write;
  AccessRules valid{1, 8, false};
  AccessRules impl{1, 8, false};
};

/// QEMU's MemReentrancyGuard (2023, after DMA re-entrancy bugs in several devices): engaged
/// while one of a device's MMIO callbacks runs. An MMIO access that reaches a region guarded
/// by an engaged guard (a device whose handler does DMA into its own registers, directly or
/// through another device) is refused with DeviceError instead of re-entering the device.
/// Guest misbehaviour, so it is counted and reported, never asserted.
struct MemReentrancyGuard {
  bool engaged_in_io = false;
  uint64_t blocked = 0;  ///< re-entrant accesses refused so far
  /// Told once per guard, at Warning level, of the first refused access (QEMU warns once).
  Host* log = nullptr;
};

// ---------------------------------------------------------------------------------------------
// [SECTION] MemoryRegion
// ---------------------------------------------------------------------------------------------

enum class RegionKind : uint8_t { Container, Ram, Rom, Mmio, Alias, Iommu };

/// A node of the region tree. Regions do not own their subregions: the device or board that
/// creates a region owns it and must delete it from its container before destroying it.
/// Sizes are 64-bit; the special size kWholeSpace means the full 2^64-byte space.
class MemoryRegion {
 public:
  static constexpr uint64_t kWholeSpace = 0;  ///< size value meaning 2^64 bytes

  MemoryRegion() = default;
  /// Destroying a region that is still mapped in a container is a programmer error (assert):
  /// del_subregion() it first. A dying container lets go of its subregions, aliases onto a
  /// dying region become empty, and address spaces rooted at it become empty (they may be
  /// destroyed later).
  virtual ~MemoryRegion();
  MemoryRegion(const MemoryRegion&) = delete;
  MemoryRegion& operator=(const MemoryRegion&) = delete;

  // The init_* functions may also be called on a region that is already mapped: every address
  // space that shows it then announces all of its ranges anew (region_del, region_add) and
  // bumps its generation, so that no CPU TLB or listener keeps a pointer into freed memory.

  /// A pure container: holds subregions, and accesses that hit no subregion are DecodeErrors.
  void init_container(std::string name, uint64_t size);
  /// Guest RAM backed by zeroed host memory owned by this region.
  void init_ram(std::string name, uint64_t size);
  /// Guest ROM: like RAM for reads; guest writes are ignored (Ok, no effect), as in QEMU.
  /// Its contents are set with ram_ptr() before the guest runs.
  void init_rom(std::string name, uint64_t size);
  /// Device registers handled by `ops`.
  void init_io(std::string name, uint64_t size, MemoryRegionOps ops);
  /// A window of `size` bytes onto `target` starting at `target_offset`.
  void init_alias(std::string name, MemoryRegion* target, uint64_t target_offset, uint64_t size);

  /// Maps `sub` at `offset` inside this container. Among overlapping subregions the highest
  /// priority wins; on equal priority the one added later wins (QEMU's rule). A subregion that
  /// is itself a container with holes lets lower-priority siblings show through the holes.
  void add_subregion(uint64_t offset, MemoryRegion* sub, int priority = 0);
  /// Unmaps `sub`; it must be a subregion of this container.
  void del_subregion(MemoryRegion* sub);
  /// Enables or disables the region; a disabled region is absent from every flat view.
  void set_enabled(bool enabled);
  /// Moves the region within its container.
  void set_address(uint64_t offset);
  /// Changes what an alias points at.
  void set_alias_offset(uint64_t target_offset);
  /// Makes this MMIO region share `guard` (QEMU keeps one per device): a device with several
  /// regions passes the same guard to each, so that a handler of one cannot reach the others.
  /// By default a region has a guard of its own. `guard` must outlive the region's use.
  void set_reentrancy_guard(MemReentrancyGuard* guard);
  /// QEMU's disable_reentrancy_guard: for a device designed to be re-entered (its handlers
  /// access their own registers on purpose). Such a device must bound its own recursion.
  void set_reentrancy_guard_disabled(bool disabled) { reentrancy_guard_disabled_ = disabled; }
  /// The guard MMIO accesses to this region engage (its own unless shared).
  const MemReentrancyGuard& reentrancy_guard() const { return *guard_; }

  const std::string& name() const { return name_; }
  RegionKind kind() const { return kind_; }
  uint64_t size() const { return size_; }
  /// The size as a 128-bit count (2^64 for kWholeSpace).
  unsigned __int128 size128() const {
    return size_ == kWholeSpace ? (unsigned __int128)1 << 64 : size_;
  }
  uint64_t addr() const { return addr_; }  ///< offset within the container
  int priority() const { return priority_; }
  bool enabled() const { return enabled_; }
  MemoryRegion* container() const { return container_; }
  MemoryRegion* alias_target() const { return alias_; }
  uint64_t alias_offset() const { return alias_offset_; }
  const std::vector<MemoryRegion*>& subregions() const { return subregions_; }
  const MemoryRegionOps& ops() const { return ops_; }
  /// Host memory of a RAM or ROM region (nullptr for other kinds).
  uint8_t* ram_ptr() const { return ram_.data(); }
  /// Records that [offset, offset + len) of a RAM or ROM region may have been written (see
  /// engine/base/host_ram.h). Whoever writes through ram_ptr() calls it.
  void note_ram_touched(uint64_t offset, uint64_t len) const { ram_.note_touched(offset, len); }
  /// Whether [offset, offset + kPageSize) of a RAM or ROM region may hold anything but zeros
  /// (some byte of its 64 KiB chunk was noted as touched).
  bool ram_maybe_written(uint64_t offset) const {
    return ram_.chunk_touched(offset / HostRam::kChunkSize);
  }
  /// The region's host memory (RAM and ROM), for tests and snapshots.
  const HostRam& host_ram() const { return ram_; }

  // Code tracking for RAM, used by CPUs that cache decoded or translated code: a write that
  // arrives through an AddressSpace (CPU slow path, DMA) into a page (kPageSize) marked as holding
  // code clears the mark and calls every code-write hook with the region offset and length.

  /// Marks the page that contains `offset` as holding code.
  void mark_code_page(uint64_t offset);
  /// Whether the page that contains `offset` is marked as holding code.
  bool is_code_page(uint64_t offset) const;
  /// Registers a hook called on writes to marked pages. Returns an id for remove_code_write_hook.
  int add_code_write_hook(std::function<void(uint64_t offset, uint64_t len)> hook);
  void remove_code_write_hook(int id);
  /// Reports a write of `len` bytes at `offset` of this RAM region (clears marks, runs hooks).
  /// The AddressSpace calls it; a CPU fast path that bypasses the AddressSpace calls it too.
  void notify_ram_write(uint64_t offset, uint64_t len);

 protected:
  friend class AddressSpace;
  friend class FlatViewBuilder;
  /// Called whenever the region's mapping changes, so that address spaces recompute.
  /// `reinitialised`: the region's kind or host memory changed under the same ranges.
  void mark_changed(bool reinitialised = false);
  /// Whether accesses stop at this region (RAM, ROM, MMIO, IOMMU) rather than at its
  /// subregions only (containers, aliases).
  bool terminates() const {
    return kind_ == RegionKind::Ram || kind_ == RegionKind::Rom || kind_ == RegionKind::Mmio ||
           kind_ == RegionKind::Iommu;
  }
  /// Common part of the init_* functions: forgets any previous kind (alias link, memory).
  void reset_kind(std::string name, RegionKind kind, uint64_t size);

  std::string name_;
  RegionKind kind_ = RegionKind::Container;
  uint64_t size_ = 0;
  uint64_t addr_ = 0;
  int priority_ = 0;
  uint64_t add_order_ = 0;  ///< insertion stamp within the container, for the priority tie rule
  bool enabled_ = true;
  MemoryRegion* container_ = nullptr;
  MemoryRegion* alias_ = nullptr;
  uint64_t alias_offset_ = 0;
  std::vector<MemoryRegion*> subregions_;  ///< sorted: highest priority, then latest, first
  std::vector<MemoryRegion*> aliased_by_;  ///< aliases whose target is this region
  std::vector<AddressSpace*> root_of_;     ///< address spaces whose root is this region
  MemoryRegionOps ops_;
  HostRam ram_;                      ///< zero-filled without touching its pages (see host_ram.h)
  std::vector<uint8_t> code_pages_;  ///< one byte per kPageSize page, allocated on first mark
  uint64_t code_pages_marked_ = 0;   ///< number of nonzero bytes in code_pages_ (fast path)
  std::vector<std::pair<int, std::function<void(uint64_t, uint64_t)>>> code_hooks_;
  int next_hook_id_ = 1;
  uint64_t next_add_order_ = 1;
  MemReentrancyGuard own_guard_;
  MemReentrancyGuard* guard_ = &own_guard_;
  bool reentrancy_guard_disabled_ = false;
};

// ---------------------------------------------------------------------------------------------
// [SECTION] FlatView and listeners
// ---------------------------------------------------------------------------------------------

/// One non-overlapping piece of an address space: [start, start + size) resolves to the leaf
/// region `mr` (RAM, ROM, MMIO or IOMMU) at `offset_in_region`.
struct FlatRange {
  uint64_t start = 0;
  unsigned __int128 size = 0;
  MemoryRegion* mr = nullptr;
  uint64_t offset_in_region = 0;
  bool readonly = false;  ///< ROM
  uint64_t last() const { return static_cast<uint64_t>(start + size - 1); }
  bool operator==(const FlatRange&) const = default;
};

/// The resolved form of a region tree, sorted by start, gaps left out.
class FlatView {
 public:
  FlatView() = default;
  FlatView(const FlatView& other) : ranges_(other.ranges_) {}
  FlatView(FlatView&& other) noexcept : ranges_(std::move(other.ranges_)) {}
  FlatView& operator=(const FlatView& other) {
    ranges_ = other.ranges_;
    hint_.store(0, std::memory_order_relaxed);
    return *this;
  }
  FlatView& operator=(FlatView&& other) noexcept {
    ranges_ = std::move(other.ranges_);
    hint_.store(0, std::memory_order_relaxed);
    return *this;
  }

  const std::vector<FlatRange>& ranges() const { return ranges_; }
  /// The range containing `addr`, or nullptr. O(1) when `addr` is in the range found last
  /// time, O(log n) otherwise.
  const FlatRange* lookup(uint64_t addr) const {
    size_t hint = hint_.load(std::memory_order_relaxed);
    if (hint < ranges_.size()) {
      const FlatRange& r = ranges_[hint];
      if (addr - r.start <= r.last() - r.start) return &r;  // unsigned: also rejects addr < start
    }
    return lookup_slow(addr);
  }

 private:
  friend class AddressSpace;
  friend class FlatViewBuilder;
  const FlatRange* lookup_slow(uint64_t addr) const;

  std::vector<FlatRange> ranges_;
  /// Index of the last range found (a relaxed atomic: lookups may run on several threads).
  mutable std::atomic<uint32_t> hint_{0};
};

/// Observes an address space's flat view. Listeners are told of ranges that appear and
/// disappear after each committed transaction (a range that changes is a del then an add).
/// As in QEMU, all deletions come before all additions; begin, region_add and commit go to
/// listeners in registration order and region_del in reverse registration order.
class MemoryListener {
 public:
  virtual ~MemoryListener() = default;
  virtual void begin() {}
  virtual void region_add(const FlatRange& range) = 0;
  virtual void region_del(const FlatRange& range) = 0;
  virtual void commit() {}
};

// ---------------------------------------------------------------------------------------------
// [SECTION] AddressSpace
// ---------------------------------------------------------------------------------------------

/// A RAM span found for a CPU's fast path: host memory for guest addresses [start, start+len).
struct RamSpan {
  uint8_t* host = nullptr;
  uint64_t start = 0;
  uint64_t len = 0;
  bool writable = false;
  MemoryRegion* mr = nullptr;
  uint64_t offset_in_region = 0;
};

/// A view of memory as seen by one bus master (a CPU, or a device doing DMA).
class AddressSpace {
 public:
  AddressSpace(std::string name, MemoryRegion* root);
  ~AddressSpace();
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  const std::string& name() const { return name_; }
  MemoryRegion* root() const { return root_; }
  const FlatView& flat_view() const { return view_; }

  /// Loads `size` (1, 2, 4 or 8) bytes little-endian at `addr`. Crossing a range boundary is
  /// split into byte accesses. On error `value` is 0.
  MemTxResult load(uint64_t addr, unsigned size, uint64_t& value, MemTxAttrs attrs = {});
  /// Stores the low `size` bytes of `value` little-endian at `addr`.
  MemTxResult store(uint64_t addr, unsigned size, uint64_t value, MemTxAttrs attrs = {});
  /// Reads `len` bytes (DMA-style, any length). Stops at the first failing byte range and
  /// returns its error.
  MemTxResult read(uint64_t addr, void* buf, uint64_t len, MemTxAttrs attrs = {});
  /// Writes `len` bytes (DMA-style, any length).
  MemTxResult write(uint64_t addr, const void* buf, uint64_t len, MemTxAttrs attrs = {});

  /// Finds the RAM or ROM span containing `addr`, for a CPU software TLB. Returns false when
  /// `addr` is not plain memory (MMIO, IOMMU, or unmapped).
  bool lookup_ram(uint64_t addr, RamSpan& out) const;

  /// Registers a listener; it is immediately told of every current range (region_add).
  void add_listener(MemoryListener* listener);
  /// Unregisters a listener; as in QEMU it is first told that every current range goes away
  /// (region_del inside begin()/commit()). Removing an unregistered listener is a programmer
  /// error. A listener still registered when the space dies is simply dropped.
  void remove_listener(MemoryListener* listener);

  /// Increments whenever the flat view changes; CPU TLBs compare it to know when to flush.
  uint64_t generation() const { return generation_; }

 private:
  friend class MemoryRegion;
  friend void memory_transaction_commit();
  /// Queues a rebuild; `replace_all` makes it announce every range as new even if the view
  /// compares equal (a region in it was re-initialised).
  void mark_dirty(bool replace_all = false);
  void rebuild();
  /// The general access path (MMIO, IOMMU, range crossings); `depth` counts IOMMU hops.
  MemTxResult access(uint64_t addr, unsigned size, uint64_t& value, bool is_write, MemTxAttrs attrs,
                     int depth);
  /// access() one byte at a time, for accesses that straddle ranges or translated blocks.
  MemTxResult access_bytewise(uint64_t addr, unsigned size, uint64_t& value, bool is_write,
                              MemTxAttrs attrs, int depth);
  /// An MMIO access at region offset `off`: valid rules, re-entrancy guard, impl adaptation.
  static MemTxResult mmio_access(MemoryRegion* mr, uint64_t off, unsigned size, uint64_t& value,
                                 bool is_write, MemTxAttrs attrs);
  /// The general DMA path.
  MemTxResult rw(uint64_t addr, uint8_t* buf, uint64_t len, bool is_write, MemTxAttrs attrs,
                 int depth);

  std::string name_;
  MemoryRegion* root_;
  FlatView view_;
  std::vector<MemoryListener*> listeners_;
  uint64_t generation_ = 0;
  bool dirty_ = false;
  bool replace_all_ = false;
};

// ---------------------------------------------------------------------------------------------
// [SECTION] Transactions
// ---------------------------------------------------------------------------------------------

/// Starts a transaction: region changes made until the matching commit are resolved together,
/// with one flat view recomputation per affected address space. Transactions nest. Outside any
/// transaction each change is its own transaction.
///
/// What is per thread, and why it is harmless: the nesting depth and the list of address
/// spaces awaiting a rebuild live in a thread_local, not in an object, because a region change
/// does not know its machine (a region may be seen by several address spaces, and by none).
/// Both are empty whenever no transaction is open, so nothing carries over from one call to the
/// next. Two machines on one thread share only an open transaction: changes to machine B made
/// while machine A's transaction is open are rebuilt at A's outermost commit rather than at
/// once, and until then B's accesses see B's previous flat view, exactly as A's do. An address
/// space destroyed while queued is dequeued. Machines on different threads never meet; one
/// region tree must be changed from one thread only.
void memory_transaction_begin();
/// Ends a transaction; the outermost commit rebuilds dirty address spaces and notifies
/// their listeners.
void memory_transaction_commit();

/// RAII form of begin()/commit().
class MemoryTransaction {
 public:
  MemoryTransaction() { memory_transaction_begin(); }
  ~MemoryTransaction() { memory_transaction_commit(); }
  MemoryTransaction(const MemoryTransaction&) = delete;
  MemoryTransaction& operator=(const MemoryTransaction&) = delete;
};

// ---------------------------------------------------------------------------------------------
// [SECTION] info mtree
// ---------------------------------------------------------------------------------------------

/// The kind of a region as `info mtree` prints it: "ram", "rom", "iommu" or "i/o" (an alias
/// reports its target's kind, as QEMU's memory_region_type does).
const char* region_kind_name(const MemoryRegion& region);

/// The text of QEMU's `info mtree` for these address spaces: each one's region tree and the
/// "memory-region:" blocks of alias targets, then (with `flatview`) each distinct flat view
/// (QEMU's `info mtree -f`), in QEMU 7.2's format (see
/// shared/reference/qemu-7.2-virt-info-mtree.txt). Where QEMU's order is hash-table order it
/// is fixed here: address-space groups in order of first appearance in `spaces`; flat views
/// sorted by the name of their first address space. Kinds: "ram", "rom", "i/o", "iommu".
std::string format_mtree(const std::vector<const AddressSpace*>& spaces, bool flatview);

}  // namespace glassvm

// The IOMMU contract (IommuMemoryRegion, IommuTlbEntry, IommuNotifier) builds on the types
// above; users of the memory API get it with this header.
#include "engine/memory/iommu.h"  // IWYU pragma: export
