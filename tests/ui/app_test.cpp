// ui::App end to end with real guests: loading, running in slices, input, pause/step,
// breakpoints, memory size, reset, bad images, the disk, and headless ImGui frames of every
// panel.
#include "ui/app.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "imgui.h"
#include "iommu/iommu_devices.h"
#include "tests/support/test_host.h"
#include "tests/ui/guest_files.h"
#include "tests/ui/imgui_frames.h"
#include "ui/cpu_view.h"

namespace glassvm::ui {
namespace {

class AppTest : public ::testing::Test {
 protected:
  void load(const std::string& name) {
    const std::vector<uint8_t> elf = testing::read_guest(name);
    ASSERT_FALSE(elf.empty()) << name;
    std::string error;
    ASSERT_TRUE(app.load_guest(elf, name, error)) << error;
    EXPECT_EQ(error, "");
  }
  /// Runs frames (the fake clock never moves, so each slice is bounded by its instruction cap)
  /// until `text` appears in the console or `frames` have passed.
  bool run_until_output(const std::string& text, int frames = 400) {
    for (int i = 0; i < frames; ++i) {
      app.run_slice(app.next_budget_ms(), now_ms += 16);
      if (host.output.find(text) != std::string::npos) return true;
    }
    return false;
  }
  testing::TestHost host;
  App app{host};
  double now_ms = 0;
};

TEST_F(AppTest, StartsWithoutAGuest) {
  EXPECT_EQ(app.guest_name(), "");
  EXPECT_EQ(app.ram_mib(), 128u);
  EXPECT_EQ(app.machine().config().ram_size, 128ull << 20);
  EXPECT_EQ(app.state_json(),
            "{\"running\":false,\"paused\":false,\"exited\":false,\"exitCode\":0,\"guest\":\"\","
            "\"ramMiB\":128}");
  app.run_slice(10, 16);
  EXPECT_EQ(app.machine().total_instructions(), 0u);
  app.step();  // nothing to step
  EXPECT_EQ(app.machine().total_instructions(), 0u);
}

TEST_F(AppTest, DemoPrintsItsBannerAndAnswersInput) {
  load("demo.elf");
  EXPECT_NE(app.state_json().find("\"running\":true"), std::string::npos);
  EXPECT_NE(app.state_json().find("\"guest\":\"demo.elf\""), std::string::npos);
  ASSERT_TRUE(run_until_output("glassvm> ")) << host.output;
  EXPECT_NE(host.output.find("GlassVM"), std::string::npos);
  // Waiting for input: idle, and the instruction count stops moving.
  app.run_slice(10, now_ms += 16);
  EXPECT_EQ(app.status(), "idle: waiting for input");
  EXPECT_TRUE(app.waiting_for_input());
  const uint64_t idle_count = app.machine().total_instructions();
  app.run_slice(10, now_ms += 16);
  EXPECT_EQ(app.machine().total_instructions(), idle_count);
  host.type("echo hello ui\r");
  ASSERT_TRUE(run_until_output("hello ui\nglassvm> ") || run_until_output("hello ui\r\nglassvm> "))
      << host.output;
  EXPECT_GT(app.ips(), 0);
  // poweroff ends the guest with a message.
  host.type("poweroff\r");
  for (int i = 0; i < 100 && !app.machine().exited(); ++i) app.run_slice(10, now_ms += 16);
  ASSERT_TRUE(app.machine().exited());
  EXPECT_EQ(app.machine().exit_code(), 0);
  EXPECT_NE(app.state_json().find("\"exited\":true"), std::string::npos);
  EXPECT_NE(app.state_json().find("\"running\":false"), std::string::npos);
  EXPECT_EQ(app.messages().back(), "demo.elf exited with code 0");
  // Reset boots it again.
  app.reset();
  EXPECT_FALSE(app.machine().exited());
  host.output.clear();
  EXPECT_TRUE(run_until_output("glassvm> "));
}

TEST_F(AppTest, PauseStopsTheGuestAndStepRunsOneInstruction) {
  load("bench.elf");
  for (int i = 0; i < 5; ++i) app.run_slice(10, now_ms += 16);
  app.pause();
  EXPECT_TRUE(app.paused());
  EXPECT_NE(app.state_json().find("\"paused\":true"), std::string::npos);
  const uint64_t count = app.machine().total_instructions();
  ASSERT_GT(count, 0u);
  for (int i = 0; i < 5; ++i) app.run_slice(10, now_ms += 16);
  EXPECT_EQ(app.machine().total_instructions(), count);
  EXPECT_EQ(app.status(), "paused");
  const uint64_t pc = app.machine().cpu().pc();
  app.step();
  EXPECT_EQ(app.machine().total_instructions(), count + 1);
  EXPECT_NE(app.machine().cpu().pc(), pc);
  app.resume();
  app.run_slice(10, now_ms += 16);
  EXPECT_GT(app.machine().total_instructions(), count + 1);
  // Stepping while running does nothing.
  const uint64_t running = app.machine().total_instructions();
  app.step();
  EXPECT_EQ(app.machine().total_instructions(), running);
}

TEST_F(AppTest, BreakpointPausesWithAMessageAndResumeContinues) {
  load("bench.elf");
  for (int i = 0; i < 3; ++i) app.run_slice(10, now_ms += 16);
  // The benchmark loops: a breakpoint at the current pc is hit again.
  const uint64_t pc = app.machine().cpu().pc();
  app.machine().add_breakpoint(pc);
  for (int i = 0; i < 20 && !app.paused(); ++i) app.run_slice(10, now_ms += 16);
  ASSERT_TRUE(app.paused());
  EXPECT_EQ(app.machine().cpu().pc(), pc);
  char expected[64];
  std::snprintf(expected, sizeof expected, "Breakpoint at 0x%016llx",
                static_cast<unsigned long long>(pc));
  EXPECT_EQ(app.messages().back(), expected);
  const uint64_t count = app.machine().total_instructions();
  app.resume();
  app.run_slice(10, now_ms += 16);
  EXPECT_TRUE(app.paused());  // around the loop and back to the breakpoint
  EXPECT_GT(app.machine().total_instructions(), count);
  // The same guest at another memory size keeps its breakpoints.
  app.set_ram_mib(64);
  EXPECT_EQ(app.machine().breakpoints().count(pc), 1u);
  app.machine().remove_breakpoint(pc);
}

TEST_F(AppTest, BadImagesGiveMessagesAndKeepTheMachine) {
  load("demo.elf");
  ASSERT_TRUE(run_until_output("glassvm> "));
  const uint64_t count = app.machine().total_instructions();
  const Machine* before = &app.machine();
  std::string error;
  const std::vector<uint8_t> junk = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_FALSE(app.load_guest(junk, "notes.txt", error));
  EXPECT_NE(error.find("notes.txt"), std::string::npos) << error;
  EXPECT_EQ(app.messages().back(), error);
  EXPECT_FALSE(app.load_guest(std::span<const uint8_t>{}, "empty.elf", error));
  EXPECT_NE(error.find("empty.elf"), std::string::npos);
  EXPECT_EQ(&app.machine(), before);
  EXPECT_EQ(app.machine().total_instructions(), count);
  EXPECT_EQ(app.guest_name(), "demo.elf");
  // The machine still answers.
  host.type("echo still here\r");
  EXPECT_TRUE(run_until_output("still here"));
  // A truncated ELF is not a crash either.
  std::vector<uint8_t> truncated = testing::read_guest("demo.elf");
  truncated.resize(100);
  EXPECT_FALSE(app.load_guest(truncated, "cut.elf", error));
  EXPECT_EQ(app.guest_name(), "demo.elf");
}

TEST_F(AppTest, MemorySizeRebuildsTheMachineAndRejectsBadSizes) {
  load("demo.elf");
  app.set_ram_mib(64);
  EXPECT_EQ(app.ram_mib(), 64u);
  EXPECT_EQ(app.machine().config().ram_size, 64ull << 20);
  EXPECT_NE(app.memory_map_json().find("\"end\":\"0x0000000083ffffff\""), std::string::npos)
      << app.memory_map_json();
  EXPECT_NE(app.state_json().find("\"ramMiB\":64"), std::string::npos);
  EXPECT_TRUE(run_until_output("glassvm> "));  // the guest was reloaded
  const size_t messages = app.messages().size();
  app.set_ram_mib(0);
  app.set_ram_mib(kMaxRamMib + 1);
  EXPECT_EQ(app.messages().size(), messages + 2);
  EXPECT_EQ(app.ram_mib(), 64u);
}

TEST_F(AppTest, DevicesRebuildTheMachineAndBadOnesKeepIt) {
  load("demo.elf");
  std::string error;
  ASSERT_TRUE(app.set_devices({"ns16550a,addr=0x10009000,irq=12"}, error)) << error;
  EXPECT_EQ(app.devices(), std::vector<std::string>{"ns16550a,addr=0x10009000,irq=12"});
  EXPECT_NE(app.machine().info_mtree(true).find("0000000010009000-0000000010009007"),
            std::string::npos);
  EXPECT_TRUE(run_until_output("glassvm> "));  // the guest was reloaded
  // A later rebuild (reset, memory size) keeps the list.
  app.reset();
  EXPECT_NE(app.machine().info_mtree(true).find("0000000010009000"), std::string::npos);

  const size_t messages = app.messages().size();
  EXPECT_FALSE(app.set_devices({"nosuch"}, error));
  EXPECT_NE(error.find("unknown device 'nosuch'"), std::string::npos) << error;
  EXPECT_EQ(app.messages().size(), messages + 1);
  EXPECT_EQ(app.devices(), std::vector<std::string>{"ns16550a,addr=0x10009000,irq=12"});
  EXPECT_NE(app.machine().info_mtree(true).find("0000000010009000"), std::string::npos);

  ASSERT_TRUE(app.set_devices({}, error)) << error;
  EXPECT_EQ(app.machine().info_mtree(true).find("0000000010009000"), std::string::npos);
}

/// The address of the virtio-mmio slot whose DeviceID is 2 (a block device), read the way a
/// driver probes the slots (debug reads: no side effects); 0 when there is none.
uint64_t find_virtio_blk(Machine& machine) {
  for (unsigned slot = 0; slot < kVirtVirtioSlots; ++slot) {
    const uint64_t base = kVirtVirtioBase + slot * kVirtVirtioStride;
    uint32_t device_id = 0;
    machine.system_as().read(base + 0x8, &device_id, 4, MemTxAttrs{.debug = true});
    if (device_id == 2) return base;
  }
  return 0;
}

/// The capacity (in 512-byte sectors) the virtio-blk at `base` offers the driver.
uint64_t blk_capacity(Machine& machine, uint64_t base) {
  uint64_t sectors = 0;
  machine.system_as().read(base + 0x100, &sectors, 8, MemTxAttrs{.debug = true});
  return sectors;
}

TEST_F(AppTest, TheDiskReachesEachMachineAndSurvivesRebuilds) {
  load("demo.elf");
  EXPECT_EQ(find_virtio_blk(app.machine()), 0u);
  EXPECT_EQ(app.disk_json(),
            "{\"attached\":false,\"name\":\"\",\"bytes\":0,\"readOnly\":false,"
            "\"bytesWritten\":0}");
  std::vector<uint8_t> image(64 * 1024);
  for (size_t i = 0; i < image.size(); ++i) image[i] = static_cast<uint8_t>(i * 7);
  std::string error;
  const uint64_t epoch = app.machine_epoch();
  ASSERT_TRUE(app.set_disk(image, "student.img", error)) << error;
  EXPECT_GT(app.machine_epoch(), epoch);  // rebuilt
  EXPECT_EQ(app.guest_name(), "demo.elf");
  EXPECT_NE(app.messages().back().find("student.img"), std::string::npos);
  const uint64_t base = find_virtio_blk(app.machine());
  ASSERT_NE(base, 0u) << app.machine().info_mtree(false);
  EXPECT_EQ(blk_capacity(app.machine(), base), image.size() / 512);
  EXPECT_EQ(app.machine().config().drives.at(kDiskDriveId), app.disk());
  EXPECT_TRUE(run_until_output("glassvm> "));  // the guest was reloaded

  // What the guest writes (here: written through the storage, as the device does) is the
  // user's data: it survives a reset, a memory size change and a device change.
  MemoryBlockStorage* disk = const_cast<MemoryBlockStorage*>(app.disk());
  const std::vector<uint8_t> written = {'h', 'e', 'l', 'l', 'o'};
  ASSERT_TRUE(disk->write(4096, written));
  app.reset();
  app.set_ram_mib(64);
  ASSERT_TRUE(app.set_devices({"ns16550a,addr=0x10009000,irq=12"}, error)) << error;
  ASSERT_EQ(app.disk(), disk);
  EXPECT_EQ(app.machine().config().drives.at(kDiskDriveId), disk);
  EXPECT_NE(find_virtio_blk(app.machine()), 0u);
  EXPECT_TRUE(std::equal(written.begin(), written.end(), disk->bytes().begin() + 4096));
  EXPECT_EQ(disk->bytes()[0], image[0]);
  EXPECT_EQ(disk->bytes()[9999], image[9999]);
  EXPECT_NE(app.disk_json().find("\"bytes\":65536"), std::string::npos) << app.disk_json();
  EXPECT_NE(app.disk_json().find("\"bytesWritten\":5"), std::string::npos) << app.disk_json();
  EXPECT_NE(app.disk_json().find("\"name\":\"student.img\""), std::string::npos);

  // A bad device list keeps the machine and its disk.
  EXPECT_FALSE(app.set_devices({"nosuch"}, error));
  EXPECT_EQ(app.disk(), disk);
  EXPECT_NE(find_virtio_blk(app.machine()), 0u);

  // Removing it rebuilds the machine without it.
  app.remove_disk();
  EXPECT_EQ(app.disk(), nullptr);
  EXPECT_EQ(find_virtio_blk(app.machine()), 0u);
  EXPECT_EQ(app.machine().config().drives.count(kDiskDriveId), 0u);
  EXPECT_TRUE(run_until_output("glassvm> "));
}

TEST_F(AppTest, BadDiskSizesGiveMessagesAndKeepTheMachineAndDisk) {
  load("demo.elf");
  std::string error;
  ASSERT_TRUE(app.set_blank_disk(2, error)) << error;
  EXPECT_EQ(blk_capacity(app.machine(), find_virtio_blk(app.machine())), 2u * 2048);
  const MemoryBlockStorage* disk = app.disk();
  const uint64_t epoch = app.machine_epoch();
  const auto refused = [&](const std::string& expected) {
    EXPECT_NE(error.find(expected), std::string::npos) << error;
    EXPECT_EQ(app.messages().back(), error);
    EXPECT_EQ(app.disk(), disk);
    EXPECT_EQ(app.machine_epoch(), epoch);  // the machine was not replaced
  };
  EXPECT_FALSE(app.set_blank_disk(kMaxDiskMib + 1, error));
  refused("257 MiB is not supported: choose 1 to 256 MiB");
  EXPECT_FALSE(app.set_blank_disk(uint64_t{1} << 50, error));  // no overflow into a small size
  refused("choose 1 to 256 MiB");
  EXPECT_FALSE(app.set_blank_disk(0, error));
  refused("choose 1 to 256 MiB");
  EXPECT_FALSE(app.set_disk({}, "empty.img", error));
  refused("Disk empty.img: 0 bytes");
  EXPECT_FALSE(app.set_disk(std::vector<uint8_t>(1000), "odd.img", error));
  refused("not a whole number of 512-byte sectors");
  // (An image one sector past the limit is refused by the same check, without making one.)
  EXPECT_EQ(check_disk_bytes((uint64_t{kMaxDiskMib} << 20) + 512, "big.img"),
            "Disk big.img: 268435968 bytes is not supported: choose 512 bytes to 256 MiB.");
  EXPECT_EQ(check_disk_bytes(uint64_t{kMaxDiskMib} << 20, "max.img"), "");
  // The largest size is accepted.
  ASSERT_TRUE(app.set_blank_disk(kMaxDiskMib, error)) << error;
  EXPECT_EQ(app.disk()->size(), uint64_t{kMaxDiskMib} << 20);
}

/// A disk behind the RISC-V IOMMU, with the IOMMU models registered as the page does.
TEST_F(AppTest, TheDiskSitsBehindTheIommu) {
  register_iommu_devices(app.registry());
  std::string error;
  ASSERT_TRUE(app.set_blank_disk(1, error)) << error;
  ASSERT_TRUE(app.set_devices({"riscv-iommu-sys"}, error)) << error;
  const uint64_t base = find_virtio_blk(app.machine());
  ASSERT_NE(base, 0u);
  char name[64];
  std::snprintf(name, sizeof name, "virtio-mmio@%llx (behind riscv-iommu)",
                static_cast<unsigned long long>(base));
  EXPECT_NE(app.machine().info_mtree(false).find(name), std::string::npos)
      << app.machine().info_mtree(false);
}

TEST_F(AppTest, GuestSelectorUsesKeptImagesOrAsksTheEmbedder) {
  std::vector<std::string> fetched;
  app.choose_guest("bench.elf");  // no embedder hook: a message
  EXPECT_NE(app.messages().back().find("bench.elf"), std::string::npos);
  app.set_callbacks({[&](const std::string& name) { fetched.push_back(name); }, nullptr});
  app.choose_guest("bench.elf");
  ASSERT_EQ(fetched.size(), 1u);
  EXPECT_EQ(fetched[0], "bench.elf");
  load("bench.elf");
  load("demo.elf");
  app.choose_guest("bench.elf");  // kept: no download
  EXPECT_EQ(fetched.size(), 1u);
  EXPECT_EQ(app.guest_name(), "bench.elf");
  const std::vector<GuestChoice> choices = app.guests().choices();
  ASSERT_GE(choices.size(), 3u);
  EXPECT_EQ(choices[0].name, "linux");  // the page's default guest, first in the list
  EXPECT_FALSE(choices[0].cached);
  EXPECT_TRUE(choices[1].cached && choices[2].cached);
}

TEST_F(AppTest, JsonForTheJavaScriptApi) {
  load("demo.elf");
  app.run_slice(10, 16);
  const std::string regs = app.registers_json();
  EXPECT_EQ(regs.rfind("{\"pc\":\"0x", 0), 0u);
  EXPECT_NE(regs.find("\"priv\":\"M\""), std::string::npos);
  const std::string map = app.memory_map_json();
  EXPECT_NE(map.find("\"name\":\"serial\""), std::string::npos);
  EXPECT_NE(map.find("\"name\":\"riscv_virt_board.ram\""), std::string::npos);
}

TEST_F(AppTest, FramesFeedTheSliceController) {
  load("bench.elf");
  app.run_slice(app.next_budget_ms(), 16);
  app.note_frame(60.0);  // a very slow frame
  EXPECT_EQ(app.next_budget_ms(), SliceController::kMinBudgetMs);
  EXPECT_NEAR(app.frame_ms(), 60.0, 1e-9);
  for (int i = 0; i < 200; ++i) {
    app.run_slice(app.next_budget_ms(), 16.0 * (i + 2));
    app.note_frame(3.0);  // the fake clock: the slice itself measures 0 ms
  }
  EXPECT_GT(app.next_budget_ms(), 10.0);
  EXPECT_NEAR(app.frame_ms(), 3.0, 1e-9);
}

/// A host whose wall clock is driven by the guest: 100 instructions take 1 us (100 M/s).
class GuestTimedHost final : public Host {
 public:
  void console_write(std::span<const uint8_t>) override {}
  size_t console_read(std::span<uint8_t>) override { return 0; }
  uint64_t wall_clock_ns() override { return app ? app->machine().total_instructions() * 10 : 0; }
  void log(LogLevel, std::string_view) override {}
  App* app = nullptr;
};

TEST(AppSlices, RunForTheirBudgetAndLearnTheGuestSpeed) {
  GuestTimedHost host;
  App app(host);
  host.app = &app;
  const std::vector<uint8_t> bench = testing::read_guest("bench.elf");
  std::string error;
  ASSERT_TRUE(app.load_guest(bench, "bench.elf", error)) << error;
  double now = 0;
  for (int i = 0; i < 30; ++i) app.run_slice(8.0, now += 16);
  // 100 instructions per microsecond.
  EXPECT_NEAR(app.rate().per_ms(), 100'000.0, 5'000.0);
  const uint64_t before = app.machine().total_instructions();
  app.run_slice(8.0, now += 16);
  const uint64_t ran = app.machine().total_instructions() - before;
  EXPECT_GE(ran, 700'000u);  // about 8 ms worth
  EXPECT_LE(ran, 1'100'000u);
  EXPECT_NEAR(app.last_slice_ms(), 8.0, 1.5);
  // The meter sees 800'000 instructions per 16 ms frame: 50 M/s.
  EXPECT_NEAR(app.ips(), 50e6, 5e6);
  // Counted over the time inside the interpreter only, the guest runs at its real 100 M/s.
  EXPECT_NEAR(app.interpreter_ips(), 100e6, 5e6);
}

TEST_F(AppTest, HeadlessImGuiFramesOfEveryPanel) {
  ImGuiFrames gui;
  // Before any guest.
  ImDrawData* data = gui.frame(app, 1280, 800);
  ASSERT_NE(data, nullptr);
  EXPECT_TRUE(data->Valid);
  load("demo.elf");
  ASSERT_TRUE(run_until_output("glassvm> "));
  // A running demo guest, a few frames at different sizes (resizing re-tiles).
  for (float w : {1280.0f, 1600.0f, 500.0f, 1280.0f}) {
    app.run_slice(app.next_budget_ms(), now_ms += 16);
    data = gui.frame(app, w, 800);
    ASSERT_TRUE(data->Valid);
    EXPECT_GE(data->CmdListsCount, 4);  // one window per panel at least
    EXPECT_GT(data->TotalVtxCount, 1000);
    app.note_frame(5);
  }
  // Sweep the mouse over the canvas (hover tooltips on the address bar, tables), and click
  // around (buttons, selectables, tabs); the machine must survive whatever is clicked.
  for (float y = 5; y < 800; y += 37) {
    for (float x = 5; x < 1280; x += 53) {
      data = gui.frame(app, 1280, 800, x, y);
      ASSERT_TRUE(data->Valid);
    }
  }
  for (float y = 30; y < 800; y += 61) {
    for (float x = 20; x < 1280; x += 97) {
      gui.frame(app, 1280, 800, x, y, true);
      gui.frame(app, 1280, 800, x, y, false);
      app.run_slice(2, now_ms += 16);
    }
  }
  // Paused with a breakpoint on the pc: the disassembly marks it.
  app.pause();
  app.machine().add_breakpoint(app.machine().cpu().pc());
  data = gui.frame(app, 1280, 800);
  EXPECT_TRUE(data->Valid);
  // A new guest on a tiny canvas draws too.
  load("bench.elf");
  data = gui.frame(app, 1, 1);
  EXPECT_TRUE(data->Valid);
}

/// The RISC-V IOMMU lesson in the App, with the IOMMU models registered as the page does.
class AppIommuTest : public AppTest {
 protected:
  void SetUp() override {
    register_iommu_devices(app.registry());
    std::string error;
    ASSERT_TRUE(app.set_devices({"riscv-iommu-sys", "edu-dma,ats=on"}, error)) << error;
    ASSERT_NE(app.iommu_log(), nullptr);
    load("teach_riscv_iommu.elf");
  }
};

TEST_F(AppIommuTest, PauseOnTheNextIommuEventStopsAtIt) {
  app.set_pause_on_iommu_event(true);
  for (int i = 0; i < 400 && !app.paused() && !app.machine().exited(); ++i)
    app.run_slice(app.next_budget_ms(), now_ms += 16);
  ASSERT_TRUE(app.paused()) << host.output;
  EXPECT_FALSE(app.machine().exited());
  // Stopped at the first event, at the instruction that made it (one write to cqt may run
  // several commands, so a few more events may have come in that instruction).
  EXPECT_EQ(app.paused_at_iommu_event(), 1u);
  const uint64_t held = app.iommu_log()->last_seq();
  EXPECT_GE(held, 1u);
  EXPECT_FALSE(app.pause_on_iommu_event());  // one-shot
  EXPECT_NE(app.messages().back().find("Paused at IOMMU event #1"), std::string::npos);
  // Paused: a slice runs nothing.
  const uint64_t at = app.machine().total_instructions();
  app.run_slice(10, now_ms += 16);
  EXPECT_EQ(app.machine().total_instructions(), at);
  // Asked again: the next event stops it again, later.
  app.set_pause_on_iommu_event(true);
  app.resume();
  for (int i = 0; i < 400 && !app.paused() && !app.machine().exited(); ++i)
    app.run_slice(app.next_budget_ms(), now_ms += 16);
  ASSERT_TRUE(app.paused());
  EXPECT_EQ(app.paused_at_iommu_event(), held + 1);
  // Let go: the lesson runs to its end and passes.
  app.resume();
  for (int i = 0; i < 400 && !app.machine().exited(); ++i)
    app.run_slice(app.next_budget_ms(), now_ms += 16);
  ASSERT_TRUE(app.machine().exited());
  EXPECT_EQ(app.machine().exit_code(), 0) << host.output;
}

TEST_F(AppIommuTest, TheIommuPanelDrawsTheTimeline) {
  ImGuiFrames gui;
  for (int i = 0; i < 400 && !app.machine().exited(); ++i)
    app.run_slice(app.next_budget_ms(), now_ms += 16);
  ASSERT_TRUE(app.machine().exited());
  // Wide (the IOMMU panel under the Memory Map), medium and narrow canvases.
  for (float w : {1600.0f, 800.0f, 500.0f}) {
    ImDrawData* data = gui.frame(app, w, 900);
    ASSERT_TRUE(data->Valid);
    EXPECT_GE(data->CmdListsCount, 5);  // five panels
  }
  // Click around the panel (the filters, the pause switch, the rows).
  for (float y = 30; y < 900; y += 41)
    for (float x = 20; x < 1600; x += 83) {
      gui.frame(app, 1600, 900, x, y, true);
      gui.frame(app, 1600, 900, x, y, false);
    }
  EXPECT_TRUE(gui.frame(app, 1600, 900)->Valid);
}

TEST_F(AppIommuTest, TheStateSectionsCacheTheirViewsAndWalkWhatIsTyped) {
  ImGuiFrames gui;
  for (int i = 0; i < 400 && !app.machine().exited(); ++i)
    app.run_slice(app.next_budget_ms(), now_ms += 16);
  ASSERT_TRUE(app.machine().exited());
  IommuStatePanelState& st = app.panel_state().iommu_state;
  ASSERT_TRUE(gui.frame(app, 1600, 900)->Valid);
  EXPECT_EQ(st.state.model, "riscv-iommu");
  EXPECT_EQ(st.mappings.size(), iommu_mappings(app.machine(), std::nullopt, 4096).size());
  ASSERT_FALSE(st.state.faults.empty());  // the lesson's step 6
  // Nothing moves (the guest has exited): later frames keep the views they have.
  const double built = st.built_at;
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(gui.frame(app, 1600, 900)->Valid);
  EXPECT_EQ(st.built_at, built);
  // Typing a walk rebuilds at once: the lesson's IOVA 0x40001000 of edu-dma (device 9).
  std::snprintf(st.walk_device_text, sizeof st.walk_device_text, "9");
  std::snprintf(st.walk_iova_text, sizeof st.walk_iova_text, "40001000");
  ASSERT_TRUE(gui.frame(app, 1600, 900)->Valid);
  EXPECT_NE(st.built_at, built);
  ASSERT_TRUE(st.walk_valid);
  EXPECT_TRUE(st.walk.ok) << st.walk.result;
  EXPECT_EQ(st.walk.pa, iova_walk_view(app.machine(), 9, 0x40001000, kIommuRead).pa);
  std::snprintf(st.mapping_device_text, sizeof st.mapping_device_text, "3");
  ASSERT_TRUE(gui.frame(app, 1600, 900)->Valid);
  EXPECT_TRUE(st.mappings.empty());  // no device 3
}

TEST_F(AppIommuTest, PanelsCloseAndTellWhereTheirWindowsAre) {
  ImGuiFrames gui;
  EXPECT_EQ(parse_panel("iommu"), PanelId::Iommu);
  EXPECT_EQ(parse_panel("Memory Map"), PanelId::MemoryMap);
  EXPECT_EQ(parse_panel("lessons"), PanelId::Lessons);
  EXPECT_FALSE(parse_panel("Lessons?"));
  const uint64_t draws = app.draw_count();
  const int all = gui.frame(app, 1600, 900)->CmdListsCount;
  EXPECT_EQ(app.draw_count(), draws + 1);
  ASSERT_EQ(app.drawn_panels().size(), 7u);  // the Lessons list and the JIT panel too
  const PanelRect iommu = *std::find_if(app.drawn_panels().begin(), app.drawn_panels().end(),
                                        [](const PanelRect& r) { return r.id == PanelId::Iommu; });
  EXPECT_GT(iommu.w, 100);
  EXPECT_GT(iommu.h, 100);
  EXPECT_LE(iommu.x + iommu.w, 1600);
  std::string json = app.panels_json();
  EXPECT_EQ(json.rfind("[{\"name\":\"CPU\",\"open\":true,\"shown\":true,", 0), 0u) << json;
  EXPECT_NE(json.find("{\"name\":\"IOMMU\",\"open\":true,\"shown\":true,\"x\":" +
                      std::to_string(static_cast<int>(iommu.x))),
            std::string::npos)
      << json;

  // Closed, the IOMMU panel's window is not drawn at all.
  app.set_panel_open(PanelId::Iommu, false);
  EXPECT_FALSE(app.panel_open(PanelId::Iommu));
  EXPECT_LT(gui.frame(app, 1600, 900)->CmdListsCount, all);  // its window and its table's
  EXPECT_EQ(app.drawn_panels().size(), 6u);
  json = app.panels_json();
  EXPECT_NE(json.find("{\"name\":\"IOMMU\",\"open\":false,\"shown\":false,\"x\":0,\"y\":0,\"w\":0,"
                      "\"h\":0}"),
            std::string::npos)
      << json;
  app.set_panel_open(PanelId::Iommu, true);
  EXPECT_EQ(gui.frame(app, 1600, 900)->CmdListsCount, all);
}

TEST_F(AppIommuTest, ClickingInTheIommuPanelSelectsAnEvent) {
  ImGuiFrames gui;
  for (int i = 0; i < 400 && !app.machine().exited(); ++i)
    app.run_slice(app.next_budget_ms(), now_ms += 16);
  ASSERT_TRUE(app.machine().exited());
  gui.frame(app, 1600, 900);
  const PanelRect iommu = *std::find_if(app.drawn_panels().begin(), app.drawn_panels().end(),
                                        [](const PanelRect& r) { return r.id == PanelId::Iommu; });
  // Click down the panel's left edge (the table's "#" column) until a row is selected.
  EXPECT_EQ(app.panel_state().iommu_selected_seq, 0u);
  uint64_t selected = 0;
  for (float y = iommu.y + 20; y < iommu.y + iommu.h && selected == 0; y += 4) {
    gui.frame(app, 1600, 900, iommu.x + 25, y, true);
    gui.frame(app, 1600, 900, iommu.x + 25, y, false);
    selected = app.panel_state().iommu_selected_seq;
  }
  ASSERT_NE(selected, 0u);
  EXPECT_NE(app.iommu_log()->find(selected), nullptr);
  // Drawn with the selection (its fields and the translation behind it).
  EXPECT_TRUE(gui.frame(app, 1600, 900)->Valid);
  // A new machine starts without a selection.
  app.reset();
  EXPECT_EQ(app.panel_state().iommu_selected_seq, 0u);
  EXPECT_TRUE(gui.frame(app, 1600, 900)->Valid);
}

TEST_F(AppIommuTest, ClickingAnAddressInTheCpuPanelWalksIt) {
  ImGuiFrames gui;
  for (int i = 0; i < 400 && !app.machine().exited(); ++i)
    app.run_slice(app.next_budget_ms(), now_ms += 16);
  gui.frame(app, 1600, 1400);
  const PanelRect cpu = *std::find_if(app.drawn_panels().begin(), app.drawn_panels().end(),
                                      [](const PanelRect& r) { return r.id == PanelId::Cpu; });
  // Click up the panel through the registers' values and the disassembly's addresses (from the
  // bottom, so that no text field at the top takes the keyboard first); each pick fills the
  // Translation section's address and access.
  PanelState& st = app.panel_state();
  std::set<int> accesses;
  for (float y = cpu.y + cpu.h - 10; y > cpu.y + 20 && accesses.size() < 2; y -= 4) {
    gui.frame(app, 1600, 1400, cpu.x + 90, y, true);
    gui.frame(app, 1600, 1400, cpu.x + 90, y, false);
    if (st.translate_text[0] == 0) continue;
    const std::optional<uint64_t> picked = parse_address(st.translate_text);
    ASSERT_TRUE(picked) << st.translate_text;
    if (st.translate_access == 0) {
      EXPECT_EQ(*picked % 2, 0u) << "a disassembly line";
    }
    accesses.insert(st.translate_access);
    EXPECT_TRUE(gui.frame(app, 1600, 1400)->Valid);  // drawn with the section opened
    st.translate_text[0] = 0;
  }
  EXPECT_EQ(accesses, (std::set<int>{0, 1}));  // fetch from the disassembly, load from a register
}

}  // namespace
}  // namespace glassvm::ui
