// ELF loader tests: a valid image built byte by byte, then every kind of malformed input.
#include "engine/board/elf_loader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/support/require.h"

namespace glassvm {
namespace {

// ---- A minimal ELF writer for the tests -----------------------------------------------------

void put(std::vector<uint8_t>& b, uint64_t off, uint64_t v, unsigned size) {
  if (b.size() < off + size) b.resize(off + size);
  for (unsigned i = 0; i < size; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

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

constexpr uint8_t kGlobalFunc = (1 << 4) | 2;
constexpr uint8_t kGlobalObject = (1 << 4) | 1;
constexpr uint8_t kGlobalNotype = (1 << 4) | 0;
constexpr uint8_t kLocalNotype = 0;
constexpr uint8_t kLocalSection = 3;

/// The standard valid image: code, data + bss, and HTIF symbols.
ElfWriter standard() {
  ElfWriter w;
  w.segs.push_back({0x80000000, 0x80000000, 0x10, {0x13, 0, 0, 0, 0x73, 0, 0, 0}, 5});  // R+X
  w.segs.push_back({0x80001000, 0x80001000, 0x2000, {1, 2, 3, 4}, 6});                  // R+W
  w.syms = {
      {"_start", 0x80000000, kGlobalNotype, 1},     {"main", 0x80000004, kGlobalFunc, 1},
      {"tohost", 0x80001000, kGlobalObject, 1},     {"fromhost", 0x80001008, kGlobalObject, 1},
      {"local_label", 0x80000002, kLocalNotype, 1},  // not kept (local, untyped)
      {"", 0x80000000, kLocalSection, 1},            // section symbol: not kept
      {"undefined_fn", 0, kGlobalFunc, 0},           // undefined: not kept
  };
  return w;
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
  ElfImage img;
  std::string error;
  if (parse_elf(bytes, img, error)) return "(parsed)";
  EXPECT_FALSE(error.empty());
  return error;
}

bool contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}

// ---- Valid input ----------------------------------------------------------------------------

TEST(ElfLoader, ParsesAValidExecutable) {
  ElfWriter w = standard();
  const std::vector<uint8_t> bytes = w.build();
  ElfImage img;
  std::string error;
  ASSERT_TRUE(parse_elf(bytes, img, error)) << error;
  EXPECT_EQ(img.entry, 0x80000000u);
  EXPECT_EQ(img.flags, 0x5u);
  ASSERT_EQ(img.segments.size(), 2u);
  EXPECT_EQ(img.segments[0].paddr, 0x80000000u);
  EXPECT_EQ(img.segments[0].memsz, 0x10u);
  EXPECT_EQ(img.segments[0].data, (std::vector<uint8_t>{0x13, 0, 0, 0, 0x73, 0, 0, 0}));
  EXPECT_TRUE(img.segments[0].exec);
  EXPECT_FALSE(img.segments[0].write);
  EXPECT_EQ(img.segments[1].paddr, 0x80001000u);
  EXPECT_EQ(img.segments[1].memsz, 0x2000u);
  EXPECT_EQ(img.segments[1].data.size(), 4u);
  EXPECT_FALSE(img.segments[1].exec);
  EXPECT_TRUE(img.segments[1].write);
  ASSERT_TRUE(img.tohost.has_value());
  EXPECT_EQ(*img.tohost, 0x80001000u);
  ASSERT_TRUE(img.fromhost.has_value());
  EXPECT_EQ(*img.fromhost, 0x80001008u);
  EXPECT_EQ(img.symbols.size(), 4u);
  EXPECT_EQ(img.symbols.at("_start"), 0x80000000u);
  EXPECT_EQ(img.symbols.at("main"), 0x80000004u);
  EXPECT_EQ(img.symbols.count("local_label"), 0u);
  EXPECT_EQ(img.symbols.count("undefined_fn"), 0u);
}

TEST(ElfLoader, UsesPhysicalAddressesAndTranslatesEntryAndHtif) {
  ElfWriter w;
  // Linked at a high virtual address, loaded at 0x80200000 (like a kernel).
  w.segs.push_back({0x80200000, 0xffffffff80000000, 0x3000, {1, 2, 3}, 7});
  w.entry = 0xffffffff80000010;
  w.syms = {{"tohost", 0xffffffff80002000, kGlobalObject, 1}};
  ElfImage img;
  std::string error;
  ASSERT_TRUE(parse_elf(w.build(), img, error)) << error;
  EXPECT_EQ(img.segments[0].paddr, 0x80200000u);
  EXPECT_EQ(img.segments[0].vaddr, 0xffffffff80000000u);
  EXPECT_EQ(img.entry, 0x80200010u);
  EXPECT_EQ(img.entry_vaddr, 0xffffffff80000010u);
  EXPECT_EQ(*img.tohost, 0x80202000u);
  EXPECT_FALSE(img.fromhost.has_value());
}

TEST(ElfLoader, StrippedImageHasNoSymbols) {
  ElfWriter w = standard();
  w.with_sections = false;
  ElfImage img;
  std::string error;
  ASSERT_TRUE(parse_elf(w.build(), img, error)) << error;
  EXPECT_TRUE(img.symbols.empty());
  EXPECT_FALSE(img.tohost.has_value());
}

TEST(ElfLoader, ZeroSizedSegmentsAreSkipped) {
  ElfWriter w = standard();
  w.segs.push_back({0x90000000, 0x90000000, 0, {}, 4});
  ElfImage img;
  std::string error;
  ASSERT_TRUE(parse_elf(w.build(), img, error)) << error;
  EXPECT_EQ(img.segments.size(), 2u);
}

// A real executable from the guest build, when one exists (it needs the RISC-V clang).
TEST(ElfLoader, ParsesGuestProgramsFromTheBuild) {
  namespace fs = std::filesystem;
  std::error_code ec;
  int parsed = 0;
  for (const auto& entry : fs::directory_iterator(GLASSVM_GUEST_DIR, ec)) {
    if (entry.path().extension() != ".elf") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
    ElfImage img;
    std::string error;
    EXPECT_TRUE(parse_elf(bytes, img, error)) << entry.path() << ": " << error;
    EXPECT_FALSE(img.segments.empty());
    ++parsed;
  }
  GLASSVM_REQUIRE(parsed > 0, std::string("no guest ELF in ") + GLASSVM_GUEST_DIR);
}

// ---- Malformed input ------------------------------------------------------------------------

TEST(ElfLoaderBad, EmptyAndTooShort) {
  EXPECT_TRUE(contains(parse_error({}), "not an ELF file"));
  EXPECT_TRUE(contains(parse_error({0x7f, 'E', 'L'}), "not an ELF file"));
  std::vector<uint8_t> bytes = standard().build();
  bytes.resize(40);
  EXPECT_TRUE(contains(parse_error(bytes), "truncated ELF header"));
}

TEST(ElfLoaderBad, WrongMagic) {
  std::vector<uint8_t> bytes = standard().build();
  bytes[1] = 'X';
  EXPECT_TRUE(contains(parse_error(bytes), "not an ELF file"));
}

TEST(ElfLoaderBad, Class32) {
  std::vector<uint8_t> bytes = standard().build();
  bytes[4] = 1;
  EXPECT_TRUE(contains(parse_error(bytes), "32-bit"));
  bytes[4] = 7;
  EXPECT_TRUE(contains(parse_error(bytes), "invalid ELF class"));
}

TEST(ElfLoaderBad, BigEndian) {
  std::vector<uint8_t> bytes = standard().build();
  bytes[5] = 2;
  EXPECT_TRUE(contains(parse_error(bytes), "big-endian"));
}

TEST(ElfLoaderBad, WrongMachine) {
  std::vector<uint8_t> bytes = standard().build();
  put(bytes, 18, 62, 2);
  EXPECT_EQ(parse_error(bytes), "ELF is for machine 62 (x86-64), not RISC-V");
}

TEST(ElfLoaderBad, WrongTypes) {
  std::vector<uint8_t> bytes = standard().build();
  put(bytes, 16, 3, 2);
  EXPECT_TRUE(contains(parse_error(bytes), "ET_DYN"));
  put(bytes, 16, 1, 2);
  EXPECT_TRUE(contains(parse_error(bytes), "relocatable"));
  put(bytes, 16, 0x1234, 2);
  EXPECT_TRUE(contains(parse_error(bytes), "file type"));
}

TEST(ElfLoaderBad, BadVersionsAndSizes) {
  std::vector<uint8_t> bytes = standard().build();
  put(bytes, 20, 2, 4);
  EXPECT_TRUE(contains(parse_error(bytes), "ELF version"));
  bytes = standard().build();
  put(bytes, 52, 52, 2);
  EXPECT_TRUE(contains(parse_error(bytes), "header size"));
  bytes = standard().build();
  put(bytes, 54, 32, 2);
  EXPECT_TRUE(contains(parse_error(bytes), "program header entry size"));
  bytes = standard().build();
  put(bytes, 58, 40, 2);
  EXPECT_TRUE(contains(parse_error(bytes), "section header entry size"));
  bytes = standard().build();
  put(bytes, 48, 0x8, 4);  // EF_RISCV_RVE
  EXPECT_TRUE(contains(parse_error(bytes), "RV64E"));
}

TEST(ElfLoaderBad, ProgramHeaderTableOutOfBounds) {
  ElfWriter w = standard();
  std::vector<uint8_t> bytes = w.build();
  put(bytes, 32, bytes.size() - 56, 8);  // second entry runs past the end
  EXPECT_TRUE(contains(parse_error(bytes), "truncated program header table"));
  put(bytes, 32, ~uint64_t{0} - 8, 8);  // offset + size overflows
  EXPECT_TRUE(contains(parse_error(bytes), "truncated program header table"));
  put(bytes, 32, w.phoff, 8);
  put(bytes, 56, 0, 2);
  EXPECT_TRUE(contains(parse_error(bytes), "no program headers"));
  put(bytes, 56, 0xffff, 2);
  EXPECT_TRUE(contains(parse_error(bytes), "extended program header numbering"));
}

TEST(ElfLoaderBad, SegmentDataOutOfBounds) {
  ElfWriter w = standard();
  std::vector<uint8_t> bytes = w.build();
  put(bytes, w.phoff + 56 + 8, bytes.size() - 2, 8);  // p_offset: 4 bytes from 2 before end
  EXPECT_TRUE(contains(parse_error(bytes), "lies outside the file"));
  put(bytes, w.phoff + 56 + 8, ~uint64_t{0} - 1, 8);  // p_offset + p_filesz overflows
  EXPECT_TRUE(contains(parse_error(bytes), "lies outside the file"));
}

TEST(ElfLoaderBad, FileSizeGreaterThanMemorySize) {
  ElfWriter w = standard();
  std::vector<uint8_t> bytes = w.build();
  put(bytes, w.phoff + 40, 4, 8);  // p_memsz 4 < p_filesz 8
  EXPECT_TRUE(contains(parse_error(bytes), "exceeds memory size"));
}

TEST(ElfLoaderBad, AddressRangesThatWrap) {
  ElfWriter w = standard();
  w.segs[1].paddr = 0xfffffffffffff000;
  EXPECT_TRUE(contains(parse_error(w.build()), "physical range"));
  w = standard();
  w.segs[1].vaddr = 0xffffffffffffff00;
  EXPECT_TRUE(contains(parse_error(w.build()), "virtual range"));
  w = standard();
  w.segs[1].paddr = 0xffffffffffffe000;  // ends exactly at 2^64: allowed
  ElfImage img;
  std::string error;
  EXPECT_TRUE(parse_elf(w.build(), img, error)) << error;
}

TEST(ElfLoaderBad, OverlappingSegmentsAndBadAlignment) {
  ElfWriter w = standard();
  w.segs[1].paddr = 0x8000000c;
  EXPECT_TRUE(contains(parse_error(w.build()), "overlap"));
  w = standard();
  std::vector<uint8_t> bytes = w.build();
  put(bytes, w.phoff + 48, 0x1800, 8);
  EXPECT_TRUE(contains(parse_error(bytes), "power of two"));
}

TEST(ElfLoaderBad, NoLoadableSegmentsOrDynamic) {
  ElfWriter w = standard();
  std::vector<uint8_t> bytes = w.build();
  put(bytes, w.phoff, 4, 4);       // PT_NOTE
  put(bytes, w.phoff + 56, 4, 4);  // PT_NOTE
  EXPECT_TRUE(contains(parse_error(bytes), "no loadable"));
  put(bytes, w.phoff, 3, 4);  // PT_INTERP
  EXPECT_TRUE(contains(parse_error(bytes), "dynamically linked"));
}

TEST(ElfLoaderBad, SectionHeaderTableOutOfBounds) {
  ElfWriter w = standard();
  std::vector<uint8_t> bytes = w.build();
  put(bytes, 40, bytes.size() - 64, 8);
  EXPECT_TRUE(contains(parse_error(bytes), "truncated section header table"));
  put(bytes, 40, ~uint64_t{0} - 63, 8);
  EXPECT_TRUE(contains(parse_error(bytes), "truncated section header table"));
  put(bytes, 40, w.shoff, 8);
  put(bytes, 62, 9, 2);  // e_shstrndx out of range
  EXPECT_TRUE(contains(parse_error(bytes), "section name table index"));
  put(bytes, 62, ElfWriter::kSymtabIndex, 2);
  EXPECT_TRUE(contains(parse_error(bytes), "not a string table"));
  put(bytes, 62, ElfWriter::kShstrtabIndex, 2);
  put(bytes, 60, 0, 2);
  EXPECT_TRUE(contains(parse_error(bytes), "extended section numbering"));
}

TEST(ElfLoaderBad, SectionContentsOutOfBounds) {
  ElfWriter w = standard();
  std::vector<uint8_t> bytes = w.build();
  const uint64_t shstrtab_hdr = w.shoff + 64 * ElfWriter::kShstrtabIndex;
  put(bytes, shstrtab_hdr + 32, bytes.size(), 8);  // sh_size
  EXPECT_TRUE(contains(parse_error(bytes), "lie outside the file"));
  put(bytes, shstrtab_hdr + 32, 8, 8);
  put(bytes, shstrtab_hdr + 24, ~uint64_t{0} - 3, 8);  // sh_offset + sh_size overflows
  EXPECT_TRUE(contains(parse_error(bytes), "lie outside the file"));
  put(bytes, shstrtab_hdr + 4, 8, 4);  // SHT_NOBITS has no file contents: accepted
  put(bytes, 62, 0, 2);                // (and is no longer a string table to name sections)
  ElfImage img;
  std::string error;
  EXPECT_TRUE(parse_elf(bytes, img, error)) << error;
}

TEST(ElfLoaderBad, SymbolTableAndStringTableOutOfBounds) {
  ElfWriter w = standard();
  std::vector<uint8_t> bytes = w.build();
  const uint64_t symtab_hdr = w.shoff + 64 * ElfWriter::kSymtabIndex;
  const uint64_t strtab_hdr = w.shoff + 64 * ElfWriter::kStrtabIndex;
  {
    std::vector<uint8_t> b = bytes;
    put(b, symtab_hdr + 32, b.size(), 8);
    EXPECT_TRUE(contains(parse_error(b), "lie outside the file"));
  }
  {
    std::vector<uint8_t> b = bytes;
    put(b, strtab_hdr + 24, b.size() - 2, 8);
    EXPECT_TRUE(contains(parse_error(b), "lie outside the file"));
  }
  {
    std::vector<uint8_t> b = bytes;
    put(b, symtab_hdr + 56, 16, 8);  // sh_entsize
    EXPECT_TRUE(contains(parse_error(b), "invalid entry size"));
  }
  {
    std::vector<uint8_t> b = bytes;
    put(b, symtab_hdr + 32, 24 * 3 + 5, 8);  // not a multiple of 24
    EXPECT_TRUE(contains(parse_error(b), "not a multiple"));
  }
  for (uint32_t link : {0u, 1u, 4u, 0xffffffffu}) {
    std::vector<uint8_t> b = bytes;
    put(b, symtab_hdr + 40, link, 4);  // sh_link: null, itself, past the end, huge
    EXPECT_TRUE(contains(parse_error(b), "linked string table")) << link;
  }
}

TEST(ElfLoaderBad, SymbolNamesOutOfBoundsOrUnterminated) {
  ElfWriter w = standard();
  std::vector<uint8_t> bytes = w.build();
  {
    std::vector<uint8_t> b = bytes;
    put(b, w.symtab_off + 24, w.strtab_size, 4);  // st_name == strtab size
    EXPECT_TRUE(contains(parse_error(b), "outside the string table"));
    put(b, w.symtab_off + 24, 0xffffffff, 4);
    EXPECT_TRUE(contains(parse_error(b), "outside the string table"));
  }
  {
    // Drop the terminating NUL of the last name by shrinking the string table by one byte.
    std::vector<uint8_t> b = bytes;
    const uint64_t strtab_hdr = w.shoff + 64 * ElfWriter::kStrtabIndex;
    put(b, strtab_hdr + 32, w.strtab_size - 1, 8);
    EXPECT_TRUE(contains(parse_error(b), "not terminated"));
  }
  {
    std::vector<uint8_t> b = bytes;
    put(b, w.symtab_off + 24 + 6, 77, 2);  // st_shndx: no such section
    EXPECT_TRUE(contains(parse_error(b), "does not exist"));
    put(b, w.symtab_off + 24 + 6, 0xfff1, 2);  // SHN_ABS is fine
    ElfImage img;
    std::string error;
    EXPECT_TRUE(parse_elf(b, img, error)) << error;
  }
}

TEST(ElfLoaderBad, EveryTruncationFailsCleanly) {
  // Cutting the file anywhere must give an error (or, past the last byte that matters, a
  // success), never a crash; run under ASan this checks every read is in bounds.
  const std::vector<uint8_t> bytes = standard().build();
  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
    ElfImage img;
    std::string error;
    EXPECT_FALSE(parse_elf(cut, img, error)) << n;  // the section table is at the end
  }
}

TEST(ElfLoaderBad, SingleByteCorruptionsNeverCrash) {
  const std::vector<uint8_t> bytes = standard().build();
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (uint8_t v : {uint8_t{0}, uint8_t{0xff}, uint8_t{0x80}}) {
      std::vector<uint8_t> b = bytes;
      b[i] = v;
      ElfImage img;
      std::string error;
      if (!parse_elf(b, img, error)) {
        EXPECT_FALSE(error.empty()) << i;
      }
    }
  }
}

}  // namespace
}  // namespace glassvm
