// --record and --replay: sessions as links (engine/board/machine_link.h) on the command line.
#pragma once

#include <string>
#include <vector>

#include "engine/board/machine_link.h"

namespace glassvm {

/// A link's guest as files give it: an ELF (kernel alone), a Linux kernel with its initramfs
/// and command line, or, to start from, the guest's bundled snapshot.
struct LinkGuest {
  std::vector<uint8_t> kernel;
  std::vector<uint8_t> initrd;
  std::string append;
  std::vector<uint8_t> snapshot;  ///< MachineLink::Start::Snapshot: the snapshot to start from
};

/// --guests' default: the page bundle this build made (its dist/guests).
std::string default_guests_dir();

/// Reads --replay's argument: a session file (a binary link, or a file holding a link's text)
/// or the link's text itself (a whole URL, "link=...", or the base64url alone).
bool read_link_argument(const std::string& arg, MachineLink& link, std::string& error);

/// Finds the guest `link` names in `dir` (the page's bundled guests: NAME.elf, or NAME.json
/// naming "kernel", "initrd", "append" and "snapshot" files, which may be gzip-compressed), or
/// takes its embedded program, and checks the CRC-32 the link recorded. False with a message
/// when a file is missing or unreadable, or is not the one the session used.
bool find_link_guest(const MachineLink& link, const std::string& dir, LinkGuest& out,
                     std::string& error);

/// Reads a whole file (at most `max` bytes). False with a message naming `path`.
bool read_whole_file(const std::string& path, uint64_t max, std::vector<uint8_t>& out,
                     std::string& error);

}  // namespace glassvm
