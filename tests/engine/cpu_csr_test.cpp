// CSR tests: existence, WARL and read-only rules of each M-mode CSR, the Zicsr no-write/no-read
// rules, privilege checks, mcounteren gating and the counters.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "tests/engine/cpu_test_machine.h"

namespace glassvm::test {
namespace {

enum : uint16_t {
  kMstatus = 0x300,
  kMisa = 0x301,
  kMie = 0x304,
  kMtvec = 0x305,
  kMcounteren = 0x306,
  kMenvcfg = 0x30a,
  kMcountinhibit = 0x320,
  kMhpmevent3 = 0x323,
  kMscratch = 0x340,
  kMepc = 0x341,
  kMcause = 0x342,
  kMtval = 0x343,
  kMip = 0x344,
  kPmpcfg0 = 0x3a0,
  kPmpcfg1 = 0x3a1,
  kPmpaddr0 = 0x3b0,
  kPmpaddr1 = 0x3b1,
  kMcycle = 0xb00,
  kMinstret = 0xb02,
  kMhpmcounter3 = 0xb03,
  kCycle = 0xc00,
  kTime = 0xc01,
  kInstret = 0xc02,
  kHpmcounter3 = 0xc03,
  kMvendorid = 0xf11,
  kMhartid = 0xf14,
  kSatp = 0x180,
  kFcsr = 0x003,
};

class CpuCsr : public CpuMachine {
 protected:
  /// Runs `insns` at the reset pc, one step each.
  void exec(std::initializer_list<uint32_t> insns) {
    program(insns);
    step(static_cast<unsigned>(insns.size()));
  }
  /// Whether the last step trapped with illegal instruction (mtvec is at kTrapVec).
  void expect_illegal(uint32_t insn) {
    EXPECT_EQ(cpu_->pc(), kTrapVec) << std::hex << insn;
    EXPECT_EQ(csr(kMcause), 2u) << std::hex << insn;
    EXPECT_EQ(csr(kMtval), insn) << std::hex << insn;
  }
  /// Enters U-mode at `pc` with mret.
  void enter_user(uint64_t pc) {
    cpu_->poke_csr(kMepc, pc);
    cpu_->poke_csr(kMstatus, csr(kMstatus) & ~(3ull << 11));
    put(kRamBase + 0x800, {kMret});
    cpu_->set_pc(kRamBase + 0x800);
    step();
    ASSERT_EQ(cpu_->priv(), PrivLevel::User);
    ASSERT_EQ(cpu_->pc(), pc);
  }
  void SetUp() override { ASSERT_TRUE(cpu_->poke_csr(kMtvec, kTrapVec)); }
  static constexpr uint64_t kTrapVec = kRamBase + 0x4000;
};

TEST_F(CpuCsr, MisaReportsRv64Imacu) {
  uint64_t misa = csr(kMisa);
  EXPECT_EQ(misa >> 62, 2u);
  for (char ext : {'I', 'M', 'A', 'C', 'U'}) EXPECT_TRUE(misa & (1ull << (ext - 'A'))) << ext;
  for (char ext : {'S', 'F', 'D', 'E'}) EXPECT_FALSE(misa & (1ull << (ext - 'A'))) << ext;
  // Only C is writable.
  EXPECT_TRUE(cpu_->poke_csr(kMisa, 0));
  EXPECT_EQ(csr(kMisa), misa & ~(1ull << 2));
  EXPECT_TRUE(cpu_->poke_csr(kMisa, ~0ull));
  EXPECT_EQ(csr(kMisa), misa);
}

TEST_F(CpuCsr, ClearingCIsSuppressedWhenNextInstructionIsMisaligned) {
  // c.nop at +0, then csrrci misa,'C' at +2: the next instruction would be at +6.
  put16(kRamBase, 0x0001);
  put(kRamBase + 2, {csrrci(zero, kMisa, 4)});
  step(2);
  EXPECT_EQ(cpu_->pc(), kRamBase + 6);
  EXPECT_TRUE(csr(kMisa) & 4);
  // At an aligned position the write takes effect.
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kMtvec, kTrapVec);
  program({csrrci(zero, kMisa, 4)});
  step();
  EXPECT_FALSE(csr(kMisa) & 4);
}

TEST_F(CpuCsr, MstatusWarlFields) {
  uint64_t s = csr(kMstatus);
  EXPECT_EQ((s >> 32) & 3, 2u);  // UXL
  EXPECT_EQ((s >> 34) & 3, 2u);  // SXL
  EXPECT_EQ((s >> 13) & 3, 0u);  // FS
  // Write everything: only MIE, MPIE, MPP, MPRV, TW stick; UXL/SXL stay 2.
  EXPECT_TRUE(cpu_->poke_csr(kMstatus, ~0ull));
  s = csr(kMstatus);
  EXPECT_EQ(s, (1ull << 3) | (1ull << 7) | (3ull << 11) | (1ull << 17) | (1ull << 21) |
                   (2ull << 32) | (2ull << 34));
  // MPP: S (1) and the reserved 2 are not legal; the old value is kept.
  cpu_->poke_csr(kMstatus, 0);
  cpu_->poke_csr(kMstatus, 1ull << 11);
  EXPECT_EQ((csr(kMstatus) >> 11) & 3, 0u);
  cpu_->poke_csr(kMstatus, 3ull << 11);
  cpu_->poke_csr(kMstatus, 2ull << 11);
  EXPECT_EQ((csr(kMstatus) >> 11) & 3, 3u);
}

TEST_F(CpuCsr, MtvecModeWarl) {
  cpu_->poke_csr(kMtvec, kRamBase + 0x101);
  EXPECT_EQ(csr(kMtvec), kRamBase + 0x101);
  cpu_->poke_csr(kMtvec, kRamBase + 0x202);  // mode 2 is reserved: keep vectored
  EXPECT_EQ(csr(kMtvec), kRamBase + 0x201);
  cpu_->poke_csr(kMtvec, kRamBase + 0x300);
  cpu_->poke_csr(kMtvec, kRamBase + 0x403);
  EXPECT_EQ(csr(kMtvec), kRamBase + 0x400);
}

TEST_F(CpuCsr, MepcBitZeroAndMaskWithoutC) {
  cpu_->poke_csr(kMepc, 0x1237);
  EXPECT_EQ(csr(kMepc), 0x1236u);
  cpu_->poke_csr(kMisa, csr(kMisa) & ~4ull);
  EXPECT_EQ(csr(kMepc), 0x1234u);  // IALIGN=32: bit 1 reads as zero
  cpu_->poke_csr(kMisa, csr(kMisa) | 4);
  EXPECT_EQ(csr(kMepc), 0x1236u);
}

TEST_F(CpuCsr, MieAndMipWritableBits) {
  cpu_->poke_csr(kMie, ~0ull);
  EXPECT_EQ(csr(kMie), 0xaaau);
  cpu_->poke_csr(kMie, 0);
  cpu_->poke_csr(kMip, ~0ull);
  EXPECT_EQ(csr(kMip), 0x222u);  // MSIP/MTIP/MEIP are read-only
  cpu_->poke_csr(kMip, 0);
  cpu_->set_interrupt_pending(kIrqMTimer, true);
  EXPECT_EQ(csr(kMip), 1u << 7);
  cpu_->poke_csr(kMip, 0);  // cannot clear a line driven by a device
  EXPECT_EQ(csr(kMip), 1u << 7);
  cpu_->set_interrupt_pending(kIrqMTimer, false);
  EXPECT_EQ(csr(kMip), 0u);
}

TEST_F(CpuCsr, PlainReadWriteRegisters) {
  for (uint16_t n : {kMscratch, kMcause, kMtval}) {
    EXPECT_TRUE(cpu_->poke_csr(n, 0xdeadbeefcafef00dull));
    EXPECT_EQ(csr(n), 0xdeadbeefcafef00dull);
  }
  cpu_->poke_csr(kMcounteren, ~0ull);
  EXPECT_EQ(csr(kMcounteren), 0xffffffffu);
  cpu_->poke_csr(kMenvcfg, ~0ull);
  EXPECT_EQ(csr(kMenvcfg), 1u);
  cpu_->poke_csr(kMcountinhibit, ~0ull);
  EXPECT_EQ(csr(kMcountinhibit), 0xfffffffdu);  // TM is read-only zero
}

TEST_F(CpuCsr, IdentificationRegistersAreReadOnly) {
  EXPECT_EQ(csr(kMhartid), 0u);
  EXPECT_EQ(csr(kMvendorid), 0u);
  EXPECT_FALSE(cpu_->poke_csr(kMhartid, 5));
  exec({csrrw(a0, kMhartid, a1)});
  expect_illegal(csrrw(a0, kMhartid, a1));
  // csrrs with rs1 = x0 does not write: legal on a read-only CSR.
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kMtvec, kTrapVec);
  exec({csrrs(a0, kMhartid, zero), csrrsi(a1, kMvendorid, 0), csrrci(a2, kMvendorid, 0)});
  EXPECT_EQ(cpu_->pc(), kRamBase + 12);
  // ...but csrrsi with a nonzero immediate does.
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kMtvec, kTrapVec);
  exec({csrrsi(a1, kMvendorid, 1)});
  expect_illegal(csrrsi(a1, kMvendorid, 1));
}

