// Tests for the device tree builder and the strict reader: round trips, cross-checks against
// the real dtc, one test per malformation the reader must reject, and a random-mutation run.
#include "engine/board/fdt.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>

#include "tests/support/require.h"

namespace glassvm {
namespace {

uint32_t be32(const std::vector<uint8_t>& b, size_t off) {
  return (uint32_t{b[off]} << 24) | (uint32_t{b[off + 1]} << 16) | (uint32_t{b[off + 2]} << 8) |
         b[off + 3];
}

void put_be32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  b[off] = static_cast<uint8_t>(v >> 24);
  b[off + 1] = static_cast<uint8_t>(v >> 16);
  b[off + 2] = static_cast<uint8_t>(v >> 8);
  b[off + 3] = static_cast<uint8_t>(v);
}

// A tree shaped like QEMU virt's, built by hand with the builder.
std::vector<uint8_t> build_virt_like() {
  FdtBuilder b;
  const uint32_t cpu0 = b.alloc_phandle();
  const uint32_t intc0 = b.alloc_phandle();
  const uint32_t plic = b.alloc_phandle();
  b.add_reserve_entry(0x80000000, 0x80000);
  b.set_boot_cpuid_phys(0);
  b.begin_node("");
  b.prop_u32("#address-cells", 2);
  b.prop_u32("#size-cells", 2);
  b.prop_string("compatible", "riscv-virtio");
  b.prop_string("model", "riscv-virtio,qemu");

  b.begin_node("chosen");
  b.prop_string("bootargs", "console=ttyS0 earlycon");
  b.prop_string("stdout-path", "/soc/serial@10000000");
  b.end_node();

  b.begin_node("memory@80000000");
  b.prop_string("device_type", "memory");
  b.prop_cells("reg", {0, 0x80000000, 0, 0x8000000});
  b.end_node();

  b.begin_node("cpus");
  b.prop_u32("#address-cells", 1);
  b.prop_u32("#size-cells", 0);
  b.prop_u32("timebase-frequency", 10000000);
  b.begin_node("cpu@0");
  b.prop_u32("phandle", cpu0);
  b.prop_string("device_type", "cpu");
  b.prop_u32("reg", 0);
  b.prop_string("status", "okay");
  b.prop_string("compatible", "riscv");
  b.prop_string("riscv,isa", "rv64imafdc_zicsr_zifencei");
  b.prop_string("mmu-type", "riscv,sv39");
  b.begin_node("interrupt-controller");
  b.prop_u32("#interrupt-cells", 1);
  b.prop_empty("interrupt-controller");
  b.prop_string("compatible", "riscv,cpu-intc");
  b.prop_u32("phandle", intc0);
  b.end_node();
  b.end_node();
  b.end_node();

  b.begin_node("soc");
  b.prop_u32("#address-cells", 2);
  b.prop_u32("#size-cells", 2);
  b.prop_string("compatible", "simple-bus");
  b.prop_empty("ranges");
  b.begin_node("serial@10000000");
  b.prop_u32("interrupts", 10);
  b.prop_u32("interrupt-parent", plic);
  b.prop_u32("clock-frequency", 0x384000);
  b.prop_cells("reg", {0, 0x10000000, 0, 0x100});
  b.prop_string("compatible", "ns16550a");
  b.end_node();
  b.begin_node("plic@c000000");
  b.prop_u32("phandle", plic);
  b.prop_u32("riscv,ndev", 0x5f);
  b.prop_cells("reg", {0, 0xc000000, 0, 0x600000});
  b.prop_cells("interrupts-extended", {intc0, 11, intc0, 9});
  b.prop_empty("interrupt-controller");
  b.prop_strings("compatible", {"sifive,plic-1.0.0", "riscv,plic0"});
  b.prop_u32("#address-cells", 0);
  b.prop_u32("#interrupt-cells", 1);
  b.end_node();
  b.begin_node("clint@2000000");
  std::vector<uint32_t> clint_irqs{intc0, 3, intc0, 7};
  b.prop_cells("interrupts-extended", clint_irqs);
  b.prop_cells("reg", {0, 0x2000000, 0, 0x10000});
  b.prop_strings("compatible", {"sifive,clint0", "riscv,clint0"});
  b.end_node();
  b.end_node();

  b.end_node();
  return b.finish();
}

// ---------------------------------------------------------------------------------------------
// Builder output format
// ---------------------------------------------------------------------------------------------

TEST(FdtBuilder, HeaderAndLayout) {
  std::vector<uint8_t> blob = build_virt_like();
  ASSERT_GE(blob.size(), 40u);
  EXPECT_EQ(be32(blob, 0), 0xd00dfeedu);
  EXPECT_EQ(be32(blob, 4), blob.size());  // totalsize
  const uint32_t off_struct = be32(blob, 8), off_strings = be32(blob, 12);
  const uint32_t off_rsv = be32(blob, 16);
  EXPECT_EQ(be32(blob, 20), 17u);  // version
  EXPECT_EQ(be32(blob, 24), 16u);  // last_comp_version
  EXPECT_EQ(be32(blob, 28), 0u);   // boot_cpuid_phys
  const uint32_t size_strings = be32(blob, 32), size_struct = be32(blob, 36);
  EXPECT_EQ(off_rsv % 8, 0u);
  EXPECT_GE(off_rsv, 40u);
  EXPECT_EQ(off_struct % 4, 0u);
  // One reservation entry plus the terminator precede the struct block.
  EXPECT_EQ(off_struct, off_rsv + 32);
  EXPECT_EQ(be32(blob, off_rsv + 4), 0x80000000u);
  EXPECT_EQ(be32(blob, off_rsv + 12), 0x80000u);
  EXPECT_EQ(off_strings, off_struct + size_struct);
  EXPECT_EQ(off_strings + size_strings, blob.size());
  // Struct block starts with the root's BEGIN_NODE and ends with FDT_END.
  EXPECT_EQ(be32(blob, off_struct), 1u);
  EXPECT_EQ(be32(blob, off_struct + size_struct - 4), 9u);
  EXPECT_EQ(be32(blob, off_struct + size_struct - 8), 2u);
  // Strings are deduplicated: "compatible" and "reg" appear once each.
  std::string strings(blob.begin() + off_strings, blob.end());
  auto count = [&](const std::string& s) {
    size_t n = 0;
    std::string needle = s + '\0';
    for (size_t p = 0; (p = strings.find(needle, p)) != std::string::npos; ++p) {
      if (p == 0 || strings[p - 1] == '\0') ++n;
    }
    return n;
  };
  EXPECT_EQ(count("compatible"), 1u);
  EXPECT_EQ(count("reg"), 1u);
  EXPECT_EQ(count("phandle"), 1u);
}

TEST(FdtBuilder, PhandlesCountUpFromOne) {
  FdtBuilder b;
  EXPECT_EQ(b.alloc_phandle(), 1u);
  EXPECT_EQ(b.alloc_phandle(), 2u);
  EXPECT_EQ(b.alloc_phandle(), 3u);
}

TEST(FdtBuilder, BootCpuidAndEmptyTree) {
  FdtBuilder b;
  b.set_boot_cpuid_phys(3);
  b.begin_node("");
  EXPECT_EQ(b.depth(), 1u);
  b.end_node();
  EXPECT_EQ(b.depth(), 0u);
  std::vector<uint8_t> blob = b.finish();
  EXPECT_EQ(be32(blob, 28), 3u);
  FdtReader r;
  ASSERT_TRUE(r.parse(blob)) << r.error();
  EXPECT_EQ(r.boot_cpuid_phys(), 3u);
  EXPECT_EQ(r.node_count(), 1u);
  EXPECT_TRUE(r.reserve_entries().empty());
  EXPECT_EQ(r.node_path(FdtReader::kRoot), "/");
}

// Death tests need assertions: they are built where NDEBUG is off (the asan preset).
#ifndef NDEBUG
TEST(FdtBuilderDeathTest, MisuseAsserts) {
  EXPECT_DEATH(
      {
        FdtBuilder b;
        b.end_node();
      },
      "without a matching begin_node");
  EXPECT_DEATH(
      {
        FdtBuilder b;
        b.begin_node("");
        b.begin_node("a");
        (void)b.finish();
      },
      "open node");
  EXPECT_DEATH(
      {
        FdtBuilder b;
        b.prop_u32("x", 1);
      },
      "outside any node");
  EXPECT_DEATH(
      {
        FdtBuilder b;
        b.begin_node("");
        b.begin_node("a");
        b.end_node();
        b.prop_u32("x", 1);
      },
      "precede subnodes");
}

// Regression: the builder used to write two siblings of the same name without a word, a blob
// that FdtReader and dtc then refused ("duplicate node name").
TEST(FdtBuilderDeathTest, DuplicateSiblingNameAsserts) {
  EXPECT_DEATH(
      {
        FdtBuilder b;
        b.begin_node("");
        b.begin_node("serial@10000000");
        b.end_node();
        b.begin_node("serial@10000000");
      },
      "duplicate node name among siblings");
}
#endif

// What the sibling rule still allows: one base name at several unit addresses, and one name
// under different parents.
TEST(FdtBuilder, SameNameUnderOtherParentsOrUnitAddresses) {
  FdtBuilder b;
  b.begin_node("");
  for (const char* name : {"serial@10000000", "serial@10000100", "serial"}) {
    b.begin_node(name);
    b.begin_node("serial");
    b.end_node();
    b.end_node();
  }
  b.end_node();
  FdtReader r;
  ASSERT_TRUE(r.parse(b.finish())) << r.error();
  EXPECT_EQ(r.node_count(), 7u);
  EXPECT_EQ(r.find_node("/serial@10000100/serial"), 4u);
  EXPECT_EQ(r.find_node("/serial"), 1u);  // no unit address: the first serial@..., as libfdt
}

// ---------------------------------------------------------------------------------------------
// Round trip through the reader
// ---------------------------------------------------------------------------------------------

TEST(FdtReader, RoundTripVirtLikeTree) {
  std::vector<uint8_t> blob = build_virt_like();
  FdtReader r;
  ASSERT_TRUE(r.parse(blob)) << r.error();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.error(), "");
  EXPECT_EQ(r.version(), 17u);
  EXPECT_EQ(r.last_comp_version(), 16u);
  ASSERT_EQ(r.reserve_entries().size(), 1u);
  EXPECT_EQ(r.reserve_entries()[0].address, 0x80000000u);
  EXPECT_EQ(r.reserve_entries()[0].size, 0x80000u);
  EXPECT_EQ(r.blob().size(), blob.size());

