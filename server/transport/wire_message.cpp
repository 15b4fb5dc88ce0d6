#include "server/transport/wire_message.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>

#include "engine/vocabulary/control_characters.h"
#include "engine/vocabulary/json_nesting.h"

namespace cohort {
namespace {

using Value = rapidjson::Value;

struct BadPayload {
  std::string message;
};

std::string to_json(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Field readers over the payload object; a wrong type is a BadPayload naming the field.
class Fields {
 public:
  explicit Fields(const Value* object) : object_(object) {}

  const Value* get(const char* key) const {
    if (!object_) return nullptr;
    auto it = object_->FindMember(key);
    return it == object_->MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
  }
  std::optional<std::string> text(const char* key, std::size_t max_length = 256) const {
    const Value* v = get(key);
    if (!v) return std::nullopt;
    if (!v->IsString()) throw BadPayload{std::string(key) + " must be a string"};
    if (v->GetStringLength() > max_length) throw BadPayload{std::string(key) + " is too long"};
    return std::string(v->GetString(), v->GetStringLength());
  }
  // An object of strings (register_subject's `params`): at most 32 of them, keys of 1 to 64
  // bytes, values of at most 256 without control characters; a repeated key keeps its first.
  std::vector<std::pair<std::string, std::string>> strings_object(const char* key) const {
    const Value* v = get(key);
    if (!v) return {};
    if (!v->IsObject()) throw BadPayload{std::string(key) + " must be an object of strings"};
    if (v->MemberCount() > 32) throw BadPayload{std::string(key) + " has more than 32 keys"};
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& member : v->GetObject()) {
      std::string name(member.name.GetString(), member.name.GetStringLength());
      if (name.empty() || name.size() > 64) throw BadPayload{std::string(key) + " has a key of 0 or over 64 bytes"};
      if (!member.value.IsString()) throw BadPayload{std::string(key) + "." + name + " must be a string"};
      std::string value(member.value.GetString(), member.value.GetStringLength());
      if (value.size() > 256) throw BadPayload{std::string(key) + "." + name + " is too long"};
      if (has_control_character(value)) throw BadPayload{std::string(key) + "." + name + " has a control character"};
      bool repeated = std::any_of(out.begin(), out.end(), [&](const auto& kept) { return kept.first == name; });
      if (!repeated) out.emplace_back(std::move(name), std::move(value));
    }
    return out;
  }
  std::string required_text(const char* key, std::size_t max_length = 256) const {
    auto value = text(key, max_length);
    if (!value) throw BadPayload{std::string(key) + " is required"};
    return *value;
  }
  // Whole numbers; a fractional one (a browser's RTT) is rounded.
  std::optional<std::int64_t> number(const char* key) const {
    const Value* v = get(key);
    if (!v) return std::nullopt;
    if (v->IsInt64()) return v->GetInt64();
    if (v->IsNumber() && std::isfinite(v->GetDouble()) && std::fabs(v->GetDouble()) < 9e15) {
      return static_cast<std::int64_t>(std::llround(v->GetDouble()));
    }
    throw BadPayload{std::string(key) + " must be a number"};
  }
  std::int64_t required_number(const char* key) const {
    auto value = number(key);
    if (!value) throw BadPayload{std::string(key) + " is required"};
    return *value;
  }
  // Game and player ids are numbers; a numeric string (a client that keeps ids as text) is
  // accepted.
  std::optional<std::int64_t> id(const char* key) const {
    const Value* v = get(key);
    if (v && v->IsString()) {
      std::string s(v->GetString(), v->GetStringLength());
      char* end = nullptr;
      long long id = std::strtoll(s.c_str(), &end, 10);
      if (s.empty() || *end != '\0') throw BadPayload{std::string(key) + " must be a number"};
      return id;
    }
    return number(key);
  }
  std::int64_t required_id(const char* key) const {
    auto value = id(key);
    if (!value) throw BadPayload{std::string(key) + " is required"};
    return *value;
  }
  GameId game_id() const { return required_id("game_id"); }
  std::optional<bool> flag(const char* key) const {
    const Value* v = get(key);
    if (!v) return std::nullopt;
    if (!v->IsBool()) throw BadPayload{std::string(key) + " must be true or false"};
    return v->GetBool();
  }
  const Value& required_value(const char* key) const {
    const Value* v = get(key);
    if (!v) throw BadPayload{std::string(key) + " is required"};
    return *v;
  }

 private:
  const Value* object_;
};

using Content = decltype(WireMessage::content);

// `payload`: the event's object, null when it had none.
Content decode_payload(const std::string& name, const Value* payload, WireMessage& out, std::int64_t max_bytes) {
  const Fields f(payload);
  if (name == "register_subject") {
    out.params = f.strings_object("params");
    // With params, the subject id may come from one of them (recruitment.subject_id_from).
    out.subject_id = out.params.empty() ? f.required_text("subject_id") : f.text("subject_id").value_or("");
    if (out.subject_id.empty() && (out.params.empty() || f.get("subject_id"))) {
      throw BadPayload{"subject_id must not be empty"};
    }
    if (has_control_character(out.subject_id)) throw BadPayload{"subject_id has a control character"};
    out.resume_token = f.text("resume_token");
    return CommandBody{cmd::RegisterSubject{}};
  }
  if (name == "advance_scene") return CommandBody{cmd::AdvanceScene{}};
  if (name == "join_game") return CommandBody{cmd::JoinGame{f.number("rtt_ms")}};
  if (name == "leave_game") return CommandBody{cmd::LeaveGame{}};
  // mug's client sends its first ping before it has measured anything: no ping_ms.
  if (name == "ping") return CommandBody{cmd::Ping{f.number("ping_ms"), f.flag("document_in_focus")}};
  if (name == "request_current_scene") return CommandBody{cmd::RequestCurrentScene{}};
  if (name == "p2p_validation_success") return CommandBody{cmd::ValidationSuccess{f.game_id()}};
  if (name == "p2p_validation_failed") {
    return CommandBody{cmd::ValidationFailed{f.game_id(), f.text("reason").value_or("")}};
  }
  if (name == "p2p_connection_lost") {
    return CommandBody{cmd::ConnectionLost{f.game_id(), f.number("frame_number").value_or(0)}};
  }
  if (name == "p2p_reconnection_success") return CommandBody{cmd::ReconnectionSuccess{f.game_id()}};
  if (name == "p2p_reconnection_timeout") return CommandBody{cmd::ReconnectionTimeout{f.game_id()}};
  if (name == "mid_game_exclusion") {
    return CommandBody{
        cmd::MidGameExclusion{f.game_id(), f.required_text("reason"), f.number("frame_number").value_or(0)}};
  }
  if (name == "multiplayer_game_complete") {
    return CommandBody{
        cmd::GameComplete{f.game_id(), f.required_number("episode_num"), f.required_number("max_episodes")}};
  }
  if (name == "emit_multiplayer_metrics") {
    const Value& metrics = f.required_value("metrics");
    if (!metrics.IsObject()) throw BadPayload{"metrics must be an object"};
    std::string text = to_json(metrics);
    if (static_cast<std::int64_t>(text.size()) > max_bytes) throw BadPayload{"too_large"};
    // mug's client puts its game id inside the metrics (gameId); with neither, the engine
    // takes the sender's current game.
    auto game = f.id("game_id");
    if (!game) game = Fields(&metrics).id("gameId");
    return CommandBody{cmd::EmitMetrics{game.value_or(kNoGame), std::move(text)}};
  }
  if (name == "webrtc_signal") {
    Relay relay{Relay::Kind::webrtc_signal};
    relay.game = f.game_id();
    relay.target_player = f.required_number("target_player_id");
    relay.type = f.required_text("type", 64);
    const Value* signal = f.get("payload");
    relay.data_json = signal ? to_json(*signal) : "null";
    return relay;
  }
  if (name == "pyodide_player_action") {
    Relay relay{Relay::Kind::player_action};
    relay.game = f.game_id();
    const Value* action = f.get("action");
    relay.data_json = action ? to_json(*action) : "null";
    relay.frame_number = f.number("frame_number").value_or(0);
    return relay;
  }
  if (name == "p2p_state_sync") {
    Relay relay{Relay::Kind::state_sync};
    relay.game = f.game_id();
    relay.data_json = to_json(*payload);
    return relay;
  }
  if (name == "p2p_state_request" || name == "p2p_state_response") {
    Relay relay{name == "p2p_state_request" ? Relay::Kind::state_request : Relay::Kind::state_response};
    relay.game = f.game_id();
    relay.target_player = f.required_id("target_id");
    relay.data_json = to_json(*payload);
    return relay;
  }
  if (name == "p2p_validation_status") {
    Relay relay{Relay::Kind::validation_status};
    relay.game = f.game_id();
    const Value* status = f.get("status");
    relay.data_json = status ? to_json(*status) : "null";
    return relay;
  }
  // mug's server with no researcher callback (app.py's handlers of these two events).
  if (name == "execute_entry_callback") return Reply{"entry_callback_result", R"({"exclude":false,"message":null})"};
  if (name == "execute_continuous_callback") {
    return Reply{"continuous_callback_result", R"({"exclude":false,"warn":false,"message":null})"};
  }
  for (std::string_view dropped : dropped_event_names()) {
    if (name == dropped) return Dropped{dropped};
  }
  return CommandBody{cmd::Malformed{name, "unknown_event", "no such event: " + name.substr(0, 64)}};
}

// A data event's object is kept as received (re-serialized compactly, placeholders in place),
// with its attachments; the command names only its kind, the scene the client names and its size.
void decode_data(WireMessage& out, const Value* payload, std::vector<std::string> attachments, std::int64_t max_bytes) {
  auto refuse = [&](std::string code, std::string message) {
    out.content = CommandBody{cmd::Malformed{out.event, std::move(code), std::move(message)}};
  };
  if (!payload) return refuse("bad_payload", "the payload must be an object");
  DataRecord data;
  data.kind = out.event;
  data.json = to_json(*payload);
  data.attachments = std::move(attachments);
  std::int64_t bytes = data_bytes(data);
  if (bytes > max_bytes) {
    return refuse("too_large", "data of " + std::to_string(bytes) + " bytes; at most " + std::to_string(max_bytes) +
                                   " are stored per message");
  }
  std::optional<std::string> scene_id;
  try {
    scene_id = Fields(payload).text("scene_id");
  } catch (const BadPayload& bad) {
    return refuse("bad_payload", bad.message);
  }
  out.content = CommandBody{cmd::StoreData{out.event, std::move(scene_id), bytes}};
  out.data = std::move(data);
}

}  // namespace

// What mug's client sends and mug's server keeps only in its own logs, its admin console or
// for features Cohort does not have (server-authoritative games, the RTT probe, Unity): mug's
// client as of chasemcd/mug b46a1b0.
const std::vector<std::string_view>& dropped_event_names() {
  static const std::vector<std::string_view> names = {
      "client_console_log",        "pyodide_loading_start",  "pyodide_loading_complete",
      "p2p_health_report",         "p2p_connection_type",    "p2p_game_ended",
      "participant_terminal_state", "waitroom_timeout_completion", "send_pressed_keys",
      "player_action",             "end_game_request_redirect", "probe_ready",
      "probe_result",              "probe_signal",           "rejoin_server_auth",
      "reset_complete",            "single_player_waiting_room_end",
  };
  return names;
}

bool is_data_event(std::string_view name) {
  return name == "emit_episode_data" || name == "emit_remote_game_data" || name == "static_scene_data_emission" ||
         name == "sync_globals";
}

WireMessage decode_wire_event(std::string_view array_json, std::int64_t max_message_bytes,
                              std::vector<std::string> attachments, std::int64_t max_data_bytes) {
  WireMessage out;
  auto malformed = [&](std::string code, std::string message) {
    out.content = CommandBody{cmd::Malformed{out.event, std::move(code), std::move(message)}};
    return out;
  };
  if (static_cast<std::int64_t>(array_json.size()) > max_message_bytes) {
    return malformed("too_large", "message exceeds " + std::to_string(max_message_bytes) + " bytes");
  }
  if (json_nesting(array_json) > kMaxJsonNesting) {
    return malformed("bad_payload", "JSON nested deeper than " + std::to_string(kMaxJsonNesting) + " levels");
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(array_json.data(), array_json.size());
  if (doc.HasParseError() || !doc.IsArray() || doc.Empty() || !doc[0].IsString()) {
    out.breaks_framing = true;
    return malformed("bad_payload", "an event is a JSON array [name, payload]");
  }
  out.event.assign(doc[0].GetString(), std::min<std::size_t>(doc[0].GetStringLength(), 64));
  const Value* payload = doc.Size() > 1 ? &doc[1] : nullptr;
  if (payload && payload->IsNull()) payload = nullptr;
  if (payload && !payload->IsObject()) return malformed("bad_payload", "the payload must be an object");
  if (is_data_event(out.event)) {
    decode_data(out, payload, std::move(attachments), max_data_bytes);
    return out;
  }
  if (!attachments.empty()) {
    return malformed("bad_payload", "binary attachments are accepted only on the participant's data events");
  }
  try {
    out.content = decode_payload(out.event, payload, out, max_message_bytes);
  } catch (const BadPayload& bad) {
    if (bad.message == "too_large") return malformed("too_large", "metrics exceed the message size limit");
    return malformed("bad_payload", bad.message);
  }
  return out;
}

}  // namespace cohort
