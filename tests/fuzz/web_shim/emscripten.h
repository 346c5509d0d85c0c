// The part of Emscripten's <emscripten.h> that web/exports.cpp and web/browser_host.cpp use,
// for a native build of the page's C++ side (tests/fuzz/web_api_fuzz.cpp). The clock is a fake
// one (fake_clock.h), so that every time slice the page runs is bounded and the same on every
// run; what would go to JavaScript (the console's output, the logs) is dropped, and what
// would come from it (the bytes of a snapshot's held sections) is not there.
#pragma once

// Not Emscripten's: the exports' declarations, so that exports.cpp is checked against them.
#include "tests/fuzz/web_shim/web_exports.h"

/// Emscripten keeps such functions for JS to call; natively there is nothing to keep.
#define EMSCRIPTEN_KEEPALIVE

/// EM_JS(ret, name, (params), { JavaScript }) defines a C function whose body is JavaScript;
/// natively it does nothing and returns ret() (0: exports.cpp's js_copy_held then finds no
/// section held, and the load that asked must fail cleanly).
#define EM_JS(ret, name, params, ...) \
  ret name params {                   \
    return ret();                     \
  }

extern "C" {
/// performance.now() in the browser; here the fake clock in ms (fake_clock.h), which every
/// call advances by kFakeClockTickMs.
double emscripten_get_now(void);
}
