// teach_dma_fault.elf: a bare-metal lesson on a DMA fault behind the RISC-V IOMMU, and how a
// driver recovers from it.
//
//   glassvm -device riscv-iommu-sys -device edu-dma -bios none \
//           -kernel build/native/guests/teach_dma_fault.elf
//
// What it teaches, one printed step at a time:
//   1. The set-up (as in teach_riscv_iommu.elf): the queues, a device context for edu-dma and
//      an Sv39 table that maps the source page of a copy but NOT its destination page.
//   2. The copy: the device reads the source, its write to the unmapped destination is
//      refused. The IOMMU writes a fault record to the fault queue (cause 15, write page fault;
//      TTYP 3, untranslated write; the device id; iotval = the IOVA) and raises ipsr.fip, its
//      fault interrupt, because fqcsr.fie is set. The program reads the record and explains it.
//   3. The recovery: the driver maps the destination page, then IOTINVAL.VMA and IOFENCE.C.
//      A fault is never cached, so the invalidation drops nothing here (and announces nothing);
//      a driver sends it anyway, since the specification allows an IOMMU to cache it.
//   4. The retry: the copy completes and the data arrives.
//   5. The tear-down: both pages unmapped, IOTINVAL.VMA for each: now the IOTLB held both
//      translations, and the IOMMU announces an UNMAP for each (GlassVM's IOMMU panel shows them).
// The exit status is 0 only if every step behaved as the specification says.
#include "riscv_iommu_driver.h"

// The lesson's page tables and buffers (physical = virtual: M-mode, no paging).
static uint64_t sv39_root[PAGE / 8] __attribute__((aligned(PAGE)));
static uint64_t sv39_l1[PAGE / 8] __attribute__((aligned(PAGE)));
static uint64_t sv39_l0[PAGE / 8] __attribute__((aligned(PAGE)));
static char buffer_src[PAGE] __attribute__((aligned(PAGE)));
static char buffer_dst[PAGE] __attribute__((aligned(PAGE)));

/// The IOVA window: page 0 is the source (mapped from the start), page 1 the destination.
#define IOVA_SRC 0x40000000ul
#define IOVA_DST (IOVA_SRC + PAGE)
#define PSCID 5
#define COPY_LEN 40

static const char kMessage[COPY_LEN] = "Arrived on the second try, after a map.";

/// The leaf PTE of `iova` in the lesson's table.
static uint64_t* leaf_of(uint64_t iova) {
  return &sv39_l0[(iova >> 12) & 511];
}

/// Finds the IOMMU and edu-dma in the device tree; returns edu-dma's device id, or -1.
static long find_board(void) {
  Board board = {0};
  if (!expect(fdt_walk((const void*)boot_dtb, find_devices, &board) == 0, "a valid device tree") ||
      !expect(board.found_iommu, "a riscv,iommu node (run with -device riscv-iommu-sys)") ||
      !expect(board.found_edu, "a glassvm,edu-dma node (run with -device edu-dma)") ||
      !expect(board.edu_has_iommus && board.edu_iommu_phandle == board.iommu_phandle,
              "edu-dma's node names this IOMMU in `iommus`")) {
    return -1;
  }
  g_iommu = board.iommu_base;
  g_edu = board.edu_base;
  printf("  iommu@%lx, dma@%lx with device_id %u\n", board.iommu_base, board.edu_base,
         board.edu_device_id);
  if (!expect(board.edu_device_id < PAGE / 32, "the device id fits a one-level directory")) {
    return -1;
  }
  return board.edu_device_id;
}

/// Reads the one new fault record, explains it, checks it, and consumes it (fqh = fqt, fip
/// cleared).
static void read_fault_record(uint32_t did, uint32_t fqt_before) {
  const uint32_t ipsr = iommu_rd32(IOMMU_IPSR);
  printf("  ipsr = 0x%x: fip %s: the IOMMU raised its fault interrupt (fqcsr.fie is set)\n", ipsr,
         ipsr & IPSR_FIP ? "set" : "clear");
  expect(ipsr & IPSR_FIP, "the fault raises ipsr.fip");
  const uint32_t fqh = iommu_rd32(IOMMU_FQH), fqt = iommu_rd32(IOMMU_FQT);
  printf("  fault queue: fqh = %u, fqt = %u: %u new record(s)\n", fqh, fqt,
         (fqt - fqt_before) % QUEUE_ENTRIES);
  if (!expect(fqt == (fqt_before + 1) % QUEUE_ENTRIES, "the IOMMU wrote one fault record")) return;
  const uint64_t* rec = &fq[4 * fqh];
  print_fault_record(rec);
  printf(
      "  -> device %u tried to WRITE IOVA 0x%lx, and the page table has no valid leaf for it: "
      "the IOMMU refused the write and told the driver\n",
      FQ_DID(rec[0]), rec[2]);
  expect(FQ_CAUSE(rec[0]) == CAUSE_WRITE_PAGE_FAULT, "the cause is 15, write page fault");
  expect(FQ_TTYP(rec[0]) == TTYP_UNTRANSLATED_WRITE, "the transaction was an untranslated write");
  expect(FQ_DID(rec[0]) == did, "the record names edu-dma's device id");
  expect(rec[2] == IOVA_DST, "iotval is the faulting IOVA");
  consume_fault_records(fqt);
}

