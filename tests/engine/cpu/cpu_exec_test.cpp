// Per-instruction tests of the interpreter: each steps one instruction (or a short sequence)
// and checks registers and memory. RV64IMAC, including the edge cases the spec defines.
#include <gtest/gtest.h>

#include <cstdint>

#include "engine/cpu/csr.h"
#include "tests/engine/cpu/cpu_test_machine.h"

namespace glassvm::test {
namespace {

constexpr uint64_t kMin64 = 0x8000000000000000ull;

class CpuExec : public CpuMachine {
 protected:
  /// Executes `insn` at the reset pc with a1 = a and a2 = b; returns a0.
  uint64_t run_op(uint32_t insn, uint64_t a, uint64_t b = 0) {
    cpu_->reset(kRamBase);
    program({insn});
    cpu_->set_reg(a1, a);
    cpu_->set_reg(a2, b);
    step();
    EXPECT_EQ(cpu_->pc(), kRamBase + 4) << "instruction trapped? mcause=" << csr(kCsrMcause);
    return x(a0);
  }
  uint64_t rr(uint32_t f7, uint32_t f3, uint64_t a, uint64_t b) {
    return run_op(op(f7, f3, a0, a1, a2), a, b);
  }
  uint64_t rr32(uint32_t f7, uint32_t f3, uint64_t a, uint64_t b) {
    return run_op(op32(f7, f3, a0, a1, a2), a, b);
  }
};

TEST_F(CpuExec, LuiAuipcSignExtend) {
  EXPECT_EQ(run_op(lui(a0, 0x12345), 0), 0x12345000u);
  EXPECT_EQ(run_op(lui(a0, 0x80000), 0), 0xffffffff80000000ull);
  EXPECT_EQ(run_op(auipc(a0, 1), 0), kRamBase + 0x1000);
  EXPECT_EQ(run_op(auipc(a0, 0xfffff), 0), kRamBase - 0x1000);
}

TEST_F(CpuExec, ImmediateAlu) {
  EXPECT_EQ(run_op(addi(a0, a1, -1), 5), 4u);
  EXPECT_EQ(run_op(addi(a0, a1, -2048), 0), static_cast<uint64_t>(-2048));
  EXPECT_EQ(run_op(slti(a0, a1, 0), static_cast<uint64_t>(-1)), 1u);
  EXPECT_EQ(run_op(sltiu(a0, a1, -1), 5), 1u);  // imm sign-extends, then compares unsigned
  EXPECT_EQ(run_op(sltiu(a0, a1, 0), 5), 0u);
  EXPECT_EQ(run_op(xori(a0, a1, -1), 0x0f), ~uint64_t{0x0f});
  EXPECT_EQ(run_op(ori(a0, a1, 0x700), 0x0f), 0x70fu);
  EXPECT_EQ(run_op(andi(a0, a1, -16), 0xff), 0xf0u);
  EXPECT_EQ(run_op(slli(a0, a1, 63), 1), kMin64);
  EXPECT_EQ(run_op(srli(a0, a1, 63), kMin64), 1u);
  EXPECT_EQ(run_op(srai(a0, a1, 63), kMin64), ~uint64_t{0});
  EXPECT_EQ(run_op(srai(a0, a1, 4), 0x80), 0x8u);
}

TEST_F(CpuExec, RegisterAlu) {
  EXPECT_EQ(rr(0, 0, 3, 4), 7u);                            // add
  EXPECT_EQ(rr(0x20, 0, 3, 4), static_cast<uint64_t>(-1));  // sub
  EXPECT_EQ(rr(0, 1, 1, 64 + 63), kMin64);                  // sll uses rs2[5:0]
  EXPECT_EQ(rr(0, 2, static_cast<uint64_t>(-1), 0), 1u);    // slt
  EXPECT_EQ(rr(0, 3, static_cast<uint64_t>(-1), 0), 0u);    // sltu
  EXPECT_EQ(rr(0, 4, 0xff, 0x0f), 0xf0u);                   // xor
  EXPECT_EQ(rr(0, 5, kMin64, 63), 1u);                      // srl
  EXPECT_EQ(rr(0x20, 5, kMin64, 63), ~uint64_t{0});         // sra
  EXPECT_EQ(rr(0, 6, 0xf0, 0x0f), 0xffu);                   // or
  EXPECT_EQ(rr(0, 7, 0xf0, 0x3c), 0x30u);                   // and
}

TEST_F(CpuExec, WordOpsSignExtend) {
  EXPECT_EQ(run_op(addiw(a0, a1, 1), 0x7fffffff), 0xffffffff80000000ull);
  EXPECT_EQ(run_op(addiw(a0, a1, 0), 0x1234567880000000ull), 0xffffffff80000000ull);
  EXPECT_EQ(run_op(slliw(a0, a1, 31), 1), 0xffffffff80000000ull);
  EXPECT_EQ(run_op(srliw(a0, a1, 31), 0xffffffff80000000ull), 1u);
  EXPECT_EQ(run_op(srliw(a0, a1, 0), 0x80000000u), 0xffffffff80000000ull);
  EXPECT_EQ(run_op(sraiw(a0, a1, 31), 0x80000000u), ~uint64_t{0});
  EXPECT_EQ(rr32(0, 0, 0x7fffffff, 1), 0xffffffff80000000ull);  // addw
  EXPECT_EQ(rr32(0x20, 0, 0, 1), ~uint64_t{0});                 // subw
  EXPECT_EQ(rr32(0, 1, 1, 32 + 31), 0xffffffff80000000ull);     // sllw uses rs2[4:0]
  EXPECT_EQ(rr32(0, 5, 0xffffffff80000000ull, 31), 1u);         // srlw
  EXPECT_EQ(rr32(0x20, 5, 0x80000000u, 31), ~uint64_t{0});      // sraw
}

TEST_F(CpuExec, MultiplyAndDivide) {
  const uint64_t m1 = ~uint64_t{0};
  EXPECT_EQ(rr(1, 0, 6, 7), 42u);                              // mul
  EXPECT_EQ(rr(1, 1, m1, m1), 0u);                             // mulh(-1*-1)
  EXPECT_EQ(rr(1, 1, kMin64, kMin64), 0x4000000000000000ull);  // mulh
  EXPECT_EQ(rr(1, 2, m1, m1), m1);                             // mulhsu(-1, 2^64-1)
  EXPECT_EQ(rr(1, 3, m1, m1), m1 - 1);                         // mulhu
  EXPECT_EQ(rr(1, 4, static_cast<uint64_t>(-7), 2), static_cast<uint64_t>(-3));  // div
  EXPECT_EQ(rr(1, 4, 5, 0), m1);                                                 // div by zero
  EXPECT_EQ(rr(1, 4, kMin64, m1), kMin64);                                       // div overflow
  EXPECT_EQ(rr(1, 5, 5, 0), m1);                                                 // divu by zero
  EXPECT_EQ(rr(1, 5, m1, 2), m1 / 2);                                            // divu
  EXPECT_EQ(rr(1, 6, static_cast<uint64_t>(-7), 2), static_cast<uint64_t>(-1));  // rem
  EXPECT_EQ(rr(1, 6, 5, 0), 5u);                                                 // rem by zero
  EXPECT_EQ(rr(1, 6, kMin64, m1), 0u);                                           // rem overflow
  EXPECT_EQ(rr(1, 7, 5, 0), 5u);                                                 // remu by zero
  EXPECT_EQ(rr(1, 7, 7, 3), 1u);                                                 // remu
  EXPECT_EQ(rr32(1, 0, 0x10000, 0x10000), 0u);                                   // mulw
  EXPECT_EQ(rr32(1, 0, 0x40000000, 2), 0xffffffff80000000ull);                   // mulw sign
  EXPECT_EQ(rr32(1, 4, 0x80000000u, 0xffffffffu), 0xffffffff80000000ull);        // divw overflow
  EXPECT_EQ(rr32(1, 4, 5, 0), m1);                                               // divw by zero
  EXPECT_EQ(rr32(1, 5, 0x80000000u, 0), m1);                                     // divuw by zero
  EXPECT_EQ(rr32(1, 5, 0xfffffffeu, 1), 0xfffffffffffffffeull);  // divuw sign-extends
  EXPECT_EQ(rr32(1, 6, 0x80000000u, 0xffffffffu), 0u);           // remw overflow
  EXPECT_EQ(rr32(1, 6, 0x80000005u, 0), 0xffffffff80000005ull);  // remw by zero
  EXPECT_EQ(rr32(1, 7, 0x80000005u, 0), 0xffffffff80000005ull);  // remuw by zero
  EXPECT_EQ(rr32(1, 7, 0x1ffffffffull, 0x10), 0xfu);             // remuw
}

TEST_F(CpuExec, X0IsHardwiredZero) {
  program({addi(zero, zero, 5), addi(a0, zero, 1), lw(zero, a0, 0)});
  cpu_->set_reg(0, 1234);
  step(2);
  EXPECT_EQ(x(0), 0u);
  EXPECT_EQ(x(a0), 1u);
}

TEST_F(CpuExec, LoadsExtend) {
  const uint64_t d = kRamBase + 0x1000;
  set_mem(d, 0x8182838485868788ull);
  auto ld1 = [&](uint32_t insn) { return run_op(insn, d); };
  EXPECT_EQ(ld1(lb(a0, a1, 0)), 0xffffffffffffff88ull);
  EXPECT_EQ(ld1(lbu(a0, a1, 0)), 0x88u);
  EXPECT_EQ(ld1(lh(a0, a1, 2)), 0xffffffffffff8586ull);
  EXPECT_EQ(ld1(lhu(a0, a1, 2)), 0x8586u);
  EXPECT_EQ(ld1(lw(a0, a1, 4)), 0xffffffff81828384ull);
  EXPECT_EQ(ld1(lwu(a0, a1, 4)), 0x81828384u);
  EXPECT_EQ(ld1(ld(a0, a1, 0)), 0x8182838485868788ull);
  EXPECT_EQ(run_op(ld(a0, a1, -8), d + 8), 0x8182838485868788ull);  // negative offset
}

TEST_F(CpuExec, Stores) {
  const uint64_t d = kRamBase + 0x2000;
  set_mem(d, 0);
  run_op(sb(a2, a1, 0), d, 0x1ff);
  EXPECT_EQ(mem(d), 0xffu);
  run_op(sh(a2, a1, 2), d, 0xabcd1234);
  EXPECT_EQ(mem(d), 0x123400ffu);
  run_op(sw(a2, a1, 4), d, 0x11223344);
  EXPECT_EQ(mem(d), 0x11223344123400ffull);
  run_op(sd(a2, a1, 8), d, 0x0102030405060708ull);
  EXPECT_EQ(mem(d + 8), 0x0102030405060708ull);
}

TEST_F(CpuExec, MisalignedAccessesArePerformed) {
  const uint64_t d = kRamBase + 0x3000;
  set_mem(d, 0x0706050403020100ull);
  set_mem(d + 8, 0x0f0e0d0c0b0a0908ull);
  EXPECT_EQ(run_op(ld(a0, a1, 3), d), 0x0a09080706050403ull);
  EXPECT_EQ(run_op(lw(a0, a1, 1), d), 0x04030201u);
  run_op(sd(a2, a1, 1), d, 0xaabbccddeeff1122ull);
  EXPECT_EQ(mem(d + 1), 0xaabbccddeeff1122ull);
  // Crossing a page boundary.
  const uint64_t edge = kRamBase + 0x5000 - 3;
  run_op(sd(a2, a1, 0), edge, 0x1122334455667788ull);
  EXPECT_EQ(mem(edge), 0x1122334455667788ull);
  EXPECT_EQ(run_op(ld(a0, a1, 0), edge), 0x1122334455667788ull);
  EXPECT_EQ(run_op(lh(a0, a1, 2), edge), 0x5566u);
}

TEST_F(CpuExec, BranchesTakenAndNotTaken) {
  struct Case {
    uint32_t insn;
    uint64_t a, b;
    bool taken;
  } cases[] = {
      {beq(a1, a2, 16), 3, 3, true},
      {beq(a1, a2, 16), 3, 4, false},
      {bne(a1, a2, 16), 3, 4, true},
      {bne(a1, a2, 16), 3, 3, false},
      {blt(a1, a2, 16), static_cast<uint64_t>(-1), 0, true},
      {blt(a1, a2, 16), 0, static_cast<uint64_t>(-1), false},
      {bge(a1, a2, 16), 0, static_cast<uint64_t>(-1), true},
      {bge(a1, a2, 16), 5, 5, true},
      {bltu(a1, a2, 16), 0, static_cast<uint64_t>(-1), true},
      {bltu(a1, a2, 16), static_cast<uint64_t>(-1), 0, false},
      {bgeu(a1, a2, 16), static_cast<uint64_t>(-1), 0, true},
      {bgeu(a1, a2, 16), 0, 1, false},
  };
  for (const Case& c : cases) {
    cpu_->reset(kRamBase);
    program({c.insn});
    cpu_->set_reg(a1, c.a);
    cpu_->set_reg(a2, c.b);
    step();
    EXPECT_EQ(cpu_->pc(), kRamBase + (c.taken ? 16 : 4)) << std::hex << c.insn;
  }
  // Backward branch.
  cpu_->reset(kRamBase + 0x100);
  put(kRamBase + 0x100, {beq(zero, zero, -0x100)});
  step();
  EXPECT_EQ(cpu_->pc(), kRamBase);
}

TEST_F(CpuExec, JalAndJalr) {
  program({jal(ra, 0x20)});
  step();
  EXPECT_EQ(cpu_->pc(), kRamBase + 0x20);
  EXPECT_EQ(x(ra), kRamBase + 4);
  // jalr clears bit 0 of the target and links pc+4; rd == rs1 uses the old value.
  cpu_->reset(kRamBase);
  program({jalr(a1, a1, 3)});
  cpu_->set_reg(a1, kRamBase + 0x40);
  step();
  EXPECT_EQ(cpu_->pc(), kRamBase + 0x42);
  EXPECT_EQ(x(a1), kRamBase + 4);
}

TEST_F(CpuExec, CompressedInstructions) {
  // c.li a0,-1 ; c.addi a0,1 ; c.mv a1,a0... use a short mixed sequence.
  put16(kRamBase + 0, 0x557d);              // c.li a0, -1
  put16(kRamBase + 2, 0x0505);              // c.addi a0, 1
  put16(kRamBase + 4, 0x0509);              // c.addi a0, 2
  put16(kRamBase + 6, 0x85aa);              // c.mv a1, a0
  put16(kRamBase + 8, 0x952e);              // c.add a0, a1
  put16(kRamBase + 10, 0xa011);             // c.j +4
  put16(kRamBase + 12, 0x0001);             // c.nop (skipped)
  put(kRamBase + 14, {addi(a2, zero, 7)});  // a 4-byte instruction at a 2-mod-4 address
  step(5);
  EXPECT_EQ(x(a0), 4u);
  EXPECT_EQ(x(a1), 2u);
  EXPECT_EQ(cpu_->pc(), kRamBase + 10);
  step();
  EXPECT_EQ(cpu_->pc(), kRamBase + 14);
  step();
  EXPECT_EQ(x(a2), 7u);
  EXPECT_EQ(cpu_->pc(), kRamBase + 18);
  EXPECT_EQ(cpu_->instret(), 7u);
}

TEST_F(CpuExec, InstructionStraddlingAPage) {
  const uint64_t at = kRamBase + 0x1ffe;
  put16(at, static_cast<uint16_t>(addi(a0, zero, 9)));
  put16(at + 2, static_cast<uint16_t>(addi(a0, zero, 9) >> 16));
  put(at + 4, {addi(a1, zero, 3)});
  cpu_->set_pc(at);
  step(2);
  EXPECT_EQ(x(a0), 9u);
  EXPECT_EQ(x(a1), 3u);
  EXPECT_EQ(cpu_->pc(), at + 8);
}

TEST_F(CpuExec, FencesAreNops) {
  program({kFence, kFenceI, addi(a0, zero, 1)});
  step(3);
  EXPECT_EQ(x(a0), 1u);
  EXPECT_EQ(cpu_->pc(), kRamBase + 12);
}

TEST_F(CpuExec, AmosWord) {
  const uint64_t d = kRamBase + 0x4000;
  struct Case {
    uint32_t f5;
    uint32_t mem, src, expect;
  } cases[] = {
      {0x01, 5, 9, 9},                    // amoswap
      {0x00, 5, 9, 14},                   // amoadd
      {0x04, 0xff, 0x0f, 0xf0},           // amoxor
      {0x0c, 0xff, 0x0f, 0x0f},           // amoand
      {0x08, 0xf0, 0x0f, 0xff},           // amoor
      {0x10, 0xffffffff, 1, 0xffffffff},  // amomin (signed: -1 < 1)
      {0x14, 0xffffffff, 1, 1},           // amomax
      {0x18, 0xffffffff, 1, 1},           // amominu
      {0x1c, 0xffffffff, 1, 0xffffffff},  // amomaxu
  };
  for (const Case& c : cases) {
    set_mem(d, 0x5555555500000000ull | c.mem);
    uint64_t old = run_op(amo(c.f5, false, a0, a1, a2), d, 0x7777777700000000ull | c.src);
    EXPECT_EQ(old, static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(c.mem))))
        << c.f5;
    EXPECT_EQ(mem(d), 0x5555555500000000ull | c.expect) << c.f5;  // upper word untouched
  }
}

