#include "cli/file_block_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

namespace glassvm {

std::unique_ptr<FileBlockStorage> FileBlockStorage::open(const std::string& path, bool read_only,
                                                         std::string& error) {
  const int fd = ::open(path.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return nullptr;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<FileBlockStorage>(
      new FileBlockStorage(fd, static_cast<uint64_t>(st.st_size), read_only));
}

FileBlockStorage::~FileBlockStorage() {
  ::close(fd_);
}

bool FileBlockStorage::read(uint64_t offset, std::span<uint8_t> out) {
  if (!in_range(offset, out.size(), size_) ||
      offset > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
    return false;
  }
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n =
        ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // an error, or the file shrank under us
    done += static_cast<size_t>(n);
  }
  return true;
}

bool FileBlockStorage::write(uint64_t offset, std::span<const uint8_t> data) {
  if (read_only_ || !in_range(offset, data.size(), size_) ||
      offset > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
    return false;
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n =
        ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

bool FileBlockStorage::flush() {
  if (read_only_) return true;
  while (::fsync(fd_) != 0) {
    if (errno != EINTR) return false;
  }
  return true;
}

}  // namespace glassvm
