// MMIO ops for a block of 32-bit registers, the shape of the PLIC's and the goldfish RTC's.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>

#include "engine/memory/memory.h"

namespace glassvm {

/// Ops that accept aligned 32-bit accesses only (the bus rejects others, as QEMU's
/// sifive_plic_ops and goldfish_rtc_ops do) and hand them to `read(offset, debug)` and
/// `write(offset, value)`. Neither callback can fail: reserved registers read as 0 and ignore
/// writes, so every access the bus lets through completes.
inline MemoryRegionOps reg32_ops(std::function<uint32_t(uint64_t offset, bool debug)> read,
                                 std::function<void(uint64_t offset, uint32_t value)> write) {
  MemoryRegionOps ops;
  ops.read = [read = std::move(read)](uint64_t offset, unsigned, uint64_t& value,
                                      MemTxAttrs attrs) {
    value = read(offset, attrs.debug);
    return MemTxResult::Ok;
  };
  ops.write = [write = std::move(write)](uint64_t offset, unsigned, uint64_t value, MemTxAttrs) {
    write(offset, static_cast<uint32_t>(value));
    return MemTxResult::Ok;
  };
  ops.valid = {4, 4, false};
  ops.impl = {4, 4, false};
  return ops;
}

}  // namespace glassvm
