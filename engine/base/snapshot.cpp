#include "engine/base/snapshot.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <set>

#include "engine/base/bytes.h"

namespace glassvm {

namespace {

constexpr uint8_t kMagic[8] = {'G', 'V', 'M', 'S', 'N', 'A', 'P', 0};
constexpr size_t kHeaderBytes = 8 + 4 + 4;
constexpr size_t kTrailerBytes = 4;
/// zlib's lengths are 32-bit (uInt): data is fed in pieces no larger than this.
constexpr uint64_t kZlibChunk = 1u << 30;

}  // namespace

std::vector<uint8_t> deflate_bytes(std::span<const uint8_t> in, int level) {
  z_stream z{};
  deflateInit(&z, level);
  std::vector<uint8_t> out;
  out.resize(deflateBound(&z, static_cast<uLong>(std::min<uint64_t>(in.size(), kZlibChunk))) + 64);
  size_t in_pos = 0;
  int flush = Z_NO_FLUSH;
  int rc = Z_OK;
  do {
    if (z.avail_in == 0 && flush != Z_FINISH) {
      const uint64_t n = std::min<uint64_t>(in.size() - in_pos, kZlibChunk);
      z.next_in = const_cast<Bytef*>(in.data() + in_pos);
      z.avail_in = static_cast<uInt>(n);
      in_pos += n;
      if (in_pos == in.size()) flush = Z_FINISH;
    }
    if (z.total_out == out.size()) out.resize(out.size() * 2);
    z.next_out = out.data() + z.total_out;
    z.avail_out = static_cast<uInt>(std::min<uint64_t>(out.size() - z.total_out, kZlibChunk));
    rc = deflate(&z, flush);
  } while (rc != Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

bool inflate_bytes(std::span<const uint8_t> in, std::span<uint8_t> out) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return false;
  uint64_t in_pos = 0, out_pos = 0;
  int rc = Z_OK;
  uint8_t spare;  // where output beyond out.size() would go: its presence means a longer stream
  while (true) {
    if (z.avail_in == 0 && in_pos < in.size()) {
      const uint64_t n = std::min<uint64_t>(in.size() - in_pos, kZlibChunk);
      z.next_in = const_cast<Bytef*>(in.data() + in_pos);
      z.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    const bool full = out_pos == out.size();
    z.next_out = full ? &spare : out.data() + out_pos;
    z.avail_out =
        full ? 1 : static_cast<uInt>(std::min<uint64_t>(out.size() - out_pos, kZlibChunk));
    const uInt before = z.avail_out;
    rc = inflate(&z, Z_NO_FLUSH);
    if (full && z.avail_out != before) break;  // more data than announced
    out_pos += before - z.avail_out;
    if (rc == Z_STREAM_END || (rc != Z_OK && rc != Z_BUF_ERROR)) break;
    if (rc == Z_BUF_ERROR && z.avail_in == 0 && in_pos == in.size()) break;  // input ran out
  }
  inflateEnd(&z);
  return rc == Z_STREAM_END && out_pos == out.size() && z.avail_in == 0 && in_pos == in.size();
}

bool gunzip_bytes(std::span<const uint8_t> in, uint64_t max, std::vector<uint8_t>& out) {
  if (in.size() < 2 || in[0] != 0x1f || in[1] != 0x8b) return false;
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return false;
  std::vector<uint8_t> result;
  uint64_t in_pos = 0;
  bool ok = false;
  while (true) {
    if (z.avail_in == 0 && in_pos < in.size()) {
      const uint64_t n = std::min<uint64_t>(in.size() - in_pos, kZlibChunk);
      z.next_in = const_cast<Bytef*>(in.data() + in_pos);
      z.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (result.size() == z.total_out) {
      if (result.size() >= max + 1) break;  // more than max
      result.resize(std::min<uint64_t>(max + 1, std::max<uint64_t>(result.size() * 2, 1 << 16)));
    }
    z.next_out = result.data() + z.total_out;
    z.avail_out = static_cast<uInt>(std::min<uint64_t>(result.size() - z.total_out, kZlibChunk));
    const int rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0 && in_pos == in.size()) {
        ok = z.total_out <= max;
        break;
      }
      // Another gzip member follows (gzip concatenates them).
      const uLong total = z.total_out;
      if (inflateReset(&z) != Z_OK) break;
      z.total_out = total;
      continue;
    }
    if (rc != Z_OK && !(rc == Z_BUF_ERROR && z.avail_out == 0)) break;
  }
  const uint64_t total = z.total_out;
  inflateEnd(&z);
  if (!ok) return false;
  result.resize(total);
  out = std::move(result);
  return true;
}

namespace {

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxSectionName) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == '/' || c == '@' || c == ',' || c == '=';
  });
}

}  // namespace

