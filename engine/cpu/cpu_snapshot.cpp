// Cpu::save_state / load_state: the hart's part of a snapshot (engine/base/snapshot.h).
#include <cassert>
#include <cstdio>
#include <iterator>
#include <string>

#include "engine/cpu/cpu.h"
#include "engine/cpu/cpu_internal.h"
#include "engine/cpu/csr.h"

namespace glassvm {

namespace {

/// The CSRs kept as plain fields, in the order they are saved and restored: each is written
/// back through its WARL rules. pmpaddr comes before pmpcfg, whose lock bits freeze it.
struct CsrField {
  uint16_t csr;
  uint64_t CpuState::*field;
};
constexpr CsrField kCsrFields[] = {
    {kCsrMisa, &CpuState::misa_},
    {kCsrMstatus, &CpuState::mstatus_},
    {kCsrMie, &CpuState::mie_},
    {kCsrMtvec, &CpuState::mtvec_},
    {kCsrMscratch, &CpuState::mscratch_},
    {kCsrMepc, &CpuState::mepc_},
    {kCsrMcause, &CpuState::mcause_},
    {kCsrMtval, &CpuState::mtval_},
    {kCsrMcounteren, &CpuState::mcounteren_},
    {kCsrMenvcfg, &CpuState::menvcfg_},
    {kCsrMedeleg, &CpuState::medeleg_},
    {kCsrMideleg, &CpuState::mideleg_},
    {kCsrStvec, &CpuState::stvec_},
    {kCsrSscratch, &CpuState::sscratch_},
    {kCsrSepc, &CpuState::sepc_},
    {kCsrScause, &CpuState::scause_},
    {kCsrStval, &CpuState::stval_},
    {kCsrSatp, &CpuState::satp_},
    {kCsrScounteren, &CpuState::scounteren_},
    {kCsrSenvcfg, &CpuState::senvcfg_},
    {kCsrStimecmp, &CpuState::stimecmp_},
};

}  // namespace

void Cpu::save_state(StateWriter& w) const {
  Impl& c = *impl_;
  c.sync_retired();
  for (unsigned i = 1; i < 32; ++i) w.u64(c.x_[i]);
  w.u64(c.pc_);
  w.u8(static_cast<uint8_t>(c.priv_));
  for (uint64_t f : c.f_) w.u64(f);
  w.u32(c.fcsr_);
  for (const CsrField& f : kCsrFields) w.u64(c.*f.field);
  for (uint64_t a : c.pmpaddr_) w.u64(a);
  for (uint64_t cfg : c.pmpcfg_) w.u64(cfg);
  w.u64(c.mcountinhibit_);
  w.u64(c.retired_);
  w.u64(c.traps_);
  w.u64(c.instret_offset_);
  w.u64(c.cycle_offset_);
  w.u64(c.instret_frozen_);
  w.u64(c.cycle_frozen_);
  w.u64(c.mip_lines_);
  w.u64(c.mip_soft_);
  w.boolean(c.sbi_timer_);
  w.boolean(c.stimer_level_);
  w.boolean(c.wfi_);
  // Without a reservation its size and address mean nothing: saved as zeros.
  w.boolean(c.resv_valid_);
  w.u8(c.resv_valid_ ? static_cast<uint8_t>(c.resv_size_) : 0);
  w.u64(c.resv_valid_ ? c.resv_addr_ : 0);
}

void Cpu::load_state(StateReader& r) {
  Impl& c = *impl_;
  assert(!c.running_ && "Cpu::load_state inside run()");
  uint64_t x[32] = {};
  for (unsigned i = 1; i < 32; ++i) x[i] = r.u64();
  const uint64_t pc = r.u64();
  const uint8_t priv = r.u8();
  uint64_t f[32];
  for (uint64_t& v : f) v = r.u64();
  const uint32_t fcsr = r.u32();
  uint64_t csrs[std::size(kCsrFields)];
  for (uint64_t& v : csrs) v = r.u64();
  uint64_t pmpaddr[sizeof(CpuState::pmpaddr_) / 8], pmpcfg[sizeof(CpuState::pmpcfg_) / 8];
  for (uint64_t& v : pmpaddr) v = r.u64();
  for (uint64_t& v : pmpcfg) v = r.u64();
  const uint64_t mcountinhibit = r.u64();
  const uint64_t retired = r.u64(), traps = r.u64();
  const uint64_t instret_offset = r.u64(), cycle_offset = r.u64();
  const uint64_t instret_frozen = r.u64(), cycle_frozen = r.u64();
  const uint64_t mip_lines = r.u64(), mip_soft = r.u64();
  const bool sbi_timer = r.boolean(), stimer_level = r.boolean(), wfi = r.boolean();
  const bool resv_valid = r.boolean();
  const uint8_t resv_size = r.u8();
  const uint64_t resv_addr = r.u64();
  if (!r.ok()) return;

  const bool has_s = c.misa_ & misa_extension('S');
  if (priv != 0 && priv != 3 && !(priv == 1 && has_s)) r.fail("bad privilege level");
  if (pc & 1) r.fail("pc is odd");
  if (fcsr > 0xff) r.fail("fcsr has bits above frm");
  if (resv_valid ? (resv_size != 4 && resv_size != 8) : (resv_size != 0 || resv_addr != 0)) {
    r.fail("bad reservation");
  }
  if (!r.ok()) return;

  // The CSRs through their WARL rules, at M-mode, then the privilege.
  c.priv_ = PrivLevel::Machine;
  auto restore = [&](uint16_t csr, uint64_t& field, uint64_t value, const char* what) {
    if (!c.csr_exists(csr)) {
      if (value != field) r.fail(std::string(what) + " is set on a hart without it");
      return;
    }
    c.csr_write(csr, value);
    if (field != value) r.fail(std::string(what) + " holds a value the hart cannot hold");
  };
  for (size_t i = 0; i < std::size(kCsrFields); ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "CSR 0x%03x", kCsrFields[i].csr);
    restore(kCsrFields[i].csr, c.*kCsrFields[i].field, csrs[i], name);
  }
  for (unsigned i = 0; i < std::size(pmpaddr); ++i) {
    restore(static_cast<uint16_t>(kCsrPmpaddr0 + i), c.pmpaddr_[i], pmpaddr[i], "a pmpaddr");
  }
  for (unsigned i = 0; i < std::size(pmpcfg); ++i) {
    restore(static_cast<uint16_t>(kCsrPmpcfg0 + 2 * i), c.pmpcfg_[i], pmpcfg[i], "a pmpcfg");
  }
  restore(kCsrMcountinhibit, c.mcountinhibit_, mcountinhibit, "mcountinhibit");
  if (c.csr_exists(kCsrFcsr)) {
    c.fcsr_ = fcsr;
  } else if (fcsr != 0) {
    r.fail("fcsr is set on a hart without F");
  }
  if (!r.ok()) return;

  std::copy(std::begin(x), std::end(x), c.x_);
  std::copy(std::begin(f), std::end(f), c.f_);
  c.pc_ = pc;
  c.priv_ = static_cast<PrivLevel>(priv);
  c.retired_ = c.run_base_ = retired;
  c.run_budget_ = c.budget_left_ = 0;
  c.traps_ = traps;
  c.instret_offset_ = instret_offset;
  c.cycle_offset_ = cycle_offset;
  c.instret_frozen_ = instret_frozen;
  c.cycle_frozen_ = cycle_frozen;
  c.mip_lines_ = mip_lines;
  c.mip_soft_ = mip_soft;
  c.sbi_timer_ = sbi_timer;
  c.stimer_level_ = stimer_level;
  c.wfi_ = wfi;
  c.resv_valid_ = resv_valid;
  c.resv_size_ = resv_valid ? resv_size : 0;
  c.resv_addr_ = resv_valid ? resv_addr : 0;
  c.stop_requested_ = c.force_uncached_ = false;
  c.flush_tlb();
  c.mmu_update();
  c.flush_pending_ = true;
  c.event_ = true;
  c.update_mip();
  c.update_irq();
  c.notify_timer_compare();
}

}  // namespace glassvm
