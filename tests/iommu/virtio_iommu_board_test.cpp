// The virtio-iommu in the virt board (-device virtio-iommu): the hosting slot's node
// (`#iommu-cells`, phandle), `iommus` on the endpoints' nodes, each endpoint's own address space,
// and a virtio-rng's DMA as the guest drives the IOMMU through its request queue: faulted (no
// bypass, not attached; the fault on the event queue), then translated (ATTACH and MAP). The
// driver side is the guest's: registers and rings written through the system address space.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/board/fdt.h"
#include "engine/board/machine.h"
#include "engine/devices/virtio/mmio.h"
#include "iommu/event_log.h"
#include "iommu/iommu_devices.h"
#include "iommu/iommu_trace.h"
#include "iommu/virtio_iommu_device.h"
#include "tests/iommu/iommu_board_fixture.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

using testing::TestHost;
using V = VirtioIommu;

constexpr uint64_t kRam = 0x80000000;
// QEMU's rule: the first virtio device goes to the last free slot. With the rng created first,
// the rng is in slot 7 (endpoint 8) and the IOMMU in slot 6 (whose id 7 stays unused).
constexpr uint64_t kRngSlot = 0x10008000;
constexpr uint64_t kIommuSlot = 0x10007000;
constexpr uint32_t kRngEndpoint = kFirstDmaDeviceId + 7;

/// A virtio-mmio driver for one slot, as Linux's virtio_mmio.c drives it: every offered
/// feature accepted, queues of 8 entries whose rings are at physical `ring_pa` + 0x3000 * q
/// (descriptors, then avail at +0x1000, used at +0x2000), given to the device as `ring_da`
/// + the same offsets (its DMA addresses: IOVAs behind a translating IOMMU).
class SlotDriver {
 public:
  SlotDriver(AddressSpace& as, uint64_t base) : as_(as), base_(base) {}

  uint32_t rd(uint64_t off) {
    uint64_t v = 0;
    EXPECT_EQ(as_.load(base_ + off, 4, v), MemTxResult::Ok);
    return static_cast<uint32_t>(v);
  }
  void wr(uint64_t off, uint64_t v) { EXPECT_EQ(as_.store(base_ + off, 4, v), MemTxResult::Ok); }
  void st(uint64_t addr, uint64_t v, unsigned size) {
    EXPECT_EQ(as_.store(addr, size, v), MemTxResult::Ok);
  }
  uint64_t ld(uint64_t addr, unsigned size) {
    uint64_t v = 0;
    EXPECT_EQ(as_.load(addr, size, v), MemTxResult::Ok);
    return v;
  }

  void init(unsigned queues, uint64_t ring_pa, uint64_t ring_da) {
    ring_pa_ = ring_pa;
    wr(VirtioMmio::kStatus, 0);
    wr(VirtioMmio::kStatus, kVirtioStatusAcknowledge | kVirtioStatusDriver);
    for (uint32_t sel : {0u, 1u}) {
      wr(VirtioMmio::kDeviceFeaturesSel, sel);
      const uint32_t offer = rd(VirtioMmio::kDeviceFeatures);
      wr(VirtioMmio::kDriverFeaturesSel, sel);
      wr(VirtioMmio::kDriverFeatures, offer);
    }
    wr(VirtioMmio::kStatus,
       kVirtioStatusAcknowledge | kVirtioStatusDriver | kVirtioStatusFeaturesOk);
    ASSERT_NE(rd(VirtioMmio::kStatus) & kVirtioStatusFeaturesOk, 0u);
    for (unsigned q = 0; q < queues; ++q) {
      const uint64_t da = ring_da + 0x3000 * q;
      for (uint64_t off = 0; off < 0x3000; off += 8) st(ring_pa + 0x3000 * q + off, 0, 8);
      wr(VirtioMmio::kQueueSel, q);
      wr(VirtioMmio::kQueueNum, 8);
      wr(VirtioMmio::kQueueDescLow, static_cast<uint32_t>(da));
      wr(VirtioMmio::kQueueDescHigh, static_cast<uint32_t>(da >> 32));
      wr(VirtioMmio::kQueueDriverLow, static_cast<uint32_t>(da + 0x1000));
      wr(VirtioMmio::kQueueDriverHigh, static_cast<uint32_t>((da + 0x1000) >> 32));
      wr(VirtioMmio::kQueueDeviceLow, static_cast<uint32_t>(da + 0x2000));
      wr(VirtioMmio::kQueueDeviceHigh, static_cast<uint32_t>((da + 0x2000) >> 32));
      wr(VirtioMmio::kQueueReady, 1);
      next_[q] = 0;
    }
    wr(VirtioMmio::kStatus, kVirtioStatusAcknowledge | kVirtioStatusDriver |
                                kVirtioStatusFeaturesOk | kVirtioStatusDriverOk);
  }

