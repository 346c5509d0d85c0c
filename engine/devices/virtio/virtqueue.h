// Split virtqueues (virtio 1.2, 2.7): the descriptor table, the available ring and the used
// ring, as the device side walks them.
//
// Design note: every access to a ring or a buffer is DMA through the transport's AddressSpace
// (so an IOMMU in front of the device translates it), never a host pointer, and every value
// the guest controls is checked before it is used: the queue size and ring alignment when the
// queue is enabled, the available index, head and next indices against the table size, the
// length of a chain (at most one pass over its table: a loop cannot hang the emulator), the
// 2^32-byte bound on a chain, and address overflow. Any violation, and any DMA error, is a
// device error: the transport sets DEVICE_NEEDS_RESET (2.1.2) and the queue refuses all work
// until the driver resets the device. Host memory per chain is bounded by the table sizes.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "engine/base/snapshot.h"
#include "engine/memory/memory.h"

namespace glassvm {

/// One guest buffer of a descriptor chain.
struct VirtqBuffer {
  uint64_t addr = 0;
  uint32_t len = 0;
};

/// A descriptor chain popped from the available ring: its head index, and its buffers split
/// into the device-readable ones (which all come first, 2.7.5) and the device-writable ones.
struct VirtqChain {
  uint16_t head = 0;
  std::vector<VirtqBuffer> readable;
  std::vector<VirtqBuffer> writable;
  uint64_t readable_len = 0;  ///< total bytes of `readable`
  uint64_t writable_len = 0;  ///< total bytes of `writable`
};

/// The device side of one split virtqueue.
class VirtQueue {
 public:
  /// The largest queue size a split virtqueue may have (2.7).
  static constexpr uint32_t kMaxSize = 32768;
  /// Descriptor flags (2.7.5).
  static constexpr uint16_t kDescFNext = 1;      ///< VIRTQ_DESC_F_NEXT
  static constexpr uint16_t kDescFWrite = 2;     ///< VIRTQ_DESC_F_WRITE
  static constexpr uint16_t kDescFIndirect = 4;  ///< VIRTQ_DESC_F_INDIRECT
  /// Available ring flag (2.7.6): the driver asks for no used buffer notification.
  static constexpr uint16_t kAvailFNoInterrupt = 1;  ///< VIRTQ_AVAIL_F_NO_INTERRUPT
  /// Ring alignments (2.7: descriptor table 16, available ring 2, used ring 4).
  static constexpr uint64_t kDescAlign = 16, kAvailAlign = 2, kUsedAlign = 4;

  /// What pop() found.
  enum class Pop : uint8_t {
    Chain,   ///< `chain` holds the next request
    Empty,   ///< nothing is available
    Broken,  ///< the queue is not running, or the device is in its error state
  };

  /// Called on a guest error (with a short reason); the transport enters its error state.
  using ErrorSink = std::function<void(std::string_view why)>;
  /// Called when the device should send a used buffer notification.
  using UsedSink = std::function<void()>;

  /// A queue of at most `max_size` (a power of two <= kMaxSize) entries whose DMA goes
  /// through `dma` with `attrs`.
  VirtQueue(AddressSpace& dma, MemTxAttrs attrs, uint16_t max_size, ErrorSink on_error,
            UsedSink on_used);
  VirtQueue(const VirtQueue&) = delete;
  VirtQueue& operator=(const VirtQueue&) = delete;

  // --- The transport's side: configuration registers and life cycle ---

  /// QueueNumMax.
  uint16_t max_size() const { return max_size_; }
  /// The driver's QueueNum, QueueDesc, QueueDriver and QueueDevice values. They may be written
  /// only while the queue is not ready; the transport ignores writes otherwise.
  uint32_t num = 0;
  uint64_t desc_addr = 0;
  uint64_t driver_addr = 0;
  uint64_t device_addr = 0;
  /// Whether the driver set QueueReady (the value it reads back).
  bool ready() const { return ready_; }
  /// The driver wrote 1 to QueueReady: checks the size (a power of two, at most max_size())
  /// and the rings (aligned, not wrapping around the address space). Returns false, and
  /// reports a device error, when they are invalid; the queue then does no DMA.
  bool enable();
  /// The driver wrote 0 to QueueReady, or the device is reset: the queue stops.
  void disable();
  /// Back to the reset state: stopped, registers cleared, error cleared.
  void reset();
  /// The negotiated features (decides whether indirect descriptors are allowed).
  void set_features(uint64_t features) { features_ = features; }
  /// Stops all work after a device error (the transport calls it on every queue).
  void set_broken() { broken_ = true; }
  /// Sends the used buffer notification if buffers were pushed since the last call and the
  /// driver has not suppressed it (VIRTQ_AVAIL_F_NO_INTERRUPT).
  void signal_used();

  // --- The device's side ---

  /// Takes the next available descriptor chain. A malformed chain or ring is a device error
  /// (returns Broken).
  Pop pop(VirtqChain& chain);
  /// Returns `chain` to the driver through the used ring, with `written` bytes written to its
  /// writable buffers (at most chain.writable_len). False on a DMA error (a device error).
  bool push(const VirtqChain& chain, uint32_t written);
  /// Copies `out.size()` bytes of the chain's readable buffers, starting `offset` bytes into
  /// them, into `out`. False on a DMA error (a device error) or if the range is not inside the
  /// readable bytes (the caller should have checked readable_len: no error is reported).
  bool read(const VirtqChain& chain, uint64_t offset, std::span<uint8_t> out);
  /// Copies `data` into the chain's writable buffers, starting `offset` bytes into them. False
  /// as for read().
  bool write(const VirtqChain& chain, uint64_t offset, std::span<const uint8_t> data);
  /// Reports a guest error found by the device (a malformed request): the transport enters
  /// its error state and the queue stops.
  void device_error(std::string_view why);
  /// Whether the queue does no more work until a reset.
  bool broken() const { return broken_; }

  // --- Snapshots (part of the transport's state: VirtioMmio::save) ---

  /// Writes the driver's registers, the negotiated features, the ready, broken and
  /// notification-pending flags and the ring indices. Not max_size() (fixed by the device
  /// type) nor the DMA wiring.
  void save(StateWriter& w) const;
  /// Restores what save() wrote. Fails `r` on a state the queue cannot reach: a running queue
  /// (ready, not broken) whose setup enable() would refuse, or a notification pending on a
  /// stopped queue; the queue is then left as it was. Ring addresses of a stopped or broken
  /// queue may be anything, as the guest may write anything there.
  void load(StateReader& r);

 private:
  bool load16(uint64_t addr, uint16_t& value);
  bool store(uint64_t addr, unsigned size, uint64_t value);
  /// DMA over the buffers `bufs`, `offset` bytes into them.
  bool transfer(const std::vector<VirtqBuffer>& bufs, uint64_t total, uint64_t offset,
                uint8_t* data, uint64_t len, bool is_write);

  AddressSpace& dma_;
  MemTxAttrs attrs_;
  uint16_t max_size_;
  ErrorSink on_error_;
  UsedSink on_used_;
  uint64_t features_ = 0;
  bool ready_ = false;
  bool broken_ = false;
  bool used_pending_ = false;  ///< buffers pushed since the last signal_used()
  uint16_t last_avail_idx_ = 0;
  uint16_t used_idx_ = 0;
};

}  // namespace glassvm
