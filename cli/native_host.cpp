#include "cli/native_host.h"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

namespace glassvm {

struct NativeHost::Saved {
  termios tio;
};

NativeHost::NativeHost(bool raw_tty) {
  if (raw_tty && isatty(STDIN_FILENO)) {
    saved_ = new Saved;
    if (tcgetattr(STDIN_FILENO, &saved_->tio) == 0) {
      termios raw = saved_->tio;
      raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
      raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
      raw.c_cc[VMIN] = 1;
      raw.c_cc[VTIME] = 0;
      raw_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
  }
}

NativeHost::~NativeHost() {
  if (raw_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_->tio);
  delete saved_;
}

bool NativeHost::input_pending() {
  if (eof_) return false;
  pollfd p{STDIN_FILENO, POLLIN, 0};
  return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP));
}

size_t NativeHost::console_read(std::span<uint8_t> out) {
  size_t got = 0;
  while (got < out.size() && !eof_ && !quit_) {
    if (!input_pending()) break;
    uint8_t c;
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = true;
      break;
    }
    if (raw_ && !filter_terminal_byte(c)) continue;
    out[got++] = c;
  }
  return got;
}

void NativeHost::wait_for_input(int timeout_ms) {
  if (eof_) {
    usleep(static_cast<useconds_t>(timeout_ms) * 1000);
    return;
  }
  pollfd p{STDIN_FILENO, POLLIN, 0};
  poll(&p, 1, timeout_ms);
}

}  // namespace glassvm
