// Disassembler: DecodedInsn -> text in the style of GNU objdump for RISC-V.
//
// Design note: the text follows objdump's default output (ABI register names, its common
// pseudo-instructions such as li/mv/ret/j/beqz/csrr), with two deliberate differences: the
// mnemonic is separated by one space instead of a tab, and branch and jump targets are printed
// as absolute "0x..." addresses without a symbol. Compressed instructions print as the 32-bit
// instruction they expand to, as objdump does. Encodings that decode as Illegal print as
// ".4byte 0x..." or ".2byte 0x...", so that the output is never ambiguous.
#include <cinttypes>
#include <cstdarg>
#include <cstdio>

#include "engine/cpu/csr.h"
#include "engine/cpu/decode.h"

namespace glassvm {
namespace {

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buf[128];
  va_list ap;
  va_start(ap, fmt);
  const int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return {};
  return std::string(buf,
                     static_cast<size_t>(n) < sizeof buf ? static_cast<size_t>(n) : sizeof buf - 1);
}

std::string csr_text(int64_t csr) {
  const char* name = csr_name(static_cast<uint16_t>(csr));
  return name ? std::string(name) : format("0x%" PRIx64, static_cast<uint64_t>(csr));
}

/// The fence predecessor/successor set: "iorw" subset, or "0" when empty.
std::string fence_set(unsigned bits4) {
  std::string s;
  if (bits4 & 8) s += 'i';
  if (bits4 & 4) s += 'o';
  if (bits4 & 2) s += 'r';
  if (bits4 & 1) s += 'w';
  return s.empty() ? "0" : s;
}

const char* aqrl_suffix(uint8_t aqrl) {
  switch (aqrl & 3) {
    case 1: return ".rl";
    case 2: return ".aq";
    case 3: return ".aqrl";
    default: return "";
  }
}

bool is_load(Op op) {
  return op >= Op::Lb && op <= Op::Lwu;
}
bool is_store(Op op) {
  return op >= Op::Sb && op <= Op::Sd;
}
bool is_branch(Op op) {
  return op >= Op::Beq && op <= Op::Bgeu;
}
bool is_shift_imm(Op op) {
  return op == Op::Slli || op == Op::Srli || op == Op::Srai || op == Op::Slliw || op == Op::Srliw ||
         op == Op::Sraiw;
}
bool is_amo(Op op) {
  return op >= Op::LrW && op <= Op::AmomaxuD;
}

/// The rounding-mode operand objdump appends: nothing for DYN, else ",rne" ... ",rmm".
const char* rm_suffix(uint8_t rm) {
  static constexpr const char* kNames[8] = {",rne", ",rtz", ",rdn", ",rup", ",rmm", ",?", ",?", ""};
  return kNames[rm & 7];
}

/// F/D instructions (op_is_fp): f registers by their ABI names, integer ones as usual.
std::string disassemble_fp(const DecodedInsn& in) {
  const Op op = in.op;
  const char* name = op_name(op);
  const bool rd_x = op_fp_rd_is_x(op), rs1_x = op_fp_rs1_is_x(op);
  const char* rd = rd_x ? reg_name(in.rd) : fp_reg_name(in.rd);
  const char* rs1 = rs1_x ? reg_name(in.rs1) : fp_reg_name(in.rs1);
  const char* rs2 = fp_reg_name(in.rs2);
  const char* rm = rm_suffix(in.rm);
  switch (op) {
    case Op::Flw:
    case Op::Fld: return format("%s %s,%" PRId64 "(%s)", name, rd, in.imm, rs1);
    case Op::Fsw:
    case Op::Fsd: return format("%s %s,%" PRId64 "(%s)", name, rs2, in.imm, rs1);
    case Op::FmaddS:
    case Op::FmsubS:
    case Op::FnmsubS:
    case Op::FnmaddS:
    case Op::FmaddD:
    case Op::FmsubD:
    case Op::FnmsubD:
    case Op::FnmaddD:
      return format("%s %s,%s,%s,%s%s", name, rd, rs1, rs2, fp_reg_name(in.rs3), rm);
    case Op::FaddS:
    case Op::FsubS:
    case Op::FmulS:
    case Op::FdivS:
    case Op::FaddD:
    case Op::FsubD:
    case Op::FmulD:
    case Op::FdivD: return format("%s %s,%s,%s%s", name, rd, rs1, rs2, rm);
    case Op::FsgnjS:
    case Op::FsgnjnS:
    case Op::FsgnjxS:
    case Op::FsgnjD:
    case Op::FsgnjnD:
    case Op::FsgnjxD:
      if (in.rs1 == in.rs2) {  // fmv / fneg / fabs
        static constexpr const char* kAlias[3] = {"fmv", "fneg", "fabs"};
        const bool dbl = op >= Op::FsgnjD;
        const int which = static_cast<int>(op) - static_cast<int>(dbl ? Op::FsgnjD : Op::FsgnjS);
        return format("%s.%c %s,%s", kAlias[which], dbl ? 'd' : 's', rd, rs1);
      }
      return format("%s %s,%s,%s", name, rd, rs1, rs2);
    case Op::FminS:
    case Op::FmaxS:
    case Op::FeqS:
    case Op::FltS:
    case Op::FleS:
    case Op::FminD:
    case Op::FmaxD:
    case Op::FeqD:
    case Op::FltD:
    case Op::FleD: return format("%s %s,%s,%s", name, rd, rs1, rs2);
    case Op::FmvXW:
    case Op::FmvWX:
    case Op::FclassS:
    case Op::FmvXD:
    case Op::FmvDX:
    case Op::FclassD: return format("%s %s,%s", name, rd, rs1);
    default: return format("%s %s,%s%s", name, rd, rs1, rm);  // sqrt and conversions
  }
}

}  // namespace

