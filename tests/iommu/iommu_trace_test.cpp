// The --trace-iommu line (iommu/iommu_trace.h): fed by the event log's listener, one line per
// delivery, naming who received the event and who was skipped and why.
#include "iommu/iommu_trace.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "iommu/event_log.h"
#include "tests/engine/memory/page_iommu.h"

namespace glassvm {
namespace {

using testing::PageIommu;
using F = IommuNotifierFlag;

class IommuTraceTest : public ::testing::Test {
 protected:
  IommuTraceTest() {
    mr.indexes = 2;
    log.set_listener(
        [this](const IommuEventRecord& r) { lines.push_back(format_iommu_trace_line(r)); });
    log.attach(mr);
  }

  uint64_t now_ns = 12'345'678'901;
  PageIommu mr{0x100000, "riscv-iommu"};
  IommuEventLog log{[this] { return now_ns; }, 1};
  std::vector<std::string> lines;
  // Two consumers of different flags and ranges, as a device IOTLB and a shadow map would be.
  IommuNotifier iotlb{"iotlb", F::Unmap, nullptr};
  IommuNotifier shadow{"shadow", F::IotlbEvents, nullptr, 0x10000, 0x1ffff};
};

TEST_F(IommuTraceTest, ALineSaysWhoReceivedTheEventAndWhoWasSkippedAndWhy) {
  ASSERT_TRUE(mr.register_notifier(iotlb, nullptr));
  ASSERT_TRUE(mr.register_notifier(shadow, nullptr));

  // An UNMAP outside the shadow's range: the IOTLB gets it, the shadow is spared (range).
  mr.notify(0, {F::Unmap, mr.entry(0x80000, 0xfff, 0, kIommuNone)}, /*requester_id=*/1);
  // A MAP inside it: the shadow gets it, the UNMAP-only IOTLB is spared (flags).
  now_ns = 12'400'000'000;
  mr.notify(0, {F::Map, mr.entry(0x10000, 0x1fff, 0x80200000, kIommuRead)}, 1);
  // A DEVIOTLB_UNMAP: neither listens to it.
  mr.notify(0, {F::DevIotlbUnmap, mr.entry(0x10000, 0xfff, 0, kIommuNone)}, 1);

  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "iommu: t=12.345678s riscv-iommu dev 1 UNMAP iova 0x80000-0x80fff -> 0x0 perm none"
            " | to: iotlb(UNMAP) | skipped: shadow(0x10000-0x1ffff: range)");
  EXPECT_EQ(lines[1],
            "iommu: t=12.400000s riscv-iommu dev 1 MAP iova 0x10000-0x11fff -> 0x80200000 perm r"
            " | to: shadow(MAP|UNMAP) | skipped: iotlb(UNMAP only: flags)");
  EXPECT_EQ(lines[2],
            "iommu: t=12.400000s riscv-iommu dev 1 DEVIOTLB_UNMAP iova 0x10000-0x10fff -> 0x0 "
            "perm none | to: none | skipped: iotlb(UNMAP only: flags), "
            "shadow(MAP|UNMAP only: flags)");
}

TEST_F(IommuTraceTest, TheNotifierPartAloneIsWhatTheLineEndsWith) {
  ASSERT_TRUE(mr.register_notifier(iotlb, nullptr));
  ASSERT_TRUE(mr.register_notifier(shadow, nullptr));
  std::vector<std::string> parts;
  log.set_listener([&](const IommuEventRecord& r) {
    lines.push_back(format_iommu_trace_line(r));
    parts.push_back(format_iommu_notifiers(r));
  });
  mr.notify(0, {F::Unmap, mr.entry(0x80000, 0xfff, 0, kIommuNone)}, 1);
  mr.notify(0, {F::Map, mr.entry(0x10000, 0x1fff, 0x80200000, kIommuRead)}, 1);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "to: iotlb(UNMAP) | skipped: shadow(0x10000-0x1ffff: range)");
  EXPECT_EQ(parts[1], "to: shadow(MAP|UNMAP) | skipped: iotlb(UNMAP only: flags)");
  for (size_t i = 0; i < 2; ++i) {
    const size_t bar = lines[i].find(" | ");
    ASSERT_NE(bar, std::string::npos);
    EXPECT_EQ(lines[i].substr(bar + 3), parts[i]);
  }
}

TEST_F(IommuTraceTest, ADeliveryToNoNotifierIsTracedToo) {
  mr.notify(0, {F::Unmap, mr.entry(0, 0xfff, 0, kIommuNone)});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "iommu: t=12.345678s riscv-iommu dev - UNMAP iova 0x0-0xfff -> 0x0 perm none"
            " | notifiers: none");
  IommuEventRecord none;
  EXPECT_EQ(format_iommu_notifiers(none), "notifiers: none");
}

TEST_F(IommuTraceTest, ReplaysAndOtherIndexesAreMarked) {
  IommuNotifier other{"dev1-iotlb", F::Unmap, nullptr, 0, UINT64_MAX, /*iommu_idx=*/1};
  ASSERT_TRUE(mr.register_notifier(other, nullptr));
  ASSERT_TRUE(mr.register_notifier(shadow, nullptr));
  mr.notify(0, {F::Unmap, mr.entry(0x10000, 0xfff, 0, kIommuNone)}, 0);
  mr.notify_one(shadow, {F::Map, mr.entry(0x18000, 0xfff, 0x80018000, kIommuRw)});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "iommu: t=12.345678s riscv-iommu dev 0 UNMAP iova 0x10000-0x10fff -> 0x0 perm none"
            " | to: shadow(MAP|UNMAP) | skipped: dev1-iotlb(index 1: index)");
  EXPECT_EQ(lines[1],
            "iommu: t=12.345678s riscv-iommu dev - MAP (replay) iova 0x18000-0x18fff -> "
            "0x80018000 perm rw | to: shadow(MAP|UNMAP) | skipped: none");
}

}  // namespace
}  // namespace glassvm
