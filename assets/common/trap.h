// The C side of trap.S.
#pragma once

#include <stdint.h>

/// Integer registers at the time of the trap; x[0] is unused, x[2] is the interrupted sp.
typedef struct {
  uint64_t x[32];
} TrapFrame;

/// trap.S's entry point, for mtvec (direct mode).
void trap_entry(void);

/// Implemented by the program: handles one trap and returns the pc to resume at.
uint64_t handle_trap(TrapFrame* f, uint64_t mcause, uint64_t mepc, uint64_t mtval);
