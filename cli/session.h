// One run of the command line: the options, the machine they describe, and the loop that runs
// it in slices. Shared by the native `glassvm` (main.cpp) and the wasm build under node
// (main_node.cpp), which differ only in their Host and in how they wait between slices.
//
// Design note: the run loop is a step function, not a loop. The native program calls step()
// in a loop and blocks in poll() when it says Wait; under node, blocking would starve the event
// loop that delivers standard input, so main_node.cpp calls step() from timers and returns to
// the event loop in between. Everything the loop needs lives here on the heap, since under node
// main() returns long before the guest ends.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli_host.h"
#include "cli/drive.h"
#include "cli/options.h"
#include "engine/base/pacer.h"
#include "engine/board/device_registry.h"
#include "engine/board/machine.h"
#include "engine/board/machine_link.h"
#include "iommu/event_log.h"
#include "wasm-jit/jit.h"

namespace glassvm {

/// Exit statuses of the command line (besides the guest's own exit code).
constexpr int kExitUsage = 2;
constexpr int kExitMaxInsns = 3;

/// What the caller of Session::step() does next.
struct Step {
  enum class Kind : uint8_t { Continue, Wait, Exit } kind = Kind::Continue;
  int wait_ms = 0;  ///< Wait: at most this long, or until console input arrives
  int status = 0;   ///< Exit: the process's exit status
};

class Session {
 public:
  /// Makes the host for `opts` (the native one or node's).
  using HostFactory = std::function<std::unique_ptr<CliHost>(const CliOptions&)>;

  /// Parses argv and builds the machine. Returns a session to run, or nullptr with `status`
  /// set when there is nothing to run: 0 after --help, --version, --info-mtree, --dump-dtb,
  /// `-device help`; kExitUsage after printing a message about bad options or files.
  static std::unique_ptr<Session> open(int argc, char** argv, const HostFactory& make_host,
                                       int& status);
  ~Session();

  /// Runs the guest for one slice (or ends the run) and says what to do next. After an Exit the
  /// drives are flushed and --stats printed; step() must not be called again.
  Step step();

  CliHost& host() { return *host_; }

 private:
  Session() = default;
  bool setup(int argc, char** argv, const HostFactory& make_host, int& status);
  /// --replay: builds the machine from the link and starts playing it.
  bool setup_replay(MachineConfig config, int& status);
  /// The last part of setup: traces, the JIT, the clocks.
  bool start(int& status);
  /// --record: writes the session file; false (with a message) if it could not.
  bool save_recording();
  void install_traces();
  void install_jit();
  bool flush_drives();
  /// --snapshot-save: writes the machine to its file; false (with a message) if it could not.
  bool save_snapshot();
  int finish(int status);
  uint64_t wall_ns() const;
  int pace_wait_ms();

  CliOptions opts_;
  DeviceRegistry registry_;
  std::unique_ptr<CliHost> host_;
  std::vector<std::unique_ptr<OpenDrive>> drives_;
  std::unique_ptr<Machine> machine_;
  std::vector<uint8_t> record_program_;        ///< --record: the program the session carries
  MachineLink replay_link_;                    ///< --replay: the session being replayed
  std::unique_ptr<BlockStorage> replay_disk_;  ///< --replay: the link's blank disk
  std::unique_ptr<IommuEventLog> iommu_trace_;
  std::unique_ptr<Jit> jit_;
  FILE* jit_dump_ = nullptr;
  uint64_t wall_start_ns_ = 0;
  WallPacer pacer_;  // against wall_ns()
  uint64_t budget_left_ = 0;
};

}  // namespace glassvm
