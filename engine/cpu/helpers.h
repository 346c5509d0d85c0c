// The complex operations of the hart as functions with one calling convention, called by the
// interpreter and by generated code alike: CSR instructions, atomics, ECALL/MRET/WFI, the
// memory slow paths, and taking traps.
//
// Calling convention (for every helper_*):
// - `s` is the CpuState of a hart (Cpu::executor_state()), normally inside Cpu::run; the
//   helper reaches the rest of the hart (address space, hooks) through it. Between runs the
//   helpers work too (tests use that), with budget_left_ as the last run left it.
// - Before the call the caller has written s.pc_ = the pc of the instruction being executed
//   and s.budget_left_ = the steps still allowed, this instruction included. (Helpers call
//   sync_retired(), so counters and MMIO callbacks see exact instret values.)
// - The result is true when the instruction trapped: the trap is taken (s.pc_ = the handler,
//   mepc/mcause/mtval set, traps_ counted), nothing retired, rd and memory unchanged. The
//   caller then uses up one step and returns to the outer loop.
// - Otherwise the instruction completed; the caller retires it (one step) and continues at
//   pc + length, except where a helper says it set s.pc_ itself. After any helper the caller
//   leaves its block if s.event_ is set.
// Helpers never fail in another way: whatever the guest does ends as one of those two.
#pragma once

#include <cstdint>

#include "engine/cpu/cpu_state.h"
#include "engine/cpu/decode.h"

namespace glassvm {

/// Raises exception `cause` with mtval `tval` at s.pc_. Always returns true (trapped).
bool helper_raise(CpuState& s, uint64_t cause, uint64_t tval);
/// Takes the highest-priority pending enabled interrupt (s.irq_pending_ must be set).
/// Always returns true: the step is used by the trap.
bool helper_take_interrupt(CpuState& s);

/// Load of `size` (1, 2, 4, 8) bytes at virtual `addr`, any alignment, through the slow path
/// (translation, TLB refill, MMIO). The zero-extended value goes to `value`. Traps with a load
/// page fault or access fault whose xtval is the (virtual) faulting portion.
bool helper_load(CpuState& s, uint64_t addr, unsigned size, uint64_t& value);
/// Store of the low `size` bytes of `value` at virtual `addr`; on a fault (store page fault or
/// access fault) no byte is written.
bool helper_store(CpuState& s, uint64_t addr, unsigned size, uint64_t value);

/// A Zicsr instruction (op Csrrw..Csrrci): csr number, rd (32 for x0), rs1 (register, or the
/// 5-bit uimm for the *I forms), and the instruction word for an illegal-instruction mtval.
/// On completion the caller must leave its block (a CSR write may change anything).
bool helper_csr(CpuState& s, Op op, unsigned rd, unsigned rs1, uint16_t csr, uint32_t raw);
/// An A-extension instruction (op LrW..AmomaxuD) with registers rd (32 for x0), rs1, rs2.
bool helper_amo(CpuState& s, Op op, unsigned rd, unsigned rs1, unsigned rs2);
/// An F/D instruction other than the loads and stores (op FmaddS..FcvtDS, op_is_fp): rd (32
/// for x0 when it names an integer register), rs1, rs2, rs3 (f or x registers as the op says),
/// the rm field and the instruction word. Illegal instruction while mstatus.FS is Off or when
/// rm (or frm, for rm = DYN) is a reserved mode. Computes with the soft-float library, ORs the
/// exceptions into fflags, NaN-boxes single results and marks the FP state Dirty when it
/// changed. Never leaves the block.
bool helper_fp(CpuState& s, Op op, unsigned rd, unsigned rs1, unsigned rs2, unsigned rs3,
               unsigned rm, uint32_t raw);

/// ECALL: false when the ecall hook (built-in SBI) completed it (the caller goes on after the
/// ecall, as for any instruction), true when it trapped or the hook sent the hart elsewhere
/// (Cpu::set_ecall_return): then pc_ is where the hart goes on.
bool helper_ecall(CpuState& s);
/// MRET: on completion s.pc_ is the return address (the caller does not add the length).
bool helper_mret(CpuState& s);
/// SRET (instruction word `raw` for the trap): as MRET, from S-mode; illegal in U-mode and
/// with mstatus.TSR in S-mode.
bool helper_sret(CpuState& s, uint32_t raw);
/// SFENCE.VMA with the values of rs1 (address) and rs2 (ASID): illegal in U-mode and with
/// mstatus.TVM in S-mode. On completion the caller must leave its block.
bool helper_sfence_vma(CpuState& s, uint64_t vaddr, uint64_t asid, uint32_t raw);
/// WFI (instruction word `raw` for the trap): traps below M-mode with mstatus.TW, and in
/// U-mode when the hart has S-mode (privileged spec 3.1.6.5). On completion
/// s.wfi_ says whether the hart now waits (no enabled interrupt pending): the caller retires
/// the WFI and, if s.wfi_, ends the run with RunExit::Wfi.
bool helper_wfi(CpuState& s, uint32_t raw);

}  // namespace glassvm
