#include "ui/machine_view.h"

#include <algorithm>

namespace glassvm::ui {

std::string check_ram_mib(unsigned mib) {
  if (mib == 0 || mib > kMaxRamMib) {
    return "Memory size " + std::to_string(mib) + " MiB is not supported: choose 1 to " +
           std::to_string(kMaxRamMib) + " MiB.";
  }
  return "";
}

std::string check_disk_bytes(uint64_t bytes, const std::string& name) {
  constexpr uint64_t kSector = 512;
  if (bytes == 0 || bytes > (uint64_t{kMaxDiskMib} << 20)) {
    return "Disk " + name + ": " + std::to_string(bytes) + " bytes is not supported: choose " +
           "512 bytes to " + std::to_string(kMaxDiskMib) + " MiB.";
  }
  if (bytes % kSector != 0) {
    return "Disk " + name + ": " + std::to_string(bytes) +
           " bytes is not a whole number of 512-byte sectors.";
  }
  return "";
}

void MessageLog::add(std::string message) {
  if (message.empty()) return;
  if (messages_.size() == kMax) messages_.erase(messages_.begin());
  messages_.push_back(std::move(message));
}

void GuestCatalog::add_bundled(const std::string& name) {
  if (std::find(bundled_.begin(), bundled_.end(), name) == bundled_.end()) bundled_.push_back(name);
}

void GuestCatalog::remember(const std::string& name, GuestImage image) {
  images_[name] = std::move(image);
}

const GuestImage* GuestCatalog::find(const std::string& name) const {
  auto it = images_.find(name);
  return it == images_.end() ? nullptr : &it->second;
}

std::vector<GuestChoice> GuestCatalog::choices() const {
  std::vector<GuestChoice> out;
  for (const std::string& name : bundled_) out.push_back({name, true, find(name) != nullptr});
  for (const auto& [name, bytes] : images_) {
    if (std::find(bundled_.begin(), bundled_.end(), name) == bundled_.end())
      out.push_back({name, false, true});
  }
  return out;
}

}  // namespace glassvm::ui
