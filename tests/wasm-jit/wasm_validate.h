// Test support: validates a WebAssembly module with two independent implementations, wabt and
// binaryen, so that the JIT's tests can check every module the translator emits.
//
// Design note: wabt's wasm-validate runs first, in a child process, because binaryen's
// BinaryenModuleRead() ends the whole process on malformed bytes; only a module wabt accepts is
// read into binaryen (in this process, through its C API) and validated again. Both enable the
// same features, those the JIT may use beyond the MVP (kWabtFeatureOptions), and nothing else.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glassvm::test {

/// wasm-validate's options for the features the JIT may use: sign extension, mutable globals,
/// non-trapping float-to-int and bulk memory (on by default in wabt 1.0.32), tail calls (not),
/// and none of the others it turns on by default. binaryen is given the same set.
inline constexpr const char* kWabtFeatureOptions[] = {
    "--enable-tail-call", "--disable-simd", "--disable-multi-value", "--disable-reference-types"};

/// Returns true when both wabt's wasm-validate and binaryen accept `module` with the features
/// above. Otherwise returns false with `error` saying which validator refused it and why (its
/// messages), or what went wrong running it. Never ends the calling process, whatever the bytes.
bool validate_wasm(std::span<const uint8_t> module, std::string& error);

/// binaryen's half of validate_wasm(): reads `module` in this process and validates it with the
/// same features; false with binaryen's messages in `error`. `module` must be well formed (one
/// wasm-validate accepted, or a test's own): binaryen ends the process on malformed bytes.
bool validate_wasm_binaryen(std::span<const uint8_t> module, std::string& error);

/// Assembles the WAT `text` with wabt's wat2wasm (types unchecked, tail calls on) into
/// `module`; false with wat2wasm's messages in `error` otherwise. For round trips through the
/// text printer, never a test's only source of modules.
bool assemble_wat(std::string_view text, std::vector<uint8_t>& module, std::string& error);

}  // namespace glassvm::test
