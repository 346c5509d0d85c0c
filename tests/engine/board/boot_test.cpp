// Booting like QEMU virt: the boot ROM and fw_dynamic_info, kernel kinds (ELF, Linux Image,
// raw), initrd placement and /chosen, reloading images on reset, and the built-in SBI's calls
// one by one, made from an S-mode kernel the way Linux makes them.
#include "engine/board/boot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "engine/base/bytes.h"
#include "engine/board/fdt.h"
#include "engine/board/machine.h"
#include "engine/board/sbi.h"
#include "engine/cpu/csr.h"
#include "tests/support/require.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

using testing::TestHost;

constexpr uint64_t kKernel = 0x80200000;
constexpr uint32_t kEcall = 0x00000073, kJumpSelf = 0x0000006f;

std::unique_ptr<Machine> make_machine(TestHost& host, uint64_t ram = 128ull << 20,
                                      Firmware fw = Firmware::Auto) {
  MachineConfig config;
  config.ram_size = ram;
  config.firmware = fw;
  config.append = "console=ttyS0";
  std::string error;
  auto m = Machine::create(config, host, error);
  EXPECT_TRUE(m) << error;
  return m;
}

/// A raw kernel: `ecall; j .`, so a test can make one SBI call at a time.
std::vector<uint8_t> ecall_kernel() {
  std::vector<uint8_t> k(8);
  store_le<uint32_t>(k.data(), kEcall);
  store_le<uint32_t>(k.data() + 4, kJumpSelf);
  return k;
}

/// A Linux Image header (and a little code after it) with `image_size`.
std::vector<uint8_t> linux_image(uint64_t image_size, size_t file_size = 4096) {
  std::vector<uint8_t> img(file_size, 0);
  store_le<uint32_t>(img.data(), kJumpSelf);
  store_le<uint64_t>(img.data() + 0x08, 0x200000);  // text_offset
  store_le<uint64_t>(img.data() + 0x10, image_size);
  store_le<uint32_t>(img.data() + 0x20, 2);
  std::memcpy(img.data() + 0x30, "RISCV\0\0\0", 8);
  std::memcpy(img.data() + 0x38, "RSC\x05", 4);
  return img;
}

uint64_t rom64(Machine& m, uint64_t offset) {
  uint64_t v = 0;
  EXPECT_EQ(m.system_as().read(virt::kMromBase + offset, &v, 8), MemTxResult::Ok);
  return v;
}
uint32_t rom32(Machine& m, uint64_t offset) {
  uint32_t v = 0;
  EXPECT_EQ(m.system_as().read(virt::kMromBase + offset, &v, 4), MemTxResult::Ok);
  return v;
}

/// Runs the machine until the hart reaches `pc` (a breakpoint), at most `limit` steps.
bool run_to(Machine& m, uint64_t pc, uint64_t limit = 10000) {
  m.add_breakpoint(pc);
  const uint64_t start = m.total_steps();
  while (m.total_steps() - start < limit) {
    if (m.run(limit) == MachineState::Breakpoint && m.cpu().pc() == pc) break;
    if (m.exited()) break;
  }
  m.remove_breakpoint(pc);
  return m.cpu().pc() == pc;
}

/// A machine booted into the ecall kernel under the built-in SBI, stopped at its entry.
struct SbiFixture : ::testing::Test {
  void SetUp() override {
    m = make_machine(host, 128ull << 20, Firmware::BuiltinSbi);
    std::string error;
    ASSERT_TRUE(m->load_kernel(ecall_kernel(), "ecall.bin", error)) << error;
    ASSERT_TRUE(run_to(*m, kKernel));
  }
  struct Ret {
    int64_t error;
    uint64_t value;
  };
  /// Makes one SBI call from S-mode at the kernel's ecall.
  Ret call(uint64_t eid, uint64_t fid, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0) {
    Cpu& cpu = m->cpu();
    cpu.set_pc(kKernel);
    cpu.set_reg(17, eid);
    cpu.set_reg(16, fid);
    cpu.set_reg(10, a0);
    cpu.set_reg(11, a1);
    cpu.set_reg(12, a2);
    cpu.step();
    EXPECT_EQ(cpu.pc(), kKernel + 4) << "the ecall trapped instead of being answered";
    EXPECT_EQ(cpu.priv(), PrivLevel::Supervisor);
    return {static_cast<int64_t>(cpu.reg(10)), cpu.reg(11)};
  }
  uint64_t mip() {
    uint64_t v = 0;
    m->cpu().peek_csr(kCsrMip, v);
    return v;
  }
  TestHost host;
  std::unique_ptr<Machine> m;
};

