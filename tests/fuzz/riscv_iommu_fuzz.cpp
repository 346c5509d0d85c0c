// libFuzzer target over the RISC-V IOMMU (iommu/riscv_iommu.h) as a guest drives it: device
// directories of 1, 2 and 3 levels, device contexts, Sv39/Sv48/Sv57 page tables (reserved bits,
// misaligned superpages and pointers outside RAM included), commands of every kind (unknown
// opcodes and reserved bits included) through the command queue, register writes of every
// size (queue bases, indices, ddtp modes, cqcsr/fqcsr/ipsr/icvec), raw scribbles over guest
// RAM, resets, and translations for a few device ids: through a DeviceIotlb (UNMAP only) and an
// AtsDeviceIotlb (DEVIOTLB_UNMAP only) per device, by DMA, and by direct translate() calls.
//
// Design note: this model refuses MAP notifiers, so the "shadow" that must agree with it is a
// cache filled from translate() and emptied by its invalidation events. After every step:
// - every block a DeviceIotlb holds is still in the model's IOTLB (or, for the Bare identity,
//   in its device-context cache): translate() at its first and last page grants the access
//   without walking a device directory or a page table, and a block of the same size there is
//   the consumer's block;
// - after a processed IOTINVAL.VMA (GV=0, PSCV=0) no DeviceIotlb holds a first-stage block that
//   it covers; after IODIR.INVAL_DDT, an accepted ddtp write and reset(), the device IOTLBs
//   concerned are empty; after ATS.INVAL, the named device's AtsDeviceIotlb holds nothing in
//   the range its payload encodes (decoded here from the PCIe rules, not by the model);
// - a command the queue moved past has a known opcode and function;
// - a translate() that walked both the directory and the page table agrees with the lookup()
//   made just before it; replay() over a window delivers exactly what lookup() finds there;
// - the fault record a translate() writes names the device, the iova, the transaction type and
//   a cause that access can have; a live queue without an error is drained; the interrupt lines
//   follow ipsr and icvec; indices stay inside their live queues; caches stay within capacity.
// An AtsDeviceIotlb fills itself with ATS translation requests (ats_request_translation()): the
// fault records those write carry that transaction type.
// The commands' effects are checked from a copy of the queue taken before the doorbell write,
// up to the first IOFENCE.C with AV (whose store may rewrite the queue itself).
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/memory/iommu.h"
#include "engine/memory/memory.h"
#include "iommu/device_iotlb.h"
#include "iommu/riscv_iommu.h"
#include "tests/fuzz/fuzz_check.h"

using namespace glassvm;
using namespace glassvm::riscv_iommu;

namespace {

using fuzz::check;

constexpr uint64_t kRam = 0x80000000;
constexpr uint64_t kRamPages = 64;
constexpr uint64_t kRamSize = kRamPages * 0x1000;
constexpr uint64_t kRegs = 0x3010000;
/// The devices with consumers: ids that need 1, 2 and 3 directory levels, and the widest.
constexpr std::array<uint32_t, 8> kDids = {0, 1, 2, 0x7f, 0x80, 0x4001, 0x10000, 0xffffff};
constexpr size_t kCacheCapacity = 8;  // small, so that consumers evict too
/// Commands copied before a doorbell write, and so checked after it.
constexpr uint64_t kSnapshotCommands = 64;
/// The replay windows: the bottom and the top 4 MiB of the space.
constexpr uint64_t kWindow = 0x3fffff;

bool is_identity(const IommuTlbEntry& e) {
  return e.addr_mask == ~uint64_t{0};
}

class Guest {
 public:
  explicit Guest(FuzzedDataProvider& in) : in_(in), sys_("sys", &root_), iommu_(sys_) {
    root_.init_container("sys", MemoryRegion::kWholeSpace);
    ram_.init_ram("ram", kRamSize);
    root_.add_subregion(kRam, &ram_);
    root_.add_subregion(kRegs, &iommu_.mmio());
    dev_ = std::make_unique<AddressSpace>("dev", &iommu_);
    for (size_t i = 0; i < kDids.size(); ++i) {
      const int idx = static_cast<int>(kDids[i]);
      MemTxAttrs attrs;
      attrs.requester_id = kDids[i];
      iotlb_[i] = std::make_unique<DeviceIotlb>(iommu_, "iotlb", kCacheCapacity, idx, attrs);
      ats_[i] = std::make_unique<AtsDeviceIotlb>(iommu_, "ats", kCacheCapacity, idx, attrs);
      check(iotlb_[i]->attach(nullptr), "the model refused an UNMAP notifier");
      check(ats_[i]->attach(nullptr), "the model refused a DEVIOTLB_UNMAP notifier");
    }
  }
  ~Guest() {
    for (auto& c : iotlb_) c.reset();
    for (auto& c : ats_) c.reset();
    dev_.reset();
    root_.del_subregion(&iommu_.mmio());
    root_.del_subregion(&ram_);
  }

