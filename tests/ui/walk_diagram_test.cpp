// The walk diagram's adapters (ui/walk_diagram.h): what each box says for the hart's walk on a
// real Sv39 guest and for hand-made walks, and for an IOVA walk.
#include "ui/walk_diagram.h"

#include <gtest/gtest.h>

#include "engine/board/machine.h"
#include "engine/cpu/pte.h"
#include "tests/iommu/iommu_board_fixture.h"
#include "tests/ui/sv39_guest_fixture.h"
#include "ui/iommu_state_view.h"
#include "ui/translation_view.h"

namespace glassvm::ui {
namespace {

using WalkDiagramTest = testing::Sv39GuestTest;

TEST_F(WalkDiagramTest, WithoutTranslationOnlyTheResult) {
  const TranslationView v = translation_view(machine_->cpu(), 0x80001234, Access::Load);
  const WalkDiagram d = walk_diagram(v);
  EXPECT_TRUE(d.boxes.empty());
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.result, v.result);
  EXPECT_EQ(d.heading, v.heading);
}

TEST_F(WalkDiagramTest, AGigapageIsTheRootThenOneLeafMarkedSuperpage) {
  ASSERT_NO_FATAL_FAILURE(run_to_user());
  const TranslationView v = translation_view(machine_->cpu(), 0xc0000040, Access::Load);
  ASSERT_TRUE(v.walk.ok) << v.result;
  const WalkDiagram d = walk_diagram(v);
  ASSERT_EQ(d.boxes.size(), 2u);
  const WalkDiagramBox& root = d.boxes[0];
  EXPECT_EQ(root.title, "satp");
  EXPECT_FALSE(root.has_addr);
  EXPECT_FALSE(root.pte);
  EXPECT_EQ(root.value, v.walk.root);
  EXPECT_NE(root.meaning.find("Sv39: the root table (level 2)"), std::string::npos) << root.meaning;
  const WalkDiagramBox& leaf = d.boxes[1];
  EXPECT_EQ(leaf.title, "level 2 PTE");
  EXPECT_TRUE(leaf.has_addr);
  EXPECT_EQ(leaf.addr, v.rows[0].pte_addr);
  EXPECT_EQ(leaf.value, v.rows[0].pte);
  EXPECT_TRUE(leaf.pte);
  EXPECT_EQ(leaf.meaning, v.rows[0].meaning);
  EXPECT_TRUE(leaf.superpage);
  EXPECT_EQ(leaf.sets_ad, v.walk.sets_ad);
  EXPECT_FALSE(leaf.stopped_here);
  EXPECT_TRUE(d.ok);
  EXPECT_NE(d.result.find("1 GiB page"), std::string::npos) << d.result;
}

TEST_F(WalkDiagramTest, AFaultMarksTheEntryTheWalkStoppedAt) {
  ASSERT_NO_FATAL_FAILURE(run_to_user());
  const TranslationView v = translation_view(machine_->cpu(), 0x40000000, Access::Load);
  ASSERT_FALSE(v.walk.ok);
  const WalkDiagram d = walk_diagram(v);
  ASSERT_EQ(d.boxes.size(), 2u);
  EXPECT_FALSE(d.boxes[0].stopped_here);
  EXPECT_TRUE(d.boxes[1].stopped_here);
  EXPECT_FALSE(d.boxes[1].superpage);
  EXPECT_EQ(d.boxes[1].sets_ad, 0u);
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(d.result, "Load page fault: the PTE is not valid (V=0)");
}

TEST(WalkDiagram, AThreeLevelWalkMarksWhereTheHartSetsAD) {
  TranslationView v;
  v.walk.paged = true;
  v.walk.levels = 3;
  v.walk.root = 0x80100000;
  v.walk.ok = true;
  v.walk.leaf_shift = 12;
  v.walk.sets_ad = kPteA | kPteD;
  v.rows = {{2, 0x80100010, 0x20040401, pte_bits(0x20040401), "pointer"},
            {1, 0x80101008, 0x20040801, pte_bits(0x20040801), "pointer"},
            {0, 0x80102000, 0x2004000f, pte_bits(0x2004000f), "leaf"}};
  v.result = "physical address 0x80100000 (4 KiB page)";
  const WalkDiagram d = walk_diagram(v);
  ASSERT_EQ(d.boxes.size(), 4u);
  EXPECT_EQ(d.boxes[1].title, "level 2 PTE");
  EXPECT_EQ(d.boxes[3].title, "level 0 PTE");
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(d.boxes[i].sets_ad, 0u) << i;
    EXPECT_FALSE(d.boxes[i].superpage) << i;
  }
  EXPECT_EQ(d.boxes[3].sets_ad, kPteA | kPteD);
  EXPECT_FALSE(d.boxes[3].superpage);  // a 4 KiB leaf
  EXPECT_EQ(d.boxes[2].addr, 0x80101008u);
}

