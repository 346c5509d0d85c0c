// The RISC-V IOMMU (RISC-V IOMMU Architecture Specification 1.0) as a memory-mapped device and
// an IOMMU region.
//
// Design note: one region for all devices. The model IS the IommuMemoryRegion that every
// device behind it DMAs through; the requester id of an access (MemTxAttrs::requester_id,
// which the board sets per DMA master) is the spec's device_id and also the IOMMU index, so
// attrs_to_index() returns it and a notifier for device D registers with iommu_idx D. Every
// event the model emits goes to the index of the device concerned. Device ids are 24 bits
// (kDeviceIdBits); a wider requester id is a board programming error (assert).
//
// What the guest sees (capabilities): version 1.0, Sv39/Sv48/Sv57 first stage with Svnapot
// 64 KiB leaves (which the spec requires without a capability bit), no second stage
// (iohgatp must be Bare), no process directories (PD8/17/20 clear: a context with PDTV=1 must
// have a Bare pdtp), no MSI translation (base-format 32-byte device contexts), no hardware A/D
// updates (AMO_HWAD clear: a leaf with A=0, or D=0 on a write, is a page fault), ATS yes
// (ats_request_translation, iommu/ats.h: translation requests of EN_ATS devices), wired
// interrupts only (IGS=WSI, fctl.WSI reads 1), little-endian only, no HPM, no debug
// translation interface. Device accesses carry no process id, so they are U-mode accesses:
// a leaf without U is a page fault.
//
// Caches, as on hardware: a device-context cache (emptied by IODIR.INVAL_DDT and ddtp writes)
// and an IOTLB of leaf translations tagged with device id and PSCID (emptied by IOTINVAL.VMA).
// A translate() that hits the IOTLB reads no page table, so a page-table write is seen only
// after the IOTINVAL.VMA that covers it. Faults are never cached.
//
// Events: page-table writes are invisible to this IOMMU, so it cannot announce new mappings
// and refuses MAP notifiers (notify_flag_changed). It announces removals:
// - IOTINVAL.VMA: an UNMAP for each IOTLB entry it drops (a page or the superpage the entry
//   covered), to the entry's device. Evicting an entry to make room is announced the same way,
//   so a consumer filled from translate() never holds a translation the IOTLB lost.
// - IODIR.INVAL_DDT, and ddtp writes: an UNMAP of the whole space to each device concerned
//   (the context may have changed anything, including a Bare identity map).
// - ATS.INVAL: a DEVIOTLB_UNMAP of the range its payload encodes, to the device it names.
// Replay walks the device's tables in guest memory (never the caches) and delivers MAPs.
//
// Commands run synchronously when cqt (or cqcsr) is written. Guest mistakes end as fault
// records, queue error bits or cmd_ill, never as an abort.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/base/irq.h"
#include "engine/base/snapshot.h"
#include "engine/memory/memory.h"
#include "iommu/ats.h"
#include "iommu/riscv_iommu_regs.h"

namespace glassvm {

/// The RISC-V IOMMU: a 4 KiB register block (mmio()) and the IOMMU region devices DMA through.
class RiscvIommu : public IommuMemoryRegion, public AtsTranslationAgent {
 public:
  /// Number of wired interrupt outputs (icvec vectors 0..3).
  static constexpr unsigned kNumVectors = 4;
  /// IOTLB capacity in entries; the oldest entry is evicted (and announced) when full.
  static constexpr size_t kIotlbCapacity = 1024;
  /// Device-context cache capacity.
  static constexpr size_t kDcCacheCapacity = 256;
  /// Physical address width (capabilities.PAS).
  static constexpr unsigned kPhysAddrBits = 56;

  /// An IOMMU that reads its tables and queues through `memory` (the system address space) and
  /// whose translations lead into `memory` too. `memory` must outlive it.
  explicit RiscvIommu(AddressSpace& memory, std::string name = "riscv-iommu");
  ~RiscvIommu() override;

