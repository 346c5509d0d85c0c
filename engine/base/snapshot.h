// Snapshots: a machine's whole state as one file, and the readers and writers its parts use.
//
// Design note: a snapshot is a list of named sections, each with its own version, written by
// the component that owns the state (the CPU, RAM, the clock, each device). The file is
//
//   header   "GVMSNAP\0", u32 format version (kSnapshotFormat), u32 section count
//   section  u8 name length, name (1..kMaxSectionName bytes), u32 section version,
//            u64 stored length, u64 unpacked length, stored bytes (zlib's deflate stream)
//   ...
//   trailer  u32 CRC-32 of every byte before it
//
// all little-endian (docs/snapshots.md). Each section is compressed on its own, so a reader
// unpacks only what it reads and the limit on each unpacked length is known before it is
// unpacked: a hostile file cannot make a reader allocate more than its caller allows. Reading
// never trusts a length: a StateReader that runs past its section's end, or a component that
// finds an impossible value, fails with a message, and the caller throws the half-built
// machine away (the running one is never touched).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace glassvm {

/// The container format's version (the header's); sections carry their own.
inline constexpr uint32_t kSnapshotFormat = 1;
/// The longest section name.
inline constexpr size_t kMaxSectionName = 64;

/// Builds one section's payload: little-endian integers and length-prefixed byte strings.
class StateWriter {
 public:
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { put(v, 2); }
  void u32(uint32_t v) { put(v, 4); }
  void u64(uint64_t v) { put(v, 8); }
  void boolean(bool v) { u8(v ? 1 : 0); }
  /// Raw bytes, no length (the reader must know how many).
  void bytes(std::span<const uint8_t> data) { out_.insert(out_.end(), data.begin(), data.end()); }
  /// A u64 length, then the bytes.
  void blob(std::span<const uint8_t> data) {
    u64(data.size());
    bytes(data);
  }
  void str(std::string_view s) { blob({reinterpret_cast<const uint8_t*>(s.data()), s.size()}); }

