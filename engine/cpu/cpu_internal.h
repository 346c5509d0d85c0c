// Internals of the hart: the state behind Cpu, shared by cpu.cpp (memory paths, code cache),
// csr.cpp (CSR file), trap.cpp (traps, interrupts, xRET, atomics), helpers.cpp (the entry
// points generated code calls) and interp.cpp (the interpreter loop). The architectural
// state itself is the CpuState base (cpu_state.h), public so that generated code can use it.
//
// Design note: the interpreter never decodes in its hot loop. Each 4 KiB physical code page
// gets a CodePage (the outer loop translates the virtual pc first, mmu.cpp): one pre-decoded Insn
// per 2-byte slot, decoded lazily the first time the slot is executed, followed by two sentinel
// slots that leave the page. Data accesses go through a direct-mapped software TLB of RAM pages
// (separate read and write entries, one set per translation context: mmu.cpp); a page that
// holds decoded code is never in the write TLB of any set, so every store into code takes the
// slow path, goes through AddressSpace::store and reaches our code-write hook, which marks the
// decoded page stale. Stale pages are re-decoded when next entered, never freed under the
// running loop.
//
// The cache is bounded (kMaxCodePages): past the bound, a clock with one "referenced" bit per
// page picks a victim whose memory is reused for the new page. Eviction happens only in
// code_page_for(), which only the outer loop calls, so the inner loop's page is never taken
// from under it; the victim leaves pages_, code_by_region_ and the page cache together.
//
// Slow data accesses check that every byte is mapped before performing anything, so that a
// misaligned store straddling into unmapped space writes nothing and mtval names the first
// unmapped byte (the faulting portion).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/base/page.h"
#include "engine/cpu/cpu.h"
#include "engine/cpu/cpu_state.h"
#include "engine/cpu/decode.h"
#include "engine/cpu/executor.h"
#include "engine/cpu/helpers.h"
#include "engine/memory/memory.h"

