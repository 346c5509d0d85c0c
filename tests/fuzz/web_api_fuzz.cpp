// libFuzzer target over the page's JavaScript API (web/exports.cpp), built natively: the exported
// C functions get what web/glassvm.js passes them from its user. That means the URL parameters
// (?ram=, ?device=, ?disk=, ?lesson=, #link=), dropped or picked files (ELF programs,
// snapshots, session files), disk images, the Translation panel's address and access,
// breakpoints, console input and the window.glassvm calls. Between calls the guest runs the way
// the page's frames run it, and now and then the panels are drawn headless.
//
// Each input is a script of such calls on a fresh web::WebSession, read with
// FuzzedDataProvider; the page starts as with ?ram=16. Files are random bytes, or mutated
// copies of valid ones: a small ELF that echoes the console (or one whose code is fuzzed), and
// the snapshots and links the session saves and shares itself. Those are mutated whole, or
// section by section and packed again so that their checksums hold. Sizes the page would
// accept and allocate (RAM, disks) are kept small: every state hash reads all of RAM's bitmap
// and every byte of the disk.
//
// Invariants, from the exports' comments: a call that fails leaves glassvm_last_error() set,
// and a call documented to keep the running machine keeps its state hash. A snapshot the
// session saves loads back to the same state hash. A link the session shares opens with the
// guest it names, and replayed to its end it reaches the sender's state. Every JSON text
// returned parses and is UTF-8.
//
// The clock is fake (tests/fuzz/web_shim/): each emscripten_get_now() moves it 1 ms, so every
// run of the guest is bounded and an input always replays the same way.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/base/host_ram.h"
#include "engine/base/snapshot.h"
#include "engine/board/machine_link.h"
#include "imgui.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/web_shim/emscripten.h"
#include "tests/fuzz/web_shim/fake_clock.h"
#include "tests/support/elf_writer.h"
#include "ui/lessons.h"
#include "web/session.h"

namespace {

using glassvm::fuzz::check;

constexpr uint64_t kRamBase = 0x80000000;
/// The page starts as with ?ram=16, and RAM sizes are kept at most this (every state hash
/// reads the whole RAM's bitmap; 128 MiB made it most of an input's time).
constexpr unsigned kRamMib = 16;
constexpr int kMaxOps = 40;
/// The key index of Enter in the headless ImGui frames (any index: no backend maps keys).
constexpr int kEnterKey = 13;
/// Frames run to replay a shared session to its end (a longer one is not checked), and their
/// budget.
constexpr int kMaxReplayFrames = 256;
constexpr double kReplayBudgetMs = 2;

// ---------------------------------------------------------------- checks on what comes back

/// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past
/// U+10FFFF).
bool valid_utf8(std::string_view s) {
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : c >> 5 == 6 ? 2 : c >> 4 == 14 ? 3 : c >> 3 == 30 ? 4 : 0;
    if (n == 0 || s.size() - i < n) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if (d >> 6 != 2) return false;
      cp = cp << 6 | (d & 0x3f);
    }
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n;
  }
  return true;
}

/// Whether a text is exactly one JSON value (RFC 8259), as JSON.parse takes it.
class JsonChecker {
 public:
  explicit JsonChecker(std::string_view text) : t_(text) {}
  bool valid() {
    if (!value(0)) return false;
    skip_space();
    return i_ == t_.size();
  }

