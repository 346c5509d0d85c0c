// libFuzzer target over the whole board as a guest drives it: every device's registers through
// the hart's address space (whatever the flat view holds besides RAM: the board's devices,
// the virtio-mmio slots, the IOMMU models and edu-dma), guest RAM written with fuzzed bytes
// (virtqueues, descriptors, DMA buffers, IOMMU tables, code), set-ups of each virtio device's
// queues with fuzzed descriptors, and the hart run over whatever RAM holds.
//
// The first bytes choose the machine: virtio-blk with a small disk, virtio-rng, no IOMMU or the
// RISC-V IOMMU or virtio-iommu, and edu-dma with or without its ATC.
//
// Design note: whatever the guest does, nothing may crash, assert, hang or leak, and the state
// it leaves is one the machine can save: the snapshot loads into a machine with the same state
// hash (so every device's loader accepts every state the device can reach).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/block_storage.h"
#include "engine/board/device_registry.h"
#include "engine/board/machine.h"
#include "engine/devices/virtio/mmio.h"
#include "iommu/iommu_devices.h"
#include "tests/fuzz/fuzz_check.h"

using namespace glassvm;

namespace {

using fuzz::check;
using fuzz::QuietHost;

constexpr uint64_t kRamSize = 1 << 20;
constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kDiskSize = 64 << 10;
constexpr int kMaxOps = 200;

const DeviceRegistry& registry() {
  static const DeviceRegistry* r = [] {
    auto* reg = new DeviceRegistry;
    register_builtin_devices(*reg);
    register_iommu_devices(*reg);
    return reg;
  }();
  return *r;
}

class Guest {
 public:
  Guest(FuzzedDataProvider& in, Machine& m) : in_(in), m_(m) {
    // The ranges as the machine starts (copied: the flat view changes as the guest goes).
    for (const FlatRange& r : m.cpu_as().flat_view().ranges()) {
      if (r.mr == nullptr || r.start == kRamBase) continue;  // RAM is written as RAM
      devices_.push_back({r.start, r.size > 0x10000 ? 0x10000 : static_cast<uint64_t>(r.size)});
    }
    for (const Range& r : devices_) {
      uint64_t magic = 0;
      if (r.size == VirtioMmio::kMmioSize &&
          m.cpu_as().load(r.start + VirtioMmio::kMagicValue, 4, magic) == MemTxResult::Ok &&
          magic == 0x74726976)  // "virt"
        virtio_.push_back(r.start);
    }
  }

  void step() {
    switch (in_.ConsumeIntegralInRange(0, 9)) {
      case 0:
      case 1: {  // a device register written
        uint64_t addr = 0;
        unsigned size = 0;
        if (!pick_register(addr, size)) return;
        m_.cpu_as().store(addr, size, in_.ConsumeIntegral<uint64_t>());
        break;
      }
      case 2: {  // and read
        uint64_t addr = 0, value = 0;
        unsigned size = 0;
        if (!pick_register(addr, size)) return;
        m_.cpu_as().load(addr, size, value);
        break;
      }
      case 3:
      case 4: {  // RAM: rings, descriptors, buffers, tables, code
        const uint64_t at = ram_addr();
        const std::vector<uint8_t> bytes =
            in_.ConsumeBytes<uint8_t>(in_.ConsumeIntegralInRange(1, 64));
        for (size_t i = 0; i < bytes.size() && at + i < kRamBase + kRamSize; ++i)
          m_.cpu_as().store(at + i, 1, bytes[i]);
        break;
      }
      case 5: set_up_queue(); break;
      case 6:
      case 7: publish(); break;
      case 8: {  // a virtio register that matters, with a value near the meaningful ones
        if (virtio_.empty()) return;
        static constexpr uint64_t kRegs[] = {
            VirtioMmio::kStatus,     VirtioMmio::kQueueSel,       VirtioMmio::kQueueNum,
            VirtioMmio::kQueueReady, VirtioMmio::kQueueNotify,    VirtioMmio::kInterruptAck,
            VirtioMmio::kQueueReset, VirtioMmio::kDriverFeatures, VirtioMmio::kDriverFeaturesSel};
        const uint64_t base = virtio_[in_.ConsumeIntegralInRange<size_t>(0, virtio_.size() - 1)];
        const uint64_t reg = kRegs[in_.ConsumeIntegralInRange<size_t>(0, std::size(kRegs) - 1)];
        m_.cpu_as().store(base + reg, 4, in_.ConsumeIntegralInRange<uint32_t>(0, 16));
        break;
      }
      default:  // the hart, over whatever RAM holds (and the timers and interrupts it meets)
        m_.run(in_.ConsumeIntegralInRange(1, 1000));
        break;
    }
  }

