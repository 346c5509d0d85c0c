// virtio-blk (virtio 1.2, 5.2): a disk on one request queue, over a BlockStorage.
//
// Design note: requests complete during the QueueNotify write that announces them, so a run
// is deterministic. A request is read as a byte stream, whatever its descriptor layout ("Message
// Framing", 2.6.4 in 1.1): the 16-byte header (type, reserved, sector) at the start of the
// device-readable bytes, the status byte at the end of the device-writable bytes, and the data in
// between. A chain too short for its header or its status byte cannot be answered, so it is a
// device error, as in QEMU; a request the device can answer but not carry out gets a status: IOERR
// for sectors beyond the capacity, a length that is not a multiple of 512, a write to a read-only
// disk or a failing host; UNSUPP for an unknown type. Data moves through a bounded bounce buffer.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/base/block_storage.h"
#include "engine/devices/virtio/virtio.h"
#include "engine/devices/virtio/virtqueue.h"

namespace glassvm {

/// A virtio block device.
class VirtioBlk final : public VirtioDevice {
 public:
  static constexpr uint64_t kSectorSize = 512;
  static constexpr uint16_t kQueueSize = 256;  ///< QEMU's default queue-size
  static constexpr size_t kIdBytes = 20;       ///< VIRTIO_BLK_ID_BYTES

  /// Feature bits (5.2.3).
  static constexpr unsigned kFSegMax = 2;   ///< VIRTIO_BLK_F_SEG_MAX
  static constexpr unsigned kFRo = 5;       ///< VIRTIO_BLK_F_RO
  static constexpr unsigned kFBlkSize = 6;  ///< VIRTIO_BLK_F_BLK_SIZE
  static constexpr unsigned kFFlush = 9;    ///< VIRTIO_BLK_F_FLUSH

  /// Request types (5.2.6).
  static constexpr uint32_t kTIn = 0;     ///< VIRTIO_BLK_T_IN
  static constexpr uint32_t kTOut = 1;    ///< VIRTIO_BLK_T_OUT
  static constexpr uint32_t kTFlush = 4;  ///< VIRTIO_BLK_T_FLUSH
  static constexpr uint32_t kTGetId = 8;  ///< VIRTIO_BLK_T_GET_ID
  /// Request status values (5.2.6).
  static constexpr uint8_t kSOk = 0;      ///< VIRTIO_BLK_S_OK
  static constexpr uint8_t kSIoErr = 1;   ///< VIRTIO_BLK_S_IOERR
  static constexpr uint8_t kSUnsupp = 2;  ///< VIRTIO_BLK_S_UNSUPP

  /// Offsets in struct virtio_blk_config (5.2.4).
  static constexpr uint32_t kCfgCapacity = 0;  ///< le64, in 512-byte sectors
  static constexpr uint32_t kCfgSizeMax = 8;
  static constexpr uint32_t kCfgSegMax = 12;
  static constexpr uint32_t kCfgGeometry = 16;
  static constexpr uint32_t kCfgBlkSize = 20;
  static constexpr uint32_t kConfigSize = 0x24;  ///< up to and including num_queues

  /// A disk over `storage` (which must outlive it), answering GET_ID with `serial` (at most 20
  /// bytes are used). A read-only storage is offered with VIRTIO_BLK_F_RO.
  explicit VirtioBlk(BlockStorage& storage, std::string serial = "");

  uint32_t device_id() const override { return kVirtioIdBlock; }
  uint64_t device_features() const override;
  unsigned num_queues() const override { return 1; }
  uint16_t queue_max_size(unsigned) const override { return kQueueSize; }
  uint32_t config_size() const override { return kConfigSize; }
  uint64_t config_read(uint32_t offset, unsigned size) const override;
  void queue_notify(unsigned index, VirtQueue& queue) override;
  void reset() override {}

  /// The version of the state save() writes.
  static constexpr uint32_t kStateVersion = 1;
  uint32_t state_version() const override { return kStateVersion; }
  /// Writes the capacity and whether the disk is read-only: the device keeps no other state
  /// (requests complete during their notification), and its disk is saved by the board.
  void save(StateWriter& w) const override;
  /// Restores what save() wrote: fails `r` if the disk's capacity or read-only flag differs from
  /// the snapshot's, since the guest's driver has seen them.
  void load(StateReader& r) override;

  /// The capacity in 512-byte sectors (a partial last sector is not visible).
  uint64_t capacity() const { return storage_.size() / kSectorSize; }

 private:
  /// The outcome of one request.
  struct Outcome {
    uint8_t status = kSOk;
    uint32_t written = 0;  ///< data bytes written to the writable buffers
    bool dma_ok = true;    ///< false: a DMA error broke the queue, nothing more can be written
  };
  /// Carries out one request of `type` on `data_len` bytes of data at `sector`.
  Outcome execute(VirtQueue& queue, const VirtqChain& chain, uint32_t type, uint64_t sector,
                  uint64_t data_len);

  BlockStorage& storage_;
  std::array<uint8_t, kIdBytes> id_{};
  std::array<uint8_t, kConfigSize> config_{};
  std::vector<uint8_t> bounce_;  ///< 64 KiB, allocated once: bounds host memory per request
};

}  // namespace glassvm
