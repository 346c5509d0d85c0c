// The IOMMU benchmark (prints numbers; not a test):
//  - DMA throughput through the RISC-V IOMMU against the same DMA with no IOMMU: a device reads
//    a 2 MiB buffer in 4 KiB transfers through its own address space, whose root is the IOMMU
//    (Sv39, 4 KiB pages, every translation an IOTLB hit after the first pass), and through a
//    device-side IOTLB (DeviceIotlb: the device translates, then reads system memory), against
//    the same transfers straight from system memory. Goal: ratio >= 0.5.
//  - notifier events delivered per second to 1, 8 and 64 UNMAP notifiers.
//
//   iommu_bench [--seconds S]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "engine/memory/iommu.h"
#include "iommu/device_iotlb.h"
#include "iommu/riscv_iommu.h"

namespace glassvm {
namespace {

using namespace riscv_iommu;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 64ull << 20;
constexpr uint64_t kRegs = 0x3010000;
constexpr uint64_t kIova = 0x10000000;  // where the device sees its buffer
constexpr uint64_t kBufferPa = kRamBase + (16 << 20);
constexpr uint64_t kBufferSize = 2 << 20;  // 512 pages: fits the model's IOTLB
constexpr uint64_t kTransfer = 4096;
constexpr uint32_t kDevice = 1;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// A machine's memory with a RISC-V IOMMU in it, programmed as a driver would: a one-level
/// device directory, device kDevice on an Sv39 table mapping kIova.. to kBufferPa...
struct IommuSetup {
  IommuSetup() : sys("sys", &root), iommu(sys), dev("dev", &iommu) {
    root.init_container("sys", MemoryRegion::kWholeSpace);
    ram.init_ram("ram", kRamSize);
    root.add_subregion(kRamBase, &ram);
    root.add_subregion(kRegs, &iommu.mmio());
    const uint64_t ddt = page(), pt = page();
    reg(DDTP, kModeOff);
    reg(DDTP, (ddt >> 2) | kMode1Lvl);
    const uint64_t dc = ddt + (kDevice & 0x7f) * 32;
    w64(dc, DC_TC_V);
    w64(dc + 16, field(DC_TA_PSCID, 7));
    w64(dc + 24, field(ATP_MODE, kSatpSv39) | (pt >> 12));
    const uint64_t flags = PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D;
    for (uint64_t off = 0; off < kBufferSize; off += 4096) {
      const uint64_t va = kIova + off;
      uint64_t table = pt;
      for (int l = 2; l > 0; --l) {
        const uint64_t slot = table + ((va >> (12 + 9 * l)) & 511) * 8;
        uint64_t pte = r64(slot);
        if (!(pte & PTE_V)) {
          pte = ((page() >> 12) << 10) | PTE_V;
          w64(slot, pte);
        }
        table = (pte >> 10) << 12;
      }
      w64(table + ((va >> 12) & 511) * 8, (((kBufferPa + off) >> 12) << 10) | flags);
    }
  }
  ~IommuSetup() {
    root.del_subregion(&iommu.mmio());
    root.del_subregion(&ram);
  }
  uint64_t page() {
    const uint64_t p = next;
    next += 4096;
    return p;
  }
  void w64(uint64_t a, uint64_t v) { check(sys.store(a, 8, v)); }
  uint64_t r64(uint64_t a) {
    uint64_t v = 0;
    check(sys.load(a, 8, v));
    return v;
  }
  void reg(uint64_t offset, uint64_t v) { check(sys.store(kRegs + offset, 8, v)); }
  static void check(MemTxResult r) {
    if (r != MemTxResult::Ok) {
      std::fprintf(stderr, "iommu_bench: the setup's memory access failed\n");
      std::exit(1);
    }
  }

