// Tests of the IOMMU notifier contract (engine/memory/iommu.h): each rule of the file note has
// a case that fails when the rule is broken.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/memory/iommu.h"
#include "tests/engine/memory/page_iommu.h"

namespace glassvm {
namespace {

using testing::PageIommu;
using F = IommuNotifierFlag;

/// A notifier that records what it receives.
struct Recorder {
  std::vector<IommuTlbEvent> events;
  IommuNotifier notifier;

  explicit Recorder(std::string name, F flags, uint64_t start = 0, uint64_t end = UINT64_MAX,
                    int idx = 0) {
    notifier.init(
        std::move(name), flags, [this](const IommuTlbEvent& e) { events.push_back(e); }, start, end,
        idx);
  }
};

IommuTlbEntry make_entry(uint64_t iova, uint64_t mask, uint64_t target, IommuAccessFlags perm) {
  IommuTlbEntry e;
  e.iova = iova;
  e.addr_mask = mask;
  e.translated_addr = target;
  e.perm = perm;
  return e;
}

IommuTlbEvent map_event(uint64_t iova, uint64_t mask, uint64_t target,
                        IommuAccessFlags perm = kIommuRw) {
  return {F::Map, make_entry(iova, mask, target, perm)};
}

IommuTlbEvent unmap_event(uint64_t iova, uint64_t mask, F type = F::Unmap) {
  return {type, make_entry(iova, mask, 0, kIommuNone)};
}

bool register_ok(IommuMemoryRegion& mr, IommuNotifier& n) {
  std::string error;
  bool ok = mr.register_notifier(n, &error);
  EXPECT_TRUE(ok) << error;
  return ok;
}

TEST(IommuNotifierTest, FlagNamesAndUnions) {
  EXPECT_EQ(F::IotlbEvents, F::Map | F::Unmap);
  EXPECT_EQ(F::All, F::Map | F::Unmap | F::DevIotlbUnmap);
  EXPECT_EQ(to_string(F::None), "NONE");
  EXPECT_EQ(to_string(F::IotlbEvents), "MAP|UNMAP");
  EXPECT_EQ(to_string(F::DevIotlbUnmap), "DEVIOTLB_UNMAP");
  EXPECT_STREQ(to_string(IommuDeliveryOutcome::SkippedRange), "skipped-range");
}

TEST(IommuNotifierTest, AlignedBlocksAreTheFewestThatCoverTheRange) {
  using V = std::vector<IommuBlock>;
  EXPECT_EQ(iommu_aligned_blocks(0, UINT64_MAX), (V{{0, UINT64_MAX}}));
  EXPECT_EQ(iommu_aligned_blocks(0x2000, 0x3fff), (V{{0x2000, 0x1fff}}));
  EXPECT_EQ(iommu_aligned_blocks(0x1000, 0x6fff),
            (V{{0x1000, 0xfff}, {0x2000, 0x1fff}, {0x4000, 0x1fff}, {0x6000, 0xfff}}));
  EXPECT_EQ(iommu_aligned_blocks(5, 5), (V{{5, 0}}));
  // The top of the space: no overflow past UINT64_MAX.
  EXPECT_EQ(iommu_aligned_blocks(UINT64_MAX - 0xfff, UINT64_MAX), (V{{UINT64_MAX - 0xfff, 0xfff}}));
  EXPECT_EQ(iommu_aligned_blocks(1, UINT64_MAX).size(), 64u);
}

TEST(IommuNotifierTest, EachEventTypeGoesOnlyToNotifiersWhoseFlagsContainIt) {
  PageIommu mr;
  Recorder map("map", F::Map), unmap("unmap", F::Unmap), dev("dev", F::DevIotlbUnmap),
      iotlb("iotlb", F::IotlbEvents), all("all", F::All);
  for (Recorder* r : {&map, &unmap, &dev, &iotlb, &all}) register_ok(mr, r->notifier);

  mr.notify(0, map_event(0x1000, 0xfff, 0x80000000));
  mr.notify(0, unmap_event(0x1000, 0xfff));
  mr.notify(0, unmap_event(0x1000, 0xfff, F::DevIotlbUnmap));

  auto types = [](const Recorder& r) {
    std::vector<F> t;
    for (const auto& e : r.events) t.push_back(e.type);
    return t;
  };
  EXPECT_EQ(types(map), (std::vector<F>{F::Map}));
  EXPECT_EQ(types(unmap), (std::vector<F>{F::Unmap}));
  EXPECT_EQ(types(dev), (std::vector<F>{F::DevIotlbUnmap}));
  EXPECT_EQ(types(iotlb), (std::vector<F>{F::Map, F::Unmap}));
  EXPECT_EQ(types(all), (std::vector<F>{F::Map, F::Unmap, F::DevIotlbUnmap}));
}

TEST(IommuNotifierTest, OnlyOverlappingRangesReceiveAndTheEntryIsCropped) {
  PageIommu mr;
  Recorder inside("inside", F::Map, 0x2000, 0x2fff);
  Recorder touching("touching", F::Map, 0xffff, 0x20000);  // shares one byte with the block
  Recorder after("after", F::Map, 0x10000, 0x1ffff);
  Recorder before("before", F::Map, 0, 0xffff);
  for (Recorder* r : {&inside, &touching, &after, &before}) register_ok(mr, r->notifier);

  mr.notify(0, map_event(0x10000, 0xffff, 0x80010000));  // the 64 KiB block at 0x10000

  EXPECT_TRUE(inside.events.empty());
  EXPECT_TRUE(before.events.empty());
  ASSERT_EQ(after.events.size(), 1u);  // the whole block, untouched
  EXPECT_EQ(after.events[0].entry, make_entry(0x10000, 0xffff, 0x80010000, kIommuRw));
  ASSERT_EQ(touching.events.size(), 1u);  // cropped to [0x10000, 0x1ffff]: the whole block
  EXPECT_EQ(touching.events[0].entry.addr_mask, 0xffffu);

  mr.notify(0, map_event(0, 0xffff, 0x80000000, kIommuRead));  // the block at 0
  ASSERT_EQ(inside.events.size(), 1u);  // cropped to one page, translated address follows
  EXPECT_EQ(inside.events[0].entry, make_entry(0x2000, 0xfff, 0x80002000, kIommuRead));
  ASSERT_EQ(touching.events.size(), 2u);  // cropped to the last byte
  EXPECT_EQ(touching.events[1].entry, make_entry(0xffff, 0, 0x8000ffff, kIommuRead));
  ASSERT_EQ(before.events.size(), 1u);
  EXPECT_EQ(after.events.size(), 1u);
}

TEST(IommuNotifierTest, AnUnalignedCropIsDeliveredAsSeveralAlignedBlocks) {
  PageIommu mr;
  Recorder r("window", F::IotlbEvents, 0x1000, 0x6fff);
  register_ok(mr, r.notifier);
  mr.notify(0, map_event(0, 0xffff, 0x40000000, kIommuWrite));
  ASSERT_EQ(r.events.size(), 4u);
  EXPECT_EQ(r.events[0].entry, make_entry(0x1000, 0xfff, 0x40001000, kIommuWrite));
  EXPECT_EQ(r.events[1].entry, make_entry(0x2000, 0x1fff, 0x40002000, kIommuWrite));
  EXPECT_EQ(r.events[2].entry, make_entry(0x4000, 0x1fff, 0x40004000, kIommuWrite));
  EXPECT_EQ(r.events[3].entry, make_entry(0x6000, 0xfff, 0x40006000, kIommuWrite));
  for (const auto& e : r.events) {
    EXPECT_EQ(e.type, F::Map);
    EXPECT_EQ(e.entry.iova & e.entry.addr_mask, 0u) << "not naturally aligned";
    EXPECT_EQ(e.entry.addr_mask & (e.entry.addr_mask + 1), 0u) << "not a power of two";
  }
  // UNMAPs are cropped the same way.
  mr.notify(0, unmap_event(0, 0xffff));
  ASSERT_EQ(r.events.size(), 8u);
  EXPECT_EQ(r.events[5].type, F::Unmap);
  EXPECT_EQ(r.events[5].entry.iova, 0x2000u);
  EXPECT_EQ(r.events[5].entry.perm, kIommuNone);
}

TEST(IommuNotifierTest, OnlyNotifiersOfTheEventsIndexReceiveIt) {
  PageIommu mr;
  mr.indexes = 2;
  Recorder idx0("idx0", F::All, 0, UINT64_MAX, 0), idx1("idx1", F::All, 0, UINT64_MAX, 1);
  register_ok(mr, idx0.notifier);
  register_ok(mr, idx1.notifier);
  mr.notify(1, map_event(0x1000, 0xfff, 0x9000));
  EXPECT_TRUE(idx0.events.empty());
  ASSERT_EQ(idx1.events.size(), 1u);
  mr.notify(0, unmap_event(0x1000, 0xfff));
  EXPECT_EQ(idx0.events.size(), 1u);
  EXPECT_EQ(idx1.events.size(), 1u);
}

TEST(IommuNotifierTest, AccessesTranslateWithTheIndexAttrsToIndexPicks) {
  MemoryRegion ram;
  ram.init_ram("ram", 0x10000);
  MemoryRegion sys_root;
  sys_root.init_container("sys", MemoryRegion::kWholeSpace);
  sys_root.add_subregion(0x80000000, &ram);
  AddressSpace sys("sys", &sys_root);

  PageIommu mr(0x10000);
  mr.indexes = 2;
  mr.target_as = &sys;
  mr.pages[0][0] = {0x80000000, kIommuRw};
  mr.pages[1][0] = {0x80004000, kIommuRw};
  MemoryRegion dma_root;
  dma_root.init_container("dma", MemoryRegion::kWholeSpace);
  dma_root.add_subregion(0, &mr);
  AddressSpace dma("dma", &dma_root);

  ram.ram_ptr()[0x10] = 0xaa;
  ram.ram_ptr()[0x4010] = 0xbb;
  uint64_t v = 0;
  ASSERT_EQ(dma.load(0x10, 1, v, MemTxAttrs{.requester_id = 1}), MemTxResult::Ok);
  EXPECT_EQ(mr.last_translate_idx, 1);
  EXPECT_EQ(v, 0xbbu);
  uint8_t byte = 0;
  ASSERT_EQ(dma.read(0x10, &byte, 1, MemTxAttrs{.requester_id = 0}), MemTxResult::Ok);
  EXPECT_EQ(mr.last_translate_idx, 0);
  EXPECT_EQ(byte, 0xaa);
  dma_root.del_subregion(&mr);
  sys_root.del_subregion(&ram);
}

TEST(IommuNotifierTest, AnInPlaceChangeIsAnUnmapThenAMap) {
  PageIommu mr;
  Recorder both("both", F::IotlbEvents), map_only("map", F::Map), unmap_only("unmap", F::Unmap);
  for (Recorder* r : {&both, &map_only, &unmap_only}) register_ok(mr, r->notifier);
  IommuTlbEntry old_entry = make_entry(0x3000, 0xfff, 0x81000000, kIommuRw);
  IommuTlbEntry new_entry = make_entry(0x3000, 0xfff, 0x82000000, kIommuRead);
  mr.notify_change(0, old_entry, new_entry);

  ASSERT_EQ(both.events.size(), 2u);
  EXPECT_EQ(both.events[0].type, F::Unmap);
  IommuTlbEntry unmapped = old_entry;
  unmapped.perm = kIommuNone;
  EXPECT_EQ(both.events[0].entry, unmapped);
  EXPECT_EQ(both.events[1].type, F::Map);
  EXPECT_EQ(both.events[1].entry, new_entry);
  ASSERT_EQ(map_only.events.size(), 1u);
  EXPECT_EQ(map_only.events[0].entry, new_entry);
  ASSERT_EQ(unmap_only.events.size(), 1u);
  EXPECT_EQ(unmap_only.events[0].type, F::Unmap);
}

TEST(IommuNotifierTest, TheModelHearsOfEachChangeOfTheFlagUnion) {
  PageIommu mr;
  using Change = std::pair<F, F>;
  Recorder unmap1("u1", F::Unmap), unmap2("u2", F::Unmap), map("m", F::Map);
  register_ok(mr, unmap1.notifier);
  EXPECT_EQ(mr.flag_changes, (std::vector<Change>{{F::None, F::Unmap}}));
  register_ok(mr, unmap2.notifier);  // the union stays UNMAP: not told
  EXPECT_EQ(mr.flag_changes.size(), 1u);
  register_ok(mr, map.notifier);
  EXPECT_EQ(mr.flag_changes.back(), (Change{F::Unmap, F::IotlbEvents}));
  EXPECT_EQ(mr.notifier_flags(), F::IotlbEvents);

  mr.unregister_notifier(unmap1.notifier);  // u2 still wants UNMAP: not told
  EXPECT_EQ(mr.flag_changes.size(), 2u);
  mr.unregister_notifier(map.notifier);
  EXPECT_EQ(mr.flag_changes.back(), (Change{F::IotlbEvents, F::Unmap}));
  {
    Recorder dev("dev", F::DevIotlbUnmap);
    register_ok(mr, dev.notifier);
    EXPECT_EQ(mr.flag_changes.back(), (Change{F::Unmap, F::Unmap | F::DevIotlbUnmap}));
  }  // destroying a registered notifier unregisters it, and the model hears of it
  EXPECT_EQ(mr.flag_changes.back(), (Change{F::Unmap | F::DevIotlbUnmap, F::Unmap}));
  mr.unregister_notifier(unmap2.notifier);
  EXPECT_EQ(mr.flag_changes.back(), (Change{F::Unmap, F::None}));
  EXPECT_EQ(mr.flag_changes.size(), 6u);
  EXPECT_TRUE(mr.notifiers().empty());
}

TEST(IommuNotifierTest, ARefusedRegistrationLeavesTheListUnchangedAndSaysWhy) {
  PageIommu mr;
  mr.refuse_map = "page-table writes are invisible to this model";
  Recorder unmap("vhost", F::Unmap), map("vfio", F::Map), both("shadow", F::IotlbEvents);
  register_ok(mr, unmap.notifier);

  std::string error;
  EXPECT_FALSE(mr.register_notifier(map.notifier, &error));
  EXPECT_NE(error.find("page-table writes are invisible to this model"), std::string::npos)
      << error;
  EXPECT_NE(error.find("vfio"), std::string::npos) << error;
  EXPECT_FALSE(mr.register_notifier(both.notifier, nullptr));  // a null error is allowed
  EXPECT_FALSE(map.notifier.registered());
  EXPECT_FALSE(both.notifier.registered());
  EXPECT_EQ(mr.notifiers(), (std::vector<const IommuNotifier*>{&unmap.notifier}));
  EXPECT_EQ(mr.notifier_flags(), F::Unmap);

  // The refused notifiers receive nothing; the accepted one still does.
  mr.notify(0, map_event(0x1000, 0xfff, 0x1000));
  mr.notify(0, unmap_event(0x1000, 0xfff));
  EXPECT_TRUE(map.events.empty());
  EXPECT_TRUE(both.events.empty());
  EXPECT_EQ(unmap.events.size(), 1u);
}

TEST(IommuNotifierTest, ReplayReachesOnlyTheLateRegistrantAndNeverTranslates) {
  PageIommu mr(uint64_t{1} << 40);  // 1 TiB: the walk must skip holes, not step every page
  Recorder early("early", F::IotlbEvents);
  register_ok(mr, early.notifier);
  mr.map(0, 0x3000, 0x1000, 0x80003000, kIommuRead);
  mr.map(0, 0x5000, 0x1000, 0x80005000, kIommuRw);
  mr.map(0, uint64_t{0x123} << 28, 0x1000, 0x90000000, kIommuWrite);
  early.events.clear();

  Recorder late("late", F::Map);
  register_ok(mr, late.notifier);
  mr.replay(late.notifier);

  EXPECT_TRUE(early.events.empty());
  ASSERT_EQ(late.events.size(), 3u);
  EXPECT_EQ(late.events[0].entry.iova, 0x3000u);
  EXPECT_EQ(late.events[0].entry.perm, kIommuRead);
  EXPECT_EQ(late.events[1].entry.translated_addr, 0x80005000u);
  EXPECT_EQ(late.events[2].entry.iova, uint64_t{0x123} << 28);
  for (const auto& e : late.events) EXPECT_EQ(e.type, F::Map);
  // A device translation request may record faults; a replay must not be one.
  EXPECT_EQ(mr.translate_calls, 0);
  EXPECT_EQ(mr.faults, 0);

  // The replay honours the notifier's range and flags.
  Recorder windowed("windowed", F::Map, 0x4000, 0x5fff);
  register_ok(mr, windowed.notifier);
  mr.replay(windowed.notifier);
  ASSERT_EQ(windowed.events.size(), 1u);
  EXPECT_EQ(windowed.events[0].entry.iova, 0x5000u);
  Recorder unmap_only("unmap-only", F::Unmap);
  register_ok(mr, unmap_only.notifier);
  mr.replay(unmap_only.notifier);
  EXPECT_TRUE(unmap_only.events.empty());
  EXPECT_EQ(mr.translate_calls, 0);
}

/// A model that implements translate() only: its mappings are unknown to replay.
class TranslateOnlyIommu : public IommuMemoryRegion {
 public:
  int calls = 0;
  TranslateOnlyIommu() { init_iommu("translate-only", MemoryRegion::kWholeSpace); }
  IommuTlbEntry translate(uint64_t iova, IommuAccessFlags, int, MemTxAttrs) override {
    ++calls;
    IommuTlbEntry e;
    e.iova = iova & ~0xfffull;
    e.addr_mask = 0xfff;
    e.perm = kIommuRw;  // everything mapped: a replay through translate() would find it
    return e;
  }
};

TEST(IommuNotifierTest, TheDefaultReplayDeliversNothingWithoutLookup) {
  TranslateOnlyIommu mr;  // the whole 64-bit space: a page walk would never end
  Recorder late("late", F::Map);
  register_ok(mr, late.notifier);
  mr.replay(late.notifier);
  EXPECT_TRUE(late.events.empty());
  EXPECT_EQ(mr.calls, 0);
}

/// One 64 KiB block mapped at 0; lookup() reports it whole, and the rest as one hole.
class BlockIommu : public IommuMemoryRegion {
 public:
  mutable int lookups = 0;
  BlockIommu() { init_iommu("block", 0x100000); }
  IommuTlbEntry translate(uint64_t iova, IommuAccessFlags, int, MemTxAttrs) override {
    ADD_FAILURE() << "replay must not translate";
    return {};
  }
  IommuTlbEntry lookup(uint64_t iova, int) const override {
    ++lookups;
    if (iova <= 0xffff) return make_entry(0, 0xffff, 0x40000000, kIommuRw);
    return make_entry(iova & ~0xfffffull, 0xfffff, 0, kIommuNone);  // the 1 MiB block
  }
};

TEST(IommuNotifierTest, ReplaySkipsWholeBlocksAndCropsThemToTheNotifier) {
  BlockIommu mr;
  Recorder whole("whole", F::Map), tail("tail", F::Map, 0x8000, 0x17fff);
  register_ok(mr, whole.notifier);
  register_ok(mr, tail.notifier);
  mr.replay(whole.notifier);
  ASSERT_EQ(whole.events.size(), 1u);  // one block, not sixteen pages
  EXPECT_EQ(whole.events[0].entry, make_entry(0, 0xffff, 0x40000000, kIommuRw));
  EXPECT_EQ(mr.lookups, 2);  // the block, then the hole that ends the region
  mr.replay(tail.notifier);
  ASSERT_EQ(tail.events.size(), 1u);
  EXPECT_EQ(tail.events[0].entry, make_entry(0x8000, 0x7fff, 0x40008000, kIommuRw));
}

TEST(IommuNotifierTest, TheObserverSeesEachNotifiersOutcomeAndWhy) {
  PageIommu mr;
  mr.indexes = 2;
  Recorder delivered("delivered", F::Map), flags("flags", F::Unmap),
      range("range", F::Map, 0x100000, 0x1fffff), index("index", F::Map, 0, UINT64_MAX, 1);
  for (Recorder* r : {&delivered, &flags, &range, &index}) register_ok(mr, r->notifier);
  std::vector<IommuDeliveryReport> reports;
  mr.set_delivery_observer([&](const IommuDeliveryReport& r) { reports.push_back(r); });

  mr.notify(0, map_event(0x2000, 0xfff, 0x80002000), /*requester_id=*/7);
  ASSERT_EQ(reports.size(), 1u);
  const IommuDeliveryReport& r = reports[0];
  EXPECT_EQ(r.region, &mr);
  EXPECT_EQ(r.iommu_idx, 0);
  EXPECT_EQ(r.event.type, F::Map);
  EXPECT_EQ(r.event.entry.iova, 0x2000u);
  EXPECT_EQ(r.requester_id, 7u);
  EXPECT_FALSE(r.targeted);
  ASSERT_EQ(r.outcomes.size(), 4u);
  EXPECT_EQ(r.outcomes[0].name, "delivered");
  EXPECT_EQ(r.outcomes[0].outcome, IommuDeliveryOutcome::Delivered);
  EXPECT_EQ(r.outcomes[1].name, "flags");
  EXPECT_EQ(r.outcomes[1].outcome, IommuDeliveryOutcome::SkippedFlags);
  EXPECT_EQ(r.outcomes[1].flags, F::Unmap);
  EXPECT_EQ(r.outcomes[2].outcome, IommuDeliveryOutcome::SkippedRange);
  EXPECT_EQ(r.outcomes[3].outcome, IommuDeliveryOutcome::SkippedIndex);
  // The outcomes say what really happened.
  EXPECT_EQ(delivered.events.size(), 1u);
  EXPECT_TRUE(flags.events.empty());
  EXPECT_TRUE(range.events.empty());
  EXPECT_TRUE(index.events.empty());

  // notify_one() is reported as targeted, with its one notifier.
  EXPECT_EQ(mr.notify_one(flags.notifier, unmap_event(0x2000, 0xfff)),
            IommuDeliveryOutcome::Delivered);
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_TRUE(reports[1].targeted);
  ASSERT_EQ(reports[1].outcomes.size(), 1u);
  EXPECT_EQ(reports[1].outcomes[0].name, "flags");
  EXPECT_EQ(mr.notify_one(range.notifier, map_event(0x2000, 0xfff, 0)),
            IommuDeliveryOutcome::SkippedRange);
  EXPECT_TRUE(range.events.empty());

  mr.set_delivery_observer(nullptr);
  mr.notify(0, map_event(0x2000, 0xfff, 0x80002000));
  EXPECT_EQ(reports.size(), 3u);
  EXPECT_FALSE(mr.has_delivery_observer());
}

TEST(IommuNotifierTest, ANotifierUnregisteredInACallbackReceivesNothingMore) {
  PageIommu mr;
  std::vector<std::string> order;
  IommuNotifier second;
  IommuNotifier first(
      "first", F::All,
      [&](const IommuTlbEvent&) {
        order.push_back("first");
        mr.unregister_notifier(first);  // itself, in the middle of a cropped delivery
      },
      0x1000, 0x6fff);
  IommuNotifier third("third", F::All, [&](const IommuTlbEvent&) { order.push_back("third"); });
  second.init("second", F::All, [&](const IommuTlbEvent&) {
    order.push_back("second");
    if (third.registered()) mr.unregister_notifier(third);  // a later one, before its turn
  });
  for (IommuNotifier* n : {&first, &second, &third}) register_ok(mr, *n);

  // first's crop is four blocks; it unregisters at the first, so it gets no more.
  mr.notify(0, map_event(0, 0xffff, 0x80000000));
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second"}));
  EXPECT_FALSE(first.registered());
  EXPECT_FALSE(third.registered());
  EXPECT_EQ(mr.notifiers(), (std::vector<const IommuNotifier*>{&second}));
  EXPECT_EQ(mr.notifier_flags(), F::All);

  order.clear();
  mr.notify(0, unmap_event(0, 0xffff));
  EXPECT_EQ(order, (std::vector<std::string>{"second"}));
}

TEST(IommuNotifierTest, ANotifierDestroyedInItsCallbackIsSafelyDropped) {
  PageIommu mr;
  int calls = 0;
  auto doomed = std::make_unique<IommuNotifier>();
  doomed->init(
      "doomed", F::Map,
      [&](const IommuTlbEvent&) {
        ++calls;
        doomed.reset();  // the destructor unregisters it mid-delivery
      },
      0x1000, 0x6fff);
  register_ok(mr, *doomed);
  Recorder after("after", F::Map);
  register_ok(mr, after.notifier);
  std::vector<IommuDeliveryReport> reports;
  mr.set_delivery_observer([&](const IommuDeliveryReport& r) { reports.push_back(r); });

  mr.notify(0, map_event(0, 0xffff, 0x1000));  // four blocks for doomed, which dies at the first
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(after.events.size(), 1u);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].outcomes[0].name, "doomed");  // a copy, readable after the destruction
  EXPECT_EQ(mr.notifiers(), (std::vector<const IommuNotifier*>{&after.notifier}));
}

