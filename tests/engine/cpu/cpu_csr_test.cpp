// CSR tests: existence, WARL and read-only rules of each M-mode CSR, the Zicsr no-write/no-read
// rules, privilege checks, mcounteren gating, the counters, the S-mode state of a hart with and
// without S, and mip.SEIP's two sources.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "engine/cpu/csr.h"
#include "tests/engine/cpu/cpu_test_machine.h"

namespace glassvm::test {
namespace {

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
    EXPECT_EQ(csr(kCsrMcause), 2u) << std::hex << insn;
    EXPECT_EQ(csr(kCsrMtval), insn) << std::hex << insn;
  }
  // These tests pin the M+U hart (HartConfig::kBaseExtensions); use_supervisor_hart() gives
  // the default hart with S. The S-mode CSRs themselves are tested in cpu_smode_test.cpp.
  void SetUp() override {
    cpu_ = std::make_unique<Cpu>(*as_, 0, HartConfig{HartConfig::kBaseExtensions});
    cpu_->reset(kRamBase);
    ASSERT_TRUE(cpu_->poke_csr(kCsrMtvec, kTrapVec));
    open_pmp();
  }
  /// Replaces the hart with one that also has S in misa, reset at kRamBase.
  void use_supervisor_hart() {
    cpu_ = std::make_unique<Cpu>(*as_, 0, HartConfig{kWithS});
    cpu_->reset(kRamBase);
    ASSERT_TRUE(cpu_->poke_csr(kCsrMtvec, kTrapVec));
    open_pmp();
  }
  static constexpr uint64_t kTrapVec = kRamBase + 0x4000;
  static constexpr uint32_t kWithS = HartConfig::kBaseExtensions | misa_extension('S');
  static constexpr uint64_t kSsip = 1u << kIrqSSoft, kStip = 1u << kIrqSTimer,
                            kSeip = 1u << kIrqSExt;
  // mstatus fields that exist only with S-mode (privileged spec 3.1.6).
  static constexpr uint64_t kSie = 1u << 1, kSpie = 1u << 5, kSpp = 1u << 8, kSum = 1u << 18,
                            kMxr = 1u << 19, kTvm = 1u << 20, kTsr = 1u << 22;
};

TEST_F(CpuCsr, MisaReportsRv64Imacu) {
  uint64_t misa = csr(kCsrMisa);
  EXPECT_EQ(misa >> 62, 2u);
  for (char ext : {'I', 'M', 'A', 'C', 'U'}) EXPECT_TRUE(misa & (1ull << (ext - 'A'))) << ext;
  for (char ext : {'S', 'F', 'D', 'E'}) EXPECT_FALSE(misa & (1ull << (ext - 'A'))) << ext;
  // Only C is writable.
  EXPECT_TRUE(cpu_->poke_csr(kCsrMisa, 0));
  EXPECT_EQ(csr(kCsrMisa), misa & ~(1ull << 2));
  EXPECT_TRUE(cpu_->poke_csr(kCsrMisa, ~0ull));
  EXPECT_EQ(csr(kCsrMisa), misa);
}

TEST_F(CpuCsr, ClearingCIsSuppressedWhenNextInstructionIsMisaligned) {
  // c.nop at +0, then csrrci misa,'C' at +2: the next instruction would be at +6.
  put16(kRamBase, 0x0001);
  put(kRamBase + 2, {csrrci(zero, kCsrMisa, 4)});
  step(2);
  EXPECT_EQ(cpu_->pc(), kRamBase + 6);
  EXPECT_TRUE(csr(kCsrMisa) & 4);
  // At an aligned position the write takes effect.
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kCsrMtvec, kTrapVec);
  program({csrrci(zero, kCsrMisa, 4)});
  step();
  EXPECT_FALSE(csr(kCsrMisa) & 4);
}

