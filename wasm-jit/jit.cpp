// The code cache and the runtime glue: which pages are hot, their modules, eviction and
// invalidation, and (in the Emscripten build) compiling, instantiating and calling modules.
//
// Design note: the cache keeps one PageInfo per code page the interpreter offers it (its
// ExecPage::handle), counting the steps it runs interpreted and its entries from other pages
// until it is hot and long-running (JitOptions), then translating the entries seen so far and
// what they reach. A module is entered only at an offset it has a block for
// (checked here, so an unknown offset costs no call); entering a translated page elsewhere is
// counted, and after a few such misses the page is translated again with the new entries
// (a bounded number of times). Live modules are capped (JitOptions::max_modules): past the cap
// the least recently entered module goes, and its page starts counting again. A page whose
// bytes change is released by the hart (executor.h) with its module, so stale code never runs.
#include "wasm-jit/jit.h"

#include <algorithm>
#include <bitset>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

#include "engine/base/page.h"
#include "wasm-jit/helper_abi.h"
#include "wasm-jit/translate.h"
#include "wasm-jit/wasm_text.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#endif

namespace glassvm {

namespace {

/// Where modules are compiled and run: the browser or node (WebAssembly host).
class JitHost {
 public:
  virtual ~JitHost() = default;
  /// Compiles and instantiates `wasm`, installs its "run" function; its handle, or 0 when the
  /// host refused the module (`error` says why).
  virtual uint32_t install(const std::vector<uint8_t>& wasm, std::string& error) = 0;
  virtual void remove(uint32_t handle) = 0;
  /// Runs an installed function (it ran nothing when s.budget_left_ is unchanged).
  virtual void call(uint32_t handle, CpuState& s) = 0;
};

#ifdef __EMSCRIPTEN__

// clang-format off
EM_JS(void, glassvm_jit_host_init, (const char* spec), {
  if (Module.glassvmJit) return;
  var h = {};
  UTF8ToString(spec).split(",").forEach(function(item) {
    var kv = item.split("=");
    h[kv[0]] = wasmTable.get(Number(kv[1]));
  });
  Module.glassvmJit = {imports: {h: h, e: {m: wasmMemory}}, free: [], error: ""};
});

EM_JS(uint32_t, glassvm_jit_host_install, (const uint8_t* bytes, uint32_t len), {
  var jit = Module.glassvmJit;
  try {
    var module = new WebAssembly.Module(HEAPU8.subarray(bytes, bytes + len));
    var run = new WebAssembly.Instance(module, jit.imports).exports.run;
    var index;
    if (jit.free.length) {
      index = jit.free.pop();
    } else {
      index = wasmTable.length;
      wasmTable.grow(1);
    }
    wasmTable.set(index, run);
    return index;
  } catch (e) {
    jit.error = String(e);
    return 0;
  }
});

EM_JS(void, glassvm_jit_host_remove, (uint32_t index), {
  wasmTable.set(index, null);
  Module.glassvmJit.free.push(index);
});

EM_JS(int, glassvm_jit_host_error, (char* out, int size), {
  stringToUTF8(Module.glassvmJit.error, out, size);
  return 0;
});
// clang-format on

class WebJitHost final : public JitHost {
 public:
  WebJitHost() {
    std::string spec;
    for (unsigned i = 0; i < kJitHelperCount; ++i) {
      const auto h = static_cast<JitHelper>(i);
      if (!spec.empty()) spec += ",";
      spec += std::string(jit_helper_name(h)) + "=" + std::to_string(jit_helper_address(h));
    }
    glassvm_jit_host_init(spec.c_str());
  }
  uint32_t install(const std::vector<uint8_t>& wasm, std::string& error) override {
    const uint32_t index =
        glassvm_jit_host_install(wasm.data(), static_cast<uint32_t>(wasm.size()));
    if (index == 0) {
      char buf[512];
      glassvm_jit_host_error(buf, sizeof buf);
      error = buf;
    }
    return index;
  }
  void remove(uint32_t handle) override { glassvm_jit_host_remove(handle); }
  void call(uint32_t handle, CpuState& s) override {
    using RunFn = void (*)(CpuState*);
    reinterpret_cast<RunFn>(static_cast<uintptr_t>(handle))(&s);
  }
};

#endif  // __EMSCRIPTEN__

constexpr unsigned kHalfwords = kPageSize / 2;
/// Entries at offsets a module lacks before the page is translated again, doubled by each
/// translation after the first: code that keeps finding new entries in a page (a printf's
/// paths, one by one) soon stops costing it a new module, each compiled and tiered up anew.
constexpr uint32_t kMissesBeforeRetranslation = 32;
/// What a miss from inside the page counts: the interpreter offers again from inside a page
/// only after many jumps there, so the offset is a hot loop's.
constexpr uint32_t kLoopMissWeight = 16;
/// Translations of one page before its module stays as it is.
constexpr uint32_t kMaxRetranslations = 8;
/// Refused or empty translations of one page before it stays interpreted.
constexpr uint32_t kMaxFailures = 3;
/// Translations of one page dropped because it was written before it stays interpreted, and
/// how many such pages are remembered.
constexpr uint32_t kMaxRewrites = 16;
constexpr size_t kMaxRewrittenPages = 4096;

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

class JitImpl final : public Jit {
 public:
  JitImpl(const JitOptions& options, std::unique_ptr<JitHost> host)
      : options_(options), host_(std::move(host)) {}
  ~JitImpl() override {
    for (PageInfo& p : pages_) drop_module(p);
  }