TEST_F(CpuCsr, UnknownCsrsAreIllegal) {
  for (uint16_t n : {uint16_t{kSatp}, uint16_t{kFcsr}, uint16_t{kPmpcfg1}, uint16_t{0x7a0},
                     uint16_t{0xb01}, uint16_t{0x302}}) {
    cpu_->reset(kRamBase);
    cpu_->poke_csr(kMtvec, kTrapVec);
    exec({csrrs(a0, n, zero)});
    expect_illegal(csrrs(a0, n, zero));
    uint64_t v;
    EXPECT_FALSE(cpu_->peek_csr(n, v));
  }
}

TEST_F(CpuCsr, ZicsrInstructions) {
  cpu_->set_reg(a1, 0xf0);
  exec({csrrw(a0, kMscratch, a1),     // a0 = 0, mscratch = 0xf0
        csrrs(a2, kMscratch, a1),     // a2 = 0xf0
        csrrwi(a3, kMscratch, 0x1f),  // a3 = 0xf0, mscratch = 0x1f
        csrrci(a0, kMscratch, 0x3),   // a0 = 0x1f, mscratch = 0x1c
        csrrsi(a1, kMscratch, 0x1),   // a1 = 0x1c, mscratch = 0x1d
        csrrc(a2, kMscratch, a3)});   // a2 = 0x1d, mscratch = 0x1d & ~0xf0 = 0x0d
  EXPECT_EQ(x(a3), 0xf0u);
  EXPECT_EQ(x(a0), 0x1fu);
  EXPECT_EQ(x(a1), 0x1cu);
  EXPECT_EQ(x(a2), 0x1du);
  EXPECT_EQ(csr(kMscratch), 0x0du);
  // csrrw with rd == rs1 swaps.
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kMscratch, 7);
  cpu_->set_reg(a0, 9);
  exec({csrrw(a0, kMscratch, a0)});
  EXPECT_EQ(x(a0), 7u);
  EXPECT_EQ(csr(kMscratch), 9u);
}

