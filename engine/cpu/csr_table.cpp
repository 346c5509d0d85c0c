// What each CSR does: its predicate, how it reads, its WARL write rules (privileged spec
// chapters 2 and 3, Zicntr, Zihpm), and the table that names them all.
//
// Design note: the table is built at compile time, sorted by number, with the numbered families
// expanded into one row each; a 4096-entry index turns a number into its row. The checks at the
// bottom make a malformed row a compile error rather than a guest-visible surprise.
#include "engine/cpu/csr_table.h"

#include <array>
#include <cstddef>

#include "engine/cpu/csr.h"

namespace glassvm {

namespace {

using Impl = Cpu::Impl;

constexpr uint64_t irq_bit(unsigned irq) {
  return uint64_t{1} << irq;
}
constexpr uint64_t kMachineIrqs = irq_bit(kIrqMSoft) | irq_bit(kIrqMTimer) | irq_bit(kIrqMExt);
constexpr uint64_t kSupervisorIrqs = irq_bit(kIrqSSoft) | irq_bit(kIrqSTimer) | irq_bit(kIrqSExt);
constexpr uint64_t kMcountinhibitWritable = 0xfffffffdull;  // TM (bit 1) is read-only zero
constexpr uint64_t kPmpaddrMask = (1ull << 54) - 1;         // RV64: bits 53:0
constexpr unsigned kPmpL = 0x80, kPmpAShift = 3, kPmpTor = 1;

// -- Predicates --

bool always(const Impl&) {
  return true;
}
bool has_s(const Impl& h) {
  return hart_has(h, 'S');
}
bool has_f(const Impl& h) {
  return hart_has(h, 'F');
}
bool has_sstc(const Impl& h) {
  return hart_has(h, 'S') && h.config_.sstc;
}

// -- Shared read and write behaviours --

uint64_t read_zero(const Impl&, uint16_t) {
  return 0;
}
void write_ignored(Impl&, uint16_t, uint64_t) {}

/// Counters readable below M-mode only when mcounteren allows, and in U-mode only when
/// scounteren allows too (privileged spec 3.1.11, 4.1.5).
bool counter_enabled(const Impl& h, uint16_t csr) {
  if (h.priv_ == PrivLevel::Machine) return true;
  const unsigned bit = csr & 31;
  if (!((h.mcounteren_ >> bit) & 1)) return false;
  return h.priv_ == PrivLevel::Supervisor || !hart_has(h, 'S') || ((h.scounteren_ >> bit) & 1);
}

// -- mstatus (3.1.6) --

/// The mstatus fields software can write on this hart. Without S-mode the S fields (SIE, SPIE,
/// SPP, SUM, MXR, TVM, TSR) are read-only zero; MPRV and TW exist because U-mode does.
uint64_t mstatus_writable(const Impl& h) {
  uint64_t m = kMstatusMIE | kMstatusMPIE | kMstatusMPP;
  if (hart_has(h, 'U')) m |= kMstatusMPRV | kMstatusTW;
  if (hart_has(h, 'F')) m |= kMstatusFS;
  if (hart_has(h, 'S')) {
    m |= kMstatusSIE | kMstatusSPIE | kMstatusSPP | kMstatusSUM | kMstatusMXR | kMstatusTVM |
         kMstatusTSR;
  }
  return m;
}

uint64_t read_mstatus(const Impl& h, uint16_t) {
  return h.mstatus_;
}
void write_mstatus(Impl& h, uint16_t, uint64_t value) {
  // MPP is WARL over the modes the hart has: an unsupported mode keeps the old MPP.
  const uint64_t mpp = (value & kMstatusMPP) >> kMstatusMPPShift;
  const bool legal = mpp == 3 || (mpp == 1 && hart_has(h, 'S')) || (mpp == 0 && hart_has(h, 'U'));
  if (!legal) value = (value & ~kMstatusMPP) | (h.mstatus_ & kMstatusMPP);
  const uint64_t writable = mstatus_writable(h);
  h.mstatus_ = (h.mstatus_ & ~writable) | (value & writable);
  // SD summarises the Dirty states (only FS exists here).
  h.mstatus_ =
      (h.mstatus_ & ~kMstatusSD) | ((h.mstatus_ & kMstatusFS) == kMstatusFS ? kMstatusSD : 0);
  h.mmu_update();  // MPRV, MPP, SUM and MXR change how loads and stores translate
  h.update_irq();
  h.event_ = true;
}

// -- misa (3.1.1): only C is writable --

uint64_t read_misa(const Impl& h, uint16_t) {
  return h.misa_;
}
void write_misa(Impl& h, uint16_t, uint64_t value) {
  const bool want_c = (value & kMisaC) != 0;
  if (want_c == h.c_enabled()) return;
  // Clearing C raises IALIGN to 32: suppressed if the next instruction is misaligned.
  const uint64_t next_pc = h.pc_ + 4 * h.retire_adjust_;
  if (!want_c && (next_pc & 2)) return;
  h.misa_ = want_c ? (h.misa_ | kMisaC) : (h.misa_ & ~kMisaC);
  h.flush_pending_ = true;  // decoded code depends on C
  h.event_ = true;
}

// -- mie and mip (3.1.9) --

/// The interrupts this hart has: the S-level ones only with S-mode (else read-only zero).
uint64_t interrupts_implemented(const Impl& h) {
  return kMachineIrqs | (hart_has(h, 'S') ? kSupervisorIrqs : 0);
}

uint64_t read_mie(const Impl& h, uint16_t) {
  return h.mie_;
}
void write_mie(Impl& h, uint16_t, uint64_t value) {
  h.mie_ = value & interrupts_implemented(h);
  h.update_irq();
  h.event_ = true;
}

uint64_t read_mip(const Impl& h, uint16_t) {
  return h.mip_;
}
/// csrrs/csrrc on mip modify the software-writable bits only: the PLIC's SEIP line is ORed
/// into what they read but never written back (3.1.9).
uint64_t read_mip_soft(const Impl& h, uint16_t) {
  return h.mip_soft_;
}
void write_mip(Impl& h, uint16_t, uint64_t value) {
  // MSIP, MTIP and MEIP are driven by the CLINT and the PLIC; SSIP, STIP and SEIP are
  // writable by M-mode when S-mode exists, STIP not while stimecmp drives it (Sstc).
  h.mip_soft_ = value & (interrupts_implemented(h) & kSupervisorIrqs);
  if (h.stimecmp_drives_stip()) h.mip_soft_ &= ~irq_bit(kIrqSTimer);
  h.update_mip();
  h.update_irq();
  h.event_ = true;
}

// -- Trap setup and handling --

uint64_t read_mtvec(const Impl& h, uint16_t) {
  return h.mtvec_;
}
// mtvec and stvec (privileged spec 3.1.7, 4.1.2): MODE is WARL; a reserved mode (2, 3) keeps
// the old one.
uint64_t legal_tvec(uint64_t old, uint64_t value) {
  const uint64_t mode = (value & 3) >= 2 ? (old & 3) : (value & 3);
  return (value & ~uint64_t{3}) | mode;
}

void write_mtvec(Impl& h, uint16_t, uint64_t value) {
  h.mtvec_ = legal_tvec(h.mtvec_, value);
}

uint64_t read_mcounteren(const Impl& h, uint16_t) {
  return h.mcounteren_;
}
void write_mcounteren(Impl& h, uint16_t, uint64_t value) {
  h.mcounteren_ = value & 0xffffffffull;
}

uint64_t read_menvcfg(const Impl& h, uint16_t) {
  return h.menvcfg_;
}
void write_menvcfg(Impl& h, uint16_t, uint64_t value) {
  // FIOM, and STCE with Sstc; CBIE, CBCFE, CBZE, PBMTE, ADUE are read-only zero (no Zicbo*,
  // Svpbmt, Svadu on this hart).
  const uint64_t writable = kEnvcfgFiom | (has_sstc(h) ? kMenvcfgStce : 0);
  const uint64_t old = h.menvcfg_;
  h.menvcfg_ = value & writable;
  if ((old ^ h.menvcfg_) & kMenvcfgStce) {
    h.update_timer_interrupt();
    h.notify_timer_compare();
  }
}

uint64_t read_mscratch(const Impl& h, uint16_t) {
  return h.mscratch_;
}
void write_mscratch(Impl& h, uint16_t, uint64_t value) {
  h.mscratch_ = value;
}

uint64_t read_mepc(const Impl& h, uint16_t) {
  // With IALIGN = 32 (misa.C clear) mepc[1] reads as zero but stays writable (3.1.14).
  return h.c_enabled() ? h.mepc_ : (h.mepc_ & ~uint64_t{3});
}
void write_mepc(Impl& h, uint16_t, uint64_t value) {
  h.mepc_ = value & ~uint64_t{1};
}

uint64_t read_mcause(const Impl& h, uint16_t) {
  return h.mcause_;
}
void write_mcause(Impl& h, uint16_t, uint64_t value) {
  h.mcause_ = value;
}

uint64_t read_mtval(const Impl& h, uint16_t) {
  return h.mtval_;
}
void write_mtval(Impl& h, uint16_t, uint64_t value) {
  h.mtval_ = value;
}

// -- Counters (3.1.10-3.1.12, Zicntr) --

/// The retired count an instruction that writes a counter leaves behind: a CSR instruction
/// still retires after its write, and the next instruction must read the value written.
uint64_t retired_after(const Impl& h) {
  return h.retired_ + h.retire_adjust_;
}

uint64_t read_mcountinhibit(const Impl& h, uint16_t) {
  return h.mcountinhibit_;
}
void write_mcountinhibit(Impl& h, uint16_t, uint64_t value) {
  const uint64_t next = value & kMcountinhibitWritable;
  const uint64_t now = retired_after(h);
  if (!(h.mcountinhibit_ & 1) && (next & 1)) h.cycle_frozen_ = h.read_cycle();
  if ((h.mcountinhibit_ & 1) && !(next & 1)) h.cycle_offset_ = h.cycle_frozen_ - now;
  if (!(h.mcountinhibit_ & 4) && (next & 4)) h.instret_frozen_ = h.read_instret();
  if ((h.mcountinhibit_ & 4) && !(next & 4)) h.instret_offset_ = h.instret_frozen_ - now;
  h.mcountinhibit_ = next;
}

uint64_t read_cycle(const Impl& h, uint16_t) {
  return h.read_cycle();
}
void write_mcycle(Impl& h, uint16_t, uint64_t value) {
  if (h.mcountinhibit_ & 1) {
    h.cycle_frozen_ = value;
  } else {
    h.cycle_offset_ = value - retired_after(h);
  }
}

uint64_t read_instret(const Impl& h, uint16_t) {
  return h.read_instret();
}
void write_minstret(Impl& h, uint16_t, uint64_t value) {
  if (h.mcountinhibit_ & 4) {
    h.instret_frozen_ = value;
  } else {
    h.instret_offset_ = value - retired_after(h);
  }
}

uint64_t read_time(const Impl& h, uint16_t) {
  return h.time_source_ ? h.time_source_() : 0;
}

// -- Machine information (3.1.2-3.1.5, 3.1.17): read-only; only mhartid is not zero --

uint64_t read_mhartid(const Impl& h, uint16_t) {
  return h.hartid_;
}

// -- Physical memory protection (3.7) --

uint8_t pmp_cfg_byte(const Impl& h, unsigned entry) {
  return static_cast<uint8_t>(h.pmpcfg_[entry / 8] >> ((entry % 8) * 8));
}

uint64_t read_pmpcfg(const Impl& h, uint16_t csr) {
  return h.pmpcfg_[(csr - kCsrPmpcfg0) / 2];
}
void write_pmpcfg(Impl& h, uint16_t csr, uint64_t value) {
  // (pmp_update() at the end: any change re-decodes the entries and empties the TLBs.)
  const unsigned reg = (csr - kCsrPmpcfg0) / 2;
  uint64_t result = 0;
  for (unsigned i = 0; i < 8; ++i) {
    const uint8_t old = pmp_cfg_byte(h, reg * 8 + i);
    uint8_t b = static_cast<uint8_t>(value >> (i * 8));
    if (old & kPmpL) {
      b = old;  // locked entries ignore writes
    } else {
      b &= 0x9f;                   // bits 6:5 are reserved, read as zero
      if ((b & 3) == 2) b &= ~2u;  // R=0 W=1 is reserved: drop W
    }
    result |= static_cast<uint64_t>(b) << (i * 8);
  }
  h.pmpcfg_[reg] = result;
  h.pmp_update();
}

uint64_t read_pmpaddr(const Impl& h, uint16_t csr) {
  return h.pmpaddr_[csr - kCsrPmpaddr0];
}
void write_pmpaddr(Impl& h, uint16_t csr, uint64_t value) {
  const unsigned entry = csr - kCsrPmpaddr0;
  if (pmp_cfg_byte(h, entry) & kPmpL) return;
  if (entry + 1 < 64) {
    const uint8_t next = pmp_cfg_byte(h, entry + 1);
    if ((next & kPmpL) && ((next >> kPmpAShift) & 3) == kPmpTor) return;  // TOR base is locked
  }
  h.pmpaddr_[entry] = value & kPmpaddrMask;
  h.pmp_update();
}

// -- Sstc: stimecmp (Sstc spec; privileged spec 3.1.18 for menvcfg.STCE) --

/// S-mode may access stimecmp only when M-mode allows both the time counter (mcounteren.TM)
/// and the comparator (menvcfg.STCE); M-mode always may.
bool stimecmp_accessible(const Impl& h, uint16_t) {
  if (h.priv_ == PrivLevel::Machine) return true;
  return (h.mcounteren_ & 2) && (h.menvcfg_ & kMenvcfgStce);
}
uint64_t read_stimecmp(const Impl& h, uint16_t) {
  return h.stimecmp_;
}
void write_stimecmp(Impl& h, uint16_t, uint64_t value) {
  h.stimecmp_ = value;
  h.update_timer_interrupt();  // a write in the future clears STIP at once (Linux relies on it)
  h.notify_timer_compare();
}

// -- F/D: fflags, frm, fcsr (unprivileged spec 11.2), gated by mstatus.FS (3.1.6.6) --

/// The FP CSRs are illegal to access while mstatus.FS is Off.
bool fp_enabled(const Impl& h, uint16_t) {
  return (h.mstatus_ & kMstatusFS) != 0;
}
uint64_t read_fcsr(const Impl& h, uint16_t csr) {
  switch (csr) {
    case kCsrFflags: return h.fcsr_ & 0x1f;
    case kCsrFrm: return (h.fcsr_ >> 5) & 7;
    default: return h.fcsr_ & 0xff;
  }
}
/// frm is WARL over all 3-bit values: reserved modes stay (an instruction using them with DYN
/// is then illegal). Any write makes the FP state Dirty.
void write_fcsr(Impl& h, uint16_t csr, uint64_t value) {
  switch (csr) {
    case kCsrFflags: h.fcsr_ = (h.fcsr_ & ~0x1fu) | (value & 0x1f); break;
    case kCsrFrm: h.fcsr_ = (h.fcsr_ & ~0xe0u) | ((value & 7) << 5); break;
    default: h.fcsr_ = static_cast<uint32_t>(value & 0xff); break;
  }
  h.mstatus_ |= kMstatusFS | kMstatusSD;
}

// -- Supervisor mode (chapter 4) --

/// The mstatus fields sstatus shows (4.1.1): SIE, SPIE, UBE, SPP, VS, FS, XS, SUM, MXR, UXL, SD.
constexpr uint64_t kSstatusView = kMstatusSIE | kMstatusSPIE | (1ull << 6) | kMstatusSPP |
                                  (3ull << 9) | (3ull << 13) | (3ull << 15) | kMstatusSUM |
                                  kMstatusMXR | kMstatusUXL | (1ull << 63);
/// The ones S-mode can write (UBE, VS and XS are read-only zero on this hart; FS is when the
/// hart has no F, which write_mstatus enforces).
constexpr uint64_t kSstatusWritable =
    kMstatusSIE | kMstatusSPIE | kMstatusSPP | kMstatusSUM | kMstatusMXR | kMstatusFS;
/// The exceptions medeleg can delegate (3.1.8): every cause this hart raises but ECALL from
/// M-mode (medeleg[11] is read-only zero): 0-9, 12, 13, 15.
constexpr uint64_t kMedelegWritable = 0xb3ff;

uint64_t read_sstatus(const Impl& h, uint16_t) {
  return h.mstatus_ & kSstatusView;
}
void write_sstatus(Impl& h, uint16_t csr, uint64_t value) {
  write_mstatus(h, csr, (h.mstatus_ & ~kSstatusWritable) | (value & kSstatusWritable));
}

uint64_t read_medeleg(const Impl& h, uint16_t) {
  return h.medeleg_;
}
void write_medeleg(Impl& h, uint16_t, uint64_t value) {
  h.medeleg_ = value & kMedelegWritable;
}

uint64_t read_mideleg(const Impl& h, uint16_t) {
  return h.mideleg_;
}
void write_mideleg(Impl& h, uint16_t, uint64_t value) {
  h.mideleg_ = value & kSupervisorIrqs;  // the M-level interrupts cannot be delegated
  h.update_irq();
  h.event_ = true;
}

/// sie and sip show the interrupts delegated to S; the others read as zero (4.1.3).
uint64_t read_sie(const Impl& h, uint16_t) {
  return h.mie_ & h.mideleg_;
}
void write_sie(Impl& h, uint16_t, uint64_t value) {
  h.mie_ = (h.mie_ & ~h.mideleg_) | (value & h.mideleg_);
  h.update_irq();
  h.event_ = true;
}
uint64_t read_sip(const Impl& h, uint16_t) {
  return h.mip_ & h.mideleg_;
}
uint64_t read_sip_soft(const Impl& h, uint16_t) {
  return h.mip_soft_ & h.mideleg_;
}
void write_sip(Impl& h, uint16_t, uint64_t value) {
  // Only SSIP is writable through sip; STIP and SEIP are M-mode's (or the devices') to set.
  const uint64_t writable = h.mideleg_ & irq_bit(kIrqSSoft);
  h.mip_soft_ = (h.mip_soft_ & ~writable) | (value & writable);
  h.update_mip();
  h.update_irq();
  h.event_ = true;
}

uint64_t read_stvec(const Impl& h, uint16_t) {
  return h.stvec_;
}
void write_stvec(Impl& h, uint16_t, uint64_t value) {
  h.stvec_ = legal_tvec(h.stvec_, value);
}

uint64_t read_scounteren(const Impl& h, uint16_t) {
  return h.scounteren_;
}
void write_scounteren(Impl& h, uint16_t, uint64_t value) {
  h.scounteren_ = value & 0xffffffffull;
}

uint64_t read_senvcfg(const Impl& h, uint16_t) {
  return h.senvcfg_;
}
void write_senvcfg(Impl& h, uint16_t, uint64_t value) {
  h.senvcfg_ = value & 1;  // FIOM only
}

uint64_t read_sscratch(const Impl& h, uint16_t) {
  return h.sscratch_;
}
void write_sscratch(Impl& h, uint16_t, uint64_t value) {
  h.sscratch_ = value;
}

uint64_t read_sepc(const Impl& h, uint16_t) {
  return h.c_enabled() ? h.sepc_ : (h.sepc_ & ~uint64_t{3});
}
void write_sepc(Impl& h, uint16_t, uint64_t value) {
  h.sepc_ = value & ~uint64_t{1};
}

uint64_t read_scause(const Impl& h, uint16_t) {
  return h.scause_;
}
void write_scause(Impl& h, uint16_t, uint64_t value) {
  h.scause_ = value;
}

uint64_t read_stval(const Impl& h, uint16_t) {
  return h.stval_;
}
void write_stval(Impl& h, uint16_t, uint64_t value) {
  h.stval_ = value;
}

/// satp is not accessible from S-mode while mstatus.TVM is set (3.1.6.6).
bool satp_accessible(const Impl& h, uint16_t) {
  return !(h.priv_ == PrivLevel::Supervisor && (h.mstatus_ & kMstatusTVM));
}
uint64_t read_satp(const Impl& h, uint16_t) {
  return h.satp_;
}
void write_satp(Impl& h, uint16_t, uint64_t value) {
  // 4.1.11: a write with a MODE the hart does not support (Sv57, Sv64, reserved) has no effect
  // at all, which is how software probes for the widest mode. ASIDLEN is 16.
  const uint64_t mode = value >> kSatpModeShift;
  if (mode != kSatpModeBare && mode != kSatpModeSv39 && mode != kSatpModeSv48) return;
  const uint64_t old = h.satp_;
  h.satp_ = value & ((0xfull << kSatpModeShift) | kSatpAsidMask | kSatpPpnMask);
  // A new MODE: every set goes, so that a return to the old mode walks again. Another address
  // space (ASID or root): its non-global entries must not match, in any set; the global ones
  // stay (4.1.11, 4.3.1).
  if ((old ^ h.satp_) >> kSatpModeShift) {
    h.flush_translation();
  } else if ((old ^ h.satp_) & (kSatpAsidMask | kSatpPpnMask)) {
    h.flush_non_global();
  }
  h.mmu_update();
  h.event_ = true;
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

constexpr size_t kMaxRows = 512;

struct TableBuilder {
  std::array<CsrRow, kMaxRows> rows{};
  size_t size = 0;

  /// Appends the row for `number`, named `name` (followed by `index` when not negative).
  constexpr CsrRow& add(uint16_t number, const char* name, int index = -1) {
    CsrRow& r = rows[size++];
    r.number = number;
    size_t n = 0;
    while (name[n] != '\0') {
      r.name[n] = name[n];
      ++n;
    }
    if (index >= 0) {
      char digits[4] = {};
      int count = 0;
      do {
        digits[count++] = static_cast<char>('0' + index % 10);
        index /= 10;
      } while (index > 0);
      while (count > 0) r.name[n++] = digits[--count];
    }
    r.name[n] = '\0';
    return r;
  }
  /// Appends a CSR this hart has when `exists` holds.
  constexpr void add(uint16_t number, const char* name, CsrPredicate exists, CsrRead read,
                     CsrWrite write, CsrAccess access = nullptr, int index = -1) {
    CsrRow& r = add(number, name, index);
    r.exists = exists;
    r.read = read;
    r.write = write;
    r.access = access;
  }
};

constexpr TableBuilder build_table() {
  TableBuilder t;
  // Name-only rows are ratified CSRs this hart never has: Zkr, the debug and trigger
  // registers.
  t.add(kCsrFflags, "fflags", has_f, read_fcsr, write_fcsr, fp_enabled);
  t.add(kCsrFrm, "frm", has_f, read_fcsr, write_fcsr, fp_enabled);
  t.add(kCsrFcsr, "fcsr", has_f, read_fcsr, write_fcsr, fp_enabled);
  t.add(kCsrSeed, "seed");
  t.add(kCsrSstatus, "sstatus", has_s, read_sstatus, write_sstatus);
  t.add(kCsrSie, "sie", has_s, read_sie, write_sie);
  t.add(kCsrStvec, "stvec", has_s, read_stvec, write_stvec);
  t.add(kCsrScounteren, "scounteren", has_s, read_scounteren, write_scounteren);
  t.add(kCsrSenvcfg, "senvcfg", has_s, read_senvcfg, write_senvcfg);
  t.add(kCsrSscratch, "sscratch", has_s, read_sscratch, write_sscratch);
  t.add(kCsrSepc, "sepc", has_s, read_sepc, write_sepc);
  t.add(kCsrScause, "scause", has_s, read_scause, write_scause);
  t.add(kCsrStval, "stval", has_s, read_stval, write_stval);
  t.add(kCsrSip, "sip", has_s, read_sip, write_sip);
  t.rows[t.size - 1].rmw_read = read_sip_soft;
  t.add(kCsrStimecmp, "stimecmp", has_sstc, read_stimecmp, write_stimecmp, stimecmp_accessible);
  t.add(kCsrSatp, "satp", has_s, read_satp, write_satp, satp_accessible);
  t.add(kCsrMstatus, "mstatus", always, read_mstatus, write_mstatus);
  t.add(kCsrMisa, "misa", always, read_misa, write_misa);
  t.add(kCsrMedeleg, "medeleg", has_s, read_medeleg, write_medeleg);
  t.add(kCsrMideleg, "mideleg", has_s, read_mideleg, write_mideleg);
  t.add(kCsrMie, "mie", always, read_mie, write_mie);
  t.add(kCsrMtvec, "mtvec", always, read_mtvec, write_mtvec);
  t.add(kCsrMcounteren, "mcounteren", always, read_mcounteren, write_mcounteren);
  t.add(kCsrMenvcfg, "menvcfg", always, read_menvcfg, write_menvcfg);
  t.add(kCsrMcountinhibit, "mcountinhibit", always, read_mcountinhibit, write_mcountinhibit);
  for (int i = 3; i <= 31; ++i) {
    t.add(static_cast<uint16_t>(kCsrMhpmevent3 + i - 3), "mhpmevent", always, read_zero,
          write_ignored, nullptr, i);
  }
  t.add(kCsrMscratch, "mscratch", always, read_mscratch, write_mscratch);
  t.add(kCsrMepc, "mepc", always, read_mepc, write_mepc);
  t.add(kCsrMcause, "mcause", always, read_mcause, write_mcause);
  t.add(kCsrMtval, "mtval", always, read_mtval, write_mtval);
  t.add(kCsrMip, "mip", always, read_mip, write_mip);
  t.rows[t.size - 1].rmw_read = read_mip_soft;
  t.add(kCsrMtinst, "mtinst");
  t.add(kCsrMtval2, "mtval2");
  for (int i = 0; i <= 14; i += 2) {  // RV64: the odd pmpcfg registers do not exist
    t.add(static_cast<uint16_t>(kCsrPmpcfg0 + i), "pmpcfg", always, read_pmpcfg, write_pmpcfg,
          nullptr, i);
  }
  for (int i = 0; i <= 63; ++i) {
    t.add(static_cast<uint16_t>(kCsrPmpaddr0 + i), "pmpaddr", always, read_pmpaddr, write_pmpaddr,
          nullptr, i);
  }
  t.add(kCsrScontext, "scontext");
  t.add(kCsrMseccfg, "mseccfg");
  t.add(kCsrTselect, "tselect");
  t.add(kCsrTdata1, "tdata1");
  t.add(kCsrTdata2, "tdata2");
  t.add(kCsrTdata3, "tdata3");
  t.add(kCsrMcontext, "mcontext");
  t.add(kCsrDcsr, "dcsr");
  t.add(kCsrDpc, "dpc");
  t.add(kCsrDscratch0, "dscratch0");
  t.add(kCsrDscratch1, "dscratch1");
  t.add(kCsrMcycle, "mcycle", always, read_cycle, write_mcycle);
  t.add(kCsrMinstret, "minstret", always, read_instret, write_minstret);
  for (int i = 3; i <= 31; ++i) {
    t.add(static_cast<uint16_t>(kCsrMhpmcounter3 + i - 3), "mhpmcounter", always, read_zero,
          write_ignored, nullptr, i);
  }
  t.add(kCsrCycle, "cycle", always, read_cycle, nullptr, counter_enabled);
  t.add(kCsrTime, "time", always, read_time, nullptr, counter_enabled);
  t.add(kCsrInstret, "instret", always, read_instret, nullptr, counter_enabled);
  for (int i = 3; i <= 31; ++i) {
    t.add(static_cast<uint16_t>(kCsrHpmcounter3 + i - 3), "hpmcounter", always, read_zero, nullptr,
          counter_enabled, i);
  }
  t.add(kCsrMvendorid, "mvendorid", always, read_zero, nullptr);
  t.add(kCsrMarchid, "marchid", always, read_zero, nullptr);
  t.add(kCsrMimpid, "mimpid", always, read_zero, nullptr);
  t.add(kCsrMhartid, "mhartid", always, read_mhartid, nullptr);
  t.add(kCsrMconfigptr, "mconfigptr", always, read_zero, nullptr);
  return t;
}

constexpr TableBuilder kBuilt = build_table();

constexpr std::array<CsrRow, kBuilt.size> kTable = [] {
  std::array<CsrRow, kBuilt.size> rows{};
  for (size_t i = 0; i < kBuilt.size; ++i) rows[i] = kBuilt.rows[i];
  return rows;
}();

/// Row index per CSR number, -1 where the specifications name no CSR.
constexpr std::array<int16_t, 4096> kIndex = [] {
  std::array<int16_t, 4096> index{};
  for (int16_t& i : index) i = -1;
  for (size_t i = 0; i < kTable.size(); ++i) index[kTable[i].number] = static_cast<int16_t>(i);
  return index;
}();

constexpr bool table_is_well_formed() {
  for (size_t i = 0; i < kTable.size(); ++i) {
    const CsrRow& r = kTable[i];
    if (r.number >= 4096 || r.name[0] == '\0') return false;
    if (i > 0 && kTable[i - 1].number >= r.number) return false;  // sorted, no duplicates
    if ((r.exists != nullptr) != (r.read != nullptr)) return false;
    // A writable CSR has a write behaviour exactly when its number is not read-only.
    if (r.exists != nullptr && (r.write == nullptr) != csr_read_only(r.number)) return false;
    if (r.exists == nullptr && (r.write || r.access || r.rmw_read)) return false;
  }
  return true;
}

static_assert(kBuilt.size < kMaxRows, "raise kMaxRows");
static_assert(table_is_well_formed(),
              "CSR table: rows must be sorted and unique, and a row's write behaviour must match "
              "its number's read-only bits");

}  // namespace

const CsrRow* csr_row(uint16_t csr) {
  if (csr >= kIndex.size()) return nullptr;
  const int16_t i = kIndex[csr];
  return i < 0 ? nullptr : &kTable[static_cast<size_t>(i)];
}

std::span<const CsrRow> csr_table() {
  return kTable;
}

const char* csr_name(uint16_t csr) {
  const CsrRow* row = csr_row(csr);
  return row ? row->name : nullptr;
}

}  // namespace glassvm
