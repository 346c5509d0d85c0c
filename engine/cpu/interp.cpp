// The interpreter loop: RV64GC executed from pre-decoded code pages.
//
// Design note: two nested loops. The outer loop runs at block boundaries (leaving a code page,
// after a trap, after anything that set `event_`): it handles stop requests, address-map
// changes, pending interrupts and finds the CodePage for pc. The inner loop is threaded code
// (computed goto, one indirect jump per instruction) over the page's Insn slots; it stays in
// the page across straight-line code and taken branches whose target lies in the same page.
// Only slow paths (TLB misses, MMIO, CSRs, AMOs, traps) can change state the outer loop cares
// about, and each of them checks `event_` afterwards, so the hot path never tests it.
//
// Counting: `left` caches CpuState::budget_left_ (the steps still allowed). SYNC writes it back
// and derives retired_ before any helper call and at exit, so whoever looks (a CSR read, an
// MMIO callback, the trap hook) sees exact counts; a trap uses a step without retiring, which
// take_trap() compensates in run_base_.
//
// Shared meaning: everything that is not a one-line ALU operation, a branch or a TLB-hit access
// goes through the alu.h functions or the helper_* functions of helpers.h, which generated
// code calls too, with the same calling convention.
#include <algorithm>
#include <cstring>

#include "engine/cpu/alu.h"
#include "engine/cpu/cpu.h"
#include "engine/cpu/cpu_internal.h"
#include "engine/cpu/helpers.h"

