// RISC-V instruction decoder: RV64I, M, A, Zicsr, Zifencei, the privileged instructions and
// RV64C, F and D (unprivileged spec chapters 2, 4, 7, 8, 9, 11, 12, 16; privileged spec 3.3
// and 10.2).
//
// Design note: decode() is on the interpreter's decode-cache fill path, so it switches on the
// major opcode (or the compressed quadrant and funct3) and checks the remaining fixed fields
// inline. Every reserved encoding, and every encoding of an extension that is not implemented
// (Zcb, Q, ...), returns Op::Illegal. HINT encodings are legal and decode to the operation
// they are encoded as (for example c.addi x0 decodes as addi x0,x0,imm), as the spec permits.
#include "engine/cpu/decode.h"

namespace glassvm {
namespace {

// ---- Bit helpers ----------------------------------------------------------------------------

constexpr uint32_t bits(uint32_t v, unsigned hi, unsigned lo) {
  return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}
constexpr uint32_t bit(uint32_t v, unsigned pos) {
  return (v >> pos) & 1;
}
/// Sign-extends the low `width` bits of `v`.
constexpr int64_t sext(uint64_t v, unsigned width) {
  const uint64_t m = uint64_t{1} << (width - 1);
  v &= (m << 1) - 1;
  return static_cast<int64_t>((v ^ m) - m);
}

// ---- 32-bit immediates (unprivileged spec 2.3) ----------------------------------------------

constexpr int64_t imm_i(uint32_t r) {
  return sext(r >> 20, 12);
}
constexpr int64_t imm_s(uint32_t r) {
  return sext((bits(r, 31, 25) << 5) | bits(r, 11, 7), 12);
}
constexpr int64_t imm_b(uint32_t r) {
  return sext(
      (bit(r, 31) << 12) | (bit(r, 7) << 11) | (bits(r, 30, 25) << 5) | (bits(r, 11, 8) << 1), 13);
}
constexpr int64_t imm_u(uint32_t r) {
  return sext(r & 0xfffff000u, 32);
}
constexpr int64_t imm_j(uint32_t r) {
  return sext(
      (bit(r, 31) << 20) | (bits(r, 19, 12) << 12) | (bit(r, 20) << 11) | (bits(r, 30, 21) << 1),
      21);
}

DecodedInsn make(Op op, uint32_t raw, unsigned rd, unsigned rs1, unsigned rs2, int64_t imm,
                 unsigned len) {
  DecodedInsn d;
  d.op = op;
  d.rd = static_cast<uint8_t>(rd);
  d.rs1 = static_cast<uint8_t>(rs1);
  d.rs2 = static_cast<uint8_t>(rs2);
  d.imm = imm;
  d.len = static_cast<uint8_t>(len);
  d.raw = raw;
  return d;
}

DecodedInsn illegal(uint32_t raw, unsigned len) {
  DecodedInsn d;
  d.raw = raw;
  d.len = static_cast<uint8_t>(len);
  return d;
}

// ---- 32-bit decoding -----------------------------------------------------------------------

DecodedInsn decode_amo(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
  const unsigned f3 = bits(r, 14, 12);
  if (f3 != 2 && f3 != 3) return illegal(r, 4);
  const bool dw = f3 == 3;
  Op op;
  switch (bits(r, 31, 27)) {
    case 0b00010:
      if (rs2 != 0) return illegal(r, 4);  // LR has rs2 fixed to 0
      op = dw ? Op::LrD : Op::LrW;
      break;
    case 0b00011: op = dw ? Op::ScD : Op::ScW; break;
    case 0b00001: op = dw ? Op::AmoswapD : Op::AmoswapW; break;
    case 0b00000: op = dw ? Op::AmoaddD : Op::AmoaddW; break;
    case 0b00100: op = dw ? Op::AmoxorD : Op::AmoxorW; break;
    case 0b01100: op = dw ? Op::AmoandD : Op::AmoandW; break;
    case 0b01000: op = dw ? Op::AmoorD : Op::AmoorW; break;
    case 0b10000: op = dw ? Op::AmominD : Op::AmominW; break;
    case 0b10100: op = dw ? Op::AmomaxD : Op::AmomaxW; break;
    case 0b11000: op = dw ? Op::AmominuD : Op::AmominuW; break;
    case 0b11100: op = dw ? Op::AmomaxuD : Op::AmomaxuW; break;
    default: return illegal(r, 4);
  }
  DecodedInsn d = make(op, r, rd, rs1, rs2, 0, 4);
  d.aqrl = static_cast<uint8_t>(bits(r, 26, 25));
  return d;
}

DecodedInsn decode_system(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
  const unsigned f3 = bits(r, 14, 12);
  const int64_t csr = bits(r, 31, 20);
  switch (f3) {
    case 0:
      // Every field of these is fixed, except rs1/rs2 of SFENCE.VMA.
      switch (r) {
        case 0x00000073: return make(Op::Ecall, r, 0, 0, 0, 0, 4);
        case 0x00100073: return make(Op::Ebreak, r, 0, 0, 0, 0, 4);
        case 0x10200073: return make(Op::Sret, r, 0, 0, 0, 0, 4);
        case 0x30200073: return make(Op::Mret, r, 0, 0, 0, 0, 4);
        case 0x10500073: return make(Op::Wfi, r, 0, 0, 0, 0, 4);
        default: break;
      }
      if (bits(r, 31, 25) == 0b0001001 && rd == 0) {
        return make(Op::SfenceVma, r, 0, rs1, rs2, 0, 4);
      }
      return illegal(r, 4);
    case 1: return make(Op::Csrrw, r, rd, rs1, 0, csr, 4);
    case 2: return make(Op::Csrrs, r, rd, rs1, 0, csr, 4);
    case 3: return make(Op::Csrrc, r, rd, rs1, 0, csr, 4);
    case 5: return make(Op::Csrrwi, r, rd, rs1, 0, csr, 4);
    case 6: return make(Op::Csrrsi, r, rd, rs1, 0, csr, 4);
    case 7: return make(Op::Csrrci, r, rd, rs1, 0, csr, 4);
    default: return illegal(r, 4);  // funct3 4: hypervisor loads/stores, not implemented
  }
}

DecodedInsn decode_op(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
  const unsigned f3 = bits(r, 14, 12);
  Op op;
  switch (bits(r, 31, 25)) {
    case 0b0000000: {
      static constexpr Op kOps[8] = {Op::Add, Op::Sll, Op::Slt, Op::Sltu,
                                     Op::Xor, Op::Srl, Op::Or,  Op::And};
      op = kOps[f3];
      break;
    }
    case 0b0100000:
      if (f3 == 0) {
        op = Op::Sub;
      } else if (f3 == 5) {
        op = Op::Sra;
      } else {
        return illegal(r, 4);
      }
      break;
    case 0b0000001: {
      static constexpr Op kOps[8] = {Op::Mul, Op::Mulh, Op::Mulhsu, Op::Mulhu,
                                     Op::Div, Op::Divu, Op::Rem,    Op::Remu};
      op = kOps[f3];
      break;
    }
    default: return illegal(r, 4);
  }
  return make(op, r, rd, rs1, rs2, 0, 4);
}

DecodedInsn decode_op32(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
  const unsigned f3 = bits(r, 14, 12);
  Op op = Op::Illegal;
  switch (bits(r, 31, 25)) {
    case 0b0000000:
      op = f3 == 0 ? Op::Addw : f3 == 1 ? Op::Sllw : f3 == 5 ? Op::Srlw : Op::Illegal;
      break;
    case 0b0100000: op = f3 == 0 ? Op::Subw : f3 == 5 ? Op::Sraw : Op::Illegal; break;
    case 0b0000001: {
      static constexpr Op kOps[8] = {Op::Mulw, Op::Illegal, Op::Illegal, Op::Illegal,
                                     Op::Divw, Op::Divuw,   Op::Remw,    Op::Remuw};
      op = kOps[f3];
      break;
    }
    default: break;
  }
  if (op == Op::Illegal) return illegal(r, 4);
  return make(op, r, rd, rs1, rs2, 0, 4);
}

DecodedInsn decode_op_imm(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15);
  switch (bits(r, 14, 12)) {
    case 0: return make(Op::Addi, r, rd, rs1, 0, imm_i(r), 4);
    case 1:  // RV64: 6-bit shamt, bits 31:26 fixed
      if (bits(r, 31, 26) != 0) return illegal(r, 4);
      return make(Op::Slli, r, rd, rs1, 0, bits(r, 25, 20), 4);
    case 2: return make(Op::Slti, r, rd, rs1, 0, imm_i(r), 4);
    case 3: return make(Op::Sltiu, r, rd, rs1, 0, imm_i(r), 4);
    case 4: return make(Op::Xori, r, rd, rs1, 0, imm_i(r), 4);
    case 5:
      switch (bits(r, 31, 26)) {
        case 0b000000: return make(Op::Srli, r, rd, rs1, 0, bits(r, 25, 20), 4);
        case 0b010000: return make(Op::Srai, r, rd, rs1, 0, bits(r, 25, 20), 4);
        default: return illegal(r, 4);
      }
    case 6: return make(Op::Ori, r, rd, rs1, 0, imm_i(r), 4);
    default: return make(Op::Andi, r, rd, rs1, 0, imm_i(r), 4);
  }
}

DecodedInsn decode_op_imm32(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15);
  const unsigned f7 = bits(r, 31, 25);  // includes bit 25, which must be 0 for *W shifts
  switch (bits(r, 14, 12)) {
    case 0: return make(Op::Addiw, r, rd, rs1, 0, imm_i(r), 4);
    case 1:
      if (f7 != 0) return illegal(r, 4);
      return make(Op::Slliw, r, rd, rs1, 0, bits(r, 24, 20), 4);
    case 5:
      if (f7 == 0) return make(Op::Srliw, r, rd, rs1, 0, bits(r, 24, 20), 4);
      if (f7 == 0b0100000) return make(Op::Sraiw, r, rd, rs1, 0, bits(r, 24, 20), 4);
      return illegal(r, 4);
    default: return illegal(r, 4);
  }
}

