// One RISC-V hart: architectural state and the interpreter that runs it.
//
// Design note: the CPU sees memory only through an AddressSpace, with M, S and U modes and
// Sv39/Sv48 paging (mmu.cpp). For speed it keeps a software TLB of RAM pages (virtual page ->
// host pointer) and a cache of decoded instructions per physical code page; both are flushed
// when the address space's flat view changes, the TLB also when the translation context or PMP
// changes (SFENCE.VMA and satp writes drop only what they name: a page, an ASID's non-global
// entries), and a store into a page holding decoded code drops that code (self-modifying
// code, DMA). PMP (pmp.cpp) is checked when a TLB entry is filled, never on a hit.
// The interpreter is the reference for every later executor (the wasm JIT). What an executor
// shares with it: the state (cpu_state.h, Cpu::executor_state()), the M-extension arithmetic
// (alu.h) and the helper functions for everything complex (helpers.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/snapshot.h"
#include "engine/cpu/cpu_state.h"
#include "engine/cpu/decode.h"
#include "engine/cpu/executor.h"
#include "engine/memory/memory.h"

namespace glassvm {

/// Interrupt numbers (bit positions in mip/mie), privileged spec 3.1.9.
enum : unsigned {
  kIrqSSoft = 1,
  kIrqMSoft = 3,
  kIrqSTimer = 5,
  kIrqMTimer = 7,
  kIrqSExt = 9,
  kIrqMExt = 11,
};

/// Exception codes (mcause with the interrupt bit clear), privileged spec 3.1.15.
enum : uint64_t {
  kExcInsnMisaligned = 0,
  kExcInsnAccessFault = 1,
  kExcIllegalInsn = 2,
  kExcBreakpoint = 3,
  kExcLoadMisaligned = 4,
  kExcLoadAccessFault = 5,
  kExcStoreMisaligned = 6,
  kExcStoreAccessFault = 7,
  kExcEcallU = 8,
  kExcEcallS = 9,
  kExcEcallM = 11,
  kExcInsnPageFault = 12,
  kExcLoadPageFault = 13,
  kExcStorePageFault = 15,
};

/// The kind of a memory access: what translation checks and which fault it raises.
enum class Access : uint8_t { Fetch, Load, Store };

/// One PTE a page-table walk read.
struct PageWalkStep {
  unsigned level = 0;     ///< 0 = the 4 KiB level; the root is level 2 (Sv39) or 3 (Sv48)
  uint64_t pte_addr = 0;  ///< physical address of the PTE
  uint64_t pte = 0;       ///< its value as read
};

/// A page-table walk as the hart would do it now (Cpu::walk_page_tables), for the debugger and
/// the translation view: every PTE read, and the physical address or the fault and why.
struct PageWalk {
  uint64_t va = 0;
  Access access = Access::Load;
  PrivLevel priv = PrivLevel::Machine;  ///< the privilege the access is checked at
  bool paged = false;               ///< false: no translation applies (Bare, or M-mode), pa == va
  unsigned levels = 0;              ///< 3 (Sv39) or 4 (Sv48) when paged
  uint64_t root = 0;                ///< satp's root table address when paged
  std::vector<PageWalkStep> steps;  ///< the PTEs read, root first
  bool ok = false;
  uint64_t pa = 0;           ///< when ok
  unsigned leaf_shift = 0;   ///< when ok and paged: 12, 21, 30 or 39 (the page or superpage)
  uint64_t sets_ad = 0;      ///< when ok: the A/D bits the hart would set in the leaf PTE
  uint64_t fault_cause = 0;  ///< when !ok: the exception (a page or an access fault)
  std::string why;           ///< when !ok: the rule that failed, in words
};

/// What the tracer is told about a trap that was taken.
struct TrapEvent {
  uint64_t cause = 0;  ///< mcause value (interrupt bit 63 set for interrupts)
  uint64_t epc = 0;
  uint64_t tval = 0;
  PrivLevel from = PrivLevel::Machine;
  PrivLevel to = PrivLevel::Machine;
};

/// misa's Extensions bit for extension letter `ext` ('A'..'Z').
constexpr uint32_t misa_extension(char ext) {
  return uint32_t{1} << (ext - 'A');
}

/// What a hart is built with. Fixed for its lifetime; reset() restores misa from it.
struct HartConfig {
  /// The extensions every hart has: RV64 I, M, A, C and U-mode.
  static constexpr uint32_t kBaseExtensions = misa_extension('I') | misa_extension('M') |
                                              misa_extension('A') | misa_extension('C') |
                                              misa_extension('U');
  /// The F and D extensions (single- and double-precision FP, fflags/frm/fcsr, mstatus.FS).
  static constexpr uint32_t kFpExtensions = misa_extension('F') | misa_extension('D');
  /// The default hart, RV64GC: kBaseExtensions with F, D and S-mode (Sv39/Sv48 paging,
  /// delegation, SRET).
  static constexpr uint32_t kDefaultExtensions =
      kBaseExtensions | kFpExtensions | misa_extension('S');
  /// misa's Extensions field: kBaseExtensions plus any of S, F and F+D (D needs F). Without
  /// S: no S CSRs, no delegation, SRET and SFENCE.VMA illegal; without F/D their instructions
  /// and CSRs are illegal and mstatus.FS is read-only zero. Any other set is a programmer
  /// mistake (asserted at reset).
  uint32_t misa_extensions = kDefaultExtensions;
  /// Sstc (needs S): the stimecmp CSR and menvcfg.STCE, with which mip.STIP follows
  /// time >= stimecmp. Without it stimecmp does not exist and menvcfg.STCE is read-only zero.
  bool sstc = true;
};

/// Why Cpu::run returned.
enum class RunExit : uint8_t {
  Budget,   ///< the instruction budget was used up
  Wfi,      ///< the hart waits in WFI (or wait_for_interrupt()): no enabled interrupt pending
  Stopped,  ///< request_stop() was called (by a device, the host, or a breakpoint)
};

/// Counters of the decoded-code cache (for the performance panel and tests).
struct CodeCacheStats {
  size_t live_pages = 0;   ///< decoded pages held now; never more than capacity
  size_t capacity = 0;     ///< the bound on live_pages
  uint64_t evictions = 0;  ///< pages dropped to make room since the hart was created
};

/// Counters of one software TLB, kept on its slow paths only: counting hits would cost the
/// hit path an increment, so hits are not counted (the UI may show refills against retired
/// instructions instead).
struct TlbCounters {
  uint64_t misses = 0;   ///< lookups that missed and took the slow path (walk or MMIO access)
  uint64_t refills = 0;  ///< entries filled after a miss
  uint64_t flushes = 0;  ///< flushes, each counted once however many sets it empties: whole
                         ///< (SFENCE.VMA x0, x0, PMP write, satp.MODE change, flush_tlb()),
                         ///< partial (SFENCE.VMA by address or ASID, satp switch, clearing
                         ///< SUM or MXR: data only) and a saved context's set reused for
                         ///< another. Switching privilege is not one (mmu.cpp).
};
/// The data TLB's and the fetch TLB's counters since the hart was created.
struct TlbStats {
  TlbCounters data;
  TlbCounters fetch;
};

class Cpu {
 public:
  /// The hart's state and machinery (engine/cpu/cpu_internal.h). Named publicly only so that
  /// the CSR table's rows and the helpers of helpers.h can reach a hart (from its CpuState);
  /// opaque everywhere outside engine/cpu.
  struct Impl;

