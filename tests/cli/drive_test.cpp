// -drive's storage: the image file as the guest's writes leave it (plain, readonly=on,
// snapshot=on), parse errors, and where if=virtio drives go in the board's device list.
#include "cli/drive.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli/file_block_storage.h"

namespace glassvm {
namespace {

std::string make_image(const std::string& name, size_t bytes) {
  const std::string path = ::testing::TempDir() + "glassvm_drive_" + name + ".img";
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  for (size_t i = 0; i < bytes; ++i) f.put(static_cast<char>(i % 251));
  return path;
}

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::unique_ptr<OpenDrive> open(const std::string& text) {
  DriveSpec spec;
  std::string error;
  EXPECT_TRUE(parse_drive(text, 0, spec, error)) << error;
  auto drive = open_drive(spec, error);
  EXPECT_TRUE(drive) << error;
  return drive;
}

TEST(FileBlockStorage, ReadsWritesAndFlushes) {
  const std::string path = make_image("file", 1536);
  std::string error;
  auto s = FileBlockStorage::open(path, false, error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->size(), 1536u);
  std::vector<uint8_t> out(4);
  ASSERT_TRUE(s->read(510, out));
  EXPECT_EQ(out, (std::vector<uint8_t>{510 % 251, 511 % 251, 512 % 251, 513 % 251}));
  EXPECT_FALSE(s->read(1535, out));  // beyond the end
  const std::vector<uint8_t> data = {1, 2, 3};
  ASSERT_TRUE(s->write(1000, data));
  ASSERT_TRUE(s->flush());
  EXPECT_EQ(slurp(path)[1001], 2);
  EXPECT_FALSE(FileBlockStorage::open("/nonexistent/disk.img", false, error));
  EXPECT_NE(error.find("/nonexistent/disk.img"), std::string::npos) << error;
}

TEST(Drive, PlainWriteReachesTheFile) {
  const std::string path = make_image("plain", 1024);
  auto d = open("file=" + path + ",format=raw,if=virtio");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->spec.id, "virtio0");
  EXPECT_FALSE(d->storage().read_only());
  const std::vector<uint8_t> data(512, 0xee);
  ASSERT_TRUE(d->storage().write(512, data));
  ASSERT_TRUE(d->storage().flush());
  EXPECT_EQ(slurp(path)[700], 0xee);
}

TEST(Drive, ReadonlyAndSnapshotLeaveTheFileUnchanged) {
  for (const char* opt : {"readonly=on", "snapshot=on"}) {
    const std::string path = make_image(opt[0] == 'r' ? "ro" : "snap", 1024);
    const std::vector<uint8_t> before = slurp(path);
    auto d = open("file=" + path + ",format=raw,id=disk," + opt);
    ASSERT_TRUE(d);
    const std::vector<uint8_t> data(512, 0xee);
    const bool wrote = d->storage().write(0, data);
    EXPECT_EQ(wrote, opt[0] == 's') << opt;  // readonly refuses; snapshot keeps it in memory
    EXPECT_EQ(d->storage().read_only(), opt[0] == 'r') << opt;
    if (wrote) {
      std::vector<uint8_t> out(512);
      ASSERT_TRUE(d->storage().read(0, out));
      EXPECT_EQ(out, data);
    }
    ASSERT_TRUE(d->storage().flush());
    d.reset();
    EXPECT_EQ(slurp(path), before) << opt;
  }
}

// -device options first, then the if=virtio drives, as QEMU queues them: the board fills the
// virtio-mmio slots from the last in this order, so with `-drive file=a -device
// virtio-rng-device` the entropy device is at 0x10008000 as on QEMU (which puts the disk on PCI).
TEST(Drive, BoardDevicesPutDeviceOptionsBeforeVirtioDrives) {
  DriveSpec a, b, c;
  std::string error;
  ASSERT_TRUE(parse_drive("file=a", 0, a, error)) << error;
  ASSERT_TRUE(parse_drive("file=b,if=none,id=nb", 1, b, error)) << error;
  ASSERT_TRUE(parse_drive("file=c", 1, c, error)) << error;
  EXPECT_EQ(board_devices({"virtio-rng-device", "virtio-blk-device,drive=nb"}, {a, b, c}),
            (std::vector<std::string>{"virtio-rng-device", "virtio-blk-device,drive=nb",
                                      "virtio-blk-device,drive=virtio0",
                                      "virtio-blk-device,drive=virtio1"}));
  EXPECT_EQ(board_devices({}, {a}), std::vector<std::string>{"virtio-blk-device,drive=virtio0"});
}

TEST(Drive, ParseErrors) {
  DriveSpec spec;
  std::string error;
  EXPECT_FALSE(parse_drive("format=raw", 0, spec, error));
  EXPECT_NE(error.find("file="), std::string::npos);
  EXPECT_FALSE(parse_drive("file=x,format=qcow2", 0, spec, error));
  EXPECT_NE(error.find("unsupported format 'qcow2'"), std::string::npos);
  EXPECT_FALSE(parse_drive("file=x,if=ide", 0, spec, error));
  EXPECT_NE(error.find("if=ide"), std::string::npos);
  EXPECT_FALSE(parse_drive("file=x,cache=none", 0, spec, error));
  EXPECT_NE(error.find("unknown option 'cache'"), std::string::npos);
  EXPECT_FALSE(parse_drive("file=x,readonly=maybe", 0, spec, error));
  ASSERT_TRUE(parse_drive("file=x,if=none,id=d", 3, spec, error)) << error;
  EXPECT_FALSE(spec.virtio);
  EXPECT_EQ(spec.id, "d");
}

}  // namespace
}  // namespace glassvm
