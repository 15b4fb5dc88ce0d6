#pragma once
// A client's Socket.IO event, `[name, payload]`, turned into what the server acts on: a
// command for the engine, a relay between the players of a game, or a `malformed` command
// with the error code of PROTOCOL.md (bad_payload, unknown_event, too_large). Never throws.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "engine/vocabulary/commands.h"

namespace cohort {

// Passed between the sockets of one game without the log (DESIGN.md rule 7).
struct Relay {
  enum class Kind { webrtc_signal, player_action };
  Kind kind = Kind::player_action;
  GameId game = kNoGame;
  std::int64_t target_player = -1;  // webrtc_signal only
  std::string type;                 // webrtc_signal only
  std::string data_json;            // webrtc_signal: payload; player_action: action
  std::int64_t frame_number = 0;    // player_action only
};

struct WireMessage {
  std::string event;       // the wire name, "" when it could not be read
  std::string subject_id;  // register_subject: the subject asked for
  // register_subject: the token the client presented, in plain text. It never goes into the
  // command: the socket hashes it (server/core/resume_tokens.h).
  std::optional<std::string> resume_token;
  std::variant<CommandBody, Relay> content;
  // The array is not JSON, or its first element is not an event name: the Socket.IO framing
  // itself is broken, and the connection must close (content says why, as a Malformed).
  bool breaks_framing = false;
};

WireMessage decode_wire_event(std::string_view array_json, std::int64_t max_message_bytes);

}  // namespace cohort
