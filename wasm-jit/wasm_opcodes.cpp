// The opcode tables behind wasm_opcodes.h, built once. Numbers from the WebAssembly Core
// Specification 2.0, section 5.4, and the tail-call proposal (0x12, 0x13).
#include "wasm-jit/wasm_opcodes.h"

#include <array>

namespace glassvm {
namespace {

using Table = std::array<WasmOpcode, 256>;

// 0x45-0xC4: the numeric instructions, none with an immediate, in opcode order.
// clang-format off
constexpr const char* kNumeric[] = {
    "i32.eqz", "i32.eq", "i32.ne", "i32.lt_s", "i32.lt_u", "i32.gt_s", "i32.gt_u", "i32.le_s",
    "i32.le_u", "i32.ge_s", "i32.ge_u", "i64.eqz", "i64.eq", "i64.ne", "i64.lt_s", "i64.lt_u",
    "i64.gt_s", "i64.gt_u", "i64.le_s", "i64.le_u", "i64.ge_s", "i64.ge_u", "f32.eq", "f32.ne",
    "f32.lt", "f32.gt", "f32.le", "f32.ge", "f64.eq", "f64.ne", "f64.lt", "f64.gt", "f64.le",
    "f64.ge", "i32.clz", "i32.ctz", "i32.popcnt", "i32.add", "i32.sub", "i32.mul", "i32.div_s",
    "i32.div_u", "i32.rem_s", "i32.rem_u", "i32.and", "i32.or", "i32.xor", "i32.shl", "i32.shr_s",
    "i32.shr_u", "i32.rotl", "i32.rotr", "i64.clz", "i64.ctz", "i64.popcnt", "i64.add", "i64.sub",
    "i64.mul", "i64.div_s", "i64.div_u", "i64.rem_s", "i64.rem_u", "i64.and", "i64.or", "i64.xor",
    "i64.shl", "i64.shr_s", "i64.shr_u", "i64.rotl", "i64.rotr", "f32.abs", "f32.neg", "f32.ceil",
    "f32.floor", "f32.trunc", "f32.nearest", "f32.sqrt", "f32.add", "f32.sub", "f32.mul",
    "f32.div", "f32.min", "f32.max", "f32.copysign", "f64.abs", "f64.neg", "f64.ceil", "f64.floor",
    "f64.trunc", "f64.nearest", "f64.sqrt", "f64.add", "f64.sub", "f64.mul", "f64.div", "f64.min",
    "f64.max", "f64.copysign", "i32.wrap_i64", "i32.trunc_f32_s", "i32.trunc_f32_u",
    "i32.trunc_f64_s", "i32.trunc_f64_u", "i64.extend_i32_s", "i64.extend_i32_u",
    "i64.trunc_f32_s", "i64.trunc_f32_u", "i64.trunc_f64_s", "i64.trunc_f64_u",
    "f32.convert_i32_s", "f32.convert_i32_u", "f32.convert_i64_s", "f32.convert_i64_u",
    "f32.demote_f64", "f64.convert_i32_s", "f64.convert_i32_u", "f64.convert_i64_s",
    "f64.convert_i64_u", "f64.promote_f32", "i32.reinterpret_f32", "i64.reinterpret_f64",
    "f32.reinterpret_i32", "f64.reinterpret_i64", "i32.extend8_s", "i32.extend16_s",
    "i64.extend8_s", "i64.extend16_s", "i64.extend32_s"};
// clang-format on
static_assert(std::size(kNumeric) == 0xC4 - 0x45 + 1);

// 0x28-0x3E: loads and stores, with log2 of their access size.
struct MemOp {
  const char* name;
  uint8_t align_log2;
};
constexpr MemOp kMemory[] = {
    {"i32.load", 2},     {"i64.load", 3},     {"f32.load", 2},     {"f64.load", 3},
    {"i32.load8_s", 0},  {"i32.load8_u", 0},  {"i32.load16_s", 1}, {"i32.load16_u", 1},
    {"i64.load8_s", 0},  {"i64.load8_u", 0},  {"i64.load16_s", 1}, {"i64.load16_u", 1},
    {"i64.load32_s", 2}, {"i64.load32_u", 2}, {"i32.store", 2},    {"i64.store", 3},
    {"f32.store", 2},    {"f64.store", 3},    {"i32.store8", 0},   {"i32.store16", 1},
    {"i64.store8", 0},   {"i64.store16", 1},  {"i64.store32", 2}};
static_assert(std::size(kMemory) == 0x3E - 0x28 + 1);

// 0xFC 0-17: the saturating truncations, then bulk memory and table operations.
constexpr WasmOpcode kPrefixFC[] = {{"i32.trunc_sat_f32_s"},
                                    {"i32.trunc_sat_f32_u"},
                                    {"i32.trunc_sat_f64_s"},
                                    {"i32.trunc_sat_f64_u"},
                                    {"i64.trunc_sat_f32_s"},
                                    {"i64.trunc_sat_f32_u"},
                                    {"i64.trunc_sat_f64_s"},
                                    {"i64.trunc_sat_f64_u"},
                                    {"memory.init", WasmImm::kDataMemory},
                                    {"data.drop", WasmImm::kData},
                                    {"memory.copy", WasmImm::kMemoryMemory},
                                    {"memory.fill", WasmImm::kMemory},
                                    {"table.init", WasmImm::kElemTable},
                                    {"elem.drop", WasmImm::kElem},
                                    {"table.copy", WasmImm::kTableTable},
                                    {"table.grow", WasmImm::kTable},
                                    {"table.size", WasmImm::kTable},
                                    {"table.fill", WasmImm::kTable}};

Table make_table() {
  Table t{};
  auto set = [&](uint8_t op, const char* name, WasmImm imm = WasmImm::kNone) {
    t[op] = {name, imm, 0};
  };
  set(0x00, "unreachable");
  set(0x01, "nop");
  set(kWasmBlock, "block", WasmImm::kBlockType);
  set(kWasmLoop, "loop", WasmImm::kBlockType);
  set(kWasmIf, "if", WasmImm::kBlockType);
  set(kWasmElse, "else");
  set(kWasmEnd, "end");
  set(0x0C, "br", WasmImm::kLabel);
  set(0x0D, "br_if", WasmImm::kLabel);
  set(0x0E, "br_table", WasmImm::kBrTable);
  set(0x0F, "return");
  set(0x10, "call", WasmImm::kFunc);
  set(0x11, "call_indirect", WasmImm::kCallIndirect);
  set(0x12, "return_call", WasmImm::kFunc);
  set(0x13, "return_call_indirect", WasmImm::kCallIndirect);
  set(0x1A, "drop");
  set(0x1B, "select");
  set(0x1C, "select", WasmImm::kSelectT);
  set(0x20, "local.get", WasmImm::kLocal);
  set(0x21, "local.set", WasmImm::kLocal);
  set(0x22, "local.tee", WasmImm::kLocal);
  set(0x23, "global.get", WasmImm::kGlobal);
  set(0x24, "global.set", WasmImm::kGlobal);
  set(0x25, "table.get", WasmImm::kTable);
  set(0x26, "table.set", WasmImm::kTable);
  for (uint8_t i = 0; i < std::size(kMemory); ++i) {
    t[0x28 + i] = {kMemory[i].name, WasmImm::kMemArg, kMemory[i].align_log2};
  }
  set(0x3F, "memory.size", WasmImm::kMemory);
  set(0x40, "memory.grow", WasmImm::kMemory);
  set(0x41, "i32.const", WasmImm::kI32);
  set(0x42, "i64.const", WasmImm::kI64);
  set(0x43, "f32.const", WasmImm::kF32);
  set(0x44, "f64.const", WasmImm::kF64);
  for (uint8_t i = 0; i < std::size(kNumeric); ++i) set(0x45 + i, kNumeric[i]);
  set(0xD0, "ref.null", WasmImm::kRefType);
  set(0xD1, "ref.is_null");
  set(0xD2, "ref.func", WasmImm::kFunc);
  return t;
}

}  // namespace

const WasmOpcode* wasm_opcode(uint8_t op) {
  static const Table table = make_table();
  return table[op].name ? &table[op] : nullptr;
}

const WasmOpcode* wasm_opcode_fc(uint32_t op) {
  return op < std::size(kPrefixFC) ? &kPrefixFC[op] : nullptr;
}

const char* wasm_value_type_name(uint8_t type) {
  switch (type) {
    case 0x7F: return "i32";
    case 0x7E: return "i64";
    case 0x7D: return "f32";
    case 0x7C: return "f64";
    case 0x7B: return "v128";
    case 0x70: return "funcref";
    case 0x6F: return "externref";
    default: return nullptr;
  }
}

}  // namespace glassvm