 private:
  void skip_space() {
    while (i_ < t_.size() && std::string_view(" \t\r\n").find(t_[i_]) != std::string_view::npos)
      ++i_;
  }
  char peek() {
    skip_space();
    return i_ < t_.size() ? t_[i_] : '\0';
  }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  bool value(int depth) {
    if (depth > 100) return false;
    switch (peek()) {
      case '{': return sequence('}', depth, /*keys=*/true);
      case '[': return sequence(']', depth, /*keys=*/false);
      case '"': return string();
      case 't': return word("true");
      case 'f': return word("false");
      case 'n': return word("null");
      default: return number();
    }
  }
  /// An object's members (`keys`) or an array's elements, from the opening bracket.
  bool sequence(char close, int depth, bool keys) {
    ++i_;
    if (eat(close)) return true;
    do {
      if (keys && !(peek() == '"' && string() && eat(':'))) return false;
      if (!value(depth + 1)) return false;
    } while (eat(','));
    return eat(close);
  }
  bool string() {
    for (++i_; i_ < t_.size();) {
      const auto c = static_cast<unsigned char>(t_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;  // control characters must be escaped
      if (c != '\\') continue;
      if (i_ == t_.size()) return false;
      const char e = t_[i_++];
      if (e == 'u') {
        for (int k = 0; k < 4; ++k, ++i_)
          if (i_ == t_.size() || !std::isxdigit(static_cast<unsigned char>(t_[i_]))) return false;
      } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
        return false;
      }
    }
    return false;
  }
  bool digits() {
    const size_t start = i_;
    while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') ++i_;
    return i_ > start;
  }
  bool number() {  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?: no NaN, no Infinity
    if (i_ < t_.size() && t_[i_] == '-') ++i_;
    if (i_ < t_.size() && t_[i_] == '0')
      ++i_;
    else if (!digits())
      return false;
    if (i_ < t_.size() && t_[i_] == '.') {
      ++i_;
      if (!digits()) return false;
    }
    if (i_ < t_.size() && (t_[i_] == 'e' || t_[i_] == 'E')) {
      ++i_;
      if (i_ < t_.size() && (t_[i_] == '+' || t_[i_] == '-')) ++i_;
      if (!digits()) return false;
    }
    return true;
  }
  bool word(std::string_view w) {
    if (t_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }

  std::string_view t_;
  size_t i_ = 0;
};

/// What an export returned for JSON.parse: one JSON value, in UTF-8.
void check_json(const char* text) {
  check(text != nullptr && JsonChecker(text).valid(), "an export returned text that is not JSON");
  check(valid_utf8(text), "an export returned JSON that is not UTF-8");
}

/// What the page reads without arguments: JSON texts and numbers.
constexpr const char* (*kJsonGetters[])() = {
    glassvm_replay_json,           glassvm_disk_json,        glassvm_state_json,
    glassvm_memory_map_json,       glassvm_registers_json,   glassvm_iommu_notifiers_json,
    glassvm_iommu_state_json,      glassvm_lessons_json,     glassvm_lesson_state_json,
    glassvm_panels_json,           glassvm_draw_pacing_json, glassvm_jit_json,
    glassvm_jit_translations_json, glassvm_messages_json,    glassvm_host_ram_json};
// clang-format off
/// Counts the page reads (and shows).
constexpr double (*kNumberGetters[])() = {
    glassvm_instructions, glassvm_ips, glassvm_interpreter_ips, glassvm_frame_ms,
    glassvm_draw_count, glassvm_iommu_paused_at, glassvm_selected_iommu_event, glassvm_disk_size,
    glassvm_link_size};
// clang-format on

// ---------------------------------------------------------------- valid files to start from

/// The guest the page would load: prints "hi", then echoes the console (ns16550a at
/// 0x10000000, polled) until it reads 'q', which ends it through the sifive_test device:
///   lui t0,0x10000; li t1,'h'; sb t1,0(t0); li t1,'i'; sb t1,0(t0); li t1,'\n'; sb t1,0(t0)
///   poll: lbu t2,5(t0); andi t2,t2,1; beqz t2,poll; lbu t3,0(t0); sb t3,0(t0); li t4,'q'
///         bne t3,t4,poll; lui t5,0x100; li t6,0x5555; sw t6,0(t5); j poll
constexpr uint32_t kEchoProgram[] = {
    0x100002b7, 0x06800313, 0x00628023, 0x06900313, 0x00628023, 0x00a00313, 0x00628023,
    0x0052c383, 0x0013f393, 0xfe038ce3, 0x0002ce03, 0x01c28023, 0x07100e93, 0xffde14e3,
    0x00100f37, 0x00005fb7, 0x555f8f93, 0x01ff2023, 0xfd5ff06f,
};

const std::vector<uint8_t>& echo_elf() {
  static const std::vector<uint8_t> elf = [] {
    std::vector<uint8_t> code;
    for (uint32_t word : kEchoProgram)
      for (int i = 0; i < 4; ++i) code.push_back(static_cast<uint8_t>(word >> (8 * i)));
    glassvm::testing::ElfWriter w;
    w.entry = kRamBase;
    w.segs.push_back({kRamBase, kRamBase, code.size(), code, 5});
    return w.build();
  }();
  return elf;
}

/// The fonts of every input's ImGui context, built once (the costly part of a context).
ImFontAtlas& font_atlas() {
  static ImFontAtlas* atlas = [] {
    auto* a = new ImFontAtlas;
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    a->GetTexDataAsRGBA32(&pixels, &w, &h);
    a->SetTexID(reinterpret_cast<ImTextureID>(1));
    return a;
  }();
  return *atlas;
}

// ---------------------------------------------------------------- the script

// clang-format off
/// Words the API knows, for the text arguments.
constexpr const char* kWords[] = {
    ",", "=", "0x", "help", "on", "off", "disk0", "fetch", "load", "store", "read", "write",
    "CPU", "memory map", "IOMMU", "Lessons", "JIT", "linux", "demo.elf", "link=", "#link=",
    "http://h/?x#link=", "GVML", "80000000", "ffffffffffffffff", " ", "\xc3\xa9", "\xe2\x82\xac",
    "\xf0\x9f\x92\xbe", "\n"};
// clang-format on

class Script {
 public:
  Script(FuzzedDataProvider& in, glassvm::web::WebSession& s) : in_(in), s_(s) {
    models_ = s.app.registry().models();
    s.app.set_callbacks(
        {.fetch_guest = [this](const std::string& name) { fetches_.push_back(name); }});
  }
  ~Script() {
    if (imgui_ != nullptr) ImGui::DestroyContext(imgui_);
  }
  Script(const Script&) = delete;
  Script& operator=(const Script&) = delete;

  void run() {
    check(glassvm_set_ram_mib(kRamMib) == 1, "?ram=16 is refused");
    for (int op = 0; op < kMaxOps && in_.remaining_bytes() > 0; ++op) step();
    read_everything();
  }

