// The Memory Map view model against a real virt machine and hand-built region trees.
#include "ui/memory_map_view.h"

#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <sstream>

#include "engine/board/machine.h"
#include "tests/support/test_host.h"
#include "tests/ui/guest_files.h"

namespace glassvm::ui {
namespace {

std::unique_ptr<Machine> make_machine(Host& host) {
  std::string error;
  auto m = Machine::create(MachineConfig{}, host, error);
  EXPECT_TRUE(m) << error;
  // demo.elf has an HTIF tohost symbol: its MMIO windows split RAM in the flat view.
  const std::vector<uint8_t> demo = testing::read_guest("demo.elf");
  EXPECT_FALSE(demo.empty());
  EXPECT_TRUE(m->load_kernel(demo, "demo.elf", error)) << error;
  return m;
}

/// The lines of the first "FlatView" block of an `info mtree -f` text.
std::vector<std::string> flatview_lines(const std::string& mtree) {
  std::vector<std::string> out;
  std::istringstream in(mtree);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("FlatView #0", 0) == 0)
      inside = true;
    else if (inside && line.empty())
      break;
    else if (inside && line.rfind("  ", 0) == 0)
      out.push_back(line);
  }
  return out;
}

std::string format_flat(const FlatRow& r) {
  char buf[256];
  if (r.offset_in_region)
    std::snprintf(buf, sizeof buf, "  %016" PRIx64 "-%016" PRIx64 " (prio %d, %s): %s @%016" PRIx64,
                  r.start, r.last, r.priority, r.kind.c_str(), r.name.c_str(), r.offset_in_region);
  else
    std::snprintf(buf, sizeof buf, "  %016" PRIx64 "-%016" PRIx64 " (prio %d, %s): %s", r.start,
                  r.last, r.priority, r.kind.c_str(), r.name.c_str());
  return buf;
}

TEST(MemoryMapView, FlatRowsAreTheLinesOfInfoMtree) {
  testing::TestHost host;
  auto m = make_machine(host);
  const std::vector<FlatRow> rows = flat_rows(m->cpu_as());
  const std::vector<std::string> lines = flatview_lines(m->info_mtree(true));
  ASSERT_EQ(rows.size(), lines.size());
  ASSERT_GE(rows.size(), 8u);
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(format_flat(rows[i]), lines[i]) << i;
}

TEST(MemoryMapView, RegionTreeRowsAreTheLinesOfInfoMtree) {
  testing::TestHost host;
  auto m = make_machine(host);
  const std::vector<RegionRow> rows = region_rows(m->system_as().root());
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].depth, 0u);
  EXPECT_EQ(rows[0].name, "system");
  EXPECT_EQ(rows[0].last, UINT64_MAX);
  EXPECT_TRUE(rows[0].has_children);
  // Every row appears in the tree text with its indentation.
  const std::string text = m->info_mtree(false);
  for (const RegionRow& r : rows) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%*s%016" PRIx64 "-%016" PRIx64 " (prio %d, %s): %s\n",
                  static_cast<int>(2 + 2 * r.depth), "", r.start, r.last, r.priority,
                  r.kind.c_str(), r.name.c_str());
    EXPECT_NE(text.find(buf), std::string::npos) << buf;
  }
  bool found_serial = false;
  for (const RegionRow& r : rows) {
    if (r.name != "serial") continue;
    found_serial = true;
    EXPECT_EQ(r.depth, 1u);
    EXPECT_EQ(r.start, 0x10000000u);
    EXPECT_EQ(r.last, 0x10000007u);
    EXPECT_EQ(r.kind, "i/o");
  }
  EXPECT_TRUE(found_serial);
  EXPECT_TRUE(region_rows(nullptr).empty());
}