TEST_F(CpuCsr, MstatusWarlFields) {
  uint64_t s = csr(kCsrMstatus);
  EXPECT_EQ((s >> 32) & 3, 2u);  // UXL: U-mode is 64-bit
  EXPECT_EQ((s >> 34) & 3, 0u);  // SXL: read-only zero without S-mode
  EXPECT_EQ((s >> 13) & 3, 0u);  // FS
  // Write everything: only MIE, MPIE, MPP, MPRV, TW stick; the S fields (SIE, SPIE, SPP, SUM,
  // MXR, TVM, TSR) are read-only zero without S-mode, UXL stays 2 and SXL 0.
  EXPECT_TRUE(cpu_->poke_csr(kCsrMstatus, ~0ull));
  s = csr(kCsrMstatus);
  EXPECT_EQ(s,
            (1ull << 3) | (1ull << 7) | (3ull << 11) | (1ull << 17) | (1ull << 21) | (2ull << 32));
  // MPP: S (1) and the reserved 2 are not legal; the old value is kept.
  cpu_->poke_csr(kCsrMstatus, 0);
  cpu_->poke_csr(kCsrMstatus, 1ull << 11);
  EXPECT_EQ((csr(kCsrMstatus) >> 11) & 3, 0u);
  cpu_->poke_csr(kCsrMstatus, 3ull << 11);
  cpu_->poke_csr(kCsrMstatus, 2ull << 11);
  EXPECT_EQ((csr(kCsrMstatus) >> 11) & 3, 3u);
  cpu_->poke_csr(kCsrMstatus, 1ull << 11);
  EXPECT_EQ((csr(kCsrMstatus) >> 11) & 3, 3u);
}

TEST_F(CpuCsr, MstatusSupervisorFieldsWithSMode) {
  use_supervisor_hart();
  EXPECT_TRUE(csr(kCsrMisa) & (1u << ('S' - 'A')));
  uint64_t s = csr(kCsrMstatus);
  EXPECT_EQ((s >> 34) & 3, 2u);  // SXL
  EXPECT_EQ((s >> 32) & 3, 2u);  // UXL
  EXPECT_TRUE(cpu_->poke_csr(kCsrMstatus, ~0ull));
  EXPECT_EQ(csr(kCsrMstatus), kSie | kSpie | kSpp | kSum | kMxr | kTvm | kTsr | (1ull << 3) |
                                  (1ull << 7) | (3ull << 11) | (1ull << 17) | (1ull << 21) |
                                  (2ull << 32) | (2ull << 34));
  // MPP can hold S; the reserved 2 keeps the old value.
  cpu_->poke_csr(kCsrMstatus, 1ull << 11);
  EXPECT_EQ((csr(kCsrMstatus) >> 11) & 3, 1u);
  cpu_->poke_csr(kCsrMstatus, 2ull << 11);
  EXPECT_EQ((csr(kCsrMstatus) >> 11) & 3, 1u);
}

TEST_F(CpuCsr, MtvecModeWarl) {
  cpu_->poke_csr(kCsrMtvec, kRamBase + 0x101);
  EXPECT_EQ(csr(kCsrMtvec), kRamBase + 0x101);
  cpu_->poke_csr(kCsrMtvec, kRamBase + 0x202);  // mode 2 is reserved: keep vectored
  EXPECT_EQ(csr(kCsrMtvec), kRamBase + 0x201);
  cpu_->poke_csr(kCsrMtvec, kRamBase + 0x300);
  cpu_->poke_csr(kCsrMtvec, kRamBase + 0x403);
  EXPECT_EQ(csr(kCsrMtvec), kRamBase + 0x400);
}

TEST_F(CpuCsr, MepcBitZeroAndMaskWithoutC) {
  cpu_->poke_csr(kCsrMepc, 0x1237);
  EXPECT_EQ(csr(kCsrMepc), 0x1236u);
  cpu_->poke_csr(kCsrMisa, csr(kCsrMisa) & ~4ull);
  EXPECT_EQ(csr(kCsrMepc), 0x1234u);  // IALIGN=32: bit 1 reads as zero
  cpu_->poke_csr(kCsrMisa, csr(kCsrMisa) | 4);
  EXPECT_EQ(csr(kCsrMepc), 0x1236u);
}

