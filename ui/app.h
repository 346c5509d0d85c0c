// The GlassVM user interface: one machine and the ImGui panels that show and drive it.
//
// Design note: App knows nothing about the browser. The page's main loop (web/main_web.cpp)
// calls, once per frame: run_slice(next_budget_ms(), now), then ImGui's NewFrame, draw(),
// Render, and finally note_frame() with the frame's busy time. The JavaScript API reads state
// through the accessors here. App only reads engine state and sends commands through the
// engine's public API (Machine, Cpu, AddressSpace). Loading a guest, changing the memory size
// and resetting all build a fresh Machine from the kept guest image, so that a reset machine
// is exactly a new one. The disk is the exception: it is the user's data, so App owns it and
// hands the same storage to every machine it builds, and what the guest wrote survives resets.
// Each machine gets its own JIT (wasm-jit/jit.h) while the JIT is switched on; the App
// installs and removes it only between runs, and releases it before the machine goes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/base/host.h"
#include "engine/base/pacer.h"
#include "engine/board/device_registry.h"
#include "engine/board/machine.h"
#include "engine/board/machine_link.h"
#include "ui/console_watch.h"
#include "ui/iommu_events.h"
#include "ui/iommu_state_view.h"
#include "ui/jit_view.h"
#include "ui/layout.h"
#include "ui/machine_view.h"
#include "ui/perf_view.h"
#include "wasm-jit/jit.h"

