#include "iommu/virtio_iommu_device.h"

#include <memory>
#include <string>
#include <utility>

#include "engine/devices/virtio/mmio.h"
#include "iommu/virtio_iommu.h"

namespace glassvm {

namespace {

/// The board's handle on a virtio-iommu plugged into a virtio-mmio slot. The slot resets the
/// device with the transport; the board's reset also restores `bypass` (5.13.4: a system
/// reset does, a device reset does not).
class VirtioIommuDevice final : public Device {
 public:
  VirtioIommuDevice(BoardContext& board, VirtioIommu::Options options)
      : iommu_(std::make_unique<VirtioIommu>(board.dma_address_space(), std::move(options))) {}

  /// Plugs the device into the board's next free slot; false with a message when none is left.
  bool plug(BoardContext& board, const std::string& name, std::string& error) {
    VirtioMmio* slot = board.free_virtio_transport();
    if (!slot) {
      error = name + ": no free virtio-mmio slot";
      return false;
    }
    slot->plug(*iommu_);
    return true;
  }

  void reset() override { iommu_->system_reset(); }

 private:
  std::unique_ptr<VirtioIommu> iommu_;
};

DeviceModel iommu_model(const std::string& name, const std::string& description) {
  DeviceModel model;
  model.name = name;
  model.bus = "virtio-bus";
  model.description = description;
  model.options = {{"boot-bypass", DeviceOption::Type::Number, "1",
                    "1: endpoints not attached to a domain reach memory untranslated", 0, 1}};
  model.create = [name](BoardContext& board, const DeviceOptions& opts,
                        std::string& error) -> std::unique_ptr<Device> {
    VirtioIommu::Options options;
    options.boot_bypass = opts.number("boot-bypass") != 0;
    auto dev = std::make_unique<VirtioIommuDevice>(board, std::move(options));
    if (!dev->plug(board, name, error)) return nullptr;
    return dev;
  };
  return model;
}

}  // namespace

void register_virtio_iommu_device(DeviceRegistry& registry) {
  registry.add(iommu_model("virtio-iommu-device",
                           "virtio IOMMU (no endpoints yet), on the next free virtio-mmio slot"));
  registry.add(iommu_model("virtio-iommu", "alias of virtio-iommu-device"));
}

}  // namespace glassvm