  bool run(CpuState& s, ExecPage& page) override {
    if (page.handle == 0) page.handle = allocate(page.guest_page);
    // The steps since the previous offer ran in the page offered then (the interpreter offers
    // again whenever it leaves a page): they heat that page.
    const uint64_t clock = s.run_base_ + s.run_budget_ - s.budget_left_;
    if (heating_ != 0 && heating_ <= pages_.size() && clock > clock_) {
      PageInfo& h = pages_[heating_ - 1];
      h.heat = static_cast<uint32_t>(std::min<uint64_t>(h.heat + (clock - clock_), UINT32_MAX));
    }
    const bool arrived = heating_ != page.handle;  // from another page, not a re-offer
    heating_ = page.handle;
    clock_ = clock;
    PageInfo& p = pages_[page.handle - 1];
    const unsigned half = static_cast<unsigned>(s.pc_ & (kPageSize - 1)) / 2;
    // The first offer of a run() is where the previous one's budget ran out, often inside a
    // block: not an entry worth a block of its own (translations stay few and their blocks
    // long). The interpreter runs on to the next jump.
    const bool resumed = s.budget_left_ == s.run_budget_;
    if (p.module == 0) {
      if (!resumed) p.entries.set(half);
      if (arrived) ++p.arrivals;
      // Hot, and long-running: code that runs only a few steps each time it is entered from
      // elsewhere (most of an operating system's) gains less from translation than entering,
      // compiling and recompiling it costs.
      if (p.failures >= kMaxFailures || p.heat < options_.hot_steps ||
          p.heat < uint64_t{options_.min_steps_per_entry} * p.arrivals) {
        return false;
      }
      if (!translate(p, page) || !p.blocks.test(half)) return false;
    } else if (!p.blocks.test(half)) {
      if (resumed) return false;
      p.entries.set(half);
      p.misses += arrived ? 1 : kLoopMissWeight;
      if (p.misses < (kMissesBeforeRetranslation << (p.translations - 1)) ||
          p.translations >= kMaxRetranslations) {
        return false;
      }
      drop_module(p);
      if (!translate(p, page) || !p.blocks.test(half)) return false;
    }
    p.last_use = ++use_clock_;
    if (options_.verify_code && std::memcmp(p.code.data(), page.host, kPageSize) != 0) {
      fprintf(stderr,
              "glassvm: the JIT's module for page 0x%llx is stale (a missed invalidation)\n",
              static_cast<unsigned long long>(page.guest_page));
      abort();
    }
    const uint64_t before = s.budget_left_;
    host_->call(p.module, s);
    if (s.budget_left_ == before) return false;  // it ran nothing
    clock_ += before - s.budget_left_;           // translated steps heat nothing
    stats_.steps_jitted += before - s.budget_left_;
    ++stats_.entries;
    return true;
  }

  void release(ExecPage& page) override {
    PageInfo& p = pages_[page.handle - 1];
    if (p.module != 0) {
      ++stats_.invalidations;
      // Remember pages whose translations keep being dropped (code that rewrites itself, or
      // data next to code): past a few, they stay interpreted. Bounded: forgotten when full.
      if (rewritten_.size() >= kMaxRewrittenPages) rewritten_.clear();
      ++rewritten_[page.guest_page];
    }
    drop_module(p);
    p = PageInfo{};
    free_.push_back(page.handle);
    page.handle = 0;
  }

  uint32_t jumps_between_offers() const override { return options_.jumps_between_offers; }
  const JitStats& stats() const override { return stats_; }
  void set_translation_hook(TranslationHook hook) override { hook_ = std::move(hook); }

 private:
  struct PageInfo {
    uint64_t guest_page = 0;
    uint32_t heat = 0;      ///< steps interpreted in the page (saturating)
    uint32_t arrivals = 0;  ///< times entered from another page before it was translated
    uint32_t module = 0;    ///< the host's handle; 0: none
    uint32_t misses = 0;
    uint32_t translations = 0;
    uint32_t failures = 0;
    uint32_t bytes = 0;
    uint64_t last_use = 0;
    std::bitset<kHalfwords> entries;  ///< offsets entered (halfwords)
    std::bitset<kHalfwords> blocks;   ///< offsets the module can enter at
    std::vector<uint8_t> code;        ///< JitOptions::verify_code: the bytes translated
  };

