// The hart's public face, its reset state, and the memory side of the interpreter: the data
// software TLB, the slow access paths (which check a whole access before performing any of
// it), and the bounded decoded-code cache with its invalidation and eviction (design notes in
// cpu_internal.h).
#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>

#include "engine/base/bytes.h"
#include "engine/cpu/cpu.h"
#include "engine/cpu/cpu_internal.h"

namespace glassvm {

static_assert(std::endian::native == std::endian::little,
              "the TLB fast paths copy guest memory as little-endian host words");

namespace {

/// Whether `span` holds the whole 4 KiB page starting at `page`.
bool span_covers_page(const RamSpan& span, uint64_t page) {
  return page >= span.start && page - span.start <= span.len &&
         span.len - (page - span.start) >= kPageSize;
}

/// The PMP permissions a data access of kind `acc` needs; `store` for the write itself. An
/// AMO's load (acc = Store) needs both R and W.
uint8_t pmp_need(Access acc, bool store) {
  if (store) return kPmpCfgW;
  return acc == Access::Store ? (kPmpCfgR | kPmpCfgW) : kPmpCfgR;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Construction and reset
// ---------------------------------------------------------------------------------------------

Cpu::Impl::Impl(Cpu& owner, AddressSpace& as, uint64_t hartid, const HartConfig& config)
    : owner_(owner),
      as_(as),
      hartid_(hartid),
      config_(config),
      scratch_(std::make_unique<CodePage>()) {
  generation_ = as_.generation();
  as_.add_listener(this);
}

Cpu::Impl::~Impl() {
  for (auto& page : code_pool_) release_exec(*page);
  as_.remove_listener(this);
  for (auto& [mr, id] : code_hooks_) mr->remove_code_write_hook(id);
}

void Cpu::Impl::reset(uint64_t pc) {
  std::fill(std::begin(x_), std::end(x_), 0);
  pc_ = pc;
  priv_ = PrivLevel::Machine;
  reset_csr_file();  // misa, mstatus, mie, mip
  mtvec_ = mscratch_ = mepc_ = mcause_ = mtval_ = 0;
  mcounteren_ = mcountinhibit_ = menvcfg_ = 0;
  medeleg_ = mideleg_ = 0;
  stvec_ = sscratch_ = sepc_ = scause_ = stval_ = satp_ = scounteren_ = senvcfg_ = 0;
  std::fill(std::begin(pmpcfg_), std::end(pmpcfg_), 0);
  std::fill(std::begin(pmpaddr_), std::end(pmpaddr_), 0);
  stimecmp_ = ~uint64_t{0};
  sbi_timer_ = stimer_level_ = false;
  retired_ = run_base_ = traps_ = run_budget_ = budget_left_ = 0;
  instret_offset_ = cycle_offset_ = instret_frozen_ = cycle_frozen_ = retire_adjust_ = 0;
  stop_requested_ = wfi_ = force_uncached_ = false;
  resv_valid_ = false;
  flush_tlb();
  pmp_update();  // no entry active: S and U may touch nothing until M-mode opens PMP
  flush_pending_ = true;
  event_ = true;
  update_mip();
  update_irq();
  notify_timer_compare();
}

Cpu::Cpu(AddressSpace& as, uint64_t hartid, const HartConfig& config)
    : impl_(std::make_unique<Impl>(*this, as, hartid, config)) {
  impl_->reset(0);
}

Cpu::~Cpu() = default;

void Cpu::reset(uint64_t pc) {
  assert(!impl_->running_ && "Cpu::reset inside run(): call request_stop() and reset after run");
  impl_->reset(pc);
}
uint64_t Cpu::pc() const {
  return impl_->pc_;
}
void Cpu::set_pc(uint64_t pc) {
  assert(!impl_->running_ && "Cpu::set_pc inside run(): the running loop owns pc");
  impl_->pc_ = pc & ~uint64_t{1};
  impl_->wfi_ = false;
}
uint64_t Cpu::reg(unsigned index) const {
  assert(index < 32 && "register index must be 0..31");
  return index == 0 ? 0 : impl_->x_[index];
}
void Cpu::set_reg(unsigned index, uint64_t value) {
  assert(index < 32 && "register index must be 0..31");
  if (index != 0) impl_->x_[index] = value;
}
PrivLevel Cpu::priv() const {
  return impl_->priv_;
}
uint64_t Cpu::hartid() const {
  return impl_->hartid_;
}
uint64_t Cpu::instret() const {
  return impl_->read_instret();
}
uint64_t Cpu::retired_instructions() const {
  return impl_->retired_;
}
uint64_t Cpu::steps() const {
  return impl_->retired_ + impl_->traps_;
}
bool Cpu::peek_csr(uint16_t csr, uint64_t& value) const {
  return impl_->csr_read(csr, value);
}
bool Cpu::poke_csr(uint16_t csr, uint64_t value) {
  return impl_->csr_write(csr, value);
}

void Cpu::set_interrupt_pending(unsigned irq, bool level) {
  impl_->set_interrupt_line(irq, level);
}

void Cpu::set_time_source(std::function<uint64_t()> source) {
  impl_->time_source_ = std::move(source);
}
void Cpu::set_timer_compare_listener(std::function<void(uint64_t stimecmp)> listener) {
  impl_->timer_compare_listener_ = std::move(listener);
  impl_->notify_timer_compare();
}
void Cpu::update_timer_interrupt() {
  impl_->update_timer_interrupt();
}
void Cpu::set_supervisor_timer(uint64_t value) {
  impl_->sbi_timer_ = true;
  impl_->stimecmp_ = value;
  impl_->update_timer_interrupt();
  impl_->notify_timer_compare();
}
RunExit Cpu::run(uint64_t budget) {
  return impl_->run(budget);
}
void Cpu::flush_tlb() {
  impl_->flush_translation();
  impl_->event_ = true;
}
void Cpu::step() {
  impl_->run(1);
}
void Cpu::request_stop() {
  impl_->stop_requested_ = true;
  impl_->event_ = true;
}
bool Cpu::waiting_for_interrupt() const {
  return impl_->wfi_;
}
void Cpu::wait_for_interrupt() {
  impl_->wfi_ = (impl_->mip_ & impl_->mie_) == 0;
  impl_->event_ = true;  // the run loop's outer loop returns RunExit::Wfi
}
const CpuState& Cpu::state() const {
  return *impl_;
}
void Cpu::set_executor(BlockExecutor* executor) {
  assert(!impl_->running_ && "Cpu::set_executor inside run()");
  for (auto& page : impl_->code_pool_) impl_->release_exec(*page);
  impl_->executor_ = executor;
}
CpuState& Cpu::executor_state() {
  return *impl_;
}
TlbStats Cpu::tlb_stats() const {
  return impl_->tlb_stats_;
}
CodeCacheStats Cpu::code_cache_stats() const {
  return CodeCacheStats{impl_->code_pool_.size(), kMaxCodePages, impl_->code_evictions_};
}
void Cpu::set_trap_hook(std::function<void(const TrapEvent&)> hook) {
  impl_->trap_hook_ = std::move(hook);
}
void Cpu::set_decode_hook(std::function<void(uint64_t pc, const DecodedInsn&)> hook) {
  impl_->decode_hook_ = std::move(hook);
  impl_->flush_pending_ = true;  // so that already cached code is reported again
  impl_->event_ = true;
}
void Cpu::set_ecall_return(uint64_t pc) {
  assert(impl_->in_ecall_hook_ && "Cpu::set_ecall_return outside the ecall hook");
  impl_->ecall_return_ = pc;
}
void Cpu::set_ecall_hook(std::function<bool(Cpu&)> hook) {
  impl_->ecall_hook_ = std::move(hook);
}

// ---------------------------------------------------------------------------------------------
// Data accesses
// ---------------------------------------------------------------------------------------------

void Cpu::Impl::flush_translation() {
  ++tlb_stats_.data.flushes;
  ++tlb_stats_.fetch.flushes;
  clear_tlb_set(static_cast<unsigned>(tlb_ - tlb_sets_));
  // Parked sets become free: a free set is never searched, and is emptied when activated.
  for (TlbSetInfo& info : tlb_set_info_) info.key = kTlbNoKey;
}

void Cpu::Impl::flush_tlb() {
  flush_translation();
  generation_ = as_.generation();
}

uint8_t* Cpu::Impl::fill_data_tlb(uint64_t va, uint64_t pa, bool write) {
  const uint64_t vpage = va & kPageMask, ppage = pa & kPageMask;
  RamSpan span;
  if (!as_.lookup_ram(ppage, span) || !span_covers_page(span, ppage)) return nullptr;
  if (!pmp_page_ok(ppage, write ? kPmpCfgW : kPmpCfgR)) return nullptr;
  if (write) {
    if (!span.writable) return nullptr;
    if (span.mr->is_code_page(span.offset_in_region + (ppage - span.start))) return nullptr;
    if (resv_valid_ && (resv_addr_ & kPageMask) == vpage) return nullptr;
  }
  const unsigned index = (va >> kPageShift) % kTlbSize;
  TlbEntry& e = (write ? tlb_->write : tlb_->read)[index];
  (write ? tlb_info_->write_tag : tlb_info_->read_tag)[index] = walk_tag_;
  if (walk_tag_.leaf_shift > kPageShift) note_superpage(va);
  if (walk_tag_.relies) note_relying(write ? kTlbSize + index : index);
  ++tlb_stats_.data.refills;
  e.tag = vpage;
  e.addend = reinterpret_cast<uintptr_t>(span.host + (ppage - span.start)) - vpage;
  return reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(va + e.addend));
}

bool Cpu::Impl::phys_load(uint64_t va, uint64_t pa, unsigned size, uint64_t& value, Access acc) {
  if (!pmp_data_ok(va, pa, size, pmp_need(acc, false), acc)) return false;
  fault_cause_ = access_fault_cause(acc);
  if (!all_mapped(pa, size)) {
    fault_addr_ = va + (fault_addr_ - pa);
    return false;
  }
  const MemTxResult r = as_.load(pa, size, value);
  after_slow_access();
  if (r != MemTxResult::Ok) {
    fault_addr_ = va;
    return false;
  }
  return true;
}

bool Cpu::Impl::phys_store(uint64_t va, uint64_t pa, unsigned size, uint64_t value) {
  if (!pmp_data_ok(va, pa, size, kPmpCfgW, Access::Store)) return false;
  fault_cause_ = kExcStoreAccessFault;
  if (!all_mapped(pa, size)) {
    fault_addr_ = va + (fault_addr_ - pa);
    return false;
  }
  const MemTxResult r = as_.store(pa, size, value);
  after_slow_access();
  if (r != MemTxResult::Ok) {
    fault_addr_ = va;
    return false;
  }
  return true;
}

void Cpu::Impl::commit() {
  // The flat view changed: host pointers may be stale, and regions may be about to die.
  flush_tlb();
  flush_pending_ = true;
  event_ = true;
  const auto& ranges = as_.flat_view().ranges();
  for (auto it = code_hooks_.begin(); it != code_hooks_.end();) {
    bool mapped = std::any_of(ranges.begin(), ranges.end(),
                              [&](const FlatRange& r) { return r.mr == it->first; });
    if (mapped) {
      ++it;
    } else {
      it->first->remove_code_write_hook(it->second);
      it = code_hooks_.erase(it);
    }
  }
}

void Cpu::Impl::after_slow_access() {
  if (as_.generation() != generation_) {
    flush_tlb();
    flush_pending_ = true;
    event_ = true;
  }
}

uint8_t* Cpu::Impl::host_for_read(uint64_t addr) {
  uint64_t page = addr & kPageMask;
  TlbEntry& e = tlb_->read[(addr >> kPageShift) % kTlbSize];
  if (e.tag != page) {
    RamSpan span;
    if (!as_.lookup_ram(page, span) || !span_covers_page(span, page)) return nullptr;
    if (!pmp_page_ok(page, kPmpCfgR)) return nullptr;
    tlb_info_->read_tag[(addr >> kPageShift) % kTlbSize] = TlbTag{0, true, kPageShift};
    ++tlb_stats_.data.refills;
    e.tag = page;
    e.addend = reinterpret_cast<uintptr_t>(span.host + (page - span.start)) - page;
  }
  return reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(addr + e.addend));
}

uint8_t* Cpu::Impl::host_for_write(uint64_t addr) {
  uint64_t page = addr & kPageMask;
  TlbEntry& e = tlb_->write[(addr >> kPageShift) % kTlbSize];
  if (e.tag != page) {
    RamSpan span;
    if (!as_.lookup_ram(page, span) || !span.writable || !span_covers_page(span, page)) {
      return nullptr;
    }
    // Stores to code pages and to the reserved page must take the slow path.
    if (span.mr->is_code_page(span.offset_in_region + (page - span.start))) return nullptr;
    if (resv_valid_ && (resv_addr_ & kPageMask) == page) return nullptr;
    if (!pmp_page_ok(page, kPmpCfgW)) return nullptr;
    tlb_info_->write_tag[(addr >> kPageShift) % kTlbSize] = TlbTag{0, true, kPageShift};
    ++tlb_stats_.data.refills;
    e.tag = page;
    e.addend = reinterpret_cast<uintptr_t>(span.host + (page - span.start)) - page;
  }
  return reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(addr + e.addend));
}

