#include "server/http/admin_actions.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>


#include "engine/vocabulary/control_characters.h"
#include "engine/vocabulary/json_text.h"

namespace cohort {
namespace {

using Value = rapidjson::Value;

constexpr std::string_view kPrefix = "/admin/actions/";
constexpr std::size_t kMaxSubjectIdBytes = 256;  // as a registration takes them (wire_message.cpp)
constexpr std::size_t kMaxSceneIdBytes = 256;

std::string error_json(std::string_view code, std::string_view message) {
  JsonObject body;
  body.str("code", code).str("message", message);
  return body.text();
}

ActionAnswer refusal(int status, std::string_view code, std::string_view message) {
  return {status, error_json(code, message), std::string(code)};
}

// A field the request lacks or has of the wrong kind: the message names it.
struct BadField {
  std::string message;
};

const Value* member(const Value& object, const char* key) {
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// An id: a non-empty string of at most `max_bytes`, without control characters.
std::string id_field(const Value& object, const char* key, std::size_t max_bytes) {
  const Value* v = member(object, key);
  if (!v || !v->IsString() || v->GetStringLength() == 0) throw BadField{std::string(key) + " is required, a string"};
  std::string id(v->GetString(), v->GetStringLength());
  if (id.size() > max_bytes) throw BadField{std::string(key) + " is longer than " + std::to_string(max_bytes) + " bytes"};
  if (has_control_character(id)) throw BadField{std::string(key) + " has a control character"};
  return id;
}

GameId game_id_field(const Value& object) {
  const Value* v = member(object, "game_id");
  if (!v || !v->IsInt64() || v->GetInt64() <= 0) throw BadField{"game_id is required, a positive integer"};
  return v->GetInt64();
}

// The engine judges the message (its length, its characters); here it need only be text.
std::string message_field(const Value& object) {
  const Value* v = member(object, "message");
  if (!v || v->IsNull()) return "";
  if (!v->IsString()) throw BadField{"message must be a string"};
  return std::string(v->GetString(), v->GetStringLength());
}

// Present, and a number or null: a body that forgot the field must not lift the cap.
std::optional<std::int64_t> cap_field(const Value& object) {
  const Value* v = member(object, "max_participants");
  if (!v) throw BadField{"max_participants is required: a number, or null to lift the cap"};
  if (v->IsNull()) return std::nullopt;
  if (!v->IsInt64()) throw BadField{"max_participants must be an integer or null"};
  return v->GetInt64();
}

ActionCommand command_for(std::string_view action, const Value& body, const std::string& address) {
  const std::string actor(kAdminActor);
  auto from_nobody = [](std::string subject, CommandBody command_body) {
    return Command{0, std::move(subject), kNoConn, std::nullopt, std::move(command_body)};
  };
  if (action == "end-game") {
    GameId game = game_id_field(body);
    return {from_nobody("", cmd::AdminEndGame{game, actor, address}), "game " + std::to_string(game)};
  }
  if (action == "exclude-subject") {
    std::string subject = id_field(body, "subject_id", kMaxSubjectIdBytes);
    std::string target = "subject " + subject;
    return {from_nobody(std::move(subject), cmd::AdminExcludeSubject{message_field(body), actor, address}),
            std::move(target)};
  }
  if (action == "close-waitroom" || action == "open-waitroom") {
    std::string scene = id_field(body, "scene_id", kMaxSceneIdBytes);
    std::string target = "scene " + scene;
    CommandBody command_body = action == "close-waitroom" ? CommandBody{cmd::AdminCloseWaitroom{scene, actor, address}}
                                                          : CommandBody{cmd::AdminOpenWaitroom{scene, actor, address}};
    return {from_nobody("", std::move(command_body)), std::move(target)};
  }
  auto cap = cap_field(body);
  return {from_nobody("", cmd::AdminSetMaxParticipants{cap, actor, address}),
          cap ? "cap " + std::to_string(*cap) : std::string("no cap")};
}

bool known_action(std::string_view action) {
  return action == "end-game" || action == "exclude-subject" || action == "close-waitroom" ||
         action == "open-waitroom" || action == "max-participants";
}

int status_of_refusal(std::string_view code) {
  if (code == "unknown_game" || code == "unknown_subject" || code == "unknown_scene") return 404;
  if (code == "bad_payload") return 400;
  return 409;
}

}  // namespace

bool is_admin_action(std::string_view path) { return path.starts_with(kPrefix); }

std::variant<ActionCommand, ActionAnswer> admin_action_command(std::string_view path, std::string_view body,
                                                               const std::string& address) {
  std::string_view action = path.substr(std::min(path.size(), kPrefix.size()));
  if (!is_admin_action(path) || !known_action(action)) {
    return refusal(404, "unknown_action",
                   "the actions are end-game, exclude-subject, close-waitroom, open-waitroom and max-participants");
  }
  if (body.size() > kMaxActionBodyBytes) {
    return refusal(413, "too_large", "an action's body is at most " + std::to_string(kMaxActionBodyBytes) + " bytes");
  }
  rapidjson::Document json;
  // Iterative: a deeply nested body costs no stack; the encoding is checked, so ids are UTF-8.
  json.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (json.HasParseError()) {
    return refusal(400, "bad_request", std::string("the body is not JSON: ") + rapidjson::GetParseError_En(json.GetParseError()));
  }
  if (!json.IsObject()) return refusal(400, "bad_request", "the body is a JSON object");
  try {
    return command_for(action, json, address);
  } catch (const BadField& bad) {
    return refusal(400, "bad_request", bad.message);
  }
}

ActionAnswer admin_action_answer(const CommandOutcome& outcome) {
  if (!outcome.committed) {
    return refusal(503, "unavailable", "the log could not be written; the server is stopping: " + outcome.error);
  }
  std::string names;
  for (const Event& event : outcome.events) {
    if (const auto* rejected = std::get_if<ev::CommandRejected>(&event.body)) {
      return refusal(status_of_refusal(rejected->code), rejected->code, rejected->message);
    }
    names += (names.empty() ? "\"" : ",\"") + std::string(event_name(event.body)) + "\"";
  }
  JsonObject body;
  body.boolean("ok", true).num("seq", outcome.seq).raw("events", "[" + names + "]");
  return {200, body.text(), "accepted"};
}

}  // namespace cohort
