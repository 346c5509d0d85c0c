// virtio-iommu (virtio 1.2, 5.13; device id 23): a paravirtual IOMMU driven by ATTACH,
// DETACH, MAP, UNMAP and PROBE requests on its request queue, reporting translation faults on
// its event queue, on any virtio transport (GlassVM uses virtio-mmio).
//
// Design note:
// - One IommuMemoryRegion per endpoint (QEMU's choice too): add_endpoint(id) returns the
//   region a device behind the IOMMU does its DMA through (the root of its AddressSpace). The
//   endpoint is fixed by the region, so attrs.requester_id is ignored; notifiers, replay and
//   the UI then see one endpoint's view each, and there is one IOMMU index (0).
// - What an endpoint sees (its "view") is one of: blocked (not attached, bypass 0: every
//   access faults, reason DOMAIN), identity (not attached with bypass 1, or attached to a bypass
//   domain: one whole-space RW entry), or its domain's mappings. Every change of view (ATTACH,
//   DETACH, reset, a driver write to `bypass`) is announced as UNMAPs of the old view then MAPs
//   of the new one, so a shadow of the view stays exact; MAP and UNMAP requests announce the
//   changed mappings to every endpoint of the domain. RESV_MEM MSI regions are part of every
//   view that is not the identity, identity-mapped (QEMU lets MSI doorbell writes through).
// - A domain is a std::map of non-overlapping mappings keyed by virt_start. Domains exist only
//   while an endpoint is attached (5.13.6, DETACH request), so their number is bounded by the
//   endpoints; the mappings are bounded by Options::max_mappings for the whole device (then NOMEM).
// - An IommuTlbEntry is a naturally aligned block in both IOVA and physical address. A mapping
//   whose phys_start - virt_start is less aligned than its blocks is announced as more, smaller
//   blocks; a MAP that would need more than kMaxBlocksPerMapping is refused with NOMEM, so
//   that the work of one request (and of a replay) stays bounded whatever the guest writes.
// - Status codes (5.13.6): OK, UNSUPP, INVAL, RANGE, NOENT, NOMEM are produced as the
//   normative statements say. IOERR, DEVERR and FAULT are never produced: a DMA error on a
//   request's buffers is a transport error (DEVICE_NEEDS_RESET, by VirtQueue), and the device
//   has no internal errors. A request too short to hold its head or its tail, of an unknown
//   type, or a PROBE that was not negotiated, is returned unwritten with used length 0. A
//   request shorter than its type's fields is INVAL; extra device-readable bytes are ignored.
//   The tail is where the request's struct puts it: first in the device-writable bytes, or
//   after probe_size bytes of properties (a PROBE buffer too short for them is INVAL, written
//   in its last 4 bytes).
// - A MAP over an existing mapping is INVAL (MAP request: SHOULD). Options::replace_in_place
//   relaxes this for a MAP of exactly an existing range, which then replaces it and is
//   announced as an in-place change (UNMAP then MAP, notify_change()).
// - Faults go to the event queue when the driver has put buffers there; otherwise up to
//   kMaxPendingFaults wait for buffers and later ones are dropped (Fault reporting allows both).
//   Debug accesses (attrs.debug) report nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "engine/devices/virtio/virtio.h"
#include "engine/memory/iommu.h"

namespace glassvm {

/// The virtio device id of the IOMMU device (virtio 1.2, 5).
inline constexpr uint32_t kVirtioIdIommu = 23;

/// A virtio-iommu device. Endpoints are added by the board before the guest runs.
class VirtioIommu final : public VirtioDevice {
 public:
  // -- Specification constants (virtio 1.2, 5.13) ----------------------------------------------
  /// Feature bits (5.13.3).
  static constexpr unsigned kFInputRange = 0;    ///< VIRTIO_IOMMU_F_INPUT_RANGE
  static constexpr unsigned kFDomainRange = 1;   ///< VIRTIO_IOMMU_F_DOMAIN_RANGE
  static constexpr unsigned kFMapUnmap = 2;      ///< VIRTIO_IOMMU_F_MAP_UNMAP
  static constexpr unsigned kFBypass = 3;        ///< VIRTIO_IOMMU_F_BYPASS (not offered)
  static constexpr unsigned kFProbe = 4;         ///< VIRTIO_IOMMU_F_PROBE
  static constexpr unsigned kFMmio = 5;          ///< VIRTIO_IOMMU_F_MMIO
  static constexpr unsigned kFBypassConfig = 6;  ///< VIRTIO_IOMMU_F_BYPASS_CONFIG

