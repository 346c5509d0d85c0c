#include "engine/board/virt_fdt.h"

#include <cassert>
#include <cstdio>
#include <string>

#include "engine/board/fdt.h"

namespace glassvm {

std::string fdt_node_name(const char* name, uint64_t addr) {
  char buf[80];
  std::snprintf(buf, sizeof buf, "%s@%llx", name, static_cast<unsigned long long>(addr));
  return buf;
}

void fdt_reg(FdtBuilder& b, uint64_t base, uint64_t size) {
  const auto hi = [](uint64_t v) { return static_cast<uint32_t>(v >> 32); };
  const auto lo = [](uint64_t v) { return static_cast<uint32_t>(v); };
  b.prop_cells("reg", {hi(base), lo(base), hi(size), lo(size)});
}

void VirtFdtContext::interrupts(FdtBuilder& b, uint32_t irq) const {
  if (interrupt_parent == 0) return;
  b.prop_u32("interrupts", irq);
  b.prop_u32("interrupt-parent", interrupt_parent);
}

void fdt_virtio_mmio_node(FdtBuilder& b, const VirtFdtContext& ctx, uint64_t base, uint32_t irq,
                          std::optional<FdtIommuRef> iommu, uint32_t iommu_phandle) {
  b.begin_node(fdt_node_name("virtio_mmio", base));
  ctx.interrupts(b, irq);
  fdt_reg(b, base, kVirtVirtioStride);
  b.prop_string("compatible", "virtio,mmio");
  if (iommu) b.prop_cells("iommus", {iommu->phandle, iommu->device_id});
  if (iommu_phandle != 0) {
    b.prop_u32("phandle", iommu_phandle);
    b.prop_u32("#iommu-cells", 1);  // the cell an endpoint gives is its endpoint id
  }
  b.end_node();
}

IsaProperties isa_properties(std::string_view isa) {
  IsaProperties out;
  // "rv64imafdc_zicsr_zifencei": base "rv64i", then each single-letter extension after the
  // width (i included), then each '_'-separated multi-letter one.
  if (isa.size() < 5 || isa.substr(0, 2) != "rv") return out;
  size_t pos = 2;
  while (pos < isa.size() && isa[pos] >= '0' && isa[pos] <= '9') ++pos;
  const std::string_view width = isa.substr(2, pos - 2);
  if (width.empty()) return out;
  const size_t underscore = isa.find('_', pos);
  const std::string_view letters = isa.substr(pos, underscore - pos);
  if (letters.empty() || (letters[0] != 'i' && letters[0] != 'g')) return out;
  for (char ch : letters) {
    if (ch == 'g') {
      for (const char* e : {"i", "m", "a", "f", "d", "zicsr", "zifencei"})
        out.extensions.emplace_back(e);
    } else {
      out.extensions.emplace_back(1, ch);
    }
  }
  for (size_t at = underscore; at != std::string_view::npos;) {
    const size_t next = isa.find('_', at + 1);
    const std::string_view ext =
        isa.substr(at + 1, next == std::string_view::npos ? next : next - at - 1);
    if (!ext.empty()) out.extensions.emplace_back(ext);
    at = next;
  }
  out.base = "rv" + std::string(width) + "i";
  return out;
}

std::vector<uint8_t> build_virt_fdt(const VirtFdtConfig& c) {
  assert(c.harts >= 1 && c.harts <= 512 && "build_virt_fdt: harts must be 1..512");
  assert(c.virtio_mmio_slots <= kVirtVirtioSlots && "build_virt_fdt: at most 8 virtio slots");
  assert(c.boot_hart < c.harts && "build_virt_fdt: boot_hart must be an existing hart");

  FdtBuilder b;
  b.set_boot_cpuid_phys(c.boot_hart);

  // Phandles in QEMU's order: harts from the last down (cpu, then its intc), then the devices
  // in creation order (PLIC, test).
  VirtFdtContext ctx;
  ctx.harts = c.harts;
  std::vector<uint32_t> cpu_ph(c.harts);
  ctx.intc_phandles.resize(c.harts);
  for (unsigned i = c.harts; i-- > 0;) {
    cpu_ph[i] = b.alloc_phandle();
    ctx.intc_phandles[i] = b.alloc_phandle();
  }
  std::string stdout_path;
  for (Device* dev : c.devices) dev->fdt_alloc_phandles(b);
  for (const Device* dev : c.devices) {
    if (ctx.interrupt_parent == 0) ctx.interrupt_parent = dev->fdt_interrupt_parent();
    if (stdout_path.empty()) stdout_path = dev->fdt_stdout_path();
  }

  b.begin_node("");
  b.prop_u32("#address-cells", 2);
  b.prop_u32("#size-cells", 2);
  b.prop_string("compatible", "riscv-virtio");
  b.prop_string("model", "riscv-virtio,qemu");

  b.begin_node("chosen");
  if (!c.bootargs.empty()) b.prop_string("bootargs", c.bootargs);
  if (c.initrd) {
    b.prop_u64("linux,initrd-end", c.initrd->second);
    b.prop_u64("linux,initrd-start", c.initrd->first);
  }
  if (!c.rng_seed.empty()) b.property("rng-seed", c.rng_seed);
  if (!stdout_path.empty()) b.prop_string("stdout-path", stdout_path);
  b.end_node();

  for (const Device* dev : c.devices) dev->fdt_root_nodes(b, ctx);

  b.begin_node(fdt_node_name("memory", c.ram_base));
  b.prop_string("device_type", "memory");
  fdt_reg(b, c.ram_base, c.ram_size);
  b.end_node();

  b.begin_node("cpus");
  b.prop_u32("#address-cells", 1);
  b.prop_u32("#size-cells", 0);
  b.prop_u32("timebase-frequency", c.timebase_hz);
  for (unsigned i = 0; i < c.harts; ++i) {
    b.begin_node(fdt_node_name("cpu", i));
    b.prop_u32("phandle", cpu_ph[i]);
    b.prop_string("device_type", "cpu");
    b.prop_u32("reg", i);
    b.prop_string("status", "okay");
    b.prop_string("compatible", "riscv");
    b.prop_string("riscv,isa", c.isa);
    // The same ISA in the newer binding (Linux reads it first and then needs no guessing
    // from the string; QEMU writes both since 8.x).
    const IsaProperties isa = isa_properties(c.isa);
    if (!isa.base.empty()) {
      b.prop_string("riscv,isa-base", isa.base);
      b.prop_strings("riscv,isa-extensions", isa.extensions);
    }
    b.prop_string("mmu-type", c.mmu_type.empty() ? "riscv,none" : c.mmu_type);
    b.begin_node("interrupt-controller");
    b.prop_u32("#interrupt-cells", 1);
    b.prop_empty("interrupt-controller");
    b.prop_string("compatible", "riscv,cpu-intc");
    b.prop_u32("phandle", ctx.intc_phandles[i]);
    b.end_node();
    b.end_node();
  }
  b.begin_node("cpu-map");
  b.begin_node("cluster0");
  for (unsigned i = 0; i < c.harts; ++i) {
    b.begin_node("core" + std::to_string(i));
    b.prop_u32("cpu", cpu_ph[i]);
    b.end_node();
  }
  b.end_node();
  b.end_node();
  b.end_node();  // cpus

  b.begin_node("soc");
  b.prop_u32("#address-cells", 2);
  b.prop_u32("#size-cells", 2);
  b.prop_string("compatible", "simple-bus");
  b.prop_empty("ranges");

  // Backwards, as libfdt's prepending leaves QEMU's tree; the virtio slots, whose nodes QEMU
  // creates right after the interrupt controllers', go just above them.
  size_t controllers = 0;  // the devices created first that are interrupt controllers
  while (controllers < c.devices.size() && c.devices[controllers]->fdt_is_interrupt_controller())
    ++controllers;
  for (size_t i = c.devices.size(); i-- > controllers;) c.devices[i]->fdt_soc_nodes(b, ctx);
  for (unsigned n = c.virtio_mmio_slots; n-- > 0;) {
    const uint64_t base = kVirtVirtioBase + n * kVirtVirtioStride;
    fdt_virtio_mmio_node(b, ctx, base, kVirtVirtioIrqBase + n);
  }
  for (size_t i = controllers; i-- > 0;) c.devices[i]->fdt_soc_nodes(b, ctx);
  b.end_node();  // soc

  b.end_node();  // root
  return b.finish();
}

}  // namespace glassvm