  /// A hart with id `hartid` whose loads, stores and fetches go to `as`, built as `config` says.
  Cpu(AddressSpace& as, uint64_t hartid, const HartConfig& config = {});
  ~Cpu();
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  /// Resets to M-mode at `pc` with the reset values of the privileged specification.
  /// Must not be called from inside run() (a device callback or hook): request_stop() first.
  void reset(uint64_t pc);

  // -- Architectural state (for the board, the UI and tests) --
  uint64_t pc() const;
  /// Sets pc (bit 0 is cleared). Must not be called from inside run().
  void set_pc(uint64_t pc);
  uint64_t reg(unsigned index) const;            ///< x0..x31 (x0 reads 0)
  void set_reg(unsigned index, uint64_t value);  ///< writes to x0 are ignored
  PrivLevel priv() const;
  uint64_t hartid() const;
  /// Instructions retired since reset (the minstret value). Exact at any point, including
  /// from inside an MMIO callback made by the running hart.
  uint64_t instret() const;
  /// Instructions retired since reset, unaffected by guest writes to minstret or
  /// mcountinhibit: the count to use for time keeping and budgets. Exact like instret().
  uint64_t retired_instructions() const;
  /// Steps taken since reset: instructions retired plus traps taken (a trap retires nothing
  /// but still costs a step). Guest time and run budgets count steps, so that a guest caught
  /// in a trap loop still sees time pass and still ends a bounded run. Exact like instret().
  uint64_t steps() const;
  /// Reads a CSR without side effects and without privilege checks (debugger access).
  /// Returns false for a CSR that does not exist.
  bool peek_csr(uint16_t csr, uint64_t& value) const;
  /// Writes a CSR as an M-mode csrw would (WARL rules apply). Returns false if it does not
  /// exist or is read-only (csr[11:10] == 3).
  bool poke_csr(uint16_t csr, uint64_t value);
  /// Snapshots (engine/base/snapshot.h): the version of what save_state() writes.
  static constexpr uint32_t kStateVersion = 1;
  /// Writes the hart's architectural state: x and f registers, pc, privilege, every CSR, the
  /// counters, the LR/SC reservation, WFI, and the interrupt lines' levels. Not the TLBs or
  /// the code cache, which a restored hart refills.
  void save_state(StateWriter& w) const;
  /// Restores what save_state() wrote, on a hart that has not run since it was built. Each
  /// CSR value goes through the CSR's own WARL rules, and one they would not keep (a value
  /// this hart could never have held) fails the reader.
  void load_state(StateReader& r);
  /// Walks the page tables for an access of kind `access` at `va` as the hart would now, at
  /// the privilege it would check (its mode for fetches; for loads and stores with MPRV, MPP),
  /// with satp, SUM and MXR as they are, but only reading: no A/D update, no fault taken, no
  /// TLB change. PTEs are read from RAM only, so no device sees an access.
  PageWalk walk_page_tables(uint64_t va, Access access) const;

