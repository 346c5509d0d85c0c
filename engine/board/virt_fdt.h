// The device tree of the "virt" board, generated from a plain description of its configuration.
//
// Design note: node names, compatibles, property values and even node/property order follow
// what QEMU 7.2's hw/riscv/virt.c produces for the same devices (one socket, PLIC + CLINT, no
// PCI, flash or fw_cfg), so that firmware and kernels written for QEMU virt find what they
// expect. The one deliberate difference: linux,initrd-start/end are written as 64-bit values
// (QEMU 7.2 writes 32-bit cells; Linux reads either, and 64-bit also works above 4 GiB).
//
// Each device writes its own nodes (Device::fdt_*), from the board's live device list, which
// the board creates in the order QEMU virt creates their nodes (clint, plic, test, serial, rtc,
// then -device ones). That order alone gives QEMU's phandles (harts, then plic = 3 and
// test = 4 with one hart) and QEMU's /soc order: libfdt adds each new node in front of its
// siblings, so /soc lists the devices backwards, with the virtio-mmio slots just above the
// interrupt controllers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/board/device_registry.h"
#include "engine/board/fdt.h"

namespace glassvm {

/// QEMU virt addresses and interrupt numbers used by the generated tree.
inline constexpr uint64_t kVirtTestBase = 0x100000, kVirtTestSize = 0x1000;
inline constexpr uint64_t kVirtRtcBase = 0x101000, kVirtRtcSize = 0x1000;
inline constexpr uint64_t kVirtClintBase = 0x2000000, kVirtClintSize = 0x10000;
inline constexpr uint64_t kVirtPlicBase = 0xc000000, kVirtPlicSize = 0x600000;
inline constexpr uint64_t kVirtUartBase = 0x10000000, kVirtUartSize = 0x100;
inline constexpr uint64_t kVirtVirtioBase = 0x10001000, kVirtVirtioStride = 0x1000;
inline constexpr unsigned kVirtVirtioSlots = 8;
inline constexpr uint32_t kVirtUartIrq = 10, kVirtRtcIrq = 11, kVirtVirtioIrqBase = 1;
/// Number of PLIC interrupt sources described by riscv,ndev (QEMU's 96 sources minus source 0).
inline constexpr uint32_t kVirtPlicNdev = 95;
/// Values the sifive,test device understands (syscon-poweroff / syscon-reboot).
inline constexpr uint32_t kVirtTestPass = 0x5555, kVirtTestReset = 0x7777;

/// What the board has; build_virt_fdt turns it into a device tree. Defaults are QEMU virt's
/// with one hart and 128 MiB of RAM.
struct VirtFdtConfig {
  unsigned harts = 1;  ///< 1..512, hart ids 0..harts-1
  uint64_t ram_base = 0x80000000;
  uint64_t ram_size = 128ull << 20;
  std::string isa = "rv64imafdc_zicsr_zifencei_zicntr";  ///< riscv,isa of every hart
  std::string mmu_type = "riscv,sv39";  ///< "" means no MMU (written as "riscv,none")
  uint32_t timebase_hz = 10000000;      ///< /cpus timebase-frequency (mtime rate)
  std::string bootargs;                 ///< /chosen bootargs; omitted when empty
  std::optional<std::pair<uint64_t, uint64_t>> initrd;  ///< [start, end) of the initrd
  std::vector<uint8_t> rng_seed;  ///< /chosen rng-seed; omitted when empty (the board's is
                                  ///< virt::kRngSeed, fixed so that runs replay)
  /// Placeholder virtio,mmio nodes for slots 0..n-1 (n <= 8), for a tree without slot devices;
  /// the board leaves it 0, its virtio-mmio slot devices write their own nodes.
  unsigned virtio_mmio_slots = 0;
  /// The board's devices in creation order; each writes its own nodes. Not owned.
  std::vector<Device*> devices;
  uint32_t boot_hart = 0;  ///< header boot_cpuid_phys
};

/// What a device needs to know while it writes its nodes.
struct VirtFdtContext {
  unsigned harts = 1;
  std::vector<uint32_t> intc_phandles;  ///< riscv,cpu-intc phandle of each hart
  uint32_t interrupt_parent = 0;        ///< the PLIC's phandle; 0 on a board without one

  /// Writes `interrupts` and `interrupt-parent` for source `irq`; nothing without a PLIC.
  void interrupts(FdtBuilder& b, uint32_t irq) const;
};

/// "name@addr" with the address in lower-case hexadecimal, as unit addresses are written.
std::string fdt_node_name(const char* name, uint64_t addr);
/// Writes a `reg` property of one (address, size) pair in two cells each.
void fdt_reg(FdtBuilder& b, uint64_t base, uint64_t size);

/// An endpoint's `iommus = <&iommu device_id>` (the one-cell binding of riscv,iommu and of
/// virtio-iommu).
struct FdtIommuRef {
  uint32_t phandle = 0;
  uint32_t device_id = 0;
};

/// Writes the `virtio_mmio@base` node of one virtio-mmio slot (QEMU's: its interrupt, a reg of
/// the slot's 0x1000 bytes, compatible "virtio,mmio"), with `iommus` when it sits behind an
/// IOMMU. A nonzero `iommu_phandle` makes it the node of the virtio-iommu the slot hosts
/// (Linux's virtio/mmio.yaml binding): `phandle` and `#iommu-cells = <1>`.
void fdt_virtio_mmio_node(FdtBuilder& b, const VirtFdtContext& ctx, uint64_t base, uint32_t irq,
                          std::optional<FdtIommuRef> iommu = std::nullopt,
                          uint32_t iommu_phandle = 0);

/// The device tree's newer ISA binding for a riscv,isa string: riscv,isa-base ("rv64i") and
/// riscv,isa-extensions (lower-case names, "i" first). An empty base means the string was not
/// understood (and only riscv,isa is written).
struct IsaProperties {
  std::string base;
  std::vector<std::string> extensions;
};
IsaProperties isa_properties(std::string_view isa);

/// Builds the virt board's device tree blob (DTB v17). Device nodes that raise interrupts get
/// interrupt-parent/interrupts only when a PLIC is among the devices. An out-of-range configuration
/// (harts outside 1..512, more than 8 virtio slots, boot_hart >= harts, a NUL inside a string)
/// is a programmer error: the board validates user input before calling this. Never fails
/// otherwise.
std::vector<uint8_t> build_virt_fdt(const VirtFdtConfig& config);

}  // namespace glassvm
