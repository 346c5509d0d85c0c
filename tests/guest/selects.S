// Branches over one instruction (`if (c) x = y`), which the JIT if-converts (wasm-jit:
// emit_branch_over): every kind of branch, taken and not at random, over arithmetic that writes
// a register the branch compares or another one, compressed and not, a skipped instruction
// that is also reached by a jump of its own, and one right before the loop's back edge.
// Run by the JIT lockstep (tests/wasm-jit/node): its slices of every size leave translated
// code around these branches with every budget, and the harts must agree after each slice.
// It exits 0; what it checks is the agreement.
#include "test_macros.h"

TEST_BEGIN
  li TESTNUM, 1
  li s1, 0x9e3779b97f4a7c15       // xorshift state
  li s4, 0                        // checksum
  li s5, 3000                     // iterations
1:
  XORSHIFT(s1)
  srli s2, s1, 40                 // two small random values, often equal
  andi s2, s2, 7
  srli s3, s1, 50
  andi s3, s3, 7
  mv a2, s1
  // Over a move to a register the branch does not compare.
  bltu s2, s3, 2f
  mv a2, s3
2:
  FOLD_INTO_S4(a2)
  // Over an instruction that writes the branch's first operand.
  bge s2, s3, 3f
  addi s2, s2, 5
3:
  FOLD_INTO_S4(s2)
  // Over one that writes its second operand.
  beq s2, s3, 4f
  sub s3, s3, s2
4:
  FOLD_INTO_S4(s3)
  // Over a constant, compared with zero.
  andi t2, s1, 1
  bnez t2, 5f
  lui a3, 0x12345
5:
  FOLD_INTO_S4(a3)
  // A skipped instruction that a jump of its own reaches as well.
  andi t2, s1, 6
  beqz t2, 7f
  blt s2, s3, 8f
7:
  addiw a4, s2, -3
8:
  FOLD_INTO_S4(a4)
  // Over word and shift arithmetic, and a comparison.
  bne s2, s3, 9f
  sllw a5, s1, s2
9:
  FOLD_INTO_S4(a5)
  bltu s3, s2, 10f
  slt a6, s1, s3
10:
  FOLD_INTO_S4(a6)
  // Over a compressed instruction right before the back edge.
  andi t2, s1, 8
  bnez t2, 11f
  c.addi s5, -1
11:
  addi s5, s5, -1
  bgtz s5, 1b
TEST_END
