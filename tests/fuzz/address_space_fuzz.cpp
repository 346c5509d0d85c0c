// libFuzzer target over the memory API as a guest drives it: a region tree with RAM, ROM, MMIO
// regions with random valid/impl rules, aliases, nested containers and overlapping priorities,
// then a random sequence of loads, stores, DMA transfers and remappings.
//
// Design note: the checks are against a reference model kept beside the real tree, not against
// the implementation's own data: a shadow copy of every RAM region (updated only by stores the
// model can predict), and the flat view's shape (sorted, non-overlapping, inside its regions).
// An access the model can predict exactly (every byte in RAM or ROM) must succeed with the
// predicted value; any other access may succeed or fail but may change only the RAM bytes it
// covers. The devices bound-check their offsets (a widened access may run past a region's end)
// and one of them does DMA from its write handler, so the re-entrancy guard is exercised too.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "engine/memory/memory.h"
#include "tests/fuzz/fuzz_check.h"

using namespace glassvm;

namespace {

using fuzz::check;

constexpr unsigned kSizes[] = {1, 2, 4, 8};

/// A register file that tolerates any offset and size (reads past its end give 0).
struct Device {
  uint8_t regs[64] = {};
  AddressSpace* dma_as = nullptr;  ///< set for the device that does DMA from its write handler
  uint64_t dma_addr = 0;
  int depth = 0;

  MemoryRegionOps ops(AccessRules valid, AccessRules impl) {
    MemoryRegionOps o;
    o.valid = valid;
    o.impl = impl;
    o.read = [this](uint64_t off, unsigned size, uint64_t& v, MemTxAttrs) {
      check(size >= 1 && size <= 8, "callback size within 1..8");
      v = 0;
      for (unsigned i = 0; i < size; ++i) {
        if (off + i < sizeof regs) v |= uint64_t{regs[off + i]} << (8 * i);
      }
      return off % 7 == 6 ? MemTxResult::DeviceError : MemTxResult::Ok;
    };
    o.write = [this](uint64_t off, unsigned size, uint64_t v, MemTxAttrs) {
      check(size >= 1 && size <= 8, "callback size within 1..8");
      for (unsigned i = 0; i < size; ++i) {
        if (off + i < sizeof regs) regs[off + i] = static_cast<uint8_t>(v >> (8 * i));
      }
      if (dma_as != nullptr) {
        // The guard must stop any recursion back into this device; a deep stack means it
        // did not.
        check(++depth <= 8, "MMIO re-entrancy bounded");
        uint8_t buf[8];
        std::memcpy(buf, &v, sizeof buf);
        (void)dma_as->write(dma_addr, buf, size);
        --depth;
      }
      return MemTxResult::Ok;
    };
    return o;
  }
};

AccessRules random_rules(FuzzedDataProvider& in) {
  AccessRules r;
  unsigned a = kSizes[in.ConsumeIntegralInRange<unsigned>(0, 3)];
  unsigned b = kSizes[in.ConsumeIntegralInRange<unsigned>(0, 3)];
  r.min_access_size = std::min(a, b);
  r.max_access_size = std::max(a, b);
  r.unaligned = in.ConsumeBool();
  return r;
}

struct Model {
  std::vector<MemoryRegion*> rams;           ///< RAM and ROM regions
  std::vector<std::vector<uint8_t>> shadow;  ///< expected contents, per entry of rams

