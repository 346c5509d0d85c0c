// wasm_to_text(): modules written as bytes here, printed, and compared with text reviewed by
// hand; a round trip of every instruction through wabt's assembler; and malformed modules,
// which must be refused with the offset of the problem, never crash.
#include "wasm-jit/wasm_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/wasm-jit/wasm_bytes.h"
#include "tests/wasm-jit/wasm_validate.h"
#include "wasm-jit/wasm_opcodes.h"

namespace glassvm::test {
namespace {

std::string print(const WasmBytes& module) {
  std::string text, error;
  EXPECT_TRUE(wasm_to_text(module, text, error)) << error;
  return text;
}

std::string print_error(const WasmBytes& module) {
  std::string text, error;
  EXPECT_FALSE(wasm_to_text(module, text, error)) << text;
  return error;
}

// One function of type 0 (i32) -> (i32) with `locals` and `code`, exported as "f".
WasmBytes one_function(const WasmBytes& locals, const WasmBytes& code) {
  return wasm_module({section(1, vec({{0x60, 0x01, 0x7f, 0x01, 0x7f}})), section(3, vec({{0x00}})),
                      section(7, vec({cat({str("f"), {0x00, 0x00}})})),
                      section(10, vec({body(locals, code)}))});
}

// What the JIT emits, in small: imports, locals, nested blocks, branches, memory, calls.
WasmBytes jit_like_module() {
  const WasmBytes code = {0x02, 0x40,                    // block
                          0x03, 0x7f,                    //   loop (result i32)
                          0x20, 0x00,                    //     local.get 0
                          0x0d, 0x01,                    //     br_if 1
                          0x41, 0x7b,                    //     i32.const -5
                          0x0e, 0x02, 0x00, 0x01, 0x02,  //     br_table 0 1 2
                          0x0b,                          //   end
                          0x1a,                          //   drop
                          0x20, 0x01,                    //   local.get 1
                          0x10, 0x00,                    //   call 0
                          0x29, 0x03, 0x08,              //   i64.load align=8 offset=8
                          0x35, 0x00, 0x04,              //   i64.load32_u align=1 offset=4
                          0x37, 0x03, 0x00,              //   i64.store
                          0x0b,                          // end
                          0x20, 0x00, 0x41, 0x01,        // local.get 0, i32.const 1
                          0x04, 0x7f,                    // if (result i32)
                          0x41, 0x02,                    //   i32.const 2
                          0x05,                          // else
                          0x41, 0x03,                    //   i32.const 3
                          0x0b,                          // end
                          0x6a, 0xc0,                    // i32.add, i32.extend8_s
                          0x12, 0x01,                    // return_call 1
                          0x0b};
  return wasm_module({
      section(1, vec({{0x60, 0x01, 0x7f, 0x01, 0x7f}, {0x60, 0x01, 0x7e, 0x01, 0x7e}})),
      section(2, vec({cat({str("h"), str("load"), {0x00, 0x01}}),
                      cat({str("h"), str("mem"), {0x02, 0x00, 0x01}})})),
      section(3, vec({{0x00}})),
      section(7, vec({cat({str("f"), {0x00, 0x01}})})),
      section(10, vec({body({0x02, 0x01, 0x7e, 0x01, 0x7f}, code)})),
  });
}

TEST(WasmText, EmptyModule) {
  EXPECT_EQ(print(wasm_module({})), "(module)\n");
}

TEST(WasmText, JitLikeModule) {
  EXPECT_EQ(print(jit_like_module()),
            "(module\n"
            "  (type (;0;) (func (param i32) (result i32)))\n"
            "  (type (;1;) (func (param i64) (result i64)))\n"
            "  (import \"h\" \"load\" (func $h.load (type 1) (param i64) (result i64)))\n"
            "  (import \"h\" \"mem\" (memory (;0;) 1))\n"
            "  (export \"f\" (func $f))\n"
            "  (func $f (type 0) (param i32) (result i32)\n"
            "    (local i64 i32)\n"
            "    block $B0\n"
            "      loop $B1 (result i32)\n"
            "        local.get 0\n"
            "        br_if $B0\n"
            "        i32.const -5\n"
            "        br_table $B1 $B0 2\n"
            "      end\n"
            "      drop\n"
            "      local.get 1\n"
            "      call $h.load\n"
            "      i64.load offset=8\n"
            "      i64.load32_u offset=4 align=1\n"
            "      i64.store\n"
            "    end\n"
            "    local.get 0\n"
            "    i32.const 1\n"
            "    if $B2 (result i32)\n"
            "      i32.const 2\n"
            "    else\n"
            "      i32.const 3\n"
            "    end\n"
            "    i32.add\n"
            "    i32.extend8_s\n"
            "    return_call $f))\n");
}

TEST(WasmText, EverySection) {
  const WasmBytes module = wasm_module({
      section(1, vec({{0x60, 0x00, 0x00}})),
      section(2, vec({cat({str("h"), str("t"), {0x01, 0x70, 0x00, 0x01}}),
                      cat({str("h"), str("g"), {0x03, 0x7e, 0x01}})})),
      section(3, vec({{0x00}})),
      section(4, vec({{0x70, 0x01, 0x01, 0x0a}})),
      section(5, vec({{0x01, 0x01, 0x02}})),
      section(6, vec({{0x7f, 0x00, 0x41, 0x07, 0x0b},
                      {0x7c, 0x01, 0x44, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0x0b}})),
      section(7, vec({cat({str("mem"), {0x02, 0x00}}), cat({str("g"), {0x03, 0x01}}),
                      cat({str("t"), {0x01, 0x01}}), cat({str("start"), {0x00, 0x00}})})),
      section(8, {0x00}),
      section(9, vec({{0x00, 0x41, 0x00, 0x0b, 0x02, 0x00, 0x00},
                      {0x01, 0x00, 0x01, 0x00},
                      {0x02, 0x01, 0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b, 0x00, 0x01, 0x00}})),
      section(12, {0x02}),
      section(10, vec({body({0x00}, {0x0b})})),
      section(11, vec({cat({{0x00, 0x41, 0x10, 0x0b}, str(std::string_view("hi\n\0\"\\", 6))}),
                       cat({{0x01}, str("p")})})),
      section(0, cat({str("name;)"), {1, 2, 3}})),
  });
  EXPECT_EQ(print(module),
            "(module\n"
            "  (type (;0;) (func))\n"
            "  (import \"h\" \"t\" (table (;0;) 1 funcref))\n"
            "  (import \"h\" \"g\" (global (;0;) (mut i64)))\n"
            "  (table (;1;) 1 10 funcref)\n"
            "  (memory (;0;) 1 2)\n"
            "  (global (;1;) i32 (i32.const 7))\n"
            "  (global (;2;) (mut f64) (f64.const 1.5))\n"
            "  (export \"mem\" (memory 0))\n"
            "  (export \"g\" (global 1))\n"
            "  (export \"t\" (table 1))\n"
            "  (export \"start\" (func $start))\n"
            "  (start $start)\n"
            "  (elem (;0;) (i32.const 0) func $start $start)\n"
            "  (elem (;1;) func $start)\n"
            "  (elem (;2;) (table 1) (offset (i32.const 1) (i32.const 2) (i32.add)) func $start)\n"
            "  (func $start (type 0))\n"
            "  (data (;0;) (i32.const 16) \"hi\\0a\\00\\22\\5c\")\n"
            "  (data (;1;) \"p\")\n"
            "  (; custom section \"name\\3b)\", 3 bytes ;))\n");
}

TEST(WasmText, Constants) {
  const WasmBytes code = {0x41, 0x80, 0x80, 0x80, 0x80, 0x78,  // i32.const INT32_MIN
                          0x42, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                          0x80, 0x7f,                    // i64.const INT64_MIN
                          0x43, 0xcd, 0xcc, 0xcc, 0x3d,  // f32.const 0.1
                          0x43, 0x00, 0x00, 0x00, 0x80,  // f32.const -0
                          0x43, 0xf9, 0x02, 0x15, 0x50,  // f32.const 1e10
                          0x43, 0x00, 0x00, 0xc0, 0x7f,  // f32.const nan
                          0x43, 0x01, 0x00, 0x80, 0xff,  // f32.const -nan:0x1
                          0x43, 0x00, 0x00, 0x80, 0x7f,  // f32.const inf
                          0x44, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // f64.const 5e-324
                          0x44, 0x9a, 0x99, 0x99, 0x99, 0x99, 0x99, 0xb9, 0x3f,  // f64.const 0.1
                          0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0xff,  // f64.const -inf
                          0x0b};
  EXPECT_EQ(print(one_function({0x00}, code)),
            "(module\n"
            "  (type (;0;) (func (param i32) (result i32)))\n"
            "  (export \"f\" (func $f))\n"
            "  (func $f (type 0) (param i32) (result i32)\n"
            "    i32.const -2147483648\n"
            "    i64.const -9223372036854775808\n"
            "    f32.const 0.1\n"
            "    f32.const -0\n"
            "    f32.const 1e+10\n"
            "    f32.const nan\n"
            "    f32.const -nan:0x1\n"
            "    f32.const inf\n"
            "    f64.const 5e-324\n"
            "    f64.const 0.1\n"
            "    f64.const -inf))\n");
}

TEST(WasmText, NamesThatCannotBeIdentifiersAreIndices) {
  const WasmBytes module = wasm_module({
      section(1, vec({{0x60, 0x00, 0x00}})),
      section(2, vec({cat({str("h"), str("x"), {0x00, 0x00}}),
                      cat({str("h"), str("x"), {0x00, 0x00}})})),
      section(3, vec({{0x00}})),
      section(7, vec({cat({str("a b"), {0x00, 0x02}})})),
      section(10, vec({body({0x00}, {0x10, 0x01, 0x10, 0x02, 0x0b})})),
  });
  EXPECT_EQ(print(module),
            "(module\n"
            "  (type (;0;) (func))\n"
            "  (import \"h\" \"x\" (func $h.x (type 0)))\n"
            "  (import \"h\" \"x\" (func (;1;) (type 0)))\n"
            "  (export \"a b\" (func 2))\n"
            "  (func (;2;) (type 0)\n"
            "    call 1\n"
            "    call 2))\n");
}

// A body with every instruction the printer knows, each with immediates that suit it.
WasmBytes every_instruction_body() {
  WasmBytes code;
  auto add = [&](const WasmBytes& bytes) { code.insert(code.end(), bytes.begin(), bytes.end()); };
  auto immediates = [&](WasmImm imm) {
    switch (imm) {
      case WasmImm::kNone: break;
      case WasmImm::kBlockType: add({0x40}); break;
      case WasmImm::kBrTable: add({0x02, 0x00, 0x01, 0x00}); break;
      case WasmImm::kCallIndirect: add({0x00, 0x00}); break;
      case WasmImm::kMemArg: add({0x02, 0x10}); break;  // align 4 (natural for some), offset 16
      case WasmImm::kI32: add({0x7f}); break;
      case WasmImm::kI64: add({0x80, 0x01}); break;
      case WasmImm::kF32: add({0x00, 0x00, 0xc0, 0x3f}); break;
      case WasmImm::kF64: add({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f}); break;
      case WasmImm::kSelectT: add({0x01, 0x7e}); break;
      case WasmImm::kRefType: add({0x70}); break;
      case WasmImm::kDataMemory:
      case WasmImm::kElemTable:
      case WasmImm::kMemoryMemory:
      case WasmImm::kTableTable: add({0x00, 0x00}); break;
      default: add({0x00}); break;  // one index
    }
  };
  for (unsigned op = 0; op < 256; ++op) {
    const WasmOpcode* code_info = wasm_opcode(static_cast<uint8_t>(op));
    if (!code_info || op == kWasmElse || op == kWasmEnd) continue;
    add({static_cast<uint8_t>(op)});
    immediates(code_info->imm);
    if (op == kWasmIf) add({kWasmElse, 0x01});  // (wat2wasm drops an empty else)
    if (code_info->imm == WasmImm::kBlockType) add({kWasmEnd});
  }
  for (uint32_t op = 0; wasm_opcode_fc(op); ++op) {
    add(cat({{kWasmPrefixFC}, uleb(op)}));
    immediates(wasm_opcode_fc(op)->imm);
  }
  add({0x43, 0x01, 0x00, 0x80, 0x7f, 0x36, 0x00, 0x00, kWasmEnd});  // f32 payload nan, align=1
  return code;
}

// The opcodes the printer knows, counted by range: the MVP, sign extension, reference types,
// tail calls and the 0xFC prefix, so that a lost table entry fails here.
TEST(WasmText, KnowsEveryInstruction) {
  unsigned known = 0;
  for (unsigned op = 0; op < 256; ++op) known += wasm_opcode(static_cast<uint8_t>(op)) != nullptr;
  unsigned prefixed = 0;
  while (wasm_opcode_fc(prefixed)) ++prefixed;
  // 0x00-0x05, 0x0B-0x13, 0x1A-0x1C, 0x20-0x26, 0x28-0xC4, 0xD0-0xD2 (0xFC is a prefix).
  EXPECT_EQ(known, 6u + 9 + 3 + 7 + (0xC4 - 0x28 + 1) + 3);
  EXPECT_EQ(wasm_opcode(kWasmPrefixFC), nullptr);
  EXPECT_EQ(prefixed, 18u);
  EXPECT_EQ(wasm_opcode(0x06), nullptr);
  EXPECT_EQ(wasm_opcode(0xC5), nullptr);
}

// Every instruction printed, assembled again by wabt's wat2wasm: the same bytes come back, so
// the mnemonics and the immediates' syntax are the ones wabt reads.
TEST(WasmText, EveryInstructionRoundTripsThroughWat2wasm) {
  const WasmBytes module = wasm_module({
      section(1, vec({{0x60, 0x01, 0x7f, 0x01, 0x7f}})),
      section(3, vec({{0x00}})),
      section(4, vec({{0x70, 0x00, 0x01}})),
      section(5, vec({{0x00, 0x01}})),
      section(6, vec({{0x7f, 0x01, 0x41, 0x00, 0x0b}})),
      section(7, vec({cat({str("f"), {0x00, 0x00}})})),
      section(9, vec({{0x00, 0x41, 0x00, 0x0b, 0x01, 0x00}})),
      section(12, {0x01}),
      section(10, vec({body({0x01, 0x01, 0x7e}, every_instruction_body())})),
      section(11, vec({cat({{0x00, 0x41, 0x00, 0x0b}, str("x")})})),
  });
  const std::string text = print(module);
  EXPECT_NE(text.find("    i64.store8 offset=16 align=4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    f32.const nan:0x1\n    i32.store align=1)\n"), std::string::npos)
      << text;
  WasmBytes again;
  std::string error;
  ASSERT_TRUE(assemble_wat(text, again, error)) << error << text;
  EXPECT_EQ(again, module) << text;
}

struct Malformed {
  const char* what;
  WasmBytes bytes;
  const char* message;  // expected in the error, with its offset
};

TEST(WasmText, MalformedModulesNameTheOffset) {
  const WasmBytes header = wasm_module({});
  auto after_header = [&](const WasmBytes& rest) { return cat({header, rest}); };
  const Malformed cases[] = {
      {"no magic",
       {0x00, 0x61, 0x73, 0x6e, 0x01, 0, 0, 0},
       "at offset 0x0: not a WebAssembly module"},
      {"version 2",
       {0x00, 0x61, 0x73, 0x6d, 0x02, 0, 0, 0},
       "at offset 0x4: unsupported version 2"},
      {"truncated header", {0x00, 0x61, 0x73}, "at offset 0x0: unexpected end of the module"},
      {"truncated section size", after_header({0x01, 0x80}),
       "at offset 0x9: LEB128 number runs past the end"},
      {"LEB128 too long", after_header({0x01, 0x80, 0x80, 0x80, 0x80, 0x10}),
       "at offset 0x9: LEB128 number too long"},
      {"section past the end", after_header({0x01, 0x0a, 0x00}),
       "at offset 0x8: section of 10 bytes runs past the end"},
      {"unknown section", after_header({0x0d, 0x00}), "at offset 0x8: unknown section id 13"},
      {"sections out of order", after_header({0x03, 0x01, 0x00, 0x01, 0x01, 0x00}),
       "at offset 0xb: section 1 is out of order"},
      {"bad opcode", one_function({0x00}, {0xff, 0x0b}), "unknown opcode 0xff"},
      {"bad 0xfc opcode", one_function({0x00}, {0xfc, 0x20, 0x0b}), "unknown opcode 0xfc 32"},
      {"unbalanced end", one_function({0x00}, {0x0b, 0x0b}),
       "bytes after the function's final end"},
      {"missing end", one_function({0x00}, {0x02, 0x40, 0x0b}),
       "ends before the end of the function"},
      {"missing block end", one_function({0x00}, {0x02, 0x40}), "ends before the end of a block"},
      {"else outside an if", one_function({0x00}, {0x02, 0x40, 0x05, 0x0b, 0x0b}),
       "else outside an if"},
      {"too many locals", one_function({0x02, 0x01, 0x7e, 0xd0, 0x86, 0x03, 0x7f}, {0x0b}),
       "more than 50000 locals"},
      {"text past its bound", one_function({0x01, 0xc0, 0xb8, 0x02, 0x7f}, {0x0b}),  // 40000 locals
       "the text would exceed"},
      {"truncated immediate", one_function({0x00}, {0x41}),
       "LEB128 number runs past the end of the function body"},
      {"string past the end", after_header(section(2, {0x01, 0x7f})),
       "a string of 127 bytes runs past the end"},
      {"bad type index",
       after_header(cat({section(1, vec({{0x60, 0x00, 0x00}})), section(3, vec({{0x05}}))})),
       "type index 5 past the 1 types"},
  };
  for (const Malformed& c : cases) {
    const std::string error = print_error(c.bytes);
    EXPECT_NE(error.find(c.message), std::string::npos) << c.what << ": " << error;
  }
  // The offsets point at the problem: the 0xff opcode of a one-function module.
  const WasmBytes bad = one_function({0x00}, {0xff, 0x0b});
  const std::string error = print_error(bad);
  char expected[32];
  std::snprintf(expected, sizeof expected, "at offset 0x%zx:", bad.size() - 2);
  EXPECT_EQ(error.rfind(expected, 0), 0u) << error;
}

// Where each section of `module` ends: the sizes at which a truncated module is still whole.
std::vector<size_t> section_ends(const WasmBytes& module) {
  std::vector<size_t> ends{8};
  for (size_t pos = 8; pos < module.size();) {
    uint64_t size = 0;
    size_t p = pos + 1;
    for (unsigned shift = 0; module[p] & 0x80; shift += 7)
      size |= uint64_t{module[p++] & 0x7fu} << shift;
    size |= uint64_t{module[p]} << (7 * (p - pos - 1));
    pos = p + 1 + size;
    ends.push_back(pos);
  }
  return ends;
}

// Every truncation of a module, and every byte of it replaced, is printed or refused with an
// offset: never a crash (the sanitizer build runs this too).
TEST(WasmText, TruncatedAndCorruptedModulesAreRefusedCleanly) {
  const WasmBytes module = jit_like_module();
  const std::vector<size_t> ends = section_ends(module);
  ASSERT_EQ(ends.size(), 6u);  // the header and five sections
  ASSERT_EQ(ends.back(), module.size());
  std::string text, error;
  for (size_t size = 0; size < module.size(); ++size) {
    const WasmBytes cut(module.begin(), module.begin() + size);
    // Whole sections make a module (until the function section needs its code).
    const bool whole = size < ends[3] && std::count(ends.begin(), ends.end(), size);
    EXPECT_EQ(wasm_to_text(cut, text, error), whole) << size << ": " << error;
    if (!whole) {
      EXPECT_EQ(error.rfind("at offset 0x", 0), 0u) << size << ": " << error;
    }
  }
  unsigned refused = 0;
  for (size_t i = 0; i < module.size(); ++i) {
    for (uint8_t value : {0x00, 0x0b, 0x80, 0xff}) {
      WasmBytes corrupt = module;
      corrupt[i] = value;
      if (!wasm_to_text(corrupt, text, error)) {
        ++refused;
        EXPECT_EQ(error.rfind("at offset 0x", 0), 0u) << i << ": " << error;
      }
    }
  }
  EXPECT_GT(refused, module.size());  // most corruptions are caught, not printed
}

// Deep nesting costs linear text: indentation stops growing at 32 levels.
TEST(WasmText, DeepNestingStaysLinear) {
  constexpr unsigned kDepth = 20000;
  WasmBytes code;
  for (unsigned i = 0; i < kDepth; ++i) code.insert(code.end(), {0x02, 0x40});
  code.insert(code.end(), kDepth + 1, 0x0b);
  const std::string text = print(one_function({0x00}, code));
  EXPECT_NE(text.find("\n" + std::string(4 + 64, ' ') + "block $B19999\n"), std::string::npos);
  EXPECT_LT(text.size(), 2 * kDepth * (4 + 64 + 14));
}

}  // namespace
}  // namespace glassvm::test
