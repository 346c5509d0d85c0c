// A guest caught in a trap loop: mtvec points at unmapped memory, so after one illegal
// instruction every fetch of the handler faults again, forever. Before that it arms the CLINT
// timer 10 ticks ahead with MTIE enabled, so a test can see guest time pass (MTIP rises).
  .section .text.init, "ax", @progbits
  .globl _start
_start:
  li t0, 0x200bff8  // mtime
  ld t1, 0(t0)
  addi t1, t1, 10
  li t0, 0x2004000  // mtimecmp[0]
  sd t1, 0(t0)
  li t0, 0x80       // MTIE
  csrw mie, t0
  li t0, 0x4        // nothing is mapped at 0x4
  csrw mtvec, t0
  .word 0           // illegal instruction