  /// Queues and a directory as a driver sets them up, each part skipped by some inputs.
  void init() {
    if (in_.ConsumeIntegralInRange(0, 7) != 0) {
      reg_write(CQB, 8, (kRam >> 2) | in_.ConsumeIntegralInRange<uint64_t>(0, 5));
      reg_write(CQCSR, 4, QCSR_EN | (in_.ConsumeBool() ? QCSR_IE : 0));
    }
    if (in_.ConsumeIntegralInRange(0, 7) != 0) {
      reg_write(FQB, 8, ((kRam + 0x1000) >> 2) | in_.ConsumeIntegralInRange<uint64_t>(0, 3));
      reg_write(FQCSR, 4, QCSR_EN | (in_.ConsumeBool() ? QCSR_IE : 0));
    }
    static constexpr uint64_t kModes[] = {kModeBare, kMode1Lvl, kMode1Lvl, kMode2Lvl,
                                          kMode2Lvl, kMode3Lvl, kMode3Lvl, kMode3Lvl};
    reg_write(DDTP, 8, ((kRam + 0x2000) >> 2) | kModes[in_.ConsumeIntegralInRange(0, 7)]);
  }

  // -- Choices ----------------------------------------------------------------------------------

  /// A page address: mostly a RAM page past the queues and the directory root (so that the
  /// tables a guest builds keep some shape), sometimes any RAM page, one outside RAM or
  /// anything.
  uint64_t page() {
    switch (in_.ConsumeIntegralInRange(0, 31)) {
      case 0: return 0;
      case 1: return kRam + kRamSize;  // just past the end of RAM
      case 2: return (uint64_t{1} << RiscvIommu::kPhysAddrBits) - 0x1000;
      case 3: return in_.ConsumeIntegral<uint64_t>() & ((PTE_PPN >> 10) << 12);
      case 4: return kRam + 0x1000 * in_.ConsumeIntegralInRange<uint64_t>(0, kRamPages - 1);
      default: return kRam + 0x1000 * in_.ConsumeIntegralInRange<uint64_t>(3, kRamPages - 1);
    }
  }
  static uint64_t ppn_field(uint64_t pa) { return (pa >> 12) << 10; }  // PTE, DDTE, ddtp, qb

  /// Mostly the first two devices, so that tables, translations and commands meet.
  uint32_t did_index() {
    const auto k = in_.ConsumeIntegralInRange<uint32_t>(0, 15);
    return k < 8 ? k & 1 : k - 8;
  }

  uint64_t iova() {
    switch (in_.ConsumeIntegralInRange(0, 7)) {
      case 0:
      case 1: {
        // A few pages at the start of the first two 2 MiB superpages, where they meet.
        const auto k = in_.ConsumeIntegralInRange<uint64_t>(0, 15);
        return ((k >> 3) << 21) | ((k & 7) << 12);
      }
      case 2: return in_.ConsumeIntegralInRange<uint64_t>(0, kWindow >> 12) << 12;
      case 3:
      case 4: return ~kWindow | in_.ConsumeIntegralInRange<uint64_t>(0, kWindow >> 12) << 12;
      case 5: {
        // The edges of the canonical ranges of Sv39, Sv48 and Sv57.
        static constexpr uint64_t kEdges[] = {(uint64_t{1} << 38) - 0x1000,
                                              uint64_t{1} << 38,
                                              (uint64_t{1} << 47) - 0x1000,
                                              uint64_t{1} << 47,
                                              (uint64_t{1} << 56) - 0x1000,
                                              uint64_t{1} << 56,
                                              ~uint64_t{0} << 38,
                                              ~uint64_t{0} << 47,
                                              ~uint64_t{0} << 56};
        return kEdges[in_.ConsumeIntegralInRange<size_t>(0, std::size(kEdges) - 1)];
      }
      case 6: return in_.ConsumeIntegralInRange<uint64_t>(0, 7) << 21;  // superpages
      default: return in_.ConsumeIntegral<uint64_t>();
    }
  }

  IommuAccessFlags access() { return in_.ConsumeBool() ? kIommuRead : kIommuWrite; }

  // -- Guest memory and registers ---------------------------------------------------------------

  uint64_t ld(uint64_t addr, bool* ok = nullptr) {
    uint64_t v = 0;
    const bool good = sys_.load(addr, 8, v) == MemTxResult::Ok;
    if (ok != nullptr) *ok = good;
    return v;
  }
  void st(uint64_t addr, uint64_t v) { sys_.store(addr, 8, v); }
  uint64_t peek(uint64_t offset) const { return iommu_.peek_register(offset); }
  static uint64_t entries(uint64_t qb) { return uint64_t{1} << ((qb & QB_LOG2SZ_1) + 1); }
  static uint64_t base(uint64_t qb) { return get_field(qb, QB_PPN) << 12; }

  /// A register write as the guest makes it, followed by the checks on what the commands it
  /// made the IOMMU run did (see the file note).
  void reg_write(uint64_t offset, unsigned size, uint64_t value) {
    const bool cq_on = peek(CQCSR) & QCSR_ON;
    const uint64_t cqb = peek(CQB);
    const uint64_t mask = entries(cqb) - 1;
    const uint64_t cqh = peek(CQH);
    std::vector<std::pair<uint64_t, uint64_t>> queue;
    if (cq_on) {
      for (uint64_t i = 0; i < kSnapshotCommands && i <= mask; ++i) {
        const uint64_t at = base(cqb) + ((cqh + i) & mask) * kCommandSize;
        bool ok0 = false, ok1 = false;
        const uint64_t d0 = ld(at, &ok0);
        const uint64_t d1 = ld(at + 8, &ok1);
        if (!ok0 || !ok1) break;
        queue.emplace_back(d0, d1);
      }
    }
    sys_.store(kRegs + offset, size, value);
    if (offset == DDTP && size == 8 && peek(DDTP) == (value & (DDTP_MODE | DDTP_PPN))) {
      for (auto& c : iotlb_) check(c->size() == 0, "a device IOTLB kept entries past a ddtp write");
    }
    if (!cq_on) return;
    const uint64_t done = (peek(CQH) - cqh) & mask;
    for (uint64_t i = 0; i < done && i < queue.size(); ++i) {
      if (!command_done(queue[i].first, queue[i].second)) break;
    }
  }