TEST_F(CpuCsr, CountersCountRetiredInstructions) {
  exec({kNop, kNop, csrrs(a0, kMinstret, zero), csrrs(a1, kMcycle, zero), csrrs(a2, kInstret, zero),
        csrrs(a3, kCycle, zero)});
  EXPECT_EQ(x(a0), 2u);
  EXPECT_EQ(x(a1), 3u);
  EXPECT_EQ(x(a2), 4u);
  EXPECT_EQ(x(a3), 5u);
  EXPECT_EQ(cpu_->instret(), 6u);
}

TEST_F(CpuCsr, MinstretWriteIsSeenByTheNextInstruction) {
  cpu_->set_reg(a1, 1000);
  exec({csrrw(zero, kMinstret, a1), csrrs(a0, kMinstret, zero), csrrs(a2, kMinstret, zero)});
  EXPECT_EQ(x(a0), 1000u);
  EXPECT_EQ(x(a2), 1001u);
  EXPECT_EQ(cpu_->instret(), 1002u);
  EXPECT_EQ(cpu_->retired_instructions(), 3u);  // unaffected by the guest's write
}

TEST_F(CpuCsr, McountinhibitFreezesCounters) {
  exec({csrrwi(zero, kMcountinhibit, 5), kNop, kNop, csrrs(a0, kMinstret, zero),
        csrrs(a1, kMcycle, zero), csrrwi(zero, kMcountinhibit, 0), kNop,
        csrrs(a2, kMinstret, zero)});
  EXPECT_EQ(x(a0), x(a1));
  EXPECT_LE(x(a0), 1u);
  EXPECT_EQ(x(a2), x(a0) + 1);  // resumes counting from the frozen value
}

