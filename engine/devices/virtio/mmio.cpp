#include "engine/devices/virtio/mmio.h"

#include <cassert>
#include <string>
#include <utility>

namespace glassvm {

VirtioMmio::VirtioMmio(AddressSpace& dma, VirtioDevice* device, MemTxAttrs dma_attrs,
                       bool access_platform)
    : dma_(&dma), device_(nullptr), dma_attrs_(dma_attrs), access_platform_(access_platform) {
  if (device) attach(*device);
  MemoryRegionOps ops;
  ops.read = [this](uint64_t offset, unsigned size, uint64_t& value, MemTxAttrs) {
    value = read(offset, size);
    return MemTxResult::Ok;
  };
  ops.write = [this](uint64_t offset, unsigned size, uint64_t value, MemTxAttrs) {
    write(offset, size, value);
    return MemTxResult::Ok;
  };
  // Registers are 32-bit; the configuration space also takes 8-, 16- and 64-bit accesses
  // (4.2.2.2). Reads have no side effects, so debug reads need no special case.
  ops.valid = {1, 8, false};
  ops.impl = {1, 8, false};
  mmio_.init_io("virtio-mmio", kMmioSize, std::move(ops));
  reset();
}

void VirtioMmio::attach(VirtioDevice& device) {
  assert(device.device_id() != kVirtioIdNone && "VirtioMmio: a device needs a device id");
  device_ = &device;
  for (unsigned i = 0; i < device_->num_queues(); ++i) {
    queues_.push_back(std::make_unique<VirtQueue>(
        *dma_, dma_attrs_, device_->queue_max_size(i),
        [this](std::string_view why) { device_error(why); },
        [this] { raise_interrupt(kIntUsedBuffer); }));
  }
}

void VirtioMmio::plug(VirtioDevice& device) {
  assert(!device_ && "VirtioMmio::plug: the slot has a device already");
  attach(device);
  reset();
}

void VirtioMmio::set_dma(AddressSpace& dma, MemTxAttrs dma_attrs, bool access_platform) {
  dma_ = &dma;
  dma_attrs_ = dma_attrs;
  access_platform_ = access_platform;
  // The queues keep the address space they were built with: build them again.
  if (VirtioDevice* device = device_) {
    queues_.clear();
    attach(*device);
  }
  reset();
}

void VirtioMmio::reset() {
  status_ = 0;
  device_features_sel_ = 0;
  driver_features_sel_ = 0;
  driver_features_ = 0;
  queue_sel_ = 0;
  interrupt_status_ = 0;
  error_reason_.clear();
  for (auto& q : queues_) q->reset();
  if (device_) device_->reset();
  update_irq();
}

uint64_t VirtioMmio::offered_features() const {
  uint64_t features = virtio_bit(kVirtioFVersion1) | virtio_bit(kVirtioFIndirectDesc);
  if (access_platform_) features |= virtio_bit(kVirtioFAccessPlatform);
  return features | device_->device_features();
}

VirtQueue* VirtioMmio::selected_queue() const {
  return queue_sel_ < queues_.size() ? queues_[queue_sel_].get() : nullptr;
}

bool VirtioMmio::live() const {
  return (status_ & (kVirtioStatusDriverOk | kVirtioStatusFeaturesOk)) ==
             (kVirtioStatusDriverOk | kVirtioStatusFeaturesOk) &&
         !needs_reset();
}

void VirtioMmio::raise_interrupt(uint32_t bits) {
  interrupt_status_ |= bits;
  update_irq();
}

void VirtioMmio::device_error(std::string_view why) {
  if (needs_reset()) return;
  error_reason_ = why;
  status_ |= kVirtioStatusDeviceNeedsReset;
  // A guest that keeps breaking its queues must not flood the host's log (QEMU logs guest
  // errors only with -d guest_errors): the first kMaxErrorsLogged are logged, then one line
  // saying that the others are not.
  if (log_ && errors_logged_ <= kMaxErrorsLogged) {
    const std::string device = "virtio device " + std::to_string(device_->device_id());
    log_->log(LogLevel::Warning,
              ++errors_logged_ <= kMaxErrorsLogged
                  ? device + " needs reset: " + error_reason_
                  : device + " needs reset again; its further errors are not logged");
  }
  for (auto& q : queues_) q->set_broken();
  // 2.1.2: once DRIVER_OK is set, entering the error state is announced as a config change.
  if (status_ & kVirtioStatusDriverOk) raise_interrupt(kIntConfig);
}

void VirtioMmio::config_changed() {
  config_generation_++;
  if (status_ & kVirtioStatusDriverOk) raise_interrupt(kIntConfig);
}

uint64_t VirtioMmio::read(uint64_t offset, unsigned size) {
  if (offset >= kConfig) {
    const uint64_t at = offset - kConfig;
    if (!device_ || at + size > device_->config_size()) return 0;
    return device_->config_read(static_cast<uint32_t>(at), size);
  }
  if (size != 4) return 0;  // QEMU: "wrong size access to register", reads as 0
  return read_reg(offset);
}

void VirtioMmio::write(uint64_t offset, unsigned size, uint64_t value) {
  if (offset >= kConfig) {
    const uint64_t at = offset - kConfig;
    if (!device_ || at + size > device_->config_size()) return;
    device_->config_write(static_cast<uint32_t>(at), size, value);
    return;
  }
  if (size != 4) return;
  write_reg(offset, static_cast<uint32_t>(value));
}

uint32_t VirtioMmio::read_reg(uint64_t offset) {
  switch (offset) {
    case kMagicValue: return kMagic;
    case kVersion: return kVersion2;
    case kVendorId: return kVendor;
    case kDeviceId: return device_ ? device_->device_id() : kVirtioIdNone;
    default: break;
  }
  if (!device_) return 0;  // an empty slot: everything else reads 0
  VirtQueue* q = selected_queue();
  switch (offset) {
    case kDeviceFeatures:
      if (device_features_sel_ > 1) return 0;
      return static_cast<uint32_t>(offered_features() >> (32 * device_features_sel_));
    case kQueueNumMax: return q ? q->max_size() : 0;
    case kQueueReady: return q && q->ready() ? 1 : 0;
    case kInterruptStatus: return interrupt_status_;
    case kStatus: return status_;
    case kQueueDescLow: return q ? static_cast<uint32_t>(q->desc_addr) : 0;
    case kQueueDescHigh: return q ? static_cast<uint32_t>(q->desc_addr >> 32) : 0;
    case kQueueDriverLow: return q ? static_cast<uint32_t>(q->driver_addr) : 0;
    case kQueueDriverHigh: return q ? static_cast<uint32_t>(q->driver_addr >> 32) : 0;
    case kQueueDeviceLow: return q ? static_cast<uint32_t>(q->device_addr) : 0;
    case kQueueDeviceHigh: return q ? static_cast<uint32_t>(q->device_addr >> 32) : 0;
    // No shared memory regions: a length of all ones means "no such region" (4.2.2).
    case kShmLenLow:
    case kShmLenHigh:
    case kShmBaseLow:
    case kShmBaseHigh: return 0xffffffffu;
    case kConfigGeneration: return config_generation_;
    default: return 0;  // write-only or reserved (QueueReset: VIRTIO_F_RING_RESET not offered)
  }
}

void VirtioMmio::write_reg(uint64_t offset, uint32_t value) {
  if (!device_) return;
  VirtQueue* q = selected_queue();
  // The driver must not change a queue's setup while it is ready (4.2.3.2); such writes are
  // ignored, as are writes for a queue the device does not have.
  VirtQueue* idle_q = q && !q->ready() ? q : nullptr;
  auto set_low = [](uint64_t& reg, uint32_t v) { reg = (reg & ~0xffffffffull) | v; };
  auto set_high = [](uint64_t& reg, uint32_t v) {
    reg = (reg & 0xffffffffull) | (uint64_t{v} << 32);
  };
  switch (offset) {
    case kDeviceFeaturesSel: device_features_sel_ = value; break;
    case kDriverFeatures:
      // Features are fixed once FEATURES_OK is set (3.1.1); only words 0 and 1 exist.
      if ((status_ & kVirtioStatusFeaturesOk) || driver_features_sel_ > 1) break;
      if (driver_features_sel_ == 0) {
        set_low(driver_features_, value);
      } else {
        set_high(driver_features_, value);
      }
      break;
    case kDriverFeaturesSel: driver_features_sel_ = value; break;
    case kQueueSel: queue_sel_ = value; break;
    case kQueueNum:
      if (idle_q) idle_q->num = value;
      break;
    case kQueueReady:
      if (!q) break;
      if ((value & 1) && !q->ready()) {
        q->set_features(driver_features_);
        q->enable();  // reports a device error itself if the setup is invalid
      } else if (!(value & 1)) {
        q->disable();
      }
      break;
    case kQueueNotify: notify(value); break;
    case kInterruptAck:
      interrupt_status_ &= ~value;
      update_irq();
      break;
    case kStatus: write_status(value); break;
    case kQueueDescLow:
      if (idle_q) set_low(idle_q->desc_addr, value);
      break;
    case kQueueDescHigh:
      if (idle_q) set_high(idle_q->desc_addr, value);
      break;
    case kQueueDriverLow:
      if (idle_q) set_low(idle_q->driver_addr, value);
      break;
    case kQueueDriverHigh:
      if (idle_q) set_high(idle_q->driver_addr, value);
      break;
    case kQueueDeviceLow:
      if (idle_q) set_low(idle_q->device_addr, value);
      break;
    case kQueueDeviceHigh:
      if (idle_q) set_high(idle_q->device_addr, value);
      break;
    default: break;  // read-only or reserved
  }
}

void VirtioMmio::write_status(uint32_t value) {
  if (value == 0) {
    reset();  // 4.2.2, Status: writing 0 resets the device
    return;
  }
  // DEVICE_NEEDS_RESET belongs to the device: the driver can neither set nor clear it.
  uint32_t next =
      (value & ~kVirtioStatusDeviceNeedsReset) | (status_ & kVirtioStatusDeviceNeedsReset);
  if ((next & kVirtioStatusFeaturesOk) && !(status_ & kVirtioStatusFeaturesOk)) {
    // 3.1.1 / 6: accept only a subset of the offer that includes VERSION_1 (this transport is
    // not a legacy one); otherwise FEATURES_OK stays clear and the driver sees the refusal.
    const bool subset = (driver_features_ & ~offered_features()) == 0;
    const bool modern = (driver_features_ & virtio_bit(kVirtioFVersion1)) != 0;
    if (subset && modern) {
      for (auto& q : queues_) q->set_features(driver_features_);
      device_->features_accepted(driver_features_);
    } else {
      next &= ~kVirtioStatusFeaturesOk;
    }
  }
  status_ = next;
}

void VirtioMmio::notify(uint32_t index) {
  // 2.1.2 / 3.1.1: no buffers are consumed before DRIVER_OK, nor in the error state; 4.2.2.1:
  // nor from a queue that is not ready.
  if (!live() || index >= queues_.size()) return;
  VirtQueue& q = *queues_[index];
  if (!q.ready() || q.broken()) return;
  device_->queue_notify(index, q);
  q.signal_used();
}

// Snapshot payload (version 1): device plugged in (boolean), u32 device id; with a device: u32
// status, u32 DeviceFeaturesSel, u32 DriverFeaturesSel, u64 driver features, u32 QueueSel, u32
// InterruptStatus, u32 ConfigGeneration, the error reason (string), the interrupt level
// (boolean), u32 number of queues and each queue (VirtQueue::save).
void VirtioMmio::save(StateWriter& w) const {
  w.boolean(device_ != nullptr);
  w.u32(device_ ? device_->device_id() : kVirtioIdNone);
  if (!device_) return;  // an empty slot ignores every write: it has nothing else
  w.u32(status_);
  w.u32(device_features_sel_);
  w.u32(driver_features_sel_);
  w.u64(driver_features_);
  w.u32(queue_sel_);
  w.u32(interrupt_status_);
  w.u32(config_generation_);
  w.str(error_reason_);
  w.boolean(irq_.level());
  w.u32(static_cast<uint32_t>(queues_.size()));
  for (const auto& q : queues_) q->save(w);
}

void VirtioMmio::load(StateReader& r) {
  constexpr uint64_t kMaxErrorReason = 4096;
  const bool plugged = r.boolean();
  const uint32_t id = r.u32();
  if (!r.ok()) return;
  const uint32_t own_id = device_ ? device_->device_id() : kVirtioIdNone;
  if (plugged != (device_ != nullptr) || id != own_id) {
    return r.fail("the slot held virtio device " + std::to_string(id) + ", it now holds " +
                  std::to_string(own_id));
  }
  if (!device_) return;
  const uint32_t status = r.u32();
  const uint32_t device_features_sel = r.u32();
  const uint32_t driver_features_sel = r.u32();
  const uint64_t driver_features = r.u64();
  const uint32_t queue_sel = r.u32();
  const uint32_t interrupt_status = r.u32();
  const uint32_t config_generation = r.u32();
  std::string error_reason = r.str(kMaxErrorReason);
  const bool level = r.boolean();
  const uint32_t num_queues = r.u32();
  if (!r.ok()) return;
  if (num_queues != queues_.size()) {
    return r.fail("the device had " + std::to_string(num_queues) + " queues, it now has " +
                  std::to_string(queues_.size()));
  }
  // What write_status() lets through FEATURES_OK: a subset of the offer, with VERSION_1.
  if ((status & kVirtioStatusFeaturesOk) && ((driver_features & ~offered_features()) != 0 ||
                                             !(driver_features & virtio_bit(kVirtioFVersion1)))) {
    return r.fail("FEATURES_OK with features the device refuses");
  }
  if (interrupt_status & ~(kIntUsedBuffer | kIntConfig)) {
    return r.fail("InterruptStatus has bits that do not exist");
  }
  if (level != (interrupt_status != 0)) {
    return r.fail("the interrupt level disagrees with InterruptStatus");
  }
  const bool needs_reset = (status & kVirtioStatusDeviceNeedsReset) != 0;
  if (needs_reset == error_reason.empty()) {
    return r.fail("DEVICE_NEEDS_RESET and the error reason disagree");
  }
  for (auto& q : queues_) {
    q->load(r);
    if (!r.ok()) return;
    // device_error() breaks every queue, and a queue breaks only through device_error().
    if (q->broken() != needs_reset) {
      return r.fail("a queue's broken state disagrees with DEVICE_NEEDS_RESET");
    }
  }
  status_ = status;
  device_features_sel_ = device_features_sel;
  driver_features_sel_ = driver_features_sel;
  driver_features_ = driver_features;
  queue_sel_ = queue_sel;
  interrupt_status_ = interrupt_status;
  config_generation_ = config_generation;
  error_reason_ = std::move(error_reason);
  irq_.restore_level(level);
}

}  // namespace glassvm