TEST_F(CpuExec, AmosDouble) {
  const uint64_t d = kRamBase + 0x4000;
  set_mem(d, static_cast<uint64_t>(-5));
  EXPECT_EQ(run_op(amo(0x00, true, a0, a1, a2), d, 7), static_cast<uint64_t>(-5));
  EXPECT_EQ(mem(d), 2u);
  EXPECT_EQ(run_op(amo(0x10, true, a0, a1, a2), d, static_cast<uint64_t>(-1)), 2u);
  EXPECT_EQ(mem(d), static_cast<uint64_t>(-1));
  EXPECT_EQ(run_op(amo(0x18, true, a0, a1, a2), d, 3), static_cast<uint64_t>(-1));
  EXPECT_EQ(mem(d), 3u);
  // rd == rs2: the old value lands in rd, the source was read first.
  cpu_->reset(kRamBase);
  program({amo(0x01, true, a2, a1, a2)});
  cpu_->set_reg(a1, d);
  cpu_->set_reg(a2, 42);
  step();
  EXPECT_EQ(x(a2), 3u);
  EXPECT_EQ(mem(d), 42u);
}

TEST_F(CpuExec, LrScSucceedsOnlyWithReservation) {
  const uint64_t d = kRamBase + 0x4000;
  set_mem(d, 10);
  program({amo(0x02, true, a0, a1, 0),     // lr.d a0, (a1)
           amo(0x03, true, a3, a1, a2),    // sc.d a3, a2, (a1): succeeds
           amo(0x03, true, a3, a1, a2)});  // again: no reservation, fails
  cpu_->set_reg(a1, d);
  cpu_->set_reg(a2, 99);
  step(2);
  EXPECT_EQ(x(a0), 10u);
  EXPECT_EQ(x(a3), 0u);
  EXPECT_EQ(mem(d), 99u);
  cpu_->set_reg(a2, 7);
  step();
  EXPECT_EQ(x(a3), 1u);
  EXPECT_EQ(mem(d), 99u);
}

