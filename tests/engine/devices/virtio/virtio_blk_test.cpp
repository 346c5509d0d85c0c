// VirtioBlk: requests built the way Linux's virtio_blk.c builds them (a 16-byte header
// descriptor, data descriptors, a 1-byte status descriptor), over an in-memory disk; the
// statuses of the spec (5.2.6) for requests the device can answer, and the device error
// state for chains it cannot.
#include "engine/devices/virtio/blk.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "tests/engine/devices/virtio/virtio_driver.h"

namespace glassvm {
namespace {

using testing::Buf;
using testing::VirtioBench;

constexpr uint64_t kHeader = VirtioBench::kData;          // 16 bytes
constexpr uint64_t kStatus = VirtioBench::kData + 0x100;  // 1 byte
constexpr uint64_t kBuffer = VirtioBench::kData + 0x1000;
constexpr uint64_t kDiskSize = 256 * 1024 + 100;  // a partial last sector, never visible

std::vector<uint8_t> disk_pattern(size_t size) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(i * 7 + (i >> 9));
  return bytes;
}

/// A disk whose host fails every operation.
class FailingStorage final : public BlockStorage {
 public:
  uint64_t size() const override { return 1 << 20; }
  bool read_only() const override { return false; }
  bool read(uint64_t, std::span<uint8_t>) override { return false; }
  bool write(uint64_t, std::span<const uint8_t>) override { return false; }
  bool flush() override { return false; }
};

class VirtioBlkTest : public ::testing::Test {
 protected:
  explicit VirtioBlkTest(bool read_only = false)
      : disk(disk_pattern(kDiskSize), read_only), blk(disk, "glassvm-disk0"), bench(&blk) {}

  void write_header(uint32_t type, uint64_t sector) {
    std::vector<uint8_t> h(16, 0);
    store_le<uint32_t>(h.data(), type);
    store_le<uint64_t>(h.data() + 8, sector);
    bench.put(kHeader, h);
    bench.st(kStatus, 1, 0xff);
  }
  /// Submits a request of `type` at `sector` with `data` buffers; returns the used length.
  uint32_t request(uint32_t type, uint64_t sector, std::vector<Buf> data) {
    write_header(type, sector);
    std::vector<Buf> bufs = {{kHeader, 16, false}};
    bufs.insert(bufs.end(), data.begin(), data.end());
    bufs.push_back({kStatus, 1, true});
    const uint16_t before = bench.used_idx(0);
    const uint16_t head = bench.submit(0, bufs);
    EXPECT_EQ(bench.used_idx(0), static_cast<uint16_t>(before + 1));
    EXPECT_EQ(bench.used(0, before).id, head);
    return bench.used(0, before).len;
  }
  uint8_t status() { return static_cast<uint8_t>(bench.ld(kStatus, 1)); }

  std::vector<uint8_t> sectors(uint64_t first, uint64_t count) {
    const auto begin = disk.bytes().begin() + first * 512;
    return {begin, begin + count * 512};
  }

  void expect_error_then_recovery() {
    EXPECT_TRUE(bench.needs_reset());
    EXPECT_TRUE(bench.irq_level);
    bench.init({256});
    EXPECT_EQ(request(VirtioBlk::kTIn, 3, {{kBuffer, 512, true}}), 513u);
    EXPECT_EQ(status(), VirtioBlk::kSOk);
    EXPECT_EQ(bench.get(kBuffer, 512), sectors(3, 1));
  }

