// RISC-V instruction decoder, shared by the interpreter, the disassembler and the JIT.
//
// Design note: decoding is a pure function from an instruction word to a DecodedInsn. A
// compressed (16-bit) instruction decodes to the operation of the 32-bit instruction it
// expands to, with len == 2, so that executors only know one set of operations. Encodings
// that are reserved or not implemented decode to Op::Illegal; the executor raises the trap.
// HINT encodings (for example c.addi x0 or c.slli with shamt 0) are legal and decode to the
// operation they are written as. FENCE and FENCE.I ignore their reserved fields, as the spec
// requires of base implementations. Implementation: cpu_decode.cpp; text: cpu_disasm.cpp.
#pragma once

#include <cstdint>
#include <string>

namespace glassvm {

// X-macro list of every operation. Names follow the specification's mnemonics.
// clang-format off
#define GLASSVM_RV_OPS(X)                                                                      \
  X(Illegal)                                                                                   \
  /* RV64I */                                                                                  \
  X(Lui) X(Auipc) X(Jal) X(Jalr)                                                               \
  X(Beq) X(Bne) X(Blt) X(Bge) X(Bltu) X(Bgeu)                                                  \
  X(Lb) X(Lh) X(Lw) X(Ld) X(Lbu) X(Lhu) X(Lwu)                                                 \
  X(Sb) X(Sh) X(Sw) X(Sd)                                                                      \
  X(Addi) X(Slti) X(Sltiu) X(Xori) X(Ori) X(Andi) X(Slli) X(Srli) X(Srai)                      \
  X(Add) X(Sub) X(Sll) X(Slt) X(Sltu) X(Xor) X(Srl) X(Sra) X(Or) X(And)                        \
  X(Addiw) X(Slliw) X(Srliw) X(Sraiw)                                                          \
  X(Addw) X(Subw) X(Sllw) X(Srlw) X(Sraw)                                                      \
  X(Fence) X(FenceI)                                                                           \
  X(Ecall) X(Ebreak) X(Mret) X(Sret) X(Wfi) X(SfenceVma)                                       \
  /* Zicsr */                                                                                  \
  X(Csrrw) X(Csrrs) X(Csrrc) X(Csrrwi) X(Csrrsi) X(Csrrci)                                     \
  /* M */                                                                                      \
  X(Mul) X(Mulh) X(Mulhsu) X(Mulhu) X(Div) X(Divu) X(Rem) X(Remu)                              \
  X(Mulw) X(Divw) X(Divuw) X(Remw) X(Remuw)                                                    \
  /* A */                                                                                      \
  X(LrW) X(ScW) X(AmoswapW) X(AmoaddW) X(AmoxorW) X(AmoandW) X(AmoorW)                         \
  X(AmominW) X(AmomaxW) X(AmominuW) X(AmomaxuW)                                                \
  X(LrD) X(ScD) X(AmoswapD) X(AmoaddD) X(AmoxorD) X(AmoandD) X(AmoorD)                         \
  X(AmominD) X(AmomaxD) X(AmominuD) X(AmomaxuD)                                                \
  /* F (first: Flw..FclassS) */                                                               \
  X(Flw) X(Fsw) X(FmaddS) X(FmsubS) X(FnmsubS) X(FnmaddS)                                      \
  X(FaddS) X(FsubS) X(FmulS) X(FdivS) X(FsqrtS) X(FsgnjS) X(FsgnjnS) X(FsgnjxS)                \
  X(FminS) X(FmaxS) X(FcvtWS) X(FcvtWuS) X(FcvtLS) X(FcvtLuS)                                  \
  X(FcvtSW) X(FcvtSWu) X(FcvtSL) X(FcvtSLu) X(FmvXW) X(FmvWX)                                  \
  X(FeqS) X(FltS) X(FleS) X(FclassS)                                                           \
  /* D (last: Fld..FclassD) */                                                                 \
  X(Fld) X(Fsd) X(FmaddD) X(FmsubD) X(FnmsubD) X(FnmaddD)                                      \
  X(FaddD) X(FsubD) X(FmulD) X(FdivD) X(FsqrtD) X(FsgnjD) X(FsgnjnD) X(FsgnjxD)                \
  X(FminD) X(FmaxD) X(FcvtWD) X(FcvtWuD) X(FcvtLD) X(FcvtLuD)                                  \
  X(FcvtDW) X(FcvtDWu) X(FcvtDL) X(FcvtDLu) X(FmvXD) X(FmvDX)                                  \
  X(FeqD) X(FltD) X(FleD) X(FclassD) X(FcvtSD) X(FcvtDS)
// clang-format on

enum class Op : uint8_t {
#define GLASSVM_OP_ENUM(name) name,
  GLASSVM_RV_OPS(GLASSVM_OP_ENUM)
#undef GLASSVM_OP_ENUM
      Count
};

/// One decoded instruction. Field use by format:
/// - R: rd, rs1, rs2.  I/load/JALR: rd, rs1, imm.  S/B: rs1, rs2, imm.  U/J: rd, imm.
/// - shifts: imm is the shift amount.
/// - CSR: imm is the CSR number; for the *I forms rs1 holds the 5-bit zero-extended uimm.
/// - FENCE: imm holds the raw fm/pred/succ bits (instruction bits 31:20).
/// - AMO/LR/SC: rd, rs1, rs2; aq/rl in `aqrl` (bit 1 = aq, bit 0 = rl).
/// - F/D: rd, rs1, rs2 name f or x registers as the instruction says (op_fp_rd_is_x() and
///   op_fp_rs1_is_x()); rs3 for the fused multiply-adds; rm is the rounding-mode field (7 =
///   DYN, 5 and 6 decode as Illegal) for the ops that have one, else 0.
/// Immediates are sign-extended to 64 bits as the specification says (LUI/AUIPC: imm << 12).
struct DecodedInsn {
  Op op = Op::Illegal;
  uint8_t rd = 0;
  uint8_t rs1 = 0;
  uint8_t rs2 = 0;
  uint8_t len = 4;  ///< 2 for compressed, 4 otherwise
  uint8_t aqrl = 0;
  uint8_t rs3 = 0;  ///< F/D fused multiply-add: the addend register
  uint8_t rm = 0;   ///< F/D: the rounding-mode field
  int64_t imm = 0;
  uint32_t raw = 0;  ///< the instruction word as fetched (16 significant bits when len == 2)
};

/// Length in bytes of the instruction whose low 16 bits are `low16` (2 or 4; longer encodings
/// are not supported and report 4, and then decode as Illegal).
constexpr unsigned insn_length(uint32_t low16) {
  return (low16 & 3) == 3 ? 4 : 2;
}

/// Whether `op` is an F or D instruction (it needs mstatus.FS != Off).
constexpr bool op_is_fp(Op op) {
  return op >= Op::Flw && op <= Op::FcvtDS;
}
/// Whether the F/D instruction `op` writes an integer register (FCVT to integer, FMV.X,
/// comparisons, FCLASS); the others with a destination write an f register.
constexpr bool op_fp_rd_is_x(Op op) {
  switch (op) {
    case Op::FcvtWS:
    case Op::FcvtWuS:
    case Op::FcvtLS:
    case Op::FcvtLuS:
    case Op::FmvXW:
    case Op::FeqS:
    case Op::FltS:
    case Op::FleS:
    case Op::FclassS:
    case Op::FcvtWD:
    case Op::FcvtWuD:
    case Op::FcvtLD:
    case Op::FcvtLuD:
    case Op::FmvXD:
    case Op::FeqD:
    case Op::FltD:
    case Op::FleD:
    case Op::FclassD: return true;
    default: return false;
  }
}
/// Whether the F/D instruction `op` reads an integer rs1 (loads, stores, FCVT from integer,
/// FMV to an f register).
constexpr bool op_fp_rs1_is_x(Op op) {
  switch (op) {
    case Op::Flw:
    case Op::Fsw:
    case Op::Fld:
    case Op::Fsd:
    case Op::FcvtSW:
    case Op::FcvtSWu:
    case Op::FcvtSL:
    case Op::FcvtSLu:
    case Op::FmvWX:
    case Op::FcvtDW:
    case Op::FcvtDWu:
    case Op::FcvtDL:
    case Op::FcvtDLu:
    case Op::FmvDX: return true;
    default: return false;
  }
}

/// ABI name of f register `r` ("ft0", ... "ft11"); "?" when r > 31.
const char* fp_reg_name(unsigned r);

/// Decodes one instruction. For compressed encodings only the low 16 bits of `raw` are read
/// (and `raw` of the result holds only those). Never fails: unknown, reserved or
/// not-implemented encodings give Op::Illegal
/// with `len` set from the low two bits.
DecodedInsn decode(uint32_t raw);

/// The mnemonic of an operation ("addi", "amoswap.w", "sfence.vma", "illegal"). Never null.
const char* op_name(Op op);

/// Disassembles an instruction at `pc` in the style of objdump ("addi a0,a0,1",
/// "beq a0,a1,0x80000010"), using ABI register names, objdump's pseudo-instructions (li, mv,
/// ret, j, beqz, csrr, ...) and CSR names. Compressed instructions print as their expansion;
/// Illegal prints as ".2byte 0x...." or ".4byte 0x........".
std::string disassemble(const DecodedInsn& insn, uint64_t pc);

/// ABI name of integer register `r` ("zero", "ra", "sp", ... "t6"); "?" when r > 31.
const char* reg_name(unsigned r);

}  // namespace glassvm
