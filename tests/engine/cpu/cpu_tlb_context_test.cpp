// TLB sets per translation context (engine/cpu/mmu.cpp): a trap from U to S and the SRET back
// switch sets instead of flushing, so these tests run real U <-> S round trips (ECALL from U
// delegated to S, SRET back; ECALL from S to an M-mode handler) and check that no entry ever
// serves another context, that everything that drops entries reaches the parked sets too, and
// that a round trip keeps the entries (tlb_stats()).
#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>

#include "engine/cpu/csr.h"
#include "tests/engine/cpu/cpu_test_machine.h"

namespace glassvm::test {
namespace {

constexpr uint64_t kV = 1, kR = 2, kW = 4, kX = 8, kU = 16, kG = 32, kA = 64, kD = 128;
constexpr uint64_t kMPP = 3ull << 11, kSUM = 1ull << 18, kMXR = 1ull << 19;
constexpr uint32_t kSfenceVma = 0x12000073;
/// sfence.vma rs1, rs2.
constexpr uint32_t sfence_vma(uint32_t rs1, uint32_t rs2) {
  return kSfenceVma | rs2 << 20 | rs1 << 15;
}
enum : uint32_t { a6 = 16, a7 = 17, t3 = 28, t4 = 29, t5 = 30 };

class TlbContext : public CpuMachine {
 protected:
  static constexpr uint64_t kRoot = kRamBase + 0x40000;     // Sv39 root table
  static constexpr uint64_t kMHandler = kRamBase + 0x5000;  // mtvec (M-mode, bare)
  static constexpr uint64_t kUCodeVa = 0x1000, kUCodePa = kRamBase + 0x20000;
  static constexpr uint64_t kSCodeVa = 0x2000, kSCodePa = kRamBase + 0x21000;  // stvec
  static constexpr uint64_t kUDataVa = 0x200000, kUDataPa = kRamBase + 0x30000;
  static constexpr uint64_t kSDataVa = 0x201000, kSDataPa = kRamBase + 0x31000;
  static constexpr uint64_t kOtherPa = kRamBase + 0x32000;   // where remaps point
  static constexpr unsigned kSEpilogue = 4, kMEpilogue = 4;  // sepc/mepc += 4, xRET

  void SetUp() override {
    ASSERT_TRUE(cpu_->poke_csr(kCsrMtvec, kMHandler));
    ASSERT_TRUE(cpu_->poke_csr(kCsrStvec, kSCodeVa));
    ASSERT_TRUE(cpu_->poke_csr(kCsrMedeleg, 1u << 8));  // ECALL from U goes to S
    ASSERT_TRUE(cpu_->poke_csr(kCsrSatp, satp()));
    map(kUCodeVa, kUCodePa, kV | kR | kX | kU | kA);
    map(kSCodeVa, kSCodePa, kV | kR | kX | kA);
    u_data_pte_ = map(kUDataVa, kUDataPa, kV | kR | kW | kU | kA | kD);
    map(kSDataVa, kSDataPa, kV | kR | kW | kA | kD);
    set_mem(kUDataPa, 0x11);
    set_mem(kSDataPa, 0x22);
    set_mem(kOtherPa, 0x33);
    cpu_->set_reg(a1, kUDataVa);
    cpu_->set_reg(a3, kSDataVa);
  }
  static uint64_t satp(uint64_t asid = 0) { return 8ull << 60 | asid << 44 | (kRoot >> 12); }

