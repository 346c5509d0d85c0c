// The virtio-mmio transport, version 2 (virtio 1.2, 4.2.2): one register block per slot
// ("virtio-mmio" on the virt board at 0x1000_1000 + n*0x1000, PLIC source 1+n).
//
// Design note: the transport is generic. It owns the registers, the device status state
// machine (2.1, 3.1), feature negotiation, the interrupt status and the virtqueues, and hands
// queue notifications to a VirtioDevice. A slot without a device is the same class with no
// backend: it reads MagicValue, Version, VendorID and DeviceID 0, and ignores writes, which is
// how a driver learns the slot is empty (4.2.2.2). Guest errors never stop the emulator: the
// transport sets DEVICE_NEEDS_RESET, sends a configuration change notification once the driver
// is live (2.1.2), and ignores queue notifications until the driver writes 0 to Status.
// Notifications are handled during the QueueNotify write, so requests complete at a
// deterministic instruction; the MMIO region's re-entrancy guard stops a request whose DMA
// aims at the device's own registers.
#pragma once

#include <cassert>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/host.h"
#include "engine/base/irq.h"
#include "engine/base/snapshot.h"
#include "engine/devices/virtio/virtio.h"
#include "engine/devices/virtio/virtqueue.h"
#include "engine/memory/memory.h"

namespace glassvm {

/// A virtio-mmio (version 2) transport, with or without a device behind it.
class VirtioMmio {
 public:
  static constexpr uint64_t kMmioSize = 0x200;  ///< as QEMU's "virtio-mmio" region

  /// Register offsets (4.2.2), all 32-bit; the device configuration space starts at kConfig.
  static constexpr uint64_t kMagicValue = 0x000;
  static constexpr uint64_t kVersion = 0x004;
  static constexpr uint64_t kDeviceId = 0x008;
  static constexpr uint64_t kVendorId = 0x00c;
  static constexpr uint64_t kDeviceFeatures = 0x010;
  static constexpr uint64_t kDeviceFeaturesSel = 0x014;
  static constexpr uint64_t kDriverFeatures = 0x020;
  static constexpr uint64_t kDriverFeaturesSel = 0x024;
  static constexpr uint64_t kQueueSel = 0x030;
  static constexpr uint64_t kQueueNumMax = 0x034;
  static constexpr uint64_t kQueueNum = 0x038;
  static constexpr uint64_t kQueueReady = 0x044;
  static constexpr uint64_t kQueueNotify = 0x050;
  static constexpr uint64_t kInterruptStatus = 0x060;
  static constexpr uint64_t kInterruptAck = 0x064;
  static constexpr uint64_t kStatus = 0x070;
  static constexpr uint64_t kQueueDescLow = 0x080;
  static constexpr uint64_t kQueueDescHigh = 0x084;
  static constexpr uint64_t kQueueDriverLow = 0x090;
  static constexpr uint64_t kQueueDriverHigh = 0x094;
  static constexpr uint64_t kQueueDeviceLow = 0x0a0;
  static constexpr uint64_t kQueueDeviceHigh = 0x0a4;
  static constexpr uint64_t kShmSel = 0x0ac;
  static constexpr uint64_t kShmLenLow = 0x0b0;
  static constexpr uint64_t kShmLenHigh = 0x0b4;
  static constexpr uint64_t kShmBaseLow = 0x0b8;
  static constexpr uint64_t kShmBaseHigh = 0x0bc;
  static constexpr uint64_t kQueueReset = 0x0c0;
  static constexpr uint64_t kConfigGeneration = 0x0fc;
  static constexpr uint64_t kConfig = 0x100;

  static constexpr uint32_t kMagic = 0x74726976;  ///< "virt"
  static constexpr uint32_t kVersion2 = 2;
  /// VendorID: QEMU's ("QEMU"), since the board presents itself as QEMU's virt.
  static constexpr uint32_t kVendor = 0x554d4551;

  /// InterruptStatus bits (4.2.2).
  static constexpr uint32_t kIntUsedBuffer = 1;  ///< a used buffer notification
  static constexpr uint32_t kIntConfig = 2;      ///< a configuration change notification

  /// A transport for `device` (nullptr: an empty slot), doing the device's DMA through `dma`
  /// with `dma_attrs` (its requester id, for an IOMMU). `device` and `dma` must outlive it.
  /// With `access_platform`, VIRTIO_F_ACCESS_PLATFORM is offered: set it when `dma` is
  /// translated by an IOMMU, so that the driver hands the device IOVAs.
  VirtioMmio(AddressSpace& dma, VirtioDevice* device, MemTxAttrs dma_attrs = {},
             bool access_platform = false);
  VirtioMmio(const VirtioMmio&) = delete;
  VirtioMmio& operator=(const VirtioMmio&) = delete;

