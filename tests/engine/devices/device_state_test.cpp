// Device snapshots: each model is driven into a state through its registers, saved, loaded into
// a fresh instance, and must then behave as the original does; every truncated payload, and
// values the model could not have reached by itself, must be refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/base/block_storage.h"
#include "engine/base/snapshot.h"
#include "engine/board/device_registry.h"
#include "engine/devices/clint.h"
#include "engine/devices/goldfish_rtc.h"
#include "engine/devices/htif.h"
#include "engine/devices/plic.h"
#include "engine/devices/sifive_test.h"
#include "engine/devices/uart16550.h"
#include "engine/devices/virtio/blk.h"
#include "engine/devices/virtio/mmio.h"
#include "engine/devices/virtio/rng.h"
#include "tests/engine/devices/virtio/virtio_driver.h"
#include "tests/support/create_device.h"
#include "tests/support/fake_board.h"
#include "tests/support/mmio_regs.h"

namespace glassvm {
namespace {

using testing::Buf;
using testing::FakeBoard;
using testing::mmio_read;
using testing::mmio_write;
using testing::VirtioBench;

using Payload = std::vector<uint8_t>;
/// Loads `bytes` into a fresh instance of a model; returns whether the load and finish() passed.
using Loader = std::function<bool(std::span<const uint8_t> bytes)>;

template <typename Model>
Payload saved(const Model& model) {
  StateWriter w;
  model.save(w);
  return w.take();
}

/// Loads `bytes` into `model` and checks that every byte was read; returns r.ok().
template <typename Model>
bool load(Model& model, std::span<const uint8_t> bytes, std::string* error = nullptr) {
  StateReader r(bytes, "test");
  model.load(r);
  const bool ok = r.finish();
  if (error) *error = r.error();
  return ok;
}

/// `payload` loads; every proper prefix of it, and it with a byte more, do not.
void expect_only_whole_payload_loads(const Payload& payload, const Loader& loader) {
  EXPECT_TRUE(loader(payload)) << "the untouched payload is refused";
  for (size_t n = 0; n < payload.size(); ++n) {
    EXPECT_FALSE(loader(std::span<const uint8_t>(payload.data(), n)))
        << "a payload cut to " << n << " of " << payload.size() << " bytes loads";
  }
  Payload longer = payload;
  longer.push_back(0);
  EXPECT_FALSE(loader(longer)) << "a payload with a byte left over loads";
}

/// `payload` with the `size` little-endian bytes at `offset` replaced by `value`.
Payload patched(Payload payload, size_t offset, unsigned size, uint64_t value) {
  EXPECT_LE(offset + size, payload.size());
  for (unsigned i = 0; i < size && offset + i < payload.size(); ++i) {
    payload[offset + i] = static_cast<uint8_t>(value >> (8 * i));
  }
  return payload;
}

/// An IrqLine receiver that counts what it is told (connect() tells it once).
struct LineProbe {
  IrqLine::Sink sink() {
    return [this](bool level) {
      ++calls;
      last = level;
    };
  }
  int calls = 0;
  bool last = false;
};

// -- Uart16550 -----------------------------------------------------------------------------------

// Payload offsets (Uart16550::save): u16 divisor, u8 IER, FCR, LCR, MCR, LSR errors, MSR deltas,
// SCR, THR pending, listening, u64 count, the bytes, the level.
constexpr size_t kUartIer = 2, kUartFcr = 3, kUartListening = 10, kUartCount = 11, kUartBytes = 19;

class UartStateTest : public ::testing::Test {
 protected:
  static uint8_t rd(Uart16550& u, uint64_t reg) {
    return static_cast<uint8_t>(mmio_read(u.mmio(), reg, 1));
  }
  static void wr(Uart16550& u, uint64_t reg, uint8_t v) { mmio_write(u.mmio(), reg, 1, v); }

  /// A UART with its divisor and line set, the FIFO on (trigger 8), a full FIFO that wrapped
  /// around its end, an overrun, and a pending line status interrupt.
  void drive(Uart16550& u) {
    wr(u, Uart16550::kLcr, 0x80);
    wr(u, Uart16550::kDll, 0x34);
    wr(u, Uart16550::kDlm, 0x12);
    wr(u, Uart16550::kLcr, 0x1b);
    wr(u, Uart16550::kFcr, 0x87);
    wr(u, Uart16550::kMcr, 0x0b);
    wr(u, Uart16550::kScr, 0x5a);
    rd(u, Uart16550::kLsr);  // a driver is listening
    wr(u, Uart16550::kIer, Uart16550::kIerRdi | Uart16550::kIerRlsi);
    for (uint8_t b = 0; b < 12; ++b) u.receive(b);
    for (int i = 0; i < 10; ++i) rd(u, Uart16550::kRbr);
    for (uint8_t b = 100; b < 115; ++b) u.receive(b);  // 14 fit, the 15th overruns
  }

