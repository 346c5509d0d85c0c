// The hart's state as one plain struct: what the interpreter runs on, what generated code (the
// RISC-V -> WebAssembly translator) reads and writes by offset, and what the UI and snapshots
// read through Cpu::state().
//
// Design note: Cpu::Impl derives from CpuState, so the interpreter, the CSR file and the trap
// code keep addressing these fields as their own members, and a pointer to the CpuState of a
// hart is all a helper or a translated block needs. The struct is standard-layout and its hot
// fields come first at offsets pinned below; a translator uses the kCpuStateOffset*
// constants rather than guessing. Counting: during run() the steps still allowed live in
// budget_left_ (an executor may cache it in a local but writes it back before calling a
// helper and before leaving); retired_ is then derived from it (sync_retired()). tlb_ points
// into the struct itself, so a CpuState is never copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace glassvm {

enum class PrivLevel : uint8_t { User = 0, Supervisor = 1, Machine = 3 };

/// A software TLB entry: guest page `tag` lives at host address tag + addend. An entry holds
/// only a page of its own index. Generated code takes the entry of an access's first byte and
/// hits when the page of its last byte is the tag (so the access lies in that page), then
/// accesses host address addr + addend.
struct TlbEntry {
  uint64_t tag = ~uint64_t{0};  ///< empty: no masked address ever equals all ones
  uintptr_t addend = 0;
};

/// Entries in each of the read and write TLBs; an address uses entry (addr >> kPageShift) %
/// kTlbSize.
inline constexpr unsigned kTlbSize = 1024;

/// One set of the data TLB: the entries of one translation context (U-mode or S-mode, see
/// engine/cpu/mmu.cpp), read entries first.
struct TlbSet {
  TlbEntry read[kTlbSize];
  TlbEntry write[kTlbSize];  ///< never holds a page with decoded code or a reservation
};
/// Data TLB sets per hart: a trap from U to S and the SRET back only switch CpuState::tlb_.
inline constexpr unsigned kTlbSets = 2;

/// The state of one hart. Field names keep the interpreter's member spelling (trailing `_`).
struct CpuState {
  CpuState() = default;
  CpuState(const CpuState&) = delete;
  CpuState& operator=(const CpuState&) = delete;

  // -- Hot: registers, pc, budget, the active TLB set (offsets pinned below) --
  uint64_t x_[33] = {};       ///< x0..x31, then the sink (index 32) that absorbs writes to x0
  uint64_t pc_ = 0;           ///< pc of the next instruction (exact at every helper call and exit)
  uint64_t budget_left_ = 0;  ///< during run(): steps still allowed, the current one included
  TlbSet* tlb_ = tlb_sets_;   ///< the active data TLB set (one of tlb_sets_): what loads hit

  // -- F and D (unprivileged spec chapters 11, 12): singles are NaN-boxed in the 64 bits --
  uint64_t f_[32] = {};  ///< f0..f31
  uint32_t fcsr_ = 0;    ///< fcsr: frm in bits 7:5, fflags in bits 4:0 (the rest reads zero)

  // -- Counters: minstret = retired_ + instret_offset_ (or the frozen value when inhibited) --
  uint64_t run_budget_ = 0;  ///< the budget run() was given
  uint64_t run_base_ = 0;    ///< during run(): retired_ = run_base_ + run_budget_ - budget_left_
  uint64_t retired_ = 0;     ///< instructions retired since reset; exact after sync_retired()
  uint64_t traps_ = 0;       ///< traps taken since reset (each used a step, retired nothing)
  uint64_t instret_offset_ = 0, cycle_offset_ = 0;
  uint64_t instret_frozen_ = 0, cycle_frozen_ = 0;
  uint64_t retire_adjust_ = 0;  ///< 1 while a CSR instruction executes (it retires after)

  // -- Flags the outer loop checks at block boundaries --
  PrivLevel priv_ = PrivLevel::Machine;
  bool event_ = false;           ///< something needs the outer loop's attention
  bool irq_pending_ = false;     ///< an enabled interrupt is pending: take it at the boundary
  bool stop_requested_ = false;  ///< request_stop() was called
  bool wfi_ = false;             ///< stalled in WFI
  bool flush_pending_ = false;   ///< drop the whole code cache at the next block boundary
  bool force_uncached_ = false;  ///< fetch the instruction at pc_ uncached (page straddle)
  bool running_ = false;         ///< inside run(): reset/set_pc would be lost