TEST(MemoryMapView, AliasesNestedContainersAndDisabledRegions) {
  MemoryRegion root, ram, sub, alias, hidden;
  root.init_container("root", 0x100000);
  ram.init_ram("ram", 0x1000);
  sub.init_container("sub", 0x10000);
  alias.init_alias("win", &ram, 0x800, 0x100);
  hidden.init_ram("hidden", 0x1000);
  root.add_subregion(0x20000, &sub);
  sub.add_subregion(0x1000, &ram);
  root.add_subregion(0x5000, &alias, 2);
  root.add_subregion(0x9000, &hidden);
  hidden.set_enabled(false);
  AddressSpace as("test", &root);

  const std::vector<RegionRow> rows = region_rows(&root);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[1].name, "win");  // sorted by address
  EXPECT_TRUE(rows[1].is_alias);
  EXPECT_EQ(rows[1].alias_target, "ram");
  EXPECT_EQ(rows[1].alias_offset, 0x800u);
  EXPECT_EQ(rows[1].kind, "ram");  // an alias reports its target's kind
  EXPECT_EQ(rows[1].priority, 2);
  EXPECT_EQ(rows[2].name, "hidden");
  EXPECT_FALSE(rows[2].enabled);
  EXPECT_EQ(rows[3].name, "sub");
  EXPECT_EQ(rows[4].name, "ram");
  EXPECT_EQ(rows[4].depth, 2u);
  EXPECT_EQ(rows[4].start, 0x21000u);  // container base added
  EXPECT_EQ(rows[4].last, 0x21fffu);

  const std::vector<FlatRow> flat = flat_rows(as);
  ASSERT_EQ(flat.size(), 2u);
  EXPECT_EQ(flat[0].start, 0x5000u);
  EXPECT_EQ(flat[0].name, "ram");
  EXPECT_EQ(flat[0].offset_in_region, 0x800u);
  EXPECT_EQ(flat[1].start, 0x21000u);

  root.del_subregion(&sub);
  root.del_subregion(&alias);
  root.del_subregion(&hidden);
  sub.del_subregion(&ram);
}

TEST(MemoryMapView, JsonHasOneObjectPerRangeWithHexStrings) {
  testing::TestHost host;
  auto m = make_machine(host);
  const std::string json = flat_rows_json(flat_rows(m->cpu_as()));
  EXPECT_EQ(json.front(), '[');
  EXPECT_EQ(json.back(), ']');
  EXPECT_NE(json.find("{\"start\":\"0x0000000010000000\",\"end\":\"0x0000000010000007\","
                      "\"name\":\"serial\",\"kind\":\"i/o\",\"priority\":0}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"kind\":\"rom\""), std::string::npos);
  EXPECT_NE(json.find("\"name\":\"htif.tohost\",\"kind\":\"i/o\",\"priority\":1"),
            std::string::npos);
  size_t objects = 0;
  for (char c : json) objects += c == '{';
  EXPECT_EQ(objects, m->cpu_as().flat_view().ranges().size());

  FlatRow odd;
  odd.name = "a\"b\\c\n";
  odd.kind = "ram";
  EXPECT_EQ(flat_rows_json({odd}),
            "[{\"start\":\"0x0000000000000000\",\"end\":\"0x0000000000000000\",\"name\":"
            "\"a\\\"b\\\\c\\u000a\",\"kind\":\"ram\",\"priority\":0}]");
  EXPECT_EQ(flat_rows_json({}), "[]");
}

