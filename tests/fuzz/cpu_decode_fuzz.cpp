// libFuzzer target over decode() and disassemble(): every instruction word at every pc must
// decode to in-range fields and print as text, without UB, and the decoder must agree with
// itself: a compressed instruction ignores the upper half of the word, Illegal and only
// Illegal prints as a .2byte/.4byte directive, and no register prints as "?". Agreement with
// an independent decoder (LLVM's) is the job of decode_differential.py, a CTest of its own.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/cpu/decode.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();  // an invariant of decode.h does not hold: report to libFuzzer
}

bool same(const glassvm::DecodedInsn& a, const glassvm::DecodedInsn& b) {
  return a.op == b.op && a.rd == b.rd && a.rs1 == b.rs1 && a.rs2 == b.rs2 && a.len == b.len &&
         a.aqrl == b.aqrl && a.imm == b.imm;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 12) return 0;
  uint32_t raw;
  uint64_t pc;
  std::memcpy(&raw, data, 4);
  std::memcpy(&pc, data + 4, 8);
  const glassvm::DecodedInsn d = glassvm::decode(raw);
  check(d.rd <= 31 && d.rs1 <= 31 && d.rs2 <= 31 && d.aqrl <= 3);
  check(d.len == glassvm::insn_length(raw & 0xffff));
  if (d.len == 2) {
    check(same(d, glassvm::decode(raw & 0xffff)));
    check(same(d, glassvm::decode(raw | 0xffff0000)));
  }
  const std::string text = glassvm::disassemble(d, pc);
  check(!text.empty());
  const bool directive = text.rfind(".2byte", 0) == 0 || text.rfind(".4byte", 0) == 0;
  check(directive == (d.op == glassvm::Op::Illegal));
  check(text.find('?') == std::string::npos);
  return 0;
}
