// IOMMU snapshots: each IOMMU teaching program, saved in the middle of its work (mappings live,
// translations cached in the IOMMU and in the device's ATC), goes on in a restored machine
// exactly as in the original: the same console output, the same snapshots byte for byte at
// every later save point and at the end, the same state hash. Every truncation of an IOMMU
// device's section, and values the models could not have reached, are refused with a message.
// Notifier consumers outside the machine (a shadow map, a device IOTLB) come back registered
// with their contents and then follow the same events as the originals.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/snapshot.h"
#include "engine/board/machine.h"
#include "iommu/device_iotlb.h"
#include "iommu/edu_dma_device.h"
#include "iommu/iommu_devices.h"
#include "iommu/riscv_iommu_device.h"
#include "iommu/shadow_map.h"
#include "iommu/virtio_iommu_device.h"
#include "tests/support/snapshot_diff.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

using testing::TestHost;
using Bytes = std::vector<uint8_t>;

constexpr uint64_t kRam = 8 << 20;
/// Far more steps than any of the teaching programs takes.
constexpr uint64_t kStepLimit = 20'000'000;

Bytes read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f) << "missing " << path;
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// A registry with the engine's models and the IOMMU library's.
const DeviceRegistry& registry() {
  static const DeviceRegistry r = [] {
    DeviceRegistry reg;
    register_builtin_devices(reg);
    register_iommu_devices(reg);
    return reg;
  }();
  return r;
}

MachineConfig base_config() {
  MachineConfig config;
  config.registry = &registry();
  return config;
}

std::unique_ptr<Machine> boot(TestHost& host, const std::string& guest,
                              const std::vector<std::string>& devices) {
  MachineConfig config = base_config();
  config.ram_size = kRam;
  config.devices = devices;
  std::string error;
  auto m = Machine::create(config, host, error);
  EXPECT_TRUE(m) << error;
  if (!m) return nullptr;
  EXPECT_TRUE(m->load_kernel(read_file(std::string(GLASSVM_GUEST_DIR) + "/" + guest), guest, error))
      << error;
  return m;
}

Bytes save(Machine& m) {
  Bytes out;
  std::string error;
  EXPECT_TRUE(m.save_snapshot(out, error)) << error;
  return out;
}

std::unique_ptr<Machine> restore(const Bytes& snapshot, TestHost& host) {
  std::string error;
  auto m = Machine::from_snapshot(snapshot, base_config(), host, error);
  EXPECT_TRUE(m) << error;
  return m;
}

/// The error from_snapshot() gives for `snapshot` ("" if it loads).
std::string refusal(const Bytes& snapshot) {
  std::string error;
  TestHost h;
  if (Machine::from_snapshot(snapshot, base_config(), h, error)) return "";
  EXPECT_FALSE(error.empty());
  return error;
}

std::string differences(const Bytes& a, const Bytes& b) {
  return testing::snapshot_differences(a, b);
}

/// The payload of section `name`.
Bytes section(const Bytes& snapshot, const std::string& name) {
  SnapshotFile file;
  SnapshotSection s;
  std::string error;
  EXPECT_TRUE(file.open(snapshot, error) && file.unpack(name, 1ull << 32, s, error)) << error;
  return s.payload;
}

/// `snapshot` with section `name`'s payload changed by `edit`: a file whose checksum and
/// compression are fine but whose contents are not.
Bytes rewrite(const Bytes& snapshot, const std::string& name,
              const std::function<void(Bytes&)>& edit) {
  return testing::rewrite_section(snapshot, name, edit);
}

/// `snapshot` with the `size` little-endian bytes at `offset` of section `name` set to `value`.
Bytes patched(const Bytes& snapshot, const std::string& name, size_t offset, unsigned size,
              uint64_t value) {
  return rewrite(snapshot, name, [&](Bytes& p) {
    EXPECT_LE(offset + size, p.size()) << name;
    for (unsigned i = 0; i < size && offset + i < p.size(); ++i)
      p[offset + i] = static_cast<uint8_t>(value >> (8 * i));
  });
}

