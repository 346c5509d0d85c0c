// VirtioIommu driven through the virtio-mmio transport the way Linux's virtio-iommu driver
// drives it: requests on queue 0, fault buffers on queue 1, and endpoints doing DMA through
// address spaces rooted at their IOMMU regions.
#include "iommu/virtio_iommu.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "iommu/shadow_map.h"
#include "tests/engine/devices/virtio/virtio_driver.h"

namespace glassvm {
namespace {

using testing::VirtioBench;
using V = VirtioIommu;

// Endpoint ids, as a board would give them.
constexpr uint32_t kEp = 8;
constexpr uint32_t kEp2 = 9;
constexpr uint64_t kRam = VirtioBench::kRamBase;
constexpr uint64_t kReq = VirtioBench::kData;            // request (device-readable) bytes
constexpr uint64_t kResp = VirtioBench::kData + 0x1000;  // device-writable bytes
constexpr uint64_t kEvents = VirtioBench::kData + 0x3000;
constexpr uint64_t kTarget = kRam + 0x40000;  // where mappings lead

// -- Request builders (struct virtio_iommu_req_*, device-readable part) ------------------------

std::vector<uint8_t> head(uint8_t type, size_t len) {
  std::vector<uint8_t> r(len, 0);
  r[0] = type;
  return r;
}
std::vector<uint8_t> attach_req(uint32_t domain, uint32_t ep, uint32_t flags = 0,
                                uint32_t reserved = 0) {
  auto r = head(V::kTAttach, V::kAttachLen);
  store_le<uint32_t>(&r[4], domain);
  store_le<uint32_t>(&r[8], ep);
  store_le<uint32_t>(&r[12], flags);
  store_le<uint32_t>(&r[16], reserved);
  return r;
}
std::vector<uint8_t> detach_req(uint32_t domain, uint32_t ep) {
  auto r = head(V::kTDetach, V::kDetachLen);
  store_le<uint32_t>(&r[4], domain);
  store_le<uint32_t>(&r[8], ep);
  return r;
}
std::vector<uint8_t> map_req(uint32_t domain, uint64_t first, uint64_t last, uint64_t phys,
                             uint32_t flags = V::kMapFRead | V::kMapFWrite) {
  auto r = head(V::kTMap, V::kMapLen);
  store_le<uint32_t>(&r[4], domain);
  store_le<uint64_t>(&r[8], first);
  store_le<uint64_t>(&r[16], last);
  store_le<uint64_t>(&r[24], phys);
  store_le<uint32_t>(&r[32], flags);
  return r;
}
std::vector<uint8_t> unmap_req(uint32_t domain, uint64_t first, uint64_t last) {
  auto r = head(V::kTUnmap, V::kUnmapLen);
  store_le<uint32_t>(&r[4], domain);
  store_le<uint64_t>(&r[8], first);
  store_le<uint64_t>(&r[16], last);
  return r;
}
std::vector<uint8_t> probe_req(uint32_t ep) {
  auto r = head(V::kTProbe, V::kProbeLen);
  store_le<uint32_t>(&r[4], ep);
  return r;
}

/// What came back for one request.
struct Result {
  uint32_t used_len = 0;
  std::vector<uint8_t> written;  ///< the whole device-writable buffer
  uint8_t status() const { return used_len >= 4 ? written[used_len - 4] : 0xff; }
};

/// Everything a notifier received, one line per entry.
struct Recorder {
  std::vector<std::string> lines;
  IommuNotifier::Callback callback() {
    return [this](const IommuTlbEvent& e) {
      char buf[128];
      std::snprintf(buf, sizeof buf, "%s %llx/%llx->%llx %d", to_string(e.type).c_str(),
                    static_cast<unsigned long long>(e.entry.iova),
                    static_cast<unsigned long long>(e.entry.addr_mask),
                    static_cast<unsigned long long>(e.entry.translated_addr),
                    static_cast<int>(e.entry.perm));
      lines.push_back(buf);
    };
  }
};

/// A guest with a virtio-iommu on virtio-mmio and endpoints kEp and kEp2 behind it.
class Rig {
 public:
  explicit Rig(V::Options options = {})
      : dev(bench.as(), std::move(options)),
        ep(dev.add_endpoint(kEp)),
        ep2(dev.add_endpoint(kEp2)),
        ep_as("ep", &ep),
        ep2_as("ep2", &ep2) {
    bench.transport().plug(dev);
  }

  /// Negotiates `accept` of the offer and sets up both queues.
  void init(uint64_t accept = ~0ull) {
    ASSERT_TRUE(bench.negotiate(accept));
    bench.setup_queue(0, 64);
    bench.setup_queue(1, 64);
    bench.add_status(kVirtioStatusDriverOk);
    ASSERT_FALSE(bench.needs_reset());
  }

  /// Sends one request: `readable` bytes, then a device-writable buffer of `writable` bytes.
  Result send(const std::vector<uint8_t>& readable, uint32_t writable = 4) {
    bench.put(kReq, readable);
    bench.put(kResp, std::vector<uint8_t>(writable, 0xee));
    const uint16_t before = bench.used_idx(0);
    std::vector<testing::Buf> bufs;
    if (!readable.empty()) bufs.push_back({kReq, static_cast<uint32_t>(readable.size()), false});
    if (writable) bufs.push_back({kResp, writable, true});
    bench.submit(0, bufs);
    Result r;
    EXPECT_EQ(bench.used_idx(0), static_cast<uint16_t>(before + 1)) << "request not returned";
    r.used_len = bench.used(0, before).len;
    r.written = bench.get(kResp, writable);
    return r;
  }
  uint8_t status(const std::vector<uint8_t>& readable) { return send(readable).status(); }

  /// Gives the device `n` event buffers of `len` bytes.
  void post_event_buffers(int n, uint32_t len = V::kFaultLen) {
    for (int i = 0; i < n; ++i) {
      bench.put(kEvents + 0x40 * posted_, std::vector<uint8_t>(len, 0xee));
      bench.submit(1, {{kEvents + 0x40 * posted_, len, true}});
      ++posted_;
    }
  }
  /// The fault report in event buffer `i`.
  V::Fault event(int i) {
    const std::vector<uint8_t> raw = bench.get(kEvents + 0x40 * i, V::kFaultLen);
    EXPECT_EQ(raw[1] | raw[2] | raw[3], 0) << "reserved bytes";
    return {raw[0], load_le<uint32_t>(&raw[4]), load_le<uint32_t>(&raw[8]),
            load_le<uint64_t>(&raw[16])};
  }

  uint64_t config64(uint32_t offset) {
    return bench.rd(VirtioMmio::kConfig + offset) |
           uint64_t{bench.rd(VirtioMmio::kConfig + offset + 4)} << 32;
  }

  VirtioBench bench{nullptr};
  V dev;
  IommuMemoryRegion& ep;
  IommuMemoryRegion& ep2;
  AddressSpace ep_as;
  AddressSpace ep2_as;

