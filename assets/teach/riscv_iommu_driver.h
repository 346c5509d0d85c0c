// The RISC-V IOMMU (RISC-V IOMMU Architecture Specification 1.0) and edu-dma as the teaching
// programs' driver sees them: register and structure layouts, the queues' memory, the device
// tree lookup, commands (IOTINVAL.VMA, IOFENCE.C) and one edu-dma copy. Shared by
// riscv_iommu.c and dma_fault.c; everything is static (each program is one translation unit).
//
// Physical = virtual: the programs run in M-mode without paging. Everything is polled, with a
// bound, as a driver on hardware must.
#pragma once

#include "edu_dma.h"
#include "fdt.h"
#include "lesson.h"
#include "platform.h"
#include "rt.h"

// ---------------------------------------------------------------------------------------------
// The RISC-V IOMMU as a driver sees it (specification chapters 2, 3 and 5)
// ---------------------------------------------------------------------------------------------

// Registers (chapter 5), offsets in the 4 KiB block.
#define IOMMU_CAPABILITIES 0x000
#define IOMMU_FCTL 0x008
#define IOMMU_DDTP 0x010
#define IOMMU_CQB 0x018
#define IOMMU_CQH 0x020
#define IOMMU_CQT 0x024
#define IOMMU_FQB 0x028
#define IOMMU_FQH 0x030
#define IOMMU_FQT 0x034
#define IOMMU_CQCSR 0x048
#define IOMMU_FQCSR 0x04c
#define IOMMU_IPSR 0x054

#define CAP_VERSION(c) ((c)&0xff)
#define CAP_SV39 (1ul << 9)
#define CAP_SV48 (1ul << 10)
#define CAP_ATS (1ul << 25)
#define CAP_IGS(c) (((c) >> 28) & 3)
#define CAP_PAS(c) (((c) >> 32) & 0x3f)

#define DDTP_MODE_OFF 0
#define DDTP_MODE_BARE 1
#define DDTP_MODE_1LVL 2
#define DDTP_BUSY (1ul << 4)
#define PPN_FIELD(pa) (((pa) >> 12) << 10) /* ddtp, cqb, fqb: PPN at bits 53:10 */

#define QCSR_EN (1u << 0)
#define QCSR_IE (1u << 1)
#define QCSR_MF (1u << 8)
#define CQCSR_CMD_ILL (1u << 10)
#define QCSR_ON (1u << 16)
#define QCSR_BUSY (1u << 17)
#define IPSR_FIP (1u << 1)

// Device context (2.1.2, base format: 32 bytes).
#define DC_TC_V (1ul << 0)
#define DC_TC_EN_ATS (1ul << 1)
#define DC_TA_PSCID(id) ((uint64_t)(id) << 12)
#define IOSATP_SV39 (8ul << 60)

// First-stage (Sv39) PTE bits.
#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_U (1ul << 4)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)
#define PTE_TO(pa) (((uint64_t)(pa) >> 12) << 10)

// Commands (3.1): 16 bytes, opcode in bits 6:0, func3 in 9:7.
#define CMD_IOTINVAL 1
#define CMD_IOFENCE 2
#define CMD_ATS 4
#define IOTINVAL_AV (1ul << 10)
#define IOTINVAL_PSCID(id) ((uint64_t)(id) << 12)
#define IOTINVAL_PSCV (1ul << 32)
#define IOFENCE_AV (1ul << 10)
#define ATS_RID(id) ((uint64_t)(id) << 40)

// Fault records (3.2): 32 bytes.
#define FQ_CAUSE(d0) ((unsigned)((d0)&0xfff))
#define FQ_TTYP(d0) ((unsigned)(((d0) >> 34) & 0x3f))
#define FQ_DID(d0) ((unsigned)((d0) >> 40))
#define CAUSE_READ_PAGE_FAULT 13
#define CAUSE_WRITE_PAGE_FAULT 15
#define TTYP_UNTRANSLATED_READ 2
#define TTYP_UNTRANSLATED_WRITE 3

#define QUEUE_LOG2 4 /* 16 entries in each queue */
#define QUEUE_ENTRIES (1u << QUEUE_LOG2)
#define POLL_LIMIT 100000

