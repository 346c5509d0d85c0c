// The seam between the interpreter's outer loop and a faster executor of the same guest code
// (the wasm JIT, wasm-jit/). The engine knows nothing of how the executor works.
//
// Design note: translated code is tied to the interpreter's decoded-code cache. Every physical
// code page the interpreter runs has a CodePage (cpu_internal.h), and a page with decoded code
// is never in the write TLB, so every store into it (a guest store, DMA, a debugger write)
// reaches the code-write hook and marks the page stale. An executor keeps its translation of a
// page in that page's ExecPage; the hart releases it whenever the decoded page goes (stale,
// evicted, or the whole cache flushed), so translated code can never outlive the bytes it was
// built from, and the number of live translations is bounded by the code cache's bound.
#pragma once

#include <cstdint>

#include "engine/cpu/cpu_state.h"

namespace glassvm {

/// What an executor may keep per physical code page (held inside the hart's CodePage).
struct ExecPage {
  uint64_t guest_page = 0;        ///< the physical page (4 KiB aligned)
  const uint8_t* host = nullptr;  ///< its bytes, valid while the page is not released
  uint32_t handle = 0;            ///< the executor's own id for this page; 0: none yet
};

/// An executor of guest code, offered each block the interpreter's outer loop would run.
class BlockExecutor {
 public:
  virtual ~BlockExecutor() = default;
  /// Runs guest code at s.pc_ (virtual; its physical address is page.guest_page + s.pc_ % 4096)
  /// if it has a translation for it, with the helpers' calling convention (helpers.h): at most
  /// s.budget_left_ steps (never zero on entry), traps taken through the helpers, and on return
  /// s.pc_ and s.budget_left_ exact. Returns false, having changed nothing, when it has no code
  /// for that pc (the interpreter then runs the block). It must stop after any helper that set
  /// s.event_, and never leaves the virtual page it entered except by returning.
  virtual bool run(CpuState& s, ExecPage& page) = 0;
  /// The page's bytes are going (written, evicted, flushed, or the hart is destroyed): forget
  /// page.handle's code. Called only at block boundaries, never while run() is on the stack (a
  /// page written during run() is marked stale and released when it is next looked up).
  virtual void release(ExecPage& page) = 0;
  /// Taken jumps inside one page after which the interpreter offers the block again (so that a
  /// hot loop reaches the executor); read when Cpu::run starts.
  virtual uint32_t jumps_between_offers() const { return 1024; }
};

}  // namespace glassvm
