// Prints a line on the ns16550a UART (polling THRE), then exits 0 through HTIF.
#include "platform.h"
#include "rt.h"
#include "trap.h"

uint64_t handle_trap(TrapFrame* f, uint64_t mcause, uint64_t mepc, uint64_t mtval) {
  return mepc;
}

int main(void) {
  uart_init();
  // LSR must report an empty transmitter after init.
  if (!(uart_reg_read(UART_LSR) & UART_LSR_THRE)) return 1;
  // The scratch register holds what was written.
  uart_reg_write(UART_SCR, 0x5a);
  if (uart_reg_read(UART_SCR) != 0x5a) return 2;
  set_console(uart_putc);
  printf("Hello from GlassVM over the UART!\n");
  return 0;
}
