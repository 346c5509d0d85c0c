// Recorded console input: what the guest's console received, stamped with guest time.
//
// Design note: a recorded session must replay the same way on every host, so input is not
// stamped with wall time or with the embedder's frames but with guest time (the board's virtual
// clock) at the moment the console device took it. Machine records at that one delivery point,
// and plays a log back by ending its CPU slices exactly at each event's time and delivering the
// bytes there: the guest sees each byte at the same instruction as the recorded guest did.
// Events are kept in time order, with the bytes delivered at one instant grouped together.
#pragma once

#include <cstdint>
#include <vector>

namespace glassvm {

/// The bytes the console received at guest time `ns`.
struct InputEvent {
  uint64_t ns = 0;
  std::vector<uint8_t> bytes;
  bool operator==(const InputEvent&) const = default;
};

/// A session's console input, in guest-time order.
struct InputLog {
  std::vector<InputEvent> events;

  /// Appends `byte`, received at `ns` (never earlier than the last event's time): to the last
  /// event when it has the same time, else as a new event.
  void add(uint64_t ns, uint8_t byte) {
    if (events.empty() || events.back().ns != ns) events.push_back({ns, {}});
    events.back().bytes.push_back(byte);
  }
  /// Whether the times never decrease and no event is empty (what Machine::play accepts).
  bool well_formed() const {
    for (size_t i = 0; i < events.size(); ++i)
      if (events[i].bytes.empty() || (i > 0 && events[i].ns < events[i - 1].ns)) return false;
    return true;
  }
  uint64_t byte_count() const {
    uint64_t n = 0;
    for (const InputEvent& e : events) n += e.bytes.size();
    return n;
  }
  bool operator==(const InputLog&) const = default;
};

}  // namespace glassvm