 private:
  void step() {
    switch (in_.ConsumeIntegralInRange(0, 22)) {
      case 0:  // ?ram= and glassvm.setRamMiB
        refusable([&] { return glassvm_set_ram_mib(size_mib(kRamMib, glassvm::ui::kMaxRamMib)); });
        break;
      case 1: set_devices(); break;
      case 2: open_lesson(); break;
      case 3:  // the Lessons panel's buttons
        switch (in_.ConsumeIntegralInRange(0, 2)) {
          case 0: glassvm_close_lesson(); break;
          case 1: glassvm_lesson_run(); break;
          default: glassvm_lesson_next(); break;
        }
        break;
      case 4: set_disk(); break;
      case 5:  // ?disk=MIB and glassvm.setDisk(mib)
        refusable([&] { return glassvm_set_blank_disk(size_mib(1, 1 << 20)); });
        break;
      case 6:  // glassvm.removeDisk(), and the page keeping the disk's writes
        if (in_.ConsumeBool()) glassvm_remove_disk();
        take_disk_changes();
        break;
      case 7: drop_file(any_file()); break;
      case 8: load_boot(); break;
      case 9: load_bundled(); break;
      case 10: save_snapshot(); break;
      case 11: load_snapshot(); break;
      case 12: share_link(); break;
      case 13: open_any_link(); break;
      case 14: send_input(); break;
      case 15: breakpoint(); break;
      case 16: inspect(); break;
      case 17: {  // glassvm.setPanelOpen(name, open)
        const std::string name = text();
        glassvm_set_panel_open(name.c_str(), in_.ConsumeBool());
        break;
      }
      case 18: glassvm_set_jit(in_.ConsumeBool()); break;  // ?jit= and the Performance panel
      case 19:                                             // the CPU panel's buttons
        switch (in_.ConsumeIntegralInRange(0, 3)) {
          case 0: glassvm_pause(); break;
          case 1: glassvm_resume(); break;
          case 2: glassvm_step(); break;
          default: glassvm_reset(); break;
        }
        break;
      case 20: {  // glassvm.runFor(ms), for at most one run (it runs as long as asked)
        const double ms = number();
        glassvm_run_for(ms > 2 ? 2 : ms);
        break;
      }
      case 21:
        for (int i = in_.ConsumeIntegralInRange(1, 4); i > 0; --i) frame();
        break;
      default:  // time passes between frames (a hidden tab), or the page adds a message
        if (in_.ConsumeBool()) {
          glassvm::fuzz::fake_clock_advance(in_.ConsumeIntegralInRange(0, 5000));
        } else {
          const std::string message = text();
          glassvm_add_message(message.c_str());
        }
        break;
    }
  }

  // -------------------------------------------------------------- fuzzed arguments

  size_t pick(size_t n) { return in_.ConsumeIntegralInRange<size_t>(0, n - 1); }

  /// A number as JS passes one (Number(text)): often one that means something, else any.
  double number() {
    constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    constexpr double kInf = std::numeric_limits<double>::infinity();
    constexpr double kSpecial[] = {kNaN,       kInf,   -kInf,      -1,     -0.0, 0,      0.5,  1,
                                   2,          16,     128,        256,    257,  1023.5, 1024, 1025,
                                   0x1p32 - 1, 0x1p32, 0x1p53 + 1, 0x1p64, 1e15, 1e300};
    switch (in_.ConsumeIntegralInRange(0, 3)) {
      case 0: return in_.PickValueInArray(kSpecial);
      case 1: return in_.ConsumeIntegralInRange(-4, 300);
      case 2: return static_cast<double>(in_.ConsumeIntegral<int64_t>());
      default: return in_.ConsumeFloatingPoint<double>();
    }
  }

  /// number() for a size in MiB the page would allocate: sizes it accepts (whole, up to
  /// `limit`) above `keep` are folded to 1..keep, so that an input costs milliseconds (every
  /// state hash reads all of RAM's bitmap and every byte of the disk); the refused ones stay
  /// as they are.
  double size_mib(unsigned keep, double limit) {
    const double v = number();
    if (v > keep && v <= limit && v == std::floor(v)) return std::fmod(v, keep) + 1;
    return v;
  }

  /// Text as the page passes it: valid UTF-8 (stringToUTF8 of a JS string), mixing words the
  /// API knows with arbitrary characters.
  std::string text(int max_pieces = 4) {
    std::string out;
    for (int n = in_.ConsumeIntegralInRange(0, max_pieces); n > 0; --n) {
      switch (in_.ConsumeIntegralInRange(0, 3)) {
        case 0: out += in_.PickValueInArray(kWords); break;
        case 1: out += models_[pick(models_.size())]->name; break;
        case 2: out += std::to_string(in_.ConsumeIntegral<int64_t>()); break;
        default:  // Latin-1 to UTF-8
          for (unsigned char c : in_.ConsumeRandomLengthString(16)) {
            if (c >= 0x80) out += static_cast<char>(0xc0 | c >> 6);
            out += static_cast<char>(c >= 0x80 ? 0x80 | (c & 0x3f) : c);
          }
          break;
      }
    }
    return out;
  }

  std::vector<uint8_t> bytes(size_t max) {
    return in_.ConsumeBytes<uint8_t>(in_.ConsumeIntegralInRange<size_t>(0, max));
  }

  /// `b` with a few bytes changed (mostly near the start, where headers are) or cut off.
  std::vector<uint8_t> mutated(std::vector<uint8_t> b) {
    for (int n = in_.ConsumeIntegralInRange(0, 4); n > 0 && !b.empty(); --n) {
      const size_t at = pick(in_.ConsumeBool() ? std::min<size_t>(b.size(), 128) : b.size());
      switch (in_.ConsumeIntegralInRange(0, 3)) {
        case 0: b[at] = in_.ConsumeIntegral<uint8_t>(); break;
        case 1: b[at] ^= static_cast<uint8_t>(1u << in_.ConsumeIntegralInRange(0, 7)); break;
        case 2: b[at] = in_.ConsumeBool() ? 0 : 0xff; break;
        default: b.resize(at); break;
      }
    }
    return b;
  }

