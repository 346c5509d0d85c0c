// The IOMMU panel's state views (see iommu_state_view.h) over the models' debug introspection:
// RiscvIommu::debug_context/debug_walk/debug_mappings/iotlb_holds/fault_history and
// VirtioIommu::endpoints/domains/mappings/fault_history, plus each endpoint region's lookup().
//
// Design note: the UI reaches the models by dynamic_cast of the machine's IommuProvider to the
// two board devices (the ui library links glassvm_iommu), rather than by widening
// IommuProvider: the engine's interface stays what the board needs, and what a panel shows of
// a RISC-V IOMMU (directory entries, PSCIDs) has no virtio-iommu counterpart anyway. The
// devices' dma_masters() give the device ids and the names of their address spaces. Every
// field is decoded with the constants of iommu/riscv_iommu_regs.h; causes and transaction
// types are named as the specification's tables (3.2) name them.
#include "ui/iommu_state_view.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "engine/board/machine.h"
#include "iommu/iommu_trace.h"
#include "iommu/riscv_iommu_device.h"
#include "iommu/virtio_iommu_device.h"
#include "ui/json_internal.h"
#include "ui/text_internal.h"
#include "ui/translation_view.h"

namespace glassvm::ui {

using namespace riscv_iommu;

namespace {

/// Table entries one mapping enumeration may read (a looping table ends here).
constexpr uint64_t kMappingMaxReads = uint64_t{1} << 18;

RiscvIommuDevice* riscv_of(Machine& m) {
  return dynamic_cast<RiscvIommuDevice*>(m.iommu());
}
VirtioIommuDevice* virtio_of(Machine& m) {
  return dynamic_cast<VirtioIommuDevice*>(m.iommu());
}

/// The device ids behind the IOMMU with their address spaces' names, by id.
std::vector<std::pair<uint32_t, std::string>> masters(Machine& m) {
  std::vector<std::pair<uint32_t, const AddressSpace*>> list;
  if (RiscvIommuDevice* r = riscv_of(m)) list = r->dma_masters();
  if (VirtioIommuDevice* v = virtio_of(m)) list = v->dma_masters();
  std::vector<std::pair<uint32_t, std::string>> out;
  for (const auto& [id, as] : list) out.emplace_back(id, as->name());
  std::sort(out.begin(), out.end());
  return out;
}

/// The RISC-V IOMMU fault causes (3.2, "Fault queue record CAUSE").
std::string riscv_cause_text(uint32_t cause) {
  switch (cause) {
    case 0: return "instruction address misaligned";
    case 1: return "instruction access fault";
    case 4: return "read address misaligned";
    case kCauseReadAccessFault: return "read access fault";
    case 6: return "write/AMO address misaligned";
    case kCauseWriteAccessFault: return "write/AMO access fault";
    case 12: return "instruction page fault";
    case kCauseReadPageFault: return "read page fault";
    case kCauseWritePageFault: return "write/AMO page fault";
    case 20: return "instruction guest-page fault";
    case 21: return "read guest-page fault";
    case 23: return "write/AMO guest-page fault";
    case kCauseAllInboundDisallowed: return "all inbound transactions disallowed";
    case kCauseDdtLoadAccessFault: return "DDT entry load access fault";
    case kCauseDdtNotValid: return "DDT entry not valid";
    case kCauseDdtMisconfigured: return "DDT entry misconfigured";
    case kCauseTransactionTypeDisallowed: return "transaction type disallowed";
    case 261: return "MSI PTE load access fault";
    case 262: return "MSI PTE not valid";
    case 263: return "MSI PTE misconfigured";
    case 264: return "MRIF access fault";
    case 265: return "PDT entry load access fault";
    case 266: return "PDT entry not valid";
    case 267: return "PDT entry misconfigured";
    case 268: return "DDT data corruption";
    case 269: return "PDT data corruption";
    case 270: return "MSI PT data corruption";
    case 271: return "MSI MRIF data corruption";
    case 272: return "internal datapath error";
    case 273: return "IOMMU MSI write access fault";
    case 274: return "first/second-stage PT data corruption";
    default: return "cause " + std::to_string(cause);
  }
}

/// The RISC-V IOMMU transaction types (3.2, "Fault queue record TTYP").
std::string ttyp_text(uint32_t ttyp) {
  switch (ttyp) {
    case kTtypNone: return "none";
    case 1: return "untranslated read for execute";
    case kTtypUntranslatedRead: return "untranslated read";
    case kTtypUntranslatedWrite: return "untranslated write/AMO";
    case 5: return "translated read for execute";
    case 6: return "translated read";
    case 7: return "translated write/AMO";
    case kTtypAtsTranslationRequest: return "PCIe ATS translation request";
    case 9: return "PCIe message request";
    default: return "TTYP " + std::to_string(ttyp);
  }
}

const char* ddtp_mode_name(uint64_t mode) {
  switch (mode) {
    case kModeOff: return "Off";
    case kModeBare: return "Bare";
    case kMode1Lvl: return "1LVL";
    case kMode2Lvl: return "2LVL";
    case kMode3Lvl: return "3LVL";
    default: return "reserved";
  }
}

/// iosatp modes (fsc with PDTV = 0); with `pdtv` the pdtp modes.
std::string fsc_mode_name(uint64_t mode, bool pdtv) {
  if (pdtv) {
    static const char* const kPd[] = {"Bare", "PD8", "PD17", "PD20"};
    return mode < 4 ? kPd[mode] : "reserved " + std::to_string(mode);
  }
  switch (mode) {
    case kSatpBare: return "Bare";
    case kSatpSv39: return "Sv39";
    case kSatpSv48: return "Sv48";
    case kSatpSv57: return "Sv57";
    default: return "reserved " + std::to_string(mode);
  }
}

std::string iohgatp_mode_name(uint64_t mode) {
  switch (mode) {
    case 0: return "Bare";
    case 8: return "Sv39x4";
    case 9: return "Sv48x4";
    case 10: return "Sv57x4";
    default: return "reserved " + std::to_string(mode);
  }
}

/// The names of the bits of `value` that `names` lists, joined by "|", or "none".
std::string bit_names(uint64_t value,
                      std::initializer_list<std::pair<uint64_t, const char*>> names) {
  std::string out;
  for (const auto& [mask, name] : names) {
    if (!(value & mask)) continue;
    if (!out.empty()) out += '|';
    out += name;
  }
  return out.empty() ? "none" : out;
}

/// The flags of a device context's tc (2.1.2), each in words for set and clear.
struct TcBit {
  uint64_t mask;
  const char* name;
  const char* set;
  const char* clear;
};
constexpr TcBit kTcBits[] = {
    {DC_TC_V, "tc.V", "valid", "not valid"},
    {DC_TC_EN_ATS, "tc.EN_ATS", "ATS enabled", "ATS disabled"},
    {DC_TC_EN_PRI, "tc.EN_PRI", "page requests enabled", "page requests disabled"},
    {DC_TC_T2GPA, "tc.T2GPA", "ATS answers with guest-physical addresses", "off"},
    {DC_TC_DTF, "tc.DTF", "faults past the context are not reported", "faults reported"},
    {DC_TC_PDTV, "tc.PDTV", "fsc holds a process directory (pdtp)", "fsc holds iosatp"},
    {DC_TC_PRPR, "tc.PRPR", "page-request responses carry the PASID", "off"},
    {DC_TC_GADE, "tc.GADE", "second stage updates A/D", "off"},
    {DC_TC_SADE, "tc.SADE", "first stage updates A/D", "off"},
    {DC_TC_DPE, "tc.DPE", "default process id 0 when none", "off"},
    {DC_TC_SBE, "tc.SBE", "big-endian tables", "little-endian tables"},
    {DC_TC_SXL, "tc.SXL", "32-bit (Sv32) first stage", "64-bit first stage"},
};

std::vector<IommuField> context_fields(const RiscvIommu::ContextWalk& c) {
  std::vector<IommuField> f;
  for (const TcBit& b : kTcBits) {
    const bool on = (c.tc & b.mask) != 0;
    f.push_back({b.name, on ? 1u : 0u, on ? b.set : b.clear});
  }
  const uint64_t gmode = get_field(c.iohgatp, ATP_MODE);
  f.push_back(
      {"iohgatp.MODE", gmode, iohgatp_mode_name(gmode) + (gmode == 0 ? " (no second stage)" : "")});
  f.push_back({"iohgatp.GSCID", get_field(c.iohgatp, IOHGATP_GSCID), "guest soft-context id"});
  f.push_back({"iohgatp.PPN", get_field(c.iohgatp, ATP_PPN),
               "root at " + hex(get_field(c.iohgatp, ATP_PPN) << 12)});
  f.push_back({"ta.PSCID", get_field(c.ta, DC_TA_PSCID), "process soft-context id (IOTLB tag)"});
  const bool pdtv = (c.tc & DC_TC_PDTV) != 0;
  const uint64_t mode = get_field(c.fsc, ATP_MODE);
  f.push_back({"fsc.MODE", mode, fsc_mode_name(mode, pdtv)});
  f.push_back({"fsc.PPN", get_field(c.fsc, ATP_PPN),
               std::string(pdtv ? "process directory" : "root table") + " at " +
                   hex(get_field(c.fsc, ATP_PPN) << 12)});
  return f;
}

/// One line for a RISC-V IOMMU device context.
std::string context_summary(const RiscvIommu::ContextWalk& c) {
  if (c.ddtp_mode == kModeOff) return "ddtp Off: every DMA is refused";
  if (c.ddtp_mode == kModeBare) return "ddtp Bare: DMA is not translated";
  if (c.cause != 0) return riscv_cause_text(c.cause);
  const bool pdtv = (c.tc & DC_TC_PDTV) != 0;
  const uint64_t mode = get_field(c.fsc, ATP_MODE);
  std::string s = fsc_mode_name(mode, pdtv);
  if (!pdtv && mode == kSatpBare) s += ": DMA is not translated";
  if (!pdtv && mode != kSatpBare) {
    s += ", PSCID " + std::to_string(get_field(c.ta, DC_TA_PSCID)) + ", root " +
         hex(get_field(c.fsc, ATP_PPN) << 12);
  }
  if (c.tc & DC_TC_EN_ATS) s += ", ATS";
  if (c.tc & DC_TC_DTF) s += ", DTF";
  return s;
}

std::vector<IommuField> riscv_registers(const RiscvIommu& io) {
  std::vector<IommuField> r;
  const uint64_t caps = io.peek_register(CAPABILITIES);
  std::string cap_text = "version " + std::to_string(get_field(caps, CAP_VERSION) >> 4) + "." +
                         std::to_string(get_field(caps, CAP_VERSION) & 15) + ", " +
                         bit_names(caps, {{CAP_SV39, "Sv39"},
                                          {CAP_SV48, "Sv48"},
                                          {CAP_SV57, "Sv57"},
                                          {CAP_SV39X4, "Sv39x4"},
                                          {CAP_AMO_HWAD, "AMO_HWAD"},
                                          {CAP_ATS, "ATS"},
                                          {CAP_T2GPA, "T2GPA"},
                                          {CAP_HPM, "HPM"},
                                          {CAP_DBG, "DBG"},
                                          {CAP_PD8, "PD8"}}) +
                         ", IGS " +
                         (get_field(caps, CAP_IGS) == CAP_IGS_WSI   ? "WSI"
                          : get_field(caps, CAP_IGS) == CAP_IGS_MSI ? "MSI"
                                                                    : "MSI+WSI") +
                         ", PAS " + std::to_string(get_field(caps, CAP_PAS)) + " bits";
  r.push_back({"capabilities", caps, cap_text});
  r.push_back(
      {"fctl", io.peek_register(FCTL),
       bit_names(io.peek_register(FCTL), {{FCTL_BE, "BE"}, {FCTL_WSI, "WSI"}, {FCTL_GXL, "GXL"}})});
  const uint64_t ddtp = io.peek_register(DDTP);
  const uint64_t mode = get_field(ddtp, DDTP_MODE);
  r.push_back(
      {"ddtp", ddtp,
       std::string("mode ") + ddtp_mode_name(mode) +
           (mode >= kMode1Lvl ? ", directory at " + hex(get_field(ddtp, DDTP_PPN) << 12) : "")});
  auto queue = [&](const char* name, uint64_t off) {
    const uint64_t qb = io.peek_register(off);
    r.push_back({name, qb,
                 std::to_string(uint64_t{1} << (get_field(qb, QB_LOG2SZ_1) + 1)) + " entries at " +
                     hex(get_field(qb, QB_PPN) << 12)});
  };
  queue("cqb", CQB);
  r.push_back({"cqh", io.peek_register(CQH), "next command the IOMMU reads"});
  r.push_back({"cqt", io.peek_register(CQT), "where software writes the next command"});
  queue("fqb", FQB);
  r.push_back({"fqh", io.peek_register(FQH), "next record software reads"});
  r.push_back({"fqt", io.peek_register(FQT), "where the IOMMU writes the next record"});
  const uint64_t cqcsr = io.peek_register(CQCSR);
  r.push_back({"cqcsr", cqcsr,
               bit_names(cqcsr, {{QCSR_EN, "cqen"},
                                 {QCSR_IE, "cie"},
                                 {QCSR_MF, "cqmf"},
                                 {CQCSR_CMD_TO, "cmd_to"},
                                 {CQCSR_CMD_ILL, "cmd_ill"},
                                 {CQCSR_FENCE_W_IP, "fence_w_ip"},
                                 {QCSR_ON, "cqon"},
                                 {QCSR_BUSY, "busy"}})});
  const uint64_t fqcsr = io.peek_register(FQCSR);
  r.push_back({"fqcsr", fqcsr,
               bit_names(fqcsr, {{QCSR_EN, "fqen"},
                                 {QCSR_IE, "fie"},
                                 {QCSR_MF, "fqmf"},
                                 {QCSR_OF, "fqof"},
                                 {QCSR_ON, "fqon"},
                                 {QCSR_BUSY, "busy"}})});
  const uint64_t ipsr = io.peek_register(IPSR);
  r.push_back(
      {"ipsr", ipsr,
       bit_names(ipsr,
                 {{IPSR_CIP, "cip"}, {IPSR_FIP, "fip"}, {IPSR_PMIP, "pmip"}, {IPSR_PIP, "pip"}})});
  const uint64_t icvec = io.peek_register(ICVEC);
  r.push_back({"icvec", icvec,
               "commands -> vector " + std::to_string(get_field(icvec, ICVEC_CIV)) +
                   ", faults -> vector " + std::to_string(get_field(icvec, ICVEC_FIV))});
  return r;
}

/// virtio-iommu fault reasons and flags (5.13.6, Fault reporting).
std::string virtio_reason_text(uint8_t reason) {
  switch (reason) {
    case VirtioIommu::kFaultRDomain: return "DOMAIN: the endpoint is not attached to a domain";
    case VirtioIommu::kFaultRMapping: return "MAPPING: no mapping, or it lacks the permission";
    default: return "UNKNOWN";
  }
}
std::string virtio_flags_text(uint32_t flags) {
  return bit_names(flags, {{VirtioIommu::kFaultFRead, "read"},
                           {VirtioIommu::kFaultFWrite, "write"},
                           {VirtioIommu::kFaultFAddress, "address valid"}});
}

std::string virtio_endpoint_summary(const VirtioIommu::EndpointInfo& e,
                                    const std::vector<VirtioIommu::DomainInfo>& domains) {
  if (e.domain) {
    for (const VirtioIommu::DomainInfo& d : domains) {
      if (d.id != *e.domain) continue;
      if (d.bypass) return "domain " + std::to_string(d.id) + " (bypass): not translated";
      return "domain " + std::to_string(d.id) + ", " + std::to_string(d.mappings) + " mapping(s)";
    }
  }
  if (e.identity) return "not attached, bypass 1: not translated";
  return "not attached, bypass 0: every DMA faults";
}

std::string perm_text(IommuAccessFlags perm) {
  return iommu_perm_name(perm);
}

void append_field(std::string& out, const IommuField& f) {
  out += "{\"name\":";
  json_append_string(out, f.name);
  out += ",\"value\":\"" + hex64(f.value) + "\",\"meaning\":";
  json_append_string(out, f.meaning);
  out += '}';
}

void append_fields(std::string& out, const std::vector<IommuField>& fields) {
  out += '[';
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    append_field(out, fields[i]);
  }
  out += ']';
}

// -- The IOVA walk, one step at a time ------------------------------------------------------

/// What a RISC-V IOMMU walk step is, in words; `fault_cause` (not 0) marks the step the walk
/// stopped at.
IovaWalkStep riscv_step(const RiscvIommu::WalkStep& s, uint32_t fault_cause) {
  using Kind = RiscvIommu::WalkStep::Kind;
  IovaWalkStep out;
  out.addr = s.addr;
  out.value = s.value;
  switch (s.kind) {
    case Kind::Ddtp: {
      const uint64_t mode = get_field(s.value, DDTP_MODE);
      out.what = "ddtp";
      out.meaning = std::string("mode ") + ddtp_mode_name(mode);
      if (mode >= kMode1Lvl)
        out.meaning += ", directory at " + hex(get_field(s.value, DDTP_PPN) << 12);
      break;
    }
    case Kind::DdtEntry:
      out.what = "DDT level " + std::to_string(s.index);
      out.meaning = !(s.value & DDTE_V) ? "not valid"
                    : (s.value & DDTE_RESERVED)
                        ? "reserved bits set"
                        : "valid: next level at " + hex(get_field(s.value, DDTE_PPN) << 12);
      break;
    case Kind::ContextWord: {
      static const char* const kWords[] = {"tc", "iohgatp", "ta", "fsc"};
      out.what = std::string("device context ") + kWords[s.index & 3];
      if (s.index == 0) {
        std::string on;
        for (const TcBit& b : kTcBits)
          if (s.value & b.mask) on += (on.empty() ? "" : "|") + std::string(b.name + 3);
        out.meaning = on.empty() ? "no flags (not valid)" : on;
      } else if (s.index == 1) {
        out.meaning = iohgatp_mode_name(get_field(s.value, ATP_MODE));
      } else if (s.index == 2) {
        out.meaning = "PSCID " + std::to_string(get_field(s.value, DC_TA_PSCID));
      } else {
        out.meaning = fsc_mode_name(get_field(s.value, ATP_MODE), false) + ", root at " +
                      hex(get_field(s.value, ATP_PPN) << 12);
      }
      break;
    }
    case Kind::Pte: {
      out.what = "PTE level " + std::to_string(s.index);
      out.bits = pte_bits(s.value);
      const uint64_t target = get_field(s.value, PTE_PPN) << 12;
      if (!(s.value & PTE_V)) {
        out.meaning = "not valid";
      } else if (s.value & (PTE_R | PTE_X)) {
        out.meaning =
            "leaf: a " +
            std::string((s.value & PTE_N) ? "64 KiB (Svnapot)" : page_size(12 + 9 * s.index)) +
            " page at " + hex(target) + (s.index > 0 ? " (a superpage)" : "");
      } else {
        out.meaning =
            "pointer to the level " + std::to_string(s.index - 1) + " table at " + hex(target);
      }
      break;
    }
  }
  if (fault_cause != 0) out.meaning += "; the walk stops here: " + riscv_cause_text(fault_cause);
  return out;
}

/// What a successful walk ends in: "4 KiB page", "64 KiB Svnapot page", "untranslated".
std::string leaf_text(const RiscvIommu::IovaWalk& w) {
  if (w.identity) return "untranslated";
  if (w.napot) return "64 KiB Svnapot page";
  return page_size(static_cast<unsigned>(std::countr_zero(w.page_mask + 1))) + " page";
}

IovaWalkView riscv_walk(const RiscvIommu& io, IovaWalkView v) {
  const RiscvIommu::IovaWalk w = io.debug_walk(v.device, v.iova, v.access);
  const RiscvIommu::ContextWalk& c = w.context;
  v.heading = "device " + std::to_string(v.device) + ", " +
              (v.access & kIommuWrite ? "write" : "read") + " of " + hex(v.iova) + ": " +
              context_summary(c);
  if (c.ddtp_mode >= kMode1Lvl && c.cause == 0) v.iotlb_hit = io.iotlb_holds(v.device, v.iova);
  const size_t total = c.steps.size() + w.ptes.size();
  size_t i = 0;
  for (const auto* list : {&c.steps, &w.ptes}) {
    for (const RiscvIommu::WalkStep& s : *list) {
      ++i;
      v.steps.push_back(riscv_step(s, i == total && !w.ok ? w.cause : 0));
    }
  }
  v.ok = w.ok;
  v.perm = w.perm;
  if (w.ok) {
    v.pa = w.pa;
    v.page_size = w.identity ? 0 : (w.napot ? 0x10000 : w.page_mask + 1);
    v.result = hex(w.pa) + " (" + leaf_text(w) + ", " + perm_text(w.perm) + ")";
  } else {
    v.result = riscv_cause_text(w.cause) + " (cause " + std::to_string(w.cause) + ")" +
               (w.reported ? "" : "; tc.DTF is set, so no fault record would be written");
  }
  return v;
}

IovaWalkView virtio_walk(VirtioIommu& io, IovaWalkView v) {
  IommuMemoryRegion* region = io.endpoint(v.device);
  v.heading = "endpoint " + std::to_string(v.device) + ", " +
              (v.access & kIommuWrite ? "write" : "read") + " of " + hex(v.iova);
  if (region == nullptr) {
    v.result = "no such endpoint";
    return v;
  }
  const std::vector<VirtioIommu::DomainInfo> domains = io.domains();
  bool blocked = false;
  for (const VirtioIommu::EndpointInfo& e : io.endpoints()) {
    if (e.id != v.device) continue;
    blocked = e.blocked;
    v.heading += ": " + virtio_endpoint_summary(e, domains);
    v.steps.push_back({"endpoint", 0, e.id, "", virtio_endpoint_summary(e, domains)});
  }
  const IommuTlbEntry t = region->lookup(v.iova, 0);
  const bool hit = t.perm != kIommuNone;
  if (hit) {
    v.steps.push_back({"mapping", t.first(), t.translated_addr, "",
                       hex(t.first()) + "-" + hex(t.last()) + " -> " + hex(t.translated_addr) +
                           " " + perm_text(t.perm)});
  }
  v.perm = t.perm;
  v.ok = hit && (t.perm & v.access) == v.access;
  if (v.ok) {
    v.pa = t.translated_addr | (v.iova & t.addr_mask);
    v.page_size = t.addr_mask == ~uint64_t{0} ? 0 : t.addr_mask + 1;
    v.result = hex(v.pa) + " (" + perm_text(t.perm) + ")";
  } else {
    v.result = blocked ? virtio_reason_text(VirtioIommu::kFaultRDomain)
                       : virtio_reason_text(VirtioIommu::kFaultRMapping);
  }
  return v;
}

}  // namespace