namespace glassvm::ui {

/// The drive id of the App's disk in each machine (MachineConfig::drives).
inline constexpr char kDiskDriveId[] = "disk0";

/// Hooks into the embedder for what the UI cannot do itself. Unset hooks are never called.
struct AppCallbacks {
  /// The user chose a bundled guest whose bytes are not loaded yet: fetch it and call
  /// load_guest (or add_message on failure).
  std::function<void(const std::string& name)> fetch_guest;
  /// The user pressed "Open ELF...": show a file dialog and call load_guest with the file.
  std::function<void()> open_file_dialog;
};

/// The IOMMU state sections' inputs and cached views (ui/iommu_state_panel.cpp): the views
/// are rebuilt when the inputs or the machine change, or at most every 250 ms of wall time
/// while the guest runs or the event log grows, never every frame.
struct IommuStatePanelState {
  char mapping_device_text[12] = {};  ///< the mapping table's device filter; empty: all
  char walk_device_text[12] = {};
  char walk_iova_text[24] = {};
  int walk_access = 0;  ///< 0 read, 1 write
  IommuStateView state;
  std::vector<IommuMappingRow> mappings;
  bool mappings_truncated = false;
  IovaWalkView walk;
  bool walk_valid = false;   ///< the walk inputs parse
  std::string built_inputs;  ///< the inputs the cache was built for
  double built_at = -1;      ///< ImGui::GetTime() when it was built
  uint64_t built_seq = 0, built_epoch = ~uint64_t{0}, built_guest_ns = 0;
};

/// Per-panel state that lives across frames (panels are free functions in *_panel.cpp).
struct PanelState {
  bool follow_pc = true;
  uint64_t disasm_addr = 0;
  char breakpoint_text[24] = {};
  char translate_text[24] = {};  ///< the translation view's address (hex); empty: the pc
  int translate_access = 0;      ///< 0 fetch, 1 load, 2 store
  /// A register or a disassembly line was picked: the Translation section opens (once).
  bool translate_picked = false;
  int ram_choice = -1;
  std::string mtree_text;
  uint64_t mtree_cpu_generation = ~uint64_t{0};
  uint64_t mtree_system_generation = ~uint64_t{0};
  uint64_t mtree_epoch = ~uint64_t{0};
  float last_width = 0, last_height = 0;
  bool last_iommu = false;
  bool last_lesson_open = false;
  // The IOMMU panel's timeline filter (ui/iommu_events.h).
  char iommu_device_text[12] = {};
  bool iommu_show_map = true, iommu_show_unmap = true, iommu_show_deviotlb = true;
  char iommu_first_text[24] = {};  ///< the IOVA range filter (hex); empty: from 0
  char iommu_last_text[24] = {};   ///< empty: to the top of the space
  /// The drawn timeline's window of guest time: the last `iommu_window_s` seconds up to now,
  /// or (`iommu_window_fit`) from the oldest event held.
  bool iommu_window_fit = true;
  float iommu_window_s = 1.0f;
  /// The selected event (0: none), picked on the timeline or in the table.
  uint64_t iommu_selected_seq = 0;
  IommuStatePanelState iommu_state;
  /// The JIT panel's selected translation (JitTranslationRecord::seq; 0: the newest).
  uint64_t jit_selected_seq = 0;
};

class LessonRunner;

/// Where the App paused at an armed stop ("run to the next event": an IOMMU event, a trap, or
/// console output), for the panels and the JS API.
struct StopReport {
  enum class Kind { None, IommuEvent, Trap, Console };
  Kind kind = Kind::None;
  uint64_t count = 0;                     ///< stops so far (1, 2, ...): a new stop changes it
  std::optional<IommuEventRecord> event;  ///< Kind::IommuEvent: the event
  TrapEvent trap;                         ///< Kind::Trap: the trap
  std::string console;                    ///< Kind::Console: the text the console printed
  uint64_t pc = 0;                        ///< the hart's pc when it stopped
};

/// The text of a stop for the messages and the Lessons panel ("IOMMU event #3: riscv-iommu dev 9
/// UNMAP ...", "trap: Load page fault (cause 13), tval 0x40000000, S -> S, epc 0x...").
std::string describe_stop(const StopReport& stop);

class App {
 public:
  /// Creates a virt Machine with 128 MiB of RAM and no guest (it idles until one is loaded).
  /// The bundled guests "linux", "demo.elf" and "bench.elf" are registered for the selector.
  explicit App(Host& host);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  /// Builds a fresh machine (current memory size) running `elf`, and keeps the image under
  /// `name` for resets and the guest selector. On failure (not a RISC-V ELF64 executable, a
  /// segment outside RAM) returns false, sets `error` to a message naming `name`, adds it to
  /// messages(), and leaves the running machine untouched. A loaded guest starts unpaused.
  bool load_guest(std::span<const uint8_t> elf, const std::string& name, std::string& error);
  /// The same for a kernel with an initramfs and a command line (a Linux Image or ELF kernel,
  /// booted with the built-in SBI), or an ELF alone. Errors name `name` (and its initramfs).
  bool load_guest(GuestImage image, const std::string& name, std::string& error);
  /// Replaces the machine with one restored from snapshot `bytes` (engine/base/snapshot.h;
  /// `name` for messages): memory size, devices, images and state all come from the snapshot,
  /// and the current disk (if any) is given to it as the drive it names. On failure returns
  /// false, sets `error` to a message naming `name` (also in messages()), and leaves the
  /// running machine untouched. Until another guest is loaded, reset() reboots the snapshot's
  /// images, and memory size, device and disk changes are refused (they would need a rebuild).
  /// `prepared`: work done on the file beforehand (SnapshotFile::Prepared), or null.
  bool load_snapshot(std::span<const uint8_t> bytes, const std::string& name, std::string& error,
                     const SnapshotFile::Prepared* prepared = nullptr);
  /// Saves the running machine into `out` (Machine::save_snapshot). False with `error` (also
  /// in messages()) when it cannot be saved (a device model without snapshot support, disks
  /// larger than a snapshot holds).
  bool save_snapshot(std::vector<uint8_t>& out, std::string& error);
  /// Share links (engine/board/machine_link.h, docs/links.md): the current machine as a link,
  /// with how it started, the console input since (every machine the App builds records it)
  /// and the state it has reached now. False with `error` (also in messages()) when the
  /// machine cannot be reproduced from a link: no guest, a guest the link could not carry (a
  /// snapshot file, a kernel with an initramfs that is not bundled, a program over
  /// kMaxLinkProgram), a disk that held data when the machine started, a reset after starting
  /// from a snapshot, a replay still running, or more input than a link holds.
  bool share_link(MachineLink& out, std::string& error);
  /// The embedder loaded the current guest (or snapshot) from the page's bundle by its name:
  /// links name it rather than carry it.
  void mark_guest_bundled();
  /// Opens a link: builds its machine from `image` (the bundled guest it names, booted) or
  /// `snapshot` (the bundled snapshot, for MachineLink::Start::Snapshot); a link carrying its
  /// program needs neither. Then plays its input: the session unfolds as it did for the
  /// sender, and the user's typing counts once it has ended. On failure (files that are not
  /// the ones the link was made with, a configuration this page cannot build) returns false
  /// with `error` (also in messages()) and keeps the running machine.
  bool open_link(const MachineLink& link, GuestImage image, std::span<const uint8_t> snapshot,
                 std::string& error);
  /// The last link opened: how far its replay has come, and whether it ended in the state the
  /// sender's machine was in.
  struct ReplayStatus {
    bool opened = false;    ///< a link was opened (the rest is about it)
    bool finished = false;  ///< guest time reached the session's end
    bool matched = false;   ///< finished in the sender's state (Machine::state_hash)
    size_t events = 0, played = 0;
    uint64_t end_ns = 0, expected_hash = 0, hash = 0;
  };
  const ReplayStatus& replay_status() const { return replay_; }
  /// glassvm.replay(): {"opened","playing","finished","matched","events","played","endNs",
  /// "guestNs","hash","expectedHash"} as JSON (hashes as 16 hex digits).
  std::string replay_json() const;