// ---- F and D (unprivileged spec chapters 11 and 12) -----------------------------------------

DecodedInsn make_fp(Op op, uint32_t r, unsigned rm) {
  DecodedInsn d = make(op, r, bits(r, 11, 7), bits(r, 19, 15), bits(r, 24, 20), 0, 4);
  d.rm = static_cast<uint8_t>(rm);
  return d;
}

/// The rounding-mode field: 5 and 6 are reserved (illegal); 7 (DYN) is checked at execution.
constexpr bool rm_valid(unsigned rm) {
  return rm != 5 && rm != 6;
}

DecodedInsn decode_fma(uint32_t r, Op op_s, Op op_d) {
  const unsigned fmt = bits(r, 26, 25), rm = bits(r, 14, 12);
  if (fmt > 1 || !rm_valid(rm)) return illegal(r, 4);
  DecodedInsn d = make_fp(fmt == 0 ? op_s : op_d, r, rm);
  d.rs3 = static_cast<uint8_t>(bits(r, 31, 27));
  return d;
}

DecodedInsn decode_op_fp(uint32_t r) {
  const unsigned f7 = bits(r, 31, 25), rs2 = bits(r, 24, 20), f3 = bits(r, 14, 12);
  const bool dbl = f7 & 1;
  auto sd = [dbl](Op s, Op d) { return dbl ? d : s; };
  // Ops with a rounding mode.
  Op op = Op::Illegal;
  switch (f7 & ~1u) {
    case 0x00: op = sd(Op::FaddS, Op::FaddD); break;
    case 0x04: op = sd(Op::FsubS, Op::FsubD); break;
    case 0x08: op = sd(Op::FmulS, Op::FmulD); break;
    case 0x0c: op = sd(Op::FdivS, Op::FdivD); break;
    case 0x2c:
      if (rs2 == 0) op = sd(Op::FsqrtS, Op::FsqrtD);
      break;
    case 0x20:  // FCVT.S.D (rs2 = 1) and FCVT.D.S (rs2 = 0)
      if (!dbl && rs2 == 1) op = Op::FcvtSD;
      if (dbl && rs2 == 0) op = Op::FcvtDS;
      break;
    case 0x60: {
      static constexpr Op kS[4] = {Op::FcvtWS, Op::FcvtWuS, Op::FcvtLS, Op::FcvtLuS};
      static constexpr Op kD[4] = {Op::FcvtWD, Op::FcvtWuD, Op::FcvtLD, Op::FcvtLuD};
      if (rs2 < 4) op = dbl ? kD[rs2] : kS[rs2];
      break;
    }
    case 0x68: {
      static constexpr Op kS[4] = {Op::FcvtSW, Op::FcvtSWu, Op::FcvtSL, Op::FcvtSLu};
      static constexpr Op kD[4] = {Op::FcvtDW, Op::FcvtDWu, Op::FcvtDL, Op::FcvtDLu};
      if (rs2 < 4) op = dbl ? kD[rs2] : kS[rs2];
      break;
    }
    default: break;
  }
  if (op != Op::Illegal) {
    if (!rm_valid(f3)) return illegal(r, 4);
    return make_fp(op, r, f3);
  }
  // Ops where funct3 selects the operation.
  switch (f7 & ~1u) {
    case 0x10:
      if (f3 <= 2) {
        static constexpr Op kS[3] = {Op::FsgnjS, Op::FsgnjnS, Op::FsgnjxS};
        static constexpr Op kD[3] = {Op::FsgnjD, Op::FsgnjnD, Op::FsgnjxD};
        op = dbl ? kD[f3] : kS[f3];
      }
      break;
    case 0x14:
      if (f3 <= 1) op = f3 == 0 ? sd(Op::FminS, Op::FminD) : sd(Op::FmaxS, Op::FmaxD);
      break;
    case 0x50:
      if (f3 <= 2) {
        static constexpr Op kS[3] = {Op::FleS, Op::FltS, Op::FeqS};
        static constexpr Op kD[3] = {Op::FleD, Op::FltD, Op::FeqD};
        op = dbl ? kD[f3] : kS[f3];
      }
      break;
    case 0x70:
      if (rs2 == 0 && f3 == 0) op = sd(Op::FmvXW, Op::FmvXD);
      if (rs2 == 0 && f3 == 1) op = sd(Op::FclassS, Op::FclassD);
      break;
    case 0x78:
      if (rs2 == 0 && f3 == 0) op = sd(Op::FmvWX, Op::FmvDX);
      break;
    default: break;
  }
  if (op == Op::Illegal) return illegal(r, 4);
  return make_fp(op, r, 0);
}

