// teach_riscv_iommu.elf: a bare-metal lesson on the RISC-V IOMMU (RISC-V IOMMU Architecture
// Specification 1.0), with the DMA device edu-dma (assets/teach/edu_dma.h) as the student's
// device.
//
//   glassvm -device riscv-iommu-sys -device edu-dma,ats=on -bios none \
//           -kernel build/native/guests/teach_riscv_iommu.elf
//
// (ats=off, the default, runs every step but the ATS one.) What it teaches, one printed step at
// a time: what the driver writes, what the IOMMU does with it, what the device reports.
//   1. The device tree names the IOMMU (`riscv,iommu`, #iommu-cells = <1>) and says, in
//      edu-dma's `iommus = <&iommu device_id>`, which device id the IOMMU will see.
//   2. The capabilities register; the fault queue and the command queue (base, size, enable,
//      and the ON bit the IOMMU answers with).
//   3. A one-level device directory (ddtp mode 1LVL) whose device context for edu-dma selects
//      first-stage Sv39 translation (fsc = iosatp) with a PSCID, and EN_ATS when the device has
//      ATS; an Sv39 table mapping an IOVA window onto two buffers.
//   4. A DMA copy through the mapping, and the data checked.
//   5. The mapping changed in place (the PTE points at another page), then IOTINVAL.VMA and
//      IOFENCE.C: the IOTLB forgot the old translation, the next copy reads the new page.
//   6. The page unmapped, IOTINVAL.VMA: the copy fails, the device reports the exact IOVA, and
//      the fault queue holds the IOMMU's record (cause, transaction type, device id, iotval).
//   7. With ATS: the device's own translation cache (ATC) counts hits and misses; IOTINVAL.VMA
//      alone leaves it stale, ATS.INVAL empties it; an ATS translation request for an unmapped
//      page gets a completion granting nothing (R = W = 0), which is no fault record.
// The exit status is 0 only if every step behaved as the specification says; each unexpected
// observation is printed with "!! UNEXPECTED" and counted.
//
// Everything is polled: GlassVM runs IOMMU commands during the cqt write and an edu-dma copy
// during the CMD write, but the program still waits (boundedly) as a driver on hardware must.
#include "riscv_iommu_driver.h"

// ---------------------------------------------------------------------------------------------
// The lesson's page tables and buffers (physical = virtual: M-mode, no paging)
// ---------------------------------------------------------------------------------------------

static uint64_t sv39_root[PAGE / 8] __attribute__((aligned(PAGE)));
static uint64_t sv39_l1[PAGE / 8] __attribute__((aligned(PAGE)));
static uint64_t sv39_l0[PAGE / 8] __attribute__((aligned(PAGE)));
static char buffer_a[PAGE] __attribute__((aligned(PAGE)));
static char buffer_b[PAGE] __attribute__((aligned(PAGE)));
static char buffer_dst[PAGE] __attribute__((aligned(PAGE)));

/// The IOVA window the lesson maps: page 0 is the source, page 1 the destination.
#define IOVA_BASE 0x40000000ul
#define IOVA_SRC IOVA_BASE
#define IOVA_DST (IOVA_BASE + PAGE)
#define PSCID 7
#define COPY_LEN 48

static const char kMessageA[COPY_LEN] = "Hello from buffer A, through the IOMMU!";
static const char kMessageB[COPY_LEN] = "Buffer B now answers at the same IOVA.";

// ---------------------------------------------------------------------------------------------
// ATS
// ---------------------------------------------------------------------------------------------

/// ATS.INVAL of one page, aimed at device `did`'s address translation cache.
static int ats_inval(uint32_t did, uint64_t iova) {
  printf(
      "  ATS.INVAL     RID=%u ADDR=0x%lx: the IOMMU sends an invalidation request to the "
      "device\n",
      did, iova);
  return submit(CMD_ATS | ATS_RID(did), iova);
}

