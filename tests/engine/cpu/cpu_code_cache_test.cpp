// Code cache tests: the decoded-code cache stays within its bound on a guest that executes
// code in far more pages than the bound, and evicted pages decode again correctly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>

#include "engine/cpu/cpu.h"
#include "engine/memory/memory.h"
#include "tests/engine/cpu/cpu_test_machine.h"

namespace glassvm::test {
namespace {

class CpuCodeCache : public ::testing::Test {
 protected:
  // 32 MiB: 8192 pages, 16 times the bound. RAM is calloc'ed, so only the pages the test
  // writes cost host memory.
  static constexpr uint64_t kRamBase = 0x80000000, kRamSize = 32ull << 20;
  static constexpr uint64_t kPages = kRamSize / 4096;

  CpuCodeCache() {
    root_.init_container("system", MemoryRegion::kWholeSpace);
    ram_.init_ram("ram", kRamSize);
    root_.add_subregion(kRamBase, &ram_);
    as_ = std::make_unique<AddressSpace>("cpu", &root_);
    cpu_ = std::make_unique<Cpu>(*as_, 0);
    cpu_->reset(kRamBase);
  }
  ~CpuCodeCache() override {
    cpu_.reset();
    as_.reset();
    root_.del_subregion(&ram_);
  }
  void put(uint64_t addr, uint32_t insn) { ASSERT_EQ(as_->store(addr, 4, insn), MemTxResult::Ok); }

  /// Runs `steps` steps in slices, checking the bound after each slice.
  void run_checked(uint64_t steps) {
    constexpr uint64_t kSlice = 1000;
    for (uint64_t done = 0; done < steps; done += kSlice) {
      ASSERT_EQ(cpu_->run(std::min(kSlice, steps - done)), RunExit::Budget);
      const CodeCacheStats s = cpu_->code_cache_stats();
      ASSERT_LE(s.live_pages, s.capacity);
    }
  }

  MemoryRegion root_, ram_;
  std::unique_ptr<AddressSpace> as_;
  std::unique_ptr<Cpu> cpu_;
};

TEST_F(CpuCodeCache, OneInstructionPerPageOfALargeRamStaysWithinTheBound) {
  // Page i: addi a0,a0,1 ; jal x0, +4092 (to page i+1). The last page jumps back to the first.
  for (uint64_t i = 0; i < kPages; ++i) {
    const uint64_t page = kRamBase + i * 4096;
    put(page, addi(a0, a0, 1));
    put(page + 4, i + 1 < kPages ? jal(zero, 4092) : jalr(zero, a1, 0));
  }
  cpu_->set_reg(a1, kRamBase);
  const CodeCacheStats before = cpu_->code_cache_stats();
  ASSERT_GT(before.capacity, 0u);
  ASSERT_LT(before.capacity, kPages) << "the test must visit more pages than the cache holds";

  run_checked(2 * kPages);  // one lap
  EXPECT_EQ(cpu_->reg(a0), kPages);
  EXPECT_EQ(cpu_->pc(), kRamBase);
  const CodeCacheStats lap1 = cpu_->code_cache_stats();
  EXPECT_EQ(lap1.live_pages, lap1.capacity);
  EXPECT_EQ(lap1.evictions, kPages - lap1.capacity);

  // Second lap: every page was evicted and decodes again; one page is changed meanwhile.
  put(kRamBase + 5 * 4096, addi(a0, a0, 100));
  run_checked(2 * kPages);
  EXPECT_EQ(cpu_->reg(a0), 2 * kPages + 99);
  EXPECT_EQ(cpu_->pc(), kRamBase);
  EXPECT_EQ(cpu_->steps(), 4 * kPages);
  EXPECT_LE(cpu_->code_cache_stats().live_pages, lap1.capacity);
}

TEST_F(CpuCodeCache, HotLoopSurvivesStreamingThroughOtherPages) {
  // A hot page calls out to a cold page each iteration; the cold pages stream through the
  // cache. The hot page is entered every iteration, so the clock gives it a second chance
  // and the loop's result stays exact whichever pages were evicted.
  const uint64_t hot = kRamBase;
  // hot: a2 = cold page address; loop: jalr ra, a2 ; a2 += 4096 ; bne a2, a3, loop ; ebreak
  put(hot + 0, jalr(ra, a2, 0));
  put(hot + 4, addi(a0, a0, 1));
  put(hot + 8, lui(t0, 1));
  put(hot + 12, op(0, 0, a2, a2, t0));  // add a2, a2, t0
  put(hot + 16, bne(a2, a3, -16));
  put(hot + 20, jal(zero, 0));
  for (uint64_t i = 1; i < kPages; ++i) put(kRamBase + i * 4096, jalr(zero, ra, 0));
  cpu_->set_reg(a2, kRamBase + 4096);
  cpu_->set_reg(a3, kRamBase + kRamSize);
  run_checked(6 * (kPages - 1));
  EXPECT_EQ(cpu_->reg(a0), kPages - 1);
  EXPECT_EQ(cpu_->pc(), hot + 20);
  // Each page was decoded once: the hot page was never the victim.
  const CodeCacheStats s = cpu_->code_cache_stats();
  EXPECT_EQ(s.evictions, kPages - s.capacity);
}

}  // namespace
}  // namespace glassvm::test
