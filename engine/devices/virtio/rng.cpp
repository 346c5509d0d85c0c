#include "engine/devices/virtio/rng.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "engine/base/bytes.h"
#include "engine/devices/virtio/virtqueue.h"

namespace glassvm {

namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

SeededEntropy::SeededEntropy(uint64_t seed) {
  for (uint64_t& word : s_) word = splitmix64(seed);
}

uint64_t SeededEntropy::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

void SeededEntropy::fill(std::span<uint8_t> out) {
  size_t i = 0;
  for (; i + 8 <= out.size(); i += 8) store_le<uint64_t>(out.data() + i, next());
  if (i < out.size()) {
    uint8_t last[8];
    store_le<uint64_t>(last, next());
    std::copy_n(last, out.size() - i, out.data() + i);
  }
}

VirtioRng::VirtioRng(uint64_t seed)
    : source_([gen = std::make_shared<SeededEntropy>(seed)](std::span<uint8_t> out) {
        gen->fill(out);
      }) {}

VirtioRng::VirtioRng(EntropySource source) : source_(std::move(source)) {}

void VirtioRng::queue_notify(unsigned, VirtQueue& queue) {
  VirtqChain chain;
  std::array<uint8_t, kMaxRequestBytes> bytes;
  while (queue.pop(chain) == VirtQueue::Pop::Chain) {
    const uint32_t n =
        static_cast<uint32_t>(std::min<uint64_t>(chain.writable_len, kMaxRequestBytes));
    std::span<uint8_t> out(bytes.data(), n);
    source_(out);
    if (!queue.write(chain, 0, out)) return;
    if (!queue.push(chain, n)) return;
  }
}

}  // namespace glassvm
