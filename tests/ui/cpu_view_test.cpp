// The CPU view model: registers, CSRs, disassembly around the pc, breakpoints.
#include "ui/cpu_view.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "engine/board/machine.h"
#include "engine/cpu/csr.h"
#include "engine/cpu/decode.h"
#include "tests/support/test_host.h"
#include "tests/ui/guest_files.h"

namespace glassvm::ui {
namespace {

std::unique_ptr<Machine> demo_machine(Host& host) {
  std::string error;
  auto m = Machine::create(MachineConfig{}, host, error);
  EXPECT_TRUE(m) << error;
  const std::vector<uint8_t> demo = testing::read_guest("demo.elf");
  EXPECT_TRUE(m->load_kernel(demo, "demo.elf", error)) << error;
  return m;
}

TEST(CpuView, RegistersJsonHasPcAll32RegistersAndPrivilege) {
  testing::TestHost host;
  auto m = demo_machine(host);
  m->run(5000);
  const std::string json = registers_json(m->cpu());
  char pc[40];
  std::snprintf(pc, sizeof pc, "{\"pc\":\"0x%016llx\"",
                static_cast<unsigned long long>(m->cpu().pc()));
  EXPECT_EQ(json.rfind(pc, 0), 0u) << json;
  size_t quotes_0x = 0;
  for (size_t p = json.find("\"0x"); p != std::string::npos; p = json.find("\"0x", p + 1))
    ++quotes_0x;
  EXPECT_EQ(quotes_0x, 33u);                                                  // pc + x0..x31
  EXPECT_NE(json.find("\"x\":[\"0x0000000000000000\","), std::string::npos);  // x0
  EXPECT_NE(json.find("\"priv\":\"M\"}"), std::string::npos);

  const std::vector<RegisterRow> regs = register_rows(m->cpu());
  ASSERT_EQ(regs.size(), 32u);
  EXPECT_EQ(regs[2].name, "x2/sp");
  EXPECT_EQ(regs[10].name, "x10/a0");
  EXPECT_NE(regs[2].value, 0u);  // the demo set up a stack
  EXPECT_EQ(regs[2].value, m->cpu().reg(2));
}

TEST(CpuView, CsrsShowMachineStateWithDecodedNotes) {
  testing::TestHost host;
  auto m = demo_machine(host);
  m->run(5000);
  const std::vector<CsrRow> rows = csr_rows(m->cpu());
  auto find = [&](const char* name) -> const CsrRow* {
    for (const CsrRow& r : rows)
      if (r.name == name) return &r;
    return nullptr;
  };
  for (const char* name : {"mstatus", "misa", "mtvec", "mepc", "mcause", "mtval", "mie", "mip",
                           "mscratch", "mhartid", "mcycle", "minstret"}) {
    EXPECT_NE(find(name), nullptr) << name;
  }
  ASSERT_NE(find("misa"), nullptr);
  EXPECT_EQ(find("misa")->note.rfind("RV64", 0), 0u);
  EXPECT_NE(find("misa")->note.find('I'), std::string::npos);
  EXPECT_NE(find("misa")->note.find('C'), std::string::npos);
  EXPECT_NE(find("mstatus")->note.find("MPP="), std::string::npos);
  EXPECT_EQ(find("mhartid")->value, 0u);
  uint64_t mtvec = 0;
  ASSERT_TRUE(m->cpu().peek_csr(kCsrMtvec, mtvec));
  EXPECT_EQ(find("mtvec")->value, mtvec);
}

TEST(CpuView, CsrRowsAreTheShownCsrsTheHartHasNamedFromTheCsrTable) {
  testing::TestHost host;
  auto m = demo_machine(host);
  const std::vector<CsrRow> rows = csr_rows(m->cpu());
  ASSERT_FALSE(rows.empty());
  for (const CsrRow& r : rows) {
    ASSERT_NE(csr_name(r.number), nullptr) << r.number;
    EXPECT_EQ(r.name, csr_name(r.number));
    uint64_t value = 0;
    EXPECT_TRUE(m->cpu().peek_csr(r.number, value)) << r.name;
  }
  // The virt hart has S-mode: the supervisor CSRs the panel knows are listed.
  for (uint16_t n : {uint16_t{kCsrSatp}, uint16_t{kCsrSstatus}, uint16_t{kCsrMedeleg}}) {
    EXPECT_TRUE(std::any_of(rows.begin(), rows.end(), [n](const CsrRow& r) {
      return r.number == n;
    })) << n;
  }
}

TEST(CpuView, SatpIsDecodedIntoModeAsidAndRoot) {
  EXPECT_EQ(read_satp(0).mode, "Bare");
  EXPECT_FALSE(read_satp(0).paging);
  // Sv39, ASID 0x1234, root PPN 0x80123 -> root 0x80123000.
  const SatpReading sv39 = read_satp((uint64_t{8} << 60) | (uint64_t{0x1234} << 44) | 0x80123);
  EXPECT_TRUE(sv39.paging);
  EXPECT_EQ(sv39.mode, "Sv39");
  EXPECT_EQ(sv39.asid, 0x1234u);
  EXPECT_EQ(sv39.root, 0x80123000u);
  EXPECT_EQ(read_satp(uint64_t{9} << 60).mode, "Sv48");
  EXPECT_EQ(read_satp(uint64_t{5} << 60).mode, "mode 5");
}

TEST(CpuView, CauseText) {
  EXPECT_EQ(cause_text(2), "Illegal instruction");
  EXPECT_EQ(cause_text(11), "Environment call from M-mode");
  EXPECT_EQ(cause_text((uint64_t{1} << 63) | 7), "Machine timer interrupt");
  EXPECT_EQ(cause_text(42), "reserved (42)");
  EXPECT_EQ(cause_text(10), "reserved (10)");
  EXPECT_EQ(cause_text((uint64_t{1} << 63) | 99), "reserved interrupt (99)");
}

TEST(CpuView, DisassemblyAroundThePcOfARunningGuest) {
  testing::TestHost host;
  auto m = demo_machine(host);
  m->run(20000);
  const uint64_t pc = m->cpu().pc();
  ASSERT_GE(pc, virt::kDramBase);
  const std::vector<DisasmRow> rows = disassembly(m->cpu_as(), pc, 5, 7);
  ASSERT_GE(rows.size(), 8u);
  int pcs = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_TRUE(rows[i].readable);
    if (i) {
      EXPECT_EQ(rows[i - 1].addr + rows[i - 1].len, rows[i].addr) << i;
    }
    pcs += rows[i].is_pc;
    uint64_t word = 0;
    ASSERT_EQ(m->cpu_as().load(rows[i].addr, 4, word), MemTxResult::Ok);
    const uint32_t raw = rows[i].len == 2 ? word & 0xffff : static_cast<uint32_t>(word);
    EXPECT_EQ(rows[i].raw, raw);
    EXPECT_EQ(rows[i].text, disassemble(decode(raw), rows[i].addr));
  }
  EXPECT_EQ(pcs, 1);
  EXPECT_EQ(rows.back().addr >= pc, true);
  size_t pc_index = 0;
  while (!rows[pc_index].is_pc) ++pc_index;
  EXPECT_EQ(rows[pc_index].addr, pc);
  EXPECT_EQ(rows.size() - pc_index, 8u);  // the pc and 7 after
  EXPECT_LE(pc_index, 5u);
  EXPECT_GE(pc_index, 1u);
}

/// A small address space: RAM at 0x1000 (4 KiB), MMIO at 0x3000, nothing elsewhere.
struct SmallBus {
  SmallBus() {
    root.init_container("root", MemoryRegion::kWholeSpace);
    ram.init_ram("ram", 0x1000);
    MemoryRegionOps ops;
    ops.read = [this](uint64_t, unsigned, uint64_t& v, MemTxAttrs) {
      ++mmio_reads;
      v = 0x13;  // would disassemble as nop
      return MemTxResult::Ok;
    };
    ops.write = [](uint64_t, unsigned, uint64_t, MemTxAttrs) { return MemTxResult::Ok; };
    io.init_io("io", 0x100, ops);
    root.add_subregion(0x1000, &ram);
    root.add_subregion(0x3000, &io);
    as = std::make_unique<AddressSpace>("bus", &root);
  }
  ~SmallBus() {
    as.reset();
    root.del_subregion(&ram);
    root.del_subregion(&io);
  }
  void put16(uint64_t addr, uint16_t v) { std::memcpy(ram.ram_ptr() + (addr - 0x1000), &v, 2); }
  void put32(uint64_t addr, uint32_t v) { std::memcpy(ram.ram_ptr() + (addr - 0x1000), &v, 4); }
  MemoryRegion root, ram, io;
  std::unique_ptr<AddressSpace> as;
  int mmio_reads = 0;
};

constexpr uint16_t kCNop = 0x0001;
constexpr uint32_t kLuiA0_0x30 = 0x00030537;  // its upper half 0x0003 looks like a 32-bit start

TEST(CpuView, DisassemblyFindsTrueBoundariesInMixedCode) {
  SmallBus bus;
  // Fill the page with lui a0,0x30, whose halves mislead a walk started mid-instruction.
  for (uint64_t a = 0x1000; a < 0x1100; a += 4) bus.put32(a, kLuiA0_0x30);
  bus.put16(0x1100, kCNop);
  bus.put32(0x1102, kLuiA0_0x30);
  bus.put16(0x1106, kCNop);
  bus.put32(0x1108, 0x00150513);  // addi a0,a0,1 (the pc)
  const std::vector<DisasmRow> rows = disassembly(*bus.as, 0x1108, 4, 1);
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].addr, 0x10fcu);
  EXPECT_EQ(rows[1].addr, 0x1100u);
  EXPECT_EQ(rows[1].len, 2u);
  EXPECT_EQ(rows[2].addr, 0x1102u);
  EXPECT_EQ(rows[2].text, "lui a0,0x30");
  EXPECT_EQ(rows[3].addr, 0x1106u);
  EXPECT_EQ(rows[4].addr, 0x1108u);
  EXPECT_TRUE(rows[4].is_pc);
  EXPECT_EQ(rows[4].text, "addi a0,a0,1");
  EXPECT_EQ(rows[5].addr, 0x110cu);
}