namespace glassvm {

inline constexpr unsigned kSlotsPerPage = kPageSize / 2;

/// Internal operations beyond Op, used only inside the code cache.
enum : uint8_t {
  kOpNotDecoded = static_cast<uint8_t>(Op::Count),  ///< slot not decoded yet
  kOpExitBlock,       ///< sentinel: leave the page and look the pc up again
  kOpCrossPage,       ///< a 32-bit instruction straddling the page end: fetch it uncached
  kOpJumpMisaligned,  ///< a branch/JAL whose target is not 4-byte aligned while misa.C = 0
  kOpCount
};

/// One pre-decoded instruction (16 bytes). x0 as a destination is remapped to the sink
/// register 32 so that handlers write unconditionally.
struct Insn {
  uint8_t op = kOpNotDecoded;
  uint8_t rd = 0;
  uint8_t rs1 = 0;
  uint8_t rs2 = 0;
  uint8_t len = 0;
  uint8_t aux = 0;  ///< aq/rl bits; F/D: the rm field; for kOpJumpMisaligned the original Op
  uint8_t rs3 = 0;  ///< F/D fused multiply-add: the addend register
  uint8_t pad = 0;
  int32_t imm = 0;  ///< every RV64GC immediate fits in 32 bits
  uint32_t raw = 0;
};
static_assert(sizeof(Insn) == 16);

/// Decoded code of one physical page.
struct CodePage {
  uint64_t guest_page = 0;        ///< the PHYSICAL page: aliases share decoded code
  const uint8_t* host = nullptr;  ///< host memory of the page
  MemoryRegion* mr = nullptr;
  uint64_t region_page = 0;  ///< offset of the page inside mr
  bool stale = false;        ///< the page was written: re-decode before running it again
  bool referenced = false;   ///< entered since the eviction clock last passed (second chance)
  ExecPage exec;             ///< the executor's translation of this page (Cpu::set_executor)
  Insn slots[kSlotsPerPage + 2];
};

inline constexpr unsigned kPageCacheSize = 64;
/// The code cache holds at most this many decoded pages: 512 x 32 KiB = 16 MiB of host memory
/// for 2 MiB of guest code, more than a booted Linux keeps hot, and far less than one
/// CodePage per executed page of a large RAM would take.
inline constexpr size_t kMaxCodePages = 512;

// mstatus fields (privileged spec 3.1.6).
inline constexpr uint64_t kMstatusSIE = 1ull << 1;
inline constexpr uint64_t kMstatusMIE = 1ull << 3;
inline constexpr uint64_t kMstatusSPIE = 1ull << 5;
inline constexpr uint64_t kMstatusMPIE = 1ull << 7;
inline constexpr uint64_t kMstatusSPP = 1ull << 8;
inline constexpr unsigned kMstatusMPPShift = 11;
inline constexpr uint64_t kMstatusMPP = 3ull << kMstatusMPPShift;
inline constexpr uint64_t kMstatusMPRV = 1ull << 17;
inline constexpr uint64_t kMstatusSUM = 1ull << 18;
inline constexpr uint64_t kMstatusMXR = 1ull << 19;
inline constexpr uint64_t kMstatusTVM = 1ull << 20;
inline constexpr uint64_t kMstatusTW = 1ull << 21;
inline constexpr uint64_t kMstatusTSR = 1ull << 22;
inline constexpr uint64_t kMstatusUXL = 3ull << 32;
inline constexpr uint64_t kMstatusSXL = 3ull << 34;

inline constexpr unsigned kMstatusFSShift = 13;
inline constexpr uint64_t kMstatusFS = 3ull
                                       << kMstatusFSShift;  ///< Off 0, Initial 1, Clean 2, Dirty 3
inline constexpr uint64_t kMstatusSD = 1ull << 63;          ///< read-only: FS (or XS/VS) is Dirty

inline constexpr uint64_t kMisaC = 1ull << ('C' - 'A');
inline constexpr uint64_t kMisaF = 1ull << ('F' - 'A');
inline constexpr uint64_t kMisaD = 1ull << ('D' - 'A');

/// The access-fault cause of an access of kind `acc` (privileged spec 3.1.15).
constexpr uint64_t access_fault_cause(Access acc) {
  return acc == Access::Fetch  ? kExcInsnAccessFault
         : acc == Access::Load ? kExcLoadAccessFault
                               : kExcStoreAccessFault;
}
/// The page-fault cause of an access of kind `acc` (privileged spec 3.1.15).
constexpr uint64_t page_fault_cause(Access acc) {
  return acc == Access::Fetch  ? kExcInsnPageFault
         : acc == Access::Load ? kExcLoadPageFault
                               : kExcStorePageFault;
}

// satp (privileged spec 4.1.11, RV64).
inline constexpr unsigned kSatpModeShift = 60;
inline constexpr uint64_t kSatpModeBare = 0, kSatpModeSv39 = 8, kSatpModeSv48 = 9;
inline constexpr uint64_t kSatpPpnMask = (1ull << 44) - 1;
inline constexpr uint64_t kSatpAsidMask = 0xffffull << 44;

/// What a TLB entry was filled under, for SFENCE.VMA by address and ASID (privileged spec
/// 4.2.1): the ASID, whether the mapping is global, and the size of the leaf (a 4 KiB slice of
/// a superpage must go when any address of the superpage is fenced).
struct TlbTag {
  uint16_t asid = 0;
  bool global = false;
  uint8_t leaf_shift = 12;  ///< log2 of the leaf's size: 12, 21, 30 or 39
  uint8_t relies = 0;       ///< kTlbReliesSum | kTlbReliesMxr: what the walk needed from mstatus
};
/// What a TLB entry relies on beyond its context's key (TlbTag::relies): clearing mstatus.SUM
/// or MXR drops exactly the entries that relied on it (mmu.cpp).
inline constexpr uint8_t kTlbReliesSum = 1;  ///< an S-mode access to a U page
inline constexpr uint8_t kTlbReliesMxr = 2;  ///< a load from an executable, unreadable page
/// Relying entries a set lists (TlbSetInfo::relying): Linux relies on SUM for the one or two
/// user pages a syscall copies, so clearing SUM visits these instead of the whole set.
inline constexpr unsigned kTlbMaxRelying = 8;

/// Virtual address ranges a set's superpage slices lie in (TlbSetInfo::superpages), so that
/// SFENCE.VMA of an address outside them visits the address's own slots only. A few suffice:
/// Linux maps its image and the linear map with superpages, nothing else during a boot.
inline constexpr unsigned kTlbSuperpageSpans = 4;
struct VaSpan {
  uint64_t lo = 0, last = 0;  ///< inclusive
};

/// One entry of the fetch TLB: virtual page `vpage` is physical page `ppage`.
struct FetchTlbEntry {
  uint64_t vpage = ~uint64_t{0};
  uint64_t ppage = 0;
  TlbTag info;
};
inline constexpr unsigned kFetchTlbSize = 64;

/// TlbSetInfo::key of a set that is free (no translation context has this key).
inline constexpr uint64_t kTlbNoKey = ~uint64_t{0};

/// What the slow paths keep beside each data TLB set (CpuState::tlb_sets_[i]): the entries'
/// tags, the fetch TLB of the same context, and what the set was filled under. The hit paths
/// never read it.
struct TlbSetInfo {
  uint64_t key = kTlbNoKey;  ///< context of a parked set (Impl::mmu_key_), kTlbNoKey: free;
                             ///< unused while the set is the active one
  TlbTag read_tag[kTlbSize];
  TlbTag write_tag[kTlbSize];
  FetchTlbEntry fetch[kFetchTlbSize];
  /// Ranges that hold every superpage some entry is a slice of (merged, so perhaps more).
  VaSpan superpages[kTlbSuperpageSpans];
  uint8_t superpage_spans = 0;  ///< how many of superpages[] are in use
  uint8_t relies = 0;           ///< OR of the data entries' TlbTag::relies (or more)
  /// How many relying[] holds; kTlbMaxRelying + 1: more entries rely, search the whole set.
  uint8_t relying_count = 0;
  /// Data entries whose TlbTag::relies is not 0 (or that were refilled since): read entry i
  /// as i, write entry i as kTlbSize + i.
  uint16_t relying[kTlbMaxRelying] = {};
};

// Physical memory protection (privileged spec 3.7): the CSR table has 64 entries, all
// implemented. pmpcfg bits: R, W, X, A (bits 4:3), L.
inline constexpr unsigned kPmpEntries = 64;
inline constexpr uint8_t kPmpCfgR = 1, kPmpCfgW = 2, kPmpCfgX = 4, kPmpCfgL = 0x80;
/// One active PMP entry, decoded: it matches bytes lo..last (inclusive).
struct PmpRange {
  uint64_t lo = 0, last = 0;
  uint8_t cfg = 0;
};

// menvcfg (privileged spec 3.1.18): FIOM, and STCE (Sstc) when the hart has Sstc.
inline constexpr uint64_t kEnvcfgFiom = 1;
inline constexpr uint64_t kMenvcfgStce = 1ull << 63;

struct Cpu::Impl final : CpuState, MemoryListener {
  Impl(Cpu& owner, AddressSpace& as, uint64_t hartid, const HartConfig& config);
  ~Impl() override;

