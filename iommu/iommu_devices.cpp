#include "iommu/iommu_devices.h"

#include "iommu/edu_dma_device.h"
#include "iommu/riscv_iommu_device.h"
#include "iommu/virtio_iommu_device.h"

namespace glassvm {

void register_iommu_devices(DeviceRegistry& registry) {
  register_riscv_iommu_device(registry);
  register_virtio_iommu_device(registry);
  register_edu_dma_device(registry);
}

}  // namespace glassvm
