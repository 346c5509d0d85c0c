// The page's IOMMU event record (ui/iommu_events.h) on the RISC-V IOMMU teaching program:
// edu-dma with ATS behind riscv-iommu, whose remaps and unmaps are UNMAP and DEVIOTLB_UNMAP
// events, the latter received by edu-dma's own ATC.
#include "ui/iommu_events.h"

#include <gtest/gtest.h>

#include "engine/board/machine.h"
#include "tests/iommu/iommu_board_fixture.h"
#include "tests/ui/guest_files.h"

namespace glassvm::ui {
namespace {

class IommuEventsTest : public glassvm::testing::IommuBoardTest {
 protected:
  void build(std::vector<std::string> devices) {
    ASSERT_NO_FATAL_FAILURE(IommuBoardTest::build(std::move(devices)));
    std::string error;
    ASSERT_TRUE(m->load_kernel(glassvm::testing::read_guest("teach_riscv_iommu.elf"),
                               "teach_riscv_iommu.elf", error))
        << error;
  }
  void run_lesson() {
    for (int i = 0; i < 200 && !m->exited(); ++i) m->run(100'000);
    ASSERT_TRUE(m->exited());
    ASSERT_EQ(m->exit_code(), 0) << host.output;
  }
};

TEST_F(IommuEventsTest, NoIommuNoLogNoEvents) {
  ASSERT_NO_FATAL_FAILURE(build({"edu-dma"}));
  EXPECT_EQ(watch_iommu_events(*m), nullptr);
  EXPECT_EQ(iommu_events_json(nullptr, 0), "{\"lastSeq\":0,\"dropped\":0,\"events\":[]}");
}

TEST_F(IommuEventsTest, TheLessonsInvalidationsAreEventsInOrder) {
  ASSERT_NO_FATAL_FAILURE(build({"riscv-iommu-sys", "edu-dma,ats=on"}));
  std::unique_ptr<IommuEventLog> log = watch_iommu_events(*m);
  ASSERT_NE(log, nullptr);
  ASSERT_NO_FATAL_FAILURE(run_lesson());
  ASSERT_GT(log->last_seq(), 3u);
  const std::string all = iommu_events_json(log.get(), 0);
  EXPECT_EQ(all.rfind("{\"lastSeq\":" + std::to_string(log->last_seq()) + ",\"dropped\":0,", 0), 0u)
      << all;
  // The remap's IOTINVAL.VMA drops edu-dma's (device 9) cached page at IOVA 0x40000000.
  EXPECT_NE(all.find("\"model\":\"riscv-iommu\",\"device\":9,\"type\":\"UNMAP\",\"replay\":false,"
                     "\"iova\":\"0x0000000040000000\",\"last\":\"0x0000000040000fff\""),
            std::string::npos)
      << all;
  // ATS.INVAL reaches the ATC, the one DEVIOTLB_UNMAP notifier.
  EXPECT_NE(all.find("\"type\":\"DEVIOTLB_UNMAP\""), std::string::npos) << all;
  EXPECT_NE(all.find("\"flags\":\"DEVIOTLB_UNMAP\",\"outcome\":\"delivered\""), std::string::npos)
      << all;
  EXPECT_NE(all.find("\"outcome\":\"skipped-flags\""), std::string::npos) << all;
  // Polling from the last sequence number gives nothing new.
  EXPECT_EQ(iommu_events_json(log.get(), log->last_seq()),
            "{\"lastSeq\":" + std::to_string(log->last_seq()) + ",\"dropped\":0,\"events\":[]}");
}

TEST_F(IommuEventsTest, ASlowReaderLearnsHowManyItMissed) {
  ASSERT_NO_FATAL_FAILURE(build({"riscv-iommu-sys", "edu-dma,ats=on"}));
  std::unique_ptr<IommuEventLog> log = watch_iommu_events(*m, 2);
  ASSERT_NO_FATAL_FAILURE(run_lesson());
  const uint64_t last = log->last_seq();
  ASSERT_GT(last, 3u);
  const std::string json = iommu_events_json(log.get(), 0);
  EXPECT_NE(json.find("\"dropped\":" + std::to_string(last - 2) + ","), std::string::npos) << json;
  EXPECT_NE(json.find("{\"seq\":" + std::to_string(last - 1) + ","), std::string::npos) << json;
  EXPECT_NE(json.find("{\"seq\":" + std::to_string(last) + ","), std::string::npos) << json;
}

TEST_F(IommuEventsTest, TimelineRowsFollowTheFilter) {
  ASSERT_NO_FATAL_FAILURE(build({"riscv-iommu-sys", "edu-dma,ats=on"}));
  std::unique_ptr<IommuEventLog> log = watch_iommu_events(*m);
  ASSERT_NO_FATAL_FAILURE(run_lesson());
  const std::vector<IommuEventRow> all = iommu_event_rows(*log, {}, 10000);
  ASSERT_EQ(all.size(), log->size());
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].seq, all[i].seq);  // oldest first
  // Only DEVIOTLB_UNMAP: ATS.INVAL's, which edu-dma's ATC received.
  IommuEventFilter ats;
  ats.map = ats.unmap = false;
  const std::vector<IommuEventRow> inval = iommu_event_rows(*log, ats, 10000);
  ASSERT_FALSE(inval.empty());
  for (const IommuEventRow& r : inval) {
    EXPECT_EQ(r.type, "DEVIOTLB_UNMAP");
    EXPECT_EQ(r.device, "9");
    EXPECT_NE(r.notifiers.find("to: "), std::string::npos) << r.notifiers;
  }
  // A device that is not there, and a range nothing touched.
  IommuEventFilter other;
  other.device = 3;
  EXPECT_TRUE(iommu_event_rows(*log, other, 10000).empty());
  IommuEventFilter high;
  high.first = 0x100000000;
  high.last = 0x1ffffffff;
  for (const IommuEventRow& r : iommu_event_rows(*log, high, 10000))
    EXPECT_EQ(r.range, "0x0-0xffffffffffffffff");  // only whole-space UNMAPs overlap it
  // The newest rows when there are more than asked for.
  const std::vector<IommuEventRow> last2 = iommu_event_rows(*log, {}, 2);
  ASSERT_EQ(last2.size(), 2u);
  EXPECT_EQ(last2[1].seq, log->last_seq());
  // The ATC's counts: received DEVIOTLB_UNMAPs, skipped the UNMAPs for their flags.
  bool atc = false;
  for (const IommuNotifierRow& r : iommu_notifier_rows(*log)) {
    if (r.counts.delivered == 0) continue;
    atc = true;
    EXPECT_EQ(r.counts.delivered, inval.size()) << r.name;
    EXPECT_GT(r.counts.skipped_flags, 0u) << r.name;
    // What it subscribed to: only the device's own invalidations.
    EXPECT_EQ(r.counts.flags, IommuNotifierFlag::DevIotlbUnmap) << r.name;
    EXPECT_EQ(r.counts.iommu_idx, 9) << r.name;
    EXPECT_EQ(r.counts.start, 0u) << r.name;
    EXPECT_EQ(r.counts.end, UINT64_MAX) << r.name;
  }
  EXPECT_TRUE(atc);
  const std::string json = iommu_notifiers_json(log.get());
  EXPECT_EQ(json.rfind("[{\"model\":\"riscv-iommu\",\"name\":\"edu-dma@4000000", 0), 0u) << json;
  EXPECT_NE(json.find("\"delivered\":" + std::to_string(inval.size()) + ",\"skippedFlags\":"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"flags\":\"DEVIOTLB_UNMAP\",\"start\":\"0x0000000000000000\",\"end\":"
                      "\"0xffffffffffffffff\",\"index\":9}"),
            std::string::npos)
      << json;
  EXPECT_EQ(iommu_notifiers_json(nullptr), "[]");
}

TEST_F(IommuEventsTest, TimelineTicksAreTheEventsInTheTimeWindowNewestFirst) {
  ASSERT_NO_FATAL_FAILURE(build({"riscv-iommu-sys", "edu-dma,ats=on"}));
  std::unique_ptr<IommuEventLog> log = watch_iommu_events(*m);
  ASSERT_NO_FATAL_FAILURE(run_lesson());
  const IommuEventLog::Slice held = log->events_since(0);
  ASSERT_GT(held.records.size(), 3u);
  const uint64_t oldest = held.records.front().time_ns, newest = held.records.back().time_ns;
  EXPECT_EQ(iommu_oldest_time_ns(*log), oldest);

  // The whole span: every event, newest first, with its time and type.
  const std::vector<IommuTimelineTick> all =
      iommu_timeline_ticks(*log, {}, oldest, newest, SIZE_MAX);
  ASSERT_EQ(all.size(), held.records.size());
  for (size_t i = 0; i < all.size(); ++i) {
    const IommuEventRecord& r = held.records[held.records.size() - 1 - i];
    EXPECT_EQ(all[i].seq, r.seq);
    EXPECT_EQ(all[i].time_ns, r.time_ns);
    EXPECT_EQ(all[i].type, r.type);
  }
  // A window: exactly the events whose time is in it.
  const uint64_t mid = held.records[held.records.size() / 2].time_ns;
  const std::vector<IommuTimelineTick> late = iommu_timeline_ticks(*log, {}, mid, newest, SIZE_MAX);
  size_t expected = 0;
  for (const IommuEventRecord& r : held.records) expected += r.time_ns >= mid;
  EXPECT_EQ(late.size(), expected);
  for (const IommuTimelineTick& t : late) EXPECT_GE(t.time_ns, mid);
  const std::vector<IommuTimelineTick> early =
      iommu_timeline_ticks(*log, {}, oldest, mid > 0 ? mid - 1 : 0, SIZE_MAX);
  EXPECT_EQ(early.size() + late.size(), all.size());
  for (const IommuTimelineTick& t : early) EXPECT_LT(t.time_ns, mid);
  // The filter applies, and the bound.
  IommuEventFilter ats;
  ats.map = ats.unmap = false;
  for (const IommuTimelineTick& t : iommu_timeline_ticks(*log, ats, oldest, newest, SIZE_MAX))
    EXPECT_EQ(t.type, IommuNotifierFlag::DevIotlbUnmap);
  const std::vector<IommuTimelineTick> two = iommu_timeline_ticks(*log, {}, oldest, newest, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].seq, log->last_seq());
  // After the newest event, nothing.
  EXPECT_TRUE(iommu_timeline_ticks(*log, {}, newest + 1, UINT64_MAX, SIZE_MAX).empty());
}

}  // namespace
}  // namespace glassvm::ui