  /// A -device argument: a model the registry knows with some of its options (in range, out
  /// of range, or any text), or any text.
  std::string device_text() {
    if (in_.ConsumeIntegralInRange(0, 7) == 0) return text();
    const glassvm::DeviceModel& model = *models_[pick(models_.size())];
    std::string out = model.name;
    for (int n = in_.ConsumeIntegralInRange(0, 3); n > 0 && !model.options.empty(); --n) {
      const glassvm::DeviceOption& o = model.options[pick(model.options.size())];
      out += "," + o.name + "=";
      switch (in_.ConsumeIntegralInRange(0, 4)) {
        case 0: out += o.default_value; break;
        case 1: out += std::to_string(o.min); break;
        case 2: out += std::to_string(o.max + in_.ConsumeIntegralInRange(0, 1)); break;
        case 3: out += std::to_string(in_.ConsumeIntegral<uint64_t>()); break;
        default: out += text(2); break;
      }
    }
    return out;
  }

  std::string lesson_id() {
    const auto& lessons = glassvm::ui::lesson_catalog();
    if (in_.ConsumeIntegralInRange(0, 3) == 0) return text();
    std::string id = lessons[pick(lessons.size())].id;
    if (in_.ConsumeIntegralInRange(0, 7) == 0) id.resize(pick(id.size() + 1));
    return id;
  }

  /// An address as the user types one: near the pc, in RAM, anywhere, too long, or any text.
  std::string address_text() {
    char buf[40];
    const uint64_t pc = s_.app.machine().cpu().pc();
    switch (in_.ConsumeIntegralInRange(0, 4)) {
      case 0: {
        const uint64_t a = pc + static_cast<uint64_t>(in_.ConsumeIntegralInRange(-8, 64));
        std::snprintf(buf, sizeof buf, in_.ConsumeBool() ? "0x%llx" : "%llX",
                      static_cast<unsigned long long>(a));
        return buf;
      }
      case 1:
        std::snprintf(buf, sizeof buf, "0x%llx",
                      static_cast<unsigned long long>(kRamBase + in_.ConsumeIntegral<uint32_t>()));
        return buf;
      case 2:
        std::snprintf(buf, sizeof buf, "%llx",
                      static_cast<unsigned long long>(in_.ConsumeIntegral<uint64_t>()));
        return buf;
      case 3: return "0x1" + std::string(in_.ConsumeIntegralInRange(15, 17), '0');
      default: return text();
    }
  }

  // -------------------------------------------------------------- files

  /// A guest program: the echo ELF (or a mutation), an ELF whose code and layout are fuzzed, a
  /// Linux Image header with fuzzed fields, or any bytes.
  std::vector<uint8_t> program() {
    switch (in_.ConsumeIntegralInRange(0, 4)) {
      case 0: return echo_elf();
      case 1: return mutated(echo_elf());
      case 2: {
        glassvm::testing::ElfWriter w;
        const uint64_t base = in_.ConsumeBool() ? kRamBase : in_.ConsumeIntegral<uint64_t>();
        std::vector<uint8_t> code = bytes(512);
        const uint64_t memsz =
            code.size() + (in_.ConsumeBool() ? 0 : in_.ConsumeIntegral<uint32_t>());
        w.segs.push_back({base, base, memsz, std::move(code), 5});
        w.entry = in_.ConsumeBool() ? base : in_.ConsumeIntegral<uint64_t>();
        if (in_.ConsumeBool())
          w.syms.push_back({"tohost", base + in_.ConsumeIntegralInRange(0, 4096), 0x11, 1});
        w.with_sections = in_.ConsumeBool();
        return w.build();
      }
      case 3: {
        std::vector<uint8_t> image(64);
        glassvm::store_le<uint64_t>(image.data() + 0x08,
                                    in_.ConsumeBool() ? 0x200000 : in_.ConsumeIntegral<uint64_t>());
        glassvm::store_le<uint64_t>(image.data() + 0x10,
                                    in_.ConsumeBool() ? 0 : in_.ConsumeIntegral<uint64_t>());
        std::memcpy(image.data() + 0x30, "RISCV\0\0\0", 8);
        std::memcpy(image.data() + 0x38, "RSC\x05", 4);
        const std::vector<uint8_t> code = bytes(256);
        image.insert(image.end(), code.begin(), code.end());
        return image;
      }
      default: return bytes(256);
    }
  }

  /// Any file a user may drop: a program, the session's last snapshot or link (mutated or
  /// not), or bytes behind a snapshot's or a link's magic.
  std::vector<uint8_t> any_file() {
    switch (in_.ConsumeIntegralInRange(0, 4)) {
      case 0: return in_.ConsumeBool() ? snapshot_ : mutated(snapshot_);
      case 1: return in_.ConsumeBool() ? link_bytes_ : mutated(link_bytes_);
      case 2: {
        std::vector<uint8_t> b = {'G', 'V', 'M', 'S', 'N', 'A', 'P', 0};
        if (in_.ConsumeBool()) b.resize(4);  // "GVMS" is not "GVML"
        const std::vector<uint8_t> rest = bytes(64);
        b.insert(b.end(), rest.begin(), rest.end());
        return b;
      }
      default: return program();
    }
  }

