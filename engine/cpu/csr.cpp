// The CSR file of an M+U hart (privileged spec chapter 2 and 3, Zicntr): which CSRs exist,
// their WARL rules, privilege and read-only checks, and the Zicsr instructions.
//
// Design note: S-mode CSRs (sstatus, satp, medeleg, ...) do not exist yet and raise illegal
// instruction like any unknown number; adding S-mode means adding them here and in
// cpu_trap.cpp's trap target selection.
#include <cassert>

#include "engine/cpu/cpu.h"
#include "engine/cpu/cpu_internal.h"
#include "engine/cpu/csr.h"
#include "engine/cpu/csr_names.h"

namespace glassvm {

namespace {

// mstatus bits an M-mode write can change (MPP further filtered to M and U).
constexpr uint64_t kMstatusWritable =
    kMstatusMIE | kMstatusMPIE | kMstatusMPP | kMstatusMPRV | kMstatusTW;
// mie/mip: the M and S interrupt bits exist; S bits are kept for the S-mode issue.
constexpr uint64_t kMieWritable = 0xaaa;
constexpr uint64_t kMipWritable = (1ull << kIrqSSoft) | (1ull << kIrqSTimer) | (1ull << kIrqSExt);
constexpr uint64_t kMcountinhibitWritable = 0xfffffffdull;  // TM (bit 1) is read-only zero
constexpr uint64_t kPmpaddrMask = (1ull << 54) - 1;         // RV64: bits 53:0
constexpr unsigned kPmpL = 0x80, kPmpAShift = 3, kPmpTor = 1;

/// Whether this hart implements `csr` (at any privilege).
bool csr_implemented(uint16_t csr) {
  switch (csr) {
    case kCsrMstatus:
    case kCsrMisa:
    case kCsrMie:
    case kCsrMtvec:
    case kCsrMcounteren:
    case kCsrMenvcfg:
    case kCsrMcountinhibit:
    case kCsrMscratch:
    case kCsrMepc:
    case kCsrMcause:
    case kCsrMtval:
    case kCsrMip:
    case kCsrMcycle:
    case kCsrMinstret:
    case kCsrMvendorid:
    case kCsrMarchid:
    case kCsrMimpid:
    case kCsrMhartid:
    case kCsrMconfigptr: return true;
    default: break;
  }
  if (csr >= kCsrMhpmevent3 && csr <= kCsrMhpmevent31) return true;
  if (csr >= kCsrPmpcfg0 && csr <= kCsrPmpcfg15) return (csr & 1) == 0;  // RV64: even only
  if (csr >= kCsrPmpaddr0 && csr <= kCsrPmpaddr63) return true;
  if (csr >= kCsrMhpmcounter3 && csr <= kCsrMhpmcounter31) return true;
  if (csr >= kCsrCycle && csr <= kCsrHpmcounter31) return true;
  return false;
}

uint8_t pmp_cfg_byte(const uint64_t* pmpcfg, unsigned entry) {
  return static_cast<uint8_t>(pmpcfg[entry / 8] >> ((entry % 8) * 8));
}

}  // namespace

const char* csr_name(uint16_t csr) {
  return csr_implemented(csr) ? csr_mnemonic(csr) : nullptr;
}

bool Cpu::Impl::csr_exists(uint16_t csr) const {
  return csr_implemented(csr);
}

uint64_t Cpu::Impl::read_instret() const {
  return (mcountinhibit_ & 4) ? instret_frozen_ : retired_ + instret_offset_;
}

uint64_t Cpu::Impl::read_cycle() const {
  return (mcountinhibit_ & 1) ? cycle_frozen_ : retired_ + cycle_offset_;
}

bool Cpu::Impl::csr_read(uint16_t csr, uint64_t& value) const {
  value = 0;
  if (!csr_implemented(csr)) return false;
  switch (csr) {
    case kCsrMstatus: value = mstatus_; return true;
    case kCsrMisa: value = misa_; return true;
    case kCsrMie: value = mie_; return true;
    case kCsrMip: value = mip_; return true;
    case kCsrMtvec: value = mtvec_; return true;
    case kCsrMcounteren: value = mcounteren_; return true;
    case kCsrMenvcfg: value = menvcfg_; return true;
    case kCsrMcountinhibit: value = mcountinhibit_; return true;
    case kCsrMscratch: value = mscratch_; return true;
    // With IALIGN = 32 (misa.C clear) mepc[1] reads as zero (privileged spec 3.1.14).
    case kCsrMepc: value = c_enabled() ? mepc_ : (mepc_ & ~uint64_t{3}); return true;
    case kCsrMcause: value = mcause_; return true;
    case kCsrMtval: value = mtval_; return true;
    case kCsrMcycle:
    case kCsrCycle: value = read_cycle(); return true;
    case kCsrMinstret:
    case kCsrInstret: value = read_instret(); return true;
    case kCsrTime: value = time_source_ ? time_source_() : 0; return true;
    case kCsrMhartid: value = hartid_; return true;
    default: break;
  }
  if (csr >= kCsrPmpcfg0 && csr <= kCsrPmpcfg15) {
    value = pmpcfg_[(csr - kCsrPmpcfg0) / 2];
  } else if (csr >= kCsrPmpaddr0 && csr <= kCsrPmpaddr63) {
    value = pmpaddr_[csr - kCsrPmpaddr0];
  }
  // Everything else that exists (IDs, hpm counters and events) reads as zero.
  return true;
}

bool Cpu::Impl::csr_write(uint16_t csr, uint64_t value) {
  if (!csr_implemented(csr) || (csr >> 10) == 3) return false;
  // During a CSR instruction that instruction still retires after the write; counters written
  // now must read back the written value from the next instruction on.
  const uint64_t retired_after = retired_ + retire_adjust_;
  switch (csr) {
    case kCsrMstatus: {
      uint64_t mpp = (value & kMstatusMPP) >> kMstatusMPPShift;
      if (mpp != 0 && mpp != 3) {  // WARL: only U and M exist; keep the old MPP
        value = (value & ~kMstatusMPP) | (mstatus_ & kMstatusMPP);
      }
      mstatus_ = (mstatus_ & ~kMstatusWritable) | (value & kMstatusWritable);
      update_irq();
      event_ = true;
      return true;
    }
    case kCsrMisa: {
      bool want_c = (value & kMisaC) != 0;
      if (want_c == c_enabled()) return true;
      // Clearing C raises IALIGN to 32: suppressed if the next instruction is misaligned.
      uint64_t next_pc = pc_ + 4 * retire_adjust_;
      if (!want_c && (next_pc & 2)) return true;
      misa_ = want_c ? (misa_ | kMisaC) : (misa_ & ~kMisaC);
      flush_pending_ = true;  // decoded code depends on C
      event_ = true;
      return true;
    }
    case kCsrMie:
      mie_ = value & kMieWritable;
      update_irq();
      event_ = true;
      return true;
    case kCsrMip:
      mip_ = (mip_ & ~kMipWritable) | (value & kMipWritable);
      update_irq();
      event_ = true;
      return true;
    case kCsrMtvec: {
      uint64_t mode = value & 3;
      if (mode >= 2) mode = mtvec_ & 3;  // reserved modes: WARL, keep the old mode
      mtvec_ = (value & ~uint64_t{3}) | mode;
      return true;
    }
    case kCsrMcounteren: mcounteren_ = value & 0xffffffffull; return true;
    case kCsrMenvcfg: menvcfg_ = value & 1; return true;  // FIOM only
    case kCsrMcountinhibit: {
      uint64_t next = value & kMcountinhibitWritable;
      if (!(mcountinhibit_ & 1) && (next & 1)) cycle_frozen_ = read_cycle();
      if ((mcountinhibit_ & 1) && !(next & 1)) cycle_offset_ = cycle_frozen_ - retired_after;
      if (!(mcountinhibit_ & 4) && (next & 4)) instret_frozen_ = read_instret();
      if ((mcountinhibit_ & 4) && !(next & 4)) instret_offset_ = instret_frozen_ - retired_after;
      mcountinhibit_ = next;
      return true;
    }
    case kCsrMscratch: mscratch_ = value; return true;
    case kCsrMepc: mepc_ = value & ~uint64_t{1}; return true;
    case kCsrMcause: mcause_ = value; return true;
    case kCsrMtval: mtval_ = value; return true;
    case kCsrMcycle:
      if (mcountinhibit_ & 1)
        cycle_frozen_ = value;
      else
        cycle_offset_ = value - retired_after;
      return true;
    case kCsrMinstret:
      if (mcountinhibit_ & 4)
        instret_frozen_ = value;
      else
        instret_offset_ = value - retired_after;
      return true;
    default: break;
  }
  if (csr >= kCsrPmpcfg0 && csr <= kCsrPmpcfg15) {
    unsigned reg = (csr - kCsrPmpcfg0) / 2;
    uint64_t result = 0;
    for (unsigned i = 0; i < 8; ++i) {
      uint8_t old = pmp_cfg_byte(pmpcfg_, reg * 8 + i);
      uint8_t b = static_cast<uint8_t>(value >> (i * 8));
      if (old & kPmpL) {
        b = old;  // locked entries ignore writes
      } else {
        b &= 0x9f;                   // bits 6:5 are reserved, read as zero
        if ((b & 3) == 2) b &= ~2u;  // R=0 W=1 is reserved: drop W
      }
      result |= static_cast<uint64_t>(b) << (i * 8);
    }
    pmpcfg_[reg] = result;
    return true;
  }
  if (csr >= kCsrPmpaddr0 && csr <= kCsrPmpaddr63) {
    unsigned entry = csr - kCsrPmpaddr0;
    if (pmp_cfg_byte(pmpcfg_, entry) & kPmpL) return true;
    if (entry + 1 < 64) {
      uint8_t next = pmp_cfg_byte(pmpcfg_, entry + 1);
      if ((next & kPmpL) && ((next >> kPmpAShift) & 3) == kPmpTor) return true;
    }
    pmpaddr_[entry] = value & kPmpaddrMask;
    return true;
  }
  // mhpmcounter3..31 and mhpmevent3..31: writes ignored.
  return true;
}

bool Cpu::Impl::exec_csr(const Insn& in) {
  const uint16_t csr = static_cast<uint16_t>(in.imm & 0xfff);
  const Op op = static_cast<Op>(in.op);
  const bool imm_form = op == Op::Csrrwi || op == Op::Csrrsi || op == Op::Csrrci;
  const bool is_rw = op == Op::Csrrw || op == Op::Csrrwi;
  const uint64_t operand = imm_form ? in.rs1 : x_[in.rs1];
  // csrrs/csrrc with rs1 = x0 and csrrsi/csrrci with uimm = 0 do not write (Zicsr 9.1);
  // csrrw/csrrwi with rd = x0 do not read.
  const bool writes = is_rw || in.rs1 != 0;
  const bool reads = !(is_rw && in.rd == 32);
  bool ok = csr_implemented(csr) && static_cast<unsigned>(priv_) >= ((csr >> 8) & 3u) &&
            !(writes && (csr >> 10) == 3);
  if (ok && csr >= kCsrCycle && csr <= kCsrHpmcounter31 && priv_ != PrivLevel::Machine) {
    ok = (mcounteren_ >> (csr & 31)) & 1;
  }
  if (!ok) {
    raise_exception(kExcIllegalInsn, in.raw);
    return false;
  }
  uint64_t old = 0;
  if (reads) csr_read(csr, old);
  if (writes) {
    uint64_t value = is_rw                                   ? operand
                     : (op == Op::Csrrs || op == Op::Csrrsi) ? (old | operand)
                                                             : (old & ~operand);
    retire_adjust_ = 1;
    bool written = csr_write(csr, value);
    retire_adjust_ = 0;
    assert(written && "existence and read-only checks passed, the write must succeed");
    (void)written;
  }
  x_[in.rd] = old;
  return true;
}

}  // namespace glassvm
