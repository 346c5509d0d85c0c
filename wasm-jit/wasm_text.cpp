// The printer behind wasm_text.h: a WasmReader over the module's bytes (bounded by the current
// section or function body, with a sticky first error) and a Printer that walks the sections in
// binary order and writes wasm2wat-style text. Section layout and instruction encodings: the
// WebAssembly Core Specification 2.0, chapter 5 (Binary Format).
#include "wasm-jit/wasm_text.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "wasm-jit/wasm_opcodes.h"
#include "wasm-jit/wasm_reader.h"

namespace glassvm {
namespace {

constexpr size_t kMaxIndentLevels = 32;  // deeper blocks print at this depth's indentation
constexpr uint64_t kMaxLocals = 50000;   // per function, the limit browsers apply
constexpr size_t kTextPerInputByte = 128;
constexpr size_t kTextSlack = 64 * 1024;

std::string hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

// A WAT string: printable ASCII as is, everything else as \hh. In a comment, ';' is escaped too
// so that a name cannot close (or open) the comment.
std::string quote(std::string_view s, bool in_comment = false) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && !(in_comment && c == ';')) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "\\%02x", c);
      out += buf;
    }
  }
  return out + "\"";
}

// Whether `s` may follow '$' as a WAT identifier (section 6.3.5).
bool is_identifier(std::string_view s) {
  static constexpr std::string_view kPunct = "!#$%&'*+-./:<=>?@\\^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           kPunct.find(c) != std::string_view::npos;
  });
}

// The shortest decimal that reads back to the same bits; NaNs and infinities as WAT spells them.
template <typename Float, typename Bits>
std::string float_text(Bits bits, unsigned exponent_bits, unsigned max_digits) {
  constexpr unsigned kBits = sizeof(Bits) * 8;
  const unsigned mantissa_bits = kBits - 1 - exponent_bits;
  const Bits mantissa = bits & ((Bits{1} << mantissa_bits) - 1);
  const bool negative = bits >> (kBits - 1);
  if (((bits >> mantissa_bits) & ((Bits{1} << exponent_bits) - 1)) ==
      (Bits{1} << exponent_bits) - 1) {
    std::string s = negative ? "-" : "";
    if (mantissa == 0) return s + "inf";
    s += "nan";
    if (mantissa != Bits{1} << (mantissa_bits - 1)) s += ":" + hex(mantissa);  // not canonical
    return s;
  }
  Float value;
  std::memcpy(&value, &bits, sizeof value);
  char buf[40];
  for (unsigned digits = 1; digits <= max_digits; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", static_cast<int>(digits), static_cast<double>(value));
    const Float back = sizeof(Float) == 4 ? std::strtof(buf, nullptr) : std::strtod(buf, nullptr);
    if (std::memcmp(&back, &value, sizeof value) == 0) break;
  }
  return buf;
}

class Printer {
 public:
  Printer(std::span<const uint8_t> module, std::string& out)
      : r_(module), out_(out), max_text_(kTextSlack + kTextPerInputByte * module.size()) {}

  bool run(std::string& error);

 private:
  struct Block {
    uint32_t label;
    bool is_if;
  };

  // Output.
  void word(const std::string& s) {
    out_ += ' ';
    out_ += s;
  }
  void line(size_t indent) {
    out_ += '\n';
    out_.append(indent, ' ');
  }
  void check_size() {
    if (out_.size() > max_text_) {
      r_.fail(r_.pos(), "the text would exceed " + std::to_string(max_text_) + " bytes");
    }
  }
  static size_t body_indent(size_t depth) { return 4 + 2 * std::min(depth, kMaxIndentLevels); }

  // Names and references.
  std::string unique_name(std::string name) {
    if (!is_identifier(name) || !used_names_.insert(name).second) return "";
    return name;
  }
  std::string func_ref(uint32_t index) const {
    if (index < func_names_.size() && !func_names_[index].empty()) return "$" + func_names_[index];
    return std::to_string(index);
  }
  std::string func_label(uint32_t index) const {
    if (!func_names_[index].empty()) return " $" + func_names_[index];
    return " (;" + std::to_string(index) + ";)";
  }
  std::string label_ref(uint32_t depth) const {
    if (depth < blocks_.size()) {
      return "$B" + std::to_string(blocks_[blocks_.size() - 1 - depth].label);
    }
    return std::to_string(depth);  // the function's own block, or out of range
  }