  /// The register block, to be mapped by the board (32- and 64-bit aligned accesses).
  MemoryRegion& mmio() { return mmio_; }
  /// Wired interrupt output `vector` (< kNumVectors, assert); level-triggered, high while an
  /// ipsr bit routed to it by icvec is pending.
  IrqLine& irq(unsigned vector);

  /// Power-on state: registers zero (ddtp Off), queues off, caches empty.
  void reset();

  // -- IommuMemoryRegion ------------------------------------------------------------------------

  /// A DMA request of device `iommu_idx`: IOTLB, else device-context and page-table walk;
  /// a fault is recorded in the fault queue and returned as perm kIommuNone. A debug access
  /// (attrs.debug) is answered by lookup(), without side effects.
  IommuTlbEntry translate(uint64_t iova, IommuAccessFlags access, int iommu_idx,
                          MemTxAttrs attrs) override;
  int attrs_to_index(MemTxAttrs attrs) const override;
  /// A PCIe ATS Translation Request of device `iommu_idx` (fault records with TTYP 8): refused
  /// with "transaction type disallowed" (260) in Bare mode and for a context without EN_ATS; a
  /// page fault is not recorded but answered with perm kIommuNone (a completion with R = W = 0);
  /// otherwise the leaf's whole permission, even if it lacks `access`.
  IommuTlbEntry ats_request_translation(uint64_t iova, IommuAccessFlags access, int iommu_idx,
                                        MemTxAttrs attrs) override;
  int num_indexes() const override { return 1 << riscv_iommu::kDeviceIdBits; }
  /// What device `iommu_idx`'s tables in guest memory map at `iova`: no cache is read or
  /// filled, no fault recorded. A hole is reported as large as the walk knows it to be.
  IommuTlbEntry lookup(uint64_t iova, int iommu_idx) const override;
  /// Refuses any registration that adds MAP (see the file note).
  bool notify_flag_changed(IommuNotifierFlag old_flags, IommuNotifierFlag new_flags,
                           std::string* error) override;
  /// Walks the device's page tables (through guest memory, as lookup() does) and delivers each
  /// leaf inside the notifier's range as one MAP. Bounded: at most kReplayMaxReads table
  /// entries are read, so a looping table cannot stall the machine.
  void replay(IommuNotifier& notifier) override;
  static constexpr uint64_t kReplayMaxReads = uint64_t{1} << 20;

  // -- Introspection (tests, UI) ----------------------------------------------------------------

  struct Stats {
    uint64_t iotlb_hits = 0;
    uint64_t iotlb_misses = 0;
    uint64_t page_walks = 0;  ///< first-stage walks done by translate()
    uint64_t ddt_walks = 0;   ///< device-directory walks done by translate()
    uint64_t faults_recorded = 0;
    uint64_t faults_dropped = 0;  ///< queue off, full or in error
    uint64_t commands = 0;
  };
  const Stats& stats() const { return stats_; }
  size_t iotlb_size() const { return iotlb_.size(); }
  /// A register as the guest reads it (64-bit registers whole, 32-bit ones zero-extended);
  /// no side effects.
  uint64_t peek_register(uint64_t offset) const;

  // -- Debug introspection (UI, tests) -----------------------------------------------------------
  // Everything below reads guest memory with debug accesses and touches nothing: no cache is
  // read-for-use or filled, no fault is recorded, no event is sent, no statistic moves.