  /// Configuration space offsets (struct virtio_iommu_config, 5.13.4).
  static constexpr uint32_t kCfgPageSizeMask = 0;
  static constexpr uint32_t kCfgInputStart = 8;
  static constexpr uint32_t kCfgInputEnd = 16;
  static constexpr uint32_t kCfgDomainStart = 24;
  static constexpr uint32_t kCfgDomainEnd = 28;
  static constexpr uint32_t kCfgProbeSize = 32;
  static constexpr uint32_t kCfgBypass = 36;
  static constexpr uint32_t kConfigSize = 40;

  /// Request types (5.13.6).
  static constexpr uint8_t kTAttach = 1, kTDetach = 2, kTMap = 3, kTUnmap = 4, kTProbe = 5;
  /// Status codes (5.13.6).
  static constexpr uint8_t kSOk = 0, kSIoErr = 1, kSUnsupp = 2, kSDevErr = 3, kSInval = 4,
                           kSRange = 5, kSNoEnt = 6, kSFault = 7, kSNoMem = 8;
  /// ATTACH flags and MAP flags (5.13.6).
  static constexpr uint32_t kAttachFBypass = 1;
  static constexpr uint32_t kMapFRead = 1, kMapFWrite = 2, kMapFMmio = 4;
  /// PROBE property types and RESV_MEM subtypes (5.13.6, PROBE properties).
  static constexpr uint16_t kProbeTNone = 0, kProbeTResvMem = 1;
  static constexpr uint8_t kResvMemTReserved = 0, kResvMemTMsi = 1;
  /// Fault reasons and flags (struct virtio_iommu_fault, 5.13.6, Fault reporting).
  static constexpr uint8_t kFaultRUnknown = 0, kFaultRDomain = 1, kFaultRMapping = 2;
  static constexpr uint32_t kFaultFRead = 1, kFaultFWrite = 2, kFaultFAddress = 0x100;
  /// Sizes of the device-readable part of each request (head included) and of a fault report.
  static constexpr uint32_t kAttachLen = 20, kDetachLen = 20, kMapLen = 36, kUnmapLen = 28,
                            kProbeLen = 72, kTailLen = 4, kFaultLen = 24;

  // -- Limits -------------------------------------------------------------------------------------
  static constexpr uint16_t kQueueSize = 256;
  /// The most IommuTlbEntry blocks one mapping may need (the most iommu_aligned_blocks()
  /// gives for any range whose physical address is aligned like its IOVA).
  static constexpr uint64_t kMaxBlocksPerMapping = 128;
  /// Faults kept while the event queue has no buffer; later ones are dropped.
  static constexpr size_t kMaxPendingFaults = 64;

  /// A reserved region reported by PROBE as a RESV_MEM property, for every endpoint.
  struct ReservedRegion {
    uint64_t start = 0;
    uint64_t end = 0;  ///< inclusive
    uint8_t subtype = kResvMemTMsi;
  };

  /// What the board chooses. The defaults are QEMU's.
  struct Options {
    uint64_t page_size_mask = ~uint64_t{0xfff};  ///< 4 KiB granule and every larger size
    uint64_t input_start = 0;
    uint64_t input_end = UINT64_MAX;
    uint32_t domain_start = 0;
    uint32_t domain_end = UINT32_MAX;
    uint32_t probe_size = 512;
    /// The initial (and system-reset) value of `bypass`: whether unattached endpoints reach
    /// guest memory untranslated (so that firmware and a kernel without the driver can boot).
    bool boot_bypass = true;
    /// Mappings the whole device may hold; a MAP beyond is NOMEM.
    size_t max_mappings = 65536;
    /// PROBE's RESV_MEM properties; a MAP overlapping one is INVAL (Property RESV_MEM: SHOULD). An
    /// MSI region is identity-mapped for every endpoint (the doorbell the driver need not
    /// map); a RESERVED one is never mapped.
    std::vector<ReservedRegion> reserved;
    /// Accept a MAP of exactly an existing range as a replacement (see the file note).
    bool replace_in_place = false;
  };

  /// One fault report (struct virtio_iommu_fault).
  struct Fault {
    uint8_t reason = kFaultRUnknown;
    uint32_t flags = 0;
    uint32_t endpoint = 0;
    uint64_t address = 0;
    bool operator==(const Fault&) const = default;
  };

