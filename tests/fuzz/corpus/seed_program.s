# Source of the cpu_interp_fuzz seed "program.bin" (tests/fuzz/make_seeds.sh assembles it):
# loads, stores, AMOs, CSR accesses, a compressed loop, traps and a return to U-mode.
  .option norvc
_start:
  li t0, 0x80000800
  sd a0, 0(t0)
  ld a1, 8(t0)
  amoadd.w a2, a1, (t0)
  lr.d a3, (t0)
  sc.d a4, a3, (t0)
  mul a5, a1, a2
  divu a6, a5, a1
  csrr a7, mstatus
  csrw mscratch, a7
  li t1, 0x10000000
  sw a1, 0(t1)
  lw a2, 4(t1)
  .option rvc
  c.li s0, 5
1:
  c.addi s0, -1
  c.bnez s0, 1b
  .option norvc
  ecall
  ebreak
  li t2, 0x800
  csrc mstatus, t2
  la t3, 2f
  csrw mepc, t3
  mret
2:
  ecall
  .word 0
  wfi
  j _start
