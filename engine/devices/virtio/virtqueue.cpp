#include "engine/devices/virtio/virtqueue.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <string>
#include <utility>

#include "engine/base/bytes.h"
#include "engine/devices/virtio/virtio.h"

namespace glassvm {

namespace {

constexpr uint64_t kDescSize = 16;               // struct virtq_desc
constexpr uint64_t kMaxChainBytes = 1ull << 32;  // 2.7.5: a chain is at most 2^32 bytes

/// Whether [addr, addr + len) does not wrap around the 64-bit address space.
bool fits(uint64_t addr, uint64_t len) {
  return len == 0 || addr <= UINT64_MAX - (len - 1);
}

/// Why a queue of `num` entries with these rings cannot run (enable() refuses it), or nullptr.
const char* setup_error(uint32_t num, uint64_t desc_addr, uint64_t driver_addr,
                        uint64_t device_addr, uint16_t max_size) {
  if (num == 0 || !std::has_single_bit(num) || num > max_size) {
    return "queue size is not a power of two <= QueueNumMax";
  }
  if (desc_addr % VirtQueue::kDescAlign || driver_addr % VirtQueue::kAvailAlign ||
      device_addr % VirtQueue::kUsedAlign) {
    return "misaligned ring";
  }
  // Sizes per 2.7, with the event fields (used_event, avail_event) counted in.
  if (!fits(desc_addr, kDescSize * num) || !fits(driver_addr, 6 + 2ull * num) ||
      !fits(device_addr, 6 + 8ull * num)) {
    return "ring wraps around the address space";
  }
  return nullptr;
}

}  // namespace

VirtQueue::VirtQueue(AddressSpace& dma, MemTxAttrs attrs, uint16_t max_size, ErrorSink on_error,
                     UsedSink on_used)
    : dma_(dma),
      attrs_(attrs),
      max_size_(max_size),
      on_error_(std::move(on_error)),
      on_used_(std::move(on_used)) {
  assert(max_size > 0 && std::has_single_bit(max_size) && max_size <= kMaxSize &&
         "VirtQueue: the maximum size must be a power of two <= 32768");
}

void VirtQueue::reset() {
  num = 0;
  desc_addr = driver_addr = device_addr = 0;
  features_ = 0;
  ready_ = false;
  broken_ = false;
  used_pending_ = false;
  last_avail_idx_ = 0;
  used_idx_ = 0;
}

void VirtQueue::disable() {
  ready_ = false;
  used_pending_ = false;
}

bool VirtQueue::enable() {
  ready_ = true;  // the register reads back what the driver wrote, valid or not
  last_avail_idx_ = 0;
  used_idx_ = 0;
  used_pending_ = false;
  if (const char* why = setup_error(num, desc_addr, driver_addr, device_addr, max_size_)) {
    device_error(why);
    return false;
  }
  return true;
}

void VirtQueue::device_error(std::string_view why) {
  if (broken_) return;
  broken_ = true;
  if (on_error_) on_error_(why);
}

bool VirtQueue::load16(uint64_t addr, uint16_t& value) {
  uint64_t v = 0;
  if (dma_.load(addr, 2, v, attrs_) != MemTxResult::Ok) {
    device_error("DMA error reading a ring");
    return false;
  }
  value = static_cast<uint16_t>(v);
  return true;
}

bool VirtQueue::store(uint64_t addr, unsigned size, uint64_t value) {
  if (dma_.store(addr, size, value, attrs_) != MemTxResult::Ok) {
    device_error("DMA error writing the used ring");
    return false;
  }
  return true;
}

VirtQueue::Pop VirtQueue::pop(VirtqChain& chain) {
  if (broken_ || !ready_) return Pop::Broken;
  uint16_t avail_idx = 0;
  if (!load16(driver_addr + 2, avail_idx)) return Pop::Broken;
  const uint16_t pending = static_cast<uint16_t>(avail_idx - last_avail_idx_);
  if (pending == 0) return Pop::Empty;
  if (pending > num) {
    device_error("available index moved by more than the queue size");
    return Pop::Broken;
  }
  uint16_t head = 0;
  if (!load16(driver_addr + 4 + 2ull * (last_avail_idx_ % num), head)) return Pop::Broken;
  if (head >= num) {
    device_error("available ring names a descriptor outside the table");
    return Pop::Broken;
  }

  chain.head = head;
  chain.readable.clear();
  chain.writable.clear();
  chain.readable_len = chain.writable_len = 0;

  uint64_t table = desc_addr;
  uint32_t table_size = num;
  uint32_t budget = num;  // descriptors left to visit in this table: a loop runs out of them
  uint32_t index = head;
  bool indirect = false;
  for (;;) {
    if (budget-- == 0) {
      device_error("descriptor chain longer than its table (a loop)");
      return Pop::Broken;
    }
    uint8_t raw[kDescSize];
    if (dma_.read(table + kDescSize * index, raw, kDescSize, attrs_) != MemTxResult::Ok) {
      device_error("DMA error reading a descriptor");
      return Pop::Broken;
    }
    const uint64_t addr = load_le<uint64_t>(raw);
    const uint32_t len = load_le<uint32_t>(raw + 8);
    const uint16_t flags = load_le<uint16_t>(raw + 12);
    const uint16_t next = load_le<uint16_t>(raw + 14);

    if (flags & kDescFIndirect) {
      // 2.7.5.3: one table per chain, only when negotiated, never with NEXT; its WRITE flag
      // is ignored. A table of more than kMaxSize entries would not bound host work.
      if (indirect || !(features_ & virtio_bit(kVirtioFIndirectDesc)) || (flags & kDescFNext) ||
          len == 0 || len % kDescSize != 0 || len / kDescSize > kMaxSize || !fits(addr, len)) {
        device_error("invalid indirect descriptor");
        return Pop::Broken;
      }
      indirect = true;
      table = addr;
      table_size = budget = len / kDescSize;
      index = 0;
      continue;
    }

    if (!fits(addr, len)) {
      device_error("buffer wraps around the address space");
      return Pop::Broken;
    }
    if (chain.readable_len + chain.writable_len + len > kMaxChainBytes) {
      device_error("descriptor chain longer than 2^32 bytes");
      return Pop::Broken;
    }
    if (flags & kDescFWrite) {
      chain.writable.push_back({addr, len});
      chain.writable_len += len;
    } else {
      if (!chain.writable.empty()) {
        device_error("device-readable buffer after a device-writable one");
        return Pop::Broken;
      }
      chain.readable.push_back({addr, len});
      chain.readable_len += len;
    }
    if (!(flags & kDescFNext)) break;
    if (next >= table_size) {
      device_error("descriptor names a next descriptor outside the table");
      return Pop::Broken;
    }
    index = next;
  }
  last_avail_idx_++;
  return Pop::Chain;
}

bool VirtQueue::push(const VirtqChain& chain, uint32_t written) {
  assert(written <= chain.writable_len && "VirtQueue::push: more bytes than the chain can take");
  if (broken_ || !ready_) return false;
  const uint64_t elem = device_addr + 4 + 8ull * (used_idx_ % num);
  // 2.7.8: len is set before the index moves.
  if (!store(elem, 4, chain.head) || !store(elem + 4, 4, written)) return false;
  used_idx_++;
  if (!store(device_addr + 2, 2, used_idx_)) return false;
  used_pending_ = true;
  return true;
}

void VirtQueue::signal_used() {
  if (!used_pending_ || broken_ || !ready_) return;
  used_pending_ = false;
  uint16_t flags = 0;
  if (!load16(driver_addr, flags)) return;
  if (!(flags & kAvailFNoInterrupt) && on_used_) on_used_();
}

bool VirtQueue::transfer(const std::vector<VirtqBuffer>& bufs, uint64_t total, uint64_t offset,
                         uint8_t* data, uint64_t len, bool is_write) {
  if (broken_ || offset > total || len > total - offset) return false;
  for (const VirtqBuffer& b : bufs) {
    if (len == 0) break;
    if (offset >= b.len) {
      offset -= b.len;
      continue;
    }
    const uint64_t n = std::min<uint64_t>(len, b.len - offset);
    const MemTxResult r = is_write ? dma_.write(b.addr + offset, data, n, attrs_)
                                   : dma_.read(b.addr + offset, data, n, attrs_);
    if (r != MemTxResult::Ok) {
      device_error(is_write ? "DMA error writing a buffer" : "DMA error reading a buffer");
      return false;
    }
    data += n;
    len -= n;
    offset = 0;
  }
  return true;
}

bool VirtQueue::read(const VirtqChain& chain, uint64_t offset, std::span<uint8_t> out) {
  return transfer(chain.readable, chain.readable_len, offset, out.data(), out.size(), false);
}

bool VirtQueue::write(const VirtqChain& chain, uint64_t offset, std::span<const uint8_t> data) {
  return transfer(chain.writable, chain.writable_len, offset, const_cast<uint8_t*>(data.data()),
                  data.size(), true);
}

// Snapshot payload: u32 num; u64 desc, driver and device addresses; u64 features; ready,
// broken, used-notification pending (booleans); u16 last available index, u16 used index.
void VirtQueue::save(StateWriter& w) const {
  w.u32(num);
  w.u64(desc_addr);
  w.u64(driver_addr);
  w.u64(device_addr);
  w.u64(features_);
  w.boolean(ready_);
  w.boolean(broken_);
  w.boolean(used_pending_);
  w.u16(last_avail_idx_);
  w.u16(used_idx_);
}

void VirtQueue::load(StateReader& r) {
  const uint32_t saved_num = r.u32();
  const uint64_t desc = r.u64(), driver = r.u64(), device = r.u64();
  const uint64_t features = r.u64();
  const bool ready = r.boolean();
  const bool broken = r.boolean();
  const bool used_pending = r.boolean();
  const uint16_t last_avail_idx = r.u16();
  const uint16_t used_idx = r.u16();
  if (!r.ok()) return;
  // Only push() sets used_pending_, on a ready queue; disable() clears it.
  if (used_pending && !ready) return r.fail("a used buffer notification pends on a stopped queue");
  // A queue that runs passed enable()'s checks: pop() and push() rely on them.
  if (ready && !broken) {
    if (const char* why = setup_error(saved_num, desc, driver, device, max_size_)) {
      return r.fail(std::string("a running queue has an invalid setup: ") + why);
    }
  }
  num = saved_num;
  desc_addr = desc;
  driver_addr = driver;
  device_addr = device;
  features_ = features;
  ready_ = ready;
  broken_ = broken;
  used_pending_ = used_pending;
  last_avail_idx_ = last_avail_idx;
  used_idx_ = used_idx;
}

}  // namespace glassvm
