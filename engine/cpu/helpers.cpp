// The helpers of helpers.h: thin entry points over the hart's trap, CSR, atomic and memory
// code, with the calling convention generated code relies on. The interpreter calls these
// same functions, so both executors share one meaning per instruction.
#include "engine/cpu/helpers.h"

#include "engine/cpu/cpu_internal.h"

namespace glassvm {

namespace {

/// The hart behind a CpuState: every CpuState given to a helper is a Cpu::Impl's base.
Cpu::Impl& hart(CpuState& s) {
  s.sync_retired();
  return static_cast<Cpu::Impl&>(s);
}

Insn make_fields(Op op, unsigned rd, unsigned rs1, unsigned rs2, int32_t imm, uint32_t raw) {
  Insn in;
  in.op = static_cast<uint8_t>(op);
  in.rd = static_cast<uint8_t>(rd);
  in.rs1 = static_cast<uint8_t>(rs1);
  in.rs2 = static_cast<uint8_t>(rs2);
  in.imm = imm;
  in.raw = raw;
  return in;
}

}  // namespace

bool helper_raise(CpuState& s, uint64_t cause, uint64_t tval) {
  hart(s).raise_exception(cause, tval);
  return true;
}

bool helper_take_interrupt(CpuState& s) {
  hart(s).take_interrupt();
  return true;
}

bool helper_load(CpuState& s, uint64_t addr, unsigned size, uint64_t& value) {
  Cpu::Impl& h = hart(s);
  if (h.mem_load(addr, size, value)) return false;
  h.raise_exception(h.fault_cause_, h.fault_addr_);
  return true;
}

bool helper_store(CpuState& s, uint64_t addr, unsigned size, uint64_t value) {
  Cpu::Impl& h = hart(s);
  if (h.mem_store(addr, size, value)) return false;
  h.raise_exception(h.fault_cause_, h.fault_addr_);
  return true;
}

bool helper_csr(CpuState& s, Op op, unsigned rd, unsigned rs1, uint16_t csr, uint32_t raw) {
  return !hart(s).exec_csr(make_fields(op, rd, rs1, 0, csr, raw));
}

bool helper_amo(CpuState& s, Op op, unsigned rd, unsigned rs1, unsigned rs2) {
  return !hart(s).exec_amo(make_fields(op, rd, rs1, rs2, 0, 0));
}

bool helper_ecall(CpuState& s) {
  return !hart(s).exec_ecall();
}

bool helper_mret(CpuState& s) {
  return !hart(s).exec_mret();
}

bool helper_sret(CpuState& s, uint32_t raw) {
  return !hart(s).exec_sret(raw);
}

bool helper_sfence_vma(CpuState& s, uint64_t vaddr, uint64_t asid, uint32_t raw) {
  return !hart(s).exec_sfence_vma(raw, vaddr, asid);
}

bool helper_wfi(CpuState& s, uint32_t raw) {
  Cpu::Impl& h = hart(s);
  const bool has_s = (h.misa_ >> ('S' - 'A')) & 1;
  if ((h.priv_ != PrivLevel::Machine && (h.mstatus_ & kMstatusTW)) ||
      (h.priv_ == PrivLevel::User && has_s)) {
    h.raise_exception(kExcIllegalInsn, raw);
    return true;
  }
  h.wfi_ = (h.mip_ & h.mie_) == 0;
  return false;
}

}  // namespace glassvm
