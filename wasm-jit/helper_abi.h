// The functions generated code imports: the hart's helpers (engine/cpu/helpers.h), each with
// the wasm type its C++ signature has under the wasm32 C ABI. (The M extension's products and
// quotients are inline, emit_alu.cpp.)
//
// Design note: a module imports helpers by name from module "h", and the runtime resolves
// each name to the C++ function itself (a function table entry in the Emscripten build), so a
// call from generated code is a direct wasm-to-wasm call with no JavaScript in between.
#pragma once

#include <cstdint>

#include "wasm-jit/wasm_builder.h"

namespace glassvm {

enum class JitHelper : uint8_t {
  Raise,      ///< helper_raise(s, cause, tval)
  Load,       ///< helper_load(s, addr, size, &s.helper_value_)
  Store,      ///< helper_store(s, addr, size, value)
  Csr,        ///< helper_csr(s, op, rd, rs1, csr, raw)
  Amo,        ///< helper_amo(s, op, rd, rs1, rs2)
  Fp,         ///< helper_fp(s, op, rd, rs1, rs2, rs3, rm, raw)
  Ecall,      ///< helper_ecall(s)
  Mret,       ///< helper_mret(s)
  Sret,       ///< helper_sret(s, raw)
  SfenceVma,  ///< helper_sfence_vma(s, va, asid, raw)
  Count
};
inline constexpr unsigned kJitHelperCount = static_cast<unsigned>(JitHelper::Count);

/// The import name of a helper ("load", "csr", ...).
const char* jit_helper_name(JitHelper h);
/// Its wasm type.
const wasm::FuncType& jit_helper_type(JitHelper h);
/// The C++ function's address in this build: in the Emscripten build, its function-table
/// index, which the runtime turns into the import.
uintptr_t jit_helper_address(JitHelper h);

}  // namespace glassvm
