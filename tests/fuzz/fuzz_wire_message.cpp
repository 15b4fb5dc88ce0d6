// libFuzzer target: a client's event array decoded into a command, a relay, a fixed reply or
// dropped telemetry. Beyond not crashing: every command it yields must survive the log's codec
// unchanged, since the server journals it and a restart replays it (what the wire admits, the
// log must hold exactly); every relay must go only to seats of the game and leave as a frame
// that decodes again; dropped telemetry may only carry a name of the fixed /metrics label set.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/vocabulary/record_codec.h"
#include "server/config.h"
#include "server/core/relays.h"
#include "server/transport/wire_message.h"

namespace {

void check_relay(const cohort::Relay& relay) {
  for (int seats : {1, 2, 5}) {
    for (int sender = 0; sender < seats; ++sender) {
      cohort::RelayOut out = cohort::relay_out(relay, sender, static_cast<std::size_t>(seats));
      for (int seat : out.seats) {
        if (seat < 0 || seat >= seats) std::abort();
      }
      if (out.frame.rfind("42[", 0) != 0) std::abort();
      cohort::WireMessage again = cohort::decode_wire_event(std::string_view(out.frame).substr(2), INT64_MAX);
      if (again.breaks_framing) std::abort();  // the server would send what no client can read
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // The server's default limit, so that inputs up to scripts/fuzz's -max_len (the same 1 MiB)
  // reach the parser rather than stop at too_large.
  cohort::WireMessage message = cohort::decode_wire_event(text, cohort::ServerSettings{}.max_message_bytes);
  if (const auto* relay = std::get_if<cohort::Relay>(&message.content)) {
    check_relay(*relay);
    return 0;
  }
  if (const auto* dropped = std::get_if<cohort::Dropped>(&message.content)) {
    const auto& names = cohort::dropped_event_names();
    if (std::find(names.begin(), names.end(), dropped->event) == names.end()) std::abort();
    return 0;
  }
  const auto* body = std::get_if<cohort::CommandBody>(&message.content);
  if (!body) return 0;
  cohort::Command command{1'700'000'000'000, message.subject_id.empty() ? "s" : message.subject_id, 7, 3, *body};
  cohort::Record record = cohort::to_record(command);
  record.seq = 1;
  try {
    if (cohort::command_from_record(record) != command) std::abort();
  } catch (const cohort::CodecError&) {
    std::abort();  // the server wrote a record it cannot read back
  }
  return 0;
}