  /// Rebuilds the machine with `mib` MiB of RAM, reloading the current guest. Sizes outside
  /// 1..kMaxRamMib, or a guest that does not fit, keep the old machine and add a message.
  void set_ram_mib(unsigned mib);
  /// The device models machines are built from: the engine's; the program adds other
  /// libraries' (the page adds the IOMMU models) before it names them in set_devices().
  DeviceRegistry& registry() { return registry_; }
  /// Rebuilds the machine with `devices` (-device arguments, e.g. "riscv-iommu-sys") after the
  /// board's own, reloading the current guest. On failure (an unknown model, bad options, a
  /// clash) returns false, sets `error`, adds it to messages(), and keeps the old machine and
  /// list.
  bool set_devices(std::vector<std::string> devices, std::string& error);
  const std::vector<std::string>& devices() const { return devices_; }

  /// Attaches `bytes` (a raw disk image, `name` for messages) as the disk of every machine
  /// built from now on: drive kDiskDriveId on a virtio-blk-device after the devices() list,
  /// as the command line's -drive if=virtio is, so it sits behind the IOMMU when there is one.
  /// Rebuilds the machine with the current guest; the disk replaces any earlier one. Returns
  /// false with `error` (also in messages()) for a size check_disk_bytes refuses or a machine
  /// that cannot be built; the old machine and disk then stay.
  bool set_disk(std::vector<uint8_t> bytes, const std::string& name, std::string& error);
  /// The same with a blank (zero-filled) disk of `mib` MiB (1..kMaxDiskMib, checked before any
  /// memory is taken).
  bool set_blank_disk(uint64_t mib, std::string& error);
  /// Detaches the disk and rebuilds the machine without it (nothing happens without a disk).
  void remove_disk();
  /// The disk (null: none). Its contents are what the guest has written so far.
  const MemoryBlockStorage* disk() const { return disk_.get(); }
  /// glassvm.disk(): {"attached","name","bytes","readOnly","bytesWritten"} as JSON.
  std::string disk_json() const;
  /// The disk's blocks written since the last call (MemoryBlockStorage::take_written_blocks),
  /// for the page to keep in the browser's storage: records of u64 offset, u32 length and the
  /// bytes, little-endian. Empty without a disk or changes.
  std::vector<uint8_t> take_disk_changes();
  /// Runs the guest for about `budget_ms` of wall time, unless paused, exited, idle (waiting
  /// for input) or ahead of real time after a timer skip. `now_ms` is the frame's timestamp
  /// (any monotonic clock in ms); it also drives the instructions-per-second meter. Stopping
  /// at a breakpoint pauses and adds a message; a guest exit adds a message.
  void run_slice(double budget_ms, double now_ms);
  /// Draws every panel into the current ImGui frame (between NewFrame and Render), tiled over
  /// a `width` x `height` area.
  void draw(float width, float height);

