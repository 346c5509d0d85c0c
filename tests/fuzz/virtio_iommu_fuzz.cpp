// libFuzzer target over the virtio-iommu as a guest drives it: feature negotiation, requests
// of every type with fuzzed fields and fuzzed descriptor splits, raw writes over the rings and
// buffers, raw register writes (resets included), event buffers, `bypass` writes, and DMA by
// two endpoints through their IOMMU regions.
//
// Design note: whatever the guest writes, nothing may crash, assert or hang, and the notifier
// contract must hold: a ShadowMap per endpoint, fed only by the device's events, must agree
// after every step with the device's side-effect-free lookup(), whose entries must be valid
// aligned blocks that contain the iova asked about.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

#include "engine/devices/virtio/mmio.h"
#include "engine/memory/memory.h"
#include "iommu/shadow_map.h"
#include "iommu/virtio_iommu.h"
#include "tests/fuzz/fuzz_check.h"

using namespace glassvm;

namespace {

using fuzz::check;

constexpr uint64_t kRam = 0x80000000;
constexpr uint64_t kRamSize = 0x10000;
constexpr uint64_t kMmio = 0x10001000;
constexpr uint64_t kDesc[2] = {kRam + 0x0000, kRam + 0x1000};
constexpr uint64_t kAvail[2] = {kRam + 0x0400, kRam + 0x1400};
constexpr uint64_t kUsed[2] = {kRam + 0x0800, kRam + 0x1800};
constexpr uint64_t kBuffers = kRam + 0x2000;
constexpr uint32_t kEndpoints[2] = {1, 2};

class Guest {
 public:
  explicit Guest(FuzzedDataProvider& in) : in_(in), sys_("sys", &root_) {
    root_.init_container("sys", MemoryRegion::kWholeSpace);
    ram_.init_ram("ram", kRamSize);
    VirtioIommu::Options o;
    o.boot_bypass = in.ConsumeBool();
    o.replace_in_place = in.ConsumeBool();
    o.max_mappings = in.ConsumeIntegralInRange<size_t>(1, 64);
    if (in.ConsumeBool()) o.reserved.push_back({kRam + 0x8000, kRam + 0x8fff});
    if (in.ConsumeIntegralInRange(0, 7) == 0) o.page_size_mask = ~uint64_t{0xffff};
    dev_ = std::make_unique<VirtioIommu>(sys_, o);
    for (int i = 0; i < 2; ++i) {
      IommuMemoryRegion& r = dev_->add_endpoint(kEndpoints[i]);
      eps_[i] = &r;
      ep_as_[i] = std::make_unique<AddressSpace>("ep", &r);
      shadows_[i] = std::make_unique<ShadowMap>(r, "shadow");
      check(shadows_[i]->attach(nullptr), "the device refused a MAP and UNMAP notifier");
    }
    transport_ = std::make_unique<VirtioMmio>(sys_, dev_.get());
    root_.add_subregion(kRam, &ram_);
    root_.add_subregion(kMmio, &transport_->mmio());
  }
  ~Guest() {
    root_.del_subregion(&transport_->mmio());
    root_.del_subregion(&ram_);
  }

  void reg(uint64_t off, uint32_t v) { sys_.store(kMmio + off, 4, v); }
  uint32_t rd(uint64_t off) {
    uint64_t v = 0;
    sys_.load(kMmio + off, 4, v);
    return static_cast<uint32_t>(v);
  }
  void st(uint64_t addr, unsigned size, uint64_t v) { sys_.store(addr, size, v); }

  void init() {
    reg(VirtioMmio::kStatus, 0);
    reg(VirtioMmio::kStatus, kVirtioStatusAcknowledge | kVirtioStatusDriver);
    // A subset of the offer (anything else is refused at FEATURES_OK, which is tested
    // elsewhere), so that most inputs reach a live device.
    reg(VirtioMmio::kDeviceFeaturesSel, 0);
    const uint64_t offer = rd(VirtioMmio::kDeviceFeatures);
    const uint64_t accept =
        (in_.ConsumeIntegral<uint32_t>() & offer) | virtio_bit(kVirtioFVersion1);
    reg(VirtioMmio::kDriverFeaturesSel, 0);
    reg(VirtioMmio::kDriverFeatures, static_cast<uint32_t>(accept));
    reg(VirtioMmio::kDriverFeaturesSel, 1);
    reg(VirtioMmio::kDriverFeatures, static_cast<uint32_t>(accept >> 32));
    reg(VirtioMmio::kStatus,
        kVirtioStatusAcknowledge | kVirtioStatusDriver | kVirtioStatusFeaturesOk);
    for (unsigned q = 0; q < 2; ++q) {
      size_[q] = 1u << in_.ConsumeIntegralInRange(0, 4);
      avail_idx_[q] = 0;
      next_[q] = 0;
      for (uint64_t a = kAvail[q]; a < kAvail[q] + 0x800; a += 8) st(a, 8, 0);
      reg(VirtioMmio::kQueueSel, q);
      reg(VirtioMmio::kQueueNum, size_[q]);
      reg(VirtioMmio::kQueueDescLow, static_cast<uint32_t>(kDesc[q]));
      reg(VirtioMmio::kQueueDescHigh, 0);
      reg(VirtioMmio::kQueueDriverLow, static_cast<uint32_t>(kAvail[q]));
      reg(VirtioMmio::kQueueDriverHigh, 0);
      reg(VirtioMmio::kQueueDeviceLow, static_cast<uint32_t>(kUsed[q]));
      reg(VirtioMmio::kQueueDeviceHigh, 0);
      reg(VirtioMmio::kQueueReady, 1);
    }
    reg(VirtioMmio::kStatus, rd(VirtioMmio::kStatus) | kVirtioStatusDriverOk);
  }