TEST(BootRom, MatchesQemuResetVectorAndFwDynamicInfo) {
  std::vector<uint8_t> rom(0x1000, 0xaa);
  BootRomConfig c;
  c.start_addr = 0x80000000;
  c.fdt_addr = 0x87e00000;
  c.kernel_entry = 0x80200000;
  build_boot_rom(rom, c);
  const uint32_t code[] = {0x00000297, 0x02828613, 0xf1402573, 0x0202b583, 0x0182b283, 0x00028067};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(load_le<uint32_t>(rom.data() + 4 * i), code[i]) << i;
  EXPECT_EQ(load_le<uint64_t>(rom.data() + 24), 0x80000000u);
  EXPECT_EQ(load_le<uint64_t>(rom.data() + 32), 0x87e00000u);
  // fw_dynamic_info right after the 40-byte reset vector (addi a2, t0, 40).
  EXPECT_EQ(load_le<uint64_t>(rom.data() + 40), 0x4942534fu);         // magic
  EXPECT_EQ(load_le<uint64_t>(rom.data() + 48), 2u);                  // version
  EXPECT_EQ(load_le<uint64_t>(rom.data() + 56), 0x80200000u);         // next_addr
  EXPECT_EQ(load_le<uint64_t>(rom.data() + 64), 1u);                  // next_mode: S
  EXPECT_EQ(load_le<uint64_t>(rom.data() + 72), 0u);                  // options
  EXPECT_EQ(load_le<uint64_t>(rom.data() + 80), 0u);                  // boot_hart
  EXPECT_EQ(rom[88], 0);                                              // the rest is cleared
  EXPECT_EQ(load_le<uint32_t>(rom.data() + kRomSbiEnterOffset), 0u);  // no SBI stubs asked
}

TEST(Boot, FirmwareFileGetsFwDynamicInfoAndTheKernelAfterIt) {
  TestHost host;
  auto m = make_machine(host);
  std::string error;
  std::vector<uint8_t> fw(0x30000, 0);
  store_le<uint32_t>(fw.data(), kJumpSelf);
  ASSERT_TRUE(m->load_firmware(fw, "fw.bin", error)) << error;
  ASSERT_TRUE(m->load_kernel(ecall_kernel(), "k.bin", error)) << error;
  EXPECT_EQ(m->firmware(), Firmware::File);
  EXPECT_EQ(m->kernel_entry(), kKernel);  // the first 2 MiB boundary after the firmware
  EXPECT_EQ(rom64(*m, kRomStartAddrOffset), virt::kDramBase);
  EXPECT_EQ(rom64(*m, kRomFdtAddrOffset), m->fdt_addr());
  EXPECT_EQ(rom64(*m, kRomFwDynamicOffset), kFwDynamicMagic);
  EXPECT_EQ(rom64(*m, kRomFwDynamicOffset + 16), kKernel);
  // The reset vector leaves a0 = hartid, a1 = fdt, a2 = &fw_dynamic_info at 0x80000000 in M.
  ASSERT_TRUE(run_to(*m, virt::kDramBase));
  EXPECT_EQ(m->cpu().priv(), PrivLevel::Machine);
  EXPECT_EQ(m->cpu().reg(10), 0u);
  EXPECT_EQ(m->cpu().reg(11), m->fdt_addr());
  EXPECT_EQ(m->cpu().reg(12), virt::kMromBase + kRomFwDynamicOffset);
}

TEST(Boot, EmptyFirmwareIsRefused) {
  TestHost host;
  auto m = make_machine(host);
  std::string error;
  std::vector<uint8_t> empty;
  EXPECT_FALSE(m->load_firmware(empty, "fw.bin", error));
  EXPECT_NE(error.find("fw.bin: empty file"), std::string::npos) << error;
}