 private:
  int posted_ = 0;
};

V::Options no_bypass() {
  V::Options o;
  o.boot_bypass = false;
  return o;
}

constexpr uint8_t kRw = V::kMapFRead | V::kMapFWrite;

// -- Identity, features, configuration -------------------------------------------------------

TEST(VirtioIommuTest, IdentityFeaturesAndConfig) {
  Rig rig;
  EXPECT_EQ(rig.bench.rd(VirtioMmio::kDeviceId), 23u);
  rig.bench.wr(VirtioMmio::kDeviceFeaturesSel, 0);
  const uint32_t low = rig.bench.rd(VirtioMmio::kDeviceFeatures);
  EXPECT_EQ(low & 0x7f, 0b1110111u);  // INPUT_RANGE, DOMAIN_RANGE, MAP_UNMAP, PROBE, MMIO,
                                      // BYPASS_CONFIG; not BYPASS
  rig.bench.wr(VirtioMmio::kDeviceFeaturesSel, 1);
  EXPECT_EQ(rig.bench.rd(VirtioMmio::kDeviceFeatures) & 1, 1u);  // VERSION_1
  EXPECT_EQ(rig.config64(V::kCfgPageSizeMask), 0xfffffffffffff000ull);
  EXPECT_EQ(rig.config64(V::kCfgInputStart), 0u);
  EXPECT_EQ(rig.config64(V::kCfgInputEnd), UINT64_MAX);
  EXPECT_EQ(rig.bench.rd(VirtioMmio::kConfig + V::kCfgDomainStart), 0u);
  EXPECT_EQ(rig.bench.rd(VirtioMmio::kConfig + V::kCfgDomainEnd), UINT32_MAX);
  EXPECT_EQ(rig.bench.rd(VirtioMmio::kConfig + V::kCfgProbeSize), 512u);
  EXPECT_EQ(rig.bench.rd(VirtioMmio::kConfig + V::kCfgBypass), 1u);  // boot bypass

  // `bypass` is read-only until BYPASS_CONFIG is negotiated, then the driver may clear it.
  rig.bench.wr(VirtioMmio::kConfig + V::kCfgBypass, 0);
  EXPECT_EQ(rig.bench.rd(VirtioMmio::kConfig + V::kCfgBypass), 1u);
  rig.init();
  EXPECT_NE(rig.dev.features() & virtio_bit(V::kFBypassConfig), 0u);
  rig.bench.wr(VirtioMmio::kConfig + V::kCfgBypass, 0);
  EXPECT_EQ(rig.bench.rd(VirtioMmio::kConfig + V::kCfgBypass), 0u);
  EXPECT_FALSE(rig.dev.bypass());
  // Other fields ignore writes.
  rig.bench.wr(VirtioMmio::kConfig + V::kCfgProbeSize, 7);
  EXPECT_EQ(rig.bench.rd(VirtioMmio::kConfig + V::kCfgProbeSize), 512u);
}

TEST(VirtioIommuTest, ConfigReflectsOptions) {
  V::Options o;
  o.page_size_mask = 0x1000 | 0x200000;
  o.input_start = 0x1000;
  o.input_end = 0xffffffff;
  o.domain_start = 1;
  o.domain_end = 15;
  o.probe_size = 64;
  o.boot_bypass = false;
  Rig rig(o);
  EXPECT_EQ(rig.config64(V::kCfgPageSizeMask), 0x201000u);
  EXPECT_EQ(rig.config64(V::kCfgInputStart), 0x1000u);
  EXPECT_EQ(rig.config64(V::kCfgInputEnd), 0xffffffffu);
  EXPECT_EQ(rig.bench.rd(VirtioMmio::kConfig + V::kCfgDomainStart), 1u);
  EXPECT_EQ(rig.bench.rd(VirtioMmio::kConfig + V::kCfgDomainEnd), 15u);
  EXPECT_EQ(rig.bench.rd(VirtioMmio::kConfig + V::kCfgProbeSize), 64u);
  EXPECT_EQ(rig.bench.rd(VirtioMmio::kConfig + V::kCfgBypass), 0u);
}

// -- Translation -------------------------------------------------------------------------------

TEST(VirtioIommuTest, AttachMapThenDmaReachesTheMappedRam) {
  Rig rig(no_bypass());
  rig.init();
  EXPECT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  EXPECT_EQ(rig.dev.endpoint_domain(kEp), 1u);
  EXPECT_EQ(rig.status(map_req(1, 0x10000, 0x1ffff, kTarget)), V::kSOk);
  EXPECT_EQ(rig.dev.mapping_count(), 1u);

  const uint32_t value = 0xfeedf00d;
  EXPECT_EQ(rig.ep_as.write(0x12344, &value, 4), MemTxResult::Ok);
  EXPECT_EQ(rig.bench.ld(kTarget + 0x2344, 4), value);
  rig.bench.st(kTarget + 0xfff8, 8, 0x1122334455667788ull);
  uint64_t back = 0;
  EXPECT_EQ(rig.ep_as.load(0x1fff8, 8, back), MemTxResult::Ok);
  EXPECT_EQ(back, 0x1122334455667788ull);
  // Outside the mapping: a fault. The other endpoint is not attached (no bypass): a fault.
  EXPECT_EQ(rig.ep_as.load(0x20000, 4, back), MemTxResult::IommuFault);
  EXPECT_EQ(rig.ep2_as.load(0x12344, 4, back), MemTxResult::IommuFault);

  // translate() gives the largest aligned block around the iova; lookup() the same.
  const IommuTlbEntry e = rig.ep.lookup(0x12344, 0);
  EXPECT_EQ(e.iova, 0x10000u);
  EXPECT_EQ(e.addr_mask, 0xffffu);
  EXPECT_EQ(e.translated_addr, kTarget);
  EXPECT_EQ(e.perm, kIommuRw);
  EXPECT_EQ(e.target_as, &rig.bench.as());
}

TEST(VirtioIommuTest, PermissionsAreEnforced) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(1, 0x10000, 0x10fff, kTarget, V::kMapFRead)), V::kSOk);
  uint64_t v = 0;
  EXPECT_EQ(rig.ep_as.load(0x10000, 4, v), MemTxResult::Ok);
  EXPECT_EQ(rig.ep_as.store(0x10000, 4, 1), MemTxResult::IommuFault);
}

TEST(VirtioIommuTest, UnmapThenDmaFaultsAndTheFaultIsReported) {
  Rig rig(no_bypass());
  rig.init();
  rig.post_event_buffers(2);
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(1, 0x10000, 0x1ffff, kTarget)), V::kSOk);
  const uint32_t value = 0x1234;
  ASSERT_EQ(rig.ep_as.write(0x10040, &value, 4), MemTxResult::Ok);
  ASSERT_EQ(rig.status(unmap_req(1, 0x10000, 0x1ffff)), V::kSOk);
  EXPECT_EQ(rig.dev.mapping_count(), 0u);
  rig.bench.ack_interrupt();

  EXPECT_EQ(rig.ep_as.write(0x10040, &value, 4), MemTxResult::IommuFault);
  ASSERT_EQ(rig.bench.used_idx(1), 1u);
  EXPECT_EQ(rig.bench.used(1, 0).len, V::kFaultLen);
  EXPECT_EQ(rig.event(0),
            (V::Fault{V::kFaultRMapping, V::kFaultFWrite | V::kFaultFAddress, kEp, 0x10040}));
  EXPECT_TRUE(rig.bench.irq_level);
  EXPECT_EQ(rig.dev.faults_reported(), 1u);

  // An unattached endpoint without bypass faults with reason DOMAIN.
  uint64_t v = 0;
  EXPECT_EQ(rig.ep2_as.load(0x5000, 4, v), MemTxResult::IommuFault);
  ASSERT_EQ(rig.bench.used_idx(1), 2u);
  EXPECT_EQ(rig.event(1),
            (V::Fault{V::kFaultRDomain, V::kFaultFRead | V::kFaultFAddress, kEp2, 0x5000}));
}

