// libFuzzer target over parse_elf(): any byte string must give either a parsed image that
// keeps the documented invariants or an error message, never a crash, a leak or UB.
//
// Build (clang only): see tests/fuzz/CMakeLists.txt, or by hand:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     tests/fuzz/elf_loader_fuzz.cpp engine/elf_loader.cpp -o elf_loader_fuzz
//   ./elf_loader_fuzz -max_len=4096 corpus/
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "engine/board/elf_loader.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();  // an invariant of elf_loader.h does not hold: report to libFuzzer
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  glassvm::ElfImage image;
  std::string error;
  const bool parsed = glassvm::parse_elf(std::span<const uint8_t>(data, size), image, error);
  if (!parsed) {
    check(!error.empty());
    return 0;
  }
  check(!image.segments.empty());
  for (const glassvm::ElfSegment& s : image.segments) {
    check(s.memsz > 0 && s.data.size() <= s.memsz && s.data.size() <= size);
    check(s.memsz - 1 <= UINT64_MAX - s.paddr);  // no wrap-around
  }
  return 0;
}
