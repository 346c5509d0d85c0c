// Loads the bundled guest images built into GLASSVM_GUEST_DIR, for the UI tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace glassvm::testing {

/// The bytes of GLASSVM_GUEST_DIR/<name>, or empty if it cannot be read.
inline std::vector<uint8_t> read_guest(const std::string& name) {
  std::ifstream in(std::string(GLASSVM_GUEST_DIR) + "/" + name, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

}  // namespace glassvm::testing