uint64_t le(const Bytes& p, size_t offset, unsigned size) {
  uint64_t v = 0;
  for (unsigned i = 0; i < size; ++i) v |= uint64_t{p.at(offset + i)} << (8 * i);
  return v;
}

/// Runs until the console has printed `text`, in small slices so that the machine stops soon
/// after; whether it did.
bool run_until(Machine& m, TestHost& host, const std::string& text) {
  const uint64_t start = m.total_steps();
  while (host.output.find(text) == std::string::npos && !m.exited() &&
         m.total_steps() - start < kStepLimit) {
    m.run(500);
  }
  return host.output.find(text) != std::string::npos;
}

/// Runs until the machine has taken `steps` steps since power-on (or has exited).
void run_to(Machine& m, uint64_t steps) {
  ASSERT_LE(m.total_steps(), steps);
  for (int guard = 0; m.total_steps() < steps && !m.exited(); ++guard) {
    ASSERT_LT(guard, 1'000'000) << "the machine makes no progress";
    m.run(steps - m.total_steps());
  }
}

/// The board's device of type D (nullptr if there is none).
template <class D>
D* find(Machine& m) {
  for (const Machine::DeviceEntry& e : m.devices())
    if (auto* d = dynamic_cast<D*>(e.device.get())) return d;
  return nullptr;
}

/// The section of the first device whose -device text starts with `spec`.
std::string section_of(Machine& m, const std::string& spec) {
  for (size_t i = 0; i < m.devices().size(); ++i)
    if (m.devices()[i].spec.rfind(spec, 0) == 0) return "device/" + std::to_string(i);
  ADD_FAILURE() << "no device " << spec;
  return "";
}

/// What the IOMMU side holds: translations in the IOMMU's IOTLB, in edu-dma's ATC, mappings of
/// the virtio-iommu.
struct Live {
  size_t iotlb = 0, atc = 0, mappings = 0;
};
Live live(Machine& m) {
  Live l;
  if (auto* d = find<RiscvIommuDevice>(m)) l.iotlb = d->iommu().iotlb_size();
  if (auto* d = find<EduDmaDevice>(m); d && d->atc()) l.atc = d->atc()->size();
  if (auto* d = find<VirtioIommuDevice>(m)) l.mappings = d->iommu().mapping_count();
  return l;
}

// -- The teaching programs, saved and restored -----------------------------------------------

struct Lesson {
  const char* name;
  const char* guest;
  std::vector<std::string> devices;
  /// Console texts after which the machine is saved, in the order they appear.
  std::vector<std::string> save_points;
  /// What must be live at some save point (each field: the largest count over the points).
  Live expect_live;
};

void PrintTo(const Lesson& l, std::ostream* os) {
  *os << l.name;
}

const Lesson kLessons[] = {
    {"riscv_iommu",
     "teach_riscv_iommu.elf",
     {"riscv-iommu-sys", "edu-dma,ats=on"},
     // The first copy (IOTLB filled), the fault record, the ATC filled, the ATC stale (only
     // the restored ATC's old entry makes the next copy read buffer A again).
     {"destination now holds \"Hello", "fault record:", "hits = 2,", "-> stale:"},
     {1, 1, 0}},
    // The same with edu-dma created before the IOMMU: its section comes first, so its ATC is
    // restored before the IOMMU it listens to.
    {"riscv_iommu_device_first",
     "teach_riscv_iommu.elf",
     {"edu-dma,ats=on", "riscv-iommu-sys"},
     {"destination now holds \"Hello", "hits = 2,", "-> stale:"},
     {1, 1, 0}},
    {"virtio_iommu",
     "teach_virtio_iommu.elf",
     {"virtio-iommu-device", "edu-dma"},
     // Mapped (source and destination), before the change in place, after it, before DETACH.
     {"== 9.", "== 12.", "page C:", "== 14."},
     {0, 0, 2}},
    {"dma_fault",
     "teach_dma_fault.elf",
     {"riscv-iommu-sys", "edu-dma"},
     // The fault, the recovery, the retry done (both pages cached), the tear-down.
     {"fault record:", "== 3.", "destination now holds", "still holds both"},
     {2, 0, 0}},
};

