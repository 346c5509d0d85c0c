// A BoardContext for tests: devices built without a Machine, on a board that records what
// they ask of it (interrupt levels per hart, exit and reset requests).
#pragma once

#include <cassert>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "engine/devices/board_context.h"
#include "tests/support/test_host.h"

namespace glassvm::testing {

class FakeBoard final : public BoardContext {
 public:
  explicit FakeBoard(unsigned harts = 1) : harts_(harts) {
    system_.init_container("system", MemoryRegion::kWholeSpace);
    as_ = std::make_unique<AddressSpace>("memory", &system_);
  }
  ~FakeBoard() override { unmap_all(); }

  /// Unmaps every device region; call it before destroying devices that outlive no board.
  void unmap_all() {
    MemoryTransaction tx;
    for (MemoryRegion* sub : std::vector<MemoryRegion*>(system_.subregions()))
      system_.del_subregion(sub);
  }

  unsigned num_harts() const override { return harts_; }
  VirtualClock& clock() override { return clock_; }
  Host& host() override { return host_; }
  AddressSpace& dma_address_space() override { return *as_; }
  void map_mmio(uint64_t addr, MemoryRegion& region, int priority) override {
    region.set_reentrancy_guard(&guard_);
    MemoryTransaction tx;
    system_.add_subregion(addr, &region, priority);
  }
  void set_interrupt_controller(std::function<IrqLine::Sink(unsigned)> inputs) override {
    controller_ = std::move(inputs);
  }
  IrqLine::Sink irq_input(unsigned source) override {
    return controller_ ? controller_(source) : IrqLine::Sink{};
  }
  IrqLine::Sink hart_irq(unsigned hart, unsigned cause) override {
    assert(hart < harts_);
    return [this, hart, cause](bool level) { hart_lines[{hart, cause}] = level; };
  }
  void set_time_source(std::function<uint64_t()> mtime) override { time = std::move(mtime); }
  bool attach_console_input(ConsoleInput input) override {
    if (console.receive) return false;
    console = std::move(input);
    return true;
  }
  void request_exit(int code) override { exit_code = code; }
  void request_reset() override { ++resets; }
  void add_virtio_transport(VirtioMmio& transport) override { transports.push_back(&transport); }
  VirtioMmio* free_virtio_transport() override { return nullptr; }
  BlockStorage* take_drive(const std::string& id, std::string& error) override {
    error = "no drive '" + id + "'";
    return nullptr;
  }
  std::vector<VirtioMmio*> transports;

  TestHost& test_host() { return host_; }
  AddressSpace& system_as() { return *as_; }

  /// Levels of the harts' interrupt inputs, by (hart, mip bit).
  std::map<std::pair<unsigned, unsigned>, bool> hart_lines;
  std::function<uint64_t()> time;
  ConsoleInput console;
  int exit_code = -1;  ///< -1 until a device asks to exit
  int resets = 0;

 private:
  unsigned harts_;
  VirtualClock clock_;
  TestHost host_;
  MemReentrancyGuard guard_;  ///< shared by every region mapped on this board
  MemoryRegion system_;
  std::unique_ptr<AddressSpace> as_;
  std::function<IrqLine::Sink(unsigned)> controller_;
};

}  // namespace glassvm::testing