  Cpu& owner_;
  AddressSpace& as_;
  const uint64_t hartid_;

  // The architectural state, counters, run flags and the data TLB are CpuState's members.

  // -- CSR file (csr.cpp): the hart's configuration, and the two sources of mip --
  // mip_ stays the value the interrupt logic uses; it is recomputed from these (update_mip).
  const HartConfig config_;
  uint64_t mip_lines_ = 0;  ///< levels of the lines driven by set_interrupt_pending
  uint64_t mip_soft_ = 0;   ///< the software-writable mip bits (SSIP, STIP, SEIP with S-mode)

  // -- Code cache --
  uint64_t generation_ = 0;
  struct PageCacheEntry {
    uint64_t tag = ~uint64_t{0};
    CodePage* page = nullptr;
  };
  PageCacheEntry page_cache_[kPageCacheSize];
  std::vector<std::unique_ptr<CodePage>> code_pool_;  ///< every live page, in clock order
  size_t clock_hand_ = 0;                             ///< next eviction candidate in code_pool_
  uint64_t code_evictions_ = 0;
  std::unordered_map<uint64_t, CodePage*> pages_;  ///< guest page -> its decoded page
  std::map<std::pair<MemoryRegion*, uint64_t>, std::vector<uint64_t>> code_by_region_;
  std::vector<std::pair<MemoryRegion*, int>> code_hooks_;
  std::unique_ptr<CodePage> scratch_;  ///< for instructions that cannot be cached
  BlockExecutor* executor_ = nullptr;  ///< offered every block before the interpreter runs it
  /// Tells the executor that page's code is gone (before the CodePage is reused or freed).
  void release_exec(CodePage& page) {
    if (executor_ != nullptr && page.exec.handle != 0) executor_->release(page.exec);
    page.exec.handle = 0;
  }