class LessonSnapshot : public ::testing::TestWithParam<Lesson> {};

INSTANTIATE_TEST_SUITE_P(Lessons, LessonSnapshot, ::testing::ValuesIn(kLessons),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_P(LessonSnapshot, RestoredMachinesGoOnExactlyAsTheOriginal) {
  const Lesson& lesson = GetParam();
  TestHost host;
  auto m = boot(host, lesson.guest, lesson.devices);
  ASSERT_TRUE(m);

  struct Point {
    Bytes snapshot;
    uint64_t steps;
    size_t output_at;
    uint64_t hash;
  };
  std::vector<Point> points;
  Live most;
  for (const std::string& text : lesson.save_points) {
    ASSERT_TRUE(run_until(*m, host, text)) << text << "\n" << host.output;
    points.push_back({save(*m), m->total_steps(), host.output.size(), m->state_hash()});
    const Live l = live(*m);
    most.iotlb = std::max(most.iotlb, l.iotlb);
    most.atc = std::max(most.atc, l.atc);
    most.mappings = std::max(most.mappings, l.mappings);
  }
  EXPECT_GE(most.iotlb, lesson.expect_live.iotlb);
  EXPECT_GE(most.atc, lesson.expect_live.atc);
  EXPECT_GE(most.mappings, lesson.expect_live.mappings);
  run_to(*m, m->total_steps() + kStepLimit);
  ASSERT_TRUE(m->exited()) << host.output;
  ASSERT_EQ(m->exit_code(), 0) << host.output;
  ASSERT_NE(host.output.find(" checks, 0 unexpected"), std::string::npos) << host.output;
  const Bytes end = save(*m);

  for (size_t i = 0; i < points.size(); ++i) {
    SCOPED_TRACE("restored after \"" + lesson.save_points[i] + "\"");
    TestHost host2;
    auto r = restore(points[i].snapshot, host2);
    ASSERT_TRUE(r);
    EXPECT_EQ(differences(save(*r), points[i].snapshot), "");
    EXPECT_EQ(r->state_hash(), points[i].hash);
    for (size_t j = i + 1; j < points.size(); ++j) {
      ASSERT_NO_FATAL_FAILURE(run_to(*r, points[j].steps));
      EXPECT_EQ(differences(save(*r), points[j].snapshot), "")
          << "at \"" << lesson.save_points[j] << "\"";
      EXPECT_EQ(r->state_hash(), points[j].hash);
    }
    ASSERT_NO_FATAL_FAILURE(run_to(*r, m->total_steps()));
    EXPECT_TRUE(r->exited());
    EXPECT_EQ(r->exit_code(), m->exit_code());
    EXPECT_EQ(r->total_steps(), m->total_steps());
    EXPECT_EQ(differences(save(*r), end), "");
    EXPECT_EQ(r->state_hash(), m->state_hash());
    EXPECT_EQ(host2.output, host.output.substr(points[i].output_at));
  }
}

TEST_P(LessonSnapshot, EveryTruncationOfAnIommuSectionIsRefused) {
  const Lesson& lesson = GetParam();
  TestHost host;
  auto m = boot(host, lesson.guest, lesson.devices);
  ASSERT_TRUE(m);
  ASSERT_TRUE(run_until(*m, host, lesson.save_points.back()));
  const Bytes snapshot = save(*m);
  for (const std::string& spec : lesson.devices) {
    const std::string name = section_of(*m, spec);
    SCOPED_TRACE(name + " (" + spec + ")");
    const size_t size = section(snapshot, name).size();
    ASSERT_GT(size, 0u);
    for (size_t n = 0; n < size; ++n) {
      const std::string why = refusal(rewrite(snapshot, name, [n](Bytes& p) { p.resize(n); }));
      EXPECT_NE(why.find(name), std::string::npos) << "cut to " << n << " bytes: " << why;
    }
    const std::string why = refusal(rewrite(snapshot, name, [](Bytes& p) { p.push_back(0); }));
    EXPECT_NE(why.find("left over"), std::string::npos) << why;
  }
}

// Every arrangement of the IOMMU library's models saves, at power-on and after a run, and comes
// back as it was: with or without an IOMMU, with an ATC (edu-dma,ats=on behind riscv-iommu) or
// without one (behind virtio-iommu, which does not offer ATS, or behind none).
TEST(IommuSnapshotConfigurations, EachArrangementSavesAndComesBackAsItWas) {
  const std::vector<std::vector<std::string>> arrangements = {
      {"riscv-iommu-sys"},
      {"virtio-iommu-device,boot-bypass=0"},
      {"edu-dma,ats=on"},
      {"virtio-iommu-device", "edu-dma,ats=on"},
      {"edu-dma,ats=on", "riscv-iommu-sys", "virtio-rng-device"},
      {"virtio-rng-device", "riscv-iommu-sys,addr=0x3020000,irq=40", "edu-dma,addr=0x4001000"},
  };
  for (const auto& devices : arrangements) {
    SCOPED_TRACE(::testing::PrintToString(devices));
    TestHost host;
    auto m = boot(host, "test_hello.elf", devices);
    ASSERT_TRUE(m);
    for (int run = 0; run < 2; ++run) {
      const Bytes snapshot = save(*m);
      TestHost host2;
      auto r = restore(snapshot, host2);
      ASSERT_TRUE(r);
      EXPECT_EQ(differences(save(*r), snapshot), "");
      EXPECT_EQ(r->state_hash(), m->state_hash());
      run_to(*m, m->total_steps() + kStepLimit);
      EXPECT_TRUE(m->exited());
    }
  }
}

// -- Values the models could not have reached --------------------------------------------------

/// The riscv-iommu lesson at the point where edu-dma's ATC is stale, with the sections of the
/// IOMMU and of edu-dma.
struct StaleAtc {
  StaleAtc() {
    m = boot(host, "teach_riscv_iommu.elf", {"riscv-iommu-sys", "edu-dma,ats=on"});
    EXPECT_TRUE(run_until(*m, host, "-> stale:"));
    snapshot = save(*m);
    iommu = section_of(*m, "riscv-iommu-sys");
    edu = section_of(*m, "edu-dma");
  }
  TestHost host;
  std::unique_ptr<Machine> m;
  Bytes snapshot;
  std::string iommu, edu;
};

// RiscvIommu::save: u64 ddtp, cqb, fqb, pqb; u32 cqh, cqt, ..., ipsr; u64 icvec; the caches.
constexpr size_t kDdtp = 0, kCqh = 32, kCqt = 36, kIpsr = 68, kDcCount = 80;
constexpr size_t kDcBytes = 4 + 4 * 8, kFaultKeptBytes = 8 + 8 + 4 + 4 + 4 + 8 + 8 + 1;

TEST(IommuSnapshotValues, ImpossibleRiscvIommuStatesAreRefused) {
  StaleAtc s;
  const Bytes p = section(s.snapshot, s.iommu);
  auto refused = [&](size_t offset, unsigned size, uint64_t value) {
    return refusal(patched(s.snapshot, s.iommu, offset, size, value));
  };
  EXPECT_EQ(refusal(s.snapshot), "");
  // A ddtp mode that does not exist (an enum out of range).
  EXPECT_NE(refused(kDdtp, 1, (p[kDdtp] & 0xf0) | 7).find("ddtp mode 7 does not exist"),
            std::string::npos);
  // The command queue is on: its tail beyond its size, and commands left that should have run.
  const uint64_t cq_entries = uint64_t{2} << (le(p, 8, 8) & 0x1f);
  EXPECT_NE(refused(kCqt, 4, cq_entries).find("beyond the command queue"), std::string::npos);
  EXPECT_NE(refused(kCqh, 4, (le(p, kCqt, 4) + 1) % cq_entries).find("should have run"),
            std::string::npos);
  EXPECT_NE(refused(kIpsr, 4, 0x8).find("ipsr"), std::string::npos);
  // More cached contexts than the cache holds; a cached context that is not valid.
  EXPECT_NE(refused(kDcCount, 8, 100000).find("more than 256"), std::string::npos);
  const uint64_t dcs = le(p, kDcCount, 8);
  ASSERT_GE(dcs, 1u);
  EXPECT_NE(refused(kDcCount + 8 + 4, 8, 0).find("would refuse"), std::string::npos);
  // The IOTLB: more entries than it holds, an entry with no permission (perm is an enum of
  // R and RW here), an entry that is not a leaf's size.
  const size_t iotlb = kDcCount + 8 + dcs * kDcBytes + 8;
  ASSERT_GE(le(p, iotlb, 8), 1u);
  EXPECT_NE(refused(iotlb, 8, 1025).find("more than 1024"), std::string::npos);
  const size_t entry = iotlb + 8;
  EXPECT_NE(refused(entry + 4 + 4 + 8 + 8 + 8, 1, 0).find("permission 0"), std::string::npos);
  EXPECT_NE(refused(entry + 4 + 4 + 8, 8, 0x1fff).find("not the size of a leaf"),
            std::string::npos);
  // A fault kept with a transaction type wider than the record's field.
  ASSERT_GT(p.size(), kFaultKeptBytes);
  EXPECT_NE(refused(p.size() - kFaultKeptBytes + 8 + 8 + 4, 4, 64).find("does not fit"),
            std::string::npos);
}

// EduDmaDevice::save_state: u64 SRC, DST, FAULT_ADDR; u32 LEN, STATUS, ERROR, ATS_CTRL; two
// booleans; has an ATC; the baseline (5 u64); the ATC.
constexpr size_t kEduStatus = 28, kEduError = 32, kEduAtsCtrl = 36, kEduAtc = 43 + 40;
// DeviceIotlb::save: the notifier (u8 flags, u64 first, u64 last, u32 index, registered), u64
// capacity, u64 count, the blocks.
constexpr size_t kAtcCount = kEduAtc + 1 + 8 + 8 + 4 + 1 + 8;

TEST(IommuSnapshotValues, ImpossibleEduDmaStatesAreRefused) {
  StaleAtc s;
  const Bytes p = section(s.snapshot, s.edu);
  auto refused = [&](size_t offset, unsigned size, uint64_t value) {
    return refusal(patched(s.snapshot, s.edu, offset, size, value));
  };
  EXPECT_NE(refused(kEduStatus, 4, 5).find("STATUS 5"), std::string::npos);
  EXPECT_NE(refused(kEduError, 4, 9).find("ERROR 9 does not exist"), std::string::npos);
  EXPECT_NE(refused(kEduAtsCtrl, 4, 2).find("ATS_CTRL 2"), std::string::npos);
  // The ATC listened to other events (MAP): another consumer.
  EXPECT_NE(refused(kEduAtc, 1, 1).find("listened to MAP"), std::string::npos);
  // The ATC detached, empty: the device never detaches it.
  const Bytes detached = rewrite(s.snapshot, s.edu, [&](Bytes& q) {
    q[kAtcCount - 8 - 1] = 0;                             // registered: no
    for (int i = 0; i < 8; ++i) q[kAtcCount + i] = 0;     // no blocks
    q.erase(q.begin() + kAtcCount + 8, q.end() - 5 * 8);  // the blocks gone
  });
  EXPECT_NE(refusal(detached).find("no longer listens"), std::string::npos);
  // More blocks than its capacity; a block without permission; a misaligned block.
  ASSERT_GE(le(p, kAtcCount, 8), 1u);
  EXPECT_NE(refused(kAtcCount, 8, 65).find("more than 64"), std::string::npos);
  EXPECT_NE(refused(kAtcCount + 8 + 8 + 8 + 8, 1, 0).find("permission 0"), std::string::npos);
  EXPECT_NE(refused(kAtcCount + 8, 8, 0x1008).find("naturally aligned"), std::string::npos);
}

/// The virtio-iommu lesson before its change in place: a domain with two mappings.
TEST(IommuSnapshotValues, ImpossibleVirtioIommuStatesAreRefused) {
  TestHost host;
  auto m = boot(host, "teach_virtio_iommu.elf", {"virtio-iommu-device", "edu-dma"});
  ASSERT_TRUE(run_until(*m, host, "== 12."));
  const Bytes snapshot = save(*m);
  const std::string name = section_of(*m, "virtio-iommu-device");
  const Bytes p = section(snapshot, name);
  auto refused = [&](size_t offset, unsigned size, uint64_t value) {
    return refusal(patched(snapshot, name, offset, size, value));
  };
  // VirtioIommu::save_state: bypass, u64 features, event queue notified, u64 endpoints, each
  // 9 bytes, u64 domains, each u32 id, bypass, u64 mappings, each 28 bytes.
  EXPECT_NE(refused(1, 8, le(p, 1, 8) | (1u << 20)).find("never offered"), std::string::npos);
  const size_t domains = 1 + 8 + 1 + 8 + le(p, 10, 8) * 9;
  ASSERT_EQ(le(p, domains, 8), 1u);
  EXPECT_NE(refused(domains, 8, 1000).find("the number of domains"), std::string::npos);
  const size_t mapping = domains + 8 + 4 + 1 + 8;
  ASSERT_EQ(le(p, mapping - 8, 8), 2u);
  EXPECT_NE(refused(mapping, 8, le(p, mapping, 8) + 0x80).find("not aligned"), std::string::npos);
  EXPECT_NE(refused(mapping + 8 + 8 + 8, 4, 0).find("grants nothing"), std::string::npos);
  // A domain attached to no endpoint: domain 1 renamed 2.
  EXPECT_NE(refused(domains + 8, 4, 2).find("which does not exist"), std::string::npos);
  // A fault kept with a reason that does not exist (an enum out of range): the last record is
  // u64 seq, u64 time, u8 reason, u32 flags, u32 endpoint, u64 address, boolean delivered.
  ASSERT_GT(p.size(), 34u);
  EXPECT_NE(refused(p.size() - 34 + 16, 1, 9).find("reason 9"), std::string::npos);

  // The virtqueues are the transport's: the slot hosting the IOMMU refuses a queue size that is
  // not a power of two (VirtioMmio::save: the queues start at byte 50 without an error reason).
  std::string slot;
  for (size_t i = 0; i < m->devices().size(); ++i) {
    const Bytes q = section(snapshot, "device/" + std::to_string(i));
    if (m->devices()[i].spec.rfind("virtio-mmio", 0) == 0 && q.size() > 50 && q[0] == 1 &&
        le(q, 1, 4) == kVirtioIdIommu) {
      slot = "device/" + std::to_string(i);
    }
  }
  ASSERT_FALSE(slot.empty());
  EXPECT_NE(refusal(patched(snapshot, slot, 50, 4, 7)).find("invalid setup"), std::string::npos);
}

// -- Notifier consumers outside the machine ------------------------------------------------------

// A shadow map and a device IOTLB on edu-dma's endpoint region of the virtio-iommu: saved with
// the machine, loaded into consumers of the restored machine, they come back registered with
// their contents (no replay: the MAP count is the original's) and then see the same events.
TEST(IommuSnapshotConsumers, ShadowMapAndDeviceIotlbFollowTheRestoredIommu) {
  constexpr uint32_t kEndpoint = 9;
  TestHost host;
  auto m = boot(host, "teach_virtio_iommu.elf", {"virtio-iommu-device", "edu-dma"});
  IommuMemoryRegion& region = *find<VirtioIommuDevice>(*m)->iommu().endpoint(kEndpoint);
  ShadowMap shadow(region, "shadow", 0, 0, 0xffffffff);
  DeviceIotlb iotlb(region, "iotlb");
  std::string error;
  ASSERT_TRUE(shadow.attach(&error)) << error;
  ASSERT_TRUE(iotlb.attach(&error)) << error;
  ASSERT_TRUE(run_until(*m, host, "== 9."));
  // Both mappings cached (a lookup is the device's request: done before the machine is saved).
  EXPECT_EQ(iotlb.lookup(0x400000, kIommuRead).perm, kIommuRead);
  EXPECT_EQ(iotlb.lookup(0x800000, kIommuWrite).perm, kIommuWrite);
  ASSERT_EQ(iotlb.size(), 2u);
  ASSERT_EQ(shadow.size(), 2u);
  const Bytes snapshot = save(*m);
  StateWriter w;
  shadow.save(w, m->system_as());
  iotlb.save(w, m->system_as());

  TestHost host2;
  auto r = restore(snapshot, host2);
  ASSERT_TRUE(r);
  IommuMemoryRegion& region2 = *find<VirtioIommuDevice>(*r)->iommu().endpoint(kEndpoint);
  ShadowMap shadow2(region2, "shadow", 0, 0, 0xffffffff);
  DeviceIotlb iotlb2(region2, "iotlb");
  StateReader reader(w.data(), "consumers");
  shadow2.load(reader, r->system_as());
  iotlb2.load(reader, r->system_as());
  ASSERT_TRUE(reader.finish()) << reader.error();
  ASSERT_TRUE(shadow2.attached() && iotlb2.attached());
  EXPECT_EQ(shadow2.notifier().flags(), shadow.notifier().flags());
  EXPECT_EQ(shadow2.notifier().end(), shadow.notifier().end());
  EXPECT_EQ(iotlb2.notifier().flags(), iotlb.notifier().flags());
  auto same = [&](const char* when) {
    SCOPED_TRACE(when);
    std::vector<ShadowMap::Mapping> a = shadow.mappings(), b = shadow2.mappings();
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].iova, b[i].iova);
      EXPECT_EQ(a[i].last, b[i].last);
      EXPECT_EQ(a[i].translated_addr, b[i].translated_addr);
      EXPECT_EQ(a[i].perm, b[i].perm);
    }
    EXPECT_EQ(shadow.stats().maps, shadow2.stats().maps);
    EXPECT_EQ(shadow.stats().unmaps, shadow2.stats().unmaps);
    EXPECT_EQ(shadow.stats().splits, shadow2.stats().splits);
    std::vector<IommuTlbEntry> x = iotlb.entries(), y = iotlb2.entries();
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(x[i].iova, y[i].iova);
      EXPECT_EQ(x[i].translated_addr, y[i].translated_addr);
      EXPECT_EQ(x[i].perm, y[i].perm);
      EXPECT_EQ(y[i].target_as, &r->system_as());
    }
    EXPECT_EQ(iotlb.stats().hits, iotlb2.stats().hits);
    EXPECT_EQ(iotlb.stats().misses, iotlb2.stats().misses);
    EXPECT_EQ(iotlb.stats().invalidations, iotlb2.stats().invalidations);
    EXPECT_EQ(iotlb.stats().dropped, iotlb2.stats().dropped);
  };
  same("restored");
  // The change in place (UNMAP, then MAP of page C) reaches both pairs alike.
  ASSERT_TRUE(run_until(*m, host, "page C:"));
  ASSERT_NO_FATAL_FAILURE(run_to(*r, m->total_steps()));
  same("after the change in place");
  EXPECT_EQ(iotlb2.size(), 1u);  // the UNMAP dropped the source's translation
  EXPECT_EQ(shadow2.lookup(0x400000)->translated_addr, shadow.lookup(0x400000)->translated_addr);
  ASSERT_NO_FATAL_FAILURE(run_to(*m, m->total_steps() + kStepLimit));
  ASSERT_NO_FATAL_FAILURE(run_to(*r, m->total_steps()));
  same("at the end");
  EXPECT_EQ(shadow2.size(), 0u);  // DETACH unmapped everything
  EXPECT_EQ(differences(save(*r), save(*m)), "");

  // A consumer of another kind refuses the bytes, naming the notifier.
  ShadowMap other(region2, "other", 0, 0, 0xfff);
  StateReader bad(w.data(), "consumers");
  other.load(bad, r->system_as());
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("listened to MAP|UNMAP of IOVAs 0-4294967295"), std::string::npos)
      << bad.error();
  EXPECT_FALSE(other.attached());
}

}  // namespace
}  // namespace glassvm
