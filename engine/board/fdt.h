// Flattened device tree (DTB): a builder that writes version 17 blobs and a strict reader.
//
// Design note: the board generates its device tree at boot from its live configuration, so the
// builder is a simple sequential writer (begin_node / properties / end_node), the way libfdt's
// "sequential write" mode works. The reader is the opposite: it takes bytes from outside (a
// user-supplied DTB, or a blob a guest left in memory) and must never trust them. parse()
// validates the whole blob once — header, block bounds and alignment, every token, every name —
// and builds an index; after a successful parse every query is plain bounds-checked lookup.
// Layout reference: Devicetree Specification v0.4, chapter 5 (Flattened Devicetree Format).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glassvm {

/// FDT header magic (big-endian in the blob).
inline constexpr uint32_t kFdtMagic = 0xd00dfeed;
/// Struct block tokens (DT spec 5.4.1).
inline constexpr uint32_t kFdtBeginNode = 0x1;
inline constexpr uint32_t kFdtEndNode = 0x2;
inline constexpr uint32_t kFdtProp = 0x3;
inline constexpr uint32_t kFdtNop = 0x4;
inline constexpr uint32_t kFdtEnd = 0x9;
/// Version written by FdtBuilder and the lowest version FdtReader accepts.
inline constexpr uint32_t kFdtVersion = 17;
/// Oldest version a v17 blob is backwards compatible with.
inline constexpr uint32_t kFdtLastCompVersion = 16;
/// Size of the v17 header in bytes.
inline constexpr uint32_t kFdtHeaderSize = 40;
/// Deepest node nesting FdtReader accepts (the root is depth 1).
inline constexpr unsigned kFdtMaxDepth = 64;

/// One memory reservation block entry (DT spec 5.3).
struct FdtReserveEntry {
  uint64_t address = 0;
  uint64_t size = 0;
};

// ---------------------------------------------------------------------------------------------
// FdtBuilder
// ---------------------------------------------------------------------------------------------

/// Writes a device tree blob sequentially. Usage: begin_node("") for the root, properties,
/// child nodes (begin_node / ... / end_node), end_node() for the root, then finish().
/// Every misuse (property outside a node, property after a subnode in the same node, invalid
/// name, duplicate property name, duplicate node name among siblings, a second root, end_node
/// without begin_node, finish with open nodes, using the builder after finish) is a programmer
/// error and asserts. Nothing here depends on guest data.
class FdtBuilder {
 public:
  /// Opens a node. The first call must open the root with an empty name; every later name must
  /// be non-empty printable ASCII (0x21-0x7e) other than '/', and unique among its siblings
  /// (the name includes the unit address: "serial@10000000" and "serial@10000100" differ).
  void begin_node(std::string_view name);
  /// Closes the innermost open node.
  void end_node();

  /// Adds a property with raw bytes as its value. `name` must be non-empty printable ASCII
  /// (0x21-0x7e) other than '/', and unique in the node; so for every prop_* below.
  void property(std::string_view name, std::span<const uint8_t> value);
  /// Adds a property with no value (a boolean such as `interrupt-controller`).
  void prop_empty(std::string_view name);
  /// Adds a one-cell (big-endian 32-bit) property.
  void prop_u32(std::string_view name, uint32_t value);
  /// Adds a two-cell property: the high cell first, as `reg` entries with #address-cells = 2.
  void prop_u64(std::string_view name, uint64_t value);
  /// Adds a property made of big-endian 32-bit cells.
  void prop_cells(std::string_view name, std::initializer_list<uint32_t> cells);
  /// Adds a property made of big-endian 32-bit cells.
  void prop_cells(std::string_view name, std::span<const uint32_t> cells);
  /// Adds a NUL-terminated string property. `value` must not contain NUL.
  void prop_string(std::string_view name, std::string_view value);
  /// Adds a string-list property ("a\0b\0"). No element may contain NUL.
  void prop_strings(std::string_view name, std::initializer_list<std::string_view> values);
  /// Adds a string-list property ("a\0b\0"). No element may contain NUL.
  void prop_strings(std::string_view name, std::span<const std::string> values);

