// The `virt` board: QEMU virt's memory map, its devices, the boot ROM, and the run loop.
//
// Design note: guest time is the board's virtual clock (engine/base/clock.h), derived from the
// hart's steps (instructions retired plus traps taken: 1 step = 1 ns of guest time; mtime
// ticks at 10 MHz), so a machine with the same inputs runs the same way on every host, and a
// guest caught in a trap loop still sees time pass. Devices arm their deadlines on the clock;
// run() executes the hart exactly up to the earliest one, and a device that moves a deadline
// mid-slice ends the slice there, so the guest's behaviour never depends on how the embedder
// slices run() (or on breakpoints). When every hart waits in WFI, time skips ahead to the
// next deadline; pacing that skip against the wall clock is the embedder's choice (run()
// reports how long it skipped).
//
// The board's devices are not fields of the board: it creates them by name from the device
// registry (virt_board_devices(), QEMU virt's fixed set, then the user's -device list) and
// keeps the list. Each device reaches the board through its own BoardContext
// (engine/devices/board_context.h), which also gives all of the device's MMIO regions one
// shared re-entrancy guard whose warnings go to the Host. Each device writes its own
// device-tree nodes (engine/board/virt_fdt.h).
//
// With an IOMMU among the devices (one whose Device::as_iommu() answers; the board knows no
// more of it), once every device exists the board puts each DMA master behind it: the master
// gets a device id (kFirstDmaDeviceId and on, in creation order), its DMA goes through an
// address space rooted at the IOMMU's region with that requester id, and its node names the
// IOMMU in `iommus`. Doing it after creation lets -device riscv-iommu-sys come after the
// board's own virtio-mmio slots, and before or after the virtio devices, in any order. A
// virtio-iommu sits in a slot itself: that slot keeps its id but stays out of the IOMMU (see
// engine/devices/iommu_provider.h), so the ids of the other slots do not depend on the model.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/block_storage.h"
#include "engine/base/clock.h"
#include "engine/base/host.h"
#include "engine/board/device_registry.h"
#include "engine/board/input_log.h"
#include "engine/board/sbi.h"
#include "engine/board/virt_fdt.h"
#include "engine/cpu/cpu.h"
#include "engine/devices/htif.h"
#include "engine/memory/memory.h"

