// The command line's disk: a BlockStorage over an image file (-drive, see cli/drive.h).
//
// Design note: reads and writes go straight to the file with pread/pwrite, so an image larger
// than host memory works and nothing is cached twice; flush() is fsync(). The size is fixed when
// the file is opened, as a disk's is.
#pragma once

#include <memory>
#include <string>

#include "engine/base/block_storage.h"

namespace glassvm {

/// Block storage backed by an image file.
class FileBlockStorage final : public BlockStorage {
 public:
  /// Opens `path` for reading and writing (or reading only, with `read_only`). Returns nullptr
  /// with a message naming the file in `error` if it cannot be opened or is not a regular
  /// file.
  static std::unique_ptr<FileBlockStorage> open(const std::string& path, bool read_only,
                                                std::string& error);
  ~FileBlockStorage() override;
  FileBlockStorage(const FileBlockStorage&) = delete;
  FileBlockStorage& operator=(const FileBlockStorage&) = delete;

  uint64_t size() const override { return size_; }
  bool read_only() const override { return read_only_; }
  bool read(uint64_t offset, std::span<uint8_t> out) override;
  bool write(uint64_t offset, std::span<const uint8_t> data) override;
  bool flush() override;

 private:
  FileBlockStorage(int fd, uint64_t size, bool read_only)
      : fd_(fd), size_(size), read_only_(read_only) {}

  int fd_;
  uint64_t size_;
  bool read_only_;
};

}  // namespace glassvm