int main(void) {
  printf(
      "DMA fault lesson: edu-dma writes where the IOMMU has no mapping, and the driver recovers\n");

  step("1. Set-up: the queues, edu-dma's device context, a table mapping only the source page");
  const long found = find_board();
  if (found < 0) return lesson_end("the specification");
  const uint32_t did = (uint32_t)found;
  if (!enable_queues()) return lesson_end("the specification");
  memcpy(buffer_src, kMessage, COPY_LEN);
  // Leaves need U (device requests are U-mode) and A, plus D to be written: this IOMMU does
  // not update A/D itself.
  const uint64_t leaf = PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;
  sv39_root[(IOVA_SRC >> 30) & 511] = PTE_TO(sv39_l1) | PTE_V;
  sv39_l1[(IOVA_SRC >> 21) & 511] = PTE_TO(sv39_l0) | PTE_V;
  *leaf_of(IOVA_SRC) = PTE_TO(buffer_src) | leaf;
  printf("  IOVA 0x%lx -> source 0x%lx (V R W U A D); IOVA 0x%lx: no mapping (PTE = 0)\n", IOVA_SRC,
         (uint64_t)(uintptr_t)buffer_src, IOVA_DST);
  uint64_t* dc = &ddt[did * 4];
  dc[0] = DC_TC_V;
  dc[2] = DC_TA_PSCID(PSCID);
  dc[3] = IOSATP_SV39 | ((uint64_t)(uintptr_t)sv39_root >> 12);
  printf("  device context %u: V, PSCID = %u, fsc = iosatp Sv39 root 0x%lx\n", did, PSCID,
         (uint64_t)(uintptr_t)sv39_root);
  enable_directory();

  step("2. The copy to an unmapped IOVA: a DMA fault");
  const uint32_t fqt_before = iommu_rd32(IOMMU_FQT);
  uint32_t status = edu_copy(IOVA_SRC, IOVA_DST, COPY_LEN);
  expect(status == EDU_DMA_STATUS_ERROR, "the copy fails");
  expect(edu_rd(EDU_DMA_ERROR) == EDU_DMA_ERR_WRITE, "the device reports a WRITE error");
  expect(edu_fault_addr() == IOVA_DST, "the device reports the unmapped IOVA");
  read_fault_record(did, fqt_before);
  edu_wr(EDU_DMA_STATUS, EDU_DMA_STATUS_ERROR);

  step("3. The recovery: map the destination page, invalidate, fence");
  *leaf_of(IOVA_DST) = PTE_TO(buffer_dst) | leaf;
  __asm__ volatile("fence w, o" ::: "memory");  // the PTE in memory before the IOMMU may read
  printf("  PTE of IOVA 0x%lx = 0x%lx: -> destination 0x%lx (V R W U A D)\n", IOVA_DST,
         *leaf_of(IOVA_DST), (uint64_t)(uintptr_t)buffer_dst);
  expect(invalidate_iotlb(PSCID, IOVA_DST), "IOTINVAL.VMA runs");
  printf("  (a fault is never cached: this IOTINVAL.VMA finds nothing to drop)\n");
  expect(iofence(0x600d), "IOFENCE.C completes and writes its data");

  step("4. The retry");
  status = edu_copy(IOVA_SRC, IOVA_DST, COPY_LEN);
  print_text("destination now holds", buffer_dst, COPY_LEN);
  expect(status == EDU_DMA_STATUS_DONE, "the retried copy completes");
  expect(!memcmp(buffer_dst, kMessage, COPY_LEN), "the source's bytes reached the destination");
  expect(iommu_rd32(IOMMU_FQT) == iommu_rd32(IOMMU_FQH), "the retry wrote no fault record");
  edu_wr(EDU_DMA_STATUS, EDU_DMA_STATUS_DONE);

  step("5. The tear-down: unmap both pages, invalidate each");
  *leaf_of(IOVA_SRC) = 0;
  *leaf_of(IOVA_DST) = 0;
  __asm__ volatile("fence w, o" ::: "memory");
  printf("  PTEs of IOVA 0x%lx and 0x%lx cleared: the IOTLB still holds both translations\n",
         IOVA_SRC, IOVA_DST);
  expect(invalidate_iotlb(PSCID, IOVA_SRC), "IOTINVAL.VMA runs");
  expect(invalidate_iotlb(PSCID, IOVA_DST), "IOTINVAL.VMA runs");
  expect(iofence(0xd0e), "IOFENCE.C completes");
  printf("  -> each IOTINVAL.VMA dropped a cached translation: the IOMMU announced an UNMAP\n");

  return lesson_end("the specification");
}
