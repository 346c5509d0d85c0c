// Zicsr/Zicntr in M-mode: every CSR instruction form, and the machine CSRs' WARL behaviour:
// misa (with S), mhartid, mscratch, mstatus fields, mtvec modes, mepc/mcause/mtval, mie/mip, and the
// counters (mcycle/minstret counting and writable, cycle/instret/time readable, time
// advancing), and the absence of S-mode state on this M+U hart (privileged spec 3.1.6, 3.1.9).
#include "test_macros.h"

  .option norvc
TEST_BEGIN
  // -- misa: RV64 (MXL=2) with I, M, A, C and U --
  li TESTNUM, 1
  csrr a0, misa
  srli a1, a0, 62
  CHECK_NOW(a1, 2)
  li TESTNUM, 2
  li t0, (1 << 8) | (1 << 12) | (1 << 0) | (1 << 2) | (1 << 20)   // I M A C U
  and a1, a0, t0
  FAIL_NE(a1, t0)
  li TESTNUM, 3
  csrr a0, mhartid
  CHECK_NOW(a0, 0)

  // -- every CSR instruction form, on mscratch --
  li TESTNUM, 10
  li a1, 0x123456789abcdef0
  csrw mscratch, a1
  csrr a0, mscratch
  FAIL_NE(a0, a1)
  li TESTNUM, 11
  li a2, 0xff
  csrrw a0, mscratch, a2          // returns the old value
  FAIL_NE(a0, a1)
  csrr a0, mscratch
  CHECK_NOW(a0, 0xff)
  li TESTNUM, 12
  li a2, 0xf00
  csrrs a0, mscratch, a2
  CHECK_NOW(a0, 0xff)
  csrr a0, mscratch
  CHECK_NOW(a0, 0xfff)
  li TESTNUM, 13
  li a2, 0x0f0
  csrrc a0, mscratch, a2
  CHECK_NOW(a0, 0xfff)
  csrr a0, mscratch
  CHECK_NOW(a0, 0xf0f)
  li TESTNUM, 14
  csrrwi a0, mscratch, 31
  CHECK_NOW(a0, 0xf0f)
  csrr a0, mscratch
  CHECK_NOW(a0, 31)
  li TESTNUM, 15
  csrrci a0, mscratch, 5
  CHECK_NOW(a0, 31)
  csrrsi a0, mscratch, 0x10       // bit already set
  CHECK_NOW(a0, 26)
  csrr a0, mscratch
  CHECK_NOW(a0, 26)
  li TESTNUM, 16
  csrrw x0, mscratch, zero        // rd = x0: write only
  csrrs a0, mscratch, x0          // rs1 = x0: read only
  CHECK_NOW(a0, 0)
  li TESTNUM, 17
  li a1, 5
  csrw mscratch, a1
  csrrw a1, mscratch, a1          // rd == rs1
  CHECK_NOW(a1, 5)

  // -- mepc: bit 0 always reads 0 (IALIGN 16 with C) --
  li TESTNUM, 21                  // mcause and mtval hold what is written
  li a1, 0x800000000000000b
  csrw mcause, a1
  csrr a0, mcause
  FAIL_NE(a0, a1)
  li a1, 0xdeadbeef
  csrw mtval, a1
  csrr a0, mtval
  FAIL_NE(a0, a1)

  // -- mtvec: direct and vectored modes --
  li TESTNUM, 30
  csrr s0, mtvec
  li a1, 0x80000100
  csrw mtvec, a1
  csrr a0, mtvec
  CHECK_NOW(a0, 0x80000100)
  li TESTNUM, 31
  li a1, 0x80000101               // vectored
  csrw mtvec, a1
  csrr a0, mtvec
  CHECK_NOW(a0, 0x80000101)
  csrw mtvec, s0

  // -- mstatus fields --
  li TESTNUM, 40
  csrsi mstatus, 8                // MIE
  csrr a0, mstatus
  andi a0, a0, 8
  CHECK_NOW(a0, 8)
  csrci mstatus, 8
  csrr a0, mstatus
  andi a0, a0, 8
  CHECK_NOW(a0, 0)
  li TESTNUM, 41                  // MPIE
  li t0, 1 << 7
  csrs mstatus, t0
  csrr a0, mstatus
  and a0, a0, t0
  FAIL_NE(a0, t0)
  csrc mstatus, t0
  li TESTNUM, 42                  // MPP: M and U are legal
  li t0, 3 << 11
  csrs mstatus, t0
  csrr a0, mstatus
  and a0, a0, t0
  FAIL_NE(a0, t0)
  csrc mstatus, t0
  csrr a0, mstatus
  and a0, a0, t0
  FAIL_NEZ(a0)
  li TESTNUM, 43                  // UXL reads 2 (64-bit U-mode) where implemented, or 0
  csrr a0, mstatus
  srli a0, a0, 32
  andi a0, a0, 3
  beqz a0, 1f
  CHECK_NOW(a0, 2)