 private:
  bool pick_register(uint64_t& addr, unsigned& size) {
    if (devices_.empty()) return false;
    const Range& r = devices_[in_.ConsumeIntegralInRange<size_t>(0, devices_.size() - 1)];
    const uint64_t span = r.size;
    // Mostly the first registers (where devices have most of theirs), sometimes anywhere.
    const uint64_t off = in_.ConsumeBool() ? in_.ConsumeIntegralInRange<uint64_t>(0, 0x1ff) % span
                                           : in_.ConsumeIntegralInRange<uint64_t>(0, span - 1);
    addr = r.start + off;
    size = 1u << in_.ConsumeIntegralInRange(0, 3);
    return true;
  }

  uint64_t ram_addr() {
    // Mostly the first 64 KiB, where the queues below are.
    return kRamBase + (in_.ConsumeBool() ? in_.ConsumeIntegralInRange<uint64_t>(0, 0xffff)
                                         : in_.ConsumeIntegralInRange<uint64_t>(0, kRamSize - 1));
  }

  void reg(uint64_t base, uint64_t off, uint32_t v) { m_.cpu_as().store(base + off, 4, v); }
  uint32_t rd(uint64_t base, uint64_t off) {
    uint64_t v = 0;
    m_.cpu_as().load(base + off, 4, v);
    return static_cast<uint32_t>(v);
  }

  /// A driver's set-up of one queue of one virtio device: status, the features it offers (or
  /// fuzzed ones), the queue's size and rings in RAM, DRIVER_OK.
  void set_up_queue() {
    if (virtio_.empty()) return;
    const size_t slot = in_.ConsumeIntegralInRange<size_t>(0, virtio_.size() - 1);
    const uint64_t base = virtio_[slot];
    reg(base, VirtioMmio::kStatus, 0);
    reg(base, VirtioMmio::kStatus, kVirtioStatusAcknowledge | kVirtioStatusDriver);
    for (uint32_t sel = 0; sel < 2; ++sel) {
      reg(base, VirtioMmio::kDeviceFeaturesSel, sel);
      const uint32_t offer = rd(base, VirtioMmio::kDeviceFeatures);
      reg(base, VirtioMmio::kDriverFeaturesSel, sel);
      reg(base, VirtioMmio::kDriverFeatures,
          in_.ConsumeBool() ? offer : offer & in_.ConsumeIntegral<uint32_t>());
    }
    reg(base, VirtioMmio::kStatus,
        kVirtioStatusAcknowledge | kVirtioStatusDriver | kVirtioStatusFeaturesOk);
    const uint32_t q = in_.ConsumeIntegralInRange<uint32_t>(0, 2);
    // Each slot's queues in its own 8 KiB of RAM: descriptors, then the rings.
    const uint64_t area = kRamBase + 0x2000 * slot + 0x600 * q;
    reg(base, VirtioMmio::kQueueSel, q);
    reg(base, VirtioMmio::kQueueNum, 1u << in_.ConsumeIntegralInRange(0, 5));
    reg(base, VirtioMmio::kQueueDescLow, static_cast<uint32_t>(area));
    reg(base, VirtioMmio::kQueueDescHigh, 0);
    reg(base, VirtioMmio::kQueueDriverLow, static_cast<uint32_t>(area + 0x200));
    reg(base, VirtioMmio::kQueueDriverHigh, 0);
    reg(base, VirtioMmio::kQueueDeviceLow, static_cast<uint32_t>(area + 0x300));
    reg(base, VirtioMmio::kQueueDeviceHigh, 0);
    reg(base, VirtioMmio::kQueueReady, 1);
    reg(base, VirtioMmio::kStatus, rd(base, VirtioMmio::kStatus) | kVirtioStatusDriverOk);
    queues_.push_back({base, q, area});
  }