TEST(IommuNotifierTest, ANotifierRegisteredDuringADeliveryWaitsForTheNextEvent) {
  PageIommu mr;
  Recorder newcomer("newcomer", F::Map);
  IommuNotifier registrar("registrar", F::Map, [&](const IommuTlbEvent&) {
    if (!newcomer.notifier.registered()) register_ok(mr, newcomer.notifier);
  });
  register_ok(mr, registrar);
  mr.notify(0, map_event(0x1000, 0xfff, 0x1000));
  EXPECT_TRUE(newcomer.notifier.registered());
  EXPECT_TRUE(newcomer.events.empty());
  mr.notify(0, map_event(0x2000, 0xfff, 0x2000));
  ASSERT_EQ(newcomer.events.size(), 1u);
  EXPECT_EQ(newcomer.events[0].entry.iova, 0x2000u);
}

TEST(IommuNotifierTest, ARegionDestroyedFirstLetsItsNotifiersGo) {
  Recorder r("orphan", F::Map);
  {
    PageIommu mr;
    register_ok(mr, r.notifier);
    EXPECT_EQ(r.notifier.region(), &mr);
  }
  EXPECT_FALSE(r.notifier.registered());
  PageIommu other;
  register_ok(other, r.notifier);  // free to register elsewhere
}

}  // namespace
}  // namespace glassvm