  /// Checks the effects of one command the IOMMU moved past. False after an IOFENCE.C with AV
  /// (the commands after it may not be the ones copied).
  bool command_done(uint64_t d0, uint64_t d1) {
    const uint64_t op = get_field(d0, CMD_OPCODE);
    const uint64_t func = get_field(d0, CMD_FUNC3);
    const bool known = (op == OP_IOTINVAL && func <= 1) || (op == OP_IOFENCE && func == 0) ||
                       (op == OP_IODIR && func <= 1) || (op == OP_ATS && func <= 1);
    check(known, "the IOMMU ran a command with an unknown opcode or function (cmd_ill expected)");
    if (op == OP_IOFENCE) return !(d0 & IOFENCE_AV);
    if (op == OP_IOTINVAL && func == FUNC_IOTINVAL_VMA && !(d0 & IOTINVAL_GV) &&
        !(d0 & IOTINVAL_PSCV)) {
      // 3.1.1: GV=0, PSCV=0 invalidates every host address space, global mappings included:
      // all of them (AV=0) or those that hold ADDR[63:12] (AV=1).
      const uint64_t addr = ((d1 >> 10) & ((uint64_t{1} << 52) - 1)) << 12;
      for (auto& c : iotlb_) {
        for (const IommuTlbEntry& e : c->entries()) {
          if (is_identity(e)) continue;  // Bare: no first-stage entry to invalidate
          check((d0 & IOTINVAL_AV) && !(e.first() <= addr && addr <= e.last()),
                "a device IOTLB kept a block that a processed IOTINVAL.VMA covers");
        }
      }
    }
    if (op == OP_IODIR && func == FUNC_IODIR_INVAL_DDT) {
      const auto did = static_cast<uint32_t>(d0 >> 40);
      for (size_t i = 0; i < kDids.size(); ++i) {
        if (!(d0 & IODIR_DV) || kDids[i] == did) {
          check(iotlb_[i]->size() == 0, "a device IOTLB kept entries past IODIR.INVAL_DDT");
        }
      }
    }
    if (op == OP_ATS && func == FUNC_ATS_INVAL) {
      uint32_t did = static_cast<uint32_t>((d0 >> 40) & 0xffff);
      if (d0 & ATS_DSV) did |= static_cast<uint32_t>(d0 >> 56) << 16;
      // PCIe Invalidate Request: S=0 is the 4 KiB page at the address; S=1 makes the size
      // 2^(13 + n), n the number of ones from address bit 12 up (all ones: everything).
      uint64_t first = d1 & ~uint64_t{0xfff};
      uint64_t last = first | 0xfff;
      if (d1 & ATS_INVAL_S) {
        unsigned n = 0;
        while (12 + n < 64 && ((d1 >> (12 + n)) & 1)) ++n;
        const unsigned bits = 13 + n;
        const uint64_t size_mask = bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
        first = d1 & ~size_mask;
        last = first | size_mask;
      }
      for (size_t i = 0; i < kDids.size(); ++i) {
        if (kDids[i] != did) continue;
        for (const IommuTlbEntry& e : ats_[i]->entries()) {
          check(e.last() < first || e.first() > last,
                "an ATS device IOTLB kept a block that a processed ATS.INVAL covers");
        }
      }
    }
    return true;
  }

  // -- Tables -----------------------------------------------------------------------------------

  /// The address of device `did`'s context in the current directory, with directory entries
  /// the input chooses created on the way; 0 when there is no directory or a level is outside
  /// RAM.
  uint64_t dc_addr(uint32_t did) {
    const uint64_t mode = get_field(peek(DDTP), DDTP_MODE);
    if (mode < kMode1Lvl || mode > kMode3Lvl) return 0;
    const int levels = static_cast<int>(mode - kMode1Lvl);
    const uint64_t ddi[3] = {did & 0x7f, (did >> 7) & 0x1ff, did >> 16};
    if (levels < 2 && (did >> (levels == 0 ? 7 : 16))) return 0;
    uint64_t table = get_field(peek(DDTP), DDTP_PPN) << 12;
    for (int i = levels; i > 0; --i) {
      const uint64_t slot = table + ddi[i] * 8;
      bool ok = false;
      uint64_t ddte = ld(slot, &ok);
      if (!ok) return 0;
      if (!(ddte & DDTE_V) || in_.ConsumeIntegralInRange(0, 15) == 0) {
        ddte = ppn_field(page()) | DDTE_V;
        if (in_.ConsumeIntegralInRange(0, 15) == 0) ddte |= in_.ConsumeIntegral<uint64_t>();
        st(slot, ddte);
      }
      table = get_field(ddte, DDTE_PPN) << 12;
    }
    return table + ddi[0] * kDcSize;
  }

