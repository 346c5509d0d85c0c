// FADD, FSUB, FMUL, FDIV and FSQRT, single and double, the sign injections and the moves, on
// many operands: pseudo-random ones and edge values (zeros, subnormals, the smallest and largest
// normals, infinities, NaNs, values whose results overflow or underflow), in every rounding
// mode, with fflags cleared every few rounds so that both the inline wasm path (RNE, NX already
// set, a normal result) and the helper are taken; singles are sometimes improperly NaN-boxed.
// Results and fflags are folded into a checksum. Run by the JIT lockstep (tests/wasm-jit/node):
// the loop is translated early, and the harts must agree after every slice. It exits 0; what it
// checks is the agreement.
#include "test_macros.h"

// Folds f register `r`'s bits and fflags into the checksum s4.
#define FOLD_F(r)      \
  fmv.x.d t0, r;       \
  xor s4, s4, t0;      \
  frflags t0;          \
  add s4, s4, t0;      \
  slli t1, s4, 13;     \
  xor s4, s4, t1;      \
  srli t1, s4, 7;      \
  xor s4, s4, t1;

// One operation in the dynamic rounding mode (frm), then folded.
#define OP(op)         \
  op f2, f0, f1;       \
  FOLD_F(f2)

TEST_BEGIN
  li t0, 0x6000                   // mstatus.FS = Dirty
  csrs mstatus, t0
  li TESTNUM, 1
  li s1, 0x9e3779b97f4a7c15       // xorshift state
  li s4, 0                        // checksum
  li s5, 4000                     // iterations
  la s6, edge_values
1:
  // x: a random double with a moderate exponent (most results stay normal, the inline case).
  XORSHIFT(s1)
  li t1, 0x800fffffffffffff       // keep the sign and mantissa, exponent 0x3c0..0x43f
  and t2, s1, t1
  srli t3, s1, 20
  andi t3, t3, 0x7f
  addi t3, t3, 0x3c0
  slli t3, t3, 52
  or t2, t2, t3
  fmv.d.x f0, t2
  // y: an edge value every fourth round, else another random double.
  andi t0, s5, 3
  bnez t0, 2f
  srli t0, s5, 2
  andi t0, t0, 31
  slli t0, t0, 3
  add t0, t0, s6
  ld t4, 0(t0)
  j 3f
2:
  srli t4, s1, 11
  xor t4, t4, t2
  li t1, 0x3ff0000000000000
  xor t4, t4, t1
3:
  fmv.d.x f1, t4
  andi t0, s5, 64                 // and by turns the operands swapped
  beqz t0, 4f
  fmv.d f3, f0
  fmv.d f0, f1
  fmv.d f1, f3
4:
  // The rounding mode: RNE most of the time, each of the others now and then.
  andi t0, s5, 7
  li t1, 5
  bltu t0, t1, 5f
  li t0, 0
5:
  fsrm t0
  // fflags cleared every 16 rounds (the next inexact result sets NX again).
  andi t0, s5, 15
  bnez t0, 6f
  fsflags zero
6:
  OP(fadd.d)
  OP(fsub.d)
  OP(fmul.d)
  OP(fdiv.d)
  // Static rounding modes: RNE inline, RTZ and RUP always the helper.
  fadd.d f2, f0, f1, rne
  FOLD_F(f2)
  fmul.d f2, f0, f1, rtz
  FOLD_F(f2)
  fdiv.d f2, f0, f1, rup
  FOLD_F(f2)
  // Singles: the low halves NaN-boxed, or by turns f1 left unboxed (the canonical NaN).
  fcvt.s.d f4, f0
  fcvt.s.d f5, f1
  andi t0, s5, 32
  beqz t0, 7f
  fmv.x.d t1, f1
  fmv.d.x f5, t1                  // a double's bits: not a boxed single
7:
  fadd.s f2, f4, f5
  FOLD_F(f2)
  fsub.s f2, f4, f5
  FOLD_F(f2)
  fmul.s f2, f4, f5
  FOLD_F(f2)
  fdiv.s f2, f4, f5
  FOLD_F(f2)
  fmul.s f2, f4, f5, rdn
  FOLD_F(f2)
  fsqrt.d f2, f0                  // negative operands give the canonical NaN and NV
  FOLD_F(f2)
  fsqrt.d f2, f1
  FOLD_F(f2)
  fsqrt.s f2, f5
  FOLD_F(f2)
  // The sign injections and moves (inline without a flag to raise).
  fsgnjn.d f2, f0, f1
  FOLD_F(f2)
  fsgnjx.d f2, f1, f0
  FOLD_F(f2)
  fmv.x.w t0, f5
  xor s4, s4, t0
  fmv.w.x f6, t0
  FOLD_F(f6)
  addi s5, s5, -1
  bnez s5, 1b
  // FS Off: the next FP arithmetic traps (illegal instruction), from translated code.
  li TESTNUM, 2
  la t0, fs_off_handler
  csrw mtvec, t0
  li t0, 0x6000
  csrc mstatus, t0
  fadd.d f2, f0, f1
  j fail                          // not reached: the trap handler goes on at fs_off_done
  .align 2
fs_off_handler:
  csrr t0, mcause
  li t1, 2
  FAIL_NE(t0, t1)
fs_off_done:
TEST_END

  .section .rodata
  .align 3
edge_values:
  .dword 0, 0x8000000000000000                    // +0, -0
  .dword 0x0000000000000001, 0x800fffffffffffff   // subnormals
  .dword 0x0010000000000000, 0x0020000000000000   // the smallest normal, twice it
  .dword 0x7fefffffffffffff, 0xffefffffffffffff   // the largest normals
  .dword 0x7ff0000000000000, 0xfff0000000000000   // infinities
  .dword 0x7ff8000000000000, 0x7ff0000000000001   // a quiet and a signalling NaN
  .dword 0x3ff0000000000000, 0xbff0000000000000   // 1, -1
  .dword 0x4000000000000000, 0x3fe0000000000000   // 2, 0.5
  .dword 0x7fe0000000000000, 0x0010000000000001   // 2^1023, just above the smallest normal
  .dword 0x3ca0000000000000, 0x4340000000000000   // 2^-53, 2^53
  .dword 0x3ff0000000000001, 0x3fefffffffffffff   // 1 + ulp, 1 - ulp/2
  .dword 0x47efffffe0000000, 0x380fffffe0000000   // the largest float, the smallest normal float
  .dword 0x36a0000000000000, 0x7e37e43c8800759c   // a float subnormal, 1e300
  .dword 0x01a56e1fc2f8f359, 0x4197d78400000000   // 1e-300, 1e8
  .dword 0x000fffffffffffff, 0x8000000000000001   // the largest subnormal, -smallest subnormal
  .dword 0x3fd5555555555555, 0xc00921fb54442d18   // 1/3, -pi