std::optional<IommuAccessFlags> parse_iommu_access(std::string_view text) {
  if (text == "read" || text == "r") return kIommuRead;
  if (text == "write" || text == "w") return kIommuWrite;
  return std::nullopt;
}

IommuStateView iommu_state_view(Machine& machine) {
  IommuStateView v;
  if (RiscvIommuDevice* dev = riscv_of(machine)) {
    const RiscvIommu& io = dev->iommu();
    v.model = "riscv-iommu";
    v.registers = riscv_registers(io);
    for (const auto& [id, name] : masters(machine)) {
      const RiscvIommu::ContextWalk c = io.debug_context(id);
      IommuContextView cv;
      cv.device = id;
      cv.name = name;
      cv.summary = context_summary(c);
      cv.context_addr = c.context_addr;
      if (c.ddtp_mode >= kMode1Lvl && c.context_addr != 0) cv.fields = context_fields(c);
      if (c.cause != 0) cv.error = riscv_cause_text(c.cause);
      v.contexts.push_back(std::move(cv));
    }
    for (const RiscvIommu::FaultRecord& f : io.fault_history()) {
      v.faults.push_back({f.seq, f.time_ns, f.did, f.cause, riscv_cause_text(f.cause),
                          ttyp_text(f.ttyp), f.iotval, f.iotval2, f.delivered});
    }
    v.faults_dropped = io.stats().faults_dropped;
  } else if (VirtioIommuDevice* dev = virtio_of(machine)) {
    VirtioIommu& io = dev->iommu();
    v.model = "virtio-iommu";
    const std::vector<VirtioIommu::DomainInfo> domains = io.domains();
    v.registers.push_back({"bypass", io.bypass() ? 1u : 0u,
                           io.bypass() ? "endpoints in no domain are not translated"
                                       : "endpoints in no domain fault"});
    v.registers.push_back({"features", io.features(), "negotiated feature bits"});
    v.registers.push_back({"domains", domains.size(), "domains with an endpoint attached"});
    v.registers.push_back({"mappings", io.mapping_count(), "mappings of all domains"});
    const std::vector<std::pair<uint32_t, std::string>> names = masters(machine);
    for (const VirtioIommu::EndpointInfo& e : io.endpoints()) {
      IommuContextView cv;
      cv.device = e.id;
      for (const auto& [id, name] : names)
        if (id == e.id) cv.name = name;
      cv.summary = virtio_endpoint_summary(e, domains);
      cv.fields.push_back(
          {"domain", e.domain.value_or(0),
           e.domain ? "attached to domain " + std::to_string(*e.domain) : "not attached"});
      cv.fields.push_back(
          {"bypass", e.identity ? 1u : 0u, e.identity ? "not translated" : "translated"});
      if (e.blocked) cv.error = virtio_reason_text(VirtioIommu::kFaultRDomain);
      v.contexts.push_back(std::move(cv));
    }
    for (const VirtioIommu::FaultRecord& f : io.fault_history()) {
      v.faults.push_back({f.seq, f.time_ns, f.fault.endpoint, f.fault.reason,
                          virtio_reason_text(f.fault.reason), virtio_flags_text(f.fault.flags),
                          f.fault.address, 0, f.delivered});
    }
    v.faults_dropped = io.faults_dropped();
  }
  return v;
}