  void write_dc(uint32_t did) {
    const uint64_t at = dc_addr(did);
    if (at == 0) return;
    uint64_t tc = DC_TC_V;
    if (in_.ConsumeBool()) tc |= DC_TC_EN_ATS;
    if (in_.ConsumeIntegralInRange(0, 7) == 0) tc |= DC_TC_DTF;
    if (in_.ConsumeIntegralInRange(0, 15) == 0) tc |= DC_TC_PDTV;
    if (in_.ConsumeIntegralInRange(0, 15) == 0) tc ^= in_.ConsumeIntegral<uint64_t>();
    const uint64_t iohgatp =
        in_.ConsumeIntegralInRange(0, 15) ? 0 : in_.ConsumeIntegral<uint64_t>();
    uint64_t ta = field(DC_TA_PSCID, in_.ConsumeIntegralInRange(0, 3));
    if (in_.ConsumeIntegralInRange(0, 15) == 0) ta ^= in_.ConsumeIntegral<uint64_t>();
    static constexpr uint64_t kModes[] = {kSatpSv39, kSatpSv39, kSatpSv39, kSatpSv48,
                                          kSatpSv48, kSatpSv57, kSatpBare, 15};
    uint64_t fsc = field(ATP_MODE, kModes[in_.ConsumeIntegralInRange(0, 7)]) | (page() >> 12);
    if (in_.ConsumeIntegralInRange(0, 15) == 0) fsc ^= in_.ConsumeIntegral<uint64_t>();
    st(at, tc);
    st(at + 8, iohgatp);
    st(at + 16, ta);
    st(at + 24, fsc);
    if (in_.ConsumeBool()) {
      command(field(CMD_OPCODE, OP_IODIR) | field(CMD_FUNC3, FUNC_IODIR_INVAL_DDT) | IODIR_DV |
                  field(IODIR_DID, did),
              0);
    }
  }

  /// A leaf (or an invalid entry) for some iova of a device, with the input's permissions, on
  /// the tables that device's context names in memory.
  void write_pte() {
    const size_t i = did_index();
    const uint32_t did = kDids[i];
    const uint64_t at = dc_addr(did);
    if (at == 0) return;
    bool ok = false;
    if (!(ld(at, &ok) & DC_TC_V) && ok) write_dc(did);  // a driver attaches the device first
    const uint64_t fsc = ld(at + 24, &ok);
    if (!ok) return;
    int levels = 0;
    switch (get_field(fsc, ATP_MODE)) {
      case kSatpSv39: levels = 3; break;
      case kSatpSv48: levels = 4; break;
      case kSatpSv57: levels = 5; break;
      default: return;
    }
    const uint64_t va = iova();
    int level = 0;
    switch (in_.ConsumeIntegralInRange(0, 7)) {
      case 0:
      case 1: level = 1; break;
      case 2: level = in_.ConsumeIntegralInRange(0, levels - 1); break;
      default: break;
    }
    uint64_t table = get_field(fsc, ATP_PPN) << 12;
    for (int l = levels - 1; l > level; --l) {
      const uint64_t slot = table + ((va >> (12 + 9 * l)) & 511) * 8;
      uint64_t pte = ld(slot, &ok);
      if (!ok) return;
      if (!(pte & PTE_V) || (pte & (PTE_R | PTE_X)) || in_.ConsumeIntegralInRange(0, 15) == 0) {
        pte = ppn_field(page()) | PTE_V;
        st(slot, pte);
      }
      table = get_field(pte, PTE_PPN) << 12;
    }
    uint64_t leaf = 0;
    switch (in_.ConsumeIntegralInRange(0, 7)) {
      case 0: break;  // unmapped
      case 1: leaf = in_.ConsumeIntegral<uint64_t>(); break;
      default: {
        leaf = PTE_V | PTE_R | PTE_U | PTE_A;
        if (in_.ConsumeBool()) leaf |= PTE_W | PTE_D;
        if (in_.ConsumeIntegralInRange(0, 7) == 0) leaf |= PTE_G;
        if (in_.ConsumeIntegralInRange(0, 7) == 0) leaf ^= in_.ConsumeIntegral<uint8_t>();
        uint64_t pa = page();
        // A superpage's physical address is aligned, unless the input says otherwise.
        if (in_.ConsumeIntegralInRange(0, 7) != 0) pa &= ~((uint64_t{1} << (12 + 9 * level)) - 1);
        leaf |= ppn_field(pa);
        break;
      }
    }
    st(table + ((va >> (12 + 9 * level)) & 511) * 8, leaf);
    if (mapped_.size() < 16) {
      mapped_.emplace_back(i, va);
    } else {
      mapped_[in_.ConsumeIntegralInRange<size_t>(0, 15)] = {i, va};
    }
    if (in_.ConsumeBool()) {
      command(field(CMD_OPCODE, OP_IOTINVAL) | IOTINVAL_AV, field(IOTINVAL_ADDR, va >> 12));
    }
  }

  // -- Commands ---------------------------------------------------------------------------------

  /// Puts a command at cqt and rings the doorbell (sometimes with a wrong tail).
  void command(uint64_t d0, uint64_t d1) {
    const uint64_t cqb = peek(CQB);
    const uint64_t tail = peek(CQT);
    const uint64_t at = base(cqb) + tail * kCommandSize;
    st(at, d0);
    st(at + 8, d1);
    const uint64_t next =
        in_.ConsumeIntegralInRange(0, 31) == 0 ? in_.ConsumeIntegral<uint32_t>() : tail + 1;
    reg_write(CQT, 4, next & (entries(cqb) - 1));
  }

