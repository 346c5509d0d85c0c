// libFuzzer target over the JIT's translator: a page of random RISC-V code, translated from
// random entries with random caps, up to four modules an input. Each module must validate
// with wabt and binaryen (tests/wasm-jit/wasm_validate.h), have the shape translate.h promises
// (`run`, exported, and a function for each loop nest it reports; imports only the ABI's
// helpers and the memory), keep to
// its caps (max_blocks; max_bytes unless it is one block), print as wasm text, and come out
// the same when translated again with the listing switched (the listing fills `riscv` only).
// Running the code needs a wasm engine: the lockstep tests under node do that.
//
// Input: the code comes from the front, the choices from the back (FuzzedDataProvider).
// Raw code is mostly compressed instructions (three halfwords in four are); the "words" shape
// turns three words in four into 32-bit instructions of a major opcode RV64GC defines, so that
// every emitter (ALU, memory, branches, AMOs, CSRs and system, FP) gets its share. The seeds
// (corpus/jit_translate_fuzz/) are assembled snippets followed by such choices.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/base/page.h"
#include "engine/cpu/decode.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/wasm-jit/wasm_validate.h"
#include "wasm-jit/helper_abi.h"
#include "wasm-jit/jit.h"
#include "wasm-jit/translate.h"
#include "wasm-jit/wasm_reader.h"
#include "wasm-jit/wasm_text.h"

using namespace glassvm;

namespace {

using fuzz::check;

constexpr unsigned kMaxModules = 4;  // validating one spawns wasm-validate (~ms)
constexpr unsigned kMaxEntries = 8;

// The 32-bit major opcodes of RV64GC (unprivileged spec, table 34.1), bits 6:0.
constexpr uint8_t kMajor[] = {0x03, 0x07, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x27, 0x2f, 0x33, 0x37,
                              0x3b, 0x43, 0x47, 0x4b, 0x4f, 0x53, 0x63, 0x67, 0x6f, 0x73};

/// Aborts with `what` and `detail` unless `ok`.
void check(bool ok, const char* what, const std::string& detail) {
  if (!ok) check(false, (std::string(what) + ": " + detail).c_str());
}

/// A choice that is `fallback` when the input has run out (a leading 0), else in [lo, hi].
uint32_t pick(FuzzedDataProvider& in, uint32_t fallback, uint32_t lo, uint32_t hi) {
  if (in.ConsumeIntegral<uint8_t>() == 0) return fallback;
  return in.ConsumeIntegralInRange<uint32_t>(lo, hi);
}

/// What a module's sections say about its functions.
struct Shape {
  unsigned strangers = 0;  // imports other than the ABI's helpers (each once) and memory "e" "m"
  bool memory = false;
  uint32_t functions = 0;  // defined
  uint32_t exports = 0;
  bool run = false;  // a function exported as "run"
};

/// Reads the import, function and export sections of `module` (well formed: it validated).
Shape read_shape(std::span<const uint8_t> module) {
  Shape s;
  WasmReader r(module);
  r.fixed(4);  // magic
  r.fixed(4);  // version
  bool seen[kJitHelperCount] = {};
  while (r.ok() && !r.at_limit()) {
    const uint8_t id = r.u8();
    const size_t at = r.pos();
    const WasmReader::Saved saved = r.enter(r.u32(), at, "section");
    if (id == 2) {  // imports
      for (uint32_t n = r.u32(); r.ok() && n > 0; --n) {
        const std::string_view module_name = r.bytes(), field = r.bytes();
        const uint8_t kind = r.u8();
        if (kind == 0 && module_name == "h") {
          r.u32();  // type index
          unsigned h = 0;
          while (h < kJitHelperCount && field != jit_helper_name(static_cast<JitHelper>(h))) ++h;
          if (h == kJitHelperCount || seen[h]) ++s.strangers;
          if (h < kJitHelperCount) seen[h] = true;
        } else if (kind == 2 && module_name == "e" && field == "m") {
          if (r.u8() & 1) r.u32();  // limits: flags, min, max
          r.u32();
          s.memory = true;
        } else {
          ++s.strangers;
          r.skip_rest();  // its description is of no interest: stop reading the section
        }
      }
    } else if (id == 3) {  // functions: their type indices
      s.functions = r.u32();
      r.skip_rest();
    } else if (id == 7) {  // exports
      for (uint32_t n = r.u32(); r.ok() && n > 0; --n) {
        const std::string_view name = r.bytes();
        const uint8_t kind = r.u8();
        r.u32();
        ++s.exports;
        s.run |= kind == 0 && name == "run";
      }
    } else {
      r.skip_rest();
    }
    r.leave(saved);
  }
  check(r.ok(), "a module that validated reads", r.error());
  return s;
}

/// The hashes of (up to kRemembered) modules that passed the checks of their bytes in this
/// process: libFuzzer's mutations often leave the module as it was (they changed code no entry
/// reaches), and validating one spawns a process.
constexpr size_t kRemembered = 1 << 18;
std::unordered_set<uint64_t>& validated() {
  static std::unordered_set<uint64_t> hashes;
  return hashes;
}
uint64_t hash_of(std::span<const uint8_t> module) {
  return std::hash<std::string_view>{}(
      std::string_view(reinterpret_cast<const char*>(module.data()), module.size()));
}

/// Every instruction start of a linear sweep from `from` to the page end, as the code cache
/// collects entries from code that ran straight through.
void add_sweep(const uint8_t* page, unsigned from, std::vector<uint16_t>& entries) {
  for (unsigned o = from; o + 2 <= kPageSize;) {
    entries.push_back(static_cast<uint16_t>(o));
    uint16_t lo;
    std::memcpy(&lo, page + o, 2);
    o += insn_length(lo);
  }
}

/// The checks on one translation (`done` says whether it made a module).
void check_module(const TranslateRequest& req, bool done, const TranslateResult& result) {
  if (!done) return;
  check(!result.wasm.empty() && !result.blocks.empty() && result.insns > 0,
        "a translation has a module, blocks and instructions");
  check(result.blocks.size() <= req.max_blocks, "at most max_blocks blocks");
  for (size_t i = 0; i < result.blocks.size(); ++i) {
    const uint16_t b = result.blocks[i];
    check(b % 2 == 0 && b < kPageSize, "a block starts at an even offset in the page");
    check(i == 0 || result.blocks[i - 1] < b, "the blocks ascend");
  }
  // translate.cpp: only one block alone may exceed the cap (it is bounded by the page).
  check(result.wasm.size() <= req.max_bytes || result.blocks.size() == 1,
        "a module of several blocks stays within max_bytes");
  check(req.listing == !result.riscv.empty(), "a listing exactly when asked for");

  // What follows depends on the module's bytes alone: once for each module.
  const uint64_t hash = hash_of(result.wasm);
  if (validated().contains(hash)) return;
  std::string error;
  if (!test::validate_wasm(result.wasm, error)) {
    std::fprintf(stderr, "entries:");
    for (uint16_t e : req.entries) std::fprintf(stderr, " 0x%x", e);
    std::fprintf(stderr, "\n%s", result.riscv.c_str());
    check(false, "the module validates", error);
  }
  const Shape s = read_shape(result.wasm);
  check(s.functions == 1 + result.nests && s.exports == 1 && s.run,
        "run, exported, and a function for each loop nest");
  check(s.strangers == 0 && s.memory, "imports only the ABI's helpers and the memory");
  std::string text;
  check(wasm_to_text(result.wasm, text, error), "the module prints as text", error);
  if (validated().size() < kRemembered) validated().insert(hash);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);

