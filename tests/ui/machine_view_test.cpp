// The Machine panel's view model and the panel layout.
#include "ui/machine_view.h"

#include <gtest/gtest.h>

#include "ui/layout.h"

namespace glassvm::ui {
namespace {

TEST(MachineView, RamSizesAreChecked) {
  EXPECT_EQ(check_ram_mib(128), "");
  EXPECT_EQ(check_ram_mib(1), "");
  EXPECT_EQ(check_ram_mib(kMaxRamMib), "");
  EXPECT_NE(check_ram_mib(0).find("1 to 1024 MiB"), std::string::npos);
  EXPECT_NE(check_ram_mib(kMaxRamMib + 1), "");
  for (unsigned mib : kRamChoicesMib) EXPECT_EQ(check_ram_mib(mib), "") << mib;
}

TEST(MachineView, MessageLogKeepsTheNewest) {
  MessageLog log;
  log.add("");
  EXPECT_TRUE(log.all().empty());
  for (size_t i = 0; i < MessageLog::kMax + 5; ++i) log.add("m" + std::to_string(i));
  ASSERT_EQ(log.all().size(), MessageLog::kMax);
  EXPECT_EQ(log.all().front(), "m5");
  EXPECT_EQ(log.all().back(), "m" + std::to_string(MessageLog::kMax + 4));
  log.clear();
  EXPECT_TRUE(log.all().empty());
}

TEST(MachineView, GuestCatalogListsBundledThenUserImages) {
  GuestCatalog c;
  c.add_bundled("demo.elf");
  c.add_bundled("bench.elf");
  c.add_bundled("demo.elf");
  const GuestImage bytes{{1, 2, 3}, {}, ""};
  c.remember("mine.elf", bytes);
  c.remember("demo.elf", bytes);
  const std::vector<GuestChoice> choices = c.choices();
  ASSERT_EQ(choices.size(), 3u);
  EXPECT_EQ(choices[0].name, "demo.elf");
  EXPECT_TRUE(choices[0].bundled);
  EXPECT_TRUE(choices[0].cached);
  EXPECT_EQ(choices[1].name, "bench.elf");
  EXPECT_FALSE(choices[1].cached);
  EXPECT_EQ(choices[2].name, "mine.elf");
  EXPECT_FALSE(choices[2].bundled);
  ASSERT_NE(c.find("mine.elf"), nullptr);
  EXPECT_EQ(c.find("mine.elf")->size(), 3u);
  EXPECT_EQ(c.find("bench.elf"), nullptr);
  c.remember("mine.elf", GuestImage{{9}, {4, 5}, "console=ttyS0"});
  EXPECT_EQ(c.find("mine.elf")->kernel, std::vector<uint8_t>{9});
  EXPECT_EQ(c.find("mine.elf")->initrd, (std::vector<uint8_t>{4, 5}));
  EXPECT_EQ(c.find("mine.elf")->append, "console=ttyS0");
  EXPECT_EQ(c.find("mine.elf")->size(), 3u);
}

TEST(Layout, TilesTheCanvasWithoutOverlap) {
  const std::vector<PanelRect> rects = tile(default_layout(), 1600, 900);
  ASSERT_EQ(rects.size(), 4u);
  double area = 0;
  for (size_t i = 0; i < rects.size(); ++i) {
    const PanelRect& a = rects[i];
    EXPECT_GE(a.x, 0);
    EXPECT_GE(a.y, 0);
    EXPECT_LE(a.x + a.w, 1600.01f);
    EXPECT_LE(a.y + a.h, 900.01f);
    EXPECT_GT(a.w, 300);
    EXPECT_GT(a.h, 300);
    area += double(a.w) * a.h;
    for (size_t j = i + 1; j < rects.size(); ++j) {
      const PanelRect& b = rects[j];
      const bool apart = a.x + a.w <= b.x + 0.01f || b.x + b.w <= a.x + 0.01f ||
                         a.y + a.h <= b.y + 0.01f || b.y + b.h <= a.y + 0.01f;
      EXPECT_TRUE(apart) << panel_title(a.id) << " overlaps " << panel_title(b.id);
    }
  }
  EXPECT_NEAR(area, 1600.0 * 900.0, 1.0);
}

TEST(Layout, MediumCanvasHasTwoColumnsWithEveryPanel) {
  EXPECT_EQ(layout_for_width(1600).size(), 3u);
  ASSERT_EQ(layout_for_width(800).size(), 2u);
  EXPECT_EQ(layout_for_width(500).size(), 1u);
  const std::vector<PanelRect> rects = tile(layout_for_width(783), 783, 770);
  ASSERT_EQ(rects.size(), 4u);
  int seen = 0;
  for (const PanelRect& r : rects) {
    seen |= 1 << static_cast<int>(r.id);
    EXPECT_NEAR(r.w, 783.0 / 2, 1.0);
    EXPECT_GT(r.h, 250);
  }
  EXPECT_EQ(seen, 0xf);
}

TEST(Layout, AMachineWithAnIommuGetsTheIommuPanelAtEverySize) {
  for (float w : {1600.0f, 800.0f, 500.0f}) {
    const std::vector<PanelRect> rects = tile(layout_for_width(w, true), w, 900);
    ASSERT_EQ(rects.size(), 5u) << w;
    int seen = 0;
    for (size_t i = 0; i < rects.size(); ++i) {
      seen |= 1 << static_cast<int>(rects[i].id);
      for (size_t j = i + 1; j < rects.size(); ++j) {
        const PanelRect& a = rects[i];
        const PanelRect& b = rects[j];
        EXPECT_TRUE(a.x + a.w <= b.x + 0.01f || b.x + b.w <= a.x + 0.01f ||
                    a.y + a.h <= b.y + 0.01f || b.y + b.h <= a.y + 0.01f)
            << panel_title(a.id) << " overlaps " << panel_title(b.id) << " at " << w;
      }
    }
    EXPECT_EQ(seen, 0x1f) << w;
  }
  EXPECT_STREQ(panel_title(PanelId::Iommu), "IOMMU");
}

TEST(Layout, NarrowCanvasStacksAndEmptyCanvasHasNothing) {
  const std::vector<PanelRect> rects = tile(default_layout(), 600, 2000);
  ASSERT_EQ(rects.size(), 4u);
  for (const PanelRect& r : rects) {
    EXPECT_EQ(r.x, 0);
    EXPECT_EQ(r.w, 600);
  }
  EXPECT_TRUE(tile(default_layout(), 0, 500).empty());
  EXPECT_TRUE(tile(default_layout(), 500, -1).empty());
  EXPECT_TRUE(tile({}, 500, 500).empty());
  EXPECT_STREQ(panel_title(PanelId::MemoryMap), "Memory Map");
}

}  // namespace
}  // namespace glassvm::ui
