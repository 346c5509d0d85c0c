#include "engine/base/host_ram.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#ifdef __EMSCRIPTEN__
#include <unistd.h>
#endif

namespace glassvm {

namespace {

/// Blocks at least this large are pooled (guest RAM; not ROMs or test buffers).
constexpr size_t kPoolMinSize = size_t{1} << 20;

size_t chunk_count(size_t size) {
  return static_cast<size_t>((size + HostRam::kChunkSize - 1) / HostRam::kChunkSize);
}

struct Pool {
  struct Block {
    uint8_t* data;
    size_t size;
    std::vector<uint64_t> touched;
  };
#ifdef __EMSCRIPTEN__
  bool on = true;
#else
  bool on = false;
#endif
  std::vector<Block> free;  ///< given back
  HostRamPoolStats stats;
};

Pool& pool() {
  static Pool p;
  return p;
}

bool pooling_on() {
  return pool().on;
}

/// `size` bytes that have never been written, or nullptr.
uint8_t* take_fresh(size_t size) {
#ifdef __EMSCRIPTEN__
  // Memory above the break was never handed out, hence zero. Aligned to a wasm page.
  constexpr uintptr_t kAlign = HostRam::kChunkSize;
  const auto brk = reinterpret_cast<uintptr_t>(sbrk(0));
  const uintptr_t pad = (kAlign - brk % kAlign) % kAlign;
  if (size > SIZE_MAX - pad) return nullptr;
  // sbrk() takes an intptr_t: 2 GiB of guest RAM (the most a 4 GB memory holds) is taken in
  // steps, each contiguous with the last, as nothing else runs in between.
  constexpr size_t kStep = size_t{1} << 30;
  void* old = sbrk(0);
  for (size_t left = pad + size; left > 0;) {
    const size_t step = std::min(left, kStep);
    if (sbrk(static_cast<intptr_t>(step)) == reinterpret_cast<void*>(-1)) {
      sbrk(-static_cast<intptr_t>(pad + size - left));  // give back what was taken
      return nullptr;
    }
    left -= step;
  }
  return static_cast<uint8_t*>(old) + pad;
#else
  return static_cast<uint8_t*>(std::calloc(size, 1));
#endif
}

}  // namespace

HostRam::HostRam(uint8_t* data, size_t size, bool pooled)
    : data_(data),
      size_(size),
      block_size_(size),
      pooled_(pooled),
      touched_((chunk_count(size) + 63) / 64) {}

HostRam HostRam::allocate(size_t size) {
  Pool& p = pool();
  if (p.on && size >= kPoolMinSize) {
    // The smallest pooled block that fits: reusing costs at most zeroing what was touched,
    // while taking fresh memory while a block waits would grow the host's memory.
    size_t best = p.free.size();
    for (size_t i = 0; i < p.free.size(); ++i) {
      if (p.free[i].size >= size && (best == p.free.size() || p.free[i].size < p.free[best].size))
        best = i;
    }
    if (best != p.free.size()) {
      Pool::Block b = std::move(p.free[best]);
      p.free.erase(p.free.begin() + static_cast<std::ptrdiff_t>(best));
      p.stats.pooled_bytes -= b.size;
      ++p.stats.reused_blocks;
      for (size_t c = 0; c < chunk_count(b.size); ++c) {
        if (!(b.touched[c / 64] >> (c % 64) & 1)) continue;
        const size_t at = c * kChunkSize;
        std::memset(b.data + at, 0, std::min<size_t>(kChunkSize, b.size - at));
        ++p.stats.zeroed_chunks;
      }
      // The block keeps its full size (the pool gets all of it back); the user sees `size`.
      HostRam ram(b.data, b.size, /*pooled=*/true);
      ram.size_ = size;
      return ram;
    }
    uint8_t* fresh = take_fresh(size);
    if (fresh == nullptr) throw std::bad_alloc();
    ++p.stats.fresh_blocks;
    return HostRam(fresh, size, /*pooled=*/true);
  }
  auto* data = static_cast<uint8_t*>(std::calloc(size == 0 ? 1 : size, 1));
  if (data == nullptr) throw std::bad_alloc();
  return HostRam(data, size, /*pooled=*/false);
}

HostRam& HostRam::operator=(HostRam&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    block_size_ = std::exchange(other.block_size_, 0);
    pooled_ = std::exchange(other.pooled_, false);
    touched_ = std::move(other.touched_);
    other.touched_.clear();
  }
  return *this;
}

void HostRam::note_touched(uint64_t offset, uint64_t len) const {
  if (len == 0 || offset >= size_) return;
  const uint64_t last = std::min<uint64_t>(offset + len - 1, size_ - 1);
  for (uint64_t c = offset / kChunkSize; c <= last / kChunkSize; ++c) {
    touched_[c / 64] |= uint64_t{1} << (c % 64);
  }
}

bool HostRam::chunk_touched(size_t index) const {
  return index / 64 < touched_.size() && (touched_[index / 64] >> (index % 64) & 1);
}

void HostRam::release() {
  if (data_ == nullptr) return;
  if (pooled_ && pooling_on()) {
    Pool& p = pool();
    // The whole block goes back (a reused block may be larger than its last user's size).
    p.free.push_back({data_, block_size_, std::move(touched_)});
    p.stats.pooled_bytes += block_size_;
  } else {
    std::free(data_);
  }
  data_ = nullptr;
  size_ = 0;
  block_size_ = 0;
  pooled_ = false;
  touched_.clear();
}

HostRamPoolStats host_ram_pool_stats() {
  return pool().stats;
}

void set_host_ram_pooling(bool on) {
  Pool& p = pool();
#ifdef __EMSCRIPTEN__
  (void)on;  // memory above the break cannot be given back: always pooled
#else
  p.on = on;
  if (!on) {
    for (Pool::Block& b : p.free) std::free(b.data);
    p.free.clear();
    p.stats.pooled_bytes = 0;
  }
#endif
}

}  // namespace glassvm
