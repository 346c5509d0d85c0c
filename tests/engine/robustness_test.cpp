// A guest that executes garbage or writes anything to any device register gets traps and
// device error states only: the host never aborts and the machine stays consistent.
#include <gtest/gtest.h>

#include <random>

#include "engine/board/machine.h"
#include "engine/cpu/csr.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

using testing::TestHost;

std::unique_ptr<Machine> make_machine(TestHost& host) {
  MachineConfig config;
  config.ram_size = 1 << 20;
  std::string error;
  auto m = Machine::create(config, host, error);
  EXPECT_TRUE(m) << error;
  return m;
}

// Puts a tiny program at DRAM that prints "ok" on the UART and powers off through the test
// device: proof that CPU, bus and devices still work.
void load_sanity_program(Machine& m) {
  const uint32_t prog[] = {
      0x100002b7,  // lui  t0, 0x10000      (UART)
      0x06f00313,  // li   t1, 'o'
      0x00628023,  // sb   t1, 0(t0)
      0x06b00313,  // li   t1, 'k'
      0x00628023,  // sb   t1, 0(t0)
      0x000052b7,  // lui  t0, 0x5
      0x5552829b,  // addiw t0, t0, 0x555  (0x5555)
      0x00100337,  // lui  t1, 0x100       (sifive test)
      0x00532023,  // sw   t0, 0(t1)
      0x0000006f,  // j .
  };
  ASSERT_EQ(m.system_as().write(virt::kDramBase, prog, sizeof prog), MemTxResult::Ok);
}

void expect_sane(Machine& m, TestHost& host) {
  m.reset();
  load_sanity_program(m);
  m.cpu().reset(virt::kDramBase);
  host.output.clear();
  MachineState s = MachineState::Running;
  for (int i = 0; i < 10 && s == MachineState::Running; ++i) s = m.run(1000);
  EXPECT_EQ(s, MachineState::Exited);
  EXPECT_EQ(m.exit_code(), 0);
  EXPECT_EQ(host.output, "ok");
}

TEST(Robustness, RandomInstructionWords) {
  std::mt19937_64 rng(12345);
  for (int round = 0; round < 200; ++round) {
    TestHost host;
    auto m = make_machine(host);
    // Fill the first 64 KiB of RAM with random words and start there; mtvec will point into
    // random code too once the guest writes it.
    std::vector<uint32_t> words(16384);
    for (auto& w : words) w = static_cast<uint32_t>(rng());
    ASSERT_EQ(m->system_as().write(virt::kDramBase, words.data(), words.size() * 4),
              MemTxResult::Ok);
    m->cpu().reset(virt::kDramBase + (rng() % 16384) * 4);
    m->cpu().poke_csr(kCsrMtvec, virt::kDramBase + (rng() % 16384) * 4);
    // Every step counts against the budget, retired or trapped: a run that neither stopped
    // nor idled took exactly its budget of steps, whatever the random code did.
    MachineState s = MachineState::Running;
    for (int i = 0; i < 20 && s == MachineState::Running; ++i) {
      const uint64_t before = m->total_steps();
      s = m->run(5000);
      const uint64_t took = m->total_steps() - before;
      if (s == MachineState::Running && m->last_idle_skip_ns() == 0) {
        EXPECT_EQ(took, 5000u) << "round " << round << ", run " << i;
      } else {
        EXPECT_LE(took, 5000u) << "round " << round << ", run " << i;
      }
    }
    if (!m->exited()) expect_sane(*m, host);
  }
}

TEST(Robustness, RandomDeviceRegisterWrites) {
  std::mt19937_64 rng(777);
  TestHost host;
  auto m = make_machine(host);
  const std::pair<uint64_t, uint64_t> devices[] = {
      {kVirtTestBase, kVirtTestSize},   {kVirtRtcBase, kVirtRtcSize},
      {kVirtClintBase, kVirtClintSize}, {kVirtPlicBase, kVirtPlicSize},
      {kVirtUartBase, kVirtUartSize},   {virt::kMromBase, virt::kMromSize},
  };
  for (int i = 0; i < 200'000; ++i) {
    const auto& [base, size] = devices[rng() % std::size(devices)];
    const unsigned access = 1u << (rng() % 4);
    const uint64_t addr = base + rng() % size;
    if (base == kVirtTestBase) continue;  // writes there may legitimately end the run
    uint64_t value = rng();
    if (rng() % 2) {
      m->system_as().store(addr, access, value);
    } else {
      m->system_as().load(addr, access, value);
    }
  }
  // Random MMIO may have raised interrupts or reset timers; the machine must still run.
  expect_sane(*m, host);
}

}  // namespace
}  // namespace glassvm