  const auto root = FdtReader::kRoot;
  EXPECT_EQ(r.prop_u32(root, "#address-cells"), 2u);
  EXPECT_EQ(r.prop_string(root, "model"), "riscv-virtio,qemu");

  std::vector<std::string> top;
  for (auto c : r.children(root)) top.emplace_back(r.node_name(c));
  EXPECT_EQ(top, (std::vector<std::string>{"chosen", "memory@80000000", "cpus", "soc"}));

  auto chosen = r.find_node("/chosen");
  ASSERT_TRUE(chosen);
  EXPECT_EQ(r.prop_string(*chosen, "stdout-path"), "/soc/serial@10000000");
  EXPECT_EQ(r.prop_string(*chosen, "bootargs"), "console=ttyS0 earlycon");

  auto mem = r.find_node("/memory@80000000");
  ASSERT_TRUE(mem);
  EXPECT_EQ(r.prop_cells(*mem, "reg"), (std::vector<uint32_t>{0, 0x80000000, 0, 0x8000000}));
  EXPECT_EQ(r.find_node("/memory"), mem);  // name without unit address matches

  auto cpu = r.find_node("/cpus/cpu@0");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(r.prop_string(*cpu, "riscv,isa"), "rv64imafdc_zicsr_zifencei");
  EXPECT_EQ(r.prop_u32(*cpu, "reg"), 0u);
  auto intc = r.find_node("/cpus/cpu@0/interrupt-controller");
  ASSERT_TRUE(intc);
  EXPECT_EQ(r.parent(*intc), cpu);
  auto empty = r.property(*intc, "interrupt-controller");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());

  auto serial = r.find_node("/soc/serial@10000000");
  ASSERT_TRUE(serial);
  EXPECT_EQ(r.node_path(*serial), "/soc/serial@10000000");
  EXPECT_EQ(r.prop_u32(*serial, "clock-frequency"), 0x384000u);
  EXPECT_EQ(r.prop_u64(*serial, "clock-frequency"), std::nullopt);  // wrong size
  EXPECT_EQ(r.prop_u64(*serial, "reg"), std::nullopt);              // 16 bytes
  EXPECT_EQ(r.prop_string(*serial, "reg"), std::nullopt);

  // Phandles resolve: the serial's interrupt-parent is the PLIC, whose interrupts-extended
  // points at the hart's interrupt controller.
  auto plic = r.find_by_phandle(*r.prop_u32(*serial, "interrupt-parent"));
  ASSERT_TRUE(plic);
  EXPECT_EQ(r.node_path(*plic), "/soc/plic@c000000");
  auto ie = r.prop_cells(*plic, "interrupts-extended");
  ASSERT_TRUE(ie);
  ASSERT_EQ(ie->size(), 4u);
  EXPECT_EQ(r.find_by_phandle((*ie)[0]), intc);
  EXPECT_EQ((*ie)[1], 11u);
  EXPECT_EQ((*ie)[3], 9u);
  EXPECT_EQ(r.prop_strings(*plic, "compatible"),
            (std::vector<std::string_view>{"sifive,plic-1.0.0", "riscv,plic0"}));
  EXPECT_EQ(r.prop_string(*plic, "compatible"), std::nullopt);  // it is a list

  auto clint = r.find_node("/soc/clint");
  ASSERT_TRUE(clint);
  EXPECT_EQ(
      r.prop_cells(*clint, "interrupts-extended"),
      (std::vector<uint32_t>{*r.prop_u32(*intc, "phandle"), 3, *r.prop_u32(*intc, "phandle"), 7}));

  EXPECT_EQ(r.find_node("/soc/nothing"), std::nullopt);
  EXPECT_EQ(r.find_node("soc"), std::nullopt);  // relative
  EXPECT_EQ(r.find_node(""), std::nullopt);
  EXPECT_EQ(r.find_node("/"), root);
  EXPECT_EQ(r.find_node("//soc//serial@10000000/"), serial);
  EXPECT_EQ(r.find_by_phandle(0), std::nullopt);
  EXPECT_EQ(r.find_by_phandle(99), std::nullopt);
}