  /// Chains `bufs` (address, length, writable) and publishes them on queue `q`.
  void submit(unsigned q, const std::vector<std::pair<uint64_t, std::pair<uint32_t, bool>>>& bufs) {
    const uint16_t head = static_cast<uint16_t>(next_[q] % size_[q]);
    for (size_t k = 0; k < bufs.size(); ++k) {
      const uint32_t i = (next_[q] + k) % size_[q];
      const bool last = k + 1 == bufs.size();
      const uint64_t at = kDesc[q] + 16ull * i;
      st(at, 8, bufs[k].first);
      st(at + 8, 4, bufs[k].second.first);
      st(at + 12, 2, (last ? 0 : VirtQueue::kDescFNext) | (bufs[k].second.second ? 2 : 0));
      st(at + 14, 2, last ? 0 : (i + 1) % size_[q]);
    }
    next_[q] += static_cast<uint32_t>(bufs.size());
    st(kAvail[q] + 4 + 2ull * (avail_idx_[q] % size_[q]), 2, head);
    ++avail_idx_[q];
    st(kAvail[q] + 2, 2, avail_idx_[q]);
    reg(VirtioMmio::kQueueNotify, q);
  }

  uint64_t small_addr() {
    // Addresses near interesting places: page multiples low in the space, the RAM, the top.
    switch (in_.ConsumeIntegralInRange(0, 3)) {
      case 0: return uint64_t{in_.ConsumeIntegralInRange<uint64_t>(0, 15)} << 12;
      case 1: return kRam + (uint64_t{in_.ConsumeIntegralInRange<uint64_t>(0, 16)} << 12);
      case 2: return ~uint64_t{0} - (uint64_t{in_.ConsumeIntegralInRange<uint64_t>(0, 4)} << 12);
      default: return in_.ConsumeIntegral<uint64_t>();
    }
  }

  void request() {
    uint8_t req[80] = {};
    // Mostly requests that can succeed, so that the device gets into interesting states.
    static constexpr uint8_t kTypes[16] = {1, 1, 1, 1, 3, 3, 3, 3, 3, 4, 4, 4, 2, 2, 5, 0};
    const uint8_t type = in_.ConsumeIntegralInRange(0, 15) == 15
                             ? in_.ConsumeIntegral<uint8_t>() % 7
                             : kTypes[in_.ConsumeIntegralInRange(0, 14)];
    req[0] = type;
    const uint32_t domain = in_.ConsumeIntegralInRange<uint32_t>(0, 7) % 3;
    const uint32_t ep = 1 + in_.ConsumeIntegralInRange<uint32_t>(0, 4) % 3;
    const uint64_t first = small_addr();
    const uint64_t last =
        in_.ConsumeBool() ? first + (uint64_t{in_.ConsumeIntegralInRange<uint64_t>(1, 8)} << 12) - 1
                          : small_addr();
    auto put32 = [&](int at, uint32_t v) {
      for (int i = 0; i < 4; ++i) req[at + i] = static_cast<uint8_t>(v >> (8 * i));
    };
    auto put64 = [&](int at, uint64_t v) {
      for (int i = 0; i < 8; ++i) req[at + i] = static_cast<uint8_t>(v >> (8 * i));
    };
    if (req[0] == VirtioIommu::kTAttach || req[0] == VirtioIommu::kTDetach) {
      put32(4, domain);
      put32(8, ep);
      put32(12, in_.ConsumeIntegralInRange<uint32_t>(0, 2));
    } else if (req[0] == VirtioIommu::kTProbe) {
      put32(4, ep);
    } else {
      put32(4, domain);
      put64(8, first);
      put64(16, last);
      put64(24, small_addr());
      put32(32, in_.ConsumeBool() ? 1 + in_.ConsumeIntegralInRange<uint32_t>(0, 2)
                                  : in_.ConsumeIntegralInRange<uint32_t>(0, 8));
    }
    if (in_.ConsumeIntegralInRange(0, 7) == 0) {
      req[in_.ConsumeIntegralInRange(0, 79)] = in_.ConsumeIntegral<uint8_t>();
    }
    for (int i = 0; i < 80; i += 8) {
      uint64_t v = 0;
      for (int b = 0; b < 8; ++b) v |= uint64_t{req[i + b]} << (8 * b);
      st(kBuffers + i, 8, v);
    }
    // Mostly the sizes a driver uses, sometimes anything.
    const uint32_t sizes[] = {0, 20, 20, 36, 28, 72, 0};
    const uint32_t readable = in_.ConsumeIntegralInRange(0, 3)
                                  ? sizes[type] + 4 * (type == 0)
                                  : in_.ConsumeIntegralInRange<uint32_t>(0, 80);
    const uint32_t writable = in_.ConsumeIntegralInRange(0, 3)
                                  ? (type == VirtioIommu::kTProbe ? 516 : 4)
                                  : in_.ConsumeIntegralInRange<uint32_t>(0, 600);
    std::vector<std::pair<uint64_t, std::pair<uint32_t, bool>>> bufs;
    if (readable) bufs.push_back({kBuffers, {readable, false}});
    if (writable) bufs.push_back({kBuffers + 0x1000, {writable, true}});
    if (in_.ConsumeIntegralInRange(0, 63) == 0 && !bufs.empty()) {
      std::swap(bufs.front(), bufs.back());  // writable first: a transport error
    }
    if (!bufs.empty()) submit(0, bufs);
  }

