// The hostile-guest soak: for a bounded number of operations, a guest that does what a broken
// or malicious driver might, and then says how many it tried:
//   - writes random values of random sizes to random registers of every device on the board
//     (the sifive test device excepted: it would end the run), and reads them;
//   - programs edu-dma with random copies (random sources, destinations, lengths, commands);
//   - sets up each virtio device's queues and publishes descriptors with random addresses,
//     lengths, flags and links;
//   - points the RISC-V IOMMU at random device directories, command and fault queues (random
//     bytes in an arena of RAM), and rings its doorbells;
//   - runs random instruction words in U, S and M-mode, with every register random.
// The emulator must survive all of it: the run ends with the summary line and exit status 0.
// The soak's own state must survive too (its check at the end): the emulator may not let a
// device or a random word write outside what the guest aimed it at, which here is the arena.
//
// Run with the devices it drives, for example:
//   glassvm -m 64M -bios none -device riscv-iommu-sys -device edu-dma,ats=on
//           -device virtio-rng-device -kernel guests/soak.elf [-append soak.ops=N]
// Operations default to 20000; `soak.ops=N` in the command line (-append) sets them.
#include <stdint.h>

#include "htif.h"
#include "platform.h"
#include "rt.h"
#include "trap.h"

#define RAM_BASE 0x80000000ul
#define ARENA (RAM_BASE + (16ul << 20)) /* 16 MiB the devices may scribble on */
#define ARENA_SIZE (16ul << 20)
#define EXEC_AT (RAM_BASE + (40ul << 20)) /* the random words, zeros all around */
#define VIRTIO_BASE 0x10001000ul
#define VIRTIO_SLOTS 8
#define IOMMU_BASE 0x03010000ul
#define EDU_BASE 0x04000000ul

uint64_t soak_exec(uint64_t code, uint64_t priv, const uint64_t* regs);
uint64_t soak_trap_vector;  // the vector soak_exec puts back

static uint64_t g_rng = 0x9e3779b97f4a7c15ul;
static uint64_t rnd(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return g_rng;
}
static uint64_t below(uint64_t n) {
  return rnd() % n;
}

// Counters for the summary.
static uint64_t g_writes, g_reads, g_faults, g_dma, g_queues, g_iommu, g_words, g_word_traps[4];

/// The soak's own accesses that fault (a size a register does not take, a hole in a device's
/// range) are skipped: the trap resumes after the instruction.
uint64_t handle_trap(TrapFrame* f, uint64_t mcause, uint64_t mepc, uint64_t mtval) {
  (void)f;
  (void)mtval;
  if (mcause >> 63) {  // a stray interrupt: nothing is enabled in M-mode, so it is a bug
    printf("soak: unexpected interrupt %lu at %lx\n", (unsigned long)(mcause & 0xff),
           (unsigned long)mepc);
    guest_exit(2);
  }
  g_faults++;
  const uint16_t low = *(volatile uint16_t*)mepc;
  return mepc + ((low & 3) == 3 ? 4 : 2);
}

// Device ranges as the virt board places them (platform.h, QEMU's virt).
struct Range {
  uint64_t base, size;
};
static const struct Range kDevices[] = {
    {VIRT_RTC_BASE, 0x1000},  {VIRT_CLINT_BASE, 0x10000},
    {VIRT_PLIC_BASE, 0x4000}, {VIRT_PLIC_BASE + 0x200000, 0x4000},
    {VIRT_UART_BASE, 0x100},  {VIRTIO_BASE, VIRTIO_SLOTS * 0x1000},
    {IOMMU_BASE, 0x1000},     {EDU_BASE, 0x1000},
};

static void store(uint64_t addr, unsigned size, uint64_t v) {
  switch (size) {
    case 1: *(volatile uint8_t*)addr = (uint8_t)v; break;
    case 2: *(volatile uint16_t*)addr = (uint16_t)v; break;
    case 4: *(volatile uint32_t*)addr = (uint32_t)v; break;
    default: *(volatile uint64_t*)addr = v; break;
  }
}
static uint64_t load(uint64_t addr, unsigned size) {
  switch (size) {
    case 1: return *(volatile uint8_t*)addr;
    case 2: return *(volatile uint16_t*)addr;
    case 4: return *(volatile uint32_t*)addr;
    default: return *(volatile uint64_t*)addr;
  }
}

/// A value a register might mean something with: small numbers, addresses in the arena, all
/// ones, or anything.
static uint64_t value(void) {
  switch (below(4)) {
    case 0: return below(64);
    case 1: return ARENA + below(ARENA_SIZE);
    case 2: return ~0ul;
    default: return rnd();
  }
}

