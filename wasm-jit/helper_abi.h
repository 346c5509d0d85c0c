// The functions generated code imports: the hart's helpers (engine/cpu/helpers.h), each with
// the wasm type its C++ signature has under the wasm32 C ABI. (The M extension's products and
// quotients are inline, emit_alu.cpp.)
//
// Design note: a module imports helpers by name from module "h", and the runtime resolves
// each name to the C++ function itself (a function table entry in the Emscripten build), so a
// call from generated code is a direct wasm-to-wasm call with no JavaScript in between.
#pragma once

#include <cstdint>

#include "engine/cpu/cpu_state.h"
#include "wasm-jit/wasm_builder.h"

namespace glassvm {

/// The memory slow paths of generated code: helper_load and helper_store, with the state the
/// helpers' calling convention asks for set here instead of by inline code, so that each
/// access's slow path is a call and a test (smaller modules, which compile faster).
/// - `how`: the access size in bits 0-3 (1, 2, 4, 8), bit 4 set for a load that sign-extends,
///   the instruction's length in bits 8-11.
/// - Before the access s.pc_ = pc (the instruction's) and s.budget_left_ = budget (the steps
///   still allowed, this instruction included).
/// - When generated code must leave, pc_ and budget_left_ are what the exit leaves: after a
///   trap the handler's pc; after an access that completed while s.event_ is set, pc + the
///   length. Either way the instruction used one step.
namespace jit_slow {
inline constexpr uint32_t kSignExtend = 1u << 4;
inline constexpr unsigned kLengthShift = 8;
/// What jit_load leaves in s.jit_exit_.
enum Exit : uint32_t { kGoOn = 0, kTrapped = 1, kLeaveAfter = 2 };
}  // namespace jit_slow
/// Returns the value loaded (extended as the load does); s.jit_exit_ says whether to go on,
/// to leave with rd unchanged (trapped) or to leave after writing the value to rd.
uint64_t jit_load(CpuState& s, uint64_t addr, uint32_t how, uint64_t pc, uint64_t budget);
/// Returns nonzero when generated code must leave (trapped, or completed with s.event_ set).
uint32_t jit_store(CpuState& s, uint64_t addr, uint32_t how, uint64_t value, uint64_t pc,
                   uint64_t budget);

enum class JitHelper : uint8_t {
  Raise,      ///< helper_raise(s, cause, tval)
  Load,       ///< jit_load(s, addr, how, pc, budget)
  Store,      ///< jit_store(s, addr, how, value, pc, budget)
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
