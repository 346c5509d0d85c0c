// RiscvIommu::save / load: the RISC-V IOMMU's part of a snapshot.
//
// Design note: the caches are saved, not rebuilt empty, because a guest can tell the
// difference. An IOTLB hit reads no page table, so a PTE the driver changed without
// IOTINVAL.VMA keeps its old translation until it is invalidated (the lessons show exactly
// that), and a cached device context hides a directory write until IODIR.INVAL_DDT. The IOTLB
// entries' ages are saved too: they choose the entry the next insertion evicts, and evictions
// are announced. The queues themselves are in guest memory, which the snapshot holds whole.
//
// Loading announces nothing. The notifiers registered on this region belong to their
// consumers (a device's ATC), which the board registered when it built the machine from the
// same -device list, and which restore their own contents; so the IOMMU and its consumers may
// be restored in either order.
#include <cassert>
#include <map>
#include <set>
#include <string>

#include "iommu/riscv_iommu.h"

namespace glassvm {

using namespace riscv_iommu;

namespace {

/// The bits each queue CSR can hold (cmd_to is never set: commands do not time out; the
/// page-request queue never receives a request, so it never reports an error).
constexpr uint32_t kCqcsrBits =
    static_cast<uint32_t>(QCSR_EN | QCSR_IE | QCSR_MF | CQCSR_CMD_ILL | CQCSR_FENCE_W_IP | QCSR_ON);
constexpr uint32_t kFqcsrBits =
    static_cast<uint32_t>(QCSR_EN | QCSR_IE | QCSR_MF | QCSR_OF | QCSR_ON);
constexpr uint32_t kPqcsrBits = static_cast<uint32_t>(QCSR_EN | QCSR_IE | QCSR_ON);
/// ipsr: only the command and fault queues raise interrupts here.
constexpr uint32_t kIpsrBits = static_cast<uint32_t>(IPSR_CIP | IPSR_FIP);
constexpr uint64_t kIcvecBits = 0x3 | 0x30 | 0x300 | 0x3000;
constexpr uint64_t kQbBits = QB_LOG2SZ_1 | QB_PPN;
constexpr unsigned kPscidBits = 20;
constexpr uint64_t kMaxLeafLevel = 4;  ///< Sv57's top level

/// The width of the device ids a directory mode indexes (0: not a directory mode).
unsigned directory_id_bits(uint64_t mode) {
  switch (mode) {
    case kMode1Lvl: return kDdi0Bits;
    case kMode2Lvl: return kDdi0Bits + kDdi1Bits;
    case kMode3Lvl: return kDeviceIdBits;
    default: return 0;
  }
}

/// Whether `mask` is the page mask of a first-stage leaf at some level.
bool is_leaf_mask(uint64_t mask) {
  for (uint64_t level = 0; level <= kMaxLeafLevel; ++level) {
    if (mask == (uint64_t{1} << (12 + 9 * level)) - 1) return true;
  }
  return false;
}

}  // namespace

// Snapshot payload (version 1):
//   u64 ddtp, cqb, fqb, pqb; u32 cqh, cqt, fqh, fqt, pqh, pqt, cqcsr, fqcsr, pqcsr, ipsr;
//   u64 icvec;
//   u64 number of cached device contexts, each: u32 device_id, u64 tc, iohgatp, ta, fsc;
//   u64 the IOTLB's age counter; u64 number of IOTLB entries, each: u32 device_id, u32 PSCID,
//   u64 IOVA, u64 page mask, u64 physical address, u8 perm, boolean global, u64 age;
//   u64 IOTLB hits, misses, page walks, directory walks, faults recorded, faults dropped,
//   commands;
//   u64 faults reported so far; u64 number of faults kept, each: u64 seq, u64 time_ns,
//   u32 cause, u32 ttyp, u32 device_id, u64 iotval, u64 iotval2, boolean delivered.
void RiscvIommu::save(StateWriter& w) const {
  for (uint64_t v : {ddtp_, cqb_, fqb_, pqb_}) w.u64(v);
  for (uint32_t v : {cqh_, cqt_, fqh_, fqt_, pqh_, pqt_, cqcsr_, fqcsr_, pqcsr_, ipsr_}) w.u32(v);
  w.u64(icvec_);

  w.u64(dc_cache_.size());
  for (const auto& [did, dc] : dc_cache_) {
    w.u32(did);
    for (uint64_t v : {dc.tc, dc.iohgatp, dc.ta, dc.fsc}) w.u64(v);
  }

  w.u64(iotlb_stamp_);
  w.u64(iotlb_.size());
  for (const auto& [key, e] : iotlb_) {
    assert(e.entry.target_as == &memory_ && e.entry.iova == key.base &&
           "an IOTLB entry leads into the IOMMU's memory, keyed by its first IOVA");
    w.u32(key.did);
    w.u32(key.pscid);
    w.u64(key.base);
    w.u64(e.entry.addr_mask);
    w.u64(e.entry.translated_addr);
    w.u8(e.entry.perm);
    w.boolean(e.global);
    w.u64(e.stamp);
  }

  for (uint64_t v : {stats_.iotlb_hits, stats_.iotlb_misses, stats_.page_walks, stats_.ddt_walks,
                     stats_.faults_recorded, stats_.faults_dropped, stats_.commands}) {
    w.u64(v);
  }

  w.u64(fault_seq_);
  w.u64(fault_history_.size());
  for (const FaultRecord& f : fault_history_) {
    w.u64(f.seq);
    w.u64(f.time_ns);
    w.u32(f.cause);
    w.u32(f.ttyp);
    w.u32(f.did);
    w.u64(f.iotval);
    w.u64(f.iotval2);
    w.boolean(f.delivered);
  }
}

void RiscvIommu::load(StateReader& r) {
  assert(!processing_ && "RiscvIommu::load while commands run");
  auto check = [&r](bool bad, const std::string& why) {
    if (r.ok() && bad) r.fail(why);
  };

  // -- Registers ------------------------------------------------------------------------------
  const uint64_t ddtp = r.u64(), cqb = r.u64(), fqb = r.u64(), pqb = r.u64();
  const uint32_t cqh = r.u32(), cqt = r.u32(), fqh = r.u32(), fqt = r.u32(), pqh = r.u32(),
                 pqt = r.u32(), cqcsr = r.u32(), fqcsr = r.u32(), pqcsr = r.u32(), ipsr = r.u32();
  const uint64_t icvec = r.u64();
  const uint64_t mode = get_field(ddtp, DDTP_MODE);
  check(mode > kMode3Lvl, "ddtp mode " + std::to_string(mode) + " does not exist");
  check((ddtp & ~(DDTP_MODE | DDTP_PPN)) != 0, "ddtp has bits the register does not keep");
  check(((cqb | fqb | pqb) & ~kQbBits) != 0, "a queue base has bits the register does not keep");
  check((cqcsr & ~kCqcsrBits) != 0, "cqcsr has bits this IOMMU never sets");
  check((fqcsr & ~kFqcsrBits) != 0, "fqcsr has bits this IOMMU never sets");
  check((pqcsr & ~kPqcsrBits) != 0, "pqcsr has bits this IOMMU never sets");
  // Writing a queue CSR sets ON exactly when it sets EN.
  for (uint32_t csr : {cqcsr, fqcsr, pqcsr}) {
    check(((csr & QCSR_EN) != 0) != ((csr & QCSR_ON) != 0),
          "a queue is on without being enabled, "
          "or enabled without being on");
  }
  // While a queue is on its base cannot change, and enabling it zeroed its indices: they index
  // it. Off, they keep whatever they held.
  auto indexes = [](uint64_t qb, uint32_t i) { return i < queue_entries(qb); };
  if (cqcsr & QCSR_ON) {
    check(!indexes(cqb, cqh) || !indexes(cqb, cqt), "cqh or cqt is beyond the command queue");
    // Commands run to the tail as soon as cqt is written, unless an error stopped the queue.
    check(cqh != cqt && !(cqcsr & (QCSR_MF | CQCSR_CMD_ILL)),
          "the command queue holds commands that should have run");
  }
  if (fqcsr & QCSR_ON) {
    check(!indexes(fqb, fqh) || !indexes(fqb, fqt), "fqh or fqt is beyond the fault queue");
  }
  if (pqcsr & QCSR_ON) check(!indexes(pqb, pqh), "pqh is beyond the page-request queue");
  check(pqt != 0, "pqt moved, but no device here sends page requests");
  check((ipsr & ~kIpsrBits) != 0, "ipsr has bits this IOMMU never sets");
  check((icvec & ~kIcvecBits) != 0, "icvec names a vector beyond the four wires");

  // -- Caches ---------------------------------------------------------------------------------
  // Only a directory mode fills them, and every ddtp write empties them.
  const unsigned id_bits = directory_id_bits(mode);
  const std::string in_mode = "in ddtp mode " + std::to_string(mode);
  std::map<uint32_t, DeviceContext> dc_cache;
  const uint64_t dcs = r.bounded(kDcCacheCapacity, "the number of cached device contexts");
  check(dcs > 0 && id_bits == 0, "cached device contexts " + in_mode);
  for (uint64_t i = 0; i < dcs && r.ok(); ++i) {
    const uint32_t did = r.u32();
    DeviceContext dc;
    dc.tc = r.u64();
    dc.iohgatp = r.u64();
    dc.ta = r.u64();
    dc.fsc = r.u64();
    check(did >> id_bits != 0, "a cached device context of device " + std::to_string(did) +
                                   ", which the directory cannot index " + in_mode);
    check(!dc_cache.empty() && did <= dc_cache.rbegin()->first,
          "cached device contexts repeat or are out of order");
    check(!(dc.tc & DC_TC_V) || dc_misconfigured(dc),
          "a cached device context the directory walk would refuse (device " + std::to_string(did) +
              ")");
    dc_cache.emplace_hint(dc_cache.end(), did, dc);
  }

  const uint64_t stamp = r.u64();
  std::map<IotlbKey, IotlbEntry> iotlb;
  std::set<uint64_t> ages;
  const uint64_t entries = r.bounded(kIotlbCapacity, "the number of IOTLB entries");
  check(entries > 0 && id_bits == 0, "IOTLB entries " + in_mode);
  for (uint64_t i = 0; i < entries && r.ok(); ++i) {
    IotlbKey key;
    key.did = r.u32();
    key.pscid = r.u32();
    key.base = r.u64();
    IotlbEntry e;
    e.entry.target_as = &memory_;
    e.entry.iova = key.base;
    e.entry.addr_mask = r.u64();
    e.entry.translated_addr = r.u64();
    const uint8_t perm = r.u8();
    e.entry.perm = static_cast<IommuAccessFlags>(perm);
    e.global = r.boolean();
    e.stamp = r.u64();
    if (!r.ok()) break;
    check(key.did >> id_bits != 0, "an IOTLB entry of device " + std::to_string(key.did) +
                                       ", which the directory cannot index " + in_mode);
    check(key.pscid >> kPscidBits != 0, "an IOTLB entry's PSCID is wider than 20 bits");
    check(!is_leaf_mask(e.entry.addr_mask), "an IOTLB entry is not the size of a leaf");
    check(((key.base | e.entry.translated_addr) & e.entry.addr_mask) != 0,
          "an IOTLB entry is not aligned to its size");
    check(e.entry.translated_addr >> kPhysAddrBits != 0,
          "an IOTLB entry leads beyond the physical address space");
    // A leaf's permission: R, or R and W (W without R is a reserved encoding).
    check(perm != kIommuRead && perm != kIommuRw,
          "an IOTLB entry has permission " + std::to_string(perm));
    check(e.stamp == 0 || e.stamp > stamp || !ages.insert(e.stamp).second,
          "IOTLB entries' ages are not distinct ages below the counter");
    check(!iotlb.emplace(key, e).second, "IOTLB entries repeat");
  }

  Stats stats;
  for (uint64_t* v : {&stats.iotlb_hits, &stats.iotlb_misses, &stats.page_walks, &stats.ddt_walks,
                      &stats.faults_recorded, &stats.faults_dropped, &stats.commands}) {
    *v = r.u64();
  }

  // -- The fault history ----------------------------------------------------------------------
  const uint64_t seq = r.u64();
  std::deque<FaultRecord> history;
  const uint64_t kept = r.bounded(kFaultHistory, "the number of faults kept");
  for (uint64_t i = 0; i < kept && r.ok(); ++i) {
    FaultRecord f;
    f.seq = r.u64();
    f.time_ns = r.u64();
    f.cause = r.u32();
    f.ttyp = r.u32();
    f.did = r.u32();
    f.iotval = r.u64();
    f.iotval2 = r.u64();
    f.delivered = r.boolean();
    check(f.seq == 0 || f.seq > seq || (!history.empty() && f.seq <= history.back().seq),
          "the faults kept are not numbered in order");
    check(f.did >> kDeviceIdBits != 0 || f.cause > get_field(FQ_CAUSE, FQ_CAUSE) ||
              f.ttyp > get_field(FQ_TTYP, FQ_TTYP),
          "a fault kept does not fit a fault record");
    history.push_back(f);
  }
  if (!r.ok()) return;

  ddtp_ = ddtp;
  cqb_ = cqb, fqb_ = fqb, pqb_ = pqb;
  cqh_ = cqh, cqt_ = cqt, fqh_ = fqh, fqt_ = fqt, pqh_ = pqh, pqt_ = pqt;
  cqcsr_ = cqcsr, fqcsr_ = fqcsr, pqcsr_ = pqcsr, ipsr_ = ipsr;
  icvec_ = icvec;
  dc_cache_ = std::move(dc_cache);
  iotlb_ = std::move(iotlb);
  iotlb_stamp_ = stamp;
  stats_ = stats;
  fault_seq_ = seq;
  fault_history_ = std::move(history);
  const std::array<bool, kNumVectors> level = vector_levels();
  for (unsigned v = 0; v < kNumVectors; ++v) irqs_[v].restore_level(level[v]);
}

}  // namespace glassvm
