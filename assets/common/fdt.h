// A minimal flattened device tree (DTB) walker: enough for a guest to print its memory map.
#pragma once

#include <stdint.h>

/// One node as the walker reports it, once all its properties have been read.
typedef struct {
  const char* name;         ///< node name with unit address ("uart@10000000"); "" for the root
  const char* parent;       ///< parent's name ("" for children of the root, NULL for the root)
  int depth;                ///< 0 for the root
  const uint8_t* reg;       ///< raw big-endian `reg` property, or NULL
  uint32_t reg_len;         ///< its length in bytes
  const char* compatible;   ///< first string of `compatible`, or NULL
  const char* device_type;  ///< `device_type` string, or NULL
  uint32_t addr_cells;      ///< parent's #address-cells (default 2)
  uint32_t size_cells;      ///< parent's #size-cells (default 1)
  uint32_t compatible_len;  ///< length of the whole `compatible` string list (0 if none)
  uint32_t phandle;         ///< `phandle`, or 0
  uint32_t interrupts;      ///< first cell of `interrupts`, or 0
  const uint8_t* iommus;    ///< raw big-endian `iommus` (<&iommu id> pairs), or NULL
  uint32_t iommus_len;      ///< its length in bytes
  int32_t iommu_cells;      ///< `#iommu-cells` (an IOMMU's node), or -1 if absent
} FdtNode;

typedef void (*FdtNodeFn)(const FdtNode* node, void* ctx);

/// Calls `fn` for every node of the tree at `dtb`, parents before children. Returns 0, or -1
/// if the blob is not a valid DTB (bad magic, sizes or structure): walking stops there.
int fdt_walk(const void* dtb, FdtNodeFn fn, void* ctx);

/// Reads the `index`-th (address, size) pair of `node`'s reg; returns 0 if there is none.
int fdt_reg(const FdtNode* node, unsigned index, uint64_t* addr, uint64_t* size);

/// Whether `compat` is one of the strings of `node`'s compatible list.
int fdt_is_compatible(const FdtNode* node, const char* compat);

/// Reads the `index`-th <&iommu device_id> pair of `node`'s iommus (one-cell IOMMU specifiers,
/// as riscv,iommu and virtio-iommu use); returns 0 if there is none.
int fdt_iommu(const FdtNode* node, unsigned index, uint32_t* phandle, uint32_t* device_id);
