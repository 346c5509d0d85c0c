// VirtioRng: buffers filled the way Linux's virtio-rng driver asks (one device-writable
// buffer per request), from a seeded generator whose output is fixed by its seed.
#include "engine/devices/virtio/rng.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/engine/devices/virtio/virtio_driver.h"

namespace glassvm {
namespace {

using testing::VirtioBench;

constexpr uint64_t kBuffer = VirtioBench::kData;

std::vector<uint8_t> expected_bytes(uint64_t seed, size_t n) {
  SeededEntropy gen(seed);
  std::vector<uint8_t> out(n);
  gen.fill(out);
  return out;
}

TEST(SeededEntropyTest, MatchesReferenceXoshiro256StarStar) {
  // Values from an independent implementation of SplitMix64 seeding and xoshiro256**.
  SeededEntropy zero(0);
  EXPECT_EQ(zero.next(), 0x99ec5f36cb75f2b4ull);
  EXPECT_EQ(zero.next(), 0xbf6e1f784956452aull);
  EXPECT_EQ(zero.next(), 0x1a5f849d4933e6e0ull);
  SeededEntropy one(1);
  EXPECT_EQ(one.next(), 0xb3f2af6d0fc710c5ull);
}

TEST(SeededEntropyTest, FillIsLittleEndianWordsAndHandlesTails) {
  std::vector<uint8_t> bytes(11);
  SeededEntropy(0).fill(bytes);
  EXPECT_EQ(bytes[0], 0xb4);
  EXPECT_EQ(bytes[7], 0x99);
  EXPECT_EQ(bytes[8], 0x2a);
  EXPECT_EQ(bytes[10], 0x56);
}

TEST(VirtioRngTest, IdentityAndEmptyConfig) {
  VirtioRng rng(1);
  VirtioBench bench(&rng);
  EXPECT_EQ(bench.rd(VirtioMmio::kDeviceId), 4u);
  bench.wr(VirtioMmio::kDeviceFeaturesSel, 0);
  EXPECT_EQ(bench.rd(VirtioMmio::kDeviceFeatures), 1u << kVirtioFIndirectDesc);
  EXPECT_EQ(bench.rd(VirtioMmio::kConfig), 0u);
}

TEST(VirtioRngTest, FillsBuffersFromTheSeededGenerator) {
  VirtioRng rng(1234);
  VirtioBench bench(&rng);
  bench.init({64});
  const uint16_t head = bench.submit(0, {{kBuffer, 64, true}});
  ASSERT_EQ(bench.used_idx(0), 1u);
  EXPECT_EQ(bench.used(0, 0).id, head);
  EXPECT_EQ(bench.used(0, 0).len, 64u);
  EXPECT_EQ(bench.get(kBuffer, 64), expected_bytes(1234, 64));
  EXPECT_TRUE(bench.irq_level);
  // The next request continues the stream.
  bench.submit(0, {{kBuffer + 0x100, 16, true}, {kBuffer + 0x200, 16, true}});
  ASSERT_EQ(bench.used_idx(0), 2u);
  EXPECT_EQ(bench.used(0, 1).len, 32u);
  const std::vector<uint8_t> all = expected_bytes(1234, 96);
  EXPECT_EQ(bench.get(kBuffer + 0x100, 16),
            std::vector<uint8_t>(all.begin() + 64, all.begin() + 80));
  EXPECT_EQ(bench.get(kBuffer + 0x200, 16), std::vector<uint8_t>(all.begin() + 80, all.end()));
}

TEST(VirtioRngTest, SameSeedSameBytesOtherSeedOtherBytes) {
  auto run = [](uint64_t seed) {
    VirtioRng rng(seed);
    VirtioBench bench(&rng);
    bench.init({64});
    bench.submit(0, {{kBuffer, 256, true}});
    return bench.get(kBuffer, 256);
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(VirtioRngTest, LargeRequestIsFilledUpToTheCap) {
  VirtioRng rng(5);
  VirtioBench bench(&rng);
  bench.init({64});
  bench.put(kBuffer, std::vector<uint8_t>(8192, 0));
  bench.submit(0, {{kBuffer, 8192, true}});
  ASSERT_EQ(bench.used_idx(0), 1u);
  EXPECT_EQ(bench.used(0, 0).len, VirtioRng::kMaxRequestBytes);
  EXPECT_EQ(bench.get(kBuffer, VirtioRng::kMaxRequestBytes),
            expected_bytes(5, VirtioRng::kMaxRequestBytes));
  EXPECT_EQ(bench.get(kBuffer + VirtioRng::kMaxRequestBytes, 16), std::vector<uint8_t>(16, 0));
}

TEST(VirtioRngTest, ReadableBuffersAreLeftAlone) {
  VirtioRng rng(5);
  VirtioBench bench(&rng);
  bench.init({64});
  bench.put(kBuffer, std::vector<uint8_t>(8, 0x11));
  bench.submit(0, {{kBuffer, 8, false}, {kBuffer + 0x100, 8, true}});
  ASSERT_EQ(bench.used_idx(0), 1u);
  EXPECT_EQ(bench.used(0, 0).len, 8u);
  EXPECT_EQ(bench.get(kBuffer, 8), std::vector<uint8_t>(8, 0x11));
  EXPECT_EQ(bench.get(kBuffer + 0x100, 8), expected_bytes(5, 8));
}

TEST(VirtioRngTest, EmbedderEntropySource) {
  VirtioRng rng([](std::span<uint8_t> out) {
    for (uint8_t& b : out) b = 0x42;
  });
  VirtioBench bench(&rng);
  bench.init({64});
  bench.submit(0, {{kBuffer, 5, true}});
  EXPECT_EQ(bench.get(kBuffer, 5), std::vector<uint8_t>(5, 0x42));
}

TEST(VirtioRngTest, BufferOutsideRamIsDeviceErrorAndResetRecovers) {
  VirtioRng rng(5);
  VirtioBench bench(&rng);
  bench.init({64});
  bench.submit(0, {{0x40000000, 16, true}});
  EXPECT_TRUE(bench.needs_reset());
  EXPECT_EQ(bench.used_idx(0), 0u);
  EXPECT_EQ(bench.ack_interrupt(), VirtioMmio::kIntConfig);
  bench.init({64});
  bench.submit(0, {{kBuffer, 16, true}});
  EXPECT_EQ(bench.used_idx(0), 1u);
  EXPECT_FALSE(bench.needs_reset());
}

}  // namespace
}  // namespace glassvm
