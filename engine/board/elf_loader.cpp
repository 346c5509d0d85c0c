// ELF-64 parser for RISC-V executables. See elf_loader.h for the contract.
//
// Design note: every offset and size read from the file goes through in_file(), which checks
// `offset + size <= file size` without overflowing, before any byte behind it is read. Field
// reads are explicit little-endian loads (no struct casts), so alignment and host byte order
// do not matter.
#include "engine/board/elf_loader.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "engine/base/bytes.h"

namespace glassvm {
namespace {

// ---- Constants of the gABI and the RISC-V psABI --------------------------------------------

constexpr size_t kEhdrSize = 64;
constexpr size_t kPhdrSize = 56;
constexpr size_t kShdrSize = 64;
constexpr size_t kSymSize = 24;

constexpr uint8_t kElfClass32 = 1, kElfClass64 = 2;
constexpr uint8_t kElfData2Lsb = 1, kElfData2Msb = 2;
constexpr uint16_t kEtRel = 1, kEtExec = 2, kEtDyn = 3, kEtCore = 4;
constexpr uint16_t kEmRiscv = 243;
constexpr uint16_t kPnXnum = 0xffff;
constexpr uint16_t kShnUndef = 0, kShnLoReserve = 0xff00, kShnXindex = 0xffff;

constexpr uint32_t kPtLoad = 1, kPtDynamic = 2, kPtInterp = 3;
constexpr uint32_t kPfX = 1, kPfW = 2, kPfR = 4;

constexpr uint32_t kShtNull = 0, kShtSymtab = 2, kShtStrtab = 3, kShtNobits = 8;
constexpr uint8_t kSttNotype = 0, kSttObject = 1, kSttFunc = 2;
constexpr uint8_t kStbGlobal = 1, kStbWeak = 2;

constexpr uint32_t kEfRiscvRve = 0x8;

// Symbol names may overlap (linkers merge common suffixes), but reading them all may take at
// most this many times the file's size plus a little: enough for any linker's output, and
// linear time however the name offsets are crafted.
constexpr uint64_t kMaxNameBytesPerFileByte = 4;
constexpr uint64_t kNameBytesSlack = 64 * 1024;

// ---- Reading helpers ------------------------------------------------------------------------

/// Whether [offset, offset + size) lies inside a file of `file_size` bytes (overflow-safe).
bool in_file(uint64_t offset, uint64_t size, uint64_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

const char* machine_name(uint16_t m) {
  switch (m) {
    case 3: return "x86";
    case 8: return "MIPS";
    case 20: return "PowerPC";
    case 21: return "PowerPC64";
    case 22: return "S/390";
    case 40: return "ARM";
    case 62: return "x86-64";
    case 183: return "AArch64";
    case 258: return "LoongArch";
    default: return "unknown";
  }
}

struct Phdr {
  uint32_t type, flags;
  uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

Phdr read_phdr(const uint8_t* p) {
  return Phdr{load_le<uint32_t>(p),      load_le<uint32_t>(p + 4),  load_le<uint64_t>(p + 8),
              load_le<uint64_t>(p + 16), load_le<uint64_t>(p + 24), load_le<uint64_t>(p + 32),
              load_le<uint64_t>(p + 40), load_le<uint64_t>(p + 48)};
}

struct Shdr {
  uint32_t name, type;
  uint64_t flags, addr, offset, size;
  uint32_t link, info;
  uint64_t addralign, entsize;
};

Shdr read_shdr(const uint8_t* p) {
  return Shdr{load_le<uint32_t>(p),      load_le<uint32_t>(p + 4),  load_le<uint64_t>(p + 8),
              load_le<uint64_t>(p + 16), load_le<uint64_t>(p + 24), load_le<uint64_t>(p + 32),
              load_le<uint32_t>(p + 40), load_le<uint32_t>(p + 44), load_le<uint64_t>(p + 48),
              load_le<uint64_t>(p + 56)};
}

/// Translates a virtual address to physical through the segment that contains it.
uint64_t to_physical(const std::vector<ElfSegment>& segs, uint64_t vaddr) {
  for (const ElfSegment& s : segs) {
    if (vaddr >= s.vaddr && vaddr - s.vaddr < s.memsz) return s.paddr + (vaddr - s.vaddr);
  }
  return vaddr;
}

class Parser {
 public:
  Parser(std::span<const uint8_t> bytes, ElfImage& out, std::string& error)
      : b_(bytes), size_(bytes.size()), out_(out), error_(error) {}

  // The parts are kept out of each other (noinline): in the WebAssembly build the browser
  // optimizes a function once it has run a while, and the symbol loop alone is what runs.
  bool run() {
    out_ = ElfImage{};
    return header() && program_headers() && section_headers();
  }

 private:
  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  [[gnu::noinline]] bool header() {
    if (size_ < 4 || std::memcmp(b_.data(),
                                 "\x7f"
                                 "ELF",
                                 4) != 0) {
      return fail("not an ELF file (bad magic number)");
    }
    if (size_ < kEhdrSize) return fail("truncated ELF header");
    const uint8_t* e = b_.data();
    if (e[4] == kElfClass32) {
      return fail("ELF is 32-bit (ELFCLASS32); only 64-bit RISC-V executables are supported");
    }
    if (e[4] != kElfClass64) return fail("invalid ELF class " + std::to_string(e[4]));
    if (e[5] == kElfData2Msb) {
      return fail("ELF is big-endian; RISC-V executables must be little-endian");
    }
    if (e[5] != kElfData2Lsb) return fail("invalid ELF data encoding " + std::to_string(e[5]));
    if (e[6] != 1) return fail("unsupported ELF identification version " + std::to_string(e[6]));

    const uint16_t type = load_le<uint16_t>(e + 16);
    const uint16_t machine = load_le<uint16_t>(e + 18);
    const uint32_t version = load_le<uint32_t>(e + 20);
    if (machine != kEmRiscv) {
      return fail("ELF is for machine " + std::to_string(machine) + " (" + machine_name(machine) +
                  "), not RISC-V");
    }
    switch (type) {
      case kEtExec: break;
      case kEtDyn:
        return fail(
            "ELF is a shared object or position-independent executable (ET_DYN); "
            "link a static, non-PIE executable (ET_EXEC)");
      case kEtRel: return fail("ELF is a relocatable object file (ET_REL), not an executable");
      case kEtCore: return fail("ELF is a core dump (ET_CORE), not an executable");
      default: return fail("unsupported ELF file type " + std::to_string(type));
    }
    if (version != 1) return fail("unsupported ELF version " + std::to_string(version));

    out_.entry_vaddr = load_le<uint64_t>(e + 24);
    phoff_ = load_le<uint64_t>(e + 32);
    shoff_ = load_le<uint64_t>(e + 40);
    out_.flags = load_le<uint32_t>(e + 48);
    const uint16_t ehsize = load_le<uint16_t>(e + 52);
    phentsize_ = load_le<uint16_t>(e + 54);
    phnum_ = load_le<uint16_t>(e + 56);
    shentsize_ = load_le<uint16_t>(e + 58);
    shnum_ = load_le<uint16_t>(e + 60);
    shstrndx_ = load_le<uint16_t>(e + 62);

    if (ehsize != kEhdrSize) return fail("invalid ELF header size " + std::to_string(ehsize));
    if (out_.flags & kEfRiscvRve) return fail("ELF is for the RV64E base ISA, not supported");
    return true;
  }

  [[gnu::noinline]] bool program_headers() {
    if (phnum_ == 0) return fail("ELF has no program headers, so nothing to load");
    if (phnum_ == kPnXnum) return fail("extended program header numbering is not supported");
    if (phentsize_ != kPhdrSize) {
      return fail("invalid program header entry size " + std::to_string(phentsize_));
    }
    if (!in_file(phoff_, uint64_t{phnum_} * kPhdrSize, size_)) {
      return fail("truncated program header table (offset " + hex(phoff_) + ", " +
                  std::to_string(phnum_) + " entries, file size " + std::to_string(size_) + ")");
    }
    uint64_t file_bytes = 0;  // sum of p_filesz over the PT_LOAD segments
    for (unsigned i = 0; i < phnum_; ++i) {
      const Phdr ph = read_phdr(b_.data() + phoff_ + uint64_t{i} * kPhdrSize);
      const std::string where = "program header " + std::to_string(i) + ": ";
      if (ph.type == kPtInterp || ph.type == kPtDynamic) {
        return fail(where + "ELF is dynamically linked; link a static executable");
      }
      if (ph.type != kPtLoad) continue;
      if (ph.filesz > ph.memsz) {
        return fail(where + "file size " + hex(ph.filesz) + " exceeds memory size " +
                    hex(ph.memsz));
      }
      if (!in_file(ph.offset, ph.filesz, size_)) {
        return fail(where + "segment data (offset " + hex(ph.offset) + ", size " + hex(ph.filesz) +
                    ") lies outside the file");
      }
      if (ph.align > 1 && (ph.align & (ph.align - 1)) != 0) {
        return fail(where + "alignment " + hex(ph.align) + " is not a power of two");
      }
      if (ph.memsz == 0) continue;
      if (ph.memsz - 1 > UINT64_MAX - ph.paddr) {
        return fail(where + "physical range " + hex(ph.paddr) + " + " + hex(ph.memsz) +
                    " wraps around the address space");
      }
      if (ph.memsz - 1 > UINT64_MAX - ph.vaddr) {
        return fail(where + "virtual range " + hex(ph.vaddr) + " + " + hex(ph.memsz) +
                    " wraps around the address space");
      }
      ElfSegment seg;
      seg.paddr = ph.paddr;
      seg.vaddr = ph.vaddr;
      seg.memsz = ph.memsz;
      // The segments' file data may not add up to more than the file: headers that all name the
      // same bytes would otherwise multiply the work (and, for the board, the copying).
      file_bytes += ph.filesz;
      if (file_bytes > size_) {
        return fail(where + "the loadable segments' file data add up to more than the file (" +
                    std::to_string(size_) + " bytes): segments share file bytes");
      }
      seg.data = b_.subspan(ph.offset, ph.filesz);
      seg.read = ph.flags & kPfR;
      seg.write = ph.flags & kPfW;
      seg.exec = ph.flags & kPfX;
      out_.segments.push_back(std::move(seg));
    }
    if (out_.segments.empty()) return fail("ELF has no loadable (PT_LOAD) segments");

    // Overlapping segments would make the image depend on load order: reject them.
    std::vector<const ElfSegment*> sorted;
    for (const ElfSegment& s : out_.segments) sorted.push_back(&s);
    std::sort(sorted.begin(), sorted.end(),
              [](const ElfSegment* a, const ElfSegment* b) { return a->paddr < b->paddr; });
    for (size_t i = 1; i < sorted.size(); ++i) {
      const ElfSegment& prev = *sorted[i - 1];
      if (sorted[i]->paddr - prev.paddr < prev.memsz) {
        return fail("loadable segments overlap at physical address " + hex(sorted[i]->paddr));
      }
    }
    out_.entry = to_physical(out_.segments, out_.entry_vaddr);
    return true;
  }

  [[gnu::noinline]] bool section_headers() {
    if (shoff_ == 0) {
      if (shnum_ != 0) return fail("section headers are counted but have no offset");
      return true;  // no section table: a stripped image without symbols
    }
    if (shnum_ == 0) return fail("extended section numbering is not supported");
    if (shentsize_ != kShdrSize) {
      return fail("invalid section header entry size " + std::to_string(shentsize_));
    }
    if (!in_file(shoff_, uint64_t{shnum_} * kShdrSize, size_)) {
      return fail("truncated section header table (offset " + hex(shoff_) + ", " +
                  std::to_string(shnum_) + " entries, file size " + std::to_string(size_) + ")");
    }
    if (shstrndx_ == kShnXindex) return fail("extended section numbering is not supported");
    if (shstrndx_ != kShnUndef && shstrndx_ >= shnum_) {
      return fail("section name table index " + std::to_string(shstrndx_) + " is out of range");
    }
    std::vector<Shdr> sections(shnum_);
    for (unsigned i = 0; i < shnum_; ++i) {
      sections[i] = read_shdr(b_.data() + shoff_ + uint64_t{i} * kShdrSize);
      const Shdr& sh = sections[i];
      if (sh.type != kShtNull && sh.type != kShtNobits && !in_file(sh.offset, sh.size, size_)) {
        return fail("section " + std::to_string(i) + ": contents (offset " + hex(sh.offset) +
                    ", size " + hex(sh.size) + ") lie outside the file");
      }
    }
    if (shstrndx_ != kShnUndef && sections[shstrndx_].type != kShtStrtab) {
      return fail("section name table (section " + std::to_string(shstrndx_) +
                  ") is not a string table");
    }
    for (unsigned i = 0; i < shnum_; ++i) {
      if (sections[i].type == kShtSymtab) return symbols(sections, i);  // at most one (gABI)
    }
    return true;
  }

  [[gnu::noinline]] bool symbols(const std::vector<Shdr>& sections, unsigned index) {
    const Shdr& symtab = sections[index];
    const std::string where = "symbol table (section " + std::to_string(index) + "): ";
    if (symtab.entsize != kSymSize) {
      return fail(where + "invalid entry size " + std::to_string(symtab.entsize));
    }
    if (symtab.size % kSymSize != 0) {
      return fail(where + "size " + hex(symtab.size) + " is not a multiple of the entry size");
    }
    if (symtab.link >= sections.size() || symtab.link == 0 ||
        sections[symtab.link].type != kShtStrtab) {
      return fail(where + "linked string table " + std::to_string(symtab.link) + " is invalid");
    }
    const Shdr& strtab = sections[symtab.link];
    const uint8_t* str = b_.data() + strtab.offset;  // bounds checked in section_headers()
    const uint64_t count = symtab.size / kSymSize;
    const uint64_t name_budget = kMaxNameBytesPerFileByte * size_ + kNameBytesSlack;
    uint64_t name_bytes = 0;                // bytes of the string table read so far
    for (uint64_t i = 1; i < count; ++i) {  // entry 0 is the reserved null symbol
      const uint8_t* s = b_.data() + symtab.offset + i * kSymSize;
      const uint32_t name = load_le<uint32_t>(s);
      const uint8_t info = s[4];
      const uint16_t shndx = load_le<uint16_t>(s + 6);
      const uint64_t value = load_le<uint64_t>(s + 8);
      auto sym = [i] { return "symbol " + std::to_string(i) + ": "; };  // for errors only
      if (name >= strtab.size) {
        return fail(sym() + "name offset " + std::to_string(name) +
                    " lies outside the string table");
      }
      // Never read more than the budget has left, so a crafted table costs linear time.
      const uint64_t budget_left = name_budget - name_bytes;
      const uint64_t window = std::min<uint64_t>(strtab.size - name, budget_left);
      const void* nul = std::memchr(str + name, 0, window);
      if (nul == nullptr) {
        if (window == strtab.size - name)
          return fail(sym() + "name is not terminated within the string table");
        return fail(sym() + "symbol names overlap so much that reading them would take more than " +
                    std::to_string(kMaxNameBytesPerFileByte) + " times the file's size");
      }
      name_bytes += static_cast<const uint8_t*>(nul) - (str + name) + 1;
      if (shndx >= shnum_ && shndx < kShnLoReserve) {
        return fail(sym() + "refers to section " + std::to_string(shndx) +
                    ", which does not exist");
      }
      if (shndx == kShnUndef) continue;
      const std::string text(reinterpret_cast<const char*>(str + name),
                             static_cast<const uint8_t*>(nul) - (str + name));
      if (text.empty()) continue;
      if (text == "tohost" && !out_.tohost) out_.tohost = to_physical(out_.segments, value);
      if (text == "fromhost" && !out_.fromhost) {
        out_.fromhost = to_physical(out_.segments, value);
      }
      const uint8_t type = info & 0xf, bind = info >> 4;
      const bool wanted = type == kSttFunc || type == kSttObject ||
                          (type == kSttNotype && (bind == kStbGlobal || bind == kStbWeak));
      if (wanted) out_.symbols.emplace(text, value);
    }
    return true;
  }

  std::span<const uint8_t> b_;
  uint64_t size_;
  ElfImage& out_;
  std::string& error_;
  uint64_t phoff_ = 0, shoff_ = 0;
  uint16_t phentsize_ = 0, phnum_ = 0, shentsize_ = 0, shnum_ = 0, shstrndx_ = 0;
};

}  // namespace

bool parse_elf(std::span<const uint8_t> bytes, ElfImage& out, std::string& error) {
  return Parser(bytes, out, error).run();
}

}  // namespace glassvm
