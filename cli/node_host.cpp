#include "cli/node_host.h"

#include <emscripten.h>

namespace glassvm {

namespace {

constexpr int kStdinHighWater = 64 * 1024;

// Module.glassvmNode holds the stdin queue and the run loop's timer (main_node.cpp).
// Returns whether the terminal went into raw mode.
EM_JS(int, gv_stdin_start, (int raw_tty, int high_water), {
  const g = Module.glassvmNode = Module.glassvmNode || {};
  g.chunks = [];
  g.queued = 0;
  g.ended = false;
  g.raw = false;
  g.highWater = high_water;
  const stdin = process.stdin;
  if (raw_tty && stdin.isTTY) {
    stdin.setRawMode(true);
    g.raw = true;
  }
  const wake = function() {
    if (g.wake) g.wake();
  };
  stdin.on(
      'data', function(bytes) {
        g.chunks.push(bytes);
        g.queued += bytes.length;
        if (g.queued >= g.highWater) stdin.pause();
        wake();
      });
  const end = function() {
    g.ended = true;
    wake();
  };
  stdin.on('end', end);
  stdin.on('error', end);
  return g.raw ? 1 : 0;
});

EM_JS(void, gv_stdin_stop, (), {
  const g = Module.glassvmNode;
  if (g.raw) process.stdin.setRawMode(false);
  process.stdin.pause();
  process.stdin.removeAllListeners('data');
});

// Copies up to `len` queued bytes to `ptr`; returns how many, or -1 at the end of input.
EM_JS(int, gv_stdin_read, (uint8_t * ptr, int len), {
  const g = Module.glassvmNode;
  let n = 0;
  while (n < len && g.chunks.length) {
    const chunk = g.chunks[0];
    const take = Math.min(len - n, chunk.length);
    HEAPU8.set(chunk.subarray(0, take), (ptr >>> 0) + n);
    n += take;
    if (take == chunk.length)
      g.chunks.shift();
    else
      g.chunks[0] = chunk.subarray(take);
  }
  g.queued -= n;
  if (g.queued < g.highWater / 4 && process.stdin.isPaused() && !g.ended) process.stdin.resume();
  return n == 0 && g.ended ? -1 : n;
});

EM_JS(int, gv_stdin_queued, (), { return Module.glassvmNode.queued; });

}  // namespace

NodeHost::NodeHost(bool raw_tty) {
  raw_ = gv_stdin_start(raw_tty, kStdinHighWater) != 0;
}

NodeHost::~NodeHost() {
  gv_stdin_stop();
}

bool NodeHost::input_pending() {
  return !eof_ && gv_stdin_queued() > 0;
}

size_t NodeHost::console_read(std::span<uint8_t> out) {
  size_t got = 0;
  while (got < out.size() && !eof_ && !quit_) {
    const int n = gv_stdin_read(out.data() + got, static_cast<int>(out.size() - got));
    if (n < 0) eof_ = true;
    if (n <= 0) break;
    if (!raw_) {
      got += static_cast<size_t>(n);
      continue;
    }
    // Filter the terminal's keys in place through the C-a escapes.
    size_t kept = got;
    for (size_t i = got; i < got + static_cast<size_t>(n); ++i) {
      if (!quit_ && filter_terminal_byte(out[i])) out[kept++] = out[i];
    }
    got = kept;
  }
  return got;
}

}  // namespace glassvm