  /// Stops running guest slices (the state stays as it is).
  void pause();
  /// Continues running guest slices.
  void resume();
  /// While paused, executes exactly one instruction (or takes one trap; a hart waiting in WFI
  /// stays put). Does nothing while running or after the guest exited.
  void step();
  /// Rebuilds the machine from the current guest image (a fresh boot); pause state is kept.
  void reset();
  bool paused() const { return paused_; }
  /// Whether the last slice stopped because the guest waits for input (every hart in WFI and
  /// no timer armed), as a shell at its prompt does.
  bool waiting_for_input() const { return idle_; }

  Machine& machine() { return *machine_; }
  /// The current machine's IOMMU events (ui/iommu_events.h); null when it has no IOMMU.
  const IommuEventLog* iommu_log() const { return iommu_log_.get(); }
  /// Pause on the next IOMMU event that passes `filter`: the hart stops at the instruction
  /// boundary after the one whose access made the event, the App pauses, and the switch turns
  /// itself off.
  void set_pause_on_iommu_event(bool on, const IommuEventFilter& filter = {}) {
    pause_on_iommu_event_ = on;
    iommu_stop_filter_ = filter;
  }
  bool pause_on_iommu_event() const { return pause_on_iommu_event_; }
  /// Pause on the next trap whose cause (mcause value) is in `causes` (empty: any trap): the
  /// hart stops at the first instruction of the handler, with the trap CSRs written; one-shot.
  /// The CPU's trap hook is set only while this is armed.
  void set_pause_on_trap(bool on, std::vector<uint64_t> causes = {});
  bool pause_on_trap() const { return pause_on_trap_; }
  /// Pause once the console output from now on contains `text` (at the instruction boundary
  /// after the write that completes it); one-shot. Empty: off.
  void set_pause_on_console(std::string text);
  bool pause_on_console() const { return console_.armed(); }
  /// Turns off every armed stop (IOMMU event, trap, console).
  void disarm_stops();
  /// The last armed stop the App paused at (kind None before the first).
  const StopReport& last_stop() const { return last_stop_; }
  /// The Lessons panel's runner (ui/lessons.h): the open lesson and its current step.
  LessonRunner& lessons() { return *lessons_; }
  const LessonRunner& lessons() const { return *lessons_; }
  /// The sequence number of the event the App last paused at (0: none yet).
  uint64_t paused_at_iommu_event() const { return paused_at_iommu_event_; }
  const Machine& machine() const { return *machine_; }
  /// Guest instructions per second over the last second of run_slice calls.
  double ips() const { return ips_.ips(); }
  /// Guest instructions per second counted only over the time spent inside the interpreter
  /// while the guest ran flat out (slices not cut short by idling, timers or breakpoints):
  /// the interpreter's own speed, without the UI's share of each frame. 0 before any such slice.
  double interpreter_ips() const {
    return busy_ms_ > 0 ? static_cast<double>(busy_insns_) / busy_ms_ * 1e3 : 0;
  }
  /// Wall time since the current machine was built (load, memory size, reset), in seconds.
  double seconds_since_load() const { return (last_now_ms_ - loaded_at_ms_) / 1e3; }
  /// Average frame time over the last second, as fed to note_frame.
  double frame_ms() const { return frames_.average_ms(); }

  /// Feeds one frame's busy time (run_slice + draw + render, in ms) to the Performance panel
  /// and the slice controller.
  void note_frame(double frame_ms);
  /// The guest time slice for the next frame: keeps frames under 20 ms (see perf_view.h).
  double next_budget_ms() const { return slices_.next_budget_ms(); }

  /// User-visible error and status messages, oldest first.
  const std::vector<std::string>& messages() const { return messages_.all(); }
  void add_message(std::string message);

  /// glassvm.memoryMap(): the CPU's flat view as JSON (see flat_rows_json).
  std::string memory_map_json() const;
  /// glassvm.registers(): {"pc","x","priv"} as JSON (see registers_json).
  std::string registers_json() const;
  /// glassvm.state(): {"running","paused","exited","exitCode","guest","ramMiB"} as JSON.
  std::string state_json() const;

  /// The current guest's name ("" before the first load_guest).
  const std::string& guest_name() const { return guest_name_; }
  /// The current memory size in MiB.
  unsigned ram_mib() const { return ram_mib_; }
  /// Registers a bundled guest for the selector (the page fetches it on demand).
  void add_bundled_guest(const std::string& name) { catalog_.add_bundled(name); }
  const GuestCatalog& guests() const { return catalog_; }
  /// Chooses a guest from the selector: loads kept bytes, or asks the embedder to fetch it.
  void choose_guest(const std::string& name);
  void set_callbacks(AppCallbacks callbacks) { callbacks_ = std::move(callbacks); }
  const AppCallbacks& callbacks() const { return callbacks_; }

