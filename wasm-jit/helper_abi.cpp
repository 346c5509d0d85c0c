#include "wasm-jit/helper_abi.h"

#include "engine/cpu/helpers.h"

namespace glassvm {

namespace {

using wasm::FuncType;
using wasm::ValType;
constexpr ValType I32 = ValType::I32, I64 = ValType::I64;

struct Entry {
  const char* name;
  FuncType type;
  uintptr_t address;
};

template <class F>
uintptr_t address_of(F* f) {
  return reinterpret_cast<uintptr_t>(f);
}

const Entry* entries() {
  static const Entry table[kJitHelperCount] = {
      {"raise", {{I32, I64, I64}, {I32}}, address_of(&helper_raise)},
      {"load", {{I32, I64, I32, I64, I64}, {I64}}, address_of(&jit_load)},
      {"store", {{I32, I64, I32, I64, I64, I64}, {I32}}, address_of(&jit_store)},
      {"csr", {{I32, I32, I32, I32, I32, I32}, {I32}}, address_of(&helper_csr)},
      {"amo", {{I32, I32, I32, I32, I32}, {I32}}, address_of(&helper_amo)},
      {"fp", {{I32, I32, I32, I32, I32, I32, I32, I32}, {I32}}, address_of(&helper_fp)},
      {"ecall", {{I32}, {I32}}, address_of(&helper_ecall)},
      {"mret", {{I32}, {I32}}, address_of(&helper_mret)},
      {"sret", {{I32, I32}, {I32}}, address_of(&helper_sret)},
      {"sfence_vma", {{I32, I64, I64, I32}, {I32}}, address_of(&helper_sfence_vma)},
  };
  return table;
}

/// After an access that completed: whether generated code must leave (s.event_), and if so
/// pc_ and budget_left_ for the instruction after it.
bool leave_after(CpuState& s, uint32_t how, uint64_t pc, uint64_t budget) {
  if (!s.event_) return false;
  s.pc_ = pc + ((how >> jit_slow::kLengthShift) & 15);
  s.budget_left_ = budget - 1;
  return true;
}

}  // namespace

uint64_t jit_load(CpuState& s, uint64_t addr, uint32_t how, uint64_t pc, uint64_t budget) {
  s.pc_ = pc;
  s.budget_left_ = budget;
  const unsigned size = how & 15;
  uint64_t value = 0;
  if (helper_load(s, addr, size, value)) {
    s.budget_left_ = budget - 1;
    s.jit_exit_ = jit_slow::kTrapped;
    return 0;
  }
  if ((how & jit_slow::kSignExtend) && size < 8) {
    const unsigned shift = 64 - 8 * size;
    value = static_cast<uint64_t>(static_cast<int64_t>(value << shift) >> shift);
  }
  s.jit_exit_ = leave_after(s, how, pc, budget) ? jit_slow::kLeaveAfter : jit_slow::kGoOn;
  return value;
}

uint32_t jit_store(CpuState& s, uint64_t addr, uint32_t how, uint64_t value, uint64_t pc,
                   uint64_t budget) {
  s.pc_ = pc;
  s.budget_left_ = budget;
  if (helper_store(s, addr, how & 15, value)) {
    s.budget_left_ = budget - 1;
    return 1;
  }
  return leave_after(s, how, pc, budget) ? 1 : 0;
}

const char* jit_helper_name(JitHelper h) {
  return entries()[static_cast<unsigned>(h)].name;
}
const wasm::FuncType& jit_helper_type(JitHelper h) {
  return entries()[static_cast<unsigned>(h)].type;
}
uintptr_t jit_helper_address(JitHelper h) {
  return entries()[static_cast<unsigned>(h)].address;
}

}  // namespace glassvm
