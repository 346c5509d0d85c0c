// glassvm-node: the command line built with Emscripten and run by node (scripts/glassvm-node).
// Same options, statuses and console as the native glassvm (main.cpp), plus the wasm JIT.
//
// Design note: node runs JS and this program on one thread, and process.stdin's events are
// delivered only when control returns to node's event loop. So main() sets the session up and
// returns, and glassvm_node_tick() runs it from timers: slices for up to kTickBudgetMs of
// wall time, then setImmediate (stdin events get their turn in between), or setTimeout when
// the session says Wait, cut short by the first input. On Exit it flushes, restores the
// terminal and ends node with the status.
#include <emscripten.h>

#include <chrono>
#include <cstdio>

#include "cli/node_host.h"
#include "cli/session.h"

using namespace glassvm;

namespace {

constexpr int kTickBudgetMs = 20;

std::unique_ptr<Session> g_session;  // node's event loop, not main(), owns the run

// Calls glassvm_node_tick() after `ms` (0: at the next turn of the event loop); input arriving
// meanwhile (node_host.cpp calls Module.glassvmNode.wake) calls it at once.
EM_JS(void, gv_schedule, (int ms), {
  const g = Module.glassvmNode;
  const run = function() {
    g.timer = null;
    g.wake = null;
    Module['_glassvm_node_tick']();
  };
  if (ms <= 0) {
    setImmediate(run);
    return;
  }
  g.timer = setTimeout(run, ms);
  g.wake = function() {
    clearTimeout(g.timer);
    g.wake = null;
    setImmediate(run);
  };
});

EM_JS(void, gv_exit, (int status), { process.exit(status); });

void end_run(int status) {
  g_session.reset();  // restores the terminal, closes the -D and --dump-jit files
  fflush(nullptr);
  gv_exit(status);
}

}  // namespace

extern "C" EMSCRIPTEN_KEEPALIVE void glassvm_node_tick() {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const Step step = g_session->step();
    if (step.kind == Step::Kind::Exit) return end_run(step.status);
    if (step.kind == Step::Kind::Wait) return gv_schedule(step.wait_ms);
    if (std::chrono::steady_clock::now() - start > std::chrono::milliseconds(kTickBudgetMs)) {
      return gv_schedule(0);
    }
  }
}

int main(int argc, char** argv) {
  int status = 0;
  g_session = Session::open(
      argc, argv,
      [](const CliOptions& opts) {
        return std::make_unique<NodeHost>(/*raw_tty=*/!opts.info_mtree);
      },
      status);
  if (!g_session) {
    fflush(nullptr);
    gv_exit(status);
    return status;
  }
  gv_schedule(0);
  return 0;
}
