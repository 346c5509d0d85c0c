// Tests of the region tree, flat views, transactions, listeners and info mtree.
#include "engine/memory/memory.h"

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace glassvm {
namespace {

/// The flat view as text: "start-last name[@offset][ ro]" per range, separated by "; ".
std::string describe(const AddressSpace& as) {
  std::string s;
  for (const FlatRange& r : as.flat_view().ranges()) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%" PRIx64 "-%" PRIx64 " %s", r.start, r.last(),
                  r.mr->name().c_str());
    if (!s.empty()) s += "; ";
    s += buf;
    if (r.offset_in_region != 0) {
      std::snprintf(buf, sizeof buf, "@%" PRIx64, r.offset_in_region);
      s += buf;
    }
    if (r.readonly) s += " ro";
  }
  return s;
}

MemoryRegionOps dummy_ops() {
  MemoryRegionOps ops;
  ops.read = [](uint64_t, unsigned, uint64_t& v, MemTxAttrs) {
    v = 0;
    return MemTxResult::Ok;
  };
  ops.write = [](uint64_t, unsigned, uint64_t, MemTxAttrs) { return MemTxResult::Ok; };
  return ops;
}

/// Records listener traffic.
class RecordingListener : public MemoryListener {
 public:
  void begin() override {
    ++begins;
    log += "begin;";
  }
  void region_add(const FlatRange& r) override {
    char buf[128];
    std::snprintf(buf, sizeof buf, "add %" PRIx64 "-%" PRIx64 " %s;", r.start, r.last(),
                  r.mr->name().c_str());
    log += buf;
    ++adds;
  }
  void region_del(const FlatRange& r) override {
    char buf[128];
    std::snprintf(buf, sizeof buf, "del %" PRIx64 "-%" PRIx64 " %s;", r.start, r.last(),
                  r.mr->name().c_str());
    log += buf;
    ++dels;
  }
  void commit() override {
    ++commits;
    log += "commit;";
  }
  int begins = 0, commits = 0, adds = 0, dels = 0;
  std::string log;
};

// Every test builds its tree inside a fixture that unmaps everything before destruction.
class MemoryTreeTest : public ::testing::Test {
 protected:
  void SetUp() override { root.init_container("root", MemoryRegion::kWholeSpace); }
  MemoryRegion root;
};

TEST_F(MemoryTreeTest, HigherPriorityWinsOverlap) {
  MemoryRegion ram, dev;
  ram.init_ram("ram", 0x2000);
  dev.init_io("dev", 0x1000, dummy_ops());
  root.add_subregion(0, &ram, 0);
  root.add_subregion(0x800, &dev, 1);
  AddressSpace as("as", &root);
  EXPECT_EQ(describe(as), "0-7ff ram; 800-17ff dev; 1800-1fff ram@1800");
  // Lower priority added later still loses.
  MemoryRegion low;
  low.init_io("low", 0x4000, dummy_ops());
  root.add_subregion(0, &low, -1);
  EXPECT_EQ(describe(as), "0-7ff ram; 800-17ff dev; 1800-1fff ram@1800; 2000-3fff low@2000");
  root.del_subregion(&low);
  root.del_subregion(&dev);
  root.del_subregion(&ram);
  EXPECT_EQ(describe(as), "");
}

TEST_F(MemoryTreeTest, EqualPriorityLaterAddedWins) {
  MemoryRegion a, b;
  a.init_io("a", 0x2000, dummy_ops());
  b.init_io("b", 0x2000, dummy_ops());
  root.add_subregion(0, &a);
  root.add_subregion(0x1000, &b);
  AddressSpace as("as", &root);
  EXPECT_EQ(describe(as), "0-fff a; 1000-2fff b");
  // Re-adding a makes it the newest: now it wins the overlap.
  root.del_subregion(&a);
  root.add_subregion(0, &a);
  EXPECT_EQ(describe(as), "0-1fff a; 2000-2fff b@1000");
  root.del_subregion(&a);
  root.del_subregion(&b);
}

