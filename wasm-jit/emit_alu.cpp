// RV64I and M arithmetic (unprivileged spec chapters 2, 5 and 7): one wasm operation or two
// each, except the 128-bit products and the divisions, which call the alu.h functions the
// interpreter uses (wasm has no high multiply, and its divisions trap where RISC-V's do not).
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

/// x[rd] = x[rs1] OP imm (64-bit).
void binary_imm(Translator& t, const DecodedInsn& d, uint8_t opcode) {
  t.get_x(d.rs1);
  t.code.i64_const(d.imm);
  t.code.op(opcode);
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

/// x[rd] = helper(x[rs1], x[rs2]).
void arith_helper(Translator& t, const DecodedInsn& d, JitHelper h) {
  t.get_x(d.rs1);
  t.get_x(d.rs2);
  t.call_helper(h);
  t.set_x(d.rd);
}

}  // namespace

bool emit_alu(Translator& t, const BlockInsn& in) {
  const DecodedInsn& d = in.d;
  WasmCode& c = t.code;
  switch (d.op) {
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
    case Op::Sraw:
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
    case Op::Remuw:
      if (d.rd == 0) return true;  // a HINT: no effect
      break;
    default: return false;
  }
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
    case Op::Mulh: arith_helper(t, d, JitHelper::Mulh); break;
    case Op::Mulhsu: arith_helper(t, d, JitHelper::Mulhsu); break;
    case Op::Mulhu: arith_helper(t, d, JitHelper::Mulhu); break;
    case Op::Div: arith_helper(t, d, JitHelper::Div); break;
    case Op::Divu: arith_helper(t, d, JitHelper::Divu); break;
    case Op::Rem: arith_helper(t, d, JitHelper::Rem); break;
    case Op::Remu: arith_helper(t, d, JitHelper::Remu); break;
    case Op::Divw: arith_helper(t, d, JitHelper::Divw); break;
    case Op::Divuw: arith_helper(t, d, JitHelper::Divuw); break;
    case Op::Remw: arith_helper(t, d, JitHelper::Remw); break;
    case Op::Remuw: arith_helper(t, d, JitHelper::Remuw); break;
    default: return false;
  }
  return true;
}

}  // namespace glassvm::jit