  void random_command() {
    uint64_t d0 = 0, d1 = 0;
    const uint32_t did = kDids[did_index()];
    switch (in_.ConsumeIntegralInRange(0, 11)) {
      case 0:
      case 1:
      case 2:
      case 3: {
        d0 = field(CMD_OPCODE, OP_IOTINVAL) | field(CMD_FUNC3, FUNC_IOTINVAL_VMA);
        if (in_.ConsumeBool()) d0 |= IOTINVAL_AV;
        if (in_.ConsumeIntegralInRange(0, 3) == 0) {
          d0 |= IOTINVAL_PSCV | field(IOTINVAL_PSCID, in_.ConsumeIntegralInRange(0, 3));
        }
        if (in_.ConsumeIntegralInRange(0, 15) == 0) d0 |= IOTINVAL_GV;
        d1 = field(IOTINVAL_ADDR, target().second >> 12);  // often a page a device uses
        break;
      }
      case 4:
        d0 = field(CMD_OPCODE, OP_IOTINVAL) | field(CMD_FUNC3, FUNC_IOTINVAL_GVMA) |
             (in_.ConsumeBool() ? IOTINVAL_GV : 0) | (in_.ConsumeBool() ? IOTINVAL_AV : 0);
        d1 = field(IOTINVAL_ADDR, iova() >> 12);
        break;
      case 5: {
        d0 = field(CMD_OPCODE, OP_IOFENCE) | field(CMD_FUNC3, FUNC_IOFENCE_C) |
             field(IOFENCE_DATA, in_.ConsumeIntegral<uint32_t>());
        if (in_.ConsumeBool()) d0 |= IOFENCE_WSI;
        if (in_.ConsumeBool()) d0 |= IOFENCE_PR | IOFENCE_PW;
        if (in_.ConsumeBool()) {
          d0 |= IOFENCE_AV;
          d1 = (page() + 4 * in_.ConsumeIntegralInRange<uint64_t>(0, 1023)) >> 2;
        }
        break;
      }
      case 6:
      case 7:
        d0 = field(CMD_OPCODE, OP_IODIR) | field(CMD_FUNC3, FUNC_IODIR_INVAL_DDT);
        if (in_.ConsumeIntegralInRange(0, 3) != 0) d0 |= IODIR_DV | field(IODIR_DID, did);
        break;
      case 8:
        d0 = field(CMD_OPCODE, OP_IODIR) | field(CMD_FUNC3, FUNC_IODIR_INVAL_PDT) | IODIR_DV |
             field(IODIR_DID, did) | field(IODIR_PID, in_.ConsumeIntegralInRange(0, 0x1ff));
        break;
      case 9:
      case 10: {
        // Near a page a device uses: the range may hold it or stop just short of it.
        const auto [ti, va] = target();
        const uint32_t rid = kDids[ti];
        d0 = field(CMD_OPCODE, OP_ATS) |
             field(CMD_FUNC3, in_.ConsumeIntegralInRange(0, 7) ? FUNC_ATS_INVAL : FUNC_ATS_PRGR) |
             field(ATS_RID, rid & 0xffff);
        if (rid >> 16) d0 |= ATS_DSV | field(ATS_DSEG, rid >> 16);
        d1 = (va ^ (in_.ConsumeIntegralInRange<uint64_t>(0, 3) << 12)) & ATS_INVAL_ADDR;
        if (in_.ConsumeBool()) {
          // Mostly small ranges (8 KiB to 64 KiB), whose edges cached pages meet.
          const int ones = in_.ConsumeIntegralInRange(0, 3) ? in_.ConsumeIntegralInRange(0, 3)
                                                            : in_.ConsumeIntegralInRange(0, 52);
          d1 |= ATS_INVAL_S | (((uint64_t{1} << ones) - 1) << 12);
        }
        break;
      }
      default:
        d0 = in_.ConsumeIntegral<uint64_t>();
        d1 = in_.ConsumeIntegral<uint64_t>();
        break;
    }
    if (in_.ConsumeIntegralInRange(0, 15) == 0) {
      (in_.ConsumeBool() ? d0 : d1) ^= uint64_t{1} << in_.ConsumeIntegralInRange(0, 63);
    }
    command(d0, d1);
  }

  // -- Registers --------------------------------------------------------------------------------

  void random_register() {
    static constexpr uint64_t kRegs64[] = {DDTP, CQB, FQB, PQB, ICVEC, CAPABILITIES};
    static constexpr uint64_t kRegs32[] = {FCTL,  CQT,  FQH, PQH, CQCSR, FQCSR,
                                           PQCSR, IPSR, CQH, FQT, PQT,   IOCNTINH};
    if (in_.ConsumeBool()) {
      const uint64_t offset =
          kRegs64[in_.ConsumeIntegralInRange<size_t>(0, std::size(kRegs64) - 1)];
      uint64_t value = in_.ConsumeIntegral<uint64_t>();
      switch (in_.ConsumeIntegralInRange(0, 3)) {
        case 0: value = (page() >> 2) | in_.ConsumeIntegralInRange<uint64_t>(0, 6); break;
        case 1: value = (page() >> 2) | in_.ConsumeIntegralInRange<uint64_t>(0, 31); break;
        default: break;
      }
      if (in_.ConsumeIntegralInRange(0, 3) == 0) {
        // Two 32-bit halves, in either order.
        const bool high_first = in_.ConsumeBool();
        reg_write(offset + (high_first ? 4 : 0), 4, high_first ? value >> 32 : value & 0xffffffff);
        reg_write(offset + (high_first ? 0 : 4), 4, high_first ? value & 0xffffffff : value >> 32);
      } else {
        reg_write(offset, 8, value);
      }
    } else {
      const uint64_t offset =
          kRegs32[in_.ConsumeIntegralInRange<size_t>(0, std::size(kRegs32) - 1)];
      uint32_t value = in_.ConsumeIntegral<uint32_t>();
      if (in_.ConsumeBool()) value &= 0x3ff;
      reg_write(offset, 4, value);
    }
  }