TEST_F(CpuCsr, MieAndMipWritableBits) {
  // Without S-mode only the M-level interrupts exist: SSIE/STIE/SEIE and SSIP/STIP/SEIP are
  // read-only zero (privileged spec 3.1.9).
  cpu_->poke_csr(kCsrMie, ~0ull);
  EXPECT_EQ(csr(kCsrMie), 0x888u);
  cpu_->poke_csr(kCsrMie, 0);
  cpu_->poke_csr(kCsrMip, ~0ull);
  EXPECT_EQ(csr(kCsrMip), 0u);  // MSIP/MTIP/MEIP are read-only, the S bits do not exist
  cpu_->set_interrupt_pending(kIrqMTimer, true);
  EXPECT_EQ(csr(kCsrMip), 1u << 7);
  cpu_->poke_csr(kCsrMip, 0);  // cannot clear a line driven by a device
  EXPECT_EQ(csr(kCsrMip), 1u << 7);
  cpu_->set_interrupt_pending(kIrqMTimer, false);
  EXPECT_EQ(csr(kCsrMip), 0u);
  // The PLIC's S-context line has no interrupt to raise on this hart.
  cpu_->set_interrupt_pending(kIrqSExt, true);
  EXPECT_EQ(csr(kCsrMip), 0u);
  exec({csrrs(a0, kCsrMip, zero)});
  EXPECT_EQ(x(a0), 0u);
}

TEST_F(CpuCsr, MieAndMipSupervisorBitsWithSMode) {
  use_supervisor_hart();
  cpu_->poke_csr(kCsrMie, ~0ull);
  EXPECT_EQ(csr(kCsrMie), 0xaaau);
  cpu_->poke_csr(kCsrMip, ~0ull);
  EXPECT_EQ(csr(kCsrMip), kSsip | kStip | kSeip);  // M bits stay read-only
  cpu_->poke_csr(kCsrMip, 0);
  EXPECT_EQ(csr(kCsrMip), 0u);
}

TEST_F(CpuCsr, SeipReadsTheSoftwareBitOrThePlicLine) {
  use_supervisor_hart();
  // The line alone.
  cpu_->set_interrupt_pending(kIrqSExt, true);
  EXPECT_EQ(csr(kCsrMip), kSeip);
  // A CSR write clears only the software bit: the device interrupt stays pending.
  cpu_->poke_csr(kCsrMip, 0);
  EXPECT_EQ(csr(kCsrMip), kSeip);
  cpu_->set_interrupt_pending(kIrqSExt, false);
  EXPECT_EQ(csr(kCsrMip), 0u);
  // The software bit alone, and both: dropping the line leaves the software bit.
  cpu_->poke_csr(kCsrMip, kSeip);
  EXPECT_EQ(csr(kCsrMip), kSeip);
  cpu_->set_interrupt_pending(kIrqSExt, true);
  cpu_->set_interrupt_pending(kIrqSExt, false);
  EXPECT_EQ(csr(kCsrMip), kSeip);
  cpu_->poke_csr(kCsrMip, 0);
  EXPECT_EQ(csr(kCsrMip), 0u);
}

TEST_F(CpuCsr, SeipLineIsNotWrittenBackByCsrrsOrCsrrc) {
  use_supervisor_hart();
  cpu_->set_interrupt_pending(kIrqSExt, true);
  cpu_->set_reg(a1, kSsip);
  // rd sees the OR; only the software bits take part in the read-modify-write.
  exec({csrrs(a0, kCsrMip, a1), csrrc(a2, kCsrMip, a1)});
  EXPECT_EQ(x(a0), kSeip);
  EXPECT_EQ(x(a2), kSeip | kSsip);
  cpu_->set_interrupt_pending(kIrqSExt, false);
  EXPECT_EQ(csr(kCsrMip), 0u);  // the line's level was never copied into the software bit
}