TEST(VirtioIommuTest, FaultsWaitForEventBuffersAndDebugAccessesReportNothing) {
  Rig rig(no_bypass());
  rig.init();
  uint64_t v = 0;
  EXPECT_EQ(rig.ep_as.load(0x7000, 4, v, MemTxAttrs{0, true}), MemTxResult::IommuFault);
  EXPECT_EQ(rig.ep_as.load(0x8000, 4, v), MemTxResult::IommuFault);
  EXPECT_EQ(rig.bench.used_idx(1), 0u);  // no buffer yet
  rig.post_event_buffers(2);
  ASSERT_EQ(rig.bench.used_idx(1), 1u);  // the one pending fault; the debug access made none
  EXPECT_EQ(rig.event(0).address, 0x8000u);
  // Beyond kMaxPendingFaults without buffers, faults are dropped and counted.
  for (size_t i = 0; i < V::kMaxPendingFaults + 10; ++i) rig.ep_as.load(0x9000, 4, v);
  EXPECT_EQ(rig.dev.faults_reported(), 2u);
  EXPECT_EQ(rig.dev.faults_dropped(), 10u - 1);  // one more went to the second buffer
}

TEST(VirtioIommuTest, BypassConfigDecidesForUnattachedEndpoints) {
  Rig rig;  // boot bypass on
  uint64_t v = 0;
  rig.bench.st(kRam + 0x100, 4, 0xabcd);
  EXPECT_EQ(rig.ep_as.load(kRam + 0x100, 4, v), MemTxResult::Ok);  // identity
  EXPECT_EQ(v, 0xabcdu);
  rig.init();
  Recorder rec;
  IommuNotifier n("rec", IommuNotifierFlag::IotlbEvents, rec.callback());
  ASSERT_TRUE(rig.ep.register_notifier(n, nullptr));
  rig.bench.wr(VirtioMmio::kConfig + V::kCfgBypass, 0);
  EXPECT_EQ(rig.ep_as.load(kRam + 0x100, 4, v), MemTxResult::IommuFault);
  EXPECT_EQ(rec.lines, (std::vector<std::string>{"UNMAP 0/ffffffffffffffff->0 0"}));
  rig.bench.wr(VirtioMmio::kConfig + V::kCfgBypass, 1);
  EXPECT_EQ(rig.ep_as.load(kRam + 0x100, 4, v), MemTxResult::Ok);
  EXPECT_EQ(rec.lines.back(), "MAP 0/ffffffffffffffff->0 3");
  // Attached, the endpoint leaves bypass; attached to a bypass domain, it is back in it.
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  EXPECT_EQ(rig.ep_as.load(kRam + 0x100, 4, v), MemTxResult::IommuFault);
  ASSERT_EQ(rig.status(attach_req(2, kEp, V::kAttachFBypass)), V::kSOk);
  EXPECT_EQ(rig.ep_as.load(kRam + 0x100, 4, v), MemTxResult::Ok);
}

TEST(VirtioIommuTest, SystemResetRestoresBypassButDeviceResetKeepsIt) {
  Rig rig;
  rig.init();
  rig.bench.wr(VirtioMmio::kConfig + V::kCfgBypass, 0);
  rig.bench.wr(VirtioMmio::kStatus, 0);  // a device reset (5.13.4: bypass SHOULD NOT change)
  EXPECT_FALSE(rig.dev.bypass());
  uint64_t v = 0;
  EXPECT_EQ(rig.ep_as.load(kRam, 4, v), MemTxResult::IommuFault);
  rig.dev.system_reset();  // the board's reset: back to the initial value
  EXPECT_TRUE(rig.dev.bypass());
  EXPECT_EQ(rig.ep_as.load(kRam, 4, v), MemTxResult::Ok);
}

TEST(VirtioIommuTest, BypassDomainIsTheIdentityAndReattachingIsQuiet) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(5, kEp, V::kAttachFBypass)), V::kSOk);
  const IommuTlbEntry e = rig.ep.lookup(kRam + 0x1234, 0);
  EXPECT_EQ(e.first(), 0u);
  EXPECT_EQ(e.last(), UINT64_MAX);
  EXPECT_EQ(e.translated_addr, 0u);
  EXPECT_EQ(e.perm, kIommuRw);
  Recorder rec;
  IommuNotifier n("rec", IommuNotifierFlag::IotlbEvents, rec.callback());
  ASSERT_TRUE(rig.ep.register_notifier(n, nullptr));
  rig.ep.replay(n);
  EXPECT_EQ(rec.lines, (std::vector<std::string>{"MAP 0/ffffffffffffffff->0 3"}));
  EXPECT_EQ(rig.status(attach_req(5, kEp, V::kAttachFBypass)), V::kSOk);  // already there
  EXPECT_EQ(rec.lines.size(), 1u);
}

// -- Notifiers -------------------------------------------------------------------------------

TEST(VirtioIommuTest, MapAndUnmapReachTheNotifiersThatAskForThem) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  Recorder maps, unmaps, both, cropped;
  IommuNotifier nm("maps", IommuNotifierFlag::Map, maps.callback());
  IommuNotifier nu("unmaps", IommuNotifierFlag::Unmap, unmaps.callback());
  IommuNotifier nb("both", IommuNotifierFlag::IotlbEvents, both.callback());
  IommuNotifier nc("cropped", IommuNotifierFlag::IotlbEvents, cropped.callback(), 0x14000, 0x17fff);
  for (IommuNotifier* n : {&nm, &nu, &nb, &nc}) ASSERT_TRUE(rig.ep.register_notifier(*n, nullptr));

  ASSERT_EQ(rig.status(map_req(1, 0x10000, 0x1ffff, kTarget)), V::kSOk);
  const std::string map_line = "MAP 10000/ffff->80040000 3";
  EXPECT_EQ(maps.lines, (std::vector<std::string>{map_line}));
  EXPECT_TRUE(unmaps.lines.empty());
  EXPECT_EQ(both.lines, (std::vector<std::string>{map_line}));
  EXPECT_EQ(cropped.lines, (std::vector<std::string>{"MAP 14000/3fff->80044000 3"}));

  ASSERT_EQ(rig.status(unmap_req(1, 0, 0xfffff)), V::kSOk);
  const std::string unmap_line = "UNMAP 10000/ffff->80040000 0";
  EXPECT_EQ(maps.lines.size(), 1u);
  EXPECT_EQ(unmaps.lines, (std::vector<std::string>{unmap_line}));
  EXPECT_EQ(both.lines, (std::vector<std::string>{map_line, unmap_line}));
  EXPECT_EQ(cropped.lines.back(), "UNMAP 14000/3fff->80044000 0");
}

