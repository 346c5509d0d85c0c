#include "wasm-jit/jit.h"

namespace glassvm {

std::unique_ptr<Jit> make_jit(const JitOptions&, std::string& why) {
  why = "the JIT runtime is not built yet";
  return nullptr;
}

}  // namespace glassvm
