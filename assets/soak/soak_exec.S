// The soak's random instruction words (assets/soak/soak.c): soak_exec runs the code at a0 in
// privilege a1 (0 U, 1 S, 3 M) with every integer register loaded from the 32 words at a2, and
// returns the mcause of the trap that ends it (every path ends in one: the code is followed by
// ebreak, RAM around it is zero, and a timer interrupt is armed for code that loops).
//
// Design note: the code may leave any register, sp included, holding anything, so the trap
// vector it runs under (soak_exec_trap) restores the caller's context from soak_ctx rather than
// from a stack, and puts back the soak's own trap vector (soak_trap_vector, set by soak.c).
  .text
  .align 2
  .globl soak_exec
soak_exec:
  la t0, soak_ctx
  sd ra, 0(t0)
  sd sp, 8(t0)
  sd gp, 16(t0)
  sd tp, 24(t0)
  sd s0, 32(t0)
  sd s1, 40(t0)
  sd s2, 48(t0)
  sd s3, 56(t0)
  sd s4, 64(t0)
  sd s5, 72(t0)
  sd s6, 80(t0)
  sd s7, 88(t0)
  sd s8, 96(t0)
  sd s9, 104(t0)
  sd s10, 112(t0)
  sd s11, 120(t0)
  la t1, soak_exec_trap
  csrw mtvec, t1
  csrw mepc, a0
  // mstatus.MPP = a1 and MPIE = 1: the armed timer interrupt ends code that loops, in M-mode
  // too (below M, M-level interrupts are taken whatever MIE says).
  li t1, 0x1800
  csrc mstatus, t1
  slli t1, a1, 11
  ori t1, t1, 0x80
  csrs mstatus, t1
  mv t0, a2
  ld x1, 8(t0)
  ld x2, 16(t0)
  ld x3, 24(t0)
  ld x4, 32(t0)
  ld x6, 48(t0)
  ld x7, 56(t0)
  ld x8, 64(t0)
  ld x9, 72(t0)
  ld x10, 80(t0)
  ld x11, 88(t0)
  ld x12, 96(t0)
  ld x13, 104(t0)
  ld x14, 112(t0)
  ld x15, 120(t0)
  ld x16, 128(t0)
  ld x17, 136(t0)
  ld x18, 144(t0)
  ld x19, 152(t0)
  ld x20, 160(t0)
  ld x21, 168(t0)
  ld x22, 176(t0)
  ld x23, 184(t0)
  ld x24, 192(t0)
  ld x25, 200(t0)
  ld x26, 208(t0)
  ld x27, 216(t0)
  ld x28, 224(t0)
  ld x29, 232(t0)
  ld x30, 240(t0)
  ld x31, 248(t0)
  ld x5, 40(t0)
  mret

  .align 2
soak_exec_trap:
  la t0, soak_ctx
  ld ra, 0(t0)
  ld sp, 8(t0)
  ld gp, 16(t0)
  ld tp, 24(t0)
  ld s0, 32(t0)
  ld s1, 40(t0)
  ld s2, 48(t0)
  ld s3, 56(t0)
  ld s4, 64(t0)
  ld s5, 72(t0)
  ld s6, 80(t0)
  ld s7, 88(t0)
  ld s8, 96(t0)
  ld s9, 104(t0)
  ld s10, 112(t0)
  ld s11, 120(t0)
  la t1, soak_trap_vector
  ld t1, 0(t1)
  csrw mtvec, t1
  csrr a0, mcause
  ret

  .bss
  .align 3
soak_ctx:
  .space 128