TEST(CpuView, DisassemblyOfUnreadableMemoryNeverTouchesDevices) {
  SmallBus bus;
  // The pc at the start of RAM: the lines before it are unmapped.
  bus.put32(0x1000, 0x00150513);
  std::vector<DisasmRow> rows = disassembly(*bus.as, 0x1000, 3, 1);
  ASSERT_FALSE(rows.empty());
  for (const DisasmRow& r : rows) {
    if (r.addr < 0x1000) {
      EXPECT_FALSE(r.readable);
      EXPECT_EQ(r.text, "<unreadable>");
      EXPECT_EQ(r.len, 2u);
    }
  }
  size_t pc_index = 0;
  while (!rows[pc_index].is_pc) ++pc_index;
  EXPECT_EQ(rows[pc_index].text, "addi a0,a0,1");

  // A 32-bit instruction in the last two bytes of RAM is cut off: unreadable.
  bus.put16(0x1ffe, 0x0513);
  rows = disassembly(*bus.as, 0x1ffe, 0, 2);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_FALSE(rows[0].readable);
  EXPECT_FALSE(rows[1].readable);
  EXPECT_EQ(rows[1].addr, 0x2000u);

  // MMIO is never read for a listing.
  rows = disassembly(*bus.as, 0x3000, 4, 4);
  for (const DisasmRow& r : rows) EXPECT_FALSE(r.readable);
  EXPECT_EQ(bus.mmio_reads, 0);
  EXPECT_FALSE(peek_insn(*bus.as, 0x3000).has_value());

  // The very top of the address space does not wrap around.
  rows = disassembly(*bus.as, UINT64_MAX - 1, 2, 5);
  EXPECT_LE(rows.size(), 3u);
  EXPECT_TRUE(rows.back().addr == UINT64_MAX - 1);
  // pc 0 has nothing before it.
  rows = disassembly(*bus.as, 0, 4, 0);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].is_pc);
}

