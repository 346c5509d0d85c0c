// Traps (privileged spec 3.1.6-3.1.20 and 3.3): taking exceptions and interrupts, the interrupt
// priority order, MRET, ECALL, and the A extension's LR/SC/AMO (which are here because their
// fault rules are the tricky part).
//
// Design note: take_trap() is the one place where medeleg/mideleg choose between M-mode and
// S-mode (3.1.8); nothing else needs to know. takeable_interrupts() is the one statement of
// which pending interrupt may be taken where (3.1.9). take_trap() also does a trap's
// accounting (traps_ counts it; during run() run_base_ gives back the retirement the caller's
// step would imply), so that every executor, interpreter or generated code, only has to use
// up one step for a trapped instruction.
#include <algorithm>

#include "engine/cpu/cpu.h"
#include "engine/cpu/cpu_internal.h"

namespace glassvm {

void Cpu::Impl::raise_exception(uint64_t cause, uint64_t tval) {
  take_trap(cause, tval, false);
}

void Cpu::Impl::take_trap(uint64_t cause, uint64_t tval, bool interrupt) {
  const PrivLevel from = priv_;
  const uint64_t epc = pc_ & ~uint64_t{1};
  const uint64_t xcause = cause | (interrupt ? (1ull << 63) : 0);
  // Traps from S or U go to S when medeleg/mideleg delegate them; never from M (3.1.8).
  const uint64_t deleg = interrupt ? mideleg_ : medeleg_;
  const bool to_s = from != PrivLevel::Machine && cause < 64 && ((deleg >> cause) & 1);
  uint64_t s = mstatus_;
  uint64_t tvec;
  if (to_s) {
    sepc_ = epc;
    scause_ = xcause;
    stval_ = tval;
    s = (s & kMstatusSIE) ? (s | kMstatusSPIE) : (s & ~kMstatusSPIE);
    s &= ~kMstatusSIE;
    s = from == PrivLevel::Supervisor ? (s | kMstatusSPP) : (s & ~kMstatusSPP);
    priv_ = PrivLevel::Supervisor;
    tvec = stvec_;
  } else {
    mepc_ = epc;
    mcause_ = xcause;
    mtval_ = tval;
    s = (s & kMstatusMIE) ? (s | kMstatusMPIE) : (s & ~kMstatusMPIE);
    s &= ~kMstatusMIE;
    s = (s & ~kMstatusMPP) | (static_cast<uint64_t>(from) << kMstatusMPPShift);
    priv_ = PrivLevel::Machine;
    tvec = mtvec_;
  }
  mstatus_ = s;
  const uint64_t base = tvec & ~uint64_t{3};
  pc_ = (interrupt && (tvec & 3) == 1) ? base + 4 * cause : base;
  resv_valid_ = false;
  wfi_ = false;
  // The trap uses the step its caller is executing but retires nothing.
  ++traps_;
  if (running_) --run_base_;
  mmu_update();
  update_irq();
  event_ = true;
  if (trap_hook_) trap_hook_(TrapEvent{xcause, epc, tval, from, priv_});
}

uint64_t Cpu::Impl::takeable_interrupts() const {
  // 3.1.9: an interrupt for M (not delegated) is taken below M, or in M with MIE; one
  // delegated to S is taken in U, or in S with SIE, never in M.
  const uint64_t pending = mip_ & mie_;
  const bool m_on = priv_ != PrivLevel::Machine || (mstatus_ & kMstatusMIE);
  const uint64_t m = m_on ? (pending & ~mideleg_) : 0;
  if (m != 0) return m;
  const bool s_on =
      priv_ == PrivLevel::User || (priv_ == PrivLevel::Supervisor && (mstatus_ & kMstatusSIE));
  return s_on ? (pending & mideleg_) : 0;
}

void Cpu::Impl::update_irq() {
  irq_pending_ = takeable_interrupts() != 0;
  if (irq_pending_) event_ = true;
}

void Cpu::Impl::take_interrupt() {
  // Privileged spec 3.1.9: M-level interrupts before S-level ones (takeable_interrupts), and
  // within a level MEI > MSI > MTI > SEI > SSI > STI.
  static constexpr unsigned kOrder[] = {kIrqMExt, kIrqMSoft, kIrqMTimer,
                                        kIrqSExt, kIrqSSoft, kIrqSTimer};
  const uint64_t pending = takeable_interrupts();
  if (pending == 0) return;  // nothing takeable any more (callers check irq_pending_)
  for (unsigned irq : kOrder) {
    if (pending & (1ull << irq)) {
      take_trap(irq, 0, true);
      return;
    }
  }
  // Some other mip bit (not a standard interrupt) is set and enabled: take the lowest.
  take_trap(static_cast<uint64_t>(__builtin_ctzll(pending)), 0, true);
}

bool Cpu::Impl::exec_mret() {
  if (priv_ != PrivLevel::Machine) {
    raise_exception(kExcIllegalInsn, 0x30200073);
    return false;
  }
  uint64_t s = mstatus_;
  // MPP is WARL and only ever holds a mode this hart has (csr_table.cpp), so it names one.
  const auto next = static_cast<PrivLevel>((s & kMstatusMPP) >> kMstatusMPPShift);
  s = (s & kMstatusMPIE) ? (s | kMstatusMIE) : (s & ~kMstatusMIE);
  s |= kMstatusMPIE;
  s &= ~kMstatusMPP;  // MPP := U, the least-privileged mode
  if (next != PrivLevel::Machine) s &= ~kMstatusMPRV;
  mstatus_ = s;
  priv_ = next;
  pc_ = c_enabled() ? mepc_ : (mepc_ & ~uint64_t{3});
  resv_valid_ = false;
  mmu_update();
  update_irq();
  event_ = true;
  return true;
}

bool Cpu::Impl::exec_sret(uint32_t raw) {
  const bool has_s = (misa_ >> ('S' - 'A')) & 1;
  if (!has_s || priv_ == PrivLevel::User ||
      (priv_ == PrivLevel::Supervisor && (mstatus_ & kMstatusTSR))) {
    raise_exception(kExcIllegalInsn, raw);
    return false;
  }
  uint64_t s = mstatus_;
  const PrivLevel next = (s & kMstatusSPP) ? PrivLevel::Supervisor : PrivLevel::User;
  s = (s & kMstatusSPIE) ? (s | kMstatusSIE) : (s & ~kMstatusSIE);
  s |= kMstatusSPIE;
  s &= ~kMstatusSPP;   // SPP := U
  s &= ~kMstatusMPRV;  // returning below M clears MPRV (3.1.6.3)
  mstatus_ = s;
  priv_ = next;
  pc_ = c_enabled() ? sepc_ : (sepc_ & ~uint64_t{3});
  resv_valid_ = false;
  mmu_update();
  update_irq();
  event_ = true;
  return true;
}

bool Cpu::Impl::exec_sfence_vma(uint32_t raw, uint64_t va, uint64_t asid) {
  const bool has_s = (misa_ >> ('S' - 'A')) & 1;
  if (!has_s || priv_ == PrivLevel::User ||
      (priv_ == PrivLevel::Supervisor && (mstatus_ & kMstatusTVM))) {
    raise_exception(kExcIllegalInsn, raw);
    return false;
  }
  // rs1 = x0: every address; rs2 = x0: every address space, global mappings included (4.2.1).
  const bool by_va = ((raw >> 15) & 31) != 0;
  const bool by_asid = ((raw >> 20) & 31) != 0;
  sfence(va, by_va, static_cast<uint16_t>(asid), by_asid);
  event_ = true;
  return true;
}

bool Cpu::Impl::exec_ecall() {
  // The hook (built-in SBI) answers S-mode ecalls, and U-mode ones that are not delegated to
  // an S-mode kernel.
  const bool to_kernel = priv_ == PrivLevel::User && ((medeleg_ >> kExcEcallU) & 1);
  if (priv_ != PrivLevel::Machine && !to_kernel && ecall_hook_) {
    in_ecall_hook_ = true;
    ecall_return_.reset();
    const bool handled = ecall_hook_(owner_);
    in_ecall_hook_ = false;
    if (handled && ecall_return_) {
      // The hook moved the hart: go on at the new pc as after a trap (the ecall retires).
      pc_ = *ecall_return_ & ~uint64_t{1};
      ecall_return_.reset();
      event_ = true;
      return false;
    }
    if (handled) return true;
  }
  uint64_t cause = priv_ == PrivLevel::User         ? kExcEcallU
                   : priv_ == PrivLevel::Supervisor ? kExcEcallS
                                                    : kExcEcallM;
  raise_exception(cause, 0);
  return false;
}

namespace {

template <typename S, typename U>
uint64_t amo_compute(Op op, uint64_t old_raw, uint64_t src_raw) {
  U old = static_cast<U>(old_raw), src = static_cast<U>(src_raw);
  S olds = static_cast<S>(old), srcs = static_cast<S>(src);
  U r = 0;
  switch (op) {
    case Op::AmoswapW:
    case Op::AmoswapD: r = src; break;
    case Op::AmoaddW:
    case Op::AmoaddD: r = static_cast<U>(old + src); break;
    case Op::AmoxorW:
    case Op::AmoxorD: r = old ^ src; break;
    case Op::AmoandW:
    case Op::AmoandD: r = old & src; break;
    case Op::AmoorW:
    case Op::AmoorD: r = old | src; break;
    case Op::AmominW:
    case Op::AmominD: r = static_cast<U>(std::min(olds, srcs)); break;
    case Op::AmomaxW:
    case Op::AmomaxD: r = static_cast<U>(std::max(olds, srcs)); break;
    case Op::AmominuW:
    case Op::AmominuD: r = std::min(old, src); break;
    case Op::AmomaxuW:
    case Op::AmomaxuD: r = std::max(old, src); break;
    default: break;
  }
  return r;
}

}  // namespace

bool Cpu::Impl::exec_amo(const Insn& in) {
  const Op op = static_cast<Op>(in.op);
  const bool dword = op >= Op::LrD;
  const unsigned size = dword ? 8 : 4;
  const uint64_t addr = x_[in.rs1];
  const uint64_t src = x_[in.rs2];
  const bool misaligned = (addr & (size - 1)) != 0;
  auto extend = [dword](uint64_t v) {
    return dword ? v : static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v)));
  };

  if (op == Op::LrW || op == Op::LrD) {
    if (misaligned) {
      raise_exception(kExcLoadMisaligned, addr);
      return false;
    }
    uint64_t v;
    if (!mem_load(addr, size, v)) {
      raise_exception(fault_cause_, fault_addr_);
      return false;
    }
    resv_valid_ = true;
    resv_addr_ = addr;
    resv_size_ = size;
    // Stores to the reserved page must reach the slow path, which breaks the reservation.
    TlbEntry& e = tlb_->write[(addr >> kPageShift) % kTlbSize];
    if (e.tag == (addr & kPageMask)) e = TlbEntry{};
    x_[in.rd] = extend(v);
    return true;
  }

  if (misaligned) {
    raise_exception(kExcStoreMisaligned, addr);
    return false;
  }
  if (op == Op::ScW || op == Op::ScD) {
    bool match = resv_valid_ && resv_addr_ == addr && resv_size_ == size;
    resv_valid_ = false;
    if (match && !mem_store(addr, size, src)) {
      raise_exception(fault_cause_, fault_addr_);
      return false;
    }
    x_[in.rd] = match ? 0 : 1;
    return true;
  }

  uint64_t old;
  if (!mem_load(addr, size, old, Access::Store)) {  // AMOs report store/AMO faults
    raise_exception(fault_cause_, fault_addr_);
    return false;
  }
  uint64_t result = dword ? amo_compute<int64_t, uint64_t>(op, old, src)
                          : amo_compute<int32_t, uint32_t>(op, old, src);
  if (!mem_store(addr, size, result)) {
    raise_exception(fault_cause_, fault_addr_);
    return false;
  }
  x_[in.rd] = extend(old);
  return true;
}

}  // namespace glassvm
