// Interrupt wires between devices and interrupt controllers.
#pragma once

#include <functional>
#include <utility>

namespace glassvm {

/// A level-triggered interrupt line. The device drives it with set(); whoever is connected
/// (a PLIC input, a CPU mip bit) receives every change. An unconnected line is legal and
/// simply goes nowhere.
class IrqLine {
 public:
  using Sink = std::function<void(bool level)>;

  /// Connects the line to its receiver and delivers the current level to it.
  void connect(Sink sink) {
    sink_ = std::move(sink);
    if (sink_) sink_(level_);
  }

  /// Drives the line. Receivers see only changes of level.
  void set(bool level) {
    if (level == level_) return;
    level_ = level;
    if (sink_) sink_(level);
  }

  void raise() { set(true); }
  void lower() { set(false); }
  bool level() const { return level_; }
  /// Sets the level without telling the receiver: a snapshot restores both ends of the wire.
  void restore_level(bool level) { level_ = level; }

 private:
  Sink sink_;
  bool level_ = false;
};

}  // namespace glassvm
