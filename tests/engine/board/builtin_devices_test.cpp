// The engine's device models on a FakeBoard: they reach the board only through BoardContext,
// so what they ask of it (hart interrupt lines, the time source, exit and reset, the console)
// can be checked without a Machine, on boards of any number of harts.
#include <gtest/gtest.h>

#include "engine/board/device_registry.h"
#include "engine/cpu/cpu.h"
#include "tests/support/create_device.h"
#include "tests/support/fake_board.h"

namespace glassvm {
namespace {

using testing::FakeBoard;

std::unique_ptr<Device> create(FakeBoard& board, const std::string& text) {
  return testing::create_device(board, text);
}

TEST(BuiltinDevices, TestDeviceAsksTheBoardToExitOrReset) {
  FakeBoard board;
  auto dev = create(board, "sifive_test");
  const uint32_t reset = 0x7777, fail = (3u << 16) | 0x3333;
  ASSERT_EQ(board.system_as().write(0x100000, &reset, 4), MemTxResult::Ok);
  EXPECT_EQ(board.resets, 1);
  EXPECT_EQ(board.exit_code, -1);
  ASSERT_EQ(board.system_as().write(0x100000, &fail, 4), MemTxResult::Ok);
  EXPECT_EQ(board.exit_code, 3);
  board.unmap_all();
}

TEST(BuiltinDevices, ClintDrivesEveryHartAndSuppliesTime) {
  FakeBoard board(3);
  auto dev = create(board, "clint,addr=0x2000000");
  ASSERT_TRUE(board.time);
  const uint32_t one = 1;
  ASSERT_EQ(board.system_as().write(0x2000000 + 4 * 2, &one, 4), MemTxResult::Ok);  // msip[2]
  EXPECT_TRUE((board.hart_lines[{2, kIrqMSoft}]));
  EXPECT_FALSE((board.hart_lines[{0, kIrqMSoft}]));
  const uint64_t zero = 0;
  ASSERT_EQ(board.system_as().write(0x2004000 + 8 * 1, &zero, 8), MemTxResult::Ok);  // mtimecmp[1]
  EXPECT_TRUE((board.hart_lines[{1, kIrqMTimer}]));
  EXPECT_FALSE((board.hart_lines[{2, kIrqMTimer}]));
  EXPECT_EQ(board.time(), 0u);
  board.unmap_all();
}

TEST(BuiltinDevices, PlicBecomesTheInterruptControllerForLaterDevices) {
  FakeBoard board(2);
  auto plic = create(board, "plic");
  auto rtc = create(board, "goldfish_rtc,irq=7");
  // Route source 7 to hart 1's S-mode context (context 3) and let the RTC fire an alarm.
  const uint32_t prio = 1, enable = 1u << 7, zero = 0;
  ASSERT_EQ(board.system_as().write(0xc000000 + 4 * 7, &prio, 4), MemTxResult::Ok);
  ASSERT_EQ(board.system_as().write(0xc002000 + 0x80 * 3, &enable, 4), MemTxResult::Ok);
  const uint32_t on = 1;
  ASSERT_EQ(board.system_as().write(0x101000 + 0x10, &on, 4), MemTxResult::Ok);    // IRQ_ENABLED
  ASSERT_EQ(board.system_as().write(0x101000 + 0x0c, &zero, 4), MemTxResult::Ok);  // ALARM_HIGH
  ASSERT_EQ(board.system_as().write(0x101000 + 0x08, &zero, 4), MemTxResult::Ok);  // ALARM_LOW
  board.clock().fire_due();
  EXPECT_TRUE((board.hart_lines[{1, kIrqSExt}]));
  EXPECT_FALSE((board.hart_lines[{0, kIrqSExt}]));
  EXPECT_FALSE((board.hart_lines[{1, kIrqMExt}]));
  board.unmap_all();
}

TEST(BuiltinDevices, OnlyTheFirstUartTakesTheConsole) {
  FakeBoard board;
  auto first = create(board, "ns16550a,addr=0x10000000,irq=10");
  auto second = create(board, "ns16550a,addr=0x10002000,irq=12");
  EXPECT_EQ(first->fdt_stdout_path(), "/soc/serial@10000000");
  EXPECT_EQ(second->fdt_stdout_path(), "");
  ASSERT_TRUE(board.console.receive);
  // Output of both goes to the host console.
  const uint8_t a = 'a', b = 'b';
  ASSERT_EQ(board.system_as().write(0x10000000, &a, 1), MemTxResult::Ok);
  ASSERT_EQ(board.system_as().write(0x10002000, &b, 1), MemTxResult::Ok);
  EXPECT_EQ(board.test_host().output, "ab");
  board.unmap_all();
}

}  // namespace
}  // namespace glassvm
