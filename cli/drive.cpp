#include "cli/drive.h"

#include "cli/file_block_storage.h"
#include "engine/base/overlay_block_storage.h"

namespace glassvm {

namespace {

bool parse_on_off(const std::string& key, const std::string& value, bool& out, std::string& error) {
  if (value == "on" || value == "true") {
    out = true;
  } else if (value == "off" || value == "false") {
    out = false;
  } else {
    error = "-drive: " + key + "=" + value + ": expected 'on' or 'off'";
    return false;
  }
  return true;
}

}  // namespace

bool parse_drive(const std::string& text, unsigned index, DriveSpec& out, std::string& error) {
  out = DriveSpec{};
  std::string format;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = text.find(',', pos);
    const std::string item =
        text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const size_t eq = item.find('=');
    const std::string key = item.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : item.substr(eq + 1);
    if (eq == std::string::npos) {
      error = "-drive " + text + ": '" + item + "' is not KEY=VALUE";
      return false;
    } else if (key == "file") {
      out.file = value;
    } else if (key == "format") {
      format = value;
    } else if (key == "id") {
      out.id = value;
    } else if (key == "if") {
      if (value == "virtio") {
        out.virtio = true;
      } else if (value == "none") {
        out.virtio = false;
      } else {
        error = "-drive " + text + ": unsupported interface if=" + value +
                " (the virt board has 'virtio' and 'none')";
        return false;
      }
    } else if (key == "readonly") {
      if (!parse_on_off(key, value, out.read_only, error)) return false;
    } else if (key == "snapshot") {
      if (!parse_on_off(key, value, out.snapshot, error)) return false;
    } else {
      error = "-drive " + text + ": unknown option '" + key +
              "' (known: file, format, if, id, readonly, snapshot)";
      return false;
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (out.file.empty()) {
    error = "-drive " + text + ": needs file=PATH";
    return false;
  }
  if (!format.empty() && format != "raw") {
    error = "-drive " + text + ": unsupported format '" + format + "' (only raw images)";
    return false;
  }
  if (out.id.empty()) out.id = "virtio" + std::to_string(index);
  return true;
}

std::vector<std::string> board_devices(const std::vector<std::string>& devices,
                                       const std::vector<DriveSpec>& drives) {
  std::vector<std::string> out = devices;
  for (const DriveSpec& d : drives)
    if (d.virtio) out.push_back("virtio-blk-device,drive=" + d.id);
  return out;
}

std::unique_ptr<OpenDrive> open_drive(const DriveSpec& spec, std::string& error) {
  auto drive = std::make_unique<OpenDrive>();
  drive->spec = spec;
  // A snapshot never writes the file, so it is opened read-only too.
  drive->file = FileBlockStorage::open(spec.file, spec.read_only || spec.snapshot, error);
  if (!drive->file) return nullptr;
  if (spec.snapshot && !spec.read_only)
    drive->overlay = std::make_unique<OverlayBlockStorage>(*drive->file);
  return drive;
}

}  // namespace glassvm
