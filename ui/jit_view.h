// The JIT's view model: the Performance panel's JIT lines, the JIT panel's list of recent
// translations, and the JSON of glassvm.jit() and glassvm.jitTranslations().
//
// Design note: the JIT hands each translation to a hook (Jit::set_translation_hook) and keeps
// nothing of it for the UI. JitTranslationLog keeps copies of the last few, bounded three ways:
// at most kMaxEntries translations, each text cut at kMaxTextBytes, and kMaxTotalBytes in all
// (the oldest go first). A guest that makes the JIT translate without end therefore costs the
// page a fixed amount of memory. Everything here is plain data: the native tests drive it with
// JitStats and JitTranslation values they build, since natively make_jit() gives no JIT.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "wasm-jit/jit.h"

namespace glassvm::ui {

/// One kept translation: a bounded copy of what the hook gave, numbered in arrival order.
struct JitTranslationRecord {
  uint64_t seq = 0;  ///< 1, 2, ... in the order the JIT made them (across evictions)
  uint64_t guest_page = 0;
  std::vector<uint64_t> entries;  ///< at most JitTranslationLog::kMaxEntryPoints
  std::string riscv;              ///< at most kMaxTextBytes, cut at a line end
  std::string wat;                ///< at most kMaxTextBytes, cut at a line end
  uint32_t wasm_bytes = 0;
  uint64_t compile_ns = 0;
  uint32_t entry_count = 0;  ///< how many entries the translation had (entries may hold fewer)
  bool truncated = false;    ///< a text or the entries were cut
  /// Host bytes the record holds (what kMaxTotalBytes counts).
  size_t bytes() const;
};

/// The last few translations, bounded in count and in bytes.
class JitTranslationLog {
 public:
  static constexpr size_t kMaxEntries = 64;
  static constexpr size_t kMaxTextBytes = 64 * 1024;
  static constexpr size_t kMaxEntryPoints = 256;
  static constexpr size_t kMaxTotalBytes = 2 * 1024 * 1024;

  /// Keeps a bounded copy of `t` as the newest record, dropping the oldest while more than
  /// kMaxEntries or kMaxTotalBytes are held (the newest always stays).
  void add(const JitTranslation& t);
  /// Forgets every record (a new machine); sequence numbers go on.
  void clear();
  /// The records held, oldest first.
  const std::deque<JitTranslationRecord>& records() const { return records_; }
  /// The record numbered `seq`, or null when it is not held.
  const JitTranslationRecord* find(uint64_t seq) const;
  /// How many translations were ever added.
  uint64_t added() const { return next_seq_ - 1; }
  /// Host bytes held (at most kMaxTotalBytes, or one record's when a single one is larger).
  size_t bytes() const { return bytes_; }

 private:
  std::deque<JitTranslationRecord> records_;
  size_t bytes_ = 0;
  uint64_t next_seq_ = 1;
};

/// What the Performance panel and glassvm.jit() show of the JIT.
struct JitStatus {
  bool enabled = false;    ///< the user's choice (off by default; ?jit=1, the panel's switch)
  bool available = false;  ///< make_jit() gave a JIT in this build
  std::string why;         ///< why not, when !available
  bool installed = false;  ///< a JIT runs the current machine's code now
  JitStats stats;          ///< of the current machine's JIT (zeros without one)
  uint64_t steps = 0;      ///< guest steps since that JIT was made (the share's denominator)
};

/// The Performance panel's JIT lines, e.g. "JIT: on", "Translations: 12 compiled, 3.4 ms", ...
/// or "JIT unavailable: <why>" (then only that line and the switch's state).
std::vector<std::string> jit_status_lines(const JitStatus& status);
/// The share of steps run in translated code, in [0, 1] (0 without steps).
double jit_step_share(const JitStatus& status);
/// glassvm.jit(): {"enabled","available","why","translations","compileMs","modulesLive",
/// "codeBytes","evictions","invalidations","stepsJitted","entries"} as JSON.
std::string jit_json(const JitStatus& status);
/// glassvm.jitTranslations(): [{"seq","page","entries","riscv","wat","bytes","compileMs",
/// "truncated"}], oldest first; "page" and the entries as hex strings. Bounded by the log.
std::string jit_translations_json(const JitTranslationLog& log);
/// A list row of the JIT panel: "#12 0x0000000080001000  5 entries  1234 B  0.31 ms".
std::string jit_translation_label(const JitTranslationRecord& record);

}  // namespace glassvm::ui
