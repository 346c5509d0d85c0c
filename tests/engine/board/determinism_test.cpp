// The guest's behaviour must not depend on how the embedder slices Machine::run, nor on
// breakpoints: timers armed mid-slice fire at the same step whatever the slicing. And guest
// time counts steps, so a guest caught in a trap loop still sees time pass.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/board/elf_loader.h"
#include "engine/board/machine.h"
#include "engine/cpu/csr.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

using testing::TestHost;

constexpr uint64_t kRam = 1 << 20;
constexpr uint64_t kSteps = 200'000;

std::vector<uint8_t> read_guest(const std::string& name) {
  std::ifstream f(std::string(GLASSVM_GUEST_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(f) << "missing guest " << name;
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::unique_ptr<Machine> boot(TestHost& host, const std::string& guest) {
  MachineConfig config;
  config.ram_size = kRam;
  std::string error;
  auto m = Machine::create(config, host, error);
  EXPECT_TRUE(m) << error;
  EXPECT_TRUE(m->load_kernel(read_guest(guest), guest, error)) << error;
  return m;
}

/// Everything the guest can see or leave behind.
struct Snapshot {
  std::vector<uint64_t> values;  // x1..x31, pc, CSRs, device registers
  uint64_t ram_hash = 0;

  bool operator==(const Snapshot&) const = default;
};

uint64_t mmio_read(Machine& m, uint64_t addr, unsigned size) {
  uint64_t v = 0;
  // A debug read: no side effects (the PLIC claim register is not touched).
  EXPECT_EQ(m.system_as().read(addr, &v, size, MemTxAttrs{.debug = true}), MemTxResult::Ok);
  return v;
}

Snapshot snapshot(Machine& m) {
  Snapshot s;
  Cpu& cpu = m.cpu();
  for (unsigned r = 1; r < 32; ++r) s.values.push_back(cpu.reg(r));
  s.values.push_back(cpu.pc());
  for (uint16_t csr : {kCsrMinstret, kCsrMip, kCsrMie, kCsrMstatus, kCsrMepc, kCsrMcause}) {
    uint64_t v = 0;
    EXPECT_TRUE(cpu.peek_csr(csr, v));
    s.values.push_back(v);
  }
  s.values.push_back(m.total_steps());
  s.values.push_back(m.guest_ns());
  s.values.push_back(mmio_read(m, 0x200bff8, 8));  // mtime
  s.values.push_back(mmio_read(m, 0x2004000, 8));  // mtimecmp[0]
  s.values.push_back(mmio_read(m, 0xc001000, 4));  // PLIC pending word 0
  s.values.push_back(mmio_read(m, 0x101018, 4));   // RTC ALARM_STATUS
  s.values.push_back(mmio_read(m, 0x101008, 4));   // RTC ALARM_LOW
  uint64_t h = 1469598103934665603ull;             // FNV-1a over all of RAM
  const uint8_t* ram = m.ram().ram_ptr();
  for (uint64_t i = 0; i < kRam; ++i) h = (h ^ ram[i]) * 1099511628211ull;
  s.ram_hash = h;
  return s;
}

/// Runs `m` until exactly `steps` steps in calls of at most `slice` steps.
void run_sliced(Machine& m, uint64_t steps, uint64_t slice) {
  while (m.total_steps() < steps) {
    const MachineState state = m.run(std::min(slice, steps - m.total_steps()));
    ASSERT_TRUE(state == MachineState::Running || state == MachineState::Breakpoint)
        << "state " << static_cast<int>(state);
  }
}

// The guest arms mtimecmp 300 steps ahead and the RTC alarm 700 ns ahead, from its handler,
// over and over: each arming lands in the middle of the caller's slice.
TEST(Determinism, SlicingDoesNotChangeTheGuest) {
  TestHost host_ref;
  auto ref = boot(host_ref, "board_timer_slices.elf");
  run_sliced(*ref, kSteps, 1);
  const Snapshot want = snapshot(*ref);
  // The guest took both kinds of interrupt, many times (s5: timer, s6: RTC).
  EXPECT_GT(ref->cpu().reg(21), 100u);
  EXPECT_GT(ref->cpu().reg(22), 50u);
  EXPECT_EQ(ref->total_steps(), kSteps);

  for (uint64_t slice : {7ull, 1000ull, 1'000'000ull}) {
    TestHost host;
    auto m = boot(host, "board_timer_slices.elf");
    run_sliced(*m, kSteps, slice);
    const Snapshot got = snapshot(*m);
    EXPECT_EQ(got.values, want.values) << "slice " << slice;
    EXPECT_EQ(got.ram_hash, want.ram_hash) << "slice " << slice;
  }
}

// Each interrupt is taken exactly when its timer fires: the handler's records show mtime at
// most one tick past the deadline it armed (3 ticks after the previous one).
TEST(Determinism, TimerInterruptsArriveOnTime) {
  TestHost host;
  auto m = boot(host, "board_timer_slices.elf");
  // One call: the slices that deadline changes end inside it do not end the run.
  EXPECT_EQ(m->run(kSteps), MachineState::Running);
  EXPECT_EQ(m->total_steps(), kSteps);
  // The guest's mtimecmp is always mtime + 3 ticks at arming; the interrupt must come before
  // mtime is 2 ticks past it, whatever else happened (RTC handlers take a few dozen steps).
  const uint64_t mtime = mmio_read(*m, 0x200bff8, 8);
  const uint64_t mtimecmp = mmio_read(*m, 0x2004000, 8);
  EXPECT_LE(mtime, mtimecmp + 2) << "the timer is late";
  EXPECT_GT(m->cpu().reg(21), kSteps / 300 / 2);  // roughly one timer interrupt per 300 steps
}

TEST(Determinism, BreakpointsDoNotChangeTheGuest) {
  TestHost host_ref;
  auto ref = boot(host_ref, "board_timer_slices.elf");
  run_sliced(*ref, kSteps, 1'000'000);
  const Snapshot want = snapshot(*ref);

  ElfImage image;
  std::string error;
  const std::vector<uint8_t> elf = read_guest("board_timer_slices.elf");
  ASSERT_TRUE(parse_elf(elf, image, error)) << error;
  ASSERT_TRUE(image.symbols.count("loop"));
  TestHost host;
  auto m = boot(host, "board_timer_slices.elf");
  m->add_breakpoint(image.symbols["loop"]);
  uint64_t hits = 0;
  while (m->total_steps() < kSteps) {
    const MachineState state = m->run(kSteps - m->total_steps());
    ASSERT_TRUE(state == MachineState::Running || state == MachineState::Breakpoint)
        << "state " << static_cast<int>(state);
    if (state == MachineState::Breakpoint) ++hits;
  }
  EXPECT_GT(hits, 1000u);
  const Snapshot got = snapshot(*m);
  EXPECT_EQ(got.values, want.values);
  EXPECT_EQ(got.ram_hash, want.ram_hash);
}

// Every fetch of the trap handler faults: no instruction retires, yet the run ends after its
// budget of steps, guest time advances with the steps, and the armed timer fires.
TEST(Determinism, TrapLoopUsesTheBudgetAndTimeGoesOn) {
  TestHost host;
  auto m = boot(host, "board_trap_loop.elf");
  EXPECT_EQ(m->run(100'000), MachineState::Running);
  EXPECT_EQ(m->total_steps(), 100'000u);
  EXPECT_LT(m->total_instructions(), 20u);
  EXPECT_EQ(m->guest_ns(), 100'000u);
  EXPECT_EQ(mmio_read(*m, 0x200bff8, 8), 100'000u / virt::kNsPerTick);  // mtime
  uint64_t mip = 0;
  ASSERT_TRUE(m->cpu().peek_csr(kCsrMip, mip));
  EXPECT_TRUE(mip & (1u << kIrqMTimer)) << "the timer did not fire";
  uint64_t mcause = 0;
  ASSERT_TRUE(m->cpu().peek_csr(kCsrMcause, mcause));
  EXPECT_EQ(mcause & 0xff, kExcInsnAccessFault);
}

}  // namespace
}  // namespace glassvm
