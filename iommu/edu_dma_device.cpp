// The edu-dma teaching device and its registry entry (see edu_dma_device.h).
#include "iommu/edu_dma_device.h"

#include <algorithm>
#include <utility>

#include "edu_dma.h"  // assets/teach/: the register layout the guest programs share
#include "engine/board/fdt.h"
#include "engine/board/virt_fdt.h"

namespace glassvm {

namespace {

constexpr uint64_t kChunk = 0x1000;  ///< a copy never accesses across a 4 KiB IOVA page

/// The bytes left in the 4 KiB page of `iova`, at most `len`.
uint64_t chunk_at(uint64_t iova, uint64_t len) {
  return std::min(len, kChunk - (iova & (kChunk - 1)));
}

/// Whether [start, start + len) runs past the top of the 64-bit space (len >= 1).
bool wraps(uint64_t start, uint64_t len) {
  return start + (len - 1) < start;
}

uint64_t set_lo(uint64_t reg, uint32_t v) {
  return (reg & ~uint64_t{0xffffffff}) | v;
}
uint64_t set_hi(uint64_t reg, uint32_t v) {
  return (reg & uint64_t{0xffffffff}) | (uint64_t{v} << 32);
}

}  // namespace

EduDmaDevice::EduDmaDevice(BoardContext& board, uint64_t addr, unsigned irq, bool ats)
    : host_(board.host()),
      board_dma_(board.dma_address_space()),
      dma_(&board.dma_address_space()),
      addr_(addr),
      irq_(irq),
      ats_(ats),
      irq_out_(board.irq_input(irq)) {
  MemoryRegionOps ops;
  ops.read = [this](uint64_t offset, unsigned, uint64_t& value, MemTxAttrs) {
    value = read_reg(offset);
    return MemTxResult::Ok;
  };
  ops.write = [this](uint64_t offset, unsigned, uint64_t value, MemTxAttrs) {
    write_reg(offset, static_cast<uint32_t>(value));
    return MemTxResult::Ok;
  };
  // Every register is 32 bits wide: only aligned 32-bit accesses reach the device.
  ops.valid = {4, 4, false};
  ops.impl = {4, 4, false};
  mmio_.init_io("edu-dma", EDU_DMA_REG_SIZE, std::move(ops));
  board.map_mmio(addr, mmio_);
}

EduDmaDevice::~EduDmaDevice() = default;

void EduDmaDevice::reset() {
  src_ = dst_ = fault_addr_ = 0;
  len_ = status_ = error_ = ats_ctrl_ = 0;
  irq_requested_ = false;
  if (atc_) {
    atc_->flush();
    atc_baseline_ = atc_->stats();
  }
  update_irq();
}

void EduDmaDevice::attach_iommu(IommuProvider& iommu, uint32_t device_id) {
  iommu_ = &iommu;
  device_id_ = device_id;
  attrs_.requester_id = device_id;
  const std::string name = fdt_node_name("edu-dma", addr_) + " (behind " + iommu.name() + ")";
  dma_ = &iommu.dma_address_space(device_id, name);
  if (!ats_) return;
  // The ATC asks the IOMMU region the space is rooted at, with ATS Translation Requests. A
  // model that does not offer ATS would never send the invalidations (DEVIOTLB_UNMAP) an ATC
  // relies on, so behind it the device keeps its requests untranslated: ATS_CTRL then changes
  // nothing.
  auto* region = dynamic_cast<IommuMemoryRegion*>(dma_->root());
  if (region == nullptr || dynamic_cast<AtsTranslationAgent*>(region) == nullptr) {
    host_.log(LogLevel::Warning, "edu-dma: ats=on, but " + iommu.name() +
                                     " does not offer ATS; the device runs without an ATC");
    return;
  }
  atc_ = std::make_unique<AtsDeviceIotlb>(*region, name + " ATC", DeviceIotlb::kDefaultCapacity,
                                          region->attrs_to_index(attrs_), attrs_);
  std::string error;
  if (!atc_->attach(&error)) {
    // The model refuses DEVIOTLB_UNMAP notifiers: a cache nobody invalidates would go stale,
    // so the device runs without one.
    host_.log(LogLevel::Warning, "edu-dma: ats=on, but " + error + "; running without an ATC");
    atc_.reset();
    return;
  }
  atc_baseline_ = atc_->stats();
}

EduDmaDevice::AtsCounters EduDmaDevice::ats_counters() const {
  AtsCounters c;
  if (!atc_) return c;
  const DeviceIotlb::Stats& s = atc_->stats();
  c.hits = static_cast<uint32_t>(s.hits - atc_baseline_.hits);
  c.misses = static_cast<uint32_t>(s.misses - atc_baseline_.misses);
  c.invalidations = static_cast<uint32_t>(s.invalidations - atc_baseline_.invalidations);
  return c;
}

void EduDmaDevice::fdt_soc_nodes(FdtBuilder& b, const VirtFdtContext& ctx) const {
  b.begin_node(fdt_node_name("dma", addr_));
  ctx.interrupts(b, irq_);
  fdt_reg(b, addr_, EDU_DMA_REG_SIZE);
  b.prop_string("compatible", "glassvm,edu-dma");
  if (iommu_) b.prop_cells("iommus", {iommu_->fdt_phandle(), device_id_});
  b.end_node();
}

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

namespace {

void save_stats(StateWriter& w, const DeviceIotlb::Stats& s) {
  for (uint64_t v : {s.hits, s.misses, s.invalidations, s.dropped, s.evictions}) w.u64(v);
}

DeviceIotlb::Stats read_stats(StateReader& r) {
  DeviceIotlb::Stats s;
  for (uint64_t* v : {&s.hits, &s.misses, &s.invalidations, &s.dropped, &s.evictions}) {
    *v = r.u64();
  }
  return s;
}

}  // namespace

// Snapshot payload (version 1): u64 SRC, DST, FAULT_ADDR; u32 LEN, STATUS, ERROR, ATS_CTRL;
// boolean "the last START asked for an interrupt", boolean interrupt level; boolean "has an
// ATC", and with one: the ATC's counters at the last reset (u64 hits, misses, invalidations,
// dropped, evictions) and the ATC (DeviceIotlb::save).
void EduDmaDevice::save_state(StateWriter& w) const {
  w.u64(src_);
  w.u64(dst_);
  w.u64(fault_addr_);
  for (uint32_t v : {len_, status_, error_, ats_ctrl_}) w.u32(v);
  w.boolean(irq_requested_);
  w.boolean(irq_level_);
  w.boolean(atc_ != nullptr);
  if (!atc_) return;
  save_stats(w, atc_baseline_);
  atc_->save(w, board_dma_);
}

void EduDmaDevice::load_state(StateReader& r, uint32_t version) {
  if (version != kStateVersion) {
    r.fail("state version " + std::to_string(version) + " is not supported");
    return;
  }
  auto check = [&r](bool bad, const std::string& why) {
    if (r.ok() && bad) r.fail(why);
  };
  const uint64_t src = r.u64(), dst = r.u64(), fault_addr = r.u64();
  const uint32_t len = r.u32(), status = r.u32(), error = r.u32(), ats_ctrl = r.u32();
  const bool irq_requested = r.boolean();
  const bool level = r.boolean();
  const bool has_atc = r.boolean();
  // A copy ends DONE with no error or ERROR with one; W1C may clear either bit, never set it.
  check(status != 0 && status != EDU_DMA_STATUS_DONE && status != EDU_DMA_STATUS_ERROR,
        "STATUS " + std::to_string(status) + " is not one a copy leaves");
  check(error > EDU_DMA_ERR_RANGE, "ERROR " + std::to_string(error) + " does not exist");
  check((status == EDU_DMA_STATUS_DONE && error != EDU_DMA_ERR_NONE) ||
            (status == EDU_DMA_STATUS_ERROR && error == EDU_DMA_ERR_NONE),
        "STATUS and ERROR disagree");
  check(ats_ctrl != 0 && (ats_ctrl != EDU_DMA_ATS_ENABLE || !ats_),
        "ATS_CTRL " + std::to_string(ats_ctrl) + " on a device " +
            (ats_ ? "whose only ATS_CTRL bit is ENABLE" : "without ATS"));
  check(level != (irq_requested && status != 0), "the interrupt level disagrees with STATUS");
  check(has_atc != (atc_ != nullptr), has_atc ? "the device had an ATC; this one has none"
                                              : "the device had no ATC; this one has one");
  if (!r.ok()) return;
  if (atc_) {
    const DeviceIotlb::Stats baseline = read_stats(r);
    atc_->load(r, board_dma_);
    // The device never detaches its ATC: a cache nobody invalidates would go stale.
    check(!atc_->attached(), "the ATC no longer listens to the IOMMU");
    const DeviceIotlb::Stats& s = atc_->stats();
    check(baseline.hits > s.hits || baseline.misses > s.misses ||
              baseline.invalidations > s.invalidations || baseline.dropped > s.dropped ||
              baseline.evictions > s.evictions,
          "the ATC's counters are below their values at the last reset");
    if (!r.ok()) return;
    atc_baseline_ = baseline;
  }
  src_ = src, dst_ = dst, fault_addr_ = fault_addr;
  len_ = len, status_ = status, error_ = error, ats_ctrl_ = ats_ctrl;
  irq_requested_ = irq_requested;
  irq_level_ = level;
}

// ---------------------------------------------------------------------------------------------
// Registers
// ---------------------------------------------------------------------------------------------

uint32_t EduDmaDevice::read_reg(uint64_t offset) const {
  const AtsCounters ats = ats_counters();
  switch (offset) {
    case EDU_DMA_ID: return EDU_DMA_ID_VALUE;
    case EDU_DMA_FEATURES: return ats_ ? EDU_DMA_FEATURE_ATS : 0;
    case EDU_DMA_SRC_LO: return static_cast<uint32_t>(src_);
    case EDU_DMA_SRC_HI: return static_cast<uint32_t>(src_ >> 32);
    case EDU_DMA_DST_LO: return static_cast<uint32_t>(dst_);
    case EDU_DMA_DST_HI: return static_cast<uint32_t>(dst_ >> 32);
    case EDU_DMA_LEN: return len_;
    case EDU_DMA_STATUS: return status_;
    case EDU_DMA_ERROR: return error_;
    case EDU_DMA_FAULT_ADDR_LO: return static_cast<uint32_t>(fault_addr_);
    case EDU_DMA_FAULT_ADDR_HI: return static_cast<uint32_t>(fault_addr_ >> 32);
    case EDU_DMA_ATS_CTRL: return ats_ctrl_;
    case EDU_DMA_ATC_HITS: return ats.hits;
    case EDU_DMA_ATC_MISSES: return ats.misses;
    case EDU_DMA_ATC_INVALS: return ats.invalidations;
    default: return 0;  // CMD, and the unused rest of the block
  }
}

void EduDmaDevice::write_reg(uint64_t offset, uint32_t value) {
  switch (offset) {
    case EDU_DMA_SRC_LO: src_ = set_lo(src_, value); break;
    case EDU_DMA_SRC_HI: src_ = set_hi(src_, value); break;
    case EDU_DMA_DST_LO: dst_ = set_lo(dst_, value); break;
    case EDU_DMA_DST_HI: dst_ = set_hi(dst_, value); break;
    case EDU_DMA_LEN: len_ = value; break;  // checked when a copy starts
    case EDU_DMA_CMD:
      if (!(value & EDU_DMA_CMD_START)) break;
      irq_requested_ = value & EDU_DMA_CMD_IRQ;
      run_copy();
      break;
    case EDU_DMA_STATUS:
      status_ &= ~(value & (EDU_DMA_STATUS_DONE | EDU_DMA_STATUS_ERROR));
      update_irq();
      break;
    case EDU_DMA_ATS_CTRL: {
      const uint32_t next = ats_ ? value & EDU_DMA_ATS_ENABLE : 0;
      // Turning ATS off or on empties the ATC, so a re-enabled device starts from fresh
      // translations.
      if (next != ats_ctrl_ && atc_) atc_->flush();
      ats_ctrl_ = next;
      break;
    }
    default: break;  // read-only registers and the unused rest of the block ignore writes
  }
}

void EduDmaDevice::update_irq() {
  const bool level =
      irq_requested_ && (status_ & (EDU_DMA_STATUS_DONE | EDU_DMA_STATUS_ERROR)) != 0;
  if (level == irq_level_) return;
  irq_level_ = level;
  if (irq_out_) irq_out_(level);
}

// ---------------------------------------------------------------------------------------------
// The copy
// ---------------------------------------------------------------------------------------------

void EduDmaDevice::run_copy() {
  status_ = EDU_DMA_STATUS_BUSY;
  error_ = EDU_DMA_ERR_NONE;
  fault_addr_ = 0;
  update_irq();
  auto fail = [this](uint32_t error, uint64_t addr) {
    error_ = error;
    fault_addr_ = addr;
    status_ = EDU_DMA_STATUS_ERROR;
    update_irq();
  };
  if (len_ == 0 || len_ > EDU_DMA_MAX_LEN) return fail(EDU_DMA_ERR_LEN, 0);
  // A range past the top of the space would wrap to IOVA 0: no bus carries such a request.
  if (wraps(src_, len_)) return fail(EDU_DMA_ERR_RANGE, src_);
  if (wraps(dst_, len_)) return fail(EDU_DMA_ERR_RANGE, dst_);

  buffer_.assign(len_, 0);
  uint64_t fault = 0;
  if (!transfer(src_, buffer_.data(), len_, false, fault)) return fail(EDU_DMA_ERR_READ, fault);
  if (!transfer(dst_, buffer_.data(), len_, true, fault)) return fail(EDU_DMA_ERR_WRITE, fault);
  status_ = EDU_DMA_STATUS_DONE;
  update_irq();
}

bool EduDmaDevice::transfer(uint64_t iova, uint8_t* buf, uint64_t len, bool write,
                            uint64_t& fault) {
  const bool translated = atc_ && (ats_ctrl_ & EDU_DMA_ATS_ENABLE);
  while (len > 0) {
    const uint64_t n = chunk_at(iova, len);
    bool ok = false;
    if (translated) {
      ok = transfer_translated(iova, buf, n, write);
    } else {
      ok = (write ? dma_->write(iova, buf, n, attrs_) : dma_->read(iova, buf, n, attrs_)) ==
           MemTxResult::Ok;
    }
    if (!ok) {
      fault = iova;
      return false;
    }
    iova += n;  // cannot wrap: run_copy() refused ranges that do
    buf += n;
    len -= n;
  }
  return true;
}

bool EduDmaDevice::transfer_translated(uint64_t iova, uint8_t* buf, uint64_t len, bool write) {
  // An ATS translation request on a miss, the ATC's entry on a hit; then a "translated"
  // request, by physical address, which the IOMMU does not translate again.
  const IommuAccessFlags access = write ? kIommuWrite : kIommuRead;
  const IommuTlbEntry e = atc_->lookup(iova, access);
  if ((e.perm & access) != access || e.target_as == nullptr || iova < e.first() ||
      iova > e.last()) {
    return false;
  }
  const uint64_t pa = (e.translated_addr & ~e.addr_mask) | (iova & e.addr_mask);
  if (len - 1 > e.last() - iova) return false;  // a block smaller than the chunk: not a page
  AddressSpace& target = *e.target_as;
  return (write ? target.write(pa, buf, len, attrs_) : target.read(pa, buf, len, attrs_)) ==
         MemTxResult::Ok;
}

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

void register_edu_dma_device(DeviceRegistry& registry) {
  DeviceModel model;
  model.name = "edu-dma";
  model.bus = "System";
  model.description =
      "DMA device for teaching (copy SRC -> DST through its own address space, so through the "
      "IOMMU; optional ATS)";
  model.options = {
      {"addr", DeviceOption::Type::Number, "0x4000000",
       "MMIO base address of the 4 KiB register block, a multiple of 0x1000", 0,
       UINT64_MAX - EDU_DMA_REG_SIZE + 1},
      {"irq", DeviceOption::Type::Number, std::to_string(kEduDmaIrq), "PLIC interrupt source", 1,
       kVirtPlicNdev},
      {"ats", DeviceOption::Type::String, "off",
       "on: the device has an address translation cache and uses PCIe-style ATS (off, on)"},
  };
  model.mmio_size = EDU_DMA_REG_SIZE;
  model.create = [](BoardContext& board, const DeviceOptions& opts,
                    std::string& error) -> std::unique_ptr<Device> {
    const uint64_t addr = opts.number("addr");
    if (addr % EDU_DMA_REG_SIZE != 0) {
      error = "edu-dma: addr must be a multiple of 0x1000";
      return nullptr;
    }
    const std::string& ats = opts.string("ats");
    bool on = false;
    if (ats == "on" || ats == "1" || ats == "true") {
      on = true;
    } else if (ats != "off" && ats != "0" && ats != "false") {
      error = "edu-dma: ats=" + ats + ": expected on or off";
      return nullptr;
    }
    return std::make_unique<EduDmaDevice>(board, addr, static_cast<unsigned>(opts.number("irq")),
                                          on);
  };
  registry.add(std::move(model));
}

}  // namespace glassvm