  std::string sent;
  Uart16550 uart{[this](uint8_t b) { sent.push_back(static_cast<char>(b)); }};
};

TEST_F(UartStateTest, RestoredUartBehavesAsTheOriginal) {
  drive(uart);
  ASSERT_TRUE(uart.irq().level());
  const Payload payload = saved(uart);

  std::string copy_sent;
  Uart16550 copy([&](uint8_t b) { copy_sent.push_back(static_cast<char>(b)); });
  LineProbe probe;
  copy.irq().connect(probe.sink());
  std::string error;
  ASSERT_TRUE(load(copy, payload, &error)) << error;
  EXPECT_EQ(saved(copy), payload);
  EXPECT_TRUE(copy.irq().level());
  EXPECT_EQ(probe.calls, 1) << "the receiver was told of the restored level";
  EXPECT_EQ(copy.can_receive(), uart.can_receive());

  // The same register reads, in the same order (LSR clears OE, MSR its deltas), then the FIFO.
  for (uint64_t reg : {Uart16550::kIer, Uart16550::kIir, Uart16550::kLcr, Uart16550::kMcr,
                       Uart16550::kLsr, Uart16550::kIir, Uart16550::kMsr, Uart16550::kScr}) {
    EXPECT_EQ(rd(copy, reg), rd(uart, reg)) << "register " << reg;
    EXPECT_EQ(copy.irq().level(), uart.irq().level()) << "after register " << reg;
  }
  for (size_t i = 0; i < Uart16550::kFifoSize + 1; ++i) {
    EXPECT_EQ(rd(copy, Uart16550::kLsr), rd(uart, Uart16550::kLsr)) << "byte " << i;
    EXPECT_EQ(rd(copy, Uart16550::kIir), rd(uart, Uart16550::kIir)) << "byte " << i;
    EXPECT_EQ(rd(copy, Uart16550::kRbr), rd(uart, Uart16550::kRbr)) << "byte " << i;
  }
  EXPECT_FALSE(copy.irq().level());
  wr(copy, Uart16550::kLcr, 0x9b);
  wr(uart, Uart16550::kLcr, 0x9b);
  EXPECT_EQ(rd(copy, Uart16550::kDll), 0x34);
  EXPECT_EQ(rd(copy, Uart16550::kDlm), 0x12);
  wr(copy, Uart16550::kLcr, 0x1b);
  wr(copy, Uart16550::kThr, 'z');
  EXPECT_EQ(copy_sent, "z");
}

TEST_F(UartStateTest, TruncatedOrImpossiblePayloadsAreRefused) {
  drive(uart);
  const Payload payload = saved(uart);
  ASSERT_EQ(payload.size(), kUartBytes + Uart16550::kFifoSize + 1);
  const Loader loader = [](std::span<const uint8_t> bytes) {
    Uart16550 u;
    return load(u, bytes);
  };
  expect_only_whole_payload_loads(payload, loader);
  EXPECT_FALSE(loader(patched(payload, kUartIer, 1, 0x15))) << "IER bit 4";
  EXPECT_FALSE(loader(patched(payload, kUartFcr, 1, 0x87))) << "FCR clear bits kept";
  EXPECT_FALSE(loader(patched(payload, kUartListening, 1, 2))) << "a flag of 2";
  EXPECT_FALSE(loader(patched(payload, payload.size() - 1, 1, 0))) << "interrupt level";
  // 17 bytes in a 16-byte FIFO (with the 17th byte there to read).
  Payload long_fifo = patched(payload, kUartCount, 8, Uart16550::kFifoSize + 1);
  long_fifo.insert(long_fifo.end() - 1, 0x42);
  EXPECT_FALSE(loader(long_fifo));
  // Two bytes without the FIFO (a 16450 holds one).
  Payload no_fifo = patched(payload, kUartFcr, 1, 0);
  no_fifo = patched(no_fifo, kUartCount, 8, 2);
  no_fifo.erase(no_fifo.begin() + kUartBytes + 2, no_fifo.end() - 1);
  EXPECT_FALSE(loader(no_fifo));
  Payload one_byte = patched(no_fifo, kUartCount, 8, 1);
  one_byte.erase(one_byte.begin() + kUartBytes + 1);
  EXPECT_TRUE(loader(one_byte)) << "one byte without the FIFO is a 16450's holding register";
}

// -- Clint ---------------------------------------------------------------------------------------

class ClintStateTest : public ::testing::Test {
 protected:
  ClintStateTest() {
    clock.set_step_source([this] { return now; });
    copy_clock.set_step_source([this] { return now; });
  }