  /// Returns a fresh phandle value (1, 2, 3, ...). The caller stores it with
  /// prop_u32("phandle", ...) in the node it names and uses it in references.
  uint32_t alloc_phandle() { return next_phandle_++; }
  /// Appends a memory reservation block entry. Entries must not have size 0 (that is the
  /// terminator); asserts otherwise.
  void add_reserve_entry(uint64_t address, uint64_t size);
  /// Sets the header's boot_cpuid_phys (default 0).
  void set_boot_cpuid_phys(uint32_t id) { boot_cpuid_phys_ = id; }

  /// Number of currently open nodes (0 before the root and after it is closed).
  size_t depth() const { return open_.size(); }

  /// Produces the blob: header (v17, last_comp_version 16), 8-byte aligned reservation map,
  /// struct block ending in FDT_END, deduplicated strings block. Asserts that the root was
  /// opened and every node closed. The builder cannot be used afterwards.
  std::vector<uint8_t> finish();

 private:
  struct OpenNode {
    bool has_child = false;
    std::set<std::string, std::less<>> prop_names;
    std::set<std::string, std::less<>> child_names;
  };
  void put_u32(uint32_t v);
  void put_bytes(std::span<const uint8_t> bytes);
  void align_struct();
  uint32_t string_offset(std::string_view name);

  std::vector<uint8_t> struct_;
  std::string strings_;
  std::map<std::string, uint32_t, std::less<>> string_offsets_;
  std::vector<OpenNode> open_;
  std::vector<FdtReserveEntry> reserve_;
  uint32_t next_phandle_ = 1;
  uint32_t boot_cpuid_phys_ = 0;
  bool root_done_ = false;
  bool finished_ = false;
};

// ---------------------------------------------------------------------------------------------
// FdtReader
// ---------------------------------------------------------------------------------------------

/// A property as seen through FdtReader: views into the reader's own copy of the blob, valid
/// until the next parse() or the reader's destruction.
struct FdtProperty {
  std::string_view name;
  std::span<const uint8_t> value;
};

/// A strict, read-only view of a device tree blob. parse() rejects any malformation with a
/// message (returns false, error() says why); it never crashes, whatever the bytes. Queries on a
/// reader that did not parse successfully see no nodes. Nodes are numbered 0..node_count()-1
/// in document order (pre-order), 0 being the root, so a plain loop visits the whole tree.
/// Passing a node id >= node_count() is a programmer error (assert).
class FdtReader {
 public:
  using NodeId = uint32_t;
  /// The id of the root node after a successful parse.
  static constexpr NodeId kRoot = 0;

  /// Copies and validates `blob` (bytes past the header's totalsize are ignored). Returns false
  /// with error() set on: blob shorter than the header, bad magic, version < 17 or
  /// last_comp_version > 17, totalsize out of bounds, misaligned or out-of-bounds or overlapping
  /// blocks, unterminated reservation map, bad or truncated tokens, unterminated or invalid
  /// node/property names, property values past the struct block, name offsets past the strings
  /// block, properties after subnodes, duplicate names, nesting deeper than kFdtMaxDepth,
  /// unbalanced nodes, more than one root, or a missing FDT_END.
  bool parse(std::span<const uint8_t> blob);
  /// Why the last parse() failed ("" after success).
  const std::string& error() const { return error_; }
  /// Whether the last parse() succeeded.
  bool ok() const { return !nodes_.empty(); }

  /// Header fields of the parsed blob.
  uint32_t version() const { return version_; }
  uint32_t last_comp_version() const { return last_comp_version_; }
  uint32_t boot_cpuid_phys() const { return boot_cpuid_phys_; }
  /// The reservation map entries (terminator excluded).
  const std::vector<FdtReserveEntry>& reserve_entries() const { return reserve_; }
  /// The parsed blob, exactly totalsize bytes.
  std::span<const uint8_t> blob() const { return blob_; }

