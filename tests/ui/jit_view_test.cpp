// The JIT's view model with JitStats and JitTranslation values built here (natively make_jit()
// gives no JIT): the translation log's bounds, the Performance panel's lines, the JSON of the
// JS API, the JIT panel drawn from a log, and the App's switch while the JIT is unavailable.
#include "ui/jit_view.h"

#include <gtest/gtest.h>

#include <string>

#include "imgui.h"
#include "tests/support/test_host.h"
#include "tests/ui/guest_files.h"
#include "tests/ui/imgui_frames.h"
#include "ui/app.h"
#include "ui/panels.h"

namespace glassvm::ui {
namespace {

/// A translation of page `page` with `lines` lines of RISC-V and wat text each.
JitTranslation translation(uint64_t page, size_t lines = 3, size_t entries = 2) {
  JitTranslation t;
  t.guest_page = page;
  for (size_t i = 0; i < entries; ++i) t.entries.push_back(page + 4 * i);
  for (size_t i = 0; i < lines; ++i) {
    t.riscv += "addi a0, a0, " + std::to_string(i) + "\n";
    t.wat += "(i64.add (local.get 10) (i64.const " + std::to_string(i) + "))\n";
  }
  t.wasm_bytes = static_cast<uint32_t>(100 + lines);
  t.compile_ns = 250'000;
  return t;
}

TEST(JitTranslationLog, KeepsTheLastFewInOrder) {
  JitTranslationLog log;
  EXPECT_EQ(log.added(), 0u);
  EXPECT_EQ(log.find(1), nullptr);
  const size_t n = JitTranslationLog::kMaxEntries + 36;
  for (size_t i = 0; i < n; ++i) log.add(translation(0x80000000 + 0x1000 * i));
  EXPECT_EQ(log.added(), n);
  ASSERT_EQ(log.records().size(), JitTranslationLog::kMaxEntries);
  EXPECT_EQ(log.records().front().seq, n - JitTranslationLog::kMaxEntries + 1);
  EXPECT_EQ(log.records().back().seq, n);
  EXPECT_EQ(log.find(n - JitTranslationLog::kMaxEntries), nullptr);  // dropped
  EXPECT_EQ(log.find(n + 1), nullptr);
  const JitTranslationRecord* newest = log.find(n);
  ASSERT_NE(newest, nullptr);
  EXPECT_EQ(newest->guest_page, 0x80000000 + 0x1000 * (n - 1));
  EXPECT_EQ(newest->riscv, translation(0).riscv);
  EXPECT_EQ(newest->entry_count, 2u);
  EXPECT_FALSE(newest->truncated);
  size_t bytes = 0;
  for (const JitTranslationRecord& r : log.records()) bytes += r.bytes();
  EXPECT_EQ(log.bytes(), bytes);
  // A new machine: nothing held, numbering goes on.
  log.clear();
  EXPECT_TRUE(log.records().empty());
  EXPECT_EQ(log.bytes(), 0u);
  log.add(translation(0x1000));
  EXPECT_EQ(log.records().front().seq, n + 1);
}

TEST(JitTranslationLog, CutsLongTextsAtALineAndBoundsTheTotal) {
  JitTranslationLog log;
  // Each text about 4x the per-text bound, with thousands of entries.
  log.add(translation(0x80000000, 8000, 3000));
  const JitTranslationRecord& r = log.records().back();
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.entry_count, 3000u);
  EXPECT_EQ(r.entries.size(), JitTranslationLog::kMaxEntryPoints);
  for (const std::string* text : {&r.riscv, &r.wat}) {
    EXPECT_LE(text->size(), JitTranslationLog::kMaxTextBytes);
    EXPECT_GT(text->size(), JitTranslationLog::kMaxTextBytes / 2);
    const size_t mark = text->rfind("... (cut here");
    ASSERT_NE(mark, std::string::npos);
    EXPECT_EQ((*text)[mark - 1], '\n');  // whole lines before the mark
    EXPECT_EQ(text->back(), '\n');
  }
  EXPECT_EQ(r.riscv.rfind("addi a0, a0, 0\naddi a0, a0, 1\n", 0), 0u);
  // Many large translations: the total stays within its bound, so fewer than kMaxEntries stay.
  for (int i = 0; i < 60; ++i) log.add(translation(0x80001000 + 0x1000 * i, 8000));
  EXPECT_LE(log.bytes(), JitTranslationLog::kMaxTotalBytes);
  EXPECT_LT(log.records().size(), JitTranslationLog::kMaxEntries);
  EXPECT_GE(log.records().size(), 2u);
  EXPECT_EQ(log.records().back().guest_page, 0x80001000u + 0x1000 * 59);
}

TEST(JitStatusView, SaysWhyWhenUnavailable) {
  JitStatus s;
  s.enabled = true;
  s.why = "no WebAssembly host";
  const std::vector<std::string> lines = jit_status_lines(s);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "JIT unavailable: no WebAssembly host");
  EXPECT_NE(lines[1].find("on"), std::string::npos);
  s.enabled = false;
  EXPECT_NE(jit_status_lines(s)[1].find("off"), std::string::npos);
  EXPECT_EQ(jit_json(s),
            "{\"enabled\":false,\"available\":false,\"why\":\"no WebAssembly host\","
            "\"installed\":false,\"translations\":0,\"compileMs\":0.000,\"modulesLive\":0,"
            "\"codeBytes\":0,\"evictions\":0,\"invalidations\":0,\"stepsJitted\":0,\"entries\":0,"
            "\"compileFailures\":0,\"steps\":0}");
}