TEST(Boot, BuiltinSbiEntersTheKernelInSModeLikeOpenSbi) {
  TestHost host;
  auto m = make_machine(host, 128ull << 20, Firmware::BuiltinSbi);
  std::string error;
  ASSERT_TRUE(m->load_kernel(ecall_kernel(), "k.bin", error)) << error;
  EXPECT_EQ(m->firmware(), Firmware::BuiltinSbi);
  EXPECT_EQ(rom64(*m, kRomStartAddrOffset), virt::kMromBase + kRomSbiEnterOffset);
  EXPECT_EQ(rom32(*m, kRomSbiEnterOffset), 0x30200073u);  // mret
  ASSERT_TRUE(run_to(*m, kKernel));
  Cpu& cpu = m->cpu();
  EXPECT_EQ(cpu.priv(), PrivLevel::Supervisor);
  EXPECT_EQ(cpu.reg(10), 0u);
  EXPECT_EQ(cpu.reg(11), m->fdt_addr());
  uint64_t v = 0;
  cpu.peek_csr(kCsrMideleg, v);
  EXPECT_EQ(v, 0x222u);
  cpu.peek_csr(kCsrMedeleg, v);
  EXPECT_EQ(v & (1u << kExcEcallS), 0u);  // S-mode ecalls come to the SBI
  EXPECT_NE(v & (1u << kExcEcallU), 0u);
  EXPECT_NE(v & (1u << kExcLoadPageFault), 0u);
  cpu.peek_csr(kCsrMcounteren, v);
  EXPECT_EQ(v & 7, 7u);
  cpu.peek_csr(kCsrMenvcfg, v);
  EXPECT_EQ(v >> 63, 1u);  // STCE: the kernel programs stimecmp itself, as under OpenSBI
  // The device tree is where a1 says, with the command line.
  FdtReader r;
  std::vector<uint8_t> blob(m->fdt().size());
  ASSERT_EQ(m->system_as().read(cpu.reg(11), blob.data(), blob.size()), MemTxResult::Ok);
  ASSERT_TRUE(r.parse(blob)) << r.error();
  EXPECT_EQ(r.prop_string(*r.find_node("/chosen"), "bootargs"), "console=ttyS0");
  // And QEMU's rng-seed, the same on every machine so that runs replay.
  const auto seed = r.property(*r.find_node("/chosen"), "rng-seed");
  ASSERT_TRUE(seed.has_value());
  EXPECT_TRUE(
      std::equal(seed->begin(), seed->end(), std::begin(virt::kRngSeed), std::end(virt::kRngSeed)));
}

TEST(Boot, WithoutBiosTheKernelKindChoosesTheFirmware) {
  TestHost host;
  auto m = make_machine(host);
  EXPECT_EQ(m->firmware(), Firmware::Auto);
  std::string error;
  // A raw binary needs a firmware named; a Linux Image gets the built-in SBI.
  EXPECT_FALSE(m->load_kernel(ecall_kernel(), "raw.bin", error));
  EXPECT_NE(error.find("raw.bin: neither an ELF file nor a RISC-V Linux Image"), std::string::npos)
      << error;
  EXPECT_NE(error.find("a raw binary needs a firmware"), std::string::npos) << error;
  EXPECT_EQ(m->firmware(), Firmware::Auto);
  ASSERT_TRUE(m->load_kernel(linux_image(0), "Image", error)) << error;
  EXPECT_EQ(m->firmware(), Firmware::BuiltinSbi);
}

TEST(Boot, BiosNoneTakesOnlyAnElf) {
  TestHost host;
  // A raw file with -bios none is refused, naming the file and ELF.
  auto none = make_machine(host, 128ull << 20, Firmware::None);
  std::string error;
  EXPECT_EQ(none->firmware(), Firmware::None);
  EXPECT_FALSE(none->load_kernel(ecall_kernel(), "raw.bin", error));
  EXPECT_NE(error.find("raw.bin: not an ELF file"), std::string::npos) << error;
  EXPECT_FALSE(none->load_kernel(linux_image(0), "Image", error));
  EXPECT_NE(error.find("Image: a Linux Image needs SBI firmware"), std::string::npos) << error;
}

TEST(LinuxImage, HeaderParsing) {
  LinuxImageHeader h;
  std::string why;
  EXPECT_EQ(detect_kernel_kind(linux_image(0x10000)), KernelKind::LinuxImage);
  ASSERT_TRUE(parse_linux_image(linux_image(0x10000), h, why)) << why;
  EXPECT_EQ(h.text_offset, 0x200000u);
  EXPECT_EQ(h.image_size, 0x10000u);
  EXPECT_EQ(h.version, 2u);
  // Truncated: the magics are not even there, so it is not detected as an Image either.
  std::vector<uint8_t> shorter = linux_image(0x10000);
  shorter.resize(40);
  EXPECT_FALSE(parse_linux_image(shorter, h, why));
  EXPECT_NE(why.find("truncated"), std::string::npos) << why;
  EXPECT_EQ(detect_kernel_kind(shorter), KernelKind::Raw);
  std::vector<uint8_t> bad = linux_image(0x10000);
  bad[0x38] = 'X';
  EXPECT_FALSE(parse_linux_image(bad, h, why));
  EXPECT_NE(why.find("bad magic"), std::string::npos) << why;
  EXPECT_EQ(detect_kernel_kind(bad), KernelKind::Raw);
  // image_size smaller than the file itself is inconsistent.
  EXPECT_FALSE(parse_linux_image(linux_image(100), h, why));
}

