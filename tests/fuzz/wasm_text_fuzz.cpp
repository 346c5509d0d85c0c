// libFuzzer target over wasm_to_text(): any byte string must be printed or refused with the
// offset of the problem, never a crash, a hang, UB or text beyond the printer's bound.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <span>
#include <string>

#include "tests/fuzz/fuzz_check.h"
#include "wasm-jit/wasm_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using glassvm::fuzz::check;
  std::string text, error;
  const bool ok = glassvm::wasm_to_text(std::span<const uint8_t>(data, size), text, error);
  // The printer stops at 64 KiB + 128 bytes per input byte, past which one string or signature
  // of the input (at most a few bytes of text per byte) may still be finishing.
  check(text.size() <= 64 * 1024 + 256 * size, "text within its bound");
  if (ok) {
    check(error.empty(), "no error on success");
    check(text.rfind("(module", 0) == 0 && text.size() >= 9 &&
              text.compare(text.size() - 2, 2, ")\n") == 0,
          "a whole module printed");
    return 0;
  }
  size_t offset = 0;
  check(std::sscanf(error.c_str(), "at offset 0x%zx: ", &offset) == 1,
        "a refusal names its offset");
  check(offset <= size, "the offset is inside the input");
  return 0;
}
