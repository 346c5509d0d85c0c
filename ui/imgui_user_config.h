// Dear ImGui configuration for native builds (IMGUI_USER_CONFIG, set by ui/CMakeLists.txt).
//
// Design note: ImGui checks its API contract (Begin/End pairing, ID stack, table use) with
// IM_ASSERT, which is plain assert() by default and so vanishes in Release builds. The native
// tests run Release builds, so natively IM_ASSERT always stays on: a panel that misuses ImGui
// fails its headless frame test instead of passing silently. The web build keeps the default.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace glassvm::ui {
/// Reports a failed ImGui check and aborts (a programmer error in a panel).
[[noreturn]] inline void imgui_check_failed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: ImGui check failed: %s\n", file, line, expr);
  std::abort();
}
}  // namespace glassvm::ui

#define IM_ASSERT(_EXPR) \
  ((_EXPR) ? (void)0 : ::glassvm::ui::imgui_check_failed(#_EXPR, __FILE__, __LINE__))
