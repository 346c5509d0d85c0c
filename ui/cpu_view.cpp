#include "ui/cpu_view.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <iterator>
#include <map>

#include "engine/board/machine.h"
#include "engine/cpu/csr.h"
#include "engine/cpu/decode.h"
#include "ui/json_internal.h"

namespace glassvm::ui {

namespace {

// The CSRs the panel shows, in display order (those the hart lacks are skipped).
constexpr uint16_t kShownCsrs[] = {
    kCsrMstatus, kCsrMisa,   kCsrMie,      kCsrMip,     kCsrMtvec,   kCsrMepc,
    kCsrMcause,  kCsrMtval,  kCsrMscratch, kCsrMedeleg, kCsrMideleg, kCsrMcounteren,
    kCsrMhartid, kCsrMcycle, kCsrMinstret, kCsrSstatus, kCsrStvec,   kCsrSepc,
    kCsrScause,  kCsrStval,  kCsrSscratch, kCsrSatp,
};

std::string mstatus_note(uint64_t v) {
  static const char* const kPriv[] = {"U", "S", "?", "M"};
  char buf[96];
  std::snprintf(buf, sizeof buf, "MIE=%u MPIE=%u MPP=%s SIE=%u MPRV=%u",
                static_cast<unsigned>((v >> 3) & 1), static_cast<unsigned>((v >> 7) & 1),
                kPriv[(v >> 11) & 3], static_cast<unsigned>((v >> 1) & 1),
                static_cast<unsigned>((v >> 17) & 1));
  return buf;
}

std::string satp_note(uint64_t v) {
  const SatpReading r = read_satp(v);
  if (!r.paging) return r.mode;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s ASID=%u root=0x%" PRIx64, r.mode.c_str(), r.asid, r.root);
  return buf;
}

std::string misa_note(uint64_t v) {
  const unsigned mxl = static_cast<unsigned>(v >> 62);
  std::string out = mxl == 2 ? "RV64" : mxl == 1 ? "RV32" : mxl == 3 ? "RV128" : "RV?";
  for (int i = 0; i < 26; ++i)
    if (v & (uint64_t{1} << i)) out += static_cast<char>('A' + i);
  return out;
}

/// The RAM/ROM bytes of `as` at [addr, addr + len), or null when any of them is something else.
const uint8_t* ram_bytes(const AddressSpace& as, uint64_t addr, unsigned len) {
  const FlatRange* r = as.flat_view().lookup(addr);
  if (r == nullptr || r->mr == nullptr) return nullptr;
  if (r->mr->kind() != RegionKind::Ram && r->mr->kind() != RegionKind::Rom) return nullptr;
  if (r->mr->ram_ptr() == nullptr) return nullptr;
  if (addr + (len - 1) < addr || addr + (len - 1) > r->last()) return nullptr;
  return r->mr->ram_ptr() + r->offset_in_region + (addr - r->start);
}

std::optional<uint16_t> peek16(const AddressSpace& as, uint64_t addr) {
  const uint8_t* p = ram_bytes(as, addr, 2);
  if (p == nullptr) {
    // The two bytes may straddle two RAM/ROM ranges (an MMIO window in between cannot, as
    // both bytes would then not be RAM): try byte by byte.
    const uint8_t* lo = ram_bytes(as, addr, 1);
    const uint8_t* hi = ram_bytes(as, addr + 1, 1);
    if (lo == nullptr || hi == nullptr) return std::nullopt;
    return static_cast<uint16_t>(*lo | (*hi << 8));
  }
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

DisasmRow make_row(const AddressSpace& as, uint64_t addr, uint64_t pc,
                   const std::vector<uint64_t>& breakpoints) {
  DisasmRow row;
  row.addr = addr;
  row.is_pc = addr == pc;
  for (uint64_t b : breakpoints) row.breakpoint |= b == addr;
  const std::optional<uint32_t> raw = peek_insn(as, addr);
  if (!raw) {
    row.text = "<unreadable>";
    return row;
  }
  row.readable = true;
  row.raw = *raw;
  row.len = insn_length(*raw & 0xffff);
  row.text = disassemble(decode(*raw), addr);
  return row;
}

/// The length of the instruction at `addr` for walking forwards (2 when unreadable).
unsigned step_len(const AddressSpace& as, uint64_t addr) {
  const std::optional<uint16_t> low = peek16(as, addr);
  return low ? insn_length(*low) : 2;
}

}  // namespace

SatpReading read_satp(uint64_t satp) {
  SatpReading r;
  const unsigned mode = static_cast<unsigned>(satp >> 60);
  r.asid = static_cast<unsigned>((satp >> 44) & 0xffff);
  r.root = (satp & ((uint64_t{1} << 44) - 1)) << 12;
  switch (mode) {
    case 0:
      r.mode = "Bare";
      r.asid = 0;
      r.root = 0;
      return r;
    case 8: r.mode = "Sv39"; break;
    case 9: r.mode = "Sv48"; break;
    case 10: r.mode = "Sv57"; break;
    default: r.mode = "mode " + std::to_string(mode); break;
  }
  r.paging = true;
  return r;
}

const char* priv_letter(PrivLevel priv) {
  switch (priv) {
    case PrivLevel::User: return "U";
    case PrivLevel::Supervisor: return "S";
    case PrivLevel::Machine: return "M";
  }
  return "?";
}

const char* priv_name(PrivLevel priv) {
  switch (priv) {
    case PrivLevel::User: return "User";
    case PrivLevel::Supervisor: return "Supervisor";
    case PrivLevel::Machine: return "Machine";
  }
  return "?";
}

std::vector<RegisterRow> register_rows(const Cpu& cpu) {
  std::vector<RegisterRow> rows;
  rows.reserve(32);
  for (unsigned i = 0; i < 32; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "x%u/%s", i, reg_name(i));
    rows.push_back({i, name, cpu.reg(i)});
  }
  return rows;
}

std::string registers_json(const Cpu& cpu) {
  std::string out = "{\"pc\":\"" + hex64(cpu.pc()) + "\",\"x\":[";
  for (unsigned i = 0; i < 32; ++i) {
    if (i) out += ',';
    out += '"' + hex64(cpu.reg(i)) + '"';
  }
  out += "],\"priv\":\"";
  out += priv_letter(cpu.priv());
  out += "\"}";
  return out;
}

std::string cause_text(uint64_t mcause) {
  const bool interrupt = mcause >> 63;
  const uint64_t code = mcause & ~(uint64_t{1} << 63);
  static const char* const kInterrupts[] = {
      nullptr, "Supervisor software interrupt", nullptr, "Machine software interrupt",
      nullptr, "Supervisor timer interrupt",    nullptr, "Machine timer interrupt",
      nullptr, "Supervisor external interrupt", nullptr, "Machine external interrupt"};
  static const char* const kExceptions[] = {"Instruction address misaligned",
                                            "Instruction access fault",
                                            "Illegal instruction",
                                            "Breakpoint",
                                            "Load address misaligned",
                                            "Load access fault",
                                            "Store/AMO address misaligned",
                                            "Store/AMO access fault",
                                            "Environment call from U-mode",
                                            "Environment call from S-mode",
                                            nullptr,
                                            "Environment call from M-mode",
                                            "Instruction page fault",
                                            "Load page fault",
                                            nullptr,
                                            "Store/AMO page fault"};
  const char* text = nullptr;
  if (interrupt && code < std::size(kInterrupts)) text = kInterrupts[code];
  if (!interrupt && code < std::size(kExceptions)) text = kExceptions[code];
  if (text != nullptr) return text;
  return std::string(interrupt ? "reserved interrupt (" : "reserved (") + std::to_string(code) +
         ")";
}

std::vector<CsrRow> csr_rows(const Cpu& cpu) {
  std::vector<CsrRow> rows;
  for (uint16_t number : kShownCsrs) {
    uint64_t value = 0;
    if (!cpu.peek_csr(number, value)) continue;
    const char* name = csr_name(number);
    CsrRow row{number, name ? name : "csr", value, ""};
    if (number == kCsrMstatus) row.note = mstatus_note(value);
    if (number == kCsrMisa) row.note = misa_note(value);
    if (number == kCsrSatp) row.note = satp_note(value);
    if (number == kCsrMcause || number == kCsrScause) row.note = value ? cause_text(value) : "";
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<uint32_t> peek_insn(const AddressSpace& as, uint64_t addr) {
  const std::optional<uint16_t> low = peek16(as, addr);
  if (!low) return std::nullopt;
  if (insn_length(*low) == 2) return *low;
  if (addr + 2 < addr) return std::nullopt;
  const std::optional<uint16_t> high = peek16(as, addr + 2);
  if (!high) return std::nullopt;
  return static_cast<uint32_t>(*low) | (static_cast<uint32_t>(*high) << 16);
}

std::vector<DisasmRow> disassembly(const AddressSpace& as, uint64_t pc, unsigned before,
                                   unsigned after, const std::vector<uint64_t>& breakpoints) {
  std::vector<DisasmRow> rows;
  // Walk forwards from every 2-byte aligned start in a window before the pc; keep the walks
  // whose boundaries land exactly on the pc. Walks from wrong starts usually fall into step
  // with the true boundaries after an instruction or two, so the true boundaries collect the
  // most votes; the listing uses the landing walk whose last `before` boundaries have the most
  // votes (ties: the walk from farthest back).
  std::vector<uint64_t> lead;
  if (before > 0) {
    const uint64_t span = std::min<uint64_t>(pc & ~uint64_t{1}, uint64_t{before} * 4 + 32);
    std::vector<std::vector<uint64_t>> walks;
    std::map<uint64_t, unsigned> votes;
    for (uint64_t back = span; back >= 2; back -= 2) {
      std::vector<uint64_t> walk;
      uint64_t addr = pc - back;
      while (addr < pc) {
        walk.push_back(addr);
        addr += step_len(as, addr);
      }
      if (addr != pc) continue;
      if (walk.size() > before) walk.erase(walk.begin(), walk.end() - before);
      for (uint64_t a : walk) ++votes[a];
      walks.push_back(std::move(walk));
    }
    unsigned best_score = 0;
    for (const std::vector<uint64_t>& walk : walks) {
      unsigned score = 0;
      for (uint64_t a : walk) score += votes[a];
      if (score > best_score) {
        best_score = score;
        lead = walk;
      }
    }
  }
  for (uint64_t addr : lead) rows.push_back(make_row(as, addr, pc, breakpoints));

  uint64_t addr = pc;
  for (unsigned i = 0; i <= after; ++i) {
    rows.push_back(make_row(as, addr, pc, breakpoints));
    const uint64_t next = addr + rows.back().len;
    if (next < addr) break;  // wrapped around the top of the address space
    addr = next;
  }
  return rows;
}

bool toggle_breakpoint(Machine& machine, uint64_t pc) {
  if (machine.breakpoints().count(pc)) {
    machine.remove_breakpoint(pc);
    return false;
  }
  machine.add_breakpoint(pc);
  return true;
}

std::optional<uint64_t> parse_address(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && text[i] == ' ') ++i;
  if (text.compare(i, 2, "0x") == 0 || text.compare(i, 2, "0X") == 0) i += 2;
  size_t end = text.size();
  while (end > i && text[end - 1] == ' ') --end;
  if (end == i || end - i > 16) return std::nullopt;
  uint64_t value = 0;
  for (size_t k = i; k < end; ++k) {
    const char c = text[k];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return std::nullopt;
    value = value << 4 | d;
  }
  return value;
}

std::optional<uint64_t> parse_pc(const std::string& text) {
  const std::optional<uint64_t> value = parse_address(text);
  if (!value || (*value & 1)) return std::nullopt;
  return value;
}

}  // namespace glassvm::ui
