// Address translation: the Sv39/Sv48 page-table walk (privileged spec 4.3.2, 4.4, 4.5), who
// translates (satp.MODE, the privilege, mstatus.MPRV/MPP/SUM/MXR), and the fetch TLB.
//
// Design note: the data TLB (CpuState::tlb_read_/tlb_write_) and the fetch TLB hold
// virtual-to-host translations filled under one translation context: the fetch privilege, the
// data privilege (MPRV), SUM, MXR and satp. mmu_update() runs after every change of those and
// empties both TLBs when the context changed (for SUM and MXR: only when one is cleared); when
// nothing translates (M-mode, or satp bare) the context is "bare" whatever the privilege, so M-mode
// code never pays for a flush and bare translations stay shared. A read entry is filled only after
// a walk for a load, a write entry only after a walk for a store (so the leaf had W and now has D
// set): a TLB hit never skips a permission check or an A/D update. Decoded code is keyed by
// physical page (code_page_for), so aliases share it and a remap never runs stale code.
//
// PTEs are read from RAM only: a walk that meets a PTE address outside RAM (or an A/D update
// that meets read-only memory) is an access fault of the original access type, as the spec
// says for PMA violations during the walk. The single hart makes each walk's A/D update
// atomic with respect to the walk.
#include <cstring>

#include "engine/cpu/cpu.h"
#include "engine/cpu/cpu_internal.h"