  MemoryRegion root, ram;
  AddressSpace sys;
  RiscvIommu iommu;
  AddressSpace dev;
  uint64_t next = kRamBase + 0x100000;
};

/// Reads the buffer in kTransfer pieces with `read(offset, buf)` for about `seconds`; returns
/// bytes per second. Stops the program if a read fails.
template <typename Read>
double throughput(double seconds, Read read) {
  std::vector<uint8_t> buf(kTransfer);
  uint64_t bytes = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (uint64_t off = 0; off < kBufferSize; off += kTransfer) {
      if (read(off, buf.data()) != MemTxResult::Ok) {
        std::fprintf(stderr, "iommu_bench: a DMA read failed at offset 0x%llx\n",
                     static_cast<unsigned long long>(off));
        std::exit(1);
      }
    }
    bytes += kBufferSize;
    elapsed = seconds_since(t0);
  }
  return static_cast<double>(bytes) / elapsed;
}

/// A model that only delivers: notify() cost without any table walk.
class DeliveryOnly : public IommuMemoryRegion {
 public:
  DeliveryOnly() { init_iommu("delivery-only", UINT64_MAX); }
  IommuTlbEntry translate(uint64_t iova, IommuAccessFlags, int, MemTxAttrs) override {
    return IommuTlbEntry{nullptr, iova, iova & ~uint64_t{4095}, 4095, kIommuNone};
  }
};

double events_per_second(int notifiers, double seconds) {
  DeliveryOnly model;
  uint64_t received = 0;
  std::vector<std::unique_ptr<IommuNotifier>> list;
  for (int i = 0; i < notifiers; ++i) {
    list.push_back(
        std::make_unique<IommuNotifier>("listener " + std::to_string(i), IommuNotifierFlag::Unmap,
                                        [&received](const IommuTlbEvent&) { ++received; }));
    std::string error;
    if (!model.register_notifier(*list.back(), &error)) {
      std::fprintf(stderr, "iommu_bench: registration refused: %s\n", error.c_str());
      std::exit(1);
    }
  }
  IommuTlbEvent event;
  event.type = IommuNotifierFlag::Unmap;
  event.entry.addr_mask = 4095;
  uint64_t sent = 0;
  const auto t0 = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 10000; ++i) {
      event.entry.iova = (sent++ & 0xffff) << 12;
      model.notify(0, event);
    }
    elapsed = seconds_since(t0);
  }
  if (received != sent * static_cast<uint64_t>(notifiers)) {
    std::fprintf(stderr, "iommu_bench: %llu events reached the notifiers, expected %llu\n",
                 static_cast<unsigned long long>(received),
                 static_cast<unsigned long long>(sent * notifiers));
    std::exit(1);
  }
  return static_cast<double>(received) / elapsed;
}

}  // namespace
}  // namespace glassvm

int main(int argc, char** argv) {
  using namespace glassvm;
  double seconds = 1.0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: iommu_bench [--seconds S]\n");
      return 2;
    }
  }
  IommuSetup s;
  MemTxAttrs attrs;
  attrs.requester_id = kDevice;
  // Warm the IOTLB, and check that the translation reaches the buffer.
  IommuSetup::check(s.sys.store(kBufferPa + 8, 8, 0x5a5a));
  uint64_t probe = 0;
  IommuSetup::check(s.dev.load(kIova + 8, 8, probe, attrs));
  if (probe != 0x5a5a) {
    std::fprintf(stderr, "iommu_bench: the device does not see its buffer through the IOMMU\n");
    return 1;
  }
  const double direct = throughput(seconds, [&](uint64_t off, uint8_t* buf) {
    return s.sys.read(kBufferPa + off, buf, kTransfer);
  });
  const double through = throughput(seconds, [&](uint64_t off, uint8_t* buf) {
    return s.dev.read(kIova + off, buf, kTransfer, attrs);
  });
  DeviceIotlb iotlb(s.iommu, "bench device", 1024, static_cast<int>(kDevice), attrs);
  std::string error;
  if (!iotlb.attach(&error)) {
    std::fprintf(stderr, "iommu_bench: %s\n", error.c_str());
    return 1;
  }
  const double cached = throughput(seconds, [&](uint64_t off, uint8_t* buf) {
    const IommuTlbEntry e = iotlb.lookup(kIova + off, kIommuRead);
    if (!(e.perm & kIommuRead)) return MemTxResult::IommuFault;
    const uint64_t pa = (e.translated_addr & ~e.addr_mask) | ((kIova + off) & e.addr_mask);
    return s.sys.read(pa, buf, kTransfer);
  });
  std::printf("DMA, 4 KiB reads over a 2 MiB buffer (GB/s):\n");
  std::printf("  no IOMMU                          %7.2f\n", direct / 1e9);
  std::printf("  through the RISC-V IOMMU (IOTLB)  %7.2f  ratio %.2f (goal >= 0.5: %s)\n",
              through / 1e9, through / direct, through / direct >= 0.5 ? "met" : "NOT met");
  std::printf("  device IOTLB hit, then memory     %7.2f  ratio %.2f (goal >= 0.5: %s)\n",
              cached / 1e9, cached / direct, cached / direct >= 0.5 ? "met" : "NOT met");
  std::printf("IOMMU events delivered per second:\n");
  for (int n : {1, 8, 64}) {
    std::printf("  %2d notifier%s  %8.1f million\n", n, n == 1 ? " " : "s",
                events_per_second(n, seconds) / 1e6);
  }
  return 0;
}
