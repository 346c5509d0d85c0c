#include "engine/board/machine_link.h"

#include <algorithm>

#include "engine/base/bytes.h"
#include "engine/base/snapshot.h"

namespace glassvm {

namespace {

constexpr uint8_t kMagic[4] = {'G', 'V', 'M', 'L'};
constexpr size_t kHeaderBytes = 4 + 1 + 4 + 4;
constexpr size_t kMaxGuestName = 64;
constexpr size_t kMaxDevices = 16;
constexpr size_t kMaxDeviceText = 256;
constexpr uint32_t kMaxRamMib = 64 << 10;
constexpr uint32_t kMaxDiskMib = 64 << 10;
constexpr size_t kMaxEventBytes = 4096;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A bundled guest's name: a file name of letters, digits, '.', '_' and '-' that does not
/// start with '.', so that a program may look it up in a directory.
bool valid_guest_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxGuestName || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

/// LEB128: 7 bits a byte, low first; the top bit says another byte follows.
void put_varint(StateWriter& w, uint64_t v) {
  while (v >= 0x80) {
    w.u8(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  w.u8(static_cast<uint8_t>(v));
}

uint64_t get_varint(StateReader& r) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 64 && r.ok(); shift += 7) {
    const uint8_t b = r.u8();
    if (shift == 63 && b > 1) break;
    v |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) return v;
  }
  r.fail("a number longer than 64 bits");
  return 0;
}

std::vector<uint8_t> encode_body(const MachineLink& link) {
  StateWriter w;
  w.str(link.guest);
  w.u32(link.guest_crc);
  w.blob(link.program);
  w.u8(static_cast<uint8_t>(link.start));
  w.u32(link.ram_mib);
  w.u32(static_cast<uint32_t>(link.devices.size()));
  for (const std::string& d : link.devices) w.str(d);
  w.u32(link.disk_mib);
  w.boolean(link.jit);
  w.u64(link.start_ns);
  w.u64(link.end_ns);
  w.u64(link.end_hash);
  w.u32(static_cast<uint32_t>(link.input.events.size()));
  uint64_t at = link.start_ns;
  for (const InputEvent& e : link.input.events) {
    put_varint(w, e.ns - at);  // the time since the previous event
    put_varint(w, e.bytes.size());
    w.bytes(e.bytes);
    at = e.ns;
  }
  return w.take();
}

bool decode_body(std::span<const uint8_t> body, MachineLink& link, std::string& error) {
  StateReader r(body, "link");
  link.guest = r.str(kMaxGuestName);
  link.guest_crc = r.u32();
  link.program = r.blob(kMaxLinkProgram);
  const uint8_t start = r.u8();
  if (start > static_cast<uint8_t>(MachineLink::Start::Snapshot)) r.fail("an unknown start kind");
  link.start = static_cast<MachineLink::Start>(start);
  link.ram_mib = r.u32();
  const uint64_t devices = r.u32();
  if (devices > kMaxDevices) r.fail("more than " + std::to_string(kMaxDevices) + " devices");
  for (uint64_t i = 0; i < devices && r.ok(); ++i) link.devices.push_back(r.str(kMaxDeviceText));
  link.disk_mib = r.u32();
  link.jit = r.boolean();
  link.start_ns = r.u64();
  link.end_ns = r.u64();
  link.end_hash = r.u64();
  const uint64_t events = r.u32();
  // Each event takes at least 3 bytes, which bounds the count before anything is allocated.
  if (events > r.remaining() / 3) r.fail("more input events than the link holds");
  uint64_t at = link.start_ns;
  for (uint64_t i = 0; i < events && r.ok(); ++i) {
    const uint64_t delta = get_varint(r);
    const uint64_t length = get_varint(r);
    if (length > kMaxEventBytes) r.fail("an input event of " + std::to_string(length) + " bytes");
    const std::span<const uint8_t> data = r.bytes(length);
    if (!r.ok()) break;
    std::vector<uint8_t> bytes(data.begin(), data.end());
    if (delta > link.end_ns - std::min(at, link.end_ns) || at > link.end_ns) {
      r.fail("an input event after the session's end");
      break;
    }
    if (bytes.empty()) {
      r.fail("an empty input event");
      break;
    }
    at += delta;
    link.input.events.push_back({at, std::move(bytes)});
  }
  r.finish();
  if (r.ok()) {
    if (link.guest.empty() == link.program.empty())
      r.fail(link.guest.empty() ? "neither a bundled guest nor a program"
                                : "both a bundled guest and a program");
    else if (!link.guest.empty() && !valid_guest_name(link.guest))
      r.fail("a bad guest name");
    else if (link.ram_mib == 0 || link.ram_mib > kMaxRamMib)
      r.fail("a memory size of " + std::to_string(link.ram_mib) + " MiB");
    else if (link.disk_mib > kMaxDiskMib)
      r.fail("a disk of " + std::to_string(link.disk_mib) + " MiB");
    else if (link.end_ns < link.start_ns)
      r.fail("a session that ends before it starts");
    else if (link.start == MachineLink::Start::Snapshot && link.guest.empty())
      r.fail("a snapshot start without a bundled guest");
  }
  if (!r.ok()) {
    error = "the link is damaged: " + r.error().substr(r.error().find(':') + 2);
    return false;
  }
  return true;
}

}  // namespace