TEST(LinuxImage, LoadedAtKernelAddressAndTooBigRefused) {
  TestHost host;
  auto m = make_machine(host, 16ull << 20);
  std::string error;
  ASSERT_TRUE(m->load_kernel(linux_image(1 << 20), "Image", error)) << error;
  EXPECT_EQ(m->kernel_entry(), kKernel);
  uint32_t first = 0;
  ASSERT_EQ(m->system_as().read(kKernel, &first, 4), MemTxResult::Ok);
  EXPECT_EQ(first, kJumpSelf);
  const uint64_t fdt_before = m->fdt_addr();
  // image_size (bss included) beyond the end of RAM: refused, machine unchanged.
  EXPECT_FALSE(m->load_kernel(linux_image(32ull << 20), "Big", error));
  EXPECT_NE(error.find("Big: kernel of 33554432 bytes at 0x80200000 does not fit in RAM"),
            std::string::npos)
      << error;
  EXPECT_EQ(m->fdt_addr(), fdt_before);
  EXPECT_EQ(m->kernel_entry(), kKernel);
}

TEST(Initrd, PlacedLikeQemuAndNamedInChosen) {
  for (const uint64_t ram : {128ull << 20, 512ull << 20}) {
    TestHost host;
    auto m = make_machine(host, ram);
    std::string error;
    ASSERT_TRUE(m->load_kernel(linux_image(0), "Image", error)) << error;
    const std::vector<uint8_t> initrd(10000, 0x5a);
    ASSERT_TRUE(m->load_initrd(initrd, "initrd", error)) << error;
    const uint64_t start = kKernel + std::min<uint64_t>(ram / 2, 128ull << 20);
    EXPECT_EQ(m->initrd_range(), std::make_pair(start, start + initrd.size()));
    uint8_t byte = 0;
    ASSERT_EQ(m->system_as().read(start + 9999, &byte, 1), MemTxResult::Ok);
    EXPECT_EQ(byte, 0x5a);
    FdtReader r;
    ASSERT_TRUE(r.parse(m->fdt())) << r.error();
    const auto chosen = r.find_node("/chosen");
    ASSERT_TRUE(chosen);
    EXPECT_EQ(r.prop_u64(*chosen, "linux,initrd-start"), start);
    EXPECT_EQ(r.prop_u64(*chosen, "linux,initrd-end"), start + initrd.size());
    EXPECT_TRUE(r.prop_string(*chosen, "stdout-path"));
    // The device tree stays at QEMU's place: end of RAM aligned down to 2 MiB.
    EXPECT_EQ(m->fdt_addr(), (virt::kDramBase + ram - m->fdt().size()) & ~((2ull << 20) - 1));
  }
}

TEST(Initrd, TooBigOrWithoutKernelIsRefused) {
  TestHost host;
  auto m = make_machine(host, 16ull << 20);
  std::string error;
  EXPECT_FALSE(m->load_initrd(std::vector<uint8_t>(10), "initrd", error));
  EXPECT_NE(error.find("initrd: an initrd needs a kernel"), std::string::npos) << error;
  ASSERT_TRUE(m->load_kernel(linux_image(0), "Image", error)) << error;
  EXPECT_FALSE(m->load_initrd(std::vector<uint8_t>(8ull << 20), "big.cpio", error));
  EXPECT_NE(error.find("big.cpio: initrd of 8388608 bytes"), std::string::npos) << error;
  EXPECT_EQ(m->initrd_range().first, m->initrd_range().second);
}

TEST(Boot, ResetPutsTheImagesBack) {
  TestHost host;
  auto m = make_machine(host);
  std::string error;
  ASSERT_TRUE(m->load_kernel(linux_image(0), "Image", error)) << error;
  ASSERT_TRUE(m->load_initrd(std::vector<uint8_t>(100, 7), "initrd", error)) << error;
  const uint32_t junk = 0xdeadbeef;
  ASSERT_EQ(m->system_as().write(kKernel, &junk, 4), MemTxResult::Ok);
  ASSERT_EQ(m->system_as().write(m->initrd_range().first, &junk, 4), MemTxResult::Ok);
  ASSERT_EQ(m->system_as().write(m->fdt_addr(), &junk, 4), MemTxResult::Ok);
  m->reset();
  uint32_t v = 0;
  m->system_as().read(kKernel, &v, 4);
  EXPECT_EQ(v, kJumpSelf);
  m->system_as().read(m->initrd_range().first, &v, 4);
  EXPECT_EQ(v, 0x07070707u);
  m->system_as().read(m->fdt_addr(), &v, 4);
  EXPECT_EQ(v, 0xedfe0dd0u);
}

