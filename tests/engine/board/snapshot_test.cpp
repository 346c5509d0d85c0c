// Machine snapshots: a restored machine goes on exactly as the one that was saved (Linux at its
// prompt, answering a command), and a damaged, truncated or inconsistent snapshot is refused
// with a message, never half-loaded.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "engine/base/block_storage.h"
#include "engine/base/page.h"
#include "engine/base/snapshot.h"
#include "engine/board/machine.h"
#include "tests/support/elf_writer.h"
#include "tests/support/read_file.h"
#include "tests/support/snapshot_diff.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

using testing::read_file;
using testing::TestHost;

std::unique_ptr<Machine> bare_metal(TestHost& host, const std::string& guest,
                                    uint64_t ram = 1 << 20) {
  MachineConfig config;
  config.ram_size = ram;
  std::string error;
  auto m = Machine::create(config, host, error);
  EXPECT_TRUE(m) << error;
  const std::string path = std::string(GLASSVM_GUEST_DIR) + "/" + guest;
  EXPECT_TRUE(m->load_kernel(read_file(path), guest, error)) << error;
  return m;
}

std::vector<uint8_t> save(Machine& m) {
  std::vector<uint8_t> out;
  std::string error;
  EXPECT_TRUE(m.save_snapshot(out, error)) << error;
  return out;
}

std::string differences(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  return testing::snapshot_differences(a, b);
}

/// Runs until `text` appears in the output (or `limit` steps pass); whether it did.
bool run_until(Machine& m, TestHost& host, const std::string& text, uint64_t limit) {
  const uint64_t start = m.total_steps();
  while (host.output.find(text) == std::string::npos && m.total_steps() - start < limit) {
    if (m.run(1'000'000) == MachineState::Exited) break;
  }
  return host.output.find(text) != std::string::npos;
}

// The whole point: Linux saved at its prompt comes back in another machine, which then answers
// a command exactly as the original does, down to the last byte of RAM and device state.
TEST(Snapshot, LinuxAtThePromptGoesOnExactlyAsTheOriginal) {
  TestHost host;
  MachineConfig config;
  config.ram_size = 128ull << 20;
  config.append = "console=ttyS0";
  std::string error;
  auto m = Machine::create(config, host, error);
  ASSERT_TRUE(m) << error;
  ASSERT_TRUE(m->load_kernel(read_file(GLASSVM_LINUX_IMAGE), "Image", error)) << error;
  ASSERT_TRUE(m->load_initrd(read_file(GLASSVM_LINUX_INITRD), "initrd", error)) << error;
  ASSERT_TRUE(run_until(*m, host, "~ # ", 400'000'000)) << host.output;
  const std::vector<uint8_t> snapshot = save(*m);
  // Zero and untouched pages cost nothing: far less than the 128 MiB of RAM.
  EXPECT_LT(snapshot.size(), 24u << 20);

  TestHost host2;
  auto restored = Machine::from_snapshot(snapshot, MachineConfig{}, host2, error);
  ASSERT_TRUE(restored) << error;
  EXPECT_EQ(restored->total_instructions(), m->total_instructions());
  EXPECT_EQ(restored->guest_ns(), m->guest_ns());
  EXPECT_EQ(restored->cpu().pc(), m->cpu().pc());
  // The screen comes back with the machine: the boot log's end and the prompt.
  EXPECT_EQ(restored->console_tail(), m->console_tail());
  EXPECT_NE(restored->console_tail().find("~ # "), std::string::npos);
  EXPECT_LE(restored->console_tail().size(), kConsoleTailBytes);
  EXPECT_EQ(differences(save(*restored), snapshot), "");

  for (auto [machine, h] : {std::pair{m.get(), &host}, std::pair{restored.get(), &host2}}) {
    h->output.clear();
    h->type("echo snap$((6*7))\n");
    ASSERT_TRUE(run_until(*machine, *h, "snap42", 50'000'000)) << h->output;
    machine->run(2'000'000);
  }
  EXPECT_EQ(host2.output, host.output);
  EXPECT_EQ(restored->total_steps(), m->total_steps());
  EXPECT_EQ(differences(save(*restored), save(*m)), "");
}