  uint64_t now = 100;
  VirtualClock clock;
  VirtualClock copy_clock;  ///< the restored board's clock, at the same time
  Clint clint{2, clock, 1};
};

TEST_F(ClintStateTest, RestoredClintBehavesAsTheOriginal) {
  mmio_write(clint.mtimer_mmio(), Clint::kMtime, 8, 5000);
  mmio_write(clint.mtimer_mmio(), Clint::kMtimecmp, 8, 5050);      // hart 0: 50 ticks away
  mmio_write(clint.mtimer_mmio(), Clint::kMtimecmp + 8, 8, 4000);  // hart 1: reached
  mmio_write(clint.swi_mmio(), 4, 4, 1);                           // msip[1]
  ASSERT_TRUE(clint.mtip(1).level());
  const Payload payload = saved(clint);

  Clint copy(2, copy_clock, 1);
  LineProbe msip1, mtip1, mtip0;
  copy.msip(1).connect(msip1.sink());
  copy.mtip(1).connect(mtip1.sink());
  copy.mtip(0).connect(mtip0.sink());
  std::string error;
  ASSERT_TRUE(load(copy, payload, &error)) << error;
  EXPECT_EQ(saved(copy), payload);
  EXPECT_EQ(copy_clock.next_deadline_ns(), VirtualClock::kNever) << "load armed an alarm";
  EXPECT_TRUE(copy.msip(1).level());
  EXPECT_TRUE(copy.mtip(1).level());
  EXPECT_FALSE(copy.mtip(0).level());
  EXPECT_EQ(msip1.calls + mtip1.calls + mtip0.calls, 3) << "receivers were told";

  for (uint64_t off : {Clint::kMtime, Clint::kMtimecmp, Clint::kMtimecmp + 8}) {
    EXPECT_EQ(mmio_read(copy.mtimer_mmio(), off, 8), mmio_read(clint.mtimer_mmio(), off, 8));
  }
  EXPECT_EQ(mmio_read(copy.mtimer_mmio(), Clint::kMtime, 8), 5000u);
  for (uint64_t off : {0, 4}) {
    EXPECT_EQ(mmio_read(copy.swi_mmio(), off, 4), mmio_read(clint.swi_mmio(), off, 4));
  }
  EXPECT_EQ(copy.next_deadline(), clint.next_deadline());
  EXPECT_EQ(copy.next_deadline(), 150u);
  // Time moves on the same way.
  now = 160;
  copy.update();
  clint.update();
  EXPECT_TRUE(copy.mtip(0).level());
  EXPECT_EQ(mmio_read(copy.mtimer_mmio(), Clint::kMtime, 8),
            mmio_read(clint.mtimer_mmio(), Clint::kMtime, 8));
}

TEST_F(ClintStateTest, TruncatedOrForeignPayloadsAreRefused) {
  mmio_write(clint.mtimer_mmio(), Clint::kMtimecmp, 8, 77);
  const Payload payload = saved(clint);
  expect_only_whole_payload_loads(payload, [this](std::span<const uint8_t> bytes) {
    Clint copy(2, copy_clock, 1);
    return load(copy, bytes);
  });
  Clint one_hart(1, copy_clock, 1);
  EXPECT_FALSE(load(one_hart, payload)) << "a 2-hart CLINT into a 1-hart board";
  Clint fresh(2, copy_clock, 1);
  EXPECT_FALSE(load(fresh, patched(payload, 4 + 8 + 8, 1, 2))) << "MSIP of 2";
}

// -- Plic ----------------------------------------------------------------------------------------

uint64_t plic_prio(unsigned src) {
  return Plic::kPriorityBase + 4 * src;
}
uint64_t plic_enable(unsigned ctx, unsigned word) {
  return Plic::kEnableBase + Plic::kEnableStride * ctx + 4 * word;
}
uint64_t plic_ctx(unsigned ctx, uint64_t reg) {
  return Plic::kContextBase + Plic::kContextStride * ctx + reg;
}

// Payload offsets (Plic::save): u32 contexts; 95 sources of u32 priority and 3 flags; then per
// context 3 u32 enable words, u32 threshold, a level.
constexpr size_t kPlicSource = 4, kPlicSourceBytes = 7;
constexpr size_t kPlicContext = kPlicSource + 95 * kPlicSourceBytes, kPlicContextBytes = 17;

class PlicStateTest : public ::testing::Test {
 protected:
  static uint32_t rd(Plic& p, uint64_t off) {
    return static_cast<uint32_t>(mmio_read(p.mmio(), off, 4));
  }
  static void wr(Plic& p, uint64_t off, uint32_t v) { mmio_write(p.mmio(), off, 4, v); }

  /// Priorities, enables and thresholds on two contexts; sources pending, one claimed and then
  /// lowered, one raised and lowered again.
  void drive(Plic& p) {
    for (auto [src, prio] : {std::pair{3u, 5u}, std::pair{7u, 2u}, std::pair{10u, 7u},
                             std::pair{33u, 1u}, std::pair{95u, 3u}}) {
      wr(p, plic_prio(src), prio);
    }
    wr(p, plic_enable(1, 0), (1u << 3) | (1u << 7));
    wr(p, plic_enable(1, 1), 1u << 1);   // 33
    wr(p, plic_enable(1, 2), 1u << 31);  // 95
    wr(p, plic_enable(2, 0), 1u << 10);
    wr(p, plic_enable(2, 1), 1u << 1);
    wr(p, plic_ctx(1, Plic::kThreshold), 1);
    for (unsigned src : {3u, 7u, 10u, 33u, 95u}) p.set_source(src, true);
    ASSERT_EQ(rd(p, plic_ctx(1, Plic::kClaim)), 3u);
    p.set_source(3, false);  // claimed, then lowered
    p.set_source(95, false);
  }