  /// Maps `va` to `pa` with 4 KiB leaf PTE `flags`; returns the leaf PTE's address.
  uint64_t map(uint64_t va, uint64_t pa, uint64_t flags) {
    return map_sv39(kRoot, next_table_, va, pa, flags);
  }
  void user_code(std::initializer_list<uint32_t> code) { put(kUCodePa, code); }
  /// S-mode's ECALL handler: `body`, then sepc += 4 and SRET (kSEpilogue instructions).
  void s_handler(std::initializer_list<uint32_t> body) {
    put(kSCodePa, body);
    put(kSCodePa + 4 * body.size(),
        {csrrs(t1, kCsrSepc, zero), addi(t1, t1, 4), csrrw(zero, kCsrSepc, t1), kSret});
  }
  /// M-mode's trap handler: `body`, then mepc += 4 and MRET (kMEpilogue instructions).
  void m_handler(std::initializer_list<uint32_t> body) {
    put(kMHandler, body);
    put(kMHandler + 4 * body.size(),
        {csrrs(t1, kCsrMepc, zero), addi(t1, t1, 4), csrrw(zero, kCsrMepc, t1), kMret});
  }
  void enter(PrivLevel mode, uint64_t pc) {
    cpu_->poke_csr(kCsrMepc, pc);
    cpu_->poke_csr(kCsrMstatus, (csr(kCsrMstatus) & ~kMPP) | (static_cast<uint64_t>(mode) << 11));
    put(kRamBase + 0x800, {kMret});
    cpu_->set_pc(kRamBase + 0x800);
    step();
    ASSERT_EQ(cpu_->priv(), mode);
    ASSERT_EQ(cpu_->pc(), pc);
  }
  /// Expects that the last step trapped to M-mode with `cause`, `epc` and `tval`.
  void expect_m_trap(uint64_t cause, uint64_t epc, uint64_t tval) {
    EXPECT_EQ(cpu_->priv(), PrivLevel::Machine);
    EXPECT_EQ(cpu_->pc(), kMHandler);
    EXPECT_EQ(csr(kCsrMcause), cause);
    EXPECT_EQ(csr(kCsrMepc), epc);
    EXPECT_EQ(csr(kCsrMtval), tval);
  }
  /// Steps one ECALL from U and checks that S-mode's handler was entered.
  void ecall_to_s() {
    step();
    ASSERT_EQ(cpu_->priv(), PrivLevel::Supervisor);
    ASSERT_EQ(cpu_->pc(), kSCodeVa);
  }

