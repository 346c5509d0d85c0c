// A guest that makes the RISC-V IOMMU (-device riscv-iommu-sys) announce one event: it turns
// on the command queue (4 entries at 0x80010000), issues IODIR.INVAL_DDT for device 8 (the
// virtio-mmio slot at 0x10008000), which the IOMMU announces as an UNMAP of that device's whole
// space, then powers off through the sifive test device. For the --trace-iommu test.
  .section .text.init, "ax", @progbits
  .globl _start
_start:
  li t0, 0x3010000          // riscv-iommu registers
  li t1, 0x80010000
  // The queue's first command: IODIR (opcode 3), INVAL_DDT (func3 0), DV (bit 33), DID 8.
  li t2, (3 | (1 << 33) | (8 << 40))
  sd t2, 0(t1)
  sd zero, 8(t1)
  // cqb: PPN in bits 53:10, LOG2SZ-1 = 1 (4 entries).
  srli t2, t1, 12
  slli t2, t2, 10
  ori t2, t2, 1
  sd t2, 0x18(t0)
  li t2, 1                  // cqcsr.cqen
  sw t2, 0x48(t0)
  li t2, 1                  // cqt = 1: the command runs
  sw t2, 0x24(t0)
  li t0, 0x100000           // sifive test: pass
  li t1, 0x5555
  sw t1, 0(t0)
1:
  j 1b