  Plic plic{2};
};

TEST_F(PlicStateTest, RestoredPlicBehavesAsTheOriginal) {
  drive(plic);
  const Payload payload = saved(plic);

  Plic copy(2);
  LineProbe outputs[4];
  for (unsigned c = 0; c < 4; ++c) copy.context_output(c).connect(outputs[c].sink());
  std::string error;
  ASSERT_TRUE(load(copy, payload, &error)) << error;
  EXPECT_EQ(saved(copy), payload);
  for (unsigned c = 0; c < 4; ++c) {
    EXPECT_EQ(copy.context_output(c).level(), plic.context_output(c).level()) << "context " << c;
    EXPECT_EQ(outputs[c].calls, 1) << "context " << c << "'s receiver was told";
  }
  EXPECT_TRUE(copy.context_output(1).level());
  EXPECT_TRUE(copy.claimed(3));

  for (unsigned s = 0; s < Plic::kNumSources; ++s) {
    EXPECT_EQ(rd(copy, plic_prio(s)), rd(plic, plic_prio(s))) << "source " << s;
  }
  for (unsigned w = 0; w < 3; ++w) {
    EXPECT_EQ(rd(copy, Plic::kPendingBase + 4 * w), rd(plic, Plic::kPendingBase + 4 * w));
    for (unsigned c = 0; c < 4; ++c) {
      EXPECT_EQ(rd(copy, plic_enable(c, w)), rd(plic, plic_enable(c, w)));
    }
  }
  // The same claims, completions and claims again, context by context.
  for (unsigned c : {1u, 2u, 1u}) {
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(rd(copy, plic_ctx(c, Plic::kClaim)), rd(plic, plic_ctx(c, Plic::kClaim)));
    }
    for (uint32_t src : {3u, 7u, 10u, 33u}) {
      wr(copy, plic_ctx(c, Plic::kClaim), src);
      wr(plic, plic_ctx(c, Plic::kClaim), src);
    }
    for (unsigned k = 0; k < 4; ++k) {
      EXPECT_EQ(copy.context_output(k).level(), plic.context_output(k).level());
    }
  }
  EXPECT_FALSE(copy.claimed(3));
  EXPECT_FALSE(copy.pending(3)) << "source 3 was low when it completed";
}

TEST_F(PlicStateTest, TruncatedOrImpossiblePayloadsAreRefused) {
  drive(plic);
  const Payload payload = saved(plic);
  ASSERT_EQ(payload.size(), kPlicContext + 4 * kPlicContextBytes);
  const Loader loader = [](std::span<const uint8_t> bytes) {
    Plic copy(2);
    return load(copy, bytes);
  };
  expect_only_whole_payload_loads(payload, loader);
  Plic one_hart(1);
  EXPECT_FALSE(load(one_hart, payload)) << "4 contexts into 2";
  // Source 1: priority 8; pending while low; pending while claimed.
  EXPECT_FALSE(loader(patched(payload, kPlicSource, 4, 8)));
  EXPECT_FALSE(loader(patched(payload, kPlicSource + 5, 1, 1)));
  Payload pending_claimed = patched(payload, kPlicSource + 4, 1, 1);
  EXPECT_TRUE(loader(patched(pending_claimed, kPlicSource + 5, 1, 1))) << "high and pending";
  pending_claimed = patched(pending_claimed, kPlicSource + 5, 1, 1);
  EXPECT_FALSE(loader(patched(pending_claimed, kPlicSource + 6, 1, 1)));
  // Context 0: an enable bit for source 0, which does not exist; threshold 8. Context 1: an
  // output level that disagrees with its pending sources.
  EXPECT_FALSE(loader(patched(payload, kPlicContext, 4, 1)));
  EXPECT_FALSE(loader(patched(payload, kPlicContext + 12, 4, 8)));
  EXPECT_FALSE(loader(patched(payload, kPlicContext + kPlicContextBytes + 16, 1, 0)))
      << "context 1's output is high";
}

// -- GoldfishRtc ---------------------------------------------------------------------------------

class RtcStateTest : public ::testing::Test {
 protected:
  RtcStateTest() {
    clock.set_step_source([this] { return now; });
    copy_clock.set_step_source([this] { return now; });
  }
  static uint32_t rd(GoldfishRtc& r, uint64_t off) {
    return static_cast<uint32_t>(mmio_read(r.mmio(), off, 4));
  }
  static void wr(GoldfishRtc& r, uint64_t off, uint32_t v) { mmio_write(r.mmio(), off, 4, v); }

  /// Time set by the guest, a fired alarm with its interrupt enabled and pending, another
  /// alarm armed, and TIME_HIGH latched.
  void drive(GoldfishRtc& r) {
    wr(r, GoldfishRtc::kTimeHigh, 7);
    wr(r, GoldfishRtc::kIrqEnabled, 1);
    wr(r, GoldfishRtc::kAlarmHigh, 0);
    wr(r, GoldfishRtc::kAlarmLow, 0);  // in the past: fires at once
    ASSERT_TRUE(r.irq().level());
    now += 500;
    wr(r, GoldfishRtc::kAlarmHigh, 8);
    wr(r, GoldfishRtc::kAlarmLow, 0x1000);
    rd(r, GoldfishRtc::kTimeLow);
    now += 25;
  }

