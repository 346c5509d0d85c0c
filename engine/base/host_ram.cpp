#include "engine/base/host_ram.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#ifdef __EMSCRIPTEN__
#include <unistd.h>
#endif

namespace glassvm {

namespace {

#ifdef __EMSCRIPTEN__
/// Blocks at least this large come from the pool or from never-used memory.
constexpr size_t kPoolMinSize = size_t{1} << 20;
/// Alignment of pooled blocks (a WebAssembly page).
constexpr uintptr_t kPoolAlign = 64 * 1024;

struct Pool {
  struct Block {
    uint8_t* data;
    size_t size;
  };
  std::vector<Block> free;  ///< given back, dirty
  HostRamPoolStats stats;
};

Pool& pool() {
  static Pool p;
  return p;
}

/// Takes `size` bytes of memory above the break: never handed out before, hence zero.
uint8_t* take_fresh(size_t size) {
  const auto brk = reinterpret_cast<uintptr_t>(sbrk(0));
  const uintptr_t pad = (kPoolAlign - brk % kPoolAlign) % kPoolAlign;
  if (size > SIZE_MAX - pad) return nullptr;
  void* old = sbrk(static_cast<intptr_t>(pad + size));
  if (old == reinterpret_cast<void*>(-1)) return nullptr;
  return static_cast<uint8_t*>(old) + pad;
}
#endif

}  // namespace

HostRam HostRam::allocate(size_t size) {
#ifdef __EMSCRIPTEN__
  if (size >= kPoolMinSize) {
    Pool& p = pool();
    // The smallest pooled block that fits: zeroing committed pages is cheap next to faulting in
    // fresh ones, and taking fresh memory while a block waits would grow the host's memory.
    size_t best = p.free.size();
    for (size_t i = 0; i < p.free.size(); ++i) {
      if (p.free[i].size >= size && (best == p.free.size() || p.free[i].size < p.free[best].size))
        best = i;
    }
    if (best != p.free.size()) {
      Pool::Block b = p.free[best];
      p.free.erase(p.free.begin() + static_cast<std::ptrdiff_t>(best));
      p.stats.pooled_bytes -= b.size;
      ++p.stats.reused_blocks;
      std::memset(b.data, 0, size);
      return HostRam(b.data, size, b.size);
    }
    uint8_t* fresh = take_fresh(size);
    if (fresh == nullptr) throw std::bad_alloc();
    ++p.stats.fresh_blocks;
    return HostRam(fresh, size, size);
  }
#endif
  auto* data = static_cast<uint8_t*>(std::calloc(size == 0 ? 1 : size, 1));
  if (data == nullptr) throw std::bad_alloc();
  return HostRam(data, size, 0);
}

HostRam& HostRam::operator=(HostRam&& other) noexcept {
  if (this != &other) {
    release();
    data_ = other.data_;
    size_ = other.size_;
    block_size_ = other.block_size_;
    other.data_ = nullptr;
    other.size_ = 0;
    other.block_size_ = 0;
  }
  return *this;
}

void HostRam::release() {
  if (data_ == nullptr) return;
#ifdef __EMSCRIPTEN__
  if (block_size_ != 0) {
    Pool& p = pool();
    p.free.push_back({data_, block_size_});
    p.stats.pooled_bytes += block_size_;
    data_ = nullptr;
    size_ = 0;
    block_size_ = 0;
    return;
  }
#endif
  std::free(data_);
  data_ = nullptr;
  size_ = 0;
}

HostRamPoolStats host_ram_pool_stats() {
#ifdef __EMSCRIPTEN__
  return pool().stats;
#else
  return {};
#endif
}

}  // namespace glassvm
