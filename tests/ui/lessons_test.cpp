// The Lessons panel's model (ui/lessons.h) on the real teaching guests: each bare-metal lesson
// opened in an App with its devices, stepped through with the runner, every step's stop met in
// order and reported as the guest itself tells it on the console; the App's armed stops (trap,
// console, filtered IOMMU event); the console watch; the panel drawn headless.
#include "ui/lessons.h"

#include <gtest/gtest.h>

#include <regex>

#include "iommu/iommu_devices.h"
#include "tests/support/test_host.h"
#include "tests/ui/guest_files.h"
#include "tests/ui/imgui_frames.h"
#include "ui/console_watch.h"
#include "ui/layout.h"
#include "ui/translation_view.h"

namespace glassvm::ui {
namespace {

/// The first number captured by `pattern` (hex, "0x..." in the pattern) in `text`, or nullopt.
std::optional<uint64_t> find_hex(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return std::nullopt;
  return std::stoull(m[1].str(), nullptr, 16);
}

class LessonTest : public ::testing::Test {
 protected:
  void SetUp() override { register_iommu_devices(app.registry()); }

  /// Opens lesson `id` and loads its guest as the page does once it has fetched it.
  void open(const std::string& id) {
    std::string error;
    ASSERT_TRUE(runner().open(app, id, error)) << error;
    ASSERT_NE(runner().lesson(), nullptr);
    EXPECT_EQ(runner().state(), LessonRunner::State::Loading);  // no bytes yet: downloading
    const std::string& guest = runner().lesson()->guest;
    const std::vector<uint8_t> elf = testing::read_guest(guest);
    ASSERT_FALSE(elf.empty()) << guest;
    ASSERT_TRUE(app.load_guest(elf, guest, error)) << error;
    EXPECT_EQ(app.devices(), runner().lesson()->devices);
    // The next slice finds the lesson's guest: step 0, paused before its first instruction.
    app.run_slice(app.next_budget_ms(), now_ms += 16);
    ASSERT_EQ(runner().state(), LessonRunner::State::Ready);
    EXPECT_EQ(runner().step(), 0u);
    EXPECT_TRUE(app.paused());
    EXPECT_EQ(app.machine().total_instructions(), 0u);
  }

  /// Runs to the current step's event and checks that it is the step's condition that stopped
  /// the guest (paused, not exited); returns the stop.
  StopReport run_step() {
    const size_t index = runner().step();
    const StopCondition& c = runner().lesson()->steps[index].stop;
    runner().run(app);
    EXPECT_EQ(runner().state(), LessonRunner::State::Waiting);
    for (int i = 0; i < 2000 && runner().state() == LessonRunner::State::Waiting; ++i)
      app.run_slice(app.next_budget_ms(), now_ms += 16);
    EXPECT_EQ(runner().state(), LessonRunner::State::Stopped) << "step " << index;
    EXPECT_EQ(runner().step(), index);
    EXPECT_TRUE(app.paused());
    EXPECT_FALSE(app.machine().exited()) << "step " << index << ": " << runner().stop_text();
    const StopReport& stop = runner().stop();
    EXPECT_EQ(stop.pc, app.machine().cpu().pc());
    EXPECT_FALSE(runner().stop_text().empty());
    switch (c.kind) {
      case StopCondition::Kind::IommuEvent:
        EXPECT_EQ(stop.kind, StopReport::Kind::IommuEvent) << "step " << index;
        if (stop.event) {
          EXPECT_TRUE(iommu_event_matches(*stop.event, c.event));
        }
        EXPECT_EQ(app.paused_at_iommu_event(), stop.event ? stop.event->seq : 0);
        break;
      case StopCondition::Kind::Trap:
        EXPECT_EQ(stop.kind, StopReport::Kind::Trap) << "step " << index;
        EXPECT_NE(std::find(c.causes.begin(), c.causes.end(), stop.trap.cause), c.causes.end());
        break;
      case StopCondition::Kind::Console:
        EXPECT_EQ(stop.kind, StopReport::Kind::Console) << "step " << index;
        EXPECT_NE(host.output.find(c.text), std::string::npos);
        break;
      case StopCondition::Kind::None: ADD_FAILURE() << "step " << index << " has no event";
    }
    // Nothing stays armed once the step's event happened.
    EXPECT_FALSE(app.pause_on_iommu_event());
    EXPECT_FALSE(app.pause_on_trap());
    EXPECT_FALSE(app.pause_on_console());
    return stop;
  }