  /// Number of nodes (0 unless the last parse succeeded).
  size_t node_count() const { return nodes_.size(); }
  /// The node's name with its unit address ("serial@10000000"); "" for the root.
  std::string_view node_name(NodeId node) const;
  /// The parent node, or nullopt for the root.
  std::optional<NodeId> parent(NodeId node) const;
  /// The node's full path ("/soc/serial@10000000"; "/" for the root).
  std::string node_path(NodeId node) const;
  /// The node's children in document order.
  const std::vector<NodeId>& children(NodeId node) const;
  /// Looks up a child by name. A `name` without '@' also matches a child whose name without
  /// its unit address equals it (first such child), as libfdt does.
  std::optional<NodeId> find_child(NodeId node, std::string_view name) const;
  /// Looks up an absolute path ("/", "/cpus/cpu@0", "/soc/serial"). Returns nullopt for a
  /// relative or unknown path, or when nothing is parsed.
  std::optional<NodeId> find_node(std::string_view path) const;
  /// Finds the node whose `phandle` (or legacy `linux,phandle`) property equals `phandle`.
  std::optional<NodeId> find_by_phandle(uint32_t phandle) const;

  /// All properties of a node, in document order.
  std::vector<FdtProperty> properties(NodeId node) const;
  /// The raw value of a property, or nullopt if the node has none by that name.
  std::optional<std::span<const uint8_t>> property(NodeId node, std::string_view name) const;
  /// A property of exactly 4 bytes as a big-endian u32; nullopt if absent or another size.
  std::optional<uint32_t> prop_u32(NodeId node, std::string_view name) const;
  /// A property of exactly 8 bytes (two cells, high first); nullopt if absent or another size.
  std::optional<uint64_t> prop_u64(NodeId node, std::string_view name) const;
  /// A property as big-endian cells; nullopt if absent or its size is not a multiple of 4.
  std::optional<std::vector<uint32_t>> prop_cells(NodeId node, std::string_view name) const;
  /// A single NUL-terminated string without interior NULs; nullopt otherwise.
  std::optional<std::string_view> prop_string(NodeId node, std::string_view name) const;
  /// A non-empty list of NUL-terminated strings; nullopt if absent or not NUL-terminated.
  std::optional<std::vector<std::string_view>> prop_strings(NodeId node,
                                                            std::string_view name) const;

  /// Renders the tree as device tree source text (for printing and debugging): strings are
  /// quoted, 4-byte multiples shown as <cells>, anything else as [bytes].
  std::string to_dts() const;

 private:
  struct Node {
    uint32_t name_offset = 0;  // into blob_
    uint32_t name_length = 0;
    NodeId parent = 0;
    uint32_t first_prop = 0;  // index into props_
    uint32_t prop_count = 0;
    std::vector<NodeId> children;
  };
  struct Prop {
    uint32_t name_offset = 0;  // into blob_
    uint32_t name_length = 0;
    uint32_t value_offset = 0;  // into blob_
    uint32_t value_length = 0;
  };
  bool fail(std::string message);
  bool parse_header_and_blocks();
  bool parse_struct();
  const Node& node_at(NodeId node) const;
  FdtProperty make_property(const Prop& p) const;

  std::vector<uint8_t> blob_;
  std::vector<Node> nodes_;
  std::vector<Prop> props_;
  std::vector<FdtReserveEntry> reserve_;
  std::string error_;
  uint32_t version_ = 0;
  uint32_t last_comp_version_ = 0;
  uint32_t boot_cpuid_phys_ = 0;
  uint32_t off_struct_ = 0, size_struct_ = 0;
  uint32_t off_strings_ = 0, size_strings_ = 0;
};

}  // namespace glassvm
