#include "ui/perf_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace glassvm::ui {

void IpsMeter::sample(double now_ms, uint64_t total_instructions) {
  if (!std::isfinite(now_ms)) return;
  if (!samples_.empty()) {
    if (total_instructions < samples_.back().n)
      samples_.clear();
    else if (now_ms < samples_.back().t)
      return;
  }
  samples_.push_back({now_ms, total_instructions});
  // Keep one sample at or before the window's start, so the window spans a full second.
  while (samples_.size() > 2 && samples_[1].t <= now_ms - kWindowMs) samples_.pop_front();
}

double IpsMeter::ips() const {
  if (samples_.size() < 2) return 0;
  const Sample& a = samples_.front();
  const Sample& b = samples_.back();
  if (b.t <= a.t) return 0;
  return static_cast<double>(b.n - a.n) * 1000.0 / (b.t - a.t);
}

void FrameStats::add(double now_ms, double frame_ms) {
  if (!std::isfinite(now_ms) || !std::isfinite(frame_ms) || frame_ms < 0) return;
  recent_.push_back({now_ms, frame_ms});
  while (!recent_.empty() && recent_.front().t <= now_ms - 1000.0) recent_.pop_front();
  if (history_.size() == kHistory) history_.erase(history_.begin());
  history_.push_back(static_cast<float>(frame_ms));
}

double FrameStats::average_ms() const {
  if (recent_.empty()) return 0;
  double sum = 0;
  for (const Frame& f : recent_) sum += f.ms;
  return sum / static_cast<double>(recent_.size());
}

double FrameStats::max_ms() const {
  double m = 0;
  for (const Frame& f : recent_) m = std::max(m, f.ms);
  return m;
}

void SliceController::observe(double frame_ms, double slice_ms) {
  if (!std::isfinite(frame_ms) || !std::isfinite(slice_ms) || frame_ms < 0 || slice_ms < 0) return;
  const double overhead = std::max(0.0, frame_ms - slice_ms);
  // Fast attack, slow decay.
  overhead_ms_ = overhead > overhead_ms_ ? overhead : overhead_ms_ * 0.9 + overhead * 0.1;
  budget_ms_ = std::clamp(kTargetFrameMs - overhead_ms_, kMinBudgetMs, kMaxBudgetMs);
}

void RateEstimator::observe(uint64_t instructions, double elapsed_ms) {
  if (instructions == 0 || !std::isfinite(elapsed_ms) || elapsed_ms < kMinMeasuredMs) return;
  const double rate = static_cast<double>(instructions) / elapsed_ms;
  per_ms_ = per_ms_ * 0.5 + rate * 0.5;
}

uint64_t RateEstimator::instructions_for(double ms) const {
  const double n = per_ms_ * std::max(0.0, ms);
  if (!(n < 1e15)) return uint64_t{1} << 50;
  return std::max<uint64_t>(1000, static_cast<uint64_t>(n));
}

void DrawPacer::note_guest(double now_ms, double guest_ms) {
  if (!std::isfinite(now_ms) || !std::isfinite(guest_ms) || guest_ms < 0) return;
  if (window_start_ms_ < 0 || now_ms < window_start_ms_) {
    restart(now_ms - guest_ms);
  }
  guest_ms_ += guest_ms;
  const double span = now_ms - window_start_ms_;
  if (span < kWindowMs) return;
  const double share = guest_share_ = guest_ms_ / span;
  // Back off fast when drawings take too much, come back slowly (a small margin avoids
  // oscillating around the target).
  if (share < kTargetGuestShare)
    interval_ms_ = std::min(kMaxIntervalMs, interval_ms_ * 1.5);
  else if (share > kTargetGuestShare + 0.04)
    interval_ms_ = std::max(kMinIntervalMs, interval_ms_ / 1.25);
  restart(now_ms);
}

void DrawPacer::restart(double now_ms) {
  if (!std::isfinite(now_ms)) return;
  window_start_ms_ = now_ms;
  guest_ms_ = 0;
}

std::string format_si(double value) {
  if (!std::isfinite(value) || value < 0) return "?";
  static const char* const kPrefixes[] = {"", " k", " M", " G", " T"};
  int p = 0;
  while (value >= 1000.0 && p < 4) {
    value /= 1000.0;
    ++p;
  }
  char buf[32];
  if (p == 0)
    std::snprintf(buf, sizeof buf, "%.0f", value);
  else
    std::snprintf(buf, sizeof buf,
                  value < 10    ? "%.2f%s"
                  : value < 100 ? "%.1f%s"
                                : "%.0f%s",
                  value, kPrefixes[p]);
  return buf;
}

}  // namespace glassvm::ui
