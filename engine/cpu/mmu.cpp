// Address translation: the Sv39/Sv48 page-table walk (privileged spec 4.3.2, 4.4, 4.5), who
// translates (satp.MODE, the privilege, mstatus.MPRV/MPP/SUM/MXR), and the fetch TLB.
//
// Design note: the data TLB (CpuState::tlb_sets_) and the fetch TLB (TlbSetInfo::fetch) hold
// virtual-to-host translations filled under one translation context: the fetch privilege, the
// data privilege (MPRV), satp.MODE and whether PMP checks apply (mmu_key_). Like QEMU's
// mmu_idx, the TLBs come in sets, one per context: U-mode's and S-mode's. A trap from U to S
// and the SRET back only switch which set is active (CpuState::tlb_, the pointer the hit paths
// index), so a syscall or an interrupt taken in U empties nothing and the process finds its
// entries again on return. Switching is a pointer store: parking a set costs nothing, so
// nothing is copied (swapping contents in and out of one fixed set cost more, per syscall, than
// the refills it saved); the hit path pays one load of tlb_, off its critical path. M-mode has
// no set of its own: a switch to or from an M-mode context empties every set, as every context
// change used to (traps to M are rare, and firmware that edits page tables there is then never
// surprised by a stale entry); M-mode without translation and without a locked PMP entry is the
// "bare" context, so M-mode code never pays for a flush. Everything that drops entries reaches
// every set in use (for_each_tlb_set): SFENCE.VMA (S fences for U), satp writes, PMP writes
// (flush_translation), code pages' write protection. SUM and MXR are not part of the context:
// setting one only widens what a walk allows, and each entry records in its TlbTag whether it
// needed SUM (an S access to a U page) or MXR (a load from an execute-only page); clearing one
// drops exactly those entries of the active set (each set lists its few relying entries, so
// Linux's SUM clear after each copy from user memory costs no search), and a parked set is
// checked when it is activated again. The ASID and root of satp are not part of the context either:
// each entry carries a TlbTag (ASID, global, leaf size) beside it, outside the hit path, which satp
// writes and SFENCE.VMA use to drop exactly the entries they concern; entries of another ASID never
// survive a satp write (in any set), so a hit never needs to compare ASIDs. A read entry is
// filled only after a walk for a load, a write entry only after a walk for a store (so the leaf
// had W and now has D set): a TLB hit never skips a permission check or an A/D update. Decoded
// code is keyed by physical page (code_page_for), so aliases share it and a remap never runs
// stale code.
//
// PTEs are read from memory only, RAM or ROM (as QEMU's walker does): a walk that meets a PTE
// address anywhere else, such as a device's registers (or an A/D update that meets read-only
// memory), is an access fault of the original access type, as the spec says for PMA
// violations during the walk. The single hart makes each walk's A/D update
// atomic with respect to the walk.
#include <algorithm>
#include <cstring>

#include "engine/cpu/cpu.h"
#include "engine/cpu/cpu_internal.h"
#include "engine/cpu/pte.h"

