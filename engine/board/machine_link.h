// Machine links: a whole session (which machine, how it started, the input typed into it, and
// the state it reached) in a few hundred bytes, for a URL's fragment or a small file.
//
// Design note: a link does not carry a machine's state, only what it takes to reproduce it.
// Execution is deterministic (engine/board/machine.h), so the configuration, the starting point
// and the console input stamped with guest time bring any build to the same state; the link
// ends with that state's hash (Machine::state_hash) and guest time, so the recipient can check
// that it got there. Guests the page bundles are named (with their CRC-32, so a link made with
// other images is refused rather than replayed into a different machine); the user's own small
// program travels inside the link.
//
// Binary form (docs/links.md), little-endian:
//   "GVML", u8 format (kLinkFormat), u32 body length, u32 CRC-32 of the body,
//   then the body as one zlib stream.
// Text form: the binary form in base64url without padding; a page's URL carries it as
// "#link=TEXT". Decoding checks everything and bounds every allocation: the body may not
// unpack beyond kMaxLinkBody bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/board/input_log.h"

namespace glassvm {

/// The link format this build writes and reads.
inline constexpr uint8_t kLinkFormat = 1;
/// The longest link text (the URL fragment after "#link="). Browsers take far longer URLs,
/// but mail, chat and link shorteners cut or refuse them well before 64 KiB; a longer session
/// goes into a file instead (the same bytes, encode_link).
inline constexpr size_t kMaxLinkText = 32 << 10;
/// The most a link's body may unpack to (files included).
inline constexpr size_t kMaxLinkBody = 4 << 20;
/// The largest program a link may carry.
inline constexpr size_t kMaxLinkProgram = 1 << 20;

/// Everything a link says.
struct MachineLink {
  /// How the session's machine started.
  enum class Start : uint8_t {
    Boot,      ///< a fresh boot of the guest
    Snapshot,  ///< the guest's bundled snapshot (Linux at its prompt)
  };
  /// A bundled guest's name ("linux", "demo.elf"); empty when `program` is the guest.
  std::string guest;
  /// CRC-32 of the guest's bytes as the machine got them (a bundled kernel, then its initrd;
  /// or `program`), or of the bundled snapshot with Start::Snapshot.
  uint32_t guest_crc = 0;
  /// The user's own ELF program (at most kMaxLinkProgram bytes), when `guest` is empty.
  std::vector<uint8_t> program;
  Start start = Start::Boot;
  uint32_t ram_mib = 128;
  /// -device texts after the board's own (an IOMMU model, for instance).
  std::vector<std::string> devices;
  /// A blank disk of this many MiB on virtio-blk (0: no disk).
  uint32_t disk_mib = 0;
  bool jit = true;
  /// Guest time at which the session started and at which it was shared.
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  /// Machine::state_hash at end_ns.
  uint64_t end_hash = 0;
  /// The console input, from start_ns to end_ns.
  InputLog input;
};

/// MachineLink::guest_crc of a booted guest: the CRC-32 of its kernel, then its initrd (empty:
/// none), as the machine got them (unpacked).
uint32_t link_guest_crc(std::span<const uint8_t> kernel, std::span<const uint8_t> initrd);

/// The binary form (also the content of a session file).
std::vector<uint8_t> encode_link(const MachineLink& link);
/// The text form: base64url of the binary form.
std::string encode_link_text(const MachineLink& link);
/// Reads a binary form. Returns false with a message saying what is wrong (not a link, a
/// newer format, damaged, truncated, too large, or a value out of range) and leaves `out` as
/// it was.
bool decode_link(std::span<const uint8_t> bytes, MachineLink& out, std::string& error);
/// Reads a text form: the base64url text itself, "link=TEXT", or a whole URL whose fragment is
/// "#link=TEXT" (at most kMaxLinkText characters of link). Errors as decode_link's.
bool decode_link_text(std::string_view text, MachineLink& out, std::string& error);
/// Whether `bytes` starts like a binary link (a session file).
bool looks_like_link(std::span<const uint8_t> bytes);

/// base64url without padding (RFC 4648 section 5).
std::string base64url_encode(std::span<const uint8_t> bytes);
/// Decodes base64url (no padding; '=' padding at the end is accepted). False on any other
/// character or an impossible length.
bool base64url_decode(std::string_view text, std::vector<uint8_t>& out);

}  // namespace glassvm
