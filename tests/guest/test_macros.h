// Assembler macros for the GlassVM guest tests (include from .S files).
//
// Conventions: the program defines `main` with TEST_BEGIN and ends with TEST_END. TESTNUM (s11)
// holds the number of the check being run; the first failing check exits with that number,
// and reaching TEST_END exits with 0. Checks use a1..a5 and t6 as scratch. Data goes between
// TEST_DATA_BEGIN and TEST_DATA_END.
#pragma once

#define TESTNUM s11

#define TEST_BEGIN \
  .text;           \
  .align 2;        \
  .globl main;     \
  main:

#define TEST_END   \
  li a0, 0;        \
  j guest_exit;    \
  fail:            \
  mv a0, TESTNUM;  \
  j guest_exit

// One xorshift64 step of the register `state`, for pseudo-random operands (t0 as scratch).
#define XORSHIFT(state)   \
  slli t0, state, 13;     \
  xor state, state, t0;   \
  srli t0, state, 7;      \
  xor state, state, t0;   \
  slli t0, state, 17;     \
  xor state, state, t0

// Folds the register `value` into the checksum s4 (t1 as scratch).
#define FOLD_INTO_S4(value) \
  xor s4, s4, value;        \
  slli t1, s4, 13;          \
  xor s4, s4, t1;           \
  srli t1, s4, 7;           \
  xor s4, s4, t1

#define TEST_DATA_BEGIN .data; .align 4;
#define TEST_DATA_END

// Conditional jumps to `fail` (a plain branch would not reach it in long programs).
#define FAIL_NE(a, b) \
  beq a, b, 9f;       \
  j fail;             \
  9:
#define FAIL_NEZ(a) \
  beqz a, 9f;       \
  j fail;           \
  9:

// Fails check n unless register `reg` holds `expect`.
#define CHECK(n, reg, expect) \
  li TESTNUM, n;              \
  li t6, expect;              \
  FAIL_NE(reg, t6)

#define CHECK_NOW(reg, expect) \
  li t6, expect;               \
  FAIL_NE(reg, t6)

// rd = v1 OP v2, register-register.
#define TEST_RR(n, inst, expect, v1, v2) \
  li TESTNUM, n;                         \
  li a1, v1;                             \
  li a2, v2;                             \
  inst a3, a1, a2;                       \
  CHECK_NOW(a3, expect)

// rd = v1 OP imm.
#define TEST_IMM(n, inst, expect, v1, imm) \
  li TESTNUM, n;                           \
  li a1, v1;                               \
  inst a3, a1, imm;                        \
  CHECK_NOW(a3, expect)

// The destination is also the first / second source.
#define TEST_RR_SRC1_EQ_DEST(n, inst, expect, v1, v2) \
  li TESTNUM, n;                                      \
  li a1, v1;                                          \
  li a2, v2;                                          \
  inst a1, a1, a2;                                    \
  CHECK_NOW(a1, expect)

#define TEST_RR_SRC2_EQ_DEST(n, inst, expect, v1, v2) \
  li TESTNUM, n;                                      \
  li a1, v1;                                          \
  li a2, v2;                                          \
  inst a2, a1, a2;                                    \
  CHECK_NOW(a2, expect)

#define TEST_IMM_SRC1_EQ_DEST(n, inst, expect, v1, imm) \
  li TESTNUM, n;                                        \
  li a1, v1;                                            \
  inst a1, a1, imm;                                     \
  CHECK_NOW(a1, expect)

// Writes to x0 are discarded.
#define TEST_RR_ZERODEST(n, inst, v1, v2) \
  li TESTNUM, n;                          \
  li a1, v1;                              \
  li a2, v2;                              \
  inst x0, a1, a2;                        \
  FAIL_NEZ(x0);                          \
  mv a3, x0;                              \
  FAIL_NEZ(a3)

#define TEST_IMM_ZERODEST(n, inst, v1, imm) \
  li TESTNUM, n;                            \
  li a1, v1;                                \
  inst x0, a1, imm;                         \
  mv a3, x0;                                \
  FAIL_NEZ(a3)

// x0 as a source reads 0.
#define TEST_RR_ZEROSRC1(n, inst, expect, v2) \
  li TESTNUM, n;                              \
  li a2, v2;                                  \
  inst a3, x0, a2;                            \
  CHECK_NOW(a3, expect)

#define TEST_RR_ZEROSRC2(n, inst, expect, v1) \
  li TESTNUM, n;                              \
  li a1, v1;                                  \
  inst a3, a1, x0;                            \
  CHECK_NOW(a3, expect)

// Load `inst` from `base + off` must give `expect`.
#define TEST_LD(n, inst, expect, off, base) \
  li TESTNUM, n;                            \
  la a1, base;                              \
  inst a3, off(a1);                         \
  CHECK_NOW(a3, expect)

// Fills the dword at base+dwoff with `fill`, stores `value` with `inst` at base+off and
// checks that the dword now reads `expect`.
#define TEST_ST(n, inst, value, off, dwoff, fill, expect, base) \
  li TESTNUM, n;                                                \
  la a1, base;                                                  \
  li a2, fill;                                                  \
  sd a2, dwoff(a1);                                             \
  li a2, value;                                                 \
  inst a2, off(a1);                                             \
  ld a3, dwoff(a1);                                             \
  CHECK_NOW(a3, expect)

// A branch that must be taken, forwards and backwards.
#define TEST_BR_TAKEN(n, inst, v1, v2) \
  li TESTNUM, n;                       \
  li a1, v1;                           \
  li a2, v2;                           \
  inst a1, a2, 2f;                     \
  j fail;                              \
  1:                                   \
  j 3f;                                \
  2:                                   \
  inst a1, a2, 1b;                     \
  j fail;                              \
  3:

// A branch that must not be taken, with a forward and a backward target.
#define TEST_BR_NOT_TAKEN(n, inst, v1, v2) \
  li TESTNUM, n;                           \
  li a1, v1;                               \
  li a2, v2;                               \
  inst a1, a2, 1f;                         \
  j 2f;                                    \
  1:                                       \
  j fail;                                  \
  2:                                       \
  inst a1, a2, 1b;
