// The page-table entry of Sv39/Sv48 (privileged spec 4.4.1, 4.5.1): its flag bits, its PPN and
// the bits above it. The riscv-iommu's first- and second-stage PTEs have the same format
// (RISC-V IOMMU spec 3.1: "the same as the RISC-V privileged specification"), so the IOMMU
// models and the UI share these names with the hart's walk (engine/cpu/mmu.cpp).
#pragma once

#include <cstdint>

namespace glassvm {

/// PTE flag bits 7..0.
constexpr uint64_t kPteV = 1u << 0;  ///< valid
constexpr uint64_t kPteR = 1u << 1;  ///< readable
constexpr uint64_t kPteW = 1u << 2;  ///< writable
constexpr uint64_t kPteX = 1u << 3;  ///< executable
constexpr uint64_t kPteU = 1u << 4;  ///< user
constexpr uint64_t kPteG = 1u << 5;  ///< global
constexpr uint64_t kPteA = 1u << 6;  ///< accessed
constexpr uint64_t kPteD = 1u << 7;  ///< dirty
/// The flag bits' letters, bit 0 first, as the specification names them.
constexpr char kPteFlagNames[] = "VRWXUGAD";

/// The PPN: bits 53:10.
constexpr unsigned kPtePpnShift = 10;
constexpr uint64_t kPtePpnMask = (1ull << 44) - 1;
/// Bits 63:54: N (Svnapot), PBMT (Svpbmt) and bits reserved for future standard use.
constexpr unsigned kPteReservedShift = 54;
/// PBMT (Svpbmt): bits 62:61.
constexpr unsigned kPtePbmtShift = 61;
constexpr uint64_t kPtePbmtMask = 3;
/// N (Svnapot): bit 63.
constexpr uint64_t kPteN = 1ull << 63;

/// The PTE's physical page number.
constexpr uint64_t pte_ppn(uint64_t pte) {
  return (pte >> kPtePpnShift) & kPtePpnMask;
}
/// The physical address the PTE points at: the next table, or the (super)page of a leaf.
constexpr uint64_t pte_address(uint64_t pte) {
  return pte_ppn(pte) << 12;
}
/// The PTE's PBMT field (0: PMA, 1: NC, 2: IO, 3: reserved).
constexpr uint64_t pte_pbmt(uint64_t pte) {
  return (pte >> kPtePbmtShift) & kPtePbmtMask;
}
/// Whether a valid PTE is a leaf (R or X set) rather than a pointer to the next level.
constexpr bool pte_is_leaf(uint64_t pte) {
  return (pte & (kPteR | kPteX)) != 0;
}

}  // namespace glassvm