  struct Buf {
    uint64_t addr;  ///< as the device sees it
    uint32_t len;
    bool writable;
  };
  /// Puts one chain of `bufs` in queue `q` and kicks.
  void submit(unsigned q, const std::vector<Buf>& bufs) {
    const uint64_t desc = ring_pa_ + 0x3000 * q, avail = desc + 0x1000;
    const uint16_t head = static_cast<uint16_t>(next_[q] % 8);
    for (size_t i = 0; i < bufs.size(); ++i) {
      const uint64_t d = desc + 16 * ((head + i) % 8);
      const bool more = i + 1 < bufs.size();
      st(d, bufs[i].addr, 8);
      st(d + 8, bufs[i].len, 4);
      st(d + 12, (more ? 1 : 0) | (bufs[i].writable ? 2 : 0), 2);  // NEXT, WRITE
      st(d + 14, (head + i + 1) % 8, 2);
    }
    next_[q] += static_cast<uint16_t>(bufs.size());
    const uint16_t idx = static_cast<uint16_t>(ld(avail + 2, 2));
    st(avail + 4 + 2 * (idx % 8), head, 2);
    st(avail + 2, idx + 1, 2);
    wr(VirtioMmio::kQueueNotify, q);
  }
  uint16_t used_idx(unsigned q) {
    return static_cast<uint16_t>(ld(ring_pa_ + 0x3000 * q + 0x2000 + 2, 2));
  }
  uint32_t used_len(unsigned q, uint16_t i) {
    return static_cast<uint32_t>(ld(ring_pa_ + 0x3000 * q + 0x2000 + 4 + 8 * (i % 8) + 4, 4));
  }
  bool needs_reset() { return (rd(VirtioMmio::kStatus) & kVirtioStatusDeviceNeedsReset) != 0; }

 private:
  AddressSpace& as_;
  uint64_t base_;
  uint64_t ring_pa_ = 0;
  uint16_t next_[2] = {0, 0};
};

class VirtioIommuBoardTest : public testing::IommuBoardTest {
 protected:
  void build(std::vector<std::string> devices) {
    ASSERT_NO_FATAL_FAILURE(IommuBoardTest::build(std::move(devices)));
    iommu_drv = std::make_unique<SlotDriver>(m->system_as(), kIommuSlot);
    rng_drv = std::make_unique<SlotDriver>(m->system_as(), kRngSlot);
  }
  VirtioIommu& iommu() { return device<VirtioIommuDevice>().iommu(); }

  /// One request to the IOMMU: `req` (device-readable) then a 4-byte tail; returns the status.
  uint8_t request(const std::vector<uint8_t>& req) {
    const uint64_t in = kRam + 0x60000, out = kRam + 0x61000;
    EXPECT_EQ(m->system_as().write(in, req.data(), req.size()), MemTxResult::Ok);
    iommu_drv->st(out, 0xeeeeeeee, 4);
    const uint16_t before = iommu_drv->used_idx(0);
    iommu_drv->submit(0, {{in, static_cast<uint32_t>(req.size()), false}, {out, 4, true}});
    EXPECT_EQ(iommu_drv->used_idx(0), before + 1) << "request not returned";
    return static_cast<uint8_t>(iommu_drv->ld(out, 1));
  }

