// ui::App's share links: a session typed into one App, shared, and opened in another App
// replays to the sender's state; what a link cannot reproduce is refused with a message.
#include <gtest/gtest.h>

#include "engine/base/snapshot.h"
#include "tests/support/test_host.h"
#include "tests/ui/guest_files.h"
#include "ui/app.h"

namespace glassvm::ui {
namespace {

struct Page {
  testing::TestHost host;
  App app{host};
  double now_ms = 0;

  bool run_until_output(const std::string& text, int frames = 400) {
    for (int i = 0; i < frames; ++i) {
      app.run_slice(app.next_budget_ms(), now_ms += 16);
      if (host.output.find(text) != std::string::npos) return true;
    }
    return false;
  }
};

void load(Page& page, const std::string& name, bool bundled) {
  std::string error;
  ASSERT_TRUE(page.app.load_guest(testing::read_guest(name), name, error)) << error;
  if (bundled) page.app.mark_guest_bundled();
}

/// A session on the demo guest: commands typed, one of them while it computes.
MachineLink typed_session(Page& sender, bool bundled) {
  load(sender, "demo.elf", bundled);
  EXPECT_TRUE(sender.run_until_output("glassvm> "));
  sender.host.type("ticks\r");
  EXPECT_TRUE(sender.run_until_output("UART interrupts"));
  sender.host.type("bench\r");
  sender.app.run_slice(1, sender.now_ms += 16);
  sender.host.type("echo from the sender\r");
  EXPECT_TRUE(sender.run_until_output("from the sender\r\n") ||
              sender.run_until_output("from the sender\n"));
  MachineLink link;
  std::string error;
  EXPECT_TRUE(sender.app.share_link(link, error)) << error;
  return link;
}

TEST(AppLink, AnOpenedLinkReplaysToTheSendersState) {
  for (bool bundled : {true, false}) {
    Page sender;
    const MachineLink sent = typed_session(sender, bundled);
    EXPECT_EQ(sent.guest, bundled ? "demo.elf" : "");
    EXPECT_EQ(sent.program.empty(), bundled);
    EXPECT_GE(sent.input.events.size(), 3u);
    // Through the text form, as a URL would carry it.
    MachineLink link;
    std::string error;
    ASSERT_TRUE(decode_link_text("http://x/#link=" + encode_link_text(sent), link, error)) << error;

    Page receiver;
    GuestImage image;
    if (bundled) image.kernel = testing::read_guest("demo.elf");
    ASSERT_TRUE(receiver.app.open_link(link, image, {}, error)) << error;
    EXPECT_NE(receiver.app.replay_json().find("\"playing\":true"), std::string::npos);
    receiver.host.type("typed during the replay\r");  // dropped: the session is the sender's
    for (int i = 0; i < 400 && !receiver.app.replay_status().finished; ++i)
      receiver.app.run_slice(receiver.app.next_budget_ms(), receiver.now_ms += 16);
    const App::ReplayStatus& r = receiver.app.replay_status();
    ASSERT_TRUE(r.finished);
    EXPECT_TRUE(r.matched) << receiver.app.replay_json();
    EXPECT_EQ(receiver.app.machine().guest_ns(), sent.end_ns);
    EXPECT_EQ(receiver.host.output, sender.host.output);
    EXPECT_NE(receiver.app.messages().back().find("exactly the sender's state"), std::string::npos);
    // The receiver takes over, and can share the longer session in turn.
    receiver.host.type("echo from the receiver\r");
    ASSERT_TRUE(receiver.run_until_output("from the receiver\r\n") ||
                receiver.run_until_output("from the receiver\n"));
    MachineLink again;
    ASSERT_TRUE(receiver.app.share_link(again, error)) << error;
    EXPECT_EQ(again.input.events.size() > sent.input.events.size(), true);
  }
}

TEST(AppLink, OpeningALinkWithOtherFilesKeepsTheRunningMachine) {
  Page sender;
  const MachineLink link = typed_session(sender, true);
  Page receiver;
  load(receiver, "bench.elf", true);
  const Machine* before = &receiver.app.machine();
  GuestImage other;
  other.kernel = testing::read_guest("bench.elf");
  std::string error;
  EXPECT_FALSE(receiver.app.open_link(link, other, {}, error));
  EXPECT_NE(error.find("made with another demo.elf"), std::string::npos) << error;
  EXPECT_EQ(&receiver.app.machine(), before);
  EXPECT_EQ(receiver.app.guest_name(), "bench.elf");

  MachineLink bad_ram = link;
  bad_ram.ram_mib = 1 << 20;
  GuestImage demo;
  demo.kernel = testing::read_guest("demo.elf");
  EXPECT_FALSE(receiver.app.open_link(bad_ram, demo, {}, error));
  EXPECT_EQ(&receiver.app.machine(), before);
  MachineLink bad_device = link;
  bad_device.devices = {"no-such-device"};
  EXPECT_FALSE(receiver.app.open_link(bad_device, demo, {}, error));
  EXPECT_EQ(&receiver.app.machine(), before);
  EXPECT_EQ(receiver.app.devices().size(), 0u);
}

TEST(AppLink, RefusesToShareWhatALinkCannotReproduce) {
  Page page;
  MachineLink link;
  std::string error;
  EXPECT_FALSE(page.app.share_link(link, error));
  EXPECT_NE(error.find("no guest"), std::string::npos) << error;

  // A program booted with a kernel command line, which a link does not carry.
  ASSERT_TRUE(page.app.load_guest(GuestImage{testing::read_guest("demo.elf"), {}, "quiet"},
                                  "demo.elf", error))
      << error;
  EXPECT_FALSE(page.app.share_link(link, error));
  EXPECT_NE(error.find("command line"), std::string::npos) << error;

  // A disk that held data when the machine started.
  load(page, "demo.elf", true);
  std::vector<uint8_t> disk(1 << 20);
  disk[100] = 1;
  ASSERT_TRUE(page.app.set_disk(disk, "data.img", error)) << error;
  EXPECT_FALSE(page.app.share_link(link, error));
  EXPECT_NE(error.find("blank disk only"), std::string::npos) << error;
  ASSERT_TRUE(page.app.set_blank_disk(2, error)) << error;
  ASSERT_TRUE(page.app.share_link(link, error)) << error;
  EXPECT_EQ(link.disk_mib, 2u);

  // A snapshot file of the user's own.
  std::vector<uint8_t> snap;
  ASSERT_TRUE(page.app.save_snapshot(snap, error)) << error;
  ASSERT_TRUE(page.app.load_snapshot(snap, "mine.snap", error)) << error;
  EXPECT_FALSE(page.app.share_link(link, error));
  EXPECT_NE(error.find("snapshot file"), std::string::npos) << error;

  // A bundled snapshot (as the page's Linux starts), then reset: a reboot of the snapshot's
  // images in a machine whose RAM keeps what it held, which no link reproduces.
  ASSERT_TRUE(page.app.load_snapshot(snap, "demo.elf", error)) << error;
  page.app.mark_guest_bundled();
  ASSERT_TRUE(page.app.share_link(link, error)) << error;
  EXPECT_EQ(link.start, MachineLink::Start::Snapshot);
  EXPECT_EQ(link.guest_crc, crc32_of(snap));
  page.app.reset();
  EXPECT_FALSE(page.app.share_link(link, error));
  EXPECT_NE(error.find("reset after starting from a snapshot"), std::string::npos) << error;
}

// The page keeps a disk's writes: App hands over the blocks written since the last call.
TEST(AppDisk, TakeDiskChangesGivesTheWrittenBlocksOnce) {
  Page page;
  std::string error;
  EXPECT_TRUE(page.app.take_disk_changes().empty());
  ASSERT_TRUE(page.app.set_blank_disk(1, error)) << error;
  EXPECT_TRUE(page.app.take_disk_changes().empty());
  // What a guest's virtio-blk writes reach: the App's storage (the same object the machine has).
  auto* disk = const_cast<MemoryBlockStorage*>(page.app.disk());
  ASSERT_TRUE(disk->write(8192 + 10, std::vector<uint8_t>{1, 2, 3}));
  const std::vector<uint8_t> records = page.app.take_disk_changes();
  ASSERT_EQ(records.size(), 12u + 4096u);
  EXPECT_EQ(records[0] | records[1] << 8, 8192);
  EXPECT_EQ(records[8] | records[9] << 8, 4096);
  EXPECT_EQ(records[12 + 10], 1);
  EXPECT_EQ(records[12 + 12], 3);
  EXPECT_TRUE(page.app.take_disk_changes().empty());
}

// A snapshot of a machine with a disk brings the disk back, with what was written to it.
TEST(AppDisk, ASnapshotCarriesTheDisk) {
  Page page;
  load(page, "demo.elf", true);
  std::string error;
  ASSERT_TRUE(page.app.set_blank_disk(1, error)) << error;
  auto* disk = const_cast<MemoryBlockStorage*>(page.app.disk());
  ASSERT_TRUE(disk->write(512, std::vector<uint8_t>{7, 7, 7}));
  std::vector<uint8_t> snap;
  ASSERT_TRUE(page.app.save_snapshot(snap, error)) << error;

  Page other;
  load(other, "bench.elf", true);
  ASSERT_TRUE(other.app.load_snapshot(snap, "with-disk.snap", error)) << error;
  ASSERT_NE(other.app.disk(), nullptr);
  EXPECT_EQ(other.app.disk()->bytes(), disk->bytes());
  EXPECT_NE(other.app.disk_json().find("with-disk.snap"), std::string::npos);
  for (int i = 0; i < 20; ++i) other.app.run_slice(5, other.now_ms += 16);  // it runs on it
}

TEST(AppLink, TooMuchInputEndsTheRecording) {
  Page page;
  load(page, "demo.elf", true);
  page.host.type(std::string(300 << 10, 'x'));
  for (int i = 0; i < 100000 && !page.host.input.empty(); ++i)
    page.app.run_slice(page.app.next_budget_ms(), page.now_ms += 16);
  MachineLink link;
  std::string error;
  EXPECT_FALSE(page.app.share_link(link, error));
  EXPECT_NE(error.find("more than a link carries"), std::string::npos) << error;
}

}  // namespace
}  // namespace glassvm::ui