namespace glassvm {

/// The virt board's addresses beyond the devices' (those are in engine/virt_fdt.h).
namespace virt {
inline constexpr uint64_t kMromBase = 0x1000, kMromSize = 0xf000;
inline constexpr uint64_t kDramBase = 0x80000000;
inline constexpr uint64_t kTimebaseHz = 10'000'000;
inline constexpr uint64_t kNsPerTick = 1'000'000'000 / kTimebaseHz;
/// /chosen/rng-seed: 32 bytes a kernel credits as entropy (Linux: add_bootloader_randomness),
/// as QEMU's virt board writes them. QEMU draws them at random; these are fixed, because the
/// machine is deterministic (the same configuration and input reach the same state, which
/// links and replays check), so nothing in a guest was ever secret from its host anyway.
/// Without a seed, Linux found no entropy at all while it booted and derived a new key from
/// its input pool for every request for random bytes: a fifth of the bundled Linux's boot.
inline constexpr uint8_t kRngSeed[32] = {
    0x47, 0x6c, 0x61, 0x73, 0x73, 0x56, 0x4d, 0x20, 0x72, 0x6e, 0x67, 0x2d, 0x73, 0x65, 0x65, 0x64,
    0x9e, 0x37, 0x79, 0xb9, 0x7f, 0x4a, 0x7c, 0x15, 0xbf, 0x58, 0x47, 0x6d, 0x1c, 0xe4, 0xe5, 0xb9};
}  // namespace virt

/// The device id (IOMMU requester id) of the first DMA master; the next ones follow in creation
/// order, so virtio-mmio slot n is device kFirstDmaDeviceId + n.
inline constexpr uint32_t kFirstDmaDeviceId = 1;

/// The most drive bytes a snapshot holds (save_snapshot refuses beyond, from_snapshot too).
inline constexpr uint64_t kMaxSnapshotDrive = 1ull << 30;

/// How much of the console's output a machine keeps (Machine::console_tail).
inline constexpr size_t kConsoleTailBytes = 16 << 10;

/// The longest stretch of guest time one Machine::run skips while every hart waits for a timer.
inline constexpr uint64_t kMaxIdleSkipNs = 10'000'000;

/// What runs before the kernel (the command line's -bios).
enum class Firmware : uint8_t {
  /// Chosen by the kernel's kind: None for an ELF (a bare-metal program starting in M-mode),
  /// BuiltinSbi for a Linux Image or a raw binary.
  Auto,
  /// -bios none: no firmware; the ROM jumps to the kernel (an ELF only) in M-mode.
  None,
  /// -bios default: the built-in SBI (engine/board/sbi.h) in place of QEMU's OpenSBI; the
  /// kernel starts in S-mode at its entry with a0 = hartid, a1 = device tree.
  BuiltinSbi,
  /// -bios FILE: a firmware given to Machine::load_firmware, started in M-mode at 0x80000000
  /// with a2 = &fw_dynamic_info.
  File,
};

/// What the user chose for the machine (the command line's -m, -kernel, ...).
struct MachineConfig {
  uint64_t ram_size = 128ull << 20;
  /// None, BuiltinSbi or Auto; Machine::load_firmware switches the machine to File.
  Firmware firmware = Firmware::Auto;
  std::string append;  ///< kernel command line, put in /chosen/bootargs
  /// Where device names are looked up, the board's own devices' included. The program builds it
  /// (register_builtin_devices(), and whatever other libraries add) and keeps it alive while
  /// the machine is being created; nullptr means a registry of the engine's models only.
  const DeviceRegistry* registry = nullptr;
  /// -device arguments ("ns16550a,addr=0x10002000,irq=12"), created after the board's own.
  std::vector<std::string> devices;
  /// The disks (-drive id=ID) that devices name (virtio-blk-device,drive=ID), owned by the
  /// program, alive as long as the machine. Each may be used by one device.
  std::map<std::string, BlockStorage*> drives;
};

/// Why Machine::run returned.
enum class MachineState : uint8_t {
  Running,     ///< the slice's step budget was used up (or the hart was stopped); run again
  Idle,        ///< every hart waits for an interrupt and no timer is armed: wait for input
  Exited,      ///< the guest ended the run (HTIF exit or test device); see exit_code()
  Reset,       ///< the guest asked for a reset (test device); the board has been reset
  Breakpoint,  ///< the hart reached a breakpoint; it has not executed that instruction yet
  /// The played session (Machine::play) reached its end time: the guest is where the recorded
  /// one was when the session was saved, and host input reaches the console again.
  PlaybackEnd,
};

class MachineBoardContext;

class Machine {
 public:
  /// Builds a virt board with `config`. Host failures (a RAM size that is not a multiple of
  /// 4 KiB, zero, more than 64 GiB, or too small for the device tree; a -device that is
  /// unknown, has bad options, names one of the board's own devices, overlaps another device
  /// or RAM, takes an interrupt in use, names a drive that does not exist or is in use,
  /// finds no free virtio-mmio slot, or is a second IOMMU) return nullptr and set `error`.
  static std::unique_ptr<Machine> create(const MachineConfig& config, Host& host,
                                         std::string& error);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  /// Loads an M-mode firmware (-bios FILE): a raw binary at 0x80000000 (OpenSBI's
  /// fw_dynamic.bin or fw_jump.bin) or an ELF at its own addresses, which the ROM starts with
  /// a0 = hartid, a1 = device tree, a2 = &fw_dynamic_info (next stage: the kernel, in S-mode).
  /// Call it before load_kernel. Returns false with a message naming `name` when the file is
  /// empty, does not fit in RAM, or is an ELF that is not a RISC-V executable or is linked
  /// outside RAM (such as OpenSBI's .elf files, linked at 0); the machine is then unchanged.
  bool load_firmware(std::span<const uint8_t> bytes, const std::string& name, std::string& error);

  /// Loads the kernel (`name` is used in messages): a RISC-V ELF executable at its own
  /// addresses, or, with a firmware (built-in or loaded), a RISC-V Linux Image or any raw
  /// binary at the kernel address (QEMU's: 0x80200000, or the first 2 MiB boundary after a
  /// loaded firmware). With Firmware::None only an ELF is accepted. The device tree goes to
  /// QEMU's place (the end of RAM below 3 GiB, aligned down to 2 MiB) unless an image is there.
  /// Returns false with a message naming `name` and the problem (not a kernel this firmware
  /// can run, a malformed ELF or Image header, an image outside RAM or larger than it, no room
  /// left for the device tree); the machine is then unchanged.
  bool load_kernel(std::span<const uint8_t> bytes, const std::string& name, std::string& error);

  /// Loads an initial ramdisk where QEMU 7.2 puts it (kernel entry + min(RAM/2, 128 MiB)) and
  /// adds linux,initrd-start/end to /chosen. Needs a kernel loaded first. Returns false with a
  /// message naming `name` when there is no kernel or the file does not fit in RAM there; the
  /// machine is then unchanged.
  bool load_initrd(std::span<const uint8_t> bytes, const std::string& name, std::string& error);