TEST(FdtReader, NodesAreInDocumentOrderForIteration) {
  std::vector<uint8_t> blob = build_virt_like();
  FdtReader r;
  ASSERT_TRUE(r.parse(blob)) << r.error();
  std::vector<std::string> paths;
  for (FdtReader::NodeId n = 0; n < r.node_count(); ++n) paths.push_back(r.node_path(n));
  EXPECT_EQ(paths, (std::vector<std::string>{"/", "/chosen", "/memory@80000000", "/cpus",
                                             "/cpus/cpu@0", "/cpus/cpu@0/interrupt-controller",
                                             "/soc", "/soc/serial@10000000", "/soc/plic@c000000",
                                             "/soc/clint@2000000"}));
  auto props = r.properties(*r.find_node("/soc/serial@10000000"));
  ASSERT_EQ(props.size(), 5u);
  EXPECT_EQ(props[0].name, "interrupts");
  EXPECT_EQ(props[4].name, "compatible");
  EXPECT_EQ(props[4].value.size(), 9u);  // "ns16550a\0"

  std::string dts = r.to_dts();
  EXPECT_NE(dts.find("/memreserve/ 0x80000000 0x80000;"), std::string::npos) << dts;
  EXPECT_NE(dts.find("serial@10000000 {"), std::string::npos) << dts;
  EXPECT_NE(dts.find("compatible = \"sifive,plic-1.0.0\", \"riscv,plic0\";"), std::string::npos)
      << dts;
  EXPECT_NE(dts.find("interrupts-extended = <0x2 0xb 0x2 0x9>;"), std::string::npos) << dts;
  EXPECT_NE(dts.find("\t\tinterrupt-controller;"), std::string::npos) << dts;
}

