// What every virtio device shares, whatever its transport: device status bits, reserved
// feature bits, device ids, and the VirtioDevice interface a device type implements.
//
// Design note: a device type (blk, rng, ...) knows its requests and its configuration space;
// the transport (mmio.h) knows registers, feature negotiation, the status state machine,
// interrupts and the queues' addresses. The split is QEMU's VirtIODevice / VirtIOMMIOProxy.
// Everything a device does to guest memory goes through VirtQueue (virtqueue.h), which does
// DMA through the transport's AddressSpace and checks every guest-controlled bound.
#pragma once

#include <cstdint>

#include "engine/base/snapshot.h"

namespace glassvm {

class VirtQueue;

/// Device status bits (virtio 1.2, 2.1).
inline constexpr uint32_t kVirtioStatusAcknowledge = 1;
inline constexpr uint32_t kVirtioStatusDriver = 2;
inline constexpr uint32_t kVirtioStatusDriverOk = 4;
inline constexpr uint32_t kVirtioStatusFeaturesOk = 8;
inline constexpr uint32_t kVirtioStatusDeviceNeedsReset = 64;
inline constexpr uint32_t kVirtioStatusFailed = 128;

/// Reserved feature bits (virtio 1.2, 6) that the transport and VirtQueue implement.
inline constexpr unsigned kVirtioFIndirectDesc = 28;    ///< VIRTIO_F_INDIRECT_DESC
inline constexpr unsigned kVirtioFEventIdx = 29;        ///< VIRTIO_F_EVENT_IDX (not offered)
inline constexpr unsigned kVirtioFVersion1 = 32;        ///< VIRTIO_F_VERSION_1
inline constexpr unsigned kVirtioFAccessPlatform = 33;  ///< VIRTIO_F_ACCESS_PLATFORM

/// Device ids (virtio 1.2, 5). 0 is "no device": an empty virtio-mmio slot.
inline constexpr uint32_t kVirtioIdNone = 0;
inline constexpr uint32_t kVirtioIdBlock = 2;
inline constexpr uint32_t kVirtioIdEntropy = 4;

/// The bit of feature number `bit`.
constexpr uint64_t virtio_bit(unsigned bit) {
  return uint64_t{1} << bit;
}

/// A virtio device type behind a transport. The transport owns the queues and calls these
/// hooks; a device never touches guest memory except through the VirtQueue it is handed.
class VirtioDevice {
 public:
  virtual ~VirtioDevice() = default;

  /// The virtio device id (5.x), never kVirtioIdNone.
  virtual uint32_t device_id() const = 0;
  /// The device-type feature bits offered (bits 0..23 and 50..127 of the spec's numbering).
  /// The transport adds the reserved bits it implements (VERSION_1, INDIRECT_DESC).
  virtual uint64_t device_features() const = 0;
  /// The number of virtqueues (fixed for the device's lifetime).
  virtual unsigned num_queues() const = 0;
  /// QueueNumMax of queue `index` (< num_queues()): a power of two, at most 32768.
  virtual uint16_t queue_max_size(unsigned index) const = 0;

  /// The size in bytes of the device configuration space.
  virtual uint32_t config_size() const = 0;
  /// Reads `size` (1, 2, 4 or 8) bytes of configuration space at `offset`; the transport has
  /// checked that offset + size <= config_size(). No side effects.
  virtual uint64_t config_read(uint32_t offset, unsigned size) const = 0;
  /// A driver write to configuration space (same bounds as config_read). Read-only fields
  /// ignore it, which is the default.
  virtual void config_write(uint32_t offset, unsigned size, uint64_t value) {
    (void)offset, (void)size, (void)value;
  }

  /// The features the driver accepted, when it sets FEATURES_OK and the transport accepts
  /// them (a subset of the offer, with VERSION_1).
  virtual void features_accepted(uint64_t features) { (void)features; }

  /// The driver made buffers available on `queue` (QueueNotify), which is ready and live. The
  /// device consumes them with queue.pop() and returns them with queue.push(); it stops when
  /// pop() says the queue is empty or broken. A guest error found on the way (a request
  /// without its header, say) is reported with queue.device_error().
  virtual void queue_notify(unsigned index, VirtQueue& queue) = 0;

  /// Back to the state after power-on (the driver wrote 0 to Status, or the board reset).
  virtual void reset() = 0;

  /// Snapshots of the device type's own state (the transport saves its registers and queues,
  /// engine/devices/virtio/mmio.h). The version of the state save() writes; 0 (the default)
  /// when the device type cannot be saved.
  virtual uint32_t state_version() const { return 0; }
  /// Writes what the guest can observe of the device type, or what decides what it does next,
  /// beyond the transport's state. Not host wiring (the disk's contents, callbacks).
  virtual void save(StateWriter& w) const { (void)w; }
  /// Restores what save() wrote with state_version() into a device built from the same
  /// options, validating every value: on an impossible one, r.fail(why).
  virtual void load(StateReader& r) { r.fail("this virtio device cannot be restored"); }
};

}  // namespace glassvm