  MemoryBlockStorage disk;
  VirtioBlk blk;
  VirtioBench bench;
};

class VirtioBlkReadOnlyTest : public VirtioBlkTest {
 protected:
  VirtioBlkReadOnlyTest() : VirtioBlkTest(true) {}
};

TEST_F(VirtioBlkTest, IdentityFeaturesAndConfig) {
  EXPECT_EQ(bench.rd(VirtioMmio::kDeviceId), 2u);
  bench.wr(VirtioMmio::kDeviceFeaturesSel, 0);
  const uint32_t f = bench.rd(VirtioMmio::kDeviceFeatures);
  EXPECT_TRUE(f & (1u << VirtioBlk::kFFlush));
  EXPECT_TRUE(f & (1u << VirtioBlk::kFSegMax));
  EXPECT_FALSE(f & (1u << VirtioBlk::kFRo));
  EXPECT_EQ(bench.rd(VirtioMmio::kConfig + VirtioBlk::kCfgCapacity), 512u);  // whole sectors
  EXPECT_EQ(bench.rd(VirtioMmio::kConfig + VirtioBlk::kCfgCapacity + 4), 0u);
  EXPECT_EQ(bench.ld(VirtioBench::kMmioBase + VirtioMmio::kConfig, 8), 512u);
  EXPECT_EQ(bench.rd(VirtioMmio::kConfig + VirtioBlk::kCfgSegMax), 254u);
  EXPECT_EQ(bench.rd(VirtioMmio::kConfig + VirtioBlk::kCfgBlkSize), 512u);
  bench.init({256});
  bench.wr(VirtioMmio::kQueueSel, 0);
  EXPECT_EQ(bench.rd(VirtioMmio::kQueueNumMax), 256u);
}

TEST_F(VirtioBlkTest, ReadSectors) {
  bench.init({256});
  EXPECT_EQ(request(VirtioBlk::kTIn, 5, {{kBuffer, 1024, true}}), 1025u);
  EXPECT_EQ(status(), VirtioBlk::kSOk);
  EXPECT_EQ(bench.get(kBuffer, 1024), sectors(5, 2));
  EXPECT_TRUE(bench.irq_level);
}

TEST_F(VirtioBlkTest, ReadIntoScatteredBuffersLargerThanTheBounceBuffer) {
  bench.init({256});
  // 160 KiB in three pieces, the middle one not sector-sized.
  EXPECT_EQ(request(VirtioBlk::kTIn, 10,
                    {{kBuffer, 1000, true},
                     {kBuffer + 0x1000, 100 * 1024, true},
                     {kBuffer + 0x30000, 160 * 1024 - 1000 - 100 * 1024, true}}),
            160u * 1024 + 1);
  EXPECT_EQ(status(), VirtioBlk::kSOk);
  const std::vector<uint8_t> want = sectors(10, 320);
  std::vector<uint8_t> got = bench.get(kBuffer, 1000);
  auto more = bench.get(kBuffer + 0x1000, 100 * 1024);
  got.insert(got.end(), more.begin(), more.end());
  more = bench.get(kBuffer + 0x30000, 160 * 1024 - 1000 - 100 * 1024);
  got.insert(got.end(), more.begin(), more.end());
  EXPECT_EQ(got, want);
}

TEST_F(VirtioBlkTest, WriteSectors) {
  bench.init({256});
  std::vector<uint8_t> data(1536);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(0xc0 ^ i);
  bench.put(kBuffer, data);
  EXPECT_EQ(request(VirtioBlk::kTOut, 511 - 2, {{kBuffer, 1536, false}}), 1u);
  EXPECT_EQ(status(), VirtioBlk::kSOk);
  EXPECT_EQ(sectors(509, 3), data);
  const std::vector<uint8_t> pattern = disk_pattern(kDiskSize);
  EXPECT_EQ(sectors(508, 1),
            std::vector<uint8_t>(pattern.begin() + 508 * 512, pattern.begin() + 509 * 512));
  // And reads back through the device.
  EXPECT_EQ(request(VirtioBlk::kTIn, 509, {{kBuffer + 0x1000, 1536, true}}), 1537u);
  EXPECT_EQ(bench.get(kBuffer + 0x1000, 1536), data);
}

TEST_F(VirtioBlkTest, HeaderSplitAcrossDescriptors) {
  bench.init({256});
  write_header(VirtioBlk::kTIn, 7);
  bench.submit(
      0, {{kHeader, 4, false}, {kHeader + 4, 12, false}, {kBuffer, 512, true}, {kStatus, 1, true}});
  ASSERT_EQ(bench.used_idx(0), 1u);
  EXPECT_EQ(bench.used(0, 0).len, 513u);
  EXPECT_EQ(status(), VirtioBlk::kSOk);
  EXPECT_EQ(bench.get(kBuffer, 512), sectors(7, 1));
}

TEST_F(VirtioBlkTest, StatusSharesTheLastDataDescriptor) {
  bench.init({256});
  write_header(VirtioBlk::kTIn, 1);
  bench.submit(0, {{kHeader, 16, false}, {kBuffer, 513, true}});
  ASSERT_EQ(bench.used_idx(0), 1u);
  EXPECT_EQ(bench.used(0, 0).len, 513u);
  EXPECT_EQ(bench.ld(kBuffer + 512, 1), VirtioBlk::kSOk);
  EXPECT_EQ(bench.get(kBuffer, 512), sectors(1, 1));
}

TEST_F(VirtioBlkTest, Flush) {
  bench.init({256});
  EXPECT_EQ(request(VirtioBlk::kTFlush, 0, {}), 1u);
  EXPECT_EQ(status(), VirtioBlk::kSOk);
  EXPECT_EQ(disk.flushes(), 1u);
}

TEST_F(VirtioBlkTest, GetId) {
  bench.init({256});
  bench.put(kBuffer, std::vector<uint8_t>(32, 0xee));
  EXPECT_EQ(request(VirtioBlk::kTGetId, 0, {{kBuffer, 20, true}}), 21u);
  EXPECT_EQ(status(), VirtioBlk::kSOk);
  std::vector<uint8_t> want(20, 0);
  const std::string serial = "glassvm-disk0";
  std::copy(serial.begin(), serial.end(), want.begin());
  EXPECT_EQ(bench.get(kBuffer, 20), want);
  EXPECT_EQ(bench.ld(kBuffer + 20, 1), 0xeeu);
  // A shorter buffer gets the start of the id.
  EXPECT_EQ(request(VirtioBlk::kTGetId, 0, {{kBuffer + 0x100, 4, true}}), 5u);
  EXPECT_EQ(bench.get(kBuffer + 0x100, 4), (std::vector<uint8_t>{'g', 'l', 'a', 's'}));
}

TEST_F(VirtioBlkTest, UnknownTypeIsUnsupported) {
  bench.init({256});
  EXPECT_EQ(request(99, 0, {{kBuffer, 512, true}}), 1u);
  EXPECT_EQ(status(), VirtioBlk::kSUnsupp);
  EXPECT_FALSE(bench.needs_reset());
}

TEST_F(VirtioBlkTest, SectorsBeyondCapacityAreIoErrors) {
  bench.init({256});
  const std::vector<uint8_t> before = disk.bytes();
  struct Case {
    uint32_t type;
    uint64_t sector;
    uint32_t len;
  };
  const Case cases[] = {
      {VirtioBlk::kTIn, 512, 512},         // just past the end
      {VirtioBlk::kTIn, 511, 1024},        // crosses the end
      {VirtioBlk::kTOut, 511, 1024},       // crosses the end
      {VirtioBlk::kTIn, 1ull << 55, 512},  // sector * 512 overflows
      {VirtioBlk::kTOut, ~0ull, 512},
      {VirtioBlk::kTIn, 513, 0},  // zero-length, but still out of range
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.sector);
    EXPECT_EQ(request(c.type, c.sector, {{kBuffer, c.len, c.type == VirtioBlk::kTIn}}), 1u);
    EXPECT_EQ(status(), VirtioBlk::kSIoErr);
  }
  EXPECT_EQ(disk.bytes(), before);
  EXPECT_FALSE(bench.needs_reset());
}