TEST(VirtioIommuTest, UnalignedRangesBecomeValidEntries) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  Recorder rec;
  IommuNotifier n("rec", IommuNotifierFlag::Map, rec.callback());
  ASSERT_TRUE(rig.ep.register_notifier(n, nullptr));
  // [0x3000, 0x8fff] -> blocks 3000/fff, 4000/3fff, 8000/fff (phys aligned like the iova).
  ASSERT_EQ(rig.status(map_req(1, 0x3000, 0x8fff, kTarget + 0x3000)), V::kSOk);
  EXPECT_EQ(rec.lines,
            (std::vector<std::string>{"MAP 3000/fff->80043000 3", "MAP 4000/3fff->80044000 3",
                                      "MAP 8000/fff->80048000 3"}));
  // phys only 4 KiB-aligned relative to the iova: 4 KiB blocks.
  rec.lines.clear();
  ASSERT_EQ(rig.status(map_req(1, 0x20000, 0x23fff, kTarget + 0x1000)), V::kSOk);
  EXPECT_EQ(rec.lines,
            (std::vector<std::string>{"MAP 20000/fff->80041000 3", "MAP 21000/fff->80042000 3",
                                      "MAP 22000/fff->80043000 3", "MAP 23000/fff->80044000 3"}));
  const IommuTlbEntry e = rig.ep.lookup(0x22010, 0);
  EXPECT_EQ(e.addr_mask, 0xfffu);
  EXPECT_EQ(e.translated_addr, kTarget + 0x3000);
  uint64_t v = 0;
  rig.bench.st(kTarget + 0x3010, 4, 77);
  EXPECT_EQ(rig.ep_as.load(0x22010, 4, v), MemTxResult::Ok);
  EXPECT_EQ(v, 77u);
}

TEST(VirtioIommuTest, InPlaceRemapIsUnmapThenMap) {
  V::Options o = no_bypass();
  o.replace_in_place = true;
  Rig rig(o);
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(1, 0x10000, 0x10fff, kTarget)), V::kSOk);
  Recorder rec;
  IommuNotifier n("rec", IommuNotifierFlag::IotlbEvents, rec.callback());
  ASSERT_TRUE(rig.ep.register_notifier(n, nullptr));
  ASSERT_EQ(rig.status(map_req(1, 0x10000, 0x10fff, kTarget + 0x5000, V::kMapFRead)), V::kSOk);
  EXPECT_EQ(rec.lines,
            (std::vector<std::string>{"UNMAP 10000/fff->80040000 0", "MAP 10000/fff->80045000 1"}));
  EXPECT_EQ(rig.dev.mapping_count(), 1u);
  EXPECT_EQ(rig.ep.lookup(0x10000, 0).translated_addr, kTarget + 0x5000);
  // A MAP that only overlaps is still refused.
  EXPECT_EQ(rig.status(map_req(1, 0x10000, 0x11fff, kTarget)), V::kSInval);
}

TEST(VirtioIommuTest, DetachAndAttachAnnounceTheDomainsMappings) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  ASSERT_EQ(rig.status(attach_req(1, kEp2)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(1, 0x10000, 0x10fff, kTarget)), V::kSOk);
  Recorder rec, rec1;
  IommuNotifier n("ep2", IommuNotifierFlag::IotlbEvents, rec.callback());
  IommuNotifier n1("ep", IommuNotifierFlag::IotlbEvents, rec1.callback());
  ASSERT_TRUE(rig.ep2.register_notifier(n, nullptr));
  ASSERT_TRUE(rig.ep.register_notifier(n1, nullptr));

  ASSERT_EQ(rig.status(detach_req(1, kEp2)), V::kSOk);
  EXPECT_EQ(rec.lines, (std::vector<std::string>{"UNMAP 10000/fff->80040000 0"}));
  EXPECT_TRUE(rec1.lines.empty());  // only the detached endpoint's view changed
  uint64_t v = 0;
  EXPECT_EQ(rig.ep2_as.load(0x10000, 4, v), MemTxResult::IommuFault);
  EXPECT_EQ(rig.ep_as.load(0x10000, 4, v), MemTxResult::Ok);

  ASSERT_EQ(rig.status(attach_req(1, kEp2)), V::kSOk);
  EXPECT_EQ(rec.lines.back(), "MAP 10000/fff->80040000 3");
  EXPECT_EQ(rig.ep2_as.load(0x10000, 4, v), MemTxResult::Ok);

  // Attaching to another domain detaches from the old one first.
  ASSERT_EQ(rig.status(attach_req(2, kEp2)), V::kSOk);
  EXPECT_EQ(rec.lines.back(), "UNMAP 10000/fff->80040000 0");
  EXPECT_EQ(rig.ep2_as.load(0x10000, 4, v), MemTxResult::IommuFault);

  // The last endpoint leaving a domain destroys it, and its mappings with it.
  ASSERT_EQ(rig.status(detach_req(1, kEp)), V::kSOk);
  EXPECT_EQ(rig.dev.mapping_count(), 0u);
  EXPECT_EQ(rig.status(map_req(1, 0x10000, 0x10fff, kTarget)), V::kSNoEnt);
}

TEST(VirtioIommuTest, ReplayDeliversTheCurrentMappings) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(1, 0x10000, 0x10fff, kTarget)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(1, 0x40000, 0x7ffff, kTarget, V::kMapFWrite)), V::kSOk);
  Recorder rec, limited;
  IommuNotifier n("late", IommuNotifierFlag::Map, rec.callback());
  IommuNotifier nl("limited", IommuNotifierFlag::Map, limited.callback(), 0x50000, 0x50fff);
  ASSERT_TRUE(rig.ep.register_notifier(n, nullptr));
  ASSERT_TRUE(rig.ep.register_notifier(nl, nullptr));
  rig.ep.replay(n);
  rig.ep.replay(nl);
  EXPECT_EQ(rec.lines,
            (std::vector<std::string>{"MAP 10000/fff->80040000 3", "MAP 40000/3ffff->80040000 2"}));
  EXPECT_EQ(limited.lines, (std::vector<std::string>{"MAP 50000/fff->80050000 2"}));
  // The other endpoint has nothing to replay.
  Recorder none;
  IommuNotifier n2("ep2", IommuNotifierFlag::Map, none.callback());
  ASSERT_TRUE(rig.ep2.register_notifier(n2, nullptr));
  rig.ep2.replay(n2);
  EXPECT_TRUE(none.lines.empty());
}

TEST(VirtioIommuTest, EveryNotifierKindIsAccepted) {
  Rig rig;
  for (IommuNotifierFlag f : {IommuNotifierFlag::Map, IommuNotifierFlag::Unmap,
                              IommuNotifierFlag::DevIotlbUnmap, IommuNotifierFlag::All}) {
    IommuNotifier n("n", f, [](const IommuTlbEvent&) {});
    std::string error;
    EXPECT_TRUE(rig.ep.register_notifier(n, &error)) << error;
    rig.ep.unregister_notifier(n);
  }
}