std::string disassemble(const DecodedInsn& in, uint64_t pc) {
  const Op op = in.op;
  const char* name = op_name(op);
  const char* rd = reg_name(in.rd);
  const char* rs1 = reg_name(in.rs1);
  const char* rs2 = reg_name(in.rs2);
  const uint64_t target = pc + static_cast<uint64_t>(in.imm);

  if (op == Op::Illegal) {
    return in.len == 2 ? format(".2byte 0x%04x", in.raw & 0xffff) : format(".4byte 0x%08x", in.raw);
  }
  if (op_is_fp(op)) return disassemble_fp(in);
  if (is_load(op)) return format("%s %s,%" PRId64 "(%s)", name, rd, in.imm, rs1);
  if (is_store(op)) return format("%s %s,%" PRId64 "(%s)", name, rs2, in.imm, rs1);
  if (is_branch(op)) {
    if (in.rs2 == 0) {
      static constexpr const char* kZ[] = {"beqz", "bnez", "bltz", "bgez", nullptr, nullptr};
      const char* z = kZ[static_cast<int>(op) - static_cast<int>(Op::Beq)];
      if (z) return format("%s %s,0x%" PRIx64, z, rs1, target);
    }
    if (in.rs1 == 0 && (op == Op::Blt || op == Op::Bge)) {
      return format("%s %s,0x%" PRIx64, op == Op::Blt ? "bgtz" : "blez", rs2, target);
    }
    return format("%s %s,%s,0x%" PRIx64, name, rs1, rs2, target);
  }
  if (is_shift_imm(op)) return format("%s %s,%s,0x%" PRIx64, name, rd, rs1, in.imm);
  if (is_amo(op)) {
    const bool lr = op == Op::LrW || op == Op::LrD;
    if (lr) return format("%s%s %s,(%s)", name, aqrl_suffix(in.aqrl), rd, rs1);
    return format("%s%s %s,%s,(%s)", name, aqrl_suffix(in.aqrl), rd, rs2, rs1);
  }

  switch (op) {
    case Op::Lui:
    case Op::Auipc:
      return format("%s %s,0x%" PRIx64, name, rd, (static_cast<uint64_t>(in.imm) >> 12) & 0xfffff);
    case Op::Jal:
      if (in.rd == 0) return format("j 0x%" PRIx64, target);
      if (in.rd == 1) return format("jal 0x%" PRIx64, target);
      return format("jal %s,0x%" PRIx64, rd, target);
    case Op::Jalr:
      if (in.imm == 0) {
        if (in.rd == 0 && in.rs1 == 1) return "ret";
        if (in.rd == 0) return format("jr %s", rs1);
        if (in.rd == 1) return format("jalr %s", rs1);
      }
      if (in.rd == 0) return format("jr %" PRId64 "(%s)", in.imm, rs1);
      if (in.rd == 1) return format("jalr %" PRId64 "(%s)", in.imm, rs1);
      return format("jalr %s,%" PRId64 "(%s)", rd, in.imm, rs1);
    case Op::Addi:
      if (in.rd == 0 && in.rs1 == 0 && in.imm == 0) return "nop";
      if (in.rs1 == 0) return format("li %s,%" PRId64, rd, in.imm);
      if (in.imm == 0) return format("mv %s,%s", rd, rs1);
      break;
    case Op::Addiw:
      if (in.imm == 0) return format("sext.w %s,%s", rd, rs1);
      break;
    case Op::Xori:
      if (in.imm == -1) return format("not %s,%s", rd, rs1);
      break;
    case Op::Sltiu:
      if (in.imm == 1) return format("seqz %s,%s", rd, rs1);
      break;
    case Op::Sub:
    case Op::Subw:
      if (in.rs1 == 0) return format("%s %s,%s", op == Op::Sub ? "neg" : "negw", rd, rs2);
      break;
    case Op::Add:
      if (in.rs1 == 0 && in.len == 2) return format("mv %s,%s", rd, rs2);  // c.mv
      break;
    case Op::Sltu:
      if (in.rs1 == 0) return format("snez %s,%s", rd, rs2);
      break;
    case Op::Slt:
      if (in.rs2 == 0) return format("sltz %s,%s", rd, rs1);
      if (in.rs1 == 0) return format("sgtz %s,%s", rd, rs2);
      break;
    case Op::Fence: {
      const unsigned fm = (in.imm >> 8) & 0xf, pred = (in.imm >> 4) & 0xf, succ = in.imm & 0xf;
      if (fm == 8 && pred == 3 && succ == 3) return "fence.tso";
      if (fm == 0 && pred == 1 && succ == 0) return "pause";
      if (fm == 0 && pred == 0xf && succ == 0xf) return "fence";
      return format("fence %s,%s", fence_set(pred).c_str(), fence_set(succ).c_str());
    }
    case Op::FenceI:
    case Op::Ecall:
    case Op::Ebreak:
    case Op::Mret:
    case Op::Sret:
    case Op::Wfi: return name;
    case Op::SfenceVma:
      if (in.rs2 != 0) return format("sfence.vma %s,%s", rs1, rs2);
      if (in.rs1 != 0) return format("sfence.vma %s", rs1);
      return name;
    case Op::Csrrw:
    case Op::Csrrs:
    case Op::Csrrc: {
      const std::string csr = csr_text(in.imm);
      if (op == Op::Csrrs && in.rs1 == 0) return format("csrr %s,%s", rd, csr.c_str());
      if (in.rd == 0) {
        const char* alias = op == Op::Csrrw ? "csrw" : op == Op::Csrrs ? "csrs" : "csrc";
        return format("%s %s,%s", alias, csr.c_str(), rs1);
      }
      return format("%s %s,%s,%s", name, rd, csr.c_str(), rs1);
    }
    case Op::Csrrwi:
    case Op::Csrrsi:
    case Op::Csrrci: {
      const std::string csr = csr_text(in.imm);
      if (in.rd == 0) {
        const char* alias = op == Op::Csrrwi ? "csrwi" : op == Op::Csrrsi ? "csrsi" : "csrci";
        return format("%s %s,%u", alias, csr.c_str(), unsigned{in.rs1});
      }
      return format("%s %s,%s,%u", name, rd, csr.c_str(), unsigned{in.rs1});
    }
    default: break;
  }

  // Generic formats: I-type ALU with a decimal immediate, R-type otherwise.
  switch (op) {
    case Op::Addi:
    case Op::Slti:
    case Op::Sltiu:
    case Op::Xori:
    case Op::Ori:
    case Op::Andi:
    case Op::Addiw: return format("%s %s,%s,%" PRId64, name, rd, rs1, in.imm);
    default: return format("%s %s,%s,%s", name, rd, rs1, rs2);
  }
}

}  // namespace glassvm
