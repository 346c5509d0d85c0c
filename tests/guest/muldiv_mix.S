// The M extension's products and quotients on many operands: pseudo-random ones and the
// edge values (0, 1, -1, the most negative 64- and 32-bit numbers, all-ones words), every
// operation and its word form, folded into a checksum. Run by the JIT lockstep
// (tests/wasm-jit/node): the loop is translated early, and the harts must agree after every
// slice, so each result of the inline wasm arithmetic is compared with the interpreter's.
// It exits 0; what it checks is the agreement.
#include "test_macros.h"

#define FOLD(op)       \
  op t0, s2, s3;       \
  FOLD_INTO_S4(t0);

TEST_BEGIN
  li TESTNUM, 1
  li s1, 0x9e3779b97f4a7c15       // xorshift state
  li s4, 0                        // checksum
  li s5, 3000                     // iterations
  la s6, edge_values
1:
  // s2: a random value; s3: an edge value or another random one, by turns.
  XORSHIFT(s1)
  mv s2, s1
  andi t0, s5, 15
  slli t0, t0, 3
  add t0, t0, s6
  ld s3, 0(t0)
  andi t1, s5, 16
  beqz t1, 2f
  srli s3, s1, 29                 // a random divisor, sometimes small
  xor s3, s3, s5
2:
  andi t1, s5, 32
  beqz t1, 3f
  mv t2, s2                       // and the operands swapped: edge dividends
  mv s2, s3
  mv s3, t2
3:
  FOLD(mul)
  FOLD(mulh)
  FOLD(mulhsu)
  FOLD(mulhu)
  FOLD(div)
  FOLD(divu)
  FOLD(rem)
  FOLD(remu)
  FOLD(mulw)
  FOLD(divw)
  FOLD(divuw)
  FOLD(remw)
  FOLD(remuw)
  addi s5, s5, -1
  bnez s5, 1b
TEST_END

  .section .rodata
  .align 3
edge_values:
  .dword 0, 1, -1, 0x8000000000000000, 0x7fffffffffffffff, 0xffffffff80000000, 0x80000000
  .dword 0xffffffff, 0x7fffffff, 2, -2, 3, 0x100000000, 0xfffffffffffffffe, 7, 0x8000000000000001
