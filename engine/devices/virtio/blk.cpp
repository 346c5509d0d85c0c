#include "engine/devices/virtio/blk.h"

#include <algorithm>
#include <cstring>
#include <span>

#include "engine/base/bytes.h"
#include "engine/devices/virtio/virtqueue.h"

namespace glassvm {

namespace {

constexpr uint64_t kHeaderSize = 16;  // struct virtio_blk_req: le32 type, le32 reserved, le64
constexpr uint64_t kBounceSize = 64 * 1024;

}  // namespace

VirtioBlk::VirtioBlk(BlockStorage& storage, std::string serial)
    : storage_(storage), bounce_(kBounceSize) {
  std::memcpy(id_.data(), serial.data(), std::min(serial.size(), kIdBytes));
  store_le<uint64_t>(config_.data() + kCfgCapacity, capacity());
  // seg_max leaves room for the header and status descriptors, as QEMU does.
  store_le<uint32_t>(config_.data() + kCfgSegMax, kQueueSize - 2);
  store_le<uint32_t>(config_.data() + kCfgBlkSize, kSectorSize);
}

uint64_t VirtioBlk::device_features() const {
  uint64_t f = virtio_bit(kFSegMax) | virtio_bit(kFBlkSize) | virtio_bit(kFFlush);
  if (storage_.read_only()) f |= virtio_bit(kFRo);
  return f;
}

uint64_t VirtioBlk::config_read(uint32_t offset, unsigned size) const {
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= uint64_t{config_[offset + i]} << (8 * i);
  return v;
}

VirtioBlk::Outcome VirtioBlk::execute(VirtQueue& queue, const VirtqChain& chain, uint32_t type,
                                      uint64_t sector, uint64_t data_len) {
  constexpr Outcome kIoErr{kSIoErr, 0, true};
  constexpr Outcome kDmaError{kSIoErr, 0, false};
  switch (type) {
    case kTIn:
    case kTOut: {
      // 5.2.6.1: data is whole sectors, inside the capacity.
      if (data_len % kSectorSize != 0 || sector > capacity() ||
          data_len / kSectorSize > capacity() - sector) {
        return kIoErr;
      }
      if (type == kTOut && storage_.read_only()) return kIoErr;
      const uint64_t base = sector * kSectorSize;
      for (uint64_t done = 0; done < data_len;) {
        const uint64_t n = std::min<uint64_t>(kBounceSize, data_len - done);
        std::span<uint8_t> buf(bounce_.data(), n);
        if (type == kTIn) {
          if (!storage_.read(base + done, buf)) return kIoErr;
          if (!queue.write(chain, done, buf)) return kDmaError;
        } else {
          if (!queue.read(chain, kHeaderSize + done, buf)) return kDmaError;
          if (!storage_.write(base + done, buf)) return kIoErr;
        }
        done += n;
      }
      return {kSOk, type == kTIn ? static_cast<uint32_t>(data_len) : 0, true};
    }
    case kTFlush: return storage_.flush() ? Outcome{} : kIoErr;
    case kTGetId: {
      // 5.2.6: up to 20 bytes, NUL-padded, into the data buffer.
      const uint64_t n = std::min<uint64_t>(kIdBytes, data_len);
      if (!queue.write(chain, 0, std::span<const uint8_t>(id_.data(), n))) return kDmaError;
      return {kSOk, static_cast<uint32_t>(n), true};
    }
    default: return {kSUnsupp, 0, true};
  }
}

void VirtioBlk::queue_notify(unsigned, VirtQueue& queue) {
  VirtqChain chain;
  while (queue.pop(chain) == VirtQueue::Pop::Chain) {
    uint8_t header[kHeaderSize];
    if (chain.readable_len < kHeaderSize || chain.writable_len < 1) {
      queue.device_error("virtio-blk request without its header or status byte");
      return;
    }
    if (!queue.read(chain, 0, header)) return;
    const uint32_t type = load_le<uint32_t>(header);
    const uint64_t sector = load_le<uint64_t>(header + 8);
    // The data: writable bytes before the status byte (IN, GET_ID), readable bytes after the
    // header (OUT).
    const uint64_t data_len =
        type == kTOut ? chain.readable_len - kHeaderSize : chain.writable_len - 1;
    const Outcome out = execute(queue, chain, type, sector, data_len);
    if (!out.dma_ok) return;
    const uint8_t status[1] = {out.status};
    if (!queue.write(chain, chain.writable_len - 1, status)) return;
    // The used length counts what was written, the status byte included (a request that
    // failed reports only its status byte: partial data is not promised to the driver).
    if (!queue.push(chain, out.status == kSOk ? out.written + 1 : 1)) return;
  }
}

// Snapshot payload (version 1): u64 capacity in sectors, read-only (boolean).
void VirtioBlk::save(StateWriter& w) const {
  w.u64(capacity());
  w.boolean(storage_.read_only());
}

void VirtioBlk::load(StateReader& r) {
  const uint64_t sectors = r.u64();
  const bool read_only = r.boolean();
  if (!r.ok()) return;
  if (sectors != capacity()) {
    return r.fail("the disk had " + std::to_string(sectors) + " sectors, it now has " +
                  std::to_string(capacity()));
  }
  if (read_only != storage_.read_only()) {
    r.fail(read_only ? "the disk was read-only, it now is writable"
                     : "the disk was writable, it now is read-only");
  }
}

}  // namespace glassvm