bool Cpu::Impl::mem_load(uint64_t addr, unsigned size, uint64_t& value, Access acc) {
  value = 0;
  const bool in_page = (addr & ~kPageMask) + size <= kPageSize;
  // A misaligned access inside one page misses the fast path only because its tag compare
  // includes the alignment bits; the TLB entry for its page still holds (Linux's memcpy does
  // misaligned word accesses when the hart handles them fast, as this one does).
  if (in_page && acc == Access::Load) {
    const TlbEntry& e = tlb_->read[(addr >> kPageShift) % kTlbSize];
    if (e.tag == (addr & kPageMask)) {
      value = load_le_sized(
          reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(addr + e.addend)), size);
      return true;
    }
  }
  ++tlb_stats_.data.misses;
  if (data_translated_) {
    uint64_t pa;
    if (!translate(addr, acc, pa)) return false;
    if (in_page) {
      if (acc == Access::Load) {
        if (uint8_t* host = fill_data_tlb(addr, pa, false)) {
          value = load_le_sized(host, size);
          return true;
        }
      }
      return phys_load(addr, pa, size, value, acc);
    }
    // Straddles two virtual pages: translate both before reading a byte.
    const uint64_t second = (addr | ~kPageMask) + 1;
    uint64_t pa2;
    if (!translate(second, acc, pa2)) return false;
    const auto first_len = static_cast<unsigned>(second - addr);
    uint64_t lo = 0, hi = 0;
    for (unsigned i = 0; i < first_len; ++i) {
      uint64_t b;
      if (!phys_load(addr + i, pa + i, 1, b, acc)) return false;
      lo |= b << (8 * i);
    }
    for (unsigned i = 0; i < size - first_len; ++i) {
      uint64_t b;
      if (!phys_load(second + i, pa2 + i, 1, b, acc)) return false;
      hi |= b << (8 * i);
    }
    value = lo | (hi << (8 * first_len));
    return true;
  }
  if (in_page) {
    if (uint8_t* host = host_for_read(addr)) {
      value = load_le_sized(host, size);
      return true;
    }
  }
  if (!pmp_data_ok(addr, addr, size, pmp_need(acc, false), acc)) return false;
  fault_cause_ = access_fault_cause(acc);
  if (!all_mapped(addr, size)) return false;
  MemTxResult r = as_.load(addr, size, value);
  after_slow_access();
  if (r != MemTxResult::Ok) {
    fault_addr_ = addr;
    return false;
  }
  return true;
}

