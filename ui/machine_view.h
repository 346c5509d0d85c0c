// The Machine panel's view model: guest choices, memory sizes, and the user-visible messages.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace glassvm::ui {

/// Memory sizes offered by the Machine panel, in MiB.
inline constexpr unsigned kRamChoicesMib[] = {16, 32, 64, 128, 256, 512, 1024};
/// The largest memory size accepted from any caller (a wasm32 heap holds at most 2 GiB).
inline constexpr unsigned kMaxRamMib = 1024;

/// Checks a memory size chosen by the user: 1..kMaxRamMib MiB. Returns "" when acceptable,
/// otherwise a message saying what is allowed.
std::string check_ram_mib(unsigned mib);

/// The largest disk the page attaches, in MiB: the disk lives in host memory (the wasm heap).
inline constexpr unsigned kMaxDiskMib = 256;

/// Checks the size of a disk chosen by the user: a whole number of 512-byte sectors, at least
/// one, at most kMaxDiskMib MiB. Returns "" when acceptable, otherwise a message naming `name`
/// and saying what is allowed.
std::string check_disk_bytes(uint64_t bytes, const std::string& name);

/// User-visible error and status messages, oldest first, at most kMax (older ones drop out).
class MessageLog {
 public:
  static constexpr size_t kMax = 64;
  /// Appends a message; empty messages are ignored.
  void add(std::string message);
  const std::vector<std::string>& all() const { return messages_; }
  void clear() { messages_.clear(); }

 private:
  std::vector<std::string> messages_;
};

/// What a guest boots from: a bare-metal ELF (kernel only), or a kernel (a Linux Image or an ELF
/// kernel) with an optional initramfs and command line, booted with the built-in SBI.
struct GuestImage {
  std::vector<uint8_t> kernel;
  std::vector<uint8_t> initrd;  ///< empty: none
  std::string append;           ///< the kernel command line
  size_t size() const { return kernel.size() + initrd.size(); }
};

/// One entry of the guest selector.
struct GuestChoice {
  std::string name;
  bool bundled = false;  ///< shipped with GlassVM (fetched by the page on demand)
  bool cached = false;   ///< its bytes are in memory, so choosing it needs no download
};

/// The guests the user can choose from: the bundled programs (by name) and every image that
/// has been loaded successfully (bundled or the user's own), whose bytes are kept so that
/// switching back costs no download.
class GuestCatalog {
 public:
  /// Registers a bundled guest by file name (duplicates are ignored).
  void add_bundled(const std::string& name);
  /// Keeps a successfully loaded image under `name` (replacing an older one).
  void remember(const std::string& name, GuestImage image);
  /// The kept image of `name`, or null.
  const GuestImage* find(const std::string& name) const;
  /// Bundled guests first (in registration order), then user images by name.
  std::vector<GuestChoice> choices() const;

 private:
  std::vector<std::string> bundled_;
  std::map<std::string, GuestImage> images_;
};

}  // namespace glassvm::ui