  uint64_t next_table_ = kRoot + 0x1000;
  uint64_t u_data_pte_ = 0;
};

// -- No entry serves another context --

TEST_F(TlbContext, UserReadEntryDoesNotServeSupervisorWithoutSum) {
  user_code({ld(a0, a1, 0), kEcall});
  s_handler({ld(a2, a1, 0)});
  enter(PrivLevel::User, kUCodeVa);
  step();
  ASSERT_EQ(x(a0), 0x11u);
  ecall_to_s();
  step();
  expect_m_trap(kExcLoadPageFault, kSCodeVa, kUDataVa);
}

TEST_F(TlbContext, UserWriteEntryDoesNotServeSupervisorWithoutSum) {
  user_code({sd(a0, a1, 8), kEcall});
  s_handler({sd(a0, a1, 8)});
  enter(PrivLevel::User, kUCodeVa);
  step();
  ecall_to_s();
  step();
  expect_m_trap(kExcStorePageFault, kSCodeVa, kUDataVa + 8);
}

TEST_F(TlbContext, SupervisorEntriesDoNotServeUser) {
  user_code({kEcall, ld(a0, a3, 0)});
  s_handler({ld(a2, a3, 0), sd(a2, a3, 8)});
  enter(PrivLevel::User, kUCodeVa);
  ecall_to_s();
  step(2);
  ASSERT_EQ(x(a2), 0x22u);
  step(kSEpilogue);
  ASSERT_EQ(cpu_->priv(), PrivLevel::User);
  step();
  expect_m_trap(kExcLoadPageFault, kUCodeVa + 4, kSDataVa);
}

TEST_F(TlbContext, SupervisorFetchEntryDoesNotServeUser) {
  cpu_->set_reg(t2, kSCodeVa);
  user_code({kEcall, jalr(zero, t2, 0)});
  s_handler({});
  enter(PrivLevel::User, kUCodeVa);
  ecall_to_s();
  step(kSEpilogue);  // S fetched its handler page
  ASSERT_EQ(cpu_->priv(), PrivLevel::User);
  step(2);  // the jump, then the fetch from the supervisor page
  expect_m_trap(kExcInsnPageFault, kSCodeVa, kSCodeVa);
}

// -- What drops entries reaches the parked sets --

class TlbContextFence : public TlbContext {
 protected:
  /// U reads its data page, traps to S, which runs `fence` (and `m_steps` steps in M-mode)
  /// after the test remapped the page; back in U, the load must see the new mapping.
  void user_sees_remap_after(std::initializer_list<uint32_t> fence, unsigned m_steps = 0) {
    user_code({ld(a0, a1, 0), kEcall, ld(a2, a1, 0)});
    s_handler(fence);
    enter(PrivLevel::User, kUCodeVa);
    step();
    ASSERT_EQ(x(a0), 0x11u);
    ecall_to_s();
    set_mem(u_data_pte_, ((kOtherPa >> 12) << 10) | kV | kR | kW | kU | kA | kD);
    step(static_cast<unsigned>(fence.size()) + m_steps + kSEpilogue);
    ASSERT_EQ(cpu_->priv(), PrivLevel::User);
    ASSERT_EQ(cpu_->pc(), kUCodeVa + 8);
    step();
    EXPECT_EQ(x(a2), 0x33u);
  }
};

TEST_F(TlbContextFence, SfenceVmaAllInSupervisorDropsUserEntries) {
  user_sees_remap_after({kSfenceVma});
}
TEST_F(TlbContextFence, SfenceVmaByAddressInSupervisorDropsUserEntries) {
  user_sees_remap_after({sfence_vma(a1, zero)});
}
TEST_F(TlbContextFence, SfenceVmaByAsidInSupervisorDropsUserEntries) {
  cpu_->set_reg(a4, 0);  // rs2 != x0: ASID 0 only
  user_sees_remap_after({sfence_vma(zero, a4)});
}
TEST_F(TlbContextFence, SfenceVmaByAddressAndAsidInSupervisorDropsUserEntries) {
  cpu_->set_reg(a4, 0);
  user_sees_remap_after({sfence_vma(a1, a4)});
}
TEST_F(TlbContextFence, SatpAsidSwitchInSupervisorDropsUserEntries) {
  cpu_->set_reg(a4, satp(1));
  user_sees_remap_after({csrrw(zero, kCsrSatp, a4)});
}

TEST_F(TlbContext, SatpAsidSwitchKeepsGlobalEntries) {
  // A global supervisor page read before and after an ASID switch: the second read hits.
  map(kSDataVa, kSDataPa, kV | kR | kW | kG | kA | kD);
  cpu_->set_reg(a4, satp(1));
  user_code({kEcall});
  s_handler({ld(a2, a3, 0), csrrw(zero, kCsrSatp, a4), ld(a5, a3, 0)});
  enter(PrivLevel::User, kUCodeVa);
  ecall_to_s();
  step(2);
  const TlbStats before = cpu_->tlb_stats();
  step();
  EXPECT_EQ(x(a5), 0x22u);
  EXPECT_EQ(cpu_->tlb_stats().data.misses, before.data.misses);
}

TEST_F(TlbContextFence, SatpModeChangeDropsEveryContextsEntries) {
  // S calls M, which turns translation off and on again while U's and S's sets are parked.
  cpu_->set_reg(a4, satp());
  m_handler({csrrw(zero, kCsrSatp, zero), csrrw(zero, kCsrSatp, a4)});
  user_sees_remap_after({kEcall}, 2 + kMEpilogue);
}

/// U and S each fill an entry for their data page; S then calls M, which closes both pages to
/// S and U through PMP (entry 0, a NAPOT range over them without permissions).
class TlbContextPmp : public TlbContext {
 protected:
  /// Runs up to S's return from M, with S's handler `s_body` (which starts with its load and
  /// its ECALL).
  void run_to_pmp_change(std::initializer_list<uint32_t> s_body) {
    cpu_->set_reg(t3, (kUDataPa >> 2) | 0x3ff);  // pmpaddr0: 8 KiB at kUDataPa
    cpu_->set_reg(t4, (1ull << 54) - 1);         // pmpaddr1: everything
    cpu_->set_reg(t5, 0x18 | 0x1full << 8);      // NAPOT none; NAPOT RWX
    m_handler({csrrw(zero, kCsrPmpaddr0, t3), csrrw(zero, kCsrPmpaddr1, t4),
               csrrw(zero, kCsrPmpcfg0, t5)});
    user_code({ld(a0, a1, 0), kEcall, ld(a2, a1, 0)});
    s_handler(s_body);
    enter(PrivLevel::User, kUCodeVa);
    step();
    ASSERT_EQ(x(a0), 0x11u);
    ecall_to_s();
    step();
    ASSERT_EQ(x(a4), 0x22u);
    step();  // ECALL from S
    ASSERT_EQ(cpu_->pc(), kMHandler);
    step(3 + kMEpilogue);
    ASSERT_EQ(cpu_->priv(), PrivLevel::Supervisor);
    ASSERT_EQ(cpu_->pc(), kSCodeVa + 8);
  }
};

TEST_F(TlbContextPmp, PmpWriteDropsTheSupervisorSet) {
  run_to_pmp_change({ld(a4, a3, 0), kEcall, ld(a5, a3, 0)});
  step();
  expect_m_trap(kExcLoadAccessFault, kSCodeVa + 8, kSDataVa);
}

TEST_F(TlbContextPmp, PmpWriteDropsTheUserSet) {
  run_to_pmp_change({ld(a4, a3, 0), kEcall});
  step(kSEpilogue);
  ASSERT_EQ(cpu_->priv(), PrivLevel::User);
  step();
  expect_m_trap(kExcLoadAccessFault, kUCodeVa + 8, kUDataVa);
}

TEST_F(TlbContext, ClearingSumInMachineModeDropsTheSupervisorEntriesItAllowed) {
  // S reads a U page with SUM, calls M, which clears SUM: back in S the read must fault.
  cpu_->set_reg(t0, kSUM);
  m_handler({csrrc(zero, kCsrMstatus, t0)});
  put(kSCodePa, {csrrs(zero, kCsrSstatus, t0), ld(a2, a1, 0), kEcall, ld(a4, a1, 0)});
  enter(PrivLevel::Supervisor, kSCodeVa);
  step(2);
  ASSERT_EQ(x(a2), 0x11u);
  step(2 + kMEpilogue);
  ASSERT_EQ(cpu_->priv(), PrivLevel::Supervisor);
  step();
  expect_m_trap(kExcLoadPageFault, kSCodeVa + 12, kUDataVa);
}

TEST_F(TlbContext, ClearingMxrInSupervisorDropsTheUserEntriesItAllowed) {
  // U reads an execute-only page with MXR; S clears MXR: back in U the read must fault.
  constexpr uint64_t kXOnlyVa = 0x203000;
  map(kXOnlyVa, kOtherPa, kV | kX | kU | kA);
  cpu_->poke_csr(kCsrMstatus, csr(kCsrMstatus) | kMXR);
  cpu_->set_reg(a6, kXOnlyVa);
  cpu_->set_reg(t0, kMXR);
  user_code({ld(a0, a6, 0), kEcall, ld(a2, a6, 0)});
  s_handler({csrrc(zero, kCsrSstatus, t0)});
  enter(PrivLevel::User, kUCodeVa);
  step();
  ASSERT_EQ(x(a0), 0x33u);
  ecall_to_s();
  step(1 + kSEpilogue);
  ASSERT_EQ(cpu_->priv(), PrivLevel::User);
  step();
  expect_m_trap(kExcLoadPageFault, kUCodeVa + 8, kXOnlyVa);
}

TEST_F(TlbContext, CodeFirstRunInSupervisorDropsUserWriteEntries) {
  // U writes a page through its own mapping (a write entry), S runs it as code through another:
  // U's next store into it must reach the code-write hook, so that S runs the new code.
  constexpr uint64_t kPageUVa = 0x204000, kPageSVa = 0x205000, kPagePa = kRamBase + 0x34000;
  map(kPageUVa, kPagePa, kV | kR | kW | kU | kA | kD);
  map(kPageSVa, kPagePa, kV | kR | kX | kA);
  auto code = [](int32_t inc) {
    return static_cast<uint64_t>(jalr(zero, ra, 0)) << 32 | addi(a0, a0, inc);
  };
  cpu_->set_reg(a7, kPageUVa);
  cpu_->set_reg(t3, kPageSVa);
  cpu_->set_reg(a2, code(1));
  cpu_->set_reg(a5, code(100));
  cpu_->set_reg(a0, 0);
  user_code({sd(a2, a7, 0), kEcall, sd(a5, a7, 0), kEcall});
  s_handler({jalr(ra, t3, 0)});
  enter(PrivLevel::User, kUCodeVa);
  step();
  ecall_to_s();
  step(3 + kSEpilogue);  // call the page, add, return; back to U
  ASSERT_EQ(x(a0), 1u);
  ASSERT_EQ(cpu_->priv(), PrivLevel::User);
  step();
  ecall_to_s();
  step(3);
  EXPECT_EQ(x(a0), 101u);
}

// -- A round trip keeps the entries --

TEST_F(TlbContext, UserSupervisorRoundTripsKeepBothSets) {
  user_code({ld(a0, a1, 0), kEcall, ld(a2, a1, 0), sd(a2, a1, 8), kEcall, ld(a4, a1, 0)});
  s_handler({ld(a5, a3, 0), sd(a5, a3, 8)});
  enter(PrivLevel::User, kUCodeVa);
  step();
  ecall_to_s();
  step(2 + kSEpilogue);  // S fills its entries
  ASSERT_EQ(cpu_->priv(), PrivLevel::User);
  step(2);  // U fills its write entry
  const TlbStats before = cpu_->tlb_stats();
  ecall_to_s();
  step(2 + kSEpilogue);  // S hits
  ASSERT_EQ(cpu_->priv(), PrivLevel::User);
  step();  // U hits
  EXPECT_EQ(x(a4), 0x11u);
  const TlbStats after = cpu_->tlb_stats();
  EXPECT_EQ(after.data.misses, before.data.misses);
  EXPECT_EQ(after.data.refills, before.data.refills);
  EXPECT_EQ(after.fetch.misses, before.fetch.misses);
  EXPECT_EQ(after.fetch.refills, before.fetch.refills);
  EXPECT_EQ(after.data.flushes, before.data.flushes);
  EXPECT_EQ(after.fetch.flushes, before.fetch.flushes);
}

TEST_F(TlbContext, SettingAndClearingSumKeepsTheOtherSupervisorEntries) {
  // Linux sets SUM around each copy from user memory: clearing it drops the U page only.
  cpu_->set_reg(t0, kSUM);
  put(kSCodePa, {ld(a2, a3, 0), csrrs(zero, kCsrSstatus, t0), ld(a4, a1, 0),
                 csrrc(zero, kCsrSstatus, t0), ld(a5, a3, 0), ld(a6, a1, 0)});
  enter(PrivLevel::Supervisor, kSCodeVa);
  step(4);
  ASSERT_EQ(x(a4), 0x11u);
  const TlbStats before = cpu_->tlb_stats();
  step();
  EXPECT_EQ(x(a5), 0x22u);
  EXPECT_EQ(cpu_->tlb_stats().data.misses, before.data.misses);
  step();
  expect_m_trap(kExcLoadPageFault, kSCodeVa + 20, kUDataVa);
}

/// S reads `pages` user pages with SUM (each its own TLB entry), clears SUM, then reads page
/// `probe` again: it must fault, however many entries relied on SUM.
class TlbContextManySum : public TlbContext {
 protected:
  static constexpr uint64_t kPagesVa = 0x300000;
  void probe_after_sum_clear(unsigned pages, unsigned probe) {
    for (unsigned p = 0; p < pages; ++p) {
      map(kPagesVa + p * 0x1000ull, kUDataPa, kV | kR | kW | kU | kA | kD);
    }
    cpu_->set_reg(t0, kSUM);
    cpu_->set_reg(a4, kPagesVa);
    cpu_->set_reg(a5, 0x1000);
    cpu_->set_reg(a6, kPagesVa + probe * 0x1000ull);
    cpu_->set_reg(t2, pages);
    put(kSCodePa,
        {csrrs(zero, kCsrSstatus, t0), ld(a2, a4, 0), op(0, 0, a4, a4, a5), addi(t2, t2, -1),
         bne(t2, zero, -12), csrrc(zero, kCsrSstatus, t0), ld(a2, a6, 0)});
    enter(PrivLevel::Supervisor, kSCodeVa);
    step(1 + 4 * pages + 1);
    ASSERT_EQ(x(a2), 0x11u);
    ASSERT_EQ(cpu_->pc(), kSCodeVa + 24);
    step();
    expect_m_trap(kExcLoadPageFault, kSCodeVa + 24, kPagesVa + probe * 0x1000ull);
  }
};

TEST_F(TlbContextManySum, ClearingSumDropsAFewRelyingEntries) {
  probe_after_sum_clear(3, 2);
}
TEST_F(TlbContextManySum, ClearingSumDropsManyRelyingEntriesFirst) {
  probe_after_sum_clear(20, 0);
}
TEST_F(TlbContextManySum, ClearingSumDropsManyRelyingEntriesLast) {
  probe_after_sum_clear(20, 19);
}

TEST_F(TlbContext, ClearingSumAfterClearingMxrStillDropsTheSumEntries) {
  // Entries relying on SUM survive an MXR clear and must still go when SUM is cleared.
  constexpr uint64_t kXOnlyVa = 0x203000;
  map(kXOnlyVa, kOtherPa, kV | kX | kA);
  cpu_->set_reg(a6, kXOnlyVa);
  cpu_->set_reg(t0, kSUM | kMXR);
  cpu_->set_reg(t2, kMXR);
  cpu_->set_reg(a5, kSUM);
  put(kSCodePa,
      {csrrs(zero, kCsrSstatus, t0), ld(a2, a1, 0), ld(a4, a6, 0), csrrc(zero, kCsrSstatus, t2),
       ld(a2, a1, 0), csrrc(zero, kCsrSstatus, a5), ld(a2, a1, 0)});
  enter(PrivLevel::Supervisor, kSCodeVa);
  step(5);
  ASSERT_EQ(x(a4), 0x33u);
  ASSERT_EQ(x(a2), 0x11u);
  step(2);
  expect_m_trap(kExcLoadPageFault, kSCodeVa + 24, kUDataVa);
}

}  // namespace
}  // namespace glassvm::test
