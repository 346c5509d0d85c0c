// The IOMMU panel's state views: what the machine's IOMMU holds right now (its device
// contexts or domains, the mappings they give, the fault records it wrote), and the walk of
// one IOVA of one device, level by level.
//
// Design note: everything here is read with debug accesses (lookup(), the models' own
// side-effect-free introspection), never with translate() or replay(): a replay delivers MAPs,
// which the event log would show as events the guest never caused, and a translate() fills the
// IOTLB and records faults. Reading for display never changes what the guest sees. Each list
// is bounded (the mapping table stops at `max_rows`, saying it did), so a guest with huge
// tables cannot make the page build an unbounded table every frame.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/memory/iommu.h"

namespace glassvm {
class Machine;
}

namespace glassvm::ui {

/// One decoded field of a device context, a register or a table entry.
struct IommuField {
  std::string name;     ///< "tc.V", "fsc.MODE", "ta.PSCID", "domain", ...
  uint64_t value = 0;   ///< the field's value
  std::string meaning;  ///< in words: "valid", "Sv39", "ATS enabled", ...
};

/// One device behind the IOMMU, as its context says now.
struct IommuContextView {
  uint32_t device = 0;  ///< the requester id (riscv-iommu device_id, virtio endpoint id)
  std::string name;     ///< the address space's name, e.g. "riscv-iommu-dma-7 (virtio-mmio@...)"
  std::string summary;  ///< one line: "Sv39, PSCID 1, root 0x81234000", "domain 2", "bypass"
  uint64_t context_addr =
      0;  ///< riscv-iommu: where the device context is in guest memory (0: none)
  std::vector<IommuField> fields;  ///< riscv-iommu: tc, iohgatp, ta, fsc decoded; virtio: domain
  std::string error;  ///< why the context cannot be used (its fault cause in words), or ""
};

/// One mapping: a block of IOVA space and where it leads.
struct IommuMappingRow {
  uint32_t device = 0;
  uint64_t iova = 0, last = 0;  ///< inclusive
  uint64_t pa = 0;              ///< translated address of `iova`
  IommuAccessFlags perm = kIommuNone;
  std::optional<uint32_t> domain;  ///< virtio-iommu: the domain the mapping belongs to
};

/// One fault record the IOMMU wrote (riscv-iommu fault queue, virtio-iommu event queue), kept
/// by the model in a bounded history so the panel can show it after the guest consumed it.
struct IommuFaultRow {
  uint64_t seq = 0;      ///< 1, 2, ... in the order the model reported them
  uint64_t time_ns = 0;  ///< guest time when reported (0 when the model has no clock)
  uint32_t device = 0;
  uint32_t cause = 0;  ///< riscv-iommu CAUSE, virtio-iommu reason
  std::string text;    ///< the cause in words: "read page fault", "DDT entry not valid"
  std::string type;    ///< riscv-iommu TTYP in words ("untranslated read"), virtio flags
  uint64_t iova = 0;   ///< iotval / address
  uint64_t iotval2 = 0;
  /// false: dropped (riscv-iommu: fault queue off, full or in error; virtio-iommu: too many
  /// waiting for event buffers). virtio-iommu: true once taken, even while it waits.
  bool delivered = true;
};

/// What the machine's IOMMU holds now. `model` is "" when the machine has no IOMMU.
struct IommuStateView {
  std::string model;                       ///< "riscv-iommu", "virtio-iommu"
  std::vector<IommuField> registers;       ///< riscv-iommu: ddtp, cqcsr, fqcsr, ...; virtio: bypass
  std::vector<IommuContextView> contexts;  ///< one per device behind the IOMMU, by id
  std::vector<IommuFaultRow> faults;       ///< oldest first
  uint64_t faults_dropped = 0;
};

/// The contexts, registers and fault history of `machine`'s IOMMU.
IommuStateView iommu_state_view(Machine& machine);

/// The mappings of `device` (every device behind the IOMMU when empty), by device then IOVA,
/// at most `max_rows`; `truncated` (optional) tells whether there were more. riscv-iommu: the
/// usable leaves of the device's tables (a Bare mode: one whole-space identity row; at most
/// 2^18 table entries read per device, then `truncated`); virtio-iommu: the MAPs of the
/// endpoint's domain, or one identity row for a bypassing endpoint (the MSI reserved regions,
/// identity-mapped for every endpoint, are not listed).
std::vector<IommuMappingRow> iommu_mappings(Machine& machine, std::optional<uint32_t> device,
                                            size_t max_rows, bool* truncated = nullptr);

/// One step of an IOVA walk: a register, a directory entry, the device context, or a PTE.
struct IovaWalkStep {
  std::string what;   ///< "ddtp", "DDT level 1", "device context", "PTE level 2", "domain"
  uint64_t addr = 0;  ///< where it was read (0 for a register)
  uint64_t value = 0;
  std::string bits;     ///< a PTE's "DAGUXWRV" (ui/translation_view.h pte_bits), or ""
  std::string meaning;  ///< in words
};

/// The walk of one IOVA of one device through the IOMMU's tables as they are now.
struct IovaWalkView {
  uint32_t device = 0;
  uint64_t iova = 0;
  IommuAccessFlags access = kIommuRead;
  std::string model;
  std::string heading;            ///< "device 7, read of 0x..., Sv39, PSCID 1"
  std::optional<bool> iotlb_hit;  ///< riscv-iommu: whether the IOTLB holds it now (no fill)
  std::vector<IovaWalkStep> steps;
  bool ok = false;
  uint64_t pa = 0;
  uint64_t page_size = 0;  ///< of the leaf (64 KiB for a Svnapot leaf); 0: untranslated
  IommuAccessFlags perm = kIommuNone;
  std::string result;  ///< "0x... (4 KiB page, rw)" or the fault and why
};

/// Parses "read" (or "r") and "write" (or "w"); anything else is nullopt.
std::optional<IommuAccessFlags> parse_iommu_access(std::string_view text);

/// Walks `iova` for `access` by `device` (debug reads only).
IovaWalkView iova_walk_view(Machine& machine, uint32_t device, uint64_t iova,
                            IommuAccessFlags access);

// The JS API (web/README.md); addresses as 16-digit hex strings.
/// glassvm.iommuState(): {"model","registers":[{"name","value","meaning"}],"contexts":[{"device",
/// "name","summary","contextAddr","fields":[...],"error"}],"faults":[{"seq","timeNs","device",
/// "cause","text","type","iova","iotval2","delivered"}],"faultsDropped"}; model "" without one.
std::string iommu_state_json(Machine& machine);
/// glassvm.iommuMappings(device): {"truncated","mappings":[{"device","iova","last","pa","perm",
/// "domain"|null}]}; a negative device means every device.
std::string iommu_mappings_json(Machine& machine, std::optional<uint32_t> device, size_t max_rows);
/// glassvm.translateIova(device, iova, access): {"device","iova","access","model","heading",
/// "iotlbHit"|null,"steps":[{"what","addr","value","bits","meaning"}],"ok","pa","pageSize",
/// "perm","result"}.
std::string iova_walk_json(Machine& machine, uint32_t device, uint64_t iova,
                           IommuAccessFlags access);

}  // namespace glassvm::ui