TEST(Boot, DeviceTreeReadsBackWithDtc) {
  GLASSVM_REQUIRE(test::have_tool("dtc"), "dtc (package device-tree-compiler) is not installed");
  TestHost host;
  auto m = make_machine(host);
  std::string error;
  ASSERT_TRUE(m->load_kernel(linux_image(0), "Image", error)) << error;
  ASSERT_TRUE(m->load_initrd(std::vector<uint8_t>(100, 7), "initrd", error)) << error;
  const std::string path = ::testing::TempDir() + "/boot_test.dtb";
  {
    std::ofstream f(path, std::ios::binary);
    f.write(reinterpret_cast<const char*>(m->fdt().data()), m->fdt().size());
  }
  FILE* p = popen(("dtc -I dtb -O dts " + path + " 2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string dts;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) dts.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << dts;
  EXPECT_NE(dts.find("bootargs = \"console=ttyS0\";"), std::string::npos) << dts;
  EXPECT_NE(dts.find("linux,initrd-start = <0x00 0x84200000>;"), std::string::npos) << dts;
  EXPECT_NE(dts.find("stdout-path"), std::string::npos) << dts;
}

// -- The built-in SBI, one call at a time --

TEST_F(SbiFixture, Base) {
  EXPECT_EQ(call(0x10, 0).value, 0x02000000u);  // spec v2.0
  EXPECT_EQ(call(0x10, 1).value, sbi::kImplId);
  EXPECT_EQ(call(0x10, 2).value, sbi::kImplVersion);
  for (uint64_t eid : {sbi::kEidTime, sbi::kEidIpi, sbi::kEidRfence, sbi::kEidHsm, sbi::kEidSrst,
                       sbi::kEidDbcn, uint64_t{1}})
    EXPECT_EQ(call(0x10, 3, eid).value, 1u) << std::hex << eid;
  EXPECT_EQ(call(0x10, 3, 0x504D55).value, 0u);  // PMU: absent
  uint64_t mvendorid = 1;
  m->cpu().peek_csr(kCsrMvendorid, mvendorid);
  EXPECT_EQ(call(0x10, 4).value, mvendorid);
  EXPECT_EQ(call(0x10, 5).error, 0);
  EXPECT_EQ(call(0x10, 6).error, 0);
  EXPECT_EQ(call(0x10, 7).error, sbi::kErrNotSupported);
  EXPECT_EQ(call(0x12345678, 0).error, sbi::kErrNotSupported);
}

TEST_F(SbiFixture, TimerRaisesAndLowersStip) {
  constexpr uint64_t kStip = 1u << kIrqSTimer;
  uint64_t now = 0;
  m->cpu().peek_csr(kCsrTime, now);
  EXPECT_EQ(call(sbi::kEidTime, 0, now + 20).error, 0);
  EXPECT_EQ(mip() & kStip, 0u);
  m->run(1000);  // 1000 ns = 10 ticks: not yet
  EXPECT_EQ(mip() & kStip, 0u);
  m->run(2000);
  EXPECT_NE(mip() & kStip, 0u);
  EXPECT_EQ(call(sbi::kEidTime, 0, UINT64_MAX).error, 0);  // far away: lowered
  EXPECT_EQ(mip() & kStip, 0u);
  // The legacy call does the same; a compare in the past fires at once.
  EXPECT_EQ(call(0, 0, 0).error, 0);
  EXPECT_NE(mip() & kStip, 0u);
}

TEST_F(SbiFixture, IpiSetsSsipForHartZeroOnly) {
  constexpr uint64_t kSsip = 1u << kIrqSSoft;
  EXPECT_EQ(call(sbi::kEidIpi, 0, 2, 0).error, sbi::kErrInvalidParam);  // hart 1
  EXPECT_EQ(mip() & kSsip, 0u);
  EXPECT_EQ(call(sbi::kEidIpi, 0, 1, 0).error, 0);
  EXPECT_NE(mip() & kSsip, 0u);
  // S-mode clears it through sip, as a kernel does.
  ASSERT_TRUE(m->cpu().poke_csr(kCsrSip, 0));
  EXPECT_EQ(mip() & kSsip, 0u);
  EXPECT_EQ(call(sbi::kEidIpi, 0, 0, UINT64_MAX).error, 0);  // base -1: all harts
  EXPECT_NE(mip() & kSsip, 0u);
  call(3, 0);  // legacy clear_ipi
  EXPECT_EQ(mip() & kSsip, 0u);
}

TEST_F(SbiFixture, RfenceAndHsm) {
  EXPECT_EQ(call(sbi::kEidRfence, 0, 1, 0).error, 0);
  EXPECT_EQ(call(sbi::kEidRfence, 1, 1, 0, 0x1000).error, 0);
  EXPECT_EQ(call(sbi::kEidRfence, 2, 1, 0, 0x1000).error, 0);
  EXPECT_EQ(call(sbi::kEidRfence, 1, 4, 0).error, sbi::kErrInvalidParam);
  EXPECT_EQ(call(sbi::kEidRfence, 3, 1, 0).error, sbi::kErrNotSupported);  // HFENCE
  EXPECT_EQ(call(sbi::kEidHsm, 0, 0, kKernel).error, sbi::kErrAlreadyAvailable);
  EXPECT_EQ(call(sbi::kEidHsm, 0, 1, kKernel).error, sbi::kErrInvalidParam);
  const auto status = call(sbi::kEidHsm, 2, 0);
  EXPECT_EQ(status.error, 0);
  EXPECT_EQ(status.value, sbi::kHartStarted);
  EXPECT_EQ(call(sbi::kEidHsm, 2, 1).error, sbi::kErrInvalidParam);
}

// hart_suspend (SBI v2.0, 9.4): the types, and the wait behind both default ones.
TEST_F(SbiFixture, HartSuspendTypes) {
  EXPECT_EQ(call(sbi::kEidHsm, 3, 5).error, sbi::kErrInvalidParam);           // reserved
  EXPECT_EQ(call(sbi::kEidHsm, 3, 0x80000001).error, sbi::kErrInvalidParam);  // reserved
  EXPECT_EQ(call(sbi::kEidHsm, 3, 1ull << 32).error, sbi::kErrInvalidParam);  // not 32-bit
  EXPECT_EQ(call(sbi::kEidHsm, 3, 0x10000000).error, sbi::kErrNotSupported);  // platform's
  EXPECT_EQ(call(sbi::kEidHsm, 3, 0x90000000).error, sbi::kErrNotSupported);  // platform's
  // Non-retentive with a resume address that is not memory.
  EXPECT_EQ(call(sbi::kEidHsm, 3, 0x80000000, 0x40000000).error, sbi::kErrInvalidAddress);
  EXPECT_FALSE(m->cpu().waiting_for_interrupt());
}

struct SbiSuspend : SbiFixture {
  static constexpr uint64_t kStip = 1u << kIrqSTimer, kSIE = 1u << 1;
  static constexpr uint64_t kWakeTicks = 10000;  // 1 ms of guest time
  void SetUp() override {
    SbiFixture::SetUp();
    if (HasFatalFailure()) return;
    // The timer is enabled in sie but sstatus.SIE is 0: suspend must still wake for it.
    ASSERT_TRUE(m->cpu().poke_csr(kCsrSie, kStip));
    uint64_t sstatus = 0;
    m->cpu().peek_csr(kCsrSstatus, sstatus);
    ASSERT_TRUE(m->cpu().poke_csr(kCsrSstatus, sstatus & ~kSIE));
    uint64_t now = 0;
    m->cpu().peek_csr(kCsrTime, now);
    wake_at = now + kWakeTicks;
    ASSERT_EQ(call(sbi::kEidTime, 0, wake_at).error, 0);
    ASSERT_EQ(mip() & kStip, 0u);
  }
  /// Starts a hart_suspend call of `type` at the kernel's ecall (the hart executes it on the
  /// next run).
  void start_suspend(uint64_t type, uint64_t resume_addr = 0, uint64_t opaque = 0) {
    Cpu& cpu = m->cpu();
    cpu.set_pc(kKernel);
    cpu.set_reg(17, sbi::kEidHsm);
    cpu.set_reg(16, 3);
    cpu.set_reg(10, type);
    cpu.set_reg(11, resume_addr);
    cpu.set_reg(12, opaque);
    steps_before = m->total_steps();
    ns_before = m->guest_ns();
  }
  uint64_t time() {
    uint64_t v = 0;
    m->cpu().peek_csr(kCsrTime, v);
    return v;
  }
  uint64_t wake_at = 0, steps_before = 0, ns_before = 0;
};

TEST_F(SbiSuspend, RetentiveSuspendReturnsOnlyOnceTheTimerIsPending) {
  start_suspend(0);
  // The first time the hart stands after the ecall, and not waiting, the call has returned.
  ASSERT_TRUE(run_to(*m, kKernel + 4));
  EXPECT_EQ(m->cpu().priv(), PrivLevel::Supervisor);
  EXPECT_EQ(static_cast<int64_t>(m->cpu().reg(10)), sbi::kSuccess);
  EXPECT_NE(mip() & kStip, 0u) << "suspend returned before the timer interrupt was pending";
  EXPECT_GE(time(), wake_at);
  EXPECT_GE(m->guest_ns() - ns_before, kWakeTicks * virt::kNsPerTick);
  // Idle time was skipped, not spent stepping the hart.
  EXPECT_LT(m->total_steps() - steps_before, 100u);
}

TEST_F(SbiSuspend, RetentiveSuspendWithTheTimerPendingReturnsAtOnce) {
  ASSERT_EQ(call(sbi::kEidTime, 0, 0).error, 0);  // in the past: STIP now
  start_suspend(0);
  m->cpu().step();
  EXPECT_FALSE(m->cpu().waiting_for_interrupt());
  EXPECT_EQ(m->cpu().pc(), kKernel + 4);
  EXPECT_EQ(static_cast<int64_t>(m->cpu().reg(10)), sbi::kSuccess);
}

TEST_F(SbiSuspend, NonRetentiveSuspendResumesAtTheAddressInSModeOnceTheTimerIsPending) {
  constexpr uint64_t kResume = kKernel + 0x100, kStvec = kKernel + 0x200;
  ASSERT_EQ(m->system_as().write(kResume, &kJumpSelf, 4), MemTxResult::Ok);
  ASSERT_EQ(m->system_as().write(kStvec, &kJumpSelf, 4), MemTxResult::Ok);
  // State the resume must not keep: SIE set (the pending timer would be taken at once, to
  // stvec) and a non-zero satp (Bare, so the ecall itself still runs untranslated).
  ASSERT_TRUE(m->cpu().poke_csr(kCsrStvec, kStvec));
  uint64_t sstatus = 0;
  m->cpu().peek_csr(kCsrSstatus, sstatus);
  ASSERT_TRUE(m->cpu().poke_csr(kCsrSstatus, sstatus | kSIE));
  ASSERT_TRUE(m->cpu().poke_csr(kCsrSatp, 0x12345));
  start_suspend(0x80000000, kResume, 0xfeedface);
  m->cpu().step();
  EXPECT_TRUE(m->cpu().waiting_for_interrupt());
  ASSERT_TRUE(run_to(*m, kResume));
  EXPECT_EQ(m->cpu().priv(), PrivLevel::Supervisor);
  EXPECT_EQ(m->cpu().reg(10), 0u);  // hartid
  EXPECT_EQ(m->cpu().reg(11), 0xfeedfaceu);
  uint64_t satp = 1;
  m->cpu().peek_csr(kCsrSatp, satp);
  EXPECT_EQ(satp, 0u);
  m->cpu().peek_csr(kCsrSstatus, sstatus);
  EXPECT_EQ(sstatus & kSIE, 0u);
  EXPECT_NE(mip() & kStip, 0u) << "the hart resumed before the timer interrupt was pending";
  EXPECT_GE(time(), wake_at);
  EXPECT_GE(m->guest_ns() - ns_before, kWakeTicks * virt::kNsPerTick);
  EXPECT_LT(m->total_steps() - steps_before, 100u);
}

TEST_F(SbiFixture, DebugConsole) {
  const char text[] = "hello";
  const uint64_t buf = 0x80300000;
  ASSERT_EQ(m->system_as().write(buf, text, 5), MemTxResult::Ok);
  const auto w = call(sbi::kEidDbcn, 0, 5, buf, 0);
  EXPECT_EQ(w.error, 0);
  EXPECT_EQ(w.value, 5u);
  EXPECT_EQ(call(sbi::kEidDbcn, 2, '!').error, 0);
  call(1, 0, '?');  // legacy putchar
  EXPECT_EQ(host.output, "hello!?");
  EXPECT_EQ(call(sbi::kEidDbcn, 0, 5, 0x40000000, 0).error, sbi::kErrInvalidParam);
  EXPECT_EQ(call(sbi::kEidDbcn, 0, 5, buf, 1).error, sbi::kErrInvalidParam);
  // Reading: what the UART has received, without waiting (as OpenSBI's getc on QEMU).
  EXPECT_EQ(call(2, 0).error, -1);  // legacy getchar: nothing typed
  host.type("xyz");
  m->run(0);  // the board hands typed input to its UART, where the SBI takes it from
  const auto r = call(sbi::kEidDbcn, 1, 2, buf, 0);
  EXPECT_EQ(r.error, 0);
  EXPECT_EQ(r.value, 2u);
  char got[2] = {};
  m->system_as().read(buf, got, 2);
  EXPECT_EQ(std::string(got, 2), "xy");
  EXPECT_EQ(call(2, 0).error, 'z');
  EXPECT_EQ(call(sbi::kEidDbcn, 1, 8, buf, 0).value, 0u);
}

TEST_F(SbiFixture, SystemResetShutdownStatus) {
  EXPECT_EQ(call(sbi::kEidSrst, 0, 5, 0).error, sbi::kErrInvalidParam);
  call(sbi::kEidSrst, 0, 0, 1);  // shutdown, system failure
  EXPECT_TRUE(m->exited());
  EXPECT_EQ(m->exit_code(), 1);
}

TEST_F(SbiFixture, SystemResetShutdownAndLegacy) {
  call(sbi::kEidSrst, 0, 0, 0);
  EXPECT_TRUE(m->exited());
  EXPECT_EQ(m->exit_code(), 0);
  TestHost host2;
  auto m2 = make_machine(host2, 128ull << 20, Firmware::BuiltinSbi);
  std::string error;
  ASSERT_TRUE(m2->load_kernel(ecall_kernel(), "k", error));
  ASSERT_TRUE(run_to(*m2, kKernel));
  m2->cpu().set_reg(17, 8);  // legacy shutdown
  m2->cpu().step();
  EXPECT_TRUE(m2->exited());
  EXPECT_EQ(m2->exit_code(), 0);
}

TEST_F(SbiFixture, ColdRebootResetsTheMachine) {
  const uint32_t junk = 0;
  ASSERT_EQ(m->system_as().write(kKernel, &junk, 4), MemTxResult::Ok);
  m->cpu().set_pc(kKernel + 4);  // the ecall is gone from RAM; make the call from a copy
  const uint64_t code = kEcall;
  ASSERT_EQ(m->system_as().write(kKernel + 0x100, &code, 4), MemTxResult::Ok);
  m->cpu().set_pc(kKernel + 0x100);
  m->cpu().set_reg(17, sbi::kEidSrst);
  m->cpu().set_reg(16, 0);
  m->cpu().set_reg(10, sbi::kResetColdReboot);
  m->cpu().set_reg(11, 0);
  EXPECT_EQ(m->run(10), MachineState::Reset);
  EXPECT_FALSE(m->exited());
  EXPECT_EQ(m->cpu().pc(), virt::kMromBase);
  uint32_t v = 0;
  m->system_as().read(kKernel, &v, 4);
  EXPECT_EQ(v, kEcall);  // the kernel is back
  EXPECT_TRUE(run_to(*m, kKernel));
  EXPECT_EQ(m->cpu().priv(), PrivLevel::Supervisor);
}

// With no M-mode firmware, a trap that reaches M-mode (here: a machine timer interrupt the
// kernel could never have enabled) is reported and stops the machine instead of jumping to 0.
TEST_F(SbiFixture, TrapIntoMModeStopsTheMachineWithAMessage) {
  const uint64_t zero = 0;
  ASSERT_EQ(m->system_as().write(0x2004000, &zero, 8), MemTxResult::Ok);  // mtimecmp = 0
  uint64_t mie = 0;
  m->cpu().peek_csr(kCsrMie, mie);
  ASSERT_TRUE(m->cpu().poke_csr(kCsrMie, mie | (1u << kIrqMTimer)));
  EXPECT_EQ(m->run(1000), MachineState::Exited);
  EXPECT_EQ(m->exit_code(), 1);
  EXPECT_NE(host.logged.find("built-in SBI: a trap reached M-mode"), std::string::npos)
      << host.logged;
  EXPECT_NE(host.logged.find("mcause 0x8000000000000007"), std::string::npos) << host.logged;
}

}  // namespace
}  // namespace glassvm