bool Cpu::Impl::all_mapped(uint64_t addr, unsigned size) {
  // Checked before a slow access because the AddressSpace splits an access that straddles
  // two flat ranges into bytes and stops at the first byte that fails: a store would be
  // partly performed and the failing byte would be unknown.
  const FlatView& view = as_.flat_view();
  uint64_t a = addr;
  uint64_t left = size;
  for (;;) {
    const FlatRange* r = view.lookup(a);
    if (r == nullptr) {
      fault_addr_ = a;
      return false;
    }
    const uint64_t room_minus_one = r->last() - a;
    if (room_minus_one >= left - 1) return true;
    left -= room_minus_one + 1;
    a += room_minus_one + 1;
  }
}

void Cpu::Impl::invalidate_reservation_on_store(uint64_t addr, unsigned size) {
  if (resv_valid_ && addr < resv_addr_ + resv_size_ && resv_addr_ < addr + size) {
    resv_valid_ = false;
  }
}

bool Cpu::Impl::mem_store(uint64_t addr, unsigned size, uint64_t value) {
  const bool in_page = (addr & ~kPageMask) + size <= kPageSize;
  if (in_page) {  // misaligned inside one page: see mem_load
    const TlbEntry& e = tlb_->write[(addr >> kPageShift) % kTlbSize];
    if (e.tag == (addr & kPageMask)) {
      // The write TLB never holds the reserved page, so no reservation can be lost here.
      store_le_sized(reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(addr + e.addend)), size,
                     value);
      return true;
    }
  }
  ++tlb_stats_.data.misses;
  if (data_translated_) {
    uint64_t pa;
    if (!translate(addr, Access::Store, pa)) return false;
    if (in_page) {
      invalidate_reservation_on_store(addr, size);
      if (uint8_t* host = fill_data_tlb(addr, pa, true)) {
        store_le_sized(host, size, value);
        return true;
      }
      return phys_store(addr, pa, size, value);
    }
    // Straddles two virtual pages: translate both and check every byte before writing one.
    const uint64_t second = (addr | ~kPageMask) + 1;
    uint64_t pa2;
    if (!translate(second, Access::Store, pa2)) return false;
    const auto first_len = static_cast<unsigned>(second - addr);
    if (!pmp_data_ok(addr, pa, first_len, kPmpCfgW, Access::Store) ||
        !pmp_data_ok(second, pa2, size - first_len, kPmpCfgW, Access::Store)) {
      return false;
    }
    fault_cause_ = kExcStoreAccessFault;
    if (!all_mapped(pa, first_len)) {
      fault_addr_ = addr + (fault_addr_ - pa);
      return false;
    }
    if (!all_mapped(pa2, size - first_len)) {
      fault_addr_ = second + (fault_addr_ - pa2);
      return false;
    }
    invalidate_reservation_on_store(addr, size);
    for (unsigned i = 0; i < size; ++i) {
      const uint64_t b = (value >> (8 * i)) & 0xff;
      const bool ok = i < first_len ? phys_store(addr + i, pa + i, 1, b)
                                    : phys_store(second + i - first_len, pa2 + i - first_len, 1, b);
      if (!ok) return false;
    }
    return true;
  }
  if (!pmp_data_ok(addr, addr, size, kPmpCfgW, Access::Store)) return false;
  invalidate_reservation_on_store(addr, size);
  if (in_page) {
    if (uint8_t* host = host_for_write(addr)) {
      store_le_sized(host, size, value);
      return true;
    }
  }
  fault_cause_ = kExcStoreAccessFault;
  if (!all_mapped(addr, size)) return false;
  MemTxResult r = as_.store(addr, size, value);
  after_slow_access();
  if (r != MemTxResult::Ok) {
    fault_addr_ = addr;
    return false;
  }
  return true;
}

