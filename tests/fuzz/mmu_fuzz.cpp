// libFuzzer target over the hart's MMU: random page tables in RAM (Sv39, Sv48 or Bare, with a
// random root and ASID and an optional PMP entry over one page), then a sequence of loads,
// stores and instruction fetches at random virtual addresses, at U, S or M privilege with
// random SUM and MXR, among edits of PTEs followed by the fences the privileged specification
// requires, changes of satp, and SFENCE.VMAs.
//
// Every access is checked against a reference walk written here from the privileged
// specification (4.3.2 "Virtual Address Translation Process", with 4.4 and 4.5 for Sv39 and
// Sv48, and 3.7 for PMP): Cpu::walk_page_tables must read the same PTEs and reach the same
// physical address or fault; the hart, made to do the access, must load the value RAM holds
// there, store where the walk says, set A and D in the leaf as the walk says, or take exactly
// the fault the walk predicts (cause, mtval and mepc). Each access is made twice in a row, so
// the second goes through the TLB that the first filled: a TLB must never answer differently
// from a walk while the tables have not changed, or after the fences that make a change
// visible.
//
// Loads and stores run in M-mode with MPRV (MPP chooses the privilege they are checked at),
// from a stub in ROM; fetches run in U or S-mode at the virtual address itself (an MRET from
// the stub gets there), and execute whatever RAM holds there.
//
// Input (read from the front; bytes past the end read as zero):
//   config(1) root/pmp page(1) asid(2) pte count(1) pte spec x count, then operations.
//   pte spec: page(1) slot(2) kind(1) raw(8) (see pte_from).
//   operation: op(1) [address] [pte spec or satp change], see run_operation.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <set>
#include <tuple>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/memory/memory.h"
#include "tests/fuzz/fuzz_check.h"

using namespace glassvm;

namespace {

using fuzz::check;

constexpr uint64_t kRomBase = 0x1000;
constexpr uint64_t kRomSize = 0x1000;
constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamPages = 16;
constexpr uint64_t kRamSize = kRamPages * 4096;

// The ROM's stubs (M-mode, never translated).
constexpr uint64_t kStubLoad = kRomBase + 0;       // ld t0, 0(t1)
constexpr uint64_t kStubStore = kRomBase + 4;      // sd t2, 0(t1)
constexpr uint64_t kStubMret = kRomBase + 8;       // mret
constexpr uint64_t kStubFenceVa = kRomBase + 12;   // sfence.vma t1, x0
constexpr uint64_t kStubFenceAll = kRomBase + 16;  // sfence.vma x0, x0
constexpr uint32_t kStubs[] = {0x00033283, 0x00733023, 0x30200073, 0x12030073, 0x12000073};
constexpr uint64_t kMtvec = kRomBase + 0x800;
// An address no Sv39 or Sv48 translation accepts and no bus holds: a fetch there always traps.
constexpr uint64_t kNowhere = 0x8000000000000000;

// CSRs and fields (privileged specification 2.2, 3.1.6, 3.7, 4.1.11).
constexpr uint16_t kMstatus = 0x300, kMedeleg = 0x302, kMtvecCsr = 0x305, kMepc = 0x341,
                   kMcause = 0x342, kMtval = 0x343, kSatp = 0x180, kPmpcfg0 = 0x3a0,
                   kPmpaddr0 = 0x3b0, kPmpaddr1 = 0x3b1;
constexpr uint64_t kMppShift = 11, kMprv = 1ull << 17, kSum = 1ull << 18, kMxr = 1ull << 19,
                   kTw = 1ull << 21;
constexpr uint64_t kPmpR = 1, kPmpW = 2, kPmpX = 4, kPmpNapot = 3 << 3;

// PTE bits (4.4.1).
constexpr uint64_t kV = 1, kR = 2, kW = 4, kX = 8, kU = 16, kA = 64, kD = 128;

enum Priv : unsigned { U = 0, S = 1, M = 3 };

/// The fuzz input, read from the front; zeros once it runs out.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint64_t bytes(unsigned n) {
    uint64_t v = 0;
    for (unsigned i = 0; i < n; ++i) {
      const uint64_t b = pos_ < size_ ? data_[pos_] : 0;
      ++pos_;
      v |= b << 8 * i;
    }
    return v;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

/// What the reference walk (or the hart's walk) decided.
struct Walk {
  bool ok = false;
  bool paged = false;
  uint64_t pa = 0;
  uint64_t cause = 0;      // when !ok
  uint64_t leaf_addr = 0;  // when ok and paged
  uint64_t sets_ad = 0;    // when ok and paged: the A/D bits the access adds to the leaf
  unsigned leaf_shift = 0;
  std::vector<uint64_t> read;  // PTE addresses, root first
};

uint64_t page_fault(Access a) {
  return a == Access::Fetch ? 12 : a == Access::Load ? 13 : 15;
}
uint64_t access_fault(Access a) {
  return a == Access::Fetch ? 1 : a == Access::Load ? 5 : 7;
}
uint64_t pmp_need(Access a) {
  return a == Access::Fetch ? kPmpX : a == Access::Load ? kPmpR : kPmpW;
}

/// The machine under test and what the reference knows of it.
class World {
 public:
  World() {
    root_.init_container("root", MemoryRegion::kWholeSpace);
    rom_.init_rom("rom", kRomSize);
    for (size_t i = 0; i < std::size(kStubs); ++i)
      std::memcpy(rom_.ram_ptr() + 4 * i, &kStubs[i], 4);
    ram_.init_ram("ram", kRamSize);
    MemoryTransaction txn;
    root_.add_subregion(kRomBase, &rom_);
    root_.add_subregion(kRamBase, &ram_);
  }