  // -- MMU (mmu.cpp): what the data TLB and the fetch TLB were filled under --
  bool fetch_translated_ = false;             ///< fetches go through satp's page tables
  bool data_translated_ = false;              ///< loads and stores do (MPRV included)
  PrivLevel data_priv_ = PrivLevel::Machine;  ///< the privilege loads and stores are checked at
  uint64_t mmu_key_ = 0;  ///< the translation context of the active set (0: bare, no PMP check)
  bool fetch_via_tlb_ = false;            ///< fetches go through the fetch TLB (translation or PMP)
  TlbSetInfo tlb_set_info_[kTlbSets];     ///< beside CpuState::tlb_sets_[i]
  TlbSetInfo* tlb_info_ = tlb_set_info_;  ///< beside the active set (CpuState::tlb_)
  TlbTag walk_tag_;                       ///< what the last successful translate() found
  TlbStats tlb_stats_;

  // -- PMP (pmp.cpp) --
  std::vector<PmpRange> pmp_ranges_;  ///< the active entries, lowest-numbered first
  bool pmp_m_checked_ = false;        ///< some active entry is locked: M-mode is checked too
  bool pmp_fetch_check_ = false;      ///< fetches at priv_ are PMP-checked
  bool pmp_data_check_ = false;       ///< loads and stores at data_priv_ are PMP-checked

  // -- Sstc (csr_table.cpp): STIP follows time >= stimecmp while stimecmp drives it --
  bool sbi_timer_ = false;     ///< set_supervisor_timer() was used: stimecmp drives STIP
  bool stimer_level_ = false;  ///< time >= stimecmp at the last evaluation
  std::function<void(uint64_t)> timer_compare_listener_;

  // -- Embedder hooks --
  std::function<uint64_t()> time_source_;
  std::function<void(const TrapEvent&)> trap_hook_;
  std::function<void(uint64_t, const DecodedInsn&)> decode_hook_;
  std::function<bool(Cpu&)> ecall_hook_;
  bool in_ecall_hook_ = false;  ///< the ecall hook is running: set_ecall_return() is allowed
  std::optional<uint64_t> ecall_return_;  ///< where set_ecall_return() sends the hart

  // cpu.cpp: reset, memory paths, code cache.
  void reset(uint64_t pc);
  /// Data accesses of any alignment. On failure they return false, perform nothing (a store
  /// writes no byte) and leave in fault_addr_ the address of the portion that faulted: the
  /// first byte of the access that no flat range holds, else the access's address (what
  /// mtval reports, privileged spec 3.1.16).
  /// Under translation `addr` is virtual, faults may be page faults (fault_cause_ says which)
  /// and mtval is virtual. `acc` = Store makes a load check store permission (AMOs).
  bool mem_load(uint64_t addr, unsigned size, uint64_t& value, Access acc = Access::Load);
  bool mem_store(uint64_t addr, unsigned size, uint64_t value);
  /// Physical halves of mem_load/mem_store under translation: `va` is what faults report.
  bool phys_load(uint64_t va, uint64_t pa, unsigned size, uint64_t& value, Access acc);
  bool phys_store(uint64_t va, uint64_t pa, unsigned size, uint64_t value);
  /// Fills the read or write TLB entry of virtual `va` with physical `pa` when that page is
  /// plain RAM (for writes: writable, no decoded code, no reservation); its host address.
  uint8_t* fill_data_tlb(uint64_t va, uint64_t pa, bool write);
  /// Whether every byte of [addr, addr + size) lies in some flat range; if not, sets
  /// fault_addr_ to the first byte that does not.
  bool all_mapped(uint64_t addr, unsigned size);
  /// Host pointer for a whole access inside one RAM page, filling the TLB; nullptr if none.
  uint8_t* host_for_read(uint64_t addr);
  uint8_t* host_for_write(uint64_t addr);
  void after_slow_access();
  void flush_tlb();
  /// Empties the data and fetch TLBs of every set (translation changed; the flat view did not).
  void flush_translation();

