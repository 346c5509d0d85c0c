#include "engine/devices/clint.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

namespace glassvm {

Clint::Clint(unsigned num_harts, VirtualClock& clock, uint64_t ns_per_tick)
    : num_harts_(num_harts),
      clock_(clock),
      ns_per_tick_(ns_per_tick),
      mtimecmp_(num_harts, UINT64_MAX),
      msip_(new IrqLine[num_harts]),
      mtip_(new IrqLine[num_harts]) {
  assert(num_harts >= 1 && num_harts <= kMaxHarts && "Clint: num_harts must be 1..4095");
  assert(ns_per_tick_ >= 1 && "Clint: ns_per_tick must be at least 1");
  for (unsigned h = 0; h < num_harts; h++)
    alarms_.push_back(clock_.add_alarm([this, h] { update_hart(h); }));

  MemoryRegionOps swi;
  swi.read = [this](uint64_t offset, unsigned size, uint64_t& value, MemTxAttrs) {
    return swi_read(offset, size, value);
  };
  swi.write = [this](uint64_t offset, unsigned size, uint64_t value, MemTxAttrs) {
    return swi_write(offset, size, value);
  };
  swi.valid = {4, 4, false};  // QEMU riscv_aclint_swi_ops
  swi.impl = {4, 4, false};
  swi_mmio_.init_io("riscv.aclint.swi", kSwiSize, std::move(swi));

  MemoryRegionOps mtimer;
  mtimer.read = [this](uint64_t offset, unsigned size, uint64_t& value, MemTxAttrs) {
    return mtimer_read(offset, size, value);
  };
  mtimer.write = [this](uint64_t offset, unsigned size, uint64_t value, MemTxAttrs) {
    return mtimer_write(offset, size, value);
  };
  mtimer.valid = {4, 8, false};  // QEMU riscv_aclint_mtimer_ops
  mtimer.impl = {4, 8, false};
  mtimer_mmio_.init_io("riscv.aclint.mtimer", kMtimerSize, std::move(mtimer));
}

IrqLine& Clint::msip(unsigned hart) {
  assert(hart < num_harts_ && "Clint::msip: no such hart");
  return msip_[hart];
}

IrqLine& Clint::mtip(unsigned hart) {
  assert(hart < num_harts_ && "Clint::mtip: no such hart");
  return mtip_[hart];
}

uint64_t Clint::mtime() const {
  return now_ticks() + offset_;
}

void Clint::set_mtime(uint64_t value) {
  offset_ = value - now_ticks();
  update();
}

uint64_t Clint::mtimecmp(unsigned hart) const {
  assert(hart < num_harts_ && "Clint::mtimecmp: no such hart");
  return mtimecmp_[hart];
}

void Clint::set_mtimecmp(unsigned hart, uint64_t value) {
  assert(hart < num_harts_ && "Clint::set_mtimecmp: no such hart");
  mtimecmp_[hart] = value;
  update_hart(hart);
}

uint64_t Clint::hart_deadline(unsigned hart, uint64_t now) const {
  const uint64_t t = now + offset_;
  if (t >= mtimecmp_[hart]) return UINT64_MAX;  // already reached
  const uint64_t delta = mtimecmp_[hart] - t;
  return now > UINT64_MAX - delta ? UINT64_MAX : now + delta;  // beyond the time base: never
}

void Clint::update_hart(unsigned hart) {
  const uint64_t now = now_ticks();
  mtip_[hart].set(now + offset_ >= mtimecmp_[hart]);
  const uint64_t tick = hart_deadline(hart, now);
  clock_.set_alarm(alarms_[hart],
                   tick > UINT64_MAX / ns_per_tick_ ? VirtualClock::kNever : tick * ns_per_tick_);
}

void Clint::update() {
  for (unsigned h = 0; h < num_harts_; h++) update_hart(h);
}

uint64_t Clint::next_deadline() const {
  const uint64_t now = now_ticks();
  uint64_t best = UINT64_MAX;
  for (unsigned h = 0; h < num_harts_; h++) best = std::min(best, hart_deadline(h, now));
  return best;
}

void Clint::reset() {
  for (unsigned h = 0; h < num_harts_; h++) {
    msip_[h].lower();
    mtimecmp_[h] = UINT64_MAX;
  }
  set_mtime(0);
}

MemTxResult Clint::swi_read(uint64_t offset, unsigned size, uint64_t& value) {
  value = 0;
  if (offset % 4 == 0 && offset / 4 < num_harts_) value = msip_[offset / 4].level() ? 1 : 0;
  return MemTxResult::Ok;
}

MemTxResult Clint::swi_write(uint64_t offset, unsigned size, uint64_t value) {
  // Only bit 0 of each msip register is implemented; the rest reads as zero.
  if (offset % 4 == 0 && offset / 4 < num_harts_) msip_[offset / 4].set(value & 1);
  return MemTxResult::Ok;
}

MemTxResult Clint::mtimer_read(uint64_t offset, unsigned size, uint64_t& value) {
  value = 0;
  uint64_t reg;
  unsigned half;  // 0: low word or whole register, 1: high word
  if (offset < kMtimecmp + 8ull * num_harts_) {
    reg = mtimecmp_[(offset - kMtimecmp) / 8];
  } else if (offset >= kMtime && offset < kMtime + 8) {
    reg = mtime();
  } else {
    return MemTxResult::Ok;  // reserved: reads as zero
  }
  half = (offset % 8) / 4;
  if (offset % 4 != 0) return MemTxResult::Ok;
  if (size == 8) {
    if (half == 0) value = reg;
  } else {
    value = half ? reg >> 32 : reg & 0xffffffffu;
  }
  return MemTxResult::Ok;
}

MemTxResult Clint::mtimer_write(uint64_t offset, unsigned size, uint64_t value) {
  if (offset % 4 != 0 || (size != 4 && size != 8)) return MemTxResult::Ok;
  unsigned half = (offset % 8) / 4;
  if (size == 8 && half == 1) return MemTxResult::Ok;  // a 64-bit write must be aligned
  auto merge = [&](uint64_t old) -> uint64_t {
    if (size == 8) return value;
    uint64_t v32 = value & 0xffffffffu;
    return half ? (old & 0xffffffffu) | (v32 << 32) : (old & ~0xffffffffull) | v32;
  };
  if (offset < kMtimecmp + 8ull * num_harts_) {
    unsigned hart = static_cast<unsigned>((offset - kMtimecmp) / 8);
    set_mtimecmp(hart, merge(mtimecmp_[hart]));
  } else if (offset >= kMtime && offset < kMtime + 8) {
    set_mtime(merge(mtime()));
  }
  return MemTxResult::Ok;  // reserved offsets ignore writes
}

// Snapshot payload (version 1): u32 number of harts; u64 mtime offset; per hart: u64 mtimecmp,
// MSIP and MTIP levels (booleans). MTIP is saved rather than recomputed: it may lag the clock
// until the hart's alarm fires, and the clock may not be restored yet.
void Clint::save(StateWriter& w) const {
  w.u32(num_harts_);
  w.u64(offset_);
  for (unsigned h = 0; h < num_harts_; h++) {
    w.u64(mtimecmp_[h]);
    w.boolean(msip_[h].level());
    w.boolean(mtip_[h].level());
  }
}

void Clint::load(StateReader& r) {
  const uint32_t harts = r.u32();
  if (r.ok() && harts != num_harts_) {
    return r.fail("saved with " + std::to_string(harts) + " harts, restored with " +
                  std::to_string(num_harts_));
  }
  const uint64_t offset = r.u64();
  std::vector<uint64_t> mtimecmp(num_harts_);
  std::vector<uint8_t> msip(num_harts_), mtip(num_harts_);
  for (unsigned h = 0; h < num_harts_; h++) {
    mtimecmp[h] = r.u64();
    msip[h] = r.boolean();
    mtip[h] = r.boolean();
  }
  if (!r.ok()) return;
  offset_ = offset;
  mtimecmp_ = std::move(mtimecmp);
  for (unsigned h = 0; h < num_harts_; h++) {
    msip_[h].restore_level(msip[h] != 0);
    mtip_[h].restore_level(mtip[h] != 0);
  }
}

}  // namespace glassvm