DecodedInsn decode32(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
  const unsigned f3 = bits(r, 14, 12);
  switch (r & 0x7f) {
    case 0x37: return make(Op::Lui, r, rd, 0, 0, imm_u(r), 4);
    case 0x17: return make(Op::Auipc, r, rd, 0, 0, imm_u(r), 4);
    case 0x6f: return make(Op::Jal, r, rd, 0, 0, imm_j(r), 4);
    case 0x67:
      if (f3 != 0) return illegal(r, 4);
      return make(Op::Jalr, r, rd, rs1, 0, imm_i(r), 4);
    case 0x63: {
      static constexpr Op kOps[8] = {Op::Beq, Op::Bne, Op::Illegal, Op::Illegal,
                                     Op::Blt, Op::Bge, Op::Bltu,    Op::Bgeu};
      if (kOps[f3] == Op::Illegal) return illegal(r, 4);
      return make(kOps[f3], r, 0, rs1, rs2, imm_b(r), 4);
    }
    case 0x03: {
      static constexpr Op kOps[8] = {Op::Lb,  Op::Lh,  Op::Lw,  Op::Ld,
                                     Op::Lbu, Op::Lhu, Op::Lwu, Op::Illegal};
      if (kOps[f3] == Op::Illegal) return illegal(r, 4);
      return make(kOps[f3], r, rd, rs1, 0, imm_i(r), 4);
    }
    case 0x23: {
      static constexpr Op kOps[4] = {Op::Sb, Op::Sh, Op::Sw, Op::Sd};
      if (f3 > 3) return illegal(r, 4);
      return make(kOps[f3], r, 0, rs1, rs2, imm_s(r), 4);
    }
    case 0x13: return decode_op_imm(r);
    case 0x1b: return decode_op_imm32(r);
    case 0x33: return decode_op(r);
    case 0x3b: return decode_op32(r);
    case 0x0f:
      // FENCE: rd, rs1 and unknown fm values are reserved and must be ignored (spec 2.7).
      // FENCE.I: imm, rs1 and rd are reserved and must be ignored (spec Zifencei).
      if (f3 == 0) return make(Op::Fence, r, rd, rs1, 0, bits(r, 31, 20), 4);
      if (f3 == 1) return make(Op::FenceI, r, rd, rs1, 0, imm_i(r), 4);
      return illegal(r, 4);
    case 0x73: return decode_system(r);
    case 0x2f: return decode_amo(r);
    case 0x07: {
      const unsigned f3 = bits(r, 14, 12);
      if (f3 != 2 && f3 != 3) return illegal(r, 4);
      return make(f3 == 2 ? Op::Flw : Op::Fld, r, rd, bits(r, 19, 15), 0, imm_i(r), 4);
    }
    case 0x27: {
      const unsigned f3 = bits(r, 14, 12);
      if (f3 != 2 && f3 != 3) return illegal(r, 4);
      return make(f3 == 2 ? Op::Fsw : Op::Fsd, r, 0, bits(r, 19, 15), bits(r, 24, 20), imm_s(r), 4);
    }
    case 0x43: return decode_fma(r, Op::FmaddS, Op::FmaddD);
    case 0x47: return decode_fma(r, Op::FmsubS, Op::FmsubD);
    case 0x4b: return decode_fma(r, Op::FnmsubS, Op::FnmsubD);
    case 0x4f: return decode_fma(r, Op::FnmaddS, Op::FnmaddD);
    case 0x53: return decode_op_fp(r);
    default: return illegal(r, 4);
  }
}

