// The JIT benchmark's guest programs (int.c, mem.c, branchy.c, fp.c; tests/bench/jit_bench.sh
// runs them): each defines BENCH_NAME, BENCH_EXPECTED and `uint64_t bench_run(void)`, a
// deterministic computation of about 0.5-1e9 guest instructions returning a checksum, and
// includes this file last for its main().
//
// The expected checksums come from the same file built for the host: `cc -O2
// -ffp-contract=off -DBENCH_HOST -Iassets/bench assets/bench/NAME.c -lm && ./a.out` prints it (FP
// kernels use only correctly rounded operations, so the host and the guest agree bit for bit).
// On the guest the program prints its instructions and checksum on the UART (which QEMU's virt
// has too) and exits 0 only when the checksum matches.
#pragma once

#include <stdint.h>

#ifdef BENCH_HOST
#include <inttypes.h>
#include <stdio.h>

int main(void) {
  printf("%s: checksum=0x%016" PRIx64 "\n", BENCH_NAME, bench_run());
  return 0;
}
#else
#include "platform.h"
#include "rt.h"

int main(void) {
#ifdef __riscv_flen
  csr_set(mstatus, 1ul << 13);  // FS = Initial: the FP unit on (bench_run is not inlined)
#endif
  uart_init();
  set_console(uart_putc);
  const uint64_t i0 = csr_read(minstret);
  const uint64_t sum = bench_run();
  const uint64_t insns = csr_read(minstret) - i0;
  printf("%s: instructions=%lu checksum=0x%016lx\n", BENCH_NAME, insns, sum);
  if (sum != BENCH_EXPECTED) {
    printf("%s: FAIL, expected checksum 0x%016lx\n", BENCH_NAME, (uint64_t)BENCH_EXPECTED);
    return 1;
  }
  printf("%s: PASS\n", BENCH_NAME);
  return 0;
}
#endif
