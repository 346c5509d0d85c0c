// Internals of the translator shared by translate.cpp (page analysis, the module's shape, the
// dispatcher) and the emitters, one file per instruction group: emit_alu.cpp (RV64I and M
// arithmetic), emit_mem.cpp (loads and stores, integer and FP), emit_branch.cpp (branches and
// jumps), emit_system.cpp (CSRs, atomics, FP arithmetic, ECALL/xRET/SFENCE, traps).
//
// Design note: guest registers live in wasm locals. In a function of up to
// TranslateRequest::max_blocks_with_registers blocks (by default all) the registers its
// instructions name stay in locals for the whole call (a loop nest's function keeps its own;
// `run` keeps none when it calls loop nests, being only the glue between them): loaded on entry,
// every block starts with all of them in locals and, for all the emitter knows, newer than the
// CpuState, and whatever leaves the function stores them (most exits through one shared exit
// block). So a loop inside the page runs on locals alone. Past that bound (every local is live
// everywhere, which the browser's optimizing compiler pays for as the function grows) registers
// live in locals within a block only: loaded on first use, stored before chaining to another block.
// Within a block the emitter knows exactly which locals are current and which are newer than
// the state (a helper that writes guest registers makes it reload them): a block is
// straight-line code, and a side exit inside an `if` stores on that path only, leaving the
// emitter's beliefs as they were. Helpers that read or write guest registers get them in the
// state; the memory slow paths (jit_load/jit_store), which neither read nor write them, do
// not.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/cpu/cpu_state.h"
#include "engine/cpu/decode.h"
#include "wasm-jit/helper_abi.h"
#include "wasm-jit/wasm_builder.h"

namespace glassvm::jit {

using wasm::WasmCode;

/// One instruction of a block, at page offset `off`.
struct BlockInsn {
  uint16_t off = 0;
  DecodedInsn d;
};

/// How an emitter ended: the block goes on with the next instruction, or it has left (a
/// jump, an exit) and what follows is unreachable.
enum class Flow { Next, Left };

/// The helpers a module imports, shared by its functions: import k is function k.
struct HelperImports {
  std::vector<JitHelper> list;  ///< in import order
  int32_t func[kJitHelperCount];
  HelperImports() {
    for (auto& f : func) f = -1;
  }
};

class Translator {
 public:
  /// A function for blocks at `block_offsets` (ascending, the whole page's) keeping the x
  /// registers in the bit mask `registers` (x0 excluded) in locals, importing helpers into
  /// `imports`. With `top` >= 0 it is a loop nest's function (translate.cpp): the region
  /// `top` of the layout, with the parameters (s, vbase, off, left, tlb) and an i32 result.
  Translator(const std::vector<uint16_t>& block_offsets, uint32_t registers, HelperImports& imports,
             int top = -1);

  /// The parameters of a loop nest's function (an i32 result: translate.cpp).
  static const wasm::FuncType& nest_type();
  /// -1 for the page's `run`, else the region this function is.
  const int top;

  // -- Locals of the function --
  static constexpr uint32_t kS = 0;  ///< param: the CpuState
  uint32_t vbase = 0;                ///< i64: the virtual page's base (s.pc_ & ~4095 at entry)
  uint32_t left = 0;                 ///< i64: budget after the current block's steps
  uint32_t off = 0;                  ///< i32: the page offset to dispatch on
  uint32_t addr = 0;                 ///< i64: an effective address
  uint32_t host = 0;                 ///< i32: a TLB entry, then a host address
  /// i32: s.tlb_, the active data TLB set, read at entry. Only a trap, an xRET or a CSR write
  /// switches sets, and each of those leaves the function.
  uint32_t tlb = 0;
  uint32_t tmp = 0;  ///< i64: scratch
  /// i64 scratch local `k` (0 or 1), added on first use.
  uint32_t scratch(unsigned k) {
    if (scratch_[k] == 0) scratch_[k] = code.add_local(wasm::ValType::I64);
    return scratch_[k];
  }
  WasmCode code;

  // -- The current block --
  uint32_t block_index = 0;  ///< index in block_offsets_
  uint32_t block_len = 0;    ///< its instruction count
  uint32_t insn_index = 0;   ///< the current instruction's index in the block
  uint16_t insn_off = 0;     ///< the current instruction's page offset
  uint8_t insn_len = 0;      ///< and its length
  /// mstatus.FS is known not to be Off for the rest of the block: check_fs has passed. Only a
  /// CSR write, which ends the block, or a trap, which leaves it, could turn FP off.
  bool fs_on = false;
  /// Makes instruction `index` of the block (at page offset `o`, `len` bytes) the current one.
  void begin_insn(uint32_t index, uint16_t o, uint8_t len) {
    insn_index = index;
    insn_off = o;
    insn_len = len;
  }
  /// Starts a block: the function's registers in locals, possibly dirty.
  void begin_block(uint32_t index, uint32_t len);

