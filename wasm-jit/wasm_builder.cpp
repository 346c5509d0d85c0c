#include "wasm-jit/wasm_builder.h"

#include <cassert>

namespace glassvm::wasm {

void put_uleb(std::vector<uint8_t>& out, uint64_t value) {
  do {
    uint8_t byte = value & 0x7f;
    value >>= 7;
    if (value != 0) byte |= 0x80;
    out.push_back(byte);
  } while (value != 0);
}

void put_sleb(std::vector<uint8_t>& out, int64_t value) {
  for (;;) {
    const uint8_t byte = value & 0x7f;
    value >>= 7;  // arithmetic: the sign stays
    const bool done = (value == 0 && !(byte & 0x40)) || (value == -1 && (byte & 0x40));
    out.push_back(done ? byte : byte | 0x80);
    if (done) return;
  }
}

namespace {

void put_name(std::vector<uint8_t>& out, const std::string& name) {
  put_uleb(out, name.size());
  out.insert(out.end(), name.begin(), name.end());
}

void put_section(std::vector<uint8_t>& out, uint8_t id, const std::vector<uint8_t>& payload) {
  out.push_back(id);
  put_uleb(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
}

}  // namespace

uint32_t WasmCode::add_local(ValType t) {
  locals_.push_back(t);
  return param_count_ + static_cast<uint32_t>(locals_.size()) - 1;
}

void WasmCode::i32_const(int32_t v) {
  op(op::kI32Const);
  put_sleb(body_, v);
}
void WasmCode::i64_const(int64_t v) {
  op(op::kI64Const);
  put_sleb(body_, v);
}
void WasmCode::local_get(uint32_t i) {
  op(op::kLocalGet);
  put_uleb(body_, i);
}
void WasmCode::local_set(uint32_t i) {
  op(op::kLocalSet);
  put_uleb(body_, i);
}
void WasmCode::local_tee(uint32_t i) {
  op(op::kLocalTee);
  put_uleb(body_, i);
}
void WasmCode::mem(uint8_t opcode, uint32_t align, uint32_t offset) {
  op(opcode);
  put_uleb(body_, align);
  put_uleb(body_, offset);
}
void WasmCode::call(uint32_t func) {
  op(op::kCall);
  put_uleb(body_, func);
}

size_t WasmCode::call_later() {
  op(op::kCall);
  const size_t at = body_.size();
  body_.insert(body_.end(), {0x80, 0x80, 0x80, 0x80, 0x00});
  return at;
}
void WasmCode::patch_call(size_t at, uint32_t func) {
  assert(at + 5 <= body_.size());
  for (size_t k = 0; k < 5; ++k, func >>= 7) {
    body_[at + k] = static_cast<uint8_t>((func & 0x7f) | (k < 4 ? 0x80 : 0));
  }
}

WasmCode::Label WasmCode::open_block(BlockType t) {
  op(op::kBlock);
  body_.push_back(static_cast<uint8_t>(t));
  return Label{open_++};
}
WasmCode::Label WasmCode::open_loop(BlockType t) {
  op(op::kLoop);
  body_.push_back(static_cast<uint8_t>(t));
  return Label{open_++};
}
WasmCode::Label WasmCode::open_if(BlockType t) {
  op(op::kIf);
  body_.push_back(static_cast<uint8_t>(t));
  return Label{open_++};
}
void WasmCode::else_() {
  assert(open_ > 0);
  op(op::kElse);
}
void WasmCode::end(Label label) {
  assert(open_ > 0 && label.depth == open_ - 1 && "WasmCode::end closes the innermost construct");
  --open_;
  op(op::kEnd);
}
uint32_t WasmCode::relative(Label target) const {
  assert(target.depth < open_ && "branch to a construct that is not open");
  return open_ - 1 - target.depth;
}
void WasmCode::br(Label target) {
  op(op::kBr);
  put_uleb(body_, relative(target));
}
void WasmCode::br_if(Label target) {
  op(op::kBrIf);
  put_uleb(body_, relative(target));
}
void WasmCode::br_table(std::span<const Label> targets, Label fallback) {
  op(op::kBrTable);
  put_uleb(body_, targets.size());
  for (const Label& l : targets) put_uleb(body_, relative(l));
  put_uleb(body_, relative(fallback));
}

std::vector<uint8_t> WasmCode::finish() const {
  assert(open_ == 0 && "WasmCode::finish with constructs still open");
  std::vector<uint8_t> out;
  // Locals as runs of one type.
  std::vector<std::pair<uint32_t, ValType>> runs;
  for (ValType t : locals_) {
    if (!runs.empty() && runs.back().second == t) {
      ++runs.back().first;
    } else {
      runs.emplace_back(1, t);
    }
  }
  put_uleb(out, runs.size());
  for (auto [n, t] : runs) {
    put_uleb(out, n);
    out.push_back(static_cast<uint8_t>(t));
  }
  out.insert(out.end(), body_.begin(), body_.end());
  out.push_back(op::kEnd);
  return out;
}

uint32_t WasmModuleBuilder::type(const FuncType& t) {
  for (uint32_t i = 0; i < types_.size(); ++i) {
    if (types_[i] == t) return i;
  }
  types_.push_back(t);
  return static_cast<uint32_t>(types_.size() - 1);
}

uint32_t WasmModuleBuilder::import_function(const std::string& module, const std::string& name,
                                            const FuncType& t) {
  assert(bodies_.empty() && "imports come before the module's own functions");
  imports_.push_back(Import{module, name, 0, type(t)});
  return imported_functions_++;
}

void WasmModuleBuilder::import_memory(const std::string& module, const std::string& name,
                                      uint32_t min_pages) {
  imports_.push_back(Import{module, name, 2, min_pages});
}

uint32_t WasmModuleBuilder::add_function(const FuncType& t, std::vector<uint8_t> code) {
  function_types_.push_back(type(t));
  bodies_.push_back(std::move(code));
  return imported_functions_ + static_cast<uint32_t>(bodies_.size() - 1);
}

void WasmModuleBuilder::export_function(const std::string& name, uint32_t func) {
  exports_.emplace_back(name, func);
}

std::vector<uint8_t> WasmModuleBuilder::finish() const {
  std::vector<uint8_t> out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  std::vector<uint8_t> s;
  put_uleb(s, types_.size());
  for (const FuncType& t : types_) {
    s.push_back(0x60);
    put_uleb(s, t.params.size());
    for (ValType v : t.params) s.push_back(static_cast<uint8_t>(v));
    put_uleb(s, t.results.size());
    for (ValType v : t.results) s.push_back(static_cast<uint8_t>(v));
  }
  put_section(out, 1, s);
  if (!imports_.empty()) {
    s.clear();
    put_uleb(s, imports_.size());
    for (const Import& im : imports_) {
      put_name(s, im.module);
      put_name(s, im.name);
      s.push_back(im.kind);
      if (im.kind == 2) s.push_back(0x00);  // limits: a minimum only
      put_uleb(s, im.index);
    }
    put_section(out, 2, s);
  }
  s.clear();
  put_uleb(s, function_types_.size());
  for (uint32_t t : function_types_) put_uleb(s, t);
  put_section(out, 3, s);
  if (!exports_.empty()) {
    s.clear();
    put_uleb(s, exports_.size());
    for (const auto& [name, func] : exports_) {
      put_name(s, name);
      s.push_back(0x00);
      put_uleb(s, func);
    }
    put_section(out, 7, s);
  }
  s.clear();
  put_uleb(s, bodies_.size());
  for (const auto& body : bodies_) {
    put_uleb(s, body.size());
    s.insert(s.end(), body.begin(), body.end());
  }
  put_section(out, 10, s);
  return out;
}

}  // namespace glassvm::wasm
