// libFuzzer target over FdtReader::parse(): any byte string must be either rejected with a
// message or parsed into a tree whose every query works, never a crash, a leak or UB.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "engine/board/fdt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  glassvm::FdtReader reader;
  if (!reader.parse(std::span<const uint8_t>(data, size))) {
    if (reader.error().empty()) std::abort();  // a rejection must say why
    return 0;
  }
  for (glassvm::FdtReader::NodeId id = 0; id < reader.node_count(); ++id) {
    (void)reader.find_node(reader.node_path(id));
    for (const auto& prop : reader.properties(id)) {
      (void)reader.prop_u32(id, prop.name);
      (void)reader.prop_u64(id, prop.name);
      (void)reader.prop_cells(id, prop.name);
      (void)reader.prop_string(id, prop.name);
    }
  }
  (void)reader.to_dts();
  return 0;
}