  int index_of(const MemoryRegion* mr) const {
    for (size_t i = 0; i < rams.size(); ++i) {
      if (rams[i] == mr) return static_cast<int>(i);
    }
    return -1;
  }
};

void check_flat_view(const AddressSpace& as) {
  const auto& ranges = as.flat_view().ranges();
  for (size_t i = 0; i < ranges.size(); ++i) {
    const FlatRange& r = ranges[i];
    check(r.size > 0, "flat range not empty");
    check(r.mr != nullptr, "flat range has a region");
    check(r.mr->kind() != RegionKind::Container && r.mr->kind() != RegionKind::Alias,
          "flat ranges are leaves");
    check(static_cast<unsigned __int128>(r.offset_in_region) + r.size <= r.mr->size128(),
          "flat range inside its region");
    if (i > 0) {
      check(static_cast<unsigned __int128>(ranges[i - 1].start) + ranges[i - 1].size <= r.start,
            "flat view sorted and non-overlapping");
    }
    check(as.flat_view().lookup(r.start) == &r && as.flat_view().lookup(r.last()) == &r,
          "lookup finds the range at both ends");
  }
}

/// Where each byte of [addr, addr+len) lands: the RAM index and offset, or -1 (anything else).
/// Returns whether every byte is plain RAM or ROM.
bool resolve(const AddressSpace& as, const Model& m, uint64_t addr, unsigned len,
             std::vector<std::pair<int, uint64_t>>& where, bool& any_rom) {
  where.clear();
  any_rom = false;
  bool all_memory = true;
  for (unsigned i = 0; i < len; ++i) {
    const FlatRange* r = as.flat_view().lookup(addr + i);
    int idx = r != nullptr ? m.index_of(r->mr) : -1;
    if (idx < 0) {
      all_memory = false;
      where.emplace_back(-1, 0);
      continue;
    }
    if (r->readonly) any_rom = true;
    where.emplace_back(idx, r->offset_in_region + (addr + i - r->start));
  }
  return all_memory;
}

/// Every RAM byte equals the shadow except those in `touched` (which are then re-synced).
void check_ram(Model& m, const std::vector<std::pair<int, uint64_t>>& touched) {
  for (const auto& [idx, off] : touched) {
    if (idx >= 0) m.shadow[idx][off] = m.rams[idx]->ram_ptr()[off];
  }
  for (size_t i = 0; i < m.rams.size(); ++i) {
    check(std::memcmp(m.rams[i]->ram_ptr(), m.shadow[i].data(), m.shadow[i].size()) == 0,
          "RAM changed only where accessed");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);

  MemoryRegion root, sub, ram0, ram1, rom, dev_mr[3], alias0, alias1;
  Device dev[3];
  root.init_container("root", MemoryRegion::kWholeSpace);
  sub.init_container("sub", 0x10000);
  ram0.init_ram("ram0", in.ConsumeIntegralInRange<uint64_t>(1, 0x4000));
  ram1.init_ram("ram1", in.ConsumeIntegralInRange<uint64_t>(1, 0x1000));
  rom.init_rom("rom", in.ConsumeIntegralInRange<uint64_t>(1, 0x1000));
  for (size_t i = 0; i < rom.size(); ++i) rom.ram_ptr()[i] = static_cast<uint8_t>(i * 7);
  AddressSpace as("fuzz", &root);
  for (int i = 0; i < 3; ++i) {
    AccessRules valid = random_rules(in);
    AccessRules impl = random_rules(in);
    dev_mr[i].init_io("dev", in.ConsumeIntegralInRange<uint64_t>(1, 64), dev[i].ops(valid, impl));
  }
  dev[0].dma_as = &as;
  alias0.init_alias("alias0", &ram0, in.ConsumeIntegralInRange<uint64_t>(0, 0x4000),
                    in.ConsumeIntegralInRange<uint64_t>(1, 0x4000));
  alias1.init_alias("alias1", &sub, in.ConsumeIntegralInRange<uint64_t>(0, 0x10000),
                    in.ConsumeIntegralInRange<uint64_t>(1, 0x10000));

  // Everything lives in the first 64 KiB (plus the sub-container's window), so that random
  // addresses hit something often.
  // Half of the addresses are near the start of some region (wherever it is mapped now), so
  // that accesses find devices, edges and overlaps far more often than uniform ones would.
  MemoryRegion* const landmarks[] = {&ram0,      &ram1,   &rom,    &dev_mr[0], &dev_mr[1],
                                     &dev_mr[2], &alias0, &alias1, &sub};
  auto addr = [&] {
    if (in.ConsumeBool()) return in.ConsumeIntegralInRange<uint64_t>(0, 0x1ffff);
    const MemoryRegion* mr =
        landmarks[in.ConsumeIntegralInRange<size_t>(0, std::size(landmarks) - 1)];
    uint64_t base = mr->addr();
    if (mr->container() == &sub) base += sub.addr();
    return base + in.ConsumeIntegralInRange<uint64_t>(0, 72) - 8;
  };
  auto prio = [&in] { return in.ConsumeIntegralInRange<int>(-2, 2); };
  {
    MemoryTransaction txn;
    root.add_subregion(addr(), &ram0, prio());
    root.add_subregion(addr(), &rom, prio());
    root.add_subregion(addr(), &sub, prio());
    sub.add_subregion(in.ConsumeIntegralInRange<uint64_t>(0, 0xffff), &ram1, prio());
    sub.add_subregion(in.ConsumeIntegralInRange<uint64_t>(0, 0xffff), &dev_mr[0], prio());
    root.add_subregion(addr(), &dev_mr[1], prio());
    root.add_subregion(addr(), &dev_mr[2], prio());
    root.add_subregion(addr(), &alias0, prio());
    root.add_subregion(addr(), &alias1, prio());
  }
  dev[0].dma_addr = addr();

  Model m;
  m.rams = {&ram0, &ram1, &rom};
  for (MemoryRegion* mr : m.rams) m.shadow.emplace_back(mr->ram_ptr(), mr->ram_ptr() + mr->size());
  MemoryRegion* movable[] = {&ram0, &rom, &sub, &ram1, &dev_mr[1], &alias0, &alias1};

  int open_txns = 0;
  std::vector<std::pair<int, uint64_t>> where;
  // An access that reaches device 0's write handler also DMAs up to 8 bytes to its dma_addr.
  auto plus_dma_target = [&](std::vector<std::pair<int, uint64_t>> touched) {
    std::vector<std::pair<int, uint64_t>> dma;
    bool any_rom = false;
    resolve(as, m, dev[0].dma_addr, 8, dma, any_rom);
    touched.insert(touched.end(), dma.begin(), dma.end());
    return touched;
  };
  while (in.remaining_bytes() > 0) {
    check_flat_view(as);
    const uint8_t op = in.ConsumeIntegralInRange<uint8_t>(0, 9);
    if (op <= 3) {  // load or store
      const bool is_store = op >= 2;
      const unsigned len = kSizes[in.ConsumeIntegralInRange<unsigned>(0, 3)];
      const uint64_t a = addr();
      uint64_t v = in.ConsumeIntegral<uint64_t>();
      bool any_rom = false;
      // Inside an open transaction the view may be stale relative to the tree; the model
      // follows the view, which is what accesses use.
      const bool predictable = resolve(as, m, a, len, where, any_rom);
      if (is_store) {
        const MemTxResult r = as.store(a, len, v);
        if (predictable) {
          check(r == MemTxResult::Ok, "a store to RAM/ROM succeeds");
          for (unsigned i = 0; i < len; ++i) {
            const auto [idx, off] = where[i];
            if (m.rams[idx]->kind() == RegionKind::Ram && !as.flat_view().lookup(a + i)->readonly)
              m.shadow[idx][off] = static_cast<uint8_t>(v >> (8 * i));
          }
          check_ram(m, {});
        } else {
          check_ram(m, plus_dma_target(where));
        }
      } else {
        const MemTxResult r = as.load(a, len, v);
        if (r != MemTxResult::Ok) check(v == 0, "a failed load reads 0");
        if (predictable) {
          check(r == MemTxResult::Ok, "a load from RAM/ROM succeeds");
          uint64_t expect = 0;
          for (unsigned i = 0; i < len; ++i) {
            expect |= uint64_t{m.shadow[where[i].first][where[i].second]} << (8 * i);
          }
          check(v == expect, "a load returns what the model holds");
        }
        check_ram(m, {});
      }
    } else if (op == 4) {  // DMA read or write
      const bool is_write = in.ConsumeBool();
      const unsigned len = in.ConsumeIntegralInRange<unsigned>(1, 64);
      const uint64_t a = addr();
      uint8_t buf[64];
      for (unsigned i = 0; i < len; ++i) buf[i] = in.ConsumeIntegral<uint8_t>();
      bool any_rom = false;
      resolve(as, m, a, len, where, any_rom);
      if (is_write) {
        (void)as.write(a, buf, len);
        check_ram(m, plus_dma_target(where));
      } else {
        (void)as.read(a, buf, len);
        check_ram(m, {});
      }
    } else if (op == 5) {
      MemoryRegion* mr = movable[in.ConsumeIntegralInRange<size_t>(0, std::size(movable) - 1)];
      mr->set_enabled(in.ConsumeBool());
    } else if (op == 6) {
      MemoryRegion* mr = movable[in.ConsumeIntegralInRange<size_t>(0, std::size(movable) - 1)];
      mr->set_address(mr->container() == &sub ? in.ConsumeIntegralInRange<uint64_t>(0, 0xffff)
                                              : addr());
    } else if (op == 7) {
      MemoryRegion* mr = in.ConsumeBool() ? &alias0 : &alias1;
      mr->set_alias_offset(in.ConsumeIntegralInRange<uint64_t>(0, 0x10000));
    } else if (op == 8) {
      if (open_txns < 4 && in.ConsumeBool()) {
        memory_transaction_begin();
        ++open_txns;
      } else if (open_txns > 0) {
        memory_transaction_commit();
        --open_txns;
      }
    } else {  // re-map with a new priority
      MemoryRegion* mr = movable[in.ConsumeIntegralInRange<size_t>(0, std::size(movable) - 1)];
      MemoryRegion* parent = mr->container();
      const uint64_t at = mr->addr();
      parent->del_subregion(mr);
      parent->add_subregion(at, mr, prio());
    }
  }
  while (open_txns-- > 0) memory_transaction_commit();
  check_flat_view(as);

  // Unmap everything before the regions die (their destructors assert otherwise).
  for (MemoryRegion* c : {&sub, &root}) {
    for (MemoryRegion* s : std::vector<MemoryRegion*>(c->subregions())) c->del_subregion(s);
  }
  return 0;
}
