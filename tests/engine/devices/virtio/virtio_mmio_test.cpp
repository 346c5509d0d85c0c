// VirtioMmio and VirtQueue: the register interface and the split rings, driven the way
// Linux's virtio_mmio.c does, with a fake device; and every malformed setup or ring a guest
// can write, each of which must put the device in its error state (DEVICE_NEEDS_RESET plus a
// configuration change interrupt, virtio 1.2 2.1.2) until the driver resets it.
#include "engine/devices/virtio/mmio.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/engine/devices/virtio/virtio_driver.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

using testing::Buf;
using testing::VirtioBench;

/// Two queues (16 and 8 entries), 8 bytes of configuration. Each request: reads all its
/// readable bytes, fills its writable bytes with 0xa5, returns them all as written.
class FakeDevice final : public VirtioDevice {
 public:
  static constexpr uint64_t kFeature = virtio_bit(3);

  uint32_t device_id() const override { return 42; }
  uint64_t device_features() const override { return kFeature; }
  unsigned num_queues() const override { return 2; }
  uint16_t queue_max_size(unsigned index) const override { return index == 0 ? 16 : 8; }
  uint32_t config_size() const override { return 8; }
  uint64_t config_read(uint32_t offset, unsigned size) const override {
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= uint64_t{config[offset + i]} << (8 * i);
    return v;
  }
  void config_write(uint32_t offset, unsigned size, uint64_t value) override {
    for (unsigned i = 0; i < size; ++i) config[offset + i] = static_cast<uint8_t>(value >> 8 * i);
  }
  void features_accepted(uint64_t f) override { accepted = f; }
  void queue_notify(unsigned index, VirtQueue& queue) override {
    notifies++;
    VirtqChain chain;
    while (queue.pop(chain) == VirtQueue::Pop::Chain) {
      std::vector<uint8_t> in(chain.readable_len);
      if (!queue.read(chain, 0, in)) return;
      last_read = in;
      last_queue = index;
      std::vector<uint8_t> out(chain.writable_len, 0xa5);
      if (!queue.write(chain, 0, out)) return;
      if (!queue.push(chain, static_cast<uint32_t>(out.size()))) return;
    }
  }
  void reset() override { resets++; }

  uint8_t config[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  uint64_t accepted = 0;
  int notifies = 0;
  int resets = 0;
  unsigned last_queue = 99;
  std::vector<uint8_t> last_read;
};

class VirtioMmioTest : public ::testing::Test {
 protected:
  VirtioMmioTest() : bench(&dev) {}

  /// A valid request on queue 0: 4 readable bytes, 8 writable; checks its completion.
  void expect_request_works() {
    bench.put(VirtioBench::kData, {1, 2, 3, 4});
    const uint16_t before = bench.used_idx(0);
    const uint16_t head =
        bench.submit(0, {{VirtioBench::kData, 4, false}, {VirtioBench::kData + 0x100, 8, true}});
    ASSERT_EQ(bench.used_idx(0), static_cast<uint16_t>(before + 1));
    EXPECT_EQ(bench.used(0, before).id, head);
    EXPECT_EQ(bench.used(0, before).len, 8u);
    EXPECT_EQ(dev.last_read, (std::vector<uint8_t>{1, 2, 3, 4}));
    EXPECT_EQ(bench.get(VirtioBench::kData + 0x100, 8), std::vector<uint8_t>(8, 0xa5));
    EXPECT_FALSE(bench.needs_reset());
  }

  /// The device is in its error state, told the live driver so, and works again after the
  /// driver resets and reinitialises it.
  void expect_error_then_recovery(bool driver_ok = true) {
    EXPECT_TRUE(bench.needs_reset()) << "no device error";
    EXPECT_FALSE(bench.transport().error_reason().empty());
    if (driver_ok) {
      EXPECT_TRUE(bench.irq_level);
      EXPECT_EQ(bench.ack_interrupt() & VirtioMmio::kIntConfig, VirtioMmio::kIntConfig);
    }
    // The error state holds: notifications are ignored.
    const int notifies = dev.notifies;
    bench.notify(0);
    EXPECT_EQ(dev.notifies, notifies);
    // The driver writes NEEDS_RESET away in vain; only a reset clears it.
    bench.wr(VirtioMmio::kStatus, 0x0f);
    EXPECT_TRUE(bench.needs_reset());
    bench.init({16, 8});
    EXPECT_FALSE(bench.needs_reset());
    EXPECT_TRUE(bench.transport().error_reason().empty());
    expect_request_works();
  }