TEST(JitStatusView, ShowsTheNumbersOfAnAvailableJit) {
  JitStatus s;
  s.enabled = s.available = s.installed = true;
  s.stats.translations = 12;
  s.stats.compile_ns = 3'400'000;
  s.stats.modules_live = 9;
  s.stats.code_bytes = 48 * 1024;
  s.stats.evictions = 2;
  s.stats.invalidations = 1;
  s.stats.steps_jitted = 750'000;
  s.stats.entries = 4321;
  s.steps = 1'000'000;
  EXPECT_DOUBLE_EQ(jit_step_share(s), 0.75);
  const std::vector<std::string> lines = jit_status_lines(s);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "JIT: on");
  EXPECT_EQ(lines[1], "Translations: 12 compiled in 3.4 ms (0 refused by the host)");
  EXPECT_EQ(lines[2], "Code cache: 9 modules live, 48.0 KiB of code");
  EXPECT_EQ(lines[3], "Evictions: 2, invalidations: 1");
  EXPECT_EQ(lines[4], "Translated code ran 750 k steps (75.0% of all), entered 4.32 k times");
  EXPECT_EQ(jit_json(s),
            "{\"enabled\":true,\"available\":true,\"why\":\"\",\"installed\":true,"
            "\"translations\":12,\"compileMs\":3.400,\"modulesLive\":9,\"codeBytes\":49152,"
            "\"evictions\":2,\"invalidations\":1,\"stepsJitted\":750000,\"entries\":4321,"
            "\"compileFailures\":0,\"steps\":1000000}");
  // Switched on but not yet on the hart; switched off.
  s.installed = false;
  EXPECT_EQ(jit_status_lines(s)[0], "JIT: on (from the next run)");
  s.enabled = false;
  EXPECT_EQ(jit_status_lines(s)[0], "JIT: off");
  // No steps: no share; more jitted steps than counted (a JIT made mid-run) caps at 1.
  s.steps = 0;
  EXPECT_EQ(jit_step_share(s), 0);
  s.steps = 10;
  EXPECT_EQ(jit_step_share(s), 1);
}

TEST(JitTranslationsJson, EscapesTheTextsAndNamesThePages) {
  JitTranslationLog log;
  EXPECT_EQ(jit_translations_json(log), "[]");
  JitTranslation t = translation(0x80002000, 1, 1);
  t.wat = "(module \"q\"\t)\n";
  log.add(t);
  EXPECT_EQ(jit_translations_json(log),
            "[{\"seq\":1,\"page\":\"0x0000000080002000\",\"entries\":[\"0x0000000080002000\"],"
            "\"riscv\":\"addi a0, a0, 0\\u000a\",\"wat\":\"(module \\\"q\\\"\\u0009)\\u000a\","
            "\"bytes\":101,\"compileMs\":0.250,\"truncated\":false}]");
  EXPECT_EQ(jit_translation_label(log.records().back()),
            "#1 0x0000000080002000  1 entries  101 B  0.25 ms");
}