namespace glassvm {

using alu::sext32;

// GCC merges the identical dispatch tails of the handlers back into one indirect jump
// (cross-jumping, GCSE), which defeats threaded dispatch: keep one jump per handler.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-crossjumping", "no-gcse")))
#endif
RunExit
Cpu::Impl::run(uint64_t budget) {
#define GLASSVM_LABEL_ADDR(name) &&L_##name,
  static const void* const kDispatch[kOpCount] = {
      GLASSVM_RV_OPS(GLASSVM_LABEL_ADDR) && L_NotDecoded, &&L_ExitBlock, &&L_CrossPage,
      &&L_JumpMisaligned};
#undef GLASSVM_LABEL_ADDR

  if (budget == 0) return RunExit::Budget;
  if (wfi_) {
    if ((mip_ & mie_) == 0) return RunExit::Wfi;
    wfi_ = false;
  }

  uint64_t* const X = x_;
  running_ = true;
  uint64_t left = budget;
  run_budget_ = budget;
  budget_left_ = budget;
  run_base_ = retired_;
  RunExit exit = RunExit::Budget;
  uint64_t pc = pc_;
  Insn* in = nullptr;
  Insn* slots = nullptr;
  CodePage* page = nullptr;
  uint64_t blk_base = 0, blk_limit = 0, ialign_mask = 0;
  // Taken jumps inside the page before the outer loop offers the block to the executor again
  // (so that a hot loop reaches it); without an executor, practically never.
  const uint32_t offer_every =
      executor_ != nullptr ? std::max(1u, executor_->jumps_between_offers()) : UINT32_MAX;
  uint32_t offer_in = offer_every;
  // The next taken jump offers again, instead of offer_every jumps later:
  //  - at the run's start: its first offer is where the previous run's budget ran out, often
  //    inside a block, which the executor declines (JitImpl::run), and short runs (a frame's
  //    slices) would otherwise spend offer_every jumps interpreted each;
  //  - after the executor has run and left inside a page, at an offset it has no code for (a
  //    jump table's target it has not seen, say): the jump is usually back into its code.
  bool offer_soon = executor_ != nullptr;

#define BOX32(v) (0xffffffff00000000ull | (v))  // NaN-boxing, sf::box32
#define BOX64(v) (v)
#define SYNC() (budget_left_ = left, sync_retired())
#define DISPATCH() goto* kDispatch[in->op]
  // Retire the current instruction and go on with the next slot.
#define NEXT()                     \
  do {                             \
    const unsigned len_ = in->len; \
    pc += len_;                    \
    in += len_ >> 1;               \
    if (--left == 0) goto out_pc;  \
    DISPATCH();                    \
  } while (0)
  // Retire a control transfer to `target`; stay in the page when possible.
#define JUMP(target)                      \
  do {                                    \
    const uint64_t t_ = (target);         \
    pc = t_;                              \
    if (--left == 0) goto out_pc;         \
    const uint64_t off_ = t_ - blk_base;  \
    if (off_ < blk_limit && --offer_in) { \
      in = slots + (off_ >> 1);           \
      DISPATCH();                         \
    }                                     \
    pc_ = pc;                             \
    goto outer;                           \
  } while (0)
  // Retire the current instruction and return to the outer loop.
#define COMPLETE_AND_EXIT() \
  do {                      \
    pc += in->len;          \
    pc_ = pc;               \
    --left;                 \
    goto outer;             \
  } while (0)
  // A helper has taken a trap (pc_ is the handler): the step is used, nothing retired.
#define TRAPPED() \
  do {            \
    --left;       \
    goto outer;   \
  } while (0)
#define RAISE(cause, tval)                \
  do {                                    \
    SYNC();                               \
    pc_ = pc;                             \
    helper_raise(*this, (cause), (tval)); \
    TRAPPED();                            \
  } while (0)
#define IMM static_cast<int64_t>(in->imm)
#define RS1 X[in->rs1]
#define RS2 X[in->rs2]
#define RD X[in->rd]
// The TLB entry maps the access: aligned (one compare), or misaligned but inside the page (as
// mem_load and mem_store take it; Linux uses misaligned word accesses once it measures them fast).
#define TLB_HIT(e, a, size)                       \
  ((e).tag == ((a) & (kPageMask | ((size)-1))) || \
   ((e).tag == ((a)&kPageMask) && ((a) & ~kPageMask) <= kPageSize - (size)))
#define LOAD(T)                                                                               \
  do {                                                                                        \
    const uint64_t a_ = RS1 + IMM;                                                            \
    const TlbEntry& e_ = tlb_->read[(a_ >> kPageShift) % kTlbSize];                           \
    if (__builtin_expect(TLB_HIT(e_, a_, sizeof(T)), 1)) {                                    \
      T v_;                                                                                   \
      std::memcpy(&v_, reinterpret_cast<const void*>(static_cast<uintptr_t>(a_ + e_.addend)), \
                  sizeof(T));                                                                 \
      RD = static_cast<uint64_t>(static_cast<int64_t>(v_));                                   \
      NEXT();                                                                                 \
    }                                                                                         \
    SYNC();                                                                                   \
    pc_ = pc;                                                                                 \
    uint64_t raw_;                                                                            \
    if (helper_load(*this, a_, sizeof(T), raw_)) TRAPPED();                                   \
    RD = static_cast<uint64_t>(static_cast<int64_t>(static_cast<T>(raw_)));                   \
    if (event_) COMPLETE_AND_EXIT();                                                          \
    NEXT();                                                                                   \
  } while (0)
#define STORE_VALUE(T, value)                                                           \
  do {                                                                                  \
    const uint64_t a_ = RS1 + IMM;                                                      \
    const TlbEntry& e_ = tlb_->write[(a_ >> kPageShift) % kTlbSize];                    \
    const T v_ = static_cast<T>(value);                                                 \
    if (__builtin_expect(TLB_HIT(e_, a_, sizeof(T)), 1)) {                              \
      std::memcpy(reinterpret_cast<void*>(static_cast<uintptr_t>(a_ + e_.addend)), &v_, \
                  sizeof(T));                                                           \
      NEXT();                                                                           \
    }                                                                                   \
    SYNC();                                                                             \
    pc_ = pc;                                                                           \
    if (helper_store(*this, a_, sizeof(T), static_cast<uint64_t>(v_))) TRAPPED();       \
    if (event_) COMPLETE_AND_EXIT();                                                    \
    NEXT();                                                                             \
  } while (0)
#define STORE(T) STORE_VALUE(T, RS2)
  // F/D loads and stores: illegal while mstatus.FS is Off; a load makes the FP state Dirty.
#define FP_CHECK()                                                                          \
  do {                                                                                      \
    if (__builtin_expect((mstatus_ & kMstatusFS) == 0, 0)) RAISE(kExcIllegalInsn, in->raw); \
  } while (0)
#define FLOAD(T, BOX)                                                                         \
  do {                                                                                        \
    FP_CHECK();                                                                               \
    const uint64_t a_ = RS1 + IMM;                                                            \
    const TlbEntry& e_ = tlb_->read[(a_ >> kPageShift) % kTlbSize];                           \
    uint64_t raw_;                                                                            \
    if (__builtin_expect(TLB_HIT(e_, a_, sizeof(T)), 1)) {                                    \
      T v_;                                                                                   \
      std::memcpy(&v_, reinterpret_cast<const void*>(static_cast<uintptr_t>(a_ + e_.addend)), \
                  sizeof(T));                                                                 \
      raw_ = v_;                                                                              \
    } else {                                                                                  \
      SYNC();                                                                                 \
      pc_ = pc;                                                                               \
      if (helper_load(*this, a_, sizeof(T), raw_)) TRAPPED();                                 \
    }                                                                                         \
    f_[in->rd] = BOX(raw_);                                                                   \
    mstatus_ |= kMstatusFS | kMstatusSD;                                                      \
    if (event_) COMPLETE_AND_EXIT();                                                          \
    NEXT();                                                                                   \
  } while (0)
#define FSTORE(T)                \
  do {                           \
    FP_CHECK();                  \
    STORE_VALUE(T, f_[in->rs2]); \
  } while (0)
#define BRANCH(cond)          \
  do {                        \
    if (cond) JUMP(pc + IMM); \
    NEXT();                   \
  } while (0)

outer:
  if (left == 0) goto done;
  if (event_) {
    event_ = false;
    if (stop_requested_) {
      stop_requested_ = false;
      exit = RunExit::Stopped;
      goto done;
    }
    if (wfi_) {  // Cpu::wait_for_interrupt() from a hook
      exit = RunExit::Wfi;
      goto done;
    }
  }
  if (flush_pending_ || as_.generation() != generation_) {
    flush_tlb();
    flush_code();
  }
  if (irq_pending_) {
    SYNC();
    helper_take_interrupt(*this);
    TRAPPED();
  }
  pc = pc_;
  ialign_mask = c_enabled() ? 0 : 2;
  if (pc & ialign_mask) RAISE(kExcInsnMisaligned, pc);
  if (force_uncached_) {
    page = nullptr;
  } else {
    // The code cache is keyed by physical page; the block runs at virtual pc. A jump that
    // stays in the virtual page stays in the physical page, so the inner loop needs no
    // translation; whatever changes translation ends the block.
    uint64_t ppc;
    if (!fetch_paddr(pc, ppc)) RAISE(fault_cause_, fault_addr_);
    // fetch_walk asks for uncached fetches on a page that PMP splits.
    page = force_uncached_ ? nullptr : code_page_for(ppc);
  }
  if (page != nullptr && executor_ != nullptr && ialign_mask == 0) {
    budget_left_ = left;
    pc_ = pc;
    if (executor_->run(*this, page->exec)) {
      left = budget_left_;
      offer_soon = true;
      goto outer;
    }
  }
  if (page != nullptr) {
    slots = page->slots;
    blk_base = pc & kPageMask;
    blk_limit = kPageSize;
    offer_in = offer_soon ? 1 : offer_every;
    offer_soon = false;
    in = slots + ((pc - blk_base) >> 1);
  } else {
    SYNC();
    in = fetch_uncached(pc);
    force_uncached_ = false;
    if (in == nullptr) TRAPPED();
    slots = scratch_->slots;
    blk_base = pc & kPageMask;
    blk_limit = 0;  // every jump leaves the scratch page
  }
  DISPATCH();

  // -- Code cache internals --
L_NotDecoded:
  decode_slot(*page, *in, pc);
  DISPATCH();
L_ExitBlock:
  pc_ = pc;
  goto outer;
L_CrossPage:
  pc_ = pc;
  force_uncached_ = true;
  goto outer;
L_JumpMisaligned : {
  const uint64_t a = RS1, b = RS2;
  bool taken = false;
  switch (static_cast<Op>(in->aux)) {
    case Op::Jal: taken = true; break;
    case Op::Beq: taken = a == b; break;
    case Op::Bne: taken = a != b; break;
    case Op::Blt: taken = static_cast<int64_t>(a) < static_cast<int64_t>(b); break;
    case Op::Bge: taken = static_cast<int64_t>(a) >= static_cast<int64_t>(b); break;
    case Op::Bltu: taken = a < b; break;
    case Op::Bgeu: taken = a >= b; break;
    default: break;
  }
  if (taken) RAISE(kExcInsnMisaligned, pc + IMM);
  NEXT();
}

  // -- RV64I --
L_Illegal:
  RAISE(kExcIllegalInsn, in->raw);
L_Lui:
  RD = static_cast<uint64_t>(IMM);
  NEXT();
L_Auipc:
  RD = pc + IMM;
  NEXT();
L_Jal : {
  const uint64_t t = pc + IMM;
  RD = pc + in->len;
  JUMP(t);
}
L_Jalr : {
  const uint64_t t = (RS1 + IMM) & ~uint64_t{1};
  if (t & ialign_mask) RAISE(kExcInsnMisaligned, t);
  RD = pc + in->len;
  JUMP(t);
}
L_Beq:
  BRANCH(RS1 == RS2);
L_Bne:
  BRANCH(RS1 != RS2);
L_Blt:
  BRANCH(static_cast<int64_t>(RS1) < static_cast<int64_t>(RS2));
L_Bge:
  BRANCH(static_cast<int64_t>(RS1) >= static_cast<int64_t>(RS2));
L_Bltu:
  BRANCH(RS1 < RS2);
L_Bgeu:
  BRANCH(RS1 >= RS2);
L_Lb:
  LOAD(int8_t);
L_Lh:
  LOAD(int16_t);
L_Lw:
  LOAD(int32_t);
L_Ld:
  LOAD(uint64_t);
L_Lbu:
  LOAD(uint8_t);
L_Lhu:
  LOAD(uint16_t);
L_Lwu:
  LOAD(uint32_t);
L_Sb:
  STORE(uint8_t);
L_Sh:
  STORE(uint16_t);
L_Sw:
  STORE(uint32_t);
L_Sd:
  STORE(uint64_t);
L_Addi:
  RD = RS1 + IMM;
  NEXT();
L_Slti:
  RD = static_cast<int64_t>(RS1) < IMM;
  NEXT();
L_Sltiu:
  RD = RS1 < static_cast<uint64_t>(IMM);
  NEXT();
L_Xori:
  RD = RS1 ^ IMM;
  NEXT();
L_Ori:
  RD = RS1 | IMM;
  NEXT();
L_Andi:
  RD = RS1 & IMM;
  NEXT();
L_Slli:
  RD = RS1 << (in->imm & 63);
  NEXT();
L_Srli:
  RD = RS1 >> (in->imm & 63);
  NEXT();
L_Srai:
  RD = static_cast<uint64_t>(static_cast<int64_t>(RS1) >> (in->imm & 63));
  NEXT();
L_Add:
  RD = RS1 + RS2;
  NEXT();
L_Sub:
  RD = RS1 - RS2;
  NEXT();
L_Sll:
  RD = RS1 << (RS2 & 63);
  NEXT();
L_Slt:
  RD = static_cast<int64_t>(RS1) < static_cast<int64_t>(RS2);
  NEXT();
L_Sltu:
  RD = RS1 < RS2;
  NEXT();
L_Xor:
  RD = RS1 ^ RS2;
  NEXT();
L_Srl:
  RD = RS1 >> (RS2 & 63);
  NEXT();
L_Sra:
  RD = static_cast<uint64_t>(static_cast<int64_t>(RS1) >> (RS2 & 63));
  NEXT();
L_Or:
  RD = RS1 | RS2;
  NEXT();
L_And:
  RD = RS1 & RS2;
  NEXT();
L_Addiw:
  RD = sext32(RS1 + IMM);
  NEXT();
L_Slliw:
  RD = sext32(static_cast<uint32_t>(RS1) << (in->imm & 31));
  NEXT();
L_Srliw:
  RD = sext32(static_cast<uint32_t>(RS1) >> (in->imm & 31));
  NEXT();
L_Sraiw:
  RD = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(RS1) >> (in->imm & 31)));
  NEXT();
