// HTIF, the host-target interface of Spike and the riscv-tests: two 64-bit words in guest
// memory (`tohost`, `fromhost`) found through an ELF's symbol table.
//
// Design note: the words live in guest RAM, but the board overlays each with a small MMIO
// region of higher priority, so that a guest store to `tohost` is an event rather than a RAM
// write the host would have to poll for. CPUs take the slow path for that page automatically,
// because the page is no longer one plain RAM span.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/base/snapshot.h"
#include "engine/memory/memory.h"

namespace glassvm {

class Htif {
 public:
  /// `on_exit(code)` is called when the guest writes (code << 1) | 1 to tohost;
  /// `on_console(byte)` when it writes 0x0101'0000'0000'0000 | byte.
  Htif(std::function<void(int code)> on_exit, std::function<void(uint8_t byte)> on_console);

  /// The 8-byte overlay for the tohost word.
  MemoryRegion& tohost_region() { return tohost_; }
  /// The 8-byte overlay for the fromhost word.
  MemoryRegion& fromhost_region() { return fromhost_; }

  /// Commands the guest issued that HTIF does not implement (syscall proxying and other
  /// devices); each was ignored and answered with fromhost = 0.
  uint64_t unsupported_commands() const { return unsupported_; }

  /// The version of the state save() writes.
  static constexpr uint32_t kStateVersion = 1;
  /// Writes tohost (a command half written), fromhost and the unsupported-command count.
  void save(StateWriter& w) const;
  /// Restores what save() wrote. Fails `r` when tohost's top byte is set: a store that reaches
  /// it issues the command, which empties tohost.
  void load(StateReader& r);

 private:
  void command(uint64_t value);

  MemoryRegion tohost_;
  MemoryRegion fromhost_;
  uint64_t tohost_value_ = 0;
  uint64_t fromhost_value_ = 0;
  uint64_t unsupported_ = 0;
  std::function<void(int)> on_exit_;
  std::function<void(uint8_t)> on_console_;
};

}  // namespace glassvm
