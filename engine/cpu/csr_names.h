// CSR names for display (disassembler, UI, traces).
//
// Design note: an internal table shared by the disassembler and whoever else needs to print a
// CSR. It is not the CPU's list of implemented CSRs (that is csr_name() in cpu.h). RV64 only:
// the RV32 high halves are not listed. Privileged spec 2.2, tables 2.2 to 2.6.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace glassvm {

/// One entry of the CSR name table.
struct CsrNameEntry {
  uint16_t number;
  const char* name;
};

/// Every CSR name of the ratified RV64 specifications that GlassVM might show, sorted by number.
inline constexpr CsrNameEntry kCsrNames[] = {
    {0x001, "fflags"},        {0x002, "frm"},           {0x003, "fcsr"},
    {0x015, "seed"},          {0x100, "sstatus"},       {0x104, "sie"},
    {0x105, "stvec"},         {0x106, "scounteren"},    {0x10a, "senvcfg"},
    {0x140, "sscratch"},      {0x141, "sepc"},          {0x142, "scause"},
    {0x143, "stval"},         {0x144, "sip"},           {0x14d, "stimecmp"},
    {0x180, "satp"},          {0x300, "mstatus"},       {0x301, "misa"},
    {0x302, "medeleg"},       {0x303, "mideleg"},       {0x304, "mie"},
    {0x305, "mtvec"},         {0x306, "mcounteren"},    {0x30a, "menvcfg"},
    {0x320, "mcountinhibit"}, {0x323, "mhpmevent3"},    {0x324, "mhpmevent4"},
    {0x325, "mhpmevent5"},    {0x326, "mhpmevent6"},    {0x327, "mhpmevent7"},
    {0x328, "mhpmevent8"},    {0x329, "mhpmevent9"},    {0x32a, "mhpmevent10"},
    {0x32b, "mhpmevent11"},   {0x32c, "mhpmevent12"},   {0x32d, "mhpmevent13"},
    {0x32e, "mhpmevent14"},   {0x32f, "mhpmevent15"},   {0x330, "mhpmevent16"},
    {0x331, "mhpmevent17"},   {0x332, "mhpmevent18"},   {0x333, "mhpmevent19"},
    {0x334, "mhpmevent20"},   {0x335, "mhpmevent21"},   {0x336, "mhpmevent22"},
    {0x337, "mhpmevent23"},   {0x338, "mhpmevent24"},   {0x339, "mhpmevent25"},
    {0x33a, "mhpmevent26"},   {0x33b, "mhpmevent27"},   {0x33c, "mhpmevent28"},
    {0x33d, "mhpmevent29"},   {0x33e, "mhpmevent30"},   {0x33f, "mhpmevent31"},
    {0x340, "mscratch"},      {0x341, "mepc"},          {0x342, "mcause"},
    {0x343, "mtval"},         {0x344, "mip"},           {0x34a, "mtinst"},
    {0x34b, "mtval2"},        {0x3a0, "pmpcfg0"},       {0x3a2, "pmpcfg2"},
    {0x3a4, "pmpcfg4"},       {0x3a6, "pmpcfg6"},       {0x3a8, "pmpcfg8"},
    {0x3aa, "pmpcfg10"},      {0x3ac, "pmpcfg12"},      {0x3ae, "pmpcfg14"},
    {0x3b0, "pmpaddr0"},      {0x3b1, "pmpaddr1"},      {0x3b2, "pmpaddr2"},
    {0x3b3, "pmpaddr3"},      {0x3b4, "pmpaddr4"},      {0x3b5, "pmpaddr5"},
    {0x3b6, "pmpaddr6"},      {0x3b7, "pmpaddr7"},      {0x3b8, "pmpaddr8"},
    {0x3b9, "pmpaddr9"},      {0x3ba, "pmpaddr10"},     {0x3bb, "pmpaddr11"},
    {0x3bc, "pmpaddr12"},     {0x3bd, "pmpaddr13"},     {0x3be, "pmpaddr14"},
    {0x3bf, "pmpaddr15"},     {0x3c0, "pmpaddr16"},     {0x3c1, "pmpaddr17"},
    {0x3c2, "pmpaddr18"},     {0x3c3, "pmpaddr19"},     {0x3c4, "pmpaddr20"},
    {0x3c5, "pmpaddr21"},     {0x3c6, "pmpaddr22"},     {0x3c7, "pmpaddr23"},
    {0x3c8, "pmpaddr24"},     {0x3c9, "pmpaddr25"},     {0x3ca, "pmpaddr26"},
    {0x3cb, "pmpaddr27"},     {0x3cc, "pmpaddr28"},     {0x3cd, "pmpaddr29"},
    {0x3ce, "pmpaddr30"},     {0x3cf, "pmpaddr31"},     {0x3d0, "pmpaddr32"},
    {0x3d1, "pmpaddr33"},     {0x3d2, "pmpaddr34"},     {0x3d3, "pmpaddr35"},
    {0x3d4, "pmpaddr36"},     {0x3d5, "pmpaddr37"},     {0x3d6, "pmpaddr38"},
    {0x3d7, "pmpaddr39"},     {0x3d8, "pmpaddr40"},     {0x3d9, "pmpaddr41"},
    {0x3da, "pmpaddr42"},     {0x3db, "pmpaddr43"},     {0x3dc, "pmpaddr44"},
    {0x3dd, "pmpaddr45"},     {0x3de, "pmpaddr46"},     {0x3df, "pmpaddr47"},
    {0x3e0, "pmpaddr48"},     {0x3e1, "pmpaddr49"},     {0x3e2, "pmpaddr50"},
    {0x3e3, "pmpaddr51"},     {0x3e4, "pmpaddr52"},     {0x3e5, "pmpaddr53"},
    {0x3e6, "pmpaddr54"},     {0x3e7, "pmpaddr55"},     {0x3e8, "pmpaddr56"},
    {0x3e9, "pmpaddr57"},     {0x3ea, "pmpaddr58"},     {0x3eb, "pmpaddr59"},
    {0x3ec, "pmpaddr60"},     {0x3ed, "pmpaddr61"},     {0x3ee, "pmpaddr62"},
    {0x3ef, "pmpaddr63"},     {0x5a8, "scontext"},      {0x747, "mseccfg"},
    {0x7a0, "tselect"},       {0x7a1, "tdata1"},        {0x7a2, "tdata2"},
    {0x7a3, "tdata3"},        {0x7a8, "mcontext"},      {0x7b0, "dcsr"},
    {0x7b1, "dpc"},           {0x7b2, "dscratch0"},     {0x7b3, "dscratch1"},
    {0xb00, "mcycle"},        {0xb02, "minstret"},      {0xb03, "mhpmcounter3"},
    {0xb04, "mhpmcounter4"},  {0xb05, "mhpmcounter5"},  {0xb06, "mhpmcounter6"},
    {0xb07, "mhpmcounter7"},  {0xb08, "mhpmcounter8"},  {0xb09, "mhpmcounter9"},
    {0xb0a, "mhpmcounter10"}, {0xb0b, "mhpmcounter11"}, {0xb0c, "mhpmcounter12"},
    {0xb0d, "mhpmcounter13"}, {0xb0e, "mhpmcounter14"}, {0xb0f, "mhpmcounter15"},
    {0xb10, "mhpmcounter16"}, {0xb11, "mhpmcounter17"}, {0xb12, "mhpmcounter18"},
    {0xb13, "mhpmcounter19"}, {0xb14, "mhpmcounter20"}, {0xb15, "mhpmcounter21"},
    {0xb16, "mhpmcounter22"}, {0xb17, "mhpmcounter23"}, {0xb18, "mhpmcounter24"},
    {0xb19, "mhpmcounter25"}, {0xb1a, "mhpmcounter26"}, {0xb1b, "mhpmcounter27"},
    {0xb1c, "mhpmcounter28"}, {0xb1d, "mhpmcounter29"}, {0xb1e, "mhpmcounter30"},
    {0xb1f, "mhpmcounter31"}, {0xc00, "cycle"},         {0xc01, "time"},
    {0xc02, "instret"},       {0xc03, "hpmcounter3"},   {0xc04, "hpmcounter4"},
    {0xc05, "hpmcounter5"},   {0xc06, "hpmcounter6"},   {0xc07, "hpmcounter7"},
    {0xc08, "hpmcounter8"},   {0xc09, "hpmcounter9"},   {0xc0a, "hpmcounter10"},
    {0xc0b, "hpmcounter11"},  {0xc0c, "hpmcounter12"},  {0xc0d, "hpmcounter13"},
    {0xc0e, "hpmcounter14"},  {0xc0f, "hpmcounter15"},  {0xc10, "hpmcounter16"},
    {0xc11, "hpmcounter17"},  {0xc12, "hpmcounter18"},  {0xc13, "hpmcounter19"},
    {0xc14, "hpmcounter20"},  {0xc15, "hpmcounter21"},  {0xc16, "hpmcounter22"},
    {0xc17, "hpmcounter23"},  {0xc18, "hpmcounter24"},  {0xc19, "hpmcounter25"},
    {0xc1a, "hpmcounter26"},  {0xc1b, "hpmcounter27"},  {0xc1c, "hpmcounter28"},
    {0xc1d, "hpmcounter29"},  {0xc1e, "hpmcounter30"},  {0xc1f, "hpmcounter31"},
    {0xf11, "mvendorid"},     {0xf12, "marchid"},       {0xf13, "mimpid"},
    {0xf14, "mhartid"},       {0xf15, "mconfigptr"},
};

/// The specification name of CSR `csr` ("mstatus", "pmpaddr3", ...), or nullptr when the
/// number has no standard name. O(log n); never fails.
inline const char* csr_mnemonic(uint16_t csr) {
  const auto* it = std::lower_bound(std::begin(kCsrNames), std::end(kCsrNames), csr,
                                    [](const CsrNameEntry& e, uint16_t n) { return e.number < n; });
  return it != std::end(kCsrNames) && it->number == csr ? it->name : nullptr;
}

}  // namespace glassvm
