// RV64F and RV64D end to end: FS starts Off (FP illegal), enabling it, loads and stores
// (compressed and not), arithmetic in static and dynamic rounding modes, fflags
// accumulation through the CSRs, NaN boxing, conversions with saturation, comparisons,
// FCLASS and FMV sign extension.
#include "test_macros.h"

#define MSTATUS_FS 0x6000
#define MSTATUS_FS_INITIAL 0x2000

TEST_BEGIN
  // -- FS = Off: an FP instruction traps with illegal instruction --
  li TESTNUM, 1
  la t0, expect_trap
  csrw mtvec, t0
  li a0, 0
  fmv.w.x fa0, zero
  j after_trap
  .align 2
expect_trap:
  csrr a0, mcause
  csrr t0, mepc
  addi t0, t0, 4
  csrw mepc, t0
  mret
after_trap:
  CHECK_NOW(a0, 2)

  // -- Enable the FPU: FS = Initial, then an FP write makes it Dirty (and SD) --
  li TESTNUM, 2
  li t0, MSTATUS_FS_INITIAL
  csrs mstatus, t0
  csrr a1, mstatus
  li t0, MSTATUS_FS
  and a1, a1, t0
  CHECK_NOW(a1, MSTATUS_FS_INITIAL)
  fmv.w.x fa0, zero
  csrr a1, mstatus
  bltz a1, 1f            // SD is bit 63
  j fail