TEST_F(CpuExec, StoreToReservedAddressBreaksReservation) {
  const uint64_t d = kRamBase + 0x4000;
  set_mem(d, 10);
  program({amo(0x02, false, a0, a1, 0),  // lr.w
           sw(zero, a1, 0),              // store to the reserved word
           amo(0x03, false, a3, a1, a2)});
  cpu_->set_reg(a1, d);
  cpu_->set_reg(a2, 5);
  step(3);
  EXPECT_EQ(x(a3), 1u);
  EXPECT_EQ(mem(d, 4), 0u);
}

TEST_F(CpuExec, StoreElsewhereKeepsReservation) {
  const uint64_t d = kRamBase + 0x4000;
  set_mem(d, 10);
  program({amo(0x02, false, a0, a1, 0),  // lr.w
           sw(zero, a1, 8),              // a different word of the same page
           amo(0x03, false, a3, a1, a2)});
  cpu_->set_reg(a1, d);
  cpu_->set_reg(a2, 5);
  step(3);
  EXPECT_EQ(x(a3), 0u);
  EXPECT_EQ(mem(d, 4), 5u);
}

TEST_F(CpuExec, ScToDifferentAddressFails) {
  const uint64_t d = kRamBase + 0x4000;
  program({amo(0x02, true, a0, a1, 0), addi(a1, a1, 8), amo(0x03, true, a3, a1, a2)});
  cpu_->set_reg(a1, d);
  step(3);
  EXPECT_EQ(x(a3), 1u);
}

