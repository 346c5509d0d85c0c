// What the board needs of an IOMMU device to put DMA masters behind it.
//
// Design note: the engine never includes iommu/ (DESIGN.md section 2), yet the board must root
// its DMA masters' address spaces at the IOMMU's region and name the IOMMU in their device-tree
// nodes. An IOMMU device created from the registry (riscv-iommu-sys, virtio-iommu-device)
// answers Device::as_iommu() with this interface, which is all the board knows of it: an
// address space per requester id, and the phandle DMA masters give in
// `iommus = <&phandle device_id>`.
//
// A virtio-iommu is itself a virtio device in one of the board's virtio-mmio slots, which are
// DMA masters. That slot must not sit behind the IOMMU it hosts (its request and event queues
// are in guest physical memory), and its node is the IOMMU's node (`#iommu-cells`, the
// phandle). The slot learns this by asking the provider whether the device plugged into it is
// the IOMMU (is_own_virtio_device()); the board numbers the DMA masters as before, so the
// hosting slot's id is simply unused and every other slot keeps its id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/memory/iommu.h"
#include "engine/memory/memory.h"

namespace glassvm {

class VirtioDevice;

/// An IOMMU as the board sees it.
class IommuProvider {
 public:
  virtual ~IommuProvider() = default;

  /// The address space DMA master `device_id` does its DMA through: rooted at the IOMMU's
  /// region, called `name` (as info mtree shows it). Created on the first call for an id,
  /// owned by the provider and alive as long as it. The master's accesses must carry
  /// MemTxAttrs::requester_id = `device_id`; an id the IOMMU cannot address is a board
  /// programming error (assert).
  virtual AddressSpace& dma_address_space(uint32_t device_id, const std::string& name) = 0;
  /// Every address space dma_address_space() created, in creation order (for info mtree).
  virtual std::vector<const AddressSpace*> dma_address_spaces() const = 0;
  /// The IOMMU's regions, where it announces mapping changes (riscv-iommu: its one region;
  /// virtio-iommu: one per endpoint, in the order dma_address_space() added them), for
  /// observers such as the event log and --trace-iommu.
  virtual std::vector<IommuMemoryRegion*> iommu_regions() = 0;
  /// The IOMMU's name ("riscv-iommu", "virtio-iommu"), for the names of the address spaces behind
  /// it.
  virtual std::string name() const = 0;
  /// The phandle of the IOMMU's device-tree node (0 before the tree's phandles are allocated).
  virtual uint32_t fdt_phandle() const = 0;
  /// Whether `device` is the IOMMU itself, plugged into a virtio-mmio slot (virtio-iommu). The
  /// slot then does its DMA to the board directly and writes the IOMMU's node (`phandle`,
  /// `#iommu-cells = <1>`) instead of naming the IOMMU in `iommus`. Default: false.
  virtual bool is_own_virtio_device(const VirtioDevice& device) const { return false; }
};

}  // namespace glassvm