// ---- Compressed decoding (unprivileged spec chapter 16, RV64 column) ------------------------

/// The register number of a 3-bit compressed register field (x8..x15).
constexpr unsigned creg(uint32_t field) {
  return field + 8;
}

DecodedInsn decode_q0(uint32_t r) {
  const unsigned rdp = creg(bits(r, 4, 2)), rs1p = creg(bits(r, 9, 7));
  switch (bits(r, 15, 13)) {
    case 0: {  // c.addi4spn; nzuimm == 0 is reserved (and covers the all-zero word)
      const uint32_t imm =
          (bits(r, 12, 11) << 4) | (bits(r, 10, 7) << 6) | (bit(r, 6) << 2) | (bit(r, 5) << 3);
      if (imm == 0) return illegal(r, 2);
      return make(Op::Addi, r, rdp, 2, 0, imm, 2);
    }
    case 2: {  // c.lw
      const uint32_t imm = (bits(r, 12, 10) << 3) | (bit(r, 6) << 2) | (bit(r, 5) << 6);
      return make(Op::Lw, r, rdp, rs1p, 0, imm, 2);
    }
    case 3: {  // c.ld
      const uint32_t imm = (bits(r, 12, 10) << 3) | (bits(r, 6, 5) << 6);
      return make(Op::Ld, r, rdp, rs1p, 0, imm, 2);
    }
    case 6: {  // c.sw
      const uint32_t imm = (bits(r, 12, 10) << 3) | (bit(r, 6) << 2) | (bit(r, 5) << 6);
      return make(Op::Sw, r, 0, rs1p, rdp, imm, 2);
    }
    case 7: {  // c.sd
      const uint32_t imm = (bits(r, 12, 10) << 3) | (bits(r, 6, 5) << 6);
      return make(Op::Sd, r, 0, rs1p, rdp, imm, 2);
    }
    case 1: {  // c.fld
      const uint32_t imm = (bits(r, 12, 10) << 3) | (bits(r, 6, 5) << 6);
      return make(Op::Fld, r, rdp, rs1p, 0, imm, 2);
    }
    case 5: {  // c.fsd
      const uint32_t imm = (bits(r, 12, 10) << 3) | (bits(r, 6, 5) << 6);
      return make(Op::Fsd, r, 0, rs1p, rdp, imm, 2);
    }
    default: return illegal(r, 2);  // 100 reserved (Zcb)
  }
}

