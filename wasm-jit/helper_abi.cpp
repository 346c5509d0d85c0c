#include "wasm-jit/helper_abi.h"

#include "engine/cpu/alu.h"
#include "engine/cpu/helpers.h"

namespace glassvm {

namespace {

using wasm::FuncType;
using wasm::ValType;
constexpr ValType I32 = ValType::I32, I64 = ValType::I64;

// Addressable copies of the alu.h operations (those are inline).
uint64_t jit_mulh(uint64_t a, uint64_t b) {
  return alu::mulh(a, b);
}
uint64_t jit_mulhsu(uint64_t a, uint64_t b) {
  return alu::mulhsu(a, b);
}
uint64_t jit_mulhu(uint64_t a, uint64_t b) {
  return alu::mulhu(a, b);
}
uint64_t jit_div(uint64_t a, uint64_t b) {
  return alu::div(a, b);
}
uint64_t jit_divu(uint64_t a, uint64_t b) {
  return alu::divu(a, b);
}
uint64_t jit_rem(uint64_t a, uint64_t b) {
  return alu::rem(a, b);
}
uint64_t jit_remu(uint64_t a, uint64_t b) {
  return alu::remu(a, b);
}
uint64_t jit_divw(uint64_t a, uint64_t b) {
  return alu::divw(a, b);
}
uint64_t jit_divuw(uint64_t a, uint64_t b) {
  return alu::divuw(a, b);
}
uint64_t jit_remw(uint64_t a, uint64_t b) {
  return alu::remw(a, b);
}
uint64_t jit_remuw(uint64_t a, uint64_t b) {
  return alu::remuw(a, b);
}

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
  static const FuncType arith{{I64, I64}, {I64}};
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
      {"mulh", arith, address_of(&jit_mulh)},
      {"mulhsu", arith, address_of(&jit_mulhsu)},
      {"mulhu", arith, address_of(&jit_mulhu)},
      {"div", arith, address_of(&jit_div)},
      {"divu", arith, address_of(&jit_divu)},
      {"rem", arith, address_of(&jit_rem)},
      {"remu", arith, address_of(&jit_remu)},
      {"divw", arith, address_of(&jit_divw)},
      {"divuw", arith, address_of(&jit_divuw)},
      {"remw", arith, address_of(&jit_remw)},
      {"remuw", arith, address_of(&jit_remuw)},
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