  std::unique_ptr<SlotDriver> iommu_drv;
  std::unique_ptr<SlotDriver> rng_drv;
};

std::vector<uint8_t> attach_req(uint32_t domain, uint32_t endpoint) {
  std::vector<uint8_t> r(V::kAttachLen, 0);
  r[0] = V::kTAttach;
  store_le<uint32_t>(&r[4], domain);
  store_le<uint32_t>(&r[8], endpoint);
  return r;
}
std::vector<uint8_t> map_req(uint32_t domain, uint64_t first, uint64_t last, uint64_t phys) {
  std::vector<uint8_t> r(V::kMapLen, 0);
  r[0] = V::kTMap;
  store_le<uint32_t>(&r[4], domain);
  store_le<uint64_t>(&r[8], first);
  store_le<uint64_t>(&r[16], last);
  store_le<uint64_t>(&r[24], phys);
  store_le<uint32_t>(&r[32], V::kMapFRead | V::kMapFWrite);
  return r;
}

TEST_F(VirtioIommuBoardTest, TheDeviceTreeNamesTheIommuOnTheEndpointsOnly) {
  build({"virtio-rng-device", "virtio-iommu"});
  ASSERT_NE(m->iommu(), nullptr);
  EXPECT_EQ(m->iommu()->name(), "virtio-iommu");
  FdtReader r;
  ASSERT_TRUE(r.parse(m->fdt())) << r.error();
  auto viommu = r.find_node("/soc/virtio_mmio@10007000");
  ASSERT_TRUE(viommu);
  EXPECT_EQ(r.prop_u32(*viommu, "#iommu-cells"), 1u);
  auto phandle = r.prop_u32(*viommu, "phandle");
  ASSERT_TRUE(phandle);
  EXPECT_NE(*phandle, 0u);
  EXPECT_EQ(m->iommu()->fdt_phandle(), *phandle);
  EXPECT_FALSE(r.prop_cells(*viommu, "iommus"));  // not behind itself

  auto rng = r.find_node("/soc/virtio_mmio@10008000");
  ASSERT_TRUE(rng);
  EXPECT_EQ(r.prop_cells(*rng, "iommus"), (std::vector<uint32_t>{*phandle, kRngEndpoint}));
  EXPECT_FALSE(r.prop_u32(*rng, "#iommu-cells"));
  auto empty = r.find_node("/soc/virtio_mmio@10001000");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(r.prop_cells(*empty, "iommus"));
  EXPECT_FALSE(r.prop_u32(*empty, "#iommu-cells"));

  // One endpoint, the rng's, with its own address space rooted at its region.
  EXPECT_NE(iommu().endpoint(kRngEndpoint), nullptr);
  EXPECT_EQ(iommu().endpoint(kRngEndpoint - 1), nullptr);
  ASSERT_EQ(m->iommu()->dma_address_spaces().size(), 1u);
  EXPECT_EQ(m->iommu()->dma_address_spaces()[0]->root(), iommu().endpoint(kRngEndpoint));
  const std::string mtree = m->info_mtree(true);
  EXPECT_NE(mtree.find("address-space: virtio-mmio@10008000 (behind virtio-iommu)\n"
                       "  0000000000000000-ffffffffffffffff (prio 0, iommu): virtio-iommu-ep8\n"),
            std::string::npos)
      << mtree;
  EXPECT_EQ(mtree.find("virtio-mmio@10007000 (behind"), std::string::npos) << mtree;
}

