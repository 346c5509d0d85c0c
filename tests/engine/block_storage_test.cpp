// MemoryBlockStorage: reads and writes in range, and the record of written blocks the page
// keeps a disk's changes with.
#include "engine/base/block_storage.h"

#include <gtest/gtest.h>

#include <vector>

namespace glassvm {
namespace {

TEST(MemoryBlockStorage, RecordsTheBlocksWritten) {
  MemoryBlockStorage disk(std::vector<uint8_t>(5 * 4096 + 512));  // the last block is short
  EXPECT_TRUE(disk.take_written_blocks().empty());
  const std::vector<uint8_t> data(4098, 0xab);
  ASSERT_TRUE(disk.write(4095, data));                              // blocks 0, 1 and 2
  ASSERT_TRUE(disk.write(5 * 4096, std::vector<uint8_t>(512, 1)));  // the short last block
  ASSERT_TRUE(disk.write(8192, {}));                                // nothing written: no block
  EXPECT_EQ(disk.take_written_blocks(), (std::vector<uint64_t>{0, 1, 2, 5}));
  EXPECT_TRUE(disk.take_written_blocks().empty()) << "taken blocks are forgotten";
  EXPECT_FALSE(disk.write(5 * 4096 + 1, std::vector<uint8_t>(512, 1)));  // past the end
  EXPECT_TRUE(disk.take_written_blocks().empty());
  MemoryBlockStorage read_only(std::vector<uint8_t>(4096), true);
  EXPECT_FALSE(read_only.write(0, std::vector<uint8_t>(1, 1)));
  EXPECT_TRUE(read_only.take_written_blocks().empty());
}

}  // namespace
}  // namespace glassvm