// ---------------------------------------------------------------------------------------------
// The device
// ---------------------------------------------------------------------------------------------

/// Copies COPY_LEN bytes from IOVA `src` to IOVA `dst` into a cleared destination buffer and
/// prints the outcome. Returns the STATUS it ended with.
static uint32_t dma_copy(uint64_t src, uint64_t dst) {
  memset(buffer_dst, 0, sizeof buffer_dst);
  return edu_copy(src, dst, COPY_LEN);
}

static void print_atc(void) {
  printf("  edu-dma ATC: hits = %u, misses (ATS translation requests) = %u, invalidations = %u\n",
         edu_rd(EDU_DMA_ATC_HITS), edu_rd(EDU_DMA_ATC_MISSES), edu_rd(EDU_DMA_ATC_INVALS));
}

// ---------------------------------------------------------------------------------------------
// The lesson
// ---------------------------------------------------------------------------------------------

int main(void) {
  printf("RISC-V IOMMU lesson: edu-dma's DMA through first-stage (Sv39) translation\n");

  step("1. The device tree: where the IOMMU is, and which device id edu-dma has");
  Board board = {0};
  if (fdt_walk((const void*)boot_dtb, find_devices, &board) != 0) {
    expect(0, "the boot ROM passes a valid device tree");
    return 1;
  }
  if (!expect(board.found_iommu, "a riscv,iommu node (run with -device riscv-iommu-sys)") ||
      !expect(board.found_edu, "a glassvm,edu-dma node (run with -device edu-dma)")) {
    return 1;
  }
  printf("  iommu@%lx: compatible riscv,iommu, phandle %u\n", board.iommu_base,
         board.iommu_phandle);
  if (!expect(board.edu_has_iommus, "edu-dma's node names its IOMMU in `iommus`")) return 1;
  printf("  dma@%lx: compatible glassvm,edu-dma, interrupts = <%u>, iommus = <%u %u>\n",
         board.edu_base, board.edu_irq, board.edu_iommu_phandle, board.edu_device_id);
  expect(board.edu_iommu_phandle == board.iommu_phandle, "edu-dma's iommus names this IOMMU");
  const uint32_t did = board.edu_device_id;
  printf(
      "  -> the IOMMU knows edu-dma as device_id %u: its requests carry that id, and the "
      "IOMMU looks it up in the device directory\n",
      did);
  g_iommu = board.iommu_base;
  g_edu = board.edu_base;
  if (!expect(edu_rd(EDU_DMA_ID) == EDU_DMA_ID_VALUE, "edu-dma's ID register reads EDU1")) {
    return 1;
  }
  const int ats = (edu_rd(EDU_DMA_FEATURES) & EDU_DMA_FEATURE_ATS) != 0;
  printf("  edu-dma FEATURES: ATS %s\n", ats ? "yes (created with ats=on)" : "no");
  // A one-level directory of base-format contexts indexes device ids 0..127.
  if (!expect(did < PAGE / 32, "the device id fits a one-level directory (below 128)")) return 1;

  step("2. Capabilities, the fault queue and the command queue");
  const uint64_t caps = iommu_rd64(IOMMU_CAPABILITIES);
  printf(
      "  capabilities = 0x%lx: version %lu.%lu, Sv39 %s, Sv48 %s, ATS %s, IGS %s, PAS %lu bits\n",
      caps, CAP_VERSION(caps) >> 4, CAP_VERSION(caps) & 15, caps & CAP_SV39 ? "yes" : "no",
      caps & CAP_SV48 ? "yes" : "no", caps & CAP_ATS ? "yes" : "no",
      CAP_IGS(caps) == 0   ? "MSI"
      : CAP_IGS(caps) == 1 ? "WSI (wired)"
                           : "MSI and WSI",
      CAP_PAS(caps));
  expect(CAP_VERSION(caps) == 0x10, "capabilities.version is 1.0");
  if (!expect(caps & CAP_SV39, "the IOMMU supports Sv39")) return 1;
  if (ats) expect(caps & CAP_ATS, "the IOMMU supports ATS");
  const uint64_t ddtp0 = iommu_rd64(IOMMU_DDTP);
  printf("  ddtp = 0x%lx: mode %s: until the driver sets it up, every DMA is refused\n", ddtp0,
         (ddtp0 & 15) == DDTP_MODE_OFF ? "Off" : "not Off");
  expect((ddtp0 & 15) == DDTP_MODE_OFF, "ddtp starts Off");

  if (!enable_queues()) return 1;

  step("3. A one-level device directory, edu-dma's device context, an Sv39 table");
  memcpy(buffer_a, kMessageA, COPY_LEN);
  memcpy(buffer_b, kMessageB, COPY_LEN);
  // The Sv39 walk of IOVA_BASE: VPN[2] = 1, VPN[1] = 0, VPN[0] = 0 (source) and 1 (dest).
  // Leaves need U (device requests are U-mode without a process id) and A, plus D to be
  // written: this IOMMU does not update A/D itself (capabilities.AMO_HWAD = 0).
  const uint64_t leaf = PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;
  sv39_root[(IOVA_BASE >> 30) & 511] = PTE_TO(sv39_l1) | PTE_V;
  sv39_l1[(IOVA_BASE >> 21) & 511] = PTE_TO(sv39_l0) | PTE_V;
  sv39_l0[(IOVA_SRC >> 12) & 511] = PTE_TO(buffer_a) | leaf;
  sv39_l0[(IOVA_DST >> 12) & 511] = PTE_TO(buffer_dst) | leaf;
  printf(
      "  Sv39 root at 0x%lx: IOVA 0x%lx -> buffer A 0x%lx, IOVA 0x%lx -> destination 0x%lx "
      "(V R W U A D)\n",
      (uint64_t)(uintptr_t)sv39_root, IOVA_SRC, (uint64_t)(uintptr_t)buffer_a, IOVA_DST,
      (uint64_t)(uintptr_t)buffer_dst);
  uint64_t* dc = &ddt[did * 4];
  dc[0] = DC_TC_V | (ats ? DC_TC_EN_ATS : 0);                    // tc
  dc[1] = 0;                                                     // iohgatp: Bare (no stage 2)
  dc[2] = DC_TA_PSCID(PSCID);                                    // ta
  dc[3] = IOSATP_SV39 | ((uint64_t)(uintptr_t)sv39_root >> 12);  // fsc = iosatp
  printf(
      "  device context %u at 0x%lx: tc = 0x%lx (V%s), ta.PSCID = %u, fsc = iosatp Sv39 "
      "root 0x%lx\n",
      did, (uint64_t)(uintptr_t)dc, dc[0], ats ? ", EN_ATS" : "", PSCID,
      (uint64_t)(uintptr_t)sv39_root);
  enable_directory();

  step("4. DMA through the mapping");
  uint32_t status = dma_copy(IOVA_SRC, IOVA_DST);
  print_text("destination now holds", buffer_dst, COPY_LEN);
  expect(status == EDU_DMA_STATUS_DONE, "the copy completes");
  expect(!memcmp(buffer_dst, kMessageA, COPY_LEN), "buffer A's bytes reached the destination");
  int pending = edu_irq_pending(board.edu_irq);
  printf("  the completion interrupt (PLIC source %u) is %s\n", board.edu_irq,
         pending ? "pending" : "not pending");
  expect(pending, "CMD_IRQ raises the completion interrupt");
  edu_wr(EDU_DMA_STATUS, EDU_DMA_STATUS_DONE);
  pending = edu_irq_pending(board.edu_irq);
  printf("  STATUS.DONE written 1 to clear: the interrupt is %s\n",
         pending ? "still pending" : "lowered");
  expect(!pending, "clearing DONE lowers the interrupt");

  step("5. Changing the mapping in place");
  sv39_l0[(IOVA_SRC >> 12) & 511] = PTE_TO(buffer_b) | leaf;
  __asm__ volatile("fence w, o" ::: "memory");
  printf("  PTE of IOVA 0x%lx now points at buffer B 0x%lx\n", IOVA_SRC,
         (uint64_t)(uintptr_t)buffer_b);
  expect(invalidate_iotlb(PSCID, IOVA_SRC), "IOTINVAL.VMA runs");
  expect(iofence(0xc0ffee), "IOFENCE.C completes and writes its data");
  status = dma_copy(IOVA_SRC, IOVA_DST);
  print_text("destination now holds", buffer_dst, COPY_LEN);
  expect(status == EDU_DMA_STATUS_DONE, "the copy after the remap completes");
  expect(!memcmp(buffer_dst, kMessageB, COPY_LEN), "after the remap the same IOVA reads buffer B");

  step("6. Unmapping, and the fault it provokes");
  sv39_l0[(IOVA_SRC >> 12) & 511] = 0;
  __asm__ volatile("fence w, o" ::: "memory");
  printf("  PTE of IOVA 0x%lx cleared (V = 0)\n", IOVA_SRC);
  expect(invalidate_iotlb(PSCID, IOVA_SRC), "IOTINVAL.VMA runs");
  expect(iofence(0xdead), "IOFENCE.C completes");
  const uint32_t fqt_before = iommu_rd32(IOMMU_FQT);
  status = dma_copy(IOVA_SRC, IOVA_DST);
  const uint64_t fault = edu_fault_addr();
  expect(status == EDU_DMA_STATUS_ERROR, "the copy fails");
  expect(edu_rd(EDU_DMA_ERROR) == EDU_DMA_ERR_READ, "the device reports a READ error");
  expect(fault == IOVA_SRC, "the device reports the unmapped IOVA");
  const uint32_t ipsr = iommu_rd32(IOMMU_IPSR);
  printf("  ipsr = 0x%x: fip %s (a new fault record, fqcsr.fie set)\n", ipsr,
         ipsr & IPSR_FIP ? "set" : "clear");
  expect(ipsr & IPSR_FIP, "the fault raises ipsr.fip");
  const uint32_t fqh = iommu_rd32(IOMMU_FQH), fqt = iommu_rd32(IOMMU_FQT);
  printf("  fault queue: fqh = %u, fqt = %u\n", fqh, fqt);
  if (expect(fqt == (fqt_before + 1) % QUEUE_ENTRIES, "the IOMMU wrote one fault record")) {
    const uint64_t* rec = &fq[4 * fqh];
    print_fault_record(rec);
    expect(FQ_CAUSE(rec[0]) == CAUSE_READ_PAGE_FAULT, "the cause is 13, read page fault");
    expect(FQ_TTYP(rec[0]) == TTYP_UNTRANSLATED_READ, "the transaction was an untranslated read");
    expect(FQ_DID(rec[0]) == did, "the record names edu-dma's device id");
    expect(rec[2] == IOVA_SRC, "iotval is the faulting IOVA");
  }
  consume_fault_records(fqt);

  if (ats) {
    step("7. ATS: the device's own translation cache (ATC)");
    sv39_l0[(IOVA_SRC >> 12) & 511] = PTE_TO(buffer_a) | leaf;
    __asm__ volatile("fence w, o" ::: "memory");
    printf("  IOVA 0x%lx maps buffer A again\n", IOVA_SRC);
    expect(invalidate_iotlb(PSCID, IOVA_SRC), "IOTINVAL.VMA runs");
    expect(iofence(1), "IOFENCE.C completes");
    edu_wr(EDU_DMA_ATS_CTRL, EDU_DMA_ATS_ENABLE);
    printf(
        "  ATS_CTRL = ENABLE: edu-dma now asks the IOMMU for translations (ATS translation "
        "requests), caches them, and sends translated (physical) addresses\n");
    status = dma_copy(IOVA_SRC, IOVA_DST);
    print_atc();
    expect(status == EDU_DMA_STATUS_DONE, "the copy with ATS completes");
    expect(!memcmp(buffer_dst, kMessageA, COPY_LEN), "buffer A's bytes arrive through ATS");
    expect(edu_rd(EDU_DMA_ATC_MISSES) == 2 && edu_rd(EDU_DMA_ATC_HITS) == 0,
           "the first copy misses twice (source page, destination page)");
    status = dma_copy(IOVA_SRC, IOVA_DST);
    print_atc();
    expect(edu_rd(EDU_DMA_ATC_HITS) == 2, "the second copy hits the ATC twice");

    sv39_l0[(IOVA_SRC >> 12) & 511] = PTE_TO(buffer_b) | leaf;
    __asm__ volatile("fence w, o" ::: "memory");
    printf(
        "  PTE of IOVA 0x%lx now points at buffer B, and only the IOMMU's IOTLB is "
        "invalidated:\n",
        IOVA_SRC);
    expect(invalidate_iotlb(PSCID, IOVA_SRC), "IOTINVAL.VMA runs");
    expect(iofence(2), "IOFENCE.C completes");
    status = dma_copy(IOVA_SRC, IOVA_DST);
    print_text("destination now holds", buffer_dst, COPY_LEN);
    printf("  -> stale: the device's ATC still translates IOVA 0x%lx to buffer A\n", IOVA_SRC);
    expect(!memcmp(buffer_dst, kMessageA, COPY_LEN),
           "without ATS.INVAL the device keeps its old translation");

    expect(ats_inval(did, IOVA_SRC), "ATS.INVAL runs");
    expect(iofence(3), "IOFENCE.C completes");
    print_atc();
    expect(edu_rd(EDU_DMA_ATC_INVALS) == 1, "the device received one invalidation");
    const uint32_t misses = edu_rd(EDU_DMA_ATC_MISSES);
    status = dma_copy(IOVA_SRC, IOVA_DST);
    print_text("destination now holds", buffer_dst, COPY_LEN);
    print_atc();
    expect(!memcmp(buffer_dst, kMessageB, COPY_LEN), "after ATS.INVAL buffer B arrives");
    expect(edu_rd(EDU_DMA_ATC_MISSES) == misses + 1, "the source page was asked for again");

    sv39_l0[(IOVA_SRC >> 12) & 511] = 0;
    __asm__ volatile("fence w, o" ::: "memory");
    printf("  PTE of IOVA 0x%lx cleared again; IOTLB and ATC invalidated:\n", IOVA_SRC);
    expect(invalidate_iotlb(PSCID, IOVA_SRC), "IOTINVAL.VMA runs");
    expect(ats_inval(did, IOVA_SRC), "ATS.INVAL runs");
    expect(iofence(4), "IOFENCE.C completes");
    const uint32_t fqt_ats = iommu_rd32(IOMMU_FQT);
    status = dma_copy(IOVA_SRC, IOVA_DST);
    const uint32_t new_records = (iommu_rd32(IOMMU_FQT) - fqt_ats) % QUEUE_ENTRIES;
    printf(
        "  new fault records: %u: the IOMMU answered the ATS translation request with R = W = 0 "
        "(no fault record), and the device gave up\n",
        new_records);
    expect(status == EDU_DMA_STATUS_ERROR && edu_rd(EDU_DMA_ERROR) == EDU_DMA_ERR_READ,
           "the copy through an unmapped translation fails");
    expect(new_records == 0, "a page fault of an ATS translation request is not recorded");
  } else {
    step("7. ATS: skipped (run with -device edu-dma,ats=on to see the device's own cache)");
  }

  return lesson_end("the specification");
}
