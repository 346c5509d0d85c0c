// CSR numbers (privileged spec 2.2, tables 2.2-2.6) and their names, for the hart, its tests,
// the disassembler and the UI.
//
// Design note: this is the one list of CSR numbers. What each CSR does, and whether a hart has
// it, lives in one table (csr_table.cpp) that refers to these names; numbered families
// (pmpaddr0..63, mhpmcounter3..31, ...) are listed by their first and last member.
#pragma once

#include <cstdint>

namespace glassvm {

/// CSR addresses of the ratified RV64 specifications that GlassVM knows by name, whether this
/// hart implements them or not (a Cpu says which it has: Cpu::peek_csr).
enum CsrNumber : uint16_t {
  // Unprivileged floating point (F/D) and entropy source (Zkr).
  kCsrFflags = 0x001,
  kCsrFrm = 0x002,
  kCsrFcsr = 0x003,
  kCsrSeed = 0x015,
  // Supervisor.
  kCsrSstatus = 0x100,
  kCsrSie = 0x104,
  kCsrStvec = 0x105,
  kCsrScounteren = 0x106,
  kCsrSenvcfg = 0x10a,
  kCsrSscratch = 0x140,
  kCsrSepc = 0x141,
  kCsrScause = 0x142,
  kCsrStval = 0x143,
  kCsrSip = 0x144,
  kCsrStimecmp = 0x14d,
  kCsrSatp = 0x180,
  kCsrScontext = 0x5a8,
  // Machine trap setup and handling.
  kCsrMstatus = 0x300,
  kCsrMisa = 0x301,
  kCsrMedeleg = 0x302,
  kCsrMideleg = 0x303,
  kCsrMie = 0x304,
  kCsrMtvec = 0x305,
  kCsrMcounteren = 0x306,
  kCsrMenvcfg = 0x30a,
  kCsrMcountinhibit = 0x320,
  kCsrMhpmevent3 = 0x323,
  kCsrMhpmevent31 = 0x33f,
  kCsrMscratch = 0x340,
  kCsrMepc = 0x341,
  kCsrMcause = 0x342,
  kCsrMtval = 0x343,
  kCsrMip = 0x344,
  kCsrMtinst = 0x34a,
  kCsrMtval2 = 0x34b,
  // Physical memory protection (RV64: only the even pmpcfg registers exist).
  kCsrPmpcfg0 = 0x3a0,
  kCsrPmpcfg1 = 0x3a1,
  kCsrPmpcfg14 = 0x3ae,
  kCsrPmpcfg15 = 0x3af,
  kCsrPmpaddr0 = 0x3b0,
  kCsrPmpaddr1 = 0x3b1,
  kCsrPmpaddr63 = 0x3ef,
  kCsrMseccfg = 0x747,
  // Debug and trigger module.
  kCsrTselect = 0x7a0,
  kCsrTdata1 = 0x7a1,
  kCsrTdata2 = 0x7a2,
  kCsrTdata3 = 0x7a3,
  kCsrMcontext = 0x7a8,
  kCsrDcsr = 0x7b0,
  kCsrDpc = 0x7b1,
  kCsrDscratch0 = 0x7b2,
  kCsrDscratch1 = 0x7b3,
  // Counters (Zicntr, Zihpm).
  kCsrMcycle = 0xb00,
  kCsrMinstret = 0xb02,
  kCsrMhpmcounter3 = 0xb03,
  kCsrMhpmcounter31 = 0xb1f,
  kCsrCycle = 0xc00,
  kCsrTime = 0xc01,
  kCsrInstret = 0xc02,
  kCsrHpmcounter3 = 0xc03,
  kCsrHpmcounter31 = 0xc1f,
  // Machine information.
  kCsrMvendorid = 0xf11,
  kCsrMarchid = 0xf12,
  kCsrMimpid = 0xf13,
  kCsrMhartid = 0xf14,
  kCsrMconfigptr = 0xf15,
};

/// The specification's name of CSR `csr` ("mstatus", "pmpaddr3", "satp", ...), whether this
/// hart implements it or not; nullptr when no ratified CSR has that number. O(1); never fails.
/// Whether a hart has the CSR is Cpu::peek_csr's answer.
const char* csr_name(uint16_t csr);

}  // namespace glassvm
