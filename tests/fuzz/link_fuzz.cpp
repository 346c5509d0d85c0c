// libFuzzer target over share links (engine/board/machine_link.h): any byte string must be
// refused with a message, or decode to a link that encodes and decodes back to itself and whose
// input a machine plays without a crash, a leak, UB or an unbounded allocation.
//
// Three kinds of input, chosen by the first byte (mod 3), so that mutations reach past the
// checksum and the compression into the body's reader:
//   0: a link's binary form (a session file) as is;
//   1: a link's text (a URL, "link=...", or the base64url);
//   2: a body in the clear, which the harness packs into a valid binary form.
// tests/fuzz/make_seeds.sh makes the seeds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "engine/base/bytes.h"
#include "engine/base/snapshot.h"
#include "engine/board/machine.h"
#include "engine/board/machine_link.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using glassvm::fuzz::QuietHost;

bool same(const glassvm::MachineLink& a, const glassvm::MachineLink& b) {
  return a.guest == b.guest && a.guest_crc == b.guest_crc && a.program == b.program &&
         a.start == b.start && a.ram_mib == b.ram_mib && a.devices == b.devices &&
         a.disk_mib == b.disk_mib && a.jit == b.jit && a.start_ns == b.start_ns &&
         a.end_ns == b.end_ns && a.end_hash == b.end_hash && a.input == b.input;
}

/// The binary form of `body`: header, the body's length and CRC, the body deflated.
std::vector<uint8_t> pack(std::span<const uint8_t> body) {
  std::vector<uint8_t> out = {'G', 'V', 'M', 'L', glassvm::kLinkFormat, 0, 0, 0, 0, 0, 0, 0, 0};
  glassvm::store_le<uint32_t>(out.data() + 5, static_cast<uint32_t>(body.size()));
  glassvm::store_le<uint32_t>(out.data() + 9, glassvm::crc32_of(body));
  const std::vector<uint8_t> packed = glassvm::deflate_bytes(body, 1);
  out.insert(out.end(), packed.begin(), packed.end());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::span<const uint8_t> rest(data + 1, size - 1);
  glassvm::MachineLink link;
  std::string error;
  bool ok = false;
  switch (data[0] % 3) {
    case 0: ok = glassvm::decode_link(rest, link, error); break;
    case 1:
      ok = glassvm::decode_link_text({reinterpret_cast<const char*>(rest.data()), rest.size()},
                                     link, error);
      break;
    default: ok = glassvm::decode_link(pack(rest), link, error); break;
  }
  if (!ok) {
    glassvm::fuzz::check(!error.empty(), "a refusal says why");
    return 0;
  }
  // A link that decodes encodes to a form that decodes to the same link, in both forms.
  glassvm::MachineLink again;
  glassvm::fuzz::check(
      glassvm::decode_link(glassvm::encode_link(link), again, error) && same(link, again),
      "the binary form round-trips");
  glassvm::fuzz::check(
      glassvm::decode_link_text(glassvm::encode_link_text(link), again, error) && same(link, again),
      "the text form round-trips");
  // Its input plays into a small machine (no guest: the hart traps through zeros), which either
  // refuses it or plays it to its end.
  QuietHost host;
  glassvm::MachineConfig config;
  config.ram_size = 1 << 20;
  auto machine = glassvm::Machine::create(config, host, error);
  glassvm::fuzz::check(machine != nullptr, "a 1 MiB machine builds");
  if (machine->play(link.input, link.end_ns, error)) {
    for (int i = 0; i < 64 && machine->playing(); ++i) machine->run(20000);
    machine->state_hash();
  } else {
    glassvm::fuzz::check(!error.empty(), "a refusal says why");
  }
  return 0;
}
