// libFuzzer target over Machine::from_snapshot: any byte string must be refused with a message,
// or build a machine that then runs, saves, and loads again; never a crash, a leak, UB or an
// allocation beyond what the snapshot's own RAM size allows.
//
// Two kinds of input, chosen by the first byte, so that mutations reach past the checksum and
// the compression into what the components read:
//   even: a snapshot file as is, its trailing checksum recomputed (the container's parser);
//   odd:  sections in the clear, each u8 name length, name, u32 version, u16 payload length,
//         payload; the harness packs them into a valid file (the components' readers).
// The machines may have the IOMMU models too, as the command line's and the page's do, so the
// readers of their state and of their notifier consumers' are fuzzed with the board's.
// tests/fuzz/make_seeds.sh makes the seeds from real snapshots (ram-v1-*: older files, with a
// version 1 "ram" section).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/base/snapshot.h"
#include "engine/board/device_registry.h"
#include "engine/board/machine.h"
#include "iommu/iommu_devices.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using glassvm::fuzz::QuietHost;

/// The most RAM a fuzzed machine may have: bigger ones are skipped (valid, but slow to build).
constexpr uint64_t kMaxFuzzRam = 4 << 20;

/// The board's devices and the IOMMU models.
const glassvm::DeviceRegistry& registry() {
  static const glassvm::DeviceRegistry* r = [] {
    auto* reg = new glassvm::DeviceRegistry;
    glassvm::register_builtin_devices(*reg);
    glassvm::register_iommu_devices(*reg);
    return reg;
  }();
  return *r;
}

std::vector<uint8_t> pack_clear_sections(std::span<const uint8_t> in) {
  glassvm::SnapshotWriter w;
  size_t pos = 0;
  while (pos < in.size()) {
    const size_t name_len = in[pos++];
    if (in.size() - pos < name_len + 6) break;
    std::string name(reinterpret_cast<const char*>(in.data() + pos), name_len);
    pos += name_len;
    const uint32_t version = glassvm::load_le<uint32_t>(in.data() + pos);
    const size_t len = glassvm::load_le<uint16_t>(in.data() + pos + 4);
    pos += 6;
    if (in.size() - pos < len) break;
    w.add(std::move(name), version, in.subspan(pos, len));
    pos += len;
  }
  return w.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::vector<uint8_t> file;
  if (data[0] & 1) {
    file = pack_clear_sections({data + 1, size - 1});
  } else {
    file.assign(data + 1, data + size);
    if (file.size() >= 4) {
      const uint32_t crc = glassvm::crc32_of(std::span(file).first(file.size() - 4));
      glassvm::store_le<uint32_t>(file.data() + file.size() - 4, crc);
    }
  }
  // Skip machines too big to build quickly (the RAM size is the config section's first word).
  glassvm::SnapshotFile peek;
  glassvm::SnapshotSection config;
  std::string error;
  if (peek.open(file, error) && peek.unpack("config", 1 << 20, config, error) &&
      config.payload.size() >= 8 && glassvm::load_le<uint64_t>(config.payload.data()) > kMaxFuzzRam)
    return 0;

  QuietHost host;
  error.clear();
  glassvm::MachineConfig base;
  base.registry = &registry();
  auto m = glassvm::Machine::from_snapshot(file, base, host, error);
  if (!m) {
    if (error.empty()) std::abort();  // a refusal must say why
    return 0;
  }
  // A machine that loaded is one that could exist: it runs, and saves to a snapshot that loads.
  m->run(2000);
  std::vector<uint8_t> again;
  if (!m->save_snapshot(again, error)) std::abort();
  auto m2 = glassvm::Machine::from_snapshot(again, base, host, error);
  if (!m2) std::abort();
  return 0;
}