  void step() {
    switch (in_.ConsumeIntegralInRange(0, 31)) {
      case 0: {  // the guest scribbles over its memory (rings and buffers included)
        const uint64_t at = kRam + in_.ConsumeIntegralInRange<uint64_t>(0, 0x4000 - 8);
        st(at, 8, in_.ConsumeIntegral<uint64_t>());
        break;
      }
      case 1: {  // any register
        reg(in_.ConsumeIntegralInRange<uint64_t>(0, 0x1ff) & ~uint64_t{3},
            in_.ConsumeIntegral<uint32_t>());
        break;
      }
      case 2: init(); break;
      case 3: {
        const uint64_t at = kBuffers + 0x3000 + 0x40 * in_.ConsumeIntegralInRange(0, 15);
        submit(1, {{at, {in_.ConsumeIntegralInRange<uint32_t>(0, 40), true}}});
        break;
      }
      case 4:
      case 5:
      case 6: {
        uint8_t buf[16] = {};
        const int e = in_.ConsumeIntegralInRange(0, 1);
        const uint64_t iova = small_addr() + in_.ConsumeIntegralInRange(0, 0xfff);
        const uint64_t len = in_.ConsumeIntegralInRange(1, 16);
        if (in_.ConsumeBool()) {
          ep_as_[e]->read(iova, buf, len);
        } else {
          ep_as_[e]->write(iova, buf, len);
        }
        break;
      }
      case 7: {
        sys_.store(kMmio + VirtioMmio::kConfig + VirtioIommu::kCfgBypass, 1,
                   in_.ConsumeIntegral<uint8_t>());
        break;
      }
      default: request(); break;
    }
  }

  /// The contract: the shadows, fed only by events, agree with lookup().
  void verify() {
    for (int e = 0; e < 2; ++e) {
      for (int k = 0; k < 120; ++k) {
        uint64_t iova = 0;
        if (k < 80) {
          iova = (uint64_t(k) << 12) + 0x10;
        } else if (k < 100) {
          iova = kRam + (uint64_t(k - 80) << 12);
        } else {
          iova = ~uint64_t{0} - (uint64_t(k - 100) << 12);
        }
        const IommuTlbEntry t = eps_[e]->lookup(iova, 0);
        check(((t.addr_mask + 1) & t.addr_mask) == 0, "lookup() mask is not 2^k - 1");
        check(t.first() <= iova && iova <= t.last(), "lookup() block does not hold the iova");
        const std::optional<ShadowMap::Mapping> m = shadows_[e]->lookup(iova);
        check(m.has_value() == (t.perm != kIommuNone), "a shadow disagrees on what is mapped");
        if (m) {
          check(m->perm == t.perm, "a shadow disagrees on a permission");
          check(m->translated_addr + (iova - m->iova) ==
                    ((t.translated_addr & ~t.addr_mask) | (iova & t.addr_mask)),
                "a shadow disagrees on a translation");
        }
      }
    }
  }

 private:
  FuzzedDataProvider& in_;
  MemoryRegion root_;
  MemoryRegion ram_;
  AddressSpace sys_;
  std::unique_ptr<VirtioIommu> dev_;
  IommuMemoryRegion* eps_[2] = {};
  std::unique_ptr<AddressSpace> ep_as_[2];
  std::unique_ptr<ShadowMap> shadows_[2];
  std::unique_ptr<VirtioMmio> transport_;
  uint32_t size_[2] = {1, 1};
  uint16_t avail_idx_[2] = {};
  uint32_t next_[2] = {};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Guest guest(in);
  guest.init();
  for (int steps = 0; steps < 64 && in.remaining_bytes() > 0; ++steps) {
    guest.step();
    guest.verify();
  }
  return 0;
}