TEST(VirtioIommuTest, DeviceResetDetachesEverything) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(1, 0x10000, 0x10fff, kTarget)), V::kSOk);
  Recorder rec;
  IommuNotifier n("rec", IommuNotifierFlag::Unmap, rec.callback());
  ASSERT_TRUE(rig.ep.register_notifier(n, nullptr));
  rig.bench.wr(VirtioMmio::kStatus, 0);
  EXPECT_EQ(rec.lines, (std::vector<std::string>{"UNMAP 10000/fff->80040000 0"}));
  EXPECT_FALSE(rig.dev.endpoint_domain(kEp).has_value());
  EXPECT_EQ(rig.dev.mapping_count(), 0u);
}

TEST(VirtioIommuTest, ShadowMapsFollowRandomRequestsExactly) {
  // A VFIO-like consumer per endpoint, fed only by events (and its initial replay), must agree
  // with lookup() after every request: the notifier contract, checked against the tables.
  V::Options o;
  o.replace_in_place = true;
  Rig rig(o);
  rig.init();
  ShadowMap shadow(rig.ep, "ep"), shadow2(rig.ep2, "ep2");
  ASSERT_TRUE(shadow.attach(nullptr));
  ASSERT_TRUE(shadow2.attach(nullptr));
  std::mt19937_64 rng(12345);
  auto pick = [&](uint64_t n) { return rng() % n; };
  int ok = 0;
  for (int step = 0; step < 400; ++step) {
    const uint32_t domain = 1 + static_cast<uint32_t>(pick(3));
    const uint32_t ep = pick(2) ? kEp : kEp2;
    const uint64_t page = pick(64), pages = 1 + pick(8);
    uint8_t status = 0;
    switch (pick(6)) {
      case 0:
        status = rig.status(attach_req(domain, ep, pick(8) == 0 ? V::kAttachFBypass : 0));
        break;
      case 1: status = rig.status(detach_req(domain, ep)); break;
      case 2:
      case 3:
        status = rig.status(map_req(domain, page << 12, ((page + pages) << 12) - 1,
                                    kRam + (pick(128) << 12), 1 + static_cast<uint32_t>(pick(3))));
        break;
      case 4: status = rig.status(unmap_req(domain, page << 12, ((page + pages) << 12) - 1)); break;
      default: rig.bench.wr(VirtioMmio::kConfig + V::kCfgBypass, pick(2)); break;
    }
    ok += status == V::kSOk;
    for (auto [region, sh] : {std::pair{&rig.ep, &shadow}, std::pair{&rig.ep2, &shadow2}}) {
      for (uint64_t iova = 0; iova < (80u << 12); iova += 0x800) {
        const IommuTlbEntry e = region->lookup(iova, 0);
        const std::optional<ShadowMap::Mapping> m = sh->lookup(iova);
        if (e.perm == kIommuNone) {
          ASSERT_FALSE(m.has_value()) << "step " << step << " iova " << iova;
          continue;
        }
        ASSERT_TRUE(m.has_value()) << "step " << step << " iova " << iova;
        EXPECT_EQ(m->perm, e.perm) << "step " << step;
        ASSERT_EQ(m->translated_addr + (iova - m->iova),
                  (e.translated_addr & ~e.addr_mask) | (iova & e.addr_mask))
            << "step " << step << " iova " << iova;
      }
    }
  }
  EXPECT_GT(ok, 100);  // the walk did reach interesting states
  EXPECT_FALSE(rig.bench.needs_reset());
}

TEST(VirtioIommuTest, MsiRegionIsIdentityMappedForEveryEndpoint) {
  V::Options o = no_bypass();
  o.reserved.push_back({kRam + 0x80000, kRam + 0x80fff, V::kResvMemTMsi});
  o.reserved.push_back({kRam + 0x90000, kRam + 0x90fff, V::kResvMemTReserved});
  Rig rig(o);
  rig.init();
  ShadowMap shadow(rig.ep, "ep");
  ASSERT_TRUE(shadow.attach(nullptr));
  auto agree = [&](const char* when) {
    for (uint64_t iova = kRam + 0x7e000; iova < kRam + 0x92000; iova += 0x800) {
      const IommuTlbEntry e = rig.ep.lookup(iova, 0);
      const std::optional<ShadowMap::Mapping> m = shadow.lookup(iova);
      ASSERT_EQ(m.has_value(), e.perm != kIommuNone) << when << " " << std::hex << iova;
      if (m) {
        EXPECT_EQ(m->translated_addr + (iova - m->iova), iova) << when;
      }
    }
  };
  const uint32_t value = 0x600d;
  uint64_t v = 0;
  // Unattached without bypass: only the doorbell gets through.
  EXPECT_EQ(rig.ep_as.write(kRam + 0x80040, &value, 4), MemTxResult::Ok);
  EXPECT_EQ(rig.bench.ld(kRam + 0x80040, 4), value);
  EXPECT_EQ(rig.ep_as.load(kRam + 0x81000, 4, v), MemTxResult::IommuFault);
  EXPECT_EQ(rig.ep_as.load(kRam + 0x90000, 4, v), MemTxResult::IommuFault);
  agree("unattached");
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(1, kRam + 0x7e000, kRam + 0x7ffff, kRam + 0x7e000)), V::kSOk);
  EXPECT_EQ(rig.ep_as.load(kRam + 0x80040, 4, v), MemTxResult::Ok);
  EXPECT_EQ(rig.ep_as.load(kRam + 0x7f000, 4, v), MemTxResult::Ok);
  agree("attached");
  ASSERT_EQ(rig.status(detach_req(1, kEp)), V::kSOk);
  agree("detached");
  EXPECT_EQ(rig.ep_as.load(kRam + 0x80040, 4, v), MemTxResult::Ok);
}

// -- Request errors (one per status the specification asks for) --------------------------------

TEST(VirtioIommuTest, UnmapFollowsTheSpecificationExamples) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  // (1) nothing mapped: OK. (3) two mappings at once. (6) spill over unmapped space.
  EXPECT_EQ(rig.status(unmap_req(1, 0, 0x4fff)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(1, 0x0000, 0x4fff, kTarget)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(1, 0x5000, 0x9fff, kTarget)), V::kSOk);
  Recorder rec;
  IommuNotifier n("rec", IommuNotifierFlag::Unmap, rec.callback(), 0x4000, 0x5fff);
  ASSERT_TRUE(rig.ep.register_notifier(n, nullptr));
  EXPECT_EQ(rig.status(unmap_req(1, 0, 0x9fff)), V::kSOk);
  EXPECT_EQ(rig.dev.mapping_count(), 0u);
  EXPECT_EQ(rec.lines,
            (std::vector<std::string>{"UNMAP 4000/fff->80044000 0", "UNMAP 5000/fff->80040000 0"}));
  rig.ep.unregister_notifier(n);
  ASSERT_EQ(rig.status(map_req(1, 0x0000, 0x4fff, kTarget)), V::kSOk);
  EXPECT_EQ(rig.status(unmap_req(1, 0, 0x9fff)), V::kSOk);
  EXPECT_EQ(rig.dev.mapping_count(), 0u);
}

