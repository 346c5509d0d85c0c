// "edu-dma": GlassVM's DMA device for teaching, in the spirit of QEMU's `edu`. The guest sets a
// source IOVA, a destination IOVA and a length, writes START, and the device copies through its
// own address space, so through the board's IOMMU when there is one. The register layout is
// assets/teach/edu_dma.h, shared with the bare-metal teaching programs.
//
// Design note: the device lives in iommu/, not in the engine, because with ats=on it keeps a
// PCIe-style address translation cache (an AtsDeviceIotlb): it asks the IOMMU for
// translations itself (ATS Translation Requests, iommu/ats.h), caches them, and then reaches
// memory by the translated (physical) address in the board's DMA space, exactly the path an
// ATS-capable endpoint takes. A translation that does not grant the access the copy needs (the
// RISC-V IOMMU answers a missing mapping with R = W = 0 and writes no fault record) ends the
// copy with the same READ or WRITE error and FAULT_ADDR as an untranslated fault. Only
// DEVIOTLB_UNMAP events (the RISC-V IOMMU's ATS.INVAL) empty that cache, so a guest that
// changes a mapping and sends only IOTINVAL.VMA sees the device keep using the old one: the
// lesson of ATS.
//
// A copy runs to completion during the write to CMD (STATUS never reads BUSY afterwards). It
// reads the whole source first, then writes the destination (overlapping ranges copy like
// memmove), each in chunks that never cross a 4 KiB page of the IOVA space. IOMMUs translate
// whole pages, so the first failing chunk starts at the exact IOVA the IOMMU refused, and that
// is what FAULT_ADDR reports; nothing is written when the source faults. LEN is bounded by
// EDU_DMA_MAX_LEN, so one copy never holds more than 64 KiB of host memory.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/board/device_registry.h"
#include "engine/memory/memory.h"
#include "iommu/device_iotlb.h"

namespace glassvm {

/// Where edu-dma sits on the virt board by default (QEMU's platform-bus window) and its PLIC
/// source; the same values as EDU_DMA_BASE and EDU_DMA_IRQ in assets/teach/edu_dma.h.
inline constexpr uint64_t kEduDmaBase = 0x4000000;
inline constexpr unsigned kEduDmaIrq = 64;

/// The edu-dma device on a board: its 4 KiB register block, its interrupt line, its node in
/// the device tree and its DMA (see the file note). Guest mistakes (a bad LEN, a range that
/// wraps past 2^64, an address the IOMMU refuses, writes to read-only registers) end in STATUS
/// ERROR with an error code, never in an abort. Accesses other than aligned 32-bit ones are
/// refused by the bus (a DecodeError, an access fault for the CPU).
class EduDmaDevice final : public Device {
 public:
  /// The counters of the ATS path since the last reset (ATC_HITS, ATC_MISSES, ATC_INVALS).
  struct AtsCounters {
    uint32_t hits = 0;
    uint32_t misses = 0;
    uint32_t invalidations = 0;
  };

  /// A device whose registers are at `addr`, raising PLIC source `irq`; with `ats` it has an
  /// ATC (FEATURES.ATS) that the guest enables through ATS_CTRL.
  EduDmaDevice(BoardContext& board, uint64_t addr, unsigned irq, bool ats);
  ~EduDmaDevice() override;

  /// Registers back to zero, interrupt low, the ATC emptied and its counters zeroed.
  void reset() override;
  void fdt_soc_nodes(FdtBuilder& b, const VirtFdtContext& ctx) const override;
  bool is_dma_master() const override { return true; }
  /// Moves the device's DMA into `iommu.dma_address_space(device_id, ...)`, as requester
  /// `device_id`, and (ats=on) attaches its ATC to the IOMMU region behind that space when that
  /// model offers ATS (an AtsTranslationAgent); behind another IOMMU, or with none, the device
  /// has no ATC and ATS_CTRL changes nothing.
  void attach_iommu(IommuProvider& iommu, uint32_t device_id) override;

