#include "ui/translation_view.h"

#include "engine/cpu/pte.h"
#include "ui/cpu_view.h"
#include "ui/json_internal.h"
#include "ui/text_internal.h"

namespace glassvm::ui {

namespace {

std::string mode_name(const PageWalk& w) {
  return w.levels == 4 ? "Sv48" : "Sv39";
}

std::string ad_text(uint64_t bits) {
  std::string out;
  if (bits & kPteA) out += "A";
  if (bits & kPteD) out += out.empty() ? "D" : ", D";
  return out;
}

/// The PTE the walk stopped at is the last row; what it is depends on the outcome.
std::string meaning(const PageWalk& w, const PageWalkStep& s, bool last) {
  const uint64_t target = pte_address(s.pte);
  const bool leaf = pte_is_leaf(s.pte);
  if (last && !w.ok) return "the walk stops here: " + w.why;
  if (leaf) {
    return "leaf: a " + page_size(12 + 9 * s.level) + " page at " + hex(target) +
           (s.level > 0 ? " (a superpage)" : "");
  }
  return "pointer to the level " + std::to_string(s.level - 1) + " table at " + hex(target);
}

}  // namespace

std::string pte_bits(uint64_t pte) {
  std::string out(8, '-');  // bit 7 first
  for (unsigned bit = 0; bit < 8; ++bit)
    if (pte & (1u << bit)) out[7 - bit] = kPteFlagNames[bit];
  return out;
}

const char* access_name(Access access) {
  switch (access) {
    case Access::Fetch: return "fetch";
    case Access::Load: return "load";
    case Access::Store: return "store";
  }
  return "?";
}

std::optional<Access> parse_access(std::string_view text) {
  if (text == "fetch") return Access::Fetch;
  if (text == "load" || text == "read") return Access::Load;
  if (text == "store" || text == "write") return Access::Store;
  return std::nullopt;
}

TranslationView translation_view(const Cpu& cpu, uint64_t va, Access access) {
  TranslationView v;
  v.walk = cpu.walk_page_tables(va, access);
  const PageWalk& w = v.walk;
  const std::string what = std::string("a ") + access_name(access) + " at " + hex(va) + " in " +
                           priv_name(w.priv) + " mode";
  if (!w.paged) {
    v.heading = what + ": no translation (" +
                (w.priv == PrivLevel::Machine ? "M-mode ignores satp" : "satp is Bare") + ")";
    v.result = "physical address " + hex(w.pa);
    return v;
  }
  v.heading = what + ": " + mode_name(w) + ", root table at " + hex(w.root);
  for (size_t i = 0; i < w.steps.size(); ++i) {
    const PageWalkStep& s = w.steps[i];
    v.rows.push_back(
        {s.level, s.pte_addr, s.pte, pte_bits(s.pte), meaning(w, s, i + 1 == w.steps.size())});
  }
  if (w.ok) {
    v.result = "physical address " + hex(w.pa) + " (" + page_size(w.leaf_shift) + " page" +
               (w.sets_ad ? "; the hart sets " + ad_text(w.sets_ad) + " in the leaf" : "") + ")";
  } else {
    v.result = cause_text(w.fault_cause) + ": " + w.why;
  }
  return v;
}

std::string translation_json(const Cpu& cpu, uint64_t va, Access access) {
  const TranslationView v = translation_view(cpu, va, access);
  const PageWalk& w = v.walk;
  std::string out = "{\"va\":\"" + hex64(va) + "\",\"access\":\"" + access_name(access) +
                    "\",\"priv\":\"" + priv_letter(w.priv) +
                    "\",\"paged\":" + (w.paged ? "true" : "false") + ",\"mode\":\"" +
                    (w.paged ? mode_name(w) : std::string("Bare")) + "\",\"root\":\"" +
                    hex64(w.root) + "\",\"steps\":[";
  for (size_t i = 0; i < v.rows.size(); ++i) {
    const WalkRow& r = v.rows[i];
    if (i) out += ',';
    out += "{\"level\":" + std::to_string(r.level) + ",\"pteAddr\":\"" + hex64(r.pte_addr) +
           "\",\"pte\":\"" + hex64(r.pte) + "\",\"bits\":\"" + r.bits + "\",\"meaning\":";
    json_append_string(out, r.meaning);
    out += '}';
  }
  out += "],\"ok\":";
  out += w.ok ? "true" : "false";
  if (w.ok) {
    out += ",\"pa\":\"" + hex64(w.pa) +
           "\",\"pageSize\":" + std::to_string(w.paged ? 1ull << w.leaf_shift : 0) +
           ",\"setsAD\":\"" + ad_text(w.sets_ad) + "\",\"fault\":null}";
  } else {
    out += ",\"fault\":{\"cause\":" + std::to_string(w.fault_cause) + ",\"text\":";
    json_append_string(out, cause_text(w.fault_cause));
    out += ",\"why\":";
    json_append_string(out, w.why);
    out += "}}";
  }
  return out;
}

}  // namespace glassvm::ui
