// What the virt board puts in memory to boot: QEMU 7.2's boot ROM (reset vector and
// fw_dynamic_info) and the kinds of kernel file it accepts (ELF, RISC-V Linux Image, raw).
//
// Design note: the ROM is QEMU's byte for byte (hw/riscv/boot.c, riscv_setup_rom_reset_vec and
// riscv_rom_copy_firmware_info), so that firmware written for QEMU virt — OpenSBI's
// fw_dynamic above all — finds its arguments where it expects them. GlassVM adds two words of
// its own further up the ROM for the built-in SBI, where QEMU's ROM is empty (see
// kRomSbiEnterOffset).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace glassvm {

/// The reset vector: 10 words, the last four being the start address and the device tree
/// address as 64-bit values. fw_dynamic_info follows it (a2 points there).
inline constexpr uint64_t kRomResetVecSize = 40;
inline constexpr uint64_t kRomStartAddrOffset = 24, kRomFdtAddrOffset = 32;
inline constexpr uint64_t kRomFwDynamicOffset = kRomResetVecSize;
/// fw_dynamic_info (OpenSBI include/sbi/fw_dynamic.h, version 2): six 64-bit fields.
inline constexpr uint64_t kFwDynamicMagic = 0x4942534f;  // "OSBI"
inline constexpr uint64_t kFwDynamicVersion = 2;
inline constexpr uint64_t kFwDynamicNextModeS = 1;
inline constexpr uint64_t kFwDynamicInfoSize = 6 * 8;
/// Built-in SBI only: an `mret` the reset vector jumps to, which enters the kernel in S-mode
/// (the board has set mepc and mstatus.MPP), and the M-mode trap vector (`wfi; j .-4`), where
/// a trap that no firmware would catch parks the hart for the board to report.
inline constexpr uint64_t kRomSbiEnterOffset = 0x100, kRomSbiTrapOffset = 0x108;

/// What the ROM tells the next stage.
struct BootRomConfig {
  uint64_t start_addr = 0;    ///< where the reset vector jumps (firmware or kernel)
  uint64_t fdt_addr = 0;      ///< a1
  uint64_t kernel_entry = 0;  ///< fw_dynamic_info.next_addr (0 without a kernel, as QEMU)
  uint64_t boot_hart = 0;
  bool builtin_sbi = false;  ///< add the two built-in SBI stubs
};

/// Writes the boot ROM's contents into `rom` (at least 0x110 bytes; the rest is zeroed).
void build_boot_rom(std::span<uint8_t> rom, const BootRomConfig& config);

/// The fields of a RISC-V Linux Image header (Documentation/arch/riscv/boot-image-header.rst)
/// that booting needs.
struct LinuxImageHeader {
  uint64_t text_offset = 0;  ///< load offset from the start of RAM (0x200000 on RV64)
  uint64_t image_size = 0;   ///< bytes the kernel occupies once running (bss included)
  uint32_t version = 0;
};

/// Size of the Image header; the magics are at 0x30 ("RISCV\0\0\0") and 0x38 ("RSC\x05").
inline constexpr size_t kLinuxImageHeaderSize = 64;

/// What a kernel file is.
enum class KernelKind : uint8_t { Elf, LinuxImage, Raw };

/// Looks at the first bytes of `file`: an ELF (by its magic), a Linux Image (by its two
/// magics), or anything else (raw). Does not validate beyond the magics.
KernelKind detect_kernel_kind(std::span<const uint8_t> file);

/// Reads a Linux Image header. Returns false with a reason when the file is shorter than the
/// header, a magic is wrong, or image_size is smaller than the file's code would need (0 is
/// allowed: old kernels leave it unset, and then the file size counts).
bool parse_linux_image(std::span<const uint8_t> file, LinuxImageHeader& out, std::string& why);

}  // namespace glassvm
