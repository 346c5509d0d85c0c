// A minimal ELF64 writer for tests that need crafted RISC-V executables (valid or malformed).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace glassvm::testing {

/// Writes `size` little-endian bytes of `v` at `off`, growing `b` as needed.
inline void put(std::vector<uint8_t>& b, uint64_t off, uint64_t v, unsigned size) {
  if (b.size() < off + size) b.resize(off + size);
  for (unsigned i = 0; i < size; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

/// A symbol for ElfWriter::syms.
struct TestSymbol {
  std::string name;
  uint64_t value;
  uint8_t info;  // (bind << 4) | type
  uint16_t shndx;
};

/// Builds ELF64 LE RISC-V executables laid out as: header, program headers, segment data,
/// .strtab, .symtab, .shstrtab, section headers. Records where each part went so that tests
/// can corrupt exactly one field.
struct ElfWriter {
  struct Seg {
    uint64_t paddr, vaddr, memsz;
    std::vector<uint8_t> data;
    uint32_t flags;
  };
  uint64_t entry = 0x80000000;
  std::vector<Seg> segs;
  std::vector<TestSymbol> syms;
  bool with_sections = true;

  // Filled by build():
  uint64_t phoff = 0, shoff = 0, strtab_off = 0, strtab_size = 0, symtab_off = 0;
  std::vector<uint64_t> seg_off;

  static constexpr unsigned kSymtabIndex = 1, kStrtabIndex = 2, kShstrtabIndex = 3;

  std::vector<uint8_t> build() {
    std::vector<uint8_t> b(64, 0);
    std::memcpy(b.data(),
                "\x7f"
                "ELF",
                4);
    b[4] = 2;            // ELFCLASS64
    b[5] = 1;            // little-endian
    b[6] = 1;            // EV_CURRENT
    put(b, 16, 2, 2);    // ET_EXEC
    put(b, 18, 243, 2);  // EM_RISCV
    put(b, 20, 1, 4);
    put(b, 24, entry, 8);
    put(b, 48, 0x5, 4);  // RVC, double-float ABI
    put(b, 52, 64, 2);
    put(b, 54, 56, 2);
    put(b, 56, segs.size(), 2);
    put(b, 58, 64, 2);

    phoff = 64;
    put(b, 32, phoff, 8);
    uint64_t off = phoff + 56 * segs.size();
    seg_off.clear();
    for (const Seg& s : segs) {
      seg_off.push_back(off);
      for (size_t i = 0; i < s.data.size(); ++i) put(b, off + i, s.data[i], 1);
      off += s.data.size();
    }
    for (size_t i = 0; i < segs.size(); ++i) {
      const uint64_t p = phoff + 56 * i;
      put(b, p, 1, 4);  // PT_LOAD
      put(b, p + 4, segs[i].flags, 4);
      put(b, p + 8, seg_off[i], 8);
      put(b, p + 16, segs[i].vaddr, 8);
      put(b, p + 24, segs[i].paddr, 8);
      put(b, p + 32, segs[i].data.size(), 8);
      put(b, p + 40, segs[i].memsz, 8);
      put(b, p + 48, 0x1000, 8);
    }
    if (!with_sections) return b;

    // .strtab
    std::string strtab(1, '\0');
    std::vector<uint32_t> name_off;
    for (const TestSymbol& s : syms) {
      name_off.push_back(static_cast<uint32_t>(strtab.size()));
      strtab += s.name;
      strtab += '\0';
    }
    strtab_off = off;
    strtab_size = strtab.size();
    for (size_t i = 0; i < strtab.size(); ++i) put(b, off + i, uint8_t(strtab[i]), 1);
    off += strtab.size();
    // .symtab (entry 0 is the null symbol)
    off = (off + 7) & ~uint64_t{7};
    symtab_off = off;
    put(b, off + 23, 0, 1);
    for (size_t i = 0; i < syms.size(); ++i) {
      const uint64_t p = off + 24 * (i + 1);
      put(b, p, name_off[i], 4);
      put(b, p + 4, syms[i].info, 1);
      put(b, p + 5, 0, 1);
      put(b, p + 6, syms[i].shndx, 2);
      put(b, p + 8, syms[i].value, 8);
      put(b, p + 16, 8, 8);
    }
    const uint64_t symtab_size = 24 * (syms.size() + 1);
    off += symtab_size;
    // .shstrtab
    const char shstr[] = "\0.symtab\0.strtab\0.shstrtab";
    const uint64_t shstr_off = off;
    for (size_t i = 0; i < sizeof shstr; ++i) put(b, off + i, uint8_t(shstr[i]), 1);
    off += sizeof shstr;
    // section headers: null, .symtab, .strtab, .shstrtab
    off = (off + 7) & ~uint64_t{7};
    shoff = off;
    put(b, 40, shoff, 8);
    put(b, 60, 4, 2);
    put(b, 62, kShstrtabIndex, 2);
    put(b, shoff + 64 * 4 - 1, 0, 1);
    auto shdr = [&](unsigned i, uint32_t name, uint32_t type, uint64_t o, uint64_t size,
                    uint32_t link, uint64_t entsize) {
      const uint64_t p = shoff + 64 * i;
      put(b, p, name, 4);
      put(b, p + 4, type, 4);
      put(b, p + 24, o, 8);
      put(b, p + 32, size, 8);
      put(b, p + 40, link, 4);
      put(b, p + 56, entsize, 8);
    };
    shdr(kSymtabIndex, 1, 2, symtab_off, symtab_size, kStrtabIndex, 24);
    shdr(kStrtabIndex, 9, 3, strtab_off, strtab_size, 0, 0);
    shdr(kShstrtabIndex, 17, 3, shstr_off, sizeof shstr, 0, 0);
    return b;
  }
};

}  // namespace glassvm::testing
