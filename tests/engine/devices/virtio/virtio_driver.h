// A virtio-mmio test bench: RAM and one transport on a bus, and a driver that pokes the
// registers in the order Linux's virtio_mmio.c and virtio core do, with split rings in RAM.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/devices/virtio/mmio.h"
#include "engine/devices/virtio/virtqueue.h"
#include "engine/memory/memory.h"
#include "tests/support/test_bus.h"

namespace glassvm::testing {

/// One buffer of a request: guest address, length, and whether the device writes it.
struct Buf {
  uint64_t addr;
  uint32_t len;
  bool writable;
};

/// One used ring element.
struct Used {
  uint32_t id;
  uint32_t len;
};

class VirtioBench {
 public:
  static constexpr uint64_t kMmioBase = 0x10001000;
  static constexpr uint64_t kRamBase = 0x80000000;
  static constexpr uint64_t kRamSize = 1 << 20;
  /// Ring areas of queue q: descriptor table, available ring, used ring.
  static constexpr uint64_t desc_area(unsigned q) { return kRamBase + q * 0x4000; }
  static constexpr uint64_t avail_area(unsigned q) { return desc_area(q) + 0x1000 * 2; }
  static constexpr uint64_t used_area(unsigned q) { return desc_area(q) + 0x1000 * 3; }
  /// Where tests put data buffers.
  static constexpr uint64_t kData = kRamBase + 0x20000;

  /// A bench for `device` (nullptr: an empty slot). With a `dma_shift`, the device does DMA
  /// through an address space of its own in which RAM appears `dma_shift` bytes higher (as
  /// through an IOMMU); the driver helpers then hand the device such bus addresses, and take
  /// CPU addresses themselves.
  explicit VirtioBench(VirtioDevice* device, uint64_t dma_shift = 0, bool access_platform = false)
      : dma_shift_(dma_shift) {
    ram_.init_ram("ram", kRamSize);
    AddressSpace* dma = &bus_.as();
    if (dma_shift) {
      dma_root_.init_container("virtio-dma", MemoryRegion::kWholeSpace);
      ram_alias_.init_alias("ram-dma", &ram_, 0, kRamSize);
      dma_root_.add_subregion(kRamBase + dma_shift, &ram_alias_);
      dma_as_ = std::make_unique<AddressSpace>("virtio-dma", &dma_root_);
      dma = dma_as_.get();
    }
    transport_ = std::make_unique<VirtioMmio>(*dma, device, MemTxAttrs{}, access_platform);
    bus_.map(kRamBase, ram_);
    bus_.map(kMmioBase, transport_->mmio());
    transport_->irq().connect([this](bool level) { irq_level = level; });
  }

  ~VirtioBench() {
    if (dma_as_) dma_root_.del_subregion(&ram_alias_);
  }

  VirtioMmio& transport() { return *transport_; }
  AddressSpace& as() { return bus_.as(); }

  // --- Registers, as a CPU accesses them ---
  uint32_t rd(uint64_t off) {
    uint64_t v = 0;
    EXPECT_EQ(bus_.as().load(kMmioBase + off, 4, v), MemTxResult::Ok);
    return static_cast<uint32_t>(v);
  }
  void wr(uint64_t off, uint32_t v) {
    EXPECT_EQ(bus_.as().store(kMmioBase + off, 4, v), MemTxResult::Ok);
  }
  void add_status(uint32_t bits) { wr(VirtioMmio::kStatus, rd(VirtioMmio::kStatus) | bits); }