DecodedInsn decode_q1(uint32_t r) {
  const unsigned rd = bits(r, 11, 7);
  const int64_t imm6 = sext((bit(r, 12) << 5) | bits(r, 6, 2), 6);
  switch (bits(r, 15, 13)) {
    case 0: return make(Op::Addi, r, rd, rd, 0, imm6, 2);  // c.addi / c.nop (HINTs legal)
    case 1:                                                // c.addiw; rd == 0 reserved
      if (rd == 0) return illegal(r, 2);
      return make(Op::Addiw, r, rd, rd, 0, imm6, 2);
    case 2: return make(Op::Addi, r, rd, 0, 0, imm6, 2);  // c.li
    case 3:
      if (rd == 2) {  // c.addi16sp
        const int64_t imm = sext((bit(r, 12) << 9) | (bit(r, 6) << 4) | (bit(r, 5) << 6) |
                                     (bits(r, 4, 3) << 7) | (bit(r, 2) << 5),
                                 10);
        if (imm == 0) return illegal(r, 2);
        return make(Op::Addi, r, 2, 2, 0, imm, 2);
      }
      // c.lui; nzimm == 0 reserved; rd == 0 is a HINT
      if (imm6 == 0) return illegal(r, 2);
      return make(Op::Lui, r, rd, 0, 0, imm6 * 4096, 2);
    case 4: {
      const unsigned rdp = creg(bits(r, 9, 7)), rs2p = creg(bits(r, 4, 2));
      const uint32_t shamt = (bit(r, 12) << 5) | bits(r, 6, 2);
      switch (bits(r, 11, 10)) {
        case 0: return make(Op::Srli, r, rdp, rdp, 0, shamt, 2);  // c.srli
        case 1: return make(Op::Srai, r, rdp, rdp, 0, shamt, 2);  // c.srai
        case 2: return make(Op::Andi, r, rdp, rdp, 0, imm6, 2);   // c.andi
        default: {
          static constexpr Op kOps[8] = {Op::Sub,  Op::Xor,  Op::Or,      Op::And,
                                         Op::Subw, Op::Addw, Op::Illegal, Op::Illegal};
          const Op op = kOps[(bit(r, 12) << 2) | bits(r, 6, 5)];
          if (op == Op::Illegal) return illegal(r, 2);
          return make(op, r, rdp, rdp, rs2p, 0, 2);
        }
      }
    }
    case 5: {  // c.j
      const int64_t imm =
          sext((bit(r, 12) << 11) | (bit(r, 11) << 4) | (bits(r, 10, 9) << 8) | (bit(r, 8) << 10) |
                   (bit(r, 7) << 6) | (bit(r, 6) << 7) | (bits(r, 5, 3) << 1) | (bit(r, 2) << 5),
               12);
      return make(Op::Jal, r, 0, 0, 0, imm, 2);
    }
    default: {  // c.beqz / c.bnez
      const int64_t imm = sext((bit(r, 12) << 8) | (bits(r, 11, 10) << 3) | (bits(r, 6, 5) << 6) |
                                   (bits(r, 4, 3) << 1) | (bit(r, 2) << 5),
                               9);
      const Op op = bits(r, 15, 13) == 6 ? Op::Beq : Op::Bne;
      return make(op, r, 0, creg(bits(r, 9, 7)), 0, imm, 2);
    }
  }
}

