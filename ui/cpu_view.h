// The CPU panel's view model: registers, CSRs, privilege level and disassembly around the pc.
//
// Design note: everything here only reads the machine. Instruction bytes for the disassembly
// are read with debug loads, and only from RAM and ROM ranges of the CPU's flat view, so the
// UI never triggers a device's MMIO callback. Disassembling backwards on a variable-length
// ISA is ambiguous: we decode forwards from every 2-byte aligned start in a window before the
// pc, keep the walks whose boundaries land exactly on the pc, and let them vote (walks from a
// wrong start fall into step with the true boundaries within an instruction or two, so the true
// boundaries collect the most votes). Addresses are physical: the hart has no MMU yet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/memory/memory.h"

namespace glassvm {
class Machine;
}

namespace glassvm::ui {

/// "M", "S" or "U".
const char* priv_letter(PrivLevel priv);
/// "Machine", "Supervisor" or "User".
const char* priv_name(PrivLevel priv);

/// satp decoded: the translation mode, the address-space id and the root page table.
struct SatpReading {
  std::string mode;     ///< "Bare", "Sv39", "Sv48", "Sv57" or "mode N" (reserved encodings)
  bool paging = false;  ///< false for Bare (asid and root are then 0)
  unsigned asid = 0;
  uint64_t root = 0;  ///< physical address of the root page table
};
SatpReading read_satp(uint64_t satp);

/// One integer register for the table.
struct RegisterRow {
  unsigned index = 0;
  std::string name;  ///< "x1/ra"
  uint64_t value = 0;
};

/// x0..x31 with ABI names.
std::vector<RegisterRow> register_rows(const Cpu& cpu);

/// glassvm.registers(): {"pc":"0x..","x":["0x.." x32],"priv":"M"|"S"|"U"} (16 hex digits).
std::string registers_json(const Cpu& cpu);

/// One CSR for the table.
struct CsrRow {
  uint16_t number = 0;
  std::string name;
  uint64_t value = 0;
  std::string note;  ///< a decoded reading worth showing (mcause text, mstatus fields), or ""
};

/// The CSRs worth showing (machine trap setup and handling, counters, supervisor ones when
/// implemented), read with Cpu::peek_csr. CSRs the hart does not implement are left out.
std::vector<CsrRow> csr_rows(const Cpu& cpu);

/// The text of an mcause value ("Environment call from M-mode", "Machine timer interrupt",
/// "reserved (42)").
std::string cause_text(uint64_t mcause);

/// One disassembled line.
struct DisasmRow {
  uint64_t addr = 0;
  bool readable = false;  ///< false: no RAM/ROM there (or the 4-byte word crosses out of it)
  uint32_t raw = 0;
  unsigned len = 2;  ///< 2 or 4 (2 for unreadable rows)
  std::string text;  ///< disassembly, or "<unreadable>"
  bool is_pc = false;
  bool breakpoint = false;
};

/// Reads the instruction at `addr` from RAM/ROM of `as` with side-effect-free debug loads.
/// Returns nothing when any of its bytes is not RAM or ROM.
std::optional<uint32_t> peek_insn(const AddressSpace& as, uint64_t addr);

/// Up to `before` instructions before `pc`, the one at `pc`, and `after` more. `pc` must be
/// 2-byte aligned (the hart guarantees it). Unreadable addresses give rows with
/// readable=false (advancing by 2 bytes) instead of failing; when no start before the pc
/// lines up with it, the listing starts at the pc.
std::vector<DisasmRow> disassembly(const AddressSpace& as, uint64_t pc, unsigned before,
                                   unsigned after, const std::vector<uint64_t>& breakpoints = {});

/// Adds a breakpoint at `pc` if there is none, removes it otherwise. Returns true when the
/// breakpoint is now set.
bool toggle_breakpoint(Machine& machine, uint64_t pc);

/// Parses an address typed by the user or passed from JavaScript ("0x80000001", "80000001"):
/// up to 16 hex digits. Returns nothing for empty, non-hex or too long text.
std::optional<uint64_t> parse_address(const std::string& text);

/// Parses a pc typed by the user or passed from JavaScript ("0x80000000", "80000000"). Returns
/// nothing for empty, non-hex, too long or odd addresses.
std::optional<uint64_t> parse_pc(const std::string& text);

}  // namespace glassvm::ui
