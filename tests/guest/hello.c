// Prints a line through the HTIF console; the CTest entry matches the exact text, which
// also exercises the runtime's printf conversions.
#include "rt.h"
#include "trap.h"

uint64_t handle_trap(TrapFrame* f, uint64_t mcause, uint64_t mepc, uint64_t mtval) {
  return mepc;
}

int main(void) {
  char buf[16];
  int n = snprintf(buf, sizeof(buf), "%05d|%-3s|%x", -42, "ab", 255u);
  if (n != 12 || strcmp(buf, "-0042|ab |ff")) return 1;
  printf("Hello from GlassVM over HTIF: %d %u %x %lx %c\n", -42, 4294967295u, 0xdeadbeefu,
         0x123456789abcdef0ul, 'Z');
  return 0;
}
