// Tests of the device-side translation caches (iommu/device_iotlb.h): filled from
// translate() (or ATS translation requests), emptied by exactly the overlapping entries on their
// one invalidation type.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "iommu/device_iotlb.h"
#include "tests/engine/memory/page_iommu.h"

namespace glassvm {
namespace {

using testing::PageIommu;
using F = IommuNotifierFlag;

class DeviceIotlbTest : public ::testing::Test {
 protected:
  DeviceIotlbTest() : sys("sys", &sys_root) {
    sys_root.init_container("sys", MemoryRegion::kWholeSpace);
    mr.target_as = &sys;
  }

  /// Maps pages 1, 2 and 3 (without telling anyone: the caches do not need MAP events).
  void map_three_pages() {
    for (uint64_t page = 1; page <= 3; ++page) {
      mr.pages[0][page] = {0x80000000 + page * 0x1000, kIommuRw};
    }
  }

  std::vector<uint64_t> cached_iovas(const DeviceIotlb& iotlb) {
    std::vector<uint64_t> out;
    for (const IommuTlbEntry& e : iotlb.entries()) out.push_back(e.iova);
    return out;
  }

  MemoryRegion sys_root;
  AddressSpace sys;
  PageIommu mr;
};

TEST_F(DeviceIotlbTest, HitsAfterTheFirstTranslation) {
  map_three_pages();
  DeviceIotlb iotlb(mr, "dev0-iotlb");
  std::string error;
  ASSERT_TRUE(iotlb.attach(&error)) << error;
  EXPECT_EQ(iotlb.notifier().flags(), F::Unmap);

  IommuTlbEntry e = iotlb.lookup(0x2010, kIommuRead);
  EXPECT_EQ(e.perm, kIommuRw);
  EXPECT_EQ(e.translated_addr, 0x80002000u);
  EXPECT_EQ(mr.translate_calls, 1);
  e = iotlb.lookup(0x2ff8, kIommuWrite);
  EXPECT_EQ(e.translated_addr, 0x80002000u);
  EXPECT_EQ(mr.translate_calls, 1);  // a hit does not ask the model
  EXPECT_EQ(iotlb.stats().hits, 1u);
  EXPECT_EQ(iotlb.stats().misses, 1u);
}

TEST_F(DeviceIotlbTest, UnmapDropsExactlyTheOverlappingEntries) {
  map_three_pages();
  DeviceIotlb iotlb(mr, "dev0-iotlb");
  ASSERT_TRUE(iotlb.attach(nullptr));
  for (uint64_t iova : {0x1000, 0x2000, 0x3000}) iotlb.lookup(iova, kIommuRead);
  ASSERT_EQ(cached_iovas(iotlb), (std::vector<uint64_t>{0x1000, 0x2000, 0x3000}));

  mr.unmap(0, 0x2000, 0x2fff);
  EXPECT_EQ(cached_iovas(iotlb), (std::vector<uint64_t>{0x1000, 0x3000}));
  EXPECT_EQ(iotlb.stats().invalidations, 1u);
  EXPECT_EQ(iotlb.stats().dropped, 1u);

  // The unmapped page is asked of the model again, which faults (and is not cached).
  int faults = mr.faults;
  EXPECT_EQ(iotlb.lookup(0x2000, kIommuRead).perm, kIommuNone);
  EXPECT_EQ(mr.faults, faults + 1);
  EXPECT_EQ(iotlb.lookup(0x2000, kIommuRead).perm, kIommuNone);
  EXPECT_EQ(mr.faults, faults + 2);
  EXPECT_EQ(iotlb.size(), 2u);

  // An UNMAP that touches no cached block drops nothing; one that spans both drops both.
  mr.unmap(0, 0x8000, 0x8fff);
  EXPECT_EQ(iotlb.size(), 2u);
  mr.notify(0, {F::Unmap, mr.entry(0, 0xffff, 0, kIommuNone)});
  EXPECT_EQ(iotlb.size(), 0u);
  EXPECT_EQ(iotlb.stats().dropped, 3u);
}

TEST_F(DeviceIotlbTest, IgnoresMapEvents) {
  map_three_pages();
  DeviceIotlb iotlb(mr, "dev0-iotlb");
  ASSERT_TRUE(iotlb.attach(nullptr));
  iotlb.lookup(0x1000, kIommuRead);
  // A MAP is not an invalidation: the cached entry stays, and no event reached the cache.
  mr.map(0, 0x1000, 0x1000, 0x90000000, kIommuRw);
  mr.map(0, 0x5000, 0x1000, 0x90005000, kIommuRw);
  EXPECT_EQ(iotlb.stats().invalidations, 0u);
  EXPECT_EQ(iotlb.lookup(0x1000, kIommuRead).translated_addr, 0x80001000u);
  EXPECT_EQ(iotlb.size(), 1u);
}

TEST_F(DeviceIotlbTest, DevIotlbUnmapDoesNotReachTheIotlb) {
  map_three_pages();
  DeviceIotlb iotlb(mr, "dev0-iotlb");
  ASSERT_TRUE(iotlb.attach(nullptr));
  iotlb.lookup(0x1000, kIommuRead);
  mr.notify(0, {F::DevIotlbUnmap, mr.entry(0x1000, 0xfff, 0, kIommuNone)});
  EXPECT_EQ(iotlb.size(), 1u);
}

TEST_F(DeviceIotlbTest, AtsCacheObeysDevIotlbUnmapAndIgnoresUnmap) {
  map_three_pages();
  AtsDeviceIotlb ats(mr, "dev0-ats");
  ASSERT_TRUE(ats.attach(nullptr));
  EXPECT_EQ(ats.notifier().flags(), F::DevIotlbUnmap);
  ats.lookup(0x1000, kIommuRead);
  ats.lookup(0x3000, kIommuRead);

  mr.unmap(0, 0x1000, 0x3fff);  // IOTLB invalidations only
  EXPECT_EQ(ats.size(), 2u);
  EXPECT_EQ(ats.stats().invalidations, 0u);

  mr.notify(0, {F::DevIotlbUnmap, mr.entry(0x3000, 0xfff, 0, kIommuNone)});
  EXPECT_EQ(cached_iovas(ats), (std::vector<uint64_t>{0x1000}));
  EXPECT_EQ(ats.stats().invalidations, 1u);
  EXPECT_EQ(ats.stats().dropped, 1u);
}

/// A model that also answers ATS Translation Requests, counting them apart from translate().
class AtsPageIommu : public PageIommu, public AtsTranslationAgent {
 public:
  int ats_requests = 0;
  IommuTlbEntry ats_request_translation(uint64_t iova, IommuAccessFlags, int iommu_idx,
                                        MemTxAttrs) override {
    ++ats_requests;
    return lookup(iova, iommu_idx);
  }
};

TEST_F(DeviceIotlbTest, AtsCacheAsksATranslationAgentWithAtsRequests) {
  AtsPageIommu agent;
  agent.target_as = &sys;
  agent.pages[0][1] = {0x80001000, kIommuRead};
  AtsDeviceIotlb ats(agent, "dev0-ats");
  ASSERT_TRUE(ats.attach(nullptr));
  EXPECT_EQ(ats.lookup(0x1010, kIommuRead).translated_addr, 0x80001000u);
  EXPECT_EQ(agent.ats_requests, 1);
  EXPECT_EQ(agent.translate_calls, 0);
  ats.lookup(0x1020, kIommuRead);
  EXPECT_EQ(agent.ats_requests, 1);  // a hit
  // A translation without the access is returned, not cached; the next lookup asks again.
  EXPECT_EQ(ats.lookup(0x1000, kIommuWrite).perm, kIommuRead);
  EXPECT_EQ(agent.ats_requests, 2);
  // The plain device IOTLB keeps asking translate().
  DeviceIotlb iotlb(agent, "dev0-iotlb");
  ASSERT_TRUE(iotlb.attach(nullptr));
  iotlb.lookup(0x1000, kIommuRead);
  EXPECT_EQ(agent.translate_calls, 1);
  EXPECT_EQ(agent.ats_requests, 2);
}

TEST_F(DeviceIotlbTest, AnEntryWithoutTheAccessIsAskedAgain) {
  mr.pages[0][1] = {0x80001000, kIommuRead};
  DeviceIotlb iotlb(mr, "dev0-iotlb");
  ASSERT_TRUE(iotlb.attach(nullptr));
  iotlb.lookup(0x1000, kIommuRead);
  EXPECT_EQ(iotlb.lookup(0x1000, kIommuWrite).perm, kIommuRead);  // the model's fault
  EXPECT_EQ(mr.translate_calls, 2);
  EXPECT_EQ(mr.faults, 1);
  // The model grants write (and says so with an in-place change): the next write is cached.
  mr.pages[0][1] = {0x80001000, kIommuRw};
  mr.notify_change(0, mr.entry(0x1000, 0xfff, 0x80001000, kIommuRead),
                   mr.entry(0x1000, 0xfff, 0x80001000, kIommuRw));
  EXPECT_EQ(iotlb.lookup(0x1000, kIommuWrite).perm, kIommuRw);
  EXPECT_EQ(iotlb.lookup(0x1000, kIommuWrite).perm, kIommuRw);
  EXPECT_EQ(mr.translate_calls, 3);
}

TEST_F(DeviceIotlbTest, TheLeastRecentlyUsedEntryMakesRoom) {
  map_three_pages();
  DeviceIotlb iotlb(mr, "small", /*capacity=*/2);
  ASSERT_TRUE(iotlb.attach(nullptr));
  iotlb.lookup(0x1000, kIommuRead);
  iotlb.lookup(0x2000, kIommuRead);
  iotlb.lookup(0x1000, kIommuRead);  // 0x2000 is now the least recently used
  iotlb.lookup(0x3000, kIommuRead);
  EXPECT_EQ(cached_iovas(iotlb), (std::vector<uint64_t>{0x1000, 0x3000}));
  EXPECT_EQ(iotlb.stats().evictions, 1u);
  EXPECT_EQ(iotlb.size(), iotlb.capacity());
}

TEST_F(DeviceIotlbTest, ADetachedCacheCachesNothing) {
  map_three_pages();
  DeviceIotlb iotlb(mr, "dev0-iotlb");
  iotlb.lookup(0x1000, kIommuRead);
  iotlb.lookup(0x1000, kIommuRead);
  EXPECT_EQ(mr.translate_calls, 2);
  EXPECT_EQ(iotlb.size(), 0u);
  ASSERT_TRUE(iotlb.attach(nullptr));
  iotlb.lookup(0x1000, kIommuRead);
  iotlb.detach();
  EXPECT_EQ(iotlb.size(), 0u);
  EXPECT_TRUE(mr.notifiers().empty());
}

TEST_F(DeviceIotlbTest, UnmapOnlyCachesWorkWithAModelThatRefusesMap) {
  mr.refuse_map = "learns of mappings only through invalidations";
  DeviceIotlb iotlb(mr, "dev0-iotlb");
  AtsDeviceIotlb ats(mr, "dev0-ats");
  EXPECT_TRUE(iotlb.attach(nullptr));
  EXPECT_TRUE(ats.attach(nullptr));
  EXPECT_EQ(mr.notifier_flags(), F::Unmap | F::DevIotlbUnmap);
}

TEST_F(DeviceIotlbTest, EachCacheHearsOnlyItsOwnIndex) {
  mr.indexes = 2;
  mr.pages[0][1] = {0x80001000, kIommuRw};
  mr.pages[1][1] = {0x90001000, kIommuRw};
  DeviceIotlb dev0(mr, "dev0", 8, 0), dev1(mr, "dev1", 8, 1, MemTxAttrs{.requester_id = 1});
  ASSERT_TRUE(dev0.attach(nullptr));
  ASSERT_TRUE(dev1.attach(nullptr));
  EXPECT_EQ(dev0.lookup(0x1000, kIommuRead).translated_addr, 0x80001000u);
  EXPECT_EQ(dev1.lookup(0x1000, kIommuRead).translated_addr, 0x90001000u);
  EXPECT_EQ(mr.last_translate_idx, 1);
  mr.unmap(1, 0x1000, 0x1fff);
  EXPECT_EQ(dev0.size(), 1u);
  EXPECT_EQ(dev1.size(), 0u);
}

}  // namespace
}  // namespace glassvm
