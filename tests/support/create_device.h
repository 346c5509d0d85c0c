// Creates a device from the engine's registry on a FakeBoard, as the board would from -device.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engine/board/device_registry.h"
#include "tests/support/fake_board.h"

namespace glassvm::testing {

/// Creates `text` on `board` from the engine's registry (a test failure if that fails).
inline std::unique_ptr<Device> create_device(FakeBoard& board, const std::string& text) {
  DeviceRegistry registry;
  register_builtin_devices(registry);
  DeviceSpec spec;
  std::string error;
  EXPECT_TRUE(registry.parse(text, spec, error)) << error;
  if (spec.model == nullptr) return nullptr;
  std::unique_ptr<Device> dev = spec.model->create(board, spec.options, error);
  EXPECT_TRUE(dev) << error;
  return dev;
}

}  // namespace glassvm::testing