  // Types.
  const char* value_type(const char* what) {
    const size_t at = r_.pos();
    const uint8_t t = r_.u8();
    const char* name = wasm_value_type_name(t);
    if (!name && r_.ok()) r_.fail(at, "unknown " + std::string(what) + " " + hex(t));
    return name ? name : "";
  }
  const char* ref_type() {
    const size_t at = r_.pos();
    const char* name = value_type("reference type");
    if (r_.ok() && std::strcmp(name, "funcref") != 0 && std::strcmp(name, "externref") != 0) {
      r_.fail(at, std::string(name) + " is not a reference type");
    }
    return name;
  }
  std::string value_types(const char* keyword) {
    std::string list;
    const uint32_t n = r_.u32();
    for (uint32_t i = 0; i < n && r_.ok(); ++i) list += std::string(" ") + value_type("value type");
    return list.empty() ? "" : std::string(" (") + keyword + list + ")";
  }
  std::string limits();
  std::string global_type();
  std::string type_use(uint32_t type, size_t at);

  // Sections, in binary order.
  void header();
  void section(uint8_t id);
  void type_section();
  void import_section();
  void function_section();
  void table_section();
  void memory_section();
  void global_section();
  void export_section();
  void elem_section();
  void data_section();
  void code_section();
  void function(uint32_t index);
  void locals();
  void code();
  void const_expr(const char* wrapper);
  void instruction(uint8_t op, size_t at);
  void immediates(const WasmOpcode& code, uint8_t op);

  WasmReader r_;
  std::string& out_;
  const size_t max_text_;
  std::vector<std::string> type_sigs_;   // " (param ...) (result ...)" per type
  std::vector<uint32_t> func_types_;     // type of each function, imports first
  std::vector<std::string> func_names_;  // "" when a function has no name
  std::unordered_set<std::string> used_names_;
  uint32_t imported_funcs_ = 0, tables_ = 0, memories_ = 0, globals_ = 0, bodies_ = 0;
  std::vector<Block> blocks_;  // the blocks open in the current function
  uint32_t next_label_ = 0;
};

std::string Printer::limits() {
  const size_t at = r_.pos();
  const uint8_t flags = r_.u8();
  if (flags > 3) r_.fail(at, "unsupported limits flags " + hex(flags));
  std::string s = std::to_string(r_.u32());
  if (flags & 1) s += " " + std::to_string(r_.u32());
  return flags & 2 ? s + " shared" : s;
}

std::string Printer::global_type() {
  const std::string type = value_type("value type");
  const size_t at = r_.pos();
  const uint8_t mut = r_.u8();
  if (mut > 1 && r_.ok()) r_.fail(at, "bad global mutability " + hex(mut));
  return mut ? "(mut " + type + ")" : type;
}

std::string Printer::type_use(uint32_t type, size_t at) {
  if (type >= type_sigs_.size()) {
    r_.fail(at, "type index " + std::to_string(type) + " past the " +
                    std::to_string(type_sigs_.size()) + " types");
    return "";
  }
  return " (type " + std::to_string(type) + ")" + type_sigs_[type];
}

void Printer::header() {
  if (r_.fixed(4) != 0x6d736100 && r_.ok()) {
    r_.fail(0, "not a WebAssembly module (no \\0asm magic)");
  }
  const uint64_t version = r_.fixed(4);
  if (version != 1 && r_.ok()) r_.fail(4, "unsupported version " + std::to_string(version));
}

