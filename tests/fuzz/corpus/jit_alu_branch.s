# ALU, M, branches and jumps: a loop of one block, calls, a jump table through jalr.
start:
  li a0, 0
  lui a2, 0x12345
  auipc a3, 1
loop:
  add a0, a0, a1
  sub a4, a0, a2
  slli a5, a4, 3
  srai a5, a5, 1
  sltu a6, a5, a4
  xori a7, a6, -1
  addiw t0, a7, 7
  sllw t1, t0, a1
  sraiw t2, t1, 31
  mul t3, a0, a1
  mulh t4, a0, a1
  mulhsu t5, a0, a1
  mulhu t6, a0, a1
  div s2, a0, a1
  remu s3, a0, a1
  divw s4, a0, a1
  remw s5, a0, a1
  addi a1, a1, -1
  bnez a1, loop
  blt a0, a2, skip
  bgeu a3, a4, start
skip:
  jal ra, far
  jalr zero, 0(ra)
  addi x0, x0, 0
far:
  slt a0, a0, a1
  jr ra
