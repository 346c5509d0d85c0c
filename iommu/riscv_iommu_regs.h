// Register offsets, bit fields and in-memory formats of the RISC-V IOMMU (RISC-V IOMMU
// Architecture Specification 1.0). Section numbers refer to that specification.
//
// Only constants live here, so that the model (riscv_iommu.cpp, riscv_iommu_walk.cpp) and the
// tests, which build tables and commands in guest memory, share one spelling of every field.
#pragma once

#include <cstdint>

namespace glassvm::riscv_iommu {

/// Bits [hi:lo] of a 64-bit value, as a mask.
constexpr uint64_t bits(unsigned hi, unsigned lo) {
  return (hi == 63 ? ~uint64_t{0} : (uint64_t{1} << (hi + 1)) - 1) & ~((uint64_t{1} << lo) - 1);
}
constexpr uint64_t bit(unsigned n) {
  return uint64_t{1} << n;
}
/// The field `mask` of `value`, shifted down.
constexpr uint64_t get_field(uint64_t value, uint64_t mask) {
  return (value & mask) / (mask & ~(mask - 1));
}
/// `field` placed into `mask`.
constexpr uint64_t field(uint64_t mask, uint64_t field) {
  return (field * (mask & ~(mask - 1))) & mask;
}

// -- 5. Memory-mapped registers ---------------------------------------------------------------

inline constexpr uint64_t kRegBlockSize = 0x1000;

inline constexpr uint64_t CAPABILITIES = 0x000;  // 64-bit, read-only
inline constexpr uint64_t FCTL = 0x008;          // 32-bit
inline constexpr uint64_t DDTP = 0x010;          // 64-bit
inline constexpr uint64_t CQB = 0x018;           // 64-bit
inline constexpr uint64_t CQH = 0x020;           // 32-bit, read-only
inline constexpr uint64_t CQT = 0x024;           // 32-bit
inline constexpr uint64_t FQB = 0x028;           // 64-bit
inline constexpr uint64_t FQH = 0x030;           // 32-bit
inline constexpr uint64_t FQT = 0x034;           // 32-bit, read-only
inline constexpr uint64_t PQB = 0x038;           // 64-bit
inline constexpr uint64_t PQH = 0x040;           // 32-bit
inline constexpr uint64_t PQT = 0x044;           // 32-bit, read-only
inline constexpr uint64_t CQCSR = 0x048;         // 32-bit
inline constexpr uint64_t FQCSR = 0x04c;         // 32-bit
inline constexpr uint64_t PQCSR = 0x050;         // 32-bit
inline constexpr uint64_t IPSR = 0x054;          // 32-bit, write 1 to clear
inline constexpr uint64_t IOCNTOVF = 0x058;      // 32-bit (HPM, not implemented)
inline constexpr uint64_t IOCNTINH = 0x05c;      // 32-bit (HPM, not implemented)
inline constexpr uint64_t IOHPMCYCLES = 0x060;   // 64-bit (HPM, not implemented)
inline constexpr uint64_t TR_REQ_IOVA = 0x258;   // 64-bit (DBG, not implemented)
inline constexpr uint64_t TR_REQ_CTL = 0x260;    // 64-bit (DBG, not implemented)
inline constexpr uint64_t TR_RESPONSE = 0x268;   // 64-bit (DBG, not implemented)
inline constexpr uint64_t ICVEC = 0x2f8;         // 64-bit
inline constexpr uint64_t MSI_CFG_TBL = 0x300;   // 16 x 16 bytes (IGS=MSI only, absent here)

// capabilities (5.3)
inline constexpr uint64_t CAP_VERSION = bits(7, 0);
inline constexpr uint64_t CAP_VERSION_1_0 = 0x10;
inline constexpr uint64_t CAP_SV32 = bit(8);
inline constexpr uint64_t CAP_SV39 = bit(9);
inline constexpr uint64_t CAP_SV48 = bit(10);
inline constexpr uint64_t CAP_SV57 = bit(11);
inline constexpr uint64_t CAP_SVPBMT = bit(15);
inline constexpr uint64_t CAP_SV39X4 = bit(17);
inline constexpr uint64_t CAP_MSI_FLAT = bit(22);
inline constexpr uint64_t CAP_AMO_HWAD = bit(24);
inline constexpr uint64_t CAP_ATS = bit(25);
inline constexpr uint64_t CAP_T2GPA = bit(26);
inline constexpr uint64_t CAP_END = bit(27);
inline constexpr uint64_t CAP_IGS = bits(29, 28);
inline constexpr uint64_t CAP_IGS_MSI = 0;
inline constexpr uint64_t CAP_IGS_WSI = 1;
inline constexpr uint64_t CAP_IGS_BOTH = 2;
inline constexpr uint64_t CAP_HPM = bit(30);
inline constexpr uint64_t CAP_DBG = bit(31);
inline constexpr uint64_t CAP_PAS = bits(37, 32);
inline constexpr uint64_t CAP_PD8 = bit(38);
inline constexpr uint64_t CAP_PD17 = bit(39);
inline constexpr uint64_t CAP_PD20 = bit(40);

// fctl (5.4)
inline constexpr uint64_t FCTL_BE = bit(0);
inline constexpr uint64_t FCTL_WSI = bit(1);
inline constexpr uint64_t FCTL_GXL = bit(2);

// ddtp (5.5)
inline constexpr uint64_t DDTP_MODE = bits(3, 0);
inline constexpr uint64_t DDTP_BUSY = bit(4);
inline constexpr uint64_t DDTP_PPN = bits(53, 10);
enum DdtpMode : uint64_t {
  kModeOff = 0,
  kModeBare = 1,
  kMode1Lvl = 2,
  kMode2Lvl = 3,
  kMode3Lvl = 4
};

// cqb / fqb / pqb (5.6, 5.9, 5.12)
inline constexpr uint64_t QB_LOG2SZ_1 = bits(4, 0);  // log2(entries) - 1
inline constexpr uint64_t QB_PPN = bits(53, 10);

// cqcsr / fqcsr / pqcsr (5.15 - 5.17)
inline constexpr uint64_t QCSR_EN = bit(0);
inline constexpr uint64_t QCSR_IE = bit(1);
inline constexpr uint64_t QCSR_MF = bit(8);         // cqmf / fqmf / pqmf
inline constexpr uint64_t CQCSR_CMD_TO = bit(9);    // command timeout
inline constexpr uint64_t QCSR_OF = bit(9);         // fqof / pqof: queue overflow
inline constexpr uint64_t CQCSR_CMD_ILL = bit(10);  // illegal command
inline constexpr uint64_t CQCSR_FENCE_W_IP = bit(11);
inline constexpr uint64_t QCSR_ON = bit(16);
inline constexpr uint64_t QCSR_BUSY = bit(17);

// ipsr (5.18)
inline constexpr uint64_t IPSR_CIP = bit(0);
inline constexpr uint64_t IPSR_FIP = bit(1);
inline constexpr uint64_t IPSR_PMIP = bit(2);
inline constexpr uint64_t IPSR_PIP = bit(3);

// icvec (5.27): the vector of each interrupt cause
inline constexpr uint64_t ICVEC_CIV = bits(3, 0);
inline constexpr uint64_t ICVEC_FIV = bits(7, 4);
inline constexpr uint64_t ICVEC_PMIV = bits(11, 8);
inline constexpr uint64_t ICVEC_PIV = bits(15, 12);

// -- 2.1 Device directory table ------------------------------------------------------------------

inline constexpr uint64_t DDTE_V = bit(0);
inline constexpr uint64_t DDTE_PPN = bits(53, 10);
inline constexpr uint64_t DDTE_RESERVED = bits(9, 1) | bits(63, 54);

/// The base-format device context (2.1.2): 32 bytes, four doublewords.
inline constexpr uint64_t kDcSize = 32;
inline constexpr uint64_t DC_TC_V = bit(0);
inline constexpr uint64_t DC_TC_EN_ATS = bit(1);
inline constexpr uint64_t DC_TC_EN_PRI = bit(2);
inline constexpr uint64_t DC_TC_T2GPA = bit(3);
inline constexpr uint64_t DC_TC_DTF = bit(4);
inline constexpr uint64_t DC_TC_PDTV = bit(5);
inline constexpr uint64_t DC_TC_PRPR = bit(6);
inline constexpr uint64_t DC_TC_GADE = bit(7);
inline constexpr uint64_t DC_TC_SADE = bit(8);
inline constexpr uint64_t DC_TC_DPE = bit(9);
inline constexpr uint64_t DC_TC_SBE = bit(10);
inline constexpr uint64_t DC_TC_SXL = bit(11);
inline constexpr uint64_t DC_TC_RESERVED = bits(23, 12) | bits(63, 32);  // [31:24] custom

inline constexpr uint64_t ATP_PPN = bits(43, 0);  // iohgatp / iosatp / pdtp
inline constexpr uint64_t ATP_MODE = bits(63, 60);
inline constexpr uint64_t IOHGATP_GSCID = bits(59, 44);
inline constexpr uint64_t IOSATP_RESERVED = bits(59, 44);
enum IosatpMode : uint64_t { kSatpBare = 0, kSatpSv39 = 8, kSatpSv48 = 9, kSatpSv57 = 10 };

inline constexpr uint64_t DC_TA_PSCID = bits(31, 12);
inline constexpr uint64_t DC_TA_RESERVED = bits(11, 0) | bits(63, 32);

/// Device-id partitions of the base format (2.1): DDI[0] 7 bits, DDI[1] 9 bits, DDI[2] 8 bits.
inline constexpr unsigned kDdi0Bits = 7;
inline constexpr unsigned kDdi1Bits = 9;
inline constexpr unsigned kDdi2Bits = 8;
inline constexpr unsigned kDeviceIdBits = kDdi0Bits + kDdi1Bits + kDdi2Bits;  // 24

// -- First-stage page-table entries (privileged spec Sv39/Sv48/Sv57) ------------------------------

inline constexpr uint64_t PTE_V = bit(0);
inline constexpr uint64_t PTE_R = bit(1);
inline constexpr uint64_t PTE_W = bit(2);
inline constexpr uint64_t PTE_X = bit(3);
inline constexpr uint64_t PTE_U = bit(4);
inline constexpr uint64_t PTE_G = bit(5);
inline constexpr uint64_t PTE_A = bit(6);
inline constexpr uint64_t PTE_D = bit(7);
inline constexpr uint64_t PTE_PPN = bits(53, 10);
inline constexpr uint64_t PTE_RESERVED = bits(62, 54);  // PBMT and reserved: not supported
/// Svnapot: a level-0 leaf with N and ppn[3:0] = 1000 maps a 64 KiB block (the IOMMU spec
/// requires Svnapot); every other use of N is reserved.
inline constexpr uint64_t PTE_N = bit(63);
inline constexpr uint64_t kNapot64KPpnLow = 0x8;

// -- 3.1 Commands (16 bytes) -----------------------------------------------------------------

inline constexpr uint64_t kCommandSize = 16;
inline constexpr uint64_t CMD_OPCODE = bits(6, 0);
inline constexpr uint64_t CMD_FUNC3 = bits(9, 7);

inline constexpr uint64_t OP_IOTINVAL = 1;
inline constexpr uint64_t FUNC_IOTINVAL_VMA = 0;
inline constexpr uint64_t FUNC_IOTINVAL_GVMA = 1;
inline constexpr uint64_t IOTINVAL_AV = bit(10);
inline constexpr uint64_t IOTINVAL_PSCID = bits(31, 12);
inline constexpr uint64_t IOTINVAL_PSCV = bit(32);
inline constexpr uint64_t IOTINVAL_GV = bit(33);
inline constexpr uint64_t IOTINVAL_GSCID = bits(59, 44);
inline constexpr uint64_t IOTINVAL_RESERVED0 = bit(11) | bits(43, 34) | bits(63, 60);
inline constexpr uint64_t IOTINVAL_ADDR = bits(61, 10);  // dword1: ADDR[63:12]
inline constexpr uint64_t IOTINVAL_RESERVED1 = bits(9, 0) | bits(63, 62);

inline constexpr uint64_t OP_IOFENCE = 2;
inline constexpr uint64_t FUNC_IOFENCE_C = 0;
inline constexpr uint64_t IOFENCE_AV = bit(10);
inline constexpr uint64_t IOFENCE_WSI = bit(11);
inline constexpr uint64_t IOFENCE_PR = bit(12);
inline constexpr uint64_t IOFENCE_PW = bit(13);
inline constexpr uint64_t IOFENCE_DATA = bits(63, 32);
inline constexpr uint64_t IOFENCE_RESERVED0 = bits(31, 14);
inline constexpr uint64_t IOFENCE_ADDR = bits(61, 0);  // dword1: ADDR[63:2]
inline constexpr uint64_t IOFENCE_RESERVED1 = bits(63, 62);

inline constexpr uint64_t OP_IODIR = 3;
inline constexpr uint64_t FUNC_IODIR_INVAL_DDT = 0;
inline constexpr uint64_t FUNC_IODIR_INVAL_PDT = 1;
inline constexpr uint64_t IODIR_PID = bits(31, 12);
inline constexpr uint64_t IODIR_DV = bit(33);
inline constexpr uint64_t IODIR_DID = bits(63, 40);
inline constexpr uint64_t IODIR_RESERVED0 = bits(11, 10) | bit(32) | bits(39, 34);

inline constexpr uint64_t OP_ATS = 4;
inline constexpr uint64_t FUNC_ATS_INVAL = 0;
inline constexpr uint64_t FUNC_ATS_PRGR = 1;
inline constexpr uint64_t ATS_PID = bits(31, 12);
inline constexpr uint64_t ATS_PV = bit(32);
inline constexpr uint64_t ATS_DSV = bit(33);
inline constexpr uint64_t ATS_RID = bits(55, 40);
inline constexpr uint64_t ATS_DSEG = bits(63, 56);
inline constexpr uint64_t ATS_RESERVED0 = bits(11, 10) | bits(39, 34);
// ATS.INVAL payload (dword1): the PCIe Invalidate Request message body.
inline constexpr uint64_t ATS_INVAL_G = bit(0);
inline constexpr uint64_t ATS_INVAL_S = bit(11);
inline constexpr uint64_t ATS_INVAL_ADDR = bits(63, 12);

// -- 3.2 Fault records (32 bytes) ------------------------------------------------------------

inline constexpr uint64_t kFaultRecordSize = 32;
inline constexpr uint64_t FQ_CAUSE = bits(11, 0);
inline constexpr uint64_t FQ_PID = bits(31, 12);
inline constexpr uint64_t FQ_PV = bit(32);
inline constexpr uint64_t FQ_PRIV = bit(33);
inline constexpr uint64_t FQ_TTYP = bits(39, 34);
inline constexpr uint64_t FQ_DID = bits(63, 40);

/// Fault causes (3.2, table "Fault queue record CAUSE").
enum Cause : uint32_t {
  kCauseReadAccessFault = 5,
  kCauseWriteAccessFault = 7,
  kCauseReadPageFault = 13,
  kCauseWritePageFault = 15,
  kCauseAllInboundDisallowed = 256,
  kCauseDdtLoadAccessFault = 257,
  kCauseDdtNotValid = 258,
  kCauseDdtMisconfigured = 259,
  kCauseTransactionTypeDisallowed = 260,
};

/// Transaction types (3.2, table "Fault queue record TTYP").
enum Ttyp : uint32_t {
  kTtypNone = 0,
  kTtypUntranslatedRead = 2,
  kTtypUntranslatedWrite = 3,
  kTtypAtsTranslationRequest = 8,
};

}  // namespace glassvm::riscv_iommu