  /// glassvm.js loadFile: a session file opens as a link, a snapshot loads as one, anything
  /// else loads as an ELF.
  void drop_file(const std::vector<uint8_t>& file) {
    const std::string name = text(2);
    if (glassvm::looks_like_link(file)) {
      open_link("", file);
    } else if (file.size() >= 8 && std::memcmp(file.data(), "GVMSNAP", 8) == 0) {
      refusable([&] { return glassvm_load_snapshot(data(file), file.size(), name.c_str()); });
    } else {
      refusable([&] { return glassvm_load_elf(data(file), file.size(), name.c_str()); });
    }
  }

  /// A pointer as the page's withBytes gives one: never null, even for no bytes.
  static const uint8_t* data(std::span<const uint8_t> b) {
    static const uint8_t kNone = 0;
    return b.empty() ? &kNone : b.data();
  }

  // -------------------------------------------------------------- the calls

  /// Runs a call that returns false on failure: a failure must leave glassvm_last_error() set
  /// and the running machine's state hash as it was (every call made through this one
  /// promises that, in its comment or in the App method it forwards to).
  template <class Call>
  bool refusable(Call call) {
    const std::string before = hash_before();
    if (call()) return true;
    check(*glassvm_last_error() != '\0', "a refused call left glassvm_last_error() empty");
    check(hash_now() == before, "a refused call changed the running machine");
    return false;
  }

  /// The running machine's state hash (each costs a pass over RAM's bitmap and the whole disk).
  std::string hash_now() {
    const glassvm::Machine& m = s_.app.machine();
    hashed_ = {&m, s_.app.machine_epoch(), m.total_steps(), m.guest_ns()};
    hash_ = glassvm_state_hash();
    return hash_;
  }
  /// hash_now() before a call: the last hash while nothing could have changed the machine
  /// since (the same machine, which has not run).
  std::string hash_before() {
    const glassvm::Machine& m = s_.app.machine();
    const HashedAt now = {&m, s_.app.machine_epoch(), m.total_steps(), m.guest_ns()};
    return now == hashed_ ? hash_ : hash_now();
  }

  /// ?lesson= and glassvm.openLesson. A lesson that brings a blank disk finds a small one
  /// attached already (as after ?disk=NAME): every state hash reads each byte of the disk, and
  /// the Linux lesson's 8 MiB made such inputs crawl.
  void open_lesson() {
    const std::string id = lesson_id();
    const glassvm::ui::Lesson* lesson = glassvm::ui::find_lesson(id);
    if (lesson != nullptr && lesson->disk_mib != 0 && glassvm_disk_size() == 0) {
      const std::vector<uint8_t> image(4096);
      glassvm_set_disk(image.data(), image.size(), "disk.img");
    }
    refusable([&] { return glassvm_open_lesson(id.c_str()); });
  }

  void set_devices() {  // ?device= (repeatable, joined with '\n') and glassvm.setDevices
    std::string list;
    for (int n = in_.ConsumeIntegralInRange(0, 3); n > 0; --n)
      list += device_text() + (in_.ConsumeIntegralInRange(0, 7) == 0 ? "" : "\n");
    refusable([&] { return glassvm_set_devices(list.c_str()); });
  }

  void set_disk() {  // glassvm.setDisk(bytes, name) and ?disk=NAME (a downloaded image)
    std::vector<uint8_t> image;
    switch (in_.ConsumeIntegralInRange(0, 3)) {
      case 0: image.resize(512 * in_.ConsumeIntegralInRange<size_t>(0, 8)); break;
      case 1: image = mutated(std::vector<uint8_t>(4096, 0)); break;
      case 2: image.resize(64 << 10); break;
      default: image = bytes(2048); break;
    }
    const std::string name = text(2);
    refusable([&] { return glassvm_set_disk(data(image), image.size(), name.c_str()); });
  }

  /// glassvm.js syncDisk: the records of the blocks written, each inside the disk.
  void take_disk_changes() {
    const double size = glassvm_disk_take_changes();
    const uint8_t* p = glassvm_disk_changes_data();
    const auto n = static_cast<size_t>(size);
    for (size_t at = 0; at < n;) {
      check(n - at >= 12, "a disk change record is cut short");
      const uint64_t offset = glassvm::load_le<uint64_t>(p + at);
      const uint32_t length = glassvm::load_le<uint32_t>(p + at + 8);
      check(length <= n - at - 12 && offset + length <= glassvm_disk_size(),
            "a disk change record lies outside the disk");
      at += 12 + length;
    }
  }

  void load_boot() {  // glassvm.loadKernel({kernel, initrd, append}, name)
    const std::vector<uint8_t> kernel = program();
    const std::vector<uint8_t> initrd = in_.ConsumeBool() ? std::vector<uint8_t>() : bytes(512);
    const std::string append = text(), name = text(2);
    refusable([&] {
      return glassvm_load_boot(data(kernel), kernel.size(), data(initrd), initrd.size(),
                               append.c_str(), name.c_str());
    });
  }

