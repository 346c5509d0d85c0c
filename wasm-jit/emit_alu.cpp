// RV64I and M arithmetic (unprivileged spec chapters 2, 5 and 7): one wasm operation or two
// each, except the 128-bit products (from four 32-bit partial products: wasm has no high
// multiply) and the divisions (wasm's trap where RISC-V's do not: the divisor is made safe
// and RISC-V's results for a zero divisor and the overflowing division are selected).
#include "wasm-jit/translator.h"

namespace glassvm::jit {

namespace op = wasm::op;

namespace {

/// x[rd] = x[rs1] OP x[rs2] (64-bit).
void binary(Translator& t, const DecodedInsn& d, uint8_t opcode) {
  t.get_x(d.rs1);
  t.get_x(d.rs2);
  t.code.op(opcode);
  t.set_x(d.rd);
}

/// x[rd] = x[rs1] OP imm (64-bit). LI and MV (ADDI, ORI or XORI from x0 or of 0) are just the
/// constant or the register: shorter to read in --dump-jit, and less for the browser to compile.
void binary_imm(Translator& t, const DecodedInsn& d, uint8_t opcode) {
  const bool identity_with_0 =
      opcode == op::kI64Add || opcode == op::kI64Or || opcode == op::kI64Xor;
  if (identity_with_0 && d.rs1 == 0) {
    t.code.i64_const(d.imm);
  } else {
    t.get_x(d.rs1);
    if (!identity_with_0 || d.imm != 0) {
      t.code.i64_const(d.imm);
      t.code.op(opcode);
    }
  }
  t.set_x(d.rd);
}

/// x[rd] = x[rs1] shifted by the immediate shift amount.
void shift_imm(Translator& t, const DecodedInsn& d, uint8_t opcode) {
  t.get_x(d.rs1);
  t.code.i64_const(d.imm & 63);
  t.code.op(opcode);
  t.set_x(d.rd);
}

/// x[rd] = sext32(x[rs1] OP x[rs2]) computed in 32 bits (the *W shifts: wasm masks the count
/// to 5 bits as RISC-V does).
void word(Translator& t, const DecodedInsn& d, uint8_t opcode32, bool imm) {
  t.get_x(d.rs1);
  t.code.op(op::kI32WrapI64);
  if (imm) {
    t.code.i32_const(static_cast<int32_t>(d.imm & 31));
  } else {
    t.get_x(d.rs2);
    t.code.op(op::kI32WrapI64);
  }
  t.code.op(opcode32);
  t.code.op(op::kI64ExtendI32S);
  t.set_x(d.rd);
}

/// x[rd] = comparison of x[rs1] with x[rs2] or imm, as 0 or 1.
void compare(Translator& t, const DecodedInsn& d, uint8_t opcode, bool imm) {
  t.get_x(d.rs1);
  if (imm) {
    t.code.i64_const(d.imm);
  } else {
    t.get_x(d.rs2);
  }
  t.code.op(opcode);
  t.code.op(op::kI64ExtendI32U);
  t.set_x(d.rd);
}

/// Pushes x[r], for a word operation its low 32 bits extended (signed or not) to 64.
void push_operand(Translator& t, unsigned r, bool word, bool is_signed) {
  t.get_x(r);
  if (word) {
    t.code.op(op::kI32WrapI64);
    t.code.op(is_signed ? op::kI64ExtendI32S : op::kI64ExtendI32U);
  }
}

/// DIV[U][W], REM[U][W] (spec 7.2): x / 0 is all ones and x % 0 is x; the overflowing signed
/// division (most negative / -1) is the dividend and its remainder 0. The word forms are the
/// 64-bit ones on extended operands, their results sign-extended from 32 bits.
void divide(Translator& t, const DecodedInsn& d, bool is_signed, bool remainder, bool word) {
  WasmCode& c = t.code;
  const uint32_t a = t.addr, b = t.tmp;
  push_operand(t, d.rs1, word, is_signed);
  c.local_set(a);
  push_operand(t, d.rs2, word, is_signed);
  c.local_set(b);
  // The special result first (select's first operand): for b == 0, and signed for b == -1.
  if (remainder) {
    c.local_get(a);
    if (is_signed) {
      c.i64_const(0);
      c.local_get(b);
      c.op(op::kI64Eqz);
      c.op(op::kSelect);
    }
  } else {
    c.i64_const(-1);
    if (is_signed) {
      c.i64_const(0);
      c.local_get(a);
      c.op(op::kI64Sub);
      c.local_get(b);
      c.op(op::kI64Eqz);
      c.op(op::kSelect);
    }
  }
  // The wasm division with 1 for the divisors it would trap on.
  auto special = [&] {
    c.local_get(b);
    if (is_signed) {  // b + 1 < 2: b is 0 or -1
      c.i64_const(1);
      c.op(op::kI64Add);
      c.i64_const(2);
      c.op(op::kI64LtU);
    } else {
      c.op(op::kI64Eqz);
    }
  };
  c.local_get(a);
  c.i64_const(1);
  c.local_get(b);
  special();
  c.op(op::kSelect);
  c.op(remainder ? (is_signed ? op::kI64RemS : op::kI64RemU)
                 : (is_signed ? op::kI64DivS : op::kI64DivU));
  special();
  c.op(op::kSelect);
  if (word) c.op(op::kI64Extend32S);
  t.set_x(d.rd);
}

/// MULH, MULHSU, MULHU: the high 64 bits of the 128-bit product, from the four 32-bit partial
/// products of the unsigned operands; a signed operand's sign subtracts the other operand.
void multiply_high(Translator& t, const DecodedInsn& d, bool a_signed, bool b_signed) {
  WasmCode& c = t.code;
  const uint32_t a = t.addr, b = t.tmp, lo_hi = t.scratch(0), hi_lo = t.scratch(1);
  constexpr int64_t kLow = 0xffffffff;
  auto half = [&](uint32_t v, bool high) {
    c.local_get(v);
    c.i64_const(high ? 32 : kLow);
    c.op(high ? op::kI64ShrU : op::kI64And);
  };
  t.get_x(d.rs1);
  c.local_set(a);
  t.get_x(d.rs2);
  c.local_set(b);
  half(a, false);
  half(b, true);
  c.op(op::kI64Mul);
  c.local_set(lo_hi);
  half(a, true);
  half(b, false);
  c.op(op::kI64Mul);
  c.local_set(hi_lo);
  // The middle column with the carry out of the low one: below 2^64.
  half(a, false);
  half(b, false);
  c.op(op::kI64Mul);
  c.i64_const(32);
  c.op(op::kI64ShrU);
  half(hi_lo, false);
  c.op(op::kI64Add);
  c.local_get(lo_hi);
  c.op(op::kI64Add);
  c.i64_const(32);
  c.op(op::kI64ShrU);
  half(a, true);
  half(b, true);
  c.op(op::kI64Mul);
  c.op(op::kI64Add);
  half(hi_lo, true);
  c.op(op::kI64Add);
  // A negative operand is the unsigned one minus 2^64: subtract the other operand.
  auto subtract_if_negative = [&](uint32_t sign_of, uint32_t other) {
    c.local_get(other);
    c.local_get(sign_of);
    c.i64_const(63);
    c.op(op::kI64ShrS);
    c.op(op::kI64And);
    c.op(op::kI64Sub);
  };
  if (a_signed) subtract_if_negative(a, b);
  if (b_signed) subtract_if_negative(b, a);
  t.set_x(d.rd);
}

/// What emit_alu does with an instruction.
enum class AluKind {
  None,    ///< not one of its instructions
  Base,    ///< RV64I arithmetic: wasm operations on the registers' values, no other local
  MulDiv,  ///< the M extension: products and quotients, some with scratch locals
};

AluKind alu_kind(Op o) {
  switch (o) {
    case Op::Lui:
    case Op::Auipc:
    case Op::Addi:
    case Op::Slti:
    case Op::Sltiu:
    case Op::Xori:
    case Op::Ori:
    case Op::Andi:
    case Op::Slli:
    case Op::Srli:
    case Op::Srai:
    case Op::Add:
    case Op::Sub:
    case Op::Sll:
    case Op::Slt:
    case Op::Sltu:
    case Op::Xor:
    case Op::Srl:
    case Op::Sra:
    case Op::Or:
    case Op::And:
    case Op::Addiw:
    case Op::Slliw:
    case Op::Srliw:
    case Op::Sraiw:
    case Op::Addw:
    case Op::Subw:
    case Op::Sllw:
    case Op::Srlw:
    case Op::Sraw: return AluKind::Base;
    case Op::Mul:
    case Op::Mulh:
    case Op::Mulhsu:
    case Op::Mulhu:
    case Op::Div:
    case Op::Divu:
    case Op::Rem:
    case Op::Remu:
    case Op::Mulw:
    case Op::Divw:
    case Op::Divuw:
    case Op::Remw:
    case Op::Remuw: return AluKind::MulDiv;
    default: return AluKind::None;
  }
}

}  // namespace

bool skips_cleanly(const DecodedInsn& d) {
  return alu_kind(d.op) == AluKind::Base && d.rd != 0;
}

bool emit_alu(Translator& t, const BlockInsn& in) {
  const DecodedInsn& d = in.d;
  WasmCode& c = t.code;
  if (alu_kind(d.op) == AluKind::None) return false;
  if (d.rd == 0) return true;  // a HINT: no effect
  switch (d.op) {
    case Op::Lui:
      c.i64_const(d.imm);
      t.set_x(d.rd);
      break;
    case Op::Auipc:
      t.push_vaddr(in.off + d.imm);
      t.set_x(d.rd);
      break;
    case Op::Addi: binary_imm(t, d, op::kI64Add); break;
    case Op::Slti: compare(t, d, op::kI64LtS, true); break;
    case Op::Sltiu: compare(t, d, op::kI64LtU, true); break;
    case Op::Xori: binary_imm(t, d, op::kI64Xor); break;
    case Op::Ori: binary_imm(t, d, op::kI64Or); break;
    case Op::Andi: binary_imm(t, d, op::kI64And); break;
    case Op::Slli: shift_imm(t, d, op::kI64Shl); break;
    case Op::Srli: shift_imm(t, d, op::kI64ShrU); break;
    case Op::Srai: shift_imm(t, d, op::kI64ShrS); break;
    case Op::Add: binary(t, d, op::kI64Add); break;
    case Op::Sub: binary(t, d, op::kI64Sub); break;
    case Op::Sll: binary(t, d, op::kI64Shl); break;
    case Op::Slt: compare(t, d, op::kI64LtS, false); break;
    case Op::Sltu: compare(t, d, op::kI64LtU, false); break;
    case Op::Xor: binary(t, d, op::kI64Xor); break;
    case Op::Srl: binary(t, d, op::kI64ShrU); break;
    case Op::Sra: binary(t, d, op::kI64ShrS); break;
    case Op::Or: binary(t, d, op::kI64Or); break;
    case Op::And: binary(t, d, op::kI64And); break;
    case Op::Addiw:
      t.get_x(d.rs1);
      c.i64_const(d.imm);
      c.op(op::kI64Add);
      c.op(op::kI64Extend32S);
      t.set_x(d.rd);
      break;
    case Op::Slliw: word(t, d, op::kI32Shl, true); break;
    case Op::Srliw: word(t, d, op::kI32ShrU, true); break;
    case Op::Sraiw: word(t, d, op::kI32ShrS, true); break;
    case Op::Addw:
    case Op::Subw:
    case Op::Mulw:
      t.get_x(d.rs1);
      t.get_x(d.rs2);
      c.op(d.op == Op::Addw ? op::kI64Add : d.op == Op::Subw ? op::kI64Sub : op::kI64Mul);
      c.op(op::kI64Extend32S);
      t.set_x(d.rd);
      break;
    case Op::Sllw: word(t, d, op::kI32Shl, false); break;
    case Op::Srlw: word(t, d, op::kI32ShrU, false); break;
    case Op::Sraw: word(t, d, op::kI32ShrS, false); break;
    case Op::Mul: binary(t, d, op::kI64Mul); break;
    case Op::Mulh: multiply_high(t, d, true, true); break;
    case Op::Mulhsu: multiply_high(t, d, true, false); break;
    case Op::Mulhu: multiply_high(t, d, false, false); break;
    case Op::Div: divide(t, d, true, false, false); break;
    case Op::Divu: divide(t, d, false, false, false); break;
    case Op::Rem: divide(t, d, true, true, false); break;
    case Op::Remu: divide(t, d, false, true, false); break;
    case Op::Divw: divide(t, d, true, false, true); break;
    case Op::Divuw: divide(t, d, false, false, true); break;
    case Op::Remw: divide(t, d, true, true, true); break;
    case Op::Remuw: divide(t, d, false, true, true); break;
    default: return false;
  }
  return true;
}

}  // namespace glassvm::jit
