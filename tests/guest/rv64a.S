// RV64A: lr/sc success and failure, and every AMO in both widths, including the signedness
// of min/max, sign extension of .w results and x0 destinations. (Misaligned atomics are in
// traps.S.)
#include "test_macros.h"

// amo on a dword initialised to `init`: rd must be `exp_rd`, memory `exp_mem`.
#define TEST_AMO_D(n, inst, init, val, exp_rd, exp_mem) \
  li TESTNUM, n;                                        \
  la a1, amo_buf;                                       \
  li a2, init;                                          \
  sd a2, 0(a1);                                         \
  li a2, val;                                           \
  inst a3, a2, (a1);                                    \
  CHECK_NOW(a3, exp_rd);                                \
  ld a4, 0(a1);                                         \
  CHECK_NOW(a4, exp_mem)

// amo.w on the low word of a dword whose high word is 0xaaaaaaaa: the high word must stay.
#define TEST_AMO_W(n, inst, init, val, exp_rd, exp_mem32) \
  li TESTNUM, n;                                          \
  la a1, amo_buf;                                         \
  li a2, (0xaaaaaaaa00000000 | (init));                   \
  sd a2, 0(a1);                                           \
  li a2, val;                                             \
  inst a3, a2, (a1);                                      \
  CHECK_NOW(a3, exp_rd);                                  \
  ld a4, 0(a1);                                           \
  CHECK_NOW(a4, (0xaaaaaaaa00000000 | (exp_mem32)))

  .option norvc
TEST_BEGIN
  // -- lr / sc --
  li TESTNUM, 1                     // lr.d then sc.d succeeds
  la a1, amo_buf
  li a2, 0x1122334455667788
  sd a2, 0(a1)
  lr.d a3, (a1)
  CHECK_NOW(a3, 0x1122334455667788)
  li a5, 0x0102030405060708
  sc.d a4, a5, (a1)
  FAIL_NEZ(a4)
  ld a3, 0(a1)
  CHECK(2, a3, 0x0102030405060708)
  li TESTNUM, 3                     // a second sc.d has no reservation left and fails
  li a5, 0x5555
  sc.d a4, a5, (a1)
  beqz a4, fail_far
  ld a3, 0(a1)
  CHECK(4, a3, 0x0102030405060708)
  li TESTNUM, 5                     // lr.w sign-extends; sc.w succeeds and writes 32 bits
  li a2, 0x12345678fedcba98
  sd a2, 0(a1)
  lr.w a3, (a1)
  CHECK_NOW(a3, 0xfffffffffedcba98)
  li a5, 0xaaaaaaaa00000001
  sc.w a4, a5, (a1)
  FAIL_NEZ(a4)
  ld a3, 0(a1)
  CHECK(6, a3, 0x1234567800000001)
  li TESTNUM, 7                     // sc.w without a reservation fails, memory unchanged
  sc.w a4, a5, (a1)
  beqz a4, fail_far
  ld a3, 0(a1)
  CHECK(8, a3, 0x1234567800000001)
  li TESTNUM, 9                     // sc to another address than the reservation fails
  la a1, amo_buf
  la a2, amo_far
  sd zero, 0(a2)
  lr.d a3, (a1)
  li a5, 77
  sc.d a4, a5, (a2)
  beqz a4, fail_far
  ld a3, 0(a2)
  CHECK(10, a3, 0)
  li TESTNUM, 11                    // lr/sc retry loop (atomic increment)
  la a1, amo_buf
  sd zero, 0(a1)
  li a2, 100
