// The WebAssembly JIT as embedders see it: make one per hart, install it with
// Cpu::set_executor(), read its statistics, and optionally watch what it translates.
//
// Design note: the JIT is a BlockExecutor (engine/cpu/executor.h). The translator and the
// encoder are plain C++ and build everywhere (native tests validate and pin their output);
// running generated code needs a WebAssembly host, so make_jit() gives a JIT only in the
// Emscripten build and says why not elsewhere.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/cpu/executor.h"

namespace glassvm {

/// How the JIT behaves. The defaults suit Linux and the demos.
struct JitOptions {
  /// Guest steps interpreted in a code page before it is translated.
  uint32_t hot_steps = 300'000;
  /// And only when it ran at least this many steps, on average, each time it was entered from
  /// another page. Compiling a module, and the browser's optimizing compiler recompiling it
  /// once it runs hot, cost more than translated code saves in code that runs a few hundred
  /// or thousand steps at a time (most of an operating system's boot); loops that stay in a
  /// page gain several times.
  uint32_t min_steps_per_entry = 50'000;
  /// Taken jumps inside a page after which the interpreter offers it again: a loop's head is
  /// found within this many iterations (BlockExecutor::jumps_between_offers).
  uint32_t jumps_between_offers = 1024;
  /// Live modules (one per translated page) before the least recently used is evicted.
  uint32_t max_modules = 512;
  /// Bytes of wasm per module: a page whose translation would exceed it is translated in part.
  uint32_t max_module_bytes = 32 * 1024;
  /// TranslateRequest::max_blocks_per_function: in a page of more blocks, loop nests of at
  /// most this many get functions of their own.
  uint32_t max_blocks_per_function = 32;
  /// Testing: before each entry, check that the page still holds the bytes its module was
  /// translated from, and abort with a message if not (a missed invalidation). Slow.
  bool verify_code = false;
};

/// One translation, for the JIT panel and --dump-jit: what went in and what came out.
struct JitTranslation {
  uint64_t guest_page = 0;        ///< the physical page translated
  std::vector<uint64_t> entries;  ///< the block starts (physical addresses) it can enter at
  std::string riscv;              ///< the RISC-V instructions translated, one per line
  std::string wat;                ///< the module in wasm text format
  uint32_t wasm_bytes = 0;
  uint64_t compile_ns = 0;  ///< host time to translate, compile and instantiate
};

/// Counters since the JIT was made (the Performance panel, --stats).
struct JitStats {
  uint64_t translations = 0;      ///< modules compiled
  uint64_t compile_ns = 0;        ///< host time spent translating, compiling, instantiating
  uint32_t modules_live = 0;      ///< modules installed now
  uint64_t code_bytes = 0;        ///< wasm bytes of the live modules
  uint64_t evictions = 0;         ///< modules dropped to stay within max_modules
  uint64_t invalidations = 0;     ///< modules dropped because their page was written or flushed
  uint64_t steps_jitted = 0;      ///< guest steps run in translated code
  uint64_t entries = 0;           ///< times translated code was entered
  uint64_t compile_failures = 0;  ///< modules the host refused (the page stays interpreted)
  uint64_t nest_functions = 0;    ///< loop nests translated as functions of their own
};

/// A JIT for one hart.
class Jit : public BlockExecutor {
 public:
  /// Called with each translation made (after it is installed). Keep it cheap.
  using TranslationHook = std::function<void(const JitTranslation&)>;
  virtual const JitStats& stats() const = 0;
  virtual void set_translation_hook(TranslationHook hook) = 0;
};

/// A JIT with `options`, or nullptr with `why` set when this build cannot run generated code
/// (a native build).
std::unique_ptr<Jit> make_jit(const JitOptions& options, std::string& why);

}  // namespace glassvm
