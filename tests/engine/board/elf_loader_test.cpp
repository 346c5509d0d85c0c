// ELF loader tests: a valid image built byte by byte, then every kind of malformed input.
#include "engine/board/elf_loader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/support/elf_writer.h"
#include "tests/support/require.h"

namespace glassvm {
namespace {

using testing::ElfWriter;
using testing::put;
using testing::TestSymbol;

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
  EXPECT_EQ(std::vector<uint8_t>(img.segments[0].data.begin(), img.segments[0].data.end()),
            (std::vector<uint8_t>{0x13, 0, 0, 0, 0x73, 0, 0, 0}));
  // The segment refers to the input; nothing was copied.
  EXPECT_EQ(img.segments[0].data.data(), bytes.data() + w.seg_off[0]);
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

// 65,534 program headers that all name the same file bytes: the work (and the board's copying)
// would be 65,534 times the file. The sum of the segments' file sizes is bounded by the file.
TEST(ElfLoaderBad, SegmentsSharingFileBytesAreRefused) {
  ElfWriter w;
  w.with_sections = false;
  w.segs.push_back({0x80000000, 0x80000000, 0x1000, std::vector<uint8_t>(0x1000, 0x13), 5});
  std::vector<uint8_t> bytes = w.build();
  constexpr unsigned kHeaders = 65534;
  // Rebuild the program header table at the end of the file: every entry is a PT_LOAD of the
  // same 4 KiB of data, at distinct physical addresses (so they do not overlap in memory).
  const uint64_t phoff = bytes.size();
  for (unsigned i = 0; i < kHeaders; ++i) {
    const uint64_t p = phoff + 56 * uint64_t{i};
    put(bytes, p, 1, 4);
    put(bytes, p + 4, 5, 4);
    put(bytes, p + 8, w.seg_off[0], 8);
    put(bytes, p + 16, 0x80000000 + 0x1000 * uint64_t{i}, 8);
    put(bytes, p + 24, 0x80000000 + 0x1000 * uint64_t{i}, 8);
    put(bytes, p + 32, 0x1000, 8);
    put(bytes, p + 40, 0x1000, 8);
    put(bytes, p + 48, 0x1000, 8);
  }
  put(bytes, 32, phoff, 8);
  put(bytes, 56, kHeaders, 2);
  const std::string error = parse_error(bytes);
  EXPECT_TRUE(contains(error, "add up to more than the file")) << error;

  // Two segments whose data lie side by side in the file are fine.
  ElfWriter ok;
  ok.segs.push_back({0x80000000, 0x80000000, 0x1000, std::vector<uint8_t>(0x800, 1), 5});
  ok.segs.push_back({0x80001000, 0x80001000, 0x1000, std::vector<uint8_t>(0x800, 2), 6});
  EXPECT_EQ(parse_error(ok.build()), "(parsed)");
}

// Thousands of symbols whose names all start in one long string: reading each to its NUL would
// take quadratic time. Reading names is bounded by a multiple of the file's size.
TEST(ElfLoaderBad, SymbolNamesSharingOneLongStringAreRefused) {
  ElfWriter w = standard();
  const std::string long_name(256 * 1024, 'a');
  constexpr unsigned kSymbols = 20000;
  w.syms.clear();
  w.syms.push_back({long_name, 0x80000000, kGlobalFunc, 1});
  for (unsigned i = 1; i < kSymbols; ++i) w.syms.push_back({"b", 0x80000000, kGlobalFunc, 1});
  std::vector<uint8_t> bytes = w.build();
  // Point every symbol's name at the long string (offset 1 of .strtab).
  for (unsigned i = 0; i < kSymbols; ++i) put(bytes, w.symtab_off + 24 * (i + 1), 1, 4);
  const std::string error = parse_error(bytes);
  EXPECT_TRUE(contains(error, "symbol names overlap")) << error;
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
