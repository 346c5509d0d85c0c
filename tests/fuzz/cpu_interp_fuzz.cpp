// libFuzzer target over the interpreter: random code in RAM, run with traps enabled (mtvec
// points at more random code), on a bare AddressSpace with RAM, a ROM prologue and an MMIO
// page. Whatever the code does (illegal instructions, CSR writes, paging, mret into U-mode,
// loads and stores anywhere) the machine must keep its invariants: run() returns within its
// budget, steps() advances by at most the budget, pc stays 2-aligned, the privilege level is
// a real one, x0 still reads 0 when an instruction reads it, and the host does not crash.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
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

// The ROM: a prologue that installs mtvec from t1 and jumps to t2, then the x0 probe.
constexpr uint32_t kCsrwMtvecT1 = 0x30531073;  // csrrw x0, mtvec, t1
constexpr uint32_t kJrT2 = 0x00038067;         // jalr x0, 0(t2)
constexpr uint32_t kAddT0X0X0 = 0x000002b3;    // add t0, x0, x0
constexpr uint64_t kProbe = kRomBase + 8;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);

  MemoryRegion root, rom, ram, mmio;
  root.init_container("root", MemoryRegion::kWholeSpace);
  rom.init_rom("rom", 0x1000);
  const uint32_t prologue[] = {kCsrwMtvecT1, kJrT2, kAddT0X0X0};
  for (size_t i = 0; i < 3; ++i) {
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
  {
    MemoryTransaction txn;
    root.add_subregion(kRomBase, &rom);
    root.add_subregion(kMmioBase, &mmio);
    root.add_subregion(kRamBase, &ram);
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