  /// The firmware in effect (Auto until a kernel decides it).
  Firmware firmware() const { return plan_.firmware; }
  /// The kernel's entry point (where the firmware or the built-in SBI enters it).
  uint64_t kernel_entry() const { return plan_.entry; }
  /// [start, end) of the loaded initrd; start == end when there is none.
  std::pair<uint64_t, uint64_t> initrd_range() const {
    return {plan_.initrd_addr, plan_.initrd_addr + plan_.initrd.size()};
  }

  /// Runs the guest for up to `max_steps` steps (instructions retired plus traps taken; fewer
  /// if it exits, idles or is stopped by a call to cpu().request_stop()). Host console input
  /// is delivered to the UART first. The guest's behaviour does not depend on how a run is
  /// cut into calls: the same total of steps reaches the same state.
  MachineState run(uint64_t max_steps);

  /// Breakpoints: run() stops before executing an instruction at one of these addresses
  /// (except the very first instruction of a run, so that continuing from a breakpoint works).
  /// While any breakpoint is set the hart is single-stepped, which is slower.
  void add_breakpoint(uint64_t pc) { breakpoints_.insert(pc); }
  void remove_breakpoint(uint64_t pc) { breakpoints_.erase(pc); }
  const std::set<uint64_t>& breakpoints() const { return breakpoints_; }

  /// Resets CPUs and devices (the virtio-mmio transports included: drivers must start over),
  /// puts the loaded images (firmware, kernel, initrd, device tree) back in RAM from the bytes
  /// kept at load time, as QEMU's ROM reset does, and restarts at the boot ROM. The rest of RAM
  /// keeps what the guest wrote.
  void reset();

  /// Snapshots (engine/base/snapshot.h, docs/snapshots.md): writes the whole machine to
  /// `out`: its configuration, the loaded images, RAM (untouched and zero pages cost
  /// nothing), the hart, the clock, the SBI and every device. Call it between runs. Returns
  /// false with a message naming the device when one cannot be saved (out is then unchanged).
  /// The drives' contents are in it too (blocks of zeros cost nothing), up to
  /// kMaxSnapshotDrive bytes of drives in all.
  bool save_snapshot(std::vector<uint8_t>& out, std::string& error);
  /// Builds a machine from snapshot `file`: its configuration from the snapshot, the device
  /// registry from `base`. The drives come back from the snapshot as disks in memory that the
  /// machine owns (take_restored_drive hands one over); `base`'s drives are not used. A file that
  /// is not a snapshot, is damaged, truncated, of another version, or holds any state this machine
  /// could not be in returns nullptr with a message; nothing else is changed, and allocations are
  /// bounded by the snapshot's own RAM size.
  /// `prepared`: work done on the file elsewhere (SnapshotFile::Prepared), or null.
  static std::unique_ptr<Machine> from_snapshot(std::span<const uint8_t> file,
                                                const MachineConfig& base, Host& host,
                                                std::string& error,
                                                const SnapshotFile::Prepared* prepared = nullptr);

  /// A hash of the whole guest state: the snapshot's sections (hart, CSRs, RAM, disks,
  /// devices, clock, console, images), so two machines that agree on it are in the same state.
  /// The same on every host and build; a device without snapshot support (none of GlassVM's
  /// own) counts by its -device text only. Call it between runs.
  uint64_t state_hash() const;

  /// Recorded sessions (engine/board/input_log.h). While recording, every byte the console
  /// device receives (typed, or played back) is added to recording() with the guest time at
  /// which it arrived. Turning recording on starts an empty log.
  void set_recording(bool on);
  bool recording_enabled() const { return recording_on_; }
  const InputLog& recording() const { return recording_; }
  /// Plays `log` back: each event's bytes reach the console at exactly its guest time, and
  /// host input is dropped until guest time `end_ns`, where run() stops with PlaybackEnd and
  /// host input counts again. Returns false with a message (nothing changes) when the log is
  /// malformed (InputLog::well_formed), starts before the machine's current guest time, or
  /// ends after `end_ns`.
  bool play(InputLog log, uint64_t end_ns, std::string& error);
  bool playing() const { return playing_; }
  /// Guest time at which the playback ends (meaningful while playing()).
  uint64_t playback_end_ns() const { return play_end_ns_; }
  /// Events of the played log delivered so far, and in all.
  size_t played_events() const { return play_next_; }
  size_t playback_events() const { return play_log_.events.size(); }
  /// Stops a playback early: the rest of the log is dropped and host input counts again.
  void stop_playing();

