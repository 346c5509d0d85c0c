// jit_bench `branchy`: unpredictable branches: a small bytecode interpreter (a switch on
// pseudo-random opcodes), a heap sort of random keys, and a branchy state machine over bytes.
#include <stdint.h>

#define BENCH_NAME "branchy"
#define BENCH_EXPECTED 0xe5b9a019134d5d9bull

enum { kProg = 4096, kSortN = 8192 };

static uint8_t g_prog[kProg];
static uint32_t g_keys[kSortN];
static uint64_t g_rng = 0x2545f4914f6cdd1dull;

static uint32_t next(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (uint32_t)(g_rng >> 11);
}

static uint64_t interpret(void) {
  uint64_t r[4] = {1, 2, 3, 4};
  for (uint32_t pc = 0; pc < kProg; pc++) {
    const uint8_t op = g_prog[pc];
    uint64_t* d = &r[op & 3];
    const uint64_t s = r[(op >> 2) & 3];
    switch (op >> 4) {
      case 0: *d += s; break;
      case 1: *d -= s; break;
      case 2: *d ^= s << 1; break;
      case 3: *d |= s & 0xff; break;
      case 4: *d = *d * 5 + 1; break;
      case 5: *d >>= 1; break;
      case 6:
        if (*d & 1) *d += 7;
        break;
      case 7:
        if (*d > s)
          *d -= s;
        else
          *d += s;
        break;
      case 8: *d = s; break;
      case 9: *d += op; break;
      case 10:
        if ((s & 7) == 3) pc += 1;
        break;
      case 11: *d = (*d << 3) | (*d >> 61); break;
      case 12: *d &= ~s | 1; break;
      case 13:
        if (*d < s) *d = s;
        break;
      case 14: *d ^= 0x5555; break;
      default: *d += 1; break;
    }
  }
  return r[0] ^ r[1] ^ r[2] ^ r[3];
}

static void sift_down(uint32_t* a, uint32_t i, uint32_t n) {
  for (;;) {
    uint32_t c = 2 * i + 1;
    if (c >= n) return;
    if (c + 1 < n && a[c + 1] > a[c]) c++;
    if (a[i] >= a[c]) return;
    const uint32_t t = a[i];
    a[i] = a[c];
    a[c] = t;
    i = c;
  }
}

static uint64_t heap_sort(void) {
  for (uint32_t i = 0; i < kSortN; i++) g_keys[i] = next();
  for (uint32_t i = kSortN / 2; i-- > 0;) sift_down(g_keys, i, kSortN);
  for (uint32_t n = kSortN; n-- > 1;) {
    const uint32_t t = g_keys[0];
    g_keys[0] = g_keys[n];
    g_keys[n] = t;
    sift_down(g_keys, 0, n);
  }
  uint64_t h = 0;
  for (uint32_t i = 0; i < kSortN; i++) {
    if (i && g_keys[i - 1] > g_keys[i]) return 0xbad;
    h = h * 1099511628211ull ^ g_keys[i];
  }
  return h;
}

static uint64_t state_machine(void) {
  uint32_t state = 0;
  uint64_t count = 0;
  for (uint32_t i = 0; i < kProg * 4; i++) {
    const uint8_t c = g_prog[i % kProg] ^ (uint8_t)(i >> 5);
    if (state == 0) {
      state = c < 64 ? 1 : c < 160 ? 2 : 0;
    } else if (state == 1) {
      if (c & 1)
        count += 3, state = 3;
      else
        state = 0;
    } else if (state == 2) {
      state = (c > 200) ? 1 : (c & 2) ? 3 : 2;
      count += state;
    } else {
      if (c < 32)
        count ^= i;
      else if (c < 128)
        state = 0;
      else
        count += c;
    }
  }
  return count + state;
}

__attribute__((noinline)) static uint64_t bench_run(void) {
  uint64_t sum = 0;
  for (int round = 0; round < 150; round++) {
    for (uint32_t i = 0; i < kProg; i++) g_prog[i] = (uint8_t)next();
    for (int k = 0; k < 16; k++) sum = sum * 31 + interpret();
    sum = sum * 31 + heap_sort();
    sum = sum * 31 + state_machine();
  }
  return sum;
}

#include "jit_bench.h"
