// The RISC-V IOMMU board device and its registry entries (see riscv_iommu_device.h).
#include "iommu/riscv_iommu_device.h"

#include <cassert>
#include <string>
#include <utility>

#include "engine/board/fdt.h"
#include "engine/board/virt_fdt.h"

namespace glassvm {

RiscvIommuDevice::RiscvIommuDevice(BoardContext& board, uint64_t addr, unsigned irq)
    : iommu_(board.dma_address_space(), "riscv-iommu"),
      addr_(addr),
      irq_(irq),
      output_(board.irq_input(irq)) {
  board.map_mmio(addr, iommu_.mmio());
  iommu_.set_clock([&clock = board.clock()] { return clock.now_ns(); });
  for (unsigned v = 0; v < RiscvIommu::kNumVectors; ++v) {
    iommu_.irq(v).connect([this, v](bool level) {
      unsigned before = vector_levels_;
      vector_levels_ = level ? (vector_levels_ | 1u << v) : (vector_levels_ & ~(1u << v));
      if (output_ && (before != 0) != (vector_levels_ != 0)) output_(vector_levels_ != 0);
    });
  }
}

RiscvIommuDevice::~RiscvIommuDevice() = default;

AddressSpace& RiscvIommuDevice::dma_address_space(uint32_t device_id, const std::string& name) {
  assert(device_id < (uint32_t{1} << riscv_iommu::kDeviceIdBits) &&
         "RiscvIommuDevice::dma_address_space: device ids are 24 bits");
  for (auto& [id, as] : spaces_)
    if (id == device_id) return *as;
  spaces_.emplace_back(device_id, std::make_unique<AddressSpace>(name, &iommu_));
  return *spaces_.back().second;
}

std::vector<std::pair<uint32_t, const AddressSpace*>> RiscvIommuDevice::dma_masters() const {
  std::vector<std::pair<uint32_t, const AddressSpace*>> out;
  for (const auto& [id, as] : spaces_) out.emplace_back(id, as.get());
  return out;
}

std::vector<const AddressSpace*> RiscvIommuDevice::dma_address_spaces() const {
  std::vector<const AddressSpace*> out;
  for (const auto& [id, as] : spaces_) out.push_back(as.get());
  return out;
}

void RiscvIommuDevice::load_state(StateReader& r, uint32_t version) {
  if (version != kStateVersion) {
    r.fail("state version " + std::to_string(version) + " is not supported");
    return;
  }
  iommu_.load(r);
  if (!r.ok()) return;
  vector_levels_ = 0;
  for (unsigned v = 0; v < RiscvIommu::kNumVectors; ++v) {
    if (iommu_.irq(v).level()) vector_levels_ |= 1u << v;
  }
}

void RiscvIommuDevice::fdt_alloc_phandles(FdtBuilder& b) {
  phandle_ = b.alloc_phandle();
}

void RiscvIommuDevice::fdt_soc_nodes(FdtBuilder& b, const VirtFdtContext& ctx) const {
  // The riscv,iommu binding (Linux >= 6.13): compatible, reg, interrupts, #iommu-cells = <1>
  // (the one cell a device gives in `iommus` is its device_id).
  b.begin_node(fdt_node_name("iommu", addr_));
  b.prop_u32("phandle", phandle_);
  b.prop_u32("#iommu-cells", 1);
  ctx.interrupts(b, irq_);
  fdt_reg(b, addr_, riscv_iommu::kRegBlockSize);
  b.prop_strings("compatible", {"qemu,riscv-iommu", "riscv,iommu"});
  b.end_node();
}

void register_riscv_iommu_device(DeviceRegistry& registry) {
  for (const char* name : {"riscv-iommu-sys", "riscv-iommu"}) {
    DeviceModel model;
    model.name = name;
    model.bus = "System";
    model.description = std::string(name) == "riscv-iommu"
                            ? "alias of riscv-iommu-sys"
                            : "RISC-V IOMMU 1.0 (Sv39/Sv48/Sv57 first stage, ATS, wired "
                              "interrupts)";
    model.options = {
        {"addr", DeviceOption::Type::Number, "0x3010000",
         "MMIO base address of the 4 KiB register block, a multiple of 0x1000", 0,
         UINT64_MAX - riscv_iommu::kRegBlockSize + 1},
        {"irq", DeviceOption::Type::Number, std::to_string(kVirtIommuSysIrq),
         "PLIC interrupt source", 1, kVirtPlicNdev},
    };
    model.mmio_size = riscv_iommu::kRegBlockSize;
    model.create = [name = std::string(name)](BoardContext& board, const DeviceOptions& opts,
                                              std::string& error) -> std::unique_ptr<Device> {
      const uint64_t addr = opts.number("addr");
      if (addr % riscv_iommu::kRegBlockSize != 0) {
        error = name + ": addr must be a multiple of 0x1000";
        return nullptr;
      }
      return std::make_unique<RiscvIommuDevice>(board, addr,
                                                static_cast<unsigned>(opts.number("irq")));
    };
    registry.add(std::move(model));
  }
}

}  // namespace glassvm