1:
  and a1, a1, t0
  CHECK_NOW(a1, MSTATUS_FS)

  // -- Single precision: 1.5 + 2.25 = 3.75, loads and stores --
  li TESTNUM, 3
  la s0, data
  flw fa0, 0(s0)         // 1.5f
  flw fa1, 4(s0)         // 2.25f
  fadd.s fa2, fa0, fa1
  fsw fa2, 8(s0)
  lwu a1, 8(s0)
  CHECK_NOW(a1, 0x40700000)
  fmv.x.d a1, fa2        // NaN-boxed in the register
  CHECK_NOW(a1, 0xffffffff40700000)

  // -- Double precision with compressed loads and stores (c.fld/c.fsd/c.fldsp/c.fsdsp) --
  li TESTNUM, 4
  fld fs0, 16(s0)        // 0.1 (c.fld: s0 and fs0 are compressible)
  fld fs1, 24(s0)        // 0.2
  fadd.d fs1, fs0, fs1
  addi sp, sp, -16
  fsd fs1, 8(sp)         // c.fsdsp
  fld fa3, 8(sp)         // c.fldsp
  addi sp, sp, 16
  fmv.x.d a1, fa3
  CHECK_NOW(a1, 0x3fd3333333333334)  // 0.30000000000000004
  fsd fa3, 32(s0)        // c.fsd? (fa3 = f13 and s0: compressible)
  ld a1, 32(s0)
  CHECK_NOW(a1, 0x3fd3333333333334)

  // -- Flags: 1.0 / 3.0 is inexact; 1.0 / 0.0 divides by zero; both accumulate --
  li TESTNUM, 5
  csrw fflags, zero
  li a1, 1
  fcvt.d.l fa0, a1
  li a1, 3
  fcvt.d.l fa1, a1
  fdiv.d fa2, fa0, fa1
  csrr a1, fflags
  CHECK_NOW(a1, 0x01)    // NX
  fmv.d.x fa1, zero
  fdiv.d fa2, fa0, fa1
  csrr a1, fflags
  CHECK_NOW(a1, 0x09)    // NX | DZ
  fmv.x.d a1, fa2
  CHECK_NOW(a1, 0x7ff0000000000000)

  // -- Rounding: static rtz/rup and dynamic through frm --
  li TESTNUM, 6
  li a1, 0x3ff8000000000000  // 1.5
  fmv.d.x fa0, a1
  fcvt.l.d a1, fa0, rtz
  CHECK_NOW(a1, 1)
  fcvt.l.d a1, fa0, rup
  CHECK_NOW(a1, 2)
  fcvt.l.d a1, fa0, rne
  CHECK_NOW(a1, 2)
  li a2, 2               // RDN
  csrw frm, a2
  li a1, 0xbff8000000000000  // -1.5
  fmv.d.x fa0, a1
  fcvt.l.d a1, fa0       // dyn: -2
  CHECK_NOW(a1, -2)
  csrr a1, fcsr
  andi a1, a1, 0xe0
  CHECK_NOW(a1, 0x40)
  csrw frm, zero

  // -- Conversions out of range saturate with NV; 32-bit results sign-extended --
  li TESTNUM, 7
  csrw fflags, zero
  li a1, 0x41f0000000000000  // 2^32
  fmv.d.x fa0, a1
  fcvt.w.d a1, fa0
  CHECK_NOW(a1, 0x7fffffff)
  fcvt.wu.d a1, fa0
  CHECK_NOW(a1, -1)      // 0xffffffff sign-extended
  csrr a1, fflags
  CHECK_NOW(a1, 0x10)
  li a1, -7
  fcvt.s.w fa0, a1
  fcvt.w.s a1, fa0
  CHECK_NOW(a1, -7)

  // -- NaN boxing: an improperly boxed single reads as the canonical NaN --
  li TESTNUM, 8
  li a1, 0x000000003f800000  // 1.0f, not boxed
  fmv.d.x fa0, a1
  fadd.s fa1, fa0, fa0
  fmv.x.w a1, fa1
  CHECK_NOW(a1, 0x7fc00000)
  fclass.s a1, fa0
  CHECK_NOW(a1, 0x200)   // quiet NaN
  li a1, 0xbf800000      // -1.0f
  fmv.w.x fa0, a1
  fmv.x.w a1, fa0        // sign-extended
  CHECK_NOW(a1, 0xffffffffbf800000)

  // -- Fused multiply-add, min/max, compare, sign injection, FCVT.S.D/D.S --
  li TESTNUM, 9
  flw fa0, 0(s0)         // 1.5
  flw fa1, 4(s0)         // 2.25
  fmadd.s fa2, fa0, fa1, fa0  // 1.5 * 2.25 + 1.5 = 4.875
  fmv.x.w a1, fa2
  CHECK_NOW(a1, 0x409c0000)
  fmin.s fa3, fa0, fa1
  feq.s a1, fa3, fa0
  CHECK_NOW(a1, 1)
  flt.s a1, fa1, fa0
  CHECK_NOW(a1, 0)
  fneg.s fa3, fa0
  fle.s a1, fa3, fa0
  CHECK_NOW(a1, 1)
  fcvt.d.s fa4, fa2
  fmv.x.d a1, fa4
  CHECK_NOW(a1, 0x4013800000000000)
  fcvt.s.d fa5, fa4
  fmv.x.w a1, fa5
  CHECK_NOW(a1, 0x409c0000)
  fsqrt.d fa5, fa4       // sqrt(4.875) is inexact
  fmul.d fa5, fa5, fa5
  fsub.d fa5, fa5, fa4
  fabs.d fa5, fa5
  li a1, 0x3cf0000000000000  // 2^-48: the rounding error is tiny
  fmv.d.x fa6, a1
  flt.d a1, fa5, fa6
  CHECK_NOW(a1, 1)

  // -- Reserved frm with a DYN instruction is illegal --
  li TESTNUM, 10
  li a1, 5
  csrw frm, a1
  li a0, 0
  fadd.d fa0, fa0, fa0
  CHECK_NOW(a0, 2)
  csrw frm, zero
TEST_END

TEST_DATA_BEGIN
data:
  .word 0x3fc00000       // 1.5f
  .word 0x40100000       // 2.25f
  .word 0
  .word 0
  .dword 0x3fb999999999999a  // 0.1
  .dword 0x3fc999999999999a  // 0.2
  .dword 0
TEST_DATA_END
