#include "engine/board/fdt.h"

#include <cassert>
#include <cstdio>
#include <cstring>
#include <unordered_set>

#include "engine/base/bytes.h"

namespace glassvm {

namespace {

constexpr uint64_t align_up(uint64_t v, uint64_t a) {
  return (v + a - 1) & ~(a - 1);
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Characters accepted in node and property names: printable ASCII except '/' (the path
// separator). The DT spec's sets are narrower; real blobs use '#', ',', '@', '+', '?' etc.
bool valid_name_char(uint8_t c) {
  return c > 0x20 && c < 0x7f && c != '/';
}

bool valid_name(std::string_view name) {
  for (char c : name) {
    if (!valid_name_char(static_cast<uint8_t>(c))) return false;
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// FdtBuilder
// ---------------------------------------------------------------------------------------------

void FdtBuilder::put_u32(uint32_t v) {
  uint8_t b[4];
  store_be<uint32_t>(b, v);
  struct_.insert(struct_.end(), b, b + 4);
}

void FdtBuilder::put_bytes(std::span<const uint8_t> bytes) {
  struct_.insert(struct_.end(), bytes.begin(), bytes.end());
}

void FdtBuilder::align_struct() {
  struct_.resize(align_up(struct_.size(), 4), 0);
}

uint32_t FdtBuilder::string_offset(std::string_view name) {
  if (auto it = string_offsets_.find(name); it != string_offsets_.end()) return it->second;
  uint32_t off = static_cast<uint32_t>(strings_.size());
  strings_.append(name);
  strings_.push_back('\0');
  string_offsets_.emplace(std::string(name), off);
  return off;
}

void FdtBuilder::begin_node(std::string_view name) {
  assert(!finished_ && "FdtBuilder used after finish()");
  assert(!root_done_ && "FdtBuilder: a device tree has exactly one root node");
  if (open_.empty()) {
    assert(name.empty() && "FdtBuilder: the root node's name must be empty");
  } else {
    assert(!name.empty() && valid_name(name) && "FdtBuilder: invalid node name");
    // Sibling names must differ (a path names one node): FdtReader and dtc refuse duplicates.
    [[maybe_unused]] bool unique = open_.back().child_names.emplace(name).second;
    assert(unique && "FdtBuilder: duplicate node name among siblings");
    open_.back().has_child = true;
  }
  put_u32(kFdtBeginNode);
  put_bytes({reinterpret_cast<const uint8_t*>(name.data()), name.size()});
  struct_.push_back(0);
  align_struct();
  open_.emplace_back();
}

void FdtBuilder::end_node() {
  assert(!finished_ && "FdtBuilder used after finish()");
  assert(!open_.empty() && "FdtBuilder: end_node() without a matching begin_node()");
  put_u32(kFdtEndNode);
  open_.pop_back();
  if (open_.empty()) root_done_ = true;
}

void FdtBuilder::property(std::string_view name, std::span<const uint8_t> value) {
  assert(!finished_ && "FdtBuilder used after finish()");
  assert(!open_.empty() && "FdtBuilder: property outside any node");
  assert(!open_.back().has_child && "FdtBuilder: properties must precede subnodes");
  assert(!name.empty() && valid_name(name) && "FdtBuilder: invalid property name");
  [[maybe_unused]] bool inserted = open_.back().prop_names.emplace(name).second;
  assert(inserted && "FdtBuilder: duplicate property in one node");
  assert(value.size() <= 0xffffffffu);
  put_u32(kFdtProp);
  put_u32(static_cast<uint32_t>(value.size()));
  put_u32(string_offset(name));
  put_bytes(value);
  align_struct();
}

void FdtBuilder::prop_empty(std::string_view name) {
  property(name, {});
}

void FdtBuilder::prop_u32(std::string_view name, uint32_t value) {
  uint8_t b[4];
  store_be<uint32_t>(b, value);
  property(name, b);
}

void FdtBuilder::prop_u64(std::string_view name, uint64_t value) {
  uint8_t b[8];
  store_be<uint64_t>(b, value);
  property(name, b);
}

void FdtBuilder::prop_cells(std::string_view name, std::initializer_list<uint32_t> cells) {
  prop_cells(name, std::span<const uint32_t>(cells.begin(), cells.size()));
}

void FdtBuilder::prop_cells(std::string_view name, std::span<const uint32_t> cells) {
  std::vector<uint8_t> bytes(cells.size() * 4);
  for (size_t i = 0; i < cells.size(); ++i) store_be<uint32_t>(&bytes[i * 4], cells[i]);
  property(name, bytes);
}

void FdtBuilder::prop_string(std::string_view name, std::string_view value) {
  assert(value.find('\0') == std::string_view::npos && "FdtBuilder: NUL inside a string");
  std::vector<uint8_t> bytes(value.begin(), value.end());
  bytes.push_back(0);
  property(name, bytes);
}

void FdtBuilder::prop_strings(std::string_view name,
                              std::initializer_list<std::string_view> values) {
  std::vector<uint8_t> bytes;
  for (std::string_view v : values) {
    assert(v.find('\0') == std::string_view::npos && "FdtBuilder: NUL inside a string");
    bytes.insert(bytes.end(), v.begin(), v.end());
    bytes.push_back(0);
  }
  property(name, bytes);
}

void FdtBuilder::prop_strings(std::string_view name, std::span<const std::string> values) {
  std::vector<uint8_t> bytes;
  for (const std::string& v : values) {
    assert(v.find('\0') == std::string::npos && "FdtBuilder: NUL inside a string");
    bytes.insert(bytes.end(), v.begin(), v.end());
    bytes.push_back(0);
  }
  property(name, bytes);
}

void FdtBuilder::add_reserve_entry(uint64_t address, uint64_t size) {
  assert(!finished_ && "FdtBuilder used after finish()");
  assert(size != 0 && "FdtBuilder: a reservation of size 0 would terminate the map");
  reserve_.push_back({address, size});
}

std::vector<uint8_t> FdtBuilder::finish() {
  assert(!finished_ && "FdtBuilder: finish() called twice");
  assert(root_done_ && open_.empty() && "FdtBuilder: finish() with an unopened or open node");
  finished_ = true;
  put_u32(kFdtEnd);

  const uint64_t off_rsv = align_up(kFdtHeaderSize, 8);
  const uint64_t rsv_size = (reserve_.size() + 1) * 16;
  const uint64_t off_struct = off_rsv + rsv_size;
  const uint64_t off_strings = off_struct + struct_.size();
  const uint64_t total = off_strings + strings_.size();
  assert(total <= 0xffffffffu && "FdtBuilder: device tree larger than 4 GiB");

  std::vector<uint8_t> out(total, 0);
  uint8_t* h = out.data();
  store_be<uint32_t>(h + 0, kFdtMagic);
  store_be<uint32_t>(h + 4, static_cast<uint32_t>(total));
  store_be<uint32_t>(h + 8, static_cast<uint32_t>(off_struct));
  store_be<uint32_t>(h + 12, static_cast<uint32_t>(off_strings));
  store_be<uint32_t>(h + 16, static_cast<uint32_t>(off_rsv));
  store_be<uint32_t>(h + 20, kFdtVersion);
  store_be<uint32_t>(h + 24, kFdtLastCompVersion);
  store_be<uint32_t>(h + 28, boot_cpuid_phys_);
  store_be<uint32_t>(h + 32, static_cast<uint32_t>(strings_.size()));
  store_be<uint32_t>(h + 36, static_cast<uint32_t>(struct_.size()));
  for (size_t i = 0; i < reserve_.size(); ++i) {
    store_be<uint64_t>(h + off_rsv + i * 16, reserve_[i].address);
    store_be<uint64_t>(h + off_rsv + i * 16 + 8, reserve_[i].size);
  }
  std::copy(struct_.begin(), struct_.end(), out.begin() + off_struct);
  std::copy(strings_.begin(), strings_.end(), out.begin() + off_strings);
  return out;
}

// ---------------------------------------------------------------------------------------------
// FdtReader: parsing
// ---------------------------------------------------------------------------------------------

bool FdtReader::fail(std::string message) {
  error_ = "invalid device tree blob: " + std::move(message);
  nodes_.clear();
  props_.clear();
  reserve_.clear();
  return false;
}

bool FdtReader::parse(std::span<const uint8_t> blob) {
  nodes_.clear();
  props_.clear();
  reserve_.clear();
  error_.clear();
  blob_.clear();
  if (blob.size() < kFdtHeaderSize) {
    return fail("only " + std::to_string(blob.size()) + " bytes, shorter than the " +
                std::to_string(kFdtHeaderSize) + "-byte header");
  }
  const uint8_t* h = blob.data();
  if (load_be<uint32_t>(h) != kFdtMagic) return fail("bad magic " + hex(load_be<uint32_t>(h)));
  const uint32_t total = load_be<uint32_t>(h + 4);
  if (total < kFdtHeaderSize || total > blob.size()) {
    return fail("totalsize " + std::to_string(total) + " outside [" +
                std::to_string(kFdtHeaderSize) + ", " + std::to_string(blob.size()) + "]");
  }
  blob_.assign(blob.begin(), blob.begin() + total);
  if (!parse_header_and_blocks()) return false;
  return parse_struct();
}

bool FdtReader::parse_header_and_blocks() {
  const uint8_t* h = blob_.data();
  const uint64_t total = blob_.size();
  off_struct_ = load_be<uint32_t>(h + 8);
  off_strings_ = load_be<uint32_t>(h + 12);
  const uint32_t off_rsv = load_be<uint32_t>(h + 16);
  version_ = load_be<uint32_t>(h + 20);
  last_comp_version_ = load_be<uint32_t>(h + 24);
  boot_cpuid_phys_ = load_be<uint32_t>(h + 28);
  size_strings_ = load_be<uint32_t>(h + 32);
  size_struct_ = load_be<uint32_t>(h + 36);

  if (version_ < kFdtVersion) {
    return fail("version " + std::to_string(version_) + " is older than the supported 17");
  }
  if (last_comp_version_ > kFdtVersion) {
    return fail("last_comp_version " + std::to_string(last_comp_version_) +
                " is newer than the supported 17");
  }
  if (off_rsv % 8 != 0) return fail("off_mem_rsvmap " + hex(off_rsv) + " not 8-byte aligned");
  if (off_struct_ % 4 != 0) return fail("off_dt_struct " + hex(off_struct_) + " misaligned");
  struct Block {
    const char* what;
    uint64_t begin, end;
  };
  Block s{"struct block", off_struct_, uint64_t{off_struct_} + size_struct_};
  Block t{"strings block", off_strings_, uint64_t{off_strings_} + size_strings_};
  for (const Block& b : {s, t}) {
    if (b.begin < kFdtHeaderSize || b.end > total) {
      return fail(std::string(b.what) + " [" + hex(b.begin) + ", " + hex(b.end) +
                  ") outside the blob (header ends at 0x28, totalsize " + hex(total) + ")");
    }
  }
  if (off_rsv < kFdtHeaderSize || off_rsv >= total) {
    return fail("off_mem_rsvmap " + hex(off_rsv) + " outside the blob");
  }
  // Reservation map: 16-byte entries up to an all-zero terminator.
  uint64_t pos = off_rsv;
  for (;;) {
    if (pos + 16 > total) return fail("memory reservation map has no terminator");
    uint64_t addr = load_be<uint64_t>(&blob_[pos]);
    uint64_t size = load_be<uint64_t>(&blob_[pos + 8]);
    pos += 16;
    if (addr == 0 && size == 0) break;
    reserve_.push_back({addr, size});
  }
  Block r{"memory reservation map", off_rsv, pos};
  auto overlap = [](const Block& a, const Block& b) {
    return a.begin < b.end && b.begin < a.end && a.begin != a.end && b.begin != b.end;
  };
  for (auto [a, b] : {std::pair{r, s}, std::pair{r, t}, std::pair{s, t}}) {
    if (overlap(a, b)) return fail(std::string(a.what) + " overlaps the " + b.what);
  }
  return true;
}

bool FdtReader::parse_struct() {
  const uint8_t* base = blob_.data() + off_struct_;
  const uint64_t size = size_struct_;
  const char* strings = reinterpret_cast<const char*>(blob_.data() + off_strings_);

  struct Open {
    NodeId id;
    std::unordered_set<std::string_view> child_names;
    std::unordered_set<std::string_view> prop_names;
  };
  std::vector<Open> stack;
  bool root_done = false;
  uint64_t pos = 0;
  auto where = [&](uint64_t p) { return " at struct offset " + hex(p); };

  for (;;) {
    if (pos + 4 > size) return fail("struct block ends without FDT_END");
    const uint64_t token_pos = pos;
    const uint32_t token = load_be<uint32_t>(base + pos);
    pos += 4;
    switch (token) {
      case kFdtNop: break;
      case kFdtBeginNode: {
        const char* name = reinterpret_cast<const char*>(base + pos);
        const void* nul = std::memchr(name, 0, size - pos);
        if (nul == nullptr) return fail("unterminated node name" + where(token_pos));
        std::string_view nv(name, static_cast<const char*>(nul) - name);
        if (root_done) return fail("second root node" + where(token_pos));
        if (stack.size() >= kFdtMaxDepth) {
          return fail("nodes nested deeper than " + std::to_string(kFdtMaxDepth) +
                      where(token_pos));
        }
        if (stack.empty()) {
          if (!nv.empty()) return fail("root node has a non-empty name" + where(token_pos));
        } else {
          if (nv.empty()) return fail("empty node name" + where(token_pos));
          if (!valid_name(nv)) return fail("invalid node name" + where(token_pos));
          if (!stack.back().child_names.insert(nv).second) {
            return fail("duplicate node name '" + std::string(nv) + "'" + where(token_pos));
          }
        }
        Node node;
        node.name_offset = static_cast<uint32_t>(off_struct_ + pos);
        node.name_length = static_cast<uint32_t>(nv.size());
        node.first_prop = static_cast<uint32_t>(props_.size());
        const NodeId id = static_cast<NodeId>(nodes_.size());
        if (!stack.empty()) {
          node.parent = stack.back().id;
          nodes_[node.parent].children.push_back(id);
        }
        nodes_.push_back(std::move(node));
        stack.push_back(Open{id, {}, {}});
        pos = align_up(pos + nv.size() + 1, 4);
        break;
      }
      case kFdtEndNode:
        if (stack.empty()) {
          return fail("FDT_END_NODE without a matching FDT_BEGIN_NODE" + where(token_pos));
        }
        stack.pop_back();
        if (stack.empty()) root_done = true;
        break;
      case kFdtProp: {
        if (stack.empty()) return fail("property outside any node" + where(token_pos));
        if (pos + 8 > size) return fail("truncated property header" + where(token_pos));
        const uint32_t len = load_be<uint32_t>(base + pos);
        const uint32_t name_off = load_be<uint32_t>(base + pos + 4);
        pos += 8;
        if (name_off >= size_strings_) {
          return fail("property name offset " + hex(name_off) + " past the strings block" +
                      where(token_pos));
        }
        const void* nul = std::memchr(strings + name_off, 0, size_strings_ - name_off);
        if (nul == nullptr) return fail("unterminated property name" + where(token_pos));
        std::string_view pname(strings + name_off,
                               static_cast<const char*>(nul) - (strings + name_off));
        if (pname.empty() || !valid_name(pname)) {
          return fail("invalid property name" + where(token_pos));
        }
        if (pos + len > size) {
          return fail("value of property '" + std::string(pname) + "' (" + std::to_string(len) +
                      " bytes) runs past the struct block" + where(token_pos));
        }
        Node& node = nodes_[stack.back().id];
        if (!node.children.empty()) {
          return fail("property '" + std::string(pname) + "' after a subnode" + where(token_pos));
        }
        if (!stack.back().prop_names.insert(pname).second) {
          return fail("duplicate property '" + std::string(pname) + "'" + where(token_pos));
        }
        props_.push_back(Prop{static_cast<uint32_t>(off_strings_ + name_off),
                              static_cast<uint32_t>(pname.size()),
                              static_cast<uint32_t>(off_struct_ + pos), len});
        node.prop_count++;
        pos = align_up(pos + len, 4);
        break;
      }
      case kFdtEnd:
        if (!stack.empty()) {
          return fail("FDT_END with " + std::to_string(stack.size()) + " open node(s)" +
                      where(token_pos));
        }
        if (!root_done) return fail("no root node");
        return true;
      default: return fail("bad token " + hex(token) + where(token_pos));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// FdtReader: queries
// ---------------------------------------------------------------------------------------------

const FdtReader::Node& FdtReader::node_at(NodeId node) const {
  assert(node < nodes_.size() && "FdtReader: node id out of range");
  return nodes_[node];
}

FdtProperty FdtReader::make_property(const Prop& p) const {
  return FdtProperty{
      std::string_view(reinterpret_cast<const char*>(blob_.data() + p.name_offset), p.name_length),
      std::span<const uint8_t>(blob_.data() + p.value_offset, p.value_length)};
}

std::string_view FdtReader::node_name(NodeId node) const {
  const Node& n = node_at(node);
  return {reinterpret_cast<const char*>(blob_.data() + n.name_offset), n.name_length};
}

std::optional<FdtReader::NodeId> FdtReader::parent(NodeId node) const {
  node_at(node);  // bounds check
  if (node == kRoot) return std::nullopt;
  return nodes_[node].parent;
}

std::string FdtReader::node_path(NodeId node) const {
  node_at(node);  // bounds check
  if (node == kRoot) return "/";
  std::vector<NodeId> chain;
  for (NodeId n = node; n != kRoot; n = nodes_[n].parent) chain.push_back(n);
  std::string path;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    path += '/';
    path += node_name(*it);
  }
  return path;
}

const std::vector<FdtReader::NodeId>& FdtReader::children(NodeId node) const {
  return node_at(node).children;
}

std::optional<FdtReader::NodeId> FdtReader::find_child(NodeId node, std::string_view name) const {
  const bool has_unit = name.find('@') != std::string_view::npos;
  for (NodeId c : node_at(node).children) {
    std::string_view cn = node_name(c);
    if (cn == name) return c;
    if (!has_unit && cn.substr(0, cn.find('@')) == name) return c;
  }
  return std::nullopt;
}

std::optional<FdtReader::NodeId> FdtReader::find_node(std::string_view path) const {
  if (nodes_.empty() || path.empty() || path[0] != '/') return std::nullopt;
  NodeId cur = kRoot;
  size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    auto next = find_child(cur, path.substr(pos, end - pos));
    if (!next) return std::nullopt;
    cur = *next;
    pos = end;
  }
  return cur;
}

std::optional<FdtReader::NodeId> FdtReader::find_by_phandle(uint32_t phandle) const {
  if (phandle == 0 || phandle == 0xffffffffu) return std::nullopt;
  for (NodeId n = 0; n < nodes_.size(); ++n) {
    auto v = prop_u32(n, "phandle");
    if (!v) v = prop_u32(n, "linux,phandle");
    if (v && *v == phandle) return n;
  }
  return std::nullopt;
}

std::vector<FdtProperty> FdtReader::properties(NodeId node) const {
  const Node& n = node_at(node);
  std::vector<FdtProperty> out;
  out.reserve(n.prop_count);
  for (uint32_t i = 0; i < n.prop_count; ++i)
    out.push_back(make_property(props_[n.first_prop + i]));
  return out;
}

std::optional<std::span<const uint8_t>> FdtReader::property(NodeId node,
                                                            std::string_view name) const {
  const Node& n = node_at(node);
  for (uint32_t i = 0; i < n.prop_count; ++i) {
    FdtProperty p = make_property(props_[n.first_prop + i]);
    if (p.name == name) return p.value;
  }
  return std::nullopt;
}

std::optional<uint32_t> FdtReader::prop_u32(NodeId node, std::string_view name) const {
  auto v = property(node, name);
  if (!v || v->size() != 4) return std::nullopt;
  return load_be<uint32_t>(v->data());
}

std::optional<uint64_t> FdtReader::prop_u64(NodeId node, std::string_view name) const {
  auto v = property(node, name);
  if (!v || v->size() != 8) return std::nullopt;
  return load_be<uint64_t>(v->data());
}

std::optional<std::vector<uint32_t>> FdtReader::prop_cells(NodeId node,
                                                           std::string_view name) const {
  auto v = property(node, name);
  if (!v || v->size() % 4 != 0) return std::nullopt;
  std::vector<uint32_t> cells(v->size() / 4);
  for (size_t i = 0; i < cells.size(); ++i) cells[i] = load_be<uint32_t>(v->data() + i * 4);
  return cells;
}

std::optional<std::string_view> FdtReader::prop_string(NodeId node, std::string_view name) const {
  auto v = property(node, name);
  if (!v || v->empty() || v->back() != 0) return std::nullopt;
  std::string_view s(reinterpret_cast<const char*>(v->data()), v->size() - 1);
  if (s.find('\0') != std::string_view::npos) return std::nullopt;
  return s;
}

std::optional<std::vector<std::string_view>> FdtReader::prop_strings(NodeId node,
                                                                     std::string_view name) const {
  auto v = property(node, name);
  if (!v || v->empty() || v->back() != 0) return std::nullopt;
  std::vector<std::string_view> out;
  std::string_view all(reinterpret_cast<const char*>(v->data()), v->size());
  size_t pos = 0;
  while (pos < all.size()) {
    size_t nul = all.find('\0', pos);
    out.push_back(all.substr(pos, nul - pos));
    pos = nul + 1;
  }
  return out;
}

namespace {

// True when the value is one or more non-empty printable NUL-terminated strings.
bool looks_like_strings(std::span<const uint8_t> v) {
  if (v.empty() || v.back() != 0 || v[0] == 0) return false;
  for (size_t i = 0; i < v.size(); ++i) {
    uint8_t c = v[i];
    if (c == 0) {
      if (i + 1 < v.size() && v[i + 1] == 0) return false;
    } else if (c < 0x20 || c >= 0x7f) {
      return false;
    }
  }
  return true;
}

void append_value(std::string& out, std::span<const uint8_t> v) {
  char buf[16];
  if (v.empty()) return;
  out += " = ";
  if (looks_like_strings(v)) {
    out += '"';
    for (size_t i = 0; i + 1 < v.size(); ++i) {
      char c = static_cast<char>(v[i]);
      if (c == 0) {
        out += "\", \"";
      } else {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
    }
    out += '"';
  } else if (v.size() % 4 == 0) {
    out += '<';
    for (size_t i = 0; i < v.size(); i += 4) {
      std::snprintf(buf, sizeof buf, "%s0x%x", i ? " " : "", load_be<uint32_t>(&v[i]));
      out += buf;
    }
    out += '>';
  } else {
    out += '[';
    for (size_t i = 0; i < v.size(); ++i) {
      std::snprintf(buf, sizeof buf, "%s%02x", i ? " " : "", v[i]);
      out += buf;
    }
    out += ']';
  }
}

}  // namespace

std::string FdtReader::to_dts() const {
  std::string out;
  if (nodes_.empty()) return out;
  out += "/dts-v1/;\n\n";
  for (const FdtReserveEntry& r : reserve_) {
    out += "/memreserve/ " + hex(r.address) + " " + hex(r.size) + ";\n";
  }
  // Iterative walk: (node, next child index) pairs.
  std::vector<std::pair<NodeId, size_t>> stack{{kRoot, 0}};
  auto indent = [&](size_t depth) { out.append(depth, '\t'); };
  out += "/ {\n";
  for (const FdtProperty& p : properties(kRoot)) {
    indent(1);
    out += p.name;
    append_value(out, p.value);
    out += ";\n";
  }
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    const std::vector<NodeId>& kids = nodes_[node].children;
    if (next == kids.size()) {
      stack.pop_back();
      indent(stack.size());
      out += "};\n";
      continue;
    }
    NodeId child = kids[next++];
    out += '\n';
    indent(stack.size());
    out += node_name(child);
    out += " {\n";
    for (const FdtProperty& p : properties(child)) {
      indent(stack.size() + 1);
      out += p.name;
      append_value(out, p.value);
      out += ";\n";
    }
    stack.push_back({child, 0});
  }
  return out;
}

}  // namespace glassvm