std::string base64url_encode(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    for (int k = 18; k >= 0; k -= 6) out.push_back(kAlphabet[(v >> k) & 63]);
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    const uint32_t v = (bytes[i] << 16) | (rest == 2 ? bytes[i + 1] << 8 : 0);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

bool base64url_decode(std::string_view text, std::vector<uint8_t>& out) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;
  out.clear();
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-')
      v = 62;
    else if (c == '_')
      v = 63;
    else
      return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(acc >> bits));
    }
  }
  // The unused low bits of the last character must be zero (one encoding per byte string).
  return (acc & ((1u << bits) - 1)) == 0;
}

uint32_t link_guest_crc(std::span<const uint8_t> kernel, std::span<const uint8_t> initrd) {
  return crc32_of(initrd, crc32_of(kernel));
}

std::vector<uint8_t> encode_link(const MachineLink& link) {
  const std::vector<uint8_t> body = encode_body(link);
  std::vector<uint8_t> packed = deflate_bytes(body, 9);
  std::vector<uint8_t> out(kHeaderBytes);
  std::copy(std::begin(kMagic), std::end(kMagic), out.begin());
  out[4] = kLinkFormat;
  store_le<uint32_t>(out.data() + 5, static_cast<uint32_t>(body.size()));
  store_le<uint32_t>(out.data() + 9, crc32_of(body));
  out.insert(out.end(), packed.begin(), packed.end());
  return out;
}

std::string encode_link_text(const MachineLink& link) {
  return base64url_encode(encode_link(link));
}

bool looks_like_link(std::span<const uint8_t> bytes) {
  return bytes.size() >= 4 && std::equal(std::begin(kMagic), std::end(kMagic), bytes.begin());
}

bool decode_link(std::span<const uint8_t> bytes, MachineLink& out, std::string& error) {
  if (!looks_like_link(bytes)) {
    error = "not a GlassVM link";
    return false;
  }
  if (bytes.size() < kHeaderBytes) {
    error = "the link is truncated";
    return false;
  }
  if (bytes[4] != kLinkFormat) {
    error = "the link has format " + std::to_string(bytes[4]) + "; this GlassVM reads format " +
            std::to_string(kLinkFormat) +
            (bytes[4] > kLinkFormat ? " (the link comes from a newer GlassVM)" : "");
    return false;
  }
  const uint32_t size = load_le<uint32_t>(bytes.data() + 5);
  if (size > kMaxLinkBody) {
    error = "the link unpacks to " + std::to_string(size) + " bytes, more than the " +
            std::to_string(kMaxLinkBody) + " a link may hold";
    return false;
  }
  std::vector<uint8_t> body(size);
  if (!inflate_bytes(bytes.subspan(kHeaderBytes), body)) {
    error = "the link is damaged or truncated (its data does not unpack)";
    return false;
  }
  if (crc32_of(body) != load_le<uint32_t>(bytes.data() + 9)) {
    error = "the link is damaged (checksum mismatch)";
    return false;
  }
  MachineLink link;
  if (!decode_body(body, link, error)) return false;
  out = std::move(link);
  return true;
}

bool decode_link_text(std::string_view text, MachineLink& out, std::string& error) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.remove_suffix(1);
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n')) text.remove_prefix(1);
  if (const size_t hash = text.find('#'); hash != std::string_view::npos)
    text.remove_prefix(hash + 1);
  if (text.starts_with("link=")) text.remove_prefix(5);
  if (text.empty()) {
    error = "the link is empty";
    return false;
  }
  if (text.size() > kMaxLinkText) {
    error = "the link is " + std::to_string(text.size()) + " characters long, more than the " +
            std::to_string(kMaxLinkText) + " a link may have";
    return false;
  }
  std::vector<uint8_t> bytes;
  if (!base64url_decode(text, bytes)) {
    error = "the link is damaged (it is not base64url text)";
    return false;
  }
  return decode_link(bytes, out, error);
}

}  // namespace glassvm