L_Addw:
  RD = sext32(RS1 + RS2);
  NEXT();
L_Subw:
  RD = sext32(RS1 - RS2);
  NEXT();
L_Sllw:
  RD = sext32(static_cast<uint32_t>(RS1) << (RS2 & 31));
  NEXT();
L_Srlw:
  RD = sext32(static_cast<uint32_t>(RS1) >> (RS2 & 31));
  NEXT();
L_Sraw:
  RD = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(RS1) >> (RS2 & 31)));
  NEXT();
L_Fence:
L_FenceI:
  // Decoded code is always coherent with memory (stores into code pages invalidate it), so
  // FENCE.I has nothing to do for a single hart.
  NEXT();

  // -- System --
L_Ecall:
  SYNC();
  pc_ = pc;
  if (helper_ecall(*this)) TRAPPED();
  COMPLETE_AND_EXIT();
L_Ebreak:
  RAISE(kExcBreakpoint, pc);
L_Mret:
  SYNC();
  pc_ = pc;
  if (helper_mret(*this)) TRAPPED();
  --left;
  goto outer;
L_Sret:
  SYNC();
  pc_ = pc;
  if (helper_sret(*this, in->raw)) TRAPPED();
  --left;
  goto outer;
L_SfenceVma:
  SYNC();
  pc_ = pc;
  if (helper_sfence_vma(*this, X[in->rs1], X[in->rs2], in->raw)) TRAPPED();
  COMPLETE_AND_EXIT();
