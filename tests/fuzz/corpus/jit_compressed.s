# Compressed code (RVC): the decoder expands it; the translator sees the 32-bit operations.
loop:
  c.addi a0, 1
  c.li a1, -3
  c.lui a2, 4
  c.slli a0, 2
  c.srai a1, 1
  c.andi a1, 7
  c.mv a3, a0
  c.add a3, a1
  c.sub a4, a5
  c.addw a4, a5
  c.lw a2, 4(a0)
  c.ld a3, 8(a1)
  c.sw a2, 0(a0)
  c.sd a3, 16(a1)
  c.lwsp a4, 12(sp)
  c.sdsp a5, 24(sp)
  c.fld fa0, 8(a0)
  c.fsdsp fa1, 16(sp)
  c.addi16sp sp, -32
  c.addi4spn a0, sp, 16
  c.beqz a0, loop
  c.bnez a1, next
  c.addiw a0, 5
next:
  c.jalr a3
  c.jr ra
  c.j loop
  c.ebreak
  c.nop
  .2byte 0