  uint64_t now = 1000;
  VirtualClock clock;
  VirtualClock copy_clock;
  GoldfishRtc rtc{clock, 1700000000ull * 1000000000ull};
};

TEST_F(RtcStateTest, RestoredRtcBehavesAsTheOriginal) {
  drive(rtc);
  const Payload payload = saved(rtc);

  GoldfishRtc copy(copy_clock, 0);  // another epoch: the snapshot's time wins
  LineProbe probe;
  copy.irq().connect(probe.sink());
  std::string error;
  ASSERT_TRUE(load(copy, payload, &error)) << error;
  EXPECT_EQ(saved(copy), payload);
  EXPECT_TRUE(copy.irq().level());
  EXPECT_EQ(probe.calls, 1);
  EXPECT_EQ(copy_clock.next_deadline_ns(), VirtualClock::kNever) << "load armed an alarm";

  EXPECT_EQ(copy.time_ns(), rtc.time_ns());
  EXPECT_EQ(copy.next_deadline_ns(), rtc.next_deadline_ns());
  for (uint64_t off : {GoldfishRtc::kTimeHigh, GoldfishRtc::kAlarmLow, GoldfishRtc::kAlarmHigh,
                       GoldfishRtc::kIrqEnabled, GoldfishRtc::kAlarmStatus, GoldfishRtc::kTimeLow,
                       GoldfishRtc::kTimeHigh}) {
    EXPECT_EQ(rd(copy, off), rd(rtc, off)) << "register " << off;
  }
  EXPECT_EQ(rd(copy, GoldfishRtc::kAlarmStatus), 1u);
  wr(copy, GoldfishRtc::kClearInterrupt, 1);
  EXPECT_FALSE(copy.irq().level());
}

TEST_F(RtcStateTest, TruncatedOrImpossiblePayloadsAreRefused) {
  drive(rtc);
  const Payload payload = saved(rtc);
  const Loader loader = [this](std::span<const uint8_t> bytes) {
    GoldfishRtc copy(copy_clock);
    return load(copy, bytes);
  };
  expect_only_whole_payload_loads(payload, loader);
  EXPECT_FALSE(loader(patched(payload, payload.size() - 1, 1, 0))) << "level low while pending";
  EXPECT_FALSE(loader(patched(payload, payload.size() - 2, 1, 0))) << "level high while disabled";
  EXPECT_FALSE(loader(patched(payload, payload.size() - 3, 1, 3))) << "a flag of 3";
}

// -- SifiveTest and Htif -------------------------------------------------------------------------

TEST(SifiveTestState, SavesNothingAndRefusesExtraBytes) {
  SifiveTest test({});
  const Payload payload = saved(test);
  EXPECT_TRUE(payload.empty());
  expect_only_whole_payload_loads(payload, [](std::span<const uint8_t> bytes) {
    SifiveTest copy({});
    return load(copy, bytes);
  });
}

TEST(HtifState, RestoredHtifFinishesAHalfWrittenCommand) {
  std::string console;
  Htif htif({}, [&](uint8_t b) { console.push_back(static_cast<char>(b)); });
  mmio_write(htif.tohost_region(), 0, 8, uint64_t{2} << 56);  // an unsupported device
  mmio_write(htif.fromhost_region(), 0, 8, 0x1122334455667788);
  mmio_write(htif.tohost_region(), 0, 4, 'A');  // the low half of a console write
  const Payload payload = saved(htif);

  std::string copy_console;
  Htif copy({}, [&](uint8_t b) { copy_console.push_back(static_cast<char>(b)); });
  std::string error;
  ASSERT_TRUE(load(copy, payload, &error)) << error;
  EXPECT_EQ(saved(copy), payload);
  EXPECT_EQ(copy.unsupported_commands(), 1u);
  EXPECT_EQ(mmio_read(copy.tohost_region(), 0, 8), 'A');
  EXPECT_EQ(mmio_read(copy.fromhost_region(), 0, 8), 0x1122334455667788u);
  mmio_write(copy.tohost_region(), 4, 4, 0x01010000);  // the high half: device 1, command 1
  EXPECT_EQ(copy_console, "A");
  EXPECT_EQ(mmio_read(copy.tohost_region(), 0, 8), 0u);

  const Loader loader = [](std::span<const uint8_t> bytes) {
    Htif fresh({}, {});
    return load(fresh, bytes);
  };
  expect_only_whole_payload_loads(payload, loader);
  EXPECT_FALSE(loader(patched(payload, 7, 1, 1))) << "tohost's top byte: a command not issued";
}

// -- virtio: the transport, its queues, virtio-rng and virtio-blk
// ----------------------------------

/// Copies the bench's RAM (rings and buffers) from `from` to `to`: the board restores RAM.
void copy_ram(VirtioBench& from, VirtioBench& to) {
  to.put(VirtioBench::kRamBase, from.get(VirtioBench::kRamBase, VirtioBench::kRamSize));
}

/// Publishes a chain of `bufs` in descriptors `first`.. of queue 0 (of `size` entries) as
/// available entry `avail_idx`, and notifies: what a driver does, without the bench's own
/// bookkeeping (which a restored bench does not have).
void raw_submit(VirtioBench& b, uint32_t size, uint16_t first, uint16_t avail_idx,
                const std::vector<Buf>& bufs) {
  for (size_t k = 0; k < bufs.size(); ++k) {
    const bool last = k + 1 == bufs.size();
    const uint32_t i = (first + k) % size;
    b.write_desc(0, i, bufs[k].addr, bufs[k].len,
                 static_cast<uint16_t>((last ? 0 : VirtQueue::kDescFNext) |
                                       (bufs[k].writable ? VirtQueue::kDescFWrite : 0)),
                 static_cast<uint16_t>(last ? 0 : (i + 1) % size), VirtioBench::desc_area(0));
  }
  b.st(VirtioBench::avail_area(0) + 4 + 2ull * (avail_idx % size), 2, first % size);
  b.st(VirtioBench::avail_area(0) + 2, 2, static_cast<uint16_t>(avail_idx + 1));
  b.notify(0);
}

/// The used ring's index and entry `n` of queue 0 (of `size` entries), read without the bench's
/// bookkeeping.
uint16_t raw_used_idx(VirtioBench& b) {
  return static_cast<uint16_t>(b.ld(VirtioBench::used_area(0) + 2, 2));
}
testing::Used raw_used(VirtioBench& b, uint32_t size, uint16_t n) {
  const uint64_t at = VirtioBench::used_area(0) + 4 + 8ull * (n % size);
  return {static_cast<uint32_t>(b.ld(at, 4)), static_cast<uint32_t>(b.ld(at + 4, 4))};
}

/// Saves a transport and its backend, as the board does (two sections).
struct VirtioPayloads {
  Payload transport;
  Payload backend;
};
VirtioPayloads save_virtio(VirtioBench& bench, const VirtioDevice& backend) {
  StateWriter w;
  backend.save(w);
  return {saved(bench.transport()), w.take()};
}

// Payload offsets (VirtioMmio::save) for a transport with an empty error reason and one queue.
constexpr size_t kMmioStatus = 5, kMmioDriverFeatures = 17, kMmioInterruptStatus = 29,
                 kMmioErrorLength = 37, kMmioLevel = 45, kMmioQueue = 50;
// Within a queue (VirtQueue::save).
constexpr size_t kQueueNum = 0, kQueueDesc = 4, kQueueReady = 36, kQueueBroken = 37,
                 kQueuePending = 38;

constexpr uint64_t kRngBuf = VirtioBench::kData;
constexpr uint32_t kRngQueue = 8;

/// An initialised rng bench with three requests done (the used buffer interrupt unacknowledged)
/// and DeviceFeaturesSel left at 1.
void drive_rng(VirtioBench& bench) {
  bench.init({kRngQueue});
  for (unsigned i = 0; i < 3; ++i) bench.submit(0, {{kRngBuf + 0x100 * i, 32, true}});
  bench.wr(VirtioMmio::kDeviceFeaturesSel, 1);
  ASSERT_EQ(bench.used_idx(0), 3u);
  ASSERT_TRUE(bench.irq_level);
}

TEST(VirtioState, RestoredRngTransportContinuesTheQueueAndTheByteStream) {
  VirtioRng rng(99);
  VirtioBench bench(&rng);
  drive_rng(bench);
  const VirtioPayloads payloads = save_virtio(bench, rng);

  VirtioRng copy_rng(99);
  VirtioBench copy(&copy_rng);
  copy_ram(bench, copy);
  LineProbe probe;
  copy.transport().irq().connect(probe.sink());
  std::string error;
  ASSERT_TRUE(load(copy.transport(), payloads.transport, &error)) << error;
  ASSERT_TRUE(load(copy_rng, payloads.backend, &error)) << error;
  EXPECT_EQ(saved(copy.transport()), payloads.transport);
  EXPECT_EQ(save_virtio(copy, copy_rng).backend, payloads.backend);
  EXPECT_TRUE(copy.transport().irq().level());
  EXPECT_EQ(probe.calls, 1);

  for (uint64_t off :
       {VirtioMmio::kStatus, VirtioMmio::kDeviceFeatures, VirtioMmio::kInterruptStatus,
        VirtioMmio::kConfigGeneration, VirtioMmio::kQueueReady, VirtioMmio::kQueueNumMax,
        VirtioMmio::kQueueDescLow, VirtioMmio::kQueueDriverLow, VirtioMmio::kQueueDeviceLow}) {
    EXPECT_EQ(copy.rd(off), bench.rd(off)) << "register 0x" << std::hex << off;
  }
  EXPECT_EQ(copy.rd(VirtioMmio::kDeviceFeatures), 1u) << "DeviceFeaturesSel 1: VERSION_1";
  EXPECT_EQ(copy.ack_interrupt(), bench.ack_interrupt());
  EXPECT_FALSE(copy.transport().irq().level());
  EXPECT_EQ(probe.calls, 2) << "the acknowledgement lowers the line";

  // The fourth and fifth requests, on both: the same used entries and the same bytes, which
  // are not the stream's first bytes.
  for (uint16_t n = 3; n < 5; ++n) {
    for (VirtioBench* b : {&bench, &copy}) {
      raw_submit(*b, kRngQueue, n, n, {{kRngBuf + 0x1000 + 0x100 * n, 48, true}});
    }
    ASSERT_EQ(raw_used_idx(copy), n + 1);
    EXPECT_EQ(raw_used(copy, kRngQueue, n).id, bench.used(0, n).id);
    EXPECT_EQ(raw_used(copy, kRngQueue, n).len, 48u);
    EXPECT_EQ(copy.get(kRngBuf + 0x1000 + 0x100 * n, 48),
              bench.get(kRngBuf + 0x1000 + 0x100 * n, 48));
    EXPECT_EQ(copy.transport().irq().level(), bench.transport().irq().level());
    EXPECT_TRUE(probe.last);
  }
  std::vector<uint8_t> first(48);
  SeededEntropy(99).fill(first);
  EXPECT_NE(copy.get(kRngBuf + 0x1300, 48), first);
  EXPECT_FALSE(copy.needs_reset());
}

TEST(VirtioState, RestoredErrorStateHoldsUntilTheDriverResets) {
  VirtioRng rng(5);
  VirtioBench bench(&rng);
  bench.init({kRngQueue});
  bench.submit(0, {{kRngBuf, 16, true}});
  bench.ack_interrupt();
  // A request that names a descriptor outside the table: DEVICE_NEEDS_RESET, config interrupt.
  bench.st(VirtioBench::avail_area(0) + 4 + 2, 2, 200);
  bench.st(VirtioBench::avail_area(0) + 2, 2, 2);
  bench.notify(0);
  ASSERT_TRUE(bench.needs_reset());
  const VirtioPayloads payloads = save_virtio(bench, rng);

  VirtioRng copy_rng(5);
  VirtioBench copy(&copy_rng);
  copy_ram(bench, copy);
  std::string error;
  ASSERT_TRUE(load(copy.transport(), payloads.transport, &error)) << error;
  ASSERT_TRUE(load(copy_rng, payloads.backend, &error)) << error;
  EXPECT_TRUE(copy.needs_reset());
  EXPECT_EQ(copy.transport().error_reason(), bench.transport().error_reason());
  EXPECT_TRUE(copy.transport().queue(0).broken());
  EXPECT_EQ(copy.ack_interrupt(), VirtioMmio::kIntConfig);
  // Notifications stay ignored; a reset and a new initialisation bring the device back.
  copy.st(VirtioBench::avail_area(0) + 4 + 2, 2, 1);
  copy.notify(0);
  EXPECT_EQ(raw_used_idx(copy), 1u);
  copy.init({kRngQueue});
  EXPECT_FALSE(copy.needs_reset());
  copy.submit(0, {{kRngBuf + 0x800, 16, true}});
  EXPECT_EQ(copy.used_idx(0), 1u);
  EXPECT_EQ(copy.used(0, 0).len, 16u);
}

TEST(VirtioState, TruncatedOrImpossibleTransportPayloadsAreRefused) {
  VirtioRng rng(99);
  VirtioBench bench(&rng);
  drive_rng(bench);
  const Payload payload = saved(bench.transport());
  ASSERT_EQ(payload.size(), kMmioQueue + 43);
  const Loader loader = [](std::span<const uint8_t> bytes) {
    VirtioRng fresh_rng(99);
    VirtioBench fresh(&fresh_rng);
    return load(fresh.transport(), bytes);
  };
  expect_only_whole_payload_loads(payload, loader);

  const uint32_t status = static_cast<uint32_t>(bench.rd(VirtioMmio::kStatus));
  const size_t q = kMmioQueue;
  // A running queue of 3 entries, of 128 (> QueueNumMax 64), with a misaligned table.
  EXPECT_FALSE(loader(patched(payload, q + kQueueNum, 4, 3)));
  EXPECT_FALSE(loader(patched(payload, q + kQueueNum, 4, 128)));
  EXPECT_FALSE(loader(patched(payload, q + kQueueDesc, 8, VirtioBench::desc_area(0) + 8)));
  EXPECT_TRUE(loader(patched(payload, q + kQueueNum, 4, 64))) << "64 entries is allowed";
  // A stopped queue may hold anything the driver wrote, but no pending notification.
  Payload stopped = patched(patched(payload, q + kQueueReady, 1, 0), q + kQueuePending, 1, 0);
  EXPECT_TRUE(loader(patched(stopped, q + kQueueNum, 4, 3)));
  EXPECT_FALSE(loader(patched(stopped, q + kQueuePending, 1, 1)));
  // A broken queue without DEVICE_NEEDS_RESET, and the other way round.
  EXPECT_FALSE(loader(patched(payload, q + kQueueBroken, 1, 1)));
  EXPECT_FALSE(loader(patched(payload, kMmioStatus, 4, status | kVirtioStatusDeviceNeedsReset)));
  // FEATURES_OK with a feature never offered, or without VERSION_1.
  EXPECT_FALSE(loader(
      patched(payload, kMmioDriverFeatures, 8, virtio_bit(kVirtioFVersion1) | virtio_bit(60))));
  EXPECT_FALSE(loader(patched(payload, kMmioDriverFeatures, 8, 0)));
  // InterruptStatus bit 2; a level that disagrees; an error reason of 2^40 bytes.
  EXPECT_FALSE(loader(patched(payload, kMmioInterruptStatus, 4, 5)));
  EXPECT_FALSE(loader(patched(payload, kMmioLevel, 1, 0)));
  EXPECT_FALSE(loader(patched(payload, kMmioErrorLength, 8, uint64_t{1} << 40)));
}

TEST(VirtioState, ASlotRestoresOnlyTheSameKindOfDevice) {
  VirtioRng rng(1);
  VirtioBench rng_bench(&rng);
  VirtioBench empty_bench(nullptr);
  MemoryBlockStorage disk(std::vector<uint8_t>(4096));
  VirtioBlk blk(disk);
  VirtioBench blk_bench(&blk);
  const Payload rng_payload = saved(rng_bench.transport());
  const Payload empty_payload = saved(empty_bench.transport());
  const Payload blk_payload = saved(blk_bench.transport());
  EXPECT_EQ(empty_payload.size(), 5u);

  std::string error;
  EXPECT_FALSE(load(empty_bench.transport(), rng_payload, &error));
  EXPECT_NE(error.find("virtio device 4"), std::string::npos) << error;
  EXPECT_FALSE(load(rng_bench.transport(), empty_payload));
  EXPECT_FALSE(load(rng_bench.transport(), blk_payload));
  EXPECT_FALSE(load(blk_bench.transport(), rng_payload));
  EXPECT_TRUE(load(empty_bench.transport(), empty_payload));
  EXPECT_TRUE(load(blk_bench.transport(), blk_payload));
  expect_only_whole_payload_loads(empty_payload, [](std::span<const uint8_t> bytes) {
    VirtioBench fresh(nullptr);
    return load(fresh.transport(), bytes);
  });
}

TEST(VirtioState, RngRefusesImpossibleGeneratorStates) {
  VirtioRng rng(3);
  const Payload payload = [&] {
    StateWriter w;
    rng.save(w);
    return w.take();
  }();
  ASSERT_EQ(payload.size(), 33u);
  const Loader loader = [](std::span<const uint8_t> bytes) {
    VirtioRng fresh(0);
    return load(fresh, bytes);
  };
  expect_only_whole_payload_loads(payload, loader);
  Payload zeros(33, 0);
  zeros[0] = 1;
  EXPECT_FALSE(loader(zeros)) << "xoshiro256** never reaches all zeros";
  VirtioRng embedder([](std::span<uint8_t> out) { std::fill(out.begin(), out.end(), 7); });
  EXPECT_FALSE(load(embedder, payload)) << "a seeded stream into an embedder's source";
  StateWriter w;
  embedder.save(w);
  EXPECT_EQ(w.data(), Payload{0});
  EXPECT_FALSE(loader(w.data())) << "an embedder's source into a seeded device";
}

TEST(VirtioState, RestoredBlkTransportServesTheNextRequestAndChecksTheDisk) {
  std::vector<uint8_t> image(64 * 512);
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<uint8_t>(i * 13 + (i >> 9));
  MemoryBlockStorage disk(image);
  VirtioBlk blk(disk);
  VirtioBench bench(&blk);
  constexpr uint64_t kHeader = VirtioBench::kData, kStatus = kHeader + 0x100,
                     kBuffer = kHeader + 0x1000;
  auto put_header = [&](VirtioBench& b, uint64_t sector) {
    std::vector<uint8_t> h(16, 0);
    for (int i = 0; i < 8; ++i) h[8 + i] = static_cast<uint8_t>(sector >> (8 * i));
    b.put(kHeader, h);
  };
  bench.init({16});
  put_header(bench, 2);
  bench.submit(0, {{kHeader, 16, false}, {kBuffer, 512, true}, {kStatus, 1, true}});
  ASSERT_EQ(bench.used_idx(0), 1u);
  const VirtioPayloads payloads = save_virtio(bench, blk);
  EXPECT_EQ(payloads.backend.size(), 9u);

  MemoryBlockStorage copy_disk(image);
  VirtioBlk copy_blk(copy_disk);
  VirtioBench copy(&copy_blk);
  copy_ram(bench, copy);
  std::string error;
  ASSERT_TRUE(load(copy.transport(), payloads.transport, &error)) << error;
  ASSERT_TRUE(load(copy_blk, payloads.backend, &error)) << error;
  for (VirtioBench* b : {&bench, &copy}) {
    put_header(*b, 9);
    b->st(kStatus, 1, 0xff);
    raw_submit(*b, 16, 3, 1,
               {{kHeader, 16, false}, {kBuffer + 0x400, 1024, true}, {kStatus, 1, true}});
  }
  ASSERT_EQ(raw_used_idx(copy), 2u);
  EXPECT_EQ(raw_used(copy, 16, 1).id, 3u);
  EXPECT_EQ(raw_used(copy, 16, 1).len, 1025u);
  EXPECT_EQ(bench.used(0, 1).len, 1025u);
  EXPECT_EQ(copy.get(kBuffer + 0x400, 1024),
            std::vector<uint8_t>(image.begin() + 9 * 512, image.begin() + 11 * 512));
  EXPECT_EQ(copy.get(kStatus, 1), std::vector<uint8_t>{VirtioBlk::kSOk});

  expect_only_whole_payload_loads(payloads.backend, [&](std::span<const uint8_t> bytes) {
    VirtioBlk fresh(copy_disk);
    return load(fresh, bytes);
  });
  MemoryBlockStorage smaller(std::vector<uint8_t>(63 * 512));
  VirtioBlk small_blk(smaller);
  EXPECT_FALSE(load(small_blk, payloads.backend)) << "another capacity";
  MemoryBlockStorage read_only(image, /*read_only=*/true);
  VirtioBlk ro_blk(read_only);
  EXPECT_FALSE(load(ro_blk, payloads.backend)) << "read-only now";
}

// -- The board's Device wrappers -----------------------------------------------------------------

std::unique_ptr<Device> create(FakeBoard& board, const std::string& text) {
  return testing::create_device(board, text);
}

TEST(DeviceStateWrappers, EachBoardDeviceSavesAndRestoresItsModel) {
  struct Case {
    const char* text;
    uint64_t reg;  ///< a register that keeps what is written (0: none)
    unsigned size;
    uint64_t value;
  };
  const Case cases[] = {
      {"ns16550a,addr=0x10000000,irq=10", 0x10000007, 1, 0x5a},  // SCR
      {"clint", 0x2004000, 8, 0x123456789},                      // mtimecmp[0]
      {"plic", 0xc000004, 4, 6},                                 // priority of source 1
      {"goldfish_rtc", 0x10100c, 4, 0x42},                       // ALARM_HIGH
      {"virtio-mmio,addr=0x10001000,irq=1", 0, 0, 0},
      {"sifive_test", 0, 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    FakeBoard board, copy_board;
    auto dev = create(board, c.text);
    auto copy = create(copy_board, c.text);
    ASSERT_TRUE(dev && copy);
    ASSERT_EQ(dev->state_version(), 1u);
    if (c.reg) {
      ASSERT_EQ(board.system_as().store(c.reg, c.size, c.value), MemTxResult::Ok);
    }
    StateWriter w;
    dev->save_state(w);
    StateReader r(w.data(), "device/0");
    copy->load_state(r, 1);
    EXPECT_TRUE(r.finish()) << r.error();
    if (c.reg) {
      uint64_t v = 0;
      ASSERT_EQ(copy_board.system_as().load(c.reg, c.size, v), MemTxResult::Ok);
      EXPECT_EQ(v, c.value);
    }
    StateReader future(w.data(), "device/0");
    copy->load_state(future, 2);
    EXPECT_FALSE(future.ok()) << "version 2 is not known";
    board.unmap_all();
    copy_board.unmap_all();
  }
}

}  // namespace
}  // namespace glassvm