  /// Switches the JIT on or off, for the current machine at once (the App runs nothing while
  /// it is called) and for every machine built later. On at first. Off, the current JIT is
  /// removed from the hart (its translations released) but kept for its numbers. When this
  /// build has no JIT (jit_status().why says why) the switch is kept and the interpreter runs
  /// everything either way.
  void set_jit_enabled(bool on);
  bool jit_enabled() const { return jit_enabled_; }
  /// The JIT's switch, availability and statistics (the Performance panel, glassvm.jit()).
  JitStatus jit_status() const;
  /// The last translations the current machine's JIT made (the JIT panel).
  const JitTranslationLog& jit_translations() const { return jit_log_; }

  /// Time-slice bookkeeping, for the Performance panel.
  const SliceController& slice_controller() const { return slices_; }
  const FrameStats& frame_stats() const { return frames_; }
  const RateEstimator& rate() const { return rate_; }
  /// How often the page draws the panels while the guest is busy (the page feeds it; shown in
  /// the Performance panel and glassvm.drawPacing()).
  DrawPacer& draw_pacer() { return draw_pacer_; }
  const DrawPacer& draw_pacer() const { return draw_pacer_; }
  double last_slice_ms() const { return last_slice_ms_; }
  /// Why the guest is not running right now ("paused", "idle: waiting for input", ...), or "".
  const std::string& status() const { return status_; }

  PanelState& panel_state() { return panel_; }
  /// Opens or closes panel `id` (all are open at first; glassvm.setPanelOpen). A closed
  /// panel's window is not drawn at all, so it costs nothing per frame.
  void set_panel_open(PanelId id, bool open) { panel_closed_[static_cast<int>(id)] = !open; }
  bool panel_open(PanelId id) const { return !panel_closed_[static_cast<int>(id)]; }
  /// The panels' windows as the last draw() left them (moved or resized by the user or not),
  /// in canvas pixels; closed panels, and the IOMMU panel without an IOMMU, are not there.
  const std::vector<PanelRect>& drawn_panels() const { return drawn_panels_; }
  /// glassvm.panels(): [{"name","open","shown","x","y","w","h"}] for every panel, in PanelId
  /// order; "shown": drawn in the last frame, with its window's rectangle (else zeros).
  std::string panels_json() const;
  /// How many times draw() has run (the page skips drawing while it starts and draws a busy
  /// guest's panels only now and then; the web benchmark counts drawings with this).
  uint64_t draw_count() const { return draw_count_; }
  /// Increments whenever the machine is replaced (load, memory size, reset): views cached
  /// from the old machine are stale.
  uint64_t machine_epoch() const { return machine_epoch_; }

 private:
  /// A new machine with `mib` MiB booting `image` (none: idle); nullptr with `error` on failure.
  std::unique_ptr<Machine> build(unsigned mib, const GuestImage* image, const std::string& name,
                                 std::string& error);
  void adopt(std::unique_ptr<Machine> machine);
  /// Makes the JIT agree with jit_enabled_: installs the current machine's (made on first
  /// need), or removes it from the hart. Only between runs.
  void update_jit();
  /// Takes the JIT off the current machine's hart and drops it (the machine is being replaced).
  void drop_jit();
  /// Sets the CPU's trap hook for pause_on_trap_ (or clears it when not armed).
  void install_trap_hook();
  /// Records a stop that asks the hart to stop (the first one wins until take_stop).
  void request_pause(StopReport stop);
  /// After a run: pauses at the stop a trigger asked for, if any, and reports it.
  bool take_stop();
  /// Makes `disk` the disk and rebuilds the machine with it; on failure puts the old disk
  /// back and returns false with `error` (already in messages()).
  bool replace_disk(std::unique_ptr<MemoryBlockStorage> disk, std::string name, std::string& error);
  /// How far guest time runs ahead of the wall clock (negative: behind), after forgiving lag
  /// beyond a bound (WallPacer); the page waits while a timer skip put it ahead, so `sleep 1`
  /// takes about a second.
  int64_t guest_ahead_ns();
  /// While the machine came from a snapshot: adds a message that `what` needs a rebuild, sets
  /// `error` to it, and returns true (the caller then refuses).
  bool refuse_after_snapshot(const std::string& what, std::string& error);