TEST(FdtReader, AcceptsNopsAndTrailingBytes) {
  // Hand-assembled: NOP, root { NOP, prop, NOP }, NOP, END — plus garbage after totalsize.
  FdtBuilder b;
  b.begin_node("");
  b.prop_u32("a", 7);
  b.end_node();
  std::vector<uint8_t> blob = b.finish();
  FdtReader r;
  ASSERT_TRUE(r.parse(blob)) << r.error();
  blob.push_back(0xee);
  ASSERT_TRUE(r.parse(blob)) << r.error();
  EXPECT_EQ(r.blob().size(), blob.size() - 1);
  EXPECT_EQ(r.prop_u32(FdtReader::kRoot, "a"), 7u);
}

TEST(FdtReader, FailedParseClearsPreviousTree) {
  FdtReader r;
  ASSERT_TRUE(r.parse(build_virt_like()));
  std::vector<uint8_t> junk(64, 0);
  EXPECT_FALSE(r.parse(junk));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.node_count(), 0u);
  EXPECT_EQ(r.find_node("/soc"), std::nullopt);
  EXPECT_EQ(r.to_dts(), "");
}

// ---------------------------------------------------------------------------------------------
// Malformations: a small assembler for raw blobs
// ---------------------------------------------------------------------------------------------

