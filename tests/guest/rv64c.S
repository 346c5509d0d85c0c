// RV64C: every compressed integer instruction, written with explicit c.* mnemonics so that
// the 16-bit encodings are what runs; plus 32-bit instructions at 2-byte aligned addresses
// and one that straddles a 4 KiB page boundary. (c.ebreak is in traps.S.)
#include "test_macros.h"

  .option rvc
TEST_BEGIN
  // -- c.li / c.lui / c.addi / c.addiw / c.nop --
  li TESTNUM, 1
  c.li a0, -32
  CHECK_NOW(a0, 0xffffffffffffffe0)
  li TESTNUM, 2
  c.li a0, 31
  CHECK_NOW(a0, 31)
  li TESTNUM, 3
  c.lui a0, 0xfffff               // imm bit 17 set: sign-extended
  CHECK_NOW(a0, 0xfffffffffffff000)
  li TESTNUM, 4
  c.lui a0, 0x1f
  CHECK_NOW(a0, 0x1f000)
  li TESTNUM, 5
  c.lui a0, 0xfffe0
  CHECK_NOW(a0, 0xfffffffffffe0000)
  li TESTNUM, 6
  c.li a0, 5
  c.addi a0, -32
  CHECK_NOW(a0, 0xffffffffffffffe5)
  li TESTNUM, 7
  c.addi a0, 31
  CHECK_NOW(a0, 4)
  li TESTNUM, 8
  li a0, 0x7fffffff
  c.addiw a0, 1
  CHECK_NOW(a0, 0xffffffff80000000)
  li TESTNUM, 9
  li a0, 0x12345678ffffffff
  c.addiw a0, 0                   // sext.w
  CHECK_NOW(a0, 0xffffffffffffffff)
  li TESTNUM, 10
  li a0, 3
  c.nop
  CHECK_NOW(a0, 3)

  // -- sp-relative arithmetic: c.addi16sp / c.addi4spn --
  li TESTNUM, 11
  mv s2, sp
  c.addi16sp sp, -512
  sub a0, s2, sp
  CHECK_NOW(a0, 512)
  li TESTNUM, 12
  c.addi4spn a0, sp, 1020
  sub a0, a0, sp
  CHECK_NOW(a0, 1020)
  li TESTNUM, 13
  c.addi4spn a1, sp, 4
  sub a1, a1, sp
  CHECK_NOW(a1, 4)
  li TESTNUM, 14
  c.addi16sp sp, 496
  c.addi16sp sp, 16
  FAIL_NE(sp, s2)

  // -- shifts and immediate logic --
  li TESTNUM, 20
  c.li a0, 1
  c.slli a0, 63
  CHECK_NOW(a0, 0x8000000000000000)
  li TESTNUM, 21
  c.srai a0, 63
  CHECK_NOW(a0, 0xffffffffffffffff)
  li TESTNUM, 22
  c.srli a0, 63
  CHECK_NOW(a0, 1)
  li TESTNUM, 23
  li a0, 0x8000000000000000
  c.srai a0, 1
  CHECK_NOW(a0, 0xc000000000000000)
  li TESTNUM, 24
  c.srli a0, 1
  CHECK_NOW(a0, 0x6000000000000000)
  li TESTNUM, 25
  li a0, 0x123456789abcdeff
  c.andi a0, -32
  CHECK_NOW(a0, 0x123456789abcdee0)
  li TESTNUM, 26
  li a0, 0x123456789abcdeff
  c.andi a0, 31
  CHECK_NOW(a0, 0x1f)
  li TESTNUM, 27
  li t0, 0x0102030405060708
  c.slli t0, 8                    // full register set for c.slli
  CHECK_NOW(t0, 0x0203040506070800)

  // -- register-register --
  li TESTNUM, 30
  li a0, 10
  li a1, 3
  c.sub a0, a1
  CHECK_NOW(a0, 7)
  li TESTNUM, 31
  li a0, 0xff00ff00ff00ff00
  li a1, 0x0ff00ff00ff00ff0
  c.xor a0, a1
  CHECK_NOW(a0, 0xf0f0f0f0f0f0f0f0)
  li TESTNUM, 32
  li a0, 0xff00ff00ff00ff00
  c.or a0, a1
  CHECK_NOW(a0, 0xfff0fff0fff0fff0)
  li TESTNUM, 33
  li a0, 0xff00ff00ff00ff00
  c.and a0, a1
  CHECK_NOW(a0, 0x0f000f000f000f00)
  li TESTNUM, 34
  li a0, 0
  li a1, 0x80000000
  c.subw a0, a1
  CHECK_NOW(a0, 0xffffffff80000000)
  li TESTNUM, 35
  li a0, 0x7fffffff
  li a1, 0x100000001
  c.addw a0, a1
  CHECK_NOW(a0, 0xffffffff80000000)
  li TESTNUM, 36
  li t1, 0x1234
  c.mv t0, t1
  CHECK_NOW(t0, 0x1234)
  li TESTNUM, 37
  li t0, -5
  li t1, 7
  c.add t0, t1
  CHECK_NOW(t0, 2)

  // -- loads and stores, register-based --
  li TESTNUM, 40
  la s0, cdat
  c.ld a0, 0(s0)
  CHECK_NOW(a0, 0xf0e0d0c0b0a09080)
  li TESTNUM, 41
  c.ld a0, 248(s0)
  CHECK_NOW(a0, 0x1122334455667788)
  li TESTNUM, 42
  c.lw a0, 0(s0)                  // sign-extends
  CHECK_NOW(a0, 0xffffffffb0a09080)
  li TESTNUM, 43
  c.lw a0, 124(s0)
  CHECK_NOW(a0, 0x76543210)
  li TESTNUM, 44
  li a1, 0xdeadbeefcafef00d
  c.sd a1, 16(s0)
  ld a0, 16(s0)
  CHECK_NOW(a0, 0xdeadbeefcafef00d)
  li TESTNUM, 45
  li a1, 0x0123456789abcdef
  c.sw a1, 20(s0)
  ld a0, 16(s0)
  CHECK_NOW(a0, 0x89abcdefcafef00d)

  // -- loads and stores, sp-based --
  li TESTNUM, 50
  mv s2, sp
  la sp, cdat
  c.ldsp a0, 248(sp)
  CHECK_NOW(a0, 0x1122334455667788)
  li TESTNUM, 51
  c.lwsp a0, 124(sp)
  CHECK_NOW(a0, 0x76543210)
  li TESTNUM, 52
  c.lwsp a0, 0(sp)
  CHECK_NOW(a0, 0xffffffffb0a09080)
  li TESTNUM, 53
  li t0, 0x5566778899aabbcc
  c.sdsp t0, 504(sp)
  ld a0, 504(sp)
  CHECK_NOW(a0, 0x5566778899aabbcc)
  li TESTNUM, 54
  li t0, 0xffffffff
  c.swsp t0, 252(sp)
  lwu a0, 252(sp)
  CHECK_NOW(a0, 0xffffffff)
  c.mv sp, s2

  // -- control flow --
  li TESTNUM, 60                  // c.j forward and backward
  c.j 2f