DecodedInsn decode_q2(uint32_t r) {
  const unsigned rd = bits(r, 11, 7), rs2 = bits(r, 6, 2);
  switch (bits(r, 15, 13)) {
    case 0:  // c.slli; rd == 0 and shamt == 0 are HINTs
      return make(Op::Slli, r, rd, rd, 0, (bit(r, 12) << 5) | bits(r, 6, 2), 2);
    case 2: {  // c.lwsp; rd == 0 reserved
      if (rd == 0) return illegal(r, 2);
      const uint32_t imm = (bit(r, 12) << 5) | (bits(r, 6, 4) << 2) | (bits(r, 3, 2) << 6);
      return make(Op::Lw, r, rd, 2, 0, imm, 2);
    }
    case 3: {  // c.ldsp; rd == 0 reserved
      if (rd == 0) return illegal(r, 2);
      const uint32_t imm = (bit(r, 12) << 5) | (bits(r, 6, 5) << 3) | (bits(r, 4, 2) << 6);
      return make(Op::Ld, r, rd, 2, 0, imm, 2);
    }
    case 4:
      if (bit(r, 12) == 0) {
        if (rs2 == 0) {  // c.jr; rs1 == 0 reserved
          if (rd == 0) return illegal(r, 2);
          return make(Op::Jalr, r, 0, rd, 0, 0, 2);
        }
        return make(Op::Add, r, rd, 0, rs2, 0, 2);  // c.mv (rd == 0 is a HINT)
      }
      if (rs2 == 0) {
        if (rd == 0) return make(Op::Ebreak, r, 0, 0, 0, 0, 2);  // c.ebreak
        return make(Op::Jalr, r, 1, rd, 0, 0, 2);                // c.jalr
      }
      return make(Op::Add, r, rd, rd, rs2, 0, 2);  // c.add (rd == 0 is a HINT)
    case 6: {                                      // c.swsp
      const uint32_t imm = (bits(r, 12, 9) << 2) | (bits(r, 8, 7) << 6);
      return make(Op::Sw, r, 0, 2, rs2, imm, 2);
    }
    case 7: {  // c.sdsp
      const uint32_t imm = (bits(r, 12, 10) << 3) | (bits(r, 9, 7) << 6);
      return make(Op::Sd, r, 0, 2, rs2, imm, 2);
    }
    case 1: {  // c.fldsp (any rd, f0 included)
      const uint32_t imm = (bit(r, 12) << 5) | (bits(r, 6, 5) << 3) | (bits(r, 4, 2) << 6);
      return make(Op::Fld, r, rd, 2, 0, imm, 2);
    }
    case 5: {  // c.fsdsp
      const uint32_t imm = (bits(r, 12, 10) << 3) | (bits(r, 9, 7) << 6);
      return make(Op::Fsd, r, 0, 2, rs2, imm, 2);
    }
    default: return illegal(r, 2);
  }
}

