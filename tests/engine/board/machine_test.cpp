// The virt board: construction errors, the memory map, booting an ELF, HTIF, the device tree.
#include "engine/board/machine.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "engine/board/elf_loader.h"
#include "engine/board/fdt.h"
#include "tests/support/elf_writer.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

using testing::TestHost;

std::vector<uint8_t> read_guest(const std::string& name) {
  std::ifstream f(std::string(GLASSVM_GUEST_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(f) << "missing guest " << name;
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::unique_ptr<Machine> make_machine(TestHost& host, uint64_t ram = 128ull << 20) {
  MachineConfig config;
  config.ram_size = ram;
  std::string error;
  auto m = Machine::create(config, host, error);
  EXPECT_TRUE(m) << error;
  return m;
}

MachineState run_until_done(Machine& m, uint64_t limit = 500'000'000) {
  MachineState s = MachineState::Running;
  uint64_t ran = 0;
  while (ran < limit) {
    const uint64_t before = m.total_instructions();
    s = m.run(1'000'000);
    ran += m.total_instructions() - before + 1;
    if (s == MachineState::Exited || s == MachineState::Idle) break;
  }
  return s;
}

TEST(Machine, RejectsBadRamSizes) {
  TestHost host;
  std::string error;
  MachineConfig config;
  config.ram_size = 0;
  EXPECT_FALSE(Machine::create(config, host, error));
  EXPECT_NE(error.find("memory size"), std::string::npos);
  config.ram_size = (128ull << 20) + 1;
  EXPECT_FALSE(Machine::create(config, host, error));
  config.ram_size = 128ull << 30;
  EXPECT_FALSE(Machine::create(config, host, error));
  EXPECT_NE(error.find("64 GiB"), std::string::npos);
}

TEST(Machine, MemoryMapMatchesQemuVirt) {
  TestHost host;
  auto m = make_machine(host);
  const std::string text = m->info_mtree(true);
  for (const char* line : {
           "address-space: cpu-memory-0",
           "address-space: memory",
           "  0000000000000000-ffffffffffffffff (prio 0, i/o): system",
           "    0000000000001000-000000000000ffff (prio 0, rom): riscv_virt_board.mrom",
           "    0000000000100000-0000000000100fff (prio 0, i/o): riscv.sifive.test",
           "    0000000000101000-0000000000101023 (prio 0, i/o): goldfish_rtc",
           "    0000000002000000-0000000002003fff (prio 0, i/o): riscv.aclint.swi",
           "    0000000002004000-000000000200bfff (prio 0, i/o): riscv.aclint.mtimer",
           "    000000000c000000-000000000c5fffff (prio 0, i/o): riscv.sifive.plic",
           "    0000000010000000-0000000010000007 (prio 0, i/o): serial",
           "    0000000080000000-0000000087ffffff (prio 0, ram): riscv_virt_board.ram",
           "FlatView #0",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "\n" << text;
  }
}

TEST(Machine, BootRomPassesHartIdAndDeviceTree) {
  TestHost host;
  auto m = make_machine(host);
  std::string error;
  ASSERT_TRUE(m->load_kernel(read_guest("demo.elf"), "demo.elf", error)) << error;
  EXPECT_EQ(m->cpu().pc(), virt::kMromBase);
  for (int i = 0; i < 6; ++i) m->cpu().step();  // QEMU 7.2's reset vector: six instructions
  EXPECT_EQ(m->cpu().reg(10), 0u);              // a0 = hartid
  EXPECT_EQ(m->cpu().reg(11), m->fdt_addr());   // a1 = device tree
  EXPECT_GE(m->cpu().pc(), virt::kDramBase);

  // The blob in guest RAM is a valid device tree describing this machine.
  std::vector<uint8_t> blob(m->fdt().size());
  ASSERT_EQ(m->system_as().read(m->fdt_addr(), blob.data(), blob.size()), MemTxResult::Ok);
  FdtReader reader;
  ASSERT_TRUE(reader.parse(blob)) << reader.error();
  auto mem = reader.find_node("/memory@80000000");
  ASSERT_TRUE(mem);
  auto reg = reader.prop_cells(*mem, "reg");
  ASSERT_TRUE(reg);
  ASSERT_EQ(reg->size(), 4u);
  EXPECT_EQ((uint64_t((*reg)[2]) << 32) | (*reg)[3], 128ull << 20);
  EXPECT_TRUE(reader.find_node("/soc/serial@10000000"));
}

TEST(Machine, RejectsBadKernelsAndStaysUsable) {
  TestHost host;
  auto m = make_machine(host);
  std::string error;
  const std::vector<uint8_t> junk = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_FALSE(m->load_kernel(junk, "junk.bin", error));
  EXPECT_NE(error.find("junk.bin"), std::string::npos) << error;

  // An image that does not fit: the same program in a machine with too little RAM.
  TestHost small_host;
  auto small = make_machine(small_host, 4096);
  EXPECT_FALSE(small->load_kernel(read_guest("bench.elf"), "bench.elf", error));
  EXPECT_NE(error.find("RAM"), std::string::npos) << error;

  // The first machine is unharmed and still boots a good image.
  ASSERT_TRUE(m->load_kernel(read_guest("bench.elf"), "bench.elf", error)) << error;
  EXPECT_EQ(m->cpu().pc(), virt::kMromBase);
}

// With 1 MiB of RAM, QEMU's place for the device tree (the end of RAM aligned down to 2 MiB)
// is the DRAM base, where the program starts: the blob must go elsewhere.
TEST(Machine, DeviceTreeNeverOverwritesTheProgram) {
  TestHost host;
  auto m = make_machine(host, 1 << 20);
  std::string error;
  const std::vector<uint8_t> elf = read_guest("test_hello.elf");
  ASSERT_TRUE(m->load_kernel(elf, "test_hello.elf", error)) << error;
  ElfImage image;
  ASSERT_TRUE(parse_elf(elf, image, error)) << error;
  for (const ElfSegment& s : image.segments) {
    EXPECT_TRUE(m->fdt_addr() >= s.paddr + s.memsz || m->fdt_addr() + m->fdt().size() <= s.paddr)
        << std::hex << "device tree at 0x" << m->fdt_addr() << " overlaps the segment at 0x"
        << s.paddr;
  }
  EXPECT_LE(m->fdt_addr() + m->fdt().size(), virt::kDramBase + (1 << 20));
  EXPECT_EQ(m->fdt_addr() % 8, 0u);
  EXPECT_EQ(run_until_done(*m), MachineState::Exited);
  EXPECT_EQ(m->exit_code(), 0) << host.output;

  // With enough RAM the blob stays where QEMU puts it.
  TestHost big_host;
  auto big = make_machine(big_host);
  ASSERT_TRUE(big->load_kernel(elf, "test_hello.elf", error)) << error;
  EXPECT_EQ(big->fdt_addr(), (virt::kDramBase + (128 << 20) - big->fdt().size()) & ~0x1fffffull);
}

// An image that fills RAM leaves no room for the device tree: refused, machine unchanged.
TEST(Machine, RefusesAnImageThatLeavesNoRoomForTheDeviceTree) {
  TestHost host;
  auto m = make_machine(host, 64 << 10);
  const uint64_t fdt_addr = m->fdt_addr();
  testing::ElfWriter w;
  w.with_sections = false;
  w.segs.push_back({virt::kDramBase, virt::kDramBase, 64 << 10, {0x6f, 0, 0, 0}, 5});
  std::string error;
  EXPECT_FALSE(m->load_kernel(w.build(), "full.elf", error));
  EXPECT_NE(error.find("no room for the device tree"), std::string::npos) << error;
  EXPECT_EQ(m->fdt_addr(), fdt_addr);
  // One page less leaves room.
  w.segs[0].memsz = 60 << 10;
  EXPECT_TRUE(m->load_kernel(w.build(), "fits.elf", error)) << error;
  EXPECT_GE(m->fdt_addr(), virt::kDramBase + (60 << 10));
}

// An initrd that leaves no room for the device tree is refused, and the machine keeps its
// kernel and the initrd it had.
TEST(Machine, RefusedInitrdKeepsTheKernelAndTheInitrdBefore) {
  TestHost host;
  constexpr uint64_t kRam = 1 << 20;
  auto m = make_machine(host, kRam);
  // A kernel filling the first half of RAM (the initrd goes half way in): "j ." and zeros.
  testing::ElfWriter w;
  w.with_sections = false;
  w.segs.push_back({virt::kDramBase, virt::kDramBase, kRam / 2, {0x6f, 0, 0, 0}, 5});
  std::string error;
  ASSERT_TRUE(m->load_kernel(w.build(), "half.elf", error)) << error;
  const std::vector<uint8_t> small(4096, 0x5a);
  ASSERT_TRUE(m->load_initrd(small, "small.cpio", error)) << error;
  const uint64_t fdt_addr = m->fdt_addr();
  const std::vector<uint8_t> fdt = m->fdt();
  EXPECT_FALSE(m->load_initrd(std::vector<uint8_t>(kRam / 2, 0xa5), "big.cpio", error));
  EXPECT_NE(error.find("no room for the device tree"), std::string::npos) << error;
  EXPECT_EQ(m->fdt_addr(), fdt_addr);
  // A reset loads what the machine had: the kernel, the small initrd, the same device tree.
  m->reset();
  auto read = [&](uint64_t addr, size_t len) {
    std::vector<uint8_t> out(len);
    EXPECT_EQ(m->cpu_as().read(addr, out.data(), len), MemTxResult::Ok);
    return out;
  };
  EXPECT_EQ(read(virt::kDramBase, 4), (std::vector<uint8_t>{0x6f, 0, 0, 0}));
  EXPECT_EQ(read(virt::kDramBase + kRam / 2, small.size()), small);
  EXPECT_EQ(read(fdt_addr, fdt.size()), fdt);
}

TEST(Machine, DemoAnswersTypedCommands) {
  TestHost host;
  auto m = make_machine(host);
  std::string error;
  ASSERT_TRUE(m->load_kernel(read_guest("demo.elf"), "demo.elf", error)) << error;
  EXPECT_EQ(run_until_done(*m), MachineState::Idle);
  EXPECT_NE(host.output.find("GlassVM"), std::string::npos) << host.output;
  host.output.clear();
  host.type("help\r");
  EXPECT_EQ(run_until_done(*m), MachineState::Idle);
  EXPECT_NE(host.output.find("mem"), std::string::npos) << host.output;
  host.output.clear();
  host.type("poweroff\r");
  EXPECT_EQ(run_until_done(*m), MachineState::Exited);
  EXPECT_EQ(m->exit_code(), 0);
}

}  // namespace
}  // namespace glassvm

namespace glassvm {
namespace {

TEST(Machine, StopsAtBreakpointsAndContinues) {
  testing::TestHost host;
  MachineConfig config;
  std::string error;
  auto m = Machine::create(config, host, error);
  ASSERT_TRUE(m);
  // addi a0, a0, 1 four times, then loop.
  const uint32_t prog[] = {0x00150513, 0x00150513, 0x00150513, 0x00150513, 0x0000006f};
  ASSERT_EQ(m->system_as().write(virt::kDramBase, prog, sizeof prog), MemTxResult::Ok);
  m->cpu().reset(virt::kDramBase);
  m->add_breakpoint(virt::kDramBase + 8);
  EXPECT_EQ(m->run(100), MachineState::Breakpoint);
  EXPECT_EQ(m->cpu().pc(), virt::kDramBase + 8);
  EXPECT_EQ(m->cpu().reg(10), 2u);
  // Continuing executes the instruction at the breakpoint and runs on.
  m->remove_breakpoint(virt::kDramBase + 8);
  m->add_breakpoint(virt::kDramBase + 16);
  EXPECT_EQ(m->run(100), MachineState::Breakpoint);
  EXPECT_EQ(m->cpu().reg(10), 4u);
  EXPECT_EQ(m->run(100), MachineState::Breakpoint);  // the loop comes back to it
  EXPECT_EQ(m->cpu().pc(), virt::kDramBase + 16);
}

}  // namespace
}  // namespace glassvm