L_Wfi:
  SYNC();
  pc_ = pc;
  if (helper_wfi(*this, in->raw)) TRAPPED();
  pc += in->len;
  pc_ = pc;
  --left;
  if (wfi_) {
    exit = RunExit::Wfi;
    goto done;
  }
  goto outer;
L_Csrrw:
L_Csrrs:
L_Csrrc:
L_Csrrwi:
L_Csrrsi:
L_Csrrci:
  SYNC();
  pc_ = pc;
  if (helper_csr(*this, static_cast<Op>(in->op), in->rd, in->rs1,
                 static_cast<uint16_t>(in->imm & 0xfff), in->raw)) {
    TRAPPED();
  }
  COMPLETE_AND_EXIT();

  // -- M --
L_Mul:
  RD = RS1 * RS2;
  NEXT();
L_Mulh:
  RD = alu::mulh(RS1, RS2);
  NEXT();
L_Mulhsu:
  RD = alu::mulhsu(RS1, RS2);
  NEXT();
L_Mulhu:
  RD = alu::mulhu(RS1, RS2);
  NEXT();
L_Div:
  RD = alu::div(RS1, RS2);
  NEXT();
L_Divu:
  RD = alu::divu(RS1, RS2);
  NEXT();
L_Rem:
  RD = alu::rem(RS1, RS2);
  NEXT();
