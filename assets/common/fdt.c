// Flattened device tree walker (devicetree specification v0.4, chapter 5).
#include "fdt.h"

#include "rt.h"

enum {
  kFdtMagic = 0xd00dfeed,
  kFdtBeginNode = 1,
  kFdtEndNode = 2,
  kFdtProp = 3,
  kFdtNop = 4,
  kFdtEnd = 9,
  kMaxDepth = 16,
};

static uint32_t be32(const uint8_t* p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

typedef struct {
  const char* name;
  uint32_t addr_cells;  // this node's #address-cells, for its children
  uint32_t size_cells;
} Level;

int fdt_walk(const void* dtb, FdtNodeFn fn, void* ctx) {
  const uint8_t* base = dtb;
  if (!base || be32(base) != kFdtMagic) return -1;
  uint32_t total = be32(base + 4);
  uint32_t off_struct = be32(base + 8);
  uint32_t off_strings = be32(base + 12);
  uint32_t size_strings = be32(base + 32);
  uint32_t size_struct = be32(base + 36);
  if (total > (64u << 20) || off_struct > total || size_struct > total - off_struct ||
      off_strings > total || size_strings > total - off_strings) {
    return -1;
  }
  const uint8_t* p = base + off_struct;
  const uint8_t* end = p + size_struct;
  const char* strings = (const char*)base + off_strings;

  Level stack[kMaxDepth];
  int depth = -1;
  FdtNode cur;
  int pending = 0;  // cur describes a node whose properties are still being read

  while (p + 4 <= end) {
    uint32_t tok = be32(p);
    p += 4;
    if (tok != kFdtProp && pending) {
      fn(&cur, ctx);
      pending = 0;
    }
    if (tok == kFdtBeginNode) {
      const char* name = (const char*)p;
      while (p < end && *p) p++;
      if (p >= end || depth + 1 >= kMaxDepth) return -1;
      p = (const uint8_t*)(((uintptr_t)p + 4) & ~(uintptr_t)3);
      depth++;
      stack[depth].name = name;
      stack[depth].addr_cells = 2;
      stack[depth].size_cells = 1;
      memset(&cur, 0, sizeof(cur));
      cur.name = name;
      cur.depth = depth;
      cur.parent = depth > 0 ? stack[depth - 1].name : 0;
      cur.addr_cells = depth > 0 ? stack[depth - 1].addr_cells : 2;
      cur.size_cells = depth > 0 ? stack[depth - 1].size_cells : 1;
      cur.iommu_cells = -1;
      pending = 1;
    } else if (tok == kFdtEndNode) {
      if (depth < 0) return -1;
      depth--;
    } else if (tok == kFdtProp) {
      if (p + 8 > end || depth < 0) return -1;
      uint32_t len = be32(p);
      uint32_t nameoff = be32(p + 4);
      p += 8;
      if (len > (uint32_t)(end - p) || nameoff >= size_strings) return -1;
      const char* pname = strings + nameoff;
      const uint8_t* val = p;
      p = (const uint8_t*)(((uintptr_t)p + len + 3) & ~(uintptr_t)3);
      if (!strcmp(pname, "#address-cells") && len == 4) {
        stack[depth].addr_cells = be32(val);
      } else if (!strcmp(pname, "#size-cells") && len == 4) {
        stack[depth].size_cells = be32(val);
      } else if (!strcmp(pname, "reg")) {
        cur.reg = val;
        cur.reg_len = len;
      } else if (!strcmp(pname, "compatible") && len > 0 && val[len - 1] == 0) {
        cur.compatible = (const char*)val;
        cur.compatible_len = len;
      } else if (!strcmp(pname, "phandle") && len == 4) {
        cur.phandle = be32(val);
      } else if (!strcmp(pname, "interrupts") && len >= 4) {
        cur.interrupts = be32(val);
      } else if (!strcmp(pname, "#iommu-cells") && len == 4) {
        cur.iommu_cells = (int32_t)be32(val);
      } else if (!strcmp(pname, "iommus")) {
        cur.iommus = val;
        cur.iommus_len = len;
      } else if (!strcmp(pname, "device_type") && len > 0 && val[len - 1] == 0) {
        cur.device_type = (const char*)val;
      }
    } else if (tok == kFdtNop) {
      continue;
    } else if (tok == kFdtEnd) {
      return 0;
    } else {
      return -1;
    }
  }
  return -1;
}

static uint64_t read_cells(const uint8_t* p, uint32_t cells) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < cells; i++) v = (v << 32) | be32(p + 4 * i);
  return v;
}

int fdt_reg(const FdtNode* node, unsigned index, uint64_t* addr, uint64_t* size) {
  uint32_t ac = node->addr_cells, sc = node->size_cells;
  if (!node->reg || ac > 2 || sc > 2 || ac + sc == 0) return 0;
  uint32_t entry = 4 * (ac + sc);
  if ((uint64_t)(index + 1) * entry > node->reg_len) return 0;
  const uint8_t* p = node->reg + index * entry;
  *addr = read_cells(p, ac);
  *size = read_cells(p + 4 * ac, sc);
  return 1;
}

int fdt_is_compatible(const FdtNode* node, const char* compat) {
  for (uint32_t i = 0; node->compatible && i < node->compatible_len;) {
    const char* s = node->compatible + i;
    if (!strcmp(s, compat)) return 1;
    i += strlen(s) + 1;  // the list ends in NUL (checked by the walker)
  }
  return 0;
}

int fdt_iommu(const FdtNode* node, unsigned index, uint32_t* phandle, uint32_t* device_id) {
  if (!node->iommus || (uint64_t)(index + 1) * 8 > node->iommus_len) return 0;
  *phandle = be32(node->iommus + 8 * index);
  *device_id = be32(node->iommus + 8 * index + 4);
  return 1;
}
