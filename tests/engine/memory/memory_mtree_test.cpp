// info mtree for a tree laid out like QEMU 7.2's riscv virt board, compared with QEMU's own
// output (shared/reference/qemu-7.2-virt-info-mtree.txt, minus the two "romd" flash lines:
// GlassVM has no ROM-device regions).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/memory/memory.h"

namespace glassvm {
namespace {

MemoryRegionOps no_ops() {
  MemoryRegionOps ops;
  ops.read = [](uint64_t, unsigned, uint64_t& v, MemTxAttrs) {
    v = 0;
    return MemTxResult::Ok;
  };
  return ops;
}

const char* const kExpected = R"EXPECTED(address-space: cpu-memory-0
address-space: memory
  0000000000000000-ffffffffffffffff (prio 0, i/o): system
    0000000000001000-000000000000ffff (prio 0, rom): riscv_virt_board.mrom
    0000000000100000-0000000000100fff (prio 0, i/o): riscv.sifive.test
    0000000000101000-0000000000101023 (prio 0, i/o): goldfish_rtc
    0000000002000000-0000000002003fff (prio 0, i/o): riscv.aclint.swi
    0000000002004000-000000000200bfff (prio 0, i/o): riscv.aclint.mtimer
    0000000003000000-000000000300ffff (prio 0, i/o): gpex_ioport_window
      0000000003000000-000000000300ffff (prio 0, i/o): gpex_ioport
    0000000004000000-0000000005ffffff (prio 0, i/o): platform bus
    000000000c000000-000000000c5fffff (prio 0, i/o): riscv.sifive.plic
    0000000010000000-0000000010000007 (prio 0, i/o): serial
    0000000010001000-00000000100011ff (prio 0, i/o): virtio-mmio
    0000000010002000-00000000100021ff (prio 0, i/o): virtio-mmio
    0000000010003000-00000000100031ff (prio 0, i/o): virtio-mmio
    0000000010004000-00000000100041ff (prio 0, i/o): virtio-mmio
    0000000010005000-00000000100051ff (prio 0, i/o): virtio-mmio
    0000000010006000-00000000100061ff (prio 0, i/o): virtio-mmio
    0000000010007000-00000000100071ff (prio 0, i/o): virtio-mmio
    0000000010008000-00000000100081ff (prio 0, i/o): virtio-mmio
    0000000010100000-0000000010100007 (prio 0, i/o): fwcfg.data
    0000000010100008-0000000010100009 (prio 0, i/o): fwcfg.ctl
    0000000010100010-0000000010100017 (prio 0, i/o): fwcfg.dma
    0000000030000000-000000003fffffff (prio 0, i/o): alias pcie-ecam @pcie-mmcfg-mmio 0000000000000000-000000000fffffff
    0000000040000000-000000007fffffff (prio 0, i/o): alias pcie-mmio @gpex_mmio_window 0000000040000000-000000007fffffff
    0000000080000000-0000000087ffffff (prio 0, ram): riscv_virt_board.ram
    0000000400000000-00000007ffffffff (prio 0, i/o): alias pcie-mmio-high @gpex_mmio_window 0000000400000000-00000007ffffffff

address-space: gpex-root
  0000000000000000-ffffffffffffffff (prio 0, i/o): bus master container

address-space: I/O
  0000000000000000-000000000000ffff (prio 0, i/o): io

memory-region: pcie-mmcfg-mmio
  0000000000000000-000000000fffffff (prio 0, i/o): pcie-mmcfg-mmio

memory-region: gpex_mmio_window
  0000000000000000-ffffffffffffffff (prio 0, i/o): gpex_mmio_window
    0000000000000000-ffffffffffffffff (prio 0, i/o): gpex_mmio

memory-region: system
  0000000000000000-ffffffffffffffff (prio 0, i/o): system
    0000000000001000-000000000000ffff (prio 0, rom): riscv_virt_board.mrom
    0000000000100000-0000000000100fff (prio 0, i/o): riscv.sifive.test
    0000000000101000-0000000000101023 (prio 0, i/o): goldfish_rtc
    0000000002000000-0000000002003fff (prio 0, i/o): riscv.aclint.swi
    0000000002004000-000000000200bfff (prio 0, i/o): riscv.aclint.mtimer
    0000000003000000-000000000300ffff (prio 0, i/o): gpex_ioport_window
      0000000003000000-000000000300ffff (prio 0, i/o): gpex_ioport
    0000000004000000-0000000005ffffff (prio 0, i/o): platform bus
    000000000c000000-000000000c5fffff (prio 0, i/o): riscv.sifive.plic
    0000000010000000-0000000010000007 (prio 0, i/o): serial
    0000000010001000-00000000100011ff (prio 0, i/o): virtio-mmio
    0000000010002000-00000000100021ff (prio 0, i/o): virtio-mmio
    0000000010003000-00000000100031ff (prio 0, i/o): virtio-mmio
    0000000010004000-00000000100041ff (prio 0, i/o): virtio-mmio
    0000000010005000-00000000100051ff (prio 0, i/o): virtio-mmio
    0000000010006000-00000000100061ff (prio 0, i/o): virtio-mmio
    0000000010007000-00000000100071ff (prio 0, i/o): virtio-mmio
    0000000010008000-00000000100081ff (prio 0, i/o): virtio-mmio
    0000000010100000-0000000010100007 (prio 0, i/o): fwcfg.data
    0000000010100008-0000000010100009 (prio 0, i/o): fwcfg.ctl
    0000000010100010-0000000010100017 (prio 0, i/o): fwcfg.dma
    0000000030000000-000000003fffffff (prio 0, i/o): alias pcie-ecam @pcie-mmcfg-mmio 0000000000000000-000000000fffffff
    0000000040000000-000000007fffffff (prio 0, i/o): alias pcie-mmio @gpex_mmio_window 0000000040000000-000000007fffffff
    0000000080000000-0000000087ffffff (prio 0, ram): riscv_virt_board.ram
    0000000400000000-00000007ffffffff (prio 0, i/o): alias pcie-mmio-high @gpex_mmio_window 0000000400000000-00000007ffffffff

FlatView #0
 AS "I/O", root: io
 Root memory region: io
  0000000000000000-000000000000ffff (prio 0, i/o): io

FlatView #1
 AS "gpex-root", root: bus master container
 Root memory region: (none)
  No rendered FlatView

FlatView #2
 AS "memory", root: system
 AS "cpu-memory-0", root: system
 Root memory region: system
  0000000000001000-000000000000ffff (prio 0, rom): riscv_virt_board.mrom
  0000000000100000-0000000000100fff (prio 0, i/o): riscv.sifive.test
  0000000000101000-0000000000101023 (prio 0, i/o): goldfish_rtc
  0000000002000000-0000000002003fff (prio 0, i/o): riscv.aclint.swi
  0000000002004000-000000000200bfff (prio 0, i/o): riscv.aclint.mtimer
  0000000003000000-000000000300ffff (prio 0, i/o): gpex_ioport_window
  000000000c000000-000000000c5fffff (prio 0, i/o): riscv.sifive.plic
  0000000010000000-0000000010000007 (prio 0, i/o): serial
  0000000010001000-00000000100011ff (prio 0, i/o): virtio-mmio
  0000000010002000-00000000100021ff (prio 0, i/o): virtio-mmio
  0000000010003000-00000000100031ff (prio 0, i/o): virtio-mmio
  0000000010004000-00000000100041ff (prio 0, i/o): virtio-mmio
  0000000010005000-00000000100051ff (prio 0, i/o): virtio-mmio
  0000000010006000-00000000100061ff (prio 0, i/o): virtio-mmio
  0000000010007000-00000000100071ff (prio 0, i/o): virtio-mmio
  0000000010008000-00000000100081ff (prio 0, i/o): virtio-mmio
  0000000010100000-0000000010100007 (prio 0, i/o): fwcfg.data
  0000000010100008-0000000010100009 (prio 0, i/o): fwcfg.ctl
  0000000010100010-0000000010100017 (prio 0, i/o): fwcfg.dma
  0000000030000000-000000003fffffff (prio 0, i/o): pcie-mmcfg-mmio
  0000000040000000-000000007fffffff (prio 0, i/o): gpex_mmio_window @0000000040000000
  0000000080000000-0000000087ffffff (prio 0, ram): riscv_virt_board.ram
  0000000400000000-00000007ffffffff (prio 0, i/o): gpex_mmio_window @0000000400000000

)EXPECTED";

TEST(MemoryMtreeVirtTest, ReproducesQemuVirtDump) {
  std::vector<std::unique_ptr<MemoryRegion>> regions;
  auto make = [&regions]() -> MemoryRegion& {
    regions.push_back(std::make_unique<MemoryRegion>());
    return *regions.back();
  };
  auto io = [&](const char* name, uint64_t size) -> MemoryRegion& {
    MemoryRegion& mr = make();
    mr.init_io(name, size, no_ops());
    return mr;
  };
  constexpr uint64_t kAll = MemoryRegion::kWholeSpace;

  MemoryRegion& system = make();
  system.init_container("system", kAll);
  MemoryRegion& mrom = make();
  mrom.init_rom("riscv_virt_board.mrom", 0xf000);
  MemoryRegion& ram = make();
  ram.init_ram("riscv_virt_board.ram", 0x8000000);
  MemoryRegion& ioport_window = io("gpex_ioport_window", 0x10000);
  MemoryRegion& ioport = make();
  ioport.init_container("gpex_ioport", 0x10000);
  ioport_window.add_subregion(0, &ioport);
  MemoryRegion& platform_bus = make();
  platform_bus.init_container("platform bus", 0x2000000);
  MemoryRegion& ecam = io("pcie-mmcfg-mmio", 0x10000000);
  MemoryRegion& mmio_window = io("gpex_mmio_window", kAll);
  MemoryRegion& mmio = make();
  mmio.init_container("gpex_mmio", kAll);
  mmio_window.add_subregion(0, &mmio);
  MemoryRegion& ecam_alias = make();
  ecam_alias.init_alias("pcie-ecam", &ecam, 0, 0x10000000);
  MemoryRegion& mmio_alias = make();
  mmio_alias.init_alias("pcie-mmio", &mmio_window, 0x40000000, 0x40000000);
  MemoryRegion& mmio_high = make();
  mmio_high.init_alias("pcie-mmio-high", &mmio_window, 0x400000000, 0x400000000);

  {
    MemoryTransaction transaction;
    system.add_subregion(0x1000, &mrom);
    system.add_subregion(0x100000, &io("riscv.sifive.test", 0x1000));
    system.add_subregion(0x101000, &io("goldfish_rtc", 0x24));
    system.add_subregion(0x2000000, &io("riscv.aclint.swi", 0x4000));
    system.add_subregion(0x2004000, &io("riscv.aclint.mtimer", 0x8000));
    system.add_subregion(0x3000000, &ioport_window);
    system.add_subregion(0x4000000, &platform_bus);
    system.add_subregion(0xc000000, &io("riscv.sifive.plic", 0x600000));
    system.add_subregion(0x10000000, &io("serial", 8));
    for (uint64_t n = 0; n < 8; ++n) {
      system.add_subregion(0x10001000 + n * 0x1000, &io("virtio-mmio", 0x200));
    }
    system.add_subregion(0x10100000, &io("fwcfg.data", 8));
    system.add_subregion(0x10100008, &io("fwcfg.ctl", 2));
    system.add_subregion(0x10100010, &io("fwcfg.dma", 8));
    system.add_subregion(0x30000000, &ecam_alias);
    system.add_subregion(0x40000000, &mmio_alias);
    system.add_subregion(0x80000000, &ram);
    system.add_subregion(0x400000000, &mmio_high);
  }

  MemoryRegion& bus_master_container = make();
  bus_master_container.init_container("bus master container", kAll);
  MemoryRegion& bus_master = make();
  bus_master.init_alias("bus master", &system, 0, kAll);
  bus_master.set_enabled(false);
  bus_master_container.add_subregion(0, &bus_master);
  MemoryRegion& port_io = io("io", 0x10000);

  AddressSpace memory("memory", &system);
  AddressSpace cpu("cpu-memory-0", &system);
  AddressSpace gpex("gpex-root", &bus_master_container);
  AddressSpace io_space("I/O", &port_io);

  EXPECT_EQ(format_mtree({&memory, &cpu, &gpex, &io_space}, true), kExpected);

  // Unmap everything before the regions go away.
  for (auto& mr : regions) {
    if (mr->container() != nullptr) mr->container()->del_subregion(mr.get());
  }
}

}  // namespace
}  // namespace glassvm
