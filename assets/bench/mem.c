// jit_bench `mem`: memory-bound: streaming passes (copy, scale-add, sum) over 4 MiB arrays,
// then random read-modify-writes over them chosen by a xorshift generator.
#include <stdint.h>

#define BENCH_NAME "mem"
#define BENCH_EXPECTED 0xd45a6135c3c3a2e3ull

enum { kWords = 256 * 1024 };  // 2 MiB per array of uint64_t

static uint64_t g_a[kWords], g_b[kWords];

__attribute__((noinline)) static uint64_t bench_run(void) {
  uint64_t rng = 0x9e3779b97f4a7c15ull, sum = 0;
  for (uint32_t i = 0; i < kWords; i++) g_a[i] = i * 0x9e3779b97f4a7c15ull;
  for (int pass = 0; pass < 72; pass++) {
    for (uint32_t i = 0; i < kWords; i++) g_b[i] = g_a[i] + (uint64_t)pass;
    for (uint32_t i = 0; i < kWords; i++) g_a[i] = g_b[i] * 3 + g_a[kWords - 1 - i];
    for (uint32_t i = 0; i < kWords; i += 8) sum += g_a[i] ^ g_b[i + 7];
    for (uint32_t n = 0; n < kWords / 2; n++) {
      rng ^= rng << 13;
      rng ^= rng >> 7;
      rng ^= rng << 17;
      const uint32_t j = (uint32_t)(rng >> 20) % kWords;
      const uint32_t k = (uint32_t)rng % kWords;
      g_a[j] += g_b[k];
      sum += g_a[k] >> 3;
    }
  }
  return sum;
}

#include "jit_bench.h"
