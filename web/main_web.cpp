// The page's C++ entry point: a GLFW window on the #canvas element with a WebGL2 context, Dear
// ImGui on top of it, and the frame loop that runs the guest for a time slice and then draws.
//
// Design note: the browser calls frame() once per requestAnimationFrame. Each frame first runs
// the guest for the budget ui::App sizes from the recent frame times (so a guest running flat
// out cannot make the page sluggish), flushes the console output to the page, then draws. The
// time fed back to App is the work done inside the frame (guest plus drawing), not the interval
// between animation frames, which the browser caps at the display's refresh rate and stretches
// for background tabs. While the page starts (downloading and booting the first guest, until
// it waits for input) nothing is drawn at all, and the WebGL context does not even exist yet
// (open_window), so that the downloads and the boot get the whole thread.
#define GLFW_INCLUDE_ES3
#include <GLFW/glfw3.h>
#include <emscripten.h>
#include <emscripten/html5.h>

#include <algorithm>
#include <cstdio>

#include "engine/board/machine.h"
#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"
#include "web/session.h"

namespace glassvm::web {
namespace {

/// Longest frame fed back to App: a frame that took longer was an outlier (a compile, a GC),
/// not a measure of how much guest work fits in one.
constexpr double kMaxFrameSampleMs = 250;
/// While the first guest is still downloading, the empty panels are drawn at most this often.
/// (While the guest runs flat out, App::draw_pacer() spaces the drawings.)
constexpr double kNoGuestDrawIntervalMs = 500;
/// The page's start (see Page::quiet_start) ends by this time after navigation at the latest.
constexpr double kQuietStartMaxMs = 10000;

struct Page {
  WebSession* session = nullptr;
  GLFWwindow* window = nullptr;
  int width = 0, height = 0;
  bool busy = false;  ///< the last slice ran the guest flat out (not idle, paused or asleep)
  double last_draw_ms = -ui::DrawPacer::kMaxIntervalMs;
  /// The page is starting: nothing is drawn until the first guest waits for input (a shell
  /// at its prompt), pauses or ends, the user acts on the panels, or kQuietStartMaxMs passes.
  bool quiet_start = true;
  bool no_webgl = false;  ///< the window could not be created (open_window)
};

/// Guest time run by the page between animation frames, per task (see run_between_frames).
constexpr double kBetweenFramesSliceMs = 8;

Page* g_page = nullptr;  ///< the page, for the functions JS calls

/// Set by the GLFW input callbacks: the user acted on the panels since they were last drawn.
bool g_panel_input = false;

void note_panel_input() {
  g_panel_input = true;
}

/// Notices input aimed at the panels. Installed before ImGui's callbacks, which chain to these.
void watch_panel_input(GLFWwindow* window) {
  glfwSetCursorPosCallback(window, [](GLFWwindow*, double, double) { note_panel_input(); });
  glfwSetMouseButtonCallback(window, [](GLFWwindow*, int, int, int) { note_panel_input(); });
  glfwSetScrollCallback(window, [](GLFWwindow*, double, double) { note_panel_input(); });
  glfwSetKeyCallback(window, [](GLFWwindow*, int, int, int, int) { note_panel_input(); });
  glfwSetCharCallback(window, [](GLFWwindow*, unsigned int) { note_panel_input(); });
}

/// Keeps the GLFW window (the canvas' drawing buffer) the size the page lays the canvas out at.
void follow_canvas_size(Page& page) {
  double css_w = 0, css_h = 0;
  if (emscripten_get_element_css_size("#canvas", &css_w, &css_h) != EMSCRIPTEN_RESULT_SUCCESS) {
    return;
  }
  const int w = std::max(1, static_cast<int>(css_w));
  const int h = std::max(1, static_cast<int>(css_h));
  if (w != page.width || h != page.height) {
    page.width = w;
    page.height = h;
    glfwSetWindowSize(page.window, w, h);
  }
}

// While the guest is busy, the page also runs it between animation frames (web/glassvm.js
// posts one task after another while run_between_frames says the guest is still busy): the
// frame callback alone leaves the main thread idle from the end of one frame to the next
// vsync, a third of the time or more when frames run late.
EM_JS(void, js_kick_pump, (), {
  if (Module["onGlassvmBusy"]) Module["onGlassvmBusy"]();
});

EM_JS(void, js_note_panels, (), {
  if (Module["onGlassvmPanels"]) Module["onGlassvmPanels"]();
});
EM_JS(void, js_report_fatal, (const char* text), {
  if (Module["onGlassvmFatal"]) Module["onGlassvmFatal"](UTF8ToString(text));
});

/// Runs the guest for about `budget_ms` (`now_ms`: the frame's timestamp), shows its console
/// output, and notes whether it is still busy and for how long it ran (for the draw pacer).
void run_guest(Page& page, double budget_ms, double now_ms) {
  WebSession& s = *page.session;
  s.app.run_slice(budget_ms, now_ms);
  s.host.flush_output();
  page.busy = s.app.status().empty();
  const double end = emscripten_get_now();
  if (page.busy)
    s.app.draw_pacer().note_guest(end, s.app.last_slice_ms());
  else
    s.app.draw_pacer().restart(end);
}

/// A frame of the page's start: runs the guest (once it is loaded), draws nothing, and ends
/// the start when the guest settles. The first drawing costs the most (SwiftShader compiles
/// the shaders, then each drawing is read back), and while a kernel boots nobody looks at the
/// panels: the boot log is in the console, which is the DOM's.
void quiet_frame(Page& page, double start) {
  WebSession& s = *page.session;
  if (s.app.guest_name().empty()) return;  // still downloading
  run_guest(page, ui::SliceController::kMaxBudgetMs, start);
  if (page.busy) js_kick_pump();
  if (s.app.waiting_for_input() || s.app.paused() || s.app.machine().exited())
    page.quiet_start = false;
}

/// Runs the interpreter over a small loop, on a machine of its own (glassvm_warm_up). The
/// browser compiles a function with its optimizing tier only after it has run for a while, and
/// the hart's step loop (Cpu::run) is large: that compile takes about 150 ms of a core. The page
/// calls it as soon as the core is up when it boots a guest, so that the compile overlaps the
/// guest's download instead of the first 150 ms of its boot, which would otherwise run on the
/// baseline tier at a fraction of the speed; when it starts from a snapshot, whose guest waits
/// at a prompt, it calls it after the restore, which the warm-up's 50 ms would otherwise delay.
void warm_up_interpreter(Host& host) {
  // The loop at the start of RAM: t0 = 0x80001000 (lui; slli 32; srli 32), t1 = 0; then loads,
  // stores, arithmetic and a branch taken 7 times in 8 (riscv64-linux-gnu-as, -march=rv64i):
  //   loop: ld t2,0(t0); add t2,t2,t1; xor t3,t2,t1; sd t3,8(t0); sw t2,16(t0); lw t4,16(t0)
  //         addi t1,t1,1; andi t5,t1,7; beqz t5,skip; slli t6,t1,3; sub t2,t2,t6
  //   skip: sd t2,0(t0); j loop
  static constexpr uint32_t kLoop[] = {
      0x800012b7, 0x02029293, 0x0202d293, 0x00000313, 0x0002b383, 0x006383b3,
      0x0063ce33, 0x01c2b423, 0x0072a823, 0x0102ae83, 0x00130313, 0x00737f13,
      0x000f0663, 0x00331f93, 0x41f383b3, 0x0072b023, 0xfd1ff06f,
  };
  constexpr uint64_t kSteps = 1'000'000;
  MachineConfig config;
  config.ram_size = 1 << 20;
  config.firmware = Firmware::None;
  std::string error;
  std::unique_ptr<Machine> m = Machine::create(config, host, error);
  if (!m) return;  // nothing lost: the first guest's boot starts on the baseline tier
  m->cpu_as().write(virt::kDramBase, kLoop, sizeof(kLoop));
  m->cpu().set_pc(virt::kDramBase);
  m->run(kSteps);
}

/// Creates the GLFW window (the WebGL2 context on #canvas) and ImGui's backends for it, at the
/// first drawing rather than at start: creating the context (with the extension queries of
/// Emscripten's GL layer) and the canvas's first composite (read back into main memory without
/// GPU compositing) took about 150 ms of the main thread while the first guest downloads and
/// boots. Returns false once WebGL2 is found missing (reported once); the guest then runs with
/// its console and no panels.
bool open_window(Page& page) {
  if (page.window != nullptr) return true;
  if (page.no_webgl) return false;
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  double css_w = 800, css_h = 600;
  emscripten_get_element_css_size("#canvas", &css_w, &css_h);
  page.width = std::max(1, static_cast<int>(css_w));
  page.height = std::max(1, static_cast<int>(css_h));
  page.window = glfwCreateWindow(page.width, page.height, "GlassVM", nullptr, nullptr);
  if (page.window == nullptr) {
    page.no_webgl = true;
    js_report_fatal("WebGL2 is not available in this browser: the panels cannot be drawn");
    return false;
  }
  glfwMakeContextCurrent(page.window);
  watch_panel_input(page.window);
  ImGui_ImplGlfw_InitForOpenGL(page.window, /*install_callbacks=*/true);
  ImGui_ImplOpenGL3_Init("#version 300 es");
  js_note_panels();
  return true;
}

void frame(void* arg) {
  Page& page = *static_cast<Page*>(arg);
  WebSession& s = *page.session;
  const double start = emscripten_get_now();
  if (page.quiet_start && !g_panel_input && start < kQuietStartMaxMs) {
    quiet_frame(page, start);
    return;
  }
  page.quiet_start = false;
  if (!open_window(page)) {
    run_guest(page, ui::SliceController::kMaxBudgetMs, start);
    if (page.busy) js_kick_pump();
    return;
  }

  // While the guest computes flat out (a booting kernel), the panels are drawn every
  // draw_pacer().interval_ms() only (100 ms to 1 s: as often as leaves the guest about 85% of the
  // wall clock), or at once when the user acts on them, and the other frames give the guest a whole
  // slice: each drawing costs the page far more than drawing itself, since a browser without
  // GPU compositing reads the WebGL canvas back into main memory (tens of milliseconds for a
  // large canvas), and drawing every frame would take half of every second. The console is
  // the DOM's, so its output still appears on every frame. An idle, paused or sleeping guest
  // gets every frame drawn. Without a guest (the first one failed to download) the empty
  // panels are drawn as rarely.
  const bool waiting_for_guest = s.app.guest_name().empty();
  const double interval =
      waiting_for_guest ? kNoGuestDrawIntervalMs : s.app.draw_pacer().interval_ms();
  const bool draw_due = g_panel_input || start - page.last_draw_ms >= interval;
  if (waiting_for_guest && !draw_due) return;
  if (page.busy && !draw_due) {
    run_guest(page, ui::SliceController::kMaxBudgetMs, start);
    return;
  }
  page.last_draw_ms = start;
  g_panel_input = false;
  run_guest(page, s.app.next_budget_ms(), start);
  if (page.busy) js_kick_pump();

  follow_canvas_size(page);
  glfwPollEvents();
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
  s.app.draw(static_cast<float>(page.width), static_cast<float>(page.height));
  ImGui::Render();
  int fb_w = 0, fb_h = 0;
  glfwGetFramebufferSize(page.window, &fb_w, &fb_h);
  glViewport(0, 0, fb_w, fb_h);
  glClearColor(0.09f, 0.10f, 0.12f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

  s.app.note_frame(std::min(emscripten_get_now() - start, kMaxFrameSampleMs));
}

// The Machine panel asks the page to download a bundled guest or to open the file dialog.
EM_JS(void, js_fetch_guest, (const char* name), {
  if (Module["onGlassvmFetchGuest"]) Module["onGlassvmFetchGuest"](UTF8ToString(name));
});
EM_JS(void, js_open_file_dialog, (), {
  if (Module["onGlassvmOpenFile"]) Module["onGlassvmOpenFile"]();
});

}  // namespace
}  // namespace glassvm::web

extern "C" {

/// Runs the guest for one slice between animation frames; 1 while it is still busy (the page
/// then posts another task), 0 once it is idle, paused, asleep or stopped.
EMSCRIPTEN_KEEPALIVE int glassvm_run_between_frames() {
  using namespace glassvm::web;
  if (g_page == nullptr || !g_page->busy) return 0;
  run_guest(*g_page, kBetweenFramesSliceMs, emscripten_get_now());
  return g_page->busy ? 1 : 0;
}

/// See warm_up_interpreter; only the first call runs it.
EMSCRIPTEN_KEEPALIVE void glassvm_warm_up() {
  using namespace glassvm::web;
  static bool done = false;
  if (done || g_page == nullptr) return;
  done = true;
  warm_up_interpreter(g_page->session->host);
}

}  // extern "C"

int main() {
  using namespace glassvm::web;
  if (!glfwInit()) {
    js_report_fatal("GLFW could not be initialised");
    return 1;
  }
  auto* page = new Page;  // lives as long as the page; the main loop never returns
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // no file system: layout is not persisted
  ImGui::StyleColorsDark();
  // Until the window exists (open_window), a click or a wheel turn on the canvas is input for
  // the panels too: it ends the quiet start.
  const auto on_mouse = [](int, const EmscriptenMouseEvent*, void*) -> EM_BOOL {
    note_panel_input();
    return EM_FALSE;
  };
  const auto on_wheel = [](int, const EmscriptenWheelEvent*, void*) -> EM_BOOL {
    note_panel_input();
    return EM_FALSE;
  };
  emscripten_set_mousedown_callback("#canvas", nullptr, EM_FALSE, on_mouse);
  emscripten_set_wheel_callback("#canvas", nullptr, EM_FALSE, on_wheel);

  page->session = new WebSession;
  page->session->app.set_callbacks(glassvm::ui::AppCallbacks{
      .fetch_guest = [](const std::string& name) { js_fetch_guest(name.c_str()); },
      .open_file_dialog = [] { js_open_file_dialog(); },
  });
  set_session(page->session);
  g_page = page;
  emscripten_set_main_loop_arg(frame, page, 0, /*simulate_infinite_loop=*/true);
  return 0;
}