  // -- Guest registers --
  /// Pushes x[r] (i64); x0 is the constant 0.
  void get_x(unsigned r);
  /// Pops an i64 into x[r] (dropped for x0).
  void set_x(unsigned r);
  /// On a path that leaves: pops an i64 into x[r]'s local and the state both, leaving the
  /// emitter's beliefs as they were (uses `tmp`).
  void set_x_leaving(unsigned r);
  /// Emits stores of the dirty registers without changing what the emitter believes (for a
  /// path that leaves: a side exit or the slow path before a helper).
  void store_dirty();
  /// store_dirty(), and from here on nothing is dirty.
  void clean();
  /// At the function's entry: loads its registers into their locals.
  void load_function_registers();
  /// Stores (loads) the registers in the bit mask `regs` from (into) their locals, which must
  /// exist, without changing what the emitter believes.
  void store_registers(uint32_t regs);
  void load_registers(uint32_t regs);
  uint32_t function_registers() const { return fn_regs_; }
  /// Before chaining to another block: reloads the function's registers a helper made stale,
  /// and stores the other registers written in this block (blocks start with only the
  /// function's registers in locals).
  void settle();
  /// After a helper that may have written guest registers: reload them when next read
  /// (clean() must have been called before the helper).
  void forget();

  // -- State for helpers and exits --
  /// s.pc_ = the current instruction's virtual pc.
  void store_pc_here();
  /// s.budget_left_ = left + extra: with `extra` = steps_from_here(), what a helper of the
  /// current instruction must see; with retired_to_here(), what an exit after it must leave.
  void store_budget(uint64_t extra);
  /// Pushes left + extra (i64).
  void push_budget(uint64_t extra);
  uint64_t steps_from_here() const { return block_len - insn_index; }
  uint64_t steps_after_here() const { return block_len - insn_index - 1; }
  /// Pushes vbase + `page_offset` (may lie outside the page).
  void push_vaddr(int64_t page_offset);

  /// Calls helper `h` with its arguments on the stack; the function index is imported on
  /// first use.
  void call_helper(JitHelper h);
  /// The helper's status is on the stack: if it trapped, leave (the trap used this
  /// instruction's step). Registers must be clean.
  void leave_if_trapped();
  /// If s.event_ is set, leave with pc after the current instruction (it completed).
  void leave_if_event();
  /// Leaves for the instruction after the current one (it completed): stores the dirty
  /// registers, pc and budget, returns 0.
  void leave_after_here();
  /// budget = left + extra, then leave() (pc_ stored by the caller).
  void leave_with_budget(uint64_t extra);
  /// Leaves the function, pc and budget stored: through the shared exit that stores the
  /// registers when all their locals are current, else after storing the dirty ones.
  void leave();
  /// Leaves with s.pc_ already set by a helper, the current instruction's step used.
  void leave_pc_set();
  /// Leaves to page offset `target` (any value; outside the page is fine) after the block
  /// completed (budget = left).
  void leave_to_offset(int64_t target);
  /// Leaves to the virtual address in local `addr_local` after the block completed.
  void leave_to_local(uint32_t addr_local);
  /// Leaves to page offset `target` (or `off` when negative) without running the block there:
  /// budget = left + extra (the budget is as on entry if no block ran before).
  void leave_unrun(int64_t target, uint64_t extra = 0);
  /// Goes to page offset `target` after the block completed when it is a block start (a
  /// branch forward, or round the loop of the innermost region holding both blocks), else
  /// leaves.
  void go_to_offset(int64_t target);
  /// Goes to the virtual address in local `addr_local` (jalr): round the loop of the innermost
  /// region that dispatches when it lies in the page, else leaves.
  void go_to_local(uint32_t addr_local);
  /// A loop nest's function: goes back to `run` at page offset `target` (`off` when
  /// negative), storing the dirty registers and the budget, the block completed.
  void return_to_run(int64_t target);
  /// Whether region `r` holds place p.
  bool holds(int r, uint32_t p) const { return regions[r].first <= p && p <= regions[r].last; }

  /// Takes the layout planned in `from` (pos, regions, region_of), with labels of its own.
  void adopt_layout(const Translator& from) {
    pos = from.pos;
    regions = from.regions;
    region_of = from.region_of;
    starts.assign(from.pos.size(), {});
  }

