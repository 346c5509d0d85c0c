#include "cli/cli_host.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace glassvm {

namespace {
constexpr uint8_t kCtrlA = 0x01;
}

CliHost::~CliHost() {
  if (log_ != stderr) fclose(log_);
}

bool CliHost::set_log_file(const std::string& path, std::string& error) {
  FILE* f = fopen(path.c_str(), "w");
  if (!f) {
    error = path + ": " + strerror(errno);
    return false;
  }
  if (log_ != stderr) fclose(log_);
  log_ = f;
  return true;
}

void CliHost::console_write(std::span<const uint8_t> bytes) {
  if (!watch_.empty() && !watch_seen_) {
    // Only the last watch_.size() - 1 bytes can start a match that this write completes.
    watch_window_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    watch_seen_ = watch_window_.find(watch_) != std::string::npos;
    if (watch_window_.size() >= watch_.size())
      watch_window_.erase(0, watch_window_.size() - (watch_.size() - 1));
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stdout closed: the guest's output has nowhere to go
    done += static_cast<size_t>(n);
  }
}

uint64_t CliHost::wall_clock_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void CliHost::log(LogLevel level, std::string_view message) {
  fwrite(message.data(), 1, message.size(), log_);
  if (message.empty() || message.back() != '\n') fputc('\n', log_);
  if (level >= LogLevel::Warning) fflush(log_);
}

bool CliHost::filter_terminal_byte(uint8_t c) {
  if (escape_) {
    escape_ = false;
    if (c == 'x' || c == 'X') {
      quit_ = true;
      return false;
    }
    if (c == 's' || c == 'S') {
      snapshot_ = true;
      return false;
    }
    if (c == 'h' || c == '?') {
      static const char kHelp[] =
          "\r\nC-a x    exit\r\nC-a s    save a snapshot (--snapshot-save FILE)\r\n"
          "C-a C-a  send C-a\r\n";
      console_write({reinterpret_cast<const uint8_t*>(kHelp), sizeof kHelp - 1});
      return false;
    }
    return c == kCtrlA;
  }
  if (c == kCtrlA) {
    escape_ = true;
    return false;
  }
  return true;
}

}  // namespace glassvm
