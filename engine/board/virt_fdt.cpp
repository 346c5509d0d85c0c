#include "engine/board/virt_fdt.h"

#include <cassert>
#include <cstdio>
#include <string>

#include "engine/board/fdt.h"

namespace glassvm {

namespace {

// Local interrupt numbers on a hart's riscv,cpu-intc (mip bit positions).
constexpr uint32_t kIrqMSoft = 3, kIrqMTimer = 7, kIrqSExt = 9, kIrqMExt = 11;

std::string node_name(const char* base, uint64_t addr) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s@%llx", base, static_cast<unsigned long long>(addr));
  return buf;
}

uint32_t hi(uint64_t v) {
  return static_cast<uint32_t>(v >> 32);
}
uint32_t lo(uint64_t v) {
  return static_cast<uint32_t>(v);
}

void reg(FdtBuilder& b, uint64_t base, uint64_t size) {
  b.prop_cells("reg", {hi(base), lo(base), hi(size), lo(size)});
}

}  // namespace

std::vector<uint8_t> build_virt_fdt(const VirtFdtConfig& c) {
  assert(c.harts >= 1 && c.harts <= 512 && "build_virt_fdt: harts must be 1..512");
  assert(c.virtio_mmio_slots <= kVirtVirtioSlots && "build_virt_fdt: at most 8 virtio slots");
  assert(c.boot_hart < c.harts && "build_virt_fdt: boot_hart must be an existing hart");

  FdtBuilder b;
  b.set_boot_cpuid_phys(c.boot_hart);

  // Phandles in QEMU's order: harts from the last down (cpu, then its intc), PLIC, test.
  std::vector<uint32_t> cpu_ph(c.harts), intc_ph(c.harts);
  for (unsigned i = c.harts; i-- > 0;) {
    cpu_ph[i] = b.alloc_phandle();
    intc_ph[i] = b.alloc_phandle();
  }
  const uint32_t plic_ph = c.has_plic ? b.alloc_phandle() : 0;
  const uint32_t test_ph = c.has_test ? b.alloc_phandle() : 0;
  const std::string uart_path = "/soc/" + node_name("serial", kVirtUartBase);

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
  if (c.has_uart) b.prop_string("stdout-path", uart_path);
  b.end_node();

  if (c.has_test) {
    for (auto [name, value] :
         {std::pair{"poweroff", kVirtTestPass}, std::pair{"reboot", kVirtTestReset}}) {
      b.begin_node(name);
      b.prop_u32("value", value);
      b.prop_u32("offset", 0);
      b.prop_u32("regmap", test_ph);
      b.prop_string("compatible", std::string("syscon-") + name);
      b.end_node();
    }
  }

  b.begin_node(node_name("memory", c.ram_base));
  b.prop_string("device_type", "memory");
  reg(b, c.ram_base, c.ram_size);
  b.end_node();

  b.begin_node("cpus");
  b.prop_u32("#address-cells", 1);
  b.prop_u32("#size-cells", 0);
  b.prop_u32("timebase-frequency", c.timebase_hz);
  for (unsigned i = 0; i < c.harts; ++i) {
    b.begin_node(node_name("cpu", i));
    b.prop_u32("phandle", cpu_ph[i]);
    b.prop_string("device_type", "cpu");
    b.prop_u32("reg", i);
    b.prop_string("status", "okay");
    b.prop_string("compatible", "riscv");
    b.prop_string("riscv,isa", c.isa);
    b.prop_string("mmu-type", c.mmu_type.empty() ? "riscv,none" : c.mmu_type);
    b.begin_node("interrupt-controller");
    b.prop_u32("#interrupt-cells", 1);
    b.prop_empty("interrupt-controller");
    b.prop_string("compatible", "riscv,cpu-intc");
    b.prop_u32("phandle", intc_ph[i]);
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

  auto irq = [&](uint32_t number) {
    if (!c.has_plic) return;
    b.prop_u32("interrupts", number);
    b.prop_u32("interrupt-parent", plic_ph);
  };
  if (c.has_rtc) {
    b.begin_node(node_name("rtc", kVirtRtcBase));
    irq(kVirtRtcIrq);
    reg(b, kVirtRtcBase, kVirtRtcSize);
    b.prop_string("compatible", "google,goldfish-rtc");
    b.end_node();
  }
  if (c.has_uart) {
    b.begin_node(node_name("serial", kVirtUartBase));
    irq(kVirtUartIrq);
    b.prop_u32("clock-frequency", 3686400);
    reg(b, kVirtUartBase, kVirtUartSize);
    b.prop_string("compatible", "ns16550a");
    b.end_node();
  }
  if (c.has_test) {
    b.begin_node(node_name("test", kVirtTestBase));
    b.prop_u32("phandle", test_ph);
    reg(b, kVirtTestBase, kVirtTestSize);
    b.prop_strings("compatible", {"sifive,test1", "sifive,test0", "syscon"});
    b.end_node();
  }
  for (unsigned n = c.virtio_mmio_slots; n-- > 0;) {
    const uint64_t base = kVirtVirtioBase + n * kVirtVirtioStride;
    b.begin_node(node_name("virtio_mmio", base));
    irq(kVirtVirtioIrqBase + n);
    reg(b, base, kVirtVirtioStride);
    b.prop_string("compatible", "virtio,mmio");
    b.end_node();
  }
  for (const DeviceFdtNode& node : c.device_nodes) {
    b.begin_node(node_name(node.name.c_str(), node.addr));
    if (node.irq != 0) irq(node.irq);
    for (const auto& [name, value] : node.u32_props) b.prop_u32(name, value);
    reg(b, node.addr, node.size);
    b.prop_string("compatible", node.compatible);
    b.end_node();
  }
  if (c.has_plic) {
    std::vector<uint32_t> cells;
    for (unsigned i = 0; i < c.harts; ++i)
      cells.insert(cells.end(), {intc_ph[i], kIrqMExt, intc_ph[i], kIrqSExt});
    b.begin_node(node_name("plic", kVirtPlicBase));
    b.prop_u32("phandle", plic_ph);
    b.prop_u32("riscv,ndev", kVirtPlicNdev);
    reg(b, kVirtPlicBase, kVirtPlicSize);
    b.prop_cells("interrupts-extended", cells);
    b.prop_empty("interrupt-controller");
    b.prop_strings("compatible", {"sifive,plic-1.0.0", "riscv,plic0"});
    b.prop_u32("#address-cells", 0);
    b.prop_u32("#interrupt-cells", 1);
    b.end_node();
  }
  if (c.has_clint) {
    std::vector<uint32_t> cells;
    for (unsigned i = 0; i < c.harts; ++i)
      cells.insert(cells.end(), {intc_ph[i], kIrqMSoft, intc_ph[i], kIrqMTimer});
    b.begin_node(node_name("clint", kVirtClintBase));
    b.prop_cells("interrupts-extended", cells);
    reg(b, kVirtClintBase, kVirtClintSize);
    b.prop_strings("compatible", {"sifive,clint0", "riscv,clint0"});
    b.end_node();
  }
  b.end_node();  // soc

  b.end_node();  // root
  return b.finish();
}

}  // namespace glassvm
