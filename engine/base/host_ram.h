// Host memory for guest RAM: zero-filled blocks whose untouched pages cost nothing.
//
// Design note: a guest touches a fraction of its RAM (Linux in 128 MiB writes a few tens of
// MiB while it boots), so the RAM of a new machine must not be written by the host, not even
// to zero it: in a browser the first touch of a WebAssembly memory page costs the host a page
// fault, and zeroing 128 MiB that way took most of a second. Natively calloc() gets such
// blocks from mmap() and free() gives them back. In WebAssembly nothing is ever given back to
// the system, so large blocks are pooled: a new block comes from memory above the allocator's
// break, which has never been handed out (Emscripten's dlmalloc never shrinks it) and so is
// zero, or from the pool of blocks given back by earlier machines. A pooled block is zeroed
// only where it was touched: each block records which of its 64 KiB chunks anything may have
// written (the memory API notes every host pointer it hands out and every write it makes), so
// the pages the old guest never touched stay untouched. Host memory therefore grows only to
// the most RAM that was ever alive at once, and its touched part to what guests touched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace glassvm {

/// One zero-filled block of host memory, given back when destroyed. Movable, not copyable.
class HostRam {
 public:
  /// Granularity of the touched-chunk record (one WebAssembly page).
  static constexpr uint64_t kChunkSize = 64 * 1024;

  HostRam() = default;
  /// A block of `size` zero bytes; throws std::bad_alloc when the host has no room.
  static HostRam allocate(size_t size);

  HostRam(HostRam&& other) noexcept { *this = std::move(other); }
  HostRam& operator=(HostRam&& other) noexcept;
  HostRam(const HostRam&) = delete;
  HostRam& operator=(const HostRam&) = delete;
  ~HostRam() { release(); }

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

  /// Records that [offset, offset + len) may no longer be zero. Everything that writes the
  /// block, or hands out a pointer that may be written through, calls it first.
  void note_touched(uint64_t offset, uint64_t len) const;
  /// Whether chunk `index` (of kChunkSize bytes) was noted as touched.
  bool chunk_touched(size_t index) const;

 private:
  HostRam(uint8_t* data, size_t size, bool pooled);
  void release();

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t block_size_ = 0;                  ///< the whole block (a reused one may be larger)
  bool pooled_ = false;                    ///< from the pool, and goes back to it
  mutable std::vector<uint64_t> touched_;  ///< one bit per chunk
};

/// Counters of the large-block pool, for tests and the page.
struct HostRamPoolStats {
  size_t fresh_blocks = 0;   ///< blocks taken from never-used memory
  size_t reused_blocks = 0;  ///< blocks taken from the pool
  size_t pooled_bytes = 0;   ///< bytes held in the pool now, free for the next machine
  size_t zeroed_chunks = 0;  ///< touched chunks zeroed when blocks were reused
};
HostRamPoolStats host_ram_pool_stats();

/// Whether blocks of 1 MiB and more are pooled: always in WebAssembly; natively off unless a
/// test turns it on (natively the pool's fresh blocks come from calloc()). Turning it off
/// frees the blocks the pool holds.
void set_host_ram_pooling(bool on);

}  // namespace glassvm
