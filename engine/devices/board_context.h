// What a device may use of the board it sits on.
//
// Design note: devices sit below the board in the library graph (engine/devices cannot include
// engine/board), yet a device model needs the board's interrupt controller, its harts' interrupt
// inputs, its clock, the console, the system address space for DMA, and a way to ask for
// power-off or reset. This interface carries exactly that; the board implements it, one instance
// per device, so that what a device maps is tied to that device (its MMIO regions share one
// re-entrancy guard). Tests implement it too, to build devices without a board.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "engine/base/block_storage.h"

#include "engine/base/clock.h"
#include "engine/base/host.h"
#include "engine/base/irq.h"
#include "engine/memory/memory.h"

namespace glassvm {

class VirtioMmio;

/// The board as one device sees it. Lives as long as the device it was given to.
class BoardContext {
 public:
  /// How host console input reaches the device that owns the console.
  struct ConsoleInput {
    std::function<bool()> can_receive;     ///< whether one more byte fits without loss
    std::function<void(uint8_t)> receive;  ///< delivers one byte
  };

  virtual ~BoardContext() = default;

  /// Number of harts (ids 0..num_harts()-1).
  virtual unsigned num_harts() const = 0;
  /// The board's virtual clock, for timers and alarms.
  virtual VirtualClock& clock() = 0;
  /// The embedder: console output, and the logger for warnings about guest behaviour.
  virtual Host& host() = 0;
  /// The system address space, for the device's DMA.
  virtual AddressSpace& dma_address_space() = 0;

  /// Maps `region` (owned by the device, alive while the board is) into the system address
  /// space at `addr`. Every region a device maps shares the device's MMIO re-entrancy guard.
  virtual void map_mmio(uint64_t addr, MemoryRegion& region, int priority = 0) = 0;

  /// Becomes the board's interrupt controller: `inputs(source)` is the sink of a source.
  /// Called once, by the PLIC (assert on a second call: a programmer error).
  virtual void set_interrupt_controller(std::function<IrqLine::Sink(unsigned source)> inputs) = 0;
  /// The sink of interrupt-controller source `source`. A device created before the controller,
  /// or on a board without one, gets a sink that goes nowhere.
  virtual IrqLine::Sink irq_input(unsigned source) = 0;
  /// The sink of local interrupt `cause` (a mip bit number) of hart `hart` (< num_harts(), else
  /// assert).
  virtual IrqLine::Sink hart_irq(unsigned hart, unsigned cause) = 0;
  /// Supplies the harts' `time` CSR (the CLINT's mtime).
  virtual void set_time_source(std::function<uint64_t()> mtime) = 0;

  /// Asks to receive host console input; returns false (and changes nothing) when another
  /// device already owns the console. The owner is the board's stdout.
  virtual bool attach_console_input(ConsoleInput input) = 0;
  /// Ends the run with exit status `code` (the first request wins).
  virtual void request_exit(int code) = 0;
  /// Asks the board to reset at the end of the current instruction.
  virtual void request_reset() = 0;

  /// Adds `transport` (owned by the device, alive while the board is) to the board's
  /// virtio-mmio bus, where virtio devices plug in.
  virtual void add_virtio_transport(VirtioMmio& transport) = 0;
  /// The transport the next virtio device plugs into: QEMU's rule, the free one added last
  /// (on virt the first virtio device gets the slot at the highest address). nullptr when
  /// every slot is taken. The caller plugs its device into it.
  virtual VirtioMmio* free_virtio_transport() = 0;
  /// Takes the drive (-drive id=`id`) for one device. Returns nullptr with a message for the
  /// user in `error` when there is no such drive or another device uses it.
  virtual BlockStorage* take_drive(const std::string& id, std::string& error) = 0;
};

}  // namespace glassvm
