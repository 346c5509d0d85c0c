// Branches and jumps (unprivileged spec 2.5). Every control transfer ends a block: to a block
// of this page it chains inside the function (translator.h), anywhere else it leaves with
// s.pc_ set. With the C extension on (the only case the JIT runs) no target can be
// misaligned: branch offsets are even and JALR clears bit 0.
#include <cassert>

#include "wasm-jit/translator.h"

namespace glassvm::jit {

namespace op = wasm::op;

namespace {

uint8_t compare_op(Op o) {
  switch (o) {
    case Op::Beq: return op::kI64Eq;
    case Op::Bne: return op::kI64Ne;
    case Op::Blt: return op::kI64LtS;
    case Op::Bge: return op::kI64GeS;
    case Op::Bltu: return op::kI64LtU;
    default: return op::kI64GeU;  // Bgeu
  }
}

}  // namespace

void emit_branch_over(Translator& t, const BlockInsn& branch, const BlockInsn& skipped) {
  const DecodedInsn& d = branch.d;
  WasmCode& c = t.code;
  const unsigned rd = skipped.d.rd;
  const uint32_t taken = t.host, before = t.tmp;  // scratch here: the skipped insn uses neither
  t.get_x(d.rs1);
  t.get_x(d.rs2);
  c.op(compare_op(d.op));
  c.local_set(taken);
  t.get_x(rd);
  c.local_set(before);
  const bool emitted = emit_alu(t, skipped);
  assert(emitted && "skips_cleanly admits only emit_alu's instructions");
  (void)emitted;
  c.local_get(before);
  t.get_x(rd);
  c.local_get(taken);
  c.op(op::kSelect);
  t.set_x(rd);
  // The skipped instruction counts only when it ran: left += taken - 1.
  c.local_get(t.left);
  c.local_get(taken);
  c.op(op::kI64ExtendI32U);
  c.op(op::kI64Add);
  c.i64_const(1);
  c.op(op::kI64Sub);
  c.local_set(t.left);
  t.go_to_offset(branch.off + d.imm);
}

bool emit_branch(Translator& t, const BlockInsn& in, Flow& flow) {
  const DecodedInsn& d = in.d;
  WasmCode& c = t.code;
  switch (d.op) {
    case Op::Beq:
    case Op::Bne:
    case Op::Blt:
    case Op::Bge:
    case Op::Bltu:
    case Op::Bgeu: {
      t.settle();  // both ways chain or leave: settle the registers before the fork
      t.get_x(d.rs1);
      t.get_x(d.rs2);
      c.op(compare_op(d.op));
      auto taken = c.open_if();
      t.go_to_offset(in.off + d.imm);
      c.end(taken);
      flow = Flow::Next;  // not taken: on to the next block
      return true;
    }
    case Op::Jal:
      if (d.rd != 0) {
        t.push_vaddr(in.off + d.len);
        t.set_x(d.rd);
      }
      t.go_to_offset(in.off + d.imm);
      flow = Flow::Left;
      return true;
    case Op::Jalr:
      t.get_x(d.rs1);
      c.i64_const(d.imm);
      c.op(op::kI64Add);
      c.i64_const(-2);
      c.op(op::kI64And);
      c.local_set(t.addr);
      if (d.rd != 0) {
        t.push_vaddr(in.off + d.len);
        t.set_x(d.rd);
      }
      t.go_to_local(t.addr);
      flow = Flow::Left;
      return true;
    default: return false;
  }
}

}  // namespace glassvm::jit
