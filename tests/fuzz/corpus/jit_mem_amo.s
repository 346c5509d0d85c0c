# Loads and stores of every size, atomics and fences.
  ld a2, 8(a0)
  lw a3, 4(a0)
  lh a4, -2(a0)
  lb a5, 1(a0)
  lwu a6, 12(a0)
  lhu a7, 2(a0)
  lbu t0, 3(a0)
  sd a2, 0(a1)
  sw a3, 4(a1)
  sh a4, 6(a1)
  sb a5, 7(a1)
  fence rw, rw
  fence.i
  lr.w t1, (a0)
  sc.w t2, t1, (a0)
  lr.d.aq t1, (a0)
  sc.d.rl t2, t1, (a0)
  amoswap.w t3, a2, (a1)
  amoadd.d t4, a2, (a1)
  amoxor.w.aqrl t5, a2, (a1)
  amoand.d t6, a2, (a1)
  amoor.w s2, a2, (a1)
  amomin.d s3, a2, (a1)
  amomaxu.w s4, a2, (a1)
  beq a0, a1, 0
  ret