#define CAUSE_NAME(c)                                       \
  ((c) == CAUSE_READ_PAGE_FAULT    ? "read page fault"      \
   : (c) == CAUSE_WRITE_PAGE_FAULT ? "write/AMO page fault" \
                                   : "other")
#define TTYP_NAME(t)                                           \
  ((t) == TTYP_UNTRANSLATED_READ    ? "untranslated read"      \
   : (t) == TTYP_UNTRANSLATED_WRITE ? "untranslated write/AMO" \
                                    : "other")

// ---------------------------------------------------------------------------------------------
// Memory the driver gives the IOMMU: the device directory, the queues, the IOFENCE word
// ---------------------------------------------------------------------------------------------

#define PAGE 4096
static uint64_t ddt[PAGE / 8] __attribute__((aligned(PAGE)));  // 128 device contexts
static uint64_t cq[QUEUE_ENTRIES * 2] __attribute__((aligned(PAGE)));
static uint64_t fq[QUEUE_ENTRIES * 4] __attribute__((aligned(PAGE)));
static volatile uint32_t fence_word __attribute__((aligned(8)));

// ---------------------------------------------------------------------------------------------
// Printing (the checks are lesson.h's)
// ---------------------------------------------------------------------------------------------

/// Prints `len` bytes of `p` as text, '.' for what is not printable.
static void print_text(const char* label, const char* p, unsigned len) {
  printf("  %s \"", label);
  for (unsigned i = 0; i < len && p[i]; i++) putchar_console(p[i] >= 32 && p[i] < 127 ? p[i] : '.');
  printf("\"\n");
}

/// Prints a fault record (3.2) in words: cause, transaction type, device id, iotval.
static void print_fault_record(const uint64_t* rec) {
  printf("  fault record: cause = %u (%s), ttyp = %u (%s), did = %u, iotval = 0x%lx\n",
         FQ_CAUSE(rec[0]), CAUSE_NAME(FQ_CAUSE(rec[0])), FQ_TTYP(rec[0]),
         TTYP_NAME(FQ_TTYP(rec[0])), FQ_DID(rec[0]), rec[2]);
}

// ---------------------------------------------------------------------------------------------
// The device tree
// ---------------------------------------------------------------------------------------------

typedef struct {
  uint64_t iommu_base;
  uint32_t iommu_phandle;
  uint64_t edu_base;
  uint32_t edu_irq;
  uint32_t edu_iommu_phandle;
  uint32_t edu_device_id;
  int found_iommu, found_edu, edu_has_iommus;
} Board;

