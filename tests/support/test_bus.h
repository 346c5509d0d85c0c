// A bare bus for device tests: maps device regions into a fresh address space, and unmaps them
// again when destroyed.
#pragma once

#include <memory>
#include <vector>

#include "engine/memory/memory.h"

namespace glassvm::testing {

class TestBus {
 public:
  TestBus() {
    root_.init_container("system", MemoryRegion::kWholeSpace);
    as_ = std::make_unique<AddressSpace>("memory", &root_);
  }
  ~TestBus() {
    for (MemoryRegion* mr : mapped_) root_.del_subregion(mr);
  }
  void map(uint64_t addr, MemoryRegion& mr) {
    root_.add_subregion(addr, &mr);
    mapped_.push_back(&mr);
  }
  AddressSpace& as() { return *as_; }

 private:
  MemoryRegion root_;
  std::unique_ptr<AddressSpace> as_;
  std::vector<MemoryRegion*> mapped_;
};

}  // namespace glassvm::testing
