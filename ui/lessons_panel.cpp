// The Lessons panel: the list of lessons; an open lesson's introduction, its current step with
// "Run to the next event" and "Next step", and what happened at the stop.
#include "imgui.h"
#include "ui/app.h"
#include "ui/lessons.h"
#include "ui/panels.h"

namespace glassvm::ui {

namespace {

const ImVec4 kStopColour(1.0f, 0.8f, 0.35f, 1.0f);

void draw_catalog(App& app) {
  ImGui::TextWrapped(
      "Each lesson opens a teaching guest on the machine it needs and steps you through it: "
      "read the step, run to its event, see what happened.");
  for (const Lesson& lesson : lesson_catalog()) {
    ImGui::PushID(lesson.id.c_str());
    if (ImGui::Button("Open")) {
      std::string error;
      app.lessons().open(app, lesson.id, error);  // a refusal is in the messages
    }
    ImGui::SameLine();
    ImGui::TextUnformatted(lesson.title.c_str());
    ImGui::PopID();
  }
}

/// The step list: done steps dimmed, the current one marked.
void draw_step_list(const Lesson& lesson, size_t current) {
  for (size_t i = 0; i < lesson.steps.size(); ++i) {
    const char* mark = i < current ? "done" : i == current ? " -> " : "    ";
    if (i < current)
      ImGui::TextDisabled("%s %zu. %s", mark, i + 1, lesson.steps[i].title.c_str());
    else
      ImGui::Text("%s %zu. %s", mark, i + 1, lesson.steps[i].title.c_str());
  }
}

void draw_buttons(App& app, LessonRunner& runner) {
  using State = LessonRunner::State;
  const State state = runner.state();
  const bool can_run = state == State::Ready || state == State::Stopped;
  ImGui::BeginDisabled(!can_run);
  if (ImGui::Button("Run to the next event")) runner.run(app);
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(state == State::Finished || state == State::Loading);
  if (ImGui::Button("Next step")) runner.next(app);
  ImGui::EndDisabled();
  ImGui::SameLine();
  if (ImGui::Button("Start again")) app.reset();  // the runner goes back to the first step
}

void draw_open_lesson(App& app, LessonRunner& runner) {
  const Lesson& lesson = *runner.lesson();
  ImGui::TextUnformatted(lesson.title.c_str());
  ImGui::SameLine();
  if (ImGui::SmallButton("Close")) {
    runner.close(app);
    return;
  }
  if (runner.state() == LessonRunner::State::Loading) {
    ImGui::TextDisabled("Loading %s...", lesson.guest.c_str());
    return;
  }
  if (ImGui::CollapsingHeader("Introduction",
                              runner.step() == 0 ? ImGuiTreeNodeFlags_DefaultOpen : 0))
    ImGui::TextWrapped("%s", lesson.intro.c_str());
  if (ImGui::CollapsingHeader("Steps")) draw_step_list(lesson, runner.step());
  ImGui::Separator();
  if (runner.state() == LessonRunner::State::Finished) {
    ImGui::TextWrapped(
        "The lesson is over: the guest runs on to its end. Start again, or "
        "close the lesson to choose another.");
    draw_buttons(app, runner);
    return;
  }
  const LessonStep& step = lesson.steps[runner.step()];
  ImGui::Text("Step %zu of %zu: %s", runner.step() + 1, lesson.steps.size(), step.title.c_str());
  ImGui::TextWrapped("%s", step.text.c_str());
  ImGui::TextDisabled("Runs to: %s", describe_condition(step.stop).c_str());
  draw_buttons(app, runner);
  switch (runner.state()) {
    case LessonRunner::State::Waiting: ImGui::TextDisabled("Running..."); break;
    case LessonRunner::State::Stopped:
      ImGui::PushStyleColor(ImGuiCol_Text, kStopColour);
      ImGui::TextWrapped("Stopped at %s", runner.stop_text().c_str());
      ImGui::PopStyleColor();
      ImGui::TextDisabled("The guest is paused here: look at the panels, then run on.");
      break;
    default: break;
  }
}

}  // namespace

void draw_lessons_panel(App& app) {
  LessonRunner& runner = app.lessons();
  if (runner.lesson() == nullptr)
    draw_catalog(app);
  else
    draw_open_lesson(app, runner);
}

}  // namespace glassvm::ui
