#include "ui/console_watch.h"

namespace glassvm::ui {

void ConsoleWatch::arm(std::string text, std::function<void()> on_match) {
  if (text.size() > kMaxText) text.resize(kMaxText);
  text_ = std::move(text);
  tail_.clear();
  found_ = false;
  on_match_ = std::move(on_match);
}

void ConsoleWatch::disarm() {
  text_.clear();
  tail_.clear();
  found_ = false;
  on_match_ = nullptr;
}

bool ConsoleWatch::complete_open_line() {
  if (!found_ || !tail_.empty()) return false;
  std::function<void()> on_match = std::move(on_match_);
  disarm();
  if (on_match) on_match();
  return true;
}

void ConsoleWatch::console_write(std::span<const uint8_t> bytes) {
  inner_.console_write(bytes);
  if (text_.empty()) return;
  tail_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (!found_) {
    const size_t at = tail_.find(text_);
    if (at == std::string::npos) {
      // Keep only what could still begin a match: fewer bytes than the text.
      if (tail_.size() >= text_.size()) tail_.erase(0, tail_.size() - (text_.size() - 1));
      return;
    }
    found_ = true;
    tail_.erase(0, at + text_.size());  // the rest of the line
  }
  if (tail_.find('\n') == std::string::npos && tail_.size() < kMaxLineRest) return;
  std::function<void()> on_match = std::move(on_match_);
  disarm();
  if (on_match) on_match();
}

}  // namespace glassvm::ui
