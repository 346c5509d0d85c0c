// The RISC-V IOMMU as a board device: "riscv-iommu-sys" (alias "riscv-iommu") in the device
// registry, with its register block, its wired interrupt and its device-tree node.
//
// Design note: the registry lives in the engine (engine/board/device_registry.h) and knows
// nothing of iommu/; a program that links both calls register_iommu_devices()
// (iommu/iommu_devices.h) next to
// register_builtin_devices(). Attaching DMA masters behind the IOMMU (their address spaces
// rooted at the IOMMU region, their `iommus = <&iommu device_id>`) is the board's next step.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/board/device_registry.h"
#include "iommu/riscv_iommu.h"

namespace glassvm {

/// Where QEMU's virt board puts its riscv-iommu-sys, and the PLIC source used by default.
inline constexpr uint64_t kVirtIommuSysBase = 0x3010000;
inline constexpr unsigned kVirtIommuSysIrq = 36;

/// A RISC-V IOMMU mapped on a board. Its four interrupt vectors share one PLIC source (the
/// line is the OR of the vectors), so any icvec routing reaches the guest.
class RiscvIommuDevice final : public Device {
 public:
  RiscvIommuDevice(BoardContext& board, uint64_t addr, unsigned irq);
  ~RiscvIommuDevice() override;

  /// The IOMMU, whose region the board roots its DMA masters' address spaces at.
  RiscvIommu& iommu() { return iommu_; }
  /// The phandle other nodes name in `iommus` (0 before the device tree is written).
  uint32_t phandle() const { return phandle_; }

  void reset() override { iommu_.reset(); }
  void fdt_alloc_phandles(FdtBuilder& b) override;
  void fdt_soc_nodes(FdtBuilder& b, const VirtFdtContext& ctx) const override;

 private:
  RiscvIommu iommu_;
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