  /// The index of the block at page offset `o`, or -1.
  int block_at(int64_t o) const;
  WasmCode::Label exit_store;   ///< the shared exit that stores the registers
  WasmCode::Label exit_stored;  ///< the shared exit for registers already stored
  WasmCode::Label dispatch;     ///< the outer loop, round the page's br_table
  // The layout (translate.cpp): the blocks in an order where only loops jump back, and the
  // loops as nested regions of that order, each a wasm loop.
  std::vector<uint32_t> pos;  ///< pos[i]: block i's place in the order
  /// A loop of the guest's code: the blocks at places first..last, with a wasm loop of its own.
  struct Region {
    uint32_t first = 0, last = 0;  ///< places; the block at `first` is the header
    int parent = -1;               ///< the innermost region around it, -1 for the function
    bool dispatches = false;       ///< it has blocks besides the header: its loop dispatches
    bool nest = false;             ///< a function of its own (translate.cpp)
    WasmCode::Label loop;          ///< its wasm loop
    WasmCode::Label enter;         ///< the wasm block whose end is its loop, in the parent
  };
  std::vector<Region> regions;          ///< laminar: two regions are nested or disjoint
  std::vector<int> region_of;           ///< region_of[p]: the innermost region of place p, or -1
  std::vector<WasmCode::Label> starts;  ///< starts[i]: the wasm block whose end is block i
                                        ///< (not for a header: that is its region's `enter`)
  /// The region directly inside `r` (-1: the function) that holds place p, or -1 when no
  /// region inside `r` holds it.
  int child_holding(int r, uint32_t p) const;

  /// Bytes of CpuState offsets (offsetof) generated code uses.
  static uint32_t x_offset(unsigned r);

 private:
  /// The local of x[r], added on first use.
  uint32_t xl(unsigned r);
  uint32_t xl_[32] = {};  ///< local index of each x register; 0: none yet
  uint32_t scratch_[2] = {};
  uint32_t loaded_ = 0;   ///< bit r: xl_[r] holds x[r]
  uint32_t dirty_ = 0;    ///< bit r: xl_[r] is newer than x[r] in memory
  uint32_t fn_regs_ = 0;  ///< the registers the function keeps in locals
  HelperImports& imports_;
  std::vector<uint16_t> offsets_;
};

/// The emitters: each translates one instruction of its group and says whether the block
/// goes on. They return false from `handles` for instructions of other groups.
bool emit_alu(Translator& t, const BlockInsn& in);
bool emit_mem(Translator& t, const BlockInsn& in, Flow& flow);
bool emit_branch(Translator& t, const BlockInsn& in, Flow& flow);
/// Whether an instruction a branch skips may run either way, its result kept only when the
/// branch is not taken (emit_branch_over): arithmetic that cannot trap and writes a register.
bool skips_cleanly(const DecodedInsn& d);
/// A conditional branch over the one instruction `skipped` (if (c) x = y, as compilers write
/// a max or a choice between two values), if-converted: the instruction runs, a select keeps
/// the register's old value when the branch is taken, and the run goes on at the target. The
/// host then has no branch to mispredict where the guest's went either way at random. The
/// block's budget check covers the skipped instruction too.
void emit_branch_over(Translator& t, const BlockInsn& branch, const BlockInsn& skipped);
bool emit_fp(Translator& t, const BlockInsn& in);
bool emit_system(Translator& t, const BlockInsn& in, Flow& flow);

/// The offset of f[r] in the hart's state (FP registers always live there).
inline uint32_t f_offset(unsigned r) {
  return static_cast<uint32_t>(kCpuStateOffsetF + 8 * r);
}
/// mstatus.FS Off: an illegal-instruction trap that leaves, as the interpreter's FP_CHECK
/// (emit_mem.cpp).
void check_fs(Translator& t, const DecodedInsn& d);
/// mstatus.FS Dirty and SD, after an f register was written (emit_mem.cpp).
void set_fs_dirty(Translator& t);

/// What the page analysis needs to know of an instruction.
enum class InsnKind {
  Straight,   ///< goes on to the next instruction (ALU, loads, stores, FP, fences, AMOs)
  Branch,     ///< conditional: a static target and the fall-through
  Jal,        ///< a static target
  Jalr,       ///< a computed target
  Exit,       ///< leaves the function afterwards (CSR, ECALL, xRET, SFENCE, EBREAK, illegal)
  Interpret,  ///< left to the interpreter: the block ends before it (WFI)
};
InsnKind insn_kind(Op op);

}  // namespace glassvm::jit
