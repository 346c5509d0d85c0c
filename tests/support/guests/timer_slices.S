// A guest that keeps arming timers a few hundred steps ahead, mid-slice, and records every
// interrupt it takes: the CLINT timer (mtimecmp = mtime + 3 ticks, 300 steps) and the goldfish
// RTC alarm (700 ns ahead) through the PLIC. Between interrupts it mixes a checksum and stores
// it to RAM. It never ends: tests run it for a fixed number of steps, sliced in different
// ways, and compare the states (tests/engine/board/determinism_test.cpp).
//
// Registers: s0 = &mtimecmp[0], s1 = &mtime, s2 = RTC base, s3 = records, s4 = loop counter,
// s5 = timer interrupts taken, s6 = RTC interrupts taken, s7 = checksum, s8-s10 temporaries
// of the loop. The handler uses only t and a registers, which the loop leaves alone.
  .section .text.init, "ax", @progbits
  .globl _start
_start:
  la t0, handler
  csrw mtvec, t0
  li s0, 0x2004000
  li s1, 0x200bff8
  li s2, 0x101000
  la s3, records
  li s4, 0
  li s5, 0
  li s6, 0
  li s7, 1
  // PLIC: source 11 (RTC) priority 1, enabled for context 0 (M-mode), threshold 0.
  li t0, 0xc000000
  li t1, 1
  sw t1, 44(t0)
  li t0, 0xc002000
  li t1, 0x800
  sw t1, 0(t0)
  li t0, 0xc200000
  sw zero, 0(t0)
  // RTC: interrupt enabled, first alarm.
  li t1, 1
  sw t1, 0x10(s2)
  call arm_rtc
  call arm_timer
  li t0, 0x880  // MEIE | MTIE
  csrw mie, t0
  csrsi mstatus, 8
  .globl loop
loop:
  addi s4, s4, 1
  xor s7, s7, s4
  slli s10, s7, 5
  add s7, s7, s10
  andi s8, s4, 63
  bnez s8, loop
  la s8, scratch
  andi s9, s4, 0x7c0
  srli s9, s9, 3
  add s8, s8, s9
  sd s7, 0(s8)
  j loop

// mtimecmp = mtime + 3 ticks.
arm_timer:
  ld t0, 0(s1)
  addi t0, t0, 3
  sd t0, 0(s0)
  ret

// RTC alarm = RTC time + 700 ns.
arm_rtc:
  lwu t0, 0(s2)  // TIME_LOW latches TIME_HIGH
  lwu t1, 4(s2)
  slli t1, t1, 32
  or t0, t0, t1
  addi t0, t0, 700
  srli t1, t0, 32
  sw t1, 0xc(s2)  // ALARM_HIGH
  sw t0, 8(s2)    // ALARM_LOW arms the alarm
  ret

  .balign 4
handler:
  csrw mscratch, ra
  csrr t0, mcause
  csrr t1, minstret
  ld t2, 0(s1)
  // records[(s5 + s6) % 64] = {mcause, minstret, mtime}
  add a0, s5, s6
  andi a0, a0, 63
  li a1, 24
  mul a0, a0, a1
  add a0, a0, s3
  sd t0, 0(a0)
  sd t1, 8(a0)
  sd t2, 16(a0)
  bltz t0, 1f
  // An exception is a bug in this program: fail through the test device.
  li t0, 0x13333
  li t1, 0x100000
  sw t0, 0(t1)
2:
  j 2b
1:
  slli t0, t0, 1
  srli t0, t0, 1
  li t1, 7
  bne t0, t1, 3f
  addi s5, s5, 1
  call arm_timer
  j 4f
3:
  li t1, 0xc200004
  lw a1, 0(t1)      // claim
  sw zero, 0x1c(s2) // RTC CLEAR_INTERRUPT
  addi s6, s6, 1
  sw a1, 0(t1)      // complete
  call arm_rtc
4:
  csrr ra, mscratch
  mret

  .bss
  .balign 8
records:
  .space 64 * 24
scratch:
  .space 256
