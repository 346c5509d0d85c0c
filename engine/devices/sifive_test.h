// The "sifive,test" finisher of the virt board (0x10_0000, 4 KiB): how a guest powers off,
// reports a test result, or asks for a reset.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/base/snapshot.h"
#include "engine/memory/memory.h"

namespace glassvm {

/// A register at offset 0 that turns magic values into board actions. Reads return 0;
/// writes of anything else, or anywhere else, are ignored.
class SifiveTest {
 public:
  /// What the guest asked for.
  enum class Action : uint8_t {
    Pass,   ///< 0x5555: stop, exit status 0
    Fail,   ///< 0x3333 | code << 16: stop, exit status `code`
    Reset,  ///< 0x7777: reset the machine
  };
  /// Told of each action. `exit_code` is 0 for Pass and Reset, the guest's code for Fail.
  using Handler = std::function<void(Action action, int exit_code)>;

  static constexpr uint64_t kMmioSize = 0x1000;
  static constexpr uint32_t kFail = 0x3333, kPass = 0x5555, kReset = 0x7777;

  /// A finisher that reports to `handler` (may be empty: actions are dropped).
  explicit SifiveTest(Handler handler);
  SifiveTest(const SifiveTest&) = delete;
  SifiveTest& operator=(const SifiveTest&) = delete;

  /// The register block, to be mapped by the board (2- and 4-byte accesses, as in QEMU).
  MemoryRegion& mmio() { return mmio_; }

  /// The version of the state save() writes.
  static constexpr uint32_t kStateVersion = 1;
  /// The finisher keeps no state: writes nothing.
  void save(StateWriter&) const {}
  /// Restores nothing (a payload with bytes in it fails at StateReader::finish()).
  void load(StateReader&) {}

 private:
  void write(uint64_t offset, uint64_t value);

  Handler handler_;
  MemoryRegion mmio_;
};

}  // namespace glassvm