  // -- Machine-mode CSRs --
  uint64_t mstatus_ = 0;
  uint64_t misa_ = 0;
  uint64_t mie_ = 0;
  uint64_t mip_ = 0;
  uint64_t mtvec_ = 0;
  uint64_t mscratch_ = 0;
  uint64_t mepc_ = 0;
  uint64_t mcause_ = 0;
  uint64_t mtval_ = 0;
  uint64_t mcounteren_ = 0;
  uint64_t mcountinhibit_ = 0;
  uint64_t menvcfg_ = 0;
  uint64_t pmpcfg_[8] = {};  ///< pmpcfg0, 2, ..., 14 (RV64 has only the even ones)
  uint64_t pmpaddr_[64] = {};
  uint64_t medeleg_ = 0;
  uint64_t mideleg_ = 0;

  // -- Supervisor-mode CSRs (sstatus, sie and sip are views of mstatus, mie and mip) --
  uint64_t stvec_ = 0;
  uint64_t sscratch_ = 0;
  uint64_t sepc_ = 0;
  uint64_t scause_ = 0;
  uint64_t stval_ = 0;
  uint64_t satp_ = 0;
  uint64_t scounteren_ = 0;
  uint64_t senvcfg_ = 0;
  uint64_t stimecmp_ = ~uint64_t{0};  ///< Sstc

  // -- Memory access state --
  uint64_t fault_addr_ = 0;   ///< set by a failed access: the faulting portion (xtval)
  uint64_t fault_cause_ = 0;  ///< set by a failed access: access fault or page fault (xcause)
  bool resv_valid_ = false;   ///< LR/SC reservation
  unsigned resv_size_ = 0;
  uint64_t resv_addr_ = 0;
  uint32_t jit_exit_ = 0;  ///< what generated code does after a load's slow path (jit_load)

  // -- Software TLB of RAM pages (data accesses), one set per translation context --
  TlbSet tlb_sets_[kTlbSets];

  /// Makes retired_ exact from budget_left_ (during run()). Idempotent.
  void sync_retired() { retired_ = run_base_ + (run_budget_ - budget_left_); }
};

static_assert(std::is_standard_layout_v<CpuState>, "generated code addresses CpuState by offset");

/// Offsets generated code uses (bytes from the start of a CpuState).
inline constexpr size_t kCpuStateOffsetX = 0;            ///< x_[i] at kCpuStateOffsetX + 8 * i
inline constexpr size_t kCpuStateOffsetPc = 33 * 8;      ///< pc_
inline constexpr size_t kCpuStateOffsetBudget = 34 * 8;  ///< budget_left_
static_assert(offsetof(CpuState, x_) == kCpuStateOffsetX);
static_assert(offsetof(CpuState, pc_) == kCpuStateOffsetPc);
static_assert(offsetof(CpuState, budget_left_) == kCpuStateOffsetBudget);
inline constexpr size_t kCpuStateOffsetTlb = 35 * 8;  ///< tlb_, the active TLB set
static_assert(offsetof(CpuState, tlb_) == kCpuStateOffsetTlb);
inline constexpr size_t kCpuStateOffsetF = offsetof(CpuState, f_);  ///< f_[i] at + 8 * i
inline constexpr size_t kCpuStateOffsetFcsr = offsetof(CpuState, fcsr_);
inline constexpr size_t kCpuStateOffsetPriv = offsetof(CpuState, priv_);
inline constexpr size_t kCpuStateOffsetEvent = offsetof(CpuState, event_);
/// The sets: set i at kCpuStateOffsetTlbSets + i * sizeof(TlbSet). Generated code that knows
/// its context (as QEMU's mmu_idx) may address its set directly; the interpreter uses tlb_.
inline constexpr size_t kCpuStateOffsetTlbSets = offsetof(CpuState, tlb_sets_);
/// Offsets inside a TlbSet: the read entries, then the write entries.
inline constexpr size_t kTlbSetOffsetRead = offsetof(TlbSet, read);
inline constexpr size_t kTlbSetOffsetWrite = offsetof(TlbSet, write);
static_assert(sizeof(TlbEntry) == 16 && kCpuStateOffsetTlbSets % 8 == 0,
              "TLB entries are two 8-byte words, 8-byte aligned");
static_assert(kTlbSetOffsetRead == 0 && kTlbSetOffsetWrite == kTlbSize * sizeof(TlbEntry) &&
              sizeof(TlbSet) == 2 * kTlbSize * sizeof(TlbEntry));

}  // namespace glassvm