L_Remu:
  RD = alu::remu(RS1, RS2);
  NEXT();
L_Mulw:
  RD = sext32(RS1 * RS2);
  NEXT();
L_Divw:
  RD = alu::divw(RS1, RS2);
  NEXT();
L_Divuw:
  RD = alu::divuw(RS1, RS2);
  NEXT();
L_Remw:
  RD = alu::remw(RS1, RS2);
  NEXT();
L_Remuw:
  RD = alu::remuw(RS1, RS2);
  NEXT();

  // -- A --
L_LrW:
L_ScW:
L_AmoswapW:
L_AmoaddW:
L_AmoxorW:
L_AmoandW:
L_AmoorW:
L_AmominW:
L_AmomaxW:
L_AmominuW:
L_AmomaxuW:
L_LrD:
L_ScD:
L_AmoswapD:
L_AmoaddD:
L_AmoxorD:
L_AmoandD:
L_AmoorD:
L_AmominD:
L_AmomaxD:
L_AmominuD:
L_AmomaxuD:
  SYNC();
  pc_ = pc;
  if (helper_amo(*this, static_cast<Op>(in->op), in->rd, in->rs1, in->rs2)) TRAPPED();
  if (event_) COMPLETE_AND_EXIT();
  NEXT();

  // -- F and D --
