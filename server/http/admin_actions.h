#pragma once
// The researcher's controls of a running study (docs/server.md, "Control from the dashboard"):
// a POST to /admin/actions/<action> with a JSON body becomes one admin command for the engine,
// and what the engine decided, once committed, becomes the answer. Beast stays out: statuses
// are numbers and bodies JSON text, so that the mapping is tested without a network.
//
//   end-game          {"game_id": 12}                        admin_end_game
//   exclude-subject   {"subject_id": "s1", "message": "..."} admin_exclude_subject
//   close-waitroom    {"scene_id": "cramped_room"}           admin_close_waitroom
//   open-waitroom     {"scene_id": "cramped_room"}           admin_open_waitroom
//   max-participants  {"max_participants": 200 | null}       admin_set_max_participants
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "engine/vocabulary/commands.h"
#include "server/core/pipeline.h"

namespace cohort {

// The largest body an action takes: an exclusion's message (the engine takes 1,000 bytes) and
// an id, with room to spare.
inline constexpr std::size_t kMaxActionBodyBytes = 8 * 1024;
// Who gives the researcher's commands: whoever holds the admin token. One token, one actor.
inline constexpr std::string_view kAdminActor = "admin";

struct ActionAnswer {
  int status = 200;
  std::string body;  // JSON
  std::string code;  // for the log line: "accepted", or the refusal's code
};

// A request the server could read: the command it asks for, and what it names, for the log line
// ("game 12", "subject s1", "scene cramped_room", "cap 200").
struct ActionCommand {
  Command command;
  std::string target;
};

// Whether `path` names an action: "/admin/actions/<action>".
bool is_admin_action(std::string_view path);
// The command the request asks for, from no socket, with the admin as its actor and `address`
// (the researcher's, as the server sees it); or the answer that refuses it before the engine:
// 404 unknown_action, 413 too_large, 400 bad_request (not a JSON object, a missing or malformed
// field, an id that cannot be one).
std::variant<ActionCommand, ActionAnswer> admin_action_command(std::string_view path, std::string_view body,
                                                               const std::string& address);
// The answer to what became of the command: 200 {ok, seq, events} when the engine accepted it;
// its refusal {code, message} as 404 (unknown_game, unknown_subject, unknown_scene), 400
// (bad_payload) or 409 (invalid_state, and any other); 503 unavailable when nothing could be
// committed.
ActionAnswer admin_action_answer(const CommandOutcome& outcome);

}  // namespace cohort
