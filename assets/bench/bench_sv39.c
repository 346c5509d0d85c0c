// The benchmark guest (bench.c) run as an Sv39 U-mode process, to measure what paging costs
// the interpreter: M-mode maps RAM and the low gigabyte (CLINT, HTIF console) with 1 GiB
// identity leaves marked U, turns Sv39 on, opens the counters to U-mode and enters bench.c's
// main in U-mode with MRET. Everything bench.c does then goes through the TLB and page walks.
// Before that, U-mode checks that translation is really on: RAM is mapped a second time at
// kAlias, and a store through the alias must show at the variable's own address (without
// paging the alias is no memory, and the access faults into start.S's unexpected-trap exit).
#include <stdint.h>

#include "htif.h"
#include "platform.h"

// bench.c reads minstret, an M-mode CSR; in U-mode it reads the instret view instead (the
// extra level of expansion lets `minstret` expand before it is stringified).
#undef csr_read
#define csr_read_expanded(csr)                     \
  ({                                               \
    uint64_t v_;                                   \
    __asm__ volatile("csrr %0, " #csr : "=r"(v_)); \
    v_;                                            \
  })
#define csr_read(csr) csr_read_expanded(csr)
#define minstret instret
#define main bench_main
#include "bench.c"
#undef main
#undef minstret

// PTE bits (privileged spec 4.4.1).
#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_A 0x40
#define PTE_D 0x80

static uint64_t g_root[512] __attribute__((aligned(4096)));

#define kAlias 0xc0000000ull  // a second 1 GiB mapping of RAM (root entry 3)
static volatile uint64_t g_probe;

static void user_entry(void) {
  volatile uint64_t* alias = (volatile uint64_t*)((uintptr_t)&g_probe - 0x80000000ull + kAlias);
  *alias = 0x5a5a5a5a;
  if (g_probe != 0x5a5a5a5a) guest_exit(2);
  guest_exit(bench_main());
}

int main(void) {
  g_root[0] = PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;  // 0x0: devices
  g_root[2] = (0x80000000ull >> 12) << 10 | PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A |
              PTE_D;  // 0x8000_0000: RAM
  // kAlias: RAM again.
  g_root[3] = g_root[2];
  csr_write(satp, (8ull << 60) | ((uint64_t)(uintptr_t)g_root >> 12));
  __asm__ volatile("sfence.vma" ::: "memory");
  csr_write(mcounteren, 7);
  csr_write(scounteren, 7);
  // PMP: S and U-mode may touch nothing until M-mode grants it (as OpenSBI does): one NAPOT
  // entry over the whole address space, RWX.
  csr_write(pmpaddr0, ~0ull);
  csr_write(pmpcfg0, 0x1f);
  csr_write(mepc, (uint64_t)(uintptr_t)user_entry);
  __asm__ volatile("csrc mstatus, %0" ::"r"(3ull << 11));  // MPP = U
  __asm__ volatile("mret" ::: "memory");
  return 99;  // not reached
}