static void register_op(void) {
  const struct Range* r = &kDevices[below(sizeof kDevices / sizeof kDevices[0])];
  const uint64_t off = below(2) ? below(0x100) : below(r->size);
  const unsigned size = 1u << below(4);
  const uint64_t addr = (r->base + off) & ~(uint64_t)(size - 1);
  if (below(3)) {
    store(addr, size, value());
    g_writes++;
  } else {
    (void)load(addr, size);
    g_reads++;
  }
}

static void random_bytes(uint64_t at, uint64_t n) {
  for (uint64_t i = 0; i + 8 <= n; i += 8) *(volatile uint64_t*)(at + i) = below(4) ? rnd() : 0;
}

static void dma_op(void) {
  store(EDU_BASE + 0x08, 4, below(2) ? ARENA + below(ARENA_SIZE) : rnd());  // SRC
  store(EDU_BASE + 0x0c, 4, below(4) ? 0 : rnd());
  store(EDU_BASE + 0x10, 4, below(2) ? ARENA + below(ARENA_SIZE - 0x10000) : rnd());  // DST
  store(EDU_BASE + 0x14, 4, below(4) ? 0 : rnd());
  store(EDU_BASE + 0x18, 4, below(8) ? below(0x10000) : rnd());  // LEN
  store(EDU_BASE + 0x30, 4, below(2));                           // ATS
  store(EDU_BASE + 0x1c, 4, below(4));                           // CMD: START, IRQ
  store(EDU_BASE + 0x20, 4, below(8));                           // STATUS: W1C
  g_dma++;
}

static void virtio_op(void) {
  const uint64_t base = VIRTIO_BASE + 0x1000 * below(VIRTIO_SLOTS);
  if (load(base, 4) != 0x74726976) return;  // "virt": no device in this slot
  const uint64_t ring = ARENA + 0x1000 * below(64);
  if (below(2)) {  // a set-up: status, features, one queue
    store(base + 0x70, 4, 0);
    store(base + 0x70, 4, 3);
    store(base + 0x24, 4, 0);
    store(base + 0x20, 4, below(2) ? ~0u : (uint32_t)rnd());
    store(base + 0x24, 4, 1);
    store(base + 0x20, 4, below(2) ? 1 : (uint32_t)rnd());
    store(base + 0x70, 4, 11);
    store(base + 0x30, 4, below(3));
    store(base + 0x38, 4, 1u << below(9));
    store(base + 0x80, 4, (uint32_t)ring);
    store(base + 0x84, 4, 0);
    store(base + 0x90, 4, (uint32_t)(ring + 0x400));
    store(base + 0x94, 4, 0);
    store(base + 0xa0, 4, (uint32_t)(ring + 0x800));
    store(base + 0xa4, 4, 0);
    store(base + 0x44, 4, 1);
    store(base + 0x70, 4, 15);
  }
  // Descriptors with random addresses, lengths, flags and links; a random avail entry.
  for (unsigned i = 0; i < 4; ++i) {
    const uint64_t d = ring + 16 * below(64);
    *(volatile uint64_t*)d = below(2) ? ARENA + below(ARENA_SIZE) : rnd();
    *(volatile uint32_t*)(d + 8) = below(4) ? (uint32_t)below(0x2000) : (uint32_t)rnd();
    *(volatile uint16_t*)(d + 12) = (uint16_t)below(8);
    *(volatile uint16_t*)(d + 14) = (uint16_t)below(80);
  }
  *(volatile uint16_t*)(ring + 0x404 + 2 * below(64)) = (uint16_t)below(80);
  *(volatile uint16_t*)(ring + 0x402) += (uint16_t)(below(4) ? 1 : rnd());
  store(base + 0x50, 4, below(3));  // notify
  store(base + 0x64, 4, below(4));  // interrupt ack
  g_queues++;
}

static void iommu_op(void) {
  if (load(IOMMU_BASE, 4) == 0) return;  // no RISC-V IOMMU on this board
  // Random tables in the arena, then the IOMMU pointed at them.
  const uint64_t table = ARENA + 0x1000 * below(ARENA_SIZE / 0x1000);
  random_bytes(table, 0x1000);
  switch (below(5)) {
    case 0: store(IOMMU_BASE + 0x10, 8, ((table >> 12) << 10) | below(5)); break;  // DDTP
    case 1:  // the command queue, then its tail
      store(IOMMU_BASE + 0x18, 8, ((table >> 12) << 10) | below(8));
      store(IOMMU_BASE + 0x48, 4, below(2) ? 1 : (uint32_t)rnd());  // CQCSR.cqen
      store(IOMMU_BASE + 0x24, 4, (uint32_t)below(256));
      break;
    case 2:  // the fault queue
      store(IOMMU_BASE + 0x28, 8, ((table >> 12) << 10) | below(8));
      store(IOMMU_BASE + 0x4c, 4, below(2) ? 1 : (uint32_t)rnd());
      store(IOMMU_BASE + 0x30, 4, (uint32_t)below(256));
      break;
    case 3: store(IOMMU_BASE + 0x24, 4, (uint32_t)below(256)); break;  // the doorbell alone
    default: store(IOMMU_BASE + 8 * below(32), 8, value()); break;
  }
  g_iommu++;
}

