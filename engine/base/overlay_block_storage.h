// A copy-on-write overlay over another BlockStorage (-drive snapshot=on).
//
// Design note: writes land in host memory, one 512-byte sector at a time, and reads prefer
// those sectors; the base storage is only read, so the image file stays untouched however much
// the guest writes. The overlay costs memory in proportion to what the guest writes.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <unordered_map>

#include "engine/base/block_storage.h"

namespace glassvm {

/// Block storage that reads through to `base` and keeps every write in memory.
class OverlayBlockStorage final : public BlockStorage {
 public:
  static constexpr uint64_t kSector = 512;

  /// An overlay over `base`, which must outlive it. The overlay is writable even when `base`
  /// is read-only; `base` is never written.
  explicit OverlayBlockStorage(BlockStorage& base) : base_(base) {}

  uint64_t size() const override { return base_.size(); }
  bool read_only() const override { return false; }
  bool read(uint64_t offset, std::span<uint8_t> out) override {
    if (!in_range(offset, out.size(), size())) return false;
    size_t done = 0;
    while (done < out.size()) {
      const uint64_t pos = offset + done;
      const uint64_t sector = pos / kSector, in = pos % kSector;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kSector - in, out.size() - done));
      const auto it = sectors_.find(sector);
      if (it != sectors_.end()) {
        std::memcpy(out.data() + done, it->second.data() + in, n);
      } else if (!base_.read(pos, out.subspan(done, n))) {
        return false;
      }
      done += n;
    }
    return true;
  }
  bool write(uint64_t offset, std::span<const uint8_t> data) override {
    if (!in_range(offset, data.size(), size())) return false;
    size_t done = 0;
    while (done < data.size()) {
      const uint64_t pos = offset + done;
      const uint64_t sector = pos / kSector, in = pos % kSector;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kSector - in, data.size() - done));
      auto it = sectors_.find(sector);
      if (it == sectors_.end()) {
        // First write to this sector: start from the base's bytes (a partial last sector of
        // an odd-sized base is zero-filled past its end).
        std::array<uint8_t, kSector> fresh{};
        const uint64_t start = sector * kSector;
        const uint64_t avail = std::min<uint64_t>(kSector, size() - start);
        if (!base_.read(start, std::span(fresh).first(static_cast<size_t>(avail)))) return false;
        it = sectors_.emplace(sector, fresh).first;
      }
      std::memcpy(it->second.data() + in, data.data() + done, n);
      done += n;
    }
    return true;
  }
  /// Nothing to make durable: the overlay is dropped with the machine.
  bool flush() override { return true; }

  /// How many sectors the overlay holds.
  size_t dirty_sectors() const { return sectors_.size(); }

 private:
  BlockStorage& base_;
  std::unordered_map<uint64_t, std::array<uint8_t, kSector>> sectors_;
};

}  // namespace glassvm