  // -- Interrupt inputs (driven by the CLINT, the PLIC, ...) --
  /// Drives interrupt line `irq` (kIrqMSoft, kIrqMTimer, kIrqMExt, kIrqSExt, ...) to `level`.
  /// mip bit `irq` reads as the line's level ORed with the software-writable bit where there is
  /// one (SEIP); a line the hart has no interrupt for (kIrqSExt without S-mode) is remembered
  /// but reads as zero. `irq` must be below 64 (asserted).
  void set_interrupt_pending(unsigned irq, bool level);

  // -- Time --
  /// Supplies the value of the `time` CSR (Zicntr rdtime); usually the CLINT's mtime.
  void set_time_source(std::function<uint64_t()> source);
  /// Called with stimecmp whenever the supervisor timer comparator changes (a stimecmp write,
  /// menvcfg.STCE, set_supervisor_timer(), reset), or with UINT64_MAX when the comparator no
  /// longer drives STIP. The board arms an alarm at that `time` value that calls
  /// update_timer_interrupt(), so that STIP rises on time even while the hart waits in WFI.
  void set_timer_compare_listener(std::function<void(uint64_t stimecmp)> listener);
  /// Re-evaluates mip.STIP as time >= stimecmp (read from the time source) while stimecmp
  /// drives STIP; otherwise does nothing. Safe to call at any time, also from inside run().
  void update_timer_interrupt();
  /// Sets stimecmp as the SBI's sbi_set_timer() does (SBI TIME extension). From then on
  /// mip.STIP follows time >= stimecmp even while menvcfg.STCE is 0 (the SBI emulates the
  /// comparator; M-mode writes to mip.STIP are then ignored), until reset(). Works whether or
  /// not the hart has Sstc.
  void set_supervisor_timer(uint64_t value);

  // -- Execution --
  /// Executes up to `budget` instructions (a trap taken counts as one step). Returns early
  /// when the hart waits in WFI or when request_stop() is called.
  RunExit run(uint64_t budget);
  /// Executes exactly one instruction or takes one trap.
  void step();
  /// Forgets every cached address translation, as SFENCE.VMA with x0, x0 does (the built-in
  /// SBI's remote SFENCE.VMA). Safe from inside run() (an ecall hook).
  void flush_tlb();
  /// Makes the current run() return at the next instruction boundary.
  void request_stop();
  /// Whether the hart is stalled in WFI.
  bool waiting_for_interrupt() const;
  /// Stalls the hart as a WFI would, without one: unless an interrupt is pending and enabled
  /// in mie already, run() returns RunExit::Wfi (the current run() once the current
  /// instruction completes) and waiting_for_interrupt() is true until one is, whatever
  /// mstatus.MIE and SIE say; then the hart goes on at pc (the built-in SBI's HSM suspend).
  /// Safe at any time, also from inside run() (an ecall hook).
  void wait_for_interrupt();
  /// The decoded-code cache's size and bound.
  CodeCacheStats code_cache_stats() const;
  /// The software TLBs' counters (see TlbCounters: hits are not counted).
  TlbStats tlb_stats() const;
  /// The whole hart state, read-only (UI, snapshots). Between runs every field is exact;
  /// read from a callback during run(), pc and the counters are exact as instret() is.
  const CpuState& state() const;
  /// The state an executor (the wasm JIT's glue) runs generated code on, with the helpers of
  /// engine/cpu/helpers.h. Only executors may write it, and only inside run().
  CpuState& executor_state();
  /// Offers every block to `executor` (the wasm JIT) before the interpreter runs it; nullptr
  /// for the interpreter alone. The hart does not own it; it must outlive its use, and
  /// set_executor(nullptr) first releases every page it holds. Not from inside run().
  void set_executor(BlockExecutor* executor);

  // -- Observation --
  /// Called for every trap taken (exceptions and interrupts), before the handler runs.
  void set_trap_hook(std::function<void(const TrapEvent&)> hook);
  /// When set, called with each instruction the first time it is decoded into the code cache
  /// (QEMU's `-d in_asm`): its pc and disassembly.
  void set_decode_hook(std::function<void(uint64_t pc, const DecodedInsn&)> hook);
  /// Handler for ECALL from S- or U-mode (the built-in SBI). Returns true when it handled the
  /// call, in which case the hart resumes after the ecall instead of trapping.
  void set_ecall_hook(std::function<bool(Cpu&)> hook);
  /// Called by the ecall hook before it returns true: the hart resumes at `pc` instead of after
  /// the ecall (the SBI's non-retentive HSM suspend). Calling it anywhere else is a programmer
  /// mistake (asserted).
  void set_ecall_return(uint64_t pc);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace glassvm
