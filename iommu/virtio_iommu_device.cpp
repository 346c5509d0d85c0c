// The virtio-iommu board device and its registry entries (see virtio_iommu_device.h).
#include "iommu/virtio_iommu_device.h"

#include <memory>
#include <string>
#include <utility>

#include "engine/board/fdt.h"
#include "engine/devices/virtio/mmio.h"

namespace glassvm {

VirtioIommuDevice::VirtioIommuDevice(BoardContext& board, VirtioIommu::Options options)
    : iommu_(std::make_unique<VirtioIommu>(board.dma_address_space(), std::move(options))) {
  iommu_->set_clock([&clock = board.clock()] { return clock.now_ns(); });
}

VirtioIommuDevice::~VirtioIommuDevice() = default;

bool VirtioIommuDevice::plug(BoardContext& board, const std::string& name, std::string& error) {
  VirtioMmio* slot = board.free_virtio_transport();
  if (!slot) {
    error = name + ": no free virtio-mmio slot";
    return false;
  }
  slot->plug(*iommu_);
  slot_ = slot;
  return true;
}

void VirtioIommuDevice::load_state(StateReader& r, uint32_t version) {
  if (version != kStateVersion) {
    r.fail("state version " + std::to_string(version) + " is not supported");
    return;
  }
  iommu_->load_state(r, slot_->queue(1));  // queue 1: the event queue (5.13.2)
}

void VirtioIommuDevice::fdt_alloc_phandles(FdtBuilder& b) {
  phandle_ = b.alloc_phandle();
}

AddressSpace& VirtioIommuDevice::dma_address_space(uint32_t device_id, const std::string& name) {
  for (auto& [id, as] : spaces_)
    if (id == device_id) return *as;
  IommuMemoryRegion& region = iommu_->add_endpoint(device_id);
  spaces_.emplace_back(device_id, std::make_unique<AddressSpace>(name, &region));
  return *spaces_.back().second;
}

std::vector<std::pair<uint32_t, const AddressSpace*>> VirtioIommuDevice::dma_masters() const {
  std::vector<std::pair<uint32_t, const AddressSpace*>> out;
  for (const auto& [id, as] : spaces_) out.emplace_back(id, as.get());
  return out;
}

std::vector<const AddressSpace*> VirtioIommuDevice::dma_address_spaces() const {
  std::vector<const AddressSpace*> out;
  for (const auto& [id, as] : spaces_) out.push_back(as.get());
  return out;
}

std::vector<IommuMemoryRegion*> VirtioIommuDevice::iommu_regions() {
  std::vector<IommuMemoryRegion*> out;
  for (const auto& [id, as] : spaces_) out.push_back(iommu_->endpoint(id));
  return out;
}

namespace {

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
                           "virtio IOMMU, on the next free virtio-mmio slot; the board's other "
                           "DMA masters are its endpoints (slot n: endpoint n+1)"));
  registry.add(iommu_model("virtio-iommu", "alias of virtio-iommu-device"));
}

}  // namespace glassvm
