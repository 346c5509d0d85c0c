// The CSR table: one row per CSR number that the ratified specifications name (RV64).
//
// Design note: as in QEMU's csr_ops[], a row says whether a hart has the CSR (a predicate on
// the hart's misa, so that S-mode or F fill in rows instead of adding switch arms), how it reads
// and how a write lands (its WARL rules), and any access check beyond the privilege encoded in
// the number (mcounteren). Rows without a predicate are CSRs this hart never has, kept so that
// their names print. The Zicsr instructions, Cpu::peek_csr/poke_csr, the disassembler and the
// UI all go through this table; numbered families are expanded into rows at compile time.
#pragma once

#include <cstdint>
#include <span>

#include "engine/cpu/cpu.h"
#include "engine/cpu/cpu_internal.h"

namespace glassvm {

/// Whether the hart has extension `ext` ('A'..'Z') according to its misa.
inline bool hart_has(const Cpu::Impl& hart, char ext) {
  return (hart.misa_ >> (ext - 'A')) & 1;
}

/// Whether `hart` has a CSR (QEMU's predicate). Depends only on what misa describes.
using CsrPredicate = bool (*)(const Cpu::Impl& hart);
/// Whether an instruction at the hart's current privilege may access CSR `csr`, beyond the
/// privilege encoded in its number (mcounteren gates the U-mode counters).
using CsrAccess = bool (*)(const Cpu::Impl& hart, uint16_t csr);
/// The value of CSR `csr`. No side effects (the debugger reads through it too).
using CsrRead = uint64_t (*)(const Cpu::Impl& hart, uint16_t csr);
/// Writes `value` to CSR `csr` with its WARL rules. Never fails: existence, privilege and
/// read-only checks happen before.
using CsrWrite = void (*)(Cpu::Impl& hart, uint16_t csr, uint64_t value);

/// One CSR.
struct CsrRow {
  uint16_t number = 0;
  char name[16] = {};             ///< the specification's name
  CsrPredicate exists = nullptr;  ///< nullptr: a ratified CSR this hart never has (name only)
  CsrRead read = nullptr;         ///< set exactly when `exists` is
  CsrWrite write = nullptr;       ///< nullptr exactly for the read-only numbers
  CsrAccess access = nullptr;     ///< nullptr: the privilege in the number is the only check
  CsrRead rmw_read = nullptr;     ///< what csrrs/csrrc modify when that is not what they
                                  ///< read (mip: only the software SEIP bit); nullptr: `read`
};

/// The row of CSR `csr`, or nullptr when no ratified CSR has that number. O(1).
const CsrRow* csr_row(uint16_t csr);
/// Every row, sorted by number.
std::span<const CsrRow> csr_table();

/// The least privilege that may access CSR `csr`: bits 9:8 of its number (privileged spec
/// 2.1; 2 is the hypervisor level).
constexpr unsigned csr_min_priv(uint16_t csr) {
  return (csr >> 8) & 3u;
}
/// Whether CSR number `csr` is read-only: bits 11:10 are 3 (privileged spec 2.1).
constexpr bool csr_read_only(uint16_t csr) {
  return (csr >> 10) == 3;
}

}  // namespace glassvm
