// The board's virtio-mmio slots as a guest driver sees them: registers poked through the
// system address space as the CPU would, rings and buffers in guest RAM.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "engine/base/block_storage.h"
#include "engine/base/overlay_block_storage.h"
#include "engine/board/machine.h"
#include "engine/devices/plic.h"
#include "engine/devices/virtio/mmio.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

using testing::TestHost;

constexpr uint64_t kSlot0 = 0x10001000, kStride = 0x1000;
constexpr uint64_t kRam = 0x80000000;
constexpr uint64_t kDesc = kRam + 0x1000, kAvail = kRam + 0x2000, kUsed = kRam + 0x3000;
constexpr uint64_t kHeader = kRam + 0x4000, kData = kRam + 0x5000, kStatusByte = kRam + 0x6000;

uint64_t slot(unsigned n) {
  return kSlot0 + n * kStride;
}

struct Guest {
  Machine& m;
  uint32_t rd(uint64_t addr) {
    uint32_t v = 0xdeadbeef;
    EXPECT_EQ(m.system_as().read(addr, &v, 4), MemTxResult::Ok);
    return v;
  }
  void wr(uint64_t addr, uint32_t v) {
    EXPECT_EQ(m.system_as().write(addr, &v, 4), MemTxResult::Ok);
  }
  void put(uint64_t addr, const void* p, size_t n) {
    EXPECT_EQ(m.system_as().write(addr, p, n), MemTxResult::Ok);
  }
  template <typename T>
  void put_v(uint64_t addr, T v) {
    put(addr, &v, sizeof v);
  }
  template <typename T>
  T get(uint64_t addr) {
    T v{};
    EXPECT_EQ(m.system_as().read(addr, &v, sizeof v), MemTxResult::Ok);
    return v;
  }

  /// Linux's virtio-mmio probe and initialisation of queue 0 (8 entries), then DRIVER_OK.
  void init(uint64_t base) {
    wr(base + VirtioMmio::kStatus, 0);
    wr(base + VirtioMmio::kStatus, 1);      // ACKNOWLEDGE
    wr(base + VirtioMmio::kStatus, 1 | 2);  // DRIVER
    wr(base + VirtioMmio::kDriverFeaturesSel, 1);
    wr(base + VirtioMmio::kDriverFeatures, 1);  // VIRTIO_F_VERSION_1 (bit 32)
    wr(base + VirtioMmio::kDriverFeaturesSel, 0);
    wr(base + VirtioMmio::kDriverFeatures, 0);
    wr(base + VirtioMmio::kStatus, 1 | 2 | 8);  // FEATURES_OK
    ASSERT_EQ(rd(base + VirtioMmio::kStatus) & 8, 8u);
    wr(base + VirtioMmio::kQueueSel, 0);
    ASSERT_GE(rd(base + VirtioMmio::kQueueNumMax), 8u);
    wr(base + VirtioMmio::kQueueNum, 8);
    wr(base + VirtioMmio::kQueueDescLow, static_cast<uint32_t>(kDesc));
    wr(base + VirtioMmio::kQueueDescHigh, 0);
    wr(base + VirtioMmio::kQueueDriverLow, static_cast<uint32_t>(kAvail));
    wr(base + VirtioMmio::kQueueDriverHigh, 0);
    wr(base + VirtioMmio::kQueueDeviceLow, static_cast<uint32_t>(kUsed));
    wr(base + VirtioMmio::kQueueDeviceHigh, 0);
    wr(base + VirtioMmio::kQueueReady, 1);
    wr(base + VirtioMmio::kStatus, 1 | 2 | 8 | 4);  // DRIVER_OK
  }
  void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
    put_v<uint64_t>(kDesc + 16 * i, addr);
    put_v<uint32_t>(kDesc + 16 * i + 8, len);
    put_v<uint16_t>(kDesc + 16 * i + 12, flags);
    put_v<uint16_t>(kDesc + 16 * i + 14, next);
  }
  /// A virtio-blk request of `type` on one 512-byte sector, published and notified.
  void blk_request(uint64_t base, uint32_t type, uint64_t sector) {
    put_v<uint32_t>(kHeader, type);
    put_v<uint32_t>(kHeader + 4, 0);
    put_v<uint64_t>(kHeader + 8, sector);
    put_v<uint8_t>(kStatusByte, 0xff);
    const uint16_t data_flags = type == 0 ? 1 | 2 : 1;  // NEXT, plus WRITE for a read
    desc(0, kHeader, 16, 1, 1);
    desc(1, kData, 512, data_flags, 2);
    desc(2, kStatusByte, 1, 2, 0);
    const uint16_t idx = get<uint16_t>(kAvail + 2);
    put_v<uint16_t>(kAvail + 4 + 2 * (idx % 8), 0);
    put_v<uint16_t>(kAvail + 2, static_cast<uint16_t>(idx + 1));
    wr(base + VirtioMmio::kQueueNotify, 0);
  }
};