  // --- Guest memory ---
  uint64_t ld(uint64_t addr, unsigned size) {
    uint64_t v = 0;
    EXPECT_EQ(bus_.as().load(addr, size, v), MemTxResult::Ok);
    return v;
  }
  void st(uint64_t addr, unsigned size, uint64_t v) {
    EXPECT_EQ(bus_.as().store(addr, size, v), MemTxResult::Ok);
  }
  void put(uint64_t addr, const std::vector<uint8_t>& bytes) {
    EXPECT_EQ(bus_.as().write(addr, bytes.data(), bytes.size()), MemTxResult::Ok);
  }
  std::vector<uint8_t> get(uint64_t addr, size_t len) {
    std::vector<uint8_t> out(len);
    EXPECT_EQ(bus_.as().read(addr, out.data(), len), MemTxResult::Ok);
    return out;
  }

  /// Linux's probe and virtio core's initialisation up to FEATURES_OK: checks the
  /// identification registers, resets, ACKNOWLEDGE, DRIVER, reads the offer and accepts
  /// `accept` of it (all by default; VERSION_1 must be among them for the device to agree).
  /// Returns whether the device kept FEATURES_OK.
  bool negotiate(uint64_t accept = ~0ull) {
    EXPECT_EQ(rd(VirtioMmio::kMagicValue), VirtioMmio::kMagic);
    EXPECT_EQ(rd(VirtioMmio::kVersion), 2u);
    wr(VirtioMmio::kStatus, 0);
    add_status(kVirtioStatusAcknowledge);
    add_status(kVirtioStatusDriver);
    wr(VirtioMmio::kDeviceFeaturesSel, 1);
    uint64_t offer = uint64_t{rd(VirtioMmio::kDeviceFeatures)} << 32;
    wr(VirtioMmio::kDeviceFeaturesSel, 0);
    offer |= rd(VirtioMmio::kDeviceFeatures);
    const uint64_t features = offer & accept;
    wr(VirtioMmio::kDriverFeaturesSel, 1);
    wr(VirtioMmio::kDriverFeatures, static_cast<uint32_t>(features >> 32));
    wr(VirtioMmio::kDriverFeaturesSel, 0);
    wr(VirtioMmio::kDriverFeatures, static_cast<uint32_t>(features));
    add_status(kVirtioStatusFeaturesOk);
    return (rd(VirtioMmio::kStatus) & kVirtioStatusFeaturesOk) != 0;
  }

  /// Linux's vm_setup_vq for queue `q` with `size` entries, rings at the given addresses
  /// (the default areas unless overridden). Returns QueueNumMax.
  uint32_t setup_queue(unsigned q, uint32_t size, uint64_t desc = 0, uint64_t avail = 0,
                       uint64_t used = 0) {
    wr(VirtioMmio::kQueueSel, q);
    EXPECT_EQ(rd(VirtioMmio::kQueueReady), 0u);
    const uint32_t max = rd(VirtioMmio::kQueueNumMax);
    desc = desc ? desc : desc_area(q);
    avail = avail ? avail : avail_area(q);
    used = used ? used : used_area(q);
    // Like Linux, start from zeroed rings (where they are in RAM).
    for (uint64_t area : {avail, used}) {
      if (area >= kRamBase && area < kRamBase + kRamSize - 0x1000) {
        put(area, std::vector<uint8_t>(0x1000, 0));
      }
    }
    wr(VirtioMmio::kQueueNum, size);
    const uint64_t bus_desc = desc + dma_shift_, bus_avail = avail + dma_shift_,
                   bus_used = used + dma_shift_;
    wr(VirtioMmio::kQueueDescLow, static_cast<uint32_t>(bus_desc));
    wr(VirtioMmio::kQueueDescHigh, static_cast<uint32_t>(bus_desc >> 32));
    wr(VirtioMmio::kQueueDriverLow, static_cast<uint32_t>(bus_avail));
    wr(VirtioMmio::kQueueDriverHigh, static_cast<uint32_t>(bus_avail >> 32));
    wr(VirtioMmio::kQueueDeviceLow, static_cast<uint32_t>(bus_used));
    wr(VirtioMmio::kQueueDeviceHigh, static_cast<uint32_t>(bus_used >> 32));
    wr(VirtioMmio::kQueueReady, 1);
    Ring& r = rings_[q];
    r = Ring{size, desc, avail, used, 0, 0};
    return max;
  }

