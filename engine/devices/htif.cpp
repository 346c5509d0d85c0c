#include "engine/devices/htif.h"

#include <utility>

namespace glassvm {

namespace {

constexpr unsigned kDeviceShift = 56;
constexpr unsigned kCommandShift = 48;
constexpr uint64_t kPayloadMask = (uint64_t{1} << kCommandShift) - 1;

// Merges a narrow store into a 64-bit register value.
uint64_t merge(uint64_t old, uint64_t offset, unsigned size, uint64_t value) {
  const unsigned shift = static_cast<unsigned>(offset) * 8;
  const uint64_t mask = (size == 8 ? ~uint64_t{0} : ((uint64_t{1} << (size * 8)) - 1)) << shift;
  return (old & ~mask) | ((value << shift) & mask);
}

}  // namespace

Htif::Htif(std::function<void(int code)> on_exit, std::function<void(uint8_t byte)> on_console)
    : on_exit_(std::move(on_exit)), on_console_(std::move(on_console)) {
  MemoryRegionOps to_ops;
  to_ops.read = [this](uint64_t offset, unsigned size, uint64_t& value, MemTxAttrs) {
    value = tohost_value_ >> (offset * 8);
    return MemTxResult::Ok;
  };
  // The command is issued when its upper half is written, so that RV32-style split stores
  // (low word, then high word) also work; a full 8-byte store issues it at once.
  to_ops.write = [this](uint64_t offset, unsigned size, uint64_t value, MemTxAttrs) {
    tohost_value_ = merge(tohost_value_, offset, size, value);
    if (offset + size == 8 && tohost_value_ != 0) command(tohost_value_);
    return MemTxResult::Ok;
  };
  to_ops.valid = {1, 8, false};
  to_ops.impl = {1, 8, false};
  tohost_.init_io("htif.tohost", 8, to_ops);

  MemoryRegionOps from_ops;
  from_ops.read = [this](uint64_t offset, unsigned size, uint64_t& value, MemTxAttrs) {
    value = fromhost_value_ >> (offset * 8);
    return MemTxResult::Ok;
  };
  from_ops.write = [this](uint64_t offset, unsigned size, uint64_t value, MemTxAttrs) {
    fromhost_value_ = merge(fromhost_value_, offset, size, value);
    return MemTxResult::Ok;
  };
  from_ops.valid = {1, 8, false};
  from_ops.impl = {1, 8, false};
  fromhost_.init_io("htif.fromhost", 8, from_ops);
}

void Htif::command(uint64_t value) {
  const uint64_t device = value >> kDeviceShift;
  const uint64_t cmd = (value >> kCommandShift) & 0xff;
  const uint64_t payload = value & kPayloadMask;
  tohost_value_ = 0;  // the host has taken the command
  if (device == 0 && cmd == 0 && (payload & 1)) {
    if (on_exit_) on_exit_(static_cast<int>(payload >> 1));
    return;
  }
  if (device == 1 && cmd == 1) {
    if (on_console_) on_console_(static_cast<uint8_t>(payload));
    fromhost_value_ =
        (uint64_t{1} << kDeviceShift) | (uint64_t{1} << kCommandShift) | 0x100 | (payload & 0xff);
    return;
  }
  ++unsupported_;
  fromhost_value_ = 0;
}

// Snapshot payload (version 1): u64 tohost, u64 fromhost, u64 unsupported-command count.
void Htif::save(StateWriter& w) const {
  w.u64(tohost_value_);
  w.u64(fromhost_value_);
  w.u64(unsupported_);
}

void Htif::load(StateReader& r) {
  const uint64_t tohost = r.u64();
  const uint64_t fromhost = r.u64();
  const uint64_t unsupported = r.u64();
  if (!r.ok()) return;
  if (tohost >> kDeviceShift) return r.fail("tohost holds a command that was never issued");
  tohost_value_ = tohost;
  fromhost_value_ = fromhost;
  unsupported_ = unsupported;
}

}  // namespace glassvm
