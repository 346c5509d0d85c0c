// Disassembler tests: objdump-style text for a representative set of instructions.
//
// Raw words come from `llvm-mc --triple=riscv64 -mattr=+m,+a,+c --show-encoding`; the expected
// text is what GNU objdump prints, with a space instead of its tab and "0x" targets.
#include <gtest/gtest.h>

#include "engine/cpu/decode.h"

namespace glassvm {
namespace {

std::string dis(uint32_t raw, uint64_t pc = 0x80000000) {
  return disassemble(decode(raw), pc);
}

TEST(Disasm, BaseInstructions) {
  EXPECT_EQ(dis(0x80058513), "addi a0,a1,-2048");
  EXPECT_EQ(dis(0x01ee8e33), "add t3,t4,t5");
  EXPECT_EQ(dis(0x41ee8e33), "sub t3,t4,t5");
  EXPECT_EQ(dis(0x03f91493), "slli s1,s2,0x3f");
  EXPECT_EQ(dis(0x41f5d51b), "sraiw a0,a1,0x1f");
  EXPECT_EQ(dis(0xffffffb7), "lui t6,0xfffff");
  EXPECT_EQ(dis(0x80000517), "auipc a0,0x80000");
  EXPECT_EQ(dis(0x039c4bbb), "divw s7,s8,s9");
}

TEST(Disasm, LoadsAndStoresUseOffsetBaseSyntax) {
  EXPECT_EQ(dis(0x80010503), "lb a0,-2048(sp)");
  EXPECT_EQ(dis(0x0082b683), "ld a3,8(t0)");
  EXPECT_EQ(dis(0x00446803), "lwu a6,4(s0)");
  EXPECT_EQ(dis(0x01f2b423), "sd t6,8(t0)");
  EXPECT_EQ(dis(0xfec22fa3), "sw a2,-1(tp)");
}

TEST(Disasm, BranchAndJumpTargetsAreAbsolute) {
  EXPECT_EQ(dis(0x80b50063, 0x80001000), "beq a0,a1,0x80000000");
  EXPECT_EQ(dis(0x7e941fe3, 0x1000), "bne s0,s1,0x1ffe");
  EXPECT_EQ(dis(0x0062c463), "blt t0,t1,0x80000008");
  EXPECT_EQ(dis(0x800000ef, 0x80100000), "jal 0x80000000");  // jal ra
  EXPECT_EQ(dis(0x7ffff06f, 0), "j 0xffffe");                // jal zero
  EXPECT_EQ(dis(0x008002ef, 0x100), "jal t0,0x108");         // jal t0
  EXPECT_EQ(dis(0x800582e7), "jalr t0,-2048(a1)");
  EXPECT_EQ(dis(0xfe000ee3, 0x10), "beqz zero,0xc");  // beq x0,x0,-4
  // A backward target below zero wraps like the hardware pc does.
  EXPECT_EQ(dis(0xffdff06f, 0), "j 0xfffffffffffffffc");
}

TEST(Disasm, PseudoInstructions) {
  EXPECT_EQ(dis(0x00000013), "nop");
  EXPECT_EQ(dis(0x00a00513), "li a0,10");
  EXPECT_EQ(dis(0x00050593), "mv a1,a0");
  EXPECT_EQ(dis(0x0005059b), "sext.w a1,a0");
  EXPECT_EQ(dis(0xfff54513), "not a0,a0");
  EXPECT_EQ(dis(0x40a005b3), "neg a1,a0");
  EXPECT_EQ(dis(0x0015b513), "seqz a0,a1");
  EXPECT_EQ(dis(0x00a035b3), "snez a1,a0");
  EXPECT_EQ(dis(0x00008067), "ret");
  EXPECT_EQ(dis(0x00050067), "jr a0");
  EXPECT_EQ(dis(0x000500e7), "jalr a0");
  EXPECT_EQ(dis(0xcf0080e7), "jalr -784(ra)");  // jalr ra,-784(ra)
  EXPECT_EQ(dis(0xd5e30067), "jr -674(t1)");    // jalr zero,-674(t1)
  EXPECT_EQ(dis(0x00050463, 0x100), "beqz a0,0x108");
  EXPECT_EQ(dis(0x00051463, 0x100), "bnez a0,0x108");
}

TEST(Disasm, CsrInstructionsUseCsrNames) {
  EXPECT_EQ(dis(0x30059573), "csrrw a0,mstatus,a1");
  EXPECT_EQ(dis(0xc0102573), "csrr a0,time");
  EXPECT_EQ(dis(0x30051073), "csrw mstatus,a0");
  EXPECT_EQ(dis(0x3000a073), "csrs mstatus,ra");
  EXPECT_EQ(dis(0x305fd573), "csrrwi a0,mtvec,31");
  EXPECT_EQ(dis(0x30015073), "csrwi mstatus,2");
  EXPECT_EQ(dis(0x3b3022f3), "csrr t0,pmpaddr3");
  EXPECT_EQ(dis(0xc1102573), "csrr a0,hpmcounter17");
  // CSRs the hart lacks still print by name (the CSR table keeps them as name-only rows).
  EXPECT_EQ(dis(0x18002573), "csrr a0,satp");
  EXPECT_EQ(dis(0x00302573), "csrr a0,fcsr");
  EXPECT_EQ(dis(0x7c002573), "csrr a0,0x7c0");  // no standard name
}

TEST(Disasm, SystemAndFences) {
  EXPECT_EQ(dis(0x00000073), "ecall");
  EXPECT_EQ(dis(0x00100073), "ebreak");
  EXPECT_EQ(dis(0x30200073), "mret");
  EXPECT_EQ(dis(0x10200073), "sret");
  EXPECT_EQ(dis(0x10500073), "wfi");
  EXPECT_EQ(dis(0x12b50073), "sfence.vma a0,a1");
  EXPECT_EQ(dis(0x12050073), "sfence.vma a0");
  EXPECT_EQ(dis(0x12000073), "sfence.vma");
  EXPECT_EQ(dis(0x0000100f), "fence.i");
  EXPECT_EQ(dis(0x0310000f), "fence rw,w");
  EXPECT_EQ(dis(0x0ff0000f), "fence");
  EXPECT_EQ(dis(0x8330000f), "fence.tso");
}

TEST(Disasm, Atomics) {
  EXPECT_EQ(dis(0x1005a52f), "lr.w a0,(a1)");
  EXPECT_EQ(dis(0x1605b52f), "lr.d.aqrl a0,(a1)");
  EXPECT_EQ(dis(0x1cc5a52f), "sc.w.aq a0,a2,(a1)");
  EXPECT_EQ(dis(0x0ac5a52f), "amoswap.w.rl a0,a2,(a1)");
  EXPECT_EQ(dis(0xe0c5b52f), "amomaxu.d a0,a2,(a1)");
}

TEST(Disasm, CompressedPrintsTheExpansion) {
  EXPECT_EQ(dis(0x1fe8), "addi a0,sp,1020");  // c.addi4spn
  EXPECT_EQ(dis(0x0001), "nop");              // c.nop
  EXPECT_EQ(dis(0x5081), "li ra,-32");        // c.li
  EXPECT_EQ(dis(0x7101), "addi sp,sp,-512");  // c.addi16sp
  EXPECT_EQ(dis(0x7f81), "lui t6,0xfffe0");   // c.lui
  EXPECT_EQ(dis(0x857e), "mv a0,t6");         // c.mv
  EXPECT_EQ(dis(0x947e), "add s0,s0,t6");     // c.add
  EXPECT_EQ(dis(0x8082), "ret");              // c.jr ra
  EXPECT_EQ(dis(0x9502), "jalr a0");          // c.jalr
  EXPECT_EQ(dis(0x9002), "ebreak");           // c.ebreak
  EXPECT_EQ(dis(0xb001, 0x80000800), "j 0x80000000");
  EXPECT_EQ(dis(0xd001, 0x80000100), "beqz s0,0x80000000");
  EXPECT_EQ(dis(0x7ffe), "ld t6,504(sp)");     // c.ldsp
  EXPECT_EQ(dis(0xfd70), "sd a2,248(a0)");     // c.sd
  EXPECT_EQ(dis(0x2d70), "fld fa2,216(a0)");   // c.fld
  EXPECT_EQ(dis(0xbffe), "fsd ft11,504(sp)");  // c.fsdsp
}

TEST(Disasm, IllegalEncodingsAreUnambiguous) {
  EXPECT_EQ(dis(0x0000), ".2byte 0x0000");
  EXPECT_EQ(dis(0x8000), ".2byte 0x8000");          // Q0 funct3 100 (Zcb)
  EXPECT_EQ(dis(0x02c5d553), ".4byte 0x02c5d553");  // fadd.d with rm 5 (reserved)
  EXPECT_EQ(dis(0xffffffff), ".4byte 0xffffffff");
  EXPECT_EQ(dis(0x00200073), ".4byte 0x00200073");  // uret
}

}  // namespace
}  // namespace glassvm
