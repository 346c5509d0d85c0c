#include "cli/options.h"

#include <cctype>
#include <string_view>

#include "engine/base/parse.h"

namespace glassvm {

namespace {

bool parse_trace_flags(const std::string& list, CliOptions& out, std::string& error) {
  size_t pos = 0;
  while (pos <= list.size()) {
    const size_t comma = list.find(',', pos);
    const std::string item =
        list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item == "in_asm") {
      out.trace_in_asm = true;
    } else if (item == "int") {
      out.trace_int = true;
    } else {
      error = "-d: unknown log item '" + item + "' (known: in_asm, int)";
      return false;
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return true;
}

}  // namespace

bool parse_memory_size(const std::string& text, uint64_t& bytes) {
  if (text.empty()) return false;
  std::string digits = text;
  unsigned shift = 20;  // QEMU: a bare number is MiB
  const char suffix = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
  if (!std::isdigit(static_cast<unsigned char>(text.back()))) {
    digits.pop_back();
    switch (suffix) {
      case 'B': shift = 0; break;
      case 'K': shift = 10; break;
      case 'M': shift = 20; break;
      case 'G': shift = 30; break;
      case 'T': shift = 40; break;
      default: return false;
    }
  }
  uint64_t n = 0;
  if (!parse_u64(digits, n, /*allow_hex=*/false) || n == 0) return false;
  if (n > (UINT64_MAX >> shift)) return false;
  bytes = n << shift;
  return true;
}

bool parse_cli_options(int argc, const char* const* argv, CliOptions& out, std::string& error) {
  bool given_m = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    // QEMU accepts both -opt and --opt.
    if (arg.size() > 2 && arg[0] == '-' && arg[1] == '-') arg.remove_prefix(1);
    auto value = [&](std::string& into) {
      if (i + 1 >= argc) {
        error = "option '" + std::string(argv[i]) + "' needs a value";
        return false;
      }
      into = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "-h" || arg == "-help") {
      out.help = true;
    } else if (arg == "-version") {
      out.version = true;
    } else if (arg == "-nographic") {
      // The command line always shows the serial console on the terminal.
    } else if (arg == "-info-mtree") {
      out.info_mtree = true;
    } else if (arg == "-trace-iommu") {
      out.trace_iommu = true;
    } else if (arg == "-stats") {
      out.stats = true;
    } else if (arg == "-jit=on" || arg == "-jit=off") {
      out.jit = arg == "-jit=on" ? CliOptions::Jit::On : CliOptions::Jit::Off;
    } else if (arg.rfind("-jit", 0) == 0) {
      error = "'" + std::string(argv[i]) + "': expected --jit=on or --jit=off";
      return false;
    } else if (arg == "-dump-jit" || arg.rfind("-dump-jit=", 0) == 0) {
      out.dump_jit = true;
      out.dump_jit_file = arg.size() > 9 ? std::string(arg.substr(10)) : "";
      if (arg.size() > 9 && out.dump_jit_file.empty()) {
        error = "--dump-jit=: expected a file name";
        return false;
      }
    } else if (arg == "-M" || arg == "-machine") {
      if (!value(v)) return false;
      if (v != "virt" && v.rfind("virt,", 0) != 0) {
        error = "-M " + v + ": unsupported machine (only 'virt')";
        return false;
      }
    } else if (arg == "-m") {
      if (!value(v)) return false;
      given_m = true;
      std::string size = v;
      if (size.rfind("size=", 0) == 0) size = size.substr(5);
      if (!parse_memory_size(size, out.ram_size)) {
        error = "-m " + v + ": invalid memory size (examples: 128M, 1G, 256)";
        return false;
      }
    } else if (arg == "-bios") {
      if (!value(out.bios)) return false;
      if (out.bios.empty()) {
        error = "-bios needs 'none', 'default' or a file name";
        return false;
      }
    } else if (arg == "-kernel") {
      if (!value(out.kernel)) return false;
    } else if (arg == "-initrd") {
      if (!value(out.initrd)) return false;
    } else if (arg == "-dump-dtb") {
      if (!value(out.dump_dtb)) return false;
    } else if (arg == "-snapshot-save") {
      if (!value(out.snapshot_save)) return false;
    } else if (arg == "-snapshot-load") {
      if (!value(out.snapshot_load)) return false;
    } else if (arg == "-record") {
      if (!value(out.record)) return false;
    } else if (arg == "-replay") {
      if (!value(out.replay)) return false;
    } else if (arg == "-guests") {
      if (!value(out.guests_dir)) return false;
    } else if (arg == "-state-hash") {
      out.state_hash = true;
    } else if (arg == "-snapshot-on-output") {
      if (!value(out.snapshot_on_output)) return false;
      if (out.snapshot_on_output.empty()) {
        error = "--snapshot-on-output needs the text to wait for";
        return false;
      }
    } else if (arg == "-append") {
      if (!value(out.append)) return false;
    } else if (arg == "-drive") {
      if (!value(v)) return false;
      out.drives.push_back(v);
    } else if (arg == "-device") {
      if (!value(v)) return false;
      out.devices.push_back(v);
    } else if (arg == "-D") {
      if (!value(out.log_file)) return false;
    } else if (arg == "-d") {
      if (!value(v) || !parse_trace_flags(v, out, error)) return false;
    } else if (arg == "-max-insns") {
      if (!value(v)) return false;
      if (!parse_u64(v, out.max_insns) || out.max_insns == 0) {
        error = "--max-insns " + v + ": expected a positive number";
        return false;
      }
    } else if (arg == "-smp") {
      if (!value(v)) return false;
      if (v != "1" && v != "cpus=1") {
        error = "-smp " + v + ": only one hart is supported so far";
        return false;
      }
    } else {
      error = "unknown option '" + std::string(argv[i]) + "'";
      return false;
    }
  }
  if (!out.snapshot_on_output.empty() && out.snapshot_save.empty()) {
    error = "--snapshot-on-output: give --snapshot-save FILE too";
    return false;
  }
  const bool machine_options = given_m || !out.bios.empty() || !out.kernel.empty() ||
                               !out.initrd.empty() || !out.append.empty() || !out.devices.empty();
  if (!out.replay.empty() &&
      (machine_options || !out.drives.empty() || !out.snapshot_load.empty() ||
       !out.record.empty() || out.max_insns != 0)) {
    error =
        "--replay: the link holds the machine (-m, -bios, -kernel, -initrd, -append, -device, "
        "-drive and snapshots come from it); give only --guests, --jit, traces and --stats";
    return false;
  }
  if (!out.record.empty() &&
      (!out.bios.empty() || out.kernel.empty() || !out.initrd.empty() || !out.append.empty() ||
       !out.drives.empty() || !out.snapshot_load.empty())) {
    error =
        "--record: a session file carries an ELF program given with -kernel (with -m, "
        "-device and --jit); not -bios, -initrd, -append, -drive or --snapshot-load";
    return false;
  }
  if (!out.snapshot_load.empty()) {
    // The snapshot holds the machine's configuration and its loaded images.
    if (machine_options || !out.drives.empty()) {
      error =
          "--snapshot-load: the snapshot holds the machine (-m, -bios, -kernel, -initrd, "
          "-append, -device and the disks' contents come from it); give only run options";
      return false;
    }
  }
  return true;
}

const char* cli_usage() {
  return R"(usage: glassvm [options] -kernel FILE | -bios FILE
GlassVM: a RISC-V (RV64) system emulator of QEMU's 'virt' board.

  -M virt            the machine (only 'virt')
  -m SIZE            guest RAM, e.g. 128M, 256M, 1G; a bare number is MiB (default 128M)
  -bios none         no firmware: the kernel (an ELF) starts in M-mode at its entry
  -bios default      the built-in SBI (QEMU loads OpenSBI here): the kernel starts in
                     S-mode with a0 = hartid, a1 = device tree
  -bios FILE         an M-mode firmware, raw (e.g. OpenSBI's fw_dynamic.bin) at 0x80000000
                     or an ELF linked for RAM; it gets a2 = &fw_dynamic_info
                     Without -bios: 'none' for an ELF kernel, 'default' for anything else.
  -kernel FILE       a RISC-V ELF64 executable, or (with firmware) a RISC-V Linux Image or a
                     raw binary, loaded at 0x80200000
  -initrd FILE       initial ramdisk, at kernel + min(RAM/2, 128M); in /chosen
  -append ARGS       kernel command line (/chosen/bootargs in the device tree)
  --dump-dtb FILE    write the generated device tree blob to FILE and exit
  --snapshot-save FILE
                     when the run ends (and on C-a s), save the whole machine to FILE
  --snapshot-on-output TEXT
                     with --snapshot-save: end the run, saving the machine, as soon as the
                     console has printed TEXT (e.g. a shell prompt, '~ # ')
  --snapshot-load FILE
                     start from a saved machine instead of booting (no -m, -bios, -kernel,
                     -initrd, -append, -device or -drive: they come from it, the disks'
                     contents too, kept in memory); the console's last output is shown
                     again first
  --record FILE      record the session (the program given with -kernel, the machine's
                     options, and every byte typed, stamped with guest time) and write it
                     to FILE when the run ends, with the final state's hash: FILE replays
                     with --replay, and the page opens it (docs/links.md)
  --replay LINK_OR_FILE
                     build the machine a link or session file describes, play its input
                     at the recorded guest times, and stop where it was shared: print the
                     state's hash, and exit with status 1 if it is not the recorded one
                     (--jit=on|off overrides the link's choice: the state is the same)
  --guests DIR       where --replay finds the guests a link names (the page's bundled
                     guests: NAME.elf, and NAME.json with its files); default: the page
                     bundle this build made, )" GLASSVM_GUESTS_DIR R"(
  --state-hash       when the run ends, print the hash of the machine's whole state and its
                     guest time (the same on every build, for comparing runs)
  -nographic         serial console on this terminal (always the case)
  -drive file=IMG,format=raw[,if=virtio|none][,id=ID][,readonly=on][,snapshot=on]
                     a raw disk image; if=virtio (the default) adds a virtio-blk-device on
                     the next free virtio-mmio slot; snapshot=on keeps writes in memory
  -device NAME[,opt=val...]
                     add a device, e.g. ns16550a,addr=0x10002000,irq=12;
                     '-device help' lists the devices, '-device NAME,help' their options
                     (those marked no-user are the board's own, created once by it)
  -smp 1             number of harts (only 1 so far)
  -d ITEMS           trace to the log: in_asm (each instruction when first decoded),
                     int (every trap and interrupt); comma-separated
  -D FILE            write the log to FILE instead of stderr
  --trace-iommu      log every IOMMU event as it is delivered: guest time, model, device,
                     MAP/UNMAP/DEVIOTLB_UNMAP, IOVA range, translation, permissions, and
                     which notifiers received it or were skipped and why
  --max-insns N      stop after N guest instructions (exit status 3); a trap taken
                     counts as one, so a guest trapping forever stops too
  --info-mtree       print the memory tree and flat views (QEMU's 'info mtree -f') and exit
  --stats            at the end, print the instructions executed, guest and wall time, the
                     speed and the TLB counters on stderr (and the JIT's counters)
  --jit=on|off       translate hot guest code to WebAssembly (the wasm build, glassvm-node:
                     on by default); the native build has no JIT: --jit=on says so on
                     stderr and interprets
  --dump-jit[=FILE]  print every translation (its RISC-V and its wasm text) on stderr, or
                     to FILE
  -h, --help         this text
  --version          the version

Exit status: the guest's exit code (HTIF tohost, the sifive test device, or SBI system
reset: 0 for a shutdown, 1 for one that reports a system failure), 2 for bad options or
files, 3 when --max-insns stopped the guest.
On a terminal, C-a x quits and C-a C-a sends C-a to the guest.
)";
}

}  // namespace glassvm