  void run(Input& in);

 private:
  bool in_ram(uint64_t pa, uint64_t len) const {
    return pa >= kRamBase && pa - kRamBase <= kRamSize - len;
  }
  bool in_rom(uint64_t pa, uint64_t len) const {
    return pa >= kRomBase && pa - kRomBase <= kRomSize - len;
  }
  /// 8 bytes where the walker may read a PTE: RAM or the ROM (memory too, read-only).
  uint64_t pte64(uint64_t pa) const {
    if (!in_rom(pa, 8)) return ram64(pa);
    uint64_t v;
    std::memcpy(&v, rom_.ram_ptr() + (pa - kRomBase), 8);
    return v;
  }
  uint64_t ram64(uint64_t pa) const {
    uint64_t v;
    std::memcpy(&v, ram_.ram_ptr() + (pa - kRamBase), 8);
    return v;
  }
  /// PMP as configured: entry 0 over one RAM page (if on), entry 1 over everything with RWX.
  bool pmp_allows(uint64_t pa, uint64_t need) const {
    if (pmp0_on_ && pa >> 12 == pmp0_page_ >> 12) return (pmp0_perms_ & need) == need;
    return true;
  }
  Walk reference(uint64_t va, Access acc, Priv priv, bool sum, bool mxr) const;
  void compare_walks(const Walk& ref, uint64_t va, Access acc) const;
  uint64_t pte_from(Input& in);
  void write_pte(Input& in, bool through_bus);
  void set_satp(uint64_t satp);
  void to_machine();
  /// mcause, mtval and mepc after a trap (zeros when there was none).
  std::tuple<uint64_t, uint64_t, uint64_t> trap_csrs(bool trapped) const {
    uint64_t mcause = 0, mtval = 0, mepc = 0;
    if (trapped) {
      cpu_->peek_csr(kMcause, mcause);
      cpu_->peek_csr(kMtval, mtval);
      cpu_->peek_csr(kMepc, mepc);
    }
    return {mcause, mtval, mepc};
  }
  void data_access(Access acc, Priv priv, bool sum, bool mxr, uint64_t va, uint64_t value);
  void fetch(Priv priv, bool sum, bool mxr, uint64_t va);
  void run_operation(Input& in, unsigned n);
  uint64_t mstatus(Priv mpp, bool mprv, bool sum, bool mxr) const {
    return uint64_t{mpp} << kMppShift | (mprv ? kMprv : 0) | (sum ? kSum : 0) | (mxr ? kMxr : 0) |
           kTw;
  }
  void note_walk(const Walk& w) {
    for (uint64_t a : w.read) table_pages_.insert(a >> 12);
  }
  /// A walk that succeeded may now be in a TLB: remember which PTEs it relied on, and how.
  void note_translation(const Walk& w, uint64_t va) {
    last_walk_ = w;
    last_walk_va_ = va;
    if (!w.paged) return;
    leaf_regions_.insert({w.leaf_addr, w.leaf_shift, va >> w.leaf_shift});
    for (size_t i = 0; i + 1 < w.read.size(); ++i) pointer_ptes_.insert(w.read[i]);
  }
  /// After the guest stored to `pa`: a store into a page the walks read is a change of the
  /// tables, which software follows with SFENCE.VMA.
  void after_store(uint64_t pa) {
    if (untracked_ || table_pages_.count(pa >> 12)) flush();
  }
  void flush() {
    cpu_->flush_tlb();
    untracked_ = false;
    table_pages_.clear();
    leaf_regions_.clear();
    pointer_ptes_.clear();
  }