std::vector<uint8_t> pattern_disk(size_t sectors) {
  std::vector<uint8_t> bytes(sectors * 512);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 7 + i / 512);
  return bytes;
}

std::unique_ptr<Machine> make(TestHost& host, const std::vector<std::string>& devices,
                              std::map<std::string, BlockStorage*> drives, std::string& error) {
  MachineConfig config;
  config.devices = devices;
  config.drives = std::move(drives);
  return Machine::create(config, host, error);
}

TEST(VirtioBoard, EmptySlotsReadMagicAndDeviceIdZero) {
  TestHost host;
  std::string error;
  auto m = make(host, {}, {}, error);
  ASSERT_TRUE(m) << error;
  Guest g{*m};
  for (unsigned n = 0; n < 8; ++n) {
    EXPECT_EQ(g.rd(slot(n) + VirtioMmio::kMagicValue), 0x74726976u) << n;
    EXPECT_EQ(g.rd(slot(n) + VirtioMmio::kVersion), 2u) << n;
    EXPECT_EQ(g.rd(slot(n) + VirtioMmio::kDeviceId), 0u) << n;
  }
  // QEMU's info mtree: the 0x200-byte transports.
  const std::string mtree = m->info_mtree(false);
  EXPECT_NE(mtree.find("0000000010001000-00000000100011ff (prio 0, i/o): virtio-mmio"),
            std::string::npos);
  EXPECT_NE(mtree.find("0000000010008000-00000000100081ff (prio 0, i/o): virtio-mmio"),
            std::string::npos);
}

// QEMU fills the slots from the last: the first virtio device is at 0x10008000 (IRQ 8).
TEST(VirtioBoard, DevicesFillSlotsFromTheLast) {
  TestHost host;
  std::string error;
  MemoryBlockStorage disk(pattern_disk(4));
  auto m = make(host, {"virtio-blk-device,drive=d0", "virtio-rng-device"}, {{"d0", &disk}}, error);
  ASSERT_TRUE(m) << error;
  Guest g{*m};
  EXPECT_EQ(g.rd(slot(7) + VirtioMmio::kDeviceId), 2u);  // block
  EXPECT_EQ(g.rd(slot(6) + VirtioMmio::kDeviceId), 4u);  // entropy
  EXPECT_EQ(g.rd(slot(0) + VirtioMmio::kDeviceId), 0u);
}

