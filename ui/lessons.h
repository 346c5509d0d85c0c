// The Lessons panel's model: the catalog of lessons (a bundled guest, its -device list, an
// introduction and steps) and the runner that steps a student through one.
//
// Design note: a step says what to watch and what it means, and names the event that ends it
// (its stop condition): the next IOMMU event (of a type, of a device), the next trap (of a set
// of causes), console output containing a text, or nothing (a step to read). "Run to the next
// event" arms the App's matching one-shot stop (App::set_pause_on_iommu_event,
// set_pause_on_trap, set_pause_on_console) and resumes; the App pauses the hart at the
// instruction boundary after the event, and the runner, polled by the App around each slice,
// sees the new StopReport and marks the step met. Nothing is armed while no lesson waits, so
// the hart's hot path is untouched. A lesson's guest starts paused at its first instruction
// (and again after every reset or reload), so that the student reads the introduction first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ui/app.h"
#include "ui/iommu_events.h"

namespace glassvm::ui {

/// What ends a lesson step when the student runs to the next event.
struct StopCondition {
  enum class Kind { None, IommuEvent, Trap, Console };
  Kind kind = Kind::None;        ///< None: a step to read; "Run" moves on to the next step
  IommuEventFilter event;        ///< IommuEvent: the events that count
  std::vector<uint64_t> causes;  ///< Trap: the mcause values that count (empty: any trap)
  std::string text;              ///< Console: the output that counts
};

/// One step of a lesson.
struct LessonStep {
  std::string title;
  std::string text;  ///< what to watch, and what it means
  StopCondition stop;
};

/// A lesson: a bundled guest on a machine with `devices`, an introduction and steps.
struct Lesson {
  std::string id;  ///< "riscv-iommu", "page-fault", ... (?lesson=<id>)
  std::string title;
  std::string guest;                 ///< the bundled guest's name (App::choose_guest)
  std::vector<std::string> devices;  ///< -device arguments (App::set_devices)
  std::string intro;
  std::vector<LessonStep> steps;
  uint64_t disk_mib = 0;  ///< a blank disk of this size when the App has none (0: no disk)
};

/// What `stop` waits for, in words ("the next IOMMU event (UNMAP) of device 9", "the next trap
/// with cause 12, 13 or 15", "console output containing \"...\"", "nothing: a step to read").
std::string describe_condition(const StopCondition& stop);

/// Every lesson, in the order the panel lists them.
const std::vector<Lesson>& lesson_catalog();
/// The lesson with `id`, or null.
const Lesson* find_lesson(std::string_view id);
/// glassvm.lessons(): [{"id","title","guest","devices":[...],"intro","steps":[{"title","text",
/// "stop"}]}], "stop" being "none", "iommu", "trap" or "console".
std::string lessons_json();

/// Steps a student through one lesson on an App (the App owns one: App::lessons()).
class LessonRunner {
 public:
  enum class State {
    Closed,    ///< no lesson open
    Loading,   ///< the lesson's guest is not the App's guest yet (downloading)
    Ready,     ///< at a step, nothing armed: the student reads, then runs
    Waiting,   ///< the step's stop is armed and the guest runs towards it
    Stopped,   ///< the step's event happened (stop()), or the guest exited first
    Finished,  ///< past the last step
  };

  /// Opens lesson `id`: sets the App's devices (and a blank disk when the lesson has one and
  /// the App none) and chooses its guest (loaded now when the App holds its bytes, else fetched
  /// by the embedder). Returns false with `error` for an unknown id or refused devices (the App
  /// then keeps its machine).
  bool open(App& app, std::string_view id, std::string& error);
  /// Closes the lesson and disarms its stop; the machine stays as it is.
  void close(App& app);
  /// "Run to the next event": after a met step, moves to the next one; then arms the step's
  /// stop and resumes the guest. A step without a stop moves on. Does nothing while closed,
  /// loading or finished.
  void run(App& app);
  /// "Next step": disarms and moves to the next step without running (past the last: Finished).
  void next(App& app);
  /// Notices what happened since the last call: a (re)loaded guest (back to step 0, paused), a
  /// met stop, an exit. App::run_slice and App::step call it.
  void poll(App& app);

  const Lesson* lesson() const { return lesson_; }
  /// The current step's index (steps().size() once finished).
  size_t step() const { return step_; }
  State state() const { return state_; }
  /// The stop that met the current step (kind None when the guest exited instead).
  const StopReport& stop() const { return stop_; }
  /// What happened at the stop, in words ("" while none).
  const std::string& stop_text() const { return stop_text_; }

  /// glassvm.lessonState(): {"id","title","step","stepCount","stepTitle","text","state",
  /// "waiting","stopped","lastStop"}; "lastStop" is null or {"kind":"iommu"|"trap"|"console"|
  /// "exit","text","pc", and per kind "seq","type","device","iova","last" / "cause","tval",
  /// "epc" / "console"}; addresses as 16-digit hex strings. {"id":null,...} when closed.
  std::string state_json() const;

 private:
  void advance(App& app);

  const Lesson* lesson_ = nullptr;
  size_t step_ = 0;
  State state_ = State::Closed;
  uint64_t epoch_ = 0;        ///< the App's machine epoch the lesson last started on
  uint64_t armed_count_ = 0;  ///< App::last_stop().count when the step was armed
  StopReport stop_;
  std::string stop_text_;
};

/// The state's name in state_json ("closed", "loading", "ready", "waiting", "stopped",
/// "finished").
const char* lesson_state_name(LessonRunner::State state);

}  // namespace glassvm::ui
