// jit_bench `int`: integer arithmetic in registers: a multiply-xorshift hash, CRC-32C by
// bits, 64-bit multiply-high and division, over a small working set (no memory traffic).
#include <stdint.h>

#define BENCH_NAME "int"
#define BENCH_EXPECTED 0xe7f044cf7063a336ull

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

static uint32_t crc32c_u64(uint32_t crc, uint64_t v) {
  for (int k = 0; k < 64; k++) {
    crc ^= (uint32_t)(v >> k) & 1;
    crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
  }
  return crc;
}

__attribute__((noinline)) static uint64_t bench_run(void) {
  uint64_t h = 0x243f6a8885a308d3ull, acc = 0;
  uint32_t crc = 0xffffffffu;
  for (uint32_t i = 0; i < 4500000; i++) {
    h = mix(h + i);
    if ((i & 3) == 0) crc = crc32c_u64(crc, h);
    const unsigned __int128 wide = (unsigned __int128)h * (h | 1);
    acc += (uint64_t)(wide >> 64) ^ (h / ((i | 1) * 2654435761u));
    acc = (acc << 7) | (acc >> 57);
  }
  return acc ^ ((uint64_t)crc << 32);
}

#include "jit_bench.h"