  MemoryRegion root_, rom_, ram_;
  std::unique_ptr<AddressSpace> as_;
  std::unique_ptr<Cpu> cpu_;
  uint64_t satp_ = 0;
  bool pmp0_on_ = false;
  uint64_t pmp0_page_ = 0;
  uint64_t pmp0_perms_ = 0;
  std::set<uint16_t> asids_used_;
  // What the TLBs may hold since the last full fence: the pages the walks read PTEs from, the
  // PTEs read as pointers, and for each leaf PTE the (VA >> leaf shift) regions it translated.
  std::set<uint64_t> table_pages_;
  std::set<uint64_t> pointer_ptes_;
  std::set<std::tuple<uint64_t, unsigned, uint64_t>> leaf_regions_;
  uint64_t last_va_ = 0;
  Walk last_walk_;  ///< the last walk that succeeded, for last_walk_va_
  uint64_t last_walk_va_ = 0;
  /// A fetched instruction ran since the last full fence: its own accesses may have filled the
  /// TLBs from PTEs not tracked above, so every change of the tables is fenced in full.
  bool untracked_ = false;
};

// The walk of 4.3.2, without Svnapot, Svpbmt or Svade: bits 63:54 set in any PTE are reserved
// (a page fault), as are D, A and U in a pointer; A and D are set by the walk (Svadu). The
// walker's PTE reads and its A/D write are S-mode accesses for PMP. PTEs may be read from RAM
// and from the ROM (memory too: QEMU's walker reads any memory); a PTE anywhere else, and an A/D
// update of a PTE in the ROM, is an access fault (PMA).
Walk World::reference(uint64_t va, Access acc, Priv priv, bool sum, bool mxr) const {
  Walk w;
  const uint64_t mode = satp_ >> 60;
  if (mode == 0 || priv == M) {
    w.ok = true;
    w.pa = va;
    return w;
  }
  w.paged = true;
  auto fail = [&](uint64_t cause) {
    w.cause = cause;
    return w;
  };
  const unsigned levels = mode == 9 ? 4 : 3;
  const unsigned va_bits = 12 + 9 * levels;
  const uint64_t upper = va >> (va_bits - 1);  // bits 63:va_bits-1: all zeros or all ones
  if (upper != 0 && upper != (~uint64_t{0} >> (va_bits - 1))) return fail(page_fault(acc));
  uint64_t table = (satp_ & ((1ull << 44) - 1)) << 12;
  for (int level = static_cast<int>(levels) - 1; level >= 0; --level) {
    const unsigned shift = 12 + 9 * static_cast<unsigned>(level);
    const uint64_t addr = table + ((va >> shift) & 511) * 8;
    if (!(in_ram(addr, 8) || in_rom(addr, 8)) || !pmp_allows(addr, kPmpR)) {
      return fail(access_fault(acc));
    }
    const uint64_t pte = pte64(addr);
    w.read.push_back(addr);
    if (!(pte & kV) || ((pte & kW) && !(pte & kR)) || (pte >> 54) != 0) {
      return fail(page_fault(acc));
    }
    const uint64_t ppn = (pte >> 10) & ((1ull << 44) - 1);
    if (!(pte & (kR | kX))) {
      if ((pte & (kA | kD | kU)) || level == 0) return fail(page_fault(acc));
      table = ppn << 12;
      continue;
    }
    if (ppn & ((1ull << (shift - 12)) - 1)) return fail(page_fault(acc));  // misaligned
    if (priv == U && !(pte & kU)) return fail(page_fault(acc));
    if (priv == S && (pte & kU) && (acc == Access::Fetch || !sum)) return fail(page_fault(acc));
    const bool allowed = acc == Access::Fetch  ? (pte & kX)
                         : acc == Access::Load ? (pte & kR) || (mxr && (pte & kX))
                                               : (pte & kW);
    if (!allowed) return fail(page_fault(acc));
    w.sets_ad = (kA | (acc == Access::Store ? kD : 0)) & ~pte;
    if (w.sets_ad && (!in_ram(addr, 8) || !pmp_allows(addr, kPmpW))) {
      return fail(access_fault(acc));
    }
    w.ok = true;
    w.leaf_addr = addr;
    w.leaf_shift = shift;
    w.pa = (ppn << 12 & ~((1ull << shift) - 1)) | (va & ((1ull << shift) - 1));
    return w;
  }
  return w;  // not reached: level 0 returns
}

/// Cpu::walk_page_tables must agree with the reference on everything it reports.
void World::compare_walks(const Walk& ref, uint64_t va, Access acc) const {
  const PageWalk hw = cpu_->walk_page_tables(va, acc);
  check(hw.paged == ref.paged, "walk_page_tables translates when the specification does");
  check(hw.ok == ref.ok, "walk_page_tables succeeds exactly when the reference walk does");
  check(hw.steps.size() == ref.read.size(), "walk_page_tables reads as many PTEs");
  for (size_t i = 0; i < ref.read.size(); ++i) {
    check(hw.steps[i].pte_addr == ref.read[i], "walk_page_tables reads the same PTEs");
    check(hw.steps[i].pte == pte64(ref.read[i]), "walk_page_tables reports the PTE's value");
  }
  if (ref.ok) {
    check(hw.pa == ref.pa, "walk_page_tables reaches the same physical address");
    if (ref.paged) {
      check(hw.leaf_shift == ref.leaf_shift, "walk_page_tables finds the same page size");
      check(hw.sets_ad == ref.sets_ad, "walk_page_tables sets the same A/D bits");
    }
  } else {
    check(hw.fault_cause == ref.cause, "walk_page_tables reports the same fault");
  }
}

// A PTE from 9 bytes: kind(1) raw(8). Most point at a RAM page (a table or a 4 KiB page) with
// fuzzed flag bits; some are superpage leaves over RAM's first page; some are raw.
uint64_t World::pte_from(Input& in) {
  const uint64_t kind = in.bytes(1);
  const uint64_t raw = in.bytes(8);
  const uint64_t ram_ppn = kRamBase >> 12;  // 1 GiB-aligned: a valid superpage of any size
  if (kind < 176) return (ram_ppn + ((raw >> 8) % kRamPages)) << 10 | (raw & 0xff);
  if (kind < 224) return ram_ppn << 10 | (raw & 0xff) | kV | kR;
  return raw;
}

// A PTE spec: page(1) slot(2) pte(9). Before the hart runs, it is written into RAM directly;
// afterwards through the bus as a guest store would (invalidating decoded code there).
void World::write_pte(Input& in, bool through_bus) {
  const uint64_t page = in.bytes(1) % kRamPages;
  const uint64_t slot = in.bytes(2) % 512;
  const uint64_t pte = pte_from(in);
  const uint64_t addr = kRamBase + page * 4096 + slot * 8;
  if (!through_bus) {
    std::memcpy(ram_.ram_ptr() + (addr - kRamBase), &pte, 8);
    ram_.note_ram_touched(addr - kRamBase, 8);
    return;
  }
  check(as_->store(addr, 8, pte) == MemTxResult::Ok, "RAM takes a store");
}

void World::set_satp(uint64_t satp) {
  check(cpu_->poke_csr(kSatp, satp), "satp exists");
  check(cpu_->peek_csr(kSatp, satp_), "satp reads back");
}

/// Brings the hart to M-mode (a fetch that must fault), wherever it is.
void World::to_machine() {
  if (cpu_->priv() == PrivLevel::Machine) return;
  cpu_->set_pc(kNowhere);
  cpu_->step();
  check(cpu_->priv() == PrivLevel::Machine, "a fetch from nowhere traps to M-mode");
}

void World::data_access(Access acc, Priv priv, bool sum, bool mxr, uint64_t va, uint64_t value) {
  to_machine();
  check(cpu_->poke_csr(kMstatus, mstatus(priv, true, sum, mxr)), "mstatus takes MPRV");
  // Twice: the first access fills the TLB, the second hits it.
  for (int pass = 0; pass < 2; ++pass) {
    const uint64_t stub = acc == Access::Load ? kStubLoad : kStubStore;
    cpu_->set_reg(6, va);
    cpu_->set_reg(7, value);
    cpu_->set_reg(5, 0);
    cpu_->set_pc(stub);
    const Walk ref = reference(va, acc, priv, sum, mxr);
    compare_walks(ref, va, acc);
    note_walk(ref);
    const uint64_t leaf_before = ref.ok && ref.paged ? pte64(ref.leaf_addr) : 0;
    cpu_->step();
    const bool trapped = cpu_->pc() == kMtvec;
    check(trapped || cpu_->pc() == stub + 4, "the access retires or traps");
    const auto [mcause, mtval, mepc] = trap_csrs(trapped);
    if (trapped) check(mepc == stub, "the trap's mepc is the access");
    if (!ref.ok) {
      check(trapped && mcause == ref.cause, "a faulting walk traps with its cause");
      check(mtval == va, "a translation fault's mtval is the virtual address");
      return;
    }
    note_translation(ref, va);
    if (priv != M && !pmp_allows(ref.pa, pmp_need(acc))) {
      check(trapped && mcause == access_fault(acc), "PMP denies the access: an access fault");
      check(mtval == va, "an access fault's mtval is the virtual address");
      return;
    }
    if (!in_ram(ref.pa, 8)) {
      check(!trapped || (mcause == access_fault(acc) && mtval == va),
            "an access outside RAM is done or is an access fault");
      return;
    }
    check(!trapped, "a translated access to RAM that PMP allows retires");
    if (ref.paged) {
      const uint64_t leaf_now = pte64(ref.leaf_addr);
      const uint64_t expected =
          acc == Access::Store && ref.pa == ref.leaf_addr ? value : leaf_before | ref.sets_ad;
      check(leaf_now == expected, "the walk sets A (and D for a store) in the leaf PTE");
    }
    if (acc == Access::Load) {
      check(cpu_->reg(5) == ram64(ref.pa), "the load reads RAM at the translated address");
    } else {
      check(ram64(ref.pa) == value, "the store writes RAM at the translated address");
      after_store(ref.pa);
    }
  }
}

/// Whether instruction `insn` (its low 16 bits when compressed) may write memory: a store or an
/// AMO.
bool writes_memory(uint32_t insn) {
  if ((insn & 3) == 3) {
    const uint32_t opcode = insn & 0x7f;
    return opcode == 0x23 || opcode == 0x27 || opcode == 0x2f;
  }
  const uint32_t funct3 = (insn >> 13) & 7;
  return ((insn & 3) == 0 || (insn & 3) == 2) && funct3 >= 5;  // C.FSD, C.SW, C.SD and SP forms
}

void World::fetch(Priv priv, bool sum, bool mxr, uint64_t va) {
  va &= ~uint64_t{3};
  for (int pass = 0; pass < 2; ++pass) {
    if (cpu_->priv() != static_cast<PrivLevel>(priv)) {
      to_machine();
      check(cpu_->poke_csr(kMstatus, mstatus(priv, false, sum, mxr)), "mstatus takes MPP");
      check(cpu_->poke_csr(kMepc, va), "mepc takes the address");
      cpu_->set_pc(kStubMret);
      cpu_->step();
      check(cpu_->priv() == static_cast<PrivLevel>(priv) && cpu_->pc() == va,
            "MRET goes to MPP at mepc");
    } else {
      // Already there (the last fetch ran an instruction there): keep its TLB set.
      check(cpu_->poke_csr(kMstatus, mstatus(priv, false, sum, mxr)), "mstatus takes SUM/MXR");
      cpu_->set_pc(va);
    }
    const Walk ref = reference(va, Access::Fetch, priv, sum, mxr);
    compare_walks(ref, va, Access::Fetch);
    note_walk(ref);
    const bool in_ram_ok = ref.ok && in_ram(ref.pa, 4) && pmp_allows(ref.pa, kPmpX);
    const uint32_t insn =
        in_ram_ok ? static_cast<uint32_t>(ram64(ref.pa & ~7ull) >> 8 * (ref.pa & 4)) : 0;
    cpu_->step();
    const bool trapped = cpu_->priv() == PrivLevel::Machine;  // only a trap raises the privilege
    const auto [mcause, mtval, mepc] = trap_csrs(trapped);
    const bool fetch_fault = trapped && mepc == va && (mcause == 1 || mcause == 12);
    if (!ref.ok) {
      check(fetch_fault && mcause == ref.cause && mtval == va,
            "a faulting walk for a fetch traps with its cause at the address");
      return;
    }
    note_translation(ref, va);
    if (!pmp_allows(ref.pa, kPmpX)) {
      check(fetch_fault && mcause == 1 && mtval == va, "PMP denies the fetch: an access fault");
      return;
    }
    if (!in_ram_ok) return;  // outside RAM: a fault or whatever is there, both fine
    check(!fetch_fault, "a fetch the walk allows does not fault");
    untracked_ = true;
    // The instruction ran. It may have changed satp (S-mode may): put it back, with the fence
    // software would do. If it could have written memory, it may have edited the tables.
    uint64_t satp = 0;
    cpu_->peek_csr(kSatp, satp);
    if (satp != satp_) {
      set_satp(satp_);
      flush();
    }
    if (writes_memory(insn)) {
      flush();
    } else if (ref.paged) {
      check(pte64(ref.leaf_addr) & kA, "a fetch sets A in the leaf PTE");
    }
  }
}

// One operation: op(1). Bits 1:0: load, store, fetch, or another kind (bits 4:2); bits 3:2 the
// privilege (U, S, U, M); bit 4 SUM; bit 5 MXR; bits 7:6 how the address is made.
void World::run_operation(Input& in, unsigned n) {
  const unsigned op = static_cast<unsigned>(in.bytes(1));
  if ((op & 3) == 3) {
    switch ((op >> 2) & 7) {
      case 0:
      case 1: {  // edit a PTE, then the fence that makes it visible
        write_pte(in, true);
        flush();
        return;
      }
      case 2: {  // edit the last leaf, then SFENCE.VMA by its address where that suffices
        if (!last_walk_.ok || !last_walk_.paged) return;
        const uint64_t leaf = last_walk_.leaf_addr;
        const uint64_t pte = pte_from(in);
        check(as_->store(leaf, 8, pte) == MemTxResult::Ok, "RAM takes a store");
        // By address covers only this leaf's translations of this address's region: if the PTE
        // was also read as a pointer, or translated other regions, fence everything.
        const uint64_t va = last_walk_va_;
        bool by_va = !untracked_ && !pointer_ptes_.count(leaf);
        for (const auto& [addr, shift, region] : leaf_regions_) {
          if (addr == leaf && (shift != last_walk_.leaf_shift || region != va >> shift)) {
            by_va = false;
          }
        }
        last_walk_ = Walk{};
        to_machine();
        cpu_->set_reg(6, va);
        cpu_->set_pc(by_va ? kStubFenceVa : kStubFenceAll);
        cpu_->step();
        check(cpu_->pc() == (by_va ? kStubFenceVa : kStubFenceAll) + 4, "M-mode may SFENCE.VMA");
        if (!by_va) flush();
        return;
      }
      case 3: {  // a fence by address with nothing changed: nothing may change
        to_machine();
        cpu_->set_reg(6, last_va_);
        cpu_->set_pc(kStubFenceVa);
        cpu_->step();
        return;
      }
      case 4: {  // a new root and ASID
        const uint64_t root = kRamBase / 4096 + in.bytes(1) % kRamPages;
        const uint64_t asid = in.bytes(2);
        const uint64_t mode = satp_ >> 60;
        const uint64_t old_root = satp_ & ((1ull << 44) - 1);
        set_satp(mode << 60 | asid << 44 | root);
        // Software fences after reusing an ASID or changing the tables an ASID names.
        const auto now = static_cast<uint16_t>(satp_ >> 44);
        if (!asids_used_.insert(now).second || root != old_root) flush();
        return;
      }
      default: return;
    }
  }
  const Priv priv = ((op >> 2) & 3) == 1 ? S : ((op >> 2) & 3) == 3 ? M : U;
  const bool sum = op & 16, mxr = op & 32;
  uint64_t va;
  switch (op >> 6) {
    case 0: {  // from VPNs and an offset, sign-extended from the top of Sv48
      va = 0;
      for (unsigned level = 0; level < 4; ++level) va |= (in.bytes(2) & 511) << (12 + 9 * level);
      va |= in.bytes(2) & 0xfff;
      if (va >> 47) va |= ~uint64_t{0} << 48;
      break;
    }
    case 1: va = in.bytes(8); break;
    case 2: va = last_va_; break;
    default: va = last_va_ + 8 * (in.bytes(1) - 128); break;
  }
  va &= ~uint64_t{7};
  last_va_ = va;
  switch (op & 3) {
    case 0: data_access(Access::Load, priv, sum, mxr, va, 0); break;
    case 1: data_access(Access::Store, priv, sum, mxr, va, 0x5a5a000000000000 | n); break;
    default:
      if (priv != M) fetch(priv, sum, mxr, va);
      break;
  }
}

void World::run(Input& in) {
  const uint64_t config = in.bytes(1);
  const uint64_t pages = in.bytes(1);
  const uint64_t asid = in.bytes(2);
  const uint64_t ptes = in.bytes(1) % 97;
  for (uint64_t i = 0; i < ptes; ++i) write_pte(in, false);

  as_ = std::make_unique<AddressSpace>("cpu", &root_);
  cpu_ = std::make_unique<Cpu>(*as_, 0);
  cpu_->reset(kRomBase);
  check(cpu_->poke_csr(kMtvecCsr, kMtvec), "mtvec exists");
  check(cpu_->poke_csr(kMedeleg, 0), "medeleg exists");
  // PMP: entry 0 a 4 KiB NAPOT region over one RAM page with fuzzed permissions (or off),
  // entry 1 everything with RWX. The reference takes what the hart kept (WARL).
  const uint64_t pmp_page = kRamBase + ((pages >> 4) % kRamPages) * 4096;
  check(cpu_->poke_csr(kPmpaddr0, pmp_page >> 2 | 0x1ff), "pmpaddr0 exists");
  check(cpu_->poke_csr(kPmpaddr1, ~uint64_t{0}), "pmpaddr1 exists");
  const uint64_t cfg0 = (config & 4) ? kPmpNapot | ((config >> 3) & 7) : 0;
  check(cpu_->poke_csr(kPmpcfg0, cfg0 | (kPmpNapot | kPmpR | kPmpW | kPmpX) << 8), "pmpcfg0");
  uint64_t cfg = 0;
  cpu_->peek_csr(kPmpcfg0, cfg);
  pmp0_on_ = ((cfg >> 3) & 3) == 3;
  pmp0_perms_ = cfg & 7;
  pmp0_page_ = pmp_page;
  check(((cfg >> 8) & 0xff) == (kPmpNapot | kPmpR | kPmpW | kPmpX), "PMP entry 1 is RWX");

  static constexpr uint64_t kModes[] = {8, 9, 8, 0};  // Sv39, Sv48, Sv39, Bare
  const uint64_t root = kRamBase / 4096 + (pages & 15);
  set_satp(kModes[config & 3] << 60 | asid << 44 | root);
  asids_used_.insert(static_cast<uint16_t>(satp_ >> 44));

  for (unsigned n = 0; n < 64 && !in.empty(); ++n) run_operation(in, n);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  World world;
  world.run(in);
  return 0;
}
