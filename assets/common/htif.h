// HTIF (host-target interface) as Spike and GlassVM implement it: the guest writes commands
// to the 64-bit `tohost` word defined in start.S. Works on machines with HTIF only; guest_exit
// also falls back to the sifive test device.
#pragma once

#include <stdint.h>

extern volatile uint64_t tohost;
extern volatile uint64_t fromhost;

/// Ends the run with exit status `code` (HTIF, then the sifive test device). Never returns.
__attribute__((noreturn)) void guest_exit(int code);

/// Prints one character on the HTIF console (device 1, command 1). Waits a bounded time for
/// the host to consume a previous command, so it cannot hang on a host that never clears tohost.
static inline void htif_putchar(char c) {
  for (int i = 0; i < 100000 && tohost != 0; i++) {
  }
  tohost = 0x0101000000000000ull | (uint8_t)c;
  fromhost = 0;
}

/// Same as guest_exit.
__attribute__((noreturn)) static inline void htif_exit(int code) {
  guest_exit(code);
}