  /// One thing a debug walk read: ddtp, a directory entry, a device-context doubleword or a PTE.
  struct WalkStep {
    enum class Kind { Ddtp, DdtEntry, ContextWord, Pte };
    Kind kind = Kind::Ddtp;
    /// DdtEntry: the directory level (2, 1: DDI[2], DDI[1]); ContextWord: the doubleword (0 tc,
    /// 1 iohgatp, 2 ta, 3 fsc); Pte: the page-table level (0: 4 KiB leaves).
    int index = 0;
    uint64_t addr = 0;  ///< where it was read (0 for ddtp)
    uint64_t value = 0;
  };
  /// Device `did`'s context as the device-directory walk finds it now (2.3 steps 1-10).
  struct ContextWalk {
    uint64_t ddtp_mode = 0;  ///< DDTP_MODE: Off and Bare have no context
    std::vector<WalkStep> steps;
    uint64_t context_addr = 0;  ///< 0 when the walk stopped before the context
    uint64_t tc = 0, iohgatp = 0, ta = 0, fsc = 0;
    uint32_t cause = 0;  ///< why the context cannot be used (kCause*), or 0
  };
  /// The directory walk for device `did` (steps: ddtp, each directory entry, the four context
  /// doublewords read). Off gives cause 256, Bare no context and cause 0.
  ContextWalk debug_context(uint32_t did) const;

  /// The walk of one IOVA of one device, as translate() would do it on a miss.
  struct IovaWalk {
    ContextWalk context;
    std::vector<WalkStep> ptes;  ///< first-stage PTEs, root level first
    bool identity = false;       ///< Bare ddtp, Bare fsc or PDTV: the IOVA is the address
    bool ok = false;
    uint64_t pa = 0;
    uint64_t page_mask = 0;  ///< of the leaf (4 KiB pages of a 64 KiB NAPOT leaf: 0xfff)
    bool napot = false;      ///< the leaf is a Svnapot 64 KiB leaf
    IommuAccessFlags perm = kIommuNone;  ///< what the leaf allows the device
    uint32_t cause = 0;                  ///< the fault translate() would record, or 0
    bool reported = true;                ///< false: DTF set, the fault would not be recorded
  };
  /// Walks `iova` for `access` by device `did` through the tables in guest memory.
  IovaWalk debug_walk(uint32_t did, uint64_t iova, IommuAccessFlags access) const;
  /// Whether the IOTLB holds a translation of `iova` for device `did` under the PSCID its
  /// context has now (false when it has no usable context). Changes no entry's age.
  bool iotlb_holds(uint32_t did, uint64_t iova) const;
  /// The leaves device `did`'s tables map now (perm not none), by IOVA; Bare modes give one
  /// whole-space identity entry, Off and an unusable context nothing. At most `max_entries`,
  /// and at most `max_reads` table entries read; `truncated` (optional) tells whether either
  /// bound stopped the walk. Uses the walker replay() uses.
  std::vector<IommuTlbEntry> debug_mappings(uint32_t did, size_t max_entries,
                                            uint64_t max_reads = kReplayMaxReads,
                                            bool* truncated = nullptr) const;

  /// One fault the model reported (3.2), whether or not the fault queue took it.
  struct FaultRecord {
    uint64_t seq = 0;      ///< 1, 2, ... since power-on (reset() does not restart it)
    uint64_t time_ns = 0;  ///< the clock's value (set_clock), 0 without one
    uint32_t cause = 0, ttyp = 0, did = 0;
    uint64_t iotval = 0, iotval2 = 0;
    bool delivered = false;  ///< false: dropped (queue off, full, or in error)
  };
  /// The faults kept, oldest first: the newest kFaultHistory.
  const std::deque<FaultRecord>& fault_history() const { return fault_history_; }
  static constexpr size_t kFaultHistory = 256;
  /// The guest clock fault records are stamped with (the board sets it; none: time 0).
  void set_clock(std::function<uint64_t()> now_ns) { clock_ = std::move(now_ns); }

  // -- Snapshots (riscv_iommu_snapshot.cpp) ------------------------------------------------------

