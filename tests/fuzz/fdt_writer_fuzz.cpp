// libFuzzer target over the device tree writer: the input is a script that builds a random tree
// with FdtBuilder (nested nodes, every kind of property, reservation entries, the boot cpu), and
// the finished blob must read back through FdtReader exactly as it was built. Then one
// fuzz-chosen corruption of the blob must be refused with a message or read without a crash.
//
// Design note: the checks compare against a model kept beside the builder (the nodes in document
// order with their properties, the value bytes encoded here independently, the layout of the
// Devicetree Specification v0.4 chapter 5), not against the reader alone: a writer and a reader
// that agreed on a wrong encoding would pass a plain round trip. The script makes only valid
// builder calls, since misuse is a programmer error that asserts (unchecked in this NDEBUG
// build): names of printable ASCII without '/', unique among siblings and among a node's
// properties, properties before subnodes, reservations of nonzero size. The one limit of the
// reader that the builder lacks is depth: a tree nested deeper than kFdtMaxDepth must be refused,
// and the script goes two levels past it.
//
// Seeds (tests/fuzz/corpus/fdt_writer_fuzz/): seed-01 is a small virt-like tree that takes every
// step at least once (assembled by hand: FuzzedDataProvider takes integers from the input's end,
// high byte first, and byte strings from its front); seed-02 and seed-03 are zero bytes, which
// make every integer 0, a chain of nodes named "cpus": 198 bytes reach exactly kFdtMaxDepth and
// 201 one level deeper; the others are bytes from a fixed generator (any bytes are a script).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/board/fdt.h"
#include "tests/fuzz/fuzz_check.h"

using namespace glassvm;

