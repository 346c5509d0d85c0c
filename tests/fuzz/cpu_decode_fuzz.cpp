// libFuzzer target over decode() and disassemble(): every instruction word at every pc must
// decode to in-range fields and print as non-empty text, without UB.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "engine/cpu/decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 12) return 0;
  uint32_t raw;
  uint64_t pc;
  std::memcpy(&raw, data, 4);
  std::memcpy(&pc, data + 4, 8);
  const glassvm::DecodedInsn d = glassvm::decode(raw);
  if (d.rd > 31 || d.rs1 > 31 || d.rs2 > 31) std::abort();
  if (d.len != glassvm::insn_length(raw & 0xffff)) std::abort();
  if (glassvm::disassemble(d, pc).empty()) std::abort();
  return 0;
}