TEST_F(VirtioBlkTest, PartialSectorIsIoError) {
  bench.init({256});
  EXPECT_EQ(request(VirtioBlk::kTIn, 0, {{kBuffer, 100, true}}), 1u);
  EXPECT_EQ(status(), VirtioBlk::kSIoErr);
  EXPECT_EQ(request(VirtioBlk::kTOut, 0, {{kBuffer, 600, false}}), 1u);
  EXPECT_EQ(status(), VirtioBlk::kSIoErr);
}

TEST_F(VirtioBlkTest, ZeroLengthReadCompletes) {
  bench.init({256});
  EXPECT_EQ(request(VirtioBlk::kTIn, 511, {}), 1u);
  EXPECT_EQ(status(), VirtioBlk::kSOk);
}

TEST_F(VirtioBlkReadOnlyTest, OffersReadOnlyAndRefusesWrites) {
  bench.wr(VirtioMmio::kDeviceFeaturesSel, 0);
  EXPECT_TRUE(bench.rd(VirtioMmio::kDeviceFeatures) & (1u << VirtioBlk::kFRo));
  bench.init({256});
  const std::vector<uint8_t> before = disk.bytes();
  bench.put(kBuffer, std::vector<uint8_t>(512, 0x5a));
  EXPECT_EQ(request(VirtioBlk::kTOut, 0, {{kBuffer, 512, false}}), 1u);
  EXPECT_EQ(status(), VirtioBlk::kSIoErr);
  EXPECT_EQ(disk.bytes(), before);
  // Reads still work.
  EXPECT_EQ(request(VirtioBlk::kTIn, 0, {{kBuffer, 512, true}}), 513u);
  EXPECT_EQ(status(), VirtioBlk::kSOk);
}

