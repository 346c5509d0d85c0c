// The SiFive PLIC of the virt board ("riscv.sifive.plic" at 0x0c00_0000, 6 MiB), as QEMU's
// virt machine configures it: 96 source ids (1..95 usable, 0 means "none"), priorities 0..7,
// and two contexts per hart, 2*hart for M-mode and 2*hart+1 for S-mode.
//
// Design note: sources are level-triggered and each passes through a gateway, as in the PLIC
// specification: a source that is high becomes pending unless it is already pending or
// claimed; a claim clears pending and marks the source claimed; a completion ends the claim,
// and a source that is still high becomes pending again. A source that goes low before it is
// claimed stops being pending (as in QEMU's model).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/base/irq.h"
#include "engine/base/snapshot.h"
#include "engine/memory/memory.h"

namespace glassvm {

/// Platform-level interrupt controller: routes device interrupt lines to hart contexts.
class Plic {
 public:
  static constexpr unsigned kNumSources = 96;  ///< ids 0..95; id 0 does not exist
  static constexpr uint32_t kMaxPriority = 7;  ///< 3 priority bits
  static constexpr uint64_t kMmioSize = 0x600000;
  static constexpr unsigned kMaxHarts = 512;  ///< what fits in kMmioSize (QEMU's VIRT_CPUS_MAX)

  /// Register layout (offsets in the region).
  static constexpr uint64_t kPriorityBase = 0x0;    ///< + 4 * source
  static constexpr uint64_t kPendingBase = 0x1000;  ///< bit per source, 32-bit words
  static constexpr uint64_t kEnableBase = 0x2000;   ///< + kEnableStride * context
  static constexpr uint64_t kEnableStride = 0x80;
  static constexpr uint64_t kContextBase = 0x200000;  ///< + kContextStride * context
  static constexpr uint64_t kContextStride = 0x1000;
  static constexpr uint64_t kThreshold = 0x0;  ///< within a context's block
  static constexpr uint64_t kClaim = 0x4;      ///< within a context's block: claim/complete

  /// A PLIC with contexts for harts 0..num_harts-1 (1..kMaxHarts, else assert).
  explicit Plic(unsigned num_harts);
  Plic(const Plic&) = delete;
  Plic& operator=(const Plic&) = delete;

  /// The register block (kMmioSize bytes), to be mapped by the board. 32-bit accesses only.
  MemoryRegion& mmio() { return mmio_; }

  /// Drives source `source` (1..95, else assert) to `level`.
  void set_source(unsigned source, bool level);
  /// A sink for IrqLine::connect that drives `source` (1..95, else assert):
  /// `uart.irq().connect(plic.input(10));`
  IrqLine::Sink input(unsigned source);

  /// The output of context `ctx` (< num_contexts(), else assert): high while some enabled,
  /// pending, unclaimed source has a priority above the context's threshold.
  IrqLine& context_output(unsigned ctx);
  /// Number of contexts: two per hart.
  unsigned num_contexts() const { return num_contexts_; }

  // Direct register access for the board, the UI and tests (same semantics as the guest's).
  // Out-of-range sources or contexts read as 0 / false.

  /// Priority of `source` (0..7).
  uint32_t priority(unsigned source) const;
  /// Whether `source` is waiting in its gateway to be claimed.
  bool pending(unsigned source) const;
  /// Whether `source` has been claimed and not yet completed.
  bool claimed(unsigned source) const;
  /// Whether context `ctx` has `source` enabled.
  bool enabled(unsigned ctx, unsigned source) const;
  /// Priority threshold of context `ctx` (0..7).
  uint32_t threshold(unsigned ctx) const;
  /// Claims the best interrupt for `ctx` and returns its id, or 0 if there is none.
  uint32_t claim(unsigned ctx);
  /// Completes `source` for `ctx`; ignored unless the id is valid and enabled for `ctx`.
  void complete(unsigned ctx, uint32_t source);

  /// Power-on state: everything zero, every output low. Source levels are kept.
  void reset();

  /// The version of the state save() writes.
  static constexpr uint32_t kStateVersion = 1;
  /// Writes the number of contexts; every source's priority, input level, pending and claimed
  /// bits; every context's enable bits, threshold and output level.
  void save(StateWriter& w) const;
  /// Restores what save() wrote. Fails `r` on another number of contexts, and on a state the
  /// gateways cannot reach (a priority or threshold above 7, an enable bit for no source, a
  /// source pending while low or claimed, an output level that disagrees with the registers);
  /// the PLIC may then be half-restored. The outputs are set without telling their receivers.
  void load(StateReader& r);

 private:
  static constexpr unsigned kWords = (kNumSources + 31) / 32;

  uint32_t best_source(unsigned ctx) const;
  void update();
  uint32_t read_reg(uint64_t offset, bool debug);
  void write_reg(uint64_t offset, uint32_t value);
  uint32_t& enable_word(unsigned ctx, unsigned word) { return enable_[ctx * kWords + word]; }
  uint32_t enable_word(unsigned ctx, unsigned word) const { return enable_[ctx * kWords + word]; }

  unsigned num_contexts_;
  uint32_t priority_[kNumSources] = {};
  bool level_[kNumSources] = {};
  bool pending_[kNumSources] = {};
  bool claimed_[kNumSources] = {};
  std::vector<uint32_t> enable_;     ///< kWords per context
  std::vector<uint32_t> threshold_;  ///< per context
  std::unique_ptr<IrqLine[]> outputs_;
  MemoryRegion mmio_;
};

}  // namespace glassvm