1:
  li TESTNUM, 45                  // S-mode: SXL reads 2 (64-bit S-mode)
  csrr a0, mstatus
  srli a0, a0, 34
  andi a0, a0, 3
  CHECK_NOW(a0, 2)
  li TESTNUM, 46                  // ...and SIE, SPIE, SPP, SUM, MXR, TVM, TSR are writable
  li t0, (1 << 1) | (1 << 5) | (1 << 8) | (1 << 18) | (1 << 19) | (1 << 20) | (1 << 22)
  csrs mstatus, t0
  csrr a0, mstatus
  and a0, a0, t0
  FAIL_NE(a0, t0)
  csrc mstatus, t0
  li TESTNUM, 47                  // MPP can hold S (QEMU agrees)
  li t0, 3 << 11
  csrc mstatus, t0
  li t0, 1 << 11
  csrs mstatus, t0
  csrr a0, mstatus
  li t0, 3 << 11
  and a0, a0, t0
  CHECK_NOW(a0, 1 << 11)
  li t0, 3 << 11
  csrc mstatus, t0
  li TESTNUM, 44                  // mret: MIE <- MPIE, MPIE <- 1, pc <- mepc
  li t0, 1 << 7
  csrs mstatus, t0
  csrci mstatus, 8
  li t0, 3 << 11
  csrs mstatus, t0                // MPP = M: stay in M
  la t0, 2f
  csrw mepc, t0
  mret
  j fail
2:
  csrr a0, mstatus
  andi a1, a0, 8
  CHECK_NOW(a1, 8)
  andi a1, a0, 0x80
  CHECK_NOW(a1, 0x80)
  csrci mstatus, 8

  // -- mie / mip --
  li TESTNUM, 50
  li t0, (1 << 3) | (1 << 7) | (1 << 11)
  csrw mie, t0
  csrr a0, mie
  FAIL_NE(a0, t0)
  csrw mie, zero
  csrr a0, mie
  FAIL_NEZ(a0)
  li TESTNUM, 52                  // S-mode: SSIE, STIE, SEIE are writable
  li t0, (1 << 1) | (1 << 5) | (1 << 9)
  csrw mie, t0
  csrr a0, mie
  FAIL_NE(a0, t0)
  csrw mie, zero
  li TESTNUM, 53                  // ...and so are SSIP, STIP, SEIP (M-mode writes them)
  csrw mip, t0
  csrr a0, mip
  and a0, a0, t0
  FAIL_NE(a0, t0)
  csrw mip, zero
  li TESTNUM, 51                  // nothing pending at rest
  csrr a0, mip
  andi a0, a0, 1 << 3
  FAIL_NEZ(a0)

  // -- counters --
  li TESTNUM, 60                  // minstret counts retired instructions
  csrr a1, minstret
  nop
  nop
  nop
  nop
  csrr a2, minstret
  sub a0, a2, a1
  CHECK_NOW(a0, 5)
  li TESTNUM, 61                  // instret mirrors minstret
  rdinstret a1
  csrr a2, minstret
  sub a0, a2, a1
  CHECK_NOW(a0, 1)
  li TESTNUM, 62                  // mcycle advances
  csrr a1, mcycle
  nop
  csrr a2, mcycle
  bleu a2, a1, fail_far
  li TESTNUM, 63                  // cycle mirrors mcycle
  rdcycle a1
  csrr a2, mcycle
  bltu a2, a1, fail_far
  li TESTNUM, 64                  // minstret is writable
  li a1, 1000
  csrw minstret, a1
  csrr a0, minstret
  li t0, 1000
  bltu a0, t0, fail_far
  li t0, 1010
  bgeu a0, t0, fail_far
  li TESTNUM, 65                  // mcycle is writable
  csrw mcycle, zero
  csrr a0, mcycle
  li t0, 100
  bgeu a0, t0, fail_far
  li TESTNUM, 66                  // time advances
  rdtime a1
  li a3, 1000000
1:
  rdtime a2
  bne a2, a1, 2f
  addi a3, a3, -1
  bnez a3, 1b
  j fail
2:
  bltu a2, a1, fail_far
  li TESTNUM, 67                  // time equals the CLINT's mtime
  li t0, 0x200bff8
  ld a1, 0(t0)
  rdtime a2
  bltu a2, a1, fail_far
  sub a0, a2, a1
  li t0, 1000
  bgeu a0, t0, fail_far

  // -- GlassVM specifics (QEMU differs): mepc[0] reads 0; S-mode as on QEMU --
  li TESTNUM, 20
  li a1, 0x80001235
  csrw mepc, a1
  csrr a0, mepc
  CHECK_NOW(a0, 0x80001234)
  li TESTNUM, 90
  csrr a0, misa
  li t0, 1 << 18                  // S
  and a0, a0, t0
  FAIL_NE(a0, t0)
TEST_END
fail_far:
  j fail
