// The virtio-iommu as a -device model: "virtio-iommu-device" (QEMU's name for the virtio-mmio
// flavour), with the alias "virtio-iommu", on the board's next free virtio-mmio slot.
//
// Design note: the engine never includes iommu/, so this library adds its models to the
// program's DeviceRegistry itself, next to register_builtin_devices(); the program (command
// line, page) calls both. The device's translations lead into the board's DMA address space.
// Endpoints (the `iommus = <&viommu id>` binding on other devices' nodes) are not wired yet:
// the device created here manages no endpoint, so a guest sees an IOMMU with nothing behind it.
#pragma once

#include "engine/board/device_registry.h"

namespace glassvm {

/// Adds "virtio-iommu-device" and its alias "virtio-iommu" to `registry` (assert if either
/// name is taken). Option: boot-bypass (0 or 1, default 1), the initial `bypass` field.
void register_virtio_iommu_device(DeviceRegistry& registry);

}  // namespace glassvm