std::vector<IommuMappingRow> iommu_mappings(Machine& machine, std::optional<uint32_t> device,
                                            size_t max_rows, bool* truncated) {
  std::vector<IommuMappingRow> rows;
  bool more = false;
  RiscvIommuDevice* rdev = riscv_of(machine);
  VirtioIommuDevice* vdev = virtio_of(machine);
  std::vector<VirtioIommu::EndpointInfo> endpoints;
  if (vdev) endpoints = vdev->iommu().endpoints();
  for (const auto& [id, name] : masters(machine)) {
    if (device && id != *device) continue;
    const size_t room = max_rows - rows.size();
    bool cut = false;
    if (rdev) {
      for (const IommuTlbEntry& e : rdev->iommu().debug_mappings(id, room, kMappingMaxReads, &cut))
        rows.push_back({id, e.first(), e.last(), e.translated_addr, e.perm, std::nullopt});
    } else if (vdev) {
      for (const VirtioIommu::EndpointInfo& e : endpoints) {
        if (e.id != id) continue;
        if (e.identity) {
          if (room == 0)
            cut = true;
          else
            rows.push_back({id, 0, ~uint64_t{0}, 0, kIommuRw, e.domain});
        } else if (e.domain) {
          for (const VirtioIommu::MappingInfo& m : vdev->iommu().mappings(e.domain, room, &cut))
            rows.push_back({id, m.first, m.last, m.phys, m.perm, m.domain});
        }
      }
    }
    if (cut) {
      more = true;
      break;
    }
  }
  if (truncated != nullptr) *truncated = more;
  return rows;
}

