#include "engine/devices/clint.h"

#include <cassert>

namespace glassvm {

Clint::Clint(unsigned num_harts, std::function<uint64_t()> now)
    : num_harts_(num_harts),
      now_(std::move(now)),
      mtimecmp_(num_harts, UINT64_MAX),
      msip_(new IrqLine[num_harts]),
      mtip_(new IrqLine[num_harts]) {
  assert(num_harts >= 1 && num_harts <= kMaxHarts && "Clint: num_harts must be 1..4095");
  assert(now_ && "Clint: a time source is required");

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
  return now_() + offset_;
}

void Clint::set_mtime(uint64_t value) {
  offset_ = value - now_();
  update();
}

uint64_t Clint::mtimecmp(unsigned hart) const {
  assert(hart < num_harts_ && "Clint::mtimecmp: no such hart");
  return mtimecmp_[hart];
}

void Clint::set_mtimecmp(unsigned hart, uint64_t value) {
  assert(hart < num_harts_ && "Clint::set_mtimecmp: no such hart");
  mtimecmp_[hart] = value;
  update_hart(hart, mtime());
}

void Clint::update_hart(unsigned hart, uint64_t now_mtime) {
  mtip_[hart].set(now_mtime >= mtimecmp_[hart]);
}

void Clint::update() {
  uint64_t t = mtime();
  for (unsigned h = 0; h < num_harts_; h++) update_hart(h, t);
}

uint64_t Clint::next_deadline() const {
  uint64_t now = now_();
  uint64_t t = now + offset_;
  uint64_t best = UINT64_MAX;
  for (unsigned h = 0; h < num_harts_; h++) {
    if (t >= mtimecmp_[h]) continue;  // already reached
    uint64_t delta = mtimecmp_[h] - t;
    if (now > UINT64_MAX - delta) continue;  // beyond the end of the time base
    if (now + delta < best) best = now + delta;
  }
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

}  // namespace glassvm
