// The C functions behind window.glassvm (wrapped by web/glassvm.js). Strings go in as UTF-8
// C strings or (pointer, length) byte ranges allocated by JS with _malloc; strings come back as
// pointers into WebSession::scratch, which JS copies at once with UTF8ToString.
#include <emscripten.h>

#include <cinttypes>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/base/host_ram.h"
#include "engine/board/machine.h"
#include "engine/board/machine_link.h"
#include "ui/cpu_view.h"
#include "ui/iommu_state_view.h"
#include "ui/jit_view.h"
#include "ui/json_internal.h"
#include "ui/layout.h"
#include "ui/lessons.h"
#include "ui/machine_view.h"
#include "ui/translation_view.h"
#include "web/session.h"

namespace glassvm::web {
namespace {

WebSession* g_session = nullptr;  // the one bridge from JS into C++; see web/session.h

/// Largest RAM the page accepts, in MiB (the UI's limit; the wasm heap may grow to 4 GiB, room
/// for the old and the new machine's RAM during a rebuild).
constexpr unsigned kMaxRamMib = ui::kMaxRamMib;

/// The most rows glassvm.iommuMappings() returns (it says `truncated` beyond).
constexpr size_t kMaxJsMappingRows = 16384;

/// A device id from JS: a whole number that fits 32 bits, else nullopt.
std::optional<uint32_t> device_id(double device) {
  if (!(device >= 0 && device <= 0xffffffffu) ||
      device != static_cast<double>(static_cast<uint32_t>(device)))
    return std::nullopt;
  return static_cast<uint32_t>(device);
}

/// An IOMMU event's sequence number from JS: 0 for NaN and anything below 1, UINT64_MAX from
/// 2^64 up (casting a double beyond the range of uint64_t is undefined).
uint64_t sequence_number(double seq) {
  if (!(seq > 0)) return 0;
  return seq < 0x1p64 ? static_cast<uint64_t>(seq) : UINT64_MAX;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

const char* give(std::string text) {
  g_session->scratch = std::move(text);
  return g_session->scratch.c_str();
}

/// Parses a hex pc for the breakpoint calls; on malformed text records the error and returns
/// nothing.
std::optional<uint64_t> breakpoint_pc(const char* pc_hex) {
  const std::string text = pc_hex ? pc_hex : "";
  const std::optional<uint64_t> pc = glassvm::ui::parse_pc(text);
  if (!pc) g_session->last_error = "not a hexadecimal address: " + text;
  return pc;
}

}  // namespace

void set_session(WebSession* session) {
  g_session = session;
}

}  // namespace glassvm::web

using glassvm::web::g_session;

extern "C" {

/// 1 once main() has created the session (the exported functions work), else 0.
EMSCRIPTEN_KEEPALIVE int glassvm_session_ready() {
  return g_session != nullptr;
}

/// Loads a guest ELF (bytes owned by the caller). 1 on success; 0 with glassvm_last_error().
EMSCRIPTEN_KEEPALIVE int glassvm_load_elf(const uint8_t* data, size_t size, const char* name) {
  if (!g_session) return 0;
  std::string error;
  const std::string guest = name ? name : "guest";
  if (!g_session->app.load_guest(std::span<const uint8_t>(data, size), guest, error)) {
    g_session->last_error = error.empty() ? guest + ": could not be loaded" : error;
    return 0;
  }
  g_session->last_error.clear();
  return 1;
}

/// Boots a kernel (a Linux Image or an ELF kernel) with an optional initramfs (size 0: none)
/// and a command line, with the built-in SBI. Bytes are copied. 1 on success; 0 with
/// glassvm_last_error() (the running machine is then left as it was).
EMSCRIPTEN_KEEPALIVE int glassvm_load_boot(const uint8_t* kernel, size_t kernel_size,
                                           const uint8_t* initrd, size_t initrd_size,
                                           const char* append, const char* name) {
  if (!g_session) return 0;
  std::string error;
  const std::string guest = name ? name : "kernel";
  glassvm::ui::GuestImage image;
  if (kernel) image.kernel.assign(kernel, kernel + kernel_size);
  if (initrd) image.initrd.assign(initrd, initrd + initrd_size);
  image.append = append ? append : "";
  if (!g_session->app.load_guest(std::move(image), guest, error)) {
    g_session->last_error = error.empty() ? guest + ": could not be loaded" : error;
    return 0;
  }
  g_session->last_error.clear();
  return 1;
}

/// Replaces the machine with one restored from a snapshot (bytes owned by the caller; `name`
/// for messages). 1 on success; 0 with glassvm_last_error() (the running machine is then left
/// as it was).
EMSCRIPTEN_KEEPALIVE int glassvm_load_snapshot(const uint8_t* data, size_t size, const char* name) {
  if (!g_session) return 0;
  std::string error;
  if (!g_session->app.load_snapshot(std::span<const uint8_t>(data, size), name ? name : "snapshot",
                                    error)) {
    g_session->last_error = error;
    return 0;
  }
  g_session->last_error.clear();
  return 1;
}

namespace {

// Copies the `size` bytes at `offset` of the section the page holds as number `index` into
// `out` (glassvm.js: loadSnapshot); 0 when it cannot.
EM_JS(int, js_copy_held, (int index, double offset, uint8_t* out, double size), {
  return Module["onGlassvmCopyHeld"] ? Module["onGlassvmCopyHeld"](index, offset, out, size) : 0;
});

}  // namespace

/// glassvm_load_snapshot, with sections the download worker unpacked while the file arrived
/// and the page holds (SnapshotFile::Prepared): `sections` lists them as records of u8 name
/// length, the name and the u64 unpacked length (little-endian), numbered from 0 in order;
/// the core copies their bytes out as it reads them (js_copy_held). A record that does not
/// parse ends the list (the sections not in it are unpacked here).
EMSCRIPTEN_KEEPALIVE int glassvm_load_snapshot_held(const uint8_t* data, size_t size,
                                                    const char* name, const uint8_t* sections,
                                                    size_t sections_size) {
  if (!g_session) return 0;
  glassvm::SnapshotFile::Prepared prepared;
  int index = 0;
  for (size_t at = 0; at < sections_size; ++index) {
    const size_t n = sections[at];
    if (sections_size - at < 1 + n + 8) break;
    std::string section(reinterpret_cast<const char*>(sections + at + 1), n);
    const uint64_t length = glassvm::load_le<uint64_t>(sections + at + 1 + n);
    at += 1 + n + 8;
    prepared.sections[std::move(section)] = {
        length, [index](uint64_t offset, std::span<uint8_t> out) {
          return js_copy_held(index, static_cast<double>(offset), out.data(),
                              static_cast<double>(out.size())) == 1;
        }};
  }
  std::string error;
  if (!g_session->app.load_snapshot(std::span<const uint8_t>(data, size), name ? name : "snapshot",
                                    error, &prepared)) {
    g_session->last_error = error;
    return 0;
  }
  g_session->last_error.clear();
  return 1;
}

/// Saves the running machine as a snapshot, kept until the next call; its size (0 with
/// glassvm_last_error() when it cannot be saved). glassvm_snapshot_data() points at it.
EMSCRIPTEN_KEEPALIVE double glassvm_save_snapshot() {
  if (!g_session) return 0;
  std::string error;
  g_session->snapshot.clear();
  if (!g_session->app.save_snapshot(g_session->snapshot, error)) {
    g_session->last_error = error;
    return 0;
  }
  g_session->last_error.clear();
  return static_cast<double>(g_session->snapshot.size());
}

/// The console's last output as the machine keeps it (a snapshot brings it back).
EMSCRIPTEN_KEEPALIVE const char* glassvm_console_tail() {
  if (!g_session) return "";
  return glassvm::web::give(std::string(g_session->app.machine().console_tail()));
}

EMSCRIPTEN_KEEPALIVE const uint8_t* glassvm_snapshot_data() {
  return g_session ? g_session->snapshot.data() : nullptr;
}

// ---------------------------------------------------------------- share links

/// The running machine as a share link (docs/links.md): its text (base64url, for "#link="),
/// or "" with glassvm_last_error() when it cannot be one. glassvm_link_data() and
/// glassvm_link_size() give the binary form (a session file) until the next call.
EMSCRIPTEN_KEEPALIVE const char* glassvm_share_link() {
  if (!g_session) return "";
  glassvm::MachineLink link;
  std::string error;
  g_session->link_bytes.clear();
  if (!g_session->app.share_link(link, error)) {
    g_session->last_error = error;
    return "";
  }
  g_session->link_bytes = glassvm::encode_link(link);
  g_session->last_error.clear();
  return glassvm::web::give(glassvm::base64url_encode(g_session->link_bytes));
}
EMSCRIPTEN_KEEPALIVE const uint8_t* glassvm_link_data() {
  return g_session ? g_session->link_bytes.data() : nullptr;
}
EMSCRIPTEN_KEEPALIVE double glassvm_link_size() {
  return g_session ? static_cast<double>(g_session->link_bytes.size()) : 0;
}

/// Reads a link: its text (a URL, "link=...", or the base64url) or, with `size` > 0, the binary
/// form at `data` (a session file). Keeps it for glassvm_open_link and returns what it needs as
/// JSON: {"ok":true,"guest","start":"boot"|"snapshot","program","ramMiB","devices","diskMiB",
/// "jit","events","seconds"}, or {"ok":false,"error"}.
EMSCRIPTEN_KEEPALIVE const char* glassvm_parse_link(const char* text, const uint8_t* data,
                                                    size_t size) {
  if (!g_session) return "{\"ok\":false,\"error\":\"GlassVM is not running yet\"}";
  glassvm::MachineLink link;
  std::string error;
  const bool ok = size > 0 ? glassvm::decode_link({data, size}, link, error)
                           : glassvm::decode_link_text(text ? text : "", link, error);
  std::string out;
  if (!ok) {
    out = "{\"ok\":false,\"error\":";
    glassvm::ui::json_append_string(out, error);
    return glassvm::web::give(out + "}");
  }
  out = "{\"ok\":true,\"guest\":";
  glassvm::ui::json_append_string(out, link.guest);
  out += ",\"start\":";
  out += link.start == glassvm::MachineLink::Start::Snapshot ? "\"snapshot\"" : "\"boot\"";
  out += ",\"program\":" + std::to_string(link.program.size());
  out += ",\"ramMiB\":" + std::to_string(link.ram_mib);
  out += ",\"devices\":[";
  for (size_t i = 0; i < link.devices.size(); ++i) {
    if (i) out += ",";
    glassvm::ui::json_append_string(out, link.devices[i]);
  }
  out += "],\"diskMiB\":" + std::to_string(link.disk_mib);
  out += ",\"jit\":";
  out += link.jit ? "true" : "false";
  out += ",\"events\":" + std::to_string(link.input.events.size());
  char secs[32];
  snprintf(secs, sizeof secs, "%.3f", static_cast<double>(link.end_ns - link.start_ns) / 1e9);
  out += ",\"seconds\":";
  out += secs;
  g_session->link = std::move(link);
  return glassvm::web::give(out + "}");
}

/// Opens the link glassvm_parse_link() read, with the guest it names: a booted kernel (and
/// initrd, append) or the bundled snapshot (bytes owned by the caller; all may be empty for a
/// link that carries its program). 1 on success; 0 with glassvm_last_error() (the running
/// machine is then left as it was).
EMSCRIPTEN_KEEPALIVE int glassvm_open_link(const uint8_t* kernel, size_t kernel_size,
                                           const uint8_t* initrd, size_t initrd_size,
                                           const char* append, const uint8_t* snapshot,
                                           size_t snapshot_size) {
  if (!g_session) return 0;
  glassvm::ui::GuestImage image;
  image.kernel.assign(kernel, kernel + kernel_size);
  image.initrd.assign(initrd, initrd + initrd_size);
  image.append = append ? append : "";
  std::string error;
  if (!g_session->app.open_link(g_session->link, std::move(image),
                                std::span<const uint8_t>(snapshot, snapshot_size), error)) {
    g_session->last_error = error;
    return 0;
  }
  g_session->last_error.clear();
  return 1;
}

/// The guest just loaded came from the page's bundle by name: links name it.
EMSCRIPTEN_KEEPALIVE void glassvm_mark_guest_bundled() {
  if (g_session) g_session->app.mark_guest_bundled();
}

/// glassvm.replay(): App::replay_json.
EMSCRIPTEN_KEEPALIVE const char* glassvm_replay_json() {
  if (!g_session) return "{}";
  return glassvm::web::give(g_session->app.replay_json());
}

/// The running machine's state hash (16 hex digits), for comparing runs.
EMSCRIPTEN_KEEPALIVE const char* glassvm_state_hash() {
  if (!g_session) return "";
  char buf[24];
  snprintf(buf, sizeof buf, "%016" PRIx64, g_session->app.machine().state_hash());
  return glassvm::web::give(buf);
}

/// The message of the last failed call.
EMSCRIPTEN_KEEPALIVE const char* glassvm_last_error() {
  if (!g_session) return "GlassVM is not running yet";
  return glassvm::web::give(g_session->last_error);
}

/// Rebuilds the machine with `mib` MiB of RAM, reloading the current guest. 1 on success; 0 with
/// glassvm_last_error() (also in the messages) when the size is refused.
EMSCRIPTEN_KEEPALIVE int glassvm_set_ram_mib(double mib) {
  if (!g_session) return 0;
  auto& s = *g_session;
  if (!(mib >= 1 && mib <= glassvm::web::kMaxRamMib) ||
      mib != static_cast<double>(static_cast<unsigned>(mib))) {
    s.last_error = "RAM size must be a whole number of MiB from 1 to " +
                   std::to_string(glassvm::web::kMaxRamMib);
    s.app.add_message(s.last_error);
    return 0;
  }
  const auto requested = static_cast<unsigned>(mib);
  const size_t before = s.app.messages().size();
  s.app.set_ram_mib(requested);
  if (s.app.ram_mib() != requested) {
    s.last_error =
        s.app.messages().size() > before ? s.app.messages().back() : "the RAM size was not changed";
    return 0;
  }
  s.last_error.clear();
  return 1;
}

/// Rebuilds the machine with the devices in `list` (one -device argument per line, e.g.
/// "riscv-iommu-sys"; empty: the board's own only), reloading the current guest. 1 on success;
/// 0 with glassvm_last_error() (also in the messages) when a device is refused.
EMSCRIPTEN_KEEPALIVE int glassvm_set_devices(const char* list) {
  if (!g_session) return 0;
  auto& s = *g_session;
  std::vector<std::string> devices;
  const std::string text = list ? list : "";
  for (size_t at = 0; at <= text.size();) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    if (end > at) devices.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  std::string error;
  if (!s.app.set_devices(std::move(devices), error)) {
    s.last_error = error;
    return 0;
  }
  s.last_error.clear();
  return 1;
}

/// Attaches a disk holding the image `data` (`size` bytes, copied; `name` for messages) to this
/// and every later machine, rebuilding the machine with its guest. 1 on success; 0 with
/// glassvm_last_error() (also in the messages) when the size is refused (ui::check_disk_bytes).
EMSCRIPTEN_KEEPALIVE int glassvm_set_disk(const uint8_t* data, size_t size, const char* name) {
  if (!g_session) return 0;
  auto& s = *g_session;
  const std::string disk = name ? name : "disk";
  // Checked before the copy, so that a refused image takes no memory.
  std::string error = glassvm::ui::check_disk_bytes(size, disk);
  if (error.empty()) {
    s.app.set_disk(std::vector<uint8_t>(data, data + size), disk, error);
  } else {
    s.app.add_message(error);
  }
  s.last_error = error;
  return error.empty();
}

/// Attaches a blank (zero-filled) disk of `mib` MiB, as glassvm_set_disk does. 0 with
/// glassvm_last_error() for a size that is not a whole number of MiB from 1 to ui::kMaxDiskMib.
EMSCRIPTEN_KEEPALIVE int glassvm_set_blank_disk(double mib) {
  if (!g_session) return 0;
  auto& s = *g_session;
  std::string error;
  // Whole numbers only; anything past the limit is refused by App with its own message.
  if (!(mib >= 0 && mib <= 1e15) || mib != static_cast<double>(static_cast<uint64_t>(mib))) {
    s.last_error = "Disk: the size must be a whole number of MiB from 1 to " +
                   std::to_string(glassvm::ui::kMaxDiskMib);
    s.app.add_message(s.last_error);
    return 0;
  }
  if (!s.app.set_blank_disk(static_cast<uint64_t>(mib), error)) {
    s.last_error = error;
    return 0;
  }
  s.last_error.clear();
  return 1;
}

/// Detaches the disk, rebuilding the machine without it.
EMSCRIPTEN_KEEPALIVE void glassvm_remove_disk() {
  if (g_session) g_session->app.remove_disk();
}

/// The disk's blocks written since the last call (ui::App::take_disk_changes), kept until the
/// next call: their size in bytes; glassvm_disk_changes_data() points at them.
EMSCRIPTEN_KEEPALIVE double glassvm_disk_take_changes() {
  if (!g_session) return 0;
  g_session->disk_changes = g_session->app.take_disk_changes();
  return static_cast<double>(g_session->disk_changes.size());
}
EMSCRIPTEN_KEEPALIVE const uint8_t* glassvm_disk_changes_data() {
  return g_session ? g_session->disk_changes.data() : nullptr;
}

/// The disk's contents (glassvm_disk_size() bytes; null without a disk), valid until the
/// guest runs again or the disk changes.
EMSCRIPTEN_KEEPALIVE const uint8_t* glassvm_disk_data() {
  const auto* disk = g_session ? g_session->app.disk() : nullptr;
  return disk ? disk->bytes().data() : nullptr;
}
EMSCRIPTEN_KEEPALIVE double glassvm_disk_size() {
  const auto* disk = g_session ? g_session->app.disk() : nullptr;
  return disk ? static_cast<double>(disk->size()) : 0;
}

/// glassvm.disk() as JSON (ui::App::disk_json).
EMSCRIPTEN_KEEPALIVE const char* glassvm_disk_json() {
  if (!g_session) return "null";
  return glassvm::web::give(g_session->app.disk_json());
}

/// glassvm.state() as JSON.
EMSCRIPTEN_KEEPALIVE const char* glassvm_state_json() {
  if (!g_session) return "null";
  return glassvm::web::give(g_session->app.state_json());
}

/// Queues console input for the guest.
EMSCRIPTEN_KEEPALIVE void glassvm_send_input(const uint8_t* data, size_t size) {
  if (!g_session || data == nullptr) return;
  g_session->host.push_input(std::span<const uint8_t>(data, size));
}

/// The `info mtree -f` text.
EMSCRIPTEN_KEEPALIVE const char* glassvm_mtree() {
  if (!g_session) return "";
  return glassvm::web::give(g_session->app.machine().info_mtree(/*flatview=*/true));
}

/// The Memory Map panel's flat view as JSON.
EMSCRIPTEN_KEEPALIVE const char* glassvm_memory_map_json() {
  if (!g_session) return "[]";
  return glassvm::web::give(g_session->app.memory_map_json());
}

/// The registers as JSON.
EMSCRIPTEN_KEEPALIVE const char* glassvm_registers_json() {
  if (!g_session) return "null";
  return glassvm::web::give(g_session->app.registers_json());
}

/// The page-table walk of hex address `va` for `access` ("fetch", "load", "store") as JSON
/// (ui/translation_view.h), or null for an address or access that does not parse.
EMSCRIPTEN_KEEPALIVE const char* glassvm_translate_json(const char* va, const char* access) {
  if (!g_session || va == nullptr || access == nullptr) return "null";
  const std::optional<uint64_t> addr = glassvm::ui::parse_address(va);
  const std::optional<glassvm::Access> kind = glassvm::ui::parse_access(access);
  if (!addr || !kind) return "null";
  return glassvm::web::give(
      glassvm::ui::translation_json(g_session->app.machine().cpu(), *addr, *kind));
}

/// The IOMMU events after sequence number `since` as JSON (ui/iommu_events.h).
EMSCRIPTEN_KEEPALIVE const char* glassvm_iommu_events_json(double since) {
  if (!g_session) return "null";
  return glassvm::web::give(glassvm::ui::iommu_events_json(g_session->app.iommu_log(),
                                                           glassvm::web::sequence_number(since)));
}

/// Each IOMMU notifier's delivered and skipped counts as JSON (ui/iommu_events.h).
EMSCRIPTEN_KEEPALIVE const char* glassvm_iommu_notifiers_json() {
  if (!g_session) return "[]";
  return glassvm::web::give(glassvm::ui::iommu_notifiers_json(g_session->app.iommu_log()));
}

/// The IOMMU's registers, contexts and fault history as JSON (ui/iommu_state_view.h).
EMSCRIPTEN_KEEPALIVE const char* glassvm_iommu_state_json() {
  if (!g_session) return "null";
  return glassvm::web::give(glassvm::ui::iommu_state_json(g_session->app.machine()));
}

/// The mappings of `device` as JSON (ui/iommu_state_view.h); a negative device (or one that is
/// not a 32-bit whole number) means every device.
EMSCRIPTEN_KEEPALIVE const char* glassvm_iommu_mappings_json(double device) {
  if (!g_session) return "null";
  return glassvm::web::give(glassvm::ui::iommu_mappings_json(
      g_session->app.machine(), glassvm::web::device_id(device), glassvm::web::kMaxJsMappingRows));
}

/// The walk of hex `iova` by `device` for `access` ("read", "write") as JSON
/// (ui/iommu_state_view.h), or null for a device, IOVA or access that does not parse.
EMSCRIPTEN_KEEPALIVE const char* glassvm_translate_iova_json(double device, const char* iova,
                                                             const char* access) {
  if (!g_session || iova == nullptr || access == nullptr) return "null";
  const std::optional<uint32_t> id = glassvm::web::device_id(device);
  const std::optional<uint64_t> addr = glassvm::ui::parse_address(iova);
  const std::optional<glassvm::IommuAccessFlags> kind = glassvm::ui::parse_iommu_access(access);
  if (!id || !addr || !kind) return "null";
  return glassvm::web::give(
      glassvm::ui::iova_walk_json(g_session->app.machine(), *id, *addr, *kind));
}

/// Pause on the next IOMMU event (non-zero) or not; one-shot (ui::App).
EMSCRIPTEN_KEEPALIVE void glassvm_set_pause_on_iommu_event(int on) {
  if (g_session) g_session->app.set_pause_on_iommu_event(on != 0);
}

/// The sequence number of the IOMMU event the page last paused at (0: none).
EMSCRIPTEN_KEEPALIVE double glassvm_iommu_paused_at() {
  return g_session ? static_cast<double>(g_session->app.paused_at_iommu_event()) : 0;
}

/// The lessons as JSON (ui/lessons.h: lessons_json).
EMSCRIPTEN_KEEPALIVE const char* glassvm_lessons_json() {
  return glassvm::web::give(glassvm::ui::lessons_json());
}

/// Opens lesson `id`: sets its devices and chooses its guest (the page fetches it). 1 on
/// success; 0 with glassvm_last_error() for an unknown id or refused devices.
EMSCRIPTEN_KEEPALIVE int glassvm_open_lesson(const char* id) {
  if (!g_session) return 0;
  std::string error;
  if (!g_session->app.lessons().open(g_session->app, id ? id : "", error)) {
    g_session->last_error = error;
    return 0;
  }
  g_session->last_error.clear();
  return 1;
}

/// Closes the open lesson (the machine stays as it is).
EMSCRIPTEN_KEEPALIVE void glassvm_close_lesson() {
  if (g_session) g_session->app.lessons().close(g_session->app);
}

/// The open lesson's state as JSON (LessonRunner::state_json).
EMSCRIPTEN_KEEPALIVE const char* glassvm_lesson_state_json() {
  if (!g_session) return "null";
  return glassvm::web::give(g_session->app.lessons().state_json());
}

/// "Run to the next event" in the open lesson.
EMSCRIPTEN_KEEPALIVE void glassvm_lesson_run() {
  if (g_session) g_session->app.lessons().run(g_session->app);
}

/// "Next step" in the open lesson.
EMSCRIPTEN_KEEPALIVE void glassvm_lesson_next() {
  if (g_session) g_session->app.lessons().next(g_session->app);
}

/// Instructions retired since the machine was built (a double: exact up to 2^53).
EMSCRIPTEN_KEEPALIVE double glassvm_instructions() {
  if (!g_session) return 0;
  return static_cast<double>(g_session->app.machine().total_instructions());
}

/// Guest instructions per second over the last second.
EMSCRIPTEN_KEEPALIVE double glassvm_ips() {
  return g_session ? g_session->app.ips() : 0;
}

/// Guest instructions per second over the time spent in the interpreter only.
EMSCRIPTEN_KEEPALIVE double glassvm_interpreter_ips() {
  return g_session ? g_session->app.interpreter_ips() : 0;
}

/// Average frame time (ms) over the last second.
EMSCRIPTEN_KEEPALIVE double glassvm_frame_ms() {
  return g_session ? g_session->app.frame_ms() : 0;
}

/// Opens (non-zero) or closes the panel titled `name` (any case: "IOMMU", "memory map"). 1 on
/// success, 0 for an unknown name.
EMSCRIPTEN_KEEPALIVE int glassvm_set_panel_open(const char* name, int open) {
  if (!g_session || name == nullptr) return 0;
  const std::optional<glassvm::ui::PanelId> id = glassvm::ui::parse_panel(name);
  if (!id) return 0;
  g_session->app.set_panel_open(*id, open != 0);
  return 1;
}

/// Every panel, whether it is open and where its window was in the last frame, as JSON.
EMSCRIPTEN_KEEPALIVE const char* glassvm_panels_json() {
  if (!g_session) return "[]";
  return glassvm::web::give(g_session->app.panels_json());
}

/// How many times the page has drawn its panels (a double: exact up to 2^53).
EMSCRIPTEN_KEEPALIVE double glassvm_draw_count() {
  return g_session ? static_cast<double>(g_session->app.draw_count()) : 0;
}

/// glassvm.drawPacing(): {"intervalMs","guestShare"}: how often a busy guest's panels are drawn
/// and the guest's share of the wall clock over the pacer's last window (ui::DrawPacer).
EMSCRIPTEN_KEEPALIVE const char* glassvm_draw_pacing_json() {
  if (!g_session) return "{}";
  const glassvm::ui::DrawPacer& p = g_session->app.draw_pacer();
  char buf[96];
  std::snprintf(buf, sizeof buf, "{\"intervalMs\":%.1f,\"guestShare\":%.4f}", p.interval_ms(),
                p.guest_share());
  return glassvm::web::give(buf);
}

/// glassvm.jit(): the JIT's switch, availability and statistics as JSON (ui/jit_view.h).
EMSCRIPTEN_KEEPALIVE const char* glassvm_jit_json() {
  if (!g_session) return "{}";
  return glassvm::web::give(glassvm::ui::jit_json(g_session->app.jit_status()));
}

/// Switches the JIT on (non-zero) or off, for the current machine and later ones. JS calls
/// this between frames, never inside a guest run.
EMSCRIPTEN_KEEPALIVE void glassvm_set_jit(int on) {
  if (g_session) g_session->app.set_jit_enabled(on != 0);
}

/// glassvm.jitTranslations(): the last translations kept for the JIT panel, oldest first
/// (bounded by ui::JitTranslationLog).
EMSCRIPTEN_KEEPALIVE const char* glassvm_jit_translations_json() {
  if (!g_session) return "[]";
  return glassvm::web::give(glassvm::ui::jit_translations_json(g_session->app.jit_translations()));
}

/// Selects IOMMU event `seq` in the IOMMU panel (0: none). 1 when the log holds it (or seq is 0).
EMSCRIPTEN_KEEPALIVE int glassvm_select_iommu_event(double seq) {
  if (!g_session) return 0;
  const uint64_t s = glassvm::web::sequence_number(seq);
  const glassvm::IommuEventLog* log = g_session->app.iommu_log();
  if (s != 0 && (log == nullptr || log->find(s) == nullptr)) return 0;
  g_session->app.panel_state().iommu_selected_seq = s;
  return 1;
}

/// The IOMMU event selected in the IOMMU panel (0: none).
EMSCRIPTEN_KEEPALIVE double glassvm_selected_iommu_event() {
  return g_session ? static_cast<double>(g_session->app.panel_state().iommu_selected_seq) : 0;
}

EMSCRIPTEN_KEEPALIVE void glassvm_pause() {
  if (g_session) g_session->app.pause();
}
EMSCRIPTEN_KEEPALIVE void glassvm_resume() {
  if (g_session) g_session->app.resume();
}
EMSCRIPTEN_KEEPALIVE void glassvm_step() {
  if (g_session) g_session->app.step();
}
EMSCRIPTEN_KEEPALIVE void glassvm_reset() {
  if (g_session) g_session->app.reset();
}

/// Benchmarks the interpreter: runs the guest flat out, without drawing, for about `ms`
/// milliseconds (or until it stops), and returns the number of instructions it retired.
EMSCRIPTEN_KEEPALIVE double glassvm_run_for(double ms) {
  if (!g_session) return 0;
  glassvm::Machine& m = g_session->app.machine();
  const uint64_t first = m.total_instructions();
  // Each run starts small, which keeps the overshoot past `ms` short even when each step is slow
  // (a guest caught in a trap loop takes far longer per step than straight-line code), and the
  // runs double while each takes less than kShortRunMs: in Chromium every run costs about
  // 2.5 microseconds on top of its steps, about 40% of the time of 20,000 steps of a guest the
  // JIT runs at several thousand million instructions a second.
  constexpr uint64_t kFirstRunSteps = 20'000;
  constexpr uint64_t kMaxRunSteps = 64'000'000;
  constexpr double kShortRunMs = 0.25;
  uint64_t steps = kFirstRunSteps;
  double start = emscripten_get_now();
  const double end = start + ms;
  while (start < end && m.run(steps) == glassvm::MachineState::Running) {
    const double now = emscripten_get_now();
    if (now - start < kShortRunMs && steps < kMaxRunSteps) steps *= 2;
    start = now;
  }
  return static_cast<double>(m.total_instructions() - first);
}

/// Adds a breakpoint at a hex pc ("0x80000000"). 1 on success, 0 for malformed text.
EMSCRIPTEN_KEEPALIVE int glassvm_add_breakpoint(const char* pc_hex) {
  if (!g_session) return 0;
  const std::optional<uint64_t> pc = glassvm::web::breakpoint_pc(pc_hex);
  if (pc) g_session->app.machine().add_breakpoint(*pc);
  return pc.has_value();
}

/// Removes a breakpoint at a hex pc. 1 on success (also when none was set), 0 when malformed.
EMSCRIPTEN_KEEPALIVE int glassvm_remove_breakpoint(const char* pc_hex) {
  if (!g_session) return 0;
  const std::optional<uint64_t> pc = glassvm::web::breakpoint_pc(pc_hex);
  if (pc) g_session->app.machine().remove_breakpoint(*pc);
  return pc.has_value();
}

/// The user-visible messages as a JSON array of strings.
EMSCRIPTEN_KEEPALIVE const char* glassvm_messages_json() {
  if (!g_session) return "[]";
  std::string out = "[";
  for (const auto& m : g_session->app.messages()) {
    if (out.size() > 1) out += ',';
    out += glassvm::web::json_string(m);
  }
  return glassvm::web::give(out + "]");
}

/// Number of messages (lets the page notice new ones cheaply).
EMSCRIPTEN_KEEPALIVE int glassvm_message_count() {
  return g_session ? static_cast<int>(g_session->app.messages().size()) : 0;
}

/// The guest RAM blocks the host has handed out: {"freshBlocks", "reusedBlocks", "pooledBytes"}
/// (see engine/base/host_ram.h). Rebuilding a machine must reuse, not take fresh memory.
EMSCRIPTEN_KEEPALIVE const char* glassvm_host_ram_json() {
  const glassvm::HostRamPoolStats s = glassvm::host_ram_pool_stats();
  return glassvm::web::give("{\"freshBlocks\":" + std::to_string(s.fresh_blocks) +
                            ",\"reusedBlocks\":" + std::to_string(s.reused_blocks) +
                            ",\"pooledBytes\":" + std::to_string(s.pooled_bytes) + "}");
}

/// Adds a message from the page (download failures, rejected files).
EMSCRIPTEN_KEEPALIVE void glassvm_add_message(const char* text) {
  if (g_session && text) g_session->app.add_message(text);
}

}  // extern "C"