TEST(WalkDiagram, AnIovaWalkKeepsItsStepsAndSaysIotlbHitOrMiss) {
  IovaWalkView v;
  v.heading = "device 7, read of 0x200000";
  v.iotlb_hit = false;
  v.steps = {{"ddtp", 0, 0x823ffull, "", "1-level DDT at 0x823ff000"},
             {"device context", 0x823ff0e0, 0x11, "", "valid, Sv39"},
             {"PTE level 2", 0x82400000, 0x20900001, pte_bits(0x20900001), "pointer"},
             {"PTE level 1", 0x82401008, 0x208000c7, pte_bits(0x208000c7), "leaf"}};
  v.ok = true;
  v.page_size = 2u << 20;
  v.result = "0x82000000 (2 MiB page, rw)";
  WalkDiagram d = walk_diagram(v);
  ASSERT_EQ(d.boxes.size(), 4u);
  EXPECT_EQ(d.boxes[0].title, "ddtp");
  EXPECT_FALSE(d.boxes[0].has_addr);
  EXPECT_FALSE(d.boxes[0].pte);
  EXPECT_TRUE(d.boxes[1].has_addr);
  EXPECT_FALSE(d.boxes[1].pte);
  EXPECT_TRUE(d.boxes[2].pte);
  EXPECT_FALSE(d.boxes[2].superpage);
  EXPECT_TRUE(d.boxes[3].pte);
  EXPECT_TRUE(d.boxes[3].superpage);  // a 2 MiB leaf
  EXPECT_EQ(d.boxes[3].value, 0x208000c7u);
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.result, v.result);
  EXPECT_NE(d.note.find("IOTLB: miss"), std::string::npos) << d.note;
  // A 64 KiB Svnapot page is a level-0 leaf, not a superpage.
  v.page_size = 64u << 10;
  EXPECT_FALSE(walk_diagram(v).boxes[3].superpage);
  v.page_size = 2u << 20;

  // A fault: the last step is where it stopped, and no superpage is claimed.
  v.ok = false;
  v.iotlb_hit.reset();
  v.result = "read page fault: the PTE is not valid";
  d = walk_diagram(v);
  EXPECT_TRUE(d.boxes.back().stopped_here);
  EXPECT_FALSE(d.boxes[3].superpage);
  EXPECT_FALSE(d.ok);
  EXPECT_TRUE(d.note.empty());
  EXPECT_EQ(d.result, v.result);
}

/// The RISC-V IOMMU lesson (assets/teach/riscv_iommu.c) with edu-dma behind the IOMMU.
class IovaWalkDiagramTest : public glassvm::testing::IommuBoardTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(build({"riscv-iommu-sys", "edu-dma,ats=on"}));
    std::string error;
    ASSERT_TRUE(m->load_kernel(glassvm::testing::read_guest("teach_riscv_iommu.elf"),
                               "teach_riscv_iommu.elf", error))
        << error;
  }
  void run_until(const std::string& text) {
    for (int i = 0; i < 2'000'000 && host.output.find(text) == std::string::npos; ++i) {
      ASSERT_FALSE(m->exited()) << "the lesson ended before \"" << text << "\"\n" << host.output;
      m->run(64);
    }
    ASSERT_NE(host.output.find(text), std::string::npos) << host.output;
  }
};

TEST_F(IovaWalkDiagramTest, AMappedIovaIsEveryStepThenTheResult) {
  // Step 3 done: edu-dma's context and two pages mapped.
  ASSERT_NO_FATAL_FAILURE(run_until("== 4."));
  const std::vector<IommuMappingRow> rows = iommu_mappings(*m, std::nullopt, 100);
  ASSERT_FALSE(rows.empty());
  const IovaWalkView v = iova_walk_view(*m, rows[0].device, rows[0].iova + 0x10, kIommuRead);
  ASSERT_TRUE(v.ok) << v.result;
  const WalkDiagram d = walk_diagram(v);
  EXPECT_EQ(d.heading, v.heading);
  ASSERT_EQ(d.boxes.size(), v.steps.size());
  size_t ptes = 0;
  for (size_t i = 0; i < v.steps.size(); ++i) {
    const IovaWalkStep& s = v.steps[i];
    const WalkDiagramBox& b = d.boxes[i];
    EXPECT_EQ(b.title, s.what) << i;
    EXPECT_EQ(b.has_addr, s.addr != 0) << i;
    EXPECT_EQ(b.addr, s.addr) << i;
    EXPECT_EQ(b.value, s.value) << i;
    EXPECT_EQ(b.meaning, s.meaning) << i;
    EXPECT_EQ(b.pte, !s.bits.empty()) << i;
    if (b.pte) {
      EXPECT_EQ(pte_bits(b.value), s.bits) << i;  // the cells draw the same bits
    }
    EXPECT_FALSE(b.stopped_here) << i;
    EXPECT_FALSE(b.superpage) << i;  // the lesson maps 4 KiB pages
    ptes += b.pte;
  }
  EXPECT_EQ(ptes, 3u);  // Sv39
  EXPECT_EQ(d.boxes.front().title, "ddtp");
  EXPECT_FALSE(d.boxes.front().has_addr);
  EXPECT_TRUE(d.ok);
  EXPECT_EQ(d.result, v.result);
  ASSERT_TRUE(v.iotlb_hit.has_value());
  EXPECT_NE(d.note.find(*v.iotlb_hit ? "IOTLB: hit" : "IOTLB: miss"), std::string::npos) << d.note;

  // An IOVA the lesson never mapped: the walk stops at a PTE, drawn in red.
  const IovaWalkView hole = iova_walk_view(*m, rows[0].device, 0x7000'0000, kIommuRead);
  ASSERT_FALSE(hole.ok);
  const WalkDiagram f = walk_diagram(hole);
  ASSERT_EQ(f.boxes.size(), hole.steps.size());
  ASSERT_FALSE(f.boxes.empty());
  EXPECT_TRUE(f.boxes.back().stopped_here);
  for (size_t i = 0; i + 1 < f.boxes.size(); ++i) EXPECT_FALSE(f.boxes[i].stopped_here) << i;
  EXPECT_FALSE(f.ok);
  EXPECT_EQ(f.result, hole.result);
}

}  // namespace
}  // namespace glassvm::ui
