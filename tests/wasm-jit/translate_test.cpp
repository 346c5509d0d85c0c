// The translator's output, natively: every module it makes for the bundled guest programs and
// the Linux kernel validates with wabt and binaryen, and representative translations match
// their reviewed wasm text (tests/wasm-jit/expect/*.wat). Running the modules is the job of
// the lockstep tests under node (tests/wasm-jit/node/jit_lockstep.cpp).
//
// To accept a change of the expected text: GLASSVM_UPDATE_EXPECT=1 ./translate_test, then
// review `git diff tests/wasm-jit/expect`.
#include <gtest/gtest.h>

#include <dirent.h>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/base/page.h"
#include "engine/board/elf_loader.h"
#include "engine/cpu/decode.h"
#include "tests/engine/cpu/cpu_test_machine.h"
#include "tests/wasm-jit/wasm_validate.h"
#include "wasm-jit/translate.h"
#include "wasm-jit/wasm_text.h"

namespace glassvm {
namespace {

using test::validate_wasm;

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

/// Entries as the cache would collect them for a page run from start to end: every
/// instruction start of a linear sweep, from offset 0 and from every 256th byte (to resync
/// after data).
std::vector<uint16_t> sweep_entries(const uint8_t* page) {
  std::vector<bool> seen(kPageSize / 2);
  for (unsigned start = 0; start < kPageSize; start += 256) {
    for (unsigned o = start; o + 2 <= kPageSize;) {
      seen[o / 2] = true;
      uint16_t lo;
      std::memcpy(&lo, page + o, 2);
      o += insn_length(lo);
    }
  }
  std::vector<uint16_t> out;
  for (unsigned i = 0; i < seen.size(); ++i) {
    if (seen[i]) out.push_back(static_cast<uint16_t>(2 * i));
  }
  return out;
}

/// Translates every page of `image` (loaded at `base`), validating each module. Returns the
/// number of modules; failures are reported with their page.
unsigned translate_and_validate(const std::vector<uint8_t>& image, uint64_t base,
                                const std::string& what) {
  unsigned modules = 0;
  for (size_t p = 0; p < image.size(); p += kPageSize) {
    uint8_t page[kPageSize] = {};
    std::memcpy(page, image.data() + p, std::min<size_t>(kPageSize, image.size() - p));
    TranslateRequest req;
    req.guest_page = base + p;
    req.host = page;
    req.entries = sweep_entries(page);
    TranslateResult result;
    if (!translate_page(req, result)) continue;
    ++modules;
    std::string error;
    EXPECT_TRUE(validate_wasm(result.wasm, error))
        << what << " page 0x" << std::hex << req.guest_page << ": " << error;
    EXPECT_FALSE(result.blocks.empty());
    EXPECT_GT(result.insns, 0u);
  }
  return modules;
}

TEST(TranslateTest, EveryModuleForTheGuestProgramsValidates) {
  DIR* dir = opendir(GLASSVM_GUEST_DIR);
  ASSERT_NE(dir, nullptr) << GLASSVM_GUEST_DIR;
  unsigned programs = 0, modules = 0;
  while (dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name.size() < 5 || name.substr(name.size() - 4) != ".elf") continue;
    const std::vector<uint8_t> bytes = read_file(std::string(GLASSVM_GUEST_DIR) + "/" + name);
    ElfImage elf;
    std::string error;
    ASSERT_TRUE(parse_elf(bytes, elf, error)) << name << ": " << error;
    for (const ElfSegment& seg : elf.segments) {
      const std::vector<uint8_t> data(seg.data.begin(), seg.data.end());
      modules += translate_and_validate(data, seg.paddr, name);
    }
    ++programs;
  }
  closedir(dir);
  EXPECT_GE(programs, 15u);
  EXPECT_GE(modules, 100u);
}

TEST(TranslateTest, EveryModuleForTheLinuxKernelValidates) {
  const std::vector<uint8_t> image = read_file(GLASSVM_LINUX_IMAGE);
  ASSERT_GT(image.size(), 1u << 20) << GLASSVM_LINUX_IMAGE;
  // The kernel's text: its first 1.5 MiB.
  const std::vector<uint8_t> text(image.begin(), image.begin() + (3 << 19));
  EXPECT_GE(translate_and_validate(text, 0x80200000, "Image"), 300u);
}

// -- Expect tests: RISC-V in, wasm text out --

using namespace test;  // the encoders of cpu_test_machine.h

struct ExpectCase {
  const char* name;
  std::vector<uint32_t> words;  ///< 32-bit instructions from offset 0
  std::vector<uint16_t> entries;
  uint32_t max_blocks_per_function = TranslateRequest{}.max_blocks_per_function;
};

std::string expect_path(const char* name) {
  return std::string(GLASSVM_SOURCE_DIR) + "/tests/wasm-jit/expect/" + name + ".wat";
}

void check_expect(const ExpectCase& c) {
  uint8_t page[kPageSize] = {};
  std::memcpy(page, c.words.data(), c.words.size() * 4);
  TranslateRequest req;
  req.guest_page = 0x80000000;
  req.host = page;
  req.entries = c.entries;
  req.max_blocks_per_function = c.max_blocks_per_function;
  TranslateResult result;
  ASSERT_TRUE(translate_page(req, result)) << c.name;
  std::string error;
  ASSERT_TRUE(validate_wasm(result.wasm, error)) << c.name << ": " << error;
  std::string text;
  ASSERT_TRUE(wasm_to_text(result.wasm, text, error)) << error;
  const std::string actual = ";; " + std::string(c.name) + "\n" + [&] {
    std::string out;
    size_t start = 0;
    const std::string& r = result.riscv;
    while (start < r.size()) {
      const size_t end = r.find('\n', start);
      out += ";; " + r.substr(start, end - start) + "\n";
      start = end + 1;
    }
    return out;
  }() + text;
  const std::string path = expect_path(c.name);
  if (std::getenv("GLASSVM_UPDATE_EXPECT") != nullptr) {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  const std::vector<uint8_t> expected = read_file(path);
  EXPECT_EQ(std::string(expected.begin(), expected.end()), actual)
      << "the translation of " << c.name << " changed; if that is intended, run with "
      << "GLASSVM_UPDATE_EXPECT=1 and review the diff of " << path;
}

TEST(TranslateExpectTest, ALoopOfOneBlockBranchesToItself) {
  // a0 = sum of 1..a1: loop: add a0,a0,a1; addi a1,a1,-1; bnez a1, loop; ret
  check_expect(
      {"loop",
       {addi(10, 0, 0), op(0, 0, 10, 10, 11), addi(11, 11, -1), bne(11, 0, -8), jalr(0, 1, 0)},
       {0}});
}

TEST(TranslateExpectTest, ALoopWhoseTestComesLastIsAWasmLoopFromItsTest) {
  // As compilers lay out `for (a0 = 0; a0 < a2; a0++) if (a0 & 1) a1 += a0;`: a jump to the
  // test at 20, the body at 8 (with a forward branch), the test branching back to the body.
  // The test comes first in the order and heads the loop; both edges back to it go round it.
  check_expect({"rotated_loop",
                {addi(10, 0, 0), jal(0, 16), andi(5, 10, 1), beq(5, 0, 8), op(0, 0, 11, 11, 10),
                 addi(10, 10, 1), blt(10, 12, -16), jalr(0, 1, 0)},
                {0}});
}

TEST(TranslateExpectTest, AnInnerLoopIsAFunctionOfItsOwnThatReturnsWhereToGoOn) {
  // a0 = 0; do { a1 = 10; do { a0 += a1; a1--; } while (a1); a2--; } while (a2); ret
  // With functions of at most one block, the inner loop (at 8) is a nest: run keeps no
  // registers in locals and calls it, and it returns the offset after it (20), or -1 when it
  // has left.
  check_expect({"nest",
                {addi(10, 0, 0), addi(11, 0, 10), op(0, 0, 10, 10, 11), addi(11, 11, -1),
                 bne(11, 0, -8), addi(12, 12, -1), bne(12, 0, -20), jalr(0, 1, 0)},
                {0},
                1});
}

TEST(TranslateExpectTest, LoadsAndStoresCheckTheTlbInline) {
  // ld a2,8(a0); lw a3,4(a0); sb a2,0(a1); sd a3,16(a1); ret
  check_expect({"memory",
                {ld(12, 10, 8), lw(13, 10, 4), sb(12, 11, 0), sd(13, 11, 16), jalr(0, 1, 0)},
                {0}});
}

TEST(TranslateExpectTest, CallsLeaveAndTheReturnPointIsABlock) {
  // jal ra, +0x100 (out of the block); addi a0,a0,1; csrr a1, mstatus; divu a0,a0,a1; ecall
  check_expect({"call_csr_ecall",
                {jal(1, 0x100), addi(10, 10, 1), csrrs(11, 0x300, 0), op(1, 5, 10, 10, 11), kEcall},
                {0}});
}

TEST(TranslateExpectTest, TheBlocksOfAPageAreItsEntriesAndWhatTheyReach) {
  uint8_t page[kPageSize] = {};
  const uint32_t words[] = {beq(10, 11, 12), addi(10, 10, 1), jal(0, -8), kWfi, addi(1, 1, 1)};
  std::memcpy(page, words, sizeof words);
  TranslateRequest req;
  req.host = page;
  req.entries = {0, 16};  // 16: the addi after the WFI
  TranslateResult result;
  ASSERT_TRUE(translate_page(req, result));
  // 0 (entry), 4 (fall-through), 12 (branch target: the WFI, left to the interpreter, so no
  // block), 16 (entry).
  EXPECT_EQ(result.blocks, (std::vector<uint16_t>{0, 4, 16}));
  req.entries = {12};  // only the WFI: nothing to translate
  EXPECT_FALSE(translate_page(req, result));
}

TEST(TranslateExpectTest, TheCasesAfterAJumpTableAreBlocksAndNothingAfterAReturn) {
  // jr a4; case: addi a0,a0,1; j 0; case: addi a0,a0,2; j 0; case: addi a0,a0,3; ret;
  // addi a0,a0,4 (after the return: not a case).
  uint8_t page[kPageSize] = {};
  uint32_t words[] = {jalr(0, 14, 0), addi(10, 10, 1), jal(0, -8),    addi(10, 10, 2),
                      jal(0, -16),    addi(10, 10, 3), jalr(0, 1, 0), addi(10, 10, 4)};
  std::memcpy(page, words, sizeof words);
  TranslateRequest req;
  req.host = page;
  req.entries = {0};
  TranslateResult result;
  ASSERT_TRUE(translate_page(req, result));
  EXPECT_EQ(result.blocks, (std::vector<uint16_t>{0, 4, 12, 20}));
  // A return (jalr x0, ra) is no jump table: nothing after it is a block.
  words[0] = jalr(0, 1, 0);
  std::memcpy(page, words, sizeof words);
  ASSERT_TRUE(translate_page(req, result));
  EXPECT_EQ(result.blocks, (std::vector<uint16_t>{0}));
}

TEST(TranslateTest, LoopsNestedAsDeepAsThePageAllowsStayBoundedAndValid) {
  // The page's second half branches back into its first: the branch at 2048 + 4j goes to
  // 4 * (511 - j), so the loops nest 512 deep, each with a br_table of its own.
  uint8_t page[kPageSize];
  for (unsigned j = 0; j < 512; ++j) {
    const uint32_t add = addi(10, 10, 1);
    std::memcpy(page + 4 * j, &add, 4);
    const int32_t back = static_cast<int32_t>(4 * (511 - j)) - static_cast<int32_t>(2048 + 4 * j);
    const uint32_t b = bne(10, 11, back);
    std::memcpy(page + 2048 + 4 * j, &b, 4);
  }
  TranslateRequest req;
  req.host = page;
  req.entries = {1792, 2048 + 4 * 64};  // the 64 innermost loops, whole
  TranslateResult result;
  ASSERT_TRUE(translate_page(req, result));
  EXPECT_GT(result.blocks.size(), 128u);
  EXPECT_LT(result.wasm.size(), 2u * req.max_bytes);
  std::string error;
  EXPECT_TRUE(validate_wasm(result.wasm, error)) << error;
}

TEST(TranslateTest, AnInstructionStraddlingThePageEndIsNotTranslated) {
  uint8_t page[kPageSize] = {};
  const uint32_t add = addi(10, 10, 1);
  std::memcpy(page + kPageSize - 6, &add, 4);
  std::memcpy(page + kPageSize - 2, &add, 2);  // the low half of a 32-bit instruction
  TranslateRequest req;
  req.host = page;
  req.entries = {kPageSize - 6};
  TranslateResult result;
  ASSERT_TRUE(translate_page(req, result));
  EXPECT_EQ(result.insns, 1u);
  std::string error;
  EXPECT_TRUE(validate_wasm(result.wasm, error)) << error;
}

TEST(TranslateTest, ABudgetOfBlocksBoundsTheModule) {
  // A page of short blocks: every instruction a branch to the next.
  uint8_t page[kPageSize];
  for (unsigned o = 0; o < kPageSize; o += 4) {
    const uint32_t w = beq(10, 11, 4);
    std::memcpy(page + o, &w, 4);
  }
  TranslateRequest req;
  req.host = page;
  req.entries = {0};
  req.max_blocks = 100;
  TranslateResult result;
  ASSERT_TRUE(translate_page(req, result));
  EXPECT_LE(result.blocks.size(), 100u);
  req.max_blocks = 2000;
  req.max_bytes = 4096;
  ASSERT_TRUE(translate_page(req, result));
  EXPECT_LT(result.wasm.size(), 4096u + 8192u);  // the br_table and the last block past the cap
  std::string error;
  EXPECT_TRUE(validate_wasm(result.wasm, error)) << error;
}

}  // namespace
}  // namespace glassvm
