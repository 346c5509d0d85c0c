// Physical memory protection (privileged spec 3.7): matching of OFF/TOR/NA4/NAPOT entries, the
// L bit, and the rule for accesses no entry matches.
//
// Design note: PMP is never checked on a TLB hit. pmp_update() decodes the entries into byte
// ranges whenever pmpcfg/pmpaddr change and empties the TLBs (every set); a TLB entry (data
// or fetch) is filled only when one PMP entry decides the whole 4 KiB page the same way
// (pmp_allows over the page), so a hit can never cross a PMP boundary. Pages that a boundary splits
// stay out of the TLBs, and each of their accesses takes the slow path, which checks the access
// itself. Which accesses are checked at all: every S- and U-mode access, the page-table walker's
// (as S-mode, 3.7.1), and M-mode accesses only while some entry is locked (pmp_m_checked_); M-mode
// code with no locked entry pays nothing. mmu_update() keys the TLB sets by the privilege whenever
// PMP applies, so an entry filled for M-mode is never used by S-mode.
#include "engine/cpu/cpu.h"
#include "engine/cpu/cpu_internal.h"

namespace glassvm {

namespace {

constexpr unsigned kPmpAShift = 3;
enum : unsigned { kPmpOff = 0, kPmpTor = 1, kPmpNa4 = 2, kPmpNapot = 3 };

}  // namespace

void Cpu::Impl::pmp_update() {
  pmp_ranges_.clear();
  pmp_m_checked_ = false;
  uint64_t prev_addr = 0;  // TOR's lower bound: the previous entry's pmpaddr (0 for entry 0)
  for (unsigned i = 0; i < kPmpEntries; ++i) {
    const auto cfg = static_cast<uint8_t>(pmpcfg_[i / 8] >> ((i % 8) * 8));
    const uint64_t addr = pmpaddr_[i];
    const uint64_t below = prev_addr;
    prev_addr = addr;
    PmpRange r{0, 0, cfg};
    switch ((cfg >> kPmpAShift) & 3) {
      case kPmpOff: continue;
      case kPmpTor:
        if (below >= addr) continue;  // an empty range matches nothing
        r.lo = below << 2;
        r.last = (addr << 2) - 1;
        break;
      case kPmpNa4:
        r.lo = addr << 2;
        r.last = r.lo + 3;
        break;
      case kPmpNapot: {
        // pmpaddr is base/4 with its low (size/8 - 1) bits set; pmpaddr has 54 bits, so the
        // size is at most 2^57 and nothing overflows.
        const auto ones = static_cast<unsigned>(__builtin_ctzll(~addr));
        r.lo = (addr & ~((uint64_t{1} << ones) - 1)) << 2;
        r.last = r.lo + ((uint64_t{1} << (ones + 3)) - 1);
        break;
      }
    }
    if (cfg & kPmpCfgL) pmp_m_checked_ = true;
    pmp_ranges_.push_back(r);
  }
  // Decoded code is keyed by physical page and needs no flush: PMP on fetches is checked
  // when the fetch TLB is filled, and a CSR write ends the block, so the next fetch misses.
  flush_translation();
  mmu_update();
  event_ = true;
}

bool Cpu::Impl::pmp_allows(uint64_t addr, uint64_t size, PrivLevel priv, uint8_t need) const {
  const uint64_t last = addr + (size - 1);
  for (const PmpRange& r : pmp_ranges_) {
    if (addr > r.last || last < r.lo) continue;
    // The lowest-numbered entry matching any byte decides; a partial match fails (3.7.1).
    if (addr < r.lo || last > r.last) return false;
    if (priv == PrivLevel::Machine && !(r.cfg & kPmpCfgL)) return true;
    return (r.cfg & need) == need;
  }
  // No entry matches: M-mode succeeds; S and U fail, since this hart implements entries.
  return priv == PrivLevel::Machine;
}

bool Cpu::Impl::pmp_data_ok(uint64_t va, uint64_t pa, unsigned size, uint8_t need, Access acc) {
  if (!pmp_data_check_ || pmp_allows(pa, size, data_priv_, need)) return true;
  fault_cause_ = access_fault_cause(acc);
  fault_addr_ = va;
  return false;
}

}  // namespace glassvm
