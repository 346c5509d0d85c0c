// The page's C++ entry point: a GLFW window on the #canvas element with a WebGL2 context, Dear
// ImGui on top of it, and the frame loop that runs the guest for a time slice and then draws.
//
// Design note: the browser calls frame() once per requestAnimationFrame. Each frame first runs
// the guest for the budget ui::App sizes from the recent frame times (so a guest running flat
// out cannot make the page sluggish), flushes the console output to the page, then draws. The
// time fed back to App is the work done inside the frame (guest plus drawing), not the interval
// between animation frames, which the browser caps at the display's refresh rate and stretches
// for background tabs.
#define GLFW_INCLUDE_ES3
#include <GLFW/glfw3.h>
#include <emscripten.h>
#include <emscripten/html5.h>

#include <algorithm>
#include <cstdio>

#include "imgui.h"
#include "imgui_impl_glfw.h"
#include "imgui_impl_opengl3.h"
#include "web/session.h"

namespace glassvm::web {
namespace {

/// Longest frame fed back to App: a frame that took longer was an outlier (a compile, a GC),
/// not a measure of how much guest work fits in one.
constexpr double kMaxFrameSampleMs = 250;
/// While the guest runs flat out, the panels are drawn on one frame in this many.
constexpr int kFramesPerDraw = 3;
/// Until the first guest is loaded, the panels are drawn on one frame in this many.
constexpr int kFramesPerDrawWhileLoading = 8;

struct Page {
  WebSession* session = nullptr;
  GLFWwindow* window = nullptr;
  int width = 0, height = 0;
  bool busy = false;  ///< the last slice ran the guest flat out (not idle, paused or asleep)
  int frames_since_draw = 0;
};

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

void frame(void* arg) {
  Page& page = *static_cast<Page*>(arg);
  WebSession& s = *page.session;
  const double start = emscripten_get_now();

  // While the guest computes flat out (a booting kernel), the panels are drawn on one frame
  // of kFramesPerDraw only, and the other frames give the guest a whole slice: drawing the
  // panels (on the CPU, where WebGL has no GPU) would otherwise take most of every frame. The
  // console is the DOM's, so its output still appears on every frame. An idle, paused or
  // sleeping guest gets every frame drawn.
  // Before the first guest is loaded, the page is downloading it: the panels (empty) are drawn
  // rarely, so that the downloads' callbacks and the unpacking get the main thread.
  const bool waiting_for_guest = s.app.guest_name().empty();
  if (waiting_for_guest && ++page.frames_since_draw < kFramesPerDrawWhileLoading) return;
  if (page.busy && ++page.frames_since_draw < kFramesPerDraw) {
    s.app.run_slice(ui::SliceController::kMaxBudgetMs, start);
    s.host.flush_output();
    page.busy = s.app.status().empty();
    return;
  }
  page.frames_since_draw = 0;
  s.app.run_slice(s.app.next_budget_ms(), start);
  s.host.flush_output();
  page.busy = s.app.status().empty();

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

EM_JS(void, js_report_fatal, (const char* text), {
  if (Module["onGlassvmFatal"]) Module["onGlassvmFatal"](UTF8ToString(text));
});

// The Machine panel asks the page to download a bundled guest or to open the file dialog.
EM_JS(void, js_fetch_guest, (const char* name), {
  if (Module["onGlassvmFetchGuest"]) Module["onGlassvmFetchGuest"](UTF8ToString(name));
});
EM_JS(void, js_open_file_dialog, (), {
  if (Module["onGlassvmOpenFile"]) Module["onGlassvmOpenFile"]();
});

}  // namespace
}  // namespace glassvm::web

int main() {
  using namespace glassvm::web;
  if (!glfwInit()) {
    js_report_fatal("GLFW could not be initialised");
    return 1;
  }
  glfwWindowHint(GLFW_CLIENT_API, GLFW_OPENGL_ES_API);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  auto* page = new Page;  // lives as long as the page; the main loop never returns
  double css_w = 800, css_h = 600;
  emscripten_get_element_css_size("#canvas", &css_w, &css_h);
  page->width = std::max(1, static_cast<int>(css_w));
  page->height = std::max(1, static_cast<int>(css_h));
  page->window = glfwCreateWindow(page->width, page->height, "GlassVM", nullptr, nullptr);
  if (page->window == nullptr) {
    js_report_fatal("WebGL2 is not available in this browser: the panels cannot be drawn");
    return 1;
  }
  glfwMakeContextCurrent(page->window);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // no file system: layout is not persisted
  ImGui::StyleColorsDark();
  ImGui_ImplGlfw_InitForOpenGL(page->window, /*install_callbacks=*/true);
  ImGui_ImplOpenGL3_Init("#version 300 es");

  page->session = new WebSession;
  page->session->app.set_callbacks(glassvm::ui::AppCallbacks{
      .fetch_guest = [](const std::string& name) { js_fetch_guest(name.c_str()); },
      .open_file_dialog = [] { js_open_file_dialog(); },
  });
  set_session(page->session);
  emscripten_set_main_loop_arg(frame, page, 0, /*simulate_infinite_loop=*/true);
  return 0;
}