// Mnemonics derived from the X-macro names at compile time: lower case, with a '.' before each
// inner capital ("AmoswapW" -> "amoswap.w", "SfenceVma" -> "sfence.vma").
struct OpNameTable {
  static constexpr size_t kMaxLen = 16;
  char names[static_cast<size_t>(Op::Count)][kMaxLen] = {};
  constexpr OpNameTable() {
    constexpr const char* kRaw[] = {
#define GLASSVM_OP_NAME(name) #name,
        GLASSVM_RV_OPS(GLASSVM_OP_NAME)
#undef GLASSVM_OP_NAME
    };
    static_assert(sizeof(kRaw) / sizeof(kRaw[0]) == static_cast<size_t>(Op::Count));
    for (size_t i = 0; i < static_cast<size_t>(Op::Count); ++i) {
      size_t out = 0;
      for (const char* c = kRaw[i]; *c; ++c) {
        const bool upper = *c >= 'A' && *c <= 'Z';
        if (upper && c != kRaw[i]) names[i][out++] = '.';
        names[i][out++] = upper ? static_cast<char>(*c - 'A' + 'a') : *c;
      }
    }
  }
};
constexpr OpNameTable kOpNames;

}  // namespace

DecodedInsn decode(uint32_t raw) {
  switch (raw & 3) {
    case 0: return decode_q0(raw & 0xffff);
    case 1: return decode_q1(raw & 0xffff);
    case 2: return decode_q2(raw & 0xffff);
    default: return decode32(raw);
  }
}

const char* op_name(Op op) {
  const auto i = static_cast<size_t>(op);
  return i < static_cast<size_t>(Op::Count) ? kOpNames.names[i] : "?";
}

const char* fp_reg_name(unsigned r) {
  static constexpr const char* kNames[32] = {
      "ft0", "ft1", "ft2", "ft3", "ft4",  "ft5",  "ft6", "ft7", "fs0",  "fs1", "fa0",
      "fa1", "fa2", "fa3", "fa4", "fa5",  "fa6",  "fa7", "fs2", "fs3",  "fs4", "fs5",
      "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"};
  return r < 32 ? kNames[r] : "?";
}

const char* reg_name(unsigned r) {
  static constexpr const char* kNames[32] = {"zero", "ra", "sp",  "gp",  "tp", "t0", "t1", "t2",
                                             "s0",   "s1", "a0",  "a1",  "a2", "a3", "a4", "a5",
                                             "a6",   "a7", "s2",  "s3",  "s4", "s5", "s6", "s7",
                                             "s8",   "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  return r < 32 ? kNames[r] : "?";
}

}  // namespace glassvm
