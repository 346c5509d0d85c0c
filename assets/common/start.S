// Entry point of every bare-metal GlassVM guest (M-mode, started by the boot ROM with
// a0 = hartid, a1 = device tree address).
//
// _start: parks every hart but hart 0, sets sp to a 64 KiB stack in .bss, clears .bss, saves
// a0/a1 in boot_hartid/boot_dtb, points mtvec at a handler that reports unexpected traps, and
// calls main(); main's return value becomes the exit status.
// guest_exit(code): ends the run with `code`, through HTIF and then, for machines without
// HTIF (QEMU virt), through the sifive test device. Never returns.

  .section .text.init, "ax", @progbits
  .globl _start
_start:
  .option push
  .option norvc
  bnez a0, park
  la sp, __stack_top
  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 1b
2:
  la t0, boot_hartid
  sd a0, 0(t0)
  la t0, boot_dtb
  sd a1, 0(t0)
  la t0, unexpected_trap_entry
  csrw mtvec, t0
  call main
  j guest_exit
park:
  wfi
  j park

  .globl guest_exit
guest_exit:
  // HTIF: tohost = (code << 1) | 1.
  slli t0, a0, 1
  ori t0, t0, 1
  la t1, tohost
  sd t0, 0(t1)
  fence
  // sifive test device: 0x5555 = pass, (code << 16) | 0x3333 = fail.
  li t1, 0x100000
  bnez a0, 3f
  li t0, 0x5555
  sw t0, 0(t1)
  j 4f
3:
  slli t0, a0, 16
  li t2, 0x3333
  or t0, t0, t2
  sw t0, 0(t1)
4:
  wfi
  j 4b

  // A trap nobody expected: report mcause/mepc/mtval (if the C runtime is linked, through
  // its weak hook) and exit with status 255.
  .align 2
unexpected_trap_entry:
  la sp, __stack_top
  csrr a0, mcause
  csrr a1, mepc
  csrr a2, mtval
  la t0, report_hook
  ld t0, 0(t0)
  beqz t0, 5f
  jalr t0
5:
  li a0, 255
  j guest_exit
  .option pop

  .weak report_unexpected_trap
  .section .rodata.report_hook, "a", @progbits
  .align 3
report_hook:
  .dword report_unexpected_trap

  .section .tohost, "aw", @progbits
  .align 6
  .globl tohost
tohost:
  .dword 0
  .size tohost, 8
  .align 6
  .globl fromhost
fromhost:
  .dword 0
  .size fromhost, 8

  .section .bss.boot, "aw", @nobits
  .align 3
  .globl boot_hartid
boot_hartid:
  .dword 0
  .globl boot_dtb
boot_dtb:
  .dword 0
  .align 4
  .globl __stack_bottom
__stack_bottom:
  .space 65536
  .globl __stack_top
__stack_top:
