// Uart16550: registers poked the way the Linux 8250 driver and simple firmware do.
#include "engine/devices/uart16550.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/support/mmio_regs.h"
#include "tests/support/test_bus.h"

namespace glassvm {
namespace {

using testing::mmio_read;
using testing::mmio_write;
using testing::TestBus;

class UartTest : public ::testing::Test {
 protected:
  UartTest() : uart([this](uint8_t b) { sent.push_back(static_cast<char>(b)); }) {}

  uint8_t rd(uint64_t reg, MemTxAttrs attrs = {}) {
    return static_cast<uint8_t>(mmio_read(uart.mmio(), reg, 1, attrs));
  }
  void wr(uint64_t reg, uint8_t v) { mmio_write(uart.mmio(), reg, 1, v); }

  std::string sent;
  Uart16550 uart;
};

TEST_F(UartTest, RegionMatchesQemuVirt) {
  EXPECT_EQ(uart.mmio().name(), "serial");
  EXPECT_EQ(uart.mmio().size(), 8u);
  EXPECT_EQ(uart.mmio().kind(), RegionKind::Mmio);
  EXPECT_EQ(uart.mmio().ops().valid.min_access_size, 1u);
  EXPECT_EQ(uart.mmio().ops().valid.max_access_size, 8u);
}

TEST_F(UartTest, ResetValues) {
  EXPECT_EQ(rd(Uart16550::kIer), 0x00);
  EXPECT_EQ(rd(Uart16550::kIir), 0x01);
  EXPECT_EQ(rd(Uart16550::kLcr), 0x00);
  EXPECT_EQ(rd(Uart16550::kMcr), 0x08);
  EXPECT_EQ(rd(Uart16550::kLsr), 0x60);
  EXPECT_EQ(rd(Uart16550::kMsr), 0xb0);
  EXPECT_FALSE(uart.irq().level());
}

TEST_F(UartTest, DivisorLatchAndScratch) {
  wr(Uart16550::kLcr, 0x80);  // DLAB
  wr(Uart16550::kDll, 0x01);
  wr(Uart16550::kDlm, 0x02);
  EXPECT_EQ(rd(Uart16550::kDll), 0x01);
  EXPECT_EQ(rd(Uart16550::kDlm), 0x02);
  wr(Uart16550::kLcr, 0x03);             // 8N1, DLAB off
  EXPECT_EQ(rd(Uart16550::kIer), 0x00);  // IER is back, and was not touched by DLM
  wr(Uart16550::kScr, 0xa5);
  EXPECT_EQ(rd(Uart16550::kScr), 0xa5);
  EXPECT_TRUE(sent.empty());  // the DLL write did not transmit
}

TEST_F(UartTest, TransmitsThroughSink) {
  wr(Uart16550::kLcr, 0x03);
  for (char c : std::string("hi\n")) {
    EXPECT_TRUE(rd(Uart16550::kLsr) & Uart16550::kLsrThre);
    wr(Uart16550::kThr, static_cast<uint8_t>(c));
  }
  EXPECT_EQ(sent, "hi\n");
  EXPECT_EQ(rd(Uart16550::kLsr) & 0x60, 0x60);
}

TEST_F(UartTest, LoopbackAutoconfigAndEcho) {
  // The 8250 driver's loopback check: MCR = LOOP|OUT2|RTS must read back as DCD|CTS.
  wr(Uart16550::kMcr, 0x1a);
  EXPECT_EQ(rd(Uart16550::kMsr) & 0xf0, 0x90);
  wr(Uart16550::kThr, 'x');
  EXPECT_TRUE(sent.empty());
  EXPECT_TRUE(rd(Uart16550::kLsr) & Uart16550::kLsrDr);
  EXPECT_EQ(rd(Uart16550::kRbr), 'x');
  EXPECT_FALSE(rd(Uart16550::kLsr) & Uart16550::kLsrDr);
  // The host line is disconnected in loopback.
  EXPECT_FALSE(uart.can_receive());
  uart.receive('y');
  EXPECT_FALSE(rd(Uart16550::kLsr) & Uart16550::kLsrDr);
  wr(Uart16550::kMcr, 0x0b);
  EXPECT_EQ(rd(Uart16550::kMsr) & 0xf0, 0xb0);
  EXPECT_TRUE(uart.can_receive());
}

TEST_F(UartTest, ThreInterruptClearedByIirReadAndRearmedByWrite) {
  wr(Uart16550::kIer, Uart16550::kIerThri);
  EXPECT_TRUE(uart.irq().level());
  EXPECT_EQ(rd(Uart16550::kIir), 0x02);
  EXPECT_FALSE(uart.irq().level());  // the read acknowledged it
  EXPECT_EQ(rd(Uart16550::kIir), 0x01);
  wr(Uart16550::kThr, 'a');  // the byte leaves at once; THR is empty again
  EXPECT_TRUE(uart.irq().level());
  EXPECT_EQ(sent, "a");
  // Toggling IER.THRI re-raises it even after an acknowledge.
  EXPECT_EQ(rd(Uart16550::kIir), 0x02);
  wr(Uart16550::kIer, 0);
  wr(Uart16550::kIer, Uart16550::kIerThri);
  EXPECT_TRUE(uart.irq().level());
  wr(Uart16550::kIer, 0);
  EXPECT_FALSE(uart.irq().level());
}

TEST_F(UartTest, FifoTriggerLevelAndTimeout) {
  wr(Uart16550::kFcr, 0x81);  // FIFO on, trigger at 8 (what Linux sets for a 16550A)
  EXPECT_EQ(rd(Uart16550::kIir) & 0xc0, 0xc0);
  wr(Uart16550::kIer, Uart16550::kIerRdi);
  EXPECT_FALSE(uart.irq().level());
  uart.receive('1');
  EXPECT_TRUE(uart.irq().level());
  EXPECT_EQ(rd(Uart16550::kIir), 0xcc);  // below the trigger level: character timeout
  for (char c : std::string("2345678")) uart.receive(static_cast<uint8_t>(c));
  EXPECT_EQ(rd(Uart16550::kIir), 0xc4);  // at the trigger level: data available
  std::string got;
  while (rd(Uart16550::kLsr) & Uart16550::kLsrDr) got += static_cast<char>(rd(Uart16550::kRbr));
  EXPECT_EQ(got, "12345678");
  EXPECT_FALSE(uart.irq().level());
  EXPECT_EQ(rd(Uart16550::kIir), 0xc1);
}

TEST_F(UartTest, FifoOverrunKeepsContentsAndSetsOe) {
  wr(Uart16550::kFcr, 0x07);
  wr(Uart16550::kIer, Uart16550::kIerRlsi);
  rd(Uart16550::kLsr);  // a polling driver: from now on host input is accepted
  int accepted = 0;
  while (uart.can_receive()) uart.receive(static_cast<uint8_t>('a' + accepted++));
  EXPECT_EQ(accepted, 16);
  EXPECT_FALSE(uart.irq().level());
  uart.receive('!');
  EXPECT_TRUE(uart.irq().level());
  EXPECT_EQ(rd(Uart16550::kIir), 0xc6);  // line status
  uint8_t lsr = rd(Uart16550::kLsr);
  EXPECT_TRUE(lsr & Uart16550::kLsrOe);
  EXPECT_TRUE(lsr & Uart16550::kLsrDr);
  EXPECT_FALSE(rd(Uart16550::kLsr) & Uart16550::kLsrOe);  // cleared by the read
  EXPECT_FALSE(uart.irq().level());
  for (int i = 0; i < 16; i++) EXPECT_EQ(rd(Uart16550::kRbr), 'a' + i);
  EXPECT_FALSE(rd(Uart16550::kLsr) & Uart16550::kLsrDr);
  EXPECT_EQ(rd(Uart16550::kRbr), 0);  // empty FIFO reads as zero
}

TEST_F(UartTest, HostInputWaitsUntilADriverListens) {
  // Typed during boot: held back, so that the driver's FIFO reset cannot drop it.
  EXPECT_FALSE(uart.can_receive());
  wr(Uart16550::kFcr, 0x07);
  EXPECT_FALSE(uart.can_receive());
  EXPECT_FALSE(rd(Uart16550::kLsr, MemTxAttrs{.debug = true}) & Uart16550::kLsrDr);
  EXPECT_FALSE(uart.can_receive());         // a debugger's peek is not a driver
  wr(Uart16550::kIer, Uart16550::kIerRdi);  // an interrupt-driven driver
  EXPECT_TRUE(uart.can_receive());
  uart.reset();
  EXPECT_FALSE(uart.can_receive());
  rd(Uart16550::kLsr);  // a polling driver
  EXPECT_TRUE(uart.can_receive());
}

TEST_F(UartTest, NonFifoModeHoldsOneByte) {
  rd(Uart16550::kLsr);
  EXPECT_TRUE(uart.can_receive());
  uart.receive('a');
  EXPECT_FALSE(uart.can_receive());
  uart.receive('b');  // overrun: the holding register is overwritten
  EXPECT_EQ(rd(Uart16550::kLsr) & 0x03, 0x03);
  EXPECT_EQ(rd(Uart16550::kRbr), 'b');
  EXPECT_EQ(rd(Uart16550::kLsr) & 0x03, 0x00);
}

TEST_F(UartTest, FcrClearsReceiveFifo) {
  wr(Uart16550::kFcr, 0x01);
  uart.receive('a');
  uart.receive('b');
  wr(Uart16550::kFcr, 0x03);
  EXPECT_FALSE(rd(Uart16550::kLsr) & Uart16550::kLsrDr);
  uart.receive('c');
  wr(Uart16550::kFcr, 0x00);  // disabling the FIFO flushes it too
  EXPECT_FALSE(rd(Uart16550::kLsr) & Uart16550::kLsrDr);
  EXPECT_EQ(rd(Uart16550::kIir) & 0xc0, 0x00);
}

TEST_F(UartTest, ModemStatusInterruptInLoopback) {
  wr(Uart16550::kMcr, Uart16550::kMcrLoop);
  // Entering loopback drops CTS, DSR and DCD: their delta bits are set once.
  EXPECT_EQ(rd(Uart16550::kMsr), Uart16550::kMsrDcts | Uart16550::kMsrDdsr | Uart16550::kMsrDdcd);
  EXPECT_EQ(rd(Uart16550::kMsr), 0x00);
  wr(Uart16550::kIer, Uart16550::kIerMsi);
  EXPECT_FALSE(uart.irq().level());
  wr(Uart16550::kMcr, Uart16550::kMcrLoop | Uart16550::kMcrDtr | Uart16550::kMcrOut1);
  EXPECT_TRUE(uart.irq().level());
  EXPECT_EQ(rd(Uart16550::kIir), 0x00);
  EXPECT_EQ(rd(Uart16550::kMsr), Uart16550::kMsrDsr | Uart16550::kMsrRi | Uart16550::kMsrDdsr);
  EXPECT_FALSE(uart.irq().level());
  wr(Uart16550::kMcr, Uart16550::kMcrLoop | Uart16550::kMcrDtr);  // RI falls: TERI
  EXPECT_EQ(rd(Uart16550::kMsr), Uart16550::kMsrDsr | Uart16550::kMsrTeri);
}

TEST_F(UartTest, DebugReadsHaveNoSideEffects) {
  wr(Uart16550::kFcr, 0x01);
  uart.receive('q');
  MemTxAttrs debug;
  debug.debug = true;
  EXPECT_EQ(rd(Uart16550::kRbr, debug), 'q');
  EXPECT_EQ(rd(Uart16550::kRbr, debug), 'q');
  wr(Uart16550::kIer, Uart16550::kIerThri);
  EXPECT_EQ(rd(Uart16550::kIir, debug) & 0x0f, 0x02);
  EXPECT_TRUE(uart.irq().level());
  EXPECT_EQ(rd(Uart16550::kRbr), 'q');
}

TEST_F(UartTest, WideAccessesAddressOneRegister) {
  wr(Uart16550::kScr, 0x5a);
  uint64_t v = 0;
  ASSERT_EQ(uart.mmio().ops().read(4, 4, v, {}), MemTxResult::Ok);
  EXPECT_EQ(v, 0x08u);  // MCR only, not MCR|LSR<<8|...
  ASSERT_EQ(uart.mmio().ops().write(0, 8, 0xffffffffffffff41ull, {}), MemTxResult::Ok);
  EXPECT_EQ(sent, "A");  // the low byte went to THR
}

TEST_F(UartTest, RandomWritesLeaveDeviceWorking) {
  std::mt19937_64 rng(1234);
  for (int round = 0; round < 200; round++) {
    for (int i = 0; i < 200; i++) {
      unsigned size = 1u << (rng() % 4);
      uint64_t offset = (rng() % 8) & ~uint64_t(size - 1);
      uint64_t v = rng();
      if (rng() % 3 == 0) {
        uart.mmio().ops().read(offset, size, v, {});
        EXPECT_LE(v, 0xffu);
      } else {
        uart.mmio().ops().write(offset, size, v, {});
      }
      if (rng() % 8 == 0) uart.receive(static_cast<uint8_t>(rng()));
      // Invariants: THRE/TEMT always set; IRQ level agrees with IIR.
      MemTxAttrs debug;
      debug.debug = true;
      uint64_t lsr = 0, iir = 0;
      uart.mmio().ops().read(Uart16550::kLsr, 1, lsr, debug);
      uart.mmio().ops().read(Uart16550::kIir, 1, iir, debug);
      EXPECT_EQ(lsr & 0x60, 0x60u);
      EXPECT_EQ(uart.irq().level(), (iir & 1) == 0);
    }
    // A driver re-initialises the port, which must then work normally.
    sent.clear();
    wr(Uart16550::kLcr, 0x03);
    wr(Uart16550::kMcr, 0x0b);
    wr(Uart16550::kIer, 0x00);
    wr(Uart16550::kFcr, 0x07);
    (void)rd(Uart16550::kLsr);
    EXPECT_EQ(rd(Uart16550::kLsr), 0x60);
    EXPECT_FALSE(uart.irq().level());
    wr(Uart16550::kThr, 'k');
    EXPECT_EQ(sent, "k");
    ASSERT_TRUE(uart.can_receive());
    uart.receive('r');
    EXPECT_EQ(rd(Uart16550::kRbr), 'r');
  }
}

TEST(UartBusTest, AccessesThroughAddressSpace) {
  std::string sent;
  Uart16550 uart([&](uint8_t b) { sent.push_back(static_cast<char>(b)); });
  TestBus bus;
  bus.map(0x10000000, uart.mmio());
  AddressSpace& as = bus.as();
  EXPECT_EQ(as.store(0x10000000, 1, 'o'), MemTxResult::Ok);
  EXPECT_EQ(as.store(0x10000000, 4, 'k'), MemTxResult::Ok);
  EXPECT_EQ(sent, "ok");
  uint64_t v = 0;
  EXPECT_EQ(as.load(0x10000005, 1, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x60u);
  EXPECT_EQ(as.load(0x10000004, 4, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x08u);  // one register (MCR), as QEMU's serial_mm
  EXPECT_EQ(as.load(0x10000000, 8, v), MemTxResult::Ok);
  EXPECT_NE(as.load(0x10000005, 2, v), MemTxResult::Ok);  // misaligned
  EXPECT_NE(as.load(0x10000008, 1, v), MemTxResult::Ok);  // past the 8 registers
  uart.receive('z');
  EXPECT_EQ(as.load(0x10000000, 1, v), MemTxResult::Ok);
  EXPECT_EQ(v, uint64_t{'z'});
}

TEST(UartBusTest, RandomBusAccessesLeaveDeviceWorking) {
  std::string sent;
  Uart16550 uart([&](uint8_t b) { sent.push_back(static_cast<char>(b)); });
  TestBus bus;
  bus.map(0x10000000, uart.mmio());
  std::mt19937_64 rng(77);
  for (int i = 0; i < 20000; i++) {
    unsigned size = 1u << (rng() % 4);
    uint64_t addr = 0x10000000 - 4 + rng() % 16;
    uint64_t v = rng();
    if (rng() % 2) {
      bus.as().load(addr, size, v);
    } else {
      bus.as().store(addr, size, v);
    }
    if (rng() % 16 == 0) uart.receive(static_cast<uint8_t>(rng()));
  }
  sent.clear();
  AddressSpace& as = bus.as();
  as.store(0x10000003, 1, 0x03);
  as.store(0x10000004, 1, 0x0b);
  as.store(0x10000002, 1, 0x07);
  as.store(0x10000001, 1, 0x01);
  as.store(0x10000000, 1, '#');
  EXPECT_EQ(sent, "#");
  uart.receive('r');
  EXPECT_TRUE(uart.irq().level());
  uint64_t v = 0;
  as.load(0x10000000, 1, v);
  EXPECT_EQ(v, uint64_t{'r'});
  EXPECT_FALSE(uart.irq().level());
}

}  // namespace
}  // namespace glassvm