IovaWalkView iova_walk_view(Machine& machine, uint32_t device, uint64_t iova,
                            IommuAccessFlags access) {
  IovaWalkView v;
  v.device = device;
  v.iova = iova;
  v.access = access;
  if (RiscvIommuDevice* dev = riscv_of(machine)) {
    v.model = "riscv-iommu";
    return riscv_walk(dev->iommu(), std::move(v));
  }
  if (VirtioIommuDevice* dev = virtio_of(machine)) {
    v.model = "virtio-iommu";
    return virtio_walk(dev->iommu(), std::move(v));
  }
  v.heading = "no IOMMU";
  v.result = "this machine has no IOMMU";
  return v;
}

std::string iommu_state_json(Machine& machine) {
  const IommuStateView v = iommu_state_view(machine);
  std::string out = "{\"model\":";
  json_append_string(out, v.model);
  out += ",\"registers\":";
  append_fields(out, v.registers);
  out += ",\"contexts\":[";
  for (size_t i = 0; i < v.contexts.size(); ++i) {
    const IommuContextView& c = v.contexts[i];
    if (i) out += ',';
    out += "{\"device\":" + std::to_string(c.device) + ",\"name\":";
    json_append_string(out, c.name);
    out += ",\"summary\":";
    json_append_string(out, c.summary);
    out += ",\"contextAddr\":\"" + hex64(c.context_addr) + "\",\"fields\":";
    append_fields(out, c.fields);
    out += ",\"error\":";
    json_append_string(out, c.error);
    out += '}';
  }
  out += "],\"faults\":[";
  for (size_t i = 0; i < v.faults.size(); ++i) {
    const IommuFaultRow& f = v.faults[i];
    if (i) out += ',';
    out += "{\"seq\":" + std::to_string(f.seq) + ",\"timeNs\":" + std::to_string(f.time_ns) +
           ",\"device\":" + std::to_string(f.device) + ",\"cause\":" + std::to_string(f.cause) +
           ",\"text\":";
    json_append_string(out, f.text);
    out += ",\"type\":";
    json_append_string(out, f.type);
    out += ",\"iova\":\"" + hex64(f.iova) + "\",\"iotval2\":\"" + hex64(f.iotval2) +
           "\",\"delivered\":" + (f.delivered ? "true" : "false") + '}';
  }
  out += "],\"faultsDropped\":" + std::to_string(v.faults_dropped) + '}';
  return out;
}

