// Self-modifying code that is hot: run long enough under the JIT to be translated, then
// rewritten, from the same page and from the very block that runs next. Each rewrite is
// followed by FENCE.I as the ISA asks; the emulator must run the new instructions (the JIT's
// translation of the page is dropped when the page is written, engine/cpu/executor.h).
#include "test_macros.h"

TEST_BEGIN
  // 1: a function called 200 times (translated), then patched, then called 200 times more.
  li TESTNUM, 1
  li s2, 200
1:
  jal ra, smc_code
  CHECK_NOW(a3, 1)
  addi s2, s2, -1
  bnez s2, 1b
  li TESTNUM, 2
  la a1, smc_insn
  li a4, 0x00200693               // addi a3, x0, 2
  sw a4, 0(a1)
  fence.i
  li s2, 200
2:
  jal ra, smc_code
  CHECK_NOW(a3, 2)
  addi s2, s2, -1
  bnez s2, 2b

  // 3: a loop that rewrites the immediate of the instruction after its own store, with a
  // different value on each of 300 iterations.
  li TESTNUM, 3
  la a1, patch_here
  li s2, 300
3:
  slli a4, s2, 20                 // imm = s2 in bits 31:20
  li a5, 0x00000693               // addi a3, x0, 0
  or a4, a4, a5
  li a3, -1
  sw a4, 0(a1)
  fence.i
  .option push
  .align 2
  .option norvc                   // a whole 32-bit word to patch
patch_here:
  addi a3, x0, 0
  .option pop
  FAIL_NE(a3, s2)
  addi s2, s2, -1
  bnez s2, 3b

  // 4: the restored function, hot again.
  li TESTNUM, 4
  la a1, smc_insn
  li a4, 0x00100693               // addi a3, x0, 1
  sw a4, 0(a1)
  fence.i
  li s2, 200
4:
  jal ra, smc_code
  CHECK_NOW(a3, 1)
  addi s2, s2, -1
  bnez s2, 4b
TEST_END

  .option push
  .align 2
  .option norvc
smc_code:
smc_insn:
  addi a3, x0, 1
  ret
  .option pop
