// A machine running bench_sv39.elf, which maps RAM twice with 1 GiB leaves and runs as a U-mode
// process: a real Sv39 guest for the views that walk the hart's page tables.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/board/machine.h"
#include "tests/support/test_host.h"
#include "tests/ui/guest_files.h"

namespace glassvm::testing {

class Sv39GuestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    machine_ = Machine::create(MachineConfig{}, host_, error);
    ASSERT_TRUE(machine_) << error;
    ASSERT_TRUE(machine_->load_kernel(read_guest("bench_sv39.elf"), "bench_sv39.elf", error))
        << error;
  }
  /// Runs until the guest is in its U-mode process.
  void run_to_user() {
    for (int i = 0; i < 1000 && machine_->cpu().priv() != PrivLevel::User; ++i) machine_->run(100);
    ASSERT_EQ(machine_->cpu().priv(), PrivLevel::User);
  }
  TestHost host_;
  std::unique_ptr<Machine> machine_;
};

}  // namespace glassvm::testing
