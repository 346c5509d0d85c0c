// Machine interrupts: software (CLINT msip), timer (mtimecmp), external (PLIC source 10 from
// the UART, both THR-empty and RX through loopback), claim/complete, mip pending bits,
// WFI wake-up with interrupts globally off, vectored mtvec, and time/mcycle advancing.
// Exits with the number of the first failed check.
#include "htif.h"
#include "platform.h"
#include "rt.h"
#include "trap.h"

static volatile unsigned g_msi, g_mti, g_mei, g_ecall, g_claimed;
static volatile int g_rx = -1;

// Vector table for mtvec MODE=1: each entry records its index in mscratch and joins trap.S.
__asm__(
    ".text\n"
    ".option push\n"
    ".option norvc\n"  // every entry must be exactly 4 bytes
    ".balign 256\n"
    "vector_table:\n"
    "  j vec_exc\n j vec_other\n j vec_other\n j vec_msi\n"    // 0..3
    "  j vec_other\n j vec_other\n j vec_other\n j vec_mti\n"  // 4..7
    "  j vec_other\n j vec_other\n j vec_other\n j vec_mei\n"  // 8..11
    "  j vec_other\n j vec_other\n j vec_other\n j vec_other\n"
    "vec_exc: csrwi mscratch, 16\n j trap_entry\n"
    "vec_msi: csrwi mscratch, 3\n j trap_entry\n"
    "vec_mti: csrwi mscratch, 7\n j trap_entry\n"
    "vec_mei: csrwi mscratch, 11\n j trap_entry\n"
    "vec_other: csrwi mscratch, 31\n j trap_entry\n"
    ".option pop\n");
extern char vector_table[];

uint64_t handle_trap(TrapFrame* f, uint64_t mcause, uint64_t mepc, uint64_t mtval) {
  if (mcause == (MCAUSE_INTERRUPT | 3)) {
    clint_set_msip(0);
    g_msi++;
  } else if (mcause == (MCAUSE_INTERRUPT | 7)) {
    clint_set_mtimecmp(~0ull);
    g_mti++;
  } else if (mcause == (MCAUSE_INTERRUPT | 11)) {
    unsigned src = plic_claim();
    g_claimed = src;
    if (src == VIRT_UART_IRQ) {
      if (uart_reg_read(UART_LSR) & UART_LSR_DR) g_rx = uart_reg_read(UART_RBR);
      uart_reg_write(UART_IER, 0);
    }
    if (src) plic_complete(src);
    g_mei++;
  } else if (mcause == 11) {
    g_ecall++;
    return mepc + 4;
  } else {
    report_unexpected_trap(mcause, mepc, mtval);
    guest_exit(250);
  }
  return mepc;
}

#define CHECK(n, cond)                                       \
  do {                                                       \
    if (!(cond)) {                                           \
      printf("interrupts: check %d failed: %s\n", n, #cond); \
      return n;                                              \
    }                                                        \
  } while (0)

// Waits (bounded) until `*counter` changes from `old`. Checks with interrupts masked, so
// that an interrupt cannot slip in between the check and the WFI (WFI still wakes up on it).
static int wait_change(volatile unsigned* counter, unsigned old) {
  for (int i = 0; i < 100000; i++) {
    csr_clear(mstatus, MSTATUS_MIE);
    if (*counter != old) {
      csr_set(mstatus, MSTATUS_MIE);
      return 1;
    }
    wfi();
    csr_set(mstatus, MSTATUS_MIE);
  }
  return 0;
}

static int run(int vectored) {
  int base = vectored ? 100 : 0;
  csr_write(mtvec, vectored ? (uint64_t)vector_table | 1 : (uint64_t)trap_entry);
  CHECK(base + 1,
        csr_read(mtvec) == (vectored ? (uint64_t)vector_table | 1 : (uint64_t)trap_entry));
  clint_set_mtimecmp(~0ull);
  csr_write(mie, 0);
  csr_set(mstatus, MSTATUS_MIE);

  // Software interrupt: pending in mip while disabled in mie, taken once enabled.
  unsigned old = g_msi;
  clint_set_msip(1);
  CHECK(base + 2, csr_read(mip) & MIP_MSIP);
  CHECK(base + 3, g_msi == old);
  csr_write(mscratch, 0);
  csr_set(mie, MIP_MSIP);
  CHECK(base + 4, wait_change(&g_msi, old));
  CHECK(base + 5, !(csr_read(mip) & MIP_MSIP));
  if (vectored) CHECK(base + 6, csr_read(mscratch) == 3);

  // Timer interrupt, woken from WFI.
  old = g_mti;
  uint64_t t0 = clint_mtime();
  uint64_t time0 = csr_read(time);
  csr_set(mie, MIP_MTIP);
  clint_set_mtimecmp(t0 + 500);
  CHECK(base + 10, wait_change(&g_mti, old));
  CHECK(base + 11, clint_mtime() >= t0 + 500);
  CHECK(base + 12, csr_read(time) > time0);
  CHECK(base + 13, !(csr_read(mip) & MIP_MTIP));
  if (vectored) CHECK(base + 14, csr_read(mscratch) == 7);

  // WFI wakes up on a pending enabled interrupt even with mstatus.MIE clear; no trap.
  csr_clear(mstatus, MSTATUS_MIE);
  old = g_mti;
  clint_set_mtimecmp(clint_mtime() + 300);
  for (int i = 0; i < 1000 && !(csr_read(mip) & MIP_MTIP); i++) wfi();
  CHECK(base + 20, csr_read(mip) & MIP_MTIP);
  CHECK(base + 21, g_mti == old);
  csr_set(mstatus, MSTATUS_MIE);  // now it is taken
  CHECK(base + 22, g_mti == old + 1);

  // External interrupt: UART THR empty -> PLIC source 10 -> MEIP.
  uart_init();
  plic_enable(VIRT_UART_IRQ, 1);
  csr_set(mie, MIP_MEIP);
  old = g_mei;
  g_claimed = 0;
  uart_reg_write(UART_IER, UART_IER_THRI);
  CHECK(base + 30, wait_change(&g_mei, old));
  CHECK(base + 31, g_claimed == VIRT_UART_IRQ);
  if (vectored) CHECK(base + 32, csr_read(mscratch) == 11);
  CHECK(base + 33, plic_claim() == 0);  // nothing else pending

  // UART receive through loopback.
  uart_reg_write(UART_MCR, UART_MCR_LOOP);
  old = g_mei;
  g_rx = -1;
  uart_reg_write(UART_THR, 'G');
  uart_reg_write(UART_IER, UART_IER_RDI);
  CHECK(base + 40, wait_change(&g_mei, old));
  CHECK(base + 41, g_rx == 'G');
  CHECK(base + 42, g_claimed == VIRT_UART_IRQ);
  uart_reg_write(UART_MCR, 0);

  // Exceptions still go to the base address in vectored mode.
  old = g_ecall;
  __asm__ volatile("ecall");
  CHECK(base + 50, g_ecall == old + 1);
  if (vectored) CHECK(base + 51, csr_read(mscratch) == 16);

  csr_write(mie, 0);
  csr_clear(mstatus, MSTATUS_MIE);
  return 0;
}

int main(void) {
  set_console(uart_putc);
  uint64_t c0 = csr_read(mcycle), i0 = csr_read(minstret);
  int r = run(0);
  if (r) return r;
  r = run(1);
  if (r) return r;
  if (csr_read(mcycle) <= c0) return 200;
  if (csr_read(minstret) <= i0) return 201;
  return 0;
}
