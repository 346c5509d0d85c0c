// validate_wasm(): both validators accept what the JIT may emit, refuse type errors and
// features it must not use with their messages, and survive garbage (binaryen would exit the
// process on it if wasm-validate did not refuse it first).
#include "tests/wasm-jit/wasm_validate.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/wasm-jit/wasm_bytes.h"
#include "wasm-jit/wasm_text.h"

namespace glassvm::test {
namespace {

// One function of `type` (the function type's bytes) with `code`, exported as "f", with a
// memory for the bulk memory operations.
WasmBytes module_with(const WasmBytes& type, const WasmBytes& code) {
  return wasm_module(
      {section(1, vec({type})), section(3, vec({{0x00}})), section(5, vec({{0x00, 0x01}})),
       section(7, vec({cat({str("f"), {0x00, 0x00}})})), section(10, vec({body({0x00}, code)}))});
}

const WasmBytes kI32ToI32 = {0x60, 0x01, 0x7f, 0x01, 0x7f};

TEST(ValidateWasm, AcceptsTheFeaturesTheJitUses) {
  const WasmBytes code = {0x41, 0x00, 0x41, 0x00, 0x41, 0x04, 0xfc, 0x0a, 0x00,
                          0x00,  // memory.copy (bulk memory)
                          0x41, 0x00, 0x41, 0x00, 0x41, 0x04, 0xfc, 0x0b, 0x00,  // memory.fill
                          0x20, 0x00, 0xc0,                          // i32.extend8_s (sign-ext)
                          0x43, 0x00, 0x00, 0xc0, 0x7f, 0xfc, 0x00,  // i32.trunc_sat_f32_s
                          0x6a,                                      // i32.add
                          0x12, 0x00,                                // return_call 0 (tail call)
                          0x0b};
  std::string error;
  EXPECT_TRUE(validate_wasm(module_with(kI32ToI32, code), error)) << error;
  EXPECT_EQ(error, "");
}

TEST(ValidateWasm, RefusesATypeMismatch) {
  // i32.add on two i64s.
  const WasmBytes code = {0x42, 0x01, 0x42, 0x02, 0x6a, 0x0b};
  std::string text, error;
  ASSERT_TRUE(wasm_to_text(module_with(kI32ToI32, code), text, error)) << error;  // well formed
  EXPECT_FALSE(validate_wasm(module_with(kI32ToI32, code), error));
  EXPECT_NE(error.find("wasm-validate (exit status 1)"), std::string::npos) << error;
  EXPECT_NE(error.find("type mismatch in i32.add"), std::string::npos) << error;
}

TEST(ValidateWasm, RefusesFeaturesTheJitMustNotUse) {
  // Two results: multi-value, which wabt enables by default and the JIT's set leaves out.
  const WasmBytes two_results = {0x60, 0x01, 0x7f, 0x02, 0x7f, 0x7f};
  std::string error;
  EXPECT_FALSE(validate_wasm(module_with(two_results, {0x20, 0x00, 0x20, 0x00, 0x0b}), error));
  EXPECT_NE(error.find("wasm-validate"), std::string::npos) << error;
  EXPECT_NE(error.find("multiple result values"), std::string::npos) << error;
}

TEST(ValidateWasm, RefusesGarbageWithoutEndingTheProcess) {
  std::string error;
  const WasmBytes garbage = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00,
                             0x00, 0x00, 0x01, 0xff, 0xff, 0x03};
  EXPECT_FALSE(validate_wasm(garbage, error));
  EXPECT_NE(error.find("wasm-validate (exit status 1)"), std::string::npos) << error;
  EXPECT_FALSE(validate_wasm(WasmBytes{'h', 'e', 'l', 'l', 'o'}, error));
  EXPECT_NE(error.find("magic"), std::string::npos) << error;
  EXPECT_FALSE(validate_wasm({}, error));
  // Still here, and still able to validate.
  EXPECT_TRUE(validate_wasm(module_with(kI32ToI32, {0x20, 0x00, 0x0b}), error)) << error;
}

// binaryen's half on its own, with well-formed modules: it has the JIT's features (tail calls)
// and reports a type error in its own words.
TEST(ValidateWasm, BinaryenValidatesWithTheSameFeatures) {
  std::string error;
  EXPECT_TRUE(validate_wasm_binaryen(module_with(kI32ToI32, {0x20, 0x00, 0x12, 0x00, 0x0b}), error))
      << error;
  EXPECT_FALSE(
      validate_wasm_binaryen(module_with(kI32ToI32, {0x42, 0x01, 0x42, 0x02, 0x6a, 0x0b}), error));
  EXPECT_EQ(error.rfind("binaryen: ", 0), 0u) << error;
  EXPECT_NE(error.find("i64 != i32"), std::string::npos) << error;
  const WasmBytes two_results = {0x60, 0x01, 0x7f, 0x02, 0x7f, 0x7f};
  EXPECT_FALSE(
      validate_wasm_binaryen(module_with(two_results, {0x20, 0x00, 0x20, 0x00, 0x0b}), error));
  EXPECT_NE(error.find("multivalue"), std::string::npos) << error;
}

TEST(AssembleWat, AssemblesWhatThePrinterPrints) {
  const WasmBytes module = module_with(kI32ToI32, {0x20, 0x00, 0x41, 0x01, 0x6a, 0x0b});
  std::string text, error;
  ASSERT_TRUE(wasm_to_text(module, text, error)) << error;
  WasmBytes again;
  ASSERT_TRUE(assemble_wat(text, again, error)) << error;
  EXPECT_EQ(again, module);
  EXPECT_FALSE(assemble_wat("(module (func i32.frobnicate))", again, error));
  EXPECT_NE(error.find("i32.frobnicate"), std::string::npos) << error;
}

}  // namespace
}  // namespace glassvm::test