namespace glassvm {

namespace {

// PTE fields (privileged spec 4.4.1).
constexpr uint64_t kPteV = 1u << 0, kPteR = 1u << 1, kPteW = 1u << 2, kPteX = 1u << 3,
                   kPteU = 1u << 4, kPteA = 1u << 6, kPteD = 1u << 7;
constexpr unsigned kPtePpnShift = 10;
constexpr uint64_t kPtePpnMask = (1ull << 44) - 1;
/// Bits 63:54: N (Svnapot), PBMT (Svpbmt) and reserved bits. This hart has neither
/// extension, so a leaf or pointer with any of them set is a page fault.
constexpr unsigned kPteReservedShift = 54;

}  // namespace

void Cpu::Impl::mmu_update() {
  const uint64_t mode = satp_ >> kSatpModeShift;
  data_priv_ = priv_;
  if (priv_ == PrivLevel::Machine && (mstatus_ & kMstatusMPRV)) {
    data_priv_ = static_cast<PrivLevel>((mstatus_ & kMstatusMPP) >> kMstatusMPPShift);
  }
  fetch_translated_ = mode != kSatpModeBare && priv_ != PrivLevel::Machine;
  data_translated_ = mode != kSatpModeBare && data_priv_ != PrivLevel::Machine;
  constexpr uint64_t kKeySum = 1u << 7, kKeyMxr = 1u << 8;
  uint64_t key = 0;
  if (fetch_translated_ || data_translated_) {
    key = 1 | (fetch_translated_ ? 2 : 0) | (data_translated_ ? 4 : 0) |
          static_cast<uint64_t>(priv_) << 3 | static_cast<uint64_t>(data_priv_) << 5 |
          ((mstatus_ & kMstatusSUM) ? kKeySum : 0) | ((mstatus_ & kMstatusMXR) ? kKeyMxr : 0);
  }
  // Setting SUM or MXR only widens what loads may do, so entries filled without them stay
  // right; clearing them must drop entries they allowed (Linux sets SUM around each copy from
  // user memory: one flush per copy, not two).
  const uint64_t widening = kKeySum | kKeyMxr;
  const bool narrowed = (mmu_key_ & ~key & widening) != 0;
  if ((key & ~widening) != (mmu_key_ & ~widening) || narrowed || (key != 0 && satp_ != mmu_satp_)) {
    flush_translation();
    mmu_satp_ = satp_;
  }
  mmu_key_ = key;
}

bool Cpu::Impl::translate(uint64_t va, Access acc, uint64_t& pa) {
  fault_addr_ = va;
  const PrivLevel priv = acc == Access::Fetch ? priv_ : data_priv_;
  const unsigned levels = (satp_ >> kSatpModeShift) == kSatpModeSv48 ? 4 : 3;
  const unsigned va_bits = kPageShift + 9 * levels;
  // Bits 63:va_bits must equal bit va_bits-1 (4.3.1, 4.4.1).
  const auto sva = static_cast<int64_t>(va);
  if (static_cast<int64_t>(va << (64 - va_bits)) >> (64 - va_bits) != sva) {
    fault_cause_ = page_fault_cause(acc);
    return false;
  }
  uint64_t table = (satp_ & kSatpPpnMask) << kPageShift;
  for (int level = static_cast<int>(levels) - 1; level >= 0; --level) {
    const unsigned shift = kPageShift + 9 * static_cast<unsigned>(level);
    const uint64_t pte_addr = table + ((va >> shift) & 511) * 8;
    RamSpan span;
    if (!as_.lookup_ram(pte_addr, span) || span.len < 8 || pte_addr - span.start > span.len - 8) {
      fault_cause_ = access_fault_cause(acc);
      return false;
    }
    uint8_t* host = span.host + (pte_addr - span.start);
    uint64_t pte;
    std::memcpy(&pte, host, 8);
    if (!(pte & kPteV) || ((pte & kPteW) && !(pte & kPteR)) || (pte >> kPteReservedShift) != 0) {
      fault_cause_ = page_fault_cause(acc);
      return false;
    }
    const uint64_t ppn = (pte >> kPtePpnShift) & kPtePpnMask;
    if (!(pte & (kPteR | kPteX))) {  // a pointer to the next level
      // D, A and U are reserved in pointers (4.3.1); like Spike and QEMU, fault on them.
      if (pte & (kPteD | kPteA | kPteU)) {
        fault_cause_ = page_fault_cause(acc);
        return false;
      }
      table = ppn << kPageShift;
      continue;
    }
    // A leaf: superpage alignment, then permissions (4.3.2 steps 5-6).
    const uint64_t low_ppn = (1ull << (9 * static_cast<unsigned>(level))) - 1;
    bool ok = (ppn & low_ppn) == 0;
    if (priv == PrivLevel::User) {
      ok = ok && (pte & kPteU);
    } else if (pte & kPteU) {  // S-mode touching a U page: only data, only with SUM
      ok = ok && acc != Access::Fetch && (mstatus_ & kMstatusSUM);
    }
    switch (acc) {
      case Access::Fetch: ok = ok && (pte & kPteX); break;
      case Access::Load:
        ok = ok && ((pte & kPteR) || ((mstatus_ & kMstatusMXR) && (pte & kPteX)));
        break;
      case Access::Store: ok = ok && (pte & kPteW); break;
    }
    if (!ok) {
      fault_cause_ = page_fault_cause(acc);
      return false;
    }
    // A and D set by the hart (4.3.2 step 7, Svadu behaviour).
    const uint64_t updated = pte | kPteA | (acc == Access::Store ? kPteD : 0);
    if (updated != pte) {
      if (!span.writable) {
        fault_cause_ = access_fault_cause(acc);
        return false;
      }
      // Through the address space, so that a PTE in a page with decoded code invalidates it.
      if (as_.store(pte_addr, 8, updated) != MemTxResult::Ok) {
        after_slow_access();
        fault_cause_ = access_fault_cause(acc);
        return false;
      }
      after_slow_access();
    }
    const uint64_t offset_mask = (1ull << shift) - 1;
    pa = ((ppn << kPageShift) & ~offset_mask) | (va & offset_mask);
    return true;
  }
  fault_cause_ = page_fault_cause(acc);  // no leaf at level 0
  return false;
}

bool Cpu::Impl::fetch_walk(uint64_t va, uint64_t& pa) {
  if (!translate(va, Access::Fetch, pa)) return false;
  FetchTlbEntry& e = tlb_fetch_[(va >> kPageShift) % kFetchTlbSize];
  e.vpage = va & kPageMask;
  e.ppage = pa & kPageMask;
  return true;
}

bool Cpu::Impl::fetch_half(uint64_t va, uint64_t& half) {
  uint64_t pa;
  if (!fetch_paddr(va, pa)) return false;
  fault_cause_ = kExcInsnAccessFault;
  if (!all_mapped(pa, 2)) {
    fault_addr_ = va + (fault_addr_ - pa);
    return false;
  }
  const MemTxResult r = as_.load(pa, 2, half);
  after_slow_access();
  if (r != MemTxResult::Ok) {
    fault_addr_ = va;
    return false;
  }
  return true;
}

}  // namespace glassvm
