// The translation view model, on a real Sv39 guest: bench_sv39.elf maps RAM twice with 1 GiB
// leaves and runs as a U-mode process.
#include "ui/translation_view.h"

#include <gtest/gtest.h>

#include "engine/board/machine.h"
#include "tests/ui/sv39_guest_fixture.h"

namespace glassvm::ui {
namespace {

using TranslationViewTest = testing::Sv39GuestTest;

TEST_F(TranslationViewTest, MachineModeHasNoTranslation) {
  const TranslationView v = translation_view(machine_->cpu(), 0x80001234, Access::Load);
  EXPECT_FALSE(v.walk.paged);
  EXPECT_TRUE(v.rows.empty());
  EXPECT_NE(v.heading.find("M-mode ignores satp"), std::string::npos) << v.heading;
  EXPECT_EQ(v.result, "physical address 0x80001234");
}

TEST_F(TranslationViewTest, AGigapageLeafInOneStep) {
  ASSERT_NO_FATAL_FAILURE(run_to_user());
  const Cpu& cpu = machine_->cpu();
  // The pc runs in RAM's first mapping; the alias 1 GiB higher reaches the same bytes.
  const TranslationView code = translation_view(cpu, cpu.pc(), Access::Fetch);
  ASSERT_TRUE(code.walk.ok) << code.result;
  EXPECT_EQ(code.walk.pa, cpu.pc());
  ASSERT_EQ(code.rows.size(), 1u);
  EXPECT_EQ(code.rows[0].level, 2u);
  EXPECT_EQ(code.rows[0].bits, "DA-UXWRV");
  EXPECT_NE(code.rows[0].meaning.find("leaf: a 1 GiB page at 0x80000000 (a superpage)"),
            std::string::npos)
      << code.rows[0].meaning;
  EXPECT_NE(code.heading.find("Sv39"), std::string::npos) << code.heading;
  EXPECT_NE(code.heading.find("User mode"), std::string::npos) << code.heading;
  EXPECT_NE(code.result.find("1 GiB page"), std::string::npos) << code.result;

  const TranslationView alias = translation_view(cpu, 0xc0000040, Access::Store);
  ASSERT_TRUE(alias.walk.ok) << alias.result;
  EXPECT_EQ(alias.walk.pa, 0x80000040u);
  EXPECT_EQ(alias.rows[0].pte_addr, code.rows[0].pte_addr + 8);  // root entry 3, after entry 2
}

TEST_F(TranslationViewTest, FaultsSayWhichRuleFailed) {
  ASSERT_NO_FATAL_FAILURE(run_to_user());
  const Cpu& cpu = machine_->cpu();
  // Root entry 1 is empty.
  const TranslationView hole = translation_view(cpu, 0x40000000, Access::Load);
  EXPECT_FALSE(hole.walk.ok);
  EXPECT_EQ(hole.result, "Load page fault: the PTE is not valid (V=0)");
  ASSERT_EQ(hole.rows.size(), 1u);
  EXPECT_NE(hole.rows[0].meaning.find("the walk stops here"), std::string::npos);
  // The devices' gigapage (root entry 0) is readable and writable but not executable.
  const TranslationView exec = translation_view(cpu, 0x10000000, Access::Fetch);
  EXPECT_FALSE(exec.walk.ok);
  EXPECT_EQ(exec.result, "Instruction page fault: the page is not executable");
  // An address that is not sign-extended faults before any PTE is read.
  const TranslationView wild = translation_view(cpu, 0x0000800000000000, Access::Load);
  EXPECT_FALSE(wild.walk.ok);
  EXPECT_TRUE(wild.rows.empty());
}

TEST_F(TranslationViewTest, JsonCarriesTheWalk) {
  ASSERT_NO_FATAL_FAILURE(run_to_user());
  const std::string ok = translation_json(machine_->cpu(), 0xc0000040, Access::Load);
  EXPECT_EQ(ok.rfind("{\"va\":\"0x00000000c0000040\",\"access\":\"load\",\"priv\":\"U\",", 0), 0u)
      << ok;
  EXPECT_NE(ok.find("\"mode\":\"Sv39\""), std::string::npos) << ok;
  EXPECT_NE(ok.find("\"bits\":\"DA-UXWRV\""), std::string::npos) << ok;
  EXPECT_NE(ok.find("\"pa\":\"0x0000000080000040\",\"pageSize\":1073741824"), std::string::npos)
      << ok;
  const std::string bad = translation_json(machine_->cpu(), 0x40000000, Access::Store);
  EXPECT_NE(bad.find("\"ok\":false,\"fault\":{\"cause\":15,\"text\":\"Store/AMO page fault\""),
            std::string::npos)
      << bad;
}

TEST(TranslationView, ParsesAccessKindsAndDrawsPteBits) {
  EXPECT_EQ(parse_access("fetch"), Access::Fetch);
  EXPECT_EQ(parse_access("read"), Access::Load);
  EXPECT_EQ(parse_access("store"), Access::Store);
  EXPECT_FALSE(parse_access("execute"));
  EXPECT_EQ(pte_bits(0), "--------");
  EXPECT_EQ(pte_bits(0xcf), "DA--XWRV");
}

}  // namespace
}  // namespace glassvm::ui