TEST_F(MemoryTreeTest, ContainerHolesShowLowerPrioritySiblings) {
  MemoryRegion ram, window, dev;
  ram.init_ram("ram", 0x4000);
  window.init_container("window", 0x4000);
  dev.init_io("dev", 0x1000, dummy_ops());
  window.add_subregion(0x1000, &dev);
  root.add_subregion(0x10000, &ram, 0);
  root.add_subregion(0x10000, &window, 5);
  AddressSpace as("as", &root);
  EXPECT_EQ(describe(as), "10000-10fff ram; 11000-11fff dev; 12000-13fff ram@2000");
  window.del_subregion(&dev);
  root.del_subregion(&window);
  root.del_subregion(&ram);
}

TEST_F(MemoryTreeTest, NestedContainersAddOffsetsAndClip) {
  MemoryRegion outer, inner, ram;
  outer.init_container("outer", 0x10000);
  inner.init_container("inner", 0x1000);  // clips the RAM below
  ram.init_ram("ram", 0x4000);
  inner.add_subregion(0x800, &ram);
  outer.add_subregion(0x2000, &inner);
  root.add_subregion(0x100000, &outer);
  AddressSpace as("as", &root);
  EXPECT_EQ(describe(as), "102800-102fff ram");
  outer.set_address(0x200000);
  EXPECT_EQ(describe(as), "202800-202fff ram");
  root.del_subregion(&outer);
  outer.del_subregion(&inner);
  inner.del_subregion(&ram);
}

TEST_F(MemoryTreeTest, MmioRegionWithSubregionFillsAroundThem) {
  MemoryRegion bridge, child;
  bridge.init_io("bridge", 0x3000, dummy_ops());
  child.init_io("child", 0x1000, dummy_ops());
  bridge.add_subregion(0x1000, &child);
  root.add_subregion(0, &bridge);
  AddressSpace as("as", &root);
  EXPECT_EQ(describe(as), "0-fff bridge; 1000-1fff child; 2000-2fff bridge@2000");
  root.del_subregion(&bridge);
  bridge.del_subregion(&child);
}