  // mmu.cpp
  /// Recomputes who translates (priv_, mstatus.MPRV/MPP/SUM/MXR, satp), makes the TLB set of
  /// that context the active one, and drops the entries that relied on a cleared SUM or MXR.
  /// Call after any change of those.
  void mmu_update();
  /// Makes `key` the active context: between S and U the active set is parked and the set of
  /// `key` (or an empty one) activated; to or from an M-mode context every set is emptied.
  void switch_tlb_set(uint64_t key);
  /// Empties set `i` (data and fetch entries).
  void clear_tlb_set(unsigned i);
  /// Notes that data entry `slot` of the active set (read i: i, write i: kTlbSize + i) was
  /// filled by a walk that relied on walk_tag_.relies.
  void note_relying(unsigned slot);
  /// Records, for SFENCE.VMA by address, that the active set now holds a slice of the
  /// superpage walk_tag_ found for `va`.
  void note_superpage(uint64_t va);
  /// Drops the active set's data entries whose TlbTag::relies has a bit of `mask`.
  void drop_relying(uint8_t mask);
  /// Calls f(TlbSet&, TlbSetInfo&) for the active set and every parked one.
  template <class F>
  void for_each_tlb_set(F&& f) {
    for (unsigned i = 0; i < kTlbSets; ++i) {
      if (&tlb_sets_[i] == tlb_ || tlb_set_info_[i].key != kTlbNoKey) {
        f(tlb_sets_[i], tlb_set_info_[i]);
      }
    }
  }
  /// Translates `va` for an access of kind `acc` (privileged spec 4.3.2, Sv39/Sv48), setting
  /// A and D in the leaf PTE. On failure sets fault_addr_ = va and fault_cause_ (a page fault,
  /// or an access fault when a PTE is not in RAM) and returns false.
  bool translate(uint64_t va, Access acc, uint64_t& pa);
  /// translate()'s walk for an access at `priv`. With `trace`, a debugger's walk: nothing is
  /// written (no A/D, no fault state, no TLB tag), each PTE read and the outcome go to `trace`.
  bool walk(uint64_t va, Access acc, PrivLevel priv, uint64_t& pa, PageWalk* trace);
  /// The physical address of fetch address `va`, through the fetch TLB; fails as translate().
  bool fetch_paddr(uint64_t va, uint64_t& pa) {
    if (!fetch_via_tlb_) {
      pa = va;
      return true;
    }
    const FetchTlbEntry& e = tlb_info_->fetch[(va >> kPageShift) % kFetchTlbSize];
    if (e.vpage == (va & kPageMask)) {
      pa = e.ppage | (va & ~kPageMask);
      return true;
    }
    return fetch_walk(va, pa);
  }
  /// The fetch TLB's miss path: translates (when fetches translate), checks PMP, and fills the
  /// entry only when one PMP entry allows the whole page; for a page PMP splits it sets
  /// force_uncached_ so that the outer loop fetches instruction by instruction.
  bool fetch_walk(uint64_t va, uint64_t& pa);
  /// SFENCE.VMA (privileged spec 4.2.1): drops the TLB entries for page `va` (when `by_va`)
  /// of address space `asid` (when `by_asid`: then global entries stay).
  void sfence(uint64_t va, bool by_va, uint16_t asid, bool by_asid);
  /// Drops the entries that are not global, in every set (satp switched address space).
  void flush_non_global();
  /// The ASID field of satp.
  uint16_t satp_asid() const { return static_cast<uint16_t>((satp_ & kSatpAsidMask) >> 44); }

  // pmp.cpp
  /// Decodes pmpcfg/pmpaddr into pmp_ranges_, empties the TLBs and re-keys them.
  void pmp_update();
  /// Whether PMP lets privilege `priv` access bytes [addr, addr + size) with permissions
  /// `need` (kPmpCfgR/W/X).
  bool pmp_allows(uint64_t addr, uint64_t size, PrivLevel priv, uint8_t need) const;
  /// The PMP check of a load or store at data_priv_ (when PMP applies to it); on failure
  /// sets fault_addr_ = va and an access fault of kind `acc`.
  bool pmp_data_ok(uint64_t va, uint64_t pa, unsigned size, uint8_t need, Access acc);
  /// Whether a data TLB entry for physical page `ppage` may be filled for `need` accesses.
  bool pmp_page_ok(uint64_t ppage, uint8_t need) const {
    return !pmp_data_check_ || pmp_allows(ppage, kPageSize, data_priv_, need);
  }