  /// A device whose translations lead into `target` (the guest's physical memory), which must
  /// outlive it. Options must be consistent (assert): page_size_mask not 0, the ranges not
  /// empty, and the reserved regions fitting probe_size.
  VirtioIommu(AddressSpace& target, Options options);
  /// A device with the default Options.
  explicit VirtioIommu(AddressSpace& target);
  ~VirtioIommu() override;
  VirtioIommu(const VirtioIommu&) = delete;
  VirtioIommu& operator=(const VirtioIommu&) = delete;

  /// Adds endpoint `id` (not yet added: assert) and returns the IOMMU region its DMA goes
  /// through, valid as long as the device. Before the guest runs.
  IommuMemoryRegion& add_endpoint(uint32_t id);
  /// The region of endpoint `id`, or nullptr.
  IommuMemoryRegion* endpoint(uint32_t id);

  // -- Inspection (UI, tests) ---------------------------------------------------------------------
  /// The domain endpoint `id` is attached to, if any.
  std::optional<uint32_t> endpoint_domain(uint32_t id) const;
  /// The number of mappings of all domains.
  size_t mapping_count() const { return mapping_count_; }
  /// The current value of the `bypass` configuration field.
  bool bypass() const { return bypass_; }
  /// The negotiated features.
  uint64_t features() const { return features_; }
  uint64_t faults_reported() const { return faults_reported_; }
  uint64_t faults_dropped() const { return faults_dropped_; }

  /// An endpoint and what it sees now.
  struct EndpointInfo {
    uint32_t id = 0;
    std::optional<uint32_t> domain;  ///< the domain it is attached to, if any
    bool identity = false;           ///< it reaches memory untranslated (bypass)
    bool blocked = false;            ///< not attached and bypass 0: every access faults
  };
  /// Every endpoint, by id.
  std::vector<EndpointInfo> endpoints() const;
  /// A domain (domains exist only while an endpoint is attached, so there are at most as many
  /// as endpoints).
  struct DomainInfo {
    uint32_t id = 0;
    bool bypass = false;  ///< attached with VIRTIO_IOMMU_ATTACH_F_BYPASS
    std::vector<uint32_t> endpoints;
    size_t mappings = 0;
  };
  /// Every domain, by id.
  std::vector<DomainInfo> domains() const;
  /// One MAP request's range as the domain holds it.
  struct MappingInfo {
    uint32_t domain = 0;
    uint64_t first = 0, last = 0;  ///< virt_start, virt_end (inclusive)
    uint64_t phys = 0;             ///< phys_start
    IommuAccessFlags perm = kIommuNone;
    bool mmio = false;  ///< VIRTIO_IOMMU_MAP_F_MMIO
  };
  /// The mappings of `domain` (every domain when empty), by domain then IOVA, at most
  /// `max_entries`; `truncated` (optional) tells whether there were more.
  std::vector<MappingInfo> mappings(std::optional<uint32_t> domain, size_t max_entries,
                                    bool* truncated = nullptr) const;

  /// One fault the device reported, kept for the UI after the driver consumed it.
  struct FaultRecord {
    uint64_t seq = 0;      ///< 1, 2, ... since creation
    uint64_t time_ns = 0;  ///< the clock's value (set_clock), 0 without one
    Fault fault;
    bool delivered = false;  ///< taken: on the event queue or waiting for a buffer; false: dropped
  };
  /// The faults kept, oldest first: the newest kFaultHistory.
  const std::deque<FaultRecord>& fault_history() const { return fault_history_; }
  static constexpr size_t kFaultHistory = 256;
  /// The guest clock fault records are stamped with (the board sets it; none: time 0).
  void set_clock(std::function<uint64_t()> now_ns) { clock_ = std::move(now_ns); }

  // -- VirtioDevice -------------------------------------------------------------------------------
  uint32_t device_id() const override { return kVirtioIdIommu; }
  uint64_t device_features() const override;
  unsigned num_queues() const override { return 2; }
  uint16_t queue_max_size(unsigned) const override { return kQueueSize; }
  uint32_t config_size() const override { return kConfigSize; }
  uint64_t config_read(uint32_t offset, unsigned size) const override;
  /// Only `bypass` is writable, and only once VIRTIO_IOMMU_F_BYPASS_CONFIG is negotiated.
  void config_write(uint32_t offset, unsigned size, uint64_t value) override;
  void features_accepted(uint64_t features) override { features_ = features; }
  void queue_notify(unsigned index, VirtQueue& queue) override;
  /// Detaches every endpoint (announced as UNMAPs), forgets domains, features and pending
  /// faults. `bypass` keeps its value (5.13.4: it SHOULD NOT change on device reset).
  void reset() override;
  /// The board's system reset: reset(), and `bypass` back to Options::boot_bypass.
  void system_reset();