  /// The whole initialisation: negotiate, set up queues 0..sizes.size()-1, DRIVER_OK.
  void init(std::vector<uint32_t> sizes) {
    ASSERT_TRUE(negotiate());
    for (unsigned q = 0; q < sizes.size(); ++q) setup_queue(q, sizes[q]);
    add_status(kVirtioStatusDriverOk);
    ASSERT_EQ(rd(VirtioMmio::kStatus) & kVirtioStatusDeviceNeedsReset, 0u);
  }

  /// Writes descriptor `i` of queue `q` (or of the indirect table at CPU address `table`),
  /// pointing at CPU address `addr`.
  void write_desc(unsigned q, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags,
                  uint16_t next, uint64_t table = 0) {
    const uint64_t at = (table ? table : rings_[q].desc) + 16ull * i;
    st(at, 8, addr + dma_shift_);
    st(at + 8, 4, len);
    st(at + 12, 2, flags);
    st(at + 14, 2, next);
  }
  /// Puts head `head` in the available ring of queue `q` and publishes it.
  void publish(unsigned q, uint16_t head) {
    Ring& r = rings_[q];
    st(r.avail + 4 + 2ull * (r.avail_idx % r.size), 2, head);
    r.avail_idx++;
    st(r.avail + 2, 2, r.avail_idx);
  }
  void notify(unsigned q) { wr(VirtioMmio::kQueueNotify, q); }
  /// Chains `bufs` in free descriptors of queue `q`, publishes the chain and notifies.
  /// Returns the head index.
  uint16_t submit(unsigned q, const std::vector<Buf>& bufs, bool kick = true) {
    Ring& r = rings_[q];
    const uint16_t head = static_cast<uint16_t>(r.next_desc % r.size);
    for (size_t k = 0; k < bufs.size(); ++k) {
      const uint32_t i = (r.next_desc + k) % r.size;
      const bool last = k + 1 == bufs.size();
      write_desc(q, i, bufs[k].addr, bufs[k].len,
                 static_cast<uint16_t>((last ? 0 : VirtQueue::kDescFNext) |
                                       (bufs[k].writable ? VirtQueue::kDescFWrite : 0)),
                 static_cast<uint16_t>(last ? 0 : (i + 1) % r.size));
    }
    r.next_desc += static_cast<uint32_t>(bufs.size());
    publish(q, head);
    if (kick) notify(q);
    return head;
  }
  uint16_t used_idx(unsigned q) { return static_cast<uint16_t>(ld(rings_[q].used + 2, 2)); }
  Used used(unsigned q, uint16_t n) {
    const uint64_t at = rings_[q].used + 4 + 8ull * (n % rings_[q].size);
    return {static_cast<uint32_t>(ld(at, 4)), static_cast<uint32_t>(ld(at + 4, 4))};
  }
  /// Reads and acknowledges InterruptStatus, as vm_interrupt does.
  uint32_t ack_interrupt() {
    const uint32_t status = rd(VirtioMmio::kInterruptStatus);
    wr(VirtioMmio::kInterruptAck, status);
    return status;
  }
  bool needs_reset() { return (rd(VirtioMmio::kStatus) & kVirtioStatusDeviceNeedsReset) != 0; }

  bool irq_level = false;

 private:
  struct Ring {
    uint32_t size = 0;
    uint64_t desc = 0, avail = 0, used = 0;
    uint16_t avail_idx = 0;
    uint32_t next_desc = 0;
  };
  uint64_t dma_shift_;
  MemoryRegion ram_;
  MemoryRegion dma_root_;
  MemoryRegion ram_alias_;
  std::unique_ptr<AddressSpace> dma_as_;
  std::unique_ptr<VirtioMmio> transport_;
  TestBus bus_;  // declared last: unmaps the regions before they die
  Ring rings_[4];
};

}  // namespace glassvm::testing