namespace glassvm {

void Cpu::Impl::mmu_update() {
  const uint64_t mode = satp_ >> kSatpModeShift;
  data_priv_ = priv_;
  if (priv_ == PrivLevel::Machine && (mstatus_ & kMstatusMPRV)) {
    data_priv_ = static_cast<PrivLevel>((mstatus_ & kMstatusMPP) >> kMstatusMPPShift);
  }
  fetch_translated_ = mode != kSatpModeBare && priv_ != PrivLevel::Machine;
  data_translated_ = mode != kSatpModeBare && data_priv_ != PrivLevel::Machine;
  pmp_fetch_check_ = priv_ != PrivLevel::Machine || pmp_m_checked_;
  pmp_data_check_ = data_priv_ != PrivLevel::Machine || pmp_m_checked_;
  fetch_via_tlb_ = fetch_translated_ || pmp_fetch_check_;
  uint64_t key = 0;
  if (fetch_translated_ || data_translated_ || pmp_fetch_check_ || pmp_data_check_) {
    key = 1 | (fetch_translated_ ? 2 : 0) | (data_translated_ ? 4 : 0) |
          static_cast<uint64_t>(priv_) << 3 | static_cast<uint64_t>(data_priv_) << 5 |
          (pmp_fetch_check_ ? 1u << 7 : 0) | (pmp_data_check_ ? 1u << 8 : 0) | mode << 9;
  }
  if (key != mmu_key_) switch_tlb_set(key);
  // SUM and MXR are not part of the key: setting one only widens what loads may do, so
  // entries filled without it stay right; clearing one drops the entries that needed it (Linux
  // sets SUM around each copy from user memory). A parked set is checked when it comes back.
  const uint8_t allowed = ((mstatus_ & kMstatusSUM) ? kTlbReliesSum : 0) |
                          ((mstatus_ & kMstatusMXR) ? kTlbReliesMxr : 0);
  if (tlb_info_->relies & ~allowed) {
    drop_relying(static_cast<uint8_t>(tlb_info_->relies & ~allowed));
  }
}

namespace {

/// Whether translation context `key` (Impl::mmu_key_) is M-mode's: bare, or fetch privilege M.
bool machine_context(uint64_t key) {
  return key == 0 || ((key >> 3) & 3) == static_cast<uint64_t>(PrivLevel::Machine);
}

}  // namespace

void Cpu::Impl::switch_tlb_set(uint64_t key) {
  if (machine_context(key) || machine_context(mmu_key_)) {
    flush_translation();  // counts itself
    mmu_key_ = key;
    return;
  }
  // Park the active set under its context and activate the set of `key`: it is the other
  // set (S and U take turns), or the other set starts empty.
  const auto active = static_cast<unsigned>(tlb_ - tlb_sets_);
  const unsigned next = (active + 1) % kTlbSets;
  static_assert(kTlbSets == 2, "with more sets, pick the set of `key` or the oldest here");
  TlbSetInfo& info = tlb_set_info_[next];
  if (info.key != key) {
    // The other of S and U for the first time since a flush. (Below M, keys differ only in
    // the privilege while satp.MODE and PMP stay, and changing those flushes, so a parked set
    // of a third context is never lost in practice.)
    if (info.key != kTlbNoKey) {
      ++tlb_stats_.data.flushes;
      ++tlb_stats_.fetch.flushes;
    }
    clear_tlb_set(next);
  }
  tlb_set_info_[active].key = mmu_key_;
  info.key = kTlbNoKey;  // unused while active
  tlb_ = &tlb_sets_[next];
  tlb_info_ = &info;
  mmu_key_ = key;
  // The reservation's page must stay out of the write TLB (exec_amo dropped it from the set
  // that was active at the LR).
  if (resv_valid_) {
    TlbEntry& e = tlb_->write[(resv_addr_ >> kPageShift) % kTlbSize];
    if (e.tag == (resv_addr_ & kPageMask)) e = TlbEntry{};
  }
}

void Cpu::Impl::clear_tlb_set(unsigned i) {
  for (auto& e : tlb_sets_[i].read) e = TlbEntry{};
  for (auto& e : tlb_sets_[i].write) e = TlbEntry{};
  TlbSetInfo& info = tlb_set_info_[i];
  for (auto& e : info.fetch) e = FetchTlbEntry{};
  info.superpage_spans = 0;
  info.relies = 0;
  info.relying_count = 0;
}

void Cpu::Impl::note_superpage(uint64_t va) {
  TlbSetInfo& info = *tlb_info_;
  const uint64_t size = uint64_t{1} << walk_tag_.leaf_shift;
  const uint64_t lo = va & ~(size - 1), last = lo + (size - 1);
  // How far span `s` is from the superpage: 0 when they overlap, 1 when they touch.
  auto gap = [&](const VaSpan& s) {
    return last < s.lo ? s.lo - last : s.last < lo ? lo - s.last : 0;
  };
  auto widen = [&](VaSpan& s) {
    s.lo = std::min(s.lo, lo);
    s.last = std::max(s.last, last);
  };
  VaSpan* spans = info.superpages;
  const unsigned n = info.superpage_spans;
  // Into a span it overlaps or touches (the usual case: the next superpage of a mapping) ...
  for (unsigned k = 0; k < n; ++k) {
    if (gap(spans[k]) <= 1) return widen(spans[k]);
  }
  // ... else a span of its own, or, when all are taken, the nearest span grows over it: the
  // spans only ever cover more than the superpages, which costs a fence a longer search.
  if (n < kTlbSuperpageSpans) {
    spans[n] = VaSpan{lo, last};
    info.superpage_spans = static_cast<uint8_t>(n + 1);
    return;
  }
  unsigned nearest = 0;
  for (unsigned k = 1; k < n; ++k) {
    if (gap(spans[k]) < gap(spans[nearest])) nearest = k;
  }
  widen(spans[nearest]);
}

void Cpu::Impl::note_relying(unsigned slot) {
  TlbSetInfo& info = *tlb_info_;
  info.relies |= walk_tag_.relies;
  const unsigned n = info.relying_count;
  if (n > kTlbMaxRelying) return;
  for (unsigned k = 0; k < n; ++k) {
    if (info.relying[k] == slot) return;
  }
  if (n == kTlbMaxRelying) {
    info.relying_count = kTlbMaxRelying + 1;
    return;
  }
  info.relying[n] = static_cast<uint16_t>(slot);
  info.relying_count = static_cast<uint8_t>(n + 1);
}

void Cpu::Impl::drop_relying(uint8_t mask) {
  ++tlb_stats_.data.flushes;  // fetch entries never rely on SUM or MXR
  TlbSetInfo& info = *tlb_info_;
  // Drop what relied on `mask` and list again what still relies on something else, so that
  // the list stays complete (a refilled slot's tag describes its new entry).
  uint8_t left = 0;
  unsigned kept = 0;
  auto visit = [&](unsigned slot) {
    const bool write = slot >= kTlbSize;
    const unsigned i = slot % kTlbSize;
    TlbEntry& e = write ? tlb_->write[i] : tlb_->read[i];
    const uint8_t relies = (write ? info.write_tag[i] : info.read_tag[i]).relies;
    if (e.tag == ~uint64_t{0} || relies == 0) return;
    if (relies & mask) {
      e = TlbEntry{};
      return;
    }
    left |= relies;
    if (kept < kTlbMaxRelying) info.relying[kept] = static_cast<uint16_t>(slot);
    ++kept;
  };
  if (info.relying_count <= kTlbMaxRelying) {
    // In place: entry k is read before anything is written at kept <= k.
    const unsigned n = info.relying_count;
    for (unsigned k = 0; k < n; ++k) visit(info.relying[k]);
  } else {
    for (unsigned slot = 0; slot < 2 * kTlbSize; ++slot) visit(slot);
  }
  info.relying_count = static_cast<uint8_t>(kept > kTlbMaxRelying ? kTlbMaxRelying + 1 : kept);
  info.relies = left;
}

void Cpu::Impl::flush_non_global() {
  ++tlb_stats_.data.flushes;
  ++tlb_stats_.fetch.flushes;
  for_each_tlb_set([](TlbSet& set, TlbSetInfo& info) {
    for (unsigned i = 0; i < kTlbSize; ++i) {
      if (!info.read_tag[i].global) set.read[i] = TlbEntry{};
      if (!info.write_tag[i].global) set.write[i] = TlbEntry{};
    }
    for (auto& e : info.fetch) {
      if (!e.info.global) e = FetchTlbEntry{};
    }
  });
}

namespace {

/// Whether an entry for virtual page `vpage` tagged `tag` is one SFENCE.VMA must drop.
bool fenced(uint64_t vpage, const TlbTag& tag, uint64_t va, bool by_va, uint16_t asid,
            bool by_asid) {
  if (by_va && ((vpage ^ va) >> tag.leaf_shift) != 0) return false;
  return !by_asid || (!tag.global && tag.asid == asid);
}

}  // namespace

void Cpu::Impl::sfence(uint64_t va, bool by_va, uint16_t asid, bool by_asid) {
  if (!by_va && !by_asid) {
    flush_translation();  // counts itself
    return;
  }
  ++tlb_stats_.data.flushes;
  ++tlb_stats_.fetch.flushes;
  // Every set: S-mode fences for the U-mode set too.
  for_each_tlb_set([&](TlbSet& set, TlbSetInfo& info) {
    auto drop_data = [&](unsigned i) {
      if (set.read[i].tag != ~uint64_t{0} &&
          fenced(set.read[i].tag, info.read_tag[i], va, by_va, asid, by_asid)) {
        set.read[i] = TlbEntry{};
      }
      if (set.write[i].tag != ~uint64_t{0} &&
          fenced(set.write[i].tag, info.write_tag[i], va, by_va, asid, by_asid)) {
        set.write[i] = TlbEntry{};
      }
    };
    auto drop_fetch = [&](FetchTlbEntry& e) {
      if (e.vpage != ~uint64_t{0} && fenced(e.vpage, e.info, va, by_va, asid, by_asid)) {
        e = FetchTlbEntry{};
      }
    };
    // A 4 KiB page lives in one slot of each TLB; slices of a superpage may sit anywhere, but
    // only the superpage that holds `va` matters.
    auto in_superpage = [&] {
      return std::any_of(info.superpages, info.superpages + info.superpage_spans,
                         [va](const VaSpan& s) { return va - s.lo <= s.last - s.lo; });
    };
    if (by_va && !in_superpage()) {
      drop_data(static_cast<unsigned>((va >> kPageShift) % kTlbSize));
      drop_fetch(info.fetch[(va >> kPageShift) % kFetchTlbSize]);
      return;
    }
    for (unsigned i = 0; i < kTlbSize; ++i) drop_data(i);
    for (auto& e : info.fetch) drop_fetch(e);
  });
}

bool Cpu::Impl::translate(uint64_t va, Access acc, uint64_t& pa) {
  fault_addr_ = va;
  const PrivLevel priv = acc == Access::Fetch ? priv_ : data_priv_;
  return walk(va, acc, priv, pa, nullptr);
}

// The walk of privileged spec 4.3.2 for translate() (trace == nullptr: sets A/D, records the
// fault cause and the TLB tag) and for the debugger (trace given: reads only, and tells each
// level and the reason of a fault in the trace instead).
bool Cpu::Impl::walk(uint64_t va, Access acc, PrivLevel priv, uint64_t& pa, PageWalk* trace) {
  auto fail = [&](uint64_t cause, const char* why) {
    if (trace) {
      trace->fault_cause = cause;
      trace->why = why;
    } else {
      fault_cause_ = cause;
    }
    return false;
  };
  const unsigned levels = (satp_ >> kSatpModeShift) == kSatpModeSv48 ? 4 : 3;
  const unsigned va_bits = kPageShift + 9 * levels;
  // Bits 63:va_bits must equal bit va_bits-1 (4.3.1, 4.4.1).
  const auto sva = static_cast<int64_t>(va);
  if (static_cast<int64_t>(va << (64 - va_bits)) >> (64 - va_bits) != sva) {
    return fail(page_fault_cause(acc), "the address is not sign-extended from its top VA bit");
  }
  uint64_t table = (satp_ & kSatpPpnMask) << kPageShift;
  bool global = false;
  for (int level = static_cast<int>(levels) - 1; level >= 0; --level) {
    const unsigned shift = kPageShift + 9 * static_cast<unsigned>(level);
    const uint64_t pte_addr = table + ((va >> shift) & 511) * 8;
    RamSpan span;
    if (!as_.lookup_ram(pte_addr, span) || span.len < 8 || pte_addr - span.start > span.len - 8) {
      return fail(access_fault_cause(acc), "the PTE is not in RAM");
    }
    // The walker's accesses are S-mode accesses for PMP (3.7.1), whatever the mode.
    if (!pmp_allows(pte_addr, 8, PrivLevel::Supervisor, kPmpCfgR)) {
      return fail(access_fault_cause(acc), "PMP denies the walker's read of the PTE");
    }
    uint8_t* host = span.host + (pte_addr - span.start);
    uint64_t pte;
    std::memcpy(&pte, host, 8);
    if (trace) trace->steps.push_back({static_cast<unsigned>(level), pte_addr, pte});
    if (!(pte & kPteV)) return fail(page_fault_cause(acc), "the PTE is not valid (V=0)");
    if ((pte & kPteW) && !(pte & kPteR)) {
      return fail(page_fault_cause(acc), "W without R is reserved");
    }
    // N (Svnapot), PBMT (Svpbmt) and the reserved bits: this hart has neither extension, so
    // a leaf or pointer with any of them set is a page fault.
    if ((pte >> kPteReservedShift) != 0) {
      return fail(page_fault_cause(acc), "reserved bits 63:54 are set");
    }
    const uint64_t ppn = pte_ppn(pte);
    global = global || (pte & kPteG);  // G in a pointer makes everything below it global
    if (!(pte & (kPteR | kPteX))) {    // a pointer to the next level
      // D, A and U are reserved in pointers (4.3.1); like Spike and QEMU, fault on them.
      if (pte & (kPteD | kPteA | kPteU)) {
        return fail(page_fault_cause(acc), "D, A or U set in a pointer to the next level");
      }
      table = ppn << kPageShift;
      continue;
    }
    // A leaf: superpage alignment, then permissions (4.3.2 steps 5-6).
    const uint64_t low_ppn = (1ull << (9 * static_cast<unsigned>(level))) - 1;
    if ((ppn & low_ppn) != 0) return fail(page_fault_cause(acc), "misaligned superpage");
    if (priv == PrivLevel::User && !(pte & kPteU)) {
      return fail(page_fault_cause(acc), "a user access to a supervisor page (U=0)");
    }
    if (priv != PrivLevel::User && (pte & kPteU)) {  // only data, only with SUM
      if (acc == Access::Fetch) {
        return fail(page_fault_cause(acc), "a supervisor fetch from a user page (U=1)");
      }
      if (!(mstatus_ & kMstatusSUM)) {
        return fail(page_fault_cause(acc), "a supervisor access to a user page without SUM");
      }
    }
    switch (acc) {
      case Access::Fetch:
        if (!(pte & kPteX)) return fail(page_fault_cause(acc), "the page is not executable");
        break;
      case Access::Load:
        if (!(pte & kPteR) && !((mstatus_ & kMstatusMXR) && (pte & kPteX))) {
          return fail(page_fault_cause(acc), "the page is not readable (R=0, and not X with MXR)");
        }
        break;
      case Access::Store:
        if (!(pte & kPteW)) return fail(page_fault_cause(acc), "the page is not writable");
        break;
    }
    // A and D set by the hart (4.3.2 step 7, Svadu behaviour).
    const uint64_t updated = pte | kPteA | (acc == Access::Store ? kPteD : 0);
    if (updated != pte) {
      if (!span.writable || !pmp_allows(pte_addr, 8, PrivLevel::Supervisor, kPmpCfgW)) {
        return fail(access_fault_cause(acc), "the PTE cannot be written to set A/D");
      }
      if (trace) {
        trace->sets_ad = updated & ~pte;
      } else {
        // Through the address space, so that a PTE in a page with decoded code invalidates it.
        if (as_.store(pte_addr, 8, updated) != MemTxResult::Ok) {
          after_slow_access();
          return fail(access_fault_cause(acc), "the PTE cannot be written to set A/D");
        }
        after_slow_access();
      }
    }
    const uint64_t offset_mask = (1ull << shift) - 1;
    pa = ((ppn << kPageShift) & ~offset_mask) | (va & offset_mask);
    if (trace) {
      trace->leaf_shift = shift;
      return true;
    }
    // What a TLB entry of this walk relies on (an S-mode fetch of a U page faulted above).
    const uint8_t relies =
        static_cast<uint8_t>((priv != PrivLevel::User && (pte & kPteU) ? kTlbReliesSum : 0) |
                             (acc == Access::Load && !(pte & kPteR) ? kTlbReliesMxr : 0));
    walk_tag_ = TlbTag{satp_asid(), global, static_cast<uint8_t>(shift), relies};
    return true;
  }
  return fail(page_fault_cause(acc), "no leaf PTE by level 0");
}

PageWalk Cpu::walk_page_tables(uint64_t va, Access access) const {
  Impl& h = *impl_;
  PageWalk w;
  w.va = va;
  w.access = access;
  w.priv = access == Access::Fetch ? h.priv_ : h.data_priv_;
  if (!(access == Access::Fetch ? h.fetch_translated_ : h.data_translated_)) {
    w.ok = true;
    w.pa = va;
    return w;
  }
  w.paged = true;
  w.levels = (h.satp_ >> kSatpModeShift) == kSatpModeSv48 ? 4 : 3;
  w.root = (h.satp_ & kSatpPpnMask) << kPageShift;
  w.ok = h.walk(va, access, w.priv, w.pa, &w);
  return w;
}

bool Cpu::Impl::fetch_walk(uint64_t va, uint64_t& pa) {
  ++tlb_stats_.fetch.misses;
  if (fetch_translated_) {
    if (!translate(va, Access::Fetch, pa)) return false;
  } else {
    pa = va;
    walk_tag_ = TlbTag{0, true, static_cast<uint8_t>(kPageShift)};
  }
  if (pmp_fetch_check_ && !pmp_allows(pa & kPageMask, kPageSize, priv_, kPmpCfgX)) {
    // PMP does not decide the whole page one way: check each fetch, never cache the page.
    if (!pmp_allows(pa, 2, priv_, kPmpCfgX)) {
      fault_cause_ = kExcInsnAccessFault;
      fault_addr_ = va;
      return false;
    }
    force_uncached_ = true;
    return true;
  }
  FetchTlbEntry& e = tlb_info_->fetch[(va >> kPageShift) % kFetchTlbSize];
  e.vpage = va & kPageMask;
  e.ppage = pa & kPageMask;
  e.info = walk_tag_;
  if (walk_tag_.leaf_shift > kPageShift) note_superpage(va);
  ++tlb_stats_.fetch.refills;
  return true;
}

bool Cpu::Impl::fetch_half(uint64_t va, uint64_t& half) {
  uint64_t pa;
  if (!fetch_paddr(va, pa)) return false;
  fault_cause_ = kExcInsnAccessFault;
  if (pmp_fetch_check_ && !pmp_allows(pa, 2, priv_, kPmpCfgX)) {
    fault_addr_ = va;
    return false;
  }
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
