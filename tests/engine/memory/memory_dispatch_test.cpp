// Tests of access dispatch: RAM, ROM, MMIO valid/impl rules, DMA, code pages, IOMMU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "engine/base/host.h"
#include "engine/memory/memory.h"

namespace glassvm {
namespace {

/// A register file that logs every callback as "r off/size" or "w off/size=value".
struct LoggingDevice {
  std::vector<std::string> log;
  uint8_t regs[64] = {};
  MemTxAttrs last_attrs;

  MemoryRegionOps ops(AccessRules valid, AccessRules impl) {
    MemoryRegionOps o;
    o.valid = valid;
    o.impl = impl;
    o.read = [this](uint64_t off, unsigned size, uint64_t& v, MemTxAttrs attrs) {
      log.push_back("r " + std::to_string(off) + "/" + std::to_string(size));
      last_attrs = attrs;
      v = 0;
      std::memcpy(&v, regs + off, size);
      return MemTxResult::Ok;
    };
    o.write = [this](uint64_t off, unsigned size, uint64_t v, MemTxAttrs attrs) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "w %llu/%u=%llx", (unsigned long long)off, size,
                    (unsigned long long)v);
      log.push_back(buf);
      last_attrs = attrs;
      std::memcpy(regs + off, &v, size);
      return MemTxResult::Ok;
    };
    return o;
  }
};

using Log = std::vector<std::string>;

class DispatchTest : public ::testing::Test {
 protected:
  DispatchTest() {
    root.init_container("root", MemoryRegion::kWholeSpace);
    ram.init_ram("ram", 0x10000);
    rom.init_rom("rom", 0x1000);
    root.add_subregion(0x80000000, &ram);
    root.add_subregion(0x1000, &rom);
  }
  ~DispatchTest() override {
    for (MemoryRegion* mr : std::vector<MemoryRegion*>(root.subregions())) root.del_subregion(mr);
  }
  void map_device(uint64_t addr, AccessRules valid, AccessRules impl) {
    dev_mr.init_io("dev", 64, dev.ops(valid, impl));
    root.add_subregion(addr, &dev_mr);
  }

  MemoryRegion root, ram, rom, dev_mr;
  LoggingDevice dev;
  AddressSpace as{"as", &root};
};