TEST(MemoryMapView, AddressBarKeepsTinyRegionsVisibleAndCoversTheWidth) {
  testing::TestHost host;
  auto m = make_machine(host);
  const std::vector<FlatRow> rows = flat_rows(m->cpu_as());
  const double width = 800;
  const AddressBar bar(rows, width);
  const auto& segs = bar.segments();
  ASSERT_FALSE(segs.empty());
  EXPECT_DOUBLE_EQ(segs.front().x0, 0);
  EXPECT_DOUBLE_EQ(segs.back().x1, width);
  std::vector<int> seen(rows.size(), 0);
  double serial_w = 0, ram_w = 0;
  for (size_t i = 0; i < segs.size(); ++i) {
    EXPECT_LT(segs[i].x0, segs[i].x1);
    if (i) {
      EXPECT_DOUBLE_EQ(segs[i - 1].x1, segs[i].x0);
    }
    if (i) {
      EXPECT_GT(segs[i].start, segs[i - 1].last);
    }  // address order
    if (segs[i].hole) {
      EXPECT_EQ(segs[i].row, -1);
      continue;
    }
    ++seen[static_cast<size_t>(segs[i].row)];
    const FlatRow& r = rows[static_cast<size_t>(segs[i].row)];
    if (r.name == "serial") serial_w = segs[i].x1 - segs[i].x0;
    if (r.name == "riscv_virt_board.ram" && r.start == 0x80002048) ram_w = segs[i].x1 - segs[i].x0;
  }
  for (int n : seen) EXPECT_EQ(n, 1);
  EXPECT_GE(serial_w, 8.0) << "an 8-byte MMIO window must stay visible";
  EXPECT_GT(ram_w, serial_w);
  EXPECT_LT(ram_w, width / 3);
  // A hole between the boot ROM's end and the test device.
  bool hole_found = false;
  for (const BarSegment& s : segs) hole_found |= s.hole && s.start == 0x10000 && s.last == 0xfffff;
  EXPECT_TRUE(hole_found);
}

TEST(MemoryMapView, HoverLookupFindsTheSegmentUnderTheMouse) {
  testing::TestHost host;
  auto m = make_machine(host);
  const std::vector<FlatRow> rows = flat_rows(m->cpu_as());
  const AddressBar bar(rows, 640);
  for (const BarSegment& s : bar.segments()) {
    const BarSegment* hit = bar.at((s.x0 + s.x1) / 2);
    ASSERT_NE(hit, nullptr);
    EXPECT_EQ(hit->start, s.start);
    EXPECT_EQ(hit->row, s.row);
  }
  EXPECT_EQ(bar.at(-1), nullptr);
  EXPECT_EQ(bar.at(641), nullptr);
  ASSERT_NE(bar.at(640), nullptr);
  EXPECT_EQ(bar.at(640)->row, static_cast<int>(rows.size() - 1));
  ASSERT_NE(bar.at(0), nullptr);
  EXPECT_EQ(bar.at(0)->row, 0);

  // x_of places an address inside its segment, and nothing for unmapped edges.
  const double x = bar.x_of(0x10000004);
  const BarSegment* serial = bar.at(x);
  ASSERT_NE(serial, nullptr);
  EXPECT_EQ(rows[static_cast<size_t>(serial->row)].name, "serial");
  EXPECT_LT(bar.x_of(0), 0);  // below the boot ROM at 0x1000
  EXPECT_LT(bar.x_of(0x90000000), 0);

  const std::string text = describe(rows[static_cast<size_t>(serial->row)]);
  EXPECT_NE(text.find("serial"), std::string::npos);
  EXPECT_NE(text.find("kind: i/o"), std::string::npos);
  EXPECT_NE(text.find("range: 0x0000000010000000-0x0000000010000007"), std::string::npos);
  EXPECT_NE(text.find("priority: 0"), std::string::npos);
}

TEST(MemoryMapView, AddressBarOfNothingOrZeroWidthIsEmpty) {
  EXPECT_TRUE(AddressBar({}, 100).segments().empty());
  FlatRow r;
  r.last = 0xfff;
  EXPECT_TRUE(AddressBar({r}, 0).segments().empty());
  EXPECT_EQ(AddressBar({r}, 0).at(0), nullptr);
  // A range covering the whole 64-bit space still gets a finite width.
  FlatRow all;
  all.start = 0;
  all.last = UINT64_MAX;
  const AddressBar whole({all}, 100);
  ASSERT_EQ(whole.segments().size(), 1u);
  EXPECT_DOUBLE_EQ(whole.segments()[0].x1, 100);
  EXPECT_GE(whole.x_of(UINT64_MAX), 0);
}

}  // namespace
}  // namespace glassvm::ui
