// What the teaching programs share: a lesson is a list of numbered steps, each printing what
// the program asks and what the hardware answers, and a set of checks of those answers against
// the specification. A check that fails is printed; the others stay quiet, so that the output
// reads as the lesson. The exit status says whether every check held.
#pragma once

#include "rt.h"

static unsigned g_checks, g_failures;

/// Records one expectation of the lesson; prints it only when it fails. Returns `ok`.
static int expect(int ok, const char* what) {
  g_checks++;
  if (!ok) {
    g_failures++;
    printf("  !! UNEXPECTED: %s\n", what);
  }
  return ok;
}

/// Starts a step of the lesson.
static void step(const char* title) {
  printf("\n== %s\n", title);
}

/// Prints the verdict ("every step behaved as `judge` says") and returns the exit status: 0
/// when every check held, 1 otherwise.
static int lesson_end(const char* judge) {
  if (g_failures == 0) {
    printf("\n%u checks, 0 unexpected: every step behaved as %s says\n", g_checks, judge);
    return 0;
  }
  printf("\n%u checks, %u unexpected: FAILED\n", g_checks, g_failures);
  return 1;
}