  FakeDevice dev;
  VirtioBench bench;
};

TEST(VirtioMmioSlotTest, EmptySlotReadsDeviceIdZeroAndIgnoresWrites) {
  VirtioBench bench(nullptr);
  EXPECT_EQ(bench.transport().mmio().name(), "virtio-mmio");
  EXPECT_EQ(bench.transport().mmio().size(), 0x200u);
  EXPECT_EQ(bench.rd(VirtioMmio::kMagicValue), 0x74726976u);
  EXPECT_EQ(bench.rd(VirtioMmio::kVersion), 2u);
  EXPECT_EQ(bench.rd(VirtioMmio::kDeviceId), 0u);
  EXPECT_EQ(bench.rd(VirtioMmio::kVendorId), VirtioMmio::kVendor);
  bench.wr(VirtioMmio::kStatus, kVirtioStatusAcknowledge);
  bench.wr(VirtioMmio::kQueueNotify, 0);
  EXPECT_EQ(bench.rd(VirtioMmio::kStatus), 0u);
  EXPECT_EQ(bench.rd(VirtioMmio::kQueueNumMax), 0u);
  EXPECT_EQ(bench.rd(VirtioMmio::kDeviceFeatures), 0u);
  EXPECT_EQ(bench.rd(VirtioMmio::kConfig), 0u);
  EXPECT_FALSE(bench.irq_level);
}

TEST(VirtioMmioDmaTest, DmaGoesThroughTheDevicesOwnAddressSpace) {
  // RAM appears 4 GiB higher to the device (as behind an IOMMU): the driver's bus addresses
  // work, and the CPU's physical addresses, which the device cannot see, do not.
  constexpr uint64_t kShift = 1ull << 32;
  FakeDevice dev;
  VirtioBench bench(&dev, kShift, /*access_platform=*/true);
  bench.wr(VirtioMmio::kDeviceFeaturesSel, 1);
  EXPECT_EQ(bench.rd(VirtioMmio::kDeviceFeatures), 3u);  // VERSION_1 and ACCESS_PLATFORM
  bench.init({16, 8});
  bench.put(VirtioBench::kData, {5, 6});
  bench.submit(0, {{VirtioBench::kData, 2, false}, {VirtioBench::kData + 0x100, 3, true}});
  ASSERT_EQ(bench.used_idx(0), 1u);
  EXPECT_EQ(dev.last_read, (std::vector<uint8_t>{5, 6}));
  EXPECT_EQ(bench.get(VirtioBench::kData + 0x100, 3), std::vector<uint8_t>(3, 0xa5));

  // A ring given by its CPU physical address is outside the device's view.
  bench.wr(VirtioMmio::kStatus, 0);
  ASSERT_TRUE(bench.negotiate());
  bench.setup_queue(0, 16, 0, VirtioBench::avail_area(0) - kShift);
  bench.add_status(kVirtioStatusDriverOk);
  bench.notify(0);
  EXPECT_TRUE(bench.needs_reset());
  EXPECT_EQ(dev.notifies, 2);
}

TEST_F(VirtioMmioTest, IdentificationAndFeatureOffer) {
  EXPECT_EQ(bench.rd(VirtioMmio::kMagicValue), VirtioMmio::kMagic);
  EXPECT_EQ(bench.rd(VirtioMmio::kVersion), 2u);
  EXPECT_EQ(bench.rd(VirtioMmio::kDeviceId), 42u);
  bench.wr(VirtioMmio::kDeviceFeaturesSel, 0);
  EXPECT_EQ(bench.rd(VirtioMmio::kDeviceFeatures), (1u << 3) | (1u << kVirtioFIndirectDesc));
  bench.wr(VirtioMmio::kDeviceFeaturesSel, 1);
  EXPECT_EQ(bench.rd(VirtioMmio::kDeviceFeatures), 1u);  // VERSION_1 (bit 32)
  bench.wr(VirtioMmio::kDeviceFeaturesSel, 2);
  EXPECT_EQ(bench.rd(VirtioMmio::kDeviceFeatures), 0u);
  // No shared memory regions (4.2.2: a length of ~0 means none).
  EXPECT_EQ(bench.rd(VirtioMmio::kShmLenLow), 0xffffffffu);
  EXPECT_EQ(bench.rd(VirtioMmio::kShmLenHigh), 0xffffffffu);
}

TEST_F(VirtioMmioTest, LinuxInitialisationReachesDriverOk) {
  bench.init({16, 8});
  EXPECT_EQ(bench.rd(VirtioMmio::kStatus), 0x0fu);
  EXPECT_EQ(dev.accepted,
            FakeDevice::kFeature | virtio_bit(kVirtioFIndirectDesc) | virtio_bit(kVirtioFVersion1));
  bench.wr(VirtioMmio::kQueueSel, 0);
  EXPECT_EQ(bench.rd(VirtioMmio::kQueueNumMax), 16u);
  EXPECT_EQ(bench.rd(VirtioMmio::kQueueReady), 1u);
  EXPECT_EQ(bench.rd(VirtioMmio::kQueueDescLow), static_cast<uint32_t>(VirtioBench::desc_area(0)));
  bench.wr(VirtioMmio::kQueueSel, 1);
  EXPECT_EQ(bench.rd(VirtioMmio::kQueueNumMax), 8u);
  bench.wr(VirtioMmio::kQueueSel, 2);  // no such queue
  EXPECT_EQ(bench.rd(VirtioMmio::kQueueNumMax), 0u);
  EXPECT_EQ(bench.rd(VirtioMmio::kQueueReady), 0u);
  expect_request_works();
}

TEST_F(VirtioMmioTest, RequestRaisesUsedBufferInterruptUntilAcknowledged) {
  bench.init({16, 8});
  EXPECT_FALSE(bench.irq_level);
  expect_request_works();
  EXPECT_TRUE(bench.irq_level);
  EXPECT_EQ(bench.ack_interrupt(), VirtioMmio::kIntUsedBuffer);
  EXPECT_FALSE(bench.irq_level);
  EXPECT_EQ(bench.rd(VirtioMmio::kInterruptStatus), 0u);
}

TEST_F(VirtioMmioTest, SecondQueueAndManyRequestsWrapTheRings) {
  bench.init({16, 8});
  for (int i = 0; i < 20; ++i) {
    bench.submit(1, {{VirtioBench::kData, 2, false}, {VirtioBench::kData + 0x200, 4, true}});
    EXPECT_EQ(dev.last_queue, 1u);
  }
  EXPECT_EQ(bench.used_idx(1), 20u);
  EXPECT_EQ(bench.used_idx(0), 0u);
  EXPECT_FALSE(bench.needs_reset());
}

TEST_F(VirtioMmioTest, NoInterruptFlagSuppressesUsedBufferInterrupt) {
  bench.init({16, 8});
  bench.st(VirtioBench::avail_area(0), 2, VirtQueue::kAvailFNoInterrupt);
  expect_request_works();
  EXPECT_FALSE(bench.irq_level);
  EXPECT_EQ(bench.rd(VirtioMmio::kInterruptStatus), 0u);
}

TEST_F(VirtioMmioTest, FeaturesWithoutVersion1AreRefused) {
  EXPECT_FALSE(bench.negotiate(~virtio_bit(kVirtioFVersion1)));
  EXPECT_EQ(bench.rd(VirtioMmio::kStatus) & kVirtioStatusFeaturesOk, 0u);
  EXPECT_EQ(dev.accepted, 0u);
  // Linux then sets FAILED; a later reset and a modern driver succeed.
  bench.add_status(kVirtioStatusFailed);
  bench.init({16, 8});
  expect_request_works();
}

TEST_F(VirtioMmioTest, FeaturesNotOfferedAreRefused) {
  bench.wr(VirtioMmio::kStatus, 0);
  bench.add_status(kVirtioStatusAcknowledge | kVirtioStatusDriver);
  bench.wr(VirtioMmio::kDriverFeaturesSel, 1);
  bench.wr(VirtioMmio::kDriverFeatures, 1);  // VERSION_1
  bench.wr(VirtioMmio::kDriverFeaturesSel, 0);
  bench.wr(VirtioMmio::kDriverFeatures, 1u << 5);  // not offered
  bench.add_status(kVirtioStatusFeaturesOk);
  EXPECT_EQ(bench.rd(VirtioMmio::kStatus) & kVirtioStatusFeaturesOk, 0u);
}

TEST_F(VirtioMmioTest, DriverFeaturesAreFixedOnceFeaturesOk) {
  ASSERT_TRUE(bench.negotiate(virtio_bit(kVirtioFVersion1)));
  bench.wr(VirtioMmio::kDriverFeaturesSel, 0);
  bench.wr(VirtioMmio::kDriverFeatures, 1u << kVirtioFIndirectDesc);
  bench.setup_queue(0, 16);
  bench.add_status(kVirtioStatusDriverOk);
  // Indirect descriptors were not negotiated, the late write notwithstanding.
  bench.write_desc(0, 0, VirtioBench::kRamBase + 0x10000, 16, VirtQueue::kDescFIndirect, 0);
  bench.publish(0, 0);
  bench.notify(0);
  EXPECT_TRUE(bench.needs_reset());
}

TEST_F(VirtioMmioTest, WriteZeroToStatusResetsEverything) {
  bench.init({16, 8});
  expect_request_works();
  ASSERT_TRUE(bench.irq_level);
  const int resets = dev.resets;
  bench.wr(VirtioMmio::kStatus, 0);
  EXPECT_EQ(dev.resets, resets + 1);
  EXPECT_EQ(bench.rd(VirtioMmio::kStatus), 0u);
  EXPECT_EQ(bench.rd(VirtioMmio::kInterruptStatus), 0u);
  EXPECT_FALSE(bench.irq_level);
  for (unsigned q = 0; q < 2; ++q) {
    bench.wr(VirtioMmio::kQueueSel, q);
    EXPECT_EQ(bench.rd(VirtioMmio::kQueueReady), 0u);
    EXPECT_EQ(bench.rd(VirtioMmio::kQueueDescLow), 0u);
  }
  // The used ring starts again from 0 after the reinitialisation.
  bench.st(VirtioBench::used_area(0) + 2, 2, 0);
  bench.init({16, 8});
  expect_request_works();
}

TEST_F(VirtioMmioTest, ConfigurationSpaceAccessWidths) {
  EXPECT_EQ(bench.ld(VirtioBench::kMmioBase + 0x100, 1), 0x11u);
  EXPECT_EQ(bench.ld(VirtioBench::kMmioBase + 0x102, 2), 0x4433u);
  EXPECT_EQ(bench.ld(VirtioBench::kMmioBase + 0x104, 4), 0x88776655u);
  EXPECT_EQ(bench.ld(VirtioBench::kMmioBase + 0x100, 8), 0x8877665544332211u);
  EXPECT_EQ(bench.ld(VirtioBench::kMmioBase + 0x108, 4), 0u);  // past the config space
  EXPECT_EQ(bench.ld(VirtioBench::kMmioBase + 0x108, 8), 0u);
  bench.st(VirtioBench::kMmioBase + 0x101, 1, 0xee);
  EXPECT_EQ(dev.config[1], 0xee);
  bench.st(VirtioBench::kMmioBase + 0x1fc, 4, 0x1234);  // past it: ignored
  // Registers take 32-bit accesses only; others read 0 and are ignored.
  EXPECT_EQ(bench.ld(VirtioBench::kMmioBase + VirtioMmio::kMagicValue, 2), 0u);
  bench.st(VirtioBench::kMmioBase + VirtioMmio::kStatus, 1, kVirtioStatusAcknowledge);
  EXPECT_EQ(bench.rd(VirtioMmio::kStatus), 0u);
}

TEST_F(VirtioMmioTest, ConfigChangeBumpsGenerationAndInterruptsLiveDriver) {
  const uint32_t gen = bench.rd(VirtioMmio::kConfigGeneration);
  bench.transport().config_changed();
  EXPECT_NE(bench.rd(VirtioMmio::kConfigGeneration), gen);
  EXPECT_FALSE(bench.irq_level);  // no driver yet
  bench.init({16, 8});
  bench.transport().config_changed();
  EXPECT_TRUE(bench.irq_level);
  EXPECT_EQ(bench.ack_interrupt(), VirtioMmio::kIntConfig);
}

TEST_F(VirtioMmioTest, NotifyOnUnreadyQueueIsIgnored) {
  ASSERT_TRUE(bench.negotiate());
  bench.setup_queue(0, 16);
  bench.add_status(kVirtioStatusDriverOk);
  // Queue 1 was never made ready: its rings are not touched, and no error results.
  bench.notify(1);
  EXPECT_EQ(dev.notifies, 0);
  bench.notify(7);  // no such queue
  EXPECT_EQ(dev.notifies, 0);
  // A queue the driver disabled again.
  bench.wr(VirtioMmio::kQueueSel, 0);
  bench.wr(VirtioMmio::kQueueReady, 0);
  bench.notify(0);
  EXPECT_EQ(dev.notifies, 0);
  EXPECT_FALSE(bench.needs_reset());
  EXPECT_FALSE(bench.irq_level);
}

TEST_F(VirtioMmioTest, NotifyBeforeDriverOkIsIgnored) {
  ASSERT_TRUE(bench.negotiate());
  bench.setup_queue(0, 16);
  bench.submit(0, {{VirtioBench::kData, 4, true}});
  EXPECT_EQ(dev.notifies, 0);
  EXPECT_EQ(bench.used_idx(0), 0u);
  bench.add_status(kVirtioStatusDriverOk);
  bench.notify(0);
  EXPECT_EQ(bench.used_idx(0), 1u);
}

TEST_F(VirtioMmioTest, QueueSetupIsFixedWhileReady) {
  bench.init({16, 8});
  bench.wr(VirtioMmio::kQueueSel, 0);
  bench.wr(VirtioMmio::kQueueDescLow, 0x1000);
  bench.wr(VirtioMmio::kQueueNum, 3);
  EXPECT_EQ(bench.rd(VirtioMmio::kQueueDescLow), static_cast<uint32_t>(VirtioBench::desc_area(0)));
  expect_request_works();
}

// --- Invalid queue setups ---

TEST_F(VirtioMmioTest, QueueSizeNotPowerOfTwoIsDeviceError) {
  ASSERT_TRUE(bench.negotiate());
  bench.setup_queue(0, 12);
  bench.add_status(kVirtioStatusDriverOk);
  expect_error_then_recovery(false);
}

TEST_F(VirtioMmioTest, QueueSizeAboveMaxIsDeviceError) {
  ASSERT_TRUE(bench.negotiate());
  bench.setup_queue(0, 32);  // QueueNumMax is 16
  expect_error_then_recovery(false);
}

TEST_F(VirtioMmioTest, QueueSizeZeroIsDeviceError) {
  ASSERT_TRUE(bench.negotiate());
  bench.setup_queue(0, 0);
  expect_error_then_recovery(false);
}

TEST_F(VirtioMmioTest, UnalignedRingsAreDeviceErrors) {
  const uint64_t d = VirtioBench::desc_area(0), a = VirtioBench::avail_area(0),
                 u = VirtioBench::used_area(0);
  const uint64_t cases[][3] = {{d + 8, a, u}, {d, a + 1, u}, {d, a, u + 2}};
  for (const auto& c : cases) {
    ASSERT_TRUE(bench.negotiate());
    bench.setup_queue(0, 16, c[0], c[1], c[2]);
    expect_error_then_recovery(false);
  }
}

TEST_F(VirtioMmioTest, RingWrappingTheAddressSpaceIsDeviceError) {
  ASSERT_TRUE(bench.negotiate());
  bench.setup_queue(0, 16, 0xfffffffffffffff0ull);
  expect_error_then_recovery(false);
}

TEST_F(VirtioMmioTest, ErrorAfterDriverOkSendsConfigInterrupt) {
  ASSERT_TRUE(bench.negotiate());
  bench.setup_queue(0, 16);
  bench.add_status(kVirtioStatusDriverOk);
  bench.setup_queue(1, 5);  // a queue enabled late, and badly
  expect_error_then_recovery(true);
}

// --- Rings and descriptors outside RAM or malformed ---

TEST_F(VirtioMmioTest, AvailRingOutsideRamIsDeviceError) {
  ASSERT_TRUE(bench.negotiate());
  bench.setup_queue(0, 16, 0, 0x40000000);  // nothing mapped there
  bench.add_status(kVirtioStatusDriverOk);
  bench.notify(0);
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, DescriptorTableOutsideRamIsDeviceError) {
  ASSERT_TRUE(bench.negotiate());
  bench.setup_queue(0, 16, 0x40000000);
  bench.add_status(kVirtioStatusDriverOk);
  bench.publish(0, 0);
  bench.notify(0);
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, UsedRingOutsideRamIsDeviceError) {
  ASSERT_TRUE(bench.negotiate());
  bench.setup_queue(0, 16, 0, 0, 0x40000000);
  bench.add_status(kVirtioStatusDriverOk);
  bench.submit(0, {{VirtioBench::kData, 4, true}});
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, RingOverTheDeviceRegistersIsDeviceErrorNotReentry) {
  ASSERT_TRUE(bench.negotiate());
  // The used ring over the transport's own registers: the re-entrancy guard refuses the DMA.
  bench.setup_queue(0, 16, 0, 0, VirtioBench::kMmioBase);
  bench.add_status(kVirtioStatusDriverOk);
  bench.submit(0, {{VirtioBench::kData, 4, true}});
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, BufferOutsideRamIsDeviceError) {
  testing::TestHost host;
  bench.transport().set_log(&host);
  bench.init({16, 8});
  bench.submit(0, {{0x40000000, 4, false}});
  EXPECT_EQ(host.logged, "virtio device 42 needs reset: DMA error reading a buffer\n");
  bench.wr(VirtioMmio::kStatus, 0);
  bench.init({16, 8});
  bench.submit(0, {{0x40000000, 4, false}});
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, AGuestThatKeepsBreakingItsQueuesDoesNotFloodTheLog) {
  testing::TestHost host;
  bench.transport().set_log(&host);
  for (int i = 0; i < 20; ++i) {
    bench.init({16, 8});
    bench.submit(0, {{0x40000000, 4, false}});
    ASSERT_TRUE(bench.needs_reset()) << i;
    bench.wr(VirtioMmio::kStatus, 0);
  }
  size_t lines = 0;
  for (char c : host.logged) lines += c == '\n';
  EXPECT_EQ(lines, 9u) << host.logged;  // eight errors, then the line that ends the logging
  EXPECT_NE(
      host.logged.find("virtio device 42 needs reset again; its further errors are not logged\n"),
      std::string::npos)
      << host.logged;
  // The device still recovers from each error as before.
  bench.init({16, 8});
  bench.submit(0, {{0x40000000, 4, false}});
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, DescriptorLoopIsDeviceError) {
  bench.init({16, 8});
  bench.write_desc(0, 0, VirtioBench::kData, 4, VirtQueue::kDescFNext, 1);
  bench.write_desc(0, 1, VirtioBench::kData, 4, VirtQueue::kDescFNext, 2);
  bench.write_desc(0, 2, VirtioBench::kData, 4, VirtQueue::kDescFNext, 0);
  bench.publish(0, 0);
  bench.notify(0);
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, DescriptorSelfLoopIsDeviceError) {
  bench.init({16, 8});
  bench.write_desc(0, 3, VirtioBench::kData, 4, VirtQueue::kDescFNext, 3);
  bench.publish(0, 3);
  bench.notify(0);
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, HeadIndexOutsideTableIsDeviceError) {
  bench.init({16, 8});
  bench.publish(0, 16);
  bench.notify(0);
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, NextIndexOutsideTableIsDeviceError) {
  bench.init({16, 8});
  bench.write_desc(0, 0, VirtioBench::kData, 4, VirtQueue::kDescFNext, 200);
  bench.publish(0, 0);
  bench.notify(0);
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, AvailIndexJumpingPastQueueSizeIsDeviceError) {
  bench.init({16, 8});
  bench.st(VirtioBench::avail_area(0) + 2, 2, 17);
  bench.notify(0);
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, ReadableAfterWritableIsDeviceError) {
  bench.init({16, 8});
  bench.submit(0, {{VirtioBench::kData, 4, true}, {VirtioBench::kData + 16, 4, false}});
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, BufferWrappingTheAddressSpaceIsDeviceError) {
  bench.init({16, 8});
  bench.submit(0, {{0xffffffffffffff00ull, 0x200, true}});
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, ChainLongerThan4GiBIsDeviceError) {
  bench.init({16, 8});
  bench.submit(0,
               {{VirtioBench::kData, 0xffffffffu, true}, {VirtioBench::kData, 0xffffffffu, true}});
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, ZeroLengthChainCompletesEmpty) {
  bench.init({16, 8});
  const uint16_t head = bench.submit(0, {{VirtioBench::kData, 0, true}});
  ASSERT_EQ(bench.used_idx(0), 1u);
  EXPECT_EQ(bench.used(0, 0).id, head);
  EXPECT_EQ(bench.used(0, 0).len, 0u);
  EXPECT_FALSE(bench.needs_reset());
}

// --- Indirect descriptors (2.7.5.3) ---

constexpr uint64_t kTable = VirtioBench::kRamBase + 0x10000;

TEST_F(VirtioMmioTest, IndirectTableIsFollowed) {
  bench.init({16, 8});
  bench.put(VirtioBench::kData, {9, 8, 7});
  bench.write_desc(0, 0, VirtioBench::kData, 3, VirtQueue::kDescFNext, 1, kTable);
  bench.write_desc(0, 1, VirtioBench::kData + 0x100, 5, VirtQueue::kDescFWrite, 0, kTable);
  bench.write_desc(0, 4, kTable, 32, VirtQueue::kDescFIndirect, 0);
  bench.publish(0, 4);
  bench.notify(0);
  ASSERT_EQ(bench.used_idx(0), 1u);
  EXPECT_EQ(bench.used(0, 0).id, 4u);
  EXPECT_EQ(bench.used(0, 0).len, 5u);
  EXPECT_EQ(dev.last_read, (std::vector<uint8_t>{9, 8, 7}));
  EXPECT_FALSE(bench.needs_reset());
}

TEST_F(VirtioMmioTest, DirectDescriptorsThenIndirectTable) {
  bench.init({16, 8});
  bench.put(VirtioBench::kData, {1, 2, 3, 4});
  bench.write_desc(0, 0, VirtioBench::kData + 0x100, 2, VirtQueue::kDescFWrite, 0, kTable);
  bench.write_desc(0, 2, VirtioBench::kData, 4, VirtQueue::kDescFNext, 3);
  bench.write_desc(0, 3, kTable, 16, VirtQueue::kDescFIndirect, 0);
  bench.publish(0, 2);
  bench.notify(0);
  ASSERT_EQ(bench.used_idx(0), 1u);
  EXPECT_EQ(bench.used(0, 0).len, 2u);
  EXPECT_EQ(dev.last_read, (std::vector<uint8_t>{1, 2, 3, 4}));
}

TEST_F(VirtioMmioTest, IndirectWithoutNegotiationIsDeviceError) {
  ASSERT_TRUE(bench.negotiate(~virtio_bit(kVirtioFIndirectDesc)));
  bench.setup_queue(0, 16);
  bench.add_status(kVirtioStatusDriverOk);
  bench.write_desc(0, 0, VirtioBench::kData, 4, 0, 0, kTable);
  bench.write_desc(0, 0, kTable, 16, VirtQueue::kDescFIndirect, 0);
  bench.publish(0, 0);
  bench.notify(0);
  expect_error_then_recovery();
}

TEST_F(VirtioMmioTest, MalformedIndirectDescriptorsAreDeviceErrors) {
  struct Case {
    const char* what;
    uint32_t len;
    uint16_t flags;
    uint16_t inner_flags;
    uint16_t inner_next;
  };
  const Case cases[] = {
      {"length not a multiple of 16", 24, VirtQueue::kDescFIndirect, 0, 0},
      {"zero length", 0, VirtQueue::kDescFIndirect, 0, 0},
      {"with NEXT", 16, VirtQueue::kDescFIndirect | VirtQueue::kDescFNext, 0, 0},
      {"nested", 16, VirtQueue::kDescFIndirect, VirtQueue::kDescFIndirect, 0},
      {"loop inside", 32, VirtQueue::kDescFIndirect, VirtQueue::kDescFNext, 0},
      {"next outside", 32, VirtQueue::kDescFIndirect, VirtQueue::kDescFNext, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    bench.init({16, 8});
    bench.st(VirtioBench::used_area(0) + 2, 2, 0);
    bench.write_desc(0, 0, c.inner_flags & VirtQueue::kDescFIndirect ? kTable : VirtioBench::kData,
                     16, c.inner_flags, c.inner_next, kTable);
    bench.write_desc(0, 1, VirtioBench::kData, 16, VirtQueue::kDescFNext, 0, kTable);
    bench.write_desc(0, 5, kTable, c.len, c.flags, 6);
    bench.write_desc(0, 6, VirtioBench::kData, 16, VirtQueue::kDescFWrite, 0);
    bench.publish(0, 5);
    bench.notify(0);
    expect_error_then_recovery();
    bench.wr(VirtioMmio::kStatus, 0);
  }
}

}  // namespace
}  // namespace glassvm
