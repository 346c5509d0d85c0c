// The devices of the GlassVM (= QEMU) `virt` board as a guest driver sees them: addresses
// and small register helpers for the ns16550a UART, the CLINT, the PLIC and the sifive test
// device. Everything is a static inline over volatile MMIO accesses.
#pragma once

#include <stdint.h>

// -- Addresses (DESIGN.md section 1) --
#define VIRT_TEST_BASE 0x00100000ul
#define VIRT_RTC_BASE 0x00101000ul
#define VIRT_CLINT_BASE 0x02000000ul
#define VIRT_PLIC_BASE 0x0c000000ul
#define VIRT_UART_BASE 0x10000000ul
#define VIRT_UART_IRQ 10
#define VIRT_TIMEBASE_HZ 10000000ul

static inline uint8_t mmio_read8(uintptr_t a) {
  return *(volatile uint8_t*)a;
}
static inline void mmio_write8(uintptr_t a, uint8_t v) {
  *(volatile uint8_t*)a = v;
}
static inline uint32_t mmio_read32(uintptr_t a) {
  return *(volatile uint32_t*)a;
}
static inline void mmio_write32(uintptr_t a, uint32_t v) {
  *(volatile uint32_t*)a = v;
}
static inline uint64_t mmio_read64(uintptr_t a) {
  return *(volatile uint64_t*)a;
}
static inline void mmio_write64(uintptr_t a, uint64_t v) {
  *(volatile uint64_t*)a = v;
}

// -- CSR access --
#define csr_read(csr)                              \
  ({                                               \
    uint64_t v_;                                   \
    __asm__ volatile("csrr %0, " #csr : "=r"(v_)); \
    v_;                                            \
  })
#define csr_write(csr, v) __asm__ volatile("csrw " #csr ", %0" ::"rK"((uint64_t)(v)))
#define csr_set(csr, v) __asm__ volatile("csrs " #csr ", %0" ::"rK"((uint64_t)(v)))
#define csr_clear(csr, v) __asm__ volatile("csrc " #csr ", %0" ::"rK"((uint64_t)(v)))

#define MSTATUS_MIE (1ul << 3)
#define MSTATUS_MPIE (1ul << 7)
#define MSTATUS_MPP (3ul << 11)
#define MIP_MSIP (1ul << 3)
#define MIP_MTIP (1ul << 7)
#define MIP_MEIP (1ul << 11)
#define MCAUSE_INTERRUPT (1ul << 63)

static inline void wfi(void) {
  __asm__ volatile("wfi");
}

// -- ns16550a UART (registers one byte apart) --
enum {
  UART_RBR = 0,  // receive buffer (read, DLAB=0)
  UART_THR = 0,  // transmit holding (write, DLAB=0)
  UART_IER = 1,  // interrupt enable
  UART_IIR = 2,  // interrupt identification (read)
  UART_FCR = 2,  // FIFO control (write)
  UART_LCR = 3,  // line control
  UART_MCR = 4,  // modem control (bit 4: loopback)
  UART_LSR = 5,  // line status
  UART_MSR = 6,
  UART_SCR = 7,
};
#define UART_IER_RDI 0x01   // receiver data available
#define UART_IER_THRI 0x02  // transmitter holding register empty
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_MCR_LOOP 0x10
#define UART_IIR_NO_INT 0x01

static inline uint8_t uart_reg_read(unsigned r) {
  return mmio_read8(VIRT_UART_BASE + r);
}
static inline void uart_reg_write(unsigned r, uint8_t v) {
  mmio_write8(VIRT_UART_BASE + r, v);
}

/// 8N1, FIFOs enabled, no interrupts.
static inline void uart_init(void) {
  uart_reg_write(UART_IER, 0);
  uart_reg_write(UART_LCR, 0x03);
  uart_reg_write(UART_FCR, 0x07);
  uart_reg_write(UART_MCR, 0);
}

/// Writes one byte, waiting (bounded) for room in the transmitter.
static inline void uart_putc(char c) {
  for (int i = 0; i < 1000000 && !(uart_reg_read(UART_LSR) & UART_LSR_THRE); i++) {
  }
  uart_reg_write(UART_THR, (uint8_t)c);
}

/// One received byte, or -1 if none is waiting.
static inline int uart_getc(void) {
  if (!(uart_reg_read(UART_LSR) & UART_LSR_DR)) return -1;
  return uart_reg_read(UART_RBR);
}

// -- CLINT (hart 0) --
#define CLINT_MSIP (VIRT_CLINT_BASE + 0x0)
#define CLINT_MTIMECMP (VIRT_CLINT_BASE + 0x4000)
#define CLINT_MTIME (VIRT_CLINT_BASE + 0xbff8)

static inline uint64_t clint_mtime(void) {
  return mmio_read64(CLINT_MTIME);
}
static inline void clint_set_mtimecmp(uint64_t v) {
  mmio_write64(CLINT_MTIMECMP, v);
}
static inline void clint_set_msip(int on) {
  mmio_write32(CLINT_MSIP, on ? 1 : 0);
}

// -- PLIC (context 0 = hart 0 M-mode) --
#define PLIC_PRIORITY(src) (VIRT_PLIC_BASE + 4ul * (src))
#define PLIC_PENDING (VIRT_PLIC_BASE + 0x1000)
#define PLIC_ENABLE(ctx) (VIRT_PLIC_BASE + 0x2000 + 0x80ul * (ctx))
#define PLIC_THRESHOLD(ctx) (VIRT_PLIC_BASE + 0x200000 + 0x1000ul * (ctx))
#define PLIC_CLAIM(ctx) (VIRT_PLIC_BASE + 0x200004 + 0x1000ul * (ctx))

/// Gives `src` priority `prio` and enables it for context 0 with threshold 0.
static inline void plic_enable(unsigned src, unsigned prio) {
  mmio_write32(PLIC_PRIORITY(src), prio);
  uintptr_t en = PLIC_ENABLE(0) + 4 * (src / 32);
  mmio_write32(en, mmio_read32(en) | (1u << (src % 32)));
  mmio_write32(PLIC_THRESHOLD(0), 0);
}
static inline unsigned plic_claim(void) {
  return mmio_read32(PLIC_CLAIM(0));
}
static inline void plic_complete(unsigned src) {
  mmio_write32(PLIC_CLAIM(0), src);
}

// -- sifive test device --
/// Powers the machine off with exit status 0 (or `code` through the fail encoding).
__attribute__((noreturn)) static inline void test_device_exit(unsigned code) {
  mmio_write32(VIRT_TEST_BASE, code == 0 ? 0x5555 : ((code << 16) | 0x3333));
  for (;;) wfi();
}
