// Guest RAM blocks (engine/base/host_ram.h): reused blocks are zeroed exactly where they were
// touched, and every way a guest or the host writes RAM notes the chunk it writes.
#include "engine/base/host_ram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "engine/board/machine.h"
#include "tests/support/elf_writer.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

constexpr size_t kMiB = size_t{1} << 20;
constexpr uint64_t kChunk = HostRam::kChunkSize;

/// Turns the pool on for one test (natively it is off) and empties it afterwards.
struct Pooling {
  Pooling() {
    set_host_ram_pooling(false);
    set_host_ram_pooling(true);
  }
  ~Pooling() { set_host_ram_pooling(false); }
};

bool all_zero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

TEST(HostRam, ReuseZeroesExactlyTheTouchedChunks) {
  Pooling pooling;
  uint8_t* data = nullptr;
  {
    HostRam ram = HostRam::allocate(4 * kMiB);
    data = ram.data();
    ASSERT_TRUE(all_zero(ram.data(), ram.size()));
    ram.note_touched(0, 1);
    ram.data()[0] = 0xaa;
    ram.note_touched(5 * kChunk + 100, 2 * kChunk);  // spans chunks 5, 6 and 7
    std::memset(ram.data() + 5 * kChunk + 100, 0xbb, 2 * kChunk);
    // Written behind the record's back: a reuse must leave it alone (it zeroes only what it
    // was told about, so that untouched pages stay untouched).
    ram.data()[9 * kChunk] = 0xcc;
    EXPECT_TRUE(ram.chunk_touched(0));
    EXPECT_TRUE(ram.chunk_touched(7));
    EXPECT_FALSE(ram.chunk_touched(8));
  }
  const HostRamPoolStats before = host_ram_pool_stats();
  EXPECT_EQ(before.pooled_bytes, 4 * kMiB);
  HostRam again = HostRam::allocate(4 * kMiB);
  ASSERT_EQ(again.data(), data) << "the given-back block is reused";
  const HostRamPoolStats after = host_ram_pool_stats();
  EXPECT_EQ(after.reused_blocks, before.reused_blocks + 1);
  EXPECT_EQ(after.zeroed_chunks, before.zeroed_chunks + 4);  // chunks 0, 5, 6, 7
  EXPECT_EQ(after.pooled_bytes, 0u);
  EXPECT_TRUE(all_zero(again.data(), 9 * kChunk));
  EXPECT_EQ(again.data()[9 * kChunk], 0xcc);
  again.data()[9 * kChunk] = 0;
  EXPECT_FALSE(again.chunk_touched(0)) << "a reused block starts with a clean record";
}

TEST(HostRam, ASmallerRequestTakesALargerBlockAndGivesAllOfItBack) {
  Pooling pooling;
  { HostRam big = HostRam::allocate(8 * kMiB); }
  {
    HostRam small = HostRam::allocate(2 * kMiB);
    EXPECT_EQ(small.size(), 2 * kMiB);
    EXPECT_EQ(host_ram_pool_stats().pooled_bytes, 0u);
  }
  EXPECT_EQ(host_ram_pool_stats().pooled_bytes, 8 * kMiB);
  // A request larger than every pooled block takes fresh memory.
  const size_t fresh = host_ram_pool_stats().fresh_blocks;
  HostRam bigger = HostRam::allocate(16 * kMiB);
  EXPECT_EQ(host_ram_pool_stats().fresh_blocks, fresh + 1);
  EXPECT_TRUE(all_zero(bigger.data(), bigger.size()));
}

TEST(HostRam, SmallBlocksAreNotPooled) {
  Pooling pooling;
  { HostRam rom = HostRam::allocate(64 * 1024); }
  EXPECT_EQ(host_ram_pool_stats().pooled_bytes, 0u);
}

/// An ELF whose code stores to 0x81000000 and adds with an AMO at 0x81010000 (16 MiB past its
/// own image, so no loader write notes those chunks), then spins.
std::vector<uint8_t> far_writer() {
  const uint32_t code[] = {
      0x00100293,  // addi t0, x0, 1
      0x01f29293,  // slli t0, t0, 31          t0 = 0x80000000
      0x01000337,  // lui t1, 0x1000           t1 = 0x01000000
      0x006282b3,  // add t0, t0, t1           t0 = 0x81000000
      0x0052b023,  // sd t0, 0(t0)
      0x00010337,  // lui t1, 0x10
      0x006283b3,  // add t2, t0, t1           t2 = 0x81010000
      0x0053b02f,  // amoadd.d x0, t0, (t2)
      0x0000006f,  // j .
  };
  testing::ElfWriter w;
  std::vector<uint8_t> bytes(sizeof code);
  std::memcpy(bytes.data(), code, sizeof code);
  w.segs.push_back({0x80000000ull, 0x80000000ull, bytes.size(), bytes, 5});
  return w.build();
}

std::vector<uint8_t> read_guest(const std::string& name) {
  std::ifstream f(std::string(GLASSVM_GUEST_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(f) << "missing guest " << name;
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Guests that write RAM through every path the CPU has (M-mode stores, S-mode and U-mode
// stores through page tables, A/D updates of page-table entries, AMOs), the loader, and DMA
// through the address space: the next machine, built on the same block, sees only zeros.
TEST(HostRam, ANewMachineOnAReusedBlockSeesOnlyZeros) {
  Pooling pooling;
  testing::TestHost host;
  MachineConfig config;
  config.ram_size = 32 * kMiB;
  std::string error;
  const uint8_t* block = nullptr;
  for (const char* guest : {"far_writer", "test_paging.elf", "test_umode.elf", "test_rv64a.elf",
                            "bench_sv39_small.elf", "test_rv64i.elf"}) {
    SCOPED_TRACE(guest);
    std::unique_ptr<Machine> m = Machine::create(config, host, error);
    ASSERT_TRUE(m) << error;
    const MemoryRegion& ram = m->ram();
    if (block != nullptr) {
      EXPECT_EQ(ram.ram_ptr(), block) << "the block was reused";
    }
    block = ram.ram_ptr();
    const std::string name = guest;
    ASSERT_TRUE(
        m->load_kernel(name == "far_writer" ? far_writer() : read_guest(guest), guest, error))
        << error;
    for (int i = 0; i < 200 && !m->exited(); ++i) m->run(100'000);
    // DMA-style writes through the CPU's address space, at the top of RAM.
    const uint8_t junk[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    ASSERT_EQ(m->cpu_as().write(0x80000000ull + config.ram_size - 4096, junk, sizeof junk),
              MemTxResult::Ok);
    // The record is complete: every chunk holding a nonzero byte was noted.
    size_t written = 0;
    for (size_t c = 0; c < config.ram_size / kChunk; ++c) {
      if (all_zero(ram.ram_ptr() + c * kChunk, kChunk)) continue;
      ++written;
      EXPECT_TRUE(ram.host_ram().chunk_touched(c)) << "chunk " << c << " was written unnoted";
    }
    EXPECT_GT(written, 0u);
    m.reset();
    // The block as the next machine gets it.
    HostRam next = HostRam::allocate(config.ram_size);
    ASSERT_EQ(next.data(), block);
    ASSERT_TRUE(all_zero(next.data(), next.size()))
        << "a block reused after the previous guest still holds its data";
  }
  EXPECT_GE(host_ram_pool_stats().reused_blocks, 4u);
}

}  // namespace
}  // namespace glassvm