  /// Descriptors with fuzzed addresses, lengths, flags and links, made available and notified.
  void publish() {
    if (queues_.empty()) return;
    const Queue& q = queues_[in_.ConsumeIntegralInRange<size_t>(0, queues_.size() - 1)];
    const unsigned n = in_.ConsumeIntegralInRange(1, 4);
    for (unsigned i = 0; i < n; ++i) {
      const uint64_t at = q.area + 16 * in_.ConsumeIntegralInRange<uint64_t>(0, 31);
      const uint64_t buffer = in_.ConsumeBool() ? kRamBase + 0x10000 + 0x400 * i : ram_addr();
      m_.cpu_as().store(at, 8, in_.ConsumeBool() ? buffer : in_.ConsumeIntegral<uint64_t>());
      m_.cpu_as().store(at + 8, 4, in_.ConsumeIntegralInRange<uint32_t>(0, 0x1000));
      m_.cpu_as().store(at + 12, 2,
                        in_.ConsumeIntegralInRange<uint16_t>(0, 7));  // NEXT, WRITE, INDIRECT
      m_.cpu_as().store(at + 14, 2, in_.ConsumeIntegralInRange<uint16_t>(0, 33));
    }
    uint64_t idx = 0;
    m_.cpu_as().load(q.area + 0x202, 2, idx);
    m_.cpu_as().store(q.area + 0x204 + 2 * (idx % 32), 2,
                      in_.ConsumeIntegralInRange<uint16_t>(0, 33));
    m_.cpu_as().store(q.area + 0x202, 2,
                      in_.ConsumeBool() ? idx + 1 : in_.ConsumeIntegral<uint16_t>());
    reg(q.base, VirtioMmio::kQueueNotify, q.index);
  }

  struct Range {
    uint64_t start;
    uint64_t size;  ///< at most 64 KiB of it (the PLIC's 6 MiB are mostly context registers)
  };
  struct Queue {
    uint64_t base;
    uint32_t index;
    uint64_t area;
  };

  FuzzedDataProvider& in_;
  Machine& m_;
  std::vector<Range> devices_;
  std::vector<uint64_t> virtio_;
  std::vector<Queue> queues_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const uint8_t choice = in.ConsumeIntegral<uint8_t>();
  MachineConfig config;
  config.ram_size = kRamSize;
  config.firmware = Firmware::None;
  config.registry = &registry();
  MemoryBlockStorage disk{std::vector<uint8_t>(kDiskSize)};
  if (choice & 1) {
    config.drives["d0"] = &disk;
    config.devices.push_back("virtio-blk-device,drive=d0");
  }
  if (choice & 2) config.devices.push_back("virtio-rng-device");
  switch (choice >> 2 & 3) {
    case 1: config.devices.push_back("riscv-iommu-sys"); break;
    case 2: config.devices.push_back("virtio-iommu-device"); break;
    default: break;
  }
  if (choice & 16) config.devices.push_back(choice & 32 ? "edu-dma,ats=on" : "edu-dma");

  QuietHost host;
  std::string error;
  auto m = Machine::create(config, host, error);
  check(m != nullptr, "the fuzzer's machine could not be built");
  {
    Guest guest(in, *m);
    for (int i = 0; i < kMaxOps && in.remaining_bytes() > 0; ++i) guest.step();
  }

  // Whatever state the guest left, it saves, and loads back as the same state.
  std::vector<uint8_t> snapshot;
  check(m->save_snapshot(snapshot, error), "a machine the guest drove cannot be saved");
  MachineConfig base;
  base.registry = &registry();
  auto restored = Machine::from_snapshot(snapshot, base, host, error);
  if (!restored) std::fprintf(stderr, "%s\n", error.c_str());
  check(restored != nullptr, "a snapshot of a reachable state does not load");
  check(restored->state_hash() == m->state_hash(), "a restored machine differs from the original");
  return 0;
}
