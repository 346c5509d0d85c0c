// Recorded sessions: console input recorded with guest-time stamps plays back into a fresh
// machine to the very same state (Machine::state_hash), however either run is sliced; links
// carry such sessions, and a damaged, truncated or hostile link is refused with a message.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/base/snapshot.h"
#include "engine/board/machine.h"
#include "engine/board/machine_link.h"
#include "tests/support/read_file.h"
#include "tests/support/test_host.h"

namespace glassvm {
namespace {

using testing::read_file;
using testing::TestHost;

/// The demo guest: a prompt that sleeps in WFI until the UART's interrupt, then answers.
std::unique_ptr<Machine> demo(TestHost& host) {
  MachineConfig config;
  config.ram_size = 4 << 20;
  std::string error;
  auto m = Machine::create(config, host, error);
  EXPECT_TRUE(m) << error;
  EXPECT_TRUE(
      m->load_kernel(read_file(std::string(GLASSVM_GUEST_DIR) + "/demo.elf"), "demo.elf", error))
      << error;
  return m;
}

/// Runs in slices of `slice` steps until `text` is printed (or `limit` steps pass).
bool run_until(Machine& m, TestHost& host, const std::string& text, uint64_t slice,
               uint64_t limit = 200'000'000) {
  const uint64_t start = m.total_steps();
  while (host.output.find(text) == std::string::npos && m.total_steps() - start < limit) {
    const MachineState s = m.run(slice);
    if (s == MachineState::Exited || (s == MachineState::Idle && host.input.empty())) break;
  }
  return host.output.find(text) != std::string::npos;
}

/// Runs to the end of a playback, in slices of `slice` steps.
void run_to_playback_end(Machine& m, uint64_t slice) {
  for (int i = 0; i < 10'000'000 && m.playing(); ++i) {
    const MachineState s = m.run(slice);
    if (s == MachineState::PlaybackEnd) break;
    ASSERT_NE(s, MachineState::Exited);
  }
  EXPECT_FALSE(m.playing());
}

/// A session on the demo guest, typed at irregular moments: commands typed while it computes
/// and while it sleeps waiting for input.
struct Recorded {
  InputLog log;
  uint64_t end_ns = 0;
  uint64_t hash = 0;
  std::string output;
};

Recorded record_demo_session() {
  TestHost host;
  auto m = demo(host);
  m->set_recording(true);
  EXPECT_TRUE(run_until(*m, host, "glassvm> ", 7919));
  host.type("ticks\n");
  EXPECT_TRUE(run_until(*m, host, "UART interrupts", 7919));
  host.type("bench\n");
  m->run(1'000'003);  // the typing lands in the middle of the computation
  host.type("echo typed while computing\n");
  EXPECT_TRUE(run_until(*m, host, "typed while computing\n", 7919));
  for (int i = 0; i < 50; ++i) m->run(10'007);  // idle: waits in WFI with no timer armed
  host.type("csr\n");
  EXPECT_TRUE(run_until(*m, host, "minstret", 7919));
  m->run(33'333);
  Recorded r{m->recording(), m->guest_ns(), m->state_hash(), host.output};
  EXPECT_GE(r.log.events.size(), 4u);
  return r;
}

TEST(RecordedSession, RecordingStampsInputWithGuestTime) {
  TestHost host;
  auto m = demo(host);
  m->set_recording(true);
  ASSERT_TRUE(run_until(*m, host, "glassvm> ", 1'000'000));
  const uint64_t at = m->guest_ns();
  host.type("ab");
  m->run(1);
  ASSERT_EQ(m->recording().events.size(), 1u);
  EXPECT_EQ(m->recording().events[0].ns, at);
  EXPECT_EQ(m->recording().events[0].bytes, (std::vector<uint8_t>{'a', 'b'}));
  m->set_recording(true);  // starts a new, empty log
  EXPECT_TRUE(m->recording().events.empty());
}

// The heart of it: a fresh machine playing the log, sliced differently from the recording,
// reaches the recorded state exactly and prints the same output.
TEST(RecordedSession, PlaybackReachesTheRecordedState) {
  const Recorded rec = record_demo_session();
  for (uint64_t slice : {1'000'000ull, 4'099ull}) {
    TestHost host;
    auto m = demo(host);
    std::string error;
    ASSERT_TRUE(m->play(rec.log, rec.end_ns, error)) << error;
    host.type("typed during the replay: dropped\n");
    run_to_playback_end(*m, slice);
    EXPECT_EQ(m->guest_ns(), rec.end_ns) << "slice " << slice;
    EXPECT_EQ(m->state_hash(), rec.hash) << "slice " << slice;
    EXPECT_EQ(host.output, rec.output) << "slice " << slice;
    // Then the user takes over: typed input counts again.
    host.type("echo mine\n");
    EXPECT_TRUE(run_until(*m, host, "\nmine\n", 9973));
  }
}

// A replayed session that the user then goes on with records the whole of it.
TEST(RecordedSession, ReplayWhileRecordingRecordsThePlayedInput) {
  const Recorded rec = record_demo_session();
  TestHost host;
  auto m = demo(host);
  m->set_recording(true);
  std::string error;
  ASSERT_TRUE(m->play(rec.log, rec.end_ns, error)) << error;
  run_to_playback_end(*m, 65'536);
  EXPECT_EQ(m->recording(), rec.log);
}

TEST(RecordedSession, StateHashTellsStatesApart) {
  TestHost a_host, b_host;
  auto a = demo(a_host);
  auto b = demo(b_host);
  EXPECT_EQ(a->state_hash(), b->state_hash());
  a->run(1000);
  EXPECT_NE(a->state_hash(), b->state_hash());
  b->run(999);
  EXPECT_NE(a->state_hash(), b->state_hash());
  b->run(1);
  EXPECT_EQ(a->state_hash(), b->state_hash());
  // One byte of RAM nobody looks at.
  uint8_t byte = 1;
  ASSERT_EQ(b->system_as().write(virt::kDramBase + (3 << 20), &byte, 1), MemTxResult::Ok);
  EXPECT_NE(a->state_hash(), b->state_hash());
}

TEST(RecordedSession, PlayRefusesLogsThatCannotBeThisMachines) {
  TestHost host;
  auto m = demo(host);
  m->run(5000);
  const uint64_t now = m->guest_ns();
  std::string error;
  InputLog early;
  early.add(now - 1, 'x');
  EXPECT_FALSE(m->play(early, now + 10, error));
  EXPECT_NE(error.find("before this machine"), std::string::npos) << error;
  InputLog late;
  late.add(now + 20, 'x');
  EXPECT_FALSE(m->play(late, now + 10, error));
  EXPECT_NE(error.find("after the session's end"), std::string::npos) << error;
  InputLog backwards;
  backwards.events = {{now + 5, {'a'}}, {now + 4, {'b'}}};
  EXPECT_FALSE(m->play(backwards, now + 10, error));
  InputLog empty_event;
  empty_event.events = {{now + 5, {}}};
  EXPECT_FALSE(m->play(empty_event, now + 10, error));
  EXPECT_FALSE(m->playing());
  EXPECT_EQ(m->guest_ns(), now);
}

// ---------------------------------------------------------------- links

MachineLink sample_link() {
  MachineLink link;
  link.guest = "linux";
  link.guest_crc = 0x12345678;
  link.start = MachineLink::Start::Snapshot;
  link.ram_mib = 256;
  link.devices = {"riscv-iommu-sys", "edu"};
  link.disk_mib = 8;
  link.jit = false;
  link.start_ns = 1'000'000;
  link.end_ns = 9'000'000'000;
  link.end_hash = 0xfedcba9876543210;
  for (int i = 0; i < 300; ++i) link.input.add(2'000'000 + i * 15'000'000ull, 'a' + i % 26);
  return link;
}

void expect_same(const MachineLink& a, const MachineLink& b) {
  EXPECT_EQ(a.guest, b.guest);
  EXPECT_EQ(a.guest_crc, b.guest_crc);
  EXPECT_EQ(a.program, b.program);
  EXPECT_EQ(a.start, b.start);
  EXPECT_EQ(a.ram_mib, b.ram_mib);
  EXPECT_EQ(a.devices, b.devices);
  EXPECT_EQ(a.disk_mib, b.disk_mib);
  EXPECT_EQ(a.jit, b.jit);
  EXPECT_EQ(a.start_ns, b.start_ns);
  EXPECT_EQ(a.end_ns, b.end_ns);
  EXPECT_EQ(a.end_hash, b.end_hash);
  EXPECT_EQ(a.input, b.input);
}

TEST(MachineLink, RoundTripsThroughBytesTextAndUrls) {
  const MachineLink link = sample_link();
  MachineLink back;
  std::string error;
  ASSERT_TRUE(decode_link(encode_link(link), back, error)) << error;
  expect_same(link, back);
  const std::string text = encode_link_text(link);
  EXPECT_LT(text.size(), 2000u) << "300 keystrokes should pack small";
  for (const std::string& form :
       {text, "link=" + text, "http://127.0.0.1:8000/?x=1#link=" + text, "  " + text + "\n"}) {
    MachineLink parsed;
    ASSERT_TRUE(decode_link_text(form, parsed, error)) << error;
    expect_same(link, parsed);
  }
  MachineLink program;
  program.program = {0x7f, 'E', 'L', 'F', 1, 2, 3};
  program.guest_crc = link_guest_crc(program.program, {});
  ASSERT_TRUE(decode_link(encode_link(program), back, error)) << error;
  expect_same(program, back);
}

// RFC 4648's test vectors, in the URL alphabet without padding.
TEST(MachineLink, Base64Url) {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}, {"\xfb\xff", "-_8"}};
  for (const auto& [plain, coded] : vectors) {
    const std::vector<uint8_t> bytes(plain.begin(), plain.end());
    EXPECT_EQ(base64url_encode(bytes), coded);
    std::vector<uint8_t> back;
    ASSERT_TRUE(base64url_decode(coded, back)) << coded;
    EXPECT_EQ(back, bytes);
  }
  std::vector<uint8_t> out;
  EXPECT_TRUE(base64url_decode("Zm8=", out));
  EXPECT_FALSE(base64url_decode("Zm9v+", out));  // not the URL alphabet
  EXPECT_FALSE(base64url_decode("Z", out));      // no byte ends there
  EXPECT_FALSE(base64url_decode("Zh", out));     // unused bits set
}

// Every truncation of a valid link, and every byte of it changed, is refused with a message
// (or, for a change the checksum cannot see, decodes to a valid link); nothing crashes.
TEST(MachineLink, EveryTruncationAndCorruptionIsRefused) {
  const std::vector<uint8_t> good = encode_link(sample_link());
  for (size_t n = 0; n < good.size(); ++n) {
    MachineLink out;
    std::string error;
    EXPECT_FALSE(decode_link({good.data(), n}, out, error)) << n;
    EXPECT_FALSE(error.empty()) << n;
  }
  for (size_t i = 0; i < good.size(); ++i) {
    std::vector<uint8_t> bad = good;
    bad[i] ^= 0x20;
    MachineLink out;
    std::string error;
    if (decode_link(bad, out, error)) {
      // Deflate has bits that do not change what it unpacks to: the content must be intact.
      expect_same(out, sample_link());
    } else {
      EXPECT_FALSE(error.empty()) << "byte " << i;
    }
  }
  const std::string text = encode_link_text(sample_link());
  for (size_t n = 0; n < text.size(); n += 7) {
    MachineLink out;
    std::string error;
    EXPECT_FALSE(decode_link_text(text.substr(0, n), out, error)) << n;
  }
}

TEST(MachineLink, RefusesWhatNoLinkMayHold) {
  std::string error;
  MachineLink out;
  auto refused = [&](const MachineLink& link, const std::string& why) {
    error.clear();
    EXPECT_FALSE(decode_link(encode_link(link), out, error)) << why;
    EXPECT_NE(error.find(why), std::string::npos) << error;
  };
  MachineLink l = sample_link();
  l.guest = "../../etc/passwd";
  refused(l, "bad guest name");
  l = sample_link();
  l.program = {1, 2, 3};
  refused(l, "both a bundled guest and a program");
  l = sample_link();
  l.guest.clear();
  refused(l, "neither");
  l = sample_link();
  l.ram_mib = 0;
  refused(l, "memory size");
  l = sample_link();
  l.end_ns = l.start_ns - 1;
  l.input = {};
  refused(l, "ends before it starts");
  l = sample_link();
  l.input.add(l.end_ns + 1, 'z');
  refused(l, "after the session's end");

  // Another format version, and a body that claims to unpack to more than a link may hold.
  std::vector<uint8_t> bytes = encode_link(sample_link());
  bytes[4] = kLinkFormat + 1;
  EXPECT_FALSE(decode_link(bytes, out, error));
  EXPECT_NE(error.find("newer GlassVM"), std::string::npos) << error;
  bytes = encode_link(sample_link());
  bytes[5] = 0xff, bytes[6] = 0xff, bytes[7] = 0xff, bytes[8] = 0x7f;
  EXPECT_FALSE(decode_link(bytes, out, error));
  EXPECT_NE(error.find("more than"), std::string::npos) << error;
  EXPECT_FALSE(decode_link_text(std::string(kMaxLinkText + 1, 'A'), out, error));
  EXPECT_NE(error.find("characters long"), std::string::npos) << error;
  EXPECT_FALSE(decode_link_text("not a link at all!", out, error));
  EXPECT_FALSE(decode_link_text("", out, error));
}

// A compressed body that unpacks to far more than it claims (a "zip bomb") is refused without
// unpacking beyond the claim.
TEST(MachineLink, RefusesABodyLongerThanItClaims) {
  std::vector<uint8_t> body(kMaxLinkBody * 2, 0);
  const std::vector<uint8_t> packed = deflate_bytes(body, 9);
  std::vector<uint8_t> bytes = encode_link(sample_link());
  bytes.resize(13);
  bytes.insert(bytes.end(), packed.begin(), packed.end());
  MachineLink out;
  std::string error;
  EXPECT_FALSE(decode_link(bytes, out, error));
  EXPECT_NE(error.find("does not unpack"), std::string::npos) << error;
}

TEST(Gunzip, UnpacksMembersAndRefusesDamage) {
  // "hello\n" as gzip (gzip -n), twice concatenated: two members.
  const std::vector<uint8_t> member = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                       0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0xe7, 0x02, 0x00,
                                       0x20, 0x30, 0x3a, 0x36, 0x06, 0x00, 0x00, 0x00};
  std::vector<uint8_t> out;
  ASSERT_TRUE(gunzip_bytes(member, 100, out));
  EXPECT_EQ(std::string(out.begin(), out.end()), "hello\n");
  std::vector<uint8_t> two = member;
  two.insert(two.end(), member.begin(), member.end());
  ASSERT_TRUE(gunzip_bytes(two, 100, out));
  EXPECT_EQ(std::string(out.begin(), out.end()), "hello\nhello\n");
  EXPECT_FALSE(gunzip_bytes(member, 5, out));  // larger than allowed
  for (size_t n = 0; n < member.size(); ++n)
    EXPECT_FALSE(gunzip_bytes({member.data(), n}, 100, out)) << n;
}

}  // namespace
}  // namespace glassvm
