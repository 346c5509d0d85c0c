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
      {"load", {{I32, I64, I32, I32}, {I32}}, address_of(&helper_load)},
      {"store", {{I32, I64, I32, I64}, {I32}}, address_of(&helper_store)},
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

}  // namespace

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
