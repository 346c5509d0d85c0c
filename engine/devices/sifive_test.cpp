#include "engine/devices/sifive_test.h"

#include <utility>

namespace glassvm {

SifiveTest::SifiveTest(Handler handler) : handler_(std::move(handler)) {
  MemoryRegionOps ops;
  ops.read = [](uint64_t, unsigned, uint64_t& value, MemTxAttrs) {
    value = 0;
    return MemTxResult::Ok;
  };
  ops.write = [this](uint64_t offset, unsigned size, uint64_t value, MemTxAttrs) {
    write(offset, size >= 8 ? value : value & ((1ull << (8 * size)) - 1));
    return MemTxResult::Ok;
  };
  ops.valid = {2, 4, false};  // QEMU sifive_test_ops
  ops.impl = {1, 4, false};
  mmio_.init_io("riscv.sifive.test", kMmioSize, std::move(ops));
}

void SifiveTest::write(uint64_t offset, uint64_t value) {
  if (offset != 0 || !handler_) return;
  uint32_t status = value & 0xffff;
  int code = static_cast<int>((value >> 16) & 0xffff);
  switch (status) {
    case kPass: handler_(Action::Pass, 0); break;
    case kFail: handler_(Action::Fail, code); break;
    case kReset: handler_(Action::Reset, 0); break;
    default: break;
  }
}

}  // namespace glassvm