  /// The register block, to be mapped by the board. 32-bit aligned accesses to registers; 8-,
  /// 16-, 32- and 64-bit aligned accesses to the configuration space (4.2.2.2). A register
  /// access of another size reads 0 and is ignored when written, as in QEMU.
  MemoryRegion& mmio() { return mmio_; }
  /// The interrupt output: high while InterruptStatus is not 0.
  IrqLine& irq() { return irq_; }
  /// Puts `device` (which must outlive the transport) into an empty slot, as plugging a
  /// device into QEMU's virtio-mmio bus does. Only before the guest runs (the board does it
  /// while it is built); assert if the slot has a device already (a programmer error).
  void plug(VirtioDevice& device);
  /// Moves the transport's DMA to `dma` with `dma_attrs`, and offers VIRTIO_F_ACCESS_PLATFORM
  /// if `access_platform` (as the constructor does): the board puts a slot behind an IOMMU so.
  /// Only before the guest runs, like plug(); `dma` must outlive the transport.
  void set_dma(AddressSpace& dma, MemTxAttrs dma_attrs, bool access_platform);
  /// The address space the device's DMA goes through, and its attributes.
  AddressSpace& dma() const { return *dma_; }
  MemTxAttrs dma_attrs() const { return dma_attrs_; }
  /// The device behind the transport (nullptr for an empty slot).
  VirtioDevice* device() const { return device_; }

  /// The device's configuration changed (a resized disk): ConfigGeneration moves and, once
  /// the driver is live, a configuration change notification is sent (4.2.2).
  void config_changed();
  /// The Status register value.
  uint32_t status() const { return status_; }
  /// Whether the device is in its error state (DEVICE_NEEDS_RESET).
  bool needs_reset() const { return (status_ & kVirtioStatusDeviceNeedsReset) != 0; }
  /// Why the device entered its error state ("" if it did not), for logs and the UI.
  const std::string& error_reason() const { return error_reason_; }
  /// The virtqueue `index` (< the device's num_queues()), for inspection.
  const VirtQueue& queue(unsigned index) const {
    assert(index < queues_.size() && "VirtioMmio::queue: no such queue");
    return *queues_[index];
  }
  /// The same, for the device's owner to hand a queue back to its device when it restores it
  /// from a snapshot (a device that keeps a queue between notifications, as virtio-iommu keeps
  /// its event queue).
  VirtQueue& queue(unsigned index) {
    assert(index < queues_.size() && "VirtioMmio::queue: no such queue");
    return *queues_[index];
  }
  /// Where to report, at Warning level, each entry into the error state (nullptr: nowhere).
  /// `log` must outlive the transport.
  void set_log(Host* log) { log_ = log; }

  /// The board's reset: like a driver writing 0 to Status.
  void reset();

  /// Reads the register or configuration bytes at `offset` as the guest would.
  uint64_t read(uint64_t offset, unsigned size);
  /// Writes the register or configuration bytes at `offset` as the guest would.
  void write(uint64_t offset, unsigned size, uint64_t value);

  /// The version of the state save() writes.
  static constexpr uint32_t kStateVersion = 1;
  /// Writes whether a device is plugged in and its device id; then, for a slot with a device,
  /// the registers (status, feature selectors and accepted features, QueueSel, InterruptStatus,
  /// ConfigGeneration), the error reason, the interrupt level and every queue. Not the device
  /// type's own state (VirtioDevice::save, which its owner saves) nor the DMA wiring.
  void save(StateWriter& w) const;
  /// Restores what save() wrote into a transport built the same way (the same device type
  /// plugged in, the same DMA wiring). Fails `r` when the slot differs (empty against plugged,
  /// another device id or number of queues), and on a state the transport cannot reach:
  /// FEATURES_OK with features it would have refused, InterruptStatus bits that do not exist,
  /// DEVICE_NEEDS_RESET without every queue broken (or a broken queue without it), an interrupt
  /// level that disagrees with InterruptStatus, or a queue VirtQueue::load refuses. The
  /// transport may then be half-restored. The interrupt line is set without telling its
  /// receiver; neither the device nor the log is told anything.
  void load(StateReader& r);

 private:
  uint32_t read_reg(uint64_t offset);
  void write_reg(uint64_t offset, uint32_t value);
  void write_status(uint32_t value);
  /// The queue QueueSel names, or nullptr if the device has no such queue.
  VirtQueue* selected_queue() const;
  uint64_t offered_features() const;
  bool live() const;
  void notify(uint32_t index);
  void device_error(std::string_view why);
  void raise_interrupt(uint32_t bits);
  void update_irq() { irq_.set(interrupt_status_ != 0); }
  void attach(VirtioDevice& device);

  AddressSpace* dma_;
  VirtioDevice* device_;
  MemTxAttrs dma_attrs_;
  bool access_platform_;
  std::vector<std::unique_ptr<VirtQueue>> queues_;
  MemoryRegion mmio_;
  IrqLine irq_;

  uint32_t status_ = 0;
  uint32_t device_features_sel_ = 0;
  uint32_t driver_features_sel_ = 0;
  uint64_t driver_features_ = 0;
  uint32_t queue_sel_ = 0;
  uint32_t interrupt_status_ = 0;
  uint32_t config_generation_ = 0;
  std::string error_reason_;
  Host* log_ = nullptr;
  /// Device errors logged so far (device_error), in the life of the transport.
  static constexpr unsigned kMaxErrorsLogged = 8;
  unsigned errors_logged_ = 0;
};

}  // namespace glassvm