TEST(VirtioBlkHostTest, HostFailuresAreIoErrors) {
  FailingStorage disk;
  VirtioBlk blk(disk);
  VirtioBench bench(&blk);
  bench.init({256});
  for (uint32_t type : {VirtioBlk::kTIn, VirtioBlk::kTOut, VirtioBlk::kTFlush}) {
    std::vector<uint8_t> h(16, 0);
    store_le<uint32_t>(h.data(), type);
    bench.put(kHeader, h);
    std::vector<Buf> bufs = {{kHeader, 16, false}};
    if (type != VirtioBlk::kTFlush) bufs.push_back({kBuffer, 512, type == VirtioBlk::kTIn});
    bufs.push_back({kStatus, 1, true});
    bench.submit(0, bufs);
    EXPECT_EQ(bench.ld(kStatus, 1), VirtioBlk::kSIoErr);
  }
  EXPECT_EQ(bench.used_idx(0), 3u);
  EXPECT_FALSE(bench.needs_reset());
}

TEST_F(VirtioBlkTest, NoStatusByteIsDeviceError) {
  bench.init({256});
  write_header(VirtioBlk::kTOut, 0);
  bench.submit(0, {{kHeader, 16, false}, {kBuffer, 512, false}});
  EXPECT_EQ(bench.used_idx(0), 0u);
  expect_error_then_recovery();
}

TEST_F(VirtioBlkTest, ShortHeaderIsDeviceError) {
  bench.init({256});
  write_header(VirtioBlk::kTIn, 0);
  bench.submit(0, {{kHeader, 8, false}, {kStatus, 1, true}});
  EXPECT_EQ(bench.used_idx(0), 0u);
  expect_error_then_recovery();
}

TEST_F(VirtioBlkTest, EmptyChainIsDeviceError) {
  bench.init({256});
  bench.submit(0, {{kHeader, 0, false}});
  expect_error_then_recovery();
}

TEST_F(VirtioBlkTest, DataBufferOutsideRamIsDeviceError) {
  bench.init({256});
  write_header(VirtioBlk::kTIn, 0);
  bench.submit(0, {{kHeader, 16, false}, {0x40000000, 512, true}, {kStatus, 1, true}});
  EXPECT_EQ(bench.used_idx(0), 0u);
  expect_error_then_recovery();
}

