#include "cli/replay.h"

#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine/base/snapshot.h"

namespace glassvm {

namespace {

/// The most a guest file may unpack to (a kernel, an initramfs, a snapshot).
constexpr uint64_t kMaxGuestFile = 1ull << 30;
/// The most a session file may hold.
constexpr uint64_t kMaxSessionFile = 16 << 20;

/// The string value of `"key": "value"` in a bundled guest's manifest (flat JSON of strings,
/// without escapes), or "" when it has none.
std::string manifest_field(const std::string& json, const std::string& key) {
  const std::string quoted = "\"" + key + "\"";
  size_t at = json.find(quoted);
  if (at == std::string::npos) return "";
  at = json.find_first_not_of(" \t\r\n", at + quoted.size());
  if (at == std::string::npos || json[at] != ':') return "";
  at = json.find_first_not_of(" \t\r\n", at + 1);
  if (at == std::string::npos || json[at] != '"') return "";
  const size_t end = json.find('"', at + 1);
  if (end == std::string::npos) return "";
  const std::string value = json.substr(at + 1, end - at - 1);
  return value.find('\\') == std::string::npos ? value : "";
}

/// Reads a guest file of the bundle, unpacking it if it is gzip.
bool read_guest_file(const std::string& dir, const std::string& name, std::vector<uint8_t>& out,
                     std::string& error) {
  if (name.empty() || name[0] == '/' || name.find("..") != std::string::npos) {
    error = "bad file name '" + name + "' in the guest's manifest";
    return false;
  }
  std::vector<uint8_t> bytes;
  if (!read_whole_file(dir + "/" + name, kMaxGuestFile, bytes, error)) return false;
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b) {
    if (!gunzip_bytes(bytes, kMaxGuestFile, out)) {
      error = dir + "/" + name + ": damaged gzip data";
      return false;
    }
    return true;
  }
  out = std::move(bytes);
  return true;
}

std::string hex32(uint32_t v) {
  char buf[16];
  snprintf(buf, sizeof buf, "%08" PRIx32, v);
  return buf;
}

}  // namespace

std::string default_guests_dir() {
  return GLASSVM_GUESTS_DIR;
}

bool read_whole_file(const std::string& path, uint64_t max, std::vector<uint8_t>& out,
                     std::string& error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = path + ": is a directory";
    return false;
  }
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  const std::streamoff size = f.tellg();
  if (size < 0 || !f.seekg(0)) {
    error = path + ": cannot read (not a regular file?)";
    return false;
  }
  if (static_cast<uint64_t>(size) > max) {
    error = path + ": larger than " + std::to_string(max) + " bytes";
    return false;
  }
  // One read of the whole file (a kernel or initramfs is megabytes; a byte-wise stream
  // iterator costs tens of milliseconds of start-up).
  out.resize(static_cast<size_t>(size));
  if (!f.read(reinterpret_cast<char*>(out.data()), size)) {
    error = path + ": read error";
    return false;
  }
  return true;
}

bool read_link_argument(const std::string& arg, MachineLink& link, std::string& error) {
  std::error_code ec;
  const bool is_url = arg.find('#') != std::string::npos || arg.starts_with("link=");
  if (!is_url && std::filesystem::exists(arg, ec)) {
    std::vector<uint8_t> bytes;
    if (!read_whole_file(arg, kMaxSessionFile, bytes, error)) return false;
    const bool ok =
        looks_like_link(bytes)
            ? decode_link(bytes, link, error)
            : decode_link_text({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, link,
                               error);
    if (!ok) error = arg + ": " + error;
    return ok;
  }
  if (!is_url && arg.size() < 16) {
    error = arg + ": no such file, and too short to be a link";
    return false;
  }
  return decode_link_text(arg, link, error);
}

bool find_link_guest(const MachineLink& link, const std::string& dir, LinkGuest& out,
                     std::string& error) {
  if (link.guest.empty()) {
    out.kernel = link.program;
    if (link_guest_crc(out.kernel, {}) != link.guest_crc) {
      error = "the link's program does not match its checksum";
      return false;
    }
    return true;
  }
  const std::string elf = dir + "/" + link.guest;
  std::error_code ec;
  if (std::filesystem::exists(elf, ec) && !std::filesystem::is_directory(elf, ec) &&
      link.start == MachineLink::Start::Boot) {
    if (!read_guest_file(dir, link.guest, out.kernel, error)) return false;
  } else {
    const std::string manifest_path = dir + "/" + link.guest + ".json";
    std::vector<uint8_t> bytes;
    if (!read_whole_file(manifest_path, 1 << 16, bytes, error)) {
      error = "guest '" + link.guest + "' is not in " + dir + " (" + error +
              "; give the page bundle's guests directory with --guests DIR)";
      return false;
    }
    const std::string json(bytes.begin(), bytes.end());
    if (link.start == MachineLink::Start::Snapshot) {
      const std::string snapshot = manifest_field(json, "snapshot");
      if (snapshot.empty()) {
        error = manifest_path + " names no snapshot, which the link starts from";
        return false;
      }
      if (!read_guest_file(dir, snapshot, out.snapshot, error)) return false;
      if (crc32_of(out.snapshot) != link.guest_crc) {
        error = "the link starts from another " + link.guest + " snapshot than " + dir + "/" +
                snapshot + " (CRC-32 " + hex32(link.guest_crc) + ", this one's " +
                hex32(crc32_of(out.snapshot)) + ")";
        return false;
      }
      return true;
    }
    const std::string kernel = manifest_field(json, "kernel");
    if (kernel.empty()) {
      error = manifest_path + " names no kernel";
      return false;
    }
    if (!read_guest_file(dir, kernel, out.kernel, error)) return false;
    if (const std::string initrd = manifest_field(json, "initrd"); !initrd.empty())
      if (!read_guest_file(dir, initrd, out.initrd, error)) return false;
    out.append = manifest_field(json, "append");
  }
  if (link_guest_crc(out.kernel, out.initrd) != link.guest_crc) {
    error = "the link was made with another " + link.guest + " than the one in " + dir +
            " (CRC-32 " + hex32(link.guest_crc) + ", this one's " +
            hex32(link_guest_crc(out.kernel, out.initrd)) + ")";
    return false;
  }
  return true;
}

}  // namespace glassvm