TEST(VirtioBoard, DriverReadsASectorThroughSlotAndRaisesPlicIrq) {
  TestHost host;
  std::string error;
  MemoryBlockStorage disk(pattern_disk(4));
  auto m = make(host, {"virtio-blk-device,drive=d0"}, {{"d0", &disk}}, error);
  ASSERT_TRUE(m) << error;
  Guest g{*m};
  const unsigned k = 7;
  ASSERT_EQ(g.get<uint64_t>(slot(k) + VirtioMmio::kConfig), 4u);  // capacity in sectors
  g.init(slot(k));
  EXPECT_EQ(g.rd(0x0c000000 + Plic::kPendingBase) & (1u << (1 + k)), 0u);
  g.blk_request(slot(k), 0, 2);
  EXPECT_EQ(g.get<uint16_t>(kUsed + 2), 1u);
  EXPECT_EQ(g.get<uint8_t>(kStatusByte), 0u);
  std::vector<uint8_t> got(512);
  ASSERT_EQ(m->system_as().read(kData, got.data(), 512), MemTxResult::Ok);
  EXPECT_TRUE(std::equal(got.begin(), got.end(), disk.bytes().begin() + 1024));
  EXPECT_EQ(g.rd(slot(k) + VirtioMmio::kInterruptStatus) & 1, 1u);
  EXPECT_NE(g.rd(0x0c000000 + Plic::kPendingBase) & (1u << (1 + k)), 0u);  // PLIC source 1+k

  // A write reaches the storage.
  std::vector<uint8_t> data(512, 0xa5);
  g.put(kData, data.data(), 512);
  g.blk_request(slot(k), 1, 3);
  EXPECT_EQ(g.get<uint8_t>(kStatusByte), 0u);
  EXPECT_EQ(disk.bytes()[3 * 512], 0xa5);

  // The board's reset resets the transport: the driver must start over.
  m->reset();
  EXPECT_EQ(g.rd(slot(k) + VirtioMmio::kStatus), 0u);
  EXPECT_EQ(g.rd(slot(k) + VirtioMmio::kInterruptStatus), 0u);
}

TEST(VirtioBoard, DriveErrors) {
  TestHost host;
  std::string error;
  EXPECT_FALSE(make(host, {"virtio-blk-device,drive=nope"}, {}, error));
  EXPECT_NE(error.find("drive 'nope' not found"), std::string::npos) << error;
  MemoryBlockStorage disk(pattern_disk(1));
  EXPECT_FALSE(make(host, {"virtio-blk-device,drive=d0", "virtio-blk-device,drive=d0"},
                    {{"d0", &disk}}, error));
  EXPECT_NE(error.find("already in use"), std::string::npos) << error;
  std::vector<std::string> nine(9, "virtio-rng-device");
  EXPECT_FALSE(make(host, nine, {}, error));
  EXPECT_NE(error.find("no free virtio-mmio slot"), std::string::npos) << error;
}

// A guest error puts the transport in DEVICE_NEEDS_RESET, and the host log hears of it.
TEST(VirtioBoard, NeedsResetIsLogged) {
  TestHost host;
  std::string error;
  MemoryBlockStorage disk(pattern_disk(1));
  auto m = make(host, {"virtio-blk-device,drive=d0"}, {{"d0", &disk}}, error);
  ASSERT_TRUE(m) << error;
  Guest g{*m};
  g.init(slot(7));
  // A chain too short for the header.
  g.desc(0, kHeader, 8, 0, 0);
  g.put_v<uint16_t>(kAvail + 4, 0);
  g.put_v<uint16_t>(kAvail + 2, 1);
  g.wr(slot(7) + VirtioMmio::kQueueNotify, 0);
  EXPECT_NE(g.rd(slot(7) + VirtioMmio::kStatus) & 0x40, 0u);
  EXPECT_NE(host.logged.find("needs reset"), std::string::npos);
}

// snapshot=on: writes stay in the overlay; the base storage is never written.
TEST(OverlayBlockStorage, KeepsWritesInMemory) {
  MemoryBlockStorage base(pattern_disk(2), /*read_only=*/true);
  const std::vector<uint8_t> before = base.bytes();
  OverlayBlockStorage overlay(base);
  EXPECT_FALSE(overlay.read_only());
  EXPECT_EQ(overlay.size(), 1024u);
  std::vector<uint8_t> data(100, 0x5a);
  ASSERT_TRUE(overlay.write(500, data));  // straddles sectors 0 and 1
  EXPECT_EQ(overlay.dirty_sectors(), 2u);
  std::vector<uint8_t> out(1024);
  ASSERT_TRUE(overlay.read(0, out));
  for (size_t i = 0; i < 1024; ++i) EXPECT_EQ(out[i], i >= 500 && i < 600 ? 0x5a : before[i]) << i;
  EXPECT_EQ(base.bytes(), before);
  EXPECT_FALSE(overlay.write(1000, data));  // beyond the end
  EXPECT_FALSE(overlay.read(1000, out));
}

}  // namespace
}  // namespace glassvm
