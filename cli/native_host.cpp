#include "cli/native_host.h"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace glassvm {

namespace {
constexpr uint8_t kCtrlA = 0x01;
}

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
  if (log_ != stderr) fclose(log_);
}

bool NativeHost::set_log_file(const std::string& path, std::string& error) {
  FILE* f = fopen(path.c_str(), "w");
  if (!f) {
    error = path + ": " + strerror(errno);
    return false;
  }
  if (log_ != stderr) fclose(log_);
  log_ = f;
  return true;
}

void NativeHost::console_write(std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stdout closed: the guest's output has nowhere to go
    done += static_cast<size_t>(n);
  }
}

size_t NativeHost::console_read(std::span<uint8_t> out) {
  size_t got = 0;
  while (got < out.size() && !eof_ && !quit_) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP))) break;
    uint8_t c;
    const ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = true;
      break;
    }
    if (raw_) {
      if (escape_) {
        escape_ = false;
        if (c == 'x' || c == 'X') {
          quit_ = true;
          break;
        }
        if (c == 'h' || c == '?') {
          static const char kHelp[] = "\r\nC-a x    exit\r\nC-a C-a  send C-a\r\n";
          console_write({reinterpret_cast<const uint8_t*>(kHelp), sizeof kHelp - 1});
          continue;
        }
        if (c != kCtrlA) continue;
      } else if (c == kCtrlA) {
        escape_ = true;
        continue;
      }
    }
    out[got++] = c;
  }
  return got;
}

uint64_t NativeHost::wall_clock_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void NativeHost::log(LogLevel level, std::string_view message) {
  fwrite(message.data(), 1, message.size(), log_);
  if (message.empty() || message.back() != '\n') fputc('\n', log_);
  if (level >= LogLevel::Warning) fflush(log_);
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