  /// The version of the state save() writes.
  static constexpr uint32_t kStateVersion = 1;
  /// Writes the registers, the device-context cache, the IOTLB (with the ages that choose the
  /// next eviction), the statistics and the fault history. The queues live in guest memory (RAM
  /// is saved whole); the interrupt lines follow from ipsr and icvec.
  void save(StateWriter& w) const;
  /// Restores what save() wrote, between runs, announcing nothing: notifier consumers restore
  /// their own contents, and their registrations were made when the board was built. The
  /// interrupt lines are set without telling their receivers. Fails `r` on a state the model
  /// cannot reach: bits a register does not keep, a queue that is on with indices beyond its
  /// size or (the command queue) with commands left and no error to stop it, cached contexts
  /// the directory walk would refuse, cached translations that no page table could give, caches
  /// outside a directory mode or larger than their capacity; the IOMMU may then be
  /// half-restored.
  void load(StateReader& r);

 private:
  struct DeviceContext {
    uint64_t tc = 0, iohgatp = 0, ta = 0, fsc = 0;
  };
  /// The outcome of a walk: an entry (perm may be kIommuNone for a leaf the access cannot use)
  /// or a fault cause; `entry` then describes the hole (iova block, perm none).
  struct Walk {
    IommuTlbEntry entry;
    uint32_t cause = 0;  ///< 0: no fault
    bool page_fault = false;
    bool access_fault = false;
    bool global = false;
  };
  struct IotlbKey {
    uint32_t did;
    uint32_t pscid;
    uint64_t base;
    bool operator<(const IotlbKey& o) const {
      return std::tie(did, pscid, base) < std::tie(o.did, o.pscid, o.base);
    }
  };
  struct IotlbEntry {
    IommuTlbEntry entry;
    bool global = false;
    uint64_t stamp = 0;
  };

  // Registers (riscv_iommu.cpp)
  uint64_t read_reg(uint64_t offset, unsigned size) const;
  void write_reg(uint64_t offset, unsigned size, uint64_t value);
  static bool is_reg64(uint64_t offset);
  uint64_t reg64(uint64_t base) const;
  void write_reg64(uint64_t base, uint64_t value);
  uint32_t reg32(uint64_t offset) const;
  void write_reg32(uint64_t offset, uint32_t value);
  void write_ddtp(uint64_t value);
  void write_cqcsr(uint32_t value);
  void write_fqcsr(uint32_t value);
  void write_pqcsr(uint32_t value);
  void update_irqs();
  /// The level of each wired vector: high while a pending bit routed to it is set.
  std::array<bool, kNumVectors> vector_levels() const;
  void set_pending(uint64_t ipsr_bit, bool enabled);

  // Queues (riscv_iommu.cpp)
  static uint64_t queue_entries(uint64_t qb) {
    return uint64_t{1} << (riscv_iommu::get_field(qb, riscv_iommu::QB_LOG2SZ_1) + 1);
  }
  static uint64_t queue_base(uint64_t qb) {
    return riscv_iommu::get_field(qb, riscv_iommu::QB_PPN) << 12;
  }
  void process_commands();
  enum class CmdResult { Ok, Illegal, MemoryFault };
  CmdResult execute_command(uint64_t d0, uint64_t d1);
  CmdResult iotinval(uint64_t d0, uint64_t d1);
  CmdResult iofence(uint64_t d0, uint64_t d1);
  CmdResult iodir(uint64_t d0, uint64_t d1);
  /// The width of the device ids the current ddtp mode indexes (24 outside directory modes).
  unsigned device_id_bits() const;
  CmdResult ats(uint64_t d0, uint64_t d1);
  /// Appends a fault record (or sets fqof/fqmf), and raises fip when enabled.
  void record_fault(uint32_t cause, uint32_t ttyp, uint32_t did, uint64_t iotval, uint64_t iotval2);