struct RawFdt {
  std::vector<uint8_t> st;  // struct block
  std::string strings;
  std::vector<uint64_t> rsv = {0, 0};  // reservation map words (terminator included)

  RawFdt& tok(uint32_t t) {
    size_t o = st.size();
    st.resize(o + 4);
    put_be32(st, o, t);
    return *this;
  }
  RawFdt& begin(const std::string& name) {
    tok(kFdtBeginNode);
    st.insert(st.end(), name.begin(), name.end());
    st.push_back(0);
    while (st.size() % 4) st.push_back(0);
    return *this;
  }
  RawFdt& end() { return tok(kFdtEndNode); }
  RawFdt& prop(uint32_t nameoff, std::vector<uint8_t> value,
               std::optional<uint32_t> len_override = std::nullopt) {
    tok(kFdtProp);
    tok(len_override.value_or(static_cast<uint32_t>(value.size())));
    tok(nameoff);
    st.insert(st.end(), value.begin(), value.end());
    while (st.size() % 4) st.push_back(0);
    return *this;
  }
  std::vector<uint8_t> build() const {
    const uint32_t off_rsv = 40, off_struct = off_rsv + static_cast<uint32_t>(rsv.size() * 8);
    const uint32_t off_strings = off_struct + static_cast<uint32_t>(st.size());
    std::vector<uint8_t> b(off_strings + strings.size(), 0);
    put_be32(b, 0, kFdtMagic);
    put_be32(b, 4, static_cast<uint32_t>(b.size()));
    put_be32(b, 8, off_struct);
    put_be32(b, 12, off_strings);
    put_be32(b, 16, off_rsv);
    put_be32(b, 20, 17);
    put_be32(b, 24, 16);
    put_be32(b, 32, static_cast<uint32_t>(strings.size()));
    put_be32(b, 36, static_cast<uint32_t>(st.size()));
    for (size_t i = 0; i < rsv.size(); ++i) {
      put_be32(b, off_rsv + i * 8, static_cast<uint32_t>(rsv[i] >> 32));
      put_be32(b, off_rsv + i * 8 + 4, static_cast<uint32_t>(rsv[i]));
    }
    std::copy(st.begin(), st.end(), b.begin() + off_struct);
    std::copy(strings.begin(), strings.end(), b.begin() + off_strings);
    return b;
  }
};

RawFdt minimal() {
  RawFdt f;
  f.strings = std::string("model\0reg\0", 10);
  f.begin("").prop(0, {'x', 0}).begin("a").prop(6, {0, 0, 0, 1}).end().end().tok(kFdtEnd);
  return f;
}

void expect_reject(const std::vector<uint8_t>& blob, const std::string& why) {
  FdtReader r;
  EXPECT_FALSE(r.parse(blob)) << "expected rejection: " << why;
  EXPECT_NE(r.error().find(why), std::string::npos) << "error was: " << r.error();
  EXPECT_EQ(r.node_count(), 0u);
}

TEST(FdtReaderReject, AssemblerBaselineIsValid) {
  FdtReader r;
  ASSERT_TRUE(r.parse(minimal().build())) << r.error();
  EXPECT_EQ(r.prop_string(FdtReader::kRoot, "model"), "x");
  EXPECT_EQ(r.prop_u32(*r.find_node("/a"), "reg"), 1u);
}