  const std::vector<uint8_t>& data() const { return out_; }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  void put(uint64_t v, unsigned n) {
    for (unsigned i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t> out_;
};

/// A section's unpacked bytes kept outside this module, copied in as they are read. The page's
/// download worker inflates a snapshot's large sections while the file arrives and keeps them
/// in JavaScript; a restore then copies each byte once, straight to where it goes (guest RAM,
/// a boot image), rather than into a buffer first. In a browser a restore's cost is mostly the
/// first touch of new memory, so every copy through fresh memory counts.
struct HeldBytes {
  uint64_t size = 0;
  /// Copies the `out.size()` bytes at `offset` into `out` (the reader never asks past `size`);
  /// false when it cannot.
  std::function<bool(uint64_t offset, std::span<uint8_t> out)> copy;
};

struct SnapshotSection;

/// Reads one section's payload. Reading past the end, or a value a component rejects (fail()),
/// puts the reader in a failed state in which every read returns zeros; the first message is
/// kept. Components read everything, then check ok().
class StateReader {
 public:
  StateReader(std::span<const uint8_t> data, std::string section)
      : data_(data), size_(data.size()), section_(std::move(section)) {}
  /// Reads held bytes (`held` must outlive the reader).
  StateReader(const HeldBytes& held, std::string section)
      : size_(held.size), held_(&held), section_(std::move(section)) {}
  /// Reads a section's bytes, wherever unpack() left them; `label` names it in messages.
  StateReader(const SnapshotSection& s, std::string label);

  uint8_t u8() { return static_cast<uint8_t>(get(1)); }
  uint16_t u16() { return static_cast<uint16_t>(get(2)); }
  uint32_t u32() { return static_cast<uint32_t>(get(4)); }
  uint64_t u64() { return get(8); }
  /// A byte that must be 0 or 1.
  bool boolean();
  /// `n` raw bytes (empty on failure), valid as long as the reader.
  std::span<const uint8_t> bytes(uint64_t n);
  /// Copies the next `out.size()` raw bytes into `out` (held bytes straight from where they
  /// are held); false, and `out` untouched, on failure.
  bool read_into(std::span<uint8_t> out);
  /// A length-prefixed byte string of at most `max` bytes.
  std::vector<uint8_t> blob(uint64_t max);
  std::string str(uint64_t max);
  /// A value that must not exceed `max` (a count, an index, an enum).
  uint64_t bounded(uint64_t max, const char* what);

  /// Marks the section bad with `why` (kept only if it is the first problem).
  void fail(const std::string& why);
  bool ok() const { return error_.empty(); }
  /// Fails unless every byte was read (a section longer than its version says is corrupt).
  bool finish();
  /// "section NAME: WHY".
  const std::string& error() const { return error_; }
  uint64_t remaining() const { return ok() ? size_ - pos_ : 0; }

 private:
  uint64_t get(unsigned n);
  /// Takes the next `n` bytes (false, failed, when there are not that many).
  bool take(uint64_t n);
  std::span<const uint8_t> data_;  ///< all the bytes, unless they are held
  uint64_t size_ = 0;
  const HeldBytes* held_ = nullptr;
  std::vector<std::vector<uint8_t>> copied_;  ///< what bytes() copied out of held bytes
  uint64_t pos_ = 0;
  std::string section_;
  std::string error_;
};

/// One section of a snapshot, unpacked.
struct SnapshotSection {
  std::string name;
  uint32_t version = 0;
  /// The bytes unpack() inflated; empty when it took held ones from SnapshotFile::Prepared.
  std::vector<uint8_t> payload;
  /// The held bytes unpack() took instead of inflating (read them with a StateReader): they
  /// live as long as the SnapshotFile.
  const HeldBytes* held = nullptr;
};

/// Writes sections into a snapshot file.
class SnapshotWriter {
 public:
  /// Adds a section (names must be unique; the reader rejects a file that repeats one).
  void add(std::string name, uint32_t version, std::span<const uint8_t> payload);
  /// The whole file.
  std::vector<uint8_t> finish() const;

 private:
  struct Packed {
    std::string name;
    uint32_t version;
    uint64_t unpacked;
    std::vector<uint8_t> stored;
  };
  std::vector<Packed> sections_;
};

/// A snapshot file checked for its structure (magic, version, lengths, checksum, unique
/// names); sections are unpacked on demand.
class SnapshotFile {
 public:
  /// Sections already unpacked and held elsewhere, by name.
  using Held = std::map<std::string, HeldBytes, std::less<>>;
  /// Work done on the file beforehand: the page's download worker does it off the main
  /// thread, while the file arrives.
  struct Prepared {
    /// unpack() takes one of these instead of inflating when its size is the section's
    /// unpacked length, with the same limit.
    Held sections;
    /// The CRC-32 of the file without its 4-byte trailer: open() compares it with the trailer
    /// instead of computing it.
    std::optional<uint32_t> body_crc;
  };

  /// Checks `file` (which must outlive this object). Returns false with a message on any
  /// problem: not a snapshot, another format version, truncated, trailing bytes, a bad
  /// checksum, a bad or repeated section name. `prepared` (copied) may be null.
  bool open(std::span<const uint8_t> file, std::string& error, const Prepared* prepared = nullptr);

  /// Names and versions, in file order.
  struct Entry {
    std::string name;
    uint32_t version = 0;
    uint64_t unpacked = 0;
    std::span<const uint8_t> stored;
  };
  const std::vector<Entry>& sections() const { return sections_; }
  const Entry* find(std::string_view name) const;

  /// Unpacks section `name` into `out`. Fails with a message when it is missing, when its
  /// unpacked length exceeds `max_bytes`, or when its data does not unpack to that length.
  bool unpack(std::string_view name, uint64_t max_bytes, SnapshotSection& out,
              std::string& error) const;

 private:
  std::vector<Entry> sections_;
  Held held_;
};

/// CRC-32 (zlib's, as in gzip and PNG); give the CRC of the bytes before `data` as `prior`
/// to continue it.
uint32_t crc32_of(std::span<const uint8_t> data, uint32_t prior = 0);

/// zlib's deflate stream of `in` at `level` (1 fastest .. 9 smallest).
std::vector<uint8_t> deflate_bytes(std::span<const uint8_t> in, int level);
/// Unpacks zlib stream `in` into exactly `out.size()` bytes; false if the stream is corrupt,
/// ends early or holds more.
bool inflate_bytes(std::span<const uint8_t> in, std::span<uint8_t> out);
/// Unpacks a gzip file (every member) into `out`; false when it is not gzip, is damaged or
/// truncated, or unpacks to more than `max` bytes.
bool gunzip_bytes(std::span<const uint8_t> in, uint64_t max, std::vector<uint8_t>& out);

/// A 64-bit hash of a machine's state (Machine::state_hash), the same on every host: byte
/// strings are taken as little-endian 64-bit words, mixed with multiply-rotate steps and
/// SplitMix64's finalizer. It tells states apart for determinism checks; it is not a
/// cryptographic hash.
class StateHash {
 public:
  /// Mixes in one byte string (its length included, so ("ab", "c") differs from ("a", "bc")).
  void add(std::span<const uint8_t> data);
  void add(std::string_view text) {
    add({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  }
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0x6a09e667f3bcc908ull;
};

}  // namespace glassvm
