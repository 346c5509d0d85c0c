#include "engine/board/boot.h"

#include <array>
#include <cassert>
#include <cstring>

#include "engine/base/bytes.h"

namespace glassvm {

void build_boot_rom(std::span<uint8_t> rom, const BootRomConfig& c) {
  assert(rom.size() >= kRomSbiTrapOffset + 8 && "build_boot_rom: the ROM is too small");
  // QEMU 7.2's reset vector for RV64: a2 = &fw_dynamic_info, a0 = mhartid, a1 = fdt, jump.
  static constexpr std::array<uint32_t, 6> kCode = {
      0x00000297,  // 1: auipc t0, %pcrel_hi(fw_dyn)
      0x02828613,  //    addi  a2, t0, %pcrel_lo(1b)
      0xf1402573,  //    csrr  a0, mhartid
      0x0202b583,  //    ld    a1, 32(t0)
      0x0182b283,  //    ld    t0, 24(t0)
      0x00028067,  //    jr    t0
  };
  std::memset(rom.data(), 0, rom.size());
  uint8_t* p = rom.data();
  for (size_t i = 0; i < kCode.size(); ++i) store_le<uint32_t>(p + 4 * i, kCode[i]);
  store_le<uint64_t>(p + kRomStartAddrOffset, c.start_addr);
  store_le<uint64_t>(p + kRomFdtAddrOffset, c.fdt_addr);
  // fw_dynamic_info: magic, version, next_addr, next_mode, options, boot_hart.
  const std::array<uint64_t, 6> info = {
      kFwDynamicMagic, kFwDynamicVersion, c.kernel_entry, kFwDynamicNextModeS, 0, c.boot_hart};
  for (size_t i = 0; i < info.size(); ++i)
    store_le<uint64_t>(p + kRomFwDynamicOffset + 8 * i, info[i]);
  if (c.builtin_sbi) {
    store_le<uint32_t>(p + kRomSbiEnterOffset, 0x30200073);     // mret
    store_le<uint32_t>(p + kRomSbiTrapOffset, 0x10500073);      // 1: wfi
    store_le<uint32_t>(p + kRomSbiTrapOffset + 4, 0xffdff06f);  //    j 1b
  }
}

KernelKind detect_kernel_kind(std::span<const uint8_t> file) {
  if (file.size() >= 4 && std::memcmp(file.data(),
                                      "\x7f"
                                      "ELF",
                                      4) == 0)
    return KernelKind::Elf;
  if (file.size() >= kLinuxImageHeaderSize &&
      std::memcmp(file.data() + 0x30, "RISCV\0\0\0", 8) == 0 &&
      std::memcmp(file.data() + 0x38, "RSC\x05", 4) == 0)
    return KernelKind::LinuxImage;
  return KernelKind::Raw;
}

bool parse_linux_image(std::span<const uint8_t> file, LinuxImageHeader& out, std::string& why) {
  if (file.size() < kLinuxImageHeaderSize) {
    why = "truncated Linux Image header (" + std::to_string(file.size()) + " of " +
          std::to_string(kLinuxImageHeaderSize) + " bytes)";
    return false;
  }
  if (std::memcmp(file.data() + 0x30, "RISCV\0\0\0", 8) != 0 ||
      std::memcmp(file.data() + 0x38, "RSC\x05", 4) != 0) {
    why = "not a RISC-V Linux Image (bad magic at offset 0x30)";
    return false;
  }
  out.text_offset = load_le<uint64_t>(file.data() + 0x08);
  out.image_size = load_le<uint64_t>(file.data() + 0x10);
  out.version = load_le<uint32_t>(file.data() + 0x20);
  if (out.image_size != 0 && out.image_size < file.size()) {
    why = "Linux Image header says image_size " + std::to_string(out.image_size) +
          " bytes, smaller than the file (" + std::to_string(file.size()) + " bytes)";
    return false;
  }
  return true;
}

}  // namespace glassvm