TEST_F(CpuCsr, SeipFromEitherSourceRaisesTheInterrupt) {
  use_supervisor_hart();
  program({kNop, kNop});
  cpu_->poke_csr(kCsrMie, kSeip);
  cpu_->poke_csr(kCsrMstatus, 1u << 3);  // MIE
  cpu_->set_interrupt_pending(kIrqSExt, true);
  step();
  EXPECT_EQ(cpu_->pc(), kTrapVec);
  EXPECT_EQ(csr(kCsrMcause), (1ull << 63) | kIrqSExt);
  // The software bit alone, after the line dropped.
  cpu_->set_interrupt_pending(kIrqSExt, false);
  cpu_->poke_csr(kCsrMip, kSeip);
  cpu_->set_pc(kRamBase);
  cpu_->poke_csr(kCsrMcause, 0);
  cpu_->poke_csr(kCsrMstatus, 1u << 3);
  step();
  EXPECT_EQ(cpu_->pc(), kTrapVec);
  EXPECT_EQ(csr(kCsrMcause), (1ull << 63) | kIrqSExt);
}

TEST_F(CpuCsr, ResetClearsTheSoftwareSeipButKeepsTheLine) {
  use_supervisor_hart();
  cpu_->poke_csr(kCsrMip, kSsip | kSeip);
  cpu_->reset(kRamBase);
  EXPECT_EQ(csr(kCsrMip), 0u);
  cpu_->set_interrupt_pending(kIrqSExt, true);
  cpu_->reset(kRamBase);
  EXPECT_EQ(csr(kCsrMip), kSeip);
}

TEST_F(CpuCsr, PlainReadWriteRegisters) {
  for (uint16_t n : {kCsrMscratch, kCsrMcause, kCsrMtval}) {
    EXPECT_TRUE(cpu_->poke_csr(n, 0xdeadbeefcafef00dull));
    EXPECT_EQ(csr(n), 0xdeadbeefcafef00dull);
  }
  cpu_->poke_csr(kCsrMcounteren, ~0ull);
  EXPECT_EQ(csr(kCsrMcounteren), 0xffffffffu);
  cpu_->poke_csr(kCsrMenvcfg, ~0ull);
  EXPECT_EQ(csr(kCsrMenvcfg), 1u);
  cpu_->poke_csr(kCsrMcountinhibit, ~0ull);
  EXPECT_EQ(csr(kCsrMcountinhibit), 0xfffffffdu);  // TM is read-only zero
}

TEST_F(CpuCsr, IdentificationRegistersAreReadOnly) {
  EXPECT_EQ(csr(kCsrMhartid), 0u);
  EXPECT_EQ(csr(kCsrMvendorid), 0u);
  EXPECT_FALSE(cpu_->poke_csr(kCsrMhartid, 5));
  exec({csrrw(a0, kCsrMhartid, a1)});
  expect_illegal(csrrw(a0, kCsrMhartid, a1));
  // csrrs with rs1 = x0 does not write: legal on a read-only CSR.
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kCsrMtvec, kTrapVec);
  exec({csrrs(a0, kCsrMhartid, zero), csrrsi(a1, kCsrMvendorid, 0), csrrci(a2, kCsrMvendorid, 0)});
  EXPECT_EQ(cpu_->pc(), kRamBase + 12);
  // ...but csrrsi with a nonzero immediate does.
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kCsrMtvec, kTrapVec);
  exec({csrrsi(a1, kCsrMvendorid, 1)});
  expect_illegal(csrrsi(a1, kCsrMvendorid, 1));
}

TEST_F(CpuCsr, UnknownCsrsAreIllegal) {
  for (uint16_t n : {uint16_t{kCsrSatp}, uint16_t{kCsrFcsr}, uint16_t{kCsrPmpcfg1}, uint16_t{0x7a0},
                     uint16_t{0xb01}, uint16_t{0x302}}) {
    cpu_->reset(kRamBase);
    cpu_->poke_csr(kCsrMtvec, kTrapVec);
    exec({csrrs(a0, n, zero)});
    expect_illegal(csrrs(a0, n, zero));
    uint64_t v;
    EXPECT_FALSE(cpu_->peek_csr(n, v));
  }
}