  // The page: the code at an even offset, alone (zeros around it, a run of illegal
  // instructions) or repeated to fill the page.
  const unsigned code_at = 2 * in.ConsumeIntegralInRange<unsigned>(0, kPageSize / 2 - 1);
  const bool tile = in.ConsumeBool();
  const bool words = in.ConsumeBool();
  const uint64_t guest_page = in.ConsumeIntegral<uint64_t>() & kPageMask;
  const unsigned modules = in.ConsumeIntegralInRange<unsigned>(1, kMaxModules);
  struct Choice {
    std::vector<uint16_t> entries;
    bool sweep;
    uint32_t max_bytes, max_blocks, max_blocks_with_registers, max_blocks_per_function;
    bool listing;
  };
  std::vector<Choice> choices(modules);
  const TranslateRequest defaults;
  const JitOptions jit;
  for (Choice& c : choices) {
    const unsigned n = in.ConsumeIntegralInRange<unsigned>(1, kMaxEntries);
    for (unsigned i = 0; i < n; ++i) {
      c.entries.push_back(static_cast<uint16_t>(in.ConsumeIntegral<uint16_t>() & 0xffe));
    }
    c.sweep = in.ConsumeBool();
    // The JIT's cap unless chosen (bigger modules only take longer to validate).
    c.max_bytes = pick(in, jit.max_module_bytes, 0, 2 * jit.max_module_bytes);
    c.max_blocks = pick(in, defaults.max_blocks, 0, 2048);
    c.max_blocks_with_registers = pick(in, defaults.max_blocks_with_registers, 0, 2048);
    c.max_blocks_per_function = pick(in, defaults.max_blocks_per_function, 0, 64);
    c.listing = in.ConsumeBool();
  }
  std::vector<uint8_t> code = in.ConsumeRemainingBytes<uint8_t>();
  if (code.empty()) return 0;
  if (words) {
    // Three words in four become 32-bit instructions of a defined major opcode; the others
    // stay as they are (mostly compressed).
    for (size_t i = 0; i + 4 <= code.size(); i += 4) {
      if ((code[i] & 3) == 0) continue;
      code[i] = static_cast<uint8_t>((code[i] & 0x80) | kMajor[(code[i] >> 2) % sizeof kMajor]);
    }
  }
  uint8_t page[kPageSize] = {};
  for (unsigned o = 0; o < kPageSize; ++o) {
    const size_t i = (o + kPageSize - code_at) % kPageSize;  // from code_at, wrapping round
    if (tile || (o >= code_at && i < code.size())) page[o] = code[i % code.size()];
  }

  for (const Choice& c : choices) {
    TranslateRequest req;
    req.guest_page = guest_page;
    req.host = page;
    req.entries = c.entries;
    if (c.sweep) {
      for (uint16_t e : c.entries) add_sweep(page, e, req.entries);
    }
    req.max_bytes = c.max_bytes;
    req.max_blocks = c.max_blocks;
    req.max_blocks_with_registers = c.max_blocks_with_registers;
    req.max_blocks_per_function = c.max_blocks_per_function;
    req.listing = c.listing;
    TranslateResult result;
    const bool done = translate_page(req, result);
    check_module(req, done, result);

    // Determinism: again, with the listing switched, the same module.
    req.listing = !req.listing;
    TranslateResult again;
    check(translate_page(req, again) == done, "the same request translates or not alike");
    if (!done) continue;
    check(again.wasm == result.wasm && again.blocks == result.blocks && again.insns == result.insns,
          "the same request gives the same module, with or without the listing");
    check(req.listing == !again.riscv.empty(), "a listing exactly when asked for");
  }
  return 0;
}
