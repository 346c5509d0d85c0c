// CSR numbers (privileged specification, table 2.2-2.6) used by the hart, its tests and the UI.
#pragma once

#include <cstdint>

namespace glassvm {

/// CSR addresses: those this hart implements, the bounds of the numbered ranges, and two it
/// lacks on purpose for now (fcsr: no F/D; satp: no S-mode).
enum CsrNumber : uint16_t {
  kCsrFcsr = 0x003,
  kCsrSatp = 0x180,
  kCsrMstatus = 0x300,
  kCsrMisa = 0x301,
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
  kCsrPmpcfg0 = 0x3a0,
  kCsrPmpcfg1 = 0x3a1,
  kCsrPmpcfg15 = 0x3af,
  kCsrPmpaddr0 = 0x3b0,
  kCsrPmpaddr1 = 0x3b1,
  kCsrPmpaddr63 = 0x3ef,
  kCsrMcycle = 0xb00,
  kCsrMinstret = 0xb02,
  kCsrMhpmcounter3 = 0xb03,
  kCsrMhpmcounter31 = 0xb1f,
  kCsrCycle = 0xc00,
  kCsrTime = 0xc01,
  kCsrInstret = 0xc02,
  kCsrHpmcounter3 = 0xc03,
  kCsrHpmcounter31 = 0xc1f,
  kCsrMvendorid = 0xf11,
  kCsrMarchid = 0xf12,
  kCsrMimpid = 0xf13,
  kCsrMhartid = 0xf14,
  kCsrMconfigptr = 0xf15,
};

}  // namespace glassvm
