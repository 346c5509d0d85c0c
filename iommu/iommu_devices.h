// The iommu/ library's device models, for the program's DeviceRegistry.
//
// Design note: the engine never includes iommu/, so the library adds its models to the
// registry the program builds, next to register_builtin_devices(); the program that links both
// (the command line, the page) calls both.
#pragma once

#include "engine/board/device_registry.h"

namespace glassvm {

/// Adds every IOMMU model: "riscv-iommu-sys" (alias "riscv-iommu") and "virtio-iommu-device"
/// (alias "virtio-iommu"), and the DMA device that teaches them, "edu-dma". Call once per
/// registry.
void register_iommu_devices(DeviceRegistry& registry);

}  // namespace glassvm
