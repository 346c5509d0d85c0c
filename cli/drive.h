// -drive, in QEMU's spelling: file=PATH,format=raw[,if=virtio|none][,id=ID][,readonly=on]
// [,snapshot=on].
//
// Design note: the command line owns the disks. A drive is an image file (FileBlockStorage),
// read-only with readonly=on, or under a copy-on-write overlay in memory with snapshot=on so the
// file is never written; the machine only sees BlockStorage by id (MachineConfig::drives).
// if=virtio (the virt board's default interface, as in QEMU) adds a virtio-blk-device for the
// drive; if=none leaves it for an explicit -device virtio-blk-device,drive=ID.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/base/block_storage.h"

namespace glassvm {

/// One parsed -drive.
struct DriveSpec {
  std::string file;
  std::string id;      ///< given, or QEMU's default name ("virtio0", "virtio1", ...)
  bool virtio = true;  ///< if=virtio: add a virtio-blk-device for it
  bool read_only = false;
  bool snapshot = false;
};

/// Parses the text after -drive; `index` numbers the drive among if=virtio ones for its
/// default id. Returns false with a message naming the problem: no file, a format other than
/// raw, an interface other than virtio or none, an unknown option, an on/off value that is
/// neither.
bool parse_drive(const std::string& text, unsigned index, DriveSpec& out, std::string& error);

/// The board's device list: `devices` (the -device options, in order), then a
/// virtio-blk-device for each if=virtio drive of `drives` (in order). QEMU queues an if=virtio
/// drive's device behind the -device options too, and the board fills the virtio-mmio slots
/// from the last in list order, so a -device virtio device gets the slot it gets on QEMU's
/// riscv virt even beside -drive if=virtio disks (which QEMU puts on PCI, which GlassVM lacks:
/// here they take the next free slots).
std::vector<std::string> board_devices(const std::vector<std::string>& devices,
                                       const std::vector<DriveSpec>& drives);

/// An opened drive: the storage the machine gets, and what it is built on.
struct OpenDrive {
  DriveSpec spec;
  std::unique_ptr<BlockStorage> file;     ///< the image file
  std::unique_ptr<BlockStorage> overlay;  ///< snapshot=on: the overlay over `file`
  /// The storage the device uses.
  BlockStorage& storage() { return overlay ? *overlay : *file; }
};

/// Opens the image of `spec`. Returns nullptr with a message naming the file when it is
/// missing, unreadable, or not a regular file.
std::unique_ptr<OpenDrive> open_drive(const DriveSpec& spec, std::string& error);

}  // namespace glassvm
