// Everything that goes through the hart's helpers (engine/cpu/helpers.h), with the calling
// convention the interpreter uses: CSR instructions, SFENCE.VMA, ECALL, MRET/SRET and EBREAK
// leave the block afterwards; atomics and FP arithmetic continue unless a trap or an event
// says otherwise. FENCE and FENCE.I have nothing to do: translated code is dropped whenever
// its page is written (engine/cpu/executor.h).
#include "engine/cpu/cpu.h"
#include "wasm-jit/translator.h"

namespace glassvm::jit {

namespace op = wasm::op;

namespace {

/// The interpreter's register numbering for a helper: x0 as a destination is the sink (32).
unsigned helper_rd(const DecodedInsn& d) {
  const bool f_rd = op_is_fp(d.op) && !op_fp_rd_is_x(d.op);
  return d.rd == 0 && !f_rd ? 32 : d.rd;
}

/// Registers in memory, pc and budget set for a helper of the current instruction; pushes s.
void prepare(Translator& t) {
  t.clean();
  t.store_pc_here();
  t.store_budget(t.steps_from_here());
  t.code.local_get(Translator::kS);
}

void raise(Translator& t, uint64_t cause, bool tval_is_pc, uint32_t raw) {
  prepare(t);
  t.code.i64_const(static_cast<int64_t>(cause));
  if (tval_is_pc) {
    t.push_vaddr(t.insn_off);
  } else {
    t.code.i64_const(raw);
  }
  t.call_helper(JitHelper::Raise);
  t.code.op(op::kDrop);
  t.leave_pc_set();
}

}  // namespace

bool emit_system(Translator& t, const BlockInsn& in, Flow& flow) {
  const DecodedInsn& d = in.d;
  WasmCode& c = t.code;
  flow = Flow::Left;
  switch (d.op) {
    case Op::Fence:
    case Op::FenceI: flow = Flow::Next; return true;
    case Op::Illegal: raise(t, kExcIllegalInsn, false, d.raw); return true;
    case Op::Ebreak: raise(t, kExcBreakpoint, true, 0); return true;
    case Op::Mret:
    case Op::Sret:
      // Trapped or not, the helper has set pc_.
      prepare(t);
      if (d.op == Op::Sret) c.i32_const(static_cast<int32_t>(d.raw));
      t.call_helper(d.op == Op::Mret ? JitHelper::Mret : JitHelper::Sret);
      c.op(op::kDrop);
      t.leave_pc_set();
      return true;
    case Op::Ecall:
      // Trapped or sent elsewhere: pc_ is set; answered by the SBI: go on after it.
      prepare(t);
      t.call_helper(JitHelper::Ecall);
      t.forget();
      t.leave_if_trapped();
      t.leave_after_here();
      return true;
    case Op::SfenceVma:
    case Op::Csrrw:
    case Op::Csrrs:
    case Op::Csrrc:
    case Op::Csrrwi:
    case Op::Csrrsi:
    case Op::Csrrci:
      if (d.op == Op::SfenceVma) {
        t.clean();
        t.get_x(d.rs1);
        c.local_set(t.addr);
        t.get_x(d.rs2);
        c.local_set(t.tmp);
        prepare(t);
        c.local_get(t.addr);
        c.local_get(t.tmp);
        c.i32_const(static_cast<int32_t>(d.raw));
        t.call_helper(JitHelper::SfenceVma);
      } else {
        prepare(t);
        c.i32_const(static_cast<int32_t>(d.op));
        c.i32_const(static_cast<int32_t>(helper_rd(d)));
        c.i32_const(d.rs1);
        c.i32_const(static_cast<int32_t>(d.imm & 0xfff));
        c.i32_const(static_cast<int32_t>(d.raw));
        t.call_helper(JitHelper::Csr);
      }
      t.forget();
      t.leave_if_trapped();
      t.leave_after_here();
      return true;
    default: break;
  }
  const bool amo = d.op >= Op::LrW && d.op <= Op::AmomaxuD;
  if (!amo && !op_is_fp(d.op)) return false;
  prepare(t);
  c.i32_const(static_cast<int32_t>(d.op));
  c.i32_const(static_cast<int32_t>(helper_rd(d)));
  c.i32_const(d.rs1);
  c.i32_const(d.rs2);
  if (amo) {
    t.call_helper(JitHelper::Amo);
  } else {
    c.i32_const(d.rs3);
    c.i32_const(d.rm);
    c.i32_const(static_cast<int32_t>(d.raw));
    t.call_helper(JitHelper::Fp);
  }
  t.forget();  // the helper wrote its destination in the state
  t.leave_if_trapped();
  if (amo) t.leave_if_event();
  flow = Flow::Next;
  return true;
}

}  // namespace glassvm::jit