TEST_F(DispatchTest, RamIsLittleEndianForEverySize) {
  ASSERT_EQ(as.store(0x80000100, 8, 0x0807060504030201ull), MemTxResult::Ok);
  EXPECT_EQ(ram.ram_ptr()[0x100], 0x01);
  EXPECT_EQ(ram.ram_ptr()[0x107], 0x08);
  uint64_t v = 0;
  ASSERT_EQ(as.load(0x80000102, 2, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x0403u);
  ASSERT_EQ(as.load(0x80000101, 4, v), MemTxResult::Ok);  // unaligned RAM is fine
  EXPECT_EQ(v, 0x05040302u);
  ASSERT_EQ(as.store(0x80000100, 1, 0xffff), MemTxResult::Ok);  // only the low byte
  ASSERT_EQ(as.load(0x80000100, 2, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x02ffu);
}

TEST_F(DispatchTest, RomWritesAreIgnored) {
  rom.ram_ptr()[0x10] = 0x5a;
  ASSERT_EQ(as.store(0x1010, 1, 0x11), MemTxResult::Ok);
  uint8_t buf = 0x22;
  ASSERT_EQ(as.write(0x1010, &buf, 1), MemTxResult::Ok);
  uint64_t v = 0;
  ASSERT_EQ(as.load(0x1010, 1, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x5au);
  // Seen through an alias, ROM stays read-only.
  MemoryRegion alias;
  alias.init_alias("rom-alias", &rom, 0x10, 0x10);
  root.add_subregion(0x20000000, &alias);
  const FlatRange* r = as.flat_view().lookup(0x20000000);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->readonly);
  EXPECT_EQ(r->mr, &rom);
  ASSERT_EQ(as.store(0x20000000, 1, 0x33), MemTxResult::Ok);
  ASSERT_EQ(as.load(0x20000000, 1, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x5au);
  root.del_subregion(&alias);
}

TEST_F(DispatchTest, UnmappedIsDecodeError) {
  uint64_t v = 123;
  EXPECT_EQ(as.load(0x40000000, 4, v), MemTxResult::DecodeError);
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(as.store(0x40000000, 4, 1), MemTxResult::DecodeError);
  // Half in RAM, half past its end.
  v = 123;
  EXPECT_EQ(as.load(0x8000fffe, 4, v), MemTxResult::DecodeError);
  EXPECT_EQ(v, 0u);
  uint8_t buf[16];
  EXPECT_EQ(as.read(0x8000fff8, buf, 16), MemTxResult::DecodeError);
}

TEST_F(DispatchTest, WideAccessIsSplitIntoImplSizedPieces) {
  map_device(0x10000000, {1, 8, false}, {4, 4, false});
  dev.regs[0] = 0x11;
  dev.regs[4] = 0x22;
  uint64_t v = 0;
  ASSERT_EQ(as.load(0x10000000, 8, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x0000002200000011ull);
  EXPECT_EQ(dev.log, (Log{"r 0/4", "r 4/4"}));
  dev.log.clear();
  ASSERT_EQ(as.store(0x10000008, 8, 0xaaaaaaaabbbbbbbbull), MemTxResult::Ok);
  EXPECT_EQ(dev.log, (Log{"w 8/4=bbbbbbbb", "w 12/4=aaaaaaaa"}));
}

TEST_F(DispatchTest, NarrowAccessIsWidenedAtTheSameOffsetAsQemuDoes) {
  map_device(0x10000000, {1, 8, false}, {4, 4, false});
  std::memcpy(dev.regs + 4, "\x44\x33\x22\x11\x99\x88", 6);
  uint64_t v = 0;
  // QEMU's access_with_adjusted_size: one impl-sized callback at the access's own offset,
  // not re-aligned; the read returns the low bytes of its result.
  ASSERT_EQ(as.load(0x10000006, 1, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x22u);
  ASSERT_EQ(as.load(0x10000006, 2, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x1122u);
  EXPECT_EQ(dev.log, (Log{"r 6/4", "r 6/4"}));
  dev.log.clear();
  // A narrow write is the value zero-extended to the wider size at the same offset (no
  // read-modify-write, no shift), whatever the bits above the access size held.
  ASSERT_EQ(as.store(0x10000005, 1, 0xffab), MemTxResult::Ok);
  EXPECT_EQ(dev.log, (Log{"w 5/4=ab"}));
  EXPECT_EQ(dev.regs[5], 0xab);
  EXPECT_EQ(dev.regs[6], 0x00);  // the widened write cleared the bytes above
}

TEST_F(DispatchTest, SplitPiecesAreNotRealignedAndAllAreIssued) {
  map_device(0x10000000, {1, 8, true}, {2, 2, false});
  ASSERT_EQ(as.store(0x10000003, 4, 0xddccbbaa), MemTxResult::Ok);
  EXPECT_EQ(dev.log, (Log{"w 3/2=bbaa", "w 5/2=ddcc"}));
  // An error in the first piece does not stop the second (QEMU ORs the results).
  MemoryRegionOps ops;
  Log calls;
  ops.impl = {1, 1, false};
  ops.write = [&calls](uint64_t off, unsigned, uint64_t, MemTxAttrs) {
    calls.push_back("w " + std::to_string(off));
    return off == 0 ? MemTxResult::DeviceError : MemTxResult::Ok;
  };
  ops.read = [&calls](uint64_t off, unsigned, uint64_t& v, MemTxAttrs) {
    calls.push_back("r " + std::to_string(off));
    v = 0xff;
    return off == 1 ? MemTxResult::DeviceError : MemTxResult::Ok;
  };
  MemoryRegion failing;
  failing.init_io("failing", 8, ops);
  root.add_subregion(0x20000000, &failing);
  EXPECT_EQ(as.store(0x20000000, 2, 0x1234), MemTxResult::DeviceError);
  uint64_t v = 7;
  EXPECT_EQ(as.load(0x20000000, 2, v), MemTxResult::DeviceError);
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(calls, (Log{"w 0", "w 1", "r 0", "r 1"}));
  root.del_subregion(&failing);
}

TEST_F(DispatchTest, ValidRulesRejectWithDecodeError) {
  map_device(0x10000000, {4, 4, false}, {4, 4, false});
  uint64_t v = 7;
  EXPECT_EQ(as.load(0x10000000, 1, v), MemTxResult::DecodeError);
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(as.load(0x10000000, 8, v), MemTxResult::DecodeError);
  EXPECT_EQ(as.load(0x10000002, 4, v), MemTxResult::DecodeError);  // misaligned
  EXPECT_EQ(as.store(0x10000002, 4, 0), MemTxResult::DecodeError);
  EXPECT_TRUE(dev.log.empty());
  EXPECT_EQ(as.load(0x10000004, 4, v), MemTxResult::Ok);
}

TEST_F(DispatchTest, UnalignedAllowedByValidReachesTheCallbackUnaligned) {
  map_device(0x10000000, {1, 8, true}, {4, 4, false});
  std::memcpy(dev.regs, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
  uint64_t v = 0;
  ASSERT_EQ(as.load(0x10000002, 4, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x06050403u);
  EXPECT_EQ(dev.log, (Log{"r 2/4"}));
}

TEST_F(DispatchTest, DmaPiecesStayAlignedUnlessImplAlsoAcceptsUnaligned) {
  map_device(0x10000000, {1, 8, true}, {1, 8, false});
  const uint8_t buf[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_EQ(as.write(0x10000002, buf, 8), MemTxResult::Ok);
  EXPECT_EQ(dev.log, (Log{"w 2/2=201", "w 4/4=6050403", "w 8/2=807"}));
}

TEST_F(DispatchTest, MissingCallbackIsDecodeError) {
  MemoryRegionOps ops;
  ops.read = [](uint64_t, unsigned, uint64_t& v, MemTxAttrs) {
    v = 1;
    return MemTxResult::Ok;
  };
  dev_mr.init_io("read-only-dev", 8, ops);
  root.add_subregion(0x10000000, &dev_mr);
  EXPECT_EQ(as.store(0x10000000, 4, 1), MemTxResult::DecodeError);
  uint64_t v = 0;
  EXPECT_EQ(as.load(0x10000000, 4, v), MemTxResult::Ok);
  EXPECT_EQ(v, 1u);
}

TEST_F(DispatchTest, DeviceErrorsAndAttrsPassThrough) {
  MemoryRegionOps ops;
  MemTxAttrs seen;
  ops.read = [&seen](uint64_t, unsigned, uint64_t& v, MemTxAttrs attrs) {
    seen = attrs;
    v = 0;
    return MemTxResult::DeviceError;
  };
  dev_mr.init_io("failing", 8, ops);
  root.add_subregion(0x10000000, &dev_mr);
  uint64_t v = 5;
  MemTxAttrs attrs;
  attrs.debug = true;
  attrs.requester_id = 42;
  EXPECT_EQ(as.load(0x10000000, 4, v, attrs), MemTxResult::DeviceError);
  EXPECT_TRUE(seen.debug);
  EXPECT_EQ(seen.requester_id, 42u);
}

TEST_F(DispatchTest, AccessAcrossARangeBoundaryIsSplitIntoBytes) {
  map_device(0x80010000, {1, 8, false}, {1, 1, false});  // right after RAM
  ram.ram_ptr()[0xfffe] = 0xaa;
  ram.ram_ptr()[0xffff] = 0xbb;
  dev.regs[0] = 0xcc;
  dev.regs[1] = 0xdd;
  uint64_t v = 0;
  ASSERT_EQ(as.load(0x8000fffe, 4, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0xddccbbaau);
  EXPECT_EQ(dev.log, (Log{"r 0/1", "r 1/1"}));
  ASSERT_EQ(as.store(0x8000ffff, 2, 0x1234), MemTxResult::Ok);
  EXPECT_EQ(ram.ram_ptr()[0xffff], 0x34);
  EXPECT_EQ(dev.regs[0], 0x12);
}

TEST_F(DispatchTest, DmaCrossesRamAndMmio) {
  map_device(0x80010000, {1, 8, false}, {1, 8, false});
  uint8_t out[24];
  for (int i = 0; i < 24; ++i) out[i] = static_cast<uint8_t>(i + 1);
  ASSERT_EQ(as.write(0x8000fff8, out, 24), MemTxResult::Ok);
  EXPECT_EQ(ram.ram_ptr()[0xfff8], 1);
  EXPECT_EQ(ram.ram_ptr()[0xffff], 8);
  EXPECT_EQ(dev.regs[0], 9);
  EXPECT_EQ(dev.regs[15], 24);
  EXPECT_EQ(dev.log, (Log{"w 0/8=100f0e0d0c0b0a09", "w 8/8=1817161514131211"}));
  uint8_t in[24] = {};
  ASSERT_EQ(as.read(0x8000fff8, in, 24), MemTxResult::Ok);
  EXPECT_EQ(std::memcmp(in, out, 24), 0);
}

TEST_F(DispatchTest, LookupRamDescribesTheRange) {
  map_device(0x10000000, {1, 8, false}, {1, 8, false});
  RamSpan span;
  ASSERT_TRUE(as.lookup_ram(0x80001234, span));
  EXPECT_EQ(span.start, 0x80000000u);
  EXPECT_EQ(span.len, 0x10000u);
  EXPECT_EQ(span.host, ram.ram_ptr());
  EXPECT_TRUE(span.writable);
  EXPECT_EQ(span.mr, &ram);
  ASSERT_TRUE(as.lookup_ram(0x1000, span));
  EXPECT_FALSE(span.writable);
  EXPECT_FALSE(as.lookup_ram(0x10000000, span));  // MMIO
  EXPECT_FALSE(as.lookup_ram(0x20000000, span));  // unmapped
  // A piece of RAM uncovered by an overlapping device starts mid-region.
  MemoryRegion hole;
  hole.init_io("hole", 0x1000, dev.ops({1, 8, false}, {1, 8, false}));
  root.add_subregion(0x80000000, &hole, 1);
  ASSERT_TRUE(as.lookup_ram(0x80004000, span));
  EXPECT_EQ(span.start, 0x80001000u);
  EXPECT_EQ(span.len, 0xf000u);
  EXPECT_EQ(span.host, ram.ram_ptr() + 0x1000);
  EXPECT_EQ(span.offset_in_region, 0x1000u);
  root.del_subregion(&hole);
}

TEST_F(DispatchTest, WritesToCodePagesRunHooksOnce) {
  std::vector<std::pair<uint64_t, uint64_t>> hits;
  int id = ram.add_code_write_hook([&](uint64_t off, uint64_t len) { hits.push_back({off, len}); });
  ram.mark_code_page(0x2345);
  EXPECT_TRUE(ram.is_code_page(0x2000));
  EXPECT_FALSE(ram.is_code_page(0x3000));
  ASSERT_EQ(as.store(0x80003000, 4, 1), MemTxResult::Ok);  // another page
  EXPECT_TRUE(hits.empty());
  ASSERT_EQ(as.store(0x80002ffc, 4, 1), MemTxResult::Ok);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0], (std::pair<uint64_t, uint64_t>{0x2ffc, 4}));
  EXPECT_FALSE(ram.is_code_page(0x2000));  // the mark is cleared
  ASSERT_EQ(as.store(0x80002ffc, 4, 1), MemTxResult::Ok);
  EXPECT_EQ(hits.size(), 1u);
  // DMA into a marked page is seen too.
  ram.mark_code_page(0x5000);
  uint8_t buf[0x2000] = {};
  ASSERT_EQ(as.write(0x80004800, buf, sizeof buf), MemTxResult::Ok);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[1], (std::pair<uint64_t, uint64_t>{0x4800, 0x2000}));
  ram.remove_code_write_hook(id);
  ram.mark_code_page(0x5000);
  ASSERT_EQ(as.store(0x80005000, 1, 1), MemTxResult::Ok);
  EXPECT_EQ(hits.size(), 2u);
}

/// Maps 4 KiB pages of IOVA to addresses of a target space with given permissions.
class TestIommu : public IommuMemoryRegion {
 public:
  struct Page {
    uint64_t target;
    IommuAccessFlags perm;
  };
  std::map<uint64_t, Page> pages;
  AddressSpace* target_as = nullptr;
  int calls = 0;

  IommuTlbEntry translate(uint64_t iova, IommuAccessFlags access, int, MemTxAttrs) override {
    ++calls;
    IommuTlbEntry e;
    e.target_as = target_as;
    e.iova = iova & ~0xfffull;
    e.addr_mask = 0xfff;
    auto it = pages.find(iova >> 12);
    if (it == pages.end()) return e;  // perm none: a fault
    e.translated_addr = it->second.target;
    e.perm = it->second.perm;
    return e;
  }
};

TEST_F(DispatchTest, IommuTranslatesChecksPermissionsAndSplitsAtPages) {
  // A device's DMA space: a window of IOVA in front of the system space.
  TestIommu iommu;
  iommu.init_iommu("iommu", 0x100000);
  iommu.target_as = &as;
  iommu.pages[0] = {0x80005000, kIommuRw};
  iommu.pages[1] = {0x80009000, kIommuRead};
  MemoryRegion dma_root;
  dma_root.init_container("dma", MemoryRegion::kWholeSpace);
  dma_root.add_subregion(0x10000000, &iommu);
  AddressSpace dma("dma", &dma_root);

  ASSERT_EQ(dma.store(0x10000010, 4, 0xcafef00d), MemTxResult::Ok);
  uint64_t v = 0;
  ASSERT_EQ(as.load(0x80005010, 4, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0xcafef00du);
  // Read-only page: reads work, writes fault.
  ram.ram_ptr()[0x9020] = 0x77;
  ASSERT_EQ(dma.load(0x10001020, 1, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x77u);
  EXPECT_EQ(dma.store(0x10001020, 1, 0), MemTxResult::IommuFault);
  // No mapping at all.
  v = 9;
  EXPECT_EQ(dma.load(0x10002000, 4, v), MemTxResult::IommuFault);
  EXPECT_EQ(v, 0u);
  // An access across the page boundary is translated page by page.
  ram.ram_ptr()[0x5fff] = 0x11;
  ram.ram_ptr()[0x9000] = 0x22;
  ASSERT_EQ(dma.load(0x10000fff, 2, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x2211u);
  // DMA too, and it stops at the faulting page.
  uint8_t buf[0x1800];
  ASSERT_EQ(dma.read(0x10000800, buf, 0x1000), MemTxResult::Ok);
  EXPECT_EQ(buf[0x7ff], 0x11);
  EXPECT_EQ(buf[0x800], 0x22);
  EXPECT_EQ(dma.write(0x10000800, buf, 0x1000), MemTxResult::IommuFault);
  EXPECT_EQ(dma.read(0x10001800, buf, 0x1000), MemTxResult::IommuFault);
  // lookup_ram refuses IOMMU ranges.
  RamSpan span;
  EXPECT_FALSE(dma.lookup_ram(0x10000000, span));
  dma_root.del_subregion(&iommu);
}

TEST_F(DispatchTest, IommuLoopsEndInAFault) {
  TestIommu iommu;
  iommu.init_iommu("loop", 0x1000);
  MemoryRegion loop_root;
  loop_root.init_container("loop-root", MemoryRegion::kWholeSpace);
  loop_root.add_subregion(0, &iommu);
  AddressSpace loop("loop", &loop_root);
  iommu.target_as = &loop;  // translates into itself, forever
  iommu.pages[0] = {0, kIommuRw};
  uint64_t v = 0;
  EXPECT_EQ(loop.load(0x10, 4, v), MemTxResult::IommuFault);
  EXPECT_GT(iommu.calls, 1);
  EXPECT_LT(iommu.calls, 100);
  uint8_t buf[8];
  EXPECT_EQ(loop.read(0x10, buf, 8), MemTxResult::IommuFault);
  iommu.target_as = nullptr;  // a model returning no target space also faults
  EXPECT_EQ(loop.store(0x10, 4, 1), MemTxResult::IommuFault);
  loop_root.del_subregion(&iommu);
}

// -- MMIO re-entrancy guard (QEMU's MemReentrancyGuard) --------------------------------------

/// A host that keeps log lines, for the guard's once-per-guard warning.
struct LogHost : Host {
  void console_write(std::span<const uint8_t>) override {}
  size_t console_read(std::span<uint8_t>) override { return 0; }
  uint64_t wall_clock_ns() override { return 0; }
  void log(LogLevel, std::string_view message) override { lines.emplace_back(message); }
  std::vector<std::string> lines;
};

/// A device whose register write starts a "DMA" through an address space to `dma_addr`, as a
/// buggy or malicious guest can program a real DMA engine to target its own registers.
struct DmaDevice {
  AddressSpace* as = nullptr;
  uint64_t dma_addr = 0;
  bool dma_is_read = false;
  int depth = 0, max_depth = 0, calls = 0;
  std::vector<MemTxResult> inner;

  MemoryRegionOps ops() {
    MemoryRegionOps o;
    o.read = [](uint64_t, unsigned, uint64_t& v, MemTxAttrs) {
      v = 0x77;
      return MemTxResult::Ok;
    };
    o.write = [this](uint64_t, unsigned, uint64_t, MemTxAttrs) {
      ++calls;
      max_depth = std::max(max_depth, ++depth);
      if (depth < 4) {  // the test's own bound, for the opt-out case
        uint64_t v = 0;
        inner.push_back(dma_is_read ? as->load(dma_addr, 4, v) : as->store(dma_addr, 4, 1));
      }
      --depth;
      return MemTxResult::Ok;
    };
    return o;
  }
};

TEST_F(DispatchTest, DmaIntoTheDevicesOwnRegistersIsRefusedNotRecursed) {
  DmaDevice d;
  d.as = &as;
  d.dma_addr = 0x10000004;
  MemoryRegion mr;
  mr.init_io("dma-dev", 16, d.ops());
  root.add_subregion(0x10000000, &mr);
  LogHost host;
  MemReentrancyGuard guard;  // the device's, so that the board can give it the host's log
  guard.log = &host;
  mr.set_reentrancy_guard(&guard);
  EXPECT_EQ(as.store(0x10000000, 4, 1), MemTxResult::Ok);
  EXPECT_EQ(d.calls, 1);
  EXPECT_EQ(d.max_depth, 1);
  EXPECT_EQ(d.inner, (std::vector<MemTxResult>{MemTxResult::DeviceError}));
  EXPECT_EQ(mr.reentrancy_guard().blocked, 1u);
  EXPECT_FALSE(mr.reentrancy_guard().engaged_in_io);
  // A re-entrant read is refused too (and reads 0); the warning is given once.
  d.dma_is_read = true;
  uint8_t buf[4] = {1, 2, 3, 4};
  EXPECT_EQ(as.write(0x10000000, buf, 4), MemTxResult::Ok);  // the DMA path is guarded too
  EXPECT_EQ(d.inner.back(), MemTxResult::DeviceError);
  EXPECT_EQ(mr.reentrancy_guard().blocked, 2u);
  ASSERT_EQ(host.lines.size(), 1u);
  EXPECT_NE(host.lines[0].find("dma-dev"), std::string::npos);
  // Outside the handler the registers are reachable again.
  uint64_t v = 0;
  EXPECT_EQ(as.load(0x10000004, 4, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x77u);
  root.del_subregion(&mr);
}

TEST_F(DispatchTest, ReentrancyGuardIsPerDeviceNotGlobal) {
  // DMA from device A into device B's registers is ordinary and allowed; DMA into a second
  // region of A that shares A's guard is refused.
  DmaDevice a;
  a.as = &as;
  a.dma_addr = 0x10001000;
  MemoryRegion a_mr, a_mr2;
  MemReentrancyGuard a_guard;
  a_mr.init_io("a", 16, a.ops());
  a_mr2.init_io("a2", 16, a.ops());
  a_mr.set_reentrancy_guard(&a_guard);
  a_mr2.set_reentrancy_guard(&a_guard);
  map_device(0x10001000, {1, 8, false}, {1, 8, false});  // device B
  root.add_subregion(0x10000000, &a_mr);
  root.add_subregion(0x10002000, &a_mr2);
  EXPECT_EQ(as.store(0x10000000, 4, 1), MemTxResult::Ok);
  EXPECT_EQ(a.inner, (std::vector<MemTxResult>{MemTxResult::Ok}));
  EXPECT_EQ(dev.log, (Log{"w 0/4=1"}));
  a.dma_addr = 0x10002000;
  EXPECT_EQ(as.store(0x10000000, 4, 1), MemTxResult::Ok);
  EXPECT_EQ(a.inner.back(), MemTxResult::DeviceError);
  EXPECT_EQ(a_guard.blocked, 1u);
  root.del_subregion(&a_mr);
  root.del_subregion(&a_mr2);
}

TEST_F(DispatchTest, ReentrancyGuardCanBeDisabledPerRegion) {
  DmaDevice d;
  d.as = &as;
  d.dma_addr = 0x10000000;
  MemoryRegion mr;
  mr.init_io("reentrant-by-design", 16, d.ops());
  mr.set_reentrancy_guard_disabled(true);
  root.add_subregion(0x10000000, &mr);
  EXPECT_EQ(as.store(0x10000000, 4, 1), MemTxResult::Ok);
  EXPECT_EQ(d.max_depth, 4);  // recursed until the device's own bound
  EXPECT_EQ(mr.reentrancy_guard().blocked, 0u);
  root.del_subregion(&mr);
}

}  // namespace
}  // namespace glassvm
