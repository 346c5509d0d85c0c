// The virtio-iommu's -device models: names, options, and what creating one asks of the board.
#include "iommu/virtio_iommu_device.h"
#include "iommu/iommu_devices.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/fake_board.h"

namespace glassvm {
namespace {

TEST(VirtioIommuDeviceTest, RegistersTheDeviceAndItsAlias) {
  DeviceRegistry registry;
  register_iommu_devices(registry);
  for (const char* name : {"virtio-iommu-device", "virtio-iommu"}) {
    const DeviceModel* model = registry.find(name);
    ASSERT_NE(model, nullptr) << name;
    EXPECT_EQ(model->bus, "virtio-bus");
    EXPECT_TRUE(model->user_creatable);
  }
  EXPECT_NE(registry.help().find("name \"virtio-iommu-device\", bus virtio-bus"), std::string::npos)
      << registry.help();
}

TEST(VirtioIommuDeviceTest, ValidatesBootBypass) {
  DeviceRegistry registry;
  register_iommu_devices(registry);
  DeviceSpec spec;
  std::string error;
  ASSERT_TRUE(registry.parse("virtio-iommu,boot-bypass=0", spec, error)) << error;
  EXPECT_EQ(spec.options.number("boot-bypass"), 0u);
  ASSERT_TRUE(registry.parse("virtio-iommu-device", spec, error)) << error;
  EXPECT_EQ(spec.options.number("boot-bypass"), 1u);
  EXPECT_FALSE(registry.parse("virtio-iommu,boot-bypass=2", spec, error));
  EXPECT_FALSE(error.empty());
}

TEST(VirtioIommuDeviceTest, NeedsAFreeVirtioSlot) {
  DeviceRegistry registry;
  register_iommu_devices(registry);
  DeviceSpec spec;
  std::string error;
  ASSERT_TRUE(registry.parse("virtio-iommu", spec, error)) << error;
  testing::FakeBoard board;  // has no virtio-mmio slot
  EXPECT_EQ(spec.model->create(board, spec.options, error), nullptr);
  EXPECT_NE(error.find("no free virtio-mmio slot"), std::string::npos) << error;
}

}  // namespace
}  // namespace glassvm
