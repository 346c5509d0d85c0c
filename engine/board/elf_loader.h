// Parsing of RISC-V ELF executables (the kernel, firmware or test program given to the board).
//
// Design note: an ELF image is user input, so parse_elf() validates everything it reads
// (every header, table and string is bounds-checked with overflow-safe arithmetic) and reports
// problems as an error message, never as a crash. It only parses: each PT_LOAD segment refers
// to its bytes in the input (nothing is copied), and the board writes them into guest memory.
// Time and memory are bounded by the file's size, whatever the headers say: the segments' file
// data may not add up to more than the file (65,534 headers all naming the same bytes would
// otherwise multiply it), and the symbol names read may not add up to more than a few times
// the file (a thousand symbols all naming one long string would otherwise take quadratic time).
// Segments are placed at their physical address (p_paddr), as QEMU does for ELF images on RISC-V
// boards. References: the System V gABI (ELF-64 object file format) and the RISC-V ELF psABI.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace glassvm {

/// One PT_LOAD segment: `memsz` bytes at physical address `paddr`, of which the first
/// `data.size()` (the file size) come from the file and the rest are zero. `data` points into
/// the bytes given to parse_elf(), which must outlive the image's use of it.
struct ElfSegment {
  uint64_t paddr = 0;
  uint64_t vaddr = 0;
  uint64_t memsz = 0;             ///< always >= data.size() and > 0
  std::span<const uint8_t> data;  ///< the p_filesz bytes stored in the file
  bool read = false;              ///< PF_R
  bool write = false;             ///< PF_W
  bool exec = false;              ///< PF_X
};

/// What a RISC-V ELF executable asks to be loaded, and the symbols worth knowing.
struct ElfImage {
  /// The physical address to start at: e_entry, translated from virtual to physical through
  /// the PT_LOAD segment that contains it (unchanged when no segment contains it, or when
  /// vaddr == paddr as in every bare-metal image).
  uint64_t entry = 0;
  uint64_t entry_vaddr = 0;  ///< e_entry as written in the file
  uint32_t flags = 0;        ///< e_flags (EF_RISCV_RVC, float ABI, ...)
  /// PT_LOAD segments with a non-zero memory size, in file order; they never overlap.
  std::vector<ElfSegment> segments;
  /// Physical addresses of the HTIF `tohost`/`fromhost` symbols, when .symtab defines them
  /// (translated like `entry`).
  std::optional<uint64_t> tohost;
  std::optional<uint64_t> fromhost;
  /// Defined function and object symbols, and global untyped ones (assembly labels such as
  /// _start), by name, with their st_value. For tracing; empty when the file is stripped.
  /// When a name occurs twice, the first definition wins.
  std::map<std::string, uint64_t> symbols;
};

/// Parses a 64-bit little-endian RISC-V executable (ET_EXEC) from `bytes` into `out`.
/// Returns false on any malformed or unsupported input and sets `error` to a message that
/// names the problem ("not an ELF file", "ELF is for machine 62 (x86-64), not RISC-V",
/// "truncated program header table", ...); `out` is then left in an unspecified but valid
/// state. Never crashes, whatever the bytes. Uses time and memory linear in bytes.size(), so
/// std::bad_alloc, the only exception that may escape, means the host itself is out of memory.
bool parse_elf(std::span<const uint8_t> bytes, ElfImage& out, std::string& error);

}  // namespace glassvm