TEST_F(CpuExec, SelfModifyingCodeIsSeenAfterAStore) {
  // The store rewrites the very next instruction (addi a0,zero,1 -> addi a0,zero,2).
  program({sw(a2, a1, 8), kNop, addi(a0, zero, 1)});
  cpu_->set_reg(a1, kRamBase);
  cpu_->set_reg(a2, addi(a0, zero, 2));
  EXPECT_EQ(cpu_->run(3), RunExit::Budget);
  EXPECT_EQ(x(a0), 2u);
}

TEST_F(CpuExec, SelfModifyingLoopSeesNewCode) {
  // A loop body that patches itself: first pass adds 1, afterwards adds 100.
  //   0: addi a0, a0, 1      <- patched
  //   4: sw   a2, 0(a1)
  //   8: addi a3, a3, -1
  //  12: bne  a3, zero, -12
  program({addi(a0, a0, 1), sw(a2, a1, 0), addi(a3, a3, -1), bne(a3, zero, -12)});
  cpu_->set_reg(a1, kRamBase);
  cpu_->set_reg(a2, addi(a0, a0, 100));
  cpu_->set_reg(a3, 3);
  cpu_->run(12);
  EXPECT_EQ(x(a0), 201u);
  EXPECT_EQ(cpu_->pc(), kRamBase + 16);
}