TEST(JitPanel, DrawsTheListAndTheSelectedTranslationSideBySide) {
  ImGuiFrames gui;
  JitTranslationLog log;
  JitStatus status;
  status.enabled = status.available = status.installed = true;
  uint64_t selected = 0;
  auto frame = [&] {
    ImGui::GetIO().DisplaySize = ImVec2(900, 700);
    ImGui::NewFrame();
    ImGui::SetNextWindowSize(ImVec2(900, 700));
    ImGui::Begin("JIT");
    draw_jit_view(status, log, selected);
    ImGui::End();
    ImGui::Render();
    return ImGui::GetDrawData();
  };
  const int empty = frame()->CmdListsCount;
  EXPECT_EQ(selected, 0u);  // nothing to select
  for (int i = 0; i < 5; ++i) log.add(translation(0x80000000 + 0x1000 * i, 200));
  ImDrawData* drawn = frame();
  ASSERT_TRUE(drawn->Valid);
  EXPECT_EQ(selected, 5u);                 // the newest
  EXPECT_GT(drawn->CmdListsCount, empty);  // the list and the two text panes
  selected = 2;
  frame();
  EXPECT_EQ(selected, 2u);  // a held one stays selected
  // Once the selected one is dropped, the newest is selected.
  for (size_t i = 0; i < JitTranslationLog::kMaxEntries; ++i) log.add(translation(0x1000 * i));
  frame();
  EXPECT_EQ(selected, log.records().back().seq);
}

class AppJitTest : public ::testing::Test {
 protected:
  /// Runs demo.elf to its prompt and returns its console output and instruction count.
  std::pair<std::string, uint64_t> run_demo() {
    host.output.clear();
    const std::vector<uint8_t> elf = testing::read_guest("demo.elf");
    std::string error;
    EXPECT_TRUE(app.load_guest(elf, "demo.elf", error)) << error;
    for (int i = 0; i < 400 && !app.waiting_for_input(); ++i)
      app.run_slice(app.next_budget_ms(), now_ms += 16);
    EXPECT_TRUE(app.waiting_for_input());
    return {host.output, app.machine().total_instructions()};
  }
  testing::TestHost host;
  App app{host};
  double now_ms = 0;
};

TEST_F(AppJitTest, WithoutAJitTheSwitchSaysWhyAndTheGuestStaysInterpreted) {
  std::string why;
  ASSERT_EQ(make_jit(JitOptions{}, why), nullptr) << "this test is for builds without a JIT";
  JitStatus s = app.jit_status();  // on by default, though this build cannot run it
  EXPECT_TRUE(s.enabled);
  EXPECT_FALSE(s.available);
  EXPECT_EQ(s.why, why);
  EXPECT_FALSE(s.installed);
  EXPECT_EQ(jit_status_lines(s)[0], "JIT unavailable: " + why);
  const auto on = run_demo();
  EXPECT_NE(on.first.find("glassvm> "), std::string::npos);

  app.set_jit_enabled(false);
  EXPECT_FALSE(app.jit_enabled());
  s = app.jit_status();
  EXPECT_FALSE(s.enabled);
  EXPECT_FALSE(s.installed);
  EXPECT_EQ(s.why, why);
  const auto off = run_demo();
  EXPECT_EQ(off, on);  // the same output after the same number of instructions

  app.set_jit_enabled(true);
  app.reset();  // a new machine is built with the switch on
  EXPECT_TRUE(app.jit_status().enabled);
  EXPECT_FALSE(app.jit_status().installed);
  EXPECT_EQ(app.jit_status().stats.translations, 0u);
  EXPECT_TRUE(app.jit_translations().records().empty());
  EXPECT_EQ(run_demo(), on);
  EXPECT_EQ(jit_json(app.jit_status()).rfind("{\"enabled\":true,\"available\":false,", 0), 0u);
}

TEST_F(AppJitTest, TheJitPanelIsOneOfThePanelsAtEverySize) {
  ImGuiFrames gui;
  run_demo();
  EXPECT_EQ(parse_panel("jit"), PanelId::Jit);
  EXPECT_STREQ(panel_title(PanelId::Jit), "JIT");
  for (float w : {1600.0f, 800.0f, 500.0f}) {
    ASSERT_TRUE(gui.frame(app, w, 900)->Valid);
    bool jit = false;
    for (const PanelRect& r : app.drawn_panels()) jit = jit || r.id == PanelId::Jit;
    EXPECT_TRUE(jit) << w;
  }
  EXPECT_NE(app.panels_json().find("{\"name\":\"JIT\",\"open\":true,\"shown\":true"),
            std::string::npos);
}

}  // namespace
}  // namespace glassvm::ui