TEST_F(MemoryTreeTest, AliasesResolveToTargetCroppedAndFollowOffsetChanges) {
  MemoryRegion ram, win, win2;
  ram.init_ram("ram", 0x10000);
  win.init_alias("win", &ram, 0x2000, 0x3000);
  win2.init_alias("win2", &win, 0x1000, 0x1000);  // alias of an alias
  root.add_subregion(0x80000000, &ram);
  root.add_subregion(0x100000, &win);
  root.add_subregion(0x200000, &win2);
  AddressSpace as("as", &root);
  EXPECT_EQ(describe(as), "100000-102fff ram@2000; 200000-200fff ram@3000; 80000000-8000ffff ram");
  win.set_alias_offset(0xf000);  // now only 0x1000 bytes of the window are backed
  EXPECT_EQ(describe(as), "100000-100fff ram@f000; 80000000-8000ffff ram");
  // Data really comes from the target.
  ASSERT_EQ(as.store(0x8000f010, 4, 0xdeadbeef), MemTxResult::Ok);
  uint64_t v = 0;
  ASSERT_EQ(as.load(0x100010, 4, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0xdeadbeefu);
  root.del_subregion(&win2);
  root.del_subregion(&win);
  root.del_subregion(&ram);
}

TEST_F(MemoryTreeTest, AdjacentPiecesOfOneRegionMerge) {
  MemoryRegion ram, lo, hi;
  ram.init_ram("ram", 0x4000);
  lo.init_alias("lo", &ram, 0, 0x1000);
  hi.init_alias("hi", &ram, 0x1000, 0x1000);
  root.add_subregion(0x1000, &lo);
  root.add_subregion(0x2000, &hi);
  AddressSpace as("as", &root);
  EXPECT_EQ(describe(as), "1000-2fff ram");
  ASSERT_EQ(as.flat_view().ranges().size(), 1u);
  hi.set_alias_offset(0x2000);  // no longer contiguous in the region
  EXPECT_EQ(describe(as), "1000-1fff ram; 2000-2fff ram@2000");
  root.del_subregion(&lo);
  root.del_subregion(&hi);
}

TEST_F(MemoryTreeTest, DisabledRegionsVanishAndUncoverWhatIsBelow) {
  MemoryRegion ram, dev;
  ram.init_ram("ram", 0x2000);
  dev.init_io("dev", 0x1000, dummy_ops());
  root.add_subregion(0, &ram);
  root.add_subregion(0, &dev, 1);
  AddressSpace as("as", &root);
  EXPECT_EQ(describe(as), "0-fff dev; 1000-1fff ram@1000");
  uint64_t gen = as.generation();
  dev.set_enabled(false);
  EXPECT_EQ(describe(as), "0-1fff ram");
  EXPECT_EQ(as.generation(), gen + 1);
  dev.set_enabled(false);  // no change, no new generation
  EXPECT_EQ(as.generation(), gen + 1);
  dev.set_enabled(true);
  EXPECT_EQ(describe(as), "0-fff dev; 1000-1fff ram@1000");
  root.del_subregion(&dev);
  root.del_subregion(&ram);
}

TEST_F(MemoryTreeTest, GenerationOnlyMovesWhenTheViewChanges) {
  AddressSpace as("as", &root);
  MemoryRegion hidden;
  hidden.init_io("hidden", 0x1000, dummy_ops());
  hidden.set_enabled(false);
  uint64_t gen = as.generation();
  root.add_subregion(0, &hidden);
  EXPECT_EQ(as.generation(), gen);
  hidden.set_enabled(true);
  EXPECT_EQ(as.generation(), gen + 1);
  root.del_subregion(&hidden);
}

TEST_F(MemoryTreeTest, TransactionRebuildsOncePerOutermostCommit) {
  MemoryRegion a, b, c;
  a.init_io("a", 0x1000, dummy_ops());
  b.init_io("b", 0x1000, dummy_ops());
  c.init_io("c", 0x1000, dummy_ops());
  AddressSpace as("as", &root);
  RecordingListener l;
  as.add_listener(&l);
  EXPECT_EQ(l.begins, 1);  // the replay round
  uint64_t gen = as.generation();
  {
    MemoryTransaction outer;
    root.add_subregion(0x1000, &a);
    {
      MemoryTransaction inner;
      root.add_subregion(0x2000, &b);
      root.add_subregion(0x3000, &c);
    }
    EXPECT_EQ(describe(as), "");  // nothing visible before the outermost commit
    EXPECT_EQ(l.begins, 1);
  }
  EXPECT_EQ(l.begins, 2);
  EXPECT_EQ(l.commits, 2);
  EXPECT_EQ(l.adds, 3);
  EXPECT_EQ(as.generation(), gen + 1);
  EXPECT_EQ(describe(as), "1000-1fff a; 2000-2fff b; 3000-3fff c");
  // Outside a transaction every change is its own round.
  a.set_enabled(false);
  b.set_enabled(false);
  EXPECT_EQ(l.begins, 4);
  EXPECT_EQ(as.generation(), gen + 3);
  as.remove_listener(&l);
  root.del_subregion(&a);
  root.del_subregion(&b);
  root.del_subregion(&c);
}

TEST_F(MemoryTreeTest, ListenerSeesReplayAddsAndDels) {
  MemoryRegion ram, dev;
  ram.init_ram("ram", 0x1000);
  dev.init_io("dev", 0x100, dummy_ops());
  root.add_subregion(0x8000, &ram);
  AddressSpace as("as", &root);
  RecordingListener l;
  as.add_listener(&l);
  EXPECT_EQ(l.log, "begin;add 8000-8fff ram;commit;");
  l.log.clear();
  root.add_subregion(0x1000, &dev);
  EXPECT_EQ(l.log, "begin;add 1000-10ff dev;commit;");
  l.log.clear();
  dev.set_address(0x9000);  // a moved range is a del then an add
  EXPECT_EQ(l.log, "begin;del 1000-10ff dev;add 9000-90ff dev;commit;");
  l.log.clear();
  // A range that changes shape is also del + add; untouched ranges are not reported.
  root.del_subregion(&dev);
  root.add_subregion(0x8800, &dev, 1);
  EXPECT_EQ(l.log,
            "begin;del 9000-90ff dev;commit;begin;del 8000-8fff ram;add 8000-87ff ram;"
            "add 8800-88ff dev;add 8900-8fff ram;commit;");
  l.log.clear();
  as.remove_listener(&l);
  EXPECT_EQ(l.log, "begin;del 8000-87ff ram;del 8800-88ff dev;del 8900-8fff ram;commit;");
  l.log.clear();
  dev.set_enabled(false);
  EXPECT_EQ(l.log, "");  // no longer registered
  root.del_subregion(&dev);
  root.del_subregion(&ram);
}

TEST_F(MemoryTreeTest, TwoAddressSpacesShareOneTree) {
  MemoryRegion ram, sub, view;
  ram.init_ram("ram", 0x1000);
  sub.init_container("sub", 0x10000);
  view.init_alias("dma-view", &root, 0, MemoryRegion::kWholeSpace);
  root.add_subregion(0x4000, &sub);
  AddressSpace cpu("cpu", &root);
  AddressSpace dma("dma", &view);  // reaches the tree only through an alias
  RecordingListener lc, ld;
  cpu.add_listener(&lc);
  dma.add_listener(&ld);
  sub.add_subregion(0x100, &ram);  // deep change: both spaces must notice
  EXPECT_EQ(describe(cpu), "4100-50ff ram");
  EXPECT_EQ(describe(dma), "4100-50ff ram");
  EXPECT_EQ(lc.adds, 1);
  EXPECT_EQ(ld.adds, 1);
  ASSERT_EQ(cpu.store(0x4100, 8, 0x1122334455667788ull), MemTxResult::Ok);
  uint64_t v = 0;
  ASSERT_EQ(dma.load(0x4100, 8, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x1122334455667788ull);
  cpu.remove_listener(&lc);
  dma.remove_listener(&ld);
  sub.del_subregion(&ram);
  root.del_subregion(&sub);
}

TEST(MemoryLifetimeTest, AddressSpaceMayOutliveOrPredeceaseItsRoot) {
  auto root = std::make_unique<MemoryRegion>();
  root->init_container("root", MemoryRegion::kWholeSpace);
  MemoryRegion ram;
  ram.init_ram("ram", 0x1000);
  root->add_subregion(0, &ram);
  {
    AddressSpace early("early", root.get());  // destroyed before its root
    EXPECT_EQ(describe(early), "0-fff ram");
  }
  AddressSpace late("late", root.get());
  RecordingListener l;
  late.add_listener(&l);
  root.reset();  // the root goes first: the space becomes empty, the child is let go
  EXPECT_EQ(late.root(), nullptr);
  EXPECT_EQ(describe(late), "");
  EXPECT_EQ(l.dels, 1);
  EXPECT_EQ(ram.container(), nullptr);
  uint64_t v = 1;
  EXPECT_EQ(late.load(0, 4, v), MemTxResult::DecodeError);
  EXPECT_EQ(v, 0u);
  late.remove_listener(&l);
}

TEST(MemoryLifetimeDeathTest, DestroyingAMappedRegionIsAProgrammerError) {
  EXPECT_DEBUG_DEATH(
      {
        MemoryRegion root;
        root.init_container("root", 0x1000);
        auto ram = std::make_unique<MemoryRegion>();
        ram->init_ram("ram", 0x100);
        root.add_subregion(0, ram.get());
        ram.reset();
      },
      "still mapped");
}

TEST(MemoryLifetimeTest, ReinitialisingAMappedRamRegionInvalidatesCachedPointers) {
  MemoryRegion root;
  root.init_container("root", MemoryRegion::kWholeSpace);
  MemoryRegion ram;
  ram.init_ram("ram", 0x1000);
  root.add_subregion(0x1000, &ram);
  AddressSpace as("as", &root);
  RecordingListener l;
  as.add_listener(&l);
  l.log.clear();
  RamSpan cached;
  ASSERT_TRUE(as.lookup_ram(0x1000, cached));
  const uint64_t cached_generation = as.generation();

  ram.init_ram("ram", 0x1000);  // same name and size: the flat view compares equal

  // A CPU TLB keeps `cached.host` until the generation moves; writing through a stale pointer
  // here is a use-after-free under ASan.
  uint8_t* host = cached.host;
  if (as.generation() == cached_generation) {
    host[0x10] = 0x5a;
  } else {
    RamSpan fresh;
    ASSERT_TRUE(as.lookup_ram(0x1000, fresh));
    host = fresh.host;
    host[0x10] = 0x5a;
  }
  EXPECT_NE(as.generation(), cached_generation);
  EXPECT_EQ(host, ram.ram_ptr());
  EXPECT_EQ(l.log, "begin;del 1000-1fff ram;add 1000-1fff ram;commit;");
  uint64_t v = 0;
  ASSERT_EQ(as.load(0x1010, 1, v), MemTxResult::Ok);
  EXPECT_EQ(v, 0x5au);

  // Turning it into MMIO under the same ranges also takes it off the RAM fast path.
  ram.init_io("ram", 0x1000, dummy_ops());
  EXPECT_FALSE(as.lookup_ram(0x1000, cached));
  as.remove_listener(&l);
  root.del_subregion(&ram);
}

TEST(MemoryTransactionTest, TwoMachinesOnOneThreadStayIndependent) {
  // Two separate trees, as two machines in one test would have.
  MemoryRegion root_a, root_b, ram_a, ram_b;
  root_a.init_container("root-a", MemoryRegion::kWholeSpace);
  root_b.init_container("root-b", MemoryRegion::kWholeSpace);
  ram_a.init_ram("ram-a", 0x1000);
  ram_b.init_ram("ram-b", 0x2000);
  AddressSpace as_a("a", &root_a);
  auto as_b = std::make_unique<AddressSpace>("b", &root_b);
  RecordingListener la, lb;
  as_a.add_listener(&la);
  as_b->add_listener(&lb);
  la.log.clear();
  lb.log.clear();

  // A change to B alone, outside any transaction, is rebuilt at once and touches only B.
  root_b.add_subregion(0x8000, &ram_b);
  EXPECT_EQ(lb.log, "begin;add 8000-9fff ram-b;commit;");
  EXPECT_EQ(la.log, "");
  lb.log.clear();

  {
    MemoryTransaction txn;  // "machine A's" transaction
    root_a.add_subregion(0x1000, &ram_a);
    root_b.del_subregion(&ram_b);
    // Both wait for the outermost commit; B still sees its old view meanwhile.
    EXPECT_EQ(describe(as_a), "");
    EXPECT_EQ(describe(*as_b), "8000-9fff ram-b");
  }
  EXPECT_EQ(la.log, "begin;add 1000-1fff ram-a;commit;");
  EXPECT_EQ(lb.log, "begin;del 8000-9fff ram-b;commit;");

  // An address space destroyed while queued for a rebuild is forgotten, not rebuilt.
  {
    MemoryTransaction txn;
    root_b.add_subregion(0, &ram_b);
    as_b->remove_listener(&lb);
    as_b.reset();
    root_a.del_subregion(&ram_a);
  }
  EXPECT_EQ(describe(as_a), "");
  // Nothing is left open: the next change is its own transaction again.
  root_a.add_subregion(0, &ram_a);
  EXPECT_EQ(describe(as_a), "0-fff ram-a");
  as_a.remove_listener(&la);
  root_a.del_subregion(&ram_a);
  root_b.del_subregion(&ram_b);
}

TEST(MemoryListenerOrderTest, AdditionsForwardDeletionsReverse) {
  struct OrderListener : MemoryListener {
    OrderListener(std::string n, std::string* log) : name(std::move(n)), log(log) {}
    void begin() override { *log += "begin " + name + ";"; }
    void region_add(const FlatRange&) override { *log += "add " + name + ";"; }
    void region_del(const FlatRange&) override { *log += "del " + name + ";"; }
    void commit() override { *log += "commit " + name + ";"; }
    std::string name;
    std::string* log;
  };
  MemoryRegion root, ram;
  root.init_container("root", MemoryRegion::kWholeSpace);
  ram.init_ram("ram", 0x1000);
  AddressSpace as("as", &root);
  std::string log;
  OrderListener a("a", &log), b("b", &log);
  as.add_listener(&a);
  as.add_listener(&b);
  log.clear();
  root.add_subregion(0, &ram);
  EXPECT_EQ(log, "begin a;begin b;add a;add b;commit a;commit b;");
  log.clear();
  root.del_subregion(&ram);
  EXPECT_EQ(log, "begin a;begin b;del b;del a;commit a;commit b;");
  as.remove_listener(&b);
  as.remove_listener(&a);
}

TEST(MemoryLifetimeTest, DestroyingAnAliasTargetEmptiesTheAlias) {
  MemoryRegion root;
  root.init_container("root", MemoryRegion::kWholeSpace);
  MemoryRegion win;
  AddressSpace as("as", &root);
  {
    MemoryRegion target;
    target.init_ram("target", 0x1000);
    win.init_alias("win", &target, 0, 0x1000);
    root.add_subregion(0x1000, &win);
    EXPECT_EQ(describe(as), "1000-1fff target");
  }
  EXPECT_EQ(win.alias_target(), nullptr);
  EXPECT_EQ(describe(as), "");
  root.del_subregion(&win);
}

TEST(MemoryMtreeTest, MatchesQemuFormat) {
  MemoryRegion system, rom, uart, ram, bus, pcie, ecam, io;
  system.init_container("system", MemoryRegion::kWholeSpace);
  rom.init_rom("board.mrom", 0xf000);
  uart.init_io("serial", 8, dummy_ops());
  ram.init_ram("board.ram", 0x8000000);
  ecam.init_io("pcie-mmcfg-mmio", 0x10000000, dummy_ops());
  pcie.init_alias("pcie-ecam", &ecam, 0, 0x10000000);
  bus.init_container("bus master container", MemoryRegion::kWholeSpace);
  io.init_io("io", 0x10000, dummy_ops());
  system.add_subregion(0x80000000, &ram);
  system.add_subregion(0x10000000, &uart);
  system.add_subregion(0x1000, &rom);
  system.add_subregion(0x30000000, &pcie);
  MemoryRegion hi_ram;  // an alias with an offset, to show "@offset" in the flat view
  hi_ram.init_alias("ram-hi", &ram, 0x1000, 0x1000);
  system.add_subregion(0x400000000, &hi_ram);
  AddressSpace memory("memory", &system);
  AddressSpace cpu("cpu-memory-0", &system);
  AddressSpace gpex("gpex-root", &bus);
  AddressSpace port_io("I/O", &io);

  const std::string tree =
      "address-space: cpu-memory-0\n"
      "address-space: memory\n"
      "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
      "    0000000000001000-000000000000ffff (prio 0, rom): board.mrom\n"
      "    0000000010000000-0000000010000007 (prio 0, i/o): serial\n"
      "    0000000030000000-000000003fffffff (prio 0, i/o): alias pcie-ecam @pcie-mmcfg-mmio "
      "0000000000000000-000000000fffffff\n"
      "    0000000080000000-0000000087ffffff (prio 0, ram): board.ram\n"
      "    0000000400000000-0000000400000fff (prio 0, ram): alias ram-hi @board.ram "
      "0000000000001000-0000000000001fff\n"
      "\n"
      "address-space: gpex-root\n"
      "  0000000000000000-ffffffffffffffff (prio 0, i/o): bus master container\n"
      "\n"
      "address-space: I/O\n"
      "  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
      "\n"
      "memory-region: pcie-mmcfg-mmio\n"
      "  0000000000000000-000000000fffffff (prio 0, i/o): pcie-mmcfg-mmio\n"
      "\n"
      "memory-region: board.ram\n"
      "  0000000080000000-0000000087ffffff (prio 0, ram): board.ram\n"
      "\n";
  std::vector<const AddressSpace*> spaces{&memory, &cpu, &gpex, &port_io};
  EXPECT_EQ(format_mtree(spaces, false), tree);

  const std::string flat =
      "FlatView #0\n"
      " AS \"I/O\", root: io\n"
      " Root memory region: io\n"
      "  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
      "\n"
      "FlatView #1\n"
      " AS \"gpex-root\", root: bus master container\n"
      " Root memory region: (none)\n"
      "  No rendered FlatView\n"
      "\n"
      "FlatView #2\n"
      " AS \"memory\", root: system\n"
      " AS \"cpu-memory-0\", root: system\n"
      " Root memory region: system\n"
      "  0000000000001000-000000000000ffff (prio 0, rom): board.mrom\n"
      "  0000000010000000-0000000010000007 (prio 0, i/o): serial\n"
      "  0000000030000000-000000003fffffff (prio 0, i/o): pcie-mmcfg-mmio\n"
      "  0000000080000000-0000000087ffffff (prio 0, ram): board.ram\n"
      "  0000000400000000-0000000400000fff (prio 0, ram): board.ram @0000000000001000\n"
      "\n";
  EXPECT_EQ(format_mtree(spaces, true), tree + flat);

  // Disabled regions are hidden, but (as in QEMU) an alias still queues its target.
  pcie.set_enabled(false);
  std::string hidden = format_mtree({&memory}, false);
  EXPECT_EQ(hidden.find("alias pcie-ecam"), std::string::npos);
  EXPECT_NE(hidden.find("memory-region: pcie-mmcfg-mmio\n"), std::string::npos);

  system.del_subregion(&hi_ram);
  system.del_subregion(&pcie);
  system.del_subregion(&rom);
  system.del_subregion(&uart);
  system.del_subregion(&ram);
}

TEST(MemoryMtreeTest, SortsChildrenByAddressThenPriority) {
  MemoryRegion root, a, b, c;
  root.init_container("root", 0x10000);
  a.init_io("a", 0x100, dummy_ops());
  b.init_io("b", 0x100, dummy_ops());
  c.init_io("c", 0x100, dummy_ops());
  root.add_subregion(0x200, &a);
  root.add_subregion(0x100, &b, 1);
  root.add_subregion(0x100, &c, 2);
  AddressSpace as("as", &root);
  EXPECT_EQ(format_mtree({&as}, false),
            "address-space: as\n"
            "  0000000000000000-000000000000ffff (prio 0, i/o): root\n"
            "    0000000000000100-00000000000001ff (prio 2, i/o): c\n"
            "    0000000000000100-00000000000001ff (prio 1, i/o): b\n"
            "    0000000000000200-00000000000002ff (prio 0, i/o): a\n"
            "\n");
  root.del_subregion(&a);
  root.del_subregion(&b);
  root.del_subregion(&c);
}

}  // namespace
}  // namespace glassvm