TEST_F(CpuCsr, ZicsrInstructions) {
  cpu_->set_reg(a1, 0xf0);
  exec({csrrw(a0, kCsrMscratch, a1),     // a0 = 0, mscratch = 0xf0
        csrrs(a2, kCsrMscratch, a1),     // a2 = 0xf0
        csrrwi(a3, kCsrMscratch, 0x1f),  // a3 = 0xf0, mscratch = 0x1f
        csrrci(a0, kCsrMscratch, 0x3),   // a0 = 0x1f, mscratch = 0x1c
        csrrsi(a1, kCsrMscratch, 0x1),   // a1 = 0x1c, mscratch = 0x1d
        csrrc(a2, kCsrMscratch, a3)});   // a2 = 0x1d, mscratch = 0x1d & ~0xf0 = 0x0d
  EXPECT_EQ(x(a3), 0xf0u);
  EXPECT_EQ(x(a0), 0x1fu);
  EXPECT_EQ(x(a1), 0x1cu);
  EXPECT_EQ(x(a2), 0x1du);
  EXPECT_EQ(csr(kCsrMscratch), 0x0du);
  // csrrw with rd == rs1 swaps.
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kCsrMscratch, 7);
  cpu_->set_reg(a0, 9);
  exec({csrrw(a0, kCsrMscratch, a0)});
  EXPECT_EQ(x(a0), 7u);
  EXPECT_EQ(csr(kCsrMscratch), 9u);
}

TEST_F(CpuCsr, CountersCountRetiredInstructions) {
  exec({kNop, kNop, csrrs(a0, kCsrMinstret, zero), csrrs(a1, kCsrMcycle, zero),
        csrrs(a2, kCsrInstret, zero), csrrs(a3, kCsrCycle, zero)});
  EXPECT_EQ(x(a0), 2u);
  EXPECT_EQ(x(a1), 3u);
  EXPECT_EQ(x(a2), 4u);
  EXPECT_EQ(x(a3), 5u);
  EXPECT_EQ(cpu_->instret(), 6u);
}

TEST_F(CpuCsr, MinstretWriteIsSeenByTheNextInstruction) {
  cpu_->set_reg(a1, 1000);
  exec({csrrw(zero, kCsrMinstret, a1), csrrs(a0, kCsrMinstret, zero),
        csrrs(a2, kCsrMinstret, zero)});
  EXPECT_EQ(x(a0), 1000u);
  EXPECT_EQ(x(a2), 1001u);
  EXPECT_EQ(cpu_->instret(), 1002u);
  EXPECT_EQ(cpu_->retired_instructions(), 3u);  // unaffected by the guest's write
}

TEST_F(CpuCsr, McountinhibitFreezesCounters) {
  exec({csrrwi(zero, kCsrMcountinhibit, 5), kNop, kNop, csrrs(a0, kCsrMinstret, zero),
        csrrs(a1, kCsrMcycle, zero), csrrwi(zero, kCsrMcountinhibit, 0), kNop,
        csrrs(a2, kCsrMinstret, zero)});
  EXPECT_EQ(x(a0), x(a1));
  EXPECT_LE(x(a0), 1u);
  EXPECT_EQ(x(a2), x(a0) + 1);  // resumes counting from the frozen value
}

TEST_F(CpuCsr, HpmCountersReadZero) {
  cpu_->set_reg(a1, 55);
  exec({csrrw(zero, kCsrMhpmcounter3, a1), csrrw(zero, kCsrMhpmevent3, a1),
        csrrs(a0, kCsrMhpmcounter3, zero), csrrs(a2, kCsrMhpmevent3, zero),
        csrrs(a3, kCsrHpmcounter3, zero)});
  EXPECT_EQ(cpu_->pc(), kRamBase + 20);
  EXPECT_EQ(x(a0), 0u);
  EXPECT_EQ(x(a2), 0u);
  EXPECT_EQ(x(a3), 0u);
}

TEST_F(CpuCsr, TimeComesFromTheTimeSource) {
  exec({csrrs(a0, kCsrTime, zero)});
  EXPECT_EQ(x(a0), 0u);
  cpu_->set_time_source([] { return uint64_t{123456}; });
  cpu_->reset(kRamBase);
  cpu_->poke_csr(kCsrMtvec, kTrapVec);
  exec({csrrs(a0, kCsrTime, zero)});
  EXPECT_EQ(x(a0), 123456u);
}

