#pragma once
// A client's Socket.IO event, `[name, payload]`, turned into what the server acts on: a
// command for the engine, a relay between the players of a game, a fixed reply, a telemetry
// event to count and drop, or a `malformed` command with the error code of PROTOCOL.md
// (bad_payload, unknown_event, too_large). Never throws. docs/server.md lists which event is
// which ("mug's client on the wire").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "engine/vocabulary/commands.h"
#include "server/core/relays.h"
#include "store/participant_data.h"

namespace cohort {

// An event mug's server answers with a fixed reply when the researcher has set no callback
// (execute_entry_callback, execute_continuous_callback): answered by the socket at once. Not
// journaled: it reads no state and changes none.
struct Reply {
  std::string event;
  std::string args;  // JSON text
};

// A client's telemetry that the server keeps nothing of (client_console_log, p2p_health_report,
// ...): counted by name in /metrics and dropped, with no error and no record.
struct Dropped {
  std::string_view event;  // one of dropped_event_names()
};

// The names Dropped may carry, the /metrics label set of the dropped events: fixed, so that a
// client cannot grow it.
const std::vector<std::string_view>& dropped_event_names();

struct WireMessage {
  std::string event;       // the wire name, "" when it could not be read
  std::string subject_id;  // register_subject: the subject asked for
  // register_subject: the token the client presented, in plain text. It never goes into the
  // command: the socket hashes it (server/core/resume_tokens.h).
  std::optional<std::string> resume_token;
  // register_subject: the recruitment ids the client sent, all of them, in their order
  // (server/transport/recruitment_ids.h keeps what the config says).
  std::vector<std::pair<std::string, std::string>> params;
  std::variant<CommandBody, Relay, Reply, Dropped> content;
  // A store_data command's data (its kind, JSON and attachments), which goes beside the command
  // to the log, never through the engine (store/participant_data.h).
  std::optional<DataRecord> data;
  // The array is not JSON, or its first element is not an event name: the Socket.IO framing
  // itself is broken, and the connection must close (content says why, as a Malformed).
  bool breaks_framing = false;
};

// The participant's data events (docs/server.md, "Participant data"): the only ones that take
// binary attachments.
bool is_data_event(std::string_view name);

// `attachments`: a binary event's, in placeholder order (server/transport/binary_event.h).
// `max_data_bytes`: a data event's JSON and attachments together (server.max_data_bytes_per_message).
WireMessage decode_wire_event(std::string_view array_json, std::int64_t max_message_bytes,
                              std::vector<std::string> attachments = {}, std::int64_t max_data_bytes = INT64_MAX);

}  // namespace cohort
