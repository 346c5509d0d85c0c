// A tiny S-mode "kernel" for the firmware tests: it is entered as OpenSBI enters Linux
// (S-mode, a0 = hartid, a1 = device tree) and checks that through the SBI:
//   - a0 is hart 0 and a1 points at a device tree (magic 0xd00dfeed);
//   - it runs in S-mode: csrr mstatus traps (illegal instruction) to its own stvec;
//   - Base: the spec version is at least 0.2 and the TIME extension is there;
//   - TIME: set_timer(time + 1000) raises the S-timer interrupt, taken through stvec;
//   - DBCN console_write, when the SBI has DBCN (OpenSBI 1.1 has not).
// It prints with the legacy console_putchar, and ends with SRST shutdown: "no reason" after
// "payload: all ok", "system failure" after "payload: FAIL <check>".
// It starts with a RISC-V Linux Image header, so that GlassVM without -bios treats it as a
// kernel for the built-in SBI; a firmware just jumps to its first word.
  .section .text.init, "ax", @progbits
  .globl _start
_start:
  .option push
  .option norvc
  j start                // code0
  .option pop
  .word 0                // code1
  .dword 0x200000        // text_offset
  .dword 0               // image_size (0: the file's size)
  .dword 0               // flags
  .word 2                // version
  .word 0                // res1
  .dword 0               // res2
  .ascii "RISCV\0\0\0"   // magic
  .ascii "RSC\x05"        // magic2
  .word 0                // res3
start:
  mv s0, a0
  mv s1, a1
  la sp, stack_top
  la t0, strap
  csrw stvec, t0
  la a0, msg_hello
  call puts
  // The boot arguments.
  li s2, 'h'
  bnez s0, fail
  li s2, 'f'
  lwu t0, 0(s1)
  li t1, 0xedfe0dd0      // 0xd00dfeed, big-endian in memory
  bne t0, t1, fail
  // S-mode: reading mstatus must trap to stvec with scause 2 (the handler skips it).
  li s2, 'm'
  li s3, 0
  csrr t0, mstatus
  li t0, 2
  bne s3, t0, fail
  // Base: spec version >= 0.2, and TIME probed.
  li s2, 'v'
  li a7, 0x10
  li a6, 0
  ecall
  bnez a0, fail
  li t0, 2
  bltu a1, t0, fail
  li s2, 'p'
  li a7, 0x10
  li a6, 3
  li a0, 0x54494D45
  ecall
  bnez a0, fail
  beqz a1, fail
  // TIME: a timer 1000 ticks ahead, taken as an S-timer interrupt. sstatus.SIE stays off
  // around WFI (which wakes on a pending interrupt enabled in sie all the same), so the
  // interrupt cannot slip in between the check and the WFI and leave it waiting forever.
  li s2, 't'
  li s3, 0
  li t0, 1 << 5
  csrs sie, t0
  rdtime a0
  addi a0, a0, 1000
  li a7, 0x54494D45
  li a6, 0
  ecall
  bnez a0, fail
  li s4, 100000
1:
  wfi
  csrsi sstatus, 2       // take it here
  csrci sstatus, 2
  li t0, (1 << 63) | 5
  beq s3, t0, 2f
  addi s4, s4, -1
  bnez s4, 1b
  j fail
2:
  // DBCN, when there is one.
  li a7, 0x10
  li a6, 3
  li a0, 0x4442434E
  ecall
  beqz a1, 3f
  li s2, 'd'
  li a7, 0x4442434E
  li a6, 0
  li a0, 17              // strlen(msg_dbcn)
  la a1, msg_dbcn
  li a2, 0
  ecall
  bnez a0, fail
  li t0, 17
  bne a1, t0, fail
3:
  la a0, msg_ok
  call puts
  li a0, 0               // SRST: shutdown, no reason
  li a1, 0
  j shutdown
fail:
  la a0, msg_fail
  call puts
  mv a0, s2
  li a7, 1
  ecall
  li a0, '\n'
  li a7, 1
  ecall
  li a0, 0               // SRST: shutdown, system failure
  li a1, 1
shutdown:
  li a7, 0x53525354
  li a6, 0
  ecall
  li a7, 8               // legacy shutdown if SRST returned
  ecall
  j .

// puts(a0): the legacy console_putchar, byte by byte.
puts:
  mv t2, a0
1:
  lbu a0, 0(t2)
  beqz a0, 2f
  li a7, 1
  ecall
  addi t2, t2, 1
  j 1b
2:
  ret

// The S-mode trap handler: records scause in s3; skips a trapping instruction (4 bytes); for
// the timer, moves it far away (which lowers the interrupt).
  .align 2
strap:
  csrr s3, scause
  bltz s3, 1f
  csrr t0, sepc
  addi t0, t0, 4
  csrw sepc, t0
  sret
1:
  li a0, -1
  li a7, 0x54494D45
  li a6, 0
  ecall
  sret

  .section .rodata
msg_hello: .asciz "payload: hello from S-mode\n"
msg_dbcn: .ascii "payload: dbcn ok\n"   // 17 bytes
msg_ok: .asciz "payload: all ok\n"
msg_fail: .asciz "payload: FAIL "
  .section .bss
  .align 4
stack: .space 256
stack_top:
