// Register access for device tests: calls a region's MMIO ops directly, as a driver's access
// arrives once the bus has checked it, and expects the device to accept it.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>

#include "engine/memory/memory.h"

namespace glassvm::testing {

/// Reads `size` bytes (1, 2, 4 or 8) at `offset` of `mr`: a test failure unless the device
/// answers Ok with a value that fits in `size` bytes.
inline uint64_t mmio_read(const MemoryRegion& mr, uint64_t offset, unsigned size,
                          MemTxAttrs attrs = {}) {
  uint64_t v = ~0ull;
  EXPECT_EQ(mr.ops().read(offset, size, v, attrs), MemTxResult::Ok)
      << mr.name() << " read at 0x" << std::hex << offset;
  if (size < 8) {
    EXPECT_LT(v, uint64_t{1} << (8 * size)) << mr.name() << " read wider than asked";
  }
  return v;
}

/// Writes `value` as `size` bytes at `offset` of `mr`: a test failure unless the device
/// answers Ok.
inline void mmio_write(const MemoryRegion& mr, uint64_t offset, unsigned size, uint64_t value,
                       MemTxAttrs attrs = {}) {
  EXPECT_EQ(mr.ops().write(offset, size, value, attrs), MemTxResult::Ok)
      << mr.name() << " write at 0x" << std::hex << offset;
}

}  // namespace glassvm::testing
