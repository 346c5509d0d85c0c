// virtio-rng, the entropy device (virtio 1.2, 5.4): one request queue of device-writable
// buffers that the device fills with random bytes.
//
// Design note: guest behaviour must be reproducible (a shared link replays the same machine),
// so by default the bytes come from a deterministic generator, xoshiro256** seeded by the
// board through SplitMix64: the same seed gives the same bytes on every host. An embedder that
// wants real entropy passes an EntropySource of its own, and gives up replay. A request is
// filled up to kMaxRequestBytes (the used length says how much, 5.4.6), so that a guest
// cannot make one notification cost unbounded host time; device-readable buffers, which a
// driver must not offer, are ignored.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "engine/devices/virtio/virtio.h"

namespace glassvm {

/// Fills `out` with random bytes. Must not fail.
using EntropySource = std::function<void(std::span<uint8_t> out)>;

/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64: a small, fast generator whose
/// output is fixed by its seed. Not cryptographic, which a reproducible guest cannot have.
class SeededEntropy {
 public:
  /// A generator whose whole output is determined by `seed`.
  explicit SeededEntropy(uint64_t seed);
  /// The next 64 bits.
  uint64_t next();
  /// Fills `out` with the next bytes (little-endian words).
  void fill(std::span<uint8_t> out);

  /// The generator's position: its whole state, never all zeros.
  const std::array<uint64_t, 4>& state() const { return s_; }
  /// Moves the generator to `state` (from state()); false, changing nothing, if it is all
  /// zeros (a state xoshiro256** never reaches, and would never leave).
  bool set_state(const std::array<uint64_t, 4>& state);

 private:
  std::array<uint64_t, 4> s_{};
};

/// A virtio entropy device.
class VirtioRng final : public VirtioDevice {
 public:
  static constexpr uint16_t kQueueSize = 64;
  /// The most bytes written for one request.
  static constexpr uint32_t kMaxRequestBytes = 4096;

  /// A device whose bytes come from a SeededEntropy with `seed` (deterministic).
  explicit VirtioRng(uint64_t seed);
  /// A device whose bytes come from `source`.
  explicit VirtioRng(EntropySource source);

  uint32_t device_id() const override { return kVirtioIdEntropy; }
  uint64_t device_features() const override { return 0; }
  unsigned num_queues() const override { return 1; }
  uint16_t queue_max_size(unsigned) const override { return kQueueSize; }
  uint32_t config_size() const override { return 0; }
  uint64_t config_read(uint32_t, unsigned) const override { return 0; }
  void queue_notify(unsigned index, VirtQueue& queue) override;
  /// The generator keeps its position: a reset does not replay earlier bytes.
  void reset() override {}

  /// The version of the state save() writes.
  static constexpr uint32_t kStateVersion = 1;
  uint32_t state_version() const override { return kStateVersion; }
  /// Writes whether the bytes come from the seeded generator and, if so, its position (an
  /// embedder's EntropySource has no state of ours to save).
  void save(StateWriter& w) const override;
  /// Restores what save() wrote. Fails `r` if the snapshot's device drew from the other kind of
  /// source, or if the generator state is all zeros.
  void load(StateReader& r) override;

 private:
  std::optional<SeededEntropy> seeded_;  ///< the default source; empty with an EntropySource
  EntropySource source_;                 ///< the embedder's, when seeded_ is empty
};

}  // namespace glassvm
