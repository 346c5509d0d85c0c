#include "engine/devices/virtio/rng.h"

#include <algorithm>
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

bool SeededEntropy::set_state(const std::array<uint64_t, 4>& state) {
  if (state == std::array<uint64_t, 4>{}) return false;
  s_ = state;
  return true;
}

VirtioRng::VirtioRng(uint64_t seed) : seeded_(std::in_place, seed) {}

VirtioRng::VirtioRng(EntropySource source) : source_(std::move(source)) {}

void VirtioRng::queue_notify(unsigned, VirtQueue& queue) {
  VirtqChain chain;
  std::array<uint8_t, kMaxRequestBytes> bytes;
  while (queue.pop(chain) == VirtQueue::Pop::Chain) {
    const uint32_t n =
        static_cast<uint32_t>(std::min<uint64_t>(chain.writable_len, kMaxRequestBytes));
    std::span<uint8_t> out(bytes.data(), n);
    if (seeded_) {
      seeded_->fill(out);
    } else {
      source_(out);
    }
    if (!queue.write(chain, 0, out)) return;
    if (!queue.push(chain, n)) return;
  }
}

// Snapshot payload (version 1): seeded (boolean); if seeded, the generator's four u64 words.
void VirtioRng::save(StateWriter& w) const {
  w.boolean(seeded_.has_value());
  if (!seeded_) return;
  for (uint64_t word : seeded_->state()) w.u64(word);
}

void VirtioRng::load(StateReader& r) {
  const bool seeded = r.boolean();
  if (!r.ok()) return;
  if (seeded != seeded_.has_value()) {
    return r.fail(seeded
                      ? "the snapshot's bytes came from a seed, this device's do not"
                      : "the snapshot's bytes came from the embedder, this device's from a seed");
  }
  if (!seeded) return;
  std::array<uint64_t, 4> state;
  for (uint64_t& word : state) word = r.u64();
  if (!r.ok()) return;
  if (!seeded_->set_state(state)) r.fail("the entropy generator's state is all zeros");
}

}  // namespace glassvm