  /// Hands over drive `id`'s disk made by from_snapshot (nullptr if there is none, or it was
  /// taken). The machine goes on using it: the new owner keeps it alive longer than the
  /// machine.
  std::unique_ptr<MemoryBlockStorage> take_restored_drive(const std::string& id);

  bool exited() const { return exited_; }
  int exit_code() const { return exit_code_; }

  Cpu& cpu() { return *cpu_; }
  AddressSpace& system_as() { return *system_as_; }
  AddressSpace& cpu_as() { return *cpu_as_; }
  MemoryRegion& ram() { return ram_; }
  const MachineConfig& config() const { return config_; }

  /// One created device: the board's own first (virt_board_devices()), then -device ones.
  struct DeviceEntry {
    std::string spec;                              ///< the -device text it was created from
    std::unique_ptr<MachineBoardContext> context;  ///< owns the MMIO re-entrancy guard
    std::unique_ptr<Device> device;
  };
  /// The devices, in creation order.
  const std::vector<DeviceEntry>& devices() const { return devices_; }
  /// The IOMMU the board's DMA masters sit behind (a -device riscv-iommu-sys or
  /// virtio-iommu-device), or nullptr.
  IommuProvider* iommu() const { return iommu_; }

  /// The `info mtree` text (address spaces, then with `flatview` the flat views): the CPU's,
  /// the system's, and with an IOMMU each DMA master's address space behind it.
  std::string info_mtree(bool flatview) const;
  /// The console's last output (at most kConsoleTailBytes), in snapshots too: what a screen
  /// showing this machine shows.
  std::string_view console_tail() const {
    std::string_view t = host_.tail;
    return t.size() > kConsoleTailBytes ? t.substr(t.size() - kConsoleTailBytes) : t;
  }
  /// The device tree blob handed to the guest at boot.
  const std::vector<uint8_t>& fdt() const { return fdt_; }
  uint64_t fdt_addr() const { return fdt_addr_; }

  /// Guest time in nanoseconds: steps taken plus time skipped while idle.
  uint64_t guest_ns() const;
  /// The board's virtual clock (guest time and the devices' deadlines).
  const VirtualClock& clock() const { return clock_; }
  /// Nanoseconds of guest time the last run() skipped because every hart waited for a timer
  /// (at most about kMaxIdleSkipNs: a longer wait takes several runs). An embedder that wants
  /// `sleep 1` to take a second sleeps this long.
  uint64_t last_idle_skip_ns() const { return last_idle_skip_ns_; }
  /// Instructions retired since the machine was created (all resets included).
  uint64_t total_instructions() const;
  /// Steps (instructions retired plus traps taken) since the machine was created (all resets
  /// included): what run()'s budget counts.
  uint64_t total_steps() const;

