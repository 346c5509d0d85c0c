// RV64I: every base instruction (32-bit encodings only) with edge cases: sign extension,
// overflow, maximal shift amounts, x0 as source and destination, branches taken and not
// taken in both directions, jal/jalr link values, and every load/store width.
#include "test_macros.h"

  .option norvc
TEST_BEGIN
  // -- lui / auipc --
  li TESTNUM, 1
  lui a3, 0x12345
  CHECK_NOW(a3, 0x12345000)
  li TESTNUM, 2
  lui a3, 0x80000          // sign-extended to 64 bits
  CHECK_NOW(a3, 0xffffffff80000000)
  li TESTNUM, 3
  lui x0, 0x1
  mv a3, x0
  FAIL_NEZ(a3)
  li TESTNUM, 4
1:
  auipc a3, 0
  la a4, 1b
  FAIL_NE(a3, a4)
  li TESTNUM, 5
2:
  auipc a3, 0x1
  la a4, 2b
  sub a3, a3, a4
  CHECK_NOW(a3, 0x1000)
  li TESTNUM, 6
3:
  auipc a3, 0xfffff        // pc - 4096
  la a4, 3b
  sub a3, a4, a3
  CHECK_NOW(a3, 0x1000)

  // -- add / sub / addi --
  TEST_RR(10, add, 0x0000000000000000, 0, 0)
  TEST_RR(11, add, 0x0000000000000005, 2, 3)
  TEST_RR(12, add, 0x8000000000000000, 0x7fffffffffffffff, 1)   // signed overflow wraps
  TEST_RR(13, add, 0x0000000000000000, 0xffffffffffffffff, 1)
  TEST_RR(14, add, 0x0000000080000000, 0x7fffffff, 1)           // no 32-bit truncation
  TEST_RR(15, sub, 0xffffffffffffffff, 0, 1)
  TEST_RR(16, sub, 0x7fffffffffffffff, 0x8000000000000000, 1)
  TEST_RR(17, sub, 0x0000000000000002, 5, 3)
  TEST_IMM(18, addi, 0xfffffffffffff800, 0, -2048)
  TEST_IMM(19, addi, 0x00000000000007ff, 0, 2047)
  TEST_IMM(20, addi, 0x8000000000000000, 0x7fffffffffffffff, 1)
  TEST_IMM(21, addi, 0x0000000000000000, 1, -1)
  TEST_RR_SRC1_EQ_DEST(22, add, 24, 13, 11)
  TEST_RR_SRC2_EQ_DEST(23, sub, 2, 13, 11)
  TEST_IMM_SRC1_EQ_DEST(24, addi, 24, 13, 11)
  TEST_RR_ZERODEST(25, add, 1, 2)
  TEST_IMM_ZERODEST(26, addi, 1, 2)
  TEST_RR_ZEROSRC1(27, sub, 0xfffffffffffffff9, 7)
  TEST_RR_ZEROSRC2(28, add, 7, 7)

  // -- addw / subw / addiw: 32-bit results, sign-extended --
  TEST_RR(30, addw, 0xffffffff80000000, 0x7fffffff, 1)
  TEST_RR(31, addw, 0x0000000000000000, 0xffffffff, 1)
  TEST_RR(32, addw, 0x0000000000000003, 0x1234567800000001, 0x2)  // upper bits ignored
  TEST_RR(33, subw, 0x000000007fffffff, 0xffffffff80000000, 1)
  TEST_RR(34, subw, 0xffffffffffffffff, 0, 1)
  TEST_IMM(35, addiw, 0xffffffff80000000, 0x7fffffff, 1)
  TEST_IMM(36, addiw, 0x000000007ffff800, 0x80000000, -2048)
  TEST_IMM(37, addiw, 0xffffffff80000000, 0xffffffff80000000, 0)   // sext.w
  TEST_IMM(38, addiw, 0x0000000012345678, 0xabcdef0012345678, 0)
  TEST_RR_ZERODEST(39, addw, 1, 2)

  // -- slt / sltu / slti / sltiu --
  TEST_RR(40, slt, 1, 0xffffffffffffffff, 0)
  TEST_RR(41, slt, 0, 0, 0xffffffffffffffff)
  TEST_RR(42, slt, 1, 0x8000000000000000, 0x7fffffffffffffff)
  TEST_RR(43, slt, 0, 5, 5)
  TEST_RR(44, sltu, 0, 0xffffffffffffffff, 0)
  TEST_RR(45, sltu, 1, 0, 0xffffffffffffffff)
  TEST_RR(46, sltu, 0, 0x8000000000000000, 0x7fffffffffffffff)
  TEST_IMM(47, slti, 1, 0xfffffffffffff000, -1)
  TEST_IMM(48, slti, 0, 0, -2048)
  TEST_IMM(49, sltiu, 1, 0x7fffffffffffffff, -1)      // imm sign-extended, compared unsigned
  TEST_IMM(50, sltiu, 1, 0, 1)                        // seqz
  TEST_IMM(51, sltiu, 0, 5, 1)
  TEST_RR_ZEROSRC1(52, sltu, 1, 3)                    // snez
  TEST_RR_ZERODEST(53, slt, 0, 1)

  // -- logic --
  TEST_RR(60, and, 0x0f000f000f000f00, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
  TEST_RR(61, or, 0xff0fff0fff0fff0f, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
  TEST_RR(62, xor, 0xf00ff00ff00ff00f, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
  TEST_IMM(63, andi, 0xff00ff00ff00ff00, 0xff00ff00ff00ff00, -1)
  TEST_IMM(64, andi, 0x0000000000000700, 0xff00ff00ff00ff00, 0x70f)
  TEST_IMM(65, ori, 0xfffffffffffff80f, 0x000000000000000f, -2048)
  TEST_IMM(66, xori, 0x00ff00ff00ff00ff, 0xff00ff00ff00ff00, -1)    // not
  TEST_IMM(67, xori, 0xff00ff00ff00f8f0, 0xff00ff00ff00ff00, 0x7f0)
  TEST_RR_ZERODEST(68, or, 1, 2)
  TEST_IMM_ZERODEST(69, xori, 1, 2)

  // -- shifts (shift amounts use the low 6 bits, or 5 bits for the W forms) --
  TEST_IMM(70, slli, 0x8000000000000000, 1, 63)
  TEST_IMM(71, slli, 0x0000000000000001, 1, 0)
  TEST_IMM(72, srli, 0x0000000000000001, 0x8000000000000000, 63)
  TEST_IMM(73, srai, 0xffffffffffffffff, 0x8000000000000000, 63)
  TEST_IMM(74, srai, 0x0000000000000000, 0x7fffffffffffffff, 63)
  TEST_IMM(75, srai, 0xfffffffff8000000, 0xffffffff80000000, 4)
  TEST_IMM(76, srli, 0x0ffffffff8000000, 0xffffffff80000000, 4)
  TEST_RR(77, sll, 0x8000000000000000, 1, 63)
  TEST_RR(78, sll, 0x0000000000000002, 1, 65)       // 65 & 63 = 1
  TEST_RR(79, sll, 0x0000000000000001, 1, 64)       // 64 & 63 = 0
  TEST_RR(80, srl, 0x0000000000000001, 0x8000000000000000, 63)
  TEST_RR(81, srl, 0x8000000000000000, 0x8000000000000000, 0xffffffffffffffc0)
  TEST_RR(82, sra, 0xffffffffffffffff, 0x8000000000000000, 63)
  TEST_RR(83, sra, 0xc000000000000000, 0x8000000000000000, 0x41)
  TEST_IMM(84, slliw, 0xffffffff80000000, 1, 31)
  TEST_IMM(85, slliw, 0x0000000000000000, 0x100000000, 0)
  TEST_IMM(86, srliw, 0x0000000000000001, 0x80000000, 31)
  TEST_IMM(87, srliw, 0xffffffff80000000, 0x80000000, 0)    // shift 0: sign-extends bit 31
  TEST_IMM(88, srliw, 0x0000000000ffffff, 0xffffffffffffffff, 8)
  TEST_IMM(89, sraiw, 0xffffffffffffffff, 0x80000000, 31)
  TEST_IMM(90, sraiw, 0x0000000000000000, 0xffffffff00000000, 31)  // upper half ignored
  TEST_IMM(91, sraiw, 0xfffffffff8000000, 0x80000000, 4)
  TEST_RR(92, sllw, 0xffffffff80000000, 1, 31)
  TEST_RR(93, sllw, 0x0000000000000001, 1, 32)      // 32 & 31 = 0
  TEST_RR(94, srlw, 0x0000000000000001, 0x80000000, 31)
  TEST_RR(95, srlw, 0x0000000000000001, 0x80000000, 63)  // 63 & 31 = 31
  TEST_RR(96, sraw, 0xffffffffffffffff, 0x80000000, 31)
  TEST_RR(97, sraw, 0xfffffffffc000000, 0x80000000, 0x25)
  TEST_RR_ZERODEST(98, sll, 1, 2)
  TEST_IMM_ZERODEST(99, srai, -1, 3)

  // -- loads --
  TEST_LD(100, lb, 0xffffffffffffff80, 0, tdat)
  TEST_LD(101, lbu, 0x0000000000000080, 0, tdat)
  TEST_LD(102, lb, 0x0000000000000067, 12, tdat)
  TEST_LD(103, lh, 0xffffffffffff9080, 0, tdat)
  TEST_LD(104, lhu, 0x0000000000009080, 0, tdat)
  TEST_LD(105, lh, 0x0000000000004567, 12, tdat)
  TEST_LD(106, lw, 0xffffffffb0a09080, 0, tdat)
  TEST_LD(107, lwu, 0x00000000b0a09080, 0, tdat)
  TEST_LD(108, lw, 0x0000000001234567, 12, tdat)
  TEST_LD(109, lwu, 0x0000000001234567, 12, tdat)
  TEST_LD(110, ld, 0xf0e0d0c0b0a09080, 0, tdat)
  TEST_LD(111, ld, 0x0123456789abcdef, 8, tdat)
  TEST_LD(112, ld, 0xf0e0d0c0b0a09080, -8, tdat_mid)   // negative offsets
  TEST_LD(113, lbu, 0x00000000000000f0, -1, tdat_mid)
  TEST_LD(114, lw, 0xffffffff89abcdef, 0, tdat_mid)
  li TESTNUM, 115
  la a1, tdat
  lb x0, 0(a1)                                          // load to x0 is discarded
  mv a3, x0
  FAIL_NEZ(a3)
  li TESTNUM, 116
  la a1, tdat
  ld a1, 8(a1)                                          // base == destination
  CHECK_NOW(a1, 0x0123456789abcdef)

  // -- stores --
  TEST_ST(120, sb, 0xabcdef12, 0, 0, 0x1111111111111111, 0x1111111111111112, buf)
  TEST_ST(121, sb, 0x99, 7, 0, 0x1111111111111111, 0x9911111111111111, buf)
  TEST_ST(122, sh, 0xabcdef12, 2, 0, 0x1111111111111111, 0x11111111ef121111, buf)
  TEST_ST(123, sh, 0xbeef, 6, 0, 0x1111111111111111, 0xbeef111111111111, buf)
  TEST_ST(124, sw, 0x89abcdef12345678, 0, 0, 0x1111111111111111, 0x1111111112345678, buf)
  TEST_ST(125, sw, 0xdeadbeef, 4, 0, 0x1111111111111111, 0xdeadbeef11111111, buf)
  TEST_ST(126, sd, 0x0123456789abcdef, 8, 8, 0x1111111111111111, 0x0123456789abcdef, buf)
  TEST_ST(127, sd, 0xfedcba9876543210, -8, -8, 0, 0xfedcba9876543210, buf_end)
  TEST_ST(128, sb, 0x7f, -1, -8, 0, 0x7f00000000000000, buf_end)
  TEST_ST(129, sd, 0, 0, 0, 0xffffffffffffffff, 0, buf)
  li TESTNUM, 130                 // store x0
  la a1, buf
  li a2, -1
  sd a2, 0(a1)
  sw x0, 0(a1)
  ld a3, 0(a1)
  CHECK_NOW(a3, 0xffffffff00000000)

  // -- branches: taken and not taken, forwards and backwards --
  TEST_BR_TAKEN(140, beq, 5, 5)
  TEST_BR_TAKEN(141, beq, -1, -1)
  TEST_BR_NOT_TAKEN(142, beq, 5, 6)
  TEST_BR_NOT_TAKEN(143, beq, 0x100000000, 0)
  TEST_BR_TAKEN(144, bne, 5, 6)
  TEST_BR_TAKEN(145, bne, 0x100000000, 0)
  TEST_BR_NOT_TAKEN(146, bne, 7, 7)
  TEST_BR_TAKEN(147, blt, -1, 0)
  TEST_BR_TAKEN(148, blt, 0x8000000000000000, 0x7fffffffffffffff)
  TEST_BR_NOT_TAKEN(149, blt, 0, -1)
  TEST_BR_NOT_TAKEN(150, blt, 3, 3)
  TEST_BR_TAKEN(151, bge, 0, -1)
  TEST_BR_TAKEN(152, bge, 3, 3)
  TEST_BR_NOT_TAKEN(153, bge, -1, 0)
  TEST_BR_TAKEN(154, bltu, 0, -1)
  TEST_BR_TAKEN(155, bltu, 0x7fffffffffffffff, 0x8000000000000000)
  TEST_BR_NOT_TAKEN(156, bltu, -1, 0)
  TEST_BR_NOT_TAKEN(157, bltu, 3, 3)
  TEST_BR_TAKEN(158, bgeu, -1, 0)
  TEST_BR_TAKEN(159, bgeu, 3, 3)
  TEST_BR_NOT_TAKEN(160, bgeu, 0, -1)
  li TESTNUM, 161                 // branch on x0
  beqz zero, 1f
  j fail
1:
  FAIL_NEZ(zero)

  // -- jal / jalr and their link values --
  li TESTNUM, 170
  la t0, 2f
  jal a3, 1f
2:
  j fail
1:
  FAIL_NE(a3, t0)
  li TESTNUM, 171                 // jal x0 (j) links nothing
  jal x0, 1f
  j fail
1:
  li TESTNUM, 172                 // backward jal
  j 2f
1:
  j 3f
2:
  jal a4, 1b
  j fail
3:
  li TESTNUM, 173
  la t1, 1f
  la t0, 2f
  jalr a3, 0(t1)
2:
  j fail
1:
  FAIL_NE(a3, t0)
  li TESTNUM, 174                 // jalr with an offset
  la t1, 1f - 8
  jalr a3, 8(t1)
  j fail
1:
  li TESTNUM, 175                 // jalr with a negative offset
  la t1, 1f + 12
  jalr a3, -12(t1)
  j fail
1:
  li TESTNUM, 176                 // jalr clears bit 0 of the target
  la t1, 1f
  addi t1, t1, 1
  jalr a3, 0(t1)
  j fail
1:
  li TESTNUM, 177                 // rd == rs1: the old value is the target
  la t1, 1f
  la t0, 2f
  jalr t1, 0(t1)
2:
  j fail
1:
  FAIL_NE(t1, t0)
  li TESTNUM, 178                 // call/ret through ra
  mv s0, ra
  call leaf
  mv ra, s0
  CHECK_NOW(a0, 0x1234)

  // -- fence, fence.i, and self-modifying code --
  li TESTNUM, 180
  fence
  fence rw, rw
  fence.i
  li TESTNUM, 181                 // patch "addi a3, zero, 1" into "addi a3, zero, 2"
  la a1, smc_insn
  lw a2, 0(a1)
  li a4, 0x00100693               // addi a3, x0, 1
  FAIL_NE(a2, a4)
  li a4, 0x00200693               // addi a3, x0, 2
  sw a4, 0(a1)
  fence.i
  jal ra_smc_caller
  CHECK_NOW(a3, 2)
  li a4, 0x00100693               // restore for re-runs
  sw a4, 0(a1)
  fence.i

TEST_END

ra_smc_caller:
  mv s1, ra
  jal smc_code
  mv ra, s1
  ret
  .align 2
smc_code:
smc_insn:
  addi a3, x0, 1
  ret

leaf:
  li a0, 0x1234
  ret

TEST_DATA_BEGIN
  .align 3
tdat:
  .dword 0xf0e0d0c0b0a09080
tdat_mid:
  .dword 0x0123456789abcdef
  .align 3
buf:
  .dword 0, 0, 0, 0
buf_end:
TEST_DATA_END