TEST_F(CpuExec, ExternalWriteInvalidatesDecodedCode) {
  program({addi(a0, zero, 1)});
  step();
  EXPECT_EQ(x(a0), 1u);
  program({addi(a0, zero, 3)});  // a DMA-style write through the address space
  cpu_->set_pc(kRamBase);
  step();
  EXPECT_EQ(x(a0), 3u);
}

TEST_F(CpuExec, LongLoopCountsInstructionsExactly) {
  // a0 = sum of 1..1000 with a counted loop.
  program({addi(a1, zero, 1000), addi(a0, zero, 0), kNop, op(0, 0, a0, a0, a1), addi(a1, a1, -1),
           bne(a1, zero, -8), kEbreak});
  EXPECT_EQ(cpu_->run(3 + 3 * 1000), RunExit::Budget);
  EXPECT_EQ(x(a0), 500500u);
  EXPECT_EQ(cpu_->pc(), kRamBase + 24);
  EXPECT_EQ(cpu_->instret(), 3003u);
  // A small budget stops exactly.
  cpu_->reset(kRamBase);
  cpu_->run(4);
  EXPECT_EQ(cpu_->pc(), kRamBase + 16);
  EXPECT_EQ(cpu_->instret(), 4u);
}

TEST_F(CpuExec, InstretIsExactInsideMmioCallbacks) {
  program({kNop, kNop, sw(a2, a1, 0), kNop, lw(a3, a1, 0)});
  cpu_->set_reg(a1, kMmioBase);
  cpu_->set_reg(a2, 0x55);
  mmio_value_ = 0x66;
  cpu_->run(3);
  EXPECT_EQ(mmio_writes_.size(), 1u);
  EXPECT_EQ(mmio_writes_[0], 0x55u);
  EXPECT_EQ(last_instret_at_mmio_, 2u);
  cpu_->run(2);
  EXPECT_EQ(last_instret_at_mmio_, 4u);
  EXPECT_EQ(x(a3), 0x66u);
  EXPECT_EQ(cpu_->instret(), 5u);
}

TEST_F(CpuExec, RequestStopFromDeviceStopsAtNextInstruction) {
  program({sw(a2, a1, 0), kNop, kNop});
  cpu_->set_reg(a1, kMmioBase);
  on_mmio_write_ = [this](uint64_t) { cpu_->request_stop(); };
  EXPECT_EQ(cpu_->run(100), RunExit::Stopped);
  EXPECT_EQ(cpu_->pc(), kRamBase + 4);
  EXPECT_EQ(cpu_->instret(), 1u);
}

TEST_F(CpuExec, DecodeHookSeesEachInstructionOnce) {
  std::vector<uint64_t> seen;
  cpu_->set_decode_hook([&](uint64_t pc, const DecodedInsn&) { seen.push_back(pc); });
  program({addi(a1, zero, 3), addi(a1, a1, -1), bne(a1, zero, -4), kNop});
  cpu_->run(1 + 2 * 3 + 1);
  EXPECT_EQ(seen, (std::vector<uint64_t>{kRamBase, kRamBase + 4, kRamBase + 8, kRamBase + 12}));
}

}  // namespace
}  // namespace glassvm::test
