// The page size shared by the CPU's TLB and code cache, the memory API's code tracking and
// the board's placement rules: 4 KiB, the RISC-V base page (privileged spec 4.3).
#pragma once

#include <cstdint>

namespace glassvm {

inline constexpr unsigned kPageShift = 12;
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;
inline constexpr uint64_t kPageMask = ~(kPageSize - 1);  ///< clears the offset in a page

}  // namespace glassvm
