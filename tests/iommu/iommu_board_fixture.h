// A virt board with the IOMMU library's models in its registry, for the tests of the devices
// on it: build() makes the machine from -device specs, device<T>() finds one by type, and
// ld()/st() are the guest's accesses through the system address space, as the CPU makes them.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "engine/board/machine.h"
#include "iommu/iommu_devices.h"
#include "tests/support/test_host.h"

namespace glassvm::testing {

class IommuBoardTest : public ::testing::Test {
 protected:
  IommuBoardTest() {
    register_builtin_devices(registry);
    register_iommu_devices(registry);
  }

  /// Builds the machine with `devices` (-device specs); a failure fails the test.
  void build(std::vector<std::string> devices) {
    MachineConfig config;
    config.registry = &registry;
    config.devices = std::move(devices);
    std::string error;
    m = Machine::create(config, host, error);
    ASSERT_NE(m, nullptr) << error;
  }
  /// The board's device of type D (the first); aborts the test when there is none.
  template <class D>
  D& device() {
    for (const Machine::DeviceEntry& e : m->devices())
      if (auto* dev = dynamic_cast<D*>(e.device.get())) return *dev;
    ADD_FAILURE() << "no such device on the board";
    std::abort();
  }

  uint64_t ld(uint64_t addr, unsigned size = 4) {
    uint64_t v = 0;
    EXPECT_EQ(m->system_as().load(addr, size, v), MemTxResult::Ok) << std::hex << addr;
    return v;
  }
  void st(uint64_t addr, uint64_t v, unsigned size = 4) {
    EXPECT_EQ(m->system_as().store(addr, size, v), MemTxResult::Ok) << std::hex << addr;
  }

  DeviceRegistry registry;
  TestHost host;
  std::unique_ptr<Machine> m;
};

}  // namespace glassvm::testing