static void find_devices(const FdtNode* node, void* ctx) {
  Board* b = ctx;
  uint64_t size = 0;
  if (fdt_is_compatible(node, "riscv,iommu") && fdt_reg(node, 0, &b->iommu_base, &size)) {
    b->iommu_phandle = node->phandle;
    b->found_iommu = 1;
  }
  if (fdt_is_compatible(node, "glassvm,edu-dma") && fdt_reg(node, 0, &b->edu_base, &size)) {
    b->edu_irq = node->interrupts;
    b->edu_has_iommus = fdt_iommu(node, 0, &b->edu_iommu_phandle, &b->edu_device_id);
    b->found_edu = 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Register access
// ---------------------------------------------------------------------------------------------

static uint64_t g_iommu, g_edu;

static uint64_t iommu_rd64(unsigned off) {
  return mmio_read64(g_iommu + off);
}
static void iommu_wr64(unsigned off, uint64_t v) {
  mmio_write64(g_iommu + off, v);
}
static uint32_t iommu_rd32(unsigned off) {
  return mmio_read32(g_iommu + off);
}
static void iommu_wr32(unsigned off, uint32_t v) {
  mmio_write32(g_iommu + off, v);
}
static uint32_t edu_rd(unsigned off) {
  return mmio_read32(g_edu + off);
}
static void edu_wr(unsigned off, uint32_t v) {
  mmio_write32(g_edu + off, v);
}
/// The IOVA edu-dma's last failed copy stopped at.
static uint64_t edu_fault_addr(void) {
  return edu_rd(EDU_DMA_FAULT_ADDR_LO) | (uint64_t)edu_rd(EDU_DMA_FAULT_ADDR_HI) << 32;
}

/// Waits (boundedly) until `(read32(off) & mask) == want`; returns whether it happened.
/// The driver's side of a fault record: fqh catches up with fqt (the records are read), and
/// ipsr.fip is written 1 to clear; prints and checks that it cleared.
static void consume_fault_records(uint32_t fqt) {
  iommu_wr32(IOMMU_FQH, fqt);
  iommu_wr32(IOMMU_IPSR, IPSR_FIP);
  printf("  fqh = fqt (record consumed), ipsr.fip written 1 to clear -> ipsr = 0x%x\n",
         iommu_rd32(IOMMU_IPSR));
  expect(!(iommu_rd32(IOMMU_IPSR) & IPSR_FIP), "ipsr.fip clears");
}

static int iommu_wait32(unsigned off, uint32_t mask, uint32_t want) {
  for (int i = 0; i < POLL_LIMIT; i++)
    if ((iommu_rd32(off) & mask) == want) return 1;
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The queues and commands
// ---------------------------------------------------------------------------------------------

/// Turns on the fault queue (with its interrupt, fqcsr.fie) and the command queue, printing
/// what the driver writes and what the IOMMU answers. Returns whether both turned on.
static int enable_queues(void) {
  iommu_wr64(IOMMU_FQB, PPN_FIELD((uint64_t)(uintptr_t)fq) | (QUEUE_LOG2 - 1));
  iommu_wr32(IOMMU_FQH, 0);
  iommu_wr32(IOMMU_FQCSR, QCSR_EN | QCSR_IE);
  int fq_on = iommu_wait32(IOMMU_FQCSR, QCSR_ON | QCSR_BUSY, QCSR_ON);
  printf("  fqb = %u entries at 0x%lx, fqcsr = fqen|fie -> fqcsr = 0x%x (fqon %s)\n", QUEUE_ENTRIES,
         (uint64_t)(uintptr_t)fq, iommu_rd32(IOMMU_FQCSR), fq_on ? "set" : "clear");
  iommu_wr64(IOMMU_CQB, PPN_FIELD((uint64_t)(uintptr_t)cq) | (QUEUE_LOG2 - 1));
  iommu_wr32(IOMMU_CQT, 0);
  iommu_wr32(IOMMU_CQCSR, QCSR_EN);
  int cq_on = iommu_wait32(IOMMU_CQCSR, QCSR_ON | QCSR_BUSY, QCSR_ON);
  printf("  cqb = %u entries at 0x%lx, cqcsr = cqen -> cqcsr = 0x%x (cqon %s)\n", QUEUE_ENTRIES,
         (uint64_t)(uintptr_t)cq, iommu_rd32(IOMMU_CQCSR), cq_on ? "set" : "clear");
  return expect(fq_on, "the fault queue turns on") && expect(cq_on, "the command queue turns on");
}

/// Puts one command in the command queue, moves cqt past it and waits until the IOMMU's cqh
/// follows. Returns 0 if the IOMMU stopped the queue (cmd_ill, cqmf) or did not answer.
static int submit(uint64_t d0, uint64_t d1) {
  uint32_t tail = iommu_rd32(IOMMU_CQT);
  cq[2 * tail] = d0;
  cq[2 * tail + 1] = d1;
  __asm__ volatile("fence w, o" ::: "memory");  // the command is in memory before cqt moves
  tail = (tail + 1) % QUEUE_ENTRIES;
  iommu_wr32(IOMMU_CQT, tail);
  int done = 0;
  for (int i = 0; i < POLL_LIMIT && !done; i++) done = iommu_rd32(IOMMU_CQH) == tail;
  uint32_t csr = iommu_rd32(IOMMU_CQCSR);
  if (csr & (CQCSR_CMD_ILL | QCSR_MF)) {
    printf("  the IOMMU stopped the command queue: cqcsr = 0x%x\n", csr);
    return 0;
  }
  return done;
}

/// IOTINVAL.VMA for one page of address space `pscid`: the IOMMU drops what its IOTLB cached.
static int invalidate_iotlb(uint32_t pscid, uint64_t iova) {
  int ok = submit(CMD_IOTINVAL | IOTINVAL_AV | IOTINVAL_PSCV | IOTINVAL_PSCID(pscid), (iova >> 12)
                                                                                          << 10);
  printf("  IOTINVAL.VMA  PSCID=%u ADDR=0x%lx: the IOMMU drops its cached translation\n", pscid,
         iova);
  return ok;
}

/// IOFENCE.C, whose completion the IOMMU reports by writing `token` to `fence_word`.
static int iofence(uint32_t token) {
  fence_word = 0;
  int ok = submit(CMD_IOFENCE | IOFENCE_AV | ((uint64_t)token << 32),
                  (uint64_t)(uintptr_t)&fence_word >> 2);
  printf(
      "  IOFENCE.C     AV=1 DATA=0x%x: the IOMMU writes it to memory once the commands before "
      "it are done: fence_word = 0x%x\n",
      token, fence_word);
  return ok && fence_word == token;
}

/// Turns translation on: ddtp = one-level directory at `ddt`; prints it and checks the mode.
static void enable_directory(void) {
  __asm__ volatile("fence w, o" ::: "memory");  // tables in memory before the IOMMU may read
  iommu_wr64(IOMMU_DDTP, PPN_FIELD((uint64_t)(uintptr_t)ddt) | DDTP_MODE_1LVL);
  int ddtp_ready = 0;
  for (int i = 0; i < POLL_LIMIT && !ddtp_ready; i++)
    ddtp_ready = !(iommu_rd64(IOMMU_DDTP) & DDTP_BUSY);
  const uint64_t ddtp = iommu_rd64(IOMMU_DDTP);
  printf("  ddtp = 0x%lx: mode 1LVL, directory at 0x%lx: translation is on\n", ddtp,
         (uint64_t)(uintptr_t)ddt);
  expect(ddtp_ready && (ddtp & 15) == DDTP_MODE_1LVL, "ddtp takes mode 1LVL");
}

// ---------------------------------------------------------------------------------------------
// The device
// ---------------------------------------------------------------------------------------------

/// Copies `len` bytes from IOVA `src` to IOVA `dst` with edu-dma (interrupt on completion)
/// and prints the outcome. Returns the STATUS it ended with.
static uint32_t edu_copy(uint64_t src, uint64_t dst, uint32_t len) {
  edu_wr(EDU_DMA_STATUS, EDU_DMA_STATUS_DONE | EDU_DMA_STATUS_ERROR);
  edu_wr(EDU_DMA_SRC_LO, (uint32_t)src);
  edu_wr(EDU_DMA_SRC_HI, (uint32_t)(src >> 32));
  edu_wr(EDU_DMA_DST_LO, (uint32_t)dst);
  edu_wr(EDU_DMA_DST_HI, (uint32_t)(dst >> 32));
  edu_wr(EDU_DMA_LEN, len);
  edu_wr(EDU_DMA_CMD, EDU_DMA_CMD_START | EDU_DMA_CMD_IRQ);
  uint32_t status = 0;
  for (int i = 0; i < POLL_LIMIT; i++) {
    status = edu_rd(EDU_DMA_STATUS);
    if (!(status & EDU_DMA_STATUS_BUSY)) break;
  }
  printf("  edu-dma: copy %u bytes IOVA 0x%lx -> 0x%lx: STATUS = %s", len, src, dst,
         (status & EDU_DMA_STATUS_DONE)    ? "DONE"
         : (status & EDU_DMA_STATUS_ERROR) ? "ERROR"
                                           : "?");
  if (status & EDU_DMA_STATUS_ERROR) {
    static const char* const kErrors[] = {"NONE", "LEN", "READ", "WRITE", "RANGE"};
    uint32_t error = edu_rd(EDU_DMA_ERROR);
    printf(", ERROR = %s, FAULT_ADDR = 0x%lx", error < 5 ? kErrors[error] : "?", edu_fault_addr());
  }
  printf("\n");
  return status;
}

/// Whether the device's completion interrupt is pending at the PLIC (source `irq`).
static int edu_irq_pending(uint32_t irq) {
  return (mmio_read32(PLIC_PENDING + 4 * (irq / 32)) >> (irq % 32)) & 1;
}
