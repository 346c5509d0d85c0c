// jit_bench `fp`: double- and single-precision FP: an n-body step (sqrt and division per pair,
// doubles) and a float matrix multiply with a normalisation by sqrt. Only correctly rounded
// operations (+ - * / sqrt, conversions), no fused multiply-add: the host computes the same bits.
#include <stdint.h>

#define BENCH_NAME "fp"
#define BENCH_EXPECTED 0x1eb5a7a4707c3c2bull

enum { kBodies = 32, kMatN = 48 };

static double g_pos[kBodies][3], g_vel[kBodies][3], g_mass[kBodies];
static float g_ma[kMatN][kMatN], g_mb[kMatN][kMatN], g_mc[kMatN][kMatN];

static uint64_t bits64(double d) {
  uint64_t u;
  __builtin_memcpy(&u, &d, sizeof u);
  return u;
}

static uint32_t bits32(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, sizeof u);
  return u;
}

static void nbody_step(double dt) {
  for (int i = 0; i < kBodies; i++) {
    for (int j = i + 1; j < kBodies; j++) {
      const double dx = g_pos[i][0] - g_pos[j][0];
      const double dy = g_pos[i][1] - g_pos[j][1];
      const double dz = g_pos[i][2] - g_pos[j][2];
      const double d2 = dx * dx + dy * dy + dz * dz + 0.01;
      const double mag = dt / (d2 * __builtin_sqrt(d2));
      g_vel[i][0] -= dx * g_mass[j] * mag;
      g_vel[i][1] -= dy * g_mass[j] * mag;
      g_vel[i][2] -= dz * g_mass[j] * mag;
      g_vel[j][0] += dx * g_mass[i] * mag;
      g_vel[j][1] += dy * g_mass[i] * mag;
      g_vel[j][2] += dz * g_mass[i] * mag;
    }
  }
  for (int i = 0; i < kBodies; i++) {
    for (int k = 0; k < 3; k++) g_pos[i][k] += dt * g_vel[i][k];
  }
}

static uint64_t matmul(int round) {
  for (int i = 0; i < kMatN; i++) {
    for (int j = 0; j < kMatN; j++) {
      g_ma[i][j] = (float)((i * 7 + j * 3 + round) % 17) / 8.0f - 1.0f;
      g_mb[i][j] = (float)((i * 5 + j * 11 + round) % 13) / 4.0f - 1.5f;
    }
  }
  uint64_t h = 0;
  for (int i = 0; i < kMatN; i++) {
    for (int j = 0; j < kMatN; j++) {
      float s = 0.0f;
      for (int k = 0; k < kMatN; k++) s += g_ma[i][k] * g_mb[k][j];
      g_mc[i][j] = s / __builtin_sqrtf(s * s + 1.0f);
      h = h * 31 + bits32(g_mc[i][j]);
    }
  }
  return h;
}

__attribute__((noinline)) static uint64_t bench_run(void) {
  for (int i = 0; i < kBodies; i++) {
    g_mass[i] = 1.0 + (double)(i % 5) * 0.25;
    for (int k = 0; k < 3; k++) {
      g_pos[i][k] = (double)((i * 37 + k * 11) % 23) - 11.0;
      g_vel[i][k] = (double)((i * 13 + k * 7) % 9) * 0.01;
    }
  }
  uint64_t sum = 0;
  for (int round = 0; round < 320; round++) {
    for (int s = 0; s < 20; s++) nbody_step(0.001);
    sum = sum * 1000003 + matmul(round);
  }
  for (int i = 0; i < kBodies; i++) {
    for (int k = 0; k < 3; k++) sum = sum * 31 + bits64(g_pos[i][k]) + bits64(g_vel[i][k]);
  }
  return sum;
}

#include "jit_bench.h"
