// AddressSpace: flat view upkeep, listeners, and access dispatch (RAM, ROM, MMIO, IOMMU).
//
// Design note: load()/store() try the RAM fast path first (one binary search and a little-endian
// load or store) and fall back to access(), which handles MMIO access-size adaptation, IOMMU
// translation and accesses that straddle two flat ranges. Nothing a guest does can make these
// functions fail other than by returning a MemTxResult: bad sizes, bad alignment, unmapped
// addresses, IOMMU faults and translation loops all end as an error code.
#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/base/bytes.h"
#include "engine/base/page.h"
#include "engine/memory/memory.h"
#include "engine/memory/memory_internal.h"

namespace glassvm {

namespace {

/// How many IOMMU translations one access may go through before it counts as a loop.
constexpr int kMaxIommuDepth = 8;

/// The IOMMU index of an access; a model answering outside its own range is a programmer error.
int iommu_index(const IommuMemoryRegion& iommu, MemTxAttrs attrs) {
  int idx = iommu.attrs_to_index(attrs);
  assert(idx >= 0 && idx < iommu.num_indexes() && "attrs_to_index() is outside num_indexes()");
  return idx;
}

[[maybe_unused]] bool valid_size(unsigned size) {
  return size == 1 || size == 2 || size == 4 || size == 8;
}

uint64_t byte_mask(uint64_t bytes) {
  return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

bool is_memory(const MemoryRegion* mr) {
  return mr->kind() == RegionKind::Ram || mr->kind() == RegionKind::Rom;
}

/// An MMIO access after the `valid` checks, adapted to the `impl` sizes exactly as QEMU's
/// access_with_adjusted_size does: the callback size is `size` clamped to [impl.min, impl.max];
/// the access is issued as size/unit callbacks at off, off+unit, ... (value bits 8*i up), or,
/// when the unit is wider than the access, as one callback at the same offset `off` whose
/// value is the access's value zero-extended (writes) or whose low bytes are the result
/// (reads). Offsets are not re-aligned: QEMU does not, and a device that declares a wider
/// impl.min than valid.min must accept them. Every piece is issued even if one fails (QEMU
/// ORs the results); the first error is returned.
MemTxResult mmio_adjusted(const MemoryRegionOps& ops, uint64_t off, unsigned size, uint64_t& value,
                          bool is_write, MemTxAttrs attrs) {
  unsigned amin = ops.impl.min_access_size ? ops.impl.min_access_size : 1;
  unsigned amax = ops.impl.max_access_size ? ops.impl.max_access_size : 4;  // QEMU's default
  assert(valid_size(amin) && valid_size(amax) && amin <= amax && "bad MemoryRegionOps.impl");
  const unsigned unit = std::max(std::min(size, amax), amin);
  const uint64_t mask = byte_mask(std::min(unit, size));
  MemTxResult first_error = MemTxResult::Ok;
  uint64_t result = 0;
  for (unsigned i = 0; i < size; i += unit) {
    MemTxResult r;
    if (is_write) {
      r = ops.write(off + i, unit, (value >> (8 * i)) & mask, attrs);
    } else {
      uint64_t piece = 0;
      r = ops.read(off + i, unit, piece, attrs);
      result |= (piece & mask) << (8 * i);
    }
    if (first_error == MemTxResult::Ok) first_error = r;
  }
  if (!is_write) value = first_error == MemTxResult::Ok ? result : 0;
  return first_error;
}

/// The access size a DMA transfer uses for the next piece of an MMIO region (QEMU's
/// memory_access_size): as large as allowed, aligned unless the region accepts otherwise.
unsigned dma_mmio_size(const MemoryRegion* mr, uint64_t off, uint64_t len) {
  const AccessRules& valid = mr->ops().valid;
  uint64_t max = valid.max_access_size ? valid.max_access_size : 4;
  // QEMU bounds by alignment unless impl.unaligned; requiring valid.unaligned as well means a
  // DMA piece is never one that `valid` would reject.
  const bool unaligned_ok = valid.unaligned && mr->ops().impl.unaligned;
  if (!unaligned_ok && off != 0) max = std::min<uint64_t>(max, off & (~off + 1));
  return static_cast<unsigned>(std::bit_floor(std::min(len, max)));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// MMIO dispatch
// ---------------------------------------------------------------------------------------------

/// An MMIO access at region offset `off`: QEMU's memory_region_access_valid, the re-entrancy
/// guard, then dispatch.
MemTxResult AddressSpace::mmio_access(MemoryRegion* mr, uint64_t off, unsigned size,
                                      uint64_t& value, bool is_write, MemTxAttrs attrs) {
  const MemoryRegionOps& ops = mr->ops();
  if (!ops.valid.unaligned && (off & (size - 1)) != 0) return MemTxResult::DecodeError;
  // A zero max means "anything goes", as in QEMU.
  if (ops.valid.max_access_size != 0 &&
      (size > ops.valid.max_access_size || size < ops.valid.min_access_size)) {
    return MemTxResult::DecodeError;
  }
  if (is_write ? !ops.write : !ops.read) return MemTxResult::DecodeError;
  if (mr->reentrancy_guard_disabled_) {
    return mmio_adjusted(ops, off, size, value, is_write, attrs);
  }
  MemReentrancyGuard& guard = *mr->guard_;
  if (guard.engaged_in_io) {
    if (guard.blocked++ == 0 && guard.log != nullptr) {
      char msg[96];
      std::snprintf(msg, sizeof msg, "blocked re-entrant MMIO %s at offset 0x%llx of ",
                    is_write ? "write" : "read", static_cast<unsigned long long>(off));
      guard.log->log(LogLevel::Warning, std::string(msg) + mr->name());
    }
    if (!is_write) value = 0;
    return MemTxResult::DeviceError;
  }
  guard.engaged_in_io = true;
  MemTxResult r = mmio_adjusted(ops, off, size, value, is_write, attrs);
  guard.engaged_in_io = false;
  return r;
}

// ---------------------------------------------------------------------------------------------
// FlatView
// ---------------------------------------------------------------------------------------------

const FlatRange* FlatView::lookup_slow(uint64_t addr) const {
  // The last range whose start is <= addr, if it reaches addr.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), addr,
                             [](uint64_t a, const FlatRange& r) { return a < r.start; });
  if (it == ranges_.begin()) return nullptr;
  --it;
  if (addr > it->last()) return nullptr;
  hint_.store(static_cast<uint32_t>(it - ranges_.begin()), std::memory_order_relaxed);
  return &*it;
}

// ---------------------------------------------------------------------------------------------
// AddressSpace: life cycle, flat view, listeners
// ---------------------------------------------------------------------------------------------

AddressSpace::AddressSpace(std::string name, MemoryRegion* root)
    : name_(std::move(name)), root_(root) {
  assert(root != nullptr && "an AddressSpace needs a root region");
  root_->root_of_.push_back(this);
  view_ = FlatViewBuilder::build(root_);
}

AddressSpace::~AddressSpace() {
  if (root_ != nullptr) {
    auto& spaces = root_->root_of_;
    spaces.erase(std::remove(spaces.begin(), spaces.end(), this), spaces.end());
  }
  if (dirty_) memory_internal::forget_dirty(this);
}

void AddressSpace::mark_dirty(bool replace_all) {
  replace_all_ = replace_all_ || replace_all;
  if (dirty_) return;
  dirty_ = true;
  memory_internal::queue_dirty(this);
}

void AddressSpace::rebuild() {
  dirty_ = false;
  const bool replace_all = replace_all_;
  replace_all_ = false;
  FlatView next = FlatViewBuilder::build(root_);
  // A re-initialised region yields ranges equal to the old ones (same region, same offsets)
  // while its host memory and kind have changed, so equality proves nothing then.
  if (!replace_all && next.ranges_ == view_.ranges_) return;
  FlatView old = std::move(view_);
  view_ = std::move(next);
  ++generation_;

  // Two sorted lists: a range in old but not (identically) in new is deleted, a range in new
  // but not in old is added. As in QEMU, deletions go first and are announced to listeners in
  // reverse registration order, additions (and begin/commit) in registration order, so that a
  // listener registered after another one is torn down before it and set up after it.
  const auto& o = old.ranges_;
  const auto& n = view_.ranges_;
  for (MemoryListener* l : listeners_) l->begin();
  for (int adding = 0; adding < 2; ++adding) {
    size_t i = 0, j = 0;
    while (i < o.size() || j < n.size()) {
      if (!replace_all && i < o.size() && j < n.size() && o[i] == n[j]) {
        ++i, ++j;
      } else if (i < o.size() && (j == n.size() || o[i].start <= n[j].start)) {
        if (!adding) {
          for (auto l = listeners_.rbegin(); l != listeners_.rend(); ++l) (*l)->region_del(o[i]);
        }
        ++i;
      } else {
        if (adding) {
          for (MemoryListener* l : listeners_) l->region_add(n[j]);
        }
        ++j;
      }
    }
  }
  for (MemoryListener* l : listeners_) l->commit();
}

void AddressSpace::add_listener(MemoryListener* listener) {
  assert(listener != nullptr);
  assert(std::find(listeners_.begin(), listeners_.end(), listener) == listeners_.end() &&
         "listener registered twice");
  listeners_.push_back(listener);
  listener->begin();
  for (const FlatRange& r : view_.ranges()) listener->region_add(r);
  listener->commit();
}

void AddressSpace::remove_listener(MemoryListener* listener) {
  auto it = std::find(listeners_.begin(), listeners_.end(), listener);
  assert(it != listeners_.end() && "remove_listener of a listener that is not registered");
  if (it == listeners_.end()) return;
  listeners_.erase(it);
  // As QEMU does, the departing listener sees the current ranges go away.
  listener->begin();
  for (const FlatRange& r : view_.ranges()) listener->region_del(r);
  listener->commit();
}

bool AddressSpace::lookup_ram(uint64_t addr, RamSpan& out) const {
  const FlatRange* r = view_.lookup(addr);
  if (r == nullptr || !is_memory(r->mr)) return false;
  // The caller gets a host pointer to the page at `addr`, which it may write through.
  r->mr->note_ram_touched((r->offset_in_region + (addr - r->start)) & ~uint64_t{kPageSize - 1},
                          kPageSize);
  out.host = r->mr->ram_ptr() + r->offset_in_region;
  out.start = r->start;
  out.len = r->size > ~0ull ? ~0ull : static_cast<uint64_t>(r->size);
  out.writable = !r->readonly;
  out.mr = r->mr;
  out.offset_in_region = r->offset_in_region;
  return true;
}

// ---------------------------------------------------------------------------------------------
// AddressSpace: accesses
// ---------------------------------------------------------------------------------------------

MemTxResult AddressSpace::load(uint64_t addr, unsigned size, uint64_t& value, MemTxAttrs attrs) {
  assert(valid_size(size) && "load size must be 1, 2, 4 or 8");
  const FlatRange* r = view_.lookup(addr);
  if (r != nullptr && is_memory(r->mr) && r->last() - addr >= size - 1) {
    value = load_le_sized(r->mr->ram_.data() + r->offset_in_region + (addr - r->start), size);
    return MemTxResult::Ok;
  }
  MemTxResult res = access(addr, size, value, false, attrs, 0);
  if (res != MemTxResult::Ok) value = 0;
  return res;
}

MemTxResult AddressSpace::store(uint64_t addr, unsigned size, uint64_t value, MemTxAttrs attrs) {
  assert(valid_size(size) && "store size must be 1, 2, 4 or 8");
  const FlatRange* r = view_.lookup(addr);
  if (r != nullptr && r->mr->kind_ == RegionKind::Ram && r->last() - addr >= size - 1) {
    MemoryRegion* mr = r->mr;
    uint64_t off = r->offset_in_region + (addr - r->start);
    mr->note_ram_touched(off, size);
    store_le_sized(mr->ram_.data() + off, size, value);
    if (mr->code_pages_marked_ != 0) mr->notify_ram_write(off, size);
    return MemTxResult::Ok;
  }
  return access(addr, size, value, true, attrs, 0);
}

MemTxResult AddressSpace::access_bytewise(uint64_t addr, unsigned size, uint64_t& value,
                                          bool is_write, MemTxAttrs attrs, int depth) {
  uint64_t result = 0;
  for (unsigned i = 0; i < size; ++i) {
    uint64_t byte = is_write ? (value >> (8 * i)) & 0xff : 0;
    const MemTxResult res = access(addr + i, 1, byte, is_write, attrs, depth);
    if (res != MemTxResult::Ok) {
      if (!is_write) value = 0;
      return res;
    }
    result |= byte << (8 * i);
  }
  if (!is_write) value = result;
  return MemTxResult::Ok;
}

MemTxResult AddressSpace::access(uint64_t addr, unsigned size, uint64_t& value, bool is_write,
                                 MemTxAttrs attrs, int depth) {
  const FlatRange* r = view_.lookup(addr);
  if (r == nullptr) {
    if (!is_write) value = 0;
    return MemTxResult::DecodeError;
  }
  if (r->last() - addr < size - 1) {
    // Straddles two ranges: byte by byte, each byte going wherever it belongs.
    return access_bytewise(addr, size, value, is_write, attrs, depth);
  }

  MemoryRegion* mr = r->mr;
  uint64_t off = r->offset_in_region + (addr - r->start);
  switch (mr->kind_) {
    case RegionKind::Ram:
    case RegionKind::Rom:
      if (!is_write) {
        value = load_le_sized(mr->ram_.data() + off, size);
      } else if (!r->readonly) {
        mr->note_ram_touched(off, size);
        store_le_sized(mr->ram_.data() + off, size, value);
        if (mr->code_pages_marked_ != 0) mr->notify_ram_write(off, size);
      }  // else: ROM, the write is ignored
      return MemTxResult::Ok;
    case RegionKind::Mmio: return mmio_access(mr, off, size, value, is_write, attrs);
    case RegionKind::Iommu: {
      auto* iommu = static_cast<IommuMemoryRegion*>(mr);
      if (!is_write) value = 0;
      if (depth >= kMaxIommuDepth) return MemTxResult::IommuFault;
      IommuAccessFlags need = is_write ? kIommuWrite : kIommuRead;
      IommuTlbEntry e = iommu->translate(off, need, iommu_index(*iommu, attrs), attrs);
      if ((e.perm & need) == 0 || e.target_as == nullptr) return MemTxResult::IommuFault;
      uint64_t in_block = off & e.addr_mask;
      if (e.addr_mask - in_block < size - 1) {
        // Crosses the translated block: translate each byte on its own.
        return access_bytewise(addr, size, value, is_write, attrs, depth);
      }
      uint64_t target = (e.translated_addr & ~e.addr_mask) | in_block;
      return e.target_as->access(target, size, value, is_write, attrs, depth + 1);
    }
    case RegionKind::Container:
    case RegionKind::Alias: break;
  }
  assert(false && "containers and aliases never appear in a flat view");
  return MemTxResult::DecodeError;
}

MemTxResult AddressSpace::read(uint64_t addr, void* buf, uint64_t len, MemTxAttrs attrs) {
  return rw(addr, static_cast<uint8_t*>(buf), len, false, attrs, 0);
}

MemTxResult AddressSpace::write(uint64_t addr, const void* buf, uint64_t len, MemTxAttrs attrs) {
  // rw() only reads from buf when writing.
  return rw(addr, static_cast<uint8_t*>(const_cast<void*>(buf)), len, true, attrs, 0);
}

MemTxResult AddressSpace::rw(uint64_t addr, uint8_t* buf, uint64_t len, bool is_write,
                             MemTxAttrs attrs, int depth) {
  while (len > 0) {
    const FlatRange* r = view_.lookup(addr);
    if (r == nullptr) return MemTxResult::DecodeError;
    uint64_t avail_minus_one = r->last() - addr;
    uint64_t chunk = avail_minus_one >= len - 1 ? len : avail_minus_one + 1;
    MemoryRegion* mr = r->mr;
    uint64_t off = r->offset_in_region + (addr - r->start);
    switch (mr->kind_) {
      case RegionKind::Ram:
      case RegionKind::Rom:
        if (!is_write) {
          std::memcpy(buf, mr->ram_.data() + off, chunk);
        } else if (!r->readonly) {
          mr->note_ram_touched(off, chunk);
          std::memcpy(mr->ram_.data() + off, buf, chunk);
          if (mr->code_pages_marked_ != 0) mr->notify_ram_write(off, chunk);
        }
        break;
      case RegionKind::Mmio: {
        uint64_t done = 0;
        while (done < chunk) {
          unsigned size = dma_mmio_size(mr, off + done, chunk - done);
          uint64_t value = 0;
          if (is_write) value = load_le_sized(buf + done, size);
          MemTxResult res = mmio_access(mr, off + done, size, value, is_write, attrs);
          if (res != MemTxResult::Ok) return res;
          if (!is_write) store_le_sized(buf + done, size, value);
          done += size;
        }
        break;
      }
      case RegionKind::Iommu: {
        if (depth >= kMaxIommuDepth) return MemTxResult::IommuFault;
        auto* iommu = static_cast<IommuMemoryRegion*>(mr);
        IommuAccessFlags need = is_write ? kIommuWrite : kIommuRead;
        IommuTlbEntry e = iommu->translate(off, need, iommu_index(*iommu, attrs), attrs);
        if ((e.perm & need) == 0 || e.target_as == nullptr) return MemTxResult::IommuFault;
        uint64_t in_block = off & e.addr_mask;
        uint64_t block_left_minus_one = e.addr_mask - in_block;
        if (block_left_minus_one < chunk - 1) chunk = block_left_minus_one + 1;
        uint64_t target = (e.translated_addr & ~e.addr_mask) | in_block;
        MemTxResult res = e.target_as->rw(target, buf, chunk, is_write, attrs, depth + 1);
        if (res != MemTxResult::Ok) return res;
        break;
      }
      case RegionKind::Container:
      case RegionKind::Alias:
        assert(false && "containers and aliases never appear in a flat view");
        return MemTxResult::DecodeError;
    }
    addr += chunk;
    buf += chunk;
    len -= chunk;
  }
  return MemTxResult::Ok;
}

}  // namespace glassvm
