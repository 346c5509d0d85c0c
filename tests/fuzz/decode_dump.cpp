// Prints how glassvm::decode() reads each instruction word given on stdin (one hex word a
// line): "<op> <rd> <rs1> <rs2> <imm> <len> <aqrl> <rs3> <rm>". The helper of
// decode_differential.py, which compares it with llvm-objdump.
#include <cinttypes>
#include <cstdio>

#include "engine/cpu/decode.h"

int main() {
  unsigned long word = 0;
  while (std::scanf("%lx", &word) == 1) {
    const glassvm::DecodedInsn d = glassvm::decode(static_cast<uint32_t>(word));
    std::printf("%s %u %u %u %" PRId64 " %u %u %u %u\n", glassvm::op_name(d.op), d.rd, d.rs1, d.rs2,
                d.imm, d.len, d.aqrl, d.rs3, d.rm);
  }
  return 0;
}
