// Tests of the shadow map (iommu/shadow_map.h): it mirrors MAP and UNMAP, splits what a
// partial UNMAP leaves, and agrees with the model's translate() after any sequence of changes.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "iommu/shadow_map.h"
#include "tests/engine/memory/page_iommu.h"

namespace glassvm {
namespace {

using testing::PageIommu;
using Mapping = ShadowMap::Mapping;

class ShadowMapTest : public ::testing::Test {
 protected:
  ShadowMapTest() : sys("sys", &sys_root) {
    sys_root.init_container("sys", MemoryRegion::kWholeSpace);
    mr.target_as = &sys;
  }
  Mapping mapping(uint64_t iova, uint64_t last, uint64_t target, IommuAccessFlags perm) {
    return {iova, last, target, perm, &sys};
  }

  MemoryRegion sys_root;
  AddressSpace sys;
  PageIommu mr;
};

TEST_F(ShadowMapTest, MirrorsMapsAndPartialUnmapsSplit) {
  ShadowMap shadow(mr);
  std::string error;
  ASSERT_TRUE(shadow.attach(&error)) << error;
  mr.map(0, 0x10000, 0x10000, 0x80000000, kIommuRw);  // one 64 KiB block
  ASSERT_EQ(shadow.mappings(),
            (std::vector<Mapping>{mapping(0x10000, 0x1ffff, 0x80000000, kIommuRw)}));

  mr.unmap(0, 0x14000, 0x15fff);  // a hole in the middle: two pieces remain
  EXPECT_EQ(shadow.mappings(),
            (std::vector<Mapping>{mapping(0x10000, 0x13fff, 0x80000000, kIommuRw),
                                  mapping(0x16000, 0x1ffff, 0x80006000, kIommuRw)}));
  EXPECT_EQ(shadow.stats().splits, 1u);
  EXPECT_FALSE(shadow.lookup(0x14000).has_value());
  ASSERT_TRUE(shadow.lookup(0x17234).has_value());
  EXPECT_EQ(shadow.lookup(0x17234)->translated_addr, 0x80006000u);

  mr.unmap(0, 0x10000, 0x10fff);  // trims the front
  EXPECT_EQ(shadow.mappings().front(), mapping(0x11000, 0x13fff, 0x80001000, kIommuRw));
  mr.unmap(0, 0x10000, 0x1ffff);  // everything
  EXPECT_EQ(shadow.size(), 0u);
  EXPECT_EQ(shadow.stats().maps, 1u);
  EXPECT_GE(shadow.stats().unmaps, 3u);
}

TEST_F(ShadowMapTest, AMapReplacesWhatItCovers) {
  ShadowMap shadow(mr);
  ASSERT_TRUE(shadow.attach(nullptr));
  mr.map(0, 0, 0x4000, 0x80000000, kIommuRead);
  mr.map(0, 0x1000, 0x1000, 0x90000000, kIommuWrite);
  EXPECT_EQ(shadow.mappings(),
            (std::vector<Mapping>{mapping(0, 0xfff, 0x80000000, kIommuRead),
                                  mapping(0x1000, 0x1fff, 0x90000000, kIommuWrite),
                                  mapping(0x2000, 0x3fff, 0x80002000, kIommuRead)}));
}

TEST_F(ShadowMapTest, ALateShadowIsFilledByReplay) {
  mr.map(0, 0x3000, 0x1000, 0x80003000, kIommuRw);
  mr.map(0, 0x8000, 0x2000, 0x80008000, kIommuRead);
  ShadowMap shadow(mr);
  ASSERT_TRUE(shadow.attach(nullptr));
  EXPECT_EQ(shadow.mappings(),
            (std::vector<Mapping>{mapping(0x3000, 0x3fff, 0x80003000, kIommuRw),
                                  mapping(0x8000, 0x8fff, 0x80008000, kIommuRead),
                                  mapping(0x9000, 0x9fff, 0x80009000, kIommuRead)}));
  EXPECT_EQ(mr.translate_calls, 0);  // replay, not device requests
}

TEST_F(ShadowMapTest, AWindowedShadowSeesOnlyItsWindow) {
  ShadowMap shadow(mr, "window", 0, 0x6000, 0x9fff);
  ASSERT_TRUE(shadow.attach(nullptr));
  mr.map(0, 0, 0x10000, 0x80000000, kIommuRw);
  EXPECT_EQ(shadow.mappings(),
            (std::vector<Mapping>{mapping(0x6000, 0x7fff, 0x80006000, kIommuRw),
                                  mapping(0x8000, 0x9fff, 0x80008000, kIommuRw)}));
}

TEST_F(ShadowMapTest, AModelThatCannotTellMapsRefusesTheShadow) {
  mr.refuse_map = "page-table writes are invisible to this model";
  ShadowMap shadow(mr, "vfio-like");
  std::string error;
  EXPECT_FALSE(shadow.attach(&error));
  EXPECT_NE(error.find("page-table writes are invisible"), std::string::npos) << error;
  EXPECT_FALSE(shadow.attached());
  EXPECT_TRUE(mr.notifiers().empty());
}

TEST_F(ShadowMapTest, AgreesWithTheModelAfterRandomChanges) {
  ShadowMap shadow(mr);
  ASSERT_TRUE(shadow.attach(nullptr));
  std::mt19937 rng(1234);  // fixed seed: the same sequence every run
  constexpr uint64_t kPages = 64;
  auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  const IommuAccessFlags perms[] = {kIommuRead, kIommuWrite, kIommuRw};
  for (int step = 0; step < 500; ++step) {
    switch (pick(3)) {
      case 0: {  // map an aligned block of 1..8 pages
        uint64_t size_pages = uint64_t{1} << pick(4);
        uint64_t first = pick(kPages / size_pages) * size_pages;
        // An entry's target is aligned like its block (IommuTlbEntry's rule).
        mr.map(0, first << 12, size_pages << 12, 0x80000000 + pick(1 << 12) * (size_pages << 12),
               perms[pick(3)]);
        break;
      }
      case 1: {  // unmap any page range
        uint64_t a = pick(kPages), b = pick(kPages);
        if (a > b) std::swap(a, b);
        mr.unmap(0, a << 12, (b << 12) | 0xfff);
        break;
      }
      case 2: {  // change one mapped page in place
        uint64_t page = pick(kPages);
        auto it = mr.pages[0].find(page);
        if (it == mr.pages[0].end()) break;
        IommuTlbEntry old_entry = mr.entry(page << 12, 0xfff, it->second.target, it->second.perm);
        it->second = {0xa0000000 + pick(1 << 16) * 0x1000, perms[pick(3)]};
        mr.notify_change(0, old_entry,
                         mr.entry(page << 12, 0xfff, it->second.target, it->second.perm));
        break;
      }
    }
  }
  int mapped = 0;
  for (uint64_t page = 0; page < kPages; ++page) {
    uint64_t iova = (page << 12) | 0x123;
    IommuTlbEntry t = mr.translate(iova, kIommuRead, 0, {});
    if (t.perm == kIommuNone) t = mr.translate(iova, kIommuWrite, 0, {});
    std::optional<Mapping> s = shadow.lookup(iova);
    ASSERT_EQ(s.has_value(), t.perm != kIommuNone) << "page " << page;
    if (!s) continue;
    ++mapped;
    EXPECT_EQ(s->perm, t.perm) << "page " << page;
    uint64_t model_target = (t.translated_addr & ~t.addr_mask) | (iova & t.addr_mask);
    EXPECT_EQ(s->translated_addr + (iova - s->iova), model_target) << "page " << page;
  }
  EXPECT_GT(mapped, 0);  // the sequence leaves something to compare
  EXPECT_LT(mapped, static_cast<int>(kPages));
}

}  // namespace
}  // namespace glassvm
