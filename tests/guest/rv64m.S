// RV64M: every multiply and divide instruction, with the specified results for division by
// zero and signed overflow, high-half products of every signedness and the W forms'
// sign extension.
#include "test_macros.h"

#define MIN64 0x8000000000000000
#define MAX64 0x7fffffffffffffff

  .option norvc
TEST_BEGIN
  // -- mul / mulh / mulhsu / mulhu --
  TEST_RR(1, mul, 0x0000123456789000, 0x123456789, 0x1000)
  TEST_RR(2, mul, 0x0000000000000001, -1, -1)
  TEST_RR(3, mul, 0x8000000000000000, MIN64, -1)           // low half of the overflow
  TEST_RR(4, mul, 0xfffffffffffffffe, MAX64, 2)
  TEST_RR(5, mulh, 0x0000000000000000, -1, -1)
  TEST_RR(6, mulh, 0x4000000000000000, MIN64, MIN64)
  TEST_RR(7, mulh, 0xffffffffffffffff, -1, 1)
  TEST_RR(8, mulh, 0xc000000000000000, MIN64, MAX64)
  TEST_RR(9, mulhu, 0xfffffffffffffffe, -1, -1)
  TEST_RR(10, mulhu, 0x0000000000000000, -1, 1)
  TEST_RR(11, mulhu, 0x4000000000000000, MIN64, MIN64)
  TEST_RR(12, mulhsu, 0xffffffffffffffff, -1, -1)           // rs1 signed, rs2 unsigned
  TEST_RR(13, mulhsu, 0x0000000000000001, 2, -1)
  TEST_RR(14, mulhsu, 0xc000000000000000, MIN64, MIN64)
  TEST_RR(15, mulhsu, 0x0000000000000000, 0, -1)
  TEST_RR_ZERODEST(16, mul, 3, 4)
  TEST_RR_SRC1_EQ_DEST(17, mulh, 0x4000000000000000, MIN64, MIN64)
  TEST_RR_SRC2_EQ_DEST(18, mulhu, 0xfffffffffffffffe, -1, -1)

  // -- div / divu / rem / remu --
  TEST_RR(20, div, 0x0000000000000003, 20, 6)
  TEST_RR(21, div, 0xfffffffffffffffd, -20, 6)              // rounds towards zero
  TEST_RR(22, div, 0xfffffffffffffffd, 20, -6)
  TEST_RR(23, div, 0x0000000000000003, -20, -6)
  TEST_RR(24, div, 0xffffffffffffffff, 20, 0)               // / 0 = -1
  TEST_RR(25, div, MIN64, MIN64, -1)                        // overflow = dividend
  TEST_RR(26, divu, 0x0000000000000003, 20, 6)
  TEST_RR(27, divu, 0x2aaaaaaaaaaaaaa7, -20, 6)
  TEST_RR(28, divu, 0xffffffffffffffff, 20, 0)
  TEST_RR(29, divu, 0x0000000000000000, MIN64, -1)
  TEST_RR(30, rem, 0x0000000000000002, 20, 6)
  TEST_RR(31, rem, 0xfffffffffffffffe, -20, 6)              // sign of the dividend
  TEST_RR(32, rem, 0x0000000000000002, 20, -6)
  TEST_RR(33, rem, 0xfffffffffffffffe, -20, -6)
  TEST_RR(34, rem, 0xffffffffffffffec, -20, 0)              // % 0 = dividend
  TEST_RR(35, rem, 0x0000000000000000, MIN64, -1)           // overflow = 0
  TEST_RR(36, remu, 0x0000000000000002, 20, 6)
  TEST_RR(37, remu, 0x0000000000000002, -20, 6)
  TEST_RR(38, remu, 0xffffffffffffffec, -20, 0)
  TEST_RR(39, remu, 0x7fffffffffffffff, MAX64, MIN64)
  TEST_RR_ZERODEST(40, div, 1, 0)
  TEST_RR_ZERODEST(41, rem, 1, 0)

  // -- mulw / divw / divuw / remw / remuw --
  TEST_RR(50, mulw, 0xfffffffffffffffe, 0x7fffffff, 2)
  TEST_RR(51, mulw, 0x0000000000000000, 0x100000000, 5)     // upper bits ignored
  TEST_RR(52, mulw, 0xffffffff80000000, 0x40000000, 2)
  TEST_RR(53, mulw, 0x0000000000000001, -1, -1)
  TEST_RR(54, divw, 0xfffffffffffffffd, -20, 6)
  TEST_RR(55, divw, 0xffffffffffffffff, 20, 0)
  TEST_RR(56, divw, 0xffffffff80000000, 0x80000000, -1)     // 32-bit overflow
  TEST_RR(57, divw, 0x0000000000000003, 0xffffffff00000014, 0x100000006)
  TEST_RR(58, divuw, 0x0000000015555553, 0xffffffec, 12)
  TEST_RR(59, divuw, 0xffffffffffffffff, 20, 0)             // sext(0xffffffff)
  TEST_RR(60, divuw, 0xffffffff80000000, 0x80000000, 1)     // result sign-extended
  TEST_RR(61, remw, 0xfffffffffffffffe, -20, 6)
  TEST_RR(62, remw, 0xffffffff80000000, 0x80000000, 0)      // % 0 = sext(dividend)
  TEST_RR(63, remw, 0x0000000000000000, 0x80000000, -1)
  TEST_RR(64, remuw, 0x0000000000000002, -20, 6)
  TEST_RR(65, remuw, 0xffffffffffffffec, 0xffffffec, 0)
  TEST_RR(66, remuw, 0xffffffff80000001, 0x80000001, 0x80000003)
  TEST_RR_ZERODEST(67, divuw, 1, 0)
  TEST_RR_ZERODEST(68, mulw, 3, 3)
TEST_END