  /// A playback reached its end: compares the state with the sender's and says so.
  void finish_replay();
  /// Stops recording (and sharing) a session whose input grew too large for a link.
  void check_recording_size();
  /// Puts `machine` in place (adopt) as a machine that starts a session: it records input.
  void start_session();

  /// How the current machine started, for share_link.
  struct LinkOrigin {
    std::string refusal;           ///< why it cannot be shared ("": it can)
    bool bundled = false;          ///< the guest came from the page's bundle (mark_guest_bundled)
    std::vector<uint8_t> program;  ///< a booted ELF alone (not bundled: the link carries it)
    bool has_initrd = false;
    bool has_append = false;  ///< booted with a kernel command line, which no link carries
    uint32_t crc = 0;         ///< MachineLink::guest_crc
    MachineLink::Start start = MachineLink::Start::Boot;
    uint64_t start_ns = 0;
    bool disk_blank = true;  ///< the disk was all zeros when the machine started
  };
  LinkOrigin origin_;
  ReplayStatus replay_;

  Host& host_;
  ConsoleWatch console_{host_};       ///< the Host machines are built on: watches the console
  DeviceRegistry registry_;           ///< before machine_: machines are built from it
  std::vector<std::string> devices_;  ///< the -device list of every machine built
  /// The disk every machine built gets (null: none); before machine_, which points into it.
  std::unique_ptr<MemoryBlockStorage> disk_;
  std::string disk_name_;
  std::unique_ptr<Machine> machine_;
  /// The IOMMU events of machine_ (null without an IOMMU); after machine_, so it goes first.
  std::unique_ptr<IommuEventLog> iommu_log_;
  bool pause_on_iommu_event_ = false;
  IommuEventFilter iommu_stop_filter_;
  bool pause_on_trap_ = false;
  std::vector<uint64_t> trap_stop_causes_;
  std::optional<StopReport> pending_stop_;  ///< asked for inside run(), until take_stop sees it
  StopReport last_stop_;
  uint64_t paused_at_iommu_event_ = 0;
  std::unique_ptr<LessonRunner> lessons_;
  uint64_t machine_epoch_ = 0;
  std::string guest_name_;
  bool from_snapshot_ = false;  ///< machine_ was restored from a snapshot (not rebuildable)
  unsigned ram_mib_ = 128;
  bool paused_ = false;
  bool idle_ = false;
  double sleep_until_ms_ = 0;  ///< guest is ahead of real time until then (timer skip)
  double last_now_ms_ = 0;
  double loaded_at_ms_ = 0;  ///< last_now_ms_ when the current machine was adopted
  WallPacer pacer_;          ///< guest time against the host's wall clock
  double last_slice_ms_ = 0;
  std::string status_;
  MessageLog messages_;
  GuestCatalog catalog_;
  AppCallbacks callbacks_;
  IpsMeter ips_;
  FrameStats frames_;
  SliceController slices_;
  RateEstimator rate_;
  DrawPacer draw_pacer_;
  uint64_t busy_insns_ = 0;  ///< instructions of flat-out slices (interpreter_ips)
  double busy_ms_ = 0;       ///< their wall time
  PanelState panel_;
  bool panel_closed_[kPanelCount] = {};
  std::vector<PanelRect> drawn_panels_;
  bool jit_enabled_ = true;  // ?jit=0 and the Performance panel turn it off
  /// The current machine's JIT (null: none made, or unavailable); installed while
  /// jit_installed_. Taken off the hart before it is destroyed (drop_jit, ~App).
  std::unique_ptr<Jit> jit_;
  bool jit_installed_ = false;
  std::string jit_why_;          ///< why make_jit() gave no JIT (empty: it gave one)
  uint64_t jit_steps_base_ = 0;  ///< the machine's steps when jit_ was made
  JitTranslationLog jit_log_;
  uint64_t draw_count_ = 0;
};

}  // namespace glassvm::ui
