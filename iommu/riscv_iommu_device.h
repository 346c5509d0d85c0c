// The RISC-V IOMMU as a board device: "riscv-iommu-sys" (alias "riscv-iommu") in the device
// registry, with its register block, its wired interrupt and its device-tree node.
//
// Design note: the registry lives in the engine (engine/board/device_registry.h) and knows
// nothing of iommu/; a program that links both calls register_iommu_devices()
// (iommu/iommu_devices.h) next to register_builtin_devices(). The board knows the device only
// as an IommuProvider (engine/devices/iommu_provider.h): it asks it for each DMA master's
// address space (rooted at the IOMMU region, which the master reaches with its device id as
// requester id) and for the phandle the masters' `iommus = <&iommu device_id>` name.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/board/device_registry.h"
#include "iommu/riscv_iommu.h"

namespace glassvm {

/// Where QEMU's virt board puts its riscv-iommu-sys, and the PLIC source used by default.
inline constexpr uint64_t kVirtIommuSysBase = 0x3010000;
inline constexpr unsigned kVirtIommuSysIrq = 36;

/// A RISC-V IOMMU mapped on a board. Its four interrupt vectors share one PLIC source (the
/// line is the OR of the vectors), so any icvec routing reaches the guest.
class RiscvIommuDevice final : public Device, public IommuProvider {
 public:
  RiscvIommuDevice(BoardContext& board, uint64_t addr, unsigned irq);
  ~RiscvIommuDevice() override;

  /// The IOMMU, whose region the board roots its DMA masters' address spaces at.
  RiscvIommu& iommu() { return iommu_; }
  /// The phandle other nodes name in `iommus` (0 before the device tree is written).
  uint32_t phandle() const { return phandle_; }

  void reset() override { iommu_.reset(); }
  void fdt_alloc_phandles(FdtBuilder& b) override;

  /// Snapshots: the IOMMU's state (RiscvIommu::save). The DMA masters' address spaces, the
  /// phandle and the wiring are rebuilt when the board builds the machine.
  static constexpr uint32_t kStateVersion = 1;
  uint32_t state_version() const override { return kStateVersion; }
  void save_state(StateWriter& w) const override { iommu_.save(w); }
  /// Restores the IOMMU and the shared line's level from its vectors' (the PLIC restores its
  /// own inputs). Announces nothing, so the devices behind it may be restored before or after.
  void load_state(StateReader& r, uint32_t version) override;
  void fdt_soc_nodes(FdtBuilder& b, const VirtFdtContext& ctx) const override;
  IommuProvider* as_iommu() override { return this; }

  // -- IommuProvider ----------------------------------------------------------------------------

  /// An address space rooted at the IOMMU region; `device_id` must fit in 24 bits (assert).
  /// A second call for the same id returns the first address space (and keeps its name).
  AddressSpace& dma_address_space(uint32_t device_id, const std::string& name) override;
  std::vector<const AddressSpace*> dma_address_spaces() const override;
  /// The DMA masters behind the IOMMU: each device id with its address space, in creation
  /// order (the UI's device list).
  std::vector<std::pair<uint32_t, const AddressSpace*>> dma_masters() const;
  std::vector<IommuMemoryRegion*> iommu_regions() override { return {&iommu_}; }
  std::string name() const override { return "riscv-iommu"; }
  uint32_t fdt_phandle() const override { return phandle_; }

 private:
  RiscvIommu iommu_;
  /// The DMA masters' address spaces by device id, after iommu_ so they go first.
  std::vector<std::pair<uint32_t, std::unique_ptr<AddressSpace>>> spaces_;
  uint64_t addr_;
  unsigned irq_;
  uint32_t phandle_ = 0;
  unsigned vector_levels_ = 0;  ///< bit v: vector v's line is high
  IrqLine::Sink output_;
};

/// Adds "riscv-iommu-sys" and its alias "riscv-iommu" to `registry` (options addr, default
/// 0x3010000, and irq, default 36). Call once per registry.
void register_riscv_iommu_device(DeviceRegistry& registry);

}  // namespace glassvm
