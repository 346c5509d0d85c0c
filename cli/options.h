// Command-line options of glassvm, in QEMU's spelling where QEMU has one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glassvm {

struct CliOptions {
  uint64_t ram_size = 128ull << 20;  ///< -m
  std::string bios;                  ///< -bios: "" (not given), "none", "default" or a file
  std::string kernel;                ///< -kernel
  std::string initrd;                ///< -initrd
  std::string dump_dtb;              ///< --dump-dtb FILE
  std::string snapshot_save;         ///< --snapshot-save FILE
  std::string snapshot_load;         ///< --snapshot-load FILE
  std::string snapshot_on_output;    ///< --snapshot-on-output TEXT
  std::string record;                ///< --record FILE
  std::string replay;                ///< --replay LINK_OR_FILE
  std::string guests_dir;            ///< --guests DIR ("": the page bundle's, see --help)
  bool state_hash = false;           ///< --state-hash
  std::string append;                ///< -append
  std::string log_file;              ///< -D
  std::vector<std::string> devices;  ///< -device, in order (checked against the registry later)
  std::vector<std::string> drives;   ///< -drive, in order (parsed by cli/drive.h later)
  uint64_t max_insns = 0;            ///< --max-insns (0: no limit)
  bool trace_in_asm = false;         ///< -d in_asm
  bool trace_int = false;            ///< -d int
  bool info_mtree = false;           ///< --info-mtree
  bool trace_iommu = false;          ///< --trace-iommu
  bool stats = false;                ///< --stats
  /// --jit=on|off; unset: on in the wasm build (glassvm-node), off in the native one.
  enum class Jit : uint8_t { Default, On, Off } jit = Jit::Default;
  bool dump_jit = false;      ///< --dump-jit[=FILE]
  std::string dump_jit_file;  ///< --dump-jit=FILE ("" : stderr)
  bool help = false;
  bool version = false;
};

/// Parses argv. Returns false with a message naming the offending option on any error:
/// unknown options, missing values, malformed sizes, unsupported machines or firmware.
bool parse_cli_options(int argc, const char* const* argv, CliOptions& out, std::string& error);

/// Parses a memory size in QEMU's -m syntax: a number with an optional K, M, G or T suffix
/// (no suffix means MiB). The number is decimal, leading zeros included ("010M" is 10 MiB, as
/// in QEMU). Returns false on malformed input or overflow.
bool parse_memory_size(const std::string& text, uint64_t& bytes);

/// The --help text.
const char* cli_usage();

}  // namespace glassvm
