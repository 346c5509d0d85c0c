// The WebAssembly instruction set as the text printer reads it: each opcode's mnemonic and the
// kind of immediate that follows it in the binary. Guest-agnostic.
//
// Covered: every MVP instruction, the sign-extension operators (0xC0-0xC4), reference types
// (select t, table.get/set, ref.null/is_null/func), tail calls (0x12, 0x13) and the 0xFC
// prefix (saturating truncations 0-7, bulk memory and table operations 8-17). Not covered:
// SIMD (0xFD), threads (0xFE), exceptions, GC. Reference: WebAssembly Core Specification 2.0,
// section 5.4 (Instructions).
#pragma once

#include <cstdint>

namespace glassvm {

/// What follows an opcode in the binary format (section 5.4), and so how it prints.
enum class WasmImm : uint8_t {
  kNone,
  kBlockType,     ///< block, loop, if: an empty type, a value type or a type index (s33)
  kLabel,         ///< br, br_if: a label depth
  kBrTable,       ///< br_table: a vector of label depths, then the default
  kFunc,          ///< call, return_call, ref.func: a function index
  kCallIndirect,  ///< call_indirect, return_call_indirect: a type index, then a table index
  kLocal,         ///< local.get/set/tee
  kGlobal,        ///< global.get/set
  kTable,         ///< table.get/set/grow/size/fill
  kMemArg,        ///< loads and stores: alignment exponent, then offset
  kMemory,        ///< memory.size/grow, memory.fill: a memory index
  kI32,           ///< i32.const: signed LEB128
  kI64,           ///< i64.const: signed LEB128
  kF32,           ///< f32.const: 4 bytes little-endian
  kF64,           ///< f64.const: 8 bytes little-endian
  kSelectT,       ///< select t*: a vector of value types
  kRefType,       ///< ref.null: a reference type
  kDataMemory,    ///< memory.init: a data index, then a memory index
  kData,          ///< data.drop
  kMemoryMemory,  ///< memory.copy: destination and source memory indices
  kElemTable,     ///< table.init: an element index, then a table index
  kElem,          ///< elem.drop
  kTableTable,    ///< table.copy: destination and source table indices
};

/// One instruction's mnemonic, its immediate, and (for loads and stores) the natural alignment.
struct WasmOpcode {
  const char* name = nullptr;
  WasmImm imm = WasmImm::kNone;
  uint8_t natural_align_log2 = 0;  ///< loads and stores only: log2 of the access size
};

/// Opcodes with a meaning of their own, apart from the prefixes.
inline constexpr uint8_t kWasmBlock = 0x02, kWasmLoop = 0x03, kWasmIf = 0x04, kWasmElse = 0x05,
                         kWasmEnd = 0x0B, kWasmPrefixFC = 0xFC;

/// The one-byte opcode `op`, or nullptr when it is not an instruction listed above (the 0xFC
/// prefix included: see wasm_opcode_fc()).
const WasmOpcode* wasm_opcode(uint8_t op);

/// The instruction 0xFC `op` (op is the LEB128 after the prefix), or nullptr when unknown.
const WasmOpcode* wasm_opcode_fc(uint32_t op);

/// The text name of a value or reference type byte ("i32", "funcref"), or nullptr.
const char* wasm_value_type_name(uint8_t type);

}  // namespace glassvm