TEST(FdtReaderReject, HeaderProblems) {
  const std::vector<uint8_t> good = minimal().build();
  expect_reject(std::vector<uint8_t>(good.begin(), good.begin() + 39), "shorter than the");
  expect_reject({}, "shorter than the");

  auto patched = [&](size_t off, uint32_t v) {
    std::vector<uint8_t> b = good;
    put_be32(b, off, v);
    return b;
  };
  expect_reject(patched(0, 0xedfe0dd0), "bad magic");
  expect_reject(patched(4, static_cast<uint32_t>(good.size() + 1)), "totalsize");
  expect_reject(patched(4, 39), "totalsize");
  expect_reject(patched(20, 16), "version 16");
  expect_reject(patched(24, 18), "last_comp_version 18");
  expect_reject(patched(16, 44), "not 8-byte aligned");
  expect_reject(patched(16, 0), "off_mem_rsvmap");
  expect_reject(patched(16, static_cast<uint32_t>(good.size())), "off_mem_rsvmap");
  expect_reject(patched(8, be32(good, 8) + 2), "off_dt_struct");
  expect_reject(patched(36, 0xfffffff0), "struct block");
  expect_reject(patched(8, 0xfffffffc), "struct block");  // offset + size would wrap 32 bits
  expect_reject(patched(32, 0x10000), "strings block");
  expect_reject(patched(12, 0xffffffff), "strings block");
  expect_reject(patched(8, 0), "struct block");  // inside the header
  // Struct block start moved back onto the reservation map.
  expect_reject(patched(8, 40), "overlaps");
}

TEST(FdtReaderReject, ReservationMapWithoutTerminator) {
  RawFdt f = minimal();
  std::vector<uint8_t> b = f.build();
  // Make every 16-byte slot from the map to the end of the blob non-zero by pointing the map
  // near the end: the last 8 bytes cannot hold a full entry.
  put_be32(b, 16, static_cast<uint32_t>((b.size() - 8) & ~7u));
  expect_reject(b, "no terminator");
  // A terminator-less map that runs into the struct block is reported too.
  RawFdt g = minimal();
  g.rsv = {0x1000, 0x10};  // one entry, no terminator: the struct block follows
  expect_reject(g.build(), "");
}

TEST(FdtReaderReject, StructTokenProblems) {
  {
    RawFdt f;  // struct block ends right after the root closes
    f.begin("").end();
    expect_reject(f.build(), "without FDT_END");
  }
  {
    RawFdt f;
    f.begin("").tok(kFdtEnd);
    expect_reject(f.build(), "open node");
  }
  {
    RawFdt f;
    f.end().tok(kFdtEnd);
    expect_reject(f.build(), "without a matching FDT_BEGIN_NODE");
  }
  {
    RawFdt f;
    f.tok(kFdtEnd);
    expect_reject(f.build(), "no root node");
  }
  {
    RawFdt f;
    f.begin("").end().begin("").end().tok(kFdtEnd);
    expect_reject(f.build(), "second root");
  }
  {
    RawFdt f;
    f.begin("").tok(5).end().tok(kFdtEnd);
    expect_reject(f.build(), "bad token 0x5");
  }
  {
    RawFdt f;
    f.begin("").end().tok(0x9000000);  // byte-swapped FDT_END
    expect_reject(f.build(), "bad token");
  }
  {
    RawFdt f;
    f.begin("root").end().tok(kFdtEnd);
    expect_reject(f.build(), "root node has a non-empty name");
  }
  {
    RawFdt f;
    f.begin("").begin("").end().end().tok(kFdtEnd);
    expect_reject(f.build(), "empty node name");
  }
  {
    RawFdt f;
    f.begin("").begin("a/b").end().end().tok(kFdtEnd);
    expect_reject(f.build(), "invalid node name");
  }
  {
    RawFdt f;
    f.begin("").begin("a").end().begin("a").end().end().tok(kFdtEnd);
    expect_reject(f.build(), "duplicate node name 'a'");
  }
  {
    RawFdt f;  // node name runs to the end of the struct block without a NUL
    f.begin("").tok(kFdtBeginNode);
    f.st.insert(f.st.end(), {'a', 'b', 'c', 'd'});
    expect_reject(f.build(), "unterminated node name");
  }
}

