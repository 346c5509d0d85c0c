// Host memory for guest RAM: zero-filled blocks whose untouched pages cost nothing.
//
// Design note: a guest touches a fraction of its RAM (Linux in 128 MiB writes a few tens of
// MiB while it boots), so the RAM of a new machine must not be written by the host, not even
// to zero it: in a browser the first touch of a WebAssembly memory page costs the host a page
// fault, and zeroing 128 MiB that way took most of a second. Natively calloc() gets such
// blocks from mmap(). In WebAssembly, memory above the allocator's break has never been
// handed out (Emscripten's dlmalloc never gives memory back to sbrk), so it is zero: large
// blocks are taken from there, and a block given back is kept for the next machine, which
// zeroes it (its pages are committed by then, so that costs little) instead of taking fresh
// memory. Host memory therefore grows only to the most RAM that was ever alive at once.
#pragma once

#include <cstddef>
#include <cstdint>

namespace glassvm {

/// One zero-filled block of host memory, released when destroyed. Movable, not copyable.
class HostRam {
 public:
  HostRam() = default;
  /// A block of `size` zero bytes; throws std::bad_alloc when the host has no room.
  static HostRam allocate(size_t size);

  HostRam(HostRam&& other) noexcept
      : data_(other.data_), size_(other.size_), block_size_(other.block_size_) {
    other.data_ = nullptr;
    other.size_ = 0;
    other.block_size_ = 0;
  }
  HostRam& operator=(HostRam&& other) noexcept;
  HostRam(const HostRam&) = delete;
  HostRam& operator=(const HostRam&) = delete;
  ~HostRam() { release(); }

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  HostRam(uint8_t* data, size_t size, size_t block_size)
      : data_(data), size_(size), block_size_(block_size) {}
  void release();

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  size_t block_size_ = 0;  ///< of a block from (and given back to) the pool; 0 for calloc's
};

/// Counters of the large-block pool (WebAssembly builds; zero natively), for tests.
struct HostRamPoolStats {
  size_t fresh_blocks = 0;   ///< blocks taken from never-used memory
  size_t reused_blocks = 0;  ///< blocks taken from the pool (and zeroed)
  size_t pooled_bytes = 0;   ///< bytes held in the pool now, free for the next machine
};
HostRamPoolStats host_ram_pool_stats();

}  // namespace glassvm
