# One of every RV64GC operation the decoder knows (engine/cpu/decode.h), in decoder order.
  lui a0, 0x12345
  auipc a1, 0x10
  beq a0, a1, 8
  bne a0, a1, 8
  blt a0, a1, 8
  bge a0, a1, 8
  bltu a0, a1, 8
  bgeu a0, a1, 8
  lb a2, 0(a0)
  lh a2, 2(a0)
  lw a2, 4(a0)
  ld a2, 8(a0)
  lbu a2, 1(a0)
  lhu a2, 2(a0)
  lwu a2, 4(a0)
  sb a2, 0(a1)
  sh a2, 2(a1)
  sw a2, 4(a1)
  sd a2, 8(a1)
  addi a3, a2, -5
  slti a3, a2, 5
  sltiu a3, a2, 5
  xori a3, a2, 5
  ori a3, a2, 5
  andi a3, a2, 5
  slli a3, a2, 33
  srli a3, a2, 33
  srai a3, a2, 33
  add a4, a2, a3
  sub a4, a2, a3
  sll a4, a2, a3
  slt a4, a2, a3
  sltu a4, a2, a3
  xor a4, a2, a3
  srl a4, a2, a3
  sra a4, a2, a3
  or a4, a2, a3
  and a4, a2, a3
  addiw a5, a4, 7
  slliw a5, a4, 7
  srliw a5, a4, 7
  sraiw a5, a4, 7
  addw a5, a4, a3
  subw a5, a4, a3
  sllw a5, a4, a3
  srlw a5, a4, a3
  sraw a5, a4, a3
  fence
  fence.i
  mul a6, a4, a5
  mulh a6, a4, a5
  mulhsu a6, a4, a5
  mulhu a6, a4, a5
  div a6, a4, a5
  divu a6, a4, a5
  rem a6, a4, a5
  remu a6, a4, a5
  mulw a6, a4, a5
  divw a6, a4, a5
  divuw a6, a4, a5
  remw a6, a4, a5
  remuw a6, a4, a5
  lr.w a7, (a0)
  sc.w a7, a6, (a0)
  amoswap.w a7, a6, (a0)
  amoadd.w a7, a6, (a0)
  amoxor.w a7, a6, (a0)
  amoand.w a7, a6, (a0)
  amoor.w a7, a6, (a0)
  amomin.w a7, a6, (a0)
  amomax.w a7, a6, (a0)
  amominu.w a7, a6, (a0)
  amomaxu.w a7, a6, (a0)
  lr.d a7, (a0)
  sc.d a7, a6, (a0)
  amoswap.d a7, a6, (a0)
  amoadd.d a7, a6, (a0)
  amoxor.d a7, a6, (a0)
  amoand.d a7, a6, (a0)
  amoor.d a7, a6, (a0)
  amomin.d a7, a6, (a0)
  amomax.d a7, a6, (a0)
  amominu.d a7, a6, (a0)
  amomaxu.d a7, a6, (a0)
  flw fa0, 0(a0)
  fsw fa0, 4(a1)
  fmadd.s fa1, fa0, fa0, fa0
  fmsub.s fa1, fa0, fa0, fa0
  fnmsub.s fa1, fa0, fa0, fa0
  fnmadd.s fa1, fa0, fa0, fa0
  fadd.s fa2, fa1, fa0
  fsub.s fa2, fa1, fa0, rdn
  fmul.s fa2, fa1, fa0
  fdiv.s fa2, fa1, fa0
  fsqrt.s fa2, fa1
  fsgnj.s fa2, fa1, fa0
  fsgnjn.s fa2, fa1, fa0
  fsgnjx.s fa2, fa1, fa0
  fmin.s fa2, fa1, fa0
  fmax.s fa2, fa1, fa0
  fcvt.w.s t0, fa2
  fcvt.wu.s t0, fa2
  fcvt.l.s t0, fa2
  fcvt.lu.s t0, fa2
  fcvt.s.w fa3, t0
  fcvt.s.wu fa3, t0
  fcvt.s.l fa3, t0
  fcvt.s.lu fa3, t0
  fmv.x.w t1, fa3
  fmv.w.x fa3, t1
  feq.s t1, fa3, fa2
  flt.s t1, fa3, fa2
  fle.s t1, fa3, fa2
  fclass.s t1, fa3
  fld fa4, 8(a0)
  fsd fa4, 16(a1)
  fmadd.d fa5, fa4, fa4, fa4
  fmsub.d fa5, fa4, fa4, fa4
  fnmsub.d fa5, fa4, fa4, fa4
  fnmadd.d fa5, fa4, fa4, fa4
  fadd.d fa6, fa5, fa4
  fsub.d fa6, fa5, fa4
  fmul.d fa6, fa5, fa4, rup
  fdiv.d fa6, fa5, fa4
  fsqrt.d fa6, fa5
  fsgnj.d fa6, fa5, fa4
  fsgnjn.d fa6, fa5, fa4
  fsgnjx.d fa6, fa5, fa4
  fmin.d fa6, fa5, fa4
  fmax.d fa6, fa5, fa4
  fcvt.w.d t2, fa6
  fcvt.wu.d t2, fa6
  fcvt.l.d t2, fa6
  fcvt.lu.d t2, fa6
  fcvt.d.w fa7, t2
  fcvt.d.wu fa7, t2
  fcvt.d.l fa7, t2
  fcvt.d.lu fa7, t2
  fmv.x.d t3, fa7
  fmv.d.x fa7, t3
  feq.d t3, fa7, fa6
  flt.d t3, fa7, fa6
  fle.d t3, fa7, fa6
  fclass.d t3, fa7
  fcvt.s.d ft0, fa7
  fcvt.d.s ft1, ft0
  csrrw t4, mscratch, t3
  csrrs t4, mstatus, t3
  csrrc t4, mie, t3
  csrrwi t4, sscratch, 5
  csrrsi t4, sstatus, 2
  csrrci t4, fcsr, 1
  sfence.vma a0, a1
  ecall
  wfi
  jal ra, 8
  jalr ra, 16(a0)
  ebreak
  mret
  sret
  .word 0