std::string iommu_mappings_json(Machine& machine, std::optional<uint32_t> device, size_t max_rows) {
  bool truncated = false;
  const std::vector<IommuMappingRow> rows = iommu_mappings(machine, device, max_rows, &truncated);
  std::string out =
      std::string("{\"truncated\":") + (truncated ? "true" : "false") + ",\"mappings\":[";
  for (size_t i = 0; i < rows.size(); ++i) {
    const IommuMappingRow& r = rows[i];
    if (i) out += ',';
    out += "{\"device\":" + std::to_string(r.device) + ",\"iova\":\"" + hex64(r.iova) +
           "\",\"last\":\"" + hex64(r.last) + "\",\"pa\":\"" + hex64(r.pa) + "\",\"perm\":\"" +
           perm_text(r.perm) +
           "\",\"domain\":" + (r.domain ? std::to_string(*r.domain) : std::string("null")) + '}';
  }
  out += "]}";
  return out;
}

std::string iova_walk_json(Machine& machine, uint32_t device, uint64_t iova,
                           IommuAccessFlags access) {
  const IovaWalkView v = iova_walk_view(machine, device, iova, access);
  std::string out = "{\"device\":" + std::to_string(v.device) + ",\"iova\":\"" + hex64(v.iova) +
                    "\",\"access\":\"" + (access & kIommuWrite ? "write" : "read") +
                    "\",\"model\":";
  json_append_string(out, v.model);
  out += ",\"heading\":";
  json_append_string(out, v.heading);
  out += ",\"iotlbHit\":" +
         (v.iotlb_hit ? std::string(*v.iotlb_hit ? "true" : "false") : std::string("null")) +
         ",\"steps\":[";
  for (size_t i = 0; i < v.steps.size(); ++i) {
    const IovaWalkStep& s = v.steps[i];
    if (i) out += ',';
    out += "{\"what\":";
    json_append_string(out, s.what);
    out += ",\"addr\":\"" + hex64(s.addr) + "\",\"value\":\"" + hex64(s.value) + "\",\"bits\":\"" +
           s.bits + "\",\"meaning\":";
    json_append_string(out, s.meaning);
    out += '}';
  }
  out += "],\"ok\":" + std::string(v.ok ? "true" : "false") + ",\"pa\":\"" + hex64(v.pa) +
         "\",\"pageSize\":" + std::to_string(v.page_size) + ",\"perm\":\"" + perm_text(v.perm) +
         "\",\"result\":";
  json_append_string(out, v.result);
  out += '}';
  return out;
}

}  // namespace glassvm::ui
