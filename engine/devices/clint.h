// The SiFive CLINT of the virt board, laid out as QEMU's ACLINT: an MSWI block
// ("riscv.aclint.swi", msip[hart] at 4*hart) at the CLINT base and an MTIMER block
// ("riscv.aclint.mtimer", mtimecmp[hart] at 8*hart, mtime at 0x7ff8) at base + 0x4000.
//
// Design note: mtime is not wall time. It is `now + offset`, where `now` is the board's virtual
// clock (engine/base/clock.h) in ticks, so that runs are deterministic; a guest write to mtime
// only changes the offset. Each hart's mtimecmp is an alarm on that clock: the board runs the
// CPU up to the earliest deadline, and a guest that moves mtimecmp mid-slice moves the alarm,
// which ends the slice at that instruction (so MTIP never rises late).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "engine/base/clock.h"
#include "engine/base/irq.h"
#include "engine/base/snapshot.h"
#include "engine/memory/memory.h"

namespace glassvm {

/// Machine software interrupts (MSIP) and the machine timer (MTIP) of every hart.
class Clint {
 public:
  static constexpr uint64_t kSwiSize = 0x4000;       ///< MSWI block size
  static constexpr uint64_t kMtimerOffset = 0x4000;  ///< MTIMER block, relative to the base
  static constexpr uint64_t kMtimerSize = 0x8000;    ///< MTIMER block size
  static constexpr uint64_t kMtimecmp = 0x0;         ///< in the MTIMER block, 8 bytes per hart
  static constexpr uint64_t kMtime = 0x7ff8;         ///< in the MTIMER block
  static constexpr unsigned kMaxHarts = 4095;        ///< ACLINT limit

  /// A CLINT for harts 0..num_harts-1 (1..kMaxHarts, else assert) whose time base ticks once
  /// every `ns_per_tick` (>= 1, else assert) nanoseconds of `clock`, on which it arms one alarm
  /// per hart; the clock must outlive it. All mtimecmp start at UINT64_MAX.
  Clint(unsigned num_harts, VirtualClock& clock, uint64_t ns_per_tick);
  Clint(const Clint&) = delete;
  Clint& operator=(const Clint&) = delete;

  /// The MSWI register block (kSwiSize bytes), mapped at the CLINT base.
  MemoryRegion& swi_mmio() { return swi_mmio_; }
  /// The MTIMER register block (kMtimerSize bytes), mapped at the CLINT base + kMtimerOffset.
  MemoryRegion& mtimer_mmio() { return mtimer_mmio_; }

  /// The MSIP output of `hart` (assert if out of range), wired to the hart's mip.MSIP.
  IrqLine& msip(unsigned hart);
  /// The MTIP output of `hart` (assert if out of range), wired to the hart's mip.MTIP.
  IrqLine& mtip(unsigned hart);

  /// Number of harts served.
  unsigned num_harts() const { return num_harts_; }
  /// The guest-visible mtime: now() plus the offset set by guest writes.
  uint64_t mtime() const;
  /// Sets mtime (as a guest 8-byte write would) and updates every MTIP.
  void set_mtime(uint64_t value);
  /// mtimecmp of `hart` (assert if out of range).
  uint64_t mtimecmp(unsigned hart) const;
  /// Sets mtimecmp of `hart` (as a guest 8-byte write would) and updates its MTIP.
  void set_mtimecmp(unsigned hart, uint64_t value);

  /// Recomputes every MTIP level from the clock (the alarms do this when they fire).
  void update();
  /// The time base (clock ticks, without the offset) at which the earliest MTIP not yet raised
  /// will rise, or UINT64_MAX if none will (every timer has fired, or its deadline lies beyond
  /// 2^64 ticks).
  uint64_t next_deadline() const;

  /// Power-on state: MSIPs cleared, mtime 0, mtimecmp UINT64_MAX.
  void reset();

  /// The version of the state save() writes.
  static constexpr uint32_t kStateVersion = 1;
  /// Writes the number of harts, the mtime offset, and every hart's mtimecmp, MSIP and MTIP.
  /// Not the alarms: the board saves the clock whole, deadlines included.
  void save(StateWriter& w) const;
  /// Restores what save() wrote, without touching the clock or its alarms (so the clock may be
  /// restored before or after). Fails `r` if the snapshot served another number of harts. The
  /// interrupt lines are set without telling their receivers.
  void load(StateReader& r);

 private:
  MemTxResult swi_read(uint64_t offset, unsigned size, uint64_t& value);
  MemTxResult swi_write(uint64_t offset, unsigned size, uint64_t value);
  MemTxResult mtimer_read(uint64_t offset, unsigned size, uint64_t& value);
  MemTxResult mtimer_write(uint64_t offset, unsigned size, uint64_t value);
  uint64_t now_ticks() const { return clock_.now_ns() / ns_per_tick_; }
  /// Sets MTIP of `hart` and arms its alarm for the moment mtime reaches mtimecmp.
  void update_hart(unsigned hart);
  /// The time base at which mtime reaches mtimecmp of `hart`, or UINT64_MAX (reached or never).
  uint64_t hart_deadline(unsigned hart, uint64_t now) const;

  unsigned num_harts_;
  VirtualClock& clock_;
  uint64_t ns_per_tick_;
  std::vector<VirtualClock::AlarmId> alarms_;
  uint64_t offset_ = 0;  ///< mtime - now(), modulo 2^64
  std::vector<uint64_t> mtimecmp_;
  std::unique_ptr<IrqLine[]> msip_;
  std::unique_ptr<IrqLine[]> mtip_;
  MemoryRegion swi_mmio_;
  MemoryRegion mtimer_mmio_;
};

}  // namespace glassvm