  // Translation (riscv_iommu_walk.cpp)
  /// translate() (ats false) and ats_request_translation() (ats true) for device `did`.
  IommuTlbEntry translate_request(uint64_t iova, IommuAccessFlags access, uint32_t did, bool ats);
  /// Reads a doubleword of guest memory; `debug` marks a side-effect-free read.
  bool load64(uint64_t addr, uint64_t& value, bool debug) const;
  /// Finds and checks device `did`'s context in guest memory. Returns 0 or a fault cause.
  /// `steps` (optional) receives ddtp, each directory entry and each context doubleword read;
  /// `context_addr` (optional) where the context is.
  uint32_t walk_ddt(uint32_t did, DeviceContext& dc, bool debug,
                    std::vector<WalkStep>* steps = nullptr, uint64_t* context_addr = nullptr) const;
  /// The reason a valid-bit-set context is misconfigured (259) for this IOMMU, or false.
  static bool dc_misconfigured(const DeviceContext& dc);
  /// Walks the first stage of `dc` for `iova` (perm: what the leaf allows this device).
  /// `steps` (optional) receives each PTE read.
  Walk walk_first_stage(const DeviceContext& dc, uint64_t iova, bool debug,
                        std::vector<WalkStep>* steps = nullptr) const;
  /// The fault a finished walk is for an access (`write`), or 0; a leaf lacking the access
  /// is a page fault.
  static uint32_t walk_fault_cause(const Walk& w, IommuAccessFlags access);
  /// The whole-space identity entry of Bare modes.
  IommuTlbEntry identity_entry() const;
  /// lookup() for one device, with its context already found.
  Walk lookup_in_context(const DeviceContext& dc, uint64_t iova) const;
  /// The bounded table walker replay() and debug_mappings() share: calls `leaf` for each
  /// usable leaf (perm not none) overlapping [first, last] under `table` (a level `level`
  /// table of a `va_bits` space), in IOVA order, until `leaf` returns false or `reads` reaches
  /// `max_reads`. Returns false when it stopped early for either reason.
  bool visit_leaves(uint64_t table, int level, uint64_t va_base, int va_bits, uint64_t first,
                    uint64_t last, uint64_t max_reads, uint64_t& reads,
                    const std::function<bool(const IommuTlbEntry&)>& leaf) const;
  /// visit_leaves() over device `did`'s whole context (Bare modes: the identity entry);
  /// nothing for Off or an unusable context.
  bool visit_device_leaves(uint32_t did, uint64_t first, uint64_t last, uint64_t max_reads,
                           const std::function<bool(const IommuTlbEntry&)>& leaf) const;

  // Caches (riscv_iommu_walk.cpp)
  const IotlbEntry* iotlb_find(uint32_t did, uint32_t pscid, uint64_t iova) const;
  void iotlb_insert(uint32_t did, uint32_t pscid, const Walk& walk);
  /// Drops the IOTLB entries `match` selects and sends each an UNMAP.
  void iotlb_invalidate(const std::function<bool(const IotlbKey&, const IotlbEntry&)>& match);
  void unmap_whole_space(uint32_t did);
  /// UNMAPs the whole space of every device index with a notifier or with something cached,
  /// and drops all caches.
  void invalidate_everything();

  AddressSpace& memory_;
  MemoryRegion mmio_;
  std::array<IrqLine, kNumVectors> irqs_;

  uint64_t ddtp_ = 0;
  uint64_t cqb_ = 0, fqb_ = 0, pqb_ = 0;
  uint32_t cqh_ = 0, cqt_ = 0, fqh_ = 0, fqt_ = 0, pqh_ = 0, pqt_ = 0;
  uint32_t cqcsr_ = 0, fqcsr_ = 0, pqcsr_ = 0, ipsr_ = 0;
  uint64_t icvec_ = 0;
  bool processing_ = false;

  std::map<uint32_t, DeviceContext> dc_cache_;
  std::map<IotlbKey, IotlbEntry> iotlb_;
  uint64_t iotlb_stamp_ = 0;
  Stats stats_;
  std::deque<FaultRecord> fault_history_;
  uint64_t fault_seq_ = 0;
  std::function<uint64_t()> clock_;
};

}  // namespace glassvm