TEST_F(CpuCsr, HpmCountersReadZero) {
  cpu_->set_reg(a1, 55);
  exec({csrrw(zero, kMhpmcounter3, a1), csrrw(zero, kMhpmevent3, a1),
        csrrs(a0, kMhpmcounter3, zero), csrrs(a2, kMhpmevent3, zero),
        csrrs(a3, kHpmcounter3, zero)});
  EXPECT_EQ(cpu_->pc(), kRamBase + 20);
  EXPECT_EQ(x(a0), 0u);
  EXPECT_EQ(x(a2), 0u);
  EXPECT_EQ(x(a3), 0u);
}

TEST_F(CpuCsr, TimeComesFromTheTimeSource) {
  exec({csrrs(a0, kTime, zero)});
  EXPECT_EQ(x(a0), 0u);
  cpu_->set_time_source([] { return uint64_t{123456}; });
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kMtvec, kTrapVec);
  exec({csrrs(a0, kTime, zero)});
  EXPECT_EQ(x(a0), 123456u);
}

TEST_F(CpuCsr, UserCounterAccessIsGatedByMcounteren) {
  cpu_->set_time_source([] { return uint64_t{77}; });
  const uint64_t user_pc = kRamBase + 0x1000;
  put(user_pc, {csrrs(a0, kTime, zero)});
  cpu_->poke_csr(kMcounteren, 1u << 1);  // TM only
  enter_user(user_pc);
  step();
  EXPECT_EQ(x(a0), 77u);
  EXPECT_EQ(cpu_->pc(), user_pc + 4);

  put(user_pc, {csrrs(a0, kCycle, zero)});
  cpu_->reset(kRamBase);  // back to M-mode
  cpu_->poke_csr(kMtvec, kTrapVec);
  cpu_->poke_csr(kMcounteren, 1u << 1);
  enter_user(user_pc);
  step();
  expect_illegal(csrrs(a0, kCycle, zero));
  EXPECT_EQ(cpu_->priv(), PrivLevel::Machine);
  EXPECT_EQ(csr(kMepc), user_pc);
}

TEST_F(CpuCsr, UserModeCannotAccessMachineCsrs) {
  const uint64_t user_pc = kRamBase + 0x1000;
  put(user_pc, {csrrs(a0, kMscratch, zero)});
  enter_user(user_pc);
  step();
  expect_illegal(csrrs(a0, kMscratch, zero));
  EXPECT_EQ((csr(kMstatus) >> 11) & 3, 0u);  // MPP = U
}

TEST_F(CpuCsr, PmpWarlRules) {
  // Bits 6:5 read as zero; R=0,W=1 drops W.
  cpu_->poke_csr(kPmpcfg0, 0x0000000000000062ull | (0x1full << 8));
  EXPECT_EQ(csr(kPmpcfg0), 0x1f00u);
  cpu_->poke_csr(kPmpaddr0, ~0ull);
  EXPECT_EQ(csr(kPmpaddr0), (1ull << 54) - 1);
  // Lock entry 1 as TOR: pmpcfg byte 1 and pmpaddr0/pmpaddr1 ignore writes.
  cpu_->poke_csr(kPmpcfg0, 0x8f00u);
  cpu_->poke_csr(kPmpcfg0, 0x0000u);
  EXPECT_EQ(csr(kPmpcfg0), 0x8f00u);
  cpu_->poke_csr(kPmpaddr1, 0x1234);
  cpu_->poke_csr(kPmpaddr0, 0x5678);
  EXPECT_EQ(csr(kPmpaddr1), 0u);
  EXPECT_EQ(csr(kPmpaddr0), (1ull << 54) - 1);
}

TEST_F(CpuCsr, CsrNames) {
  EXPECT_STREQ(csr_name(kMstatus), "mstatus");
  EXPECT_STREQ(csr_name(kPmpaddr1), "pmpaddr1");
  EXPECT_STREQ(csr_name(kCycle), "cycle");
  EXPECT_EQ(csr_name(kSatp), nullptr);  // not implemented (no S-mode yet)
  EXPECT_EQ(csr_name(0x7ff), nullptr);
}

}  // namespace
}  // namespace glassvm::test