  /// The page loads a guest of its own by name (the default guest, the Machine panel's
  /// choice, a lesson's guest the App asked it to fetch) and marks it bundled; links then
  /// name it, and opening one fetches these very bytes.
  void load_bundled() {
    std::string name;
    if (!fetches_.empty()) {
      name = fetches_.front();
      fetches_.erase(fetches_.begin());
    } else {
      const auto& lessons = glassvm::ui::lesson_catalog();
      name = in_.ConsumeBool() ? "demo.elf" : lessons[pick(lessons.size())].guest;
    }
    if (in_.ConsumeBool() && !snapshot_.empty()) {  // a manifest's snapshot ("linux")
      const std::vector<uint8_t> snap = snapshot_;
      if (!refusable([&] { return glassvm_load_snapshot(snap.data(), snap.size(), name.c_str()); }))
        return;
      bundle_[name].snapshot = snap;
    } else {
      const std::vector<uint8_t> elf = program();
      if (!refusable([&] { return glassvm_load_elf(data(elf), elf.size(), name.c_str()); })) return;
      bundle_[name].kernel = elf;
    }
    glassvm_mark_guest_bundled();
  }

  /// glassvm.saveSnapshot(); a snapshot saved loads back to the same state.
  void save_snapshot() {
    const std::string before = hash_before();
    const double size = glassvm_save_snapshot();
    if (size == 0) {
      check(*glassvm_last_error() != '\0', "a snapshot refused without a message");
      return;
    }
    snapshot_.assign(glassvm_snapshot_data(), glassvm_snapshot_data() + static_cast<size_t>(size));
    check(hash_now() == before, "saving a snapshot changed the machine");
    if (in_.ConsumeBool()) return;
    check(glassvm_load_snapshot(snapshot_.data(), snapshot_.size(), "saved.snap") == 1,
          "a snapshot the page saved does not load");
    check(hash_now() == before, "a snapshot the page saved loads to another state");
  }

  /// A snapshot file: the last one saved, mutated as bytes, or with one of its sections
  /// changed and packed again (so that the checks of the container pass and the section's
  /// reader gets the change), or any bytes behind the magic.
  std::vector<uint8_t> snapshot_file() {
    switch (in_.ConsumeIntegralInRange(0, 3)) {
      case 0: return snapshot_;
      case 1: return mutated(snapshot_);
      case 2: return repacked(snapshot_);
      default: return any_file();
    }
  }

  std::vector<uint8_t> repacked(const std::vector<uint8_t>& file) {
    glassvm::SnapshotFile f;
    std::string error;
    if (!f.open(file, error) || f.sections().empty()) return file;
    glassvm::SnapshotWriter w;
    const size_t changed = pick(f.sections().size());
    for (size_t i = 0; i < f.sections().size(); ++i) {
      const glassvm::SnapshotFile::Entry& e = f.sections()[i];
      glassvm::SnapshotSection section;
      if (!f.unpack(e.name, uint64_t{1} << 30, section, error)) return file;
      uint32_t version = e.version;
      if (i == changed) {
        switch (in_.ConsumeIntegralInRange(0, 3)) {
          case 0: version = in_.ConsumeIntegralInRange<uint32_t>(0, version + 1); break;
          case 1: continue;  // the section left out
          default: section.payload = mutated(std::move(section.payload)); break;
        }
      }
      w.add(e.name, version, section.payload);
    }
    return w.finish();
  }

  /// The records glassvm_load_snapshot_held takes (u8 name length, name, u64 length) for
  /// some of `file`'s sections, with their lengths or others, or any bytes. Natively the page
  /// holds no bytes (web_shim/emscripten.h): a load that reads a held section must fail and
  /// keep the running machine.
  std::vector<uint8_t> held_records(const std::vector<uint8_t>& file) {
    if (in_.ConsumeIntegralInRange(0, 3) == 0) return bytes(256);
    std::vector<uint8_t> out;
    glassvm::SnapshotFile f;
    std::string error;
    if (!f.open(file, error)) return out;
    for (const glassvm::SnapshotFile::Entry& e : f.sections()) {
      if (!in_.ConsumeBool()) continue;
      const uint64_t length = in_.ConsumeBool() ? e.unpacked : in_.ConsumeIntegral<uint64_t>();
      out.push_back(static_cast<uint8_t>(e.name.size()));
      out.insert(out.end(), e.name.begin(), e.name.end());
      out.resize(out.size() + 8);
      glassvm::store_le<uint64_t>(out.data() + out.size() - 8, length);
    }
    return out;
  }

  void load_snapshot() {  // glassvm.loadSnapshot(bytes, name), or a download of one
    const std::vector<uint8_t> file = snapshot_file();
    const std::string name = text(2);
    if (in_.ConsumeBool()) {
      refusable([&] { return glassvm_load_snapshot(data(file), file.size(), name.c_str()); });
      return;
    }
    const std::vector<uint8_t> records = held_records(file);
    refusable([&] {
      return glassvm_load_snapshot_held(data(file), file.size(), name.c_str(), data(records),
                                        records.size());
    });
  }

  /// glassvm.shareLink(), and now and then opening the link at once.
  void share_link() {
    const std::string text = glassvm_share_link();
    if (text.empty()) {
      check(*glassvm_last_error() != '\0', "a link refused without a message");
      return;
    }
    link_text_ = text;
    link_bytes_.assign(glassvm_link_data(),
                       glassvm_link_data() + static_cast<size_t>(glassvm_link_size()));
    if (in_.ConsumeBool()) return;
    // A link too long for a URL is offered as a session file (glassvm.js shareLink).
    const bool as_file = in_.ConsumeBool() || link_text_.size() > glassvm::kMaxLinkText;
    check(open_link(as_file ? "" : link_text_, as_file ? link_bytes_ : std::vector<uint8_t>(),
                    /*own=*/true),
          "a link the page shared does not open with the guest it names");
  }