TEST_F(CpuCsr, UserCounterAccessIsGatedByMcounteren) {
  cpu_->set_time_source([] { return uint64_t{77}; });
  const uint64_t user_pc = kRamBase + 0x1000;
  put(user_pc, {csrrs(a0, kCsrTime, zero)});
  cpu_->poke_csr(kCsrMcounteren, 1u << 1);  // TM only
  enter(PrivLevel::User, user_pc);
  step();
  EXPECT_EQ(x(a0), 77u);
  EXPECT_EQ(cpu_->pc(), user_pc + 4);

  put(user_pc, {csrrs(a0, kCsrCycle, zero)});
  cpu_->reset(kRamBase);  // back to M-mode
  cpu_->poke_csr(kCsrMtvec, kTrapVec);
  open_pmp();
  cpu_->poke_csr(kCsrMcounteren, 1u << 1);
  enter(PrivLevel::User, user_pc);
  step();
  expect_illegal(csrrs(a0, kCsrCycle, zero));
  EXPECT_EQ(cpu_->priv(), PrivLevel::Machine);
  EXPECT_EQ(csr(kCsrMepc), user_pc);
}

TEST_F(CpuCsr, UserHpmCounterAccessIsGatedByItsOwnMcounterenBit) {
  const uint64_t user_pc = kRamBase + 0x1000;
  put(user_pc, {csrrs(a0, kCsrHpmcounter3 + 2, zero)});  // hpmcounter5
  cpu_->poke_csr(kCsrMcounteren, 1u << 5);
  cpu_->set_reg(a0, 99);
  enter(PrivLevel::User, user_pc);
  step();
  EXPECT_EQ(cpu_->pc(), user_pc + 4);
  EXPECT_EQ(x(a0), 0u);

  cpu_->reset(kRamBase);
  cpu_->poke_csr(kCsrMtvec, kTrapVec);
  open_pmp();
  cpu_->poke_csr(kCsrMcounteren, ~(1u << 5));  // every counter but hpmcounter5
  enter(PrivLevel::User, user_pc);
  step();
  expect_illegal(csrrs(a0, kCsrHpmcounter3 + 2, zero));
}

TEST_F(CpuCsr, UserModeCannotAccessMachineCsrs) {
  const uint64_t user_pc = kRamBase + 0x1000;
  put(user_pc, {csrrs(a0, kCsrMscratch, zero)});
  enter(PrivLevel::User, user_pc);
  step();
  expect_illegal(csrrs(a0, kCsrMscratch, zero));
  EXPECT_EQ((csr(kCsrMstatus) >> 11) & 3, 0u);  // MPP = U
}

TEST_F(CpuCsr, PmpWarlRules) {
  // Bits 6:5 read as zero; R=0,W=1 drops W.
  cpu_->poke_csr(kCsrPmpcfg0, 0x0000000000000062ull | (0x1full << 8));
  EXPECT_EQ(csr(kCsrPmpcfg0), 0x1f00u);
  cpu_->poke_csr(kCsrPmpaddr0, ~0ull);
  EXPECT_EQ(csr(kCsrPmpaddr0), (1ull << 54) - 1);
  // Lock entry 1 as TOR: pmpcfg byte 1 and pmpaddr0/pmpaddr1 ignore writes.
  cpu_->poke_csr(kCsrPmpcfg0, 0x8f00u);
  cpu_->poke_csr(kCsrPmpcfg0, 0x0000u);
  EXPECT_EQ(csr(kCsrPmpcfg0), 0x8f00u);
  cpu_->poke_csr(kCsrPmpaddr1, 0x1234);
  cpu_->poke_csr(kCsrPmpaddr0, 0x5678);
  EXPECT_EQ(csr(kCsrPmpaddr1), 0u);
  EXPECT_EQ(csr(kCsrPmpaddr0), (1ull << 54) - 1);
}

