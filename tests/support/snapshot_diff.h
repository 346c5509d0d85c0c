// Compares two snapshot files section by section, for tests that check a restored machine goes
// on exactly as the original.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
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

}  // namespace glassvm::testing