TEST_F(VirtioIommuBoardTest, EndpointIdsFollowTheSlotsWhateverTheOrder) {
  // The IOMMU first: it takes slot 7, the rng slot 6 (endpoint 7), a second rng slot 5.
  build({"virtio-iommu", "virtio-rng-device", "virtio-rng-device"});
  FdtReader r;
  ASSERT_TRUE(r.parse(m->fdt())) << r.error();
  const uint32_t ph = m->iommu()->fdt_phandle();
  auto viommu = r.find_node("/soc/virtio_mmio@10008000");
  ASSERT_TRUE(viommu);
  EXPECT_EQ(r.prop_u32(*viommu, "phandle"), ph);
  EXPECT_FALSE(r.prop_cells(*viommu, "iommus"));
  for (uint32_t slot : {5u, 6u}) {
    auto node = r.find_node("/soc/" + fdt_node_name("virtio_mmio", 0x10001000 + 0x1000 * slot));
    ASSERT_TRUE(node);
    EXPECT_EQ(r.prop_cells(*node, "iommus"), (std::vector<uint32_t>{ph, kFirstDmaDeviceId + slot}));
    EXPECT_NE(iommu().endpoint(kFirstDmaDeviceId + slot), nullptr);
  }
  EXPECT_EQ(m->iommu()->dma_address_spaces().size(), 2u);
}

TEST_F(VirtioIommuBoardTest, OtherDmaMastersAreEndpointsAfterTheSlots) {
  build({"virtio-iommu", "edu-dma"});
  FdtReader r;
  ASSERT_TRUE(r.parse(m->fdt())) << r.error();
  auto edu = r.find_node("/soc/dma@4000000");
  ASSERT_TRUE(edu);
  const uint32_t id = kFirstDmaDeviceId + kVirtVirtioSlots;  // 9: after the 8 slots
  EXPECT_EQ(r.prop_cells(*edu, "iommus"), (std::vector<uint32_t>{m->iommu()->fdt_phandle(), id}));
  EXPECT_NE(iommu().endpoint(id), nullptr);
  EXPECT_NE(m->info_mtree(false).find("address-space: edu-dma@4000000 (behind virtio-iommu)\n"
                                      "  0000000000000000-ffffffffffffffff (prio 0, iommu): "
                                      "virtio-iommu-ep9\n"),
            std::string::npos)
      << m->info_mtree(false);
}

TEST_F(VirtioIommuBoardTest, OneIommuPerBoard) {
  for (std::vector<std::string> devices :
       {std::vector<std::string>{"riscv-iommu-sys", "virtio-iommu"},
        std::vector<std::string>{"virtio-iommu-device", "riscv-iommu"},
        std::vector<std::string>{"virtio-iommu", "virtio-iommu"}}) {
    MachineConfig config;
    config.registry = &registry;
    config.devices = devices;
    std::string error;
    EXPECT_EQ(Machine::create(config, host, error), nullptr) << devices[1];
    EXPECT_NE(error.find("the board has an IOMMU already"), std::string::npos) << error;
  }
}

TEST_F(VirtioIommuBoardTest, BootBypassLetsUnattachedEndpointsReachMemory) {
  build({"virtio-rng-device", "virtio-iommu"});
  const uint64_t rings = kRam + 0x10000, buf = kRam + 0x20000;
  rng_drv->init(1, rings, rings);
  rng_drv->submit(0, {{buf, 16, true}});
  EXPECT_FALSE(rng_drv->needs_reset());
  EXPECT_EQ(rng_drv->used_idx(0), 1u);
  EXPECT_EQ(rng_drv->used_len(0, 0), 16u);
  EXPECT_NE(rng_drv->ld(buf, 8) | rng_drv->ld(buf + 8, 8), 0u);
}

TEST_F(VirtioIommuBoardTest, WithoutBypassAnUnattachedEndpointFaultsOnTheEventQueue) {
  build({"virtio-rng-device", "virtio-iommu,boot-bypass=0"});
  // The IOMMU's own queues are in physical memory: its slot is not behind it.
  const uint64_t events = kRam + 0x50000;
  iommu_drv->init(2, kRam + 0x40000, kRam + 0x40000);
  ASSERT_FALSE(iommu_drv->needs_reset());
  iommu_drv->submit(1, {{events, V::kFaultLen, true}});

  const uint64_t rings = kRam + 0x10000;
  rng_drv->init(1, rings, rings);
  rng_drv->submit(0, {{kRam + 0x20000, 16, true}});
  EXPECT_TRUE(rng_drv->needs_reset());
  EXPECT_EQ(rng_drv->used_idx(0), 0u);
  ASSERT_EQ(iommu_drv->used_idx(1), 1u);
  EXPECT_EQ(iommu_drv->used_len(1, 0), V::kFaultLen);
  EXPECT_EQ(iommu_drv->ld(events, 1), V::kFaultRDomain);
  EXPECT_EQ(iommu_drv->ld(events + 8, 4), kRngEndpoint);
  EXPECT_GE(iommu().faults_reported(), 1u);
}