1:
  lr.d a3, (a1)
  addi a3, a3, 1
  sc.d a4, a3, (a1)
  bnez a4, 1b
  addi a2, a2, -1
  bnez a2, 1b
  ld a3, 0(a1)
  CHECK(12, a3, 100)
  li TESTNUM, 13                    // sc with rd = x0
  lr.d a3, (a1)
  li a5, 9
  sc.d x0, a5, (a1)
  ld a3, 0(a1)
  CHECK_NOW(a3, 9)
  li TESTNUM, 14                    // aq/rl variants
  lr.d.aqrl a3, (a1)
  li a5, 10
  sc.d.rl a4, a5, (a1)
  FAIL_NEZ(a4)
  lr.w.aq a3, (a1)
  sc.w.aqrl a4, a5, (a1)
  FAIL_NEZ(a4)

  // -- AMOs, 64-bit --
  TEST_AMO_D(20, amoswap.d, 0x1111111111111111, 0x2222222222222222, 0x1111111111111111, 0x2222222222222222)
  TEST_AMO_D(21, amoadd.d, 0xffffffffffffffff, 2, 0xffffffffffffffff, 1)
  TEST_AMO_D(22, amoadd.d, 0x7fffffffffffffff, 1, 0x7fffffffffffffff, 0x8000000000000000)
  TEST_AMO_D(23, amoxor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xf0f0f0f0f0f0f0f0)
  TEST_AMO_D(24, amoand.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0x0f000f000f000f00)
  TEST_AMO_D(25, amoor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xfff0fff0fff0fff0)
  TEST_AMO_D(26, amomin.d, 0x8000000000000000, 1, 0x8000000000000000, 0x8000000000000000)
  TEST_AMO_D(27, amomin.d, 5, -3, 5, 0xfffffffffffffffd)
  TEST_AMO_D(28, amomax.d, 0x8000000000000000, 1, 0x8000000000000000, 1)
  TEST_AMO_D(29, amomax.d, -5, -3, 0xfffffffffffffffb, 0xfffffffffffffffd)
  TEST_AMO_D(30, amominu.d, 0x8000000000000000, 1, 0x8000000000000000, 1)
  TEST_AMO_D(31, amominu.d, 5, -3, 5, 5)
  TEST_AMO_D(32, amomaxu.d, 0x8000000000000000, 1, 0x8000000000000000, 0x8000000000000000)
  TEST_AMO_D(33, amomaxu.d, 5, -3, 5, 0xfffffffffffffffd)
  TEST_AMO_D(34, amoswap.d.aqrl, 7, 8, 7, 8)

  // -- AMOs, 32-bit: signed/unsigned 32-bit compares, results sign-extended --
  TEST_AMO_W(40, amoswap.w, 0x80000000, 0x12345678, 0xffffffff80000000, 0x12345678)
  TEST_AMO_W(41, amoadd.w, 0xffffffff, 2, 0xffffffffffffffff, 1)             // no carry out
  TEST_AMO_W(42, amoadd.w, 0x7fffffff, 1, 0x7fffffff, 0x80000000)
  TEST_AMO_W(43, amoxor.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0xf0f0f0f0)
  TEST_AMO_W(44, amoand.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0x0f000f00)
  TEST_AMO_W(45, amoor.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0xfff0fff0)
  TEST_AMO_W(46, amomin.w, 0x80000000, 1, 0xffffffff80000000, 0x80000000)
  TEST_AMO_W(47, amomin.w, 5, 0xfffffffd, 5, 0xfffffffd)
  TEST_AMO_W(48, amomax.w, 0x80000000, 1, 0xffffffff80000000, 1)
  TEST_AMO_W(49, amomax.w, 0xfffffffb, 0x1fffffffd, 0xfffffffffffffffb, 0xfffffffd)  // rs2 bits 63:32 ignored
  TEST_AMO_W(50, amominu.w, 0x80000000, 1, 0xffffffff80000000, 1)
  TEST_AMO_W(51, amominu.w, 5, 0xfffffffd, 5, 5)
  TEST_AMO_W(52, amomaxu.w, 0x80000000, 1, 0xffffffff80000000, 0x80000000)
  TEST_AMO_W(53, amomaxu.w, 5, 0xfffffffd, 5, 0xfffffffd)
  TEST_AMO_W(54, amomaxu.w, 1, 0x100000000, 1, 1)                            // rs2 low word is 0

  // -- x0 destinations and rd == rs2 --
  li TESTNUM, 60
  la a1, amo_buf
  li a2, 40
  sd a2, 0(a1)
  li a2, 2
  amoadd.d x0, a2, (a1)
  ld a3, 0(a1)
  CHECK_NOW(a3, 42)
  li TESTNUM, 61
  amoswap.d a2, a2, (a1)            // rd == rs2: old value out, 2 in
  CHECK_NOW(a2, 42)
  ld a3, 0(a1)
  CHECK_NOW(a3, 2)
  li TESTNUM, 62
  amoor.w x0, a2, (a1)              // 2 | 42
  lw a3, 0(a1)
  CHECK_NOW(a3, 42)
TEST_END
fail_far:
  j fail

TEST_DATA_BEGIN
  .align 6
amo_buf:
  .dword 0, 0
  .align 12
amo_far:
  .dword 0
TEST_DATA_END
