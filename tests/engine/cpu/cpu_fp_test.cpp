// Per-instruction tests of the F and D extensions on the interpreter: each steps one
// instruction and checks f/x registers, fflags, mstatus.FS and memory. The arithmetic itself is
// the soft-float library's (softfloat_test.cpp); these test the wiring: decoding, operand
// unboxing, result boxing, rounding-mode selection, flag accumulation and the FS gate.
#include <gtest/gtest.h>

#include <cstdint>

#include "engine/cpu/cpu_state.h"
#include "engine/cpu/csr.h"
#include "engine/cpu/decode.h"
#include "tests/engine/cpu/cpu_test_machine.h"

namespace glassvm::test {
namespace {

// -- F/D encoders (unprivileged spec chapters 11 and 12) --
constexpr uint32_t kRne = 0, kRtz = 1, kRdn = 2, kRup = 3, kRmm = 4, kDyn = 7;
constexpr uint32_t op_fp(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t rm, uint32_t rd) {
  return enc_r(f7, rs2, rs1, rm, rd, 0x53);
}
constexpr uint32_t flw(uint32_t rd, uint32_t rs1, int32_t o) {
  return enc_i(o, rs1, 2, rd, 0x07);
}
constexpr uint32_t fld(uint32_t rd, uint32_t rs1, int32_t o) {
  return enc_i(o, rs1, 3, rd, 0x07);
}
constexpr uint32_t fsw(uint32_t rs2, uint32_t rs1, int32_t o) {
  return (enc_s(o, rs2, rs1, 2) & ~0x7fu) | 0x27;
}
constexpr uint32_t fsd(uint32_t rs2, uint32_t rs1, int32_t o) {
  return (enc_s(o, rs2, rs1, 3) & ~0x7fu) | 0x27;
}
constexpr uint32_t fadd_s(uint32_t rd, uint32_t a, uint32_t b, uint32_t rm = kDyn) {
  return op_fp(0x00, b, a, rm, rd);
}
constexpr uint32_t fadd_d(uint32_t rd, uint32_t a, uint32_t b, uint32_t rm = kDyn) {
  return op_fp(0x01, b, a, rm, rd);
}
constexpr uint32_t fdiv_d(uint32_t rd, uint32_t a, uint32_t b, uint32_t rm = kDyn) {
  return op_fp(0x0d, b, a, rm, rd);
}
constexpr uint32_t fmul_s(uint32_t rd, uint32_t a, uint32_t b, uint32_t rm = kDyn) {
  return op_fp(0x08, b, a, rm, rd);
}
constexpr uint32_t fsqrt_d(uint32_t rd, uint32_t a, uint32_t rm = kDyn) {
  return op_fp(0x2d, 0, a, rm, rd);
}
constexpr uint32_t fmadd(uint32_t fmt, uint32_t rd, uint32_t a, uint32_t b, uint32_t c,
                         uint32_t rm = kDyn, uint32_t opcode = 0x43) {
  return c << 27 | fmt << 25 | b << 20 | a << 15 | rm << 12 | rd << 7 | opcode;
}
constexpr uint32_t fsgnj(uint32_t f7, uint32_t f3, uint32_t rd, uint32_t a, uint32_t b) {
  return op_fp(f7, b, a, f3, rd);
}
constexpr uint32_t fcvt(uint32_t f7, uint32_t sel, uint32_t rd, uint32_t rs1, uint32_t rm = kDyn) {
  return op_fp(f7, sel, rs1, rm, rd);
}
constexpr uint32_t fmv_x_w(uint32_t rd, uint32_t rs1) {
  return op_fp(0x70, 0, rs1, 0, rd);
}
constexpr uint32_t fmv_w_x(uint32_t rd, uint32_t rs1) {
  return op_fp(0x78, 0, rs1, 0, rd);
}
constexpr uint32_t fmv_x_d(uint32_t rd, uint32_t rs1) {
  return op_fp(0x71, 0, rs1, 0, rd);
}
constexpr uint32_t fclass_s(uint32_t rd, uint32_t rs1) {
  return op_fp(0x70, 0, rs1, 1, rd);
}
constexpr uint32_t fcmp(uint32_t f7, uint32_t f3, uint32_t rd, uint32_t a, uint32_t b) {
  return op_fp(f7, b, a, f3, rd);
}

// Bit patterns.
constexpr uint32_t kOneS = 0x3f800000, kTwoS = 0x40000000, kThreeS = 0x40400000;
constexpr uint32_t kNegOneS = 0xbf800000, kQNanS = 0x7fc00000, kSNanS = 0x7f800001;
constexpr uint64_t kOneD = 0x3ff0000000000000, kThreeD = 0x4008000000000000;
constexpr uint64_t kOneAndHalfD = 0x3ff8000000000000, kTwoD = 0x4000000000000000;
constexpr uint64_t kBox = 0xffffffff00000000;
constexpr uint64_t kFsDirty = 3ull << 13, kFsInitial = 1ull << 13, kSd = 1ull << 63;
constexpr uint32_t kNx = 1, kUf = 2, kOf = 4, kDz = 8, kNv = 16;

class CpuFp : public CpuMachine {
 protected:
  CpuFp() { enable_fp(); }
  CpuState& st() { return cpu_->executor_state(); }
  uint64_t& f(unsigned r) { return st().f_[r]; }
  void enable_fp(uint64_t fs = kFsInitial) {
    const uint64_t m = csr(kCsrMstatus);
    ASSERT_TRUE(cpu_->poke_csr(kCsrMstatus, (m & ~kFsDirty) | fs));
  }
  void set_fcsr(uint32_t v) { ASSERT_TRUE(cpu_->poke_csr(kCsrFcsr, v)); }
  /// Runs the 4-byte `insn` at the reset pc (no reset: FP state, FS and fflags carry over)
  /// and says whether it completed.
  bool run1(uint32_t insn) {
    program({insn});
    cpu_->set_pc(kRamBase);
    step();
    return cpu_->pc() == kRamBase + 4;
  }
  bool illegal() { return csr(kCsrMcause) == kExcIllegalInsn; }
  uint32_t fflags() { return st().fcsr_ & 0x1f; }
  uint64_t fs() { return csr(kCsrMstatus) & kFsDirty; }
};

TEST_F(CpuFp, DefaultHartIsRv64gc) {
  const uint64_t misa = csr(kCsrMisa);
  for (char e : {'I', 'M', 'A', 'F', 'D', 'C', 'S', 'U'}) {
    EXPECT_TRUE(misa & (1ull << (e - 'A'))) << e;
  }
}

TEST_F(CpuFp, ResetLeavesFsOffAndFpIllegal) {
  cpu_->reset(kRamBase);
  EXPECT_EQ(fs(), 0u);
  EXPECT_EQ(csr(kCsrMstatus) & kSd, 0u);
  program({fadd_s(1, 2, 3)});
  step();
  EXPECT_EQ(cpu_->pc(), csr(kCsrMtvec));
  EXPECT_TRUE(illegal());
  EXPECT_EQ(csr(kCsrMtval), fadd_s(1, 2, 3));
}

TEST_F(CpuFp, FsOffMakesEveryFpInstructionAndCsrIllegal) {
  const uint32_t insns[] = {fadd_d(1, 2, 3), flw(1, a1, 0), fsd(1, a1, 0), fmv_x_w(a0, 1),
                            fmv_w_x(1, a1), fclass_s(a0, 1), fmadd(0, 1, 2, 3, 4),
                            0x2000 /* c.fld f8,0(s0) */,
                            // csrr a0, fflags / frm / fcsr
                            0x00102573, 0x00202573, 0x00302573};
  for (uint32_t insn : insns) {
    enable_fp(0);
    cpu_->set_reg(a1, kRamBase + 0x800);
    EXPECT_FALSE(run1(insn)) << std::hex << insn;
    EXPECT_TRUE(illegal()) << std::hex << insn;
    EXPECT_EQ(fs(), 0u);
  }
}

TEST_F(CpuFp, FsWritableAndDirtyAfterWrite) {
  for (uint64_t v : {0ull, 1ull, 2ull, 3ull}) {
    enable_fp(v << 13);
    EXPECT_EQ(fs(), v << 13);
    EXPECT_EQ((csr(kCsrMstatus) & kSd) != 0, v == 3);
    EXPECT_EQ(csr(kCsrSstatus) & kFsDirty, v << 13);  // sstatus shows FS
  }
  // sstatus writes it too.
  ASSERT_TRUE(cpu_->poke_csr(kCsrSstatus, (csr(kCsrSstatus) & ~kFsDirty) | (2ull << 13)));
  EXPECT_EQ(fs(), 2ull << 13);
  f(2) = kBox | kOneS;
  f(3) = kBox | kTwoS;
  ASSERT_TRUE(run1(fadd_s(1, 2, 3)));
  EXPECT_EQ(fs(), kFsDirty);
  EXPECT_NE(csr(kCsrMstatus) & kSd, 0u);
  // A write of the FP CSRs dirties too; a comparison that raises nothing does not.
  enable_fp(kFsInitial);
  ASSERT_TRUE(run1(fcmp(0x50, 2, a0, 2, 3)));  // feq.s
  EXPECT_EQ(fs(), kFsInitial);
  ASSERT_TRUE(run1(0x00159073));  // csrw fflags, a1
  EXPECT_EQ(fs(), kFsDirty);
}

TEST_F(CpuFp, LoadsAndStoresBoxAndMoveRawBits) {
  const uint64_t buf = kRamBase + 0x800;
  set_mem(buf, 0x1122334455667788);
  cpu_->set_reg(a1, buf);
  ASSERT_TRUE(run1(flw(1, a1, 4)));
  EXPECT_EQ(f(1), kBox | 0x11223344);
  EXPECT_EQ(fs(), kFsDirty);
  ASSERT_TRUE(run1(fld(2, a1, 0)));
  EXPECT_EQ(f(2), 0x1122334455667788u);
  f(3) = 0x0123456789abcdef;  // not boxed: FSW stores the low 32 bits anyway
  ASSERT_TRUE(run1(fsw(3, a1, 8)));
  EXPECT_EQ(mem(buf + 8, 4), 0x89abcdefu);
  ASSERT_TRUE(run1(fsd(3, a1, 16)));
  EXPECT_EQ(mem(buf + 16), 0x0123456789abcdefu);
  // Misaligned and MMIO accesses take the slow path.
  ASSERT_TRUE(run1(fld(4, a1, 2)));
  EXPECT_EQ(f(4), 0xcdef112233445566u);  // the low bytes of the FSW above
  mmio_value_ = 0xdeadbeefcafef00d;
  cpu_->set_reg(a1, kMmioBase);
  ASSERT_TRUE(run1(flw(5, a1, 0)));
  EXPECT_EQ(f(5), kBox | 0xcafef00d);
  ASSERT_TRUE(run1(fsd(4, a1, 0)));
  ASSERT_EQ(mmio_writes_.size(), 1u);
  EXPECT_EQ(mmio_writes_[0], 0xcdef112233445566u);
  // A faulting load leaves the register as it was.
  cpu_->set_reg(a1, 0x40000000);
  EXPECT_FALSE(run1(fld(4, a1, 0)));
  EXPECT_EQ(csr(kCsrMcause), kExcLoadAccessFault);
  EXPECT_EQ(f(4), 0xcdef112233445566u);
}

TEST_F(CpuFp, CompressedLoadsAndStores) {
  const uint64_t buf = kRamBase + 0x800;
  set_mem(buf + 8, kOneD);
  cpu_->set_reg(8, buf);  // s0
  // c.fld f9, 8(s0): 001 uimm[5:3]=001 rs1'=000 uimm[7:6]=00 rd'=001 00
  put16(kRamBase, 0x2404);
  cpu_->set_pc(kRamBase);
  step();
  EXPECT_EQ(cpu_->pc(), kRamBase + 2);
  EXPECT_EQ(f(9), kOneD);
  // c.fsd f9, 16(s0): 101 uimm[5:3]=010 rs1'=000 00 rs2'=001 00
  put16(kRamBase, 0xa804);
  cpu_->set_pc(kRamBase);
  step();
  EXPECT_EQ(mem(buf + 16), kOneD);
  // c.fsdsp f9, 24(sp): 101 uimm[5:3|8:6]=011 000 rs2=01001 10
  cpu_->set_reg(sp, buf);
  put16(kRamBase, 0xac26);
  cpu_->set_pc(kRamBase);
  step();
  EXPECT_EQ(mem(buf + 24), kOneD);
  // c.fldsp f0, 24(sp): 001 uimm[5]=0 rd=00000 uimm[4:3]=11 uimm[8:6]=000 10 (f0 is legal)
  put16(kRamBase, 0x2062);
  cpu_->set_pc(kRamBase);
  step();
  EXPECT_EQ(cpu_->pc(), kRamBase + 2);
  EXPECT_EQ(f(0), kOneD);
}

TEST_F(CpuFp, ArithmeticBoxesSingleResults) {
  f(2) = kBox | kOneS;
  f(3) = kBox | kTwoS;
  ASSERT_TRUE(run1(fadd_s(1, 2, 3)));
  EXPECT_EQ(f(1), kBox | kThreeS);
  ASSERT_TRUE(run1(fmul_s(1, 3, 3)));
  EXPECT_EQ(f(1), kBox | 0x40800000);  // 4.0f
  f(2) = kOneD;
  f(3) = kTwoD;
  ASSERT_TRUE(run1(fadd_d(1, 2, 3)));
  EXPECT_EQ(f(1), kThreeD);
  f(4) = 0x4010000000000000;  // 4.0
  ASSERT_TRUE(run1(fsqrt_d(1, 4)));
  EXPECT_EQ(f(1), kTwoD);
  EXPECT_EQ(fflags(), 0u);
}

TEST_F(CpuFp, ImproperlyBoxedOperandIsCanonicalNan) {
  f(2) = kOneS;  // upper half zero: not a boxed single
  f(3) = kBox | kOneS;
  ASSERT_TRUE(run1(fadd_s(1, 2, 3)));
  EXPECT_EQ(f(1), kBox | kQNanS);
  EXPECT_EQ(fflags(), 0u);  // the canonical NaN is quiet
  ASSERT_TRUE(run1(fclass_s(a0, 2)));
  EXPECT_EQ(x(a0), 1u << 9);
  // The sign-injection ops see the canonical NaN too.
  ASSERT_TRUE(run1(fsgnj(0x10, 0, 1, 2, 3)));
  EXPECT_EQ(f(1), kBox | kQNanS);
  // FMV.X.W moves the raw low bits, boxed or not.
  ASSERT_TRUE(run1(fmv_x_w(a0, 2)));
  EXPECT_EQ(x(a0), kOneS);
}

TEST_F(CpuFp, FusedMultiplyAdds) {
  f(2) = kBox | kTwoS;
  f(3) = kBox | kThreeS;
  f(4) = kBox | kOneS;
  ASSERT_TRUE(run1(fmadd(0, 1, 2, 3, 4)));              // 2*3 + 1
  EXPECT_EQ(f(1), kBox | 0x40e00000);                   // 7
  ASSERT_TRUE(run1(fmadd(0, 1, 2, 3, 4, kDyn, 0x47)));  // fmsub: 2*3 - 1
  EXPECT_EQ(f(1), kBox | 0x40a00000);                   // 5
  ASSERT_TRUE(run1(fmadd(0, 1, 2, 3, 4, kDyn, 0x4b)));  // fnmsub: -(2*3) + 1
  EXPECT_EQ(f(1), kBox | 0xc0a00000);                   // -5
  ASSERT_TRUE(run1(fmadd(0, 1, 2, 3, 4, kDyn, 0x4f)));  // fnmadd: -(2*3) - 1
  EXPECT_EQ(f(1), kBox | 0xc0e00000);                   // -7
  f(2) = kTwoD;
  f(3) = kThreeD;
  f(4) = kOneD;
  ASSERT_TRUE(run1(fmadd(1, 1, 2, 3, 4)));
  EXPECT_EQ(f(1), 0x401c000000000000u);  // 7.0
  // inf * 0 + qNaN is invalid.
  f(2) = 0x7ff0000000000000;
  f(3) = 0;
  f(4) = 0x7ff8000000000000;
  ASSERT_TRUE(run1(fmadd(1, 1, 2, 3, 4)));
  EXPECT_EQ(fflags(), kNv);
  // fmt 2 (H) and 3 (Q) are not implemented.
  EXPECT_FALSE(run1(fmadd(2, 1, 2, 3, 4)));
  EXPECT_TRUE(illegal());
}

TEST_F(CpuFp, StaticAndDynamicRoundingModes) {
  f(2) = kOneD;
  f(3) = kThreeD;
  struct Case {
    uint32_t rm, frm;
    uint64_t want;
  };
  // 1/3 = 0x3fd5555555555555 rounded down, ...56 up.
  const Case cases[] = {{kRne, 3, 0x3fd5555555555555}, {kRtz, 0, 0x3fd5555555555555},
                        {kRdn, 0, 0x3fd5555555555555}, {kRup, 0, 0x3fd5555555555556},
                        {kRmm, 0, 0x3fd5555555555555}, {kDyn, 3, 0x3fd5555555555556},
                        {kDyn, 2, 0x3fd5555555555555}, {kDyn, 0, 0x3fd5555555555555}};
  for (const Case& c : cases) {
    set_fcsr(c.frm << 5);
    ASSERT_TRUE(run1(fdiv_d(1, 2, 3, c.rm))) << c.rm << " " << c.frm;
    EXPECT_EQ(f(1), c.want) << c.rm << " " << c.frm;
    EXPECT_EQ(fflags(), kNx);
  }
  // Conversions honour rm too: 1.5 -> 1 (rtz), 2 (rup, rne, rmm), 1 (rdn).
  f(4) = kOneAndHalfD;
  const std::pair<uint32_t, uint64_t> cvt[] = {
      {kRtz, 1}, {kRup, 2}, {kRne, 2}, {kRmm, 2}, {kRdn, 1}};
  for (auto [rm, want] : cvt) {
    ASSERT_TRUE(run1(fcvt(0x61, 2, a0, 4, rm)));  // fcvt.l.d
    EXPECT_EQ(x(a0), want) << rm;
  }
}

TEST_F(CpuFp, ReservedRoundingModesAreIllegal) {
  f(2) = kOneD;
  f(3) = kThreeD;
  // Static rm 5 and 6 are reserved encodings.
  EXPECT_EQ(decode(fdiv_d(1, 2, 3, 5)).op, Op::Illegal);
  EXPECT_EQ(decode(fdiv_d(1, 2, 3, 6)).op, Op::Illegal);
  EXPECT_FALSE(run1(fdiv_d(1, 2, 3, 5)));
  EXPECT_TRUE(illegal());
  // DYN with frm 5, 6 or 7 is illegal at execution; the destination is untouched.
  for (uint32_t frm : {5u, 6u, 7u}) {
    set_fcsr(frm << 5);
    EXPECT_EQ(csr(kCsrFrm), frm);  // frm holds any 3-bit value
    f(1) = 0x1234;
    EXPECT_FALSE(run1(fdiv_d(1, 2, 3, kDyn)));
    EXPECT_TRUE(illegal());
    EXPECT_EQ(f(1), 0x1234u);
    // A static mode still works.
    EXPECT_TRUE(run1(fdiv_d(1, 2, 3, kRne)));
  }
}

TEST_F(CpuFp, FlagsAccumulate) {
  set_fcsr(0);
  f(2) = kOneD;
  f(3) = kThreeD;
  f(4) = 0;
  ASSERT_TRUE(run1(fdiv_d(1, 2, 3)));
  EXPECT_EQ(fflags(), kNx);
  ASSERT_TRUE(run1(fdiv_d(1, 2, 4)));  // 1/0
  EXPECT_EQ(fflags(), kNx | kDz);
  f(5) = 0x7fefffffffffffff;  // DBL_MAX + DBL_MAX overflows
  ASSERT_TRUE(run1(fadd_d(1, 5, 5)));
  EXPECT_EQ(fflags(), kNx | kDz | kOf);
  f(6) = 0x0010000000000000;  // DBL_MIN / 3 is tiny and inexact
  ASSERT_TRUE(run1(fdiv_d(1, 6, 3)));
  EXPECT_EQ(fflags(), kNx | kDz | kOf | kUf);
  f(7) = kBox | kSNanS;
  ASSERT_TRUE(run1(fcmp(0x50, 2, a0, 7, 7)));  // feq.s with a signaling NaN
  EXPECT_EQ(fflags(), kNx | kDz | kOf | kUf | kNv);
  EXPECT_EQ(x(a0), 0u);
  EXPECT_EQ(csr(kCsrFflags), 0x1fu);
  EXPECT_EQ(csr(kCsrFcsr), 0x1fu);
}

TEST_F(CpuFp, ConversionsOutOfRangeSaturate) {
  f(1) = 0x41f0000000000000;                // 2^32
  ASSERT_TRUE(run1(fcvt(0x61, 0, a0, 1)));  // fcvt.w.d
  EXPECT_EQ(x(a0), 0x7fffffffu);
  EXPECT_EQ(fflags(), kNv);
  ASSERT_TRUE(run1(fcvt(0x61, 1, a0, 1)));  // fcvt.wu.d: 0xffffffff, sign-extended
  EXPECT_EQ(x(a0), ~uint64_t{0});
  f(2) = 0xc1f0000000000000;  // -2^32
  ASSERT_TRUE(run1(fcvt(0x61, 0, a0, 2)));
  EXPECT_EQ(x(a0), 0xffffffff80000000u);
  ASSERT_TRUE(run1(fcvt(0x61, 3, a0, 2)));  // fcvt.lu.d of a negative
  EXPECT_EQ(x(a0), 0u);
  f(3) = kBox | kQNanS;                     // NaN -> the largest positive
  ASSERT_TRUE(run1(fcvt(0x60, 2, a0, 3)));  // fcvt.l.s
  EXPECT_EQ(x(a0), 0x7fffffffffffffffu);
  set_fcsr(0);
  f(4) = kBox | kNegOneS;
  ASSERT_TRUE(run1(fcvt(0x60, 0, a0, 4)));  // fcvt.w.s -1 -> sign-extended -1
  EXPECT_EQ(x(a0), ~uint64_t{0});
  EXPECT_EQ(fflags(), 0u);
  // x0 as destination stays zero.
  ASSERT_TRUE(run1(fcvt(0x60, 0, zero, 4)));
  EXPECT_EQ(x(zero), 0u);
}

TEST_F(CpuFp, IntegerToFloatAndBetweenFormats) {
  cpu_->set_reg(a1, static_cast<uint64_t>(-3));
  ASSERT_TRUE(run1(fcvt(0x68, 0, 1, a1)));  // fcvt.s.w
  EXPECT_EQ(f(1), kBox | 0xc0400000);
  ASSERT_TRUE(run1(fcvt(0x68, 1, 1, a1)));  // fcvt.s.wu: 0xfffffffd
  EXPECT_EQ(f(1), kBox | 0x4f800000);       // 2^32 after rounding
  EXPECT_EQ(fflags(), kNx);
  ASSERT_TRUE(run1(fcvt(0x69, 2, 1, a1)));  // fcvt.d.l
  EXPECT_EQ(f(1), 0xc008000000000000u);
  ASSERT_TRUE(run1(fcvt(0x69, 0, 1, a1, kRup)));  // fcvt.d.w (any valid rm)
  EXPECT_EQ(f(1), 0xc008000000000000u);
  f(2) = kBox | kOneS;
  ASSERT_TRUE(run1(fcvt(0x21, 0, 1, 2)));  // fcvt.d.s
  EXPECT_EQ(f(1), kOneD);
  f(3) = kOneD;
  ASSERT_TRUE(run1(fcvt(0x20, 1, 1, 3)));  // fcvt.s.d
  EXPECT_EQ(f(1), kBox | kOneS);
}

TEST_F(CpuFp, MovesSignExtendAndBox) {
  f(1) = kBox | kNegOneS;
  ASSERT_TRUE(run1(fmv_x_w(a0, 1)));
  EXPECT_EQ(x(a0), 0xffffffffbf800000u);
  cpu_->set_reg(a1, 0xdeadbeef3f800000);
  ASSERT_TRUE(run1(fmv_w_x(2, a1)));
  EXPECT_EQ(f(2), kBox | kOneS);
  f(3) = 0x8000000000000001;
  ASSERT_TRUE(run1(fmv_x_d(a0, 3)));
  EXPECT_EQ(x(a0), 0x8000000000000001u);
  ASSERT_TRUE(run1(op_fp(0x79, 0, a1, 0, 4)));  // fmv.d.x
  EXPECT_EQ(f(4), 0xdeadbeef3f800000u);
  EXPECT_EQ(fflags(), 0u);
}

TEST_F(CpuFp, SignInjectionMinMaxCompareClass) {
  f(1) = kBox | kOneS;
  f(2) = kBox | kNegOneS;
  ASSERT_TRUE(run1(fsgnj(0x10, 0, 3, 1, 2)));  // fsgnj.s
  EXPECT_EQ(f(3), kBox | kNegOneS);
  ASSERT_TRUE(run1(fsgnj(0x10, 1, 3, 2, 2)));  // fneg.s
  EXPECT_EQ(f(3), kBox | kOneS);
  ASSERT_TRUE(run1(fsgnj(0x10, 2, 3, 2, 2)));  // fabs.s
  EXPECT_EQ(f(3), kBox | kOneS);
  f(4) = kOneD;
  ASSERT_TRUE(run1(fsgnj(0x11, 1, 5, 4, 4)));  // fneg.d
  EXPECT_EQ(f(5), 0xbff0000000000000u);
  ASSERT_TRUE(run1(fsgnj(0x14, 0, 3, 1, 2)));  // fmin.s
  EXPECT_EQ(f(3), kBox | kNegOneS);
  ASSERT_TRUE(run1(fsgnj(0x15, 1, 3, 4, 5)));  // fmax.d
  EXPECT_EQ(f(3), kOneD);
  f(6) = kBox | kQNanS;
  ASSERT_TRUE(run1(fsgnj(0x14, 1, 3, 6, 1)));  // fmax.s with one NaN: the other
  EXPECT_EQ(f(3), kBox | kOneS);
  EXPECT_EQ(fflags(), 0u);
  ASSERT_TRUE(run1(fcmp(0x50, 1, a0, 2, 1)));  // flt.s -1 < 1
  EXPECT_EQ(x(a0), 1u);
  ASSERT_TRUE(run1(fcmp(0x51, 0, a0, 4, 4)));  // fle.d
  EXPECT_EQ(x(a0), 1u);
  ASSERT_TRUE(run1(fcmp(0x50, 1, a0, 6, 1)));  // flt with a quiet NaN: NV
  EXPECT_EQ(x(a0), 0u);
  EXPECT_EQ(fflags(), kNv);
  ASSERT_TRUE(run1(op_fp(0x71, 0, 5, 1, a0)));  // fclass.d -1.0
  EXPECT_EQ(x(a0), 1u << 1);
}

TEST_F(CpuFp, WithoutFAndDTheyAreIllegal) {
  HartConfig config;
  config.misa_extensions = HartConfig::kBaseExtensions | misa_extension('S');
  cpu_ = std::make_unique<Cpu>(*as_, 0, config);
  cpu_->reset(kRamBase);
  EXPECT_EQ(csr(kCsrMisa) & ((1u << ('F' - 'A')) | (1u << ('D' - 'A'))), 0u);
  ASSERT_TRUE(cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) | kFsDirty));
  EXPECT_EQ(csr(kCsrMstatus) & kFsDirty, 0u);  // FS is read-only zero
  uint64_t v;
  EXPECT_FALSE(cpu_->peek_csr(kCsrFcsr, v));
  program({fadd_d(1, 2, 3)});
  step();
  EXPECT_EQ(csr(kCsrMcause), kExcIllegalInsn);
}

