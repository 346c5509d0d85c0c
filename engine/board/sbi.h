// The built-in SBI: the emulator answers the S-mode kernel's ecalls itself, in place of an
// M-mode firmware such as OpenSBI (RISC-V SBI specification v2.0).
//
// Design note: the SBI is plain C++ over the hart's public API (Cpu::set_ecall_hook and
// friends) and a handful of board services (SbiPlatform), so the board decides what a
// shutdown or a console byte means. There is no M-mode code behind it: the board enters the
// kernel in S-mode with the delegations OpenSBI would have set up (see Machine), and the
// calls that would reach M-mode firmware arrive here instead. One hart (hart 0) only.
//
// Supervisor timer: set_timer writes the hart's Sstc comparator (Cpu::set_supervisor_timer),
// which drives mip.STIP from then on, as OpenSBI does on a hart with Sstc; the board's alarm on
// that comparator raises STIP on time also while the hart waits in WFI.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "engine/cpu/cpu.h"
#include "engine/memory/memory.h"

namespace glassvm {

/// SBI extension ids (SBI v2.0, chapter 3 onwards). The legacy ones are 0x00..0x08.
namespace sbi {
inline constexpr uint64_t kEidLegacySetTimer = 0x00, kEidLegacyPutchar = 0x01,
                          kEidLegacyGetchar = 0x02, kEidLegacyClearIpi = 0x03,
                          kEidLegacySendIpi = 0x04, kEidLegacyRemoteFenceI = 0x05,
                          kEidLegacyRemoteSfenceVma = 0x06, kEidLegacyRemoteSfenceVmaAsid = 0x07,
                          kEidLegacyShutdown = 0x08;
inline constexpr uint64_t kEidBase = 0x10;
inline constexpr uint64_t kEidTime = 0x54494D45;    // "TIME"
inline constexpr uint64_t kEidIpi = 0x735049;       // "sPI"
inline constexpr uint64_t kEidRfence = 0x52464E43;  // "RFNC"
inline constexpr uint64_t kEidHsm = 0x48534D;       // "HSM"
inline constexpr uint64_t kEidSrst = 0x53525354;    // "SRST"
inline constexpr uint64_t kEidDbcn = 0x4442434E;    // "DBCN"

/// Standard error codes (SBI v2.0, table 1), as returned in a0.
inline constexpr int64_t kSuccess = 0, kErrFailed = -1, kErrNotSupported = -2,
                         kErrInvalidParam = -3, kErrDenied = -4, kErrInvalidAddress = -5,
                         kErrAlreadyAvailable = -6, kErrAlreadyStarted = -7,
                         kErrAlreadyStopped = -8;

/// What Base get_spec_version reports: v2.0 ((major << 24) | minor).
inline constexpr uint64_t kSpecVersion = 2ull << 24;
/// Base get_impl_id: not one of the registered ids (0 BBL, 1 OpenSBI, ... 11 bhyve); "GVM".
inline constexpr uint64_t kImplId = 0x47564D;
/// Base get_impl_version: GlassVM 0.1, encoded as OpenSBI does ((major << 16) | minor).
inline constexpr uint64_t kImplVersion = 1;

/// HSM hart states (SBI v2.0, table 27).
inline constexpr uint64_t kHartStarted = 0;
/// SRST reset types and reasons (SBI v2.0, tables 44 and 45).
inline constexpr uint64_t kResetShutdown = 0, kResetColdReboot = 1, kResetWarmReboot = 2;
inline constexpr uint64_t kReasonNone = 0, kReasonSystemFailure = 1;
}  // namespace sbi

/// The board services the SBI needs. Every function must be set.
struct SbiPlatform {
  std::function<uint64_t()> mtime;                              ///< the CLINT's mtime (ticks)
  uint64_t ns_per_tick = 100;                                   ///< guest ns per mtime tick
  std::function<void(int status)> shutdown;                     ///< end the run with `status`
  std::function<void()> reboot;                                 ///< reset the machine
  std::function<void(std::span<const uint8_t>)> console_write;  ///< bytes to the console
  std::function<size_t(std::span<uint8_t>)> console_read;       ///< pending input, no waiting
};

/// The built-in SBI of one single-hart machine.
class Sbi {
 public:
  /// An SBI for `cpu` (hart 0) whose DBCN buffers are read from and written to `memory`
  /// (guest physical addresses) and whose timer is an alarm on `clock`. Installs itself as
  /// the hart's ecall hook only when attach() is called. All references must outlive it.
  Sbi(Cpu& cpu, AddressSpace& memory, SbiPlatform platform);
  Sbi(const Sbi&) = delete;
  Sbi& operator=(const Sbi&) = delete;

  /// Makes the hart's S-mode (and non-delegated U-mode) ecalls come here.
  void attach();
  /// Stops answering ecalls (the board boots a real firmware or a bare-metal program).
  void detach();
  /// Back to the power-on state: no timer armed, the S-timer line low.
  void reset();

  /// Answers one ecall of the hart: a7 = extension, a6 = function, a0..a5 arguments; writes
  /// a0 = error and a1 = value (legacy calls: a0 only). Always returns true (handled); an
  /// unknown call gets SBI_ERR_NOT_SUPPORTED, never a trap.
  bool handle_ecall(Cpu& cpu);

  /// The supervisor timer compare value last set (UINT64_MAX: none).
  uint64_t timer_compare() const { return timer_compare_; }

  /// Snapshots: restores timer_compare().
  void restore_timer_compare(uint64_t value) { timer_compare_ = value; }

 private:
  struct Ret {
    int64_t error = sbi::kSuccess;
    uint64_t value = 0;
    bool resumed_elsewhere = false;  ///< the hart goes on elsewhere with a0/a1 set: leave them
  };
  Ret base(uint64_t fid, uint64_t a0);
  Ret hsm(uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2);
  /// HSM hart_suspend (SBI v2.0, 9.4) of the calling hart.
  Ret hart_suspend(uint64_t type, uint64_t resume_addr, uint64_t opaque);
  Ret srst(uint64_t fid, uint64_t type, uint64_t reason);
  Ret dbcn(uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2);
  Ret rfence(uint64_t fid, uint64_t mask, uint64_t base);
  /// Whether a (hart_mask, hart_mask_base) pair is valid for a one-hart machine, and whether it
  /// selects hart 0.
  static bool mask_valid(uint64_t mask, uint64_t base, bool& selects_hart0);
  bool legacy(uint64_t eid, Cpu& cpu);
  void set_timer(uint64_t compare);
  void raise_ssip();
  static bool probe(uint64_t eid);

  Cpu& cpu_;
  AddressSpace& memory_;
  SbiPlatform platform_;
  uint64_t timer_compare_ = UINT64_MAX;
};

}  // namespace glassvm