  /// Runs every remaining step, then past the last: the guest runs to its end and passes.
  void finish() {
    while (runner().state() != LessonRunner::State::Finished) {
      if (runner().step() + 1 == runner().lesson()->steps.size() &&
          runner().state() == LessonRunner::State::Stopped) {
        runner().run(app);  // past the last step
        break;
      }
      if (runner().state() == LessonRunner::State::Stopped) runner().next(app);
      run_step();
    }
    EXPECT_EQ(runner().state(), LessonRunner::State::Finished);
    EXPECT_FALSE(app.paused());
    for (int i = 0; i < 2000 && !app.machine().exited(); ++i)
      app.run_slice(app.next_budget_ms(), now_ms += 16);
    ASSERT_TRUE(app.machine().exited());
    EXPECT_EQ(app.machine().exit_code(), 0) << host.output;
  }

  LessonRunner& runner() { return app.lessons(); }

  testing::TestHost host;
  App app{host};
  double now_ms = 0;
};

TEST_F(LessonTest, TheCatalogHasEveryLessonWithItsGuestAndSteps) {
  for (const char* id : {"riscv-iommu", "virtio-iommu", "page-fault", "dma-fault", "linux-iommu"}) {
    const Lesson* l = find_lesson(id);
    ASSERT_NE(l, nullptr) << id;
    EXPECT_FALSE(l->title.empty());
    EXPECT_FALSE(l->intro.empty());
    ASSERT_FALSE(l->steps.empty());
    for (const LessonStep& s : l->steps) {
      EXPECT_FALSE(s.title.empty());
      EXPECT_FALSE(s.text.empty());
    }
  }
  EXPECT_EQ(lesson_catalog().size(), 5u);
  EXPECT_EQ(find_lesson("nosuch"), nullptr);
  EXPECT_EQ(find_lesson("linux-iommu")->guest, "linux");
  const std::string json = lessons_json();
  EXPECT_NE(json.find("\"id\":\"page-fault\",\"title\":"), std::string::npos);
  EXPECT_NE(json.find("\"devices\":[\"riscv-iommu-sys\",\"edu-dma\"]"), std::string::npos);
  EXPECT_NE(json.find("\"stop\":\"trap\""), std::string::npos);
  EXPECT_EQ(describe_condition(find_lesson("page-fault")->steps[2].stop),
            "the next trap with cause 12, 13 or 15");
}

TEST_F(LessonTest, TheLinuxLessonGivesTheMachineADiskBehindTheIommu) {
  std::string error;
  ASSERT_TRUE(runner().open(app, "linux-iommu", error)) << error;
  EXPECT_EQ(runner().state(), LessonRunner::State::Loading);  // the page would fetch linux
  EXPECT_EQ(app.devices(), (std::vector<std::string>{"riscv-iommu-sys", "virtio-rng-device"}));
  ASSERT_NE(app.disk(), nullptr);
  EXPECT_NE(app.disk_json().find("\"bytes\":8388608"), std::string::npos) << app.disk_json();
  // The rng and the disk each have an address space behind the IOMMU.
  ASSERT_NE(app.machine().iommu(), nullptr);
  EXPECT_EQ(app.machine().iommu()->dma_address_spaces().size(), 2u);
}

TEST_F(LessonTest, AnUnknownLessonIsRefusedAndChangesNothing) {
  std::string error;
  EXPECT_FALSE(runner().open(app, "nosuch", error));
  EXPECT_EQ(error, "no lesson 'nosuch'");
  EXPECT_EQ(runner().lesson(), nullptr);
  EXPECT_EQ(runner().state_json(),
            "{\"id\":null,\"title\":\"\",\"step\":0,\"stepCount\":0,\"stepTitle\":\"\",\"text\":"
            "\"\",\"state\":\"closed\",\"waiting\":false,\"stopped\":false,\"lastStop\":null}");
  runner().run(app);  // nothing open: nothing happens
  EXPECT_FALSE(app.pause_on_console());
}

TEST_F(LessonTest, PageFaultLessonStopsAtEachFaultAsTheGuestReportsIt) {
  open("page-fault");
  EXPECT_TRUE(app.devices().empty());
  StopReport stop = run_step();  // the page tables: S-mode reached
  const std::optional<uint64_t> stvec = find_hex(host.output, "stvec = 0x([0-9a-f]+)");
  ASSERT_TRUE(stvec);
  runner().next(app);
  run_step();  // A and D
  EXPECT_NE(host.output.find("A=1 D=1"), std::string::npos);

  // A load from an unmapped page: the hart stops at the handler's first instruction, with the
  // trap taken but not yet handled (the handler has printed nothing).
  runner().next(app);
  stop = run_step();
  const std::optional<uint64_t> load_va = find_hex(host.output, "loading from VA 0x([0-9a-f]+)");
  ASSERT_TRUE(load_va);
  EXPECT_EQ(stop.trap.cause, 13u);
  EXPECT_EQ(stop.trap.tval, *load_va);
  EXPECT_EQ(stop.trap.to, PrivLevel::Supervisor);
  EXPECT_EQ(stop.pc, *stvec);
  EXPECT_EQ(host.output.find("TRAP into S-mode: scause = 13"), std::string::npos);
  EXPECT_NE(runner().stop_text().find("Load page fault (cause 13), tval 0x40000000, S -> S"),
            std::string::npos)
      << runner().stop_text();
  // Looking does not map: the walk still faults.
  EXPECT_FALSE(translation_view(app.machine().cpu(), *load_va, Access::Load).walk.ok);

  // The handler maps the page: the translation view walks to the frame the guest names.
  runner().next(app);
  run_step();
  const std::optional<uint64_t> pa =
      find_hex(host.output, "-> mapped VA 0x40000000 -> PA 0x([0-9a-f]+)");
  ASSERT_TRUE(pa);
  const TranslationView view = translation_view(app.machine().cpu(), *load_va, Access::Load);
  EXPECT_TRUE(view.walk.ok) << view.result;
  EXPECT_EQ(view.walk.pa, *pa);

  runner().next(app);
  stop = run_step();  // a store to an unmapped page
  EXPECT_EQ(stop.trap.cause, 15u);
  EXPECT_EQ(stop.trap.tval, find_hex(host.output, "storing 0x5a5a to VA 0x([0-9a-f]+)"));

  runner().next(app);
  stop = run_step();  // a store to a read-only page: not fixed
  EXPECT_EQ(stop.trap.cause, 15u);
  EXPECT_EQ(stop.trap.tval, find_hex(host.output, "storing 0xbad to VA 0x([0-9a-f]+)"));
  const std::string json = runner().state_json();
  EXPECT_NE(json.find("\"state\":\"stopped\",\"waiting\":false,\"stopped\":true,\"lastStop\":{"
                      "\"kind\":\"trap\",\"cause\":15,\"tval\":\"0x0000000040003000\""),
            std::string::npos)
      << json;
  finish();
  EXPECT_NE(host.output.find("checks, 0 unexpected"), std::string::npos);
}

TEST_F(LessonTest, DmaFaultLessonStopsAtTheFaultRecordAndTheUnmaps) {
  open("dma-fault");
  run_step();         // set-up
  runner().run(app);  // "Run" after a met step moves on and runs: the fault
  for (int i = 0; i < 2000 && runner().state() == LessonRunner::State::Waiting; ++i)
    app.run_slice(app.next_budget_ms(), now_ms += 16);
  ASSERT_EQ(runner().state(), LessonRunner::State::Stopped);
  EXPECT_EQ(runner().step(), 1u);
  EXPECT_NE(host.output.find("fault record: cause = 15 (write/AMO page fault), ttyp = 3"),
            std::string::npos);
  // No IOMMU event so far: a fault is no event, and nothing was invalidated.
  ASSERT_NE(app.iommu_log(), nullptr);
  EXPECT_EQ(app.iommu_log()->last_seq(), 0u);
  runner().next(app);
  run_step();  // the recovery: its IOTINVAL.VMA drops nothing, so still no event
  EXPECT_EQ(app.iommu_log()->last_seq(), 0u);
  runner().next(app);
  run_step();  // the retry
  runner().next(app);
  const StopReport stop = run_step();  // the tear-down's first UNMAP
  ASSERT_TRUE(stop.event);
  EXPECT_EQ(stop.event->seq, 1u);
  EXPECT_EQ(stop.event->type, IommuNotifierFlag::Unmap);
  EXPECT_EQ(stop.event->requester_id, std::optional<uint32_t>(9));
  EXPECT_EQ(stop.event->entry.first(),
            find_hex(host.output, "PTEs of IOVA 0x([0-9a-f]+) and 0x[0-9a-f]+ cleared"));
  finish();
  EXPECT_EQ(app.iommu_log()->last_seq(), 2u);  // one UNMAP for each page
}

TEST_F(LessonTest, RiscvIommuLessonStopsAtItsEventsInOrder) {
  open("riscv-iommu");
  StopReport stop = run_step();  // the ddtp write: edu-dma's whole space
  ASSERT_TRUE(stop.event);
  EXPECT_EQ(stop.event->entry.first(), 0u);
  EXPECT_EQ(stop.event->entry.last(), ~uint64_t{0});
  uint64_t seq = stop.event->seq;
  runner().next(app);
  run_step();  // the first DMA
  runner().next(app);
  stop = run_step();  // IOTINVAL.VMA of the remapped page
  ASSERT_TRUE(stop.event);
  EXPECT_GT(stop.event->seq, seq);
  EXPECT_EQ(stop.event->type, IommuNotifierFlag::Unmap);
  EXPECT_EQ(stop.event->entry.first(), 0x40000000u);
  seq = stop.event->seq;
  runner().next(app);
  run_step();  // the fault record
  runner().next(app);
  stop = run_step();  // ATS.INVAL
  ASSERT_TRUE(stop.event);
  EXPECT_GT(stop.event->seq, seq);
  EXPECT_EQ(stop.event->type, IommuNotifierFlag::DevIotlbUnmap);
  finish();
}

TEST_F(LessonTest, VirtioIommuLessonStopsAtMapAndUnmap) {
  open("virtio-iommu");
  run_step();  // bypass off
  runner().next(app);
  const StopReport stop = run_step();  // the first MAP
  ASSERT_TRUE(stop.event);
  EXPECT_EQ(stop.event->type, IommuNotifierFlag::Map);
  EXPECT_EQ(stop.event->requester_id, std::optional<uint32_t>(9));
  finish();
}

TEST_F(LessonTest, AResetStartsTheLessonOverAndClosingDisarms) {
  open("page-fault");
  run_step();
  runner().next(app);
  runner().run(app);  // armed: the console stop
  EXPECT_TRUE(app.pause_on_console());
  app.reset();
  app.run_slice(app.next_budget_ms(), now_ms += 16);
  EXPECT_EQ(runner().state(), LessonRunner::State::Ready);
  EXPECT_EQ(runner().step(), 0u);
  EXPECT_TRUE(app.paused());
  EXPECT_FALSE(app.pause_on_console());
  runner().run(app);
  EXPECT_TRUE(app.pause_on_console());
  runner().close(app);
  EXPECT_FALSE(app.pause_on_console());
  EXPECT_EQ(runner().lesson(), nullptr);
  // Another guest while a lesson is open: the lesson waits for its own guest.
  std::string error;
  ASSERT_TRUE(runner().open(app, "page-fault", error));
  app.run_slice(app.next_budget_ms(), now_ms += 16);
  EXPECT_EQ(runner().state(), LessonRunner::State::Ready);  // its bytes were kept
  ASSERT_TRUE(app.load_guest(testing::read_guest("demo.elf"), "demo.elf", error));
  app.run_slice(app.next_budget_ms(), now_ms += 16);
  EXPECT_EQ(runner().state(), LessonRunner::State::Loading);
}

TEST_F(LessonTest, TheGuestExitingBeforeTheEventEndsTheWait) {
  open("page-fault");
  runner().run(app);
  ASSERT_EQ(runner().state(), LessonRunner::State::Waiting);
  ASSERT_TRUE(app.pause_on_console());
  // The stop goes away (as when the page disarms it): the program runs to its end.
  app.disarm_stops();
  for (int i = 0; i < 2000 && !app.machine().exited(); ++i)
    app.run_slice(app.next_budget_ms(), now_ms += 16);
  ASSERT_TRUE(app.machine().exited());
  EXPECT_EQ(runner().state(), LessonRunner::State::Stopped);
  EXPECT_EQ(runner().stop().kind, StopReport::Kind::None);
  EXPECT_EQ(runner().stop_text(), "the guest exited (status 0) before the step's event");
  EXPECT_NE(runner().state_json().find("\"lastStop\":{\"kind\":\"exit\""), std::string::npos);
}

TEST_F(LessonTest, AConsoleStopAtAPromptStopsWhenTheGuestWaitsForInput) {
  std::string error;
  ASSERT_TRUE(app.load_guest(testing::read_guest("demo.elf"), "demo.elf", error)) << error;
  app.set_pause_on_console("glassvm> ");
  for (int i = 0; i < 400 && !app.paused(); ++i) app.run_slice(app.next_budget_ms(), now_ms += 16);
  ASSERT_TRUE(app.paused()) << host.output;
  EXPECT_EQ(app.last_stop().kind, StopReport::Kind::Console);
  EXPECT_EQ(app.last_stop().console, "glassvm> ");
  EXPECT_EQ(app.last_stop().count, 1u);
  EXPECT_FALSE(app.pause_on_console());
  EXPECT_EQ(app.messages().back(), "Paused: the console printed \"glassvm> \"");
}

TEST(LessonsLayout, TheLessonsPanelHasRoomNextToTheConsole) {
  for (float w : {1600.0f, 800.0f, 500.0f}) {
    for (LessonsRoom room : {LessonsRoom::List, LessonsRoom::Open}) {
      const std::vector<PanelRect> rects = tile(layout_for_width(w, true, room), w, 900);
      ASSERT_EQ(rects.size(), 6u) << w;
      const PanelRect* lessons = nullptr;
      for (size_t i = 0; i < rects.size(); ++i) {
        if (rects[i].id == PanelId::Lessons) lessons = &rects[i];
        for (size_t j = i + 1; j < rects.size(); ++j) {
          const PanelRect& a = rects[i];
          const PanelRect& b = rects[j];
          EXPECT_TRUE(a.x + a.w <= b.x + 0.01f || b.x + b.w <= a.x + 0.01f ||
                      a.y + a.h <= b.y + 0.01f || b.y + b.h <= a.y + 0.01f)
              << panel_title(a.id) << " overlaps " << panel_title(b.id) << " at " << w;
        }
      }
      ASSERT_NE(lessons, nullptr);
      if (w >= 960) {
        EXPECT_NEAR(lessons->x + lessons->w, w, 0.01f);  // beside the console pane
      }
      // An open lesson gets more room than the list.
      if (room == LessonsRoom::Open) {
        const std::vector<PanelRect> list =
            tile(layout_for_width(w, true, LessonsRoom::List), w, 900);
        for (const PanelRect& r : list)
          if (r.id == PanelId::Lessons) {
            EXPECT_GT(lessons->h, r.h) << w;
          }
      }
    }
  }
  EXPECT_STREQ(panel_title(PanelId::Lessons), "Lessons");
  EXPECT_EQ(tile(layout_for_width(1600), 1600, 900).size(), 4u);  // no Lessons panel unless asked
}

TEST(ConsoleWatch, MatchesAcrossWritesOnceAndKeepsOnlyATail) {
  testing::TestHost inner;
  ConsoleWatch watch(inner);
  int matches = 0;
  const auto write = [&watch](std::string_view s) {
    watch.console_write(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  write("before arming: needle\n");
  watch.arm("needle", [&matches] { ++matches; });
  EXPECT_TRUE(watch.armed());
  write("a ne");
  write("ed");
  EXPECT_EQ(matches, 0);
  write("le here");
  EXPECT_EQ(matches, 0);  // the line is not complete yet
  write(" and there\n");
  EXPECT_EQ(matches, 1);
  EXPECT_FALSE(watch.armed());  // one-shot
  write("needle");
  EXPECT_EQ(matches, 1);
  EXPECT_EQ(inner.output, "before arming: needle\na needle here and there\nneedle");
  watch.arm(std::string(1000, 'x'), [&matches] { ++matches; });
  EXPECT_EQ(watch.text().size(), ConsoleWatch::kMaxText);
  watch.disarm();
  write(std::string(300, 'x'));
  EXPECT_EQ(matches, 1);
  // A prompt: the line stays open until the embedder says the guest waits for input.
  watch.arm("# ", [&matches] { ++matches; });
  EXPECT_FALSE(watch.complete_open_line());
  write("~ # ");
  EXPECT_EQ(matches, 1);
  EXPECT_TRUE(watch.complete_open_line());
  EXPECT_EQ(matches, 2);
  // Text after the match on an open line: the line is not done (a kernel waiting mid-line).
  watch.arm("here", [&matches] { ++matches; });
  write("here and");
  EXPECT_FALSE(watch.complete_open_line());
  EXPECT_TRUE(watch.armed());
  write(" there\n");
  EXPECT_EQ(matches, 3);
  EXPECT_FALSE(watch.armed());
  // A line that never ends still completes the match after kMaxLineRest bytes.
  watch.arm("x", [&matches] { ++matches; });
  write(std::string(ConsoleWatch::kMaxLineRest + 1, 'x'));
  EXPECT_EQ(matches, 4);
}

TEST_F(LessonTest, ThePanelDrawsTheListAndAnOpenLesson) {
  ImGuiFrames gui;
  EXPECT_TRUE(gui.frame(app, 1600, 900)->Valid);
  open("page-fault");
  run_step();
  for (float w : {1600.0f, 800.0f, 500.0f}) EXPECT_TRUE(gui.frame(app, w, 900)->Valid);
  // Click around the panel (the buttons included).
  for (float y = 20; y < 900; y += 37)
    for (float x = 1100; x < 1600; x += 61) {
      gui.frame(app, 1600, 900, x, y, true);
      gui.frame(app, 1600, 900, x, y, false);
    }
  EXPECT_TRUE(gui.frame(app, 1600, 900)->Valid);
}

}  // namespace
}  // namespace glassvm::ui