uint32_t crc32_of(std::span<const uint8_t> data, uint32_t prior) {
  uLong crc = prior;
  for (uint64_t pos = 0; pos < data.size();) {
    const uint64_t n = std::min<uint64_t>(data.size() - pos, kZlibChunk);
    crc = crc32(crc, data.data() + pos, static_cast<uInt>(n));
    pos += n;
  }
  return static_cast<uint32_t>(crc);
}

// -- StateReader --

StateReader::StateReader(const SnapshotSection& s, std::string label)
    : StateReader(s.payload, std::move(label)) {
  if (s.held) {
    size_ = s.held->size;
    held_ = s.held;
  }
}

bool StateReader::take(uint64_t n) {
  if (!ok()) return false;
  if (size_ - pos_ < n) {
    fail("ends early");
    return false;
  }
  return true;
}

uint64_t StateReader::get(unsigned n) {
  uint8_t b[8] = {};
  if (!read_into({b, n})) return 0;
  uint64_t v = 0;
  for (unsigned i = 0; i < n; ++i) v |= uint64_t{b[i]} << (8 * i);
  return v;
}

bool StateReader::boolean() {
  const uint8_t v = u8();
  if (v > 1) fail("a flag is neither 0 nor 1");
  return v == 1;
}

std::span<const uint8_t> StateReader::bytes(uint64_t n) {
  if (!take(n)) return {};
  if (!held_) {
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::vector<uint8_t> copy(n);
  if (!read_into(copy)) return {};
  return copied_.emplace_back(std::move(copy));
}

bool StateReader::read_into(std::span<uint8_t> out) {
  if (!take(out.size())) return false;
  if (!held_) {
    std::copy_n(data_.begin() + pos_, out.size(), out.begin());
  } else if (!out.empty() && !held_->copy(pos_, out)) {
    fail("its bytes could not be read");
    return false;
  }
  pos_ += out.size();
  return true;
}

std::vector<uint8_t> StateReader::blob(uint64_t max) {
  const uint64_t n = u64();
  if (n > max) {
    fail("a byte string of " + std::to_string(n) + " bytes is longer than the " +
         std::to_string(max) + " allowed");
    return {};
  }
  if (!take(n)) return {};
  std::vector<uint8_t> out(n);
  if (!read_into(out)) return {};
  return out;
}

std::string StateReader::str(uint64_t max) {
  auto b = blob(max);
  return {b.begin(), b.end()};
}

uint64_t StateReader::bounded(uint64_t max, const char* what) {
  const uint64_t v = u64();
  if (v > max) {
    fail(std::string(what) + " is " + std::to_string(v) + ", more than " + std::to_string(max));
    return 0;
  }
  return v;
}

void StateReader::fail(const std::string& why) {
  if (error_.empty()) error_ = "section " + section_ + ": " + why;
}

bool StateReader::finish() {
  if (ok() && pos_ != size_) {
    fail(std::to_string(size_ - pos_) + " bytes left over");
  }
  return ok();
}

// -- SnapshotWriter --

void SnapshotWriter::add(std::string name, uint32_t version, std::span<const uint8_t> payload) {
  // Level 1: a snapshot is mostly guest RAM, where the fastest level loses little.
  sections_.push_back({std::move(name), version, payload.size(), deflate_bytes(payload, 1)});
}

std::vector<uint8_t> SnapshotWriter::finish() const {
  StateWriter w;
  w.bytes(kMagic);
  w.u32(kSnapshotFormat);
  w.u32(static_cast<uint32_t>(sections_.size()));
  for (const Packed& s : sections_) {
    w.u8(static_cast<uint8_t>(s.name.size()));
    w.bytes({reinterpret_cast<const uint8_t*>(s.name.data()), s.name.size()});
    w.u32(s.version);
    w.u64(s.stored.size());
    w.u64(s.unpacked);
    w.bytes(s.stored);
  }
  w.u32(crc32_of(w.data()));
  return w.take();
}

// -- SnapshotFile --

bool SnapshotFile::open(std::span<const uint8_t> file, std::string& error,
                        const Prepared* prepared) {
  sections_.clear();
  held_ = prepared ? prepared->sections : Held{};
  if (file.size() < kHeaderBytes + kTrailerBytes || std::memcmp(file.data(), kMagic, 8) != 0) {
    error = "not a GlassVM snapshot (no GVMSNAP header)";
    return false;
  }
  const uint32_t format = load_le<uint32_t>(file.data() + 8);
  if (format != kSnapshotFormat) {
    error = "snapshot format version " + std::to_string(format) + " (this build reads version " +
            std::to_string(kSnapshotFormat) + ")";
    return false;
  }
  const auto body = file.first(file.size() - kTrailerBytes);
  const uint32_t crc = prepared && prepared->body_crc ? *prepared->body_crc : crc32_of(body);
  if (crc != load_le<uint32_t>(file.data() + body.size())) {
    error = "the snapshot is damaged or truncated (its checksum does not match)";
    return false;
  }
  const uint32_t count = load_le<uint32_t>(file.data() + 12);
  StateReader r(body.subspan(kHeaderBytes), "table");
  std::set<std::string, std::less<>> names;
  for (uint32_t i = 0; i < count && r.ok(); ++i) {
    Entry e;
    const uint8_t len = r.u8();
    auto name = r.bytes(len);
    e.name.assign(name.begin(), name.end());
    e.version = r.u32();
    const uint64_t stored = r.u64();
    e.unpacked = r.u64();
    e.stored = r.bytes(stored);
    if (!r.ok()) break;
    if (!valid_name(e.name)) {
      r.fail("bad section name");
    } else if (!names.insert(e.name).second) {
      r.fail("section " + e.name + " appears twice");
    }
    sections_.push_back(std::move(e));
  }
  if (!r.finish()) {
    error = "the snapshot's " + r.error();
    sections_.clear();
    return false;
  }
  return true;
}

const SnapshotFile::Entry* SnapshotFile::find(std::string_view name) const {
  for (const Entry& e : sections_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

bool SnapshotFile::unpack(std::string_view name, uint64_t max_bytes, SnapshotSection& out,
                          std::string& error) const {
  const Entry* e = find(name);
  if (!e) {
    error = "the snapshot has no section " + std::string(name);
    return false;
  }
  if (e->unpacked > max_bytes) {
    error = "section " + e->name + " unpacks to " + std::to_string(e->unpacked) +
            " bytes, more than the " + std::to_string(max_bytes) + " it may hold";
    return false;
  }
  out.name = e->name;
  out.version = e->version;
  out.held = nullptr;
  if (auto it = held_.find(name); it != held_.end() && it->second.size == e->unpacked) {
    out.payload.clear();
    out.held = &it->second;
    return true;
  }
  out.payload.assign(e->unpacked, 0);
  if (!inflate_bytes(e->stored, out.payload)) {
    error = "section " + e->name + " is damaged (its data does not unpack to " +
            std::to_string(e->unpacked) + " bytes)";
    out.payload.clear();
    return false;
  }
  return true;
}

// -- StateHash --

namespace {

uint64_t mix64(uint64_t x) {
  // SplitMix64's finalizer: every input bit reaches every output bit.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

void StateHash::add(std::span<const uint8_t> data) {
  uint64_t h = h_ ^ mix64(data.size() + 0x9e3779b97f4a7c15ull);
  size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    h ^= load_le<uint64_t>(data.data() + i) * 0x9e3779b97f4a7c15ull;
    h = std::rotl(h, 29) * 0xff51afd7ed558ccdull;
  }
  uint64_t tail = 0;
  for (size_t k = 0; i + k < data.size(); ++k) tail |= uint64_t{data[i + k]} << (8 * k);
  h ^= tail * 0xc4ceb9fe1a85ec53ull;
  h_ = mix64(std::rotl(h, 29) * 0xff51afd7ed558ccdull);
}

}  // namespace glassvm