  // Sstc (csr_table.cpp)
  /// Whether stimecmp drives mip.STIP: menvcfg.STCE, or the SBI's set_supervisor_timer().
  bool stimecmp_drives_stip() const { return sbi_timer_ || (menvcfg_ & kMenvcfgStce); }
  /// Re-evaluates STIP from time and stimecmp (Cpu::update_timer_interrupt).
  void update_timer_interrupt();
  /// Tells the board's listener where the comparator's next deadline is.
  void notify_timer_compare();
  /// Reads 2 instruction bytes at fetch address `va`; fails as translate() or with an
  /// instruction access fault.
  bool fetch_half(uint64_t va, uint64_t& half);
  void flush_code();
  void drop_write_tlb_for_host_page(const uint8_t* host_page);
  /// The decoded page holding physical address pc (the outer loop translates the virtual pc
  /// first), or nullptr if pc is not in a whole RAM/ROM page. Only
  /// called at the outer-loop boundary: it may evict (and reuse) any other CodePage.
  CodePage* code_page_for(uint64_t pc);
  /// The RAM/ROM span holding the whole page `guest_page`; false if there is none.
  bool code_span(uint64_t guest_page, RamSpan& span) const;
  void init_code_page(CodePage& page, uint64_t guest_page, const RamSpan& span);
  /// A CodePage to fill: a new one while under kMaxCodePages, else the clock's victim, evicted.
  CodePage* allocate_code_page();
  void evict_code_page(CodePage& page);
  void on_code_write(MemoryRegion* mr, uint64_t offset, uint64_t len);
  void decode_slot(CodePage& page, Insn& slot, uint64_t pc);
  /// Fetches and decodes the instruction at pc_ without caching it, into the scratch page.
  /// Returns its slot, or nullptr after raising an instruction access fault.
  Insn* fetch_uncached(uint64_t pc);
  void make_insn(const DecodedInsn& d, Insn& out) const;
  void invalidate_reservation_on_store(uint64_t addr, unsigned size);
  // MemoryListener: the flat view changed.
  void region_add(const FlatRange&) override {}
  void region_del(const FlatRange&) override {}
  void commit() override;

  // csr.cpp
  /// Reset values of misa, mstatus, mie and mip (the lines keep their levels).
  void reset_csr_file();
  /// mip_ := (lines | software bits), limited to the interrupts this hart has. Callers then
  /// call update_irq().
  void update_mip();
  /// Drives interrupt line `irq` (Cpu::set_interrupt_pending).
  void set_interrupt_line(unsigned irq, bool level);
  bool csr_exists(uint16_t csr) const;
  bool csr_read(uint16_t csr, uint64_t& value) const;
  /// Writes with WARL rules; returns false if the CSR does not exist or is read-only.
  bool csr_write(uint16_t csr, uint64_t value);
  /// Executes a Zicsr instruction; raises illegal instruction and returns false on error.
  bool exec_csr(const Insn& in);
  uint64_t read_instret() const;
  uint64_t read_cycle() const;

  // cpu_trap.cpp
  void raise_exception(uint64_t cause, uint64_t tval);
  void take_trap(uint64_t cause, uint64_t tval, bool interrupt);
  void take_interrupt();
  void update_irq();
  bool exec_mret();
  /// SRET (privileged spec 3.3.2): illegal in U-mode and, with mstatus.TSR, in S-mode.
  bool exec_sret(uint32_t raw);
  /// SFENCE.VMA: illegal in U-mode and, with mstatus.TVM, in S-mode; flushes the TLBs.
  /// `va` and `asid` are the values of rs1 and rs2 (ignored when the register is x0).
  bool exec_sfence_vma(uint32_t raw, uint64_t va, uint64_t asid);
  /// The pending interrupts that are enabled at the current privilege (M-level ones, else
  /// the delegated S-level ones), privileged spec 3.1.9.
  uint64_t takeable_interrupts() const;
  bool exec_amo(const Insn& in);
  /// ECALL: runs the ecall hook for S/U-mode; returns true when it completed the call, false
  /// when it trapped or the hook sent the hart elsewhere (set_ecall_return): pc_ is the next pc.
  bool exec_ecall();
  bool c_enabled() const { return (misa_ & kMisaC) != 0; }

  // cpu_interp.cpp
  RunExit run(uint64_t budget);
};

}  // namespace glassvm