TEST_F(VirtioIommuBoardTest, AttachAndMapTranslateTheEndpointsDma) {
  build({"virtio-rng-device", "virtio-iommu,boot-bypass=0"});
  iommu_drv->init(2, kRam + 0x40000, kRam + 0x40000);
  const uint64_t events = kRam + 0x50000;
  iommu_drv->submit(1, {{events, V::kFaultLen, true}});
  // IOVA 0x40000000.. -> PA 0x80200000.. (rings, then a buffer page) for the rng's domain.
  const uint64_t iova = 0x40000000, pa = kRam + 0x200000;
  EXPECT_EQ(request(attach_req(1, kRngEndpoint)), V::kSOk);
  EXPECT_EQ(request(map_req(1, iova, iova + 0x3fff, pa)), V::kSOk);
  EXPECT_EQ(iommu().endpoint_domain(kRngEndpoint), 1u);

  rng_drv->init(1, pa, iova);
  rng_drv->submit(0, {{iova + 0x3000, 32, true}});
  EXPECT_FALSE(rng_drv->needs_reset());
  EXPECT_EQ(rng_drv->used_idx(0), 1u);
  EXPECT_EQ(rng_drv->used_len(0, 0), 32u);
  EXPECT_NE(rng_drv->ld(pa + 0x3000, 8) | rng_drv->ld(pa + 0x3018, 8), 0u);
  EXPECT_EQ(iommu().faults_reported() + iommu().faults_dropped(), 0u);

  // A buffer outside the mapping: the DMA faults, reported as a MAPPING fault at its IOVA.
  rng_drv->submit(0, {{iova + 0x10000, 16, true}});
  EXPECT_TRUE(rng_drv->needs_reset());
  ASSERT_EQ(iommu_drv->used_idx(1), 1u);
  EXPECT_EQ(iommu_drv->ld(events, 1), V::kFaultRMapping);
  EXPECT_EQ(iommu_drv->ld(events + 8, 4), kRngEndpoint);
  EXPECT_EQ(iommu_drv->ld(events + 16, 8), iova + 0x10000);
}

TEST_F(VirtioIommuBoardTest, TheTraceSeesTheEndpointsRegions) {
  // What --trace-iommu does: an event log on every region of the IOMMU, printing each record.
  build({"virtio-rng-device", "virtio-rng-device", "virtio-iommu,boot-bypass=0"});
  ASSERT_EQ(m->iommu()->iommu_regions().size(), 2u);  // slots 7 and 6: endpoints 8 and 7
  IommuEventLog log([this] { return m->guest_ns(); }, 1);
  std::vector<std::string> lines;
  log.set_listener(
      [&lines](const IommuEventRecord& r) { lines.push_back(format_iommu_trace_line(r)); });
  for (IommuMemoryRegion* region : m->iommu()->iommu_regions()) log.attach(*region);

  iommu_drv = std::make_unique<SlotDriver>(m->system_as(), 0x10006000);
  iommu_drv->init(2, kRam + 0x40000, kRam + 0x40000);
  EXPECT_EQ(request(attach_req(1, 7)), V::kSOk);  // blocked -> an empty domain: no event
  EXPECT_EQ(lines.size(), 0u);
  EXPECT_EQ(request(map_req(1, 0x40000000, 0x40003fff, kRam + 0x200000)), V::kSOk);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "iommu: t=0.000000s virtio-iommu-ep7 dev 7 MAP iova 0x40000000-0x40003fff -> "
            "0x80200000 perm rw | notifiers: none");
}

}  // namespace
}  // namespace glassvm