TEST(VirtioIommuTest, UnmapSplittingAMappingIsRangeAndRemovesNothing) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(1, 0x0000, 0x4fff, kTarget)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(1, 0x10000, 0x19fff, kTarget)), V::kSOk);
  EXPECT_EQ(rig.status(unmap_req(1, 0, 0x14fff)), V::kSRange);      // would split the second
  EXPECT_EQ(rig.status(unmap_req(1, 0x1000, 0x4fff)), V::kSRange);  // starts inside the first
  EXPECT_EQ(rig.dev.mapping_count(), 2u);
  uint64_t v = 0;
  EXPECT_EQ(rig.ep_as.load(0x0, 4, v), MemTxResult::Ok);
  EXPECT_EQ(rig.ep_as.load(0x19000, 4, v), MemTxResult::Ok);
}

TEST(VirtioIommuTest, UnmapErrors) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  ASSERT_EQ(rig.status(attach_req(2, kEp2, V::kAttachFBypass)), V::kSOk);
  EXPECT_EQ(rig.status(unmap_req(7, 0, 0xfff)), V::kSNoEnt);
  EXPECT_EQ(rig.status(unmap_req(1, 0x2000, 0x1fff)), V::kSInval);  // end before start
  EXPECT_EQ(rig.status(unmap_req(2, 0, 0xfff)), V::kSInval);        // bypass domain
}

TEST(VirtioIommuTest, MapToAMissingDomainIsNoent) {
  Rig rig(no_bypass());
  rig.init();
  EXPECT_EQ(rig.status(map_req(3, 0x1000, 0x1fff, kTarget)), V::kSNoEnt);
}

TEST(VirtioIommuTest, MapMisalignedOrOutOfRangeIsRange) {
  V::Options o = no_bypass();
  o.input_end = 0xffffffffffull;
  Rig rig(o);
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  EXPECT_EQ(rig.status(map_req(1, 0x1001, 0x1fff, kTarget)), V::kSRange);      // virt_start
  EXPECT_EQ(rig.status(map_req(1, 0x1000, 0x1ffe, kTarget)), V::kSRange);      // virt_end + 1
  EXPECT_EQ(rig.status(map_req(1, 0x1000, 0x1fff, kTarget + 8)), V::kSRange);  // phys_start
  EXPECT_EQ(rig.status(map_req(1, 0x10000000000ull, 0x10000000fffull, kTarget)), V::kSRange);
  EXPECT_EQ(rig.dev.mapping_count(), 0u);
}

TEST(VirtioIommuTest, MapRangesAtTheTopOfTheAddressSpace) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  // phys_end would pass 2^64 - 1: RANGE, not a wrapped mapping.
  EXPECT_EQ(rig.status(map_req(1, 0x0, 0x1fff, 0xfffffffffffff000ull)), V::kSRange);
  // The last page of the IOVA space is a valid mapping (virt_end + 1 wraps to an aligned 0).
  EXPECT_EQ(rig.status(map_req(1, 0xfffffffffffff000ull, UINT64_MAX, kTarget)), V::kSOk);
  uint64_t v = 0;
  rig.bench.st(kTarget + 0xff8, 8, 5);
  EXPECT_EQ(rig.ep_as.load(0xfffffffffffffff8ull, 8, v), MemTxResult::Ok);
  EXPECT_EQ(v, 5u);
  // The whole space in one request is unmapped in one go.
  EXPECT_EQ(rig.status(unmap_req(1, 0, UINT64_MAX)), V::kSOk);
  EXPECT_EQ(rig.dev.mapping_count(), 0u);
}

TEST(VirtioIommuTest, MapWithBadFlagsOrRangeIsInval) {
  Rig rig(no_bypass());
  rig.init(~virtio_bit(V::kFMmio));
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  ASSERT_EQ(rig.status(attach_req(2, kEp2, V::kAttachFBypass)), V::kSOk);
  EXPECT_EQ(rig.status(map_req(1, 0x1000, 0x1fff, kTarget, 0x10 | kRw)), V::kSInval);
  EXPECT_EQ(rig.status(map_req(1, 0x1000, 0x1fff, kTarget, V::kMapFMmio | kRw)), V::kSInval);
  EXPECT_EQ(rig.status(map_req(1, 0x2000, 0x0fff, kTarget)), V::kSInval);  // end before start
  EXPECT_EQ(rig.status(map_req(2, 0x1000, 0x1fff, kTarget)), V::kSInval);  // bypass domain
  ASSERT_EQ(rig.status(map_req(1, 0x1000, 0x2fff, kTarget)), V::kSOk);
  EXPECT_EQ(rig.status(map_req(1, 0x2000, 0x3fff, kTarget)), V::kSInval);  // overlaps
  EXPECT_EQ(rig.status(map_req(1, 0x0000, 0x1fff, kTarget)), V::kSInval);  // overlaps
  EXPECT_EQ(rig.dev.mapping_count(), 1u);
}

TEST(VirtioIommuTest, MapWithMmioFlagWhenNegotiated) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  EXPECT_EQ(rig.status(map_req(1, 0x1000, 0x1fff, kTarget, V::kMapFMmio | V::kMapFWrite)), V::kSOk);
}

TEST(VirtioIommuTest, MapOverAReservedRegionIsInval) {
  V::Options o = no_bypass();
  o.reserved.push_back({0x8000000, 0x80fffff, V::kResvMemTMsi});
  Rig rig(o);
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  EXPECT_EQ(rig.status(map_req(1, 0x8000000, 0x8000fff, kTarget)), V::kSInval);
  EXPECT_EQ(rig.status(map_req(1, 0x7fff000, 0x7ffffff, kTarget)), V::kSOk);
}

TEST(VirtioIommuTest, MapAndUnmapWithoutMapUnmapAreUnsupp) {
  Rig rig(no_bypass());
  rig.init(~virtio_bit(V::kFMapUnmap));
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  EXPECT_EQ(rig.status(map_req(1, 0x1000, 0x1fff, kTarget)), V::kSUnsupp);
  EXPECT_EQ(rig.status(unmap_req(1, 0x1000, 0x1fff)), V::kSUnsupp);
  // A mapping no access can use is not supported either.
  Rig rig2(no_bypass());
  rig2.init();
  ASSERT_EQ(rig2.status(attach_req(1, kEp)), V::kSOk);
  EXPECT_EQ(rig2.status(map_req(1, 0x1000, 0x1fff, kTarget, 0)), V::kSUnsupp);
}

TEST(VirtioIommuTest, MappingLimitIsNomem) {
  V::Options o = no_bypass();
  o.max_mappings = 4;
  Rig rig(o);
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  ASSERT_EQ(rig.status(attach_req(2, kEp2)), V::kSOk);
  for (uint64_t i = 0; i < 3; ++i) {
    ASSERT_EQ(rig.status(map_req(1, i * 0x1000, i * 0x1000 + 0xfff, kTarget)), V::kSOk);
  }
  ASSERT_EQ(rig.status(map_req(2, 0, 0xfff, kTarget)), V::kSOk);  // the limit is per device
  EXPECT_EQ(rig.status(map_req(1, 0x10000, 0x10fff, kTarget)), V::kSNoMem);
  EXPECT_EQ(rig.status(map_req(2, 0x10000, 0x10fff, kTarget)), V::kSNoMem);
  ASSERT_EQ(rig.status(unmap_req(1, 0, 0xfff)), V::kSOk);
  EXPECT_EQ(rig.status(map_req(1, 0x10000, 0x10fff, kTarget)), V::kSOk);
  // A mapping that would need too many entries (a huge range only 4 KiB-aligned to its phys).
  EXPECT_EQ(rig.status(unmap_req(1, 0, UINT64_MAX)), V::kSOk);
  EXPECT_EQ(rig.status(map_req(1, 0x100000000ull, 0x1ffffffffull, 0x1000)), V::kSNoMem);
}

