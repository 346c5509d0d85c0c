// Block storage: the disk behind a virtio-blk device.
//
// Design note: the engine never opens files. The embedder hands a device a BlockStorage: the
// command line one backed by an image file (cli/file_block_storage.h), the page one backed by a
// memory buffer (MemoryBlockStorage below, which the tests use too). Failures of the host
// (an I/O error, a short file) are returned as `false`; the device turns them into the error
// its specification defines (VIRTIO_BLK_S_IOERR), and the machine keeps running.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

namespace glassvm {

/// A disk: a fixed number of bytes, read and written at byte offsets. Implementations must not
/// throw.
class BlockStorage {
 public:
  virtual ~BlockStorage() = default;

  /// The size in bytes. It does not change while a device uses the storage.
  virtual uint64_t size() const = 0;
  /// Whether writes are refused (the device then offers a read-only disk to the guest).
  virtual bool read_only() const = 0;
  /// Reads `out.size()` bytes at `offset`. Returns false (contents of `out` unspecified) when
  /// the host fails or the range is not inside [0, size()).
  virtual bool read(uint64_t offset, std::span<uint8_t> out) = 0;
  /// Writes `data` at `offset`. Returns false when the storage is read-only, the host fails,
  /// or the range is not inside [0, size()).
  virtual bool write(uint64_t offset, std::span<const uint8_t> data) = 0;
  /// Makes completed writes durable. Returns false when the host fails.
  virtual bool flush() = 0;

 protected:
  /// Whether [offset, offset + len) lies inside a storage of `size` bytes (no overflow).
  static bool in_range(uint64_t offset, uint64_t len, uint64_t size) {
    return offset <= size && len <= size - offset;
  }
};

/// Block storage held in host memory: a disk image loaded by the page, or a test disk.
class MemoryBlockStorage final : public BlockStorage {
 public:
  /// A disk holding `bytes` (its size is bytes.size()).
  explicit MemoryBlockStorage(std::vector<uint8_t> bytes, bool read_only = false)
      : bytes_(std::move(bytes)), read_only_(read_only) {}

  uint64_t size() const override { return bytes_.size(); }
  bool read_only() const override { return read_only_; }
  bool read(uint64_t offset, std::span<uint8_t> out) override {
    if (!in_range(offset, out.size(), bytes_.size())) return false;
    if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
    return true;
  }
  bool write(uint64_t offset, std::span<const uint8_t> data) override {
    if (read_only_ || !in_range(offset, data.size(), bytes_.size())) return false;
    if (data.empty()) return true;
    std::memcpy(bytes_.data() + offset, data.data(), data.size());
    bytes_written_ += data.size();
    if (written_.empty()) written_.resize((bytes_.size() / kBlock + 64) / 64);
    for (uint64_t b = offset / kBlock; b <= (offset + data.size() - 1) / kBlock; ++b)
      written_[b / 64] |= uint64_t{1} << (b % 64);
    return true;
  }
  bool flush() override {
    flushes_++;
    return true;
  }

  /// The disk's contents, for the embedder (saving an edited image) and tests.
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  std::vector<uint8_t>& bytes() { return bytes_; }
  /// How many times flush() was called.
  uint64_t flushes() const { return flushes_; }
  /// How many bytes successful write() calls have stored (rewrites count again).
  uint64_t bytes_written() const { return bytes_written_; }

  /// The size of the blocks take_written_blocks() counts in.
  static constexpr uint64_t kBlock = 4096;
  /// The blocks (kBlock bytes each; the last one may be shorter) that write() has changed since
  /// the last call, in order; then forgets them. The page keeps a disk's changes this way.
  std::vector<uint64_t> take_written_blocks() {
    std::vector<uint64_t> out;
    for (size_t w = 0; w < written_.size(); ++w) {
      for (uint64_t bits = written_[w]; bits != 0; bits &= bits - 1)
        out.push_back(w * 64 + static_cast<uint64_t>(__builtin_ctzll(bits)));
      written_[w] = 0;
    }
    return out;
  }

 private:
  std::vector<uint8_t> bytes_;
  bool read_only_;
  uint64_t flushes_ = 0;
  uint64_t bytes_written_ = 0;
  std::vector<uint64_t> written_;  ///< one bit per kBlock block written since the last take
};

}  // namespace glassvm