/// One random instruction word (two compressed ones, when its low bits say so), then ebreak,
/// in a random privilege mode with random registers.
static void word_op(void) {
  static const uint64_t kPriv[3] = {0, 1, 3};
  const uint64_t priv = kPriv[below(3)];
  uint32_t word = (uint32_t)rnd();
  // In M-mode nothing may change the CSRs the soak runs on (mtvec, mstatus, PMP): no SYSTEM
  // opcodes there. Below M, anything goes.
  if (priv == 3 && (word & 0x7f) == 0x73) word = 0x00000013;  // nop
  volatile uint32_t* code = (volatile uint32_t*)EXEC_AT;
  code[0] = word;
  code[1] = 0x00100073;  // ebreak
  __asm__ volatile("fence.i" ::: "memory");
  uint64_t regs[32];
  for (unsigned i = 0; i < 32; ++i) regs[i] = below(8) ? rnd() : ARENA + below(ARENA_SIZE);
  // A timer interrupt soon, so that a WFI below M ends (M-level interrupts are always taken
  // below M).
  mmio_write64(VIRT_CLINT_BASE + 0x4000, mmio_read64(VIRT_CLINT_BASE + 0xbff8) + 1000);
  csr_write(mie, 1ul << 7);
  const uint64_t cause = soak_exec(EXEC_AT, priv, regs);
  g_word_traps[cause >> 63 ? 3 : cause == 3 ? 0 : cause == 2 ? 1 : 2]++;
  mmio_write64(VIRT_CLINT_BASE + 0x4000, ~0ul);
  csr_write(mie, 0);
  csr_write(satp, 0);
  csr_write(medeleg, 0);
  csr_write(mideleg, 0);
  csr_write(mstatus, 0);
  __asm__ volatile("sfence.vma" ::: "memory");
  g_words++;
}

/// soak.ops=N from the command line (-append): the device tree's /chosen/bootargs holds it, and
/// its bytes are searched for it whole.
static uint64_t parse_ops(void) {
  const uint8_t* dtb = (const uint8_t*)boot_dtb;
  if (dtb == 0 || dtb[0] != 0xd0 || dtb[1] != 0x0d || dtb[2] != 0xfe || dtb[3] != 0xed)
    return 20000;
  const uint32_t size =
      (uint32_t)dtb[4] << 24 | (uint32_t)dtb[5] << 16 | (uint32_t)dtb[6] << 8 | dtb[7];
  for (uint32_t i = 0; i + 9 < size && size < (1u << 20); ++i) {
    if (strncmp((const char*)dtb + i, "soak.ops=", 9) == 0)
      return parse_u64((const char*)dtb + i + 9, 0);
  }
  return 20000;
}

int main(void) {
  soak_trap_vector = (uint64_t)&trap_entry;
  csr_write(mtvec, soak_trap_vector);
  csr_write(mie, 0);
  const uint64_t ops = parse_ops();
  printf("soak: %lu operations against the board's devices\n", (unsigned long)ops);
  // The soak's code (from RAM's start to the HTIF page after it) must come out unchanged.
  const uint64_t* code_end = (const uint64_t*)&tohost;
  uint64_t sum_before = 0;
  for (const uint64_t* p = (const uint64_t*)RAM_BASE; p < code_end; ++p)
    sum_before = sum_before * 31 + *p;
  for (uint64_t i = 0; i < ops; ++i) {
    switch (below(10)) {
      case 0:
      case 1:
      case 2: register_op(); break;
      case 3: dma_op(); break;
      case 4:
      case 5: virtio_op(); break;
      case 6: iommu_op(); break;
      default: word_op(); break;
    }
  }
  uint64_t sum_after = 0;
  for (const uint64_t* p = (const uint64_t*)RAM_BASE; p < code_end; ++p)
    sum_after = sum_after * 31 + *p;
  printf(
      "soak: %lu operations: %lu register writes, %lu reads, %lu accesses refused, %lu DMA "
      "copies, %lu virtqueue rounds, %lu IOMMU table changes, %lu instruction words (traps: "
      "%lu breakpoints, %lu illegal, %lu other exceptions, %lu interrupts)\n",
      (unsigned long)ops, (unsigned long)g_writes, (unsigned long)g_reads, (unsigned long)g_faults,
      (unsigned long)g_dma, (unsigned long)g_queues, (unsigned long)g_iommu, (unsigned long)g_words,
      (unsigned long)g_word_traps[0], (unsigned long)g_word_traps[1],
      (unsigned long)g_word_traps[2], (unsigned long)g_word_traps[3]);
  if (sum_after != sum_before) {
    printf("soak: FAILED: the soak's own code changed under it\n");
    return 1;
  }
  printf("soak: survived\n");
  return 0;
}