  void raw_mmio() {
    const uint64_t offset = in_.ConsumeIntegralInRange<uint64_t>(0, 0xfff);
    const unsigned size = 1u << in_.ConsumeIntegralInRange(0, 3);
    if (in_.ConsumeBool()) {
      uint64_t v = 0;
      sys_.load(kRegs + offset, size, v);
    } else {
      reg_write(offset, size, in_.ConsumeIntegral<uint64_t>());
    }
  }

  // -- Translations -----------------------------------------------------------------------------

  /// A device and an iova to translate: half the time one the guest mapped lately.
  std::pair<size_t, uint64_t> target() {
    if (!mapped_.empty() && in_.ConsumeBool()) {
      return mapped_[in_.ConsumeIntegralInRange<size_t>(0, mapped_.size() - 1)];
    }
    return {did_index(), iova()};
  }

  enum class Via { kIotlb, kAts, kDirect };

  /// A translation of a device, through one of its consumers or directly, checked against the
  /// lookup() made just before it whenever it walked the directory and the page table.
  void translate(Via how) {
    const auto [i, page_va] = target();
    DeviceIotlb* via = how == Via::kIotlb ? iotlb_[i].get()
                       : how == Via::kAts ? ats_[i].get()
                                          : nullptr;
    const bool ats = how == Via::kAts;
    const uint64_t va = page_va | in_.ConsumeIntegralInRange<uint64_t>(0, 0xfff);
    const IommuAccessFlags acc = access();
    const int idx = static_cast<int>(kDids[i]);
    const IommuTlbEntry before = iommu_.lookup(va, idx);
    const RiscvIommu::Stats s0 = iommu_.stats();
    // The UI's walk and IOTLB look change nothing (and must agree with a fresh walk below).
    const size_t iotlb0 = iommu_.iotlb_size();
    const size_t history0 = iommu_.fault_history().size();
    const RiscvIommu::IovaWalk walk = iommu_.debug_walk(kDids[i], va, acc);
    (void)iommu_.iotlb_holds(kDids[i], va);
    check(iommu_.stats().page_walks == s0.page_walks && iommu_.stats().ddt_walks == s0.ddt_walks &&
              iommu_.stats().faults_recorded == s0.faults_recorded &&
              iommu_.stats().faults_dropped == s0.faults_dropped && iommu_.iotlb_size() == iotlb0 &&
              iommu_.fault_history().size() == history0,
          "debug_walk() or iotlb_holds() changed the IOMMU");
    IommuTlbEntry t;
    if (via != nullptr) {
      t = via->lookup(va, acc);
    } else {
      MemTxAttrs attrs;
      attrs.requester_id = kDids[i];
      t = iommu_.translate(va, acc, idx, attrs);
    }
    const RiscvIommu::Stats& s1 = iommu_.stats();
    check(((t.addr_mask + 1) & t.addr_mask) == 0, "translate() mask is not 2^k - 1");
    const bool granted = (t.perm & acc) == acc;
    if (granted) {
      check(t.first() <= va && va <= t.last(), "translate() block does not hold the iova");
      check(t.target_as != nullptr, "translate() granted an access into no address space");
    }
    if (s1.faults_recorded != s0.faults_recorded) {
      check(!granted, "translate() recorded a fault and granted the access");
      check_fault_record(kDids[i], va, acc == kIommuWrite, ats);
    }
    // An ATS cache legitimately keeps what the IOMMU dropped, until ATS.INVAL.
    if (ats) return;
    const uint64_t mode = get_field(peek(DDTP), DDTP_MODE);
    if (mode == kModeOff) check(!granted, "ddtp Off let a DMA through");
    if (mode == kModeBare) check(granted && is_identity(t), "ddtp Bare did not pass a DMA through");
    if (s1.ddt_walks != s0.ddt_walks + 1) return;  // an IOTLB hit or a cached context
    if (s1.page_walks == s0.page_walks + 1) {
      if (granted) {
        check(before.first() == t.first() && before.addr_mask == t.addr_mask &&
                  (before.translated_addr & ~before.addr_mask) ==
                      (t.translated_addr & ~t.addr_mask) &&
                  before.perm == t.perm,
              "a fresh walk by translate() and lookup() disagree");
        check(walk.ok && (walk.pa & ~t.addr_mask) == (t.translated_addr & ~t.addr_mask),
              "a fresh walk by translate() and debug_walk() disagree");
      } else {
        check((before.perm & acc) != acc, "translate() faulted where lookup() finds a mapping");
        check(!walk.ok, "translate() faulted where debug_walk() finds a mapping");
        if (walk.reported) {
          check(!iommu_.fault_history().empty() &&
                    iommu_.fault_history().back().cause == walk.cause &&
                    iommu_.fault_history().back().iotval == va,
                "the fault history's newest record is not the fault debug_walk() predicts");
        }
      }
    } else if (!granted) {
      check(before.perm == kIommuNone, "translate() faulted on a context lookup() can use");
    }
  }