TEST(FdtReaderReject, PropertyProblems) {
  {
    RawFdt f;
    f.strings = std::string("a\0", 2);
    f.prop(0, {1, 2, 3, 4}).begin("").end().tok(kFdtEnd);
    expect_reject(f.build(), "property outside any node");
  }
  {
    RawFdt f;
    f.strings = std::string("a\0", 2);
    f.begin("").prop(0, {0, 0, 0, 1}, 0xffffffff).end().tok(kFdtEnd);
    expect_reject(f.build(), "runs past the struct block");
  }
  {
    RawFdt f;
    f.strings = std::string("a\0", 2);
    f.begin("").prop(0, {0, 0, 0, 1}, 64).end().tok(kFdtEnd);
    expect_reject(f.build(), "runs past the struct block");
  }
  {
    RawFdt f;  // PROP token with only the length word left in the block
    f.begin("").tok(kFdtProp).tok(4);
    expect_reject(f.build(), "truncated property header");
  }
  {
    RawFdt f;
    f.strings = std::string("a\0", 2);
    f.begin("").prop(2, {}).end().tok(kFdtEnd);
    expect_reject(f.build(), "past the strings block");
  }
  {
    RawFdt f;
    f.strings = "abc";  // no NUL anywhere
    f.begin("").prop(0, {}).end().tok(kFdtEnd);
    expect_reject(f.build(), "unterminated property name");
  }
  {
    RawFdt f;
    f.strings = std::string("\0", 1);
    f.begin("").prop(0, {}).end().tok(kFdtEnd);
    expect_reject(f.build(), "invalid property name");
  }
  {
    RawFdt f;
    f.strings = std::string("a\0", 2);
    f.begin("").prop(0, {}).prop(0, {}).end().tok(kFdtEnd);
    expect_reject(f.build(), "duplicate property 'a'");
  }
  {
    RawFdt f;
    f.strings = std::string("a\0", 2);
    f.begin("").begin("n").end().prop(0, {}).end().tok(kFdtEnd);
    expect_reject(f.build(), "after a subnode");
  }
}

TEST(FdtReaderReject, NestingDepthLimit) {
  auto nested = [](unsigned depth) {
    RawFdt f;
    f.begin("");
    for (unsigned i = 1; i < depth; ++i) f.begin("n");
    for (unsigned i = 0; i < depth; ++i) f.end();
    f.tok(kFdtEnd);
    return f.build();
  };
  FdtReader r;
  EXPECT_TRUE(r.parse(nested(kFdtMaxDepth))) << r.error();
  EXPECT_EQ(r.node_count(), kFdtMaxDepth);
  expect_reject(nested(kFdtMaxDepth + 1), "nested deeper than 64");
  expect_reject(nested(10000), "nested deeper than 64");
}

// ---------------------------------------------------------------------------------------------
// Random mutation: the reader never crashes, and still rejects or accepts consistently
// ---------------------------------------------------------------------------------------------

void exercise(const FdtReader& r) {
  size_t sink = r.to_dts().size();
  for (FdtReader::NodeId n = 0; n < r.node_count(); ++n) {
    std::string path = r.node_path(n);
    auto found = r.find_node(path);
    sink += found.has_value();
    for (const FdtProperty& p : r.properties(n)) {
      sink += p.value.size();
      sink += r.prop_strings(n, p.name).has_value();
      sink += r.prop_cells(n, p.name).has_value();
      sink += r.prop_u64(n, p.name).value_or(0) & 1;
    }
    sink += r.find_by_phandle(r.prop_u32(n, "phandle").value_or(0)).has_value();
  }
  EXPECT_GT(sink, 0u);
}

TEST(FdtReaderFuzz, RandomMutationsNeverCrash) {
  const std::vector<uint8_t> good = build_virt_like();
  std::mt19937 rng(12345);
  const uint8_t interesting[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x09, 0x7f, 0x80, 0xff, '/', '@'};
  size_t accepted = 0, rejected = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> b = good;
    const int kind = rng() % 8;
    if (kind == 0) {
      b.resize(rng() % b.size());  // truncate
    } else if (kind == 1) {
      put_be32(b, (rng() % (b.size() / 4)) * 4, rng());  // random aligned word
    } else {
      const int flips = 1 + rng() % 4;
      for (int i = 0; i < flips; ++i) {
        size_t at = rng() % b.size();
        b[at] = (rng() & 1) ? interesting[rng() % sizeof interesting] : static_cast<uint8_t>(rng());
      }
    }
    FdtReader r;
    if (r.parse(b)) {
      ++accepted;
      exercise(r);
    } else {
      ++rejected;
      EXPECT_FALSE(r.error().empty());
    }
  }
  // Both outcomes must occur, or the mutation run is not testing anything.
  EXPECT_GT(accepted, 100u);
  EXPECT_GT(rejected, 100u);
}

