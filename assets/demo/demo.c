// demo.elf: the interactive demo guest shown by scripts/run. A tiny shell on the UART:
// help, mem, csr, bench, echo, ticks, poweroff, with backspace line editing. While waiting
// for input it sleeps in WFI and is woken by the UART RX interrupt through the PLIC, so an
// idle demo costs the host nothing.
#include "fdt.h"
#include "platform.h"
#include "rt.h"
#include "trap.h"

static volatile unsigned g_rx_irqs;

uint64_t handle_trap(TrapFrame* f, uint64_t mcause, uint64_t mepc, uint64_t mtval) {
  if (mcause == (MCAUSE_INTERRUPT | 11)) {
    unsigned src = plic_claim();
    // Nothing to do here but wake up: main reads the bytes from the UART FIFO.
    if (src == VIRT_UART_IRQ) {
      g_rx_irqs++;
      uart_reg_write(UART_IER, 0);  // main re-enables it before sleeping again
    }
    if (src) plic_complete(src);
    return mepc;
  }
  report_unexpected_trap(mcause, mepc, mtval);
  test_device_exit(3);
}

// Blocks until a byte arrives: WFI with the RX interrupt armed.
static char read_char(void) {
  for (;;) {
    int c = uart_getc();
    if (c >= 0) return (char)c;
    csr_clear(mstatus, MSTATUS_MIE);
    uart_reg_write(UART_IER, UART_IER_RDI);
    if (!(uart_reg_read(UART_LSR) & UART_LSR_DR)) wfi();
    csr_set(mstatus, MSTATUS_MIE);
  }
}

static void read_line(char* buf, int size) {
  int n = 0;
  for (;;) {
    char c = read_char();
    if (c == '\r' || c == '\n') {
      printf("\n");
      break;
    }
    if (c == 0x7f || c == '\b') {
      if (n > 0) {
        n--;
        printf("\b \b");
      }
    } else if (c >= 0x20 && c < 0x7f && n < size - 1) {
      buf[n++] = c;
      putchar_console(c);
    }
  }
  buf[n] = 0;
}

static void on_node(const FdtNode* node, void* ctx) {
  uint64_t addr, size;
  int is_memory = node->device_type && !strcmp(node->device_type, "memory");
  int in_soc = node->parent && !strcmp(node->parent, "soc");
  if (!is_memory && !in_soc) return;
  for (unsigned i = 0; fdt_reg(node, i, &addr, &size); i++) {
    printf("  0x%016lx-0x%016lx  %-24s %s\n", addr, addr + size - 1, node->name,
           node->compatible ? node->compatible : (is_memory ? "memory" : ""));
  }
}

static void cmd_mem(void) {
  printf("device tree at 0x%lx:\n", boot_dtb);
  if (fdt_walk((const void*)boot_dtb, on_node, 0) != 0) printf("  (no valid device tree)\n");
}

static void cmd_csr(void) {
  uint64_t misa = csr_read(misa);
  char ext[27];
  int n = 0;
  for (int i = 0; i < 26; i++) {
    if (misa & (1ul << i)) ext[n++] = (char)('A' + i);
  }
  ext[n] = 0;
  printf("misa     0x%016lx  RV%d%s\n", misa, (int)(misa >> 62) == 2 ? 64 : 32, ext);
  printf("mhartid  0x%016lx\n", csr_read(mhartid));
  printf("mstatus  0x%016lx\n", csr_read(mstatus));
  printf("mtvec    0x%016lx\n", csr_read(mtvec));
  printf("mie      0x%016lx\n", csr_read(mie));
  printf("mip      0x%016lx\n", csr_read(mip));
  printf("mcycle   %lu\n", csr_read(mcycle));
  printf("minstret %lu\n", csr_read(minstret));
  printf("time     %lu\n", csr_read(time));
}

static uint32_t bench_kernel(void) {
  static uint8_t sieve[32768];
  uint32_t h = 0;
  for (int round = 0; round < 10; round++) {
    memset(sieve, 1, sizeof(sieve));
    for (uint32_t i = 2; i * i < sizeof(sieve); i++) {
      if (!sieve[i]) continue;
      for (uint32_t j = i * i; j < sizeof(sieve); j += i) sieve[j] = 0;
    }
    for (uint32_t i = 2; i < sizeof(sieve); i++) {
      if (sieve[i]) h = h * 31 + i;
    }
  }
  return h;
}

static void cmd_bench(void) {
  uint64_t t0 = clint_mtime(), i0 = csr_read(minstret);
  uint32_t h = bench_kernel();
  uint64_t insns = csr_read(minstret) - i0, ticks = clint_mtime() - t0;
  printf("sieve x10: %lu instructions, %lu mtime ticks (%lu us guest time), result 0x%x\n", insns,
         ticks, ticks / (VIRT_TIMEBASE_HZ / 1000000), h);
}

int main(void) {
  uart_init();
  set_console(uart_putc);
  csr_write(mtvec, (uint64_t)trap_entry);
  plic_enable(VIRT_UART_IRQ, 1);
  csr_set(mie, MIP_MEIP);
  csr_set(mstatus, MSTATUS_MIE);

  printf("\n  ____ _               __     ____  __\n");
  printf(" / ___| | __ _ ___ ___\\ \\   / /  \\/  |\n");
  printf("| |  _| |/ _` / __/ __|\\ \\ / /| |\\/| |\n");
  printf("| |_| | | (_| \\__ \\__ \\ \\ V / | |  | |\n");
  printf(" \\____|_|\\__,_|___/___/  \\_/  |_|  |_|\n\n");
  printf("GlassVM demo guest on hart %lu. Type 'help'.\n", boot_hartid);

  char line[128];
  for (;;) {
    printf("glassvm> ");
    read_line(line, sizeof(line));
    if (!strcmp(line, "help")) {
      printf("help      this text\n");
      printf("mem       memory map from the device tree\n");
      printf("csr       machine CSRs\n");
      printf("bench     a short compute benchmark\n");
      printf("echo ...  print the rest of the line\n");
      printf("ticks     mtime and UART interrupts so far\n");
      printf("poweroff  stop the machine\n");
    } else if (!strcmp(line, "mem")) {
      cmd_mem();
    } else if (!strcmp(line, "csr")) {
      cmd_csr();
    } else if (!strcmp(line, "bench")) {
      cmd_bench();
    } else if (!strncmp(line, "echo", 4) && (line[4] == 0 || line[4] == ' ')) {
      printf("%s\n", line[4] ? line + 5 : "");
    } else if (!strcmp(line, "ticks")) {
      printf("mtime %lu (%lu ms), %u UART interrupts\n", clint_mtime(),
             clint_mtime() / (VIRT_TIMEBASE_HZ / 1000), g_rx_irqs);
    } else if (!strcmp(line, "poweroff")) {
      printf("bye\n");
      test_device_exit(0);
    } else if (line[0]) {
      printf("unknown command '%s' (try 'help')\n", line);
    }
  }
}