  /// The record the last translate() wrote (3.2): a cause it can raise, the device, the iova
  /// and the transaction type.
  void check_fault_record(uint32_t did, uint64_t va, bool write, bool ats) {
    const uint64_t fqb = peek(FQB);
    const uint64_t at = base(fqb) + ((peek(FQT) - 1) & (entries(fqb) - 1)) * kFaultRecordSize;
    bool ok = false;
    const uint64_t hdr = ld(at, &ok);
    const uint64_t iotval = ld(at + 16);
    check(ok, "a fault was recorded outside RAM");
    switch (get_field(hdr, FQ_CAUSE)) {
      case kCauseReadAccessFault:
      case kCauseReadPageFault: check(!write, "a read fault cause for a write"); break;
      case kCauseWriteAccessFault:
      case kCauseWritePageFault: check(write, "a write fault cause for a read"); break;
      case kCauseAllInboundDisallowed:
      case kCauseDdtLoadAccessFault:
      case kCauseDdtNotValid:
      case kCauseDdtMisconfigured:
      case kCauseTransactionTypeDisallowed: break;
      default: check(false, "a fault record with an unknown cause");
    }
    const uint64_t ttyp = ats     ? kTtypAtsTranslationRequest
                          : write ? kTtypUntranslatedWrite
                                  : kTtypUntranslatedRead;
    check(get_field(hdr, FQ_TTYP) == ttyp, "a fault record with the wrong transaction type");
    check(get_field(hdr, FQ_DID) == did, "a fault record names another device");
    check(iotval == va, "a fault record's iotval is not the faulting iova");
  }

  void dma() {
    const auto [i, page_va] = target();
    const uint32_t did = kDids[i];
    uint8_t buf[16] = {};
    const uint64_t va = page_va + in_.ConsumeIntegralInRange(0, 0xfff);
    const uint64_t len = in_.ConsumeIntegralInRange(1, 16);
    MemTxAttrs attrs;
    attrs.requester_id = did;
    if (in_.ConsumeBool()) {
      dev_->read(va, buf, len, attrs);
    } else {
      dev_->write(va, buf, len, attrs);
    }
  }

  /// replay() over the two windows delivers what lookup() finds there, and nothing else.
  void check_replay() {
    const size_t i = did_index();
    const int idx = static_cast<int>(kDids[i]);
    for (const uint64_t start : {uint64_t{0}, ~kWindow}) {
      std::vector<IommuTlbEntry> got;
      IommuNotifier n(
          "replay", IommuNotifierFlag::Map,
          [&](const IommuTlbEvent& e) {
            check(e.type == IommuNotifierFlag::Map, "replay() delivered something else than MAP");
            got.push_back(e.entry);
          },
          start, start + kWindow, idx);
      iommu_.replay(n);
      check(got.size() <= (kWindow + 1) / 0x1000, "replay() delivered more blocks than fit");
      for (const IommuTlbEntry& e : got) {
        check(((e.addr_mask + 1) & e.addr_mask) == 0, "replay() mask is not 2^k - 1");
        check(e.perm != kIommuNone, "replay() delivered a MAP without permission");
        check(start <= e.first() && e.last() <= start + kWindow, "replay() ignored the range");
        const IommuTlbEntry l = iommu_.lookup(e.first(), idx);
        check(l.first() <= e.first() && e.last() <= l.last() && l.perm == e.perm &&
                  ((l.translated_addr & ~l.addr_mask) | (e.first() & l.addr_mask)) ==
                      (e.translated_addr & ~e.addr_mask),
              "replay() and lookup() disagree");
      }
      // Everything lookup() finds mapped at a few pages of the window was replayed.
      for (int k = 0; k < 8; ++k) {
        const uint64_t va = start + (in_.ConsumeIntegralInRange<uint64_t>(0, kWindow >> 12) << 12);
        const IommuTlbEntry l = iommu_.lookup(va, idx);
        check(((l.addr_mask + 1) & l.addr_mask) == 0, "lookup() mask is not 2^k - 1");
        check(l.first() <= va && va <= l.last(), "lookup() block does not hold the iova");
        if (l.perm == kIommuNone) continue;
        bool found = false;
        for (const IommuTlbEntry& e : got) found = found || (e.first() <= va && va <= e.last());
        check(found, "lookup() finds a mapping that replay() did not deliver");
      }
    }
  }

  // -- Steps and invariants ---------------------------------------------------------------------