TEST(VirtioIommuTest, AttachWithBadReservedOrFlagsIsInval) {
  Rig rig(no_bypass());
  rig.init(~virtio_bit(V::kFBypassConfig));
  EXPECT_EQ(rig.status(attach_req(1, kEp, 0, 1)), V::kSInval);               // reserved
  EXPECT_EQ(rig.status(attach_req(1, kEp, 2)), V::kSInval);                  // unknown flag
  EXPECT_EQ(rig.status(attach_req(1, kEp, V::kAttachFBypass)), V::kSInval);  // not negotiated
  EXPECT_FALSE(rig.dev.endpoint_domain(kEp).has_value());
}

TEST(VirtioIommuTest, AttachInconsistentWithABypassDomainIsInval) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp, V::kAttachFBypass)), V::kSOk);
  EXPECT_EQ(rig.status(attach_req(1, kEp2)), V::kSInval);
  ASSERT_EQ(rig.status(attach_req(2, kEp2)), V::kSOk);
  EXPECT_EQ(rig.status(attach_req(2, kEp, V::kAttachFBypass)), V::kSInval);
}

TEST(VirtioIommuTest, AttachUnknownEndpointIsNoent) {
  Rig rig(no_bypass());
  rig.init();
  EXPECT_EQ(rig.status(attach_req(1, 77)), V::kSNoEnt);
  EXPECT_EQ(rig.status(detach_req(1, 77)), V::kSNoEnt);
  EXPECT_EQ(rig.send(probe_req(77), 512 + 4).status(), V::kSNoEnt);
}

TEST(VirtioIommuTest, AttachOutsideTheDomainRangeIsRange) {
  V::Options o = no_bypass();
  o.domain_start = 1;
  o.domain_end = 15;
  Rig rig(o);
  rig.init();
  EXPECT_EQ(rig.status(attach_req(0, kEp)), V::kSRange);
  EXPECT_EQ(rig.status(attach_req(16, kEp)), V::kSRange);
  EXPECT_EQ(rig.status(attach_req(15, kEp)), V::kSOk);
}

TEST(VirtioIommuTest, DetachFromTheWrongDomainIsInval) {
  Rig rig(no_bypass());
  rig.init();
  EXPECT_EQ(rig.status(detach_req(1, kEp)), V::kSInval);  // not attached
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  EXPECT_EQ(rig.status(detach_req(2, kEp)), V::kSInval);
  EXPECT_EQ(rig.dev.endpoint_domain(kEp), 1u);
}

TEST(VirtioIommuTest, ProbeReportsPropertiesEndingWithNone) {
  V::Options o = no_bypass();
  o.reserved.push_back({0x8000000, 0x80fffff, V::kResvMemTMsi});
  Rig rig(o);
  rig.init();
  const Result r = rig.send(probe_req(kEp), 512 + 4);
  ASSERT_EQ(r.used_len, 516u);
  EXPECT_EQ(r.status(), V::kSOk);
  EXPECT_EQ(load_le<uint16_t>(&r.written[0]), V::kProbeTResvMem);
  EXPECT_EQ(load_le<uint16_t>(&r.written[2]), 20u);
  EXPECT_EQ(r.written[4], V::kResvMemTMsi);
  EXPECT_EQ(load_le<uint64_t>(&r.written[8]), 0x8000000u);
  EXPECT_EQ(load_le<uint64_t>(&r.written[16]), 0x80fffffu);
  for (size_t i = 24; i < 512; ++i) ASSERT_EQ(r.written[i], 0) << i;  // NONE, then zeroes
  // Without reserved regions: only NONE.
  Rig plain(no_bypass());
  plain.init();
  const Result p = plain.send(probe_req(kEp2), 512 + 4);
  EXPECT_EQ(p.status(), V::kSOk);
  EXPECT_EQ(p.written, std::vector<uint8_t>(516, 0));
}

TEST(VirtioIommuTest, ProbeErrors) {
  Rig rig(no_bypass());
  rig.init();
  EXPECT_EQ(rig.send(probe_req(77), 516).status(), V::kSNoEnt);
  // Properties smaller than probe_size: INVAL, no property written.
  const Result shortr = rig.send(probe_req(kEp), 100);
  EXPECT_EQ(shortr.used_len, 100u);
  EXPECT_EQ(shortr.status(), V::kSInval);
  EXPECT_EQ(shortr.written[0], 0xee);
  // Not negotiated: returned unwritten.
  Rig off(no_bypass());
  off.init(~virtio_bit(V::kFProbe));
  const Result r = off.send(probe_req(kEp), 516);
  EXPECT_EQ(r.used_len, 0u);
  EXPECT_EQ(r.written, std::vector<uint8_t>(516, 0xee));
}

TEST(VirtioIommuTest, UnknownTypeIsReturnedUnwritten) {
  Rig rig(no_bypass());
  rig.init();
  const Result r = rig.send(head(42, 20));
  EXPECT_EQ(r.used_len, 0u);
  EXPECT_EQ(r.written, std::vector<uint8_t>(4, 0xee));
  EXPECT_FALSE(rig.bench.needs_reset());
}

TEST(VirtioIommuTest, RequestWithoutHeadOrTailIsReturnedUnwritten) {
  Rig rig(no_bypass());
  rig.init();
  EXPECT_EQ(rig.send({V::kTAttach, 0}, 4).used_len, 0u);    // no whole head
  EXPECT_EQ(rig.send(attach_req(1, kEp), 0).used_len, 0u);  // no tail
  const Result r = rig.send({}, 24);                        // only device-writable bytes
  EXPECT_EQ(r.used_len, 0u);
  EXPECT_EQ(r.written, std::vector<uint8_t>(24, 0xee));
  EXPECT_FALSE(rig.dev.endpoint_domain(kEp).has_value());
  EXPECT_FALSE(rig.bench.needs_reset());
}

TEST(VirtioIommuTest, TruncatedRequestIsInval) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.status(attach_req(1, kEp)), V::kSOk);
  std::vector<uint8_t> m = map_req(1, 0x1000, 0x1fff, kTarget);
  m.resize(V::kMapLen - 4);  // no flags
  EXPECT_EQ(rig.status(m), V::kSInval);
  EXPECT_EQ(rig.dev.mapping_count(), 0u);
  // Longer than needed is fine: the extra bytes are ignored.
  std::vector<uint8_t> longer = map_req(1, 0x1000, 0x1fff, kTarget);
  longer.resize(64, 0);
  EXPECT_EQ(rig.status(longer), V::kSOk);
}