  // -- Snapshots ----------------------------------------------------------------------------------
  /// The version of the state save_state() writes. (The transport saves its registers and the
  /// virtqueues; the owner saves this device's own state with these, not VirtioDevice::save,
  /// because restoring it needs the transport's event queue.)
  static constexpr uint32_t kStateVersion = 1;
  /// Writes `bypass`, the negotiated features, whether the event queue has been notified, each
  /// endpoint's domain, each domain with its mappings, the faults waiting for event buffers,
  /// the counters and the fault history. Not the options: they come from the device's -device
  /// text.
  void save_state(StateWriter& w) const;
  /// Restores what save_state() wrote into a device built with the same options and the same
  /// endpoints, between runs. `event_queue` is the transport's event queue (queue 1), which
  /// the device uses again if the saved one had been notified of it. Announces nothing: a
  /// notifier consumer restores its own contents. Fails `r` on a state the device cannot
  /// reach: other endpoints, a domain without an endpoint or outside the domain range, a
  /// mapping a MAP request would have refused (misaligned, overlapping another or a reserved
  /// region, outside the input range, without permission, with unknown or unnegotiated flags,
  /// too many blocks), more mappings than the device may hold, features never offered,
  /// malformed faults; the device may then be half-restored.
  void load_state(StateReader& r, VirtQueue& event_queue);

 private:
  class Endpoint;
  struct Mapping {
    uint64_t last = 0;  ///< virt_end (inclusive)
    uint64_t phys = 0;  ///< phys_start
    uint32_t flags = 0;
  };
  using MappingTable = std::map<uint64_t, Mapping>;  ///< keyed by virt_start
  struct Domain {
    bool bypass = false;
    MappingTable mappings;
    std::set<uint32_t> endpoints;
  };
  /// What an endpoint sees: nothing, the identity, or a domain's mappings.
  struct View {
    bool identity = false;
    const MappingTable* mappings = nullptr;
  };

  /// The translation of `iova` by endpoint `ep`'s view, without side effects.
  IommuTlbEntry resolve(const Endpoint& ep, uint64_t iova) const;
  IommuTlbEntry translate(Endpoint& ep, uint64_t iova, IommuAccessFlags access, MemTxAttrs attrs);
  void replay(Endpoint& ep, IommuNotifier& notifier);

  View view_of(const Endpoint& ep) const;
  /// Calls f(iova, mask) for the identity blocks of the MSI reserved regions, which every
  /// view that is not the identity includes.
  template <typename F>
  void for_each_msi_block(F&& f) const;
  /// Notifies `type` (Map or Unmap) of every entry of `view` to `ep`'s notifiers.
  void announce(Endpoint& ep, const View& view, IommuNotifierFlag type);
  /// Notifies `type` of mapping [first, m.last] to every endpoint attached to `domain`.
  void announce_mapping(const Domain& domain, uint64_t first, const Mapping& m,
                        IommuNotifierFlag type);
  /// Moves `ep` to `domain_id` (nullopt: detached), announcing the change of view, and
  /// destroys the old domain if it has no endpoint left.
  void move_endpoint(Endpoint& ep, std::optional<uint32_t> domain_id);

  /// Handles one well-formed request (its device-readable bytes at `req`).
  struct Reply {
    Reply(uint8_t s = kSOk) : status(s) {}  // NOLINT: a bare status is a Reply
    uint8_t status;
    std::vector<uint8_t> payload;  ///< PROBE's properties
  };
  Reply attach(const uint8_t* req);
  Reply detach(const uint8_t* req);
  Reply map(const uint8_t* req);
  Reply unmap(const uint8_t* req);
  Reply probe(const uint8_t* req);

  void report_fault(const Fault& fault);
  void flush_faults();

  AddressSpace& target_;
  Options options_;
  uint64_t granule_mask_;  ///< the page granule - 1
  std::map<uint32_t, std::unique_ptr<Endpoint>> endpoints_;
  std::map<uint32_t, Domain> domains_;
  size_t mapping_count_ = 0;
  bool bypass_;
  uint64_t features_ = 0;
  VirtQueue* event_queue_ = nullptr;  ///< set when the driver first notifies the event queue
  std::deque<Fault> pending_faults_;
  uint64_t faults_reported_ = 0;
  uint64_t faults_dropped_ = 0;
  std::deque<FaultRecord> fault_history_;
  uint64_t fault_seq_ = 0;
  std::function<uint64_t()> clock_;
};

}  // namespace glassvm
