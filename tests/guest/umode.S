// U-mode: mret to U, ecall from U, privileged instructions and CSRs trapping in U, and
// mcounteren gating of cycle/time/instret. The handler records mcause/mepc/mstatus in
// s2/s3/s6 and returns to M-mode at the address in s5.
#include "test_macros.h"

// Drops to U-mode at `label`; the U code must end in a trap (ecall when all went well).
#define ENTER_U(label) \
  li t0, 3 << 11;      \
  csrc mstatus, t0;    \
  la t0, label;        \
  csrw mepc, t0;       \
  mret

// Runs `insn` in U-mode and expects trap `cause` from it.
#define U_EXPECT(n, cause, ...) \
  li TESTNUM, n;                 \
  la s5, 7f;                     \
  li s2, -1;                     \
  ENTER_U(8f);                   \
  8:                             \
  __VA_ARGS__;                   \
  ecall;                         \
  7:                             \
  CHECK_NOW(s2, cause)

  .option norvc
TEST_BEGIN
  la t0, handler
  csrw mtvec, t0
  // Open PMP for U-mode where PMP exists (QEMU); skipped if the CSRs trap.
  la s5, 1f
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f                                     // NAPOT, R/W/X
  csrw pmpcfg0, t0
1:
  // Where S-mode exists (QEMU), U counter access also needs scounteren; GlassVM traps here.
  la s5, 1f
  li t0, 7
  csrw scounteren, t0
1:

  U_EXPECT(1, 8, nop)                             // ecall from U
  li TESTNUM, 2                                   // MPP recorded U, mepc the ecall
  srli a0, s6, 11
  andi a0, a0, 3
  CHECK_NOW(a0, 0)
  U_EXPECT(3, 2, csrr a0, mstatus)                // M-mode CSRs are not accessible
  U_EXPECT(4, 2, csrw mscratch, a0)
  U_EXPECT(5, 2, mret)                            // privileged instruction
  U_EXPECT(6, 2, csrr a0, mhartid)

  // mcounteren gating
  csrw mcounteren, zero
  U_EXPECT(10, 2, rdcycle a0)
  U_EXPECT(11, 2, rdtime a0)
  U_EXPECT(12, 2, rdinstret a0)
  li t0, 1                                        // CY only
  csrw mcounteren, t0
  U_EXPECT(13, 8, rdcycle a0)
  U_EXPECT(14, 2, rdtime a0)
  li t0, 2                                        // TM only
  csrw mcounteren, t0
  U_EXPECT(15, 8, rdtime a0)
  U_EXPECT(16, 2, rdinstret a0)
  li t0, 4                                        // IR only
  csrw mcounteren, t0
  U_EXPECT(17, 8, rdinstret a0)
  U_EXPECT(18, 2, rdcycle a0)
  li t0, 7
  csrw mcounteren, t0
  li TESTNUM, 19                                  // U-mode counter values are live
  la s5, 7f
  li s2, -1
  li a0, 0
  ENTER_U(8f)
8:
  rdinstret a1
  nop
  rdinstret a2
  ecall
7:
  CHECK_NOW(s2, 8)
  sub a0, a2, a1
  CHECK_NOW(a0, 2)

  li TESTNUM, 20                                  // U-mode memory accesses work
  la s5, 7f
  li s2, -1
  la a1, udata
  ENTER_U(8f)
8:
  li a2, 0x1234
  sd a2, 0(a1)
  ld a3, 0(a1)
  ecall
7:
  CHECK_NOW(s2, 8)
  CHECK_NOW(a3, 0x1234)
  li TESTNUM, 21                                  // U-mode faults are reported as such
  la s5, 7f
  li s2, -1
  ENTER_U(8f)
8:
  li a1, 0
  ld a0, 0(a1)
  ecall
7:
  CHECK_NOW(s2, 5)
  csrw mie, zero
TEST_END

  .align 2
handler:
  csrr s2, mcause
  csrr s3, mepc
  csrr s4, mtval
  csrr s6, mstatus
  li t0, 3 << 11
  csrs mstatus, t0                                // return to M
  csrw mepc, s5
  mret

TEST_DATA_BEGIN
  .align 3
udata:
  .dword 0
TEST_DATA_END
