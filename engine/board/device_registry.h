// The device registry: device models the board creates by name (`-device NAME[,opt=val...]`,
// QEMU's spelling).
//
// Design note: there is no global registry. The program builds a DeviceRegistry, lets each
// library that brings models add them (register_builtin_devices() for the engine's; later
// iommu/ adds its own), and hands it to the machine in MachineConfig; the command line and
// the page, which link everything, are where the libraries meet. Each model declares its
// options (name, type, default, help, range), so that user input is validated in one place
// before a device exists, and `-device help` / `-device NAME,help` are generated from the
// declarations. The board's own devices (CLINT, PLIC, test device, first UART, RTC) come from
// the same registry, by name, with their QEMU virt placements; models reach the board only
// through BoardContext (engine/devices/board_context.h), so device code never depends on the
// board library.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/snapshot.h"
#include "engine/devices/board_context.h"
#include "engine/devices/iommu_provider.h"

namespace glassvm {

/// One option of a device model.
struct DeviceOption {
  enum class Type : uint8_t { Number, String };
  std::string name;
  Type type = Type::Number;
  std::string default_value;  ///< used when the user gives none; "" for a required option
  std::string help;
  uint64_t min = 0;  ///< numbers: the accepted range
  uint64_t max = UINT64_MAX;
};

/// The validated options of one device: every declared option has a value.
class DeviceOptions {
 public:
  /// The value of number option `name` (assert if the model did not declare it as a number).
  uint64_t number(const std::string& name) const;
  /// The value of string option `name` (assert if the model did not declare it).
  const std::string& string(const std::string& name) const;

 private:
  friend class DeviceRegistry;
  std::map<std::string, uint64_t> numbers_;
  std::map<std::string, std::string> strings_;
};

class FdtBuilder;
struct VirtFdtContext;

/// A live device made by a model. Its device-tree contribution is written in three passes over
/// the board's device list (see engine/board/virt_fdt.h for the order): phandles, nodes at the
/// root, nodes under /soc.
class Device {
 public:
  virtual ~Device() = default;
  /// Back to the power-on state (the board's reset).
  virtual void reset() {}

  /// Allocates the phandles the device's nodes carry (called in device order, after the harts').
  virtual void fdt_alloc_phandles(FdtBuilder&) {}
  /// The phandle of the device's interrupt-controller node, if it is the one device nodes name
  /// in interrupt-parent (the PLIC); 0 otherwise.
  virtual uint32_t fdt_interrupt_parent() const { return 0; }
  /// Whether the device is one of the hart-facing interrupt controllers (PLIC, CLINT), whose
  /// nodes QEMU writes last under /soc.
  virtual bool fdt_is_interrupt_controller() const { return false; }
  /// The path of the device's node when it owns the console (/chosen stdout-path); "" if not.
  virtual std::string fdt_stdout_path() const { return ""; }
  /// Writes nodes at the root, between /chosen and /memory (the test device's syscon nodes).
  virtual void fdt_root_nodes(FdtBuilder&, const VirtFdtContext&) const {}
  /// Writes the device's nodes under /soc.
  virtual void fdt_soc_nodes(FdtBuilder&, const VirtFdtContext&) const {}

  /// The device as an IOMMU that DMA masters can sit behind; nullptr for other devices.
  virtual IommuProvider* as_iommu() { return nullptr; }
  /// Whether the device may master DMA, and so gets a device id when the board has an IOMMU
  /// (a virtio-mmio slot, with or without a device plugged in).
  virtual bool is_dma_master() const { return false; }
  /// Puts the device's DMA behind `iommu` as requester `device_id` (its address space from
  /// iommu.dma_address_space(), its node naming the IOMMU in `iommus`). The board calls it once,
  /// after every device is created and before the guest runs, only if is_dma_master(). A
  /// device that does no DMA as configured (an empty slot) may leave things as they are.
  virtual void attach_iommu(IommuProvider& /*iommu*/, uint32_t /*device_id*/) {}

  /// Snapshots (engine/base/snapshot.h; the board saves each device as section
  /// "device/INDEX"). The version of the state save_state() writes; 0 when the model cannot be
  /// saved, and then a machine holding it refuses to be saved, naming it.
  virtual uint32_t state_version() const { return 0; }
  /// Writes everything the guest can observe or that decides what the device does next:
  /// registers, queued bytes, in-flight requests, the levels of its interrupt lines. Not its
  /// alarms' deadlines: the board saves the clock whole.
  virtual void save_state(StateWriter& /*w*/) const {}
  /// Restores what save_state() wrote with `version` (at most state_version()) into a device
  /// created from the same -device text, on a machine that has just been built (and reset) and
  /// has not run. Sets interrupt lines with IrqLine::restore_level (the receiving end restores
  /// its own state). Validates every value (the bytes come from a file): on an impossible one,
  /// r.fail(why); the board then throws the whole machine away.
  virtual void load_state(StateReader& r, uint32_t /*version*/) { r.fail("cannot be restored"); }
};

/// A device model: its name and what it can do.
struct DeviceModel {
  std::string name;  ///< as typed after -device ("ns16550a")
  std::string bus;   ///< "System" for memory-mapped devices, as QEMU lists them
  std::string description;
  std::vector<DeviceOption> options;
  /// False for the board's own devices (CLINT, PLIC, ...): the board creates them once, and
  /// -device refuses them (QEMU's "no-user").
  bool user_creatable = true;
  /// The board-wide resources the device claims, checked against the board's before create:
  /// the MMIO range [addr, addr + mmio_size) from option "addr" and the PLIC source from
  /// option "irq" (0 when the model has no such option).
  uint64_t mmio_size = 0;
  /// Builds a device with validated options. `board` lives as long as the device; keep it to
  /// reach the board later. A model that fails (nullptr with a message for `error`) must do so
  /// before it maps anything on the board.
  std::function<std::unique_ptr<Device>(BoardContext& board, const DeviceOptions&,
                                        std::string& error)>
      create;
};

/// One -device request after validation.
struct DeviceSpec {
  const DeviceModel* model = nullptr;
  DeviceOptions options;
};

/// The models a program knows. Not thread-safe; build it once, then share it read-only.
class DeviceRegistry {
 public:
  /// Adds `model` (assert if the name is taken, the model has no create function, or an option
  /// default does not parse: all programmer mistakes).
  void add(DeviceModel model);
  /// The model called `name`, or nullptr.
  const DeviceModel* find(const std::string& name) const;
  /// Every model, by name.
  std::vector<const DeviceModel*> models() const;

  /// Parses "NAME[,opt=val...]" against the registry. Returns false with a message naming the
  /// problem (unknown device, unknown option, repeated option, bad number, out-of-range value,
  /// missing required option) that a user can act on.
  bool parse(const std::string& text, DeviceSpec& out, std::string& error) const;

  /// The text of `-device help`: one line per model with its name, bus and description, and
  /// ", no-user" for the board's own devices.
  std::string help() const;
  /// The text of `-device NAME,help`: the model's options with types, defaults and help.
  static std::string help(const DeviceModel& model);

 private:
  std::map<std::string, DeviceModel> models_;
};

/// Adds the engine's device models to `registry`: the virt board's own devices (clint, plic,
/// sifive_test, goldfish_rtc; not user-creatable) and ns16550a.
void register_builtin_devices(DeviceRegistry& registry);

/// The devices the virt board creates before any -device, in QEMU virt's order, as -device
/// texts for models register_builtin_devices() adds.
const std::vector<std::string>& virt_board_devices();

}  // namespace glassvm