 private:
  friend class MachineBoardContext;
  Machine(const MachineConfig& config, Host& host);
  bool build(const DeviceRegistry& registry, std::string& error);
  bool add_device(const std::string& text, const DeviceSpec& spec, std::string& error);
  /// With an IOMMU among the devices, puts every DMA master behind it (ids: see the .cpp).
  void attach_dma_masters_to_iommu();
  /// One piece of an image in RAM: `data` at `addr`, zero-filled up to `memsz` bytes.
  struct Blob {
    uint64_t addr = 0;
    std::vector<uint8_t> data;
    uint64_t memsz = 0;
  };
  /// What is loaded where; the loaders build a new plan and commit it only when it works out.
  struct BootPlan {
    Firmware firmware = Firmware::Auto;
    std::vector<Blob> firmware_blobs;
    uint64_t firmware_end = 0;  ///< end of the loaded firmware (0: none)
    std::vector<Blob> kernel_blobs;
    bool has_kernel = false;
    uint64_t entry = virt::kDramBase;
    std::optional<uint64_t> tohost, fromhost;  ///< an ELF kernel's HTIF symbols
    std::vector<uint8_t> initrd;
    uint64_t initrd_addr = 0;
  };
  /// Builds the device tree for `plan`, places it, and makes `plan` the machine's (moved from;
  /// then resets). Returns false with `error` (prefixed with `name`), leaving `plan` as it was
  /// and the machine unchanged, when the device tree finds no room.
  bool commit(BootPlan&& plan, const std::string& name, std::string& error);
  /// Whether [addr, addr + size) lies in RAM.
  bool in_ram(uint64_t addr, uint64_t size) const;
  /// The M-mode state OpenSBI leaves when it enters the kernel (built-in SBI only).
  void enter_kernel_like_opensbi();
  /// With the built-in SBI: reports a trap that reached M-mode (where no firmware is) and
  /// stops the machine. Returns whether it did.
  bool check_stray_m_trap();
  void write_boot_rom();
  /// What reset() writes to RAM, in order: each piece is `data` at `addr`, zeros up to `memsz`.
  using ResetPiece =
      std::function<void(uint64_t addr, std::span<const uint8_t> data, uint64_t memsz)>;
  void for_each_reset_piece(const ResetPiece& piece) const;
  /// A bitmap of the RAM pages that hold what reset() writes there (none of them all zeros).
  std::vector<uint8_t> pages_as_reset_left() const;
  void deliver_console_input();
  /// Takes received bytes from the board UART for the SBI console (never waits).
  size_t read_uart_input(std::span<uint8_t> out);
  void request_exit(int code);
  /// Hands each snapshot section (name, version, payload) to the sink, in restore order.
  using SectionSink = std::function<void(std::string, uint32_t, std::span<const uint8_t>)>;
  void write_sections(const SectionSink& sink) const;
  /// While playing: delivers the events due by now; ends the playback at its end time.
  void deliver_played_input();
  /// The guest time run() must stop at for the player (kNever when not playing).
  uint64_t next_play_ns() const;
  /// from_snapshot's second half: the state after the configuration.
  bool restore(const SnapshotFile& file, std::string& error);
  /// The Host the board's parts write to: the embedder's, keeping the console's last
  /// kConsoleTailBytes so that a snapshot brings the screen back with the machine.
  class ConsoleTap final : public Host {
   public:
    explicit ConsoleTap(Host& host) : host_(host) {}
    void console_write(std::span<const uint8_t> bytes) override;
    size_t console_read(std::span<uint8_t> out) override { return host_.console_read(out); }
    uint64_t wall_clock_ns() override { return host_.wall_clock_ns(); }
    void log(LogLevel level, std::string_view message) override { host_.log(level, message); }
    std::string tail;  ///< the console's last output
    Host& embedder() { return host_; }

   private:
    Host& host_;
  };
  /// Disks from_snapshot made for the snapshot's drives (before the devices that use them).
  std::vector<std::unique_ptr<MemoryBlockStorage>> owned_drives_;
  MachineConfig config_;
  ConsoleTap host_;
  VirtualClock clock_;  ///< before the devices, which arm alarms on it
  MemoryRegion system_;
  MemoryRegion ram_;
  MemoryRegion mrom_;
  std::unique_ptr<AddressSpace> system_as_;
  std::unique_ptr<AddressSpace> cpu_as_;
  std::unique_ptr<Cpu> cpu_;
  std::unique_ptr<Htif> htif_;  ///< Spike's tohost/fromhost, mapped when the ELF has them
  bool htif_mapped_ = false;
  std::vector<DeviceEntry> devices_;
  /// The board's IOMMU (a device's as_iommu()), nullptr without one.
  IommuProvider* iommu_ = nullptr;
  /// What the devices gave the board through their contexts.
  std::function<IrqLine::Sink(unsigned)> irq_controller_;
  BoardContext::ConsoleInput console_;
  /// MMIO ranges [start, end] and PLIC sources taken, for checking -device placements.
  std::vector<std::pair<uint64_t, uint64_t>> taken_ranges_;
  std::set<unsigned> taken_irqs_;
  /// The virtio-mmio bus: the slots' transports in creation order.
  std::vector<VirtioMmio*> virtio_transports_;
  std::set<std::string> taken_drives_;
  VirtFdtConfig fdt_config_;  ///< the tree's description; the plan adds the initrd to it
  std::vector<uint8_t> fdt_;
  uint64_t fdt_addr_ = 0;
  BootPlan plan_;
  std::unique_ptr<Sbi> sbi_;
  uint64_t instret_before_reset_ = 0;
  uint64_t steps_before_reset_ = 0;
  uint64_t last_idle_skip_ns_ = 0;
  std::set<uint64_t> breakpoints_;
  bool recording_on_ = false;
  InputLog recording_;
  bool playing_ = false;
  InputLog play_log_;
  size_t play_next_ = 0;
  uint64_t play_end_ns_ = 0;
  bool exited_ = false;
  bool reset_requested_ = false;
  bool in_cpu_run_ = false;  ///< the hart is inside Cpu::run (a deadline change must stop it)
  bool reslice_ = false;     ///< a deadline moved during the current CPU slice
  int exit_code_ = 0;
};

}  // namespace glassvm