  void step() {
    switch (in_.ConsumeIntegralInRange(0, 31)) {
      case 0:
      case 1:
      case 2: write_dc(kDids[did_index()]); break;
      case 3:
      case 4:
      case 5:
      case 6: write_pte(); break;
      case 7: {  // the guest scribbles over its memory (tables and queues included)
        const uint64_t at = kRam + (in_.ConsumeIntegralInRange<uint64_t>(0, kRamSize / 8 - 1) << 3);
        st(at, in_.ConsumeBool() ? in_.ConsumeIntegral<uint64_t>()
                                 : ppn_field(page()) | in_.ConsumeIntegral<uint8_t>());
        break;
      }
      case 8:
      case 9:
      case 10:
      case 11: random_command(); break;
      case 12:
      case 13: random_register(); break;
      case 14: raw_mmio(); break;
      case 15:
      case 16:
      case 17:
      case 18:
      case 19: translate(Via::kIotlb); break;
      case 20:
      case 21: translate(Via::kAts); break;
      case 22:
      case 23: dma(); break;
      case 24: reg_write(FQH, 4, peek(FQT)); break;  // the driver consumes the faults
      case 25: check_replay(); break;
      case 26: {  // a consumer detaches or comes back
        const size_t i = did_index();
        DeviceIotlb& c = in_.ConsumeBool() ? *iotlb_[i] : *ats_[i];
        if (c.attached()) {
          c.detach();
        } else {
          check(c.attach(nullptr), "the model refused an invalidation notifier");
        }
        break;
      }
      case 27:
        if (in_.ConsumeIntegralInRange(0, 3) == 0) {  // rare: it undoes everything
          iommu_.reset();
          for (auto& c : iotlb_) check(c->size() == 0, "a device IOTLB kept entries past reset()");
          init();
        }
        break;
      case 28: {
        // A directory change as a driver makes it: through Off, to a fresh mode and root.
        reg_write(DDTP, 8, kModeOff);
        reg_write(DDTP, 8, (page() >> 2) | in_.ConsumeIntegralInRange<uint64_t>(1, 4));
        break;
      }
      case 29: translate(Via::kDirect); break;
      default: random_command(); break;
    }
  }

  void verify() {
    // Consumers hold only what the model still caches (see the file note).
    for (size_t i = 0; i < kDids.size(); ++i) {
      if (!iotlb_[i]->attached()) continue;
      check(iotlb_[i]->size() <= kCacheCapacity, "a device IOTLB outgrew its capacity");
      MemTxAttrs attrs;
      attrs.requester_id = kDids[i];
      for (const IommuTlbEntry& e : iotlb_[i]->entries()) {
        const IommuAccessFlags acc = (e.perm & kIommuRead) ? kIommuRead : kIommuWrite;
        for (const uint64_t va : {e.first(), e.last() & ~uint64_t{0xfff}}) {
          const RiscvIommu::Stats s0 = iommu_.stats();
          const IommuTlbEntry t = iommu_.translate(va, acc, static_cast<int>(kDids[i]), attrs);
          const RiscvIommu::Stats& s1 = iommu_.stats();
          check((t.perm & acc) == acc && t.first() <= va && va <= t.last(),
                "a device IOTLB holds a block the model no longer translates");
          check(s1.page_walks == s0.page_walks && s1.ddt_walks == s0.ddt_walks,
                "a device IOTLB holds a block the model's caches lost without an UNMAP");
          // The IOTLB holds one block per size and base: one of the consumer's size is the
          // consumer's block, unless the model replaced it without an UNMAP.
          if (t.addr_mask == e.addr_mask) {
            check(t.perm == e.perm &&
                      (t.translated_addr & ~t.addr_mask) == (e.translated_addr & ~e.addr_mask),
                  "a device IOTLB holds a block the model replaced without an UNMAP");
          }
        }
      }
    }
    check(iommu_.iotlb_size() <= RiscvIommu::kIotlbCapacity, "the IOTLB outgrew its capacity");
    // Queue indices stay inside their live queues.
    if (peek(CQCSR) & QCSR_ON) {
      check(peek(CQH) < entries(peek(CQB)) && peek(CQT) < entries(peek(CQB)),
            "cqh/cqt out of range");
    }
    if (peek(FQCSR) & QCSR_ON) {
      check(peek(FQH) < entries(peek(FQB)) && peek(FQT) < entries(peek(FQB)),
            "fqh/fqt out of range");
    }
    // A live command queue without an error is drained: commands run when cqt is written.
    const uint64_t cqcsr = peek(CQCSR);
    if ((cqcsr & QCSR_ON) && !(cqcsr & (QCSR_MF | CQCSR_CMD_TO | CQCSR_CMD_ILL))) {
      check(peek(CQH) == peek(CQT), "a live command queue without an error holds commands");
    }
    // 5.27: each wire is high exactly while a pending cause routed to it by icvec is.
    const uint64_t ipsr = peek(IPSR);
    const uint64_t icvec = peek(ICVEC);
    bool level[RiscvIommu::kNumVectors] = {};
    for (unsigned cause = 0; cause < 4; ++cause) {
      const uint64_t vector = (icvec >> (4 * cause)) & 0xf;
      check(vector < RiscvIommu::kNumVectors, "icvec names a vector that does not exist");
      if (ipsr & (uint64_t{1} << cause)) level[vector] = true;
    }
    for (unsigned v = 0; v < RiscvIommu::kNumVectors; ++v) {
      check(iommu_.irq(v).level() == level[v], "an interrupt wire does not follow ipsr/icvec");
    }
  }

 private:
  FuzzedDataProvider& in_;
  MemoryRegion root_;
  MemoryRegion ram_;
  AddressSpace sys_;
  RiscvIommu iommu_;
  std::unique_ptr<AddressSpace> dev_;
  std::array<std::unique_ptr<DeviceIotlb>, kDids.size()> iotlb_;
  std::array<std::unique_ptr<AtsDeviceIotlb>, kDids.size()> ats_;
  std::vector<std::pair<size_t, uint64_t>> mapped_;  ///< (device index, iova) written lately
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Guest guest(in);
  guest.init();
  guest.verify();
  for (int steps = 0; steps < 96 && in.remaining_bytes() > 0; ++steps) {
    guest.step();
    guest.verify();
  }
  return 0;
}
