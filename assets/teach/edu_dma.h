// The registers of "edu-dma", GlassVM's DMA device for teaching (in the spirit of QEMU's
// `edu`), as a guest driver sees them. Shared by the emulator's model (iommu/edu_dma_device.*)
// and the bare-metal teaching programs in assets/teach/.
//
// The device copies LEN bytes from the IOVA in SRC to the IOVA in DST through its own address
// space, so through the IOMMU when the board has one (its device-tree node then names it in
// `iommus = <&iommu device_id>`). On the `virt` board it sits at EDU_DMA_BASE (QEMU's
// platform-bus window) with PLIC source EDU_DMA_IRQ, unless -device options move it.
//
// All registers are 32 bits wide, little-endian; 64-bit values are split into _LO and _HI
// halves. A copy runs to completion (or to its first fault) during the write to CMD: STATUS
// never reads BUSY after the write returns.
#pragma once

#define EDU_DMA_BASE 0x04000000ul
#define EDU_DMA_IRQ 64
#define EDU_DMA_ID_VALUE 0x31554445u /* "EDU1" in memory order */
#define EDU_DMA_MAX_LEN 0x10000u     /* 64 KiB per copy */

/* Register offsets. */
#define EDU_DMA_ID 0x00       /* RO: EDU_DMA_ID_VALUE */
#define EDU_DMA_FEATURES 0x04 /* RO: EDU_DMA_FEATURE_* */
#define EDU_DMA_SRC_LO 0x08   /* RW: IOVA the device reads */
#define EDU_DMA_SRC_HI 0x0c
#define EDU_DMA_DST_LO 0x10 /* RW: IOVA the device writes */
#define EDU_DMA_DST_HI 0x14
#define EDU_DMA_LEN 0x18           /* RW: bytes to copy, 1..EDU_DMA_MAX_LEN */
#define EDU_DMA_CMD 0x1c           /* WO: EDU_DMA_CMD_* bits; reads 0 */
#define EDU_DMA_STATUS 0x20        /* RW: EDU_DMA_STATUS_*; DONE and ERROR are write-1-to-clear */
#define EDU_DMA_ERROR 0x24         /* RO: EDU_DMA_ERR_* of the last copy (0 after a good one) */
#define EDU_DMA_FAULT_ADDR_LO 0x28 /* RO: the IOVA whose access failed */
#define EDU_DMA_FAULT_ADDR_HI 0x2c
#define EDU_DMA_ATS_CTRL 0x30   /* RW: EDU_DMA_ATS_ENABLE (only with EDU_DMA_FEATURE_ATS) */
#define EDU_DMA_ATC_HITS 0x34   /* RO: translations served by the device's own ATC */
#define EDU_DMA_ATC_MISSES 0x38 /* RO: ATS translation requests sent to the IOMMU */
#define EDU_DMA_ATC_INVALS 0x3c /* RO: ATS invalidations (DEVIOTLB_UNMAP) received */
#define EDU_DMA_REG_SIZE 0x1000

#define EDU_DMA_FEATURE_ATS (1u << 0) /* created with ats=on: has an ATC, can use ATS */

#define EDU_DMA_CMD_START (1u << 0) /* start the copy SRC -> DST of LEN bytes */
#define EDU_DMA_CMD_IRQ (1u << 1)   /* with START: raise the interrupt when done or failed */

#define EDU_DMA_STATUS_BUSY (1u << 0)
#define EDU_DMA_STATUS_DONE (1u << 1)  /* the last copy completed; W1C (lowers the interrupt) */
#define EDU_DMA_STATUS_ERROR (1u << 2) /* the last copy failed; W1C (lowers the interrupt) */

#define EDU_DMA_ERR_NONE 0
#define EDU_DMA_ERR_LEN 1   /* LEN was 0 or above EDU_DMA_MAX_LEN: nothing copied */
#define EDU_DMA_ERR_READ 2  /* reading SRC faulted at FAULT_ADDR (the IOMMU refused it) */
#define EDU_DMA_ERR_WRITE 3 /* writing DST faulted at FAULT_ADDR */
#define EDU_DMA_ERR_RANGE                                                \
  4 /* SRC or DST + LEN wraps past 2^64, FAULT_ADDR = its start: nothing \
       copied */

#define EDU_DMA_ATS_ENABLE (1u << 0) /* translate through the ATC and ATS requests */
