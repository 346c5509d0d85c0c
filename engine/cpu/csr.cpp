// The CSR file of the hart: reset values, the interrupt lines behind mip, the debugger's and
// the Zicsr instructions' way into the CSR table (privileged spec chapters 2 and 3, Zicsr).
//
// Design note: every CSR access goes through csr_row(); what a CSR does is its row's business
// (csr_table.cpp). mip has two sources, as the privileged spec describes for SEIP: lines driven
// by devices (mip_lines_) and bits written by software (mip_soft_). mip_ is their OR, limited
// to the interrupts the hart has, and is what the interrupt logic and CSR reads see; a CSR
// write changes only the software bits, so it can never lose a pending device interrupt.
#include <cassert>

#include "engine/cpu/cpu.h"
#include "engine/cpu/cpu_internal.h"
#include "engine/cpu/csr.h"
#include "engine/cpu/csr_table.h"

namespace glassvm {

namespace {

/// The row of `csr` if this hart has that CSR, else nullptr.
const CsrRow* implemented_row(const Cpu::Impl& hart, uint16_t csr) {
  const CsrRow* row = csr_row(csr);
  return row != nullptr && row->exists != nullptr && row->exists(hart) ? row : nullptr;
}

}  // namespace

void Cpu::Impl::reset_csr_file() {
  const uint32_t ext = config_.misa_extensions;
  [[maybe_unused]] const uint32_t optional =
      misa_extension('S') | misa_extension('F') | misa_extension('D');
  assert((ext & ~optional) == HartConfig::kBaseExtensions &&
         "HartConfig::misa_extensions: IMAC+U, optionally with S, F and F+D");
  assert((!(ext & misa_extension('D')) || (ext & misa_extension('F'))) && "D requires F");
  misa_ = (2ull << 62) | ext;  // MXL = 2: RV64
  // UXL and SXL read 2 (64-bit) for the modes that exist and are read-only zero otherwise;
  // MIE = MPRV = 0 (privileged spec 3.4).
  mstatus_ = 0;
  if (ext & misa_extension('U')) mstatus_ |= kMstatusUXL & (2ull << 32);
  if (ext & misa_extension('S')) mstatus_ |= kMstatusSXL & (2ull << 34);
  // FS resets to Off: software enables the FPU (privileged spec 3.1.6.6).
  fcsr_ = 0;
  for (uint64_t& f : f_) f = 0;
  mie_ = 0;
  mip_soft_ = 0;  // the lines keep the level their devices drive
  update_mip();
}

void Cpu::Impl::update_mip() {
  uint64_t implemented = (1ull << kIrqMSoft) | (1ull << kIrqMTimer) | (1ull << kIrqMExt);
  if (misa_ & misa_extension('S')) {
    implemented |= (1ull << kIrqSSoft) | (1ull << kIrqSTimer) | (1ull << kIrqSExt);
  }
  uint64_t soft = mip_soft_;
  if (stimecmp_drives_stip()) {
    soft = (soft & ~(1ull << kIrqSTimer)) | (stimer_level_ ? 1ull << kIrqSTimer : 0);
  }
  mip_ = (mip_lines_ | soft) & implemented;
}

void Cpu::Impl::update_timer_interrupt() {
  const uint64_t time = time_source_ ? time_source_() : 0;  // as the time CSR reads
  stimer_level_ = stimecmp_drives_stip() && time >= stimecmp_;
  update_mip();
  update_irq();
  event_ = true;
}

void Cpu::Impl::notify_timer_compare() {
  if (timer_compare_listener_) {
    timer_compare_listener_(stimecmp_drives_stip() ? stimecmp_ : ~uint64_t{0});
  }
}

void Cpu::Impl::set_interrupt_line(unsigned irq, bool level) {
  assert(irq < 64 && "interrupt number must be a mip bit");
  const uint64_t bit = 1ull << irq;
  mip_lines_ = level ? (mip_lines_ | bit) : (mip_lines_ & ~bit);
  update_mip();
  update_irq();
  event_ = true;
}

bool Cpu::Impl::csr_exists(uint16_t csr) const {
  return implemented_row(*this, csr) != nullptr;
}

uint64_t Cpu::Impl::read_instret() const {
  return (mcountinhibit_ & 4) ? instret_frozen_ : retired_ + instret_offset_;
}

uint64_t Cpu::Impl::read_cycle() const {
  return (mcountinhibit_ & 1) ? cycle_frozen_ : retired_ + cycle_offset_;
}

bool Cpu::Impl::csr_read(uint16_t csr, uint64_t& value) const {
  const CsrRow* row = implemented_row(*this, csr);
  value = row ? row->read(*this, csr) : 0;
  return row != nullptr;
}

bool Cpu::Impl::csr_write(uint16_t csr, uint64_t value) {
  const CsrRow* row = implemented_row(*this, csr);
  if (row == nullptr || row->write == nullptr) return false;
  row->write(*this, csr, value);
  return true;
}

bool Cpu::Impl::exec_csr(const Insn& in) {
  const uint16_t csr = static_cast<uint16_t>(in.imm & 0xfff);
  const Op op = static_cast<Op>(in.op);
  const bool imm_form = op == Op::Csrrwi || op == Op::Csrrsi || op == Op::Csrrci;
  const bool is_rw = op == Op::Csrrw || op == Op::Csrrwi;
  const uint64_t operand = imm_form ? in.rs1 : x_[in.rs1];
  // csrrs/csrrc with rs1 = x0 and csrrsi/csrrci with uimm = 0 do not write (Zicsr 9.1);
  // csrrw/csrrwi with rd = x0 do not read (x0 as rd is the sink register 32 here).
  const bool writes = is_rw || in.rs1 != 0;
  const bool reads = !(is_rw && in.rd == 32);
  const CsrRow* row = implemented_row(*this, csr);
  const bool ok = row != nullptr && static_cast<unsigned>(priv_) >= csr_min_priv(csr) &&
                  !(writes && csr_read_only(csr)) &&
                  (row->access == nullptr || row->access(*this, csr));
  if (!ok) {
    raise_exception(kExcIllegalInsn, in.raw);
    return false;
  }
  uint64_t old = 0;
  if (reads) old = row->read(*this, csr);
  if (writes) {
    uint64_t value = operand;
    if (!is_rw) {
      const uint64_t base = row->rmw_read ? row->rmw_read(*this, csr) : old;
      value = (op == Op::Csrrs || op == Op::Csrrsi) ? (base | operand) : (base & ~operand);
    }
    retire_adjust_ = 1;
    row->write(*this, csr, value);
    retire_adjust_ = 0;
  }
  x_[in.rd] = old;
  return true;
}

}  // namespace glassvm
