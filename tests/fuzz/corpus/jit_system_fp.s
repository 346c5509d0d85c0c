# CSRs, traps and returns, and F/D: loads, stores, inline arithmetic, moves, the helper ones.
  csrr a0, mstatus
  csrw mtvec, a1
  csrsi sstatus, 2
  csrci mie, 8
  csrrw a2, satp, a3
  sfence.vma a0, a1
  fld fa0, 0(a0)
  flw fa1, 8(a0)
  fadd.d fa2, fa0, fa0
  fmul.s fa3, fa1, fa1, rne
  fdiv.d fa4, fa2, fa0, rtz
  fsqrt.s fa5, fa3
  fsub.d fa6, fa2, fa4, dyn
  fmadd.d fa7, fa0, fa2, fa4
  fnmsub.s ft0, fa1, fa3, fa5
  fsgnjn.d ft1, fa0, fa2
  fsgnjx.d ft2, fa0, fa2
  fmv.x.d a4, ft1
  fmv.w.x ft3, a4
  fmv.x.w a5, ft3
  fmv.d.x ft4, a5
  fcvt.w.d a6, fa0, rtz
  fcvt.s.l ft5, a6
  fcvt.d.s ft6, ft5
  feq.d a7, fa0, ft6
  fclass.s t0, fa1
  fmin.d ft7, fa0, fa2
  fsd fa7, 16(a1)
  fsw ft0, 24(a1)
  ecall
  wfi
  ebreak
  mret
  sret
  .word 0xffffffff
