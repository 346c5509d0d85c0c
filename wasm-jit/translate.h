// The RISC-V translator: one physical code page in, one wasm module out.
//
// Design note (the shape of a module, after v86): one function per page,
//   (func (export "run") (param $s i32))
// $s is the hart's CpuState. The function enters at s.pc_ (virtual; only its page offset
// matters, so aliases of the page share the module) through a br_table over the page's
// halfwords, runs blocks of straight-line code, and chains between them without leaving: a
// forward branch to a block start is a plain `br`, a loop of the guest is a wasm loop, and an
// indirect jump inside the page dispatches again (translate.cpp). It leaves on a jump out of the
// page or to an offset it has no block for, when the budget cannot cover the next block, after a
// trap, and after any helper that set s.event_, always with s.pc_ and s.budget_left_ exact
// (helpers.h's convention). When it ran nothing (an offset it does not know, or a budget too
// small for the first block) it leaves s.budget_left_ as it was, and only then: every block it
// starts uses at least one step.
//
// In a page of more than TranslateRequest::max_blocks_per_function blocks, each largest loop
// nest of at most that many is a function of its own, which `run` calls:
//   (func (param $s i32) (param $vbase i64) (param $off i32) (param $left i64) (param $tlb i32)
//         (result i32))
// entered at page offset $off with the budget $left; it returns the page offset where `run`
// goes on (its registers and budget stored), or -1 when it has left as above.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glassvm {

/// What to translate.
struct TranslateRequest {
  uint64_t guest_page = 0;          ///< the physical page (for the listing only)
  const uint8_t* host = nullptr;    ///< its 4096 bytes
  std::vector<uint16_t> entries;    ///< page offsets the module must be enterable at
  uint32_t max_bytes = 256 * 1024;  ///< stop adding blocks past this much code
  uint32_t max_blocks = 400;        ///< and past this many blocks
  bool listing = true;              ///< fill TranslateResult::riscv
  /// Keep the registers in locals across the blocks of a function only up to this many blocks
  /// (by default always: with the guest's loops as wasm loops that is faster whatever the size).
  uint32_t max_blocks_with_registers = 400;
  /// A page of more blocks than this gives each of its largest loop nests of at most this
  /// many blocks a function of its own (translate.cpp).
  uint32_t max_blocks_per_function = 32;
};

/// What came out.
struct TranslateResult {
  std::vector<uint8_t> wasm;     ///< the module
  std::vector<uint16_t> blocks;  ///< page offsets of the blocks, ascending (the entries)
  std::string riscv;             ///< the instructions translated, block by block
  uint32_t insns = 0;            ///< instructions translated
  uint32_t nests = 0;            ///< loop nests with functions of their own
};

/// Translates the code reachable from `request.entries` in the page. Returns false when no
/// block could be made (every entry is an instruction left to the interpreter).
bool translate_page(const TranslateRequest& request, TranslateResult& result);

}  // namespace glassvm