bool Printer::run(std::string& error) {
  out_ = "(module";
  header();
  // Sections in their required order (section 5.5.2); the data count (12) comes before code.
  static constexpr uint8_t kRank[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
  uint8_t last_rank = 0;
  while (r_.ok() && !r_.at_limit()) {
    const size_t at = r_.pos();
    const uint8_t id = r_.u8();
    const WasmReader::Saved saved = r_.enter(r_.u32(), at, "section");
    if (id >= std::size(kRank)) {
      r_.fail(at, "unknown section id " + std::to_string(id));
    } else if (id != 0 && kRank[id] <= last_rank) {
      r_.fail(at, "section " + std::to_string(id) + " is out of order or repeated");
    } else if (id != 0) {
      last_rank = kRank[id];
    }
    if (r_.ok()) section(id);
    r_.leave(saved);
    check_size();
  }
  if (r_.ok() && bodies_ != func_types_.size() - imported_funcs_) {
    r_.fail(r_.pos(), "the function section declares " +
                          std::to_string(func_types_.size() - imported_funcs_) +
                          " functions but there are " + std::to_string(bodies_) + " bodies");
  }
  if (!r_.ok()) {
    error = r_.error();
    return false;
  }
  out_ += ")\n";
  return true;
}

void Printer::section(uint8_t id) {
  switch (id) {
    case 0: {
      const std::string_view name = r_.bytes();
      line(2);
      out_ +=
          "(; custom section " + quote(name, true) + ", " + std::to_string(r_.left()) + " bytes ;)";
      r_.skip_rest();
      break;
    }
    case 1: type_section(); break;
    case 2: import_section(); break;
    case 3: function_section(); break;
    case 4: table_section(); break;
    case 5: memory_section(); break;
    case 6: global_section(); break;
    case 7: export_section(); break;
    case 8:
      line(2);
      out_ += "(start " + func_ref(r_.u32()) + ")";
      break;
    case 9: elem_section(); break;
    case 10: code_section(); break;
    case 11: data_section(); break;
    case 12: r_.u32(); break;  // the data count: implied by the data section in text
  }
}

void Printer::type_section() {
  const uint32_t n = r_.u32();
  for (uint32_t i = 0; i < n && r_.ok(); ++i) {
    const size_t at = r_.pos();
    if (r_.u8() != 0x60 && r_.ok()) {
      r_.fail(at, "type " + std::to_string(i) + " is not a function type");
    }
    std::string sig = value_types("param");
    sig += value_types("result");
    line(2);
    out_ += "(type (;" + std::to_string(i) + ";) (func" + sig + "))";
    type_sigs_.push_back(std::move(sig));
    check_size();
  }
}

void Printer::import_section() {
  const uint32_t n = r_.u32();
  for (uint32_t i = 0; i < n && r_.ok(); ++i) {
    const std::string_view module = r_.bytes();
    const std::string_view field = r_.bytes();
    const size_t at = r_.pos();
    const uint8_t kind = r_.u8();
    line(2);
    out_ += "(import " + quote(module) + " " + quote(field) + " ";
    if (kind == 0) {
      const uint32_t index = static_cast<uint32_t>(func_types_.size());
      const size_t type_at = r_.pos();
      const uint32_t type = r_.u32();
      func_types_.push_back(type);
      func_names_.push_back(unique_name(std::string(module) + "." + std::string(field)));
      ++imported_funcs_;
      out_ += "(func" + func_label(index) + type_use(type, type_at) + ")";
    } else if (kind == 1) {
      const char* type = ref_type();
      out_ += "(table (;" + std::to_string(tables_++) + ";) " + limits() + " " + type + ")";
    } else if (kind == 2) {
      out_ += "(memory (;" + std::to_string(memories_++) + ";) " + limits() + ")";
    } else if (kind == 3) {
      out_ += "(global (;" + std::to_string(globals_++) + ";) " + global_type() + ")";
    } else if (r_.ok()) {
      r_.fail(at, "unknown import kind " + hex(kind));
    }
    out_ += ")";
    check_size();
  }
}

void Printer::function_section() {
  const uint32_t n = r_.u32();
  for (uint32_t i = 0; i < n && r_.ok(); ++i) {
    const size_t at = r_.pos();
    const uint32_t type = r_.u32();
    type_use(type, at);  // checks the index
    func_types_.push_back(type);
    func_names_.emplace_back();
  }
}

void Printer::table_section() {
  const uint32_t n = r_.u32();
  for (uint32_t i = 0; i < n && r_.ok(); ++i) {
    const char* type = ref_type();
    line(2);
    out_ += "(table (;" + std::to_string(tables_++) + ";) " + limits() + " " + type + ")";
  }
}

void Printer::memory_section() {
  const uint32_t n = r_.u32();
  for (uint32_t i = 0; i < n && r_.ok(); ++i) {
    line(2);
    out_ += "(memory (;" + std::to_string(memories_++) + ";) " + limits() + ")";
  }
}

void Printer::global_section() {
  const uint32_t n = r_.u32();
  for (uint32_t i = 0; i < n && r_.ok(); ++i) {
    const std::string type = global_type();
    line(2);
    out_ += "(global (;" + std::to_string(globals_++) + ";) " + type;
    const_expr(nullptr);
    out_ += ")";
  }
}

void Printer::export_section() {
  struct Export {
    std::string_view name;
    uint8_t kind;
    uint32_t index;
    size_t at;
  };
  std::vector<Export> exports;  // read first: a function is named after its export
  const uint32_t n = r_.u32();
  for (uint32_t i = 0; i < n && r_.ok(); ++i) {
    Export e{r_.bytes(), 0, 0, r_.pos()};
    e.kind = r_.u8();
    e.index = r_.u32();
    if (e.kind > 3 && r_.ok()) r_.fail(e.at, "unknown export kind " + hex(e.kind));
    exports.push_back(e);
  }
  for (const Export& e : exports) {
    if (e.kind == 0 && e.index >= imported_funcs_ && e.index < func_names_.size() &&
        func_names_[e.index].empty()) {
      func_names_[e.index] = unique_name(std::string(e.name));
    }
  }
  static constexpr const char* kKinds[] = {"func", "table", "memory", "global"};
  for (const Export& e : exports) {
    if (!r_.ok()) break;
    line(2);
    out_ += "(export " + quote(e.name) + " (" + kKinds[e.kind] + " " +
            (e.kind == 0 ? func_ref(e.index) : std::to_string(e.index)) + "))";
    check_size();
  }
}

void Printer::elem_section() {
  const uint32_t n = r_.u32();
  for (uint32_t i = 0; i < n && r_.ok(); ++i) {
    const size_t at = r_.pos();
    const uint32_t flags = r_.u32();  // bit 0 passive/declared, bit 1 table/declared, bit 2 exprs
    if (flags > 7 && r_.ok()) r_.fail(at, "unknown element segment flags " + std::to_string(flags));
    const bool passive = flags & 1, explicit_table = flags & 2, exprs = flags & 4;
    line(2);
    out_ += "(elem (;" + std::to_string(i) + ";)";
    if (!passive) {
      if (explicit_table) out_ += " (table " + std::to_string(r_.u32()) + ")";
      const_expr("offset");
    } else if (explicit_table) {
      out_ += " declare";
    }
    if (exprs) {
      out_ += std::string(" ") + (passive || explicit_table ? ref_type() : "funcref");
    } else {
      const size_t kind_at = r_.pos();
      if ((passive || explicit_table) && r_.u8() != 0 && r_.ok()) {
        r_.fail(kind_at, "unknown element kind");
      }
      out_ += " func";
    }
    const uint32_t items = r_.u32();
    for (uint32_t j = 0; j < items && r_.ok(); ++j) {
      if (exprs) {
        const_expr("item");
      } else {
        word(func_ref(r_.u32()));
      }
      check_size();
    }
    out_ += ")";
  }
}

void Printer::data_section() {
  const uint32_t n = r_.u32();
  for (uint32_t i = 0; i < n && r_.ok(); ++i) {
    const size_t at = r_.pos();
    const uint32_t flags = r_.u32();  // 0 active in memory 0, 1 passive, 2 active in memory x
    if (flags > 2 && r_.ok()) r_.fail(at, "unknown data segment flags " + std::to_string(flags));
    line(2);
    out_ += "(data (;" + std::to_string(i) + ";)";
    if (flags == 2) {
      const uint32_t memory = r_.u32();
      if (memory != 0) out_ += " (memory " + std::to_string(memory) + ")";
    }
    if (flags != 1) const_expr("offset");
    word(quote(r_.bytes()));
    out_ += ")";
    check_size();
  }
}

void Printer::code_section() {
  const uint32_t n = r_.u32();
  for (uint32_t i = 0; i < n && r_.ok(); ++i) {
    const size_t at = r_.pos();
    const uint32_t index = imported_funcs_ + bodies_;
    if (index >= func_types_.size()) {
      r_.fail(at, "function body " + std::to_string(i) + " has no entry in the function section");
      break;
    }
    const WasmReader::Saved saved = r_.enter(r_.u32(), at, "function body");
    if (r_.ok()) function(index);
    r_.leave(saved);
    ++bodies_;
  }
}

void Printer::function(uint32_t index) {
  line(2);
  out_ += "(func" + func_label(index) + type_use(func_types_[index], r_.pos());
  locals();
  code();
  out_ += ")";
}

void Printer::locals() {
  const size_t start = out_.size();
  line(4);
  out_ += "(local";
  uint64_t total = 0;
  const uint32_t n = r_.u32();
  for (uint32_t i = 0; i < n && r_.ok(); ++i) {
    const size_t at = r_.pos();
    const uint32_t count = r_.u32();
    const std::string type = value_type("value type");
    total += count;
    if (total > kMaxLocals && r_.ok()) {
      r_.fail(at, "more than " + std::to_string(kMaxLocals) + " locals");
    }
    for (uint32_t j = 0; j < count && r_.ok(); ++j) {
      word(type);
      check_size();
    }
  }
  if (total == 0) {
    out_.resize(start);
  } else {
    out_ += ")";
  }
}

void Printer::code() {
  blocks_.clear();
  next_label_ = 0;
  while (r_.ok()) {
    if (r_.at_limit()) {
      r_.fail(r_.pos(), "the function body ends before the end of " +
                            std::string(blocks_.empty() ? "the function" : "a block") +
                            " (unbalanced blocks)");
      return;
    }
    const size_t at = r_.pos();
    const uint8_t op = r_.u8();
    if (op == kWasmEnd && blocks_.empty()) {
      if (!r_.at_limit()) {
        r_.fail(r_.pos(), std::to_string(r_.left()) +
                              " bytes after the function's final end (unbalanced end)");
      }
      return;
    }
    if (op == kWasmEnd || op == kWasmElse) {
      if (op == kWasmElse && (blocks_.empty() || !blocks_.back().is_if)) {
        r_.fail(at, "else outside an if");
        return;
      }
      line(body_indent(blocks_.size() - 1));
      out_ += op == kWasmEnd ? "end" : "else";
      if (op == kWasmEnd) {
        blocks_.pop_back();
      } else {
        blocks_.back().is_if = false;  // a second else is an error
      }
    } else {
      line(body_indent(blocks_.size()));
      instruction(op, at);
    }
    check_size();
  }
}

// Instructions up to `end`, folded: " (i32.const 0)". With several, and a `wrapper`, the whole
// is wrapped: " (offset (i32.const 1) (i32.const 2) (i32.add))".
void Printer::const_expr(const char* wrapper) {
  const size_t start = out_.size();
  unsigned count = 0;
  while (r_.ok()) {
    const size_t at = r_.pos();
    const uint8_t op = r_.u8();
    if (op == kWasmEnd || !r_.ok()) break;
    const WasmOpcode* code = wasm_opcode(op);
    if (code && (code->imm == WasmImm::kBlockType || code->imm == WasmImm::kLabel ||
                 code->imm == WasmImm::kBrTable || op == kWasmElse)) {
      r_.fail(at, std::string(code->name) + " in a constant expression");
      break;
    }
    out_ += " (";
    instruction(op, at);
    out_ += ")";
    ++count;
    check_size();
  }
  if (wrapper && count != 1) {
    out_.insert(start, std::string(" (") + wrapper);
    out_ += ")";
  }
}

void Printer::instruction(uint8_t op, size_t at) {
  const WasmOpcode* code = wasm_opcode(op);
  if (op == kWasmPrefixFC) {
    const uint32_t sub = r_.u32();
    code = wasm_opcode_fc(sub);
    if (!code && r_.ok()) r_.fail(at, "unknown opcode 0xfc " + std::to_string(sub));
  } else if (!code) {
    r_.fail(at, "unknown opcode " + hex(op));
  }
  if (!code || !r_.ok()) return;
  out_ += code->name;
  immediates(*code, op);
}

void Printer::immediates(const WasmOpcode& code, uint8_t op) {
  const size_t at = r_.pos();
  switch (code.imm) {
    case WasmImm::kNone: break;
    case WasmImm::kBlockType: {
      const uint32_t label = next_label_++;
      out_ += " $B" + std::to_string(label);
      const int64_t type = r_.s33();  // -64 (0x40): no result; a value type; or a type index
      if (type >= 0) {
        out_ += " (type " + std::to_string(type) + ")";
      } else if (type != -64) {
        const char* name = wasm_value_type_name(static_cast<uint8_t>(type & 0x7f));
        if (!name && r_.ok()) r_.fail(at, "unknown block type");
        if (name) out_ += std::string(" (result ") + name + ")";
      }
      blocks_.push_back({label, op == kWasmIf});
      break;
    }
    case WasmImm::kLabel: word(label_ref(r_.u32())); break;
    case WasmImm::kBrTable: {
      const uint64_t n = r_.u32();
      for (uint64_t i = 0; i <= n && r_.ok(); ++i) {
        word(label_ref(r_.u32()));
        check_size();
      }
      break;
    }
    case WasmImm::kFunc: word(func_ref(r_.u32())); break;
    case WasmImm::kCallIndirect: {
      const uint32_t type = r_.u32();
      const uint32_t table = r_.u32();
      if (table != 0) word(std::to_string(table));
      out_ += " (type " + std::to_string(type) + ")";
      break;
    }
    case WasmImm::kLocal:
    case WasmImm::kGlobal:
    case WasmImm::kTable:
    case WasmImm::kData:
    case WasmImm::kElem: word(std::to_string(r_.u32())); break;
    case WasmImm::kMemArg: {
      const uint32_t align = r_.u32();
      const uint32_t offset = r_.u32();
      if (align >= 32 && r_.ok()) {
        r_.fail(at, "alignment exponent " + std::to_string(align) + " too large");
      }
      if (offset != 0) out_ += " offset=" + std::to_string(offset);
      if (align != code.natural_align_log2 && align < 32) {
        out_ += " align=" + std::to_string(uint64_t{1} << align);
      }
      break;
    }
    case WasmImm::kMemory: {
      const uint32_t memory = r_.u32();
      if (memory != 0) word(std::to_string(memory));
      break;
    }
    case WasmImm::kI32: word(std::to_string(r_.s32())); break;
    case WasmImm::kI64: word(std::to_string(r_.s64())); break;
    case WasmImm::kF32: word(float_text<float>(static_cast<uint32_t>(r_.fixed(4)), 8, 9)); break;
    case WasmImm::kF64: word(float_text<double>(r_.fixed(8), 11, 17)); break;
    case WasmImm::kSelectT: out_ += value_types("result"); break;
    case WasmImm::kRefType:
      out_ += std::strcmp(ref_type(), "funcref") == 0 ? " func" : " extern";
      break;
    case WasmImm::kDataMemory:
    case WasmImm::kElemTable: {  // text order: memory or table (when not 0), then the segment
      const uint32_t segment = r_.u32();
      const uint32_t space = r_.u32();
      if (space != 0) word(std::to_string(space));
      word(std::to_string(segment));
      break;
    }
    case WasmImm::kMemoryMemory:
    case WasmImm::kTableTable: {
      const uint32_t destination = r_.u32();
      const uint32_t source = r_.u32();
      if (destination != 0 || source != 0) {
        word(std::to_string(destination));
        word(std::to_string(source));
      }
      break;
    }
  }
}

}  // namespace

bool wasm_to_text(std::span<const uint8_t> module, std::string& text, std::string& error) {
  error.clear();
  return Printer(module, text).run(error);
}

}  // namespace glassvm
