#include "server/transport/wire_message.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>

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
  // Game ids are numbers; a numeric string (a client that keeps ids as text) is accepted.
  GameId game_id() const {
    const Value* v = get("game_id");
    if (v && v->IsString()) {
      std::string s(v->GetString(), v->GetStringLength());
      char* end = nullptr;
      long long id = std::strtoll(s.c_str(), &end, 10);
      if (s.empty() || *end != '\0') throw BadPayload{"game_id must be a number"};
      return id;
    }
    return required_number("game_id");
  }
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

std::variant<CommandBody, Relay> decode_payload(const std::string& name, const Fields& f, WireMessage& out,
                                                std::int64_t max_bytes) {
  if (name == "register_subject") {
    out.subject_id = f.required_text("subject_id");
    if (out.subject_id.empty()) throw BadPayload{"subject_id must not be empty"};
    for (unsigned char c : out.subject_id) {
      if (c < 0x20 || c == 0x7f) throw BadPayload{"subject_id has a control character"};
    }
    out.resume_token = f.text("resume_token");
    return CommandBody{cmd::RegisterSubject{}};
  }
  if (name == "advance_scene") return CommandBody{cmd::AdvanceScene{}};
  if (name == "join_game") return CommandBody{cmd::JoinGame{f.number("rtt_ms")}};
  if (name == "leave_game") return CommandBody{cmd::LeaveGame{}};
  if (name == "ping") return CommandBody{cmd::Ping{f.required_number("ping_ms"), f.flag("document_in_focus")}};
  if (name == "p2p_validation_success") return CommandBody{cmd::ValidationSuccess{f.game_id()}};
  if (name == "p2p_validation_failed") {
    return CommandBody{cmd::ValidationFailed{f.game_id(), f.text("reason").value_or("")}};
  }
  if (name == "p2p_connection_lost") {
    return CommandBody{cmd::ConnectionLost{f.game_id(), f.number("frame_number").value_or(0)}};
  }
  if (name == "p2p_reconnection_success") return CommandBody{cmd::ReconnectionSuccess{f.game_id()}};
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
    return CommandBody{cmd::EmitMetrics{f.game_id(), std::move(text)}};
  }
  if (name == "webrtc_signal") {
    Relay relay{Relay::Kind::webrtc_signal};
    relay.game = f.game_id();
    relay.target_player = f.required_number("target_player_id");
    relay.type = f.required_text("type", 64);
    const Value* payload = f.get("payload");
    relay.data_json = payload ? to_json(*payload) : "null";
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
  return CommandBody{cmd::Malformed{name, "unknown_event", "no such event: " + name.substr(0, 64)}};
}

}  // namespace

WireMessage decode_wire_event(std::string_view array_json, std::int64_t max_message_bytes) {
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
  try {
    out.content = decode_payload(out.event, Fields(payload), out, max_message_bytes);
  } catch (const BadPayload& bad) {
    if (bad.message == "too_large") return malformed("too_large", "metrics exceed the message size limit");
    return malformed("bad_payload", bad.message);
  }
  return out;
}

}  // namespace cohort
