// The virtio-iommu as a -device model: "virtio-iommu-device" (QEMU's name for the virtio-mmio
// flavour), with the alias "virtio-iommu", on the board's next free virtio-mmio slot.
//
// Design note: the engine never includes iommu/, so this library adds its models to the
// program's DeviceRegistry itself, next to register_builtin_devices(); the program (command
// line, page) calls both. The device's translations lead into the board's DMA address space.
// To the board it is an IommuProvider like riscv-iommu-sys: every other DMA master (the other
// virtio-mmio slots with a device, then other masters in creation order) becomes an endpoint
// whose id is its device id (slot n: endpoint n + 1), with its own address space rooted at the
// endpoint's region (VirtioIommu::add_endpoint) and `iommus = <&viommu id>` in its node. The
// slot the IOMMU sits in is not an endpoint: it asks is_own_virtio_device(), keeps its DMA on
// the board and writes the IOMMU's `phandle` and `#iommu-cells = <1>` (Linux's
// virtio/mmio.yaml binding).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/board/device_registry.h"
#include "iommu/virtio_iommu.h"

namespace glassvm {

/// The board's handle on a virtio-iommu plugged into a virtio-mmio slot. The slot resets the
/// device with the transport; the board's reset also restores `bypass` (5.13.4: a system
/// reset does, a device reset does not).
class VirtioIommuDevice final : public Device, public IommuProvider {
 public:
  VirtioIommuDevice(BoardContext& board, VirtioIommu::Options options);
  ~VirtioIommuDevice() override;

  /// Plugs the device into the board's next free slot; false with a message when none is left.
  bool plug(BoardContext& board, const std::string& name, std::string& error);

  /// The IOMMU (for inspection: endpoints, faults, the UI).
  VirtioIommu& iommu() { return *iommu_; }

  void reset() override { iommu_->system_reset(); }
  void fdt_alloc_phandles(FdtBuilder& b) override;

  /// Snapshots: the device's own state (VirtioIommu::save_state); the slot it sits in saves the
  /// transport and the virtqueues, and the endpoints' address spaces are rebuilt when the board
  /// builds the machine.
  static constexpr uint32_t kStateVersion = 1;
  uint32_t state_version() const override { return kStateVersion; }
  void save_state(StateWriter& w) const override { iommu_->save_state(w); }
  /// Restores the device and hands it its slot's event queue back. Neither announces anything
  /// nor reads the slot's state, so the slot and the endpoints may be restored before or after.
  void load_state(StateReader& r, uint32_t version) override;
  IommuProvider* as_iommu() override { return this; }

  // -- IommuProvider ----------------------------------------------------------------------------

  /// Adds endpoint `device_id` and returns an address space rooted at its region. A second
  /// call for the same id returns the first address space (and keeps its name).
  AddressSpace& dma_address_space(uint32_t device_id, const std::string& name) override;
  std::vector<const AddressSpace*> dma_address_spaces() const override;
  /// The endpoints: each endpoint id with its address space, in creation order (the UI's
  /// device list).
  std::vector<std::pair<uint32_t, const AddressSpace*>> dma_masters() const;
  std::vector<IommuMemoryRegion*> iommu_regions() override;
  std::string name() const override { return "virtio-iommu"; }
  /// The phandle of the hosting slot's node (written by the slot).
  uint32_t fdt_phandle() const override { return phandle_; }
  bool is_own_virtio_device(const VirtioDevice& device) const override {
    return &device == iommu_.get();
  }

 private:
  std::unique_ptr<VirtioIommu> iommu_;
  VirtioMmio* slot_ = nullptr;  ///< the transport the device is plugged into
  /// The endpoints' address spaces by endpoint id, after iommu_ so they go first.
  std::vector<std::pair<uint32_t, std::unique_ptr<AddressSpace>>> spaces_;
  uint32_t phandle_ = 0;
};

/// Adds "virtio-iommu-device" and its alias "virtio-iommu" to `registry` (assert if either
/// name is taken). Option: boot-bypass (0 or 1, default 1), the initial `bypass` field.
void register_virtio_iommu_device(DeviceRegistry& registry);

}  // namespace glassvm
