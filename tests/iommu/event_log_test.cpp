// Tests of the IOMMU event log (iommu/event_log.h): what each record holds, the per-notifier
// counts, the ring bound, sequence numbers and events_since() after an overflow.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "iommu/event_log.h"
#include "tests/engine/memory/page_iommu.h"

namespace glassvm {
namespace {

using testing::PageIommu;
using F = IommuNotifierFlag;
using O = IommuDeliveryOutcome;

std::vector<uint64_t> seqs(const std::vector<IommuEventRecord>& records) {
  std::vector<uint64_t> out;
  for (const auto& r : records) out.push_back(r.seq);
  return out;
}

class EventLogTest : public ::testing::Test {
 protected:
  uint64_t now_ns = 1000;
  PageIommu mr{0x100000, "viommu"};
  IommuNotifier iotlb{"iotlb", F::Unmap, nullptr};
  IommuNotifier shadow{"shadow", F::IotlbEvents, nullptr};
  IommuNotifier far{"far", F::Map, nullptr, 0x80000, 0xfffff};

  void register_all() {
    for (IommuNotifier* n : {&iotlb, &shadow, &far}) ASSERT_TRUE(mr.register_notifier(*n, nullptr));
  }
};

TEST_F(EventLogTest, ARecordSaysWhoReceivedTheEventAndWhoWasSkippedAndWhy) {
  register_all();
  IommuEventLog log([this] { return now_ns; });
  log.attach(mr);
  mr.map(0, 0x2000, 0x1000, 0x80002000, kIommuRw);
  now_ns = 2500;
  mr.notify(0, {F::Unmap, mr.entry(0x2000, 0xfff, 0, kIommuNone)}, /*requester_id=*/42);

  IommuEventLog::Slice all = log.events_since(0);
  EXPECT_EQ(all.dropped, 0u);
  ASSERT_EQ(all.records.size(), 2u);
  const IommuEventRecord& map = all.records[0];
  EXPECT_EQ(map.seq, 1u);
  EXPECT_EQ(map.time_ns, 1000u);
  EXPECT_EQ(map.model, "viommu");
  EXPECT_FALSE(map.requester_id.has_value());
  EXPECT_EQ(map.type, F::Map);
  EXPECT_EQ(map.entry.iova, 0x2000u);
  EXPECT_EQ(map.entry.translated_addr, 0x80002000u);
  EXPECT_FALSE(map.targeted);
  ASSERT_EQ(map.outcomes.size(), 3u);
  EXPECT_EQ(map.outcomes[0].name, "iotlb");
  EXPECT_EQ(map.outcomes[0].outcome, O::SkippedFlags);
  EXPECT_EQ(map.outcomes[1].name, "shadow");
  EXPECT_EQ(map.outcomes[1].outcome, O::Delivered);
  EXPECT_EQ(map.outcomes[2].name, "far");
  EXPECT_EQ(map.outcomes[2].outcome, O::SkippedRange);

  const IommuEventRecord& unmap = all.records[1];
  EXPECT_EQ(unmap.seq, 2u);
  EXPECT_EQ(unmap.time_ns, 2500u);
  EXPECT_EQ(unmap.requester_id, 42u);
  EXPECT_EQ(unmap.type, F::Unmap);
  EXPECT_EQ(unmap.outcomes[0].outcome, O::Delivered);
  EXPECT_EQ(unmap.outcomes[2].outcome, O::SkippedFlags);

  IommuNotifierCounts c = log.counts_for("viommu", "iotlb");
  EXPECT_EQ(c.delivered, 1u);
  EXPECT_EQ(c.skipped_flags, 1u);
  EXPECT_EQ(c.skipped(), 1u);
  EXPECT_EQ(log.counts_for("viommu", "shadow").delivered, 2u);
  c = log.counts_for("viommu", "far");
  EXPECT_EQ(c.delivered, 0u);
  EXPECT_EQ(c.skipped_range, 1u);
  EXPECT_EQ(c.skipped_flags, 1u);
  EXPECT_EQ(log.counts_for("viommu", "nobody").delivered, 0u);
  EXPECT_EQ(log.counts().size(), 3u);
}

TEST_F(EventLogTest, ReplaysAreLoggedAsTargeted) {
  mr.pages[0][3] = {0x80003000, kIommuRead};
  IommuEventLog log(nullptr);
  log.attach(mr);
  register_all();
  mr.replay(shadow);
  IommuEventLog::Slice all = log.events_since(0);
  ASSERT_EQ(all.records.size(), 1u);
  EXPECT_TRUE(all.records[0].targeted);
  EXPECT_EQ(all.records[0].time_ns, 0u);  // no clock
  ASSERT_EQ(all.records[0].outcomes.size(), 1u);
  EXPECT_EQ(all.records[0].outcomes[0].name, "shadow");
}

TEST_F(EventLogTest, TheRingIsBoundedAndReportsWhatWasDropped) {
  IommuEventLog log([this] { return now_ns++; }, /*capacity=*/4);
  log.attach(mr);
  for (uint64_t i = 0; i < 10; ++i) mr.map(0, i << 12, 0x1000, 0x80000000 + (i << 12), kIommuRw);
  EXPECT_EQ(log.size(), 4u);
  EXPECT_EQ(log.capacity(), 4u);
  EXPECT_EQ(log.last_seq(), 10u);
  EXPECT_EQ(log.dropped(), 6u);

  IommuEventLog::Slice s = log.events_since(0);
  EXPECT_EQ(seqs(s.records), (std::vector<uint64_t>{7, 8, 9, 10}));
  EXPECT_EQ(s.dropped, 6u);
  EXPECT_EQ(s.records[0].entry.iova, 6u << 12);  // the 7th event
  s = log.events_since(5);
  EXPECT_EQ(seqs(s.records), (std::vector<uint64_t>{7, 8, 9, 10}));
  EXPECT_EQ(s.dropped, 1u);  // seq 6
  s = log.events_since(8);
  EXPECT_EQ(seqs(s.records), (std::vector<uint64_t>{9, 10}));
  EXPECT_EQ(s.dropped, 0u);
  s = log.events_since(10);
  EXPECT_TRUE(s.records.empty());
  EXPECT_EQ(s.dropped, 0u);

  // However many events happen, the log holds `capacity` records.
  for (int i = 0; i < 10000; ++i) mr.notify(0, {F::Unmap, mr.entry(0, 0xfff, 0, kIommuNone)});
  EXPECT_EQ(log.size(), 4u);
  EXPECT_EQ(log.last_seq(), 10010u);
  EXPECT_EQ(log.events_since(0).records.size(), 4u);
  EXPECT_EQ(log.events_since(0).dropped, 10006u);

  // clear() forgets records and counts, but sequence numbers never go back.
  log.clear();
  EXPECT_EQ(log.size(), 0u);
  EXPECT_TRUE(log.events_since(10010).records.empty());
  mr.map(0, 0, 0x1000, 0x80000000, kIommuRw);
  s = log.events_since(10010);
  EXPECT_EQ(seqs(s.records), (std::vector<uint64_t>{10011}));
  EXPECT_EQ(s.dropped, 0u);
}

/// The seqs visit_newest_first() passes, stopping after `limit` of them.
std::vector<uint64_t> visited(const IommuEventLog& log, size_t limit = SIZE_MAX) {
  std::vector<uint64_t> out;
  log.visit_newest_first([&](const IommuEventRecord& r) {
    out.push_back(r.seq);
    return out.size() < limit;
  });
  return out;
}

TEST_F(EventLogTest, TheVisitorWalksNewestFirstAndStopsWhenAsked) {
  IommuEventLog log([this] { return now_ns++; }, /*capacity=*/4);
  log.attach(mr);
  EXPECT_TRUE(visited(log).empty());
  for (uint64_t i = 0; i < 3; ++i) mr.map(0, i << 12, 0x1000, 0x80000000 + (i << 12), kIommuRw);
  EXPECT_EQ(visited(log), (std::vector<uint64_t>{3, 2, 1}));
  EXPECT_EQ(visited(log, 2), (std::vector<uint64_t>{3, 2}));
  EXPECT_EQ(visited(log, 1), (std::vector<uint64_t>{3}));

  // Past the capacity the ring wraps: still newest first, and only what is held.
  for (uint64_t i = 3; i < 10; ++i) mr.map(0, i << 12, 0x1000, 0x80000000 + (i << 12), kIommuRw);
  EXPECT_EQ(visited(log), (std::vector<uint64_t>{10, 9, 8, 7}));
  EXPECT_EQ(visited(log, 3), (std::vector<uint64_t>{10, 9, 8}));
  // The records are the ones events_since() copies, in the other order.
  std::vector<uint64_t> iovas;
  log.visit_newest_first([&](const IommuEventRecord& r) {
    iovas.push_back(r.entry.iova);
    return true;
  });
  EXPECT_EQ(iovas, (std::vector<uint64_t>{9u << 12, 8u << 12, 7u << 12, 6u << 12}));
  std::vector<uint64_t> oldest_first = seqs(log.events_since(0).records);
  EXPECT_EQ(std::vector<uint64_t>(oldest_first.rbegin(), oldest_first.rend()), visited(log));

  log.clear();
  EXPECT_TRUE(visited(log).empty());
}

TEST_F(EventLogTest, FindGivesAHeldRecordBySeqAndNothingForOthers) {
  IommuEventLog log(nullptr, /*capacity=*/4);
  log.attach(mr);
  EXPECT_EQ(log.find(0), nullptr);
  EXPECT_EQ(log.find(1), nullptr);
  for (uint64_t i = 0; i < 6; ++i) mr.map(0, i << 12, 0x1000, 0x80000000 + (i << 12), kIommuRw);
  EXPECT_EQ(log.find(1), nullptr);  // overwritten
  EXPECT_EQ(log.find(2), nullptr);
  for (uint64_t seq = 3; seq <= 6; ++seq) {
    const IommuEventRecord* r = log.find(seq);
    ASSERT_NE(r, nullptr) << seq;
    EXPECT_EQ(r->seq, seq);
    EXPECT_EQ(r->entry.iova, (seq - 1) << 12);
  }
  EXPECT_EQ(log.find(7), nullptr);  // not made yet
  log.clear();
  EXPECT_EQ(log.find(6), nullptr);
}

TEST_F(EventLogTest, EitherTheLogOrTheRegionMayGoFirst) {
  register_all();
  {
    IommuEventLog log(nullptr);
    log.attach(mr);
    mr.map(0, 0, 0x1000, 0x80000000, kIommuRw);
    EXPECT_EQ(log.size(), 1u);
  }
  mr.map(0, 0x1000, 0x1000, 0x80001000, kIommuRw);  // the observer finds the log gone
  EXPECT_TRUE(mr.has_delivery_observer());

  IommuEventLog log(nullptr);
  {
    PageIommu other;
    log.attach(other);
    other.map(0, 0, 0x1000, 0x80000000, kIommuRw);
    log.detach(other);
    EXPECT_FALSE(other.has_delivery_observer());
    other.map(0, 0, 0x1000, 0x80000000, kIommuRw);  // not logged
    log.attach(other);
  }  // the region dies while the log observes it
  EXPECT_EQ(log.size(), 1u);
  log.attach(mr);
  mr.map(0, 0x2000, 0x1000, 0x80002000, kIommuRw);
  EXPECT_EQ(log.size(), 2u);
}

}  // namespace
}  // namespace glassvm
