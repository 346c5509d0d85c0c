// The translation view's model: a virtual address walked through the hart's page tables, level
// by level, as the hart would translate it now.
//
// Design note: everything comes from Cpu::walk_page_tables(), which reads PTEs from RAM only
// and writes nothing (no A/D bits, no fault, no TLB change), so looking never changes what the
// guest sees. The rows say in words what each PTE is (a pointer to the next table, a leaf and
// its page size, or the entry the walk stopped at), so that a student can follow the walk
// without the specification open.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cpu/cpu.h"

namespace glassvm::ui {

/// A PTE's flag bits 7..0 as the specification draws them: "DAGUXWRV", '-' for a clear bit.
std::string pte_bits(uint64_t pte);

/// "fetch", "load" or "store".
const char* access_name(Access access);
/// Parses "fetch", "load" (or "read") and "store" (or "write").
std::optional<Access> parse_access(std::string_view text);

/// One PTE the walk read.
struct WalkRow {
  unsigned level = 0;
  uint64_t pte_addr = 0;
  uint64_t pte = 0;
  std::string bits;     ///< pte_bits(pte)
  std::string meaning;  ///< "pointer to the level 1 table at 0x...", "leaf: 2 MiB page at ..."
};

/// A walk ready to draw.
struct TranslationView {
  PageWalk walk;
  std::string heading;  ///< the mode, the access, the privilege and the root, in one line
  std::vector<WalkRow> rows;
  std::string result;  ///< "0x... (4 KiB page; the hart sets A, D)", or the fault and why
};

/// Walks `va` for an access of kind `access` on `cpu` (see Cpu::walk_page_tables).
TranslationView translation_view(const Cpu& cpu, uint64_t va, Access access);

/// glassvm.translate(va, access): {"va","access","priv","paged","mode","root","steps":[{"level",
/// "pteAddr","pte","bits","meaning"}],"ok","pa","pageSize","setsAD","fault":{"cause","text",
/// "why"}|null}; addresses as 16-digit hex strings.
std::string translation_json(const Cpu& cpu, uint64_t va, Access access);

}  // namespace glassvm::ui
