// S-mode and Sv39 paging, end to end: M-mode builds Sv39 tables (a 1 GiB identity leaf for the
// kernel, and a U-mode process at 0x4000_0000 with a code page, a data page and a hole),
// delegates U ecalls and page faults to S, and enters S-mode. S-mode enters the U process with
// SRET. The process stores and loads through its data page (the hart sets A and D), then loads
// from the hole: the load page fault goes to S, whose handler maps the hole and retries it.
// The process's ecall returns to S, which checks what happened and reports to M with an ecall
// (not delegated): a0 = 0 for success, else the number of the failing check.
#include "test_macros.h"

#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_U (1 << 4)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)
#define UVA 0x40000000

// rd = the PTE for physical address in register `pa` with `flags` (clobbers t6).
#define MAKE_PTE(rd, pa, flags) \
  srli rd, pa, 12;              \
  slli rd, rd, 10;              \
  li t6, flags;                 \
  or rd, rd, t6

  .option norvc
TEST_BEGIN
  li TESTNUM, 1
  la t0, m_handler
  csrw mtvec, t0
  // PMP entry 0 over all memory, RWX: with no entry S and U could touch nothing.
  li t0, -1
  csrw pmpaddr0, t0
  li t0, 0x1f                            // NAPOT, R/W/X
  csrw pmpcfg0, t0
  // satp must accept Sv39 and ignore Sv57 (Linux probes this way).
  li t0, 10 << 60
  csrw satp, t0
  csrr a0, satp
  FAIL_NEZ(a0)

  // -- Page tables --
  li TESTNUM, 2
  la s0, root
  li t0, 0x80000000                      // root[2]: 1 GiB identity leaf, kernel only
  MAKE_PTE(t1, t0, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
  sd t1, 16(s0)
  la t0, l1                              // root[1] -> l1 -> l0 for the U process
  MAKE_PTE(t1, t0, PTE_V)
  sd t1, 8(s0)
  la t0, l0
  MAKE_PTE(t1, t0, PTE_V)
  la t2, l1
  sd t1, 0(t2)
  la s1, l0
  la t0, ucode                           // l0[0]: code, R X U (A set, as Linux does)
  MAKE_PTE(t1, t0, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)
  sd t1, 0(s1)
  la t0, udata                           // l0[1]: data, R W U, A and D clear
  MAKE_PTE(t1, t0, PTE_V | PTE_R | PTE_W | PTE_U)
  sd t1, 8(s1)
  sd zero, 16(s1)                        // l0[2]: the hole

  // -- Delegate U ecalls and page faults to S; enable Sv39 --
  li t0, (1 << 8) | (1 << 12) | (1 << 13) | (1 << 15)
  csrw medeleg, t0
  la t0, s_handler
  csrw stvec, t0
  srli t0, s0, 12
  li t1, 8 << 60
  or t0, t0, t1
  csrw satp, t0
  csrr a0, satp
  FAIL_NE(a0, t0)
  sfence.vma

  // -- Enter S-mode at s_main --
  li t0, 3 << 11
  csrc mstatus, t0
  li t0, 1 << 11
  csrs mstatus, t0
  la t0, s_main
  csrw mepc, t0
  mret

// M-mode: S reports with an ecall (cause 9) and a0 = its verdict; anything else fails.
  .align 2
m_handler:
  csrr t0, mcause
  li t1, 9
  bne t0, t1, 1f
  mv TESTNUM, a0
  beqz a0, pass
  j fail
1:
  li TESTNUM, 90
  j fail
pass:
TEST_END

// S-mode kernel (runs through the identity gigapage).
  .align 2
s_main:
  li TESTNUM, 10
  csrr t0, sstatus                       // sstatus shows SPP etc., not MPP
  li t1, 3 << 11
  and t0, t0, t1
  bnez t0, s_fail
  li s3, 0                               // page faults handled
  li t0, 1 << 8
  csrc sstatus, t0                       // SPP = U
  li t0, UVA
  csrw sepc, t0
  sret

  .align 2
s_handler:
  csrr t0, scause
  li t1, 13
  beq t0, t1, s_load_fault
  li t1, 8
  beq t0, t1, s_user_ecall
  li TESTNUM, 20
  j s_fail
s_load_fault:                            // map the hole to the data page and retry
  li TESTNUM, 21
  csrr t0, stval
  li t1, UVA + 0x2000
  bne t0, t1, s_fail
  csrr t0, sepc
  li t1, UVA
  bltu t0, t1, s_fail
  la t0, udata
  MAKE_PTE(t1, t0, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)
  la t2, l0
  sd t1, 16(t2)
  sfence.vma
  addi s3, s3, 1
  sret                                   // sepc is the faulting load: run it again
s_user_ecall:
  li TESTNUM, 22                         // the process stored and loaded 0x55 ...
  li t1, 0x55
  bne a3, t1, s_fail
  li TESTNUM, 23                         // ... and read it again through the former hole
  bne a4, t1, s_fail
  li TESTNUM, 24                         // exactly one page fault
  li t1, 1
  bne s3, t1, s_fail
  li TESTNUM, 25                         // the hart set A and D in the data page's PTE
  la t2, l0
  ld t0, 8(t2)
  andi t0, t0, PTE_A | PTE_D
  li t1, PTE_A | PTE_D
  bne t0, t1, s_fail
  li a0, 0
  j s_report
s_fail:
  mv a0, TESTNUM
s_report:
  ecall                                  // cause 9 goes to M

// The U process: one page of code, mapped at UVA.
  .align 12
ucode:
  li a1, UVA + 0x1000
  li a2, 0x55
  sd a2, 0(a1)
  ld a3, 0(a1)
  li a1, UVA + 0x2000
  ld a4, 0(a1)                           // page fault, handled by S, retried
  ecall
1:
  j 1b
  .align 12

TEST_DATA_BEGIN
  .align 12
root:
  .zero 4096
l1:
  .zero 4096
l0:
  .zero 4096
udata:
  .zero 4096
TEST_DATA_END
