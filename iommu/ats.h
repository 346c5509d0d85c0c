// PCIe Address Translation Services as an IOMMU model offers them: a device with its own
// translation cache (an ATC) asks the IOMMU for translations, then sends requests with
// translated addresses that the IOMMU does not translate again.
//
// Design note: QEMU puts this on the PCI IOMMU ops (ats_request_translation), not on the
// memory API, because an ATS Translation Request is a different transaction from a DMA access
// with an IOVA: the IOMMU may refuse it (the RISC-V IOMMU does unless the device context sets
// EN_ATS) and answers a missing mapping with a completion that grants nothing instead of a
// fault record. GlassVM does the same: a model that knows ATS implements this interface next to
// IommuMemoryRegion, and the ATS device cache (AtsDeviceIotlb) asks through it when the region
// has it, and through translate() otherwise.
#pragma once

#include "engine/memory/iommu.h"

namespace glassvm {

/// An IOMMU model that answers PCIe ATS Translation Requests (the PCIe "translation agent").
class AtsTranslationAgent {
 public:
  virtual ~AtsTranslationAgent() = default;

  /// The translation device `iommu_idx` (with `attrs`, its requester id) may cache for `iova`:
  /// an entry whose perm is every permission the mapping grants (perm may lack `access`, or be
  /// kIommuNone when nothing is mapped; the device decides what that means for its request).
  /// Errors that the model's specification reports (a device not allowed to use ATS, a broken
  /// directory) are reported as it says and answered with perm kIommuNone.
  virtual IommuTlbEntry ats_request_translation(uint64_t iova, IommuAccessFlags access,
                                                int iommu_idx, MemTxAttrs attrs) = 0;
};

}  // namespace glassvm