TEST(Snapshot, BareMetalGuestFinishesTheSameAfterARestore) {
  TestHost host;
  auto m = bare_metal(host, "test_interrupts.elf");
  m->run(20'000);
  const std::vector<uint8_t> snapshot = save(*m);
  std::string error;
  TestHost host2;
  host2.output = host.output;
  auto restored = Machine::from_snapshot(snapshot, MachineConfig{}, host2, error);
  ASSERT_TRUE(restored) << error;
  for (Machine* machine : {m.get(), restored.get()}) {
    for (int i = 0; i < 1000 && !machine->exited(); ++i) machine->run(100'000);
    ASSERT_TRUE(machine->exited());
  }
  EXPECT_EQ(restored->exit_code(), 0);
  EXPECT_EQ(restored->exit_code(), m->exit_code());
  EXPECT_EQ(restored->total_steps(), m->total_steps());
  EXPECT_EQ(host2.output, host.output);
}

TEST(Snapshot, ResetAfterARestoreBootsTheSameImages) {
  TestHost host;
  auto m = bare_metal(host, "test_uart_hello.elf");
  m->run(5'000);
  std::string error;
  TestHost host2;
  auto restored = Machine::from_snapshot(save(*m), MachineConfig{}, host2, error);
  ASSERT_TRUE(restored) << error;
  m->reset();
  restored->reset();
  host.output.clear();
  for (Machine* machine : {m.get(), restored.get()}) {
    for (int i = 0; i < 100 && !machine->exited(); ++i) machine->run(100'000);
    EXPECT_TRUE(machine->exited());
  }
  EXPECT_FALSE(host.output.empty());
  EXPECT_EQ(host2.output, host.output);
}

TEST(Snapshot, EveryTruncationAndEveryFlippedByteIsRefused) {
  TestHost host;
  auto m = bare_metal(host, "test_uart_hello.elf");
  m->run(3'000);
  const std::vector<uint8_t> snapshot = save(*m);
  ASSERT_GT(snapshot.size(), 100u);
  for (size_t n = 0; n < snapshot.size(); ++n) {
    std::string error;
    TestHost h;
    EXPECT_FALSE(Machine::from_snapshot(std::span(snapshot).first(n), {}, h, error)) << n;
    EXPECT_FALSE(error.empty());
  }
  for (size_t i = 0; i < snapshot.size(); i += 7) {
    std::vector<uint8_t> bad = snapshot;
    bad[i] ^= 0x20;
    std::string error;
    TestHost h;
    EXPECT_FALSE(Machine::from_snapshot(bad, {}, h, error)) << i;
    EXPECT_FALSE(error.empty());
  }
}

/// Rebuilds `snapshot` with section `name`'s payload changed by `edit`: a file whose checksum
/// and compression are fine but whose contents are not.
std::vector<uint8_t> rewrite(const std::vector<uint8_t>& snapshot, const std::string& name,
                             const std::function<void(std::vector<uint8_t>&)>& edit) {
  return testing::rewrite_section(snapshot, name, edit);
}

TEST(Snapshot, SectionsThatAreShortLongOrImpossibleAreRefusedByName) {
  TestHost host;
  auto m = bare_metal(host, "test_uart_hello.elf");
  m->run(3'000);
  // A page of RAM the program's image does not hold, so that the section carries one.
  const uint32_t word = 0x5eed1e55;
  m->cpu_as().write(virt::kDramBase + (512 << 10), &word, sizeof(word));
  const std::vector<uint8_t> snapshot = save(*m);
  SnapshotFile file;
  std::string error;
  ASSERT_TRUE(file.open(snapshot, error)) << error;
  ASSERT_GE(file.sections().size(), 8u);
  auto refused = [](const std::vector<uint8_t>& bytes) {
    std::string why;
    TestHost h;
    EXPECT_FALSE(Machine::from_snapshot(bytes, {}, h, why));
    return why;
  };
  // Unchanged, the rewrite loads (so that what follows tests the edits).
  {
    TestHost h;
    EXPECT_TRUE(Machine::from_snapshot(rewrite(snapshot, "", {}), {}, h, error)) << error;
  }
  for (const SnapshotFile::Entry& e : file.sections()) {
    SCOPED_TRACE(e.name);
    if (e.unpacked > 0) {
      EXPECT_NE(refused(rewrite(snapshot, e.name, [](auto& p) { p.pop_back(); })).find(e.name),
                std::string::npos);
    }
    EXPECT_NE(refused(rewrite(snapshot, e.name, [](auto& p) { p.push_back(0); })).find(e.name),
              std::string::npos);
  }
  // The hart in privilege level 2 (reserved), and an mstatus.MPP no hart can hold.
  const size_t priv_offset = 31 * 8 + 8;
  EXPECT_NE(
      refused(rewrite(snapshot, "hart0", [&](auto& p) { p[priv_offset] = 2; })).find("privilege"),
      std::string::npos);
  // A RAM size other than the configuration's.
  EXPECT_NE(refused(rewrite(snapshot, "ram", [](auto& p) { p[0] ^= 1; })).find("ram"),
            std::string::npos);
  // An image outside RAM.
  const std::string config_error =
      refused(rewrite(snapshot, "config", [](auto& p) { p[0] = 0x01; }));  // RAM size not 4K
  EXPECT_NE(config_error.find("memory size"), std::string::npos) << config_error;
}

TEST(Snapshot, FormatChecksComeFirst) {
  std::string error;
  TestHost h;
  const std::vector<uint8_t> junk(64, 'x');
  EXPECT_FALSE(Machine::from_snapshot(junk, {}, h, error));
  EXPECT_NE(error.find("not a GlassVM snapshot"), std::string::npos) << error;

  SnapshotWriter w;
  w.add("config", 1, std::vector<uint8_t>(16));
  std::vector<uint8_t> file = w.finish();
  file[8] = 2;  // format version 2, checksum fixed up
  const uint32_t crc = crc32_of(std::span(file).first(file.size() - 4));
  for (int i = 0; i < 4; ++i) file[file.size() - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
  EXPECT_FALSE(Machine::from_snapshot(file, {}, h, error));
  EXPECT_NE(error.find("version 2"), std::string::npos) << error;
}

TEST(Snapshot, AHugeClaimedSectionIsRefusedBeforeItIsUnpacked) {
  // A section that says it unpacks to 1 TiB: refused by its length, nothing allocated.
  SnapshotWriter w;
  w.add("config", 1, std::vector<uint8_t>(8));
  std::vector<uint8_t> file = w.finish();
  // The unpacked length sits after: magic 8, version 4, count 4, name length 1, "config" 6,
  // version 4, stored length 8.
  const size_t at = 8 + 4 + 4 + 1 + 6 + 4 + 8;
  file[at + 5] = 1;  // bit 40
  const uint32_t crc = crc32_of(std::span(file).first(file.size() - 4));
  for (int i = 0; i < 4; ++i) file[file.size() - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
  std::string error;
  TestHost h;
  EXPECT_FALSE(Machine::from_snapshot(file, {}, h, error));
  EXPECT_NE(error.find("more than"), std::string::npos) << error;
}

// A drive's contents are in the snapshot: the restored machine gets them in a disk of its own,
// the page takes it over, and what the original's guest writes later does not reach it.
TEST(Snapshot, DrivesComeBackWithTheirContents) {
  MemoryBlockStorage disk(std::vector<uint8_t>(3 * 4096 + 512));
  ASSERT_TRUE(disk.write(4096 + 7, std::vector<uint8_t>{1, 2, 3}));
  ASSERT_TRUE(disk.write(3 * 4096, std::vector<uint8_t>(512, 0xee)));  // the short last block
  MachineConfig config;
  config.ram_size = 1 << 20;
  config.devices = {"virtio-blk-device,drive=d0"};
  config.drives = {{"d0", &disk}};
  TestHost host;
  std::string error;
  auto m = Machine::create(config, host, error);
  ASSERT_TRUE(m) << error;
  const std::vector<uint8_t> snapshot = save(*m);
  SnapshotFile file;
  ASSERT_TRUE(file.open(snapshot, error)) << error;
  ASSERT_NE(file.find("drives"), nullptr);
  EXPECT_LT(file.find("drives")->unpacked, 2 * 4096u + 200) << "blocks of zeros cost nothing";

  ASSERT_TRUE(disk.write(0, std::vector<uint8_t>{9}));  // after the save: not in the snapshot
  auto restored = Machine::from_snapshot(snapshot, MachineConfig{}, host, error);
  ASSERT_TRUE(restored) << error;
  std::unique_ptr<MemoryBlockStorage> back = restored->take_restored_drive("d0");
  ASSERT_TRUE(back);
  std::vector<uint8_t> expected = disk.bytes();
  expected[0] = 0;
  EXPECT_EQ(back->bytes(), expected);
  EXPECT_TRUE(back->take_written_blocks().empty()) << "restoring is not the guest writing";
  EXPECT_EQ(restored->take_restored_drive("d0"), nullptr) << "handed over once";
  EXPECT_EQ(differences(save(*restored), snapshot), "");
  restored.reset();  // the machine goes first, then the disk it used

  // Blocks that do not match their bitmap are refused by name.
  TestHost h;
  EXPECT_FALSE(Machine::from_snapshot(rewrite(snapshot, "drives", [](auto& p) { p.pop_back(); }),
                                      {}, h, error));
  EXPECT_NE(error.find("drives"), std::string::npos) << error;
}

/// The "ram" section's page bitmaps: {saved pages, pages kept as reset left them}.
std::pair<size_t, size_t> ram_page_counts(const std::vector<uint8_t>& snapshot) {
  SnapshotFile file;
  SnapshotSection ram;
  std::string error;
  EXPECT_TRUE(file.open(snapshot, error) && file.unpack("ram", 1ull << 30, ram, error)) << error;
  EXPECT_EQ(ram.version, 2u);
  uint64_t pages = 0;
  std::memcpy(&pages, ram.payload.data(), 8);
  const size_t n = (pages + 7) / 8;
  size_t saved = 0, kept = 0;
  for (size_t i = 0; i < n; ++i) {
    saved += static_cast<size_t>(__builtin_popcount(ram.payload[8 + i]));
    kept += static_cast<size_t>(__builtin_popcount(ram.payload[8 + n + i]));
  }
  return {saved, kept};
}

// A page that holds what reset() put there (the images, the device tree) is not saved: the
// loader commits the images first. A page the guest changed is saved, and one it cleared
// comes back cleared.
TEST(Snapshot, PagesAsResetLeftThemAreNotSavedTwice) {
  TestHost host;
  auto m = bare_metal(host, "test_uart_hello.elf");
  const auto [saved, kept] = ram_page_counts(save(*m));
  EXPECT_EQ(saved, 0u);
  EXPECT_GT(kept, 1u);  // the program and the device tree

  const uint32_t word = 0x0badf00d;
  m->cpu_as().write(virt::kDramBase + 8, &word, sizeof(word));
  const std::vector<uint8_t> zeros(kPageSize);
  m->cpu_as().write(virt::kDramBase + kPageSize, zeros.data(), zeros.size());
  const std::vector<uint8_t> snapshot = save(*m);
  const auto [saved2, kept2] = ram_page_counts(snapshot);
  EXPECT_EQ(saved2, 1u);
  EXPECT_EQ(kept2, kept - 2);

  std::string error;
  auto restored = Machine::from_snapshot(snapshot, {}, host, error);
  ASSERT_TRUE(restored) << error;
  EXPECT_EQ(differences(save(*restored), snapshot), "");
  std::vector<uint8_t> a(2 * kPageSize), b(2 * kPageSize);
  m->cpu_as().read(virt::kDramBase, a.data(), a.size());
  restored->cpu_as().read(virt::kDramBase, b.data(), b.size());
  EXPECT_EQ(a, b);
  uint32_t got = 0;
  restored->cpu_as().read(virt::kDramBase + 8, &got, sizeof(got));
  EXPECT_EQ(got, word);
  EXPECT_TRUE(std::all_of(b.begin() + kPageSize, b.end(), [](uint8_t x) { return x == 0; }));

  // Both bits for one page: refused by name.
  TestHost h;
  auto both = rewrite(snapshot, "ram", [](std::vector<uint8_t>& p) {
    const size_t n = (p[0] | p[1] << 8) / 8;  // fewer than 65536 pages
    p[8 + n] |= 1;                            // page 0, saved, is marked kept as well
  });
  EXPECT_FALSE(Machine::from_snapshot(both, {}, h, error));
  EXPECT_NE(error.find("ram"), std::string::npos) << error;
}

// A segment with no bytes in the file (a .bss: memsz only) is part of what reset() leaves,
// and its pages are drawn without reading bytes it does not have (this once copied zero bytes
// from a null pointer, which UBSan reports): the machine hashes, saves and restores.
TEST(Snapshot, ASegmentOfZerosOnlyIsPartOfWhatResetLeft) {
  testing::ElfWriter elf;
  elf.segs.push_back({virt::kDramBase, virt::kDramBase, 4, {0x6f, 0x00, 0x00, 0x00}, 5});  // j .
  elf.segs.push_back({virt::kDramBase + 0x2000, virt::kDramBase + 0x2000, 0x1800, {}, 6});
  TestHost host;
  MachineConfig config;
  config.ram_size = 1 << 20;
  std::string error;
  auto m = Machine::create(config, host, error);
  ASSERT_TRUE(m) << error;
  ASSERT_TRUE(m->load_kernel(elf.build(), "bss.elf", error)) << error;
  const uint64_t hash = m->state_hash();
  const std::vector<uint8_t> snapshot = save(*m);
  auto restored = Machine::from_snapshot(snapshot, {}, host, error);
  ASSERT_TRUE(restored) << error;
  EXPECT_EQ(restored->state_hash(), hash);
}

// A version 1 "ram" section (every page that is not zero saved, no second bitmap) still loads.
TEST(Snapshot, RamSectionVersionOneStillLoads) {
  TestHost host;
  auto m = bare_metal(host, "test_uart_hello.elf");
  m->run(3'000);
  const std::vector<uint8_t> snapshot = save(*m);
  SnapshotFile file;
  std::string error;
  ASSERT_TRUE(file.open(snapshot, error)) << error;
  SnapshotWriter old;
  for (const SnapshotFile::Entry& e : file.sections()) {
    SnapshotSection s;
    ASSERT_TRUE(file.unpack(e.name, 1ull << 30, s, error)) << error;
    if (e.name != "ram") {
      old.add(s.name, s.version, s.payload);
      continue;
    }
    const uint64_t pages = (1 << 20) / kPageSize;
    StateWriter v1;
    v1.u64(pages);
    std::vector<uint8_t> bitmap(pages / 8), page(kPageSize), data;
    for (uint64_t i = 0; i < pages; ++i) {
      m->cpu_as().read(virt::kDramBase + i * kPageSize, page.data(), page.size());
      if (std::all_of(page.begin(), page.end(), [](uint8_t x) { return x == 0; })) continue;
      bitmap[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
      data.insert(data.end(), page.begin(), page.end());
    }
    v1.bytes(bitmap);
    v1.bytes(data);
    old.add("ram", 1, v1.data());
  }
  auto restored = Machine::from_snapshot(old.finish(), {}, host, error);
  ASSERT_TRUE(restored) << error;
  EXPECT_EQ(differences(save(*restored), snapshot), "");
}

/// `bytes` held as the page holds a worker's sections: copied out on request, each copy
/// counted in `*copies` when given.
HeldBytes hold(const std::vector<uint8_t>& bytes, int* copies = nullptr) {
  return {bytes.size(), [&bytes, copies](uint64_t offset, std::span<uint8_t> out) {
            EXPECT_LE(offset + out.size(), bytes.size());
            std::copy_n(bytes.begin() + static_cast<ptrdiff_t>(offset), out.size(), out.begin());
            if (copies) ++*copies;
            return true;
          }};
}

// A reader of held bytes reads what a reader of the same bytes in memory reads, copying each
// large piece out once, and fails the same way past the end.
TEST(Snapshot, AReaderOfHeldBytesReadsWhatOneOfTheBytesInMemoryReads) {
  StateWriter w;
  w.u8(7);
  w.u32(0xdeadbeef);
  w.boolean(true);
  w.blob(std::vector<uint8_t>(5000, 0xab));
  w.bytes(std::vector<uint8_t>{1, 2, 3});
  w.u64(0x0123456789abcdefull);
  const std::vector<uint8_t> bytes = w.data();
  int copies = 0;
  const HeldBytes held = hold(bytes, &copies);
  StateReader in_memory(bytes, "x"), from_held(held, "x");
  for (StateReader* r : {&in_memory, &from_held}) {
    EXPECT_EQ(r->u8(), 7);
    EXPECT_EQ(r->u32(), 0xdeadbeefu);
    EXPECT_TRUE(r->boolean());
    EXPECT_EQ(r->blob(1 << 20), std::vector<uint8_t>(5000, 0xab));
    const auto three = r->bytes(3);
    uint8_t last[8] = {};
    EXPECT_TRUE(r->read_into(last));
    EXPECT_EQ(std::vector<uint8_t>(three.begin(), three.end()), (std::vector<uint8_t>{1, 2, 3}));
    EXPECT_EQ(last[0], 0xef);
    EXPECT_EQ(last[7], 0x01);
    EXPECT_TRUE(r->finish()) << r->error();
    EXPECT_EQ(r->u8(), 0);
    EXPECT_FALSE(r->ok());
    EXPECT_NE(r->error().find("ends early"), std::string::npos) << r->error();
  }
  // u8, u32, boolean, the blob's length and the blob, the three bytes, the last eight: one
  // copy each (none for the read past the end).
  EXPECT_EQ(copies, 7);
  // A host that cannot copy fails the reader.
  const HeldBytes broken{bytes.size(), [](uint64_t, std::span<uint8_t>) { return false; }};
  StateReader r(broken, "x");
  r.u8();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error().find("could not be read"), std::string::npos) << r.error();
}

// Sections unpacked beforehand and held (the page's worker does it) are used in place of
// inflating; one of the wrong length is ignored, and the file's own checks still apply.
TEST(Snapshot, SectionsUnpackedBeforehandAreUsed) {
  TestHost host;
  auto m = bare_metal(host, "test_uart_hello.elf");
  m->run(3'000);
  // A page of RAM the program's image does not hold, so that the section carries one.
  const uint32_t word = 0x5eed1e55;
  m->cpu_as().write(virt::kDramBase + (512 << 10), &word, sizeof(word));
  const std::vector<uint8_t> snapshot = save(*m);
  SnapshotFile file;
  std::string error;
  ASSERT_TRUE(file.open(snapshot, error)) << error;
  SnapshotSection ram, boot;
  ASSERT_TRUE(file.unpack("ram", 1ull << 30, ram, error)) << error;
  ASSERT_TRUE(file.unpack("boot", 1ull << 30, boot, error)) << error;

  // The same bytes: the same machine, each section's bytes read from where they are held.
  int ram_copies = 0, boot_copies = 0;
  SnapshotFile::Prepared same = {.sections = {{"ram", hold(ram.payload, &ram_copies)},
                                              {"boot", hold(boot.payload, &boot_copies)}}};
  auto a = Machine::from_snapshot(snapshot, {}, host, error, &same);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(differences(save(*a), snapshot), "");
  EXPECT_GT(ram_copies, 0);
  EXPECT_GT(boot_copies, 0);
  // Other bytes of the right length are what the machine gets: used, not inflated.
  std::vector<uint8_t> changed = ram.payload;
  changed.back() ^= 0x5a;
  SnapshotFile::Prepared other = {.sections = {{"ram", hold(changed)}}};
  auto b = Machine::from_snapshot(snapshot, {}, host, error, &other);
  ASSERT_TRUE(b) << error;
  EXPECT_EQ(differences(save(*b), snapshot),
            "ram (byte " + std::to_string(changed.size() - 1) + ") ");
  // A length other than the section's: ignored, the section is inflated.
  std::vector<uint8_t> shorter(ram.payload.begin(), ram.payload.end() - 1);
  SnapshotFile::Prepared wrong = {.sections = {{"ram", hold(shorter)}}};
  auto c = Machine::from_snapshot(snapshot, {}, host, error, &wrong);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(differences(save(*c), snapshot), "");
  // Held bytes that cannot be read: the machine is not made, and the message says which.
  SnapshotFile::Prepared lost = {
      .sections = {
          {"ram", {ram.payload.size(), [](uint64_t, std::span<uint8_t>) { return false; }}}}};
  EXPECT_FALSE(Machine::from_snapshot(snapshot, {}, host, error, &lost));
  EXPECT_NE(error.find("section ram: its bytes could not be read"), std::string::npos) << error;
  // A damaged file is refused whatever was unpacked.
  std::vector<uint8_t> damaged = snapshot;
  damaged[damaged.size() / 2] ^= 1;
  EXPECT_FALSE(Machine::from_snapshot(damaged, {}, host, error, &same));
}

// A body CRC computed beforehand (the page's worker does it while the file arrives) stands in
// for computing it: the right one loads, a wrong one is refused as damage.
TEST(Snapshot, ABodyCrcComputedBeforehandIsComparedWithTheTrailer) {
  TestHost host;
  auto m = bare_metal(host, "test_uart_hello.elf");
  m->run(3'000);
  const std::vector<uint8_t> snapshot = save(*m);
  const auto body = std::span<const uint8_t>(snapshot).first(snapshot.size() - 4);
  std::string error;
  SnapshotFile::Prepared right = {.body_crc = crc32_of(body)};
  auto a = Machine::from_snapshot(snapshot, {}, host, error, &right);
  ASSERT_TRUE(a) << error;
  EXPECT_EQ(differences(save(*a), snapshot), "");
  SnapshotFile::Prepared wrong = {.body_crc = crc32_of(body) ^ 1};
  EXPECT_FALSE(Machine::from_snapshot(snapshot, {}, host, error, &wrong));
  EXPECT_NE(error.find("checksum"), std::string::npos) << error;
}

TEST(Snapshot, AMachineWithADeviceThatCannotBeSavedSaysWhich) {
  DeviceRegistry registry;
  register_builtin_devices(registry);
  DeviceModel model;
  model.name = "stateless-test";
  model.bus = "System";
  model.description = "a device without snapshot support";
  model.create = [](BoardContext&, const DeviceOptions&, std::string&) {
    return std::make_unique<Device>();
  };
  registry.add(std::move(model));
  MachineConfig config;
  config.ram_size = 1 << 20;
  config.registry = &registry;
  config.devices = {"stateless-test"};
  TestHost host;
  std::string error;
  auto m = Machine::create(config, host, error);
  ASSERT_TRUE(m) << error;
  std::vector<uint8_t> out;
  EXPECT_FALSE(m->save_snapshot(out, error));
  EXPECT_NE(error.find("stateless-test"), std::string::npos) << error;
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace glassvm
