#include "engine/devices/plic.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <utility>

#include "engine/devices/reg32.h"

namespace glassvm {

namespace {
// Bits of the enable words that name real sources (id 0 is hardwired to zero).
constexpr uint32_t valid_enable_bits(unsigned word) {
  uint32_t bits = 0xffffffffu;
  if (word == 0) bits &= ~1u;
  unsigned first = word * 32;
  if (first + 32 > Plic::kNumSources) {
    unsigned n = Plic::kNumSources > first ? Plic::kNumSources - first : 0;
    bits &= n >= 32 ? 0xffffffffu : (1u << n) - 1;
  }
  return bits;
}
}  // namespace

Plic::Plic(unsigned num_harts)
    : num_contexts_(2 * num_harts),
      enable_(static_cast<size_t>(2 * num_harts) * kWords, 0),
      threshold_(2 * num_harts, 0),
      outputs_(new IrqLine[2 * num_harts]) {
  assert(num_harts >= 1 && num_harts <= kMaxHarts && "Plic: num_harts must be 1..512");
  // 32-bit registers only, as QEMU's sifive_plic_ops.
  mmio_.init_io("riscv.sifive.plic", kMmioSize,
                reg32_ops([this](uint64_t offset, bool debug) { return read_reg(offset, debug); },
                          [this](uint64_t offset, uint32_t value) { write_reg(offset, value); }));
}

void Plic::set_source(unsigned source, bool level) {
  assert(source >= 1 && source < kNumSources && "Plic::set_source: no such source");
  level_[source] = level;
  if (level) {
    if (!claimed_[source]) pending_[source] = true;
  } else {
    pending_[source] = false;
  }
  update();
}

IrqLine::Sink Plic::input(unsigned source) {
  assert(source >= 1 && source < kNumSources && "Plic::input: no such source");
  return [this, source](bool level) { set_source(source, level); };
}

IrqLine& Plic::context_output(unsigned ctx) {
  assert(ctx < num_contexts_ && "Plic::context_output: no such context");
  return outputs_[ctx];
}

uint32_t Plic::priority(unsigned source) const {
  return source < kNumSources ? priority_[source] : 0;
}
bool Plic::pending(unsigned source) const {
  return source < kNumSources && pending_[source];
}
bool Plic::claimed(unsigned source) const {
  return source < kNumSources && claimed_[source];
}
bool Plic::enabled(unsigned ctx, unsigned source) const {
  if (ctx >= num_contexts_ || source >= kNumSources) return false;
  return (enable_word(ctx, source / 32) >> (source % 32)) & 1;
}
uint32_t Plic::threshold(unsigned ctx) const {
  return ctx < num_contexts_ ? threshold_[ctx] : 0;
}

uint32_t Plic::best_source(unsigned ctx) const {
  // Highest priority above the threshold wins; on a tie the lowest id wins.
  uint32_t best = 0;
  uint32_t best_priority = threshold_[ctx];
  for (unsigned s = 1; s < kNumSources; s++) {
    if (pending_[s] && !claimed_[s] && priority_[s] > best_priority && enabled(ctx, s)) {
      best = s;
      best_priority = priority_[s];
    }
  }
  return best;
}

void Plic::update() {
  for (unsigned c = 0; c < num_contexts_; c++) outputs_[c].set(best_source(c) != 0);
}

uint32_t Plic::claim(unsigned ctx) {
  if (ctx >= num_contexts_) return 0;
  uint32_t s = best_source(ctx);
  if (s != 0) {
    pending_[s] = false;
    claimed_[s] = true;
    update();
  }
  return s;
}

void Plic::complete(unsigned ctx, uint32_t source) {
  if (ctx >= num_contexts_ || source == 0 || source >= kNumSources) return;
  if (!enabled(ctx, source)) return;  // PLIC spec: completions for disabled ids are ignored
  if (!claimed_[source]) return;
  claimed_[source] = false;
  if (level_[source]) pending_[source] = true;  // still asserted: the gateway forwards again
  update();
}

void Plic::reset() {
  for (unsigned s = 0; s < kNumSources; s++) {
    priority_[s] = 0;
    claimed_[s] = false;
    pending_[s] = s != 0 && level_[s];
  }
  for (auto& w : enable_) w = 0;
  for (auto& t : threshold_) t = 0;
  update();
}

uint32_t Plic::read_reg(uint64_t offset, bool debug) {
  if (offset % 4 != 0) return 0;
  if (offset < kPriorityBase + 4 * kNumSources) {
    return priority_[(offset - kPriorityBase) / 4];
  }
  if (offset >= kPendingBase && offset < kPendingBase + 4 * kWords) {
    unsigned word = static_cast<unsigned>((offset - kPendingBase) / 4);
    uint32_t bits = 0;
    for (unsigned b = 0; b < 32 && word * 32 + b < kNumSources; b++) {
      if (pending_[word * 32 + b]) bits |= 1u << b;
    }
    return bits;
  }
  if (offset >= kEnableBase && offset < kEnableBase + kEnableStride * num_contexts_) {
    unsigned ctx = static_cast<unsigned>((offset - kEnableBase) / kEnableStride);
    unsigned word = static_cast<unsigned>((offset - kEnableBase) % kEnableStride / 4);
    return word < kWords ? enable_word(ctx, word) : 0;
  }
  if (offset >= kContextBase && offset < kContextBase + kContextStride * num_contexts_) {
    unsigned ctx = static_cast<unsigned>((offset - kContextBase) / kContextStride);
    uint64_t reg = (offset - kContextBase) % kContextStride;
    if (reg == kThreshold) return threshold_[ctx];
    if (reg == kClaim) return debug ? best_source(ctx) : claim(ctx);
  }
  return 0;  // reserved
}

void Plic::write_reg(uint64_t offset, uint32_t value) {
  if (offset % 4 != 0) return;
  if (offset < kPriorityBase + 4 * kNumSources) {
    unsigned s = static_cast<unsigned>((offset - kPriorityBase) / 4);
    if (s == 0) return;                   // source 0 does not exist
    priority_[s] = value & kMaxPriority;  // WARL: unsupported bits are dropped
    update();
    return;
  }
  if (offset >= kPendingBase && offset < kPendingBase + 4 * kWords) return;  // read-only
  if (offset >= kEnableBase && offset < kEnableBase + kEnableStride * num_contexts_) {
    unsigned ctx = static_cast<unsigned>((offset - kEnableBase) / kEnableStride);
    unsigned word = static_cast<unsigned>((offset - kEnableBase) % kEnableStride / 4);
    if (word < kWords) {
      enable_word(ctx, word) = value & valid_enable_bits(word);
      update();
    }
    return;
  }
  if (offset >= kContextBase && offset < kContextBase + kContextStride * num_contexts_) {
    unsigned ctx = static_cast<unsigned>((offset - kContextBase) / kContextStride);
    uint64_t reg = (offset - kContextBase) % kContextStride;
    if (reg == kThreshold) {
      threshold_[ctx] = value & kMaxPriority;
      update();
    } else if (reg == kClaim) {
      complete(ctx, value);
    }
  }
  // Anything else is reserved and ignores writes.
}

// Snapshot payload (version 1): u32 number of contexts; per source 1..95: u32 priority, then
// level, pending, claimed (booleans); per context: kWords u32 enable words, u32 threshold,
// output level (boolean).
void Plic::save(StateWriter& w) const {
  w.u32(num_contexts_);
  for (unsigned s = 1; s < kNumSources; s++) {
    w.u32(priority_[s]);
    w.boolean(level_[s]);
    w.boolean(pending_[s]);
    w.boolean(claimed_[s]);
  }
  for (unsigned c = 0; c < num_contexts_; c++) {
    for (unsigned word = 0; word < kWords; word++) w.u32(enable_word(c, word));
    w.u32(threshold_[c]);
    w.boolean(outputs_[c].level());
  }
}

void Plic::load(StateReader& r) {
  const uint32_t contexts = r.u32();
  if (r.ok() && contexts != num_contexts_) {
    return r.fail("saved with " + std::to_string(contexts) + " contexts, restored with " +
                  std::to_string(num_contexts_));
  }
  uint32_t priority[kNumSources] = {};
  bool level[kNumSources] = {}, pending[kNumSources] = {}, claimed[kNumSources] = {};
  for (unsigned s = 1; s < kNumSources; s++) {
    priority[s] = r.u32();
    level[s] = r.boolean();
    pending[s] = r.boolean();
    claimed[s] = r.boolean();
    if (!r.ok()) return;
    if (priority[s] > kMaxPriority) return r.fail("a source priority is above 7");
    // The gateway (see the design note): pending only while high, and never while claimed.
    if (pending[s] && (!level[s] || claimed[s])) {
      return r.fail("source " + std::to_string(s) + " is pending while low or claimed");
    }
  }
  std::vector<uint32_t> enable(enable_.size());
  std::vector<uint32_t> threshold(num_contexts_);
  std::vector<uint8_t> output(num_contexts_);
  for (unsigned c = 0; c < num_contexts_; c++) {
    for (unsigned word = 0; word < kWords; word++) {
      const uint32_t bits = r.u32();
      if (bits & ~valid_enable_bits(word)) return r.fail("an enable bit names no source");
      enable[c * kWords + word] = bits;
    }
    threshold[c] = r.u32();
    output[c] = r.boolean();
    if (threshold[c] > kMaxPriority) return r.fail("a context threshold is above 7");
  }
  if (!r.ok()) return;
  std::copy(std::begin(priority), std::end(priority), priority_);
  std::copy(std::begin(level), std::end(level), level_);
  std::copy(std::begin(pending), std::end(pending), pending_);
  std::copy(std::begin(claimed), std::end(claimed), claimed_);
  enable_ = std::move(enable);
  threshold_ = std::move(threshold);
  for (unsigned c = 0; c < num_contexts_; c++) {
    const bool computed = best_source(c) != 0;
    outputs_[c].restore_level(computed);
    if ((output[c] != 0) != computed) {
      r.fail("the output of context " + std::to_string(c) + " disagrees with the registers");
    }
  }
}

}  // namespace glassvm
