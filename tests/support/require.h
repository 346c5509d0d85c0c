// Tests that need something outside the repository (a tool such as dtc, a built guest).
#pragma once

#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

namespace glassvm::test {

/// Whether the tests run under CI (the environment variable CI=true), where nothing may skip.
inline bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::strcmp(ci, "true") == 0;
}

/// Whether `tool` is on PATH.
inline bool have_tool(const char* tool) {
  const std::string cmd = std::string("command -v ") + tool + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace glassvm::test

/// Ends the current test when `cond` is false: a skip naming `why` on a developer's machine, a
/// failure under CI, so that a missing tool never shrinks the suite silently there.
#define GLASSVM_REQUIRE(cond, why)                                    \
  do {                                                                \
    if (!(cond)) {                                                    \
      if (::glassvm::test::under_ci()) FAIL() << why << " (CI=true)"; \
      GTEST_SKIP() << why;                                            \
    }                                                                 \
  } while (0)