TEST(CpuView, BreakpointsAreMarkedAndToggled) {
  testing::TestHost host;
  auto m = demo_machine(host);
  m->run(20000);
  const uint64_t pc = m->cpu().pc();
  EXPECT_TRUE(toggle_breakpoint(*m, pc));
  EXPECT_EQ(m->breakpoints().count(pc), 1u);
  const std::vector<uint64_t> bps(m->breakpoints().begin(), m->breakpoints().end());
  for (const DisasmRow& r : disassembly(m->cpu_as(), pc, 2, 2, bps))
    EXPECT_EQ(r.breakpoint, r.addr == pc);
  EXPECT_FALSE(toggle_breakpoint(*m, pc));
  EXPECT_TRUE(m->breakpoints().empty());
}

TEST(CpuView, ParsePc) {
  EXPECT_EQ(parse_pc("0x80000000"), 0x80000000u);
  EXPECT_EQ(parse_pc(" 80000010 "), 0x80000010u);
  EXPECT_EQ(parse_pc("0XfFfE"), 0xfffeu);
  EXPECT_EQ(parse_pc("0xfffffffffffffffe"), 0xfffffffffffffffeu);
  EXPECT_FALSE(parse_pc(""));
  EXPECT_FALSE(parse_pc("0x"));
  EXPECT_FALSE(parse_pc("0x80000001"));            // odd
  EXPECT_FALSE(parse_pc("0x1ffffffffffffffff0"));  // too long
  EXPECT_FALSE(parse_pc("main"));
  EXPECT_FALSE(parse_pc("-4"));
}

TEST(CpuView, PrivilegeNames) {
  EXPECT_STREQ(priv_letter(PrivLevel::Machine), "M");
  EXPECT_STREQ(priv_letter(PrivLevel::Supervisor), "S");
  EXPECT_STREQ(priv_letter(PrivLevel::User), "U");
  EXPECT_STREQ(priv_name(PrivLevel::User), "User");
}

}  // namespace
}  // namespace glassvm::ui