TEST_F(CpuCsr, CsrNames) {
  EXPECT_STREQ(csr_name(kCsrMstatus), "mstatus");
  EXPECT_STREQ(csr_name(kCsrPmpaddr1), "pmpaddr1");
  EXPECT_STREQ(csr_name(kCsrPmpaddr63), "pmpaddr63");
  EXPECT_STREQ(csr_name(kCsrPmpcfg14), "pmpcfg14");
  EXPECT_STREQ(csr_name(kCsrMhpmevent31), "mhpmevent31");
  EXPECT_STREQ(csr_name(kCsrMhpmcounter3), "mhpmcounter3");
  EXPECT_STREQ(csr_name(kCsrHpmcounter31), "hpmcounter31");
  EXPECT_STREQ(csr_name(kCsrCycle), "cycle");
  // Ratified CSRs this hart lacks still have their names (for the disassembler)...
  EXPECT_STREQ(csr_name(kCsrSatp), "satp");
  EXPECT_STREQ(csr_name(kCsrFcsr), "fcsr");
  uint64_t v;
  EXPECT_FALSE(cpu_->peek_csr(kCsrSatp, v));  // ...but the hart says it does not have them
  // Numbers no ratified RV64 CSR has.
  EXPECT_EQ(csr_name(kCsrPmpcfg1), nullptr);
  EXPECT_EQ(csr_name(0x7ff), nullptr);
  EXPECT_EQ(csr_name(0xb01), nullptr);
}

TEST_F(CpuCsr, ImplementedCsrsAreExactlyThoseOfAnImacuHart) {
  // Privileged spec tables 2.2-2.6, Zicntr and Zihpm, for RV64 M+U without F, S or debug.
  auto expected = [](unsigned n) {
    switch (n) {
      case kCsrMstatus:
      case kCsrMisa:
      case kCsrMie:
      case kCsrMtvec:
      case kCsrMcounteren:
      case kCsrMenvcfg:
      case kCsrMcountinhibit:
      case kCsrMscratch:
      case kCsrMepc:
      case kCsrMcause:
      case kCsrMtval:
      case kCsrMip:
      case kCsrMcycle:
      case kCsrMinstret:
      case kCsrMvendorid:
      case kCsrMarchid:
      case kCsrMimpid:
      case kCsrMhartid:
      case kCsrMconfigptr: return true;
      default: break;
    }
    return (n >= kCsrMhpmevent3 && n <= kCsrMhpmevent31) ||
           (n >= kCsrPmpcfg0 && n <= kCsrPmpcfg15 && n % 2 == 0) ||
           (n >= kCsrPmpaddr0 && n <= kCsrPmpaddr63) ||
           (n >= kCsrMhpmcounter3 && n <= kCsrMhpmcounter31) ||
           (n >= kCsrCycle && n <= kCsrHpmcounter31);
  };
  for (unsigned n = 0; n < 4096; ++n) {
    const uint16_t csr = static_cast<uint16_t>(n);
    uint64_t v;
    const bool has = cpu_->peek_csr(csr, v);
    EXPECT_EQ(has, expected(n)) << std::hex << n;
    if (has) {
      EXPECT_NE(csr_name(csr), nullptr) << std::hex << n;
      // Read-only numbers (csr[11:10] == 3) refuse writes, all others accept them.
      EXPECT_EQ(cpu_->poke_csr(csr, v), (n >> 10) != 3) << std::hex << n;
    } else {
      EXPECT_FALSE(cpu_->poke_csr(csr, 0)) << std::hex << n;
    }
  }
}

}  // namespace
TEST_F(CpuCsr, MretReturnsToTheModeInMpp) {
  // MPP = S on a hart with S: mret enters S-mode (privileged spec 3.3.2), not U.
  use_supervisor_hart();
  cpu_->poke_csr(kCsrMepc, kRamBase + 0x100);
  cpu_->poke_csr(kCsrMstatus, (csr(kCsrMstatus) & ~(3ull << 11)) | (1ull << 11));
  put(kRamBase + 0x800, {kMret});
  cpu_->set_pc(kRamBase + 0x800);
  step();
  EXPECT_EQ(cpu_->priv(), PrivLevel::Supervisor);
  EXPECT_EQ(cpu_->pc(), kRamBase + 0x100);
  EXPECT_EQ((csr(kCsrMstatus) >> 11) & 3, 0u);  // MPP := U, the least-privileged mode
}

}  // namespace glassvm::test