  uint32_t allocate(uint64_t guest_page) {
    uint32_t handle;
    if (!free_.empty()) {
      handle = free_.back();
      free_.pop_back();
    } else {
      pages_.emplace_back();
      handle = static_cast<uint32_t>(pages_.size());
    }
    pages_[handle - 1] = PageInfo{};
    pages_[handle - 1].guest_page = guest_page;
    auto it = rewritten_.find(guest_page);
    if (it != rewritten_.end() && it->second >= kMaxRewrites) {
      pages_[handle - 1].failures = kMaxFailures;
    }
    return handle;
  }

  void drop_module(PageInfo& p) {
    if (p.module == 0) return;
    host_->remove(p.module);
    p.module = 0;
    p.blocks.reset();
    p.misses = 0;
    --stats_.modules_live;
    stats_.code_bytes -= p.bytes;
    p.bytes = 0;
  }

  void evict_least_recent() {
    PageInfo* victim = nullptr;
    for (PageInfo& p : pages_) {
      if (p.module != 0 && (victim == nullptr || p.last_use < victim->last_use)) victim = &p;
    }
    if (victim == nullptr) return;
    drop_module(*victim);
    victim->heat = victim->arrivals = 0;
    ++stats_.evictions;
  }

  bool translate(PageInfo& p, const ExecPage& page) {
    const uint64_t start = now_ns();
    TranslateRequest req;
    req.guest_page = page.guest_page;
    req.host = page.host;
    req.max_bytes = options_.max_module_bytes;
    req.max_blocks_per_function = options_.max_blocks_per_function;
    req.listing = static_cast<bool>(hook_);
    for (unsigned i = 0; i < kHalfwords; ++i) {
      if (p.entries.test(i)) req.entries.push_back(static_cast<uint16_t>(2 * i));
    }
    TranslateResult result;
    ++p.translations;
    if (!translate_page(req, result)) {
      ++p.failures;
      p.heat = p.arrivals = 0;
      return false;
    }
    while (stats_.modules_live >= options_.max_modules) evict_least_recent();
    std::string error;
    const uint32_t module = host_->install(result.wasm, error);
    const uint64_t spent = now_ns() - start;
    stats_.compile_ns += spent;
    if (module == 0) {
      ++stats_.compile_failures;
      ++p.failures;
      p.heat = p.arrivals = 0;
      fprintf(stderr, "glassvm: the JIT's module for page 0x%llx was refused: %s\n",
              static_cast<unsigned long long>(page.guest_page), error.c_str());
      return false;
    }
    p.module = module;
    if (options_.verify_code) p.code.assign(page.host, page.host + kPageSize);
    p.bytes = static_cast<uint32_t>(result.wasm.size());
    p.blocks.reset();
    for (uint16_t o : result.blocks) p.blocks.set(o / 2);
    p.misses = 0;
    ++stats_.translations;
    stats_.nest_functions += result.nests;
    ++stats_.modules_live;
    stats_.code_bytes += p.bytes;
    if (hook_) {
      JitTranslation t;
      t.guest_page = page.guest_page;
      for (uint16_t o : result.blocks) t.entries.push_back(page.guest_page + o);
      t.riscv = std::move(result.riscv);
      std::string text_error;
      if (!wasm_to_text(result.wasm, t.wat, text_error)) t.wat = ";; unprintable: " + text_error;
      t.wasm_bytes = p.bytes;
      t.compile_ns = spent;
      hook_(t);
    }
    return true;
  }

  JitOptions options_;
  std::unique_ptr<JitHost> host_;
  std::vector<PageInfo> pages_;  ///< by handle - 1
  std::vector<uint32_t> free_;   ///< handles of released pages
  uint64_t use_clock_ = 0;
  uint32_t heating_ = 0;                              ///< the handle of the page offered last
  uint64_t clock_ = 0;                                ///< the hart's retired steps then
  std::unordered_map<uint64_t, uint32_t> rewritten_;  ///< page -> translations dropped
  JitStats stats_;
  TranslationHook hook_;
};

}  // namespace

std::unique_ptr<Jit> make_jit(const JitOptions& options, std::string& why) {
#ifdef __EMSCRIPTEN__
  why.clear();
  return std::make_unique<JitImpl>(options, std::make_unique<WebJitHost>());
#else
  (void)options;
  why = "this build runs no generated code (the JIT runs in the WebAssembly build)";
  return nullptr;
#endif
}

}  // namespace glassvm