void Cpu::Impl::drop_write_tlb_for_host_page(const uint8_t* host_page) {
  // Every set: a saved context's write entry would let a store into the code skip the hook.
  for_each_tlb_set([host_page](TlbSet& set, TlbSetInfo&) {
    for (TlbEntry& e : set.write) {
      if (e.tag != ~uint64_t{0} &&
          reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(e.tag + e.addend)) == host_page) {
        e = TlbEntry{};
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Decoded-code cache
// ---------------------------------------------------------------------------------------------

void Cpu::Impl::flush_code() {
  for (auto& page : code_pool_) release_exec(*page);
  pages_.clear();
  code_pool_.clear();
  clock_hand_ = 0;
  code_by_region_.clear();
  for (auto& c : page_cache_) c = PageCacheEntry{};
  flush_pending_ = false;
}

bool Cpu::Impl::code_span(uint64_t guest_page, RamSpan& span) const {
  return as_.lookup_ram(guest_page, span) && span_covers_page(span, guest_page);
}

void Cpu::Impl::init_code_page(CodePage& page, uint64_t guest_page, const RamSpan& span) {
  release_exec(page);  // a stale page re-decoded, or an evicted one reused
  page.guest_page = guest_page;
  page.host = span.host + (guest_page - span.start);
  page.mr = span.mr;
  page.region_page = span.offset_in_region + (guest_page - span.start);
  page.stale = false;
  page.exec.guest_page = guest_page;
  page.exec.host = page.host;
  for (unsigned i = 0; i < kSlotsPerPage; ++i) page.slots[i].op = kOpNotDecoded;
  page.slots[kSlotsPerPage].op = kOpExitBlock;
  page.slots[kSlotsPerPage + 1].op = kOpExitBlock;

  MemoryRegion* mr = span.mr;
  mr->mark_code_page(page.region_page);
  bool hooked = std::any_of(code_hooks_.begin(), code_hooks_.end(),
                            [&](const auto& h) { return h.first == mr; });
  if (!hooked) {
    int id = mr->add_code_write_hook(
        [this, mr](uint64_t offset, uint64_t len) { on_code_write(mr, offset, len); });
    code_hooks_.emplace_back(mr, id);
  }
  auto& guests = code_by_region_[{mr, page.region_page}];
  if (std::find(guests.begin(), guests.end(), guest_page) == guests.end()) {
    guests.push_back(guest_page);
  }
  drop_write_tlb_for_host_page(page.host);
}

CodePage* Cpu::Impl::allocate_code_page() {
  if (code_pool_.size() < kMaxCodePages) {
    code_pool_.push_back(std::make_unique<CodePage>());
    return code_pool_.back().get();
  }
  // Second chance: skip pages entered since the hand last passed. Ends within two turns.
  for (;;) {
    CodePage* p = code_pool_[clock_hand_].get();
    clock_hand_ = (clock_hand_ + 1) % code_pool_.size();
    if (p->referenced) {
      p->referenced = false;
      continue;
    }
    evict_code_page(*p);
    return p;
  }
}

void Cpu::Impl::evict_code_page(CodePage& page) {
  pages_.erase(page.guest_page);
  auto it = code_by_region_.find({page.mr, page.region_page});
  if (it != code_by_region_.end()) {
    auto& guests = it->second;
    guests.erase(std::remove(guests.begin(), guests.end(), page.guest_page), guests.end());
    if (guests.empty()) code_by_region_.erase(it);
  }
  PageCacheEntry& c = page_cache_[(page.guest_page >> kPageShift) % kPageCacheSize];
  if (c.page == &page) c = PageCacheEntry{};
  // The region keeps its code mark until the next write clears it; that write finds no page
  // to invalidate, which is harmless.
  ++code_evictions_;
}

void Cpu::Impl::on_code_write(MemoryRegion* mr, uint64_t offset, uint64_t len) {
  if (len == 0) return;
  uint64_t first = offset & kPageMask;
  uint64_t last = (offset + len - 1) & kPageMask;
  for (uint64_t rp = first;; rp += kPageSize) {
    auto it = code_by_region_.find({mr, rp});
    if (it != code_by_region_.end()) {
      for (uint64_t guest : it->second) {
        auto p = pages_.find(guest);
        if (p != pages_.end()) p->second->stale = true;
      }
      event_ = true;  // the running block may be one of them: leave it
    }
    if (rp >= last) break;
  }
}

CodePage* Cpu::Impl::code_page_for(uint64_t pc) {
  uint64_t guest_page = pc & kPageMask;
  PageCacheEntry& c = page_cache_[(guest_page >> kPageShift) % kPageCacheSize];
  if (c.tag == guest_page && !c.page->stale) {
    c.page->referenced = true;
    return c.page;
  }
  CodePage* page;
  RamSpan span;
  auto it = pages_.find(guest_page);
  if (it != pages_.end()) {
    page = it->second;
    page->referenced = true;
    if (page->stale) {
      if (!code_span(guest_page, span)) return nullptr;
      init_code_page(*page, guest_page, span);
    }
  } else {
    // Look before allocating: a guest looping on fetch faults must not pay for a CodePage.
    if (!code_span(guest_page, span)) return nullptr;
    page = allocate_code_page();
    init_code_page(*page, guest_page, span);
    // Not referenced yet: a page entered once (streaming code) is the first to go, one that
    // is entered again earns its second chance.
    page->referenced = false;
    pages_.emplace(guest_page, page);
  }
  c.tag = guest_page;
  c.page = page;
  return page;
}

void Cpu::Impl::make_insn(const DecodedInsn& d, Insn& out) const {
  out = Insn{};
  out.op = static_cast<uint8_t>(d.op);
  // x0 as a destination goes to the sink; f0 is an ordinary register.
  const bool f_rd = op_is_fp(d.op) && !op_fp_rd_is_x(d.op);
  out.rd = d.rd == 0 && !f_rd ? 32 : d.rd;
  out.rs1 = d.rs1;
  out.rs2 = d.rs2;
  out.rs3 = d.rs3;
  out.len = d.len;
  out.aux = op_is_fp(d.op) ? d.rm : d.aqrl;
  out.raw = d.raw;
  assert(d.imm >= INT32_MIN && d.imm <= INT32_MAX && "decoder produced an immediate > 32 bits");
  out.imm = static_cast<int32_t>(d.imm);
  if (!c_enabled()) {
    if (d.len == 2) {
      out.op = static_cast<uint8_t>(Op::Illegal);
    } else if ((d.op == Op::Jal || (d.op >= Op::Beq && d.op <= Op::Bgeu)) && (d.imm & 2)) {
      out.aux = static_cast<uint8_t>(d.op);
      out.op = kOpJumpMisaligned;
    }
  }
  // Without F (or D) in misa their instructions are illegal (misa's F and D are read-only).
  if (op_is_fp(d.op) && (!(misa_ & kMisaF) || (d.op >= Op::Fld && !(misa_ & kMisaD)))) {
    out.op = static_cast<uint8_t>(Op::Illegal);
  }
  if (out.op == static_cast<uint8_t>(Op::Illegal)) out.len = static_cast<uint8_t>(d.len);
}

void Cpu::Impl::decode_slot(CodePage& page, Insn& slot, uint64_t pc) {
  uint64_t off = pc & ~kPageMask;
  uint16_t lo;
  std::memcpy(&lo, page.host + off, 2);
  uint32_t raw = lo;
  if (insn_length(lo) == 4) {
    if (off + 4 > kPageSize) {
      slot = Insn{};
      slot.op = kOpCrossPage;
      return;
    }
    uint16_t hi;
    std::memcpy(&hi, page.host + off + 2, 2);
    raw |= static_cast<uint32_t>(hi) << 16;
  }
  DecodedInsn d = decode(raw);
  make_insn(d, slot);
  if (decode_hook_) decode_hook_(pc, d);
}

Insn* Cpu::Impl::fetch_uncached(uint64_t pc) {
  uint64_t lo = 0, hi = 0;
  if (!fetch_half(pc, lo)) {
    raise_exception(fault_cause_, fault_addr_);
    return nullptr;
  }
  uint32_t raw = static_cast<uint32_t>(lo & 0xffff);
  if (insn_length(raw) == 4) {
    if (!fetch_half(pc + 2, hi)) {
      raise_exception(fault_cause_, fault_addr_);
      return nullptr;
    }
    raw |= static_cast<uint32_t>(hi & 0xffff) << 16;
  }
  DecodedInsn d = decode(raw);
  unsigned idx = static_cast<unsigned>((pc & ~kPageMask) >> 1);
  Insn& slot = scratch_->slots[idx];
  make_insn(d, slot);
  scratch_->slots[idx + 1].op = kOpExitBlock;
  scratch_->slots[idx + 2].op = kOpExitBlock;
  if (decode_hook_) decode_hook_(pc, d);
  return &slot;
}

}  // namespace glassvm
