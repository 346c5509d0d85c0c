// The ns16550a UART of the virt board ("serial" at 0x1000_0000, 8 byte-wide registers).
//
// Design note: transmission is instantaneous. A byte written to THR goes to the TX sink (or,
// in loopback mode, straight back into the receiver) during the write, so THRE and TEMT are
// set again by the time the guest can look, and the transmit FIFO never holds anything.
// The line is modelled as idle as soon as the host has delivered its input: data that sits in
// the receive FIFO below the trigger level is reported at once as a character timeout
// (IIR = 0xC), which is what a real 16550A reports four character times later. This keeps the
// model free of timers and deterministic, and drivers handle both indications the same way.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

#include "engine/base/irq.h"
#include "engine/base/snapshot.h"
#include "engine/memory/memory.h"

namespace glassvm {

/// A 16550A UART with 16-byte FIFOs, DLAB divisor latch, loopback and one interrupt output.
class Uart16550 {
 public:
  /// Receives every byte the guest transmits (outside loopback mode).
  using TxSink = std::function<void(uint8_t byte)>;

  static constexpr uint64_t kMmioSize = 8;  ///< as QEMU's virt "serial" region
  static constexpr size_t kFifoSize = 16;

  /// Register offsets (16550 datasheet names). DLL/DLM replace RBR/THR/IER while LCR.DLAB=1.
  static constexpr uint64_t kRbr = 0, kThr = 0, kDll = 0;
  static constexpr uint64_t kIer = 1, kDlm = 1;
  static constexpr uint64_t kIir = 2, kFcr = 2;
  static constexpr uint64_t kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6, kScr = 7;

  /// Register bits.
  static constexpr uint8_t kIerRdi = 0x01, kIerThri = 0x02, kIerRlsi = 0x04, kIerMsi = 0x08;
  static constexpr uint8_t kIirNoInt = 0x01, kIirMsi = 0x00, kIirThri = 0x02, kIirRdi = 0x04,
                           kIirRlsi = 0x06, kIirCti = 0x0c, kIirFifoEnabled = 0xc0;
  static constexpr uint8_t kFcrEnable = 0x01, kFcrClearRx = 0x02, kFcrClearTx = 0x04;
  static constexpr uint8_t kLcrDlab = 0x80;
  static constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08,
                           kMcrLoop = 0x10;
  static constexpr uint8_t kLsrDr = 0x01, kLsrOe = 0x02, kLsrThre = 0x20, kLsrTemt = 0x40;
  static constexpr uint8_t kMsrDcts = 0x01, kMsrDdsr = 0x02, kMsrTeri = 0x04, kMsrDdcd = 0x08,
                           kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40, kMsrDcd = 0x80;

  /// A UART in its reset state whose transmitted bytes go to `tx` (may be empty: dropped).
  explicit Uart16550(TxSink tx = {});
  Uart16550(const Uart16550&) = delete;
  Uart16550& operator=(const Uart16550&) = delete;

  /// The register block, to be mapped by the board. Any access the bus lets through is
  /// handled; accesses wider than a byte address the one register at their offset.
  MemoryRegion& mmio() { return mmio_; }
  /// The interrupt output (level: high while IIR reports an interrupt).
  IrqLine& irq() { return irq_; }
  /// Replaces the TX sink.
  void set_tx_sink(TxSink tx) { tx_ = std::move(tx); }

  /// Whether one more byte of host input fits without overrun. False in loopback mode,
  /// where the receiver listens only to the transmitter, and false until the guest shows a
  /// driver is listening (it reads LSR or RBR, or enables the receive interrupt), so that host
  /// input typed during boot is held back instead of being dropped by the driver's FIFO reset.
  bool can_receive() const;
  /// Delivers one byte from the host line. If the receiver is full the byte is lost and
  /// LSR.OE is set (in non-FIFO mode the holding register is overwritten, as on a 16450);
  /// in loopback mode the byte is ignored.
  void receive(uint8_t byte);

  /// Back to the power-on state (FIFOs emptied, interrupt lowered).
  void reset();

  /// Reads register `reg` (0..7) as the guest would; `debug` reads have no side effects.
  uint8_t read_reg(unsigned reg, bool debug = false);
  /// Writes register `reg` (0..7) as the guest would.
  void write_reg(unsigned reg, uint8_t value);

  /// The version of the state save() writes.
  static constexpr uint32_t kStateVersion = 1;
  /// Writes the registers, the received bytes still queued and the interrupt level (not the
  /// TX sink).
  void save(StateWriter& w) const;
  /// Restores what save() wrote. On a value the UART could not have reached by itself (a bit
  /// outside a register's implemented bits, more queued bytes than the FIFO holds, an
  /// interrupt level that disagrees with the registers) fails `r` and may leave the UART
  /// half-restored. The interrupt line is set without telling its receiver.
  void load(StateReader& r);

 private:
  void push_rx(uint8_t byte);
  void transmit(uint8_t byte);
  uint8_t compute_iir() const;
  uint8_t modem_lines() const;
  void update_irq();
  unsigned rx_trigger_level() const;
  bool fifo_enabled() const { return (fcr_ & kFcrEnable) != 0; }

  MemoryRegion mmio_;
  IrqLine irq_;
  TxSink tx_;

  std::array<uint8_t, kFifoSize> rx_{};
  unsigned rx_head_ = 0;
  unsigned rx_count_ = 0;

  uint16_t divisor_ = 0;
  uint8_t ier_ = 0;
  uint8_t fcr_ = 0;  ///< the sticky bits: enable, DMA mode, trigger level
  uint8_t lcr_ = 0;
  uint8_t mcr_ = 0;
  uint8_t lsr_errors_ = 0;  ///< OE (the other error bits are never produced)
  uint8_t msr_delta_ = 0;   ///< MSR bits 0..3
  uint8_t scr_ = 0;
  bool thr_ipending_ = false;
  bool listening_ = false;  ///< a driver has shown interest in received data (can_receive)
};

}  // namespace glassvm
