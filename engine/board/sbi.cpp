#include "engine/board/sbi.h"

#include <algorithm>
#include <array>

#include "engine/cpu/csr.h"

namespace glassvm {

using namespace sbi;

namespace {

constexpr unsigned kA0 = 10, kA1 = 11, kA6 = 16, kA7 = 17;

// Function ids (SBI v2.0).
enum : uint64_t {
  kBaseGetSpecVersion = 0,
  kBaseGetImplId = 1,
  kBaseGetImplVersion = 2,
  kBaseProbeExtension = 3,
  kBaseGetMvendorid = 4,
  kBaseGetMarchid = 5,
  kBaseGetMimpid = 6,
};
enum : uint64_t { kHsmHartStart = 0, kHsmHartStop = 1, kHsmHartGetStatus = 2, kHsmHartSuspend = 3 };
enum : uint64_t { kDbcnWrite = 0, kDbcnRead = 1, kDbcnWriteByte = 2 };
enum : uint64_t { kRfenceFenceI = 0, kRfenceSfenceVma = 1, kRfenceSfenceVmaAsid = 2 };
/// hart_suspend types (SBI v2.0, table 28): 0 retentive, 0x80000000 non-retentive.
constexpr uint64_t kSuspendRetentive = 0, kSuspendNonRetentive = 0x80000000;
constexpr uint64_t kSstatusSIE = uint64_t{1} << 1;

/// DBCN moves at most this much per call: the spec lets it move fewer bytes than asked, and
/// the caller loops.
constexpr uint64_t kDbcnChunk = 4096;

}  // namespace

Sbi::Sbi(Cpu& cpu, AddressSpace& memory, SbiPlatform platform)
    : cpu_(cpu), memory_(memory), platform_(std::move(platform)) {}

void Sbi::attach() {
  cpu_.set_ecall_hook([this](Cpu& cpu) { return handle_ecall(cpu); });
}

void Sbi::detach() {
  cpu_.set_ecall_hook(nullptr);
}

void Sbi::reset() {
  timer_compare_ = UINT64_MAX;
  cpu_.set_interrupt_pending(kIrqSTimer, false);
}

bool Sbi::probe(uint64_t eid) {
  switch (eid) {
    case kEidLegacySetTimer:
    case kEidLegacyPutchar:
    case kEidLegacyGetchar:
    case kEidLegacyClearIpi:
    case kEidLegacySendIpi:
    case kEidLegacyRemoteFenceI:
    case kEidLegacyRemoteSfenceVma:
    case kEidLegacyRemoteSfenceVmaAsid:
    case kEidLegacyShutdown:
    case kEidBase:
    case kEidTime:
    case kEidIpi:
    case kEidRfence:
    case kEidHsm:
    case kEidSrst:
    case kEidDbcn: return true;
    default: return false;
  }
}

bool Sbi::handle_ecall(Cpu& cpu) {
  const uint64_t eid = cpu.reg(kA7), fid = cpu.reg(kA6);
  const uint64_t a0 = cpu.reg(kA0), a1 = cpu.reg(kA1), a2 = cpu.reg(12);
  if (eid <= kEidLegacyShutdown) return legacy(eid, cpu);
  Ret r{kErrNotSupported, 0};
  switch (eid) {
    case kEidBase: r = base(fid, a0); break;
    case kEidTime:
      if (fid == 0) {
        set_timer(a0);
        r = {};
      }
      break;
    case kEidIpi:
      if (fid == 0) {
        bool hart0 = false;
        r.error = mask_valid(a0, a1, hart0) ? kSuccess : kErrInvalidParam;
        if (r.error == kSuccess && hart0) raise_ssip();
      }
      break;
    case kEidRfence: r = rfence(fid, a0, a1); break;
    case kEidHsm: r = hsm(fid, a0, a1, a2); break;
    case kEidSrst: r = srst(fid, a0, a1); break;
    case kEidDbcn: r = dbcn(fid, a0, a1, a2); break;
    default: break;
  }
  if (!r.resumed_elsewhere) {
    cpu.set_reg(kA0, static_cast<uint64_t>(r.error));
    cpu.set_reg(kA1, r.value);
  }
  return true;
}

Sbi::Ret Sbi::base(uint64_t fid, uint64_t a0) {
  uint64_t v = 0;
  switch (fid) {
    case kBaseGetSpecVersion: return {kSuccess, kSpecVersion};
    case kBaseGetImplId: return {kSuccess, kImplId};
    case kBaseGetImplVersion: return {kSuccess, kImplVersion};
    case kBaseProbeExtension: return {kSuccess, probe(a0) ? 1u : 0u};
    case kBaseGetMvendorid: cpu_.peek_csr(kCsrMvendorid, v); return {kSuccess, v};
    case kBaseGetMarchid: cpu_.peek_csr(kCsrMarchid, v); return {kSuccess, v};
    case kBaseGetMimpid: cpu_.peek_csr(kCsrMimpid, v); return {kSuccess, v};
    default: return {kErrNotSupported, 0};
  }
}

bool Sbi::mask_valid(uint64_t mask, uint64_t base, bool& selects_hart0) {
  // hart_mask_base == -1 means every hart (the mask is ignored); otherwise bit i of the mask
  // names hart base + i, and naming a hart that does not exist is an invalid parameter.
  if (base == UINT64_MAX) {
    selects_hart0 = true;
    return true;
  }
  if (mask == 0) {
    selects_hart0 = false;
    return true;
  }
  selects_hart0 = base == 0 && (mask & 1);
  return base == 0 && mask == 1;
}

void Sbi::raise_ssip() {
  // mip.SSIP is a software bit (no line drives it here), so the S-mode kernel can clear it
  // through sip. Nothing else sets mip's software bits on this board: STIP comes from the
  // timer line and SEIP from the PLIC's, so writing SSIP alone loses nothing.
  cpu_.poke_csr(kCsrMip, uint64_t{1} << kIrqSSoft);
}

Sbi::Ret Sbi::rfence(uint64_t fid, uint64_t mask, uint64_t base) {
  bool hart0 = false;
  switch (fid) {
    case kRfenceFenceI:
    case kRfenceSfenceVma:
    case kRfenceSfenceVmaAsid: break;
    default: return {kErrNotSupported, 0};  // the HFENCE calls: the hart has no H extension
  }
  if (!mask_valid(mask, base, hart0)) return {kErrInvalidParam, 0};
  // FENCE.I needs nothing: the hart's decoded code follows every store (engine/cpu/cpu.h).
  // SFENCE.VMA: a whole flush is correct for any address range or ASID, if not the cheapest.
  if (hart0 && fid != kRfenceFenceI) cpu_.flush_tlb();
  return {};
}

Sbi::Ret Sbi::hsm(uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2) {
  switch (fid) {
    case kHsmHartStart:
      // The only hart runs already (it is the caller).
      return {a0 == 0 ? kErrAlreadyAvailable : kErrInvalidParam, 0};
    case kHsmHartStop:
      // Stopping the last hart would leave nothing running: refuse, as OpenSBI does for a
      // hart it cannot stop.
      return {kErrFailed, 0};
    case kHsmHartGetStatus: return a0 == 0 ? Ret{kSuccess, kHartStarted} : Ret{kErrInvalidParam, 0};
    case kHsmHartSuspend: return hart_suspend(a0, a1, a2);
    default: return {kErrNotSupported, 0};
  }
}

Sbi::Ret Sbi::hart_suspend(uint64_t type, uint64_t resume_addr, uint64_t opaque) {
  if ((type >= 1 && type < 0x10000000) || (type > kSuspendNonRetentive && type < 0x90000000) ||
      type > 0xFFFFFFFF)
    return {kErrInvalidParam, 0};  // reserved types
  if (type != kSuspendRetentive && type != kSuspendNonRetentive)
    return {kErrNotSupported, 0};  // platform-specific types: this platform defines none
  // Both default types wait as WFI does (Cpu::wait_for_interrupt): until an interrupt is
  // pending and enabled in sie, whatever sstatus.SIE says (SBI v2.0, 9.4), so the board skips
  // idle time to the next timer instead of spinning. Retentive: the call then returns.
  if (type == kSuspendRetentive) {
    cpu_.wait_for_interrupt();
    return {};
  }
  // Non-retentive: the hart's state is lost and it wakes at resume_addr in S-mode with
  // satp = 0, sstatus.SIE = 0, a0 = hartid and a1 = opaque. The address must be memory the
  // hart can execute from (OpenSBI checks the domain's execute permission).
  RamSpan span;
  if (!memory_.lookup_ram(resume_addr, span)) return {kErrInvalidAddress, 0};
  if (cpu_.priv() != PrivLevel::Supervisor) return {kErrFailed, 0};  // no way into S from here
  uint64_t sstatus = 0;
  cpu_.peek_csr(kCsrSstatus, sstatus);
  cpu_.poke_csr(kCsrSstatus, sstatus & ~kSstatusSIE);
  cpu_.poke_csr(kCsrSatp, 0);
  cpu_.set_reg(kA0, cpu_.hartid());
  cpu_.set_reg(kA1, opaque);
  cpu_.set_ecall_return(resume_addr);
  cpu_.wait_for_interrupt();
  return {kSuccess, 0, true};
}

Sbi::Ret Sbi::srst(uint64_t fid, uint64_t type, uint64_t reason) {
  if (fid != 0) return {kErrNotSupported, 0};
  if (type > kResetWarmReboot && type < 0xF0000000) return {kErrInvalidParam, 0};
  if (reason > kReasonSystemFailure && reason < 0xE0000000) return {kErrInvalidParam, 0};
  if (type > kResetWarmReboot) return {kErrNotSupported, 0};  // vendor-specific types
  if (type == kResetShutdown) {
    platform_.shutdown(reason == kReasonNone ? 0 : 1);
  } else {
    platform_.reboot();
  }
  // The board stops the hart at the next instruction boundary; a0 is what it would see if the
  // embedder resumed it anyway.
  return {};
}

Sbi::Ret Sbi::dbcn(uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2) {
  if (fid == kDbcnWriteByte) {
    const uint8_t byte = static_cast<uint8_t>(a0);
    platform_.console_write({&byte, 1});
    return {};
  }
  if (fid != kDbcnWrite && fid != kDbcnRead) return {kErrNotSupported, 0};
  // base_addr_hi (a2) holds the upper bits on RV32 only; on RV64 the address is a1 alone and a
  // non-zero a2 names memory beyond the address space.
  if (a2 != 0) return {kErrInvalidParam, 0};
  const size_t n = static_cast<size_t>(std::min(a0, kDbcnChunk));
  std::array<uint8_t, kDbcnChunk> buf;
  if (fid == kDbcnWrite) {
    if (memory_.read(a1, buf.data(), n) != MemTxResult::Ok) return {kErrInvalidParam, 0};
    platform_.console_write({buf.data(), n});
    return {kSuccess, n};
  }
  const size_t got = platform_.console_read({buf.data(), n});
  if (got > 0 && memory_.write(a1, buf.data(), got) != MemTxResult::Ok)
    return {kErrInvalidParam, 0};
  return {kSuccess, got};
}

bool Sbi::legacy(uint64_t eid, Cpu& cpu) {
  // Legacy calls (SBI v0.1) return one value in a0 and leave a1 alone.
  const uint64_t a0 = cpu.reg(kA0);
  int64_t ret = 0;
  switch (eid) {
    case kEidLegacySetTimer: set_timer(a0); break;
    case kEidLegacyPutchar: {
      const uint8_t byte = static_cast<uint8_t>(a0);
      platform_.console_write({&byte, 1});
      break;
    }
    case kEidLegacyGetchar: {
      uint8_t byte = 0;
      ret = platform_.console_read({&byte, 1}) == 1 ? byte : -1;
      break;
    }
    case kEidLegacyClearIpi: cpu_.poke_csr(kCsrMip, 0); break;
    case kEidLegacySendIpi:
      // a0 is the virtual address of a hart mask; with one hart any non-empty mask is hart 0.
      raise_ssip();
      break;
    case kEidLegacyRemoteFenceI: break;
    case kEidLegacyRemoteSfenceVma:
    case kEidLegacyRemoteSfenceVmaAsid: cpu_.flush_tlb(); break;
    case kEidLegacyShutdown: platform_.shutdown(0); break;
    default: ret = kErrNotSupported; break;
  }
  cpu.set_reg(kA0, static_cast<uint64_t>(ret));
  return true;
}

void Sbi::set_timer(uint64_t compare) {
  timer_compare_ = compare;
  cpu_.set_supervisor_timer(compare);
}

}  // namespace glassvm