L_Flw:
  FLOAD(uint32_t, BOX32);
L_Fld:
  FLOAD(uint64_t, BOX64);
L_Fsw:
  FSTORE(uint32_t);
L_Fsd:
  FSTORE(uint64_t);
L_FmaddS:
L_FmsubS:
L_FnmsubS:
L_FnmaddS:
L_FaddS:
L_FsubS:
L_FmulS:
L_FdivS:
L_FsqrtS:
L_FsgnjS:
L_FsgnjnS:
L_FsgnjxS:
L_FminS:
L_FmaxS:
L_FcvtWS:
L_FcvtWuS:
L_FcvtLS:
L_FcvtLuS:
L_FcvtSW:
L_FcvtSWu:
L_FcvtSL:
L_FcvtSLu:
L_FmvXW:
L_FmvWX:
L_FeqS:
L_FltS:
L_FleS:
L_FclassS:
L_FmaddD:
L_FmsubD:
L_FnmsubD:
L_FnmaddD:
L_FaddD:
L_FsubD:
L_FmulD:
L_FdivD:
L_FsqrtD:
L_FsgnjD:
L_FsgnjnD:
L_FsgnjxD:
L_FminD:
L_FmaxD:
L_FcvtWD:
L_FcvtWuD:
L_FcvtLD:
L_FcvtLuD:
L_FcvtDW:
L_FcvtDWu:
L_FcvtDL:
L_FcvtDLu:
L_FmvXD:
L_FmvDX:
L_FeqD:
L_FltD:
L_FleD:
L_FclassD:
L_FcvtSD:
L_FcvtDS:
  SYNC();
  pc_ = pc;
  if (helper_fp(*this, static_cast<Op>(in->op), in->rd, in->rs1, in->rs2, in->rs3, in->aux,
                in->raw)) {
    TRAPPED();
  }
  NEXT();

out_pc:
  pc_ = pc;
done:
  SYNC();
  running_ = false;
  return exit;

#undef SYNC
#undef DISPATCH
#undef NEXT
#undef JUMP
#undef COMPLETE_AND_EXIT
#undef TRAPPED
#undef RAISE
#undef IMM
#undef RS1
#undef RS2
#undef RD
#undef TLB_HIT
#undef LOAD
#undef STORE
#undef STORE_VALUE
#undef BRANCH
#undef FP_CHECK
#undef FLOAD
#undef FSTORE
#undef BOX32
#undef BOX64
}

}  // namespace glassvm
