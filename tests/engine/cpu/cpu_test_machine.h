// A tiny machine for CPU tests: RAM at 0x80000000 in a container, an optional MMIO page, an
// AddressSpace and one Cpu, plus an encoder for the instructions the tests need.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/cpu/csr.h"
#include "engine/memory/memory.h"

namespace glassvm::test {

// -- Instruction encoders (unprivileged spec chapter 2 formats) --
constexpr uint32_t enc_r(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t f3, uint32_t rd,
                         uint32_t op) {
  return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
constexpr uint32_t enc_i(int32_t imm, uint32_t rs1, uint32_t f3, uint32_t rd, uint32_t op) {
  return (static_cast<uint32_t>(imm) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}
constexpr uint32_t enc_s(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3) {
  uint32_t u = static_cast<uint32_t>(imm);
  return ((u >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 0x1f) << 7 | 0x23;
}
constexpr uint32_t enc_b(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3) {
  uint32_t u = static_cast<uint32_t>(imm);
  return ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
         ((u >> 1) & 0xf) << 8 | ((u >> 11) & 1) << 7 | 0x63;
}
constexpr uint32_t enc_j(int32_t imm, uint32_t rd) {
  uint32_t u = static_cast<uint32_t>(imm);
  return ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3ff) << 21 | ((u >> 11) & 1) << 20 |
         ((u >> 12) & 0xff) << 12 | rd << 7 | 0x6f;
}

constexpr uint32_t lui(uint32_t rd, uint32_t imm20) {
  return imm20 << 12 | rd << 7 | 0x37;
}
constexpr uint32_t auipc(uint32_t rd, uint32_t imm20) {
  return imm20 << 12 | rd << 7 | 0x17;
}
constexpr uint32_t jal(uint32_t rd, int32_t off) {
  return enc_j(off, rd);
}
constexpr uint32_t jalr(uint32_t rd, uint32_t rs1, int32_t off) {
  return enc_i(off, rs1, 0, rd, 0x67);
}
constexpr uint32_t beq(uint32_t a, uint32_t b, int32_t off) {
  return enc_b(off, b, a, 0);
}
constexpr uint32_t bne(uint32_t a, uint32_t b, int32_t off) {
  return enc_b(off, b, a, 1);
}
constexpr uint32_t blt(uint32_t a, uint32_t b, int32_t off) {
  return enc_b(off, b, a, 4);
}
constexpr uint32_t bge(uint32_t a, uint32_t b, int32_t off) {
  return enc_b(off, b, a, 5);
}
constexpr uint32_t bltu(uint32_t a, uint32_t b, int32_t off) {
  return enc_b(off, b, a, 6);
}
constexpr uint32_t bgeu(uint32_t a, uint32_t b, int32_t off) {
  return enc_b(off, b, a, 7);
}
constexpr uint32_t load(uint32_t f3, uint32_t rd, uint32_t rs1, int32_t off) {
  return enc_i(off, rs1, f3, rd, 0x03);
}
constexpr uint32_t lb(uint32_t rd, uint32_t rs1, int32_t o) {
  return load(0, rd, rs1, o);
}
constexpr uint32_t lh(uint32_t rd, uint32_t rs1, int32_t o) {
  return load(1, rd, rs1, o);
}
constexpr uint32_t lw(uint32_t rd, uint32_t rs1, int32_t o) {
  return load(2, rd, rs1, o);
}
constexpr uint32_t ld(uint32_t rd, uint32_t rs1, int32_t o) {
  return load(3, rd, rs1, o);
}
constexpr uint32_t lbu(uint32_t rd, uint32_t rs1, int32_t o) {
  return load(4, rd, rs1, o);
}
constexpr uint32_t lhu(uint32_t rd, uint32_t rs1, int32_t o) {
  return load(5, rd, rs1, o);
}
constexpr uint32_t lwu(uint32_t rd, uint32_t rs1, int32_t o) {
  return load(6, rd, rs1, o);
}
constexpr uint32_t sb(uint32_t rs2, uint32_t rs1, int32_t o) {
  return enc_s(o, rs2, rs1, 0);
}
constexpr uint32_t sh(uint32_t rs2, uint32_t rs1, int32_t o) {
  return enc_s(o, rs2, rs1, 1);
}
constexpr uint32_t sw(uint32_t rs2, uint32_t rs1, int32_t o) {
  return enc_s(o, rs2, rs1, 2);
}
constexpr uint32_t sd(uint32_t rs2, uint32_t rs1, int32_t o) {
  return enc_s(o, rs2, rs1, 3);
}
constexpr uint32_t opimm(uint32_t f3, uint32_t rd, uint32_t rs1, int32_t imm) {
  return enc_i(imm, rs1, f3, rd, 0x13);
}
constexpr uint32_t addi(uint32_t rd, uint32_t rs1, int32_t imm) {
  return opimm(0, rd, rs1, imm);
}
constexpr uint32_t slti(uint32_t rd, uint32_t rs1, int32_t imm) {
  return opimm(2, rd, rs1, imm);
}
constexpr uint32_t sltiu(uint32_t rd, uint32_t rs1, int32_t imm) {
  return opimm(3, rd, rs1, imm);
}
constexpr uint32_t xori(uint32_t rd, uint32_t rs1, int32_t imm) {
  return opimm(4, rd, rs1, imm);
}
constexpr uint32_t ori(uint32_t rd, uint32_t rs1, int32_t imm) {
  return opimm(6, rd, rs1, imm);
}
constexpr uint32_t andi(uint32_t rd, uint32_t rs1, int32_t imm) {
  return opimm(7, rd, rs1, imm);
}
constexpr uint32_t slli(uint32_t rd, uint32_t rs1, int32_t sh) {
  return opimm(1, rd, rs1, sh);
}
constexpr uint32_t srli(uint32_t rd, uint32_t rs1, int32_t sh) {
  return opimm(5, rd, rs1, sh);
}
constexpr uint32_t srai(uint32_t rd, uint32_t rs1, int32_t sh) {
  return opimm(5, rd, rs1, sh | 0x400);
}
constexpr uint32_t addiw(uint32_t rd, uint32_t rs1, int32_t imm) {
  return enc_i(imm, rs1, 0, rd, 0x1b);
}
constexpr uint32_t slliw(uint32_t rd, uint32_t rs1, int32_t sh) {
  return enc_i(sh, rs1, 1, rd, 0x1b);
}
constexpr uint32_t srliw(uint32_t rd, uint32_t rs1, int32_t sh) {
  return enc_i(sh, rs1, 5, rd, 0x1b);
}
constexpr uint32_t sraiw(uint32_t rd, uint32_t rs1, int32_t sh) {
  return enc_i(sh | 0x400, rs1, 5, rd, 0x1b);
}
// R-type: OP (0x33) and OP-32 (0x3b) with funct7/funct3.
constexpr uint32_t op(uint32_t f7, uint32_t f3, uint32_t rd, uint32_t rs1, uint32_t rs2) {
  return enc_r(f7, rs2, rs1, f3, rd, 0x33);
}
constexpr uint32_t op32(uint32_t f7, uint32_t f3, uint32_t rd, uint32_t rs1, uint32_t rs2) {
  return enc_r(f7, rs2, rs1, f3, rd, 0x3b);
}
constexpr uint32_t amo(uint32_t f5, bool dword, uint32_t rd, uint32_t rs1, uint32_t rs2) {
  return enc_r(f5 << 2, rs2, rs1, dword ? 3 : 2, rd, 0x2f);
}
constexpr uint32_t csr_op(uint32_t f3, uint32_t rd, uint32_t csr, uint32_t rs1) {
  return csr << 20 | rs1 << 15 | f3 << 12 | rd << 7 | 0x73;
}
constexpr uint32_t csrrw(uint32_t rd, uint32_t csr, uint32_t rs1) {
  return csr_op(1, rd, csr, rs1);
}
constexpr uint32_t csrrs(uint32_t rd, uint32_t csr, uint32_t rs1) {
  return csr_op(2, rd, csr, rs1);
}
constexpr uint32_t csrrc(uint32_t rd, uint32_t csr, uint32_t rs1) {
  return csr_op(3, rd, csr, rs1);
}
constexpr uint32_t csrrwi(uint32_t rd, uint32_t csr, uint32_t u) {
  return csr_op(5, rd, csr, u);
}
constexpr uint32_t csrrsi(uint32_t rd, uint32_t csr, uint32_t u) {
  return csr_op(6, rd, csr, u);
}
constexpr uint32_t csrrci(uint32_t rd, uint32_t csr, uint32_t u) {
  return csr_op(7, rd, csr, u);
}
constexpr uint32_t kEcall = 0x00000073, kEbreak = 0x00100073, kMret = 0x30200073, kWfi = 0x10500073,
                   kSret = 0x10200073, kFence = 0x0ff0000f, kFenceI = 0x0000100f, kNop = 0x00000013;

// ABI register numbers used by the tests.
enum : uint32_t {
  zero = 0,
  ra = 1,
  sp = 2,
  t0 = 5,
  t1 = 6,
  t2 = 7,
  a0 = 10,
  a1 = 11,
  a2 = 12,
  a3 = 13,
  a4 = 14,
  a5 = 15
};

/// RAM of 1 MiB at 0x80000000, and one MMIO page at 0x10000000 that records accesses.
class CpuMachine : public ::testing::Test {
 protected:
  static constexpr uint64_t kRamBase = 0x80000000, kRamSize = 1 << 20;
  static constexpr uint64_t kMmioBase = 0x10000000;
  static constexpr uint64_t kCode = kRamBase + 0x1000;   // where run_in() puts its code
  static constexpr uint64_t kMretAt = kRamBase + 0x800;  // enter()'s MRET

  CpuMachine() {
    root_.init_container("system", MemoryRegion::kWholeSpace);
    ram_.init_ram("ram", kRamSize);
    MemoryRegionOps ops;
    ops.read = [this](uint64_t off, unsigned size, uint64_t& v, MemTxAttrs) {
      v = (mmio_value_ >> ((off & 7) * 8)) & (size == 8 ? ~0ull : (1ull << (size * 8)) - 1);
      last_instret_at_mmio_ = cpu_->instret();
      return MemTxResult::Ok;
    };
    ops.write = [this](uint64_t off, unsigned size, uint64_t v, MemTxAttrs) {
      mmio_writes_.push_back(v);
      last_instret_at_mmio_ = cpu_->instret();
      if (on_mmio_write_) on_mmio_write_(v);
      return MemTxResult::Ok;
    };
    mmio_.init_io("mmio", 0x1000, ops);
    root_.add_subregion(kRamBase, &ram_);
    root_.add_subregion(kMmioBase, &mmio_);
    as_ = std::make_unique<AddressSpace>("cpu", &root_);
    cpu_ = std::make_unique<Cpu>(*as_, 0);
    cpu_->reset(kRamBase);
    open_pmp();
  }
  /// Gives S and U all of memory through PMP entry 0 (NAPOT over everything, RWX), as
  /// firmware does before it enters S-mode: without an entry S and U can touch nothing.
  void open_pmp() {
    ASSERT_TRUE(cpu_->poke_csr(0x3b0, (1ull << 54) - 1));  // pmpaddr0: all ones
    ASSERT_TRUE(cpu_->poke_csr(0x3a0, 0x1f));              // pmpcfg0: NAPOT | X | W | R
  }
  ~CpuMachine() override {
    cpu_.reset();
    as_.reset();
    root_.del_subregion(&mmio_);
    root_.del_subregion(&ram_);
  }

  /// Writes instructions at `addr` through the address space (so decoded code is invalidated).
  void put(uint64_t addr, std::initializer_list<uint32_t> words) {
    for (uint32_t w : words) {
      ASSERT_EQ(as_->store(addr, 4, w), MemTxResult::Ok);
      addr += 4;
    }
  }
  void put16(uint64_t addr, uint16_t half) {
    ASSERT_EQ(as_->store(addr, 2, half), MemTxResult::Ok);
  }
  /// Writes a program at the reset pc.
  void program(std::initializer_list<uint32_t> words) { put(kRamBase, words); }
  uint64_t mem(uint64_t addr, unsigned size = 8) {
    uint64_t v = 0;
    EXPECT_EQ(as_->load(addr, size, v), MemTxResult::Ok);
    return v;
  }
  void set_mem(uint64_t addr, uint64_t v, unsigned size = 8) {
    ASSERT_EQ(as_->store(addr, size, v), MemTxResult::Ok);
  }
  /// Maps `va` to `pa` in the Sv39 tables rooted at `root` with leaf PTE `flags` at `level`
  /// (0: 4 KiB, 1: 2 MiB, 2: 1 GiB), taking missing tables from `next_table` (4 KiB each, and
  /// advances it). Returns the leaf PTE's address.
  uint64_t map_sv39(uint64_t root, uint64_t& next_table, uint64_t va, uint64_t pa, uint64_t flags,
                    int level = 0) {
    constexpr uint64_t kValid = 1;
    uint64_t table = root;
    for (int l = 2; l > level; --l) {
      const uint64_t slot = table + ((va >> (12 + 9 * l)) & 511) * 8;
      uint64_t pte = mem(slot);
      if (!(pte & kValid)) {
        pte = ((next_table >> 12) << 10) | kValid;
        next_table += 0x1000;
        set_mem(slot, pte);
      }
      table = (pte >> 10) << 12;
    }
    const uint64_t slot = table + ((va >> (12 + 9 * level)) & 511) * 8;
    set_mem(slot, ((pa >> 12) << 10) | flags);
    return slot;
  }
  uint64_t csr(uint16_t n) {
    uint64_t v = 0;
    EXPECT_TRUE(cpu_->peek_csr(n, v)) << "csr " << n;
    return v;
  }
  /// Runs one instruction/trap.
  void step(unsigned n = 1) {
    for (unsigned i = 0; i < n; ++i) cpu_->step();
  }
  uint64_t x(unsigned r) { return cpu_->reg(r); }

  /// Leaves M-mode for `mode` at `pc` the way firmware does: an MRET (at kMretAt) with
  /// MPP = `mode` and mepc = `pc`. The hart must be in M-mode.
  void enter(PrivLevel mode, uint64_t pc) {
    cpu_->poke_csr(kCsrMepc, pc);
    cpu_->poke_csr(kCsrMstatus,
                   (csr(kCsrMstatus) & ~(3ull << 11)) | (static_cast<uint64_t>(mode) << 11));
    put(kMretAt, {kMret});
    cpu_->set_pc(kMretAt);
    step();
    ASSERT_EQ(cpu_->priv(), mode);
    ASSERT_EQ(cpu_->pc(), pc);
  }
  /// Traps from S or U back to M-mode: an illegal instruction written at pc, with medeleg
  /// cleared for that one trap. pc must be a physical address (bare translation).
  void to_machine() {
    const uint64_t deleg = csr(kCsrMedeleg);
    cpu_->poke_csr(kCsrMedeleg, 0);
    put(cpu_->pc(), {0xffffffffu});
    step();
    ASSERT_EQ(cpu_->priv(), PrivLevel::Machine);
    cpu_->poke_csr(kCsrMedeleg, deleg);
  }
  /// Runs `code` in `mode`: writes it at physical `pa` and enter()s `mode` there, or at `va`
  /// when the test's page tables map `va` to `pa`. From S or U it first goes back to M with
  /// to_machine(). The code has not run yet when this returns: step() through it.
  void run_in(PrivLevel mode, std::initializer_list<uint32_t> code, uint64_t pa = kCode,
              std::optional<uint64_t> va = std::nullopt) {
    if (cpu_->priv() != PrivLevel::Machine) {
      ASSERT_NO_FATAL_FAILURE(to_machine());
    }
    put(pa, code);
    enter(mode, va.value_or(pa));
  }

  MemoryRegion root_, ram_, mmio_;
  std::unique_ptr<AddressSpace> as_;
  std::unique_ptr<Cpu> cpu_;
  uint64_t mmio_value_ = 0;
  std::vector<uint64_t> mmio_writes_;
  uint64_t last_instret_at_mmio_ = 0;
  std::function<void(uint64_t)> on_mmio_write_;
};

}  // namespace glassvm::test
