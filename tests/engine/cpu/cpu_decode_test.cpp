// Decoder tests: every operation, 32-bit and compressed, and the illegal encodings.
//
// The raw words of the tables were produced by `llvm-mc --triple=riscv64 -mattr=+m,+a,+c
// --show-encoding` from the assembly in each comment; the expected fields were written from
// that assembly (for compressed instructions, from the expansion the C chapter specifies).
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <string>

#include "engine/cpu/decode.h"

namespace glassvm {
namespace {

struct Case {
  uint32_t raw;
  Op op;
  unsigned rd, rs1, rs2;
  int64_t imm;
  unsigned aqrl;
};

void expect_case(const Case& c, unsigned len, const char* what) {
  SCOPED_TRACE(what);
  const DecodedInsn d = decode(c.raw);
  EXPECT_EQ(d.op, c.op) << op_name(d.op) << " vs " << op_name(c.op);
  EXPECT_EQ(d.rd, c.rd);
  EXPECT_EQ(d.rs1, c.rs1);
  EXPECT_EQ(d.rs2, c.rs2);
  EXPECT_EQ(d.imm, c.imm);
  EXPECT_EQ(d.aqrl, c.aqrl);
  EXPECT_EQ(d.len, len);
  EXPECT_EQ(d.raw, c.raw);
}

// ---- 32-bit encodings ------------------------------------------------------------------------

constexpr Case k32[] = {
    {0xffffffb7, Op::Lui, 31, 0, 0, -4096, 0},          // lui t6, 0xfffff
    {0x80000517, Op::Auipc, 10, 0, 0, -2147483648, 0},  // auipc a0, 0x80000
    {0x800000ef, Op::Jal, 1, 0, 0, -1048576, 0},        // jal ra, -1048576
    {0x7ffff06f, Op::Jal, 0, 0, 0, 1048574, 0},         // jal zero, 1048574
    {0x800582e7, Op::Jalr, 5, 11, 0, -2048, 0},         // jalr t0, -2048(a1)
    {0x80b50063, Op::Beq, 0, 10, 11, -4096, 0},         // beq a0, a1, -4096
    {0x7e941fe3, Op::Bne, 0, 8, 9, 4094, 0},            // bne s0, s1, 4094
    {0x0062c463, Op::Blt, 0, 5, 6, 8, 0},               // blt t0, t1, 8
    {0xfed65ce3, Op::Bge, 0, 12, 13, -8, 0},            // bge a2, a3, -8
    {0x00f76863, Op::Bltu, 0, 14, 15, 16, 0},           // bltu a4, a5, 16
    {0x01397163, Op::Bgeu, 0, 18, 19, 2, 0},            // bgeu s2, s3, 2
    {0x80010503, Op::Lb, 10, 2, 0, -2048, 0},           // lb a0, -2048(sp)
    {0x7ff19583, Op::Lh, 11, 3, 0, 2047, 0},            // lh a1, 2047(gp)
    {0xfff22603, Op::Lw, 12, 4, 0, -1, 0},              // lw a2, -1(tp)
    {0x0082b683, Op::Ld, 13, 5, 0, 8, 0},               // ld a3, 8(t0)
    {0x00134703, Op::Lbu, 14, 6, 0, 1, 0},              // lbu a4, 1(t1)
    {0x0023d783, Op::Lhu, 15, 7, 0, 2, 0},              // lhu a5, 2(t2)
    {0x00446803, Op::Lwu, 16, 8, 0, 4, 0},              // lwu a6, 4(s0)
    {0x80a10023, Op::Sb, 0, 2, 10, -2048, 0},           // sb a0, -2048(sp)
    {0x7eb19fa3, Op::Sh, 0, 3, 11, 2047, 0},            // sh a1, 2047(gp)
    {0xfec22fa3, Op::Sw, 0, 4, 12, -1, 0},              // sw a2, -1(tp)
    {0x01f2b423, Op::Sd, 0, 5, 31, 8, 0},               // sd t6, 8(t0)
    {0x80058513, Op::Addi, 10, 11, 0, -2048, 0},        // addi a0, a1, -2048
    {0x7ff5a513, Op::Slti, 10, 11, 0, 2047, 0},         // slti a0, a1, 2047
    {0xfff5b513, Op::Sltiu, 10, 11, 0, -1, 0},          // sltiu a0, a1, -1
    {0x0055c513, Op::Xori, 10, 11, 0, 5, 0},            // xori a0, a1, 5
    {0xffb5e513, Op::Ori, 10, 11, 0, -5, 0},            // ori a0, a1, -5
    {0x0ff5f513, Op::Andi, 10, 11, 0, 255, 0},          // andi a0, a1, 255
    {0x03f91493, Op::Slli, 9, 18, 0, 63, 0},            // slli s1, s2, 63
    {0x02095493, Op::Srli, 9, 18, 0, 32, 0},            // srli s1, s2, 32
    {0x43f95493, Op::Srai, 9, 18, 0, 63, 0},            // srai s1, s2, 63
    {0x01ee8e33, Op::Add, 28, 29, 30, 0, 0},            // add t3, t4, t5
    {0x41ee8e33, Op::Sub, 28, 29, 30, 0, 0},            // sub t3, t4, t5
    {0x01ee9e33, Op::Sll, 28, 29, 30, 0, 0},            // sll t3, t4, t5
    {0x01eeae33, Op::Slt, 28, 29, 30, 0, 0},            // slt t3, t4, t5
    {0x01eebe33, Op::Sltu, 28, 29, 30, 0, 0},           // sltu t3, t4, t5
    {0x01eece33, Op::Xor, 28, 29, 30, 0, 0},            // xor t3, t4, t5
    {0x01eede33, Op::Srl, 28, 29, 30, 0, 0},            // srl t3, t4, t5
    {0x41eede33, Op::Sra, 28, 29, 30, 0, 0},            // sra t3, t4, t5
    {0x01eeee33, Op::Or, 28, 29, 30, 0, 0},             // or t3, t4, t5
    {0x01eefe33, Op::And, 28, 29, 30, 0, 0},            // and t3, t4, t5
    {0xfff5851b, Op::Addiw, 10, 11, 0, -1, 0},          // addiw a0, a1, -1
    {0x01f5951b, Op::Slliw, 10, 11, 0, 31, 0},          // slliw a0, a1, 31
    {0x01f5d51b, Op::Srliw, 10, 11, 0, 31, 0},          // srliw a0, a1, 31
    {0x41f5d51b, Op::Sraiw, 10, 11, 0, 31, 0},          // sraiw a0, a1, 31
    {0x016a8a3b, Op::Addw, 20, 21, 22, 0, 0},           // addw s4, s5, s6
    {0x416a8a3b, Op::Subw, 20, 21, 22, 0, 0},           // subw s4, s5, s6
    {0x016a9a3b, Op::Sllw, 20, 21, 22, 0, 0},           // sllw s4, s5, s6
    {0x016ada3b, Op::Srlw, 20, 21, 22, 0, 0},           // srlw s4, s5, s6
    {0x416ada3b, Op::Sraw, 20, 21, 22, 0, 0},           // sraw s4, s5, s6
    {0x0310000f, Op::Fence, 0, 0, 0, 49, 0},            // fence rw, w
    {0x0000100f, Op::FenceI, 0, 0, 0, 0, 0},            // fence.i
    {0x00000073, Op::Ecall, 0, 0, 0, 0, 0},             // ecall
    {0x00100073, Op::Ebreak, 0, 0, 0, 0, 0},            // ebreak
    {0x30200073, Op::Mret, 0, 0, 0, 0, 0},              // mret
    {0x10200073, Op::Sret, 0, 0, 0, 0, 0},              // sret
    {0x10500073, Op::Wfi, 0, 0, 0, 0, 0},               // wfi
    {0x12b50073, Op::SfenceVma, 0, 10, 11, 0, 0},       // sfence.vma a0, a1
    {0x30059573, Op::Csrrw, 10, 11, 0, 768, 0},         // csrrw a0, mstatus, a1
    {0xfff5a573, Op::Csrrs, 10, 11, 0, 4095, 0},        // csrrs a0, 0xfff, a1
    {0x1805b573, Op::Csrrc, 10, 11, 0, 384, 0},         // csrrc a0, satp, a1
    {0x305fd573, Op::Csrrwi, 10, 31, 0, 773, 0},        // csrrwi a0, mtvec, 31
    {0x3040e573, Op::Csrrsi, 10, 1, 0, 772, 0},         // csrrsi a0, mie, 1
    {0x34407573, Op::Csrrci, 10, 0, 0, 836, 0},         // csrrci a0, mip, 0
    {0x039c0bb3, Op::Mul, 23, 24, 25, 0, 0},            // mul s7, s8, s9
    {0x039c1bb3, Op::Mulh, 23, 24, 25, 0, 0},           // mulh s7, s8, s9
    {0x039c2bb3, Op::Mulhsu, 23, 24, 25, 0, 0},         // mulhsu s7, s8, s9
    {0x039c3bb3, Op::Mulhu, 23, 24, 25, 0, 0},          // mulhu s7, s8, s9
    {0x039c4bb3, Op::Div, 23, 24, 25, 0, 0},            // div s7, s8, s9
    {0x039c5bb3, Op::Divu, 23, 24, 25, 0, 0},           // divu s7, s8, s9
    {0x039c6bb3, Op::Rem, 23, 24, 25, 0, 0},            // rem s7, s8, s9
    {0x039c7bb3, Op::Remu, 23, 24, 25, 0, 0},           // remu s7, s8, s9
    {0x039c0bbb, Op::Mulw, 23, 24, 25, 0, 0},           // mulw s7, s8, s9
    {0x039c4bbb, Op::Divw, 23, 24, 25, 0, 0},           // divw s7, s8, s9
    {0x039c5bbb, Op::Divuw, 23, 24, 25, 0, 0},          // divuw s7, s8, s9
    {0x039c6bbb, Op::Remw, 23, 24, 25, 0, 0},           // remw s7, s8, s9
    {0x039c7bbb, Op::Remuw, 23, 24, 25, 0, 0},          // remuw s7, s8, s9
    {0x1005a52f, Op::LrW, 10, 11, 0, 0, 0},             // lr.w a0, (a1)
    {0x1cc5a52f, Op::ScW, 10, 11, 12, 0, 2},            // sc.w.aq a0, a2, (a1)
    {0x0ac5a52f, Op::AmoswapW, 10, 11, 12, 0, 1},       // amoswap.w.rl a0, a2, (a1)
    {0x06c5a52f, Op::AmoaddW, 10, 11, 12, 0, 3},        // amoadd.w.aqrl a0, a2, (a1)
    {0x20c5a52f, Op::AmoxorW, 10, 11, 12, 0, 0},        // amoxor.w a0, a2, (a1)
    {0x60c5a52f, Op::AmoandW, 10, 11, 12, 0, 0},        // amoand.w a0, a2, (a1)
    {0x40c5a52f, Op::AmoorW, 10, 11, 12, 0, 0},         // amoor.w a0, a2, (a1)
    {0x80c5a52f, Op::AmominW, 10, 11, 12, 0, 0},        // amomin.w a0, a2, (a1)
    {0xa0c5a52f, Op::AmomaxW, 10, 11, 12, 0, 0},        // amomax.w a0, a2, (a1)
    {0xc0c5a52f, Op::AmominuW, 10, 11, 12, 0, 0},       // amominu.w a0, a2, (a1)
    {0xe0c5a52f, Op::AmomaxuW, 10, 11, 12, 0, 0},       // amomaxu.w a0, a2, (a1)
    {0x1605b52f, Op::LrD, 10, 11, 0, 0, 3},             // lr.d.aqrl a0, (a1)
    {0x18c5b52f, Op::ScD, 10, 11, 12, 0, 0},            // sc.d a0, a2, (a1)
    {0x08c5b52f, Op::AmoswapD, 10, 11, 12, 0, 0},       // amoswap.d a0, a2, (a1)
    {0x00c5b52f, Op::AmoaddD, 10, 11, 12, 0, 0},        // amoadd.d a0, a2, (a1)
    {0x20c5b52f, Op::AmoxorD, 10, 11, 12, 0, 0},        // amoxor.d a0, a2, (a1)
    {0x60c5b52f, Op::AmoandD, 10, 11, 12, 0, 0},        // amoand.d a0, a2, (a1)
    {0x40c5b52f, Op::AmoorD, 10, 11, 12, 0, 0},         // amoor.d a0, a2, (a1)
    {0x80c5b52f, Op::AmominD, 10, 11, 12, 0, 0},        // amomin.d a0, a2, (a1)
    {0xa0c5b52f, Op::AmomaxD, 10, 11, 12, 0, 0},        // amomax.d a0, a2, (a1)
    {0xc0c5b52f, Op::AmominuD, 10, 11, 12, 0, 0},       // amominu.d a0, a2, (a1)
    {0xe4c5b52f, Op::AmomaxuD, 10, 11, 12, 0, 2},       // amomaxu.d.aq a0, a2, (a1)
    // F and D (encodings from llvm-mc); FCVT keeps its type selector in rs2.
    {0x80012507, Op::Flw, 10, 2, 0, -2048, 0},    // flw fa0, -2048(sp)
    {0x7ff52fa7, Op::Fsw, 0, 10, 31, 2047, 0},    // fsw ft11, 2047(a0)
    {0x1820f043, Op::FmaddS, 0, 1, 2, 0, 0},      // fmadd.s ft0, ft1, ft2, ft3
    {0x68c59547, Op::FmsubS, 10, 11, 12, 0, 0},   // fmsub.s fa0, fa1, fa2, fa3, rtz
    {0x9924f44b, Op::FnmsubS, 8, 9, 18, 0, 0},    // fnmsub.s fs0, fs1, fs2, fs3
    {0xf9eefe4f, Op::FnmaddS, 28, 29, 30, 0, 0},  // fnmadd.s ft8, ft9, ft10, ft11
    {0x00c5f553, Op::FaddS, 10, 11, 12, 0, 0},    // fadd.s fa0, fa1, fa2
    {0x08c58553, Op::FsubS, 10, 11, 12, 0, 0},    // fsub.s fa0, fa1, fa2, rne
    {0x10c5a553, Op::FmulS, 10, 11, 12, 0, 0},    // fmul.s fa0, fa1, fa2, rdn
    {0x18c5b553, Op::FdivS, 10, 11, 12, 0, 0},    // fdiv.s fa0, fa1, fa2, rup
    {0x5805c553, Op::FsqrtS, 10, 11, 0, 0, 0},    // fsqrt.s fa0, fa1, rmm
    {0x20c58553, Op::FsgnjS, 10, 11, 12, 0, 0},   // fsgnj.s fa0, fa1, fa2
    {0x20c59553, Op::FsgnjnS, 10, 11, 12, 0, 0},  // fsgnjn.s fa0, fa1, fa2
    {0x20c5a553, Op::FsgnjxS, 10, 11, 12, 0, 0},  // fsgnjx.s fa0, fa1, fa2
    {0x28c58553, Op::FminS, 10, 11, 12, 0, 0},    // fmin.s fa0, fa1, fa2
    {0x28c59553, Op::FmaxS, 10, 11, 12, 0, 0},    // fmax.s fa0, fa1, fa2
    {0xc0059553, Op::FcvtWS, 10, 11, 0, 0, 0},    // fcvt.w.s a0, fa1, rtz
    {0xc015f553, Op::FcvtWuS, 10, 11, 1, 0, 0},   // fcvt.wu.s a0, fa1
    {0xc025f553, Op::FcvtLS, 10, 11, 2, 0, 0},    // fcvt.l.s a0, fa1
    {0xc035f553, Op::FcvtLuS, 10, 11, 3, 0, 0},   // fcvt.lu.s a0, fa1
    {0xd005f553, Op::FcvtSW, 10, 11, 0, 0, 0},    // fcvt.s.w fa0, a1
    {0xd015f553, Op::FcvtSWu, 10, 11, 1, 0, 0},   // fcvt.s.wu fa0, a1
    {0xd025f553, Op::FcvtSL, 10, 11, 2, 0, 0},    // fcvt.s.l fa0, a1
    {0xd035f553, Op::FcvtSLu, 10, 11, 3, 0, 0},   // fcvt.s.lu fa0, a1
    {0xe0058553, Op::FmvXW, 10, 11, 0, 0, 0},     // fmv.x.w a0, fa1
    {0xf0058553, Op::FmvWX, 10, 11, 0, 0, 0},     // fmv.w.x fa0, a1
    {0xa0c5a553, Op::FeqS, 10, 11, 12, 0, 0},     // feq.s a0, fa1, fa2
    {0xa0c59553, Op::FltS, 10, 11, 12, 0, 0},     // flt.s a0, fa1, fa2
    {0xa0c58553, Op::FleS, 10, 11, 12, 0, 0},     // fle.s a0, fa1, fa2
    {0xe0059553, Op::FclassS, 10, 11, 0, 0, 0},   // fclass.s a0, fa1
    {0x00843507, Op::Fld, 10, 8, 0, 8, 0},        // fld fa0, 8(s0)
    {0xffb2bc27, Op::Fsd, 0, 5, 27, -8, 0},       // fsd fs11, -8(t0)
    {0x1a20f043, Op::FmaddD, 0, 1, 2, 0, 0},      // fmadd.d ft0, ft1, ft2, ft3
    {0x6ac5f547, Op::FmsubD, 10, 11, 12, 0, 0},   // fmsub.d fa0, fa1, fa2, fa3
    {0x6ac5f54b, Op::FnmsubD, 10, 11, 12, 0, 0},  // fnmsub.d fa0, fa1, fa2, fa3
    {0x6ac5f54f, Op::FnmaddD, 10, 11, 12, 0, 0},  // fnmadd.d fa0, fa1, fa2, fa3
    {0x02c5f553, Op::FaddD, 10, 11, 12, 0, 0},    // fadd.d fa0, fa1, fa2
    {0x0ac5f553, Op::FsubD, 10, 11, 12, 0, 0},    // fsub.d fa0, fa1, fa2
    {0x12c5f553, Op::FmulD, 10, 11, 12, 0, 0},    // fmul.d fa0, fa1, fa2
    {0x1ac5f553, Op::FdivD, 10, 11, 12, 0, 0},    // fdiv.d fa0, fa1, fa2
    {0x5a05f553, Op::FsqrtD, 10, 11, 0, 0, 0},    // fsqrt.d fa0, fa1
    {0x22c58553, Op::FsgnjD, 10, 11, 12, 0, 0},   // fsgnj.d fa0, fa1, fa2
    {0x22c59553, Op::FsgnjnD, 10, 11, 12, 0, 0},  // fsgnjn.d fa0, fa1, fa2
    {0x22c5a553, Op::FsgnjxD, 10, 11, 12, 0, 0},  // fsgnjx.d fa0, fa1, fa2
    {0x2ac58553, Op::FminD, 10, 11, 12, 0, 0},    // fmin.d fa0, fa1, fa2
    {0x2ac59553, Op::FmaxD, 10, 11, 12, 0, 0},    // fmax.d fa0, fa1, fa2
    {0xc205f553, Op::FcvtWD, 10, 11, 0, 0, 0},    // fcvt.w.d a0, fa1
    {0xc215f553, Op::FcvtWuD, 10, 11, 1, 0, 0},   // fcvt.wu.d a0, fa1
    {0xc225f553, Op::FcvtLD, 10, 11, 2, 0, 0},    // fcvt.l.d a0, fa1
    {0xc235f553, Op::FcvtLuD, 10, 11, 3, 0, 0},   // fcvt.lu.d a0, fa1
    {0xd2058553, Op::FcvtDW, 10, 11, 0, 0, 0},    // fcvt.d.w fa0, a1
    {0xd2158553, Op::FcvtDWu, 10, 11, 1, 0, 0},   // fcvt.d.wu fa0, a1
    {0xd225f553, Op::FcvtDL, 10, 11, 2, 0, 0},    // fcvt.d.l fa0, a1
    {0xd235f553, Op::FcvtDLu, 10, 11, 3, 0, 0},   // fcvt.d.lu fa0, a1
    {0xe2058553, Op::FmvXD, 10, 11, 0, 0, 0},     // fmv.x.d a0, fa1
    {0xf2058553, Op::FmvDX, 10, 11, 0, 0, 0},     // fmv.d.x fa0, a1
    {0xa2c5a553, Op::FeqD, 10, 11, 12, 0, 0},     // feq.d a0, fa1, fa2
    {0xa2c59553, Op::FltD, 10, 11, 12, 0, 0},     // flt.d a0, fa1, fa2
    {0xa2c58553, Op::FleD, 10, 11, 12, 0, 0},     // fle.d a0, fa1, fa2
    {0xe2059553, Op::FclassD, 10, 11, 0, 0, 0},   // fclass.d a0, fa1
    {0x4015f553, Op::FcvtSD, 10, 11, 1, 0, 0},    // fcvt.s.d fa0, fa1
    {0x42058553, Op::FcvtDS, 10, 11, 0, 0, 0},    // fcvt.d.s fa0, fa1
};

TEST(Decode32, EveryOperationDecodesWithItsFields) {
  std::set<Op> seen;
  for (const Case& c : k32) {
    expect_case(c, 4, op_name(c.op));
    seen.insert(c.op);
  }
  // Every operation but Illegal appears in the table.
  EXPECT_EQ(seen.size(), static_cast<size_t>(Op::Count) - 1);
}

// Field assemblers, written from the base formats of the unprivileged spec (section 2.2).
constexpr uint32_t r_type(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t rd,
                          uint32_t opc) {
  return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}
constexpr uint32_t i_type(int32_t imm, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t opc) {
  return static_cast<uint32_t>(imm) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

TEST(Decode32, ImmediatesAreSignExtended) {
  EXPECT_EQ(decode(i_type(-1, 1, 0, 2, 0x13)).imm, -1);       // addi
  EXPECT_EQ(decode(i_type(0x7ff, 1, 0, 2, 0x13)).imm, 2047);  // addi
  EXPECT_EQ(decode(0x800000b7).imm, -2147483648LL);           // lui ra,0x80000
  EXPECT_EQ(decode(0x7ffff0b7).imm, 0x7ffff000LL);            // lui ra,0x7ffff
  EXPECT_EQ(decode(i_type(-1, 0, 3, 1, 0x73)).imm, 0xfff);    // csrrc: csr is unsigned
  EXPECT_EQ(decode(i_type(-4, 5, 0, 6, 0x67)).imm, -4);       // jalr
}

TEST(Decode32, ShiftAmountWidths) {
  // RV64 shifts take a 6-bit shamt; bits 31:26 are fixed.
  EXPECT_EQ(decode(r_type(0b0000001, 31, 1, 1, 1, 0x13)).op, Op::Slli);  // shamt 63
  EXPECT_EQ(decode(r_type(0b0000001, 31, 1, 1, 1, 0x13)).imm, 63);
  EXPECT_EQ(decode(r_type(0b0100001, 31, 1, 5, 1, 0x13)).op, Op::Srai);
  EXPECT_EQ(decode(r_type(0b0100001, 31, 1, 5, 1, 0x13)).imm, 63);
  EXPECT_EQ(decode(r_type(0b0000010, 0, 1, 1, 1, 0x13)).op, Op::Illegal);  // bit 26 set
  EXPECT_EQ(decode(r_type(0b1000000, 0, 1, 5, 1, 0x13)).op, Op::Illegal);
  EXPECT_EQ(decode(r_type(0b0110000, 0, 1, 5, 1, 0x13)).op, Op::Illegal);
  // *W shifts take a 5-bit shamt; bit 25 set is reserved.
  EXPECT_EQ(decode(r_type(0, 31, 1, 1, 1, 0x1b)).imm, 31);
  EXPECT_EQ(decode(r_type(0b0000001, 0, 1, 1, 1, 0x1b)).op, Op::Illegal);  // slliw
  EXPECT_EQ(decode(r_type(0b0000001, 0, 1, 5, 1, 0x1b)).op, Op::Illegal);  // srliw
  EXPECT_EQ(decode(r_type(0b0100001, 0, 1, 5, 1, 0x1b)).op, Op::Illegal);  // sraiw
  EXPECT_EQ(decode(r_type(0b0100000, 7, 1, 5, 1, 0x1b)).op, Op::Sraiw);
}

TEST(Decode32, FenceFieldsAreKeptAndReservedOnesIgnored) {
  const DecodedInsn tso = decode(0x8330000f);  // fence.tso
  EXPECT_EQ(tso.op, Op::Fence);
  EXPECT_EQ(tso.imm, 0x833);
  // FENCE.I's imm/rs1/rd are reserved for future use and ignored by base implementations.
  EXPECT_EQ(decode(i_type(5, 3, 1, 2, 0x0f)).op, Op::FenceI);
  EXPECT_EQ(decode(i_type(0, 0, 2, 0, 0x0f)).op, Op::Illegal);  // funct3 2 of MISC-MEM
}

TEST(Decode32, IllegalEncodings) {
  const uint32_t bad[] = {
      0x00000000,                           // all zero (a compressed reserved word)
      0xffffffff,                           // all ones (a >32-bit encoding)
      0x0000001f,                           // 48-bit encoding space
      0x0000003f,                           // 64-bit encoding space
      i_type(0, 1, 1, 1, 0x67),             // jalr funct3 != 0
      i_type(0, 1, 2, 0, 0x63),             // branch funct3 2
      i_type(0, 1, 3, 0, 0x63),             // branch funct3 3
      i_type(0, 1, 7, 1, 0x03),             // load funct3 7
      i_type(0, 1, 4, 0, 0x23),             // store funct3 4
      i_type(0, 1, 7, 0, 0x23),             // store funct3 7
      r_type(0b0000010, 1, 1, 0, 1, 0x33),  // OP bad funct7
      r_type(0b0100000, 1, 1, 1, 1, 0x33),  // sub-space with funct3 1
      r_type(0b0100000, 1, 1, 7, 1, 0x33),
      r_type(0b0000001, 1, 1, 1, 1, 0x3b),  // M-W funct3 1
      r_type(0b0000001, 1, 1, 2, 1, 0x3b),
      r_type(0b0000001, 1, 1, 3, 1, 0x3b),
      r_type(0b0000000, 1, 1, 2, 1, 0x3b),  // OP-32 funct3 2
      r_type(0b0100000, 1, 1, 1, 1, 0x3b),
      i_type(0, 1, 2, 1, 0x1b),  // OP-IMM-32 funct3 2
      i_type(0, 1, 4, 1, 0x1b),
      0x00100073 | 1 << 7,   // ebreak with rd != 0
      0x00000073 | 1 << 15,  // ecall with rs1 != 0
      0x00000073 | 1 << 20 | 1 << 15,
      0x00200073,                           // uret (N extension): not implemented
      0x30200073 | 1 << 7,                  // mret with rd != 0
      0x30200073 | 3 << 20,                 // mret with rs2 != 2
      0x10200073 | 1 << 15,                 // sret with rs1 != 0
      0x10500073 | 1 << 7,                  // wfi with rd != 0
      0x10500073 | 6 << 20,                 // wfi with rs2 != 5
      0x12b50073 | 1 << 7,                  // sfence.vma with rd != 0
      r_type(0b0001011, 1, 1, 0, 0, 0x73),  // funct7 next to sfence.vma (hfence)
      i_type(0, 1, 4, 1, 0x73),             // SYSTEM funct3 4
      0x1005a52f | 1 << 20,                 // lr.w with rs2 != 0
      0x100035af | 5 << 20,                 // lr.d with rs2 != 0
  };
  for (uint32_t w : bad) {
    EXPECT_EQ(decode(w).op, Op::Illegal) << std::hex << w;
  }
  // AMO: funct3 other than 2/3, and funct5 values not assigned.
  for (uint32_t f3 : {0u, 1u, 4u, 5u, 6u, 7u}) {
    EXPECT_EQ(decode(r_type(0, 1, 1, f3, 1, 0x2f)).op, Op::Illegal) << f3;
  }
  for (uint32_t f5 : {0b00101u, 0b00110u, 0b00111u, 0b01001u, 0b11111u, 0b10001u}) {
    EXPECT_EQ(decode(r_type(f5 << 2, 1, 1, 2, 1, 0x2f)).op, Op::Illegal) << f5;
  }
  // Opcodes of unimplemented extensions (OP-V, custom-2, custom-3... ).
  for (uint32_t opc : {0x57u, 0x5bu, 0x77u}) {
    EXPECT_EQ(decode(r_type(0, 1, 1, 2, 1, opc)).op, Op::Illegal) << std::hex << opc;
  }
}

TEST(Decode32, FpReservedEncodingsAreIllegal) {
  // Rounding modes 5 and 6 are reserved wherever rm is a field; 7 (DYN) decodes.
  for (uint32_t rm : {5u, 6u}) {
    EXPECT_EQ(decode(r_type(0x01, 2, 1, rm, 3, 0x53)).op, Op::Illegal) << rm;  // fadd.d
    EXPECT_EQ(decode(r_type(0x61, 0, 1, rm, 3, 0x53)).op, Op::Illegal) << rm;  // fcvt.w.d
    EXPECT_EQ(decode(r_type(0x69, 0, 1, rm, 3, 0x53)).op, Op::Illegal) << rm;  // fcvt.d.w
    EXPECT_EQ(decode(r_type(0x00, 2, 1, rm, 3, 0x43)).op, Op::Illegal) << rm;  // fmadd.s
  }
  EXPECT_EQ(decode(r_type(0x01, 2, 1, 7, 3, 0x53)).op, Op::FaddD);
  const uint32_t bad[] = {
      r_type(0x02, 2, 1, 0, 3, 0x43),  // fmadd fmt 2 (H)
      r_type(0x03, 2, 1, 0, 3, 0x43),  // fmadd fmt 3 (Q)
      r_type(0x2c, 1, 1, 0, 3, 0x53),  // fsqrt.s with rs2 != 0
      r_type(0x10, 2, 1, 3, 3, 0x53),  // fsgnj funct3 3
      r_type(0x14, 2, 1, 2, 3, 0x53),  // fmin/fmax funct3 2
      r_type(0x50, 2, 1, 3, 3, 0x53),  // fle/flt/feq funct3 3
      r_type(0x20, 0, 1, 0, 3, 0x53),  // fcvt.s.s
      r_type(0x21, 1, 1, 0, 3, 0x53),  // fcvt.d.d
      r_type(0x60, 4, 1, 0, 3, 0x53),  // fcvt with selector 4
      r_type(0x70, 1, 1, 0, 3, 0x53),  // fmv.x.w with rs2 != 0
      r_type(0x70, 0, 1, 2, 3, 0x53),  // fmv.x.w / fclass funct3 2
      r_type(0x78, 0, 1, 1, 3, 0x53),  // fmv.w.x funct3 1
      r_type(0x02, 2, 1, 0, 3, 0x53),  // fadd.h
      r_type(0x7f, 2, 1, 0, 3, 0x53),  // unassigned funct7
      r_type(0, 1, 1, 1, 1, 0x07),     // LOAD-FP funct3 1 (flh)
      r_type(0, 1, 1, 4, 1, 0x07),     // LOAD-FP funct3 4 (flq)
      r_type(0, 1, 1, 0, 1, 0x27),     // STORE-FP funct3 0
  };
  for (uint32_t w : bad) {
    EXPECT_EQ(decode(w).op, Op::Illegal) << std::hex << w;
  }
}

TEST(Decode32, FpRoundingModeAndRs3) {
  const DecodedInsn fma = decode(0x6862f543);  // fmadd.s fa0, ft5, ft6, fa3 (rm = dyn)
  EXPECT_EQ(fma.op, Op::FmaddS);
  EXPECT_EQ(fma.rs3, 13);
  EXPECT_EQ(fma.rm, 7);
  const DecodedInsn cvt = decode(r_type(0x61, 2, 11, 1, 10, 0x53));  // fcvt.l.d a0, fa1, rtz
  EXPECT_EQ(cvt.op, Op::FcvtLD);
  EXPECT_EQ(cvt.rm, 1);
  EXPECT_EQ(decode(r_type(0x10, 2, 1, 2, 3, 0x53)).rm, 0);  // fsgnjx: funct3 is not rm
  EXPECT_TRUE(op_is_fp(Op::Flw) && op_is_fp(Op::FcvtDS) && !op_is_fp(Op::AmomaxuD));
  EXPECT_TRUE(op_fp_rd_is_x(Op::FclassD) && !op_fp_rd_is_x(Op::FmvDX));
  EXPECT_TRUE(op_fp_rs1_is_x(Op::FmvWX) && !op_fp_rs1_is_x(Op::FmvXW));
}

TEST(Decode32, AqRlBits) {
  EXPECT_EQ(decode(0x0cc5a52f).aqrl, 2);  // amoswap.w.aq a0,a2,(a1)
  EXPECT_EQ(decode(0x0ac5a52f).aqrl, 1);  // amoswap.w.rl
  EXPECT_EQ(decode(0x0ec5a52f).aqrl, 3);  // amoswap.w.aqrl
}

// ---- Compressed encodings --------------------------------------------------------------------

constexpr Case k16[] = {
    {0x1fe8, Op::Addi, 10, 2, 0, 1020, 0},    // addi a0, sp, 1020
    {0x0044, Op::Addi, 9, 2, 0, 4, 0},        // addi s1, sp, 4
    {0x5cfc, Op::Lw, 15, 9, 0, 124, 0},       // lw a5, 124(s1)
    {0x7d70, Op::Ld, 12, 10, 0, 248, 0},      // ld a2, 248(a0)
    {0xdcfc, Op::Sw, 0, 9, 15, 124, 0},       // sw a5, 124(s1)
    {0xfd70, Op::Sd, 0, 10, 12, 248, 0},      // sd a2, 248(a0)
    {0x0001, Op::Addi, 0, 0, 0, 0, 0},        // addi zero, zero, 0
    {0x1501, Op::Addi, 10, 10, 0, -32, 0},    // addi a0, a0, -32
    {0x0ffd, Op::Addi, 31, 31, 0, 31, 0},     // addi t6, t6, 31
    {0x35fd, Op::Addiw, 11, 11, 0, -1, 0},    // addiw a1, a1, -1
    {0x5081, Op::Addi, 1, 0, 0, -32, 0},      // addi ra, zero, -32
    {0x4dfd, Op::Addi, 27, 0, 0, 31, 0},      // addi s11, zero, 31
    {0x7101, Op::Addi, 2, 2, 0, -512, 0},     // addi sp, sp, -512
    {0x617d, Op::Addi, 2, 2, 0, 496, 0},      // addi sp, sp, 496
    {0x6505, Op::Lui, 10, 0, 0, 4096, 0},     // lui a0, 1
    {0x7f81, Op::Lui, 31, 0, 0, -131072, 0},  // lui t6, 0xfffe0
    {0x6ffd, Op::Lui, 31, 0, 0, 126976, 0},   // lui t6, 31
    {0x907d, Op::Srli, 8, 8, 0, 63, 0},       // srli s0, s0, 63
    {0x8785, Op::Srai, 15, 15, 0, 1, 0},      // srai a5, a5, 1
    {0x9901, Op::Andi, 10, 10, 0, -32, 0},    // andi a0, a0, -32
    {0x8c05, Op::Sub, 8, 8, 9, 0, 0},         // sub s0, s0, s1
    {0x8d2d, Op::Xor, 10, 10, 11, 0, 0},      // xor a0, a0, a1
    {0x8e55, Op::Or, 12, 12, 13, 0, 0},       // or a2, a2, a3
    {0x8f7d, Op::And, 14, 14, 15, 0, 0},      // and a4, a4, a5
    {0x9c1d, Op::Subw, 8, 8, 15, 0, 0},       // subw s0, s0, a5
    {0x9fa1, Op::Addw, 15, 15, 8, 0, 0},      // addw a5, a5, s0
    {0xb001, Op::Jal, 0, 0, 0, -2048, 0},     // jal zero, -2048
    {0xaffd, Op::Jal, 0, 0, 0, 2046, 0},      // jal zero, 2046
    {0xd001, Op::Beq, 0, 8, 0, -256, 0},      // beq s0, zero, -256
    {0xeffd, Op::Bne, 0, 15, 0, 254, 0},      // bne a5, zero, 254
    {0x12fe, Op::Slli, 5, 5, 0, 63, 0},       // slli t0, t0, 63
    {0x50fe, Op::Lw, 1, 2, 0, 252, 0},        // lw ra, 252(sp)
    {0x7ffe, Op::Ld, 31, 2, 0, 504, 0},       // ld t6, 504(sp)
    {0x8082, Op::Jalr, 0, 1, 0, 0, 0},        // jalr zero, 0(ra)
    {0x857e, Op::Add, 10, 0, 31, 0, 0},       // add a0, zero, t6
    {0x9002, Op::Ebreak, 0, 0, 0, 0, 0},      // ebreak
    {0x9502, Op::Jalr, 1, 10, 0, 0, 0},       // jalr ra, 0(a0)
    {0x947e, Op::Add, 8, 8, 31, 0, 0},        // add s0, s0, t6
    {0xdf86, Op::Sw, 0, 2, 1, 252, 0},        // sw ra, 252(sp)
    {0xfffe, Op::Sd, 0, 2, 31, 504, 0},       // sd t6, 504(sp)
    {0x2d70, Op::Fld, 12, 10, 0, 216, 0},     // c.fld fa2, 216(a0)
    {0xa000, Op::Fsd, 0, 8, 8, 0, 0},         // c.fsd fs0, 0(s0)
    {0x2002, Op::Fld, 0, 2, 0, 0, 0},         // c.fldsp ft0, 0(sp) (rd 0 is legal)
    {0xbffe, Op::Fsd, 0, 2, 31, 504, 0},      // c.fsdsp ft11, 504(sp)
};

TEST(DecodeCompressed, ExpandsToTheEquivalentOperation) {
  for (const Case& c : k16) expect_case(c, 2, op_name(c.op));
}

TEST(DecodeCompressed, OnlyTheLow16BitsAreRead) {
  const DecodedInsn d = decode(0xabcd0000u | 0x8d2d);  // c.xor a0,a1 with junk above
  EXPECT_EQ(d.op, Op::Xor);
  EXPECT_EQ(d.len, 2);
  EXPECT_EQ(d.raw, 0x8d2du);
}

TEST(DecodeCompressed, HintsAreLegal) {
  EXPECT_EQ(decode(0x0005).op, Op::Addi);    // c.nop with nzimm != 0
  EXPECT_EQ(decode(0x0501).op, Op::Addi);    // c.addi a0, 0
  EXPECT_EQ(decode(0x4001).op, Op::Addi);    // c.li x0, 0
  EXPECT_EQ(decode(0x6005).op, Op::Lui);     // c.lui x0, 1
  EXPECT_EQ(decode(0x8006).op, Op::Add);     // c.mv x0, ra (rd = 0)
  EXPECT_EQ(decode(0x9006).op, Op::Add);     // c.add x0, ra
  EXPECT_EQ(decode(0x0002).op, Op::Slli);    // c.slli x0 (shamt 0)
  const DecodedInsn srli0 = decode(0x8001);  // c.srli s0, 0
  EXPECT_EQ(srli0.op, Op::Srli);
  EXPECT_EQ(srli0.imm, 0);
}

TEST(DecodeCompressed, ReservedEncodingsAreIllegal) {
  const struct {
    uint16_t raw;
    const char* what;
  } bad[] = {
      {0x0000, "all-zero word"},
      {0x0004, "c.addi4spn with nzuimm 0 (rd=s1)"},
      {0x8000, "Q0 funct3 100 (Zcb)"},
      {0x9c00, "Q0 funct3 100 (Zcb)"},
      {0x2001, "c.addiw with rd 0"},
      {0x6101, "c.addi16sp with nzimm 0"},
      {0x6501, "c.lui a0 with nzimm 0"},
      {0x6001, "c.lui x0 with nzimm 0"},
      {0x9c41, "Q1 misc-alu 1-11-10 (reserved)"},
      {0x9c61, "Q1 misc-alu 1-11-11 (reserved)"},
      {0x4002, "c.lwsp with rd 0"},
      {0x6002, "c.ldsp with rd 0"},
      {0x8002, "c.jr with rs1 0"},
  };
  for (const auto& b : bad) {
    EXPECT_EQ(decode(b.raw).op, Op::Illegal) << b.what;
    EXPECT_EQ(decode(b.raw).len, 2) << b.what;
  }
}

TEST(DecodeCompressed, EveryHalfwordDecodesWithoutCrashingAndKeepsLen2) {
  size_t legal = 0;
  for (uint32_t w = 0; w < 0x10000; ++w) {
    if ((w & 3) == 3) continue;
    const DecodedInsn d = decode(w);
    ASSERT_EQ(d.len, 2);
    ASSERT_LT(d.rd, 32);
    ASSERT_LT(d.rs1, 32);
    ASSERT_LT(d.rs2, 32);
    if (d.op != Op::Illegal) ++legal;
  }
  // Sanity bound: most of the compressed space is assigned, not all (Zcb, reserved).
  EXPECT_GT(legal, 30000u);
  EXPECT_LT(legal, 49152u);
}

TEST(OpName, MnemonicsFollowTheSpec) {
  EXPECT_STREQ(op_name(Op::Addi), "addi");
  EXPECT_STREQ(op_name(Op::AmoswapW), "amoswap.w");
  EXPECT_STREQ(op_name(Op::AmomaxuD), "amomaxu.d");
  EXPECT_STREQ(op_name(Op::LrD), "lr.d");
  EXPECT_STREQ(op_name(Op::FenceI), "fence.i");
  EXPECT_STREQ(op_name(Op::SfenceVma), "sfence.vma");
  EXPECT_STREQ(op_name(Op::Illegal), "illegal");
  EXPECT_STREQ(op_name(Op::Remuw), "remuw");
}

TEST(RegName, AbiNames) {
  EXPECT_STREQ(reg_name(0), "zero");
  EXPECT_STREQ(reg_name(2), "sp");
  EXPECT_STREQ(reg_name(8), "s0");
  EXPECT_STREQ(reg_name(10), "a0");
  EXPECT_STREQ(reg_name(18), "s2");
  EXPECT_STREQ(reg_name(27), "s11");
  EXPECT_STREQ(reg_name(31), "t6");
}

}  // namespace
}  // namespace glassvm