TEST_F(VirtioBlkTest, ManyRequestsInOneNotification) {
  bench.init({256});
  for (uint64_t s = 0; s < 4; ++s) {
    std::vector<uint8_t> h(16, 0);
    store_le<uint32_t>(h.data(), VirtioBlk::kTIn);
    store_le<uint64_t>(h.data() + 8, s * 3);
    bench.put(kHeader + 32 * s, h);
    bench.submit(
        0, {{kHeader + 32 * s, 16, false}, {kBuffer + 512 * s, 512, true}, {kStatus + s, 1, true}},
        /*kick=*/false);
  }
  bench.notify(0);
  ASSERT_EQ(bench.used_idx(0), 4u);
  for (uint64_t s = 0; s < 4; ++s) {
    EXPECT_EQ(bench.ld(kStatus + s, 1), VirtioBlk::kSOk);
    EXPECT_EQ(bench.get(kBuffer + 512 * s, 512), sectors(s * 3, 1));
  }
}

TEST_F(VirtioBlkTest, RandomRingsNeverHurtTheEmulatorAndResetRecovers) {
  // Whatever the guest writes into its rings, the device either completes requests or enters
  // its error state; a reset always brings it back.
  std::mt19937_64 rng(20261130);
  auto pick = [&](uint64_t n) { return rng() % n; };
  constexpr uint32_t kSize = 16;
  int errors = 0, completed = 0;
  for (int round = 0; round < 300; ++round) {
    SCOPED_TRACE(round);
    bench.wr(VirtioMmio::kStatus, 0);
    ASSERT_TRUE(bench.negotiate());
    bench.setup_queue(0, kSize);
    bench.add_status(kVirtioStatusDriverOk);
    // Descriptors shaped like a header, a data buffer or a status byte, or random ones.
    for (uint32_t i = 0; i < kSize; ++i) {
      const uint16_t next = static_cast<uint16_t>(pick(6) ? i + 1 : pick(kSize + 4));
      switch (pick(4)) {
        case 0: bench.write_desc(0, i, kHeader, 16, VirtQueue::kDescFNext, next); break;
        case 1:
          bench.write_desc(0, i, kBuffer + 512 * pick(64), 512 * static_cast<uint32_t>(pick(3)),
                           static_cast<uint16_t>(VirtQueue::kDescFNext | pick(3)), next);
          break;
        case 2: bench.write_desc(0, i, kStatus, 1, VirtQueue::kDescFWrite, 0); break;
        default: {
          const uint64_t addr = pick(5) ? VirtioBench::kData + pick(0x80000) : rng();
          const uint32_t len = static_cast<uint32_t>(pick(8) ? pick(2048) : rng());
          bench.write_desc(0, i, addr, len, static_cast<uint16_t>(pick(8)), next);
        }
      }
    }
    static constexpr uint32_t kTypes[] = {VirtioBlk::kTIn, VirtioBlk::kTOut, VirtioBlk::kTFlush,
                                          VirtioBlk::kTGetId, 99};
    bench.st(kHeader, 4, pick(8) ? kTypes[pick(5)] : rng());
    bench.st(kHeader + 8, 8, pick(8) ? pick(600) : rng());
    const uint64_t avail = VirtioBench::avail_area(0);
    for (uint32_t i = 0; i < kSize; ++i) bench.st(avail + 4 + 2 * i, 2, pick(kSize + 2));
    const uint16_t avail_idx = static_cast<uint16_t>(pick(kSize + 4));
    bench.st(avail + 2, 2, avail_idx);
    bench.notify(0);
    if (bench.needs_reset()) {
      errors++;
    } else {
      EXPECT_LE(bench.used_idx(0), avail_idx);
      completed += bench.used_idx(0);
    }
  }
  // The rounds exercised both outcomes.
  EXPECT_GT(errors, 0);
  EXPECT_GT(completed, 0);
  bench.init({256});
  EXPECT_EQ(request(VirtioBlk::kTIn, 3, {{kBuffer, 512, true}}), 513u);
  EXPECT_EQ(status(), VirtioBlk::kSOk);
  EXPECT_EQ(bench.get(kBuffer, 512), sectors(3, 1));
}

}  // namespace
}  // namespace glassvm
