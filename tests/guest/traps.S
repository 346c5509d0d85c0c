// Synchronous exceptions taken in M-mode: illegal instructions (including bad CSR accesses),
// ebreak/c.ebreak, ecall from M, access faults on unmapped addresses (0x0) for loads, stores,
// AMOs and fetches, misaligned LR/SC/AMO, plain misaligned loads/stores (performed by the
// hardware), and instruction-address-misaligned jumps and branches with misa.C cleared.
// mcause, mepc and mtval are checked for each.
//
// The handler records mcause/mepc/mtval/mstatus in s2/s3/s4/s6 and resumes at the address
// in s5.
#include "test_macros.h"

// Runs `code`, which must trap with `cause` at the address of label 8 (the trapping insn
// must carry the label 8:), with mtval `tval`.
#define EXPECT_TRAP(n, cause, ...) \
  li TESTNUM, n;                    \
  la s5, 7f;                        \
  li s2, -1;                        \
  __VA_ARGS__;                      \
  j fail;                           \
  7:                                \
  CHECK_NOW(s2, cause);             \
  la t0, 8b;                        \
  FAIL_NE(s3, t0)

#define CHECK_TVAL(tval) CHECK_NOW(s4, tval)

  .option norvc
TEST_BEGIN
  la t0, handler
  csrw mtvec, t0

  // -- illegal instructions --
  EXPECT_TRAP(1, 2, 8: .word 0x00000000)
  EXPECT_TRAP(2, 2, 8: .word 0xffffffff)
  EXPECT_TRAP(3, 2, .option push; .option rvc; 8: c.unimp; .option pop; nop)
  EXPECT_TRAP(4, 2, 8: csrw mhartid, a0)          // read-only CSR
  EXPECT_TRAP(5, 2, 8: csrw cycle, a0)            // read-only user counter
  EXPECT_TRAP(6, 2, 8: csrr a0, 0x0ff)            // an unallocated CSR number
  EXPECT_TRAP(7, 2, li a0, 1; 8: csrrs a0, mvendorid, a0)  // csrrs with rs1 != x0 writes
  EXPECT_TRAP(8, 2, 8: .word 0x0000007f)          // reserved (48-bit+) encoding space
  EXPECT_TRAP(9, 2, 8: .word 0x10500073 | (1 << 7))  // wfi with rd != 0
  li TESTNUM, 11                                  // reading a read-only CSR is fine
  csrr a0, mhartid
  csrrs a0, mvendorid, x0

  // -- ebreak / ecall --
  EXPECT_TRAP(20, 3, 8: ebreak)
  EXPECT_TRAP(21, 3, .option push; .option rvc; 8: c.ebreak; .option pop; nop)
  EXPECT_TRAP(22, 11, 8: ecall)
  li TESTNUM, 23                                  // in the handler, MPP was M
  srli a0, s6, 11
  andi a0, a0, 3
  CHECK_NOW(a0, 3)
  li TESTNUM, 24                                  // mret set MPP to U, the lowest mode
  csrr a0, mstatus
  srli a0, a0, 11
  andi a0, a0, 3
  CHECK_NOW(a0, 0)

  // -- access faults at 0x0 (unmapped) --
  EXPECT_TRAP(30, 5, li a1, 0; 8: lw a0, 0(a1))
  CHECK_TVAL(0)
  EXPECT_TRAP(31, 5, li a1, 0x10; 8: ld a0, -8(a1))
  CHECK_TVAL(8)
  EXPECT_TRAP(32, 7, li a1, 0; 8: sb a0, 4(a1))
  CHECK_TVAL(4)
  EXPECT_TRAP(33, 7, li a1, 0; 8: sd a0, 0(a1))
  CHECK_TVAL(0)
  EXPECT_TRAP(35, 5, li a1, 0; 8: lr.d a0, (a1))
  CHECK_TVAL(0)
  li TESTNUM, 37                                  // fetch fault: mepc = mtval = target
  la s5, 1f
  li s2, -1
  li a1, 0
  jalr ra, 0(a1)
  j fail
