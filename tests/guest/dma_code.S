// DMA into hot code: a function called often enough to be translated under the JIT is
// overwritten by a device (edu-dma, -device edu-dma: its copy goes through the memory API,
// not through the hart), then called again. FENCE.I follows the copy as the ISA asks of a
// hart that fetches what was written. The emulator must run the new instructions: a device's
// write into a page with decoded or translated code drops them as a store does
// (engine/cpu/executor.h).
#include "test_macros.h"

#define EDU_DMA 0x04000000
#define EDU_DMA_SRC_LO 0x08
#define EDU_DMA_SRC_HI 0x0c
#define EDU_DMA_DST_LO 0x10
#define EDU_DMA_DST_HI 0x14
#define EDU_DMA_LEN 0x18
#define EDU_DMA_CMD 0x1c
#define EDU_DMA_STATUS 0x20
#define EDU_DMA_STATUS_DONE 2

TEST_BEGIN
  // 1: the function, hot.
  li TESTNUM, 1
  li s2, 200
1:
  jal ra, dma_code
  CHECK_NOW(a3, 1)
  addi s2, s2, -1
  bnez s2, 1b

  // 2: the device copies the new instructions over it; the copy completes during the write
  // of CMD.
  li TESTNUM, 2
  li t0, EDU_DMA
  la t1, dma_new
  sw t1, EDU_DMA_SRC_LO(t0)
  srli t2, t1, 32
  sw t2, EDU_DMA_SRC_HI(t0)
  la t1, dma_code
  sw t1, EDU_DMA_DST_LO(t0)
  srli t2, t1, 32
  sw t2, EDU_DMA_DST_HI(t0)
  li t1, 8
  sw t1, EDU_DMA_LEN(t0)
  li t1, 1                        // START
  sw t1, EDU_DMA_CMD(t0)
  lw t1, EDU_DMA_STATUS(t0)
  andi t1, t1, EDU_DMA_STATUS_DONE
  CHECK_NOW(t1, EDU_DMA_STATUS_DONE)
  fence.i

  // 3: the new function, hot again.
  li TESTNUM, 3
  li s2, 200
3:
  jal ra, dma_code
  CHECK_NOW(a3, 2)
  addi s2, s2, -1
  bnez s2, 3b
TEST_END

  .option push
  .align 2
  .option norvc
dma_code:
  addi a3, x0, 1
  ret
  .option pop

  .section .rodata
  .align 3
dma_new:                          // addi a3, x0, 2; ret
  .word 0x00200693, 0x00008067