namespace {

using fuzz::check;
using NodeId = FdtReader::NodeId;

// ---------------------------------------------------------------------------------------------
// The model: what the script asked the builder for
// ---------------------------------------------------------------------------------------------

struct ModelProp {
  std::string name;
  std::vector<uint8_t> value;        ///< encoded here, big-endian (DT spec 2.2.4.2)
  std::vector<std::string> strings;  ///< what prop_strings must give, for string kinds
  bool is_strings = false;
};

struct ModelNode {
  std::string name;
  NodeId parent = 0;
  unsigned depth = 1;  ///< the root is depth 1, as kFdtMaxDepth counts
  std::vector<ModelProp> props;
  std::vector<NodeId> children;
};

struct Model {
  std::vector<ModelNode> nodes;  ///< in document order: the reader's numbering
  std::vector<FdtReserveEntry> reserve;
  uint32_t boot_cpuid = 0;
  unsigned max_depth = 1;
};

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

uint32_t be32(std::span<const uint8_t> b, size_t off) {
  return uint32_t{b[off]} << 24 | uint32_t{b[off + 1]} << 16 | uint32_t{b[off + 2]} << 8 |
         b[off + 3];
}

uint64_t be64(std::span<const uint8_t> b, size_t off) {
  return uint64_t{be32(b, off)} << 32 | be32(b, off + 4);
}

void store_be32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

size_t align4(size_t v) {
  return (v + 3) & ~size_t{3};
}

std::string_view as_chars(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// ---------------------------------------------------------------------------------------------
// The script
// ---------------------------------------------------------------------------------------------

constexpr const char* kNodeNames[] = {
    "cpus", "cpu", "memory", "soc", "serial", "chosen", "interrupt-controller", "a"};
constexpr const char* kPropNames[] = {"reg",    "compatible",    "#address-cells", "#size-cells",
                                      "status", "linux,phandle", "phandle",        "ranges"};

// The characters the builder accepts in names are printable ASCII but '/' (93 of them): those
// bytes stand for themselves, any other byte for one of them.
char name_char(uint8_t byte) {
  if (byte > 0x20 && byte < 0x7f && byte != '/') return static_cast<char>(byte);
  const char c = static_cast<char>(0x21 + byte % 93);
  return c >= '/' ? static_cast<char>(c + 1) : c;
}

// A common name, a common name with a unit address, or valid characters of any length.
std::string make_name(FuzzedDataProvider& in, std::span<const char* const> common) {
  const unsigned kind = in.ConsumeIntegralInRange<unsigned>(0, 3);
  const std::string base = common[in.ConsumeIntegralInRange<size_t>(0, common.size() - 1)];
  if (kind == 0) return base;
  if (kind == 1) {
    char unit[24];
    std::snprintf(unit, sizeof unit, "@%llx",
                  static_cast<unsigned long long>(in.ConsumeIntegral<uint64_t>()));
    return base + unit;
  }
  const size_t len = in.ConsumeIntegralInRange<size_t>(1, in.ConsumeBool() ? 300 : 12);
  std::string name = in.ConsumeBytesAsString(len);
  if (name.empty()) name = "x";  // the input ran out
  for (char& c : name) c = name_char(static_cast<uint8_t>(c));
  return name;
}

// A string value: any bytes but NUL.
std::string make_string(FuzzedDataProvider& in) {
  std::string s = in.ConsumeBytesAsString(in.ConsumeIntegralInRange<size_t>(0, 40));
  std::replace(s.begin(), s.end(), '\0', '\xff');
  return s;
}

enum Op : unsigned {
  kBegin,
  kEnd,
  kRaw,
  kEmpty,
  kU32,
  kU64,
  kCells,
  kString,
  kStrings,
  kPhandle,
  kReserve,
  kBootCpuid,
  kLastOp = kBootCpuid
};

// Runs the script: each step makes the same call on the builder and on the model.
class Writer {
 public:
  explicit Writer(FuzzedDataProvider& in) : in_(in) {}

  /// Builds the tree, closes whatever is still open and returns the finished blob.
  std::vector<uint8_t> run() {
    builder_.begin_node("");
    model_.nodes.emplace_back();
    open_.push_back(0);
    while (in_.remaining_bytes() > 0) {
      step(in_.ConsumeIntegralInRange<unsigned>(0, kLastOp));
      check(builder_.depth() == open_.size(), "depth() counts the open nodes");
    }
    while (!open_.empty()) {
      builder_.end_node();
      open_.pop_back();
    }
    check(builder_.depth() == 0, "depth() is 0 once the root is closed");
    return builder_.finish();
  }

  const Model& model() const { return model_; }

 private:
  void step(unsigned op) {
    switch (op) {
      case kBegin: begin_node(); break;
      case kEnd:
        if (open_.size() > 1) {
          builder_.end_node();
          open_.pop_back();
        }
        break;
      case kPhandle: {
        const uint32_t phandle = builder_.alloc_phandle();
        check(phandle == ++phandles_, "alloc_phandle() counts up from 1");
        ModelProp p{.name = "phandle"};
        if (!may_add(p.name)) break;
        put_be32(p.value, phandle);
        builder_.prop_u32(p.name, phandle);
        add(std::move(p));
        break;
      }
      case kReserve: {
        const uint64_t address = in_.ConsumeIntegral<uint64_t>();
        const uint64_t size = in_.ConsumeIntegralInRange<uint64_t>(1, UINT64_MAX);
        builder_.add_reserve_entry(address, size);
        model_.reserve.push_back({address, size});
        break;
      }
      case kBootCpuid:
        model_.boot_cpuid = in_.ConsumeIntegral<uint32_t>();
        builder_.set_boot_cpuid_phys(model_.boot_cpuid);
        break;
      default: property(op); break;
    }
  }

  void begin_node() {
    if (open_.size() >= kFdtMaxDepth + 2) return;
    std::string name = make_name(in_, kNodeNames);
    ModelNode& parent = model_.nodes[open_.back()];
    for (NodeId c : parent.children) {
      if (model_.nodes[c].name == name) return;  // siblings have unique names
    }
    builder_.begin_node(name);
    const NodeId id = static_cast<NodeId>(model_.nodes.size());
    parent.children.push_back(id);
    const unsigned depth = static_cast<unsigned>(open_.size()) + 1;
    model_.nodes.push_back(
        ModelNode{.name = std::move(name), .parent = open_.back(), .depth = depth});
    model_.max_depth = std::max(model_.max_depth, depth);
    open_.push_back(id);
  }

  // Properties precede subnodes and have unique names within their node.
  bool may_add(const std::string& name) const {
    const ModelNode& node = model_.nodes[open_.back()];
    if (!node.children.empty()) return false;
    return std::none_of(node.props.begin(), node.props.end(),
                        [&](const ModelProp& p) { return p.name == name; });
  }

  void add(ModelProp p) { model_.nodes[open_.back()].props.push_back(std::move(p)); }

  // One property of kind `op`, through each of the builder's entry points.
  void property(unsigned op) {
    ModelProp p{.name = make_name(in_, kPropNames)};
    if (!may_add(p.name)) return;
    switch (op) {
      case kRaw:
        p.value = in_.ConsumeBytes<uint8_t>(
            in_.ConsumeIntegralInRange<size_t>(0, in_.ConsumeBool() ? 600 : 16));
        builder_.property(p.name, p.value);
        break;
      case kEmpty: builder_.prop_empty(p.name); break;
      case kU32: {
        const uint32_t v = in_.ConsumeIntegral<uint32_t>();
        put_be32(p.value, v);
        builder_.prop_u32(p.name, v);
        break;
      }
      case kU64: {  // the high cell first
        const uint64_t v = in_.ConsumeIntegral<uint64_t>();
        put_be32(p.value, static_cast<uint32_t>(v >> 32));
        put_be32(p.value, static_cast<uint32_t>(v));
        builder_.prop_u64(p.name, v);
        break;
      }
      case kCells: {
        std::vector<uint32_t> cells(in_.ConsumeIntegralInRange<size_t>(0, 16));
        for (uint32_t& c : cells) {
          c = in_.ConsumeIntegral<uint32_t>();
          put_be32(p.value, c);
        }
        const bool list = in_.ConsumeBool();  // the initializer_list overload, for 1 to 3
        if (list && cells.size() == 1) {
          builder_.prop_cells(p.name, {cells[0]});
        } else if (list && cells.size() == 2) {
          builder_.prop_cells(p.name, {cells[0], cells[1]});
        } else if (list && cells.size() == 3) {
          builder_.prop_cells(p.name, {cells[0], cells[1], cells[2]});
        } else {
          builder_.prop_cells(p.name, std::span<const uint32_t>(cells));
        }
        break;
      }
      case kString: {
        std::string s = make_string(in_);
        p.value.assign(s.begin(), s.end());
        p.value.push_back(0);
        builder_.prop_string(p.name, s);
        p.strings = {std::move(s)};
        p.is_strings = true;
        break;
      }
      case kStrings: {
        std::vector<std::string> list(in_.ConsumeIntegralInRange<size_t>(0, 5));
        for (std::string& s : list) {
          s = make_string(in_);
          p.value.insert(p.value.end(), s.begin(), s.end());
          p.value.push_back(0);
        }
        const bool init_list = in_.ConsumeBool();  // the initializer_list overload, for 1 to 3
        using SV = std::string_view;
        if (init_list && list.size() == 1) {
          builder_.prop_strings(p.name, {SV(list[0])});
        } else if (init_list && list.size() == 2) {
          builder_.prop_strings(p.name, {SV(list[0]), SV(list[1])});
        } else if (init_list && list.size() == 3) {
          builder_.prop_strings(p.name, {SV(list[0]), SV(list[1]), SV(list[2])});
        } else {
          builder_.prop_strings(p.name, std::span<const std::string>(list));
        }
        p.is_strings = !list.empty();  // an empty list is an empty value: no strings to read
        p.strings = std::move(list);
        break;
      }
    }
    add(std::move(p));
  }

  FuzzedDataProvider& in_;
  FdtBuilder builder_;
  Model model_;
  std::vector<NodeId> open_;  ///< the model's open nodes, innermost last
  uint32_t phandles_ = 0;     ///< how many alloc_phandle() gave out
};

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

// The header and the blocks, read here (not through the reader): DT spec 5.2 to 5.5.
void check_layout(std::span<const uint8_t> blob, const Model& m) {
  check(blob.size() >= kFdtHeaderSize, "the blob holds a header");
  check(be32(blob, 0) == kFdtMagic, "magic");
  check(be32(blob, 4) == blob.size(), "totalsize is the blob's size");
  check(be32(blob, 20) == kFdtVersion && be32(blob, 24) == kFdtLastCompVersion,
        "version 17, last_comp_version 16");
  check(be32(blob, 28) == m.boot_cpuid, "boot_cpuid_phys as set");
  const uint64_t off_struct = be32(blob, 8), off_strings = be32(blob, 12);
  const uint64_t off_rsv = be32(blob, 16);
  const uint64_t size_strings = be32(blob, 32), size_struct = be32(blob, 36);

  // The blocks in the spec's order, aligned, inside totalsize.
  const uint64_t rsv_end = off_rsv + 16 * (m.reserve.size() + 1);
  check(off_rsv >= kFdtHeaderSize && off_rsv % 8 == 0,
        "the reservation map follows the header, 8-byte aligned");
  check(off_struct % 4 == 0 && off_struct >= rsv_end,
        "the struct block follows the map, 4-byte aligned");
  check(off_struct + size_struct <= off_strings, "the strings block follows the struct block");
  check(off_strings + size_strings <= blob.size(), "the strings block ends inside totalsize");

  for (size_t i = 0; i < m.reserve.size(); ++i) {
    check(be64(blob, off_rsv + 16 * i) == m.reserve[i].address &&
              be64(blob, off_rsv + 16 * i + 8) == m.reserve[i].size,
          "reservation entries in order");
  }
  check(be64(blob, rsv_end - 16) == 0 && be64(blob, rsv_end - 8) == 0,
        "the reservation map ends in an all-zero entry");

  // The struct block is exactly the spec's encoding of the model (no NOPs, no slack), and the
  // strings block holds each property name once.
  uint64_t expect_struct = 4;  // FDT_END
  uint64_t expect_strings = 0;
  std::set<std::string_view> names;
  for (const ModelNode& n : m.nodes) {
    expect_struct += 4 + align4(n.name.size() + 1) + 4;  // FDT_BEGIN_NODE, name, FDT_END_NODE
    for (const ModelProp& p : n.props) {
      expect_struct += 12 + align4(p.value.size());  // FDT_PROP, len, nameoff, value
      if (names.insert(p.name).second) expect_strings += p.name.size() + 1;
    }
  }
  check(size_struct == expect_struct, "size_dt_struct is the encoding of the tree");
  check(be32(blob, off_struct + size_struct - 4) == kFdtEnd, "the struct block ends in FDT_END");
  check(size_strings == expect_strings, "the strings block holds each property name once");
}

// Zeros in [begin, end): the padding after a name or a value (DT spec 5.4.1).
void check_zeros(std::span<const uint8_t> blob, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) check(blob[i] == 0, "padding is zero");
}

// Every typed accessor agrees with the value's bytes, as each one documents.
void check_accessors(const FdtReader& r, NodeId id, const ModelProp& p) {
  const std::vector<uint8_t>& v = p.value;
  const auto u32 = r.prop_u32(id, p.name);
  check(v.size() == 4 ? u32 == be32(v, 0) : !u32, "prop_u32 reads exactly 4 bytes");
  const auto u64 = r.prop_u64(id, p.name);
  check(v.size() == 8 ? u64 == be64(v, 0) : !u64, "prop_u64 reads exactly 8 bytes");
  const auto cells = r.prop_cells(id, p.name);
  check(cells.has_value() == (v.size() % 4 == 0), "prop_cells reads multiples of 4 bytes");
  if (cells) {
    check(cells->size() == v.size() / 4, "prop_cells has one cell per 4 bytes");
    for (size_t i = 0; i < cells->size(); ++i) check((*cells)[i] == be32(v, 4 * i), "cells");
  }
  const bool terminated = !v.empty() && v.back() == 0;
  const bool one_string = terminated && std::find(v.begin(), v.end() - 1, 0) == v.end() - 1;
  const auto str = r.prop_string(id, p.name);
  check(one_string ? str == as_chars(v).substr(0, v.size() - 1) : !str,
        "prop_string reads one NUL-terminated string");
  const auto list = r.prop_strings(id, p.name);
  check(list.has_value() == terminated, "prop_strings reads NUL-terminated values");
  if (list) {
    std::string joined;
    for (std::string_view s : *list) (joined += s) += '\0';
    check(joined == as_chars(v), "prop_strings splits the value at its NULs");
  }
  if (p.is_strings) {
    check(list && std::equal(list->begin(), list->end(), p.strings.begin(), p.strings.end()),
          "a string list reads back as written");
  }
}

// find_child's documented rule: an exact name, or (for a name without '@') the first child
// whose name without its unit address equals it.
std::optional<NodeId> expected_child(const Model& m, NodeId parent, std::string_view name) {
  const bool has_unit = name.find('@') != std::string_view::npos;
  for (NodeId c : m.nodes[parent].children) {
    const std::string_view cn = m.nodes[c].name;
    if (cn == name || (!has_unit && cn.substr(0, cn.find('@')) == name)) return c;
  }
  return std::nullopt;
}

// find_by_phandle's documented rule: the first node whose `phandle` (or else `linux,phandle`)
// property is the 4-byte value `phandle`.
std::optional<NodeId> expected_phandle_node(const Model& m, uint32_t phandle) {
  if (phandle == 0 || phandle == 0xffffffffu) return std::nullopt;
  auto cell = [](const ModelNode& n, std::string_view name) -> std::optional<uint32_t> {
    for (const ModelProp& p : n.props) {
      if (p.name == name && p.value.size() == 4) return be32(p.value, 0);
    }
    return std::nullopt;
  };
  for (NodeId id = 0; id < m.nodes.size(); ++id) {
    auto v = cell(m.nodes[id], "phandle");
    if (!v) v = cell(m.nodes[id], "linux,phandle");
    if (v == phandle) return id;
  }
  return std::nullopt;
}

// The reader sees exactly the tree the script built.
void check_round_trip(const FdtReader& r, std::span<const uint8_t> blob, const Model& m) {
  check(r.ok() && r.error().empty(), "a successful parse has no error");
  check(r.version() == kFdtVersion && r.last_comp_version() == kFdtLastCompVersion,
        "the reader sees version 17, last_comp_version 16");
  check(r.boot_cpuid_phys() == m.boot_cpuid, "the reader sees boot_cpuid_phys");
  const auto& rsv = r.reserve_entries();
  check(rsv.size() == m.reserve.size(), "the reader sees every reservation entry");
  for (size_t i = 0; i < rsv.size(); ++i) {
    check(rsv[i].address == m.reserve[i].address && rsv[i].size == m.reserve[i].size,
          "the reader sees the reservation entries in order");
  }
  const std::span<const uint8_t> copy = r.blob();
  check(std::equal(copy.begin(), copy.end(), blob.begin(), blob.end()), "blob() is the whole blob");
  check(r.node_count() == m.nodes.size(), "the reader sees every node");

  std::vector<std::string> paths(m.nodes.size());
  std::set<uint32_t> phandles{0, 1, 0xffffffffu};
  for (NodeId id = 0; id < m.nodes.size(); ++id) {
    const ModelNode& n = m.nodes[id];
    check(r.node_name(id) == n.name, "node names in document order");
    check(id == FdtReader::kRoot ? !r.parent(id) : r.parent(id) == n.parent, "parents");
    check(r.children(id) == n.children, "children in order");
    paths[id] =
        id == FdtReader::kRoot ? "/" : (n.parent == 0 ? "" : paths[n.parent]) + "/" + n.name;
    check(r.node_path(id) == paths[id], "node_path");
    const size_t name_at = r.node_name(id).data() - reinterpret_cast<const char*>(copy.data());
    check(name_at % 4 == 0, "a node name follows its 4-byte token");
    check_zeros(copy, name_at + n.name.size(), align4(name_at + n.name.size() + 1));

    const std::vector<FdtProperty> props = r.properties(id);
    check(props.size() == n.props.size(), "the reader sees every property");
    for (size_t i = 0; i < props.size(); ++i) {
      const ModelProp& p = n.props[i];
      check(props[i].name == p.name, "property names in order");
      check(
          std::equal(props[i].value.begin(), props[i].value.end(), p.value.begin(), p.value.end()),
          "property values byte for byte");
      const size_t value_at = props[i].value.data() - copy.data();
      check(value_at % 4 == 0, "a value follows its 12-byte property header");
      check_zeros(copy, value_at + p.value.size(), align4(value_at + p.value.size()));
      check(r.property(id, p.name).has_value(), "property() finds each property");
      check_accessors(r, id, p);
      if ((p.name == "phandle" || p.name == "linux,phandle") && p.value.size() == 4 &&
          phandles.size() < 12) {
        phandles.insert(be32(p.value, 0));
      }
    }
    for (NodeId c : n.children) {
      check(r.find_child(id, m.nodes[c].name) == expected_child(m, id, m.nodes[c].name),
            "find_child follows its rule");
    }
    // find_node resolves each component of the path with find_child's rule.
    std::vector<NodeId> chain;
    for (NodeId a = id; a != FdtReader::kRoot; a = m.nodes[a].parent) chain.push_back(a);
    std::optional<NodeId> at = FdtReader::kRoot;
    for (auto it = chain.rbegin(); it != chain.rend() && at; ++it) {
      at = expected_child(m, *at, m.nodes[*it].name);
    }
    check(r.find_node(paths[id]) == at, "find_node follows find_child's rule");
  }
  for (uint32_t ph : phandles) {
    check(r.find_by_phandle(ph) == expected_phandle_node(m, ph), "find_by_phandle");
  }
  check(r.to_dts().starts_with("/dts-v1/;"), "to_dts renders the tree");
}

// Every query on a tree read from a corrupted blob works (the same sweep as fdt_reader_fuzz).
void sweep(const FdtReader& r) {
  for (NodeId id = 0; id < r.node_count(); ++id) {
    (void)r.find_node(r.node_path(id));
    (void)r.parent(id);
    for (NodeId c : r.children(id)) (void)r.find_child(id, r.node_name(c));
    for (const FdtProperty& p : r.properties(id)) {
      (void)r.prop_u32(id, p.name);
      (void)r.prop_u64(id, p.name);
      (void)r.prop_cells(id, p.name);
      (void)r.prop_string(id, p.name);
      (void)r.prop_strings(id, p.name);
    }
  }
  (void)r.find_by_phandle(1);
  (void)r.to_dts();
}

struct Corruption {
  uint8_t kind;
  uint32_t where;
  uint32_t what;
};

// Parses the blob with one corruption into the reader that holds the good tree: a refusal must
// say why and leave no tree; an accepted blob must answer every query.
void corrupt_and_read(FdtReader& r, std::vector<uint8_t> blob, const Corruption& c, bool good_ok,
                      size_t good_nodes) {
  const size_t at = c.where % blob.size();
  switch (c.kind % 6) {
    case 0:  // flip bits of one byte
      blob[at] ^= (c.what & 0xff) != 0 ? static_cast<uint8_t>(c.what) : 0x80;
      break;
    case 1:  // cut: totalsize now runs past the end
      blob.resize(at);
      check(!r.parse(blob) && !r.error().empty() && r.node_count() == 0,
            "a cut blob is refused with a message");
      return;
    case 2: {  // cut, with the header cut to match: the parse runs into truncated blocks
      const uint32_t n = static_cast<uint32_t>(std::max<size_t>(at, kFdtHeaderSize));
      blob.resize(n);
      store_be32(blob, 4, n);
      for (auto [off_field, size_field] : {std::pair{8, 36}, std::pair{12, 32}}) {
        const uint32_t off = std::min(be32(blob, off_field), n);
        store_be32(blob, off_field, off);
        store_be32(blob, size_field, std::min(be32(blob, size_field), n - off));
      }
      break;
    }
    case 3: {  // one aligned word: small values hit tokens, lengths and name offsets
      const size_t word = at & ~size_t{3};
      if (word + 4 <= blob.size()) {
        store_be32(blob, word, (c.what & 0x80000000u) != 0 ? c.what & 0xff : c.what);
      }
      break;
    }
    case 4: {  // bytes past totalsize are ignored
      const size_t good_size = blob.size();
      blob.insert(blob.end(), c.what % 64, 0xa5);
      check(r.parse(blob) == good_ok, "trailing bytes change nothing");
      check(r.node_count() == good_nodes, "trailing bytes change nothing");
      check(!good_ok || r.blob().size() == good_size, "blob() stops at totalsize");
      return;
    }
    case 5: {  // a small step on one header field: alignment, bounds, overlap
      const size_t field = 4 * (c.where % (kFdtHeaderSize / 4));
      store_be32(blob, field, be32(blob, field) + static_cast<int8_t>(c.what));
      break;
    }
  }
  if (!r.parse(blob)) {
    check(!r.error().empty() && !r.ok() && r.node_count() == 0,
          "a refusal says why and leaves no tree");
    return;
  }
  check(r.error().empty() && r.blob().size() <= blob.size(), "an accepted blob has no error");
  sweep(r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  // The corruption is chosen first (from the input's end) so that the script has the rest.
  const Corruption corruption{in.ConsumeIntegral<uint8_t>(), in.ConsumeIntegral<uint32_t>(),
                              in.ConsumeIntegral<uint32_t>()};
  Writer writer(in);
  const std::vector<uint8_t> blob = writer.run();
  const Model& m = writer.model();
  check_layout(blob, m);

  FdtReader reader;
  const bool ok = reader.parse(blob);
  if (m.max_depth > kFdtMaxDepth) {
    check(!ok && !reader.error().empty() && reader.node_count() == 0,
          "a tree deeper than kFdtMaxDepth is refused with a message");
  } else {
    if (!ok) std::fprintf(stderr, "%s\n", reader.error().c_str());
    check(ok, "the reader reads what the builder wrote");
    check_round_trip(reader, blob, m);
  }
  corrupt_and_read(reader, blob, corruption, ok, reader.node_count());
  return 0;
}