TEST_F(CpuFp, Disassembly) {
  EXPECT_EQ(disassemble(decode(fadd_s(10, 11, 12)), 0), "fadd.s fa0,fa1,fa2");
  EXPECT_EQ(disassemble(decode(fadd_d(10, 11, 12, kRtz)), 0), "fadd.d fa0,fa1,fa2,rtz");
  EXPECT_EQ(disassemble(decode(fmadd(1, 0, 1, 2, 3)), 0), "fmadd.d ft0,ft1,ft2,ft3");
  EXPECT_EQ(disassemble(decode(fld(8, 2, 16)), 0), "fld fs0,16(sp)");
  EXPECT_EQ(disassemble(decode(fsw(31, 10, -4)), 0), "fsw ft11,-4(a0)");
  EXPECT_EQ(disassemble(decode(fcvt(0x61, 0, a0, 10, kRtz)), 0), "fcvt.w.d a0,fa0,rtz");
  EXPECT_EQ(disassemble(decode(fcvt(0x68, 3, 10, a0)), 0), "fcvt.s.lu fa0,a0");
  EXPECT_EQ(disassemble(decode(fmv_x_w(a0, 10)), 0), "fmv.x.w a0,fa0");
  EXPECT_EQ(disassemble(decode(fsgnj(0x11, 2, 1, 2, 2)), 0), "fabs.d ft1,ft2");
  EXPECT_EQ(disassemble(decode(fcmp(0x51, 2, a0, 10, 11)), 0), "feq.d a0,fa0,fa1");
  EXPECT_EQ(disassemble(decode(0x2404), 0), "fld fs1,8(s0)");  // c.fld
}

}  // namespace
}  // namespace glassvm::test
