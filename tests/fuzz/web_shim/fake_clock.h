// The fake clock behind the native emscripten_get_now() (emscripten.h): it starts at 0 and
// moves only when it is read (by a fixed tick) or advanced, so that a loop that waits for the
// clock, as glassvm_run_for does, ends after a bounded number of reads.
#pragma once

namespace glassvm::fuzz {

/// How far each emscripten_get_now() call moves the clock, in ms.
constexpr double kFakeClockTickMs = 1.0;

/// Sets the clock back to 0 (before each fuzz input, so that runs do not depend on the last).
void fake_clock_reset();
/// Moves the clock `ms` forward (ignored unless positive and finite).
void fake_clock_advance(double ms);

}  // namespace glassvm::fuzz