  /// A link to open: the last one shared as text (in a URL, mutated) or as a file (mutated,
  /// or with one of its fields changed and encoded again), or any text.
  void open_any_link() {
    std::string text;
    std::vector<uint8_t> file;
    switch (in_.ConsumeIntegralInRange(0, 4)) {
      case 0: text = (in_.ConsumeBool() ? "https://page/?ram=64#link=" : "") + link_text_; break;
      case 1: {
        const std::vector<uint8_t> b = mutated({link_text_.begin(), link_text_.end()});
        text.assign(b.begin(), b.end());
        break;
      }
      case 2: file = mutated(link_bytes_); break;
      case 3: file = relinked(); break;
      default: text = this->text(); break;
    }
    open_link(text, file);
  }

  /// The last link shared with one field changed, encoded again (so that it decodes).
  std::vector<uint8_t> relinked() {
    glassvm::MachineLink link;
    std::string error;
    if (!glassvm::decode_link(link_bytes_, link, error)) return link_bytes_;
    switch (in_.ConsumeIntegralInRange(0, 7)) {
      case 0:
        link.ram_mib = in_.ConsumeBool()
                           ? in_.ConsumeIntegralInRange<uint32_t>(0, 64)
                           : in_.PickValueInArray<uint32_t>({1025, 65536, 65537, 0xffffffff});
        break;
      case 1: link.devices.push_back(device_text()); break;
      case 2:  // kept small when accepted: the disk is allocated
        link.disk_mib = in_.ConsumeBool()
                            ? in_.ConsumeIntegralInRange<uint32_t>(0, 1)
                            : in_.PickValueInArray<uint32_t>({257, 65536, 65537, 0xffffffff});
        break;
      case 3:
        link.start = in_.ConsumeBool() ? glassvm::MachineLink::Start::Snapshot
                                       : glassvm::MachineLink::Start::Boot;
        break;
      case 4: link.start_ns = in_.ConsumeIntegral<uint64_t>(); break;
      case 5: link.end_ns = link.start_ns + in_.ConsumeIntegralInRange<uint64_t>(0, 1 << 20); break;
      case 6:
        link.input.add(link.start_ns + in_.ConsumeIntegralInRange<uint64_t>(0, 1 << 20),
                       in_.ConsumeIntegral<uint8_t>());
        break;
      default: link.guest = text(2); break;
    }
    return glassvm::encode_link(link);
  }

  /// glassvm.js openLink: reads the link, fetches the guest it names from the page's files,
  /// and opens it. `own`: the link is one the page just shared, opened with the right files:
  /// it must open, and replayed to its end it must reach the sender's state. False when the
  /// link is refused.
  bool open_link(const std::string& text, std::span<const uint8_t> file, bool own = false) {
    const char* info = file.empty() ? glassvm_parse_link(text.c_str(), nullptr, 0)
                                    : glassvm_parse_link(nullptr, data(file), file.size());
    check_json(info);
    if (std::string_view(info).starts_with("{\"ok\":false")) {
      check(std::string_view(info).find("\"error\":\"\"") == std::string_view::npos,
            "a link refused without a message");
      return false;
    }
    const glassvm::MachineLink& link = s_.link;
    std::vector<uint8_t> kernel, snapshot;
    if (!link.guest.empty()) {
      const auto it = bundle_.find(link.guest);
      if (it == bundle_.end()) return false;  // the page has no such guest to download
      if (link.start == glassvm::MachineLink::Start::Snapshot)
        snapshot = it->second.snapshot;
      else
        kernel = it->second.kernel;
    }
    if (!own && in_.ConsumeIntegralInRange(0, 7) == 0) {  // files of another build
      kernel = mutated(kernel);
      snapshot = mutated(snapshot);
    }
    const bool ok = refusable([&] {
      return glassvm_open_link(data(kernel), kernel.size(), data({}), 0, "", data(snapshot),
                               snapshot.size());
    });
    if (ok && own) replay_to_end();
    return ok;
  }

  /// Runs the page's frames until the session just opened has replayed to its end; the state
  /// then is the sender's.
  void replay_to_end() {
    for (int i = 0; i < kMaxReplayFrames && !s_.app.replay_status().finished; ++i) {
      glassvm_resume();  // a breakpoint, an armed stop or a lesson may have paused it
      s_.app.run_slice(kReplayBudgetMs, emscripten_get_now());
      if (s_.app.machine().exited()) return;
    }
    if (s_.app.replay_status().finished)
      check(s_.app.replay_status().matched, "a shared session replayed to another state");
  }

  void send_input() {  // typing in the terminal, glassvm.sendInput(text)
    const std::string typed =
        in_.ConsumeBool() ? std::string(1, in_.PickValueInArray({'q', 'x', '\n'})) : text();
    const std::vector<uint8_t> bytes(typed.begin(), typed.end());
    glassvm_send_input(data(bytes), bytes.size());
  }

  void breakpoint() {  // glassvm.addBreakpoint(pcHex), removeBreakpoint(pcHex)
    const std::string pc = address_text();
    if (in_.ConsumeBool())
      refusable([&] { return glassvm_add_breakpoint(pc.c_str()); });
    else
      refusable([&] { return glassvm_remove_breakpoint(pc.c_str()); });
  }