TEST(VirtioIommuTest, DescriptorLoopSetsNeedsReset) {
  Rig rig(no_bypass());
  rig.init();
  rig.bench.put(kReq, attach_req(1, kEp));
  rig.bench.write_desc(0, 0, kReq, V::kAttachLen, VirtQueue::kDescFNext, 1);
  rig.bench.write_desc(0, 1, kReq, V::kAttachLen, VirtQueue::kDescFNext, 0);
  rig.bench.publish(0, 0);
  rig.bench.notify(0);  // returns: the loop is found, not followed forever
  EXPECT_TRUE(rig.bench.needs_reset());
  EXPECT_EQ(rig.bench.used_idx(0), 0u);
  EXPECT_FALSE(rig.dev.endpoint_domain(kEp).has_value());
}

TEST(VirtioIommuTest, ReadableAfterWritableSetsNeedsReset) {
  Rig rig(no_bypass());
  rig.init();
  rig.bench.put(kReq, attach_req(1, kEp));
  rig.bench.submit(0, {{kResp, 4, true}, {kReq, V::kAttachLen, false}});
  EXPECT_TRUE(rig.bench.needs_reset());
  EXPECT_FALSE(rig.dev.endpoint_domain(kEp).has_value());
}

TEST(VirtioIommuTest, RingOutsideRamSetsNeedsReset) {
  Rig rig(no_bypass());
  ASSERT_TRUE(rig.bench.negotiate());
  rig.bench.setup_queue(0, 64, 0x1000, 0x2000, 0x3000);  // nothing there
  rig.bench.setup_queue(1, 64);
  rig.bench.add_status(kVirtioStatusDriverOk);
  rig.bench.notify(0);
  EXPECT_TRUE(rig.bench.needs_reset());
  // A buffer outside RAM is a DMA error too.
  Rig rig2(no_bypass());
  rig2.init();
  rig2.bench.submit(0, {{0x1000, V::kAttachLen, false}, {kResp, 4, true}});
  EXPECT_TRUE(rig2.bench.needs_reset());
}

TEST(VirtioIommuTest, SmallEventBufferIsReturnedUnwrittenAndTheFaultKept) {
  Rig rig(no_bypass());
  rig.init();
  rig.post_event_buffers(1, 8);
  uint64_t v = 0;
  EXPECT_EQ(rig.ep_as.load(0x4000, 4, v), MemTxResult::IommuFault);
  ASSERT_EQ(rig.bench.used_idx(1), 1u);
  EXPECT_EQ(rig.bench.used(1, 0).len, 0u);
  rig.post_event_buffers(1);
  ASSERT_EQ(rig.bench.used_idx(1), 2u);
  EXPECT_EQ(rig.event(1).address, 0x4000u);
}

// -- Inspection (the UI's view) ----------------------------------------------------------------

TEST(VirtioIommuTest, EndpointsDomainsAndMappingsAsTheyAreNow) {
  Rig rig(no_bypass());
  rig.init();
  ASSERT_EQ(rig.dev.endpoints().size(), 2u);
  EXPECT_TRUE(rig.dev.endpoints()[0].blocked);
  ASSERT_EQ(rig.status(attach_req(3, kEp)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(3, 0x10000, 0x1ffff, kTarget)), V::kSOk);
  ASSERT_EQ(rig.status(map_req(3, 0x40000, 0x40fff, kTarget + 0x10000, V::kMapFRead)), V::kSOk);
  ASSERT_EQ(rig.status(attach_req(4, kEp2, V::kAttachFBypass)), V::kSOk);
  const std::vector<V::EndpointInfo> eps = rig.dev.endpoints();
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0].id, kEp);
  EXPECT_EQ(eps[0].domain, 3u);
  EXPECT_FALSE(eps[0].identity || eps[0].blocked);
  EXPECT_EQ(eps[1].domain, 4u);
  EXPECT_TRUE(eps[1].identity);
  const std::vector<V::DomainInfo> doms = rig.dev.domains();
  ASSERT_EQ(doms.size(), 2u);
  EXPECT_EQ(doms[0].endpoints, std::vector<uint32_t>{kEp});
  EXPECT_EQ(doms[0].mappings, 2u);
  EXPECT_TRUE(doms[1].bypass);
  bool truncated = true;
  std::vector<V::MappingInfo> maps = rig.dev.mappings(std::nullopt, 10, &truncated);
  EXPECT_FALSE(truncated);
  ASSERT_EQ(maps.size(), 2u);
  EXPECT_EQ(maps[0].domain, 3u);
  EXPECT_EQ(maps[0].first, 0x10000u);
  EXPECT_EQ(maps[0].last, 0x1ffffu);
  EXPECT_EQ(maps[0].phys, kTarget);
  EXPECT_EQ(maps[0].perm, kIommuRw);
  EXPECT_EQ(maps[1].perm, kIommuRead);
  maps = rig.dev.mappings(3u, 1, &truncated);
  EXPECT_EQ(maps.size(), 1u);
  EXPECT_TRUE(truncated);
  EXPECT_TRUE(rig.dev.mappings(4u, 10).empty());
  // UNMAP and DETACH take them away.
  ASSERT_EQ(rig.status(unmap_req(3, 0x10000, 0x1ffff)), V::kSOk);
  EXPECT_EQ(rig.dev.mappings(std::nullopt, 10).size(), 1u);
  ASSERT_EQ(rig.status(detach_req(3, kEp)), V::kSOk);
  EXPECT_TRUE(rig.dev.mappings(std::nullopt, 10).empty());
  EXPECT_EQ(rig.dev.domains().size(), 1u);
  EXPECT_TRUE(rig.dev.endpoints()[0].blocked);
}

TEST(VirtioIommuTest, FaultHistoryIsBoundedAndSaysWhatWasDropped) {
  Rig rig(no_bypass());
  uint64_t now = 0;
  rig.dev.set_clock([&] { return now; });
  rig.init();
  uint64_t v = 0;
  const size_t total = V::kFaultHistory + 30;
  for (size_t i = 0; i < total; ++i) {
    now = 1000 + i;
    rig.ep2_as.load(0x1000 * i, 4, v);
  }
  const std::deque<V::FaultRecord>& h = rig.dev.fault_history();
  ASSERT_EQ(h.size(), V::kFaultHistory);
  EXPECT_EQ(h.back().seq, total);
  EXPECT_EQ(h.back().time_ns, 1000 + total - 1);
  EXPECT_EQ(h.back().fault, (V::Fault{V::kFaultRDomain, V::kFaultFRead | V::kFaultFAddress, kEp2,
                                      0x1000 * (total - 1)}));
  // No event buffers: the first kMaxPendingFaults wait, the rest are dropped; the history
  // has lost the oldest (total - kFaultHistory) of those that wait.
  size_t taken = 0;
  for (const V::FaultRecord& r : h) taken += r.delivered;
  EXPECT_EQ(taken, V::kMaxPendingFaults - (total - V::kFaultHistory));
  EXPECT_TRUE(h.front().delivered);
  EXPECT_FALSE(h.back().delivered);
  EXPECT_EQ(rig.dev.faults_dropped(), total - V::kMaxPendingFaults);
  // Debug accesses report nothing.
  rig.ep2_as.load(0x5000, 4, v, MemTxAttrs{0, true});
  EXPECT_EQ(rig.dev.fault_history().back().seq, total);
}

}  // namespace
}  // namespace glassvm
