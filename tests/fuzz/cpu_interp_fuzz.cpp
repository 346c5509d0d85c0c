// libFuzzer target over the interpreter: random code in RAM, run with traps enabled (mtvec
// points at more random code), on a bare AddressSpace with RAM, a ROM prologue and an MMIO
// page. The code starts in M-mode, or in S or U-mode with Sv39 or Sv48 paging on (gigapages
// over the ROM, the MMIO page and RAM, in a page table outside the fuzzed RAM) and fuzzed
// trap delegation. Whatever the code does (illegal instructions, CSR writes, paging, mret into
// U-mode, loads and stores anywhere) the machine must keep its invariants: run() returns within its
// budget, steps() advances by at most the budget, pc stays 2-aligned, the privilege level is
// a real one, x0 still reads 0 when an instruction reads it, and the host does not crash.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "engine/cpu/cpu.h"
#include "engine/memory/memory.h"
#include "tests/fuzz/fuzz_check.h"

using namespace glassvm;

namespace {

using fuzz::check;

constexpr uint64_t kRomBase = 0x1000;
constexpr uint64_t kMmioBase = 0x10000000;
constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 0x10000;
constexpr uint64_t kTablesBase = 0x90000000;  // the Sv39 root, then the Sv48 root

// The ROM: a prologue that installs mtvec from t1 and jumps to t2, then the x0 probe.
constexpr uint32_t kCsrwMtvecT1 = 0x30531073;  // csrrw x0, mtvec, t1
constexpr uint32_t kJrT2 = 0x00038067;         // jalr x0, 0(t2)
constexpr uint32_t kAddT0X0X0 = 0x000002b3;    // add t0, x0, x0
constexpr uint64_t kProbe = kRomBase + 8;
constexpr uint32_t kMret = 0x30200073;  // enters S or U-mode at mepc
constexpr uint64_t kEnter = kRomBase + 12;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);

  MemoryRegion root, rom, ram, mmio;
  root.init_container("root", MemoryRegion::kWholeSpace);
  rom.init_rom("rom", 0x1000);
  const uint32_t prologue[] = {kCsrwMtvecT1, kJrT2, kAddT0X0X0, kMret};
  for (size_t i = 0; i < 4; ++i) {
    for (int b = 0; b < 4; ++b)
      rom.ram_ptr()[4 * i + b] = static_cast<uint8_t>(prologue[i] >> 8 * b);
  }
  ram.init_ram("ram", kRamSize);
  MemoryRegionOps ops;
  ops.valid = {1, 8, false};
  ops.impl = {1, 8, false};
  uint64_t mmio_reg = 0;
  ops.read = [&mmio_reg](uint64_t, unsigned, uint64_t& v, MemTxAttrs) {
    v = mmio_reg;
    return MemTxResult::Ok;
  };
  ops.write = [&mmio_reg](uint64_t off, unsigned, uint64_t v, MemTxAttrs) {
    mmio_reg = v;
    return off >= 0x800 ? MemTxResult::DeviceError : MemTxResult::Ok;
  };
  mmio.init_io("mmio", 0x1000, ops);
  MemoryRegion tables;
  tables.init_ram("tables", 0x2000);
  {
    MemoryTransaction txn;
    root.add_subregion(kRomBase, &rom);
    root.add_subregion(kMmioBase, &mmio);
    root.add_subregion(kRamBase, &ram);
    root.add_subregion(kTablesBase, &tables);
  }
  AddressSpace as("cpu", &root);

  // Where the code starts and where the trap handler is (both in the random RAM).
  const uint64_t entry = kRamBase + 2 * in.ConsumeIntegralInRange<uint64_t>(0, kRamSize / 2 - 1);
  const uint64_t handler = kRamBase + 4 * in.ConsumeIntegralInRange<uint64_t>(0, kRamSize / 4 - 1);
  const bool vectored = in.ConsumeBool();
  const uint64_t budget = in.ConsumeIntegralInRange<uint64_t>(1, 4000);

  Cpu cpu(as, 0);
  cpu.reset(kRomBase);
  // Registers: many point into RAM so that loads and stores land somewhere interesting.
  for (unsigned r = 1; r < 32; ++r) {
    const uint64_t v = in.ConsumeIntegral<uint64_t>();
    cpu.set_reg(r, (v & 1) ? v : kRamBase + (v >> 1) % kRamSize);
  }
  cpu.set_reg(6, handler | (vectored ? 1 : 0));
  cpu.set_reg(7, entry);
  // The privilege the code starts at (M, S or U), the paging mode and the delegated traps.
  const auto start = static_cast<PrivLevel>(in.PickValueInArray({0, 1, 3}));
  const bool sv48 = in.ConsumeBool();
  const auto medeleg = in.ConsumeIntegral<uint16_t>();
  if (start != PrivLevel::Machine) {
    // Gigapage leaves (V R W X A D, and U for U-mode) over [0, 1 GiB) and [2 GiB, 3 GiB); the
    // Sv48 root points at the Sv39 root as its next level. PMP lets S and U reach everything.
    const uint64_t u = start == PrivLevel::User ? 0x10 : 0;
    const uint64_t leaf = 0xcf | u;
    const uint64_t ptes[] = {leaf, (kRamBase >> 12) << 10 | leaf, (kTablesBase >> 12) << 10 | 1};
    std::memcpy(tables.ram_ptr(), &ptes[0], 8);
    std::memcpy(tables.ram_ptr() + 16, &ptes[1], 8);
    std::memcpy(tables.ram_ptr() + 0x1000, &ptes[2], 8);
    tables.note_ram_touched(0, 0x2000);
    const uint64_t root_page = (kTablesBase >> 12) + (sv48 ? 1 : 0);
    check(cpu.poke_csr(0x180, (sv48 ? 9ull : 8ull) << 60 | root_page), "satp");
    check(cpu.poke_csr(0x3b0, ~uint64_t{0}) && cpu.poke_csr(0x3a0, 0x1f), "PMP");
    check(cpu.poke_csr(0x302, medeleg) && cpu.poke_csr(0x105, handler), "medeleg and stvec");
    check(cpu.poke_csr(0x305, handler | (vectored ? 1 : 0)), "mtvec");
    check(cpu.poke_csr(0x341, entry), "mepc");
    check(cpu.poke_csr(0x300, static_cast<uint64_t>(start) << 11), "mstatus.MPP");
    cpu.set_pc(kEnter);
  }
  const std::vector<uint8_t> code = in.ConsumeRemainingBytes<uint8_t>();
  for (size_t i = 0; i < code.size() && i < kRamSize; ++i) ram.ram_ptr()[i] = code[i];

  for (int round = 0; round < 3; ++round) {
    const uint64_t before = cpu.steps();
    (void)cpu.run(budget);
    const uint64_t done = cpu.steps() - before;
    check(done <= budget, "run() takes at most its budget of steps");
    check((cpu.pc() & 1) == 0, "pc stays 2-aligned");
    const PrivLevel p = cpu.priv();
    check(p == PrivLevel::User || p == PrivLevel::Supervisor || p == PrivLevel::Machine,
          "privilege level is U, S or M");
    uint64_t mstatus = 0;
    check(cpu.peek_csr(0x300, mstatus), "mstatus exists");
  }

  // x0 as an instruction sees it: `add t0, x0, x0` must write 0 to t0 if it executes (the
  // guest may have made the probe unfetchable, through PMP or paging: then it traps instead).
  cpu.set_reg(5, 0xdead);
  cpu.set_pc(kProbe);
  const uint64_t retired = cpu.retired_instructions();
  cpu.step();
  if (cpu.retired_instructions() == retired + 1) {
    check(cpu.reg(5) == 0, "x0 reads as 0 in an instruction");
  }
  return 0;
}