1:
  CHECK_NOW(s2, 1)
  CHECK_NOW(s3, 0)
  CHECK_NOW(s4, 0)

  // -- misaligned: LR/SC/AMO trap, plain loads and stores work --
  la a1, mdat
  EXPECT_TRAP(40, 4, addi a2, a1, 4; 8: lr.d a0, (a2))
  la a1, mdat
  addi a1, a1, 4
  FAIL_NE(s4, a1)
  EXPECT_TRAP(41, 4, la a2, mdat + 2; 8: lr.w a0, (a2))
  li TESTNUM, 47                                  // memory untouched by the faulting AMOs
  la a1, mdat
  ld a0, 0(a1)
  CHECK_NOW(a0, 0x0706050403020100)
  li TESTNUM, 50
  la a1, mdat
  ld a0, 1(a1)
  CHECK_NOW(a0, 0x0807060504030201)
  li TESTNUM, 51
  lw a0, 3(a1)
  CHECK_NOW(a0, 0x06050403)
  li TESTNUM, 52
  lh a0, 7(a1)
  CHECK_NOW(a0, 0x0807)
  li TESTNUM, 53
  lhu a0, 15(a1)
  CHECK_NOW(a0, 0xff0f)
  li TESTNUM, 54
  lwu a0, 13(a1)
  CHECK_NOW(a0, 0xff0f0e0d)
  li TESTNUM, 55
  lw a0, 13(a1)
  CHECK_NOW(a0, 0xffffffffff0f0e0d)
  li TESTNUM, 56
  li a2, 0x1122334455667788
  sd a2, 3(a1)
  ld a0, 0(a1)
  CHECK_NOW(a0, 0x4455667788020100)
  ld a0, 8(a1)
  CHECK_NOW(a0, 0x0f0e0d0c0b112233)
  li TESTNUM, 57
  li a2, 0xaabb
  sh a2, 9(a1)
  ld a0, 8(a1)
  CHECK_NOW(a0, 0x0f0e0d0c0baabb33)
  li TESTNUM, 58
  li a2, 0xccddeeff
  sw a2, 6(a1)
  ld a0, 0(a1)
  CHECK_NOW(a0, 0xeeff667788020100)
  ld a0, 8(a1)
  CHECK_NOW(a0, 0x0f0e0d0c0baaccdd)

  // -- GlassVM specifics (QEMU differs): writable misa.C --
  EXPECT_TRAP(42, 6, la a2, mdat + 1; 8: sc.w a0, a0, (a2))  // even without a reservation
  EXPECT_TRAP(43, 6, la a2, mdat + 4; 8: sc.d a0, a0, (a2))
  EXPECT_TRAP(44, 6, la a2, mdat + 2; 8: amoswap.w a0, a0, (a2))
  EXPECT_TRAP(45, 6, la a2, mdat + 4; 8: amoadd.d a0, a0, (a2))
  EXPECT_TRAP(46, 6, la a2, mdat + 7; 8: amomaxu.d a0, a0, (a2))
  la a1, mdat + 7
  FAIL_NE(s4, a1)
  EXPECT_TRAP(34, 7, li a1, 0; 8: amoadd.w a0, a0, (a1))  // AMO faults are store faults
  CHECK_TVAL(0)

  // -- instruction address misaligned, with misa.C cleared --
  j 1f
  .align 2
target:
  .option push
  .option rvc
  c.nop
target_plus2:
  c.li a0, 0x15                  // reached at target_plus2 when C is enabled
  c.addi a0, 0x15
  c.addi a0, 0x15
  c.addi a0, 0x1
  c.addi a0, 0x1
  c.addi a0, 0x10
  ret
  .option pop

1:
  li TESTNUM, 60
  li t0, 1 << 2
  csrc misa, t0
  csrr a0, misa
  and a0, a0, t0
  FAIL_NEZ(a0)
  EXPECT_TRAP(61, 0, la a1, target_plus2; 8: jalr ra, 0(a1))
  la a1, target_plus2
  FAIL_NE(s4, a1)
  EXPECT_TRAP(62, 0, 8: jal ra, target_plus2)
  EXPECT_TRAP(63, 0, 8: beq x0, x0, target_plus2)
  la a1, target_plus2
  FAIL_NE(s4, a1)
  li TESTNUM, 64                                  // a branch not taken does not trap
  li s2, -1
  bne x0, x0, target_plus2
  CHECK_NOW(s2, -1)
  li TESTNUM, 65                                  // restore C; now the jump works
  li t0, 1 << 2
  csrs misa, t0
  csrr a0, misa
  and a0, a0, t0
  beqz a0, fail_far
  li s2, -1
  la a1, target_plus2
  jalr ra, 0(a1)
  CHECK_NOW(a0, 0x51)                             // 3*0x15 + 1 + 1 + 0x10
  CHECK_NOW(s2, -1)
TEST_END
fail_far:
  j fail

  .align 2
handler:
  csrr s2, mcause
  csrr s3, mepc
  csrr s4, mtval
  csrr s6, mstatus
  csrw mepc, s5
  mret

TEST_DATA_BEGIN
  .align 3
mdat:
  .byte 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0xff, 0xff, 0xff, 0xff
  .align 3
TEST_DATA_END
