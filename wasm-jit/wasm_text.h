// WebAssembly binary -> text format, for the JIT panel, --dump-jit and the JIT's expect tests.
//
// Design note: the printer is a reader of untrusted bytes (whatever the encoder produced, or a
// fuzzer), so it checks every length against its section and never trusts a count: it reads
// items one by one until the bytes run out, allocates in proportion to the input, and caps the
// text at a fixed multiple of the input size. It is not a validator (types are not checked;
// tests/wasm-jit/wasm_validate.h does that with wabt and binaryen) but it does reject what it
// cannot print faithfully: bad lengths, unknown opcodes, unbalanced blocks, sections out of
// order. The output follows wabt's wasm2wat so that it reads familiar, with three choices of
// its own: labels are named $B0, $B1... in order of appearance in each function; a function is
// named $module.field after its import, or $name after its first export; and indentation stops
// growing past 32 levels of nesting (so that deep nests cost linear, not quadratic, text).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace glassvm {

/// Prints the WebAssembly module `module` (binary format, version 1) as text (one instruction
/// a line, indented by block depth) into `text` and returns true. On malformed, truncated or
/// unsupported bytes it returns false with `error` naming the byte offset and the problem
/// ("at offset 0x1f: ..."), and `text` holds what was printed before it. Never crashes, loops
/// or allocates beyond a small multiple of the input size, whatever the bytes.
bool wasm_to_text(std::span<const uint8_t> module, std::string& text, std::string& error);

}  // namespace glassvm
