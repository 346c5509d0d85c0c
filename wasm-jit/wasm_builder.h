// A guest-agnostic WebAssembly encoder: LEB128, function types, imports, one or more function
// bodies with their locals and structured control flow, exports. It knows nothing of RISC-V.
//
// Design note: a translator writes each function body through WasmCode, which tracks the
// depth of open blocks so that branches name their target by the handle open_*() returned
// instead of by a relative depth computed by hand (the commonest bug in hand-written wasm).
// WasmModuleBuilder assembles the sections in the order the binary format requires (spec
// 5.5: type, import, function, ..., export, ..., code).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace glassvm::wasm {

/// Value types (binary format 5.3.1).
enum class ValType : uint8_t { I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c };

/// Block types: no result, or one value.
enum class BlockType : uint8_t { Empty = 0x40, I32 = 0x7f, I64 = 0x7e };

/// Opcodes the translator uses (binary format 5.4). Memory instructions take a memarg.
namespace op {
inline constexpr uint8_t kUnreachable = 0x00, kNop = 0x01, kBlock = 0x02, kLoop = 0x03, kIf = 0x04,
                         kElse = 0x05, kEnd = 0x0b, kBr = 0x0c, kBrIf = 0x0d, kBrTable = 0x0e,
                         kReturn = 0x0f, kCall = 0x10, kDrop = 0x1a, kSelect = 0x1b,
                         kLocalGet = 0x20, kLocalSet = 0x21, kLocalTee = 0x22;
inline constexpr uint8_t kI32Load = 0x28, kI64Load = 0x29, kF32Load = 0x2a, kI32Load8U = 0x2d,
                         kI64Load8S = 0x30, kI64Load8U = 0x31, kI64Load16S = 0x32,
                         kI64Load16U = 0x33, kI64Load32S = 0x34, kI64Load32U = 0x35,
                         kI32Store = 0x36, kI64Store = 0x37, kI32Store8 = 0x3a, kI64Store8 = 0x3c,
                         kI64Store16 = 0x3d, kI64Store32 = 0x3e;
inline constexpr uint8_t kI32Const = 0x41, kI64Const = 0x42;
inline constexpr uint8_t kI32Eqz = 0x45, kI32Eq = 0x46, kI32Ne = 0x47, kI32LtS = 0x48,
                         kI32LtU = 0x49, kI32LeU = 0x4d, kI32GeU = 0x4f;
inline constexpr uint8_t kI64Eqz = 0x50, kI64Eq = 0x51, kI64Ne = 0x52, kI64LtS = 0x53,
                         kI64LtU = 0x54, kI64GtS = 0x55, kI64GtU = 0x56, kI64LeS = 0x57,
                         kI64LeU = 0x58, kI64GeS = 0x59, kI64GeU = 0x5a;
inline constexpr uint8_t kI32Add = 0x6a, kI32Sub = 0x6b, kI32Mul = 0x6c, kI32And = 0x71,
                         kI32Or = 0x72, kI32Xor = 0x73, kI32Shl = 0x74, kI32ShrS = 0x75,
                         kI32ShrU = 0x76;
inline constexpr uint8_t kI64Add = 0x7c, kI64Sub = 0x7d, kI64Mul = 0x7e, kI64DivS = 0x7f,
                         kI64DivU = 0x80, kI64RemS = 0x81, kI64RemU = 0x82, kI64And = 0x83,
                         kI64Or = 0x84, kI64Xor = 0x85, kI64Shl = 0x86, kI64ShrS = 0x87,
                         kI64ShrU = 0x88;
inline constexpr uint8_t kI32WrapI64 = 0xa7, kI64ExtendI32S = 0xac, kI64ExtendI32U = 0xad;
inline constexpr uint8_t kI64Extend8S = 0xc2, kI64Extend16S = 0xc3, kI64Extend32S = 0xc4;
}  // namespace op

/// A function type.
struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};

/// Appends `value` as unsigned LEB128.
void put_uleb(std::vector<uint8_t>& out, uint64_t value);
/// Appends `value` as signed LEB128.
void put_sleb(std::vector<uint8_t>& out, int64_t value);

/// The body of one function: its extra locals and its instructions.
class WasmCode {
 public:
  /// A handle on an open block, loop or if, for br/br_if/br_table.
  struct Label {
    uint32_t depth = 0;  ///< how many constructs were open before this one
  };

  /// Declares one more local of type `t` (after the parameters); returns its index.
  /// `param_count` locals (the parameters) come first.
  explicit WasmCode(uint32_t param_count) : param_count_(param_count) {}
  uint32_t add_local(ValType t);

  void op(uint8_t opcode) { body_.push_back(opcode); }
  void i32_const(int32_t v);
  void i64_const(int64_t v);
  void local_get(uint32_t i);
  void local_set(uint32_t i);
  void local_tee(uint32_t i);
  /// A load or store `opcode` with natural alignment log2 `align` and a constant offset.
  void mem(uint8_t opcode, uint32_t align, uint32_t offset);
  void call(uint32_t func);
  /// A call whose function index is not known yet (5-byte LEB128, which any decoder reads);
  /// returns where to patch_call() it.
  size_t call_later();
  /// Sets the function index of the call call_later() returned `at` for.
  void patch_call(size_t at, uint32_t func);

  Label open_block(BlockType t = BlockType::Empty);
  Label open_loop(BlockType t = BlockType::Empty);
  Label open_if(BlockType t = BlockType::Empty);
  void else_();
  /// Closes the innermost open construct, which must be `label` (asserted).
  void end(Label label);
  void br(Label target);
  void br_if(Label target);
  /// br_table: targets[i] for operand i, `fallback` for any other.
  void br_table(std::span<const Label> targets, Label fallback);
  /// How many constructs are open.
  uint32_t open_count() const { return open_; }

  /// The function body in binary format (locals then instructions then the final end); all
  /// constructs must be closed (asserted).
  std::vector<uint8_t> finish() const;
  size_t size() const { return body_.size(); }

 private:
  uint32_t relative(Label target) const;
  uint32_t param_count_;
  std::vector<ValType> locals_;
  std::vector<uint8_t> body_;
  uint32_t open_ = 0;
};

/// A module: types, imports, functions, exports.
class WasmModuleBuilder {
 public:
  /// The index of type `t`, added if new.
  uint32_t type(const FuncType& t);
  /// Imports function `module`.`name` of type `t`; returns its function index. All imports
  /// must be made before the first add_function (asserted).
  uint32_t import_function(const std::string& module, const std::string& name, const FuncType& t);
  /// Imports a memory with at least `min_pages` 64 KiB pages and no maximum.
  void import_memory(const std::string& module, const std::string& name, uint32_t min_pages);
  /// Adds a function of type `t` with body `code` (WasmCode::finish()); returns its index.
  uint32_t add_function(const FuncType& t, std::vector<uint8_t> code);
  /// Exports function `func` as `name`.
  void export_function(const std::string& name, uint32_t func);
  /// The module in binary format.
  std::vector<uint8_t> finish() const;

 private:
  struct Import {
    std::string module, name;
    uint8_t kind = 0;    ///< 0 function, 2 memory
    uint32_t index = 0;  ///< function: type index; memory: min pages
  };
  std::vector<FuncType> types_;
  std::vector<Import> imports_;
  uint32_t imported_functions_ = 0;
  std::vector<uint32_t> function_types_;
  std::vector<std::vector<uint8_t>> bodies_;
  std::vector<std::pair<std::string, uint32_t>> exports_;
};

}  // namespace glassvm::wasm
