// MemoryRegion (the region tree and its change tracking) and memory transactions.
//
// Design note: a change to a region marks "dirty" every AddressSpace whose root reaches the
// region, found by walking up container links and across aliases (aliased_by_) to the regions
// that are roots (root_of_). Dirty spaces are queued per thread and rebuilt once at the
// outermost commit, so a board that maps fifty devices in one transaction renders its flat
// view once.
#include <algorithm>
#include <cassert>
#include <cstdlib>
#include <new>
#include <utility>

#include "engine/base/page.h"
#include "engine/memory/memory.h"
#include "engine/memory/memory_internal.h"

namespace glassvm {

namespace {

struct TransactionState {
  int depth = 0;
  std::vector<AddressSpace*> dirty;
};

TransactionState& transaction_state() {
  // Per thread, not per object: a region change cannot name its machine. Empty between
  // transactions; memory.h ([SECTION] Transactions) says why sharing it is harmless.
  thread_local TransactionState state;
  return state;
}

}  // namespace

namespace memory_internal {

int& transaction_depth() {
  return transaction_state().depth;
}

void queue_dirty(AddressSpace* as) {
  transaction_state().dirty.push_back(as);
}

void forget_dirty(AddressSpace* as) {
  auto& dirty = transaction_state().dirty;
  dirty.erase(std::remove(dirty.begin(), dirty.end(), as), dirty.end());
}

}  // namespace memory_internal

// ---------------------------------------------------------------------------------------------
// Transactions
// ---------------------------------------------------------------------------------------------

void memory_transaction_begin() {
  ++transaction_state().depth;
}

void memory_transaction_commit() {
  TransactionState& state = transaction_state();
  assert(state.depth > 0 && "memory_transaction_commit without a matching begin");
  if (state.depth > 1) {
    --state.depth;
    return;
  }
  // Stay inside the transaction while rebuilding: a listener that changes regions only queues
  // more work, which this loop picks up, instead of re-entering a rebuild in progress.
  while (!state.dirty.empty()) {
    std::vector<AddressSpace*> batch;
    batch.swap(state.dirty);
    for (AddressSpace* as : batch) {
      if (as->dirty_) as->rebuild();
    }
  }
  state.depth = 0;
}

// ---------------------------------------------------------------------------------------------
// MemoryRegion: lifetime and kinds
// ---------------------------------------------------------------------------------------------

MemoryRegion::~MemoryRegion() {
  assert(container_ == nullptr &&
         "a MemoryRegion is destroyed while still mapped: del_subregion() it first");
  MemoryTransaction transaction;
  if (container_ != nullptr) container_->del_subregion(this);  // release builds: stay safe
  // A dying container lets go of its children (as QEMU's finalize does).
  while (!subregions_.empty()) del_subregion(subregions_.front());
  // Aliases onto this region become empty windows.
  for (MemoryRegion* alias : std::vector<MemoryRegion*>(aliased_by_)) {
    alias->alias_ = nullptr;
    alias->mark_changed();
  }
  aliased_by_.clear();
  if (alias_ != nullptr) {
    mark_changed();
    auto& users = alias_->aliased_by_;
    users.erase(std::remove(users.begin(), users.end(), this), users.end());
    alias_ = nullptr;
  }
  // Address spaces rooted here become empty; they may outlive their root.
  for (AddressSpace* as : root_of_) {
    as->root_ = nullptr;
    as->mark_dirty();
  }
  root_of_.clear();
}

void MemoryRegion::reset_kind(std::string name, RegionKind kind, uint64_t size) {
  if (alias_ != nullptr) {
    auto& users = alias_->aliased_by_;
    users.erase(std::remove(users.begin(), users.end(), this), users.end());
    alias_ = nullptr;
  }
  alias_offset_ = 0;
  ram_ = HostRam{};
  code_pages_.clear();
  code_pages_marked_ = 0;
  ops_ = MemoryRegionOps{};
  name_ = std::move(name);
  kind_ = kind;
  size_ = size;
}

void MemoryRegion::init_container(std::string name, uint64_t size) {
  MemoryTransaction transaction;
  reset_kind(std::move(name), RegionKind::Container, size);
  mark_changed(/*reinitialised=*/true);
}

void MemoryRegion::init_ram(std::string name, uint64_t size) {
  assert(size != kWholeSpace && "RAM cannot cover the whole 64-bit space");
  MemoryTransaction transaction;
  reset_kind(std::move(name), RegionKind::Ram, size);
  ram_ = HostRam::allocate(size);  // throws std::bad_alloc
  mark_changed(/*reinitialised=*/true);
}

void MemoryRegion::init_rom(std::string name, uint64_t size) {
  MemoryTransaction transaction;  // flat views must never see it as writable RAM
  init_ram(std::move(name), size);
  kind_ = RegionKind::Rom;
}

void MemoryRegion::init_io(std::string name, uint64_t size, MemoryRegionOps ops) {
  MemoryTransaction transaction;
  reset_kind(std::move(name), RegionKind::Mmio, size);
  ops_ = std::move(ops);
  mark_changed(/*reinitialised=*/true);
}

void MemoryRegion::init_alias(std::string name, MemoryRegion* target, uint64_t target_offset,
                              uint64_t size) {
  assert(target != nullptr && "init_alias needs a target region");
  assert(target != this && "a region cannot alias itself");
  MemoryTransaction transaction;
  reset_kind(std::move(name), RegionKind::Alias, size);
  alias_ = target;
  alias_offset_ = target_offset;
  target->aliased_by_.push_back(this);
  mark_changed(/*reinitialised=*/true);
}

// ---------------------------------------------------------------------------------------------
// MemoryRegion: mapping
// ---------------------------------------------------------------------------------------------

void MemoryRegion::add_subregion(uint64_t offset, MemoryRegion* sub, int priority) {
  assert(sub != nullptr && sub != this);
  assert(sub->container_ == nullptr && "the region is already mapped in a container");
  assert(kind_ != RegionKind::Alias && "an alias cannot have subregions");
  MemoryTransaction transaction;
  sub->container_ = this;
  sub->addr_ = offset;
  sub->priority_ = priority;
  sub->add_order_ = next_add_order_++;
  // Highest priority first; among equals the newest first, so it wins when rendering.
  auto pos =
      std::find_if(subregions_.begin(), subregions_.end(),
                   [priority](const MemoryRegion* other) { return priority >= other->priority_; });
  subregions_.insert(pos, sub);
  sub->mark_changed();
}

void MemoryRegion::del_subregion(MemoryRegion* sub) {
  assert(sub != nullptr && sub->container_ == this && "not a subregion of this container");
  MemoryTransaction transaction;
  sub->mark_changed();  // while still linked, so the walk reaches the address spaces
  sub->container_ = nullptr;
  subregions_.erase(std::find(subregions_.begin(), subregions_.end(), sub));
}

void MemoryRegion::set_enabled(bool enabled) {
  if (enabled == enabled_) return;
  MemoryTransaction transaction;
  enabled_ = enabled;
  mark_changed();
}

void MemoryRegion::set_address(uint64_t offset) {
  if (offset == addr_) return;
  MemoryTransaction transaction;
  addr_ = offset;
  mark_changed();
}

void MemoryRegion::set_alias_offset(uint64_t target_offset) {
  assert(kind_ == RegionKind::Alias && "set_alias_offset on a region that is not an alias");
  if (target_offset == alias_offset_) return;
  MemoryTransaction transaction;
  alias_offset_ = target_offset;
  mark_changed();
}

void MemoryRegion::set_reentrancy_guard(MemReentrancyGuard* guard) {
  assert(guard != nullptr && "set_reentrancy_guard needs a guard");
  assert(!guard_->engaged_in_io && "set_reentrancy_guard from inside the region's own handler");
  guard_ = guard;
}

void MemoryRegion::mark_changed(bool reinitialised) {
  MemoryTransaction transaction;
  // Walk every path by which this region can be seen: up through containers and across to
  // the aliases that show it. The visited list also stops (buggy) alias cycles.
  std::vector<MemoryRegion*> visited;
  std::vector<MemoryRegion*> todo{this};
  while (!todo.empty()) {
    MemoryRegion* mr = todo.back();
    todo.pop_back();
    if (std::find(visited.begin(), visited.end(), mr) != visited.end()) continue;
    visited.push_back(mr);
    for (AddressSpace* as : mr->root_of_) as->mark_dirty(reinitialised);
    for (MemoryRegion* alias : mr->aliased_by_) todo.push_back(alias);
    if (mr->container_ != nullptr) todo.push_back(mr->container_);
  }
}

// ---------------------------------------------------------------------------------------------
// MemoryRegion: code pages
// ---------------------------------------------------------------------------------------------

void MemoryRegion::mark_code_page(uint64_t offset) {
  assert((kind_ == RegionKind::Ram || kind_ == RegionKind::Rom) && "code pages are RAM only");
  assert(offset < size_ && "mark_code_page beyond the region");
  if (code_pages_.empty()) code_pages_.assign(((size_ - 1) >> kPageShift) + 1, 0);
  uint8_t& mark = code_pages_[offset >> kPageShift];
  if (mark == 0) {
    mark = 1;
    ++code_pages_marked_;
  }
}

bool MemoryRegion::is_code_page(uint64_t offset) const {
  uint64_t page = offset >> kPageShift;
  return page < code_pages_.size() && code_pages_[page] != 0;
}

int MemoryRegion::add_code_write_hook(std::function<void(uint64_t offset, uint64_t len)> hook) {
  int id = next_hook_id_++;
  code_hooks_.emplace_back(id, std::move(hook));
  return id;
}

void MemoryRegion::remove_code_write_hook(int id) {
  code_hooks_.erase(std::remove_if(code_hooks_.begin(), code_hooks_.end(),
                                   [id](const auto& entry) { return entry.first == id; }),
                    code_hooks_.end());
}

void MemoryRegion::notify_ram_write(uint64_t offset, uint64_t len) {
  if (code_pages_marked_ == 0 || len == 0 || offset >= size_) return;
  uint64_t last = offset + std::min(len, size_ - offset) - 1;
  bool hit = false;
  for (uint64_t page = offset >> kPageShift; page <= (last >> kPageShift); ++page) {
    if (code_pages_[page] != 0) {
      code_pages_[page] = 0;
      --code_pages_marked_;
      hit = true;
    }
  }
  if (!hit) return;
  // A hook may add or remove hooks; iterate over a snapshot.
  auto hooks = code_hooks_;
  for (auto& entry : hooks) entry.second(offset, len);
}

}  // namespace glassvm
