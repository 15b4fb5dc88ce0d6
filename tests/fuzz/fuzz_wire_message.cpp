// libFuzzer target: a client's event array decoded into a command or a relay. Beyond not
// crashing, every command it yields must survive the log's codec unchanged, since the server
// journals it and a restart replays it: what the wire admits, the log must hold exactly.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/vocabulary/record_codec.h"
#include "server/config.h"
#include "server/transport/wire_message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // The server's default limit, so that inputs up to scripts/fuzz's -max_len (the same 1 MiB)
  // reach the parser rather than stop at too_large.
  cohort::WireMessage message = cohort::decode_wire_event(text, cohort::ServerSettings{}.max_message_bytes);
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
