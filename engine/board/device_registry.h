// The device registry: device models the board creates by name (`-device NAME[,opt=val...]`,
// QEMU's spelling).
//
// Design note: there is no global registry. The program builds a DeviceRegistry, lets each
// library that brings models add them (register_builtin_devices() for the engine's; later
// iommu/ adds its own), and hands it to the machine in MachineConfig; the command line and
// the page, which link everything, are where the libraries meet. Each model declares its
// options (name, type, default, help, range), so that user input is validated in one place
// before a device exists, and `-device help` / `-device NAME,help` are generated from the
// declarations.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/base/clock.h"
#include "engine/base/host.h"
#include "engine/base/irq.h"
#include "engine/memory/memory.h"

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

/// One device-tree node under /soc that a device contributes.
struct DeviceFdtNode {
  std::string name;        ///< node name without the unit address ("serial")
  uint64_t addr = 0;       ///< unit address and reg base
  uint64_t size = 0;       ///< reg size
  uint32_t irq = 0;        ///< PLIC source, 0 for none
  std::string compatible;  ///< compatible string
  std::vector<std::pair<std::string, uint32_t>> u32_props;  ///< more one-cell properties
};

/// What a model may use of the board when it builds a device.
class DeviceContext {
 public:
  virtual ~DeviceContext() = default;
  /// The board's virtual clock, for timers.
  virtual VirtualClock& clock() = 0;
  /// The embedder, for console bytes.
  virtual Host& host() = 0;
  /// Maps `region` (owned by the device) into the system address space at `addr`.
  virtual void map_mmio(uint64_t addr, MemoryRegion& region) = 0;
  /// The sink of PLIC source `irq` (1..95, validated by the options' range).
  virtual IrqLine::Sink plic_input(unsigned irq) = 0;
};

/// A live device made by a model.
class Device {
 public:
  virtual ~Device() = default;
  /// Back to the power-on state (the board's reset).
  virtual void reset() {}
  /// The device's device-tree node, if it has one.
  virtual std::vector<DeviceFdtNode> fdt_nodes() const { return {}; }
};

/// A device model: its name and what it can do.
struct DeviceModel {
  std::string name;  ///< as typed after -device ("ns16550a")
  std::string bus;   ///< "System" for memory-mapped devices, as QEMU lists them
  std::string description;
  std::vector<DeviceOption> options;
  /// The board-wide resources the device claims, checked against the board's before create:
  /// the MMIO range [addr, addr + mmio_size) from option "addr" and the PLIC source from
  /// option "irq" (0 when the model has no such option).
  uint64_t mmio_size = 0;
  /// Builds a device with validated options. May fail with a message for `error`.
  std::function<std::unique_ptr<Device>(DeviceContext&, const DeviceOptions&, std::string& error)>
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

  /// The text of `-device help`: one line per model with its name, bus and description.
  std::string help() const;
  /// The text of `-device NAME,help`: the model's options with types, defaults and help.
  static std::string help(const DeviceModel& model);

 private:
  std::map<std::string, DeviceModel> models_;
};

/// Adds the engine's user-creatable device models (ns16550a, ...) to `registry`.
void register_builtin_devices(DeviceRegistry& registry);

}  // namespace glassvm