  /// The address space the device's untranslated DMA goes through (for tests).
  const AddressSpace& dma_address_space() const { return *dma_; }
  /// The ATC, or nullptr (ats=off, or no IOMMU region to ask).
  const AtsDeviceIotlb* atc() const { return atc_.get(); }
  AtsCounters ats_counters() const;
  /// Whether the interrupt line is high.
  bool irq_level() const { return irq_level_; }

  /// Snapshots. A copy runs to completion inside the write to CMD, so between instructions no
  /// DMA is in flight: the state is the registers, the interrupt, and the ATC (its blocks in LRU
  /// order, its counters, its notifier's registration) with the counters' values at the last
  /// reset, which the ATC_* registers subtract.
  static constexpr uint32_t kStateVersion = 1;
  uint32_t state_version() const override { return kStateVersion; }
  void save_state(StateWriter& w) const override;
  /// Restores what save_state() wrote. The interrupt line is set without telling the PLIC
  /// (which restores its own inputs). The ATC exists or not by the board's wiring, which
  /// attach_iommu() rebuilt from the -device list when the board was built, its notifier
  /// registered on the IOMMU's region then; restoring refills it without any event. So the
  /// IOMMU may be restored before or after this device. Fails `r` on registers the device
  /// cannot reach (a STATUS other than none, DONE or ERROR, an error code that disagrees with
  /// it, ATS enabled without ATS, an interrupt level that disagrees with STATUS), on an ATC
  /// where there is none here (or none where there is one), and on counters below their
  /// baseline.
  void load_state(StateReader& r, uint32_t version) override;

 private:
  uint32_t read_reg(uint64_t offset) const;
  void write_reg(uint64_t offset, uint32_t value);
  /// Runs the copy START asked for; sets STATUS, ERROR and FAULT_ADDR.
  void run_copy();
  /// Reads (`write` false) or writes `len` bytes at `iova`, chunk by chunk; on failure returns
  /// false with the IOVA of the failing chunk in `fault`.
  bool transfer(uint64_t iova, uint8_t* buf, uint64_t len, bool write, uint64_t& fault);
  /// One chunk (inside one 4 KiB page) through the ATC and then the translated address.
  bool transfer_translated(uint64_t iova, uint8_t* buf, uint64_t len, bool write);
  void update_irq();

  Host& host_;
  AddressSpace& board_dma_;  ///< the board's DMA space, where the ATC's translations lead
  MemoryRegion mmio_;
  AddressSpace* dma_;  ///< untranslated DMA: the board's space, or the one behind the IOMMU
  MemTxAttrs attrs_;   ///< requester_id = the device id behind an IOMMU
  IommuProvider* iommu_ = nullptr;
  uint32_t device_id_ = 0;
  std::unique_ptr<AtsDeviceIotlb> atc_;
  DeviceIotlb::Stats atc_baseline_;  ///< the ATC's counters at the last reset
  uint64_t addr_;
  unsigned irq_;
  bool ats_;
  IrqLine::Sink irq_out_;
  bool irq_level_ = false;
  /// The bytes of the copy running now, at most EDU_DMA_MAX_LEN; refilled by every copy, so
  /// not state between instructions.
  std::vector<uint8_t> buffer_;

  // Registers (assets/teach/edu_dma.h).
  uint64_t src_ = 0, dst_ = 0, fault_addr_ = 0;
  uint32_t len_ = 0, status_ = 0, error_ = 0, ats_ctrl_ = 0;
  bool irq_requested_ = false;  ///< the last START carried EDU_DMA_CMD_IRQ
};

/// Adds "edu-dma" (bus System; options addr, default 0x4000000, irq, default 64, and ats, 0 or
/// 1, default 0) to `registry`. Call once per registry.
void register_edu_dma_device(DeviceRegistry& registry);

}  // namespace glassvm
