#include "ui/jit_view.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <string_view>

#include "ui/json_internal.h"
#include "ui/perf_view.h"

namespace glassvm::ui {

namespace {

constexpr std::string_view kCutMark = "... (cut here: the rest is not kept)\n";

/// `text` if it fits kMaxTextBytes; else its lines up to that size and kCutMark (within it).
std::string bounded_text(const std::string& text, bool& cut) {
  if (text.size() <= JitTranslationLog::kMaxTextBytes) return text;
  cut = true;
  size_t end = JitTranslationLog::kMaxTextBytes - kCutMark.size();
  const size_t line_end = text.rfind('\n', end - 1);
  if (line_end != std::string::npos) end = line_end + 1;
  return text.substr(0, end) + std::string(kCutMark);
}

double ms(uint64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

/// "123 KiB" style sizes for the code cache.
std::string byte_size(uint64_t bytes) {
  char buf[32];
  if (bytes < 10 * 1024)
    std::snprintf(buf, sizeof buf, "%" PRIu64 " B", bytes);
  else if (bytes < 10 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
  else
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024 * 1024));
  return buf;
}

}  // namespace

size_t JitTranslationRecord::bytes() const {
  return sizeof *this + riscv.size() + wat.size() + entries.size() * sizeof(uint64_t);
}

void JitTranslationLog::add(const JitTranslation& t) {
  JitTranslationRecord r;
  r.seq = next_seq_++;
  r.guest_page = t.guest_page;
  r.entry_count = static_cast<uint32_t>(std::min<size_t>(t.entries.size(), UINT32_MAX));
  const size_t kept = std::min(t.entries.size(), kMaxEntryPoints);
  r.entries.assign(t.entries.begin(), t.entries.begin() + static_cast<ptrdiff_t>(kept));
  r.truncated = kept < t.entries.size();
  r.riscv = bounded_text(t.riscv, r.truncated);
  r.wat = bounded_text(t.wat, r.truncated);
  r.wasm_bytes = t.wasm_bytes;
  r.compile_ns = t.compile_ns;
  bytes_ += r.bytes();
  records_.push_back(std::move(r));
  while (records_.size() > 1 && (records_.size() > kMaxEntries || bytes_ > kMaxTotalBytes)) {
    bytes_ -= records_.front().bytes();
    records_.pop_front();
  }
}

void JitTranslationLog::clear() {
  records_.clear();
  bytes_ = 0;
}

const JitTranslationRecord* JitTranslationLog::find(uint64_t seq) const {
  // Sequence numbers are consecutive within the deque.
  if (records_.empty() || seq < records_.front().seq || seq > records_.back().seq) return nullptr;
  return &records_[seq - records_.front().seq];
}

double jit_step_share(const JitStatus& status) {
  if (status.steps == 0) return 0;
  return std::min(
      1.0, static_cast<double>(status.stats.steps_jitted) / static_cast<double>(status.steps));
}

std::vector<std::string> jit_status_lines(const JitStatus& status) {
  std::vector<std::string> lines;
  if (!status.available) {
    lines.push_back("JIT unavailable: " + status.why);
    lines.push_back(std::string("JIT switch: ") + (status.enabled ? "on" : "off") +
                    " (the interpreter runs every instruction)");
    return lines;
  }
  const JitStats& s = status.stats;
  char buf[160];
  lines.push_back(std::string("JIT: ") + (status.enabled ? "on" : "off") +
                  (status.enabled && !status.installed ? " (from the next run)" : ""));
  std::snprintf(buf, sizeof buf,
                "Translations: %" PRIu64 " compiled in %.1f ms (%" PRIu64 " refused by the host)",
                s.translations, ms(s.compile_ns), s.compile_failures);
  lines.push_back(buf);
  std::snprintf(buf, sizeof buf, "Code cache: %u modules live, %s of code", s.modules_live,
                byte_size(s.code_bytes).c_str());
  lines.push_back(buf);
  std::snprintf(buf, sizeof buf, "Evictions: %" PRIu64 ", invalidations: %" PRIu64, s.evictions,
                s.invalidations);
  lines.push_back(buf);
  std::snprintf(buf, sizeof buf, "Translated code ran %s steps (%.1f%% of all), entered %s times",
                format_si(static_cast<double>(s.steps_jitted)).c_str(),
                jit_step_share(status) * 100, format_si(static_cast<double>(s.entries)).c_str());
  lines.push_back(buf);
  return lines;
}

std::string jit_json(const JitStatus& status) {
  const JitStats& s = status.stats;
  std::string out = "{\"enabled\":";
  out += status.enabled ? "true" : "false";
  out += ",\"available\":";
  out += status.available ? "true" : "false";
  out += ",\"why\":";
  json_append_string(out, status.why);
  char buf[384];
  std::snprintf(buf, sizeof buf,
                ",\"installed\":%s,\"translations\":%" PRIu64
                ",\"compileMs\":%.3f,"
                "\"modulesLive\":%u,\"codeBytes\":%" PRIu64 ",\"evictions\":%" PRIu64
                ",\"invalidations\":%" PRIu64 ",\"stepsJitted\":%" PRIu64 ",\"entries\":%" PRIu64
                ",\"compileFailures\":%" PRIu64 ",\"steps\":%" PRIu64 "}",
                status.installed ? "true" : "false", s.translations, ms(s.compile_ns),
                s.modules_live, s.code_bytes, s.evictions, s.invalidations, s.steps_jitted,
                s.entries, s.compile_failures, status.steps);
  return out + buf;
}

std::string jit_translations_json(const JitTranslationLog& log) {
  std::string out = "[";
  for (const JitTranslationRecord& r : log.records()) {
    if (out.size() > 1) out += ',';
    out += "{\"seq\":" + std::to_string(r.seq) + ",\"page\":\"" + hex64(r.guest_page) +
           "\",\"entries\":[";
    for (size_t i = 0; i < r.entries.size(); ++i) {
      if (i) out += ',';
      out += '"' + hex64(r.entries[i]) + '"';
    }
    out += "],\"riscv\":";
    json_append_string(out, r.riscv);
    out += ",\"wat\":";
    json_append_string(out, r.wat);
    char buf[96];
    std::snprintf(buf, sizeof buf, ",\"bytes\":%u,\"compileMs\":%.3f,\"truncated\":%s}",
                  r.wasm_bytes, ms(r.compile_ns), r.truncated ? "true" : "false");
    out += buf;
  }
  return out + "]";
}

std::string jit_translation_label(const JitTranslationRecord& r) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "#%" PRIu64 " %s  %u entries  %u B  %.2f ms", r.seq,
                hex64(r.guest_page).c_str(), r.entry_count, r.wasm_bytes, ms(r.compile_ns));
  return buf;
}

}  // namespace glassvm::ui
