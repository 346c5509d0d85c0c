// The RISC-V IOMMU's register interface, command queue and fault queue (specification 1.0,
// chapters 3 and 5). The translation side (device directory, page tables, IOTLB, notifier
// contract) is in riscv_iommu_walk.cpp.
//
// Design note: 64-bit registers accept a 64-bit access or either 32-bit half; a half write is
// merged with the other half and then applied as one 64-bit write, so every register has one
// write path. Commands run synchronously, to completion or to the first error, whenever cqt or
// cqcsr is written; a command that stops the queue (cmd_ill, cqmf) leaves cqh pointing at it.
#include "iommu/riscv_iommu.h"

#include <cassert>
#include <utility>

namespace glassvm {

using namespace riscv_iommu;

namespace {

/// What this model advertises (see the file note of riscv_iommu.h).
constexpr uint64_t kCapabilities = CAP_VERSION_1_0 | CAP_SV39 | CAP_SV48 | CAP_SV57 | CAP_ATS |
                                   field(CAP_IGS, CAP_IGS_WSI) |
                                   field(CAP_PAS, RiscvIommu::kPhysAddrBits);

constexpr uint32_t kCqErrors = QCSR_MF | CQCSR_CMD_TO | CQCSR_CMD_ILL | CQCSR_FENCE_W_IP;
constexpr uint32_t kFqErrors = QCSR_MF | QCSR_OF;

}  // namespace

RiscvIommu::RiscvIommu(AddressSpace& memory, std::string name) : memory_(memory) {
  init_iommu(name, MemoryRegion::kWholeSpace);
  MemoryRegionOps ops;
  ops.read = [this](uint64_t offset, unsigned size, uint64_t& value, MemTxAttrs) {
    value = read_reg(offset, size);
    return MemTxResult::Ok;
  };
  ops.write = [this](uint64_t offset, unsigned size, uint64_t value, MemTxAttrs) {
    write_reg(offset, size, value);
    return MemTxResult::Ok;
  };
  // 5.1: registers are accessed with naturally aligned 32- or 64-bit accesses.
  ops.valid = {4, 8, false};
  ops.impl = {4, 8, false};
  mmio_.init_io(name + "-regs", kRegBlockSize, std::move(ops));
}

RiscvIommu::~RiscvIommu() = default;

IrqLine& RiscvIommu::irq(unsigned vector) {
  assert(vector < kNumVectors && "RiscvIommu::irq: vector out of range");
  return irqs_[vector];
}

void RiscvIommu::reset() {
  ddtp_ = 0;
  cqb_ = fqb_ = pqb_ = 0;
  cqh_ = cqt_ = fqh_ = fqt_ = pqh_ = pqt_ = 0;
  cqcsr_ = fqcsr_ = pqcsr_ = ipsr_ = 0;
  icvec_ = 0;
  invalidate_everything();
  update_irqs();
}

// ---------------------------------------------------------------------------------------------
// Registers
// ---------------------------------------------------------------------------------------------

bool RiscvIommu::is_reg64(uint64_t offset) {
  switch (offset) {
    case CAPABILITIES:
    case DDTP:
    case CQB:
    case FQB:
    case PQB:
    case ICVEC: return true;
    default: return false;
  }
}

uint64_t RiscvIommu::reg64(uint64_t base) const {
  switch (base) {
    case CAPABILITIES: return kCapabilities;
    case DDTP: return ddtp_;  // busy is never set: every ddtp write completes at once
    case CQB: return cqb_;
    case FQB: return fqb_;
    case PQB: return pqb_;
    case ICVEC: return icvec_;
    default: return 0;
  }
}

uint32_t RiscvIommu::reg32(uint64_t offset) const {
  uint64_t base = offset & ~uint64_t{7};
  if (is_reg64(base)) return static_cast<uint32_t>(reg64(base) >> ((offset & 4) * 8));
  switch (offset) {
    case FCTL: return FCTL_WSI;  // IGS=WSI: wired interrupts, read-only 1; BE and GXL 0
    case CQH: return cqh_;
    case CQT: return cqt_;
    case FQH: return fqh_;
    case FQT: return fqt_;
    case PQH: return pqh_;
    case PQT: return pqt_;
    case CQCSR: return cqcsr_;
    case FQCSR: return fqcsr_;
    case PQCSR: return pqcsr_;
    case IPSR: return ipsr_;
    // Everything else is absent (HPM, DBG, MSI table, QoS) or reserved: reads 0 (5.2).
    default: return 0;
  }
}

uint64_t RiscvIommu::peek_register(uint64_t offset) const {
  return is_reg64(offset) ? reg64(offset) : reg32(offset);
}

uint64_t RiscvIommu::read_reg(uint64_t offset, unsigned size) const {
  if (size == 8) return reg32(offset) | (uint64_t{reg32(offset + 4)} << 32);
  return reg32(offset);
}

void RiscvIommu::write_reg(uint64_t offset, unsigned size, uint64_t value) {
  if (size == 8 && is_reg64(offset)) {
    write_reg64(offset, value);
  } else if (size == 8) {
    write_reg32(offset, static_cast<uint32_t>(value));
    write_reg32(offset + 4, static_cast<uint32_t>(value >> 32));
  } else {
    write_reg32(offset, static_cast<uint32_t>(value));
  }
}

void RiscvIommu::write_reg32(uint64_t offset, uint32_t value) {
  uint64_t base = offset & ~uint64_t{7};
  if (is_reg64(base)) {
    unsigned shift = (offset & 4) * 8;
    uint64_t merged = (reg64(base) & ~(uint64_t{0xffffffff} << shift)) | (uint64_t{value} << shift);
    write_reg64(base, merged);
    return;
  }
  switch (offset) {
    case CQT:
      // WARL: an index beyond the queue keeps only the bits that index it.
      cqt_ = value & static_cast<uint32_t>(queue_entries(cqb_) - 1);
      process_commands();
      break;
    case FQH: fqh_ = value & static_cast<uint32_t>(queue_entries(fqb_) - 1); break;
    case PQH: pqh_ = value & static_cast<uint32_t>(queue_entries(pqb_) - 1); break;
    case CQCSR: write_cqcsr(value); break;
    case FQCSR: write_fqcsr(value); break;
    case PQCSR: write_pqcsr(value); break;
    case IPSR:
      ipsr_ &= ~(value & (IPSR_CIP | IPSR_FIP | IPSR_PMIP | IPSR_PIP));  // write 1 to clear
      update_irqs();
      break;
    // fctl is read-only in this configuration; cqh, fqt, pqt are the IOMMU's.
    default: break;
  }
}

void RiscvIommu::write_reg64(uint64_t base, uint64_t value) {
  constexpr uint64_t kQbMask = QB_LOG2SZ_1 | QB_PPN;
  switch (base) {
    case DDTP: write_ddtp(value); break;
    // A queue base is writable only while its queue is off (5.6, 5.9, 5.12).
    case CQB:
      if (!(cqcsr_ & QCSR_ON)) cqb_ = value & kQbMask;
      break;
    case FQB:
      if (!(fqcsr_ & QCSR_ON)) fqb_ = value & kQbMask;
      break;
    case PQB:
      if (!(pqcsr_ & QCSR_ON)) pqb_ = value & kQbMask;
      break;
    case ICVEC: {
      // WARL: kNumVectors wires, so each vector number keeps its two low bits.
      constexpr uint64_t kLegal = 0x3 | 0x30 | 0x300 | 0x3000;
      icvec_ = value & kLegal;
      update_irqs();
      break;
    }
    default: break;  // capabilities is read-only
  }
}

void RiscvIommu::write_ddtp(uint64_t value) {
  // WARL: an unsupported mode leaves ddtp as it was, and so does a move from one directory
  // mode to another, which must go through Off or Bare (5.5).
  uint64_t mode = get_field(value, DDTP_MODE);
  uint64_t old_mode = get_field(ddtp_, DDTP_MODE);
  if (mode > kMode3Lvl) return;
  if (mode >= kMode1Lvl && old_mode >= kMode1Lvl && mode != old_mode) return;
  ddtp_ = value & (DDTP_MODE | DDTP_PPN);
  // The directory moved: every cached context and translation is stale.
  invalidate_everything();
}

void RiscvIommu::write_cqcsr(uint32_t value) {
  cqcsr_ &= ~(value & kCqErrors);  // write 1 to clear
  cqcsr_ = (cqcsr_ & ~(QCSR_EN | QCSR_IE)) | (value & (QCSR_EN | QCSR_IE));
  if ((value & QCSR_EN) && !(cqcsr_ & QCSR_ON)) {
    cqh_ = cqt_ = 0;  // 5.15: enabling the queue resets its indices and its error state
    cqcsr_ = (cqcsr_ & ~kCqErrors) | QCSR_ON;
  } else if (!(value & QCSR_EN)) {
    cqcsr_ &= ~QCSR_ON;
  }
  update_irqs();
  process_commands();
}

void RiscvIommu::write_fqcsr(uint32_t value) {
  fqcsr_ &= ~(value & kFqErrors);
  fqcsr_ = (fqcsr_ & ~(QCSR_EN | QCSR_IE)) | (value & (QCSR_EN | QCSR_IE));
  if ((value & QCSR_EN) && !(fqcsr_ & QCSR_ON)) {
    fqh_ = fqt_ = 0;  // 5.16: enabling the queue resets its indices and its error state
    fqcsr_ = (fqcsr_ & ~kFqErrors) | QCSR_ON;
  } else if (!(value & QCSR_EN)) {
    fqcsr_ &= ~QCSR_ON;
  }
  update_irqs();
}

void RiscvIommu::write_pqcsr(uint32_t value) {
  // The page-request queue exists (ATS is supported) but no device here issues page requests,
  // so it only ever turns on and off.
  pqcsr_ &= ~(value & kFqErrors);
  pqcsr_ = (pqcsr_ & ~(QCSR_EN | QCSR_IE)) | (value & (QCSR_EN | QCSR_IE));
  if ((value & QCSR_EN) && !(pqcsr_ & QCSR_ON)) {
    pqh_ = pqt_ = 0;
    pqcsr_ = (pqcsr_ & ~kFqErrors) | QCSR_ON;
  } else if (!(value & QCSR_EN)) {
    pqcsr_ &= ~QCSR_ON;
  }
}

void RiscvIommu::set_pending(uint64_t ipsr_bit, bool enabled) {
  // 5.18: a pending bit is set only while its queue's interrupt enable is set.
  if (enabled) ipsr_ |= static_cast<uint32_t>(ipsr_bit);
  update_irqs();
}

std::array<bool, RiscvIommu::kNumVectors> RiscvIommu::vector_levels() const {
  // Wired interrupts: each vector's line is high while a pending bit routed to it is set.
  std::array<bool, kNumVectors> level = {};
  if (ipsr_ & IPSR_CIP) level[get_field(icvec_, ICVEC_CIV)] = true;
  if (ipsr_ & IPSR_FIP) level[get_field(icvec_, ICVEC_FIV)] = true;
  if (ipsr_ & IPSR_PMIP) level[get_field(icvec_, ICVEC_PMIV)] = true;
  if (ipsr_ & IPSR_PIP) level[get_field(icvec_, ICVEC_PIV)] = true;
  return level;
}

void RiscvIommu::update_irqs() {
  const std::array<bool, kNumVectors> level = vector_levels();
  for (unsigned v = 0; v < kNumVectors; ++v) irqs_[v].set(level[v]);
}

// ---------------------------------------------------------------------------------------------
// Command queue (3.1)
// ---------------------------------------------------------------------------------------------

void RiscvIommu::process_commands() {
  if (processing_) return;  // a notifier callback wrote cqt: the running loop will see it
  processing_ = true;
  uint64_t entries = queue_entries(cqb_);
  uint32_t mask = static_cast<uint32_t>(entries - 1);
  // At most one pass over the queue, whatever the indices say.
  for (uint64_t n = 0; n < entries; ++n) {
    if (!(cqcsr_ & QCSR_ON) || (cqcsr_ & (QCSR_MF | CQCSR_CMD_TO | CQCSR_CMD_ILL))) break;
    if ((cqh_ & mask) == (cqt_ & mask)) break;
    uint64_t addr = queue_base(cqb_) + uint64_t{cqh_ & mask} * kCommandSize;
    uint64_t d0 = 0, d1 = 0;
    if (memory_.load(addr, 8, d0) != MemTxResult::Ok ||
        memory_.load(addr + 8, 8, d1) != MemTxResult::Ok) {
      cqcsr_ |= QCSR_MF;
      set_pending(IPSR_CIP, cqcsr_ & QCSR_IE);
      break;
    }
    CmdResult result = execute_command(d0, d1);
    if (result == CmdResult::Illegal) {
      cqcsr_ |= CQCSR_CMD_ILL;  // cqh stays on the illegal command
      set_pending(IPSR_CIP, cqcsr_ & QCSR_IE);
      break;
    }
    if (result == CmdResult::MemoryFault) {
      cqcsr_ |= QCSR_MF;
      set_pending(IPSR_CIP, cqcsr_ & QCSR_IE);
      break;
    }
    cqh_ = (cqh_ + 1) & mask;
  }
  processing_ = false;
}

RiscvIommu::CmdResult RiscvIommu::execute_command(uint64_t d0, uint64_t d1) {
  ++stats_.commands;
  switch (get_field(d0, CMD_OPCODE)) {
    case OP_IOTINVAL: return iotinval(d0, d1);
    case OP_IOFENCE: return iofence(d0, d1);
    case OP_IODIR: return iodir(d0, d1);
    case OP_ATS: return ats(d0, d1);
    default: return CmdResult::Illegal;
  }
}

RiscvIommu::CmdResult RiscvIommu::iotinval(uint64_t d0, uint64_t d1) {
  uint64_t func = get_field(d0, CMD_FUNC3);
  if (func != FUNC_IOTINVAL_VMA && func != FUNC_IOTINVAL_GVMA) return CmdResult::Illegal;
  if (d0 & IOTINVAL_RESERVED0) return CmdResult::Illegal;
  bool av = d0 & IOTINVAL_AV;
  if (d1 & IOTINVAL_RESERVED1) return CmdResult::Illegal;
  if (func == FUNC_IOTINVAL_GVMA) {
    // 3.1.1: PSCV is reserved for GVMA. Without a second stage no entry belongs to a guest
    // (GSCID) address space, so a legal GVMA has nothing to invalidate.
    if (d0 & IOTINVAL_PSCV) return CmdResult::Illegal;
    return CmdResult::Ok;
  }
  // IOTINVAL.VMA. GV=1 names a guest's (GSCID) address spaces: none exist without a second
  // stage, so it matches nothing. GV=0: the host address spaces, which hold every entry here.
  if (d0 & IOTINVAL_GV) return CmdResult::Ok;
  bool pscv = d0 & IOTINVAL_PSCV;
  uint32_t pscid = static_cast<uint32_t>(get_field(d0, IOTINVAL_PSCID));
  uint64_t addr = get_field(d1, IOTINVAL_ADDR) << 12;
  iotlb_invalidate([&](const IotlbKey& key, const IotlbEntry& e) {
    // With a PSCID, global mappings stay (as sfence.vma with an ASID).
    if (pscv && (key.pscid != pscid || e.global)) return false;
    if (av && !(e.entry.first() <= addr && addr <= e.entry.last())) return false;
    return true;
  });
  return CmdResult::Ok;
}

RiscvIommu::CmdResult RiscvIommu::iofence(uint64_t d0, uint64_t d1) {
  if (get_field(d0, CMD_FUNC3) != FUNC_IOFENCE_C) return CmdResult::Illegal;
  if (d0 & IOFENCE_RESERVED0) return CmdResult::Illegal;
  bool av = d0 & IOFENCE_AV;
  if (av && (d1 & IOFENCE_RESERVED1)) return CmdResult::Illegal;
  // Everything before the fence has completed already (commands and DMA are synchronous), so
  // PR and PW need no waiting.
  if (av) {
    uint64_t addr = get_field(d1, IOFENCE_ADDR) << 2;
    uint64_t data = get_field(d0, IOFENCE_DATA);
    if (addr >> kPhysAddrBits) return CmdResult::MemoryFault;  // beyond capabilities.PAS
    if (memory_.store(addr, 4, data) != MemTxResult::Ok) return CmdResult::MemoryFault;
  }
  if (d0 & IOFENCE_WSI) {
    // fctl.WSI is 1, so a WSI fence is legal; completion sets fence_w_ip.
    cqcsr_ |= CQCSR_FENCE_W_IP;
    set_pending(IPSR_CIP, cqcsr_ & QCSR_IE);
  }
  return CmdResult::Ok;
}

unsigned RiscvIommu::device_id_bits() const {
  switch (get_field(ddtp_, DDTP_MODE)) {
    case kMode1Lvl: return kDdi0Bits;
    case kMode2Lvl: return kDdi0Bits + kDdi1Bits;
    default: return kDeviceIdBits;
  }
}

RiscvIommu::CmdResult RiscvIommu::iodir(uint64_t d0, uint64_t d1) {
  uint64_t func = get_field(d0, CMD_FUNC3);
  if (func != FUNC_IODIR_INVAL_DDT && func != FUNC_IODIR_INVAL_PDT) return CmdResult::Illegal;
  if ((d0 & IODIR_RESERVED0) || d1 != 0) return CmdResult::Illegal;
  bool dv = d0 & IODIR_DV;
  auto did = static_cast<uint32_t>(get_field(d0, IODIR_DID));
  // 3.1.3: a DID wider than the current directory mode indexes is illegal.
  if (dv && (did >> device_id_bits())) return CmdResult::Illegal;
  if (func == FUNC_IODIR_INVAL_PDT) {
    // INVAL_PDT needs a device, and a PID no wider than the process directories support:
    // none are (PD8/17/20 are 0), so 8 bits at most, and nothing is cached for it.
    if (!dv || get_field(d0, IODIR_PID) > 0xff) return CmdResult::Illegal;
    return CmdResult::Ok;
  }
  if (get_field(d0, IODIR_PID) != 0) return CmdResult::Illegal;  // reserved for INVAL_DDT
  if (!dv) {
    invalidate_everything();
    return CmdResult::Ok;
  }
  dc_cache_.erase(did);
  // The context may have changed anything (mode, PSCID, root): the device's translations go,
  // announced as one UNMAP of its whole space.
  for (auto it = iotlb_.begin(); it != iotlb_.end();) {
    it = it->first.did == did ? iotlb_.erase(it) : std::next(it);
  }
  unmap_whole_space(did);
  return CmdResult::Ok;
}

RiscvIommu::CmdResult RiscvIommu::ats(uint64_t d0, uint64_t d1) {
  uint64_t func = get_field(d0, CMD_FUNC3);
  if (func != FUNC_ATS_INVAL && func != FUNC_ATS_PRGR) return CmdResult::Illegal;
  if (d0 & ATS_RESERVED0) return CmdResult::Illegal;
  if (func == FUNC_ATS_PRGR) {
    // No page-request interface is modelled, so no device waits for this response.
    return CmdResult::Ok;
  }
  auto did = static_cast<uint32_t>(get_field(d0, ATS_RID));
  if (d0 & ATS_DSV) did |= static_cast<uint32_t>(get_field(d0, ATS_DSEG)) << 16;
  // The PCIe Invalidate Request range: S=0 is one 4 KiB page; S=1 encodes the size in the
  // run of ones above bit 12 (the first 0 bit ends it); all ones is the whole space.
  uint64_t addr = d1 & ATS_INVAL_ADDR;
  IommuTlbEntry e;
  e.target_as = &memory_;
  if (!(d1 & ATS_INVAL_S)) {
    e.iova = addr;
    e.addr_mask = 0xfff;
  } else {
    unsigned ones = static_cast<unsigned>(__builtin_ctzll(~(addr >> 12) | (uint64_t{1} << 52)));
    if (ones >= 51) {
      e.iova = 0;
      e.addr_mask = ~uint64_t{0};
    } else {
      e.addr_mask = (uint64_t{1} << (12 + ones + 1)) - 1;
      e.iova = addr & ~e.addr_mask;
    }
  }
  notify(static_cast<int>(did), {IommuNotifierFlag::DevIotlbUnmap, e}, did);
  return CmdResult::Ok;
}

// ---------------------------------------------------------------------------------------------
// Fault queue (3.2)
// ---------------------------------------------------------------------------------------------

void RiscvIommu::record_fault(uint32_t cause, uint32_t ttyp, uint32_t did, uint64_t iotval,
                              uint64_t iotval2) {
  // The history (for the UI) keeps every report, taken by the queue or not.
  if (fault_history_.size() >= kFaultHistory) fault_history_.pop_front();
  fault_history_.push_back(
      {++fault_seq_, clock_ ? clock_() : 0, cause, ttyp, did, iotval, iotval2, false});
  // While the queue is off or in error, new records are discarded (3.2).
  if (!(fqcsr_ & QCSR_ON) || (fqcsr_ & (QCSR_MF | QCSR_OF))) {
    ++stats_.faults_dropped;
    return;
  }
  uint32_t mask = static_cast<uint32_t>(queue_entries(fqb_) - 1);
  uint32_t next = (fqt_ + 1) & mask;
  if (next == (fqh_ & mask)) {
    fqcsr_ |= QCSR_OF;  // full: the record is lost and the overflow reported
    ++stats_.faults_dropped;
    set_pending(IPSR_FIP, fqcsr_ & QCSR_IE);
    return;
  }
  uint64_t record[4] = {
      field(FQ_CAUSE, cause) | field(FQ_TTYP, ttyp) | field(FQ_DID, did),
      0,
      iotval,
      iotval2,
  };
  uint64_t addr = queue_base(fqb_) + uint64_t{fqt_ & mask} * kFaultRecordSize;
  for (int i = 0; i < 4; ++i) {
    if (memory_.store(addr + 8 * i, 8, record[i]) != MemTxResult::Ok) {
      fqcsr_ |= QCSR_MF;
      ++stats_.faults_dropped;
      set_pending(IPSR_FIP, fqcsr_ & QCSR_IE);
      return;
    }
  }
  fqt_ = next;
  fault_history_.back().delivered = true;
  ++stats_.faults_recorded;
  set_pending(IPSR_FIP, fqcsr_ & QCSR_IE);
}

}  // namespace glassvm
