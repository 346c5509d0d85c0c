#include "engine/devices/uart16550.h"

namespace glassvm {

Uart16550::Uart16550(TxSink tx) : tx_(std::move(tx)) {
  MemoryRegionOps ops;
  ops.read = [this](uint64_t offset, unsigned, uint64_t& value, MemTxAttrs attrs) {
    value = read_reg(static_cast<unsigned>(offset & 7), attrs.debug);
    return MemTxResult::Ok;
  };
  ops.write = [this](uint64_t offset, unsigned, uint64_t value, MemTxAttrs) {
    write_reg(static_cast<unsigned>(offset & 7), static_cast<uint8_t>(value));
    return MemTxResult::Ok;
  };
  // QEMU's serial_mm: any size up to 8 reaches the byte register at the access's offset.
  ops.valid = {1, 8, false};
  ops.impl = {1, 8, false};
  mmio_.init_io("serial", kMmioSize, std::move(ops));
  reset();
}

void Uart16550::reset() {
  rx_head_ = 0;
  rx_count_ = 0;
  divisor_ = 0x0c;  // 9600 baud from the 1.8432 MHz reference
  ier_ = 0;
  fcr_ = 0;
  lcr_ = 0;
  mcr_ = kMcrOut2;
  lsr_errors_ = 0;
  msr_delta_ = 0;
  scr_ = 0;
  thr_ipending_ = false;
  listening_ = false;
  update_irq();
}

unsigned Uart16550::rx_trigger_level() const {
  static constexpr unsigned kLevels[4] = {1, 4, 8, 14};
  return kLevels[fcr_ >> 6];
}

uint8_t Uart16550::modem_lines() const {
  if (mcr_ & kMcrLoop) {
    // Loopback wires the modem outputs to the inputs: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
    uint8_t lines = 0;
    if (mcr_ & kMcrRts) lines |= kMsrCts;
    if (mcr_ & kMcrDtr) lines |= kMsrDsr;
    if (mcr_ & kMcrOut1) lines |= kMsrRi;
    if (mcr_ & kMcrOut2) lines |= kMsrDcd;
    return lines;
  }
  // The host side is a terminal that is always there and always ready.
  return kMsrDcd | kMsrDsr | kMsrCts;
}

uint8_t Uart16550::compute_iir() const {
  uint8_t id = kIirNoInt;
  if ((ier_ & kIerRlsi) && (lsr_errors_ & kLsrOe)) {
    id = kIirRlsi;
  } else if ((ier_ & kIerRdi) && rx_count_ > 0) {
    id = (fifo_enabled() && rx_count_ < rx_trigger_level()) ? kIirCti : kIirRdi;
  } else if ((ier_ & kIerThri) && thr_ipending_) {
    id = kIirThri;
  } else if ((ier_ & kIerMsi) && msr_delta_) {
    id = kIirMsi;
  }
  return id | (fifo_enabled() ? kIirFifoEnabled : 0);
}

void Uart16550::update_irq() {
  irq_.set((compute_iir() & kIirNoInt) == 0);
}

bool Uart16550::can_receive() const {
  if (!listening_ || (mcr_ & kMcrLoop)) return false;
  return fifo_enabled() ? rx_count_ < kFifoSize : rx_count_ == 0;
}

void Uart16550::push_rx(uint8_t byte) {
  if (!fifo_enabled()) {
    // 16450 mode: a single holding register; a new byte overwrites an unread one.
    if (rx_count_ > 0) {
      lsr_errors_ |= kLsrOe;
      rx_[rx_head_] = byte;
      return;
    }
  } else if (rx_count_ == kFifoSize) {
    lsr_errors_ |= kLsrOe;  // the FIFO keeps its contents; the new byte is lost
    return;
  }
  rx_[(rx_head_ + rx_count_) % kFifoSize] = byte;
  rx_count_++;
}

void Uart16550::receive(uint8_t byte) {
  if (mcr_ & kMcrLoop) return;
  push_rx(byte);
  update_irq();
}

void Uart16550::transmit(uint8_t byte) {
  if (mcr_ & kMcrLoop) {
    push_rx(byte);
  } else if (tx_) {
    tx_(byte);
  }
}

uint8_t Uart16550::read_reg(unsigned reg, bool debug) {
  switch (reg & 7) {
    case kRbr: {
      if (lcr_ & kLcrDlab) return static_cast<uint8_t>(divisor_);
      if (!debug) listening_ = true;
      if (rx_count_ == 0) return 0;
      uint8_t byte = rx_[rx_head_];
      if (!debug) {
        rx_head_ = (rx_head_ + 1) % kFifoSize;
        rx_count_--;
        update_irq();
      }
      return byte;
    }
    case kIer:
      if (lcr_ & kLcrDlab) return static_cast<uint8_t>(divisor_ >> 8);
      return ier_;
    case kIir: {
      uint8_t iir = compute_iir();
      // Reading IIR while it reports THR empty acknowledges that interrupt.
      if (!debug && (iir & 0x0f) == kIirThri) {
        thr_ipending_ = false;
        update_irq();
      }
      return iir;
    }
    case kLcr: return lcr_;
    case kMcr: return mcr_;
    case kLsr: {
      if (!debug) listening_ = true;
      uint8_t lsr = lsr_errors_ | kLsrThre | kLsrTemt | (rx_count_ > 0 ? kLsrDr : 0);
      if (!debug && lsr_errors_) {
        lsr_errors_ = 0;  // reading LSR clears the error bits
        update_irq();
      }
      return lsr;
    }
    case kMsr: {
      uint8_t msr = modem_lines() | msr_delta_;
      if (!debug && msr_delta_) {
        msr_delta_ = 0;
        update_irq();
      }
      return msr;
    }
    case kScr: return scr_;
  }
  return 0;
}

void Uart16550::write_reg(unsigned reg, uint8_t value) {
  switch (reg & 7) {
    case kThr:
      if (lcr_ & kLcrDlab) {
        divisor_ = static_cast<uint16_t>((divisor_ & 0xff00) | value);
        return;
      }
      thr_ipending_ = false;
      transmit(value);
      // The byte left at once: the holding register is empty again.
      thr_ipending_ = true;
      break;
    case kIer: {
      if (lcr_ & kLcrDlab) {
        divisor_ = static_cast<uint16_t>((divisor_ & 0x00ff) | (value << 8));
        return;
      }
      uint8_t changed = (ier_ ^ value) & kIerThri;
      ier_ = value & 0x0f;
      if (ier_ & kIerRdi) listening_ = true;
      // Enabling THRI with THR empty raises the interrupt even if it was acknowledged before.
      if (changed) thr_ipending_ = (ier_ & kIerThri) != 0;
      break;
    }
    case kFcr: {
      uint8_t v = value;
      if ((v ^ fcr_) & kFcrEnable) v |= kFcrClearRx | kFcrClearTx;
      if (v & kFcrClearRx) {
        rx_head_ = 0;
        rx_count_ = 0;
      }
      // The transmit FIFO is always empty (see the design note), so clearing it is a no-op.
      fcr_ = v & 0xc9;
      break;
    }
    case kLcr: lcr_ = value; return;
    case kMcr: {
      uint8_t old_lines = modem_lines();
      mcr_ = value & 0x1f;
      uint8_t new_lines = modem_lines();
      uint8_t changed = old_lines ^ new_lines;
      if (changed & kMsrCts) msr_delta_ |= kMsrDcts;
      if (changed & kMsrDsr) msr_delta_ |= kMsrDdsr;
      if (changed & kMsrDcd) msr_delta_ |= kMsrDdcd;
      if ((old_lines & kMsrRi) && !(new_lines & kMsrRi)) msr_delta_ |= kMsrTeri;
      break;
    }
    case kLsr: return;  // read-only (factory test register on some parts)
    case kMsr: return;  // read-only
    case kScr: scr_ = value; return;
  }
  update_irq();
}

// Snapshot payload (version 1): u16 divisor; u8 IER, FCR, LCR, MCR, LSR errors, MSR deltas, SCR;
// THR-empty pending, listening (booleans); u64 count and that many received bytes, oldest
// first; the interrupt level (boolean).
void Uart16550::save(StateWriter& w) const {
  w.u16(divisor_);
  w.u8(ier_);
  w.u8(fcr_);
  w.u8(lcr_);
  w.u8(mcr_);
  w.u8(lsr_errors_);
  w.u8(msr_delta_);
  w.u8(scr_);
  w.boolean(thr_ipending_);
  w.boolean(listening_);
  w.u64(rx_count_);
  for (unsigned i = 0; i < rx_count_; ++i) w.u8(rx_[(rx_head_ + i) % kFifoSize]);
  w.boolean(irq_.level());
}

void Uart16550::load(StateReader& r) {
  const uint16_t divisor = r.u16();
  const uint8_t ier = r.u8(), fcr = r.u8(), lcr = r.u8(), mcr = r.u8();
  const uint8_t lsr_errors = r.u8(), msr_delta = r.u8(), scr = r.u8();
  const bool thr_ipending = r.boolean();
  const bool listening = r.boolean();
  const unsigned count = static_cast<unsigned>(r.bounded(kFifoSize, "receive FIFO length"));
  std::array<uint8_t, kFifoSize> rx{};
  for (unsigned i = 0; i < count; ++i) rx[i] = r.u8();
  const bool level = r.boolean();
  if (!r.ok()) return;
  // The masks write_reg() applies, and what push_rx() lets the FIFO hold.
  if (ier & ~0x0f) return r.fail("IER has bits that do not exist");
  if (fcr & ~0xc9) return r.fail("FCR has bits that are not kept");
  if (mcr & ~0x1f) return r.fail("MCR has bits that do not exist");
  if (lsr_errors & ~kLsrOe) return r.fail("LSR has error bits the UART never sets");
  if (msr_delta & ~0x0f) return r.fail("MSR deltas have bits that are not deltas");
  if (!(fcr & kFcrEnable) && count > 1) {
    return r.fail("more than one received byte without the FIFO");
  }
  divisor_ = divisor;
  ier_ = ier;
  fcr_ = fcr;
  lcr_ = lcr;
  mcr_ = mcr;
  lsr_errors_ = lsr_errors;
  msr_delta_ = msr_delta;
  scr_ = scr;
  thr_ipending_ = thr_ipending;
  listening_ = listening;
  rx_ = rx;
  rx_head_ = 0;
  rx_count_ = count;
  const bool computed = (compute_iir() & kIirNoInt) == 0;
  irq_.restore_level(computed);
  if (level != computed) r.fail("the interrupt level disagrees with the registers");
}

}  // namespace glassvm