// ---------------------------------------------------------------------------------------------
// Cross-check with the real dtc (skipped when dtc is not installed, failed under CI)
// ---------------------------------------------------------------------------------------------

bool have_dtc() {
  return test::have_tool("dtc");
}

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "glassvm_fdt_" + std::to_string(getpid()) + "_" + name;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(FdtDtc, DtcDecompilesOurBlob) {
  GLASSVM_REQUIRE(have_dtc(), "dtc not on PATH (apt-get install device-tree-compiler)");
  const std::vector<uint8_t> blob = build_virt_like();
  const std::string in = temp_path("virt.dtb"), out = temp_path("virt.dts");
  {
    std::ofstream f(in, std::ios::binary);
    f.write(reinterpret_cast<const char*>(blob.data()), static_cast<std::streamsize>(blob.size()));
  }
  const std::string cmd = "dtc -q -I dtb -O dts -o '" + out + "' '" + in + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::string dts = read_file(out);
  std::remove(in.c_str());
  std::remove(out.c_str());
  for (const char* expected :
       {"/memreserve/", "chosen {", "stdout-path = \"/soc/serial@10000000\";", "memory@80000000 {",
        "cpu@0 {", "riscv,isa = \"rv64imafdc_zicsr_zifencei\";", "interrupt-controller {",
        "serial@10000000 {", "plic@c000000 {", "clint@2000000 {",
        "compatible = \"sifive,plic-1.0.0\\0riscv,plic0\";",
        "interrupts-extended = <0x02 0x0b 0x02 0x09>;"}) {
    EXPECT_NE(dts.find(expected), std::string::npos) << "missing: " << expected << "\n" << dts;
  }
}

TEST(FdtDtc, ReadsBlobCompiledByDtc) {
  GLASSVM_REQUIRE(have_dtc(), "dtc not on PATH (apt-get install device-tree-compiler)");
  const std::string src = temp_path("user.dts"), out = temp_path("user.dtb");
  {
    std::ofstream f(src);
    f << "/dts-v1/;\n/memreserve/ 0x87000000 0x1000;\n/ {\n  #address-cells = <2>;\n"
         "  #size-cells = <2>;\n  model = \"user\";\n"
         "  cpus { #address-cells = <1>; #size-cells = <0>;\n"
         "    cpu0: cpu@0 { reg = <0>; compatible = \"riscv\"; big = /bits/ 64 <0x123456789>; };\n"
         "  };\n"
         "  soc { uart@10000000 { reg = <0 0x10000000 0 0x100>; interrupt-parent = <&cpu0>;"
         " bytes = [01 02 03]; }; };\n};\n";
  }
  const std::string cmd = "dtc -q -I dts -O dtb -o '" + out + "' '" + src + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const std::string bytes = read_file(out);
  std::remove(src.c_str());
  std::remove(out.c_str());
  FdtReader r;
  ASSERT_TRUE(r.parse({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()})) << r.error();
  ASSERT_EQ(r.reserve_entries().size(), 1u);
  EXPECT_EQ(r.reserve_entries()[0].address, 0x87000000u);
  EXPECT_EQ(r.prop_string(FdtReader::kRoot, "model"), "user");
  auto cpu = r.find_node("/cpus/cpu@0");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(r.prop_u64(*cpu, "big"), 0x123456789u);
  auto uart = r.find_node("/soc/uart@10000000");
  ASSERT_TRUE(uart);
  EXPECT_EQ(r.find_by_phandle(*r.prop_u32(*uart, "interrupt-parent")), cpu);
  auto raw = r.property(*uart, "bytes");
  ASSERT_TRUE(raw);
  EXPECT_EQ(std::vector<uint8_t>(raw->begin(), raw->end()), (std::vector<uint8_t>{1, 2, 3}));
}

}  // namespace
}  // namespace glassvm