1:
  c.j 3f
2:
  c.j 1b
  j fail
3:
  li TESTNUM, 61                  // c.beqz taken / not taken
  c.li a0, 0
  c.beqz a0, 1f
  j fail
1:
  c.li a0, 1
  c.beqz a0, fail_near
  li TESTNUM, 62                  // c.bnez taken / not taken, backward
  c.li a0, 1
  c.j 2f
1:
  c.j 3f
2:
  c.bnez a0, 1b
  j fail
3:
  c.li a0, 0
  c.bnez a0, fail_near
  li TESTNUM, 63                  // c.jr
  la t1, 1f
  c.jr t1
  j fail
1:
  li TESTNUM, 64                  // c.jalr links pc + 2
  la t1, 2f
  la t0, 1f
  c.jalr t1
1:
  j fail
2:
  FAIL_NE(ra, t0)
  li TESTNUM, 65                  // 32-bit instruction at a 2 (mod 4) address
  .balign 4
  c.li a0, 1
  .option push
  .option norvc
  addi a0, a0, 0x123
  .option pop
  CHECK_NOW(a0, 0x124)
  li TESTNUM, 66                  // 32-bit instruction straddling a page boundary
  c.li a0, 7
  call straddle
  CHECK_NOW(a0, 8)
TEST_END
fail_near:
  j fail

  .section .text.straddle, "ax", @progbits
  .p2align 12
  .skip 4094
straddle:
  .option push
  .option norvc
  addi a0, a0, 1
  .option pop
  ret

TEST_DATA_BEGIN
  .align 3
cdat:
  .dword 0xf0e0d0c0b0a09080
  .dword 0
  .dword 0, 0
  .fill 11, 8, 0
  .dword 0x7654321000000000    // at 120: word at 124 is 0x76543210
  .fill 15, 8, 0
  .dword 0x1122334455667788    // at 248
  .fill 32, 8, 0
TEST_DATA_END