  /// The inspectors: the Translation panel, the IOMMU's walks, mappings, events and selection,
  /// and the JSON the page polls.
  void inspect() {
    static constexpr const char* kAccess[] = {"fetch", "load", "store", "read",
                                              "write", "",     "Load"};
    const std::string va = address_text();
    const std::string access = in_.ConsumeBool() ? in_.PickValueInArray(kAccess) : text(2);
    switch (in_.ConsumeIntegralInRange(0, 6)) {
      case 0: check_json(glassvm_translate_json(va.c_str(), access.c_str())); break;
      case 1: check_json(glassvm_translate_iova_json(number(), va.c_str(), access.c_str())); break;
      case 2: check_json(glassvm_iommu_mappings_json(number())); break;
      case 3: check_json(glassvm_iommu_events_json(number())); break;
      case 4: glassvm_select_iommu_event(number()); break;
      case 5: glassvm_set_pause_on_iommu_event(in_.ConsumeBool()); break;
      default: check_json(in_.PickValueInArray(kJsonGetters)()); break;
    }
  }

  /// One of the page's frames (web/main_web.cpp: run_guest, then maybe a drawing), with a
  /// budget at the low end of the page's 1 to 14 ms: the fake clock's 1 ms a reading then
  /// keeps each slice to a few thousand instructions.
  void frame() {
    const double start = emscripten_get_now();
    s_.app.run_slice(in_.ConsumeIntegralInRange(1, 2), start);
    s_.host.flush_output();
    const double end = emscripten_get_now();
    if (s_.app.status().empty())
      s_.app.draw_pacer().note_guest(end, s_.app.last_slice_ms());
    else
      s_.app.draw_pacer().restart(end);
    if (in_.ConsumeIntegralInRange(0, 3) == 0) draw();
    s_.app.note_frame(std::min(emscripten_get_now() - start, 250.0));
  }

  /// The panels drawn headless on a canvas of some size, with the mouse and keys where the
  /// input puts them.
  void draw() {
    static const ImVec2 kCanvas[] = {{1, 1}, {320, 240}, {800, 600}, {1280, 800}};
    if (imgui_ == nullptr) {
      imgui_ = ImGui::CreateContext(&font_atlas());
      ImGui::GetIO().IniFilename = nullptr;
      ImGui::GetIO().KeyMap[ImGuiKey_Enter] = kEnterKey;
    }
    const ImVec2 canvas = in_.PickValueInArray(kCanvas);
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = canvas;
    io.DeltaTime = 1.0f / 60;
    io.MousePos = ImVec2(static_cast<float>(in_.ConsumeIntegralInRange(-1, 1280)),
                         static_cast<float>(in_.ConsumeIntegralInRange(-1, 800)));
    io.MouseDown[0] = in_.ConsumeBool();
    io.MouseWheel = static_cast<float>(in_.ConsumeIntegralInRange(-2, 2));
    io.KeysDown[kEnterKey] = in_.ConsumeBool();
    if (in_.ConsumeBool()) io.AddInputCharactersUTF8(address_text().c_str());
    ImGui::NewFrame();
    s_.app.draw(canvas.x, canvas.y);
    ImGui::Render();
  }

  /// Everything the page reads: each JSON text parses and is UTF-8, each number is one.
  void read_everything() {
    for (auto get : kJsonGetters) check_json(get());
    check_json(glassvm_iommu_events_json(0));
    check_json(glassvm_iommu_mappings_json(-1));
    for (auto get : kNumberGetters) {
      const double v = get();
      check(std::isfinite(v) && v >= 0, "an export returned a number that is not a count");
    }
    check(std::strlen(glassvm_state_hash()) == 16, "the state hash is not 16 hex digits");
    glassvm_mtree();
    glassvm_console_tail();
  }

  /// A guest of the page's own, as its server has it.
  struct Bundled {
    std::vector<uint8_t> kernel;
    std::vector<uint8_t> snapshot;  ///< a manifest's snapshot, for links that start from it
  };

  FuzzedDataProvider& in_;
  glassvm::web::WebSession& s_;
  std::vector<const glassvm::DeviceModel*> models_;
  std::vector<std::string> fetches_;  ///< guests the App asked the page to fetch
  std::map<std::string, Bundled> bundle_;
  std::vector<uint8_t> snapshot_;  ///< the last snapshot saved
  std::string link_text_;          ///< the last link shared
  std::vector<uint8_t> link_bytes_;
  ImGuiContext* imgui_ = nullptr;  ///< made at the first drawing
  /// The last state hash, and the machine it was taken of: its epoch, steps and guest time.
  using HashedAt = std::tuple<const glassvm::Machine*, uint64_t, uint64_t, uint64_t>;
  HashedAt hashed_ = {};
  std::string hash_;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Guest RAM comes from a pool, as it does in the page (engine/base/host_ram.h): each input's
  // machines reuse the blocks of the last rather than free them, which under ASan would cost
  // a poisoning of their whole shadow.
  glassvm::set_host_ram_pooling(true);
  // The pool's blocks are freed before LeakSanitizer looks at exit (handlers run in reverse).
  std::atexit([] { glassvm::set_host_ram_pooling(false); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  glassvm::fuzz::fake_clock_reset();
  FuzzedDataProvider in(data, size);
  glassvm::web::WebSession session;
  glassvm::web::set_session(&session);
  {
    Script script(in, session);
    script.run();
  }
  glassvm::web::set_session(nullptr);
  return 0;
}
