// Compares two snapshot files section by section, for tests that check a restored machine goes
// on exactly as the original.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/base/snapshot.h"

namespace glassvm::testing {

/// The sections in which two snapshots differ ("" when they are the same), with the first
/// differing byte of each.
inline std::string snapshot_differences(const std::vector<uint8_t>& a,
                                        const std::vector<uint8_t>& b) {
  SnapshotFile fa, fb;
  std::string error, out;
  EXPECT_TRUE(fa.open(a, error) && fb.open(b, error)) << error;
  for (const SnapshotFile::Entry& e : fa.sections()) {
    SnapshotSection sa, sb;
    if (!fa.unpack(e.name, 1ull << 32, sa, error) || !fb.unpack(e.name, 1ull << 32, sb, error)) {
      out += e.name + " (missing) ";
      continue;
    }
    if (sa.payload == sb.payload) continue;
    size_t i = 0;
    while (i < sa.payload.size() && i < sb.payload.size() && sa.payload[i] == sb.payload[i]) ++i;
    out += e.name + " (byte " + std::to_string(i) + ") ";
  }
  if (out.empty() && a != b) out = "(the files differ, their sections do not)";
  return out;
}

/// `snapshot` with section `name`'s payload changed by `edit`: a file whose checksum and
/// compression are fine but whose contents are not.
inline std::vector<uint8_t> rewrite_section(
    const std::vector<uint8_t>& snapshot, const std::string& name,
    const std::function<void(std::vector<uint8_t>&)>& edit) {
  SnapshotFile file;
  std::string error;
  EXPECT_TRUE(file.open(snapshot, error)) << error;
  SnapshotWriter out;
  for (const SnapshotFile::Entry& e : file.sections()) {
    SnapshotSection s;
    EXPECT_TRUE(file.unpack(e.name, 1ull << 32, s, error)) << error;
    if (e.name == name) edit(s.payload);
    out.add(s.name, s.version, s.payload);
  }
  return out.finish();
}

}  // namespace glassvm::testing
