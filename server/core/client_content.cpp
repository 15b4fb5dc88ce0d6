#include "server/core/client_content.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "engine/vocabulary/experiment_json.h"
#include "engine/vocabulary/json_text.h"

namespace cohort {
namespace {

using Value = rapidjson::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Every text parsed here is the engine's own args or a config's `client` object, both checked
// for depth before they were first parsed: the iterative parser and Accept stay shallow.
rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(text.c_str(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) doc.SetObject();
  return doc;
}

std::string text_of(const Value& value) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// An engine's args parsed in a buffer of their own. They are small; a Document's first chunk
// (64 KiB) was a malloc per notification, and its free a consolidation of glibc's heap: about
// 2% of the server's CPU through a match-heavy run (docs/benchmarks.md, issue 20).
class SmallDocument {
 public:
  using Document = rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                                              rapidjson::MemoryPoolAllocator<>>;
  explicit SmallDocument(const std::string& text) : pool_(buffer_, sizeof buffer_), doc_(&pool_, kStack, &pool_) {
    doc_.Parse<rapidjson::kParseIterativeFlag>(text.c_str(), text.size());
    if (doc_.HasParseError() || !doc_.IsObject()) doc_.SetObject();
  }
  SmallDocument(const SmallDocument&) = delete;
  SmallDocument& operator=(const SmallDocument&) = delete;
  const Value& value() const { return doc_; }

 private:
  static constexpr std::size_t kStack = 512;
  char buffer_[4096];
  rapidjson::MemoryPoolAllocator<> pool_;
  Document doc_;
};

// `base`'s members, then those of `extra` that `base` does not have: what the engine said wins.
std::string merged(const std::string& base, const std::string& extra) {
  if (extra.empty() || extra == "{}") return base;
  rapidjson::Document b = parse(base);
  rapidjson::Document e = parse(extra);
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  for (auto it = b.MemberBegin(); it != b.MemberEnd(); ++it) {
    w.Key(it->name.GetString(), it->name.GetStringLength());
    it->value.Accept(w);
  }
  for (auto it = e.MemberBegin(); it != e.MemberEnd(); ++it) {
    if (b.HasMember(it->name)) continue;
    w.Key(it->name.GetString(), it->name.GetStringLength());
    it->value.Accept(w);
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// An object text with one more member; `key` must be one `object` does not have.
std::string with_member(const std::string& object, std::string_view key, const std::string& value_json) {
  if (object.size() < 2 || object.back() != '}') return object;
  std::string out = object.substr(0, object.size() - 1);
  if (out != "{") out += ',';
  out += '"';
  out += key;
  out += "\":";
  out += value_json;
  out += '}';
  return out;
}

// `object`'s members, each as the text it adds to an object: `"key":value`.
std::vector<ClientContent::Member> members_of(const std::string& object) {
  rapidjson::Document doc = parse(object);
  std::vector<ClientContent::Member> members;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    rapidjson::StringBuffer buffer;
    Writer writer(buffer);
    writer.StartObject();
    writer.Key(it->name.GetString(), it->name.GetStringLength());
    it->value.Accept(writer);
    writer.EndObject();
    std::string text(buffer.GetString() + 1, buffer.GetSize() - 2);  // without the braces
    members.push_back({std::string(it->name.GetString(), it->name.GetStringLength()), std::move(text)});
  }
  return members;
}

// As `merged`, with `extra` taken apart once beforehand, and `base` kept as the engine wrote it.
std::string merged(const std::string& base, const std::vector<ClientContent::Member>& extra) {
  if (extra.empty()) return base;
  SmallDocument b(base);
  std::string out = b.value().MemberCount() > 0 && base.size() >= 2 && base.back() == '}'
                        ? base.substr(0, base.size() - 1)
                        : std::string("{");
  for (const auto& member : extra) {
    if (b.value().HasMember(member.key.c_str())) continue;
    if (out.size() > 1) out += ',';
    out += member.text;
  }
  out += '}';
  return out;
}

std::optional<std::int64_t> int_member(const Value& object, const char* key) {
  if (!object.IsObject()) return std::nullopt;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
  return it->value.GetInt64();
}

std::optional<std::string> string_member(const Value& object, const char* key) {
  if (!object.IsObject()) return std::nullopt;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

}  // namespace

ClientContent::ClientContent() { set_experiment(Experiment{}); }

void ClientContent::seed(const SessionMap& state) {
  set_experiment(*state.experiment);
  game_scene_.clear();
  subject_scene_.clear();
  for (const auto& [id, game] : state.games) game_scene_[id] = game.scene;
  for (const auto& [id, subject] : state.subjects) subject_scene_[id] = subject.scene;
}

void ClientContent::set_experiment(const Experiment& experiment) {
  scenes_.clear();
  scene_index_.clear();
  for (std::size_t i = 0; i < experiment.scenes.size(); ++i) {
    const Scene& scene = experiment.scenes[i];
    JsonObject own;
    own.str("scene_id", scene.scene_id).num("scene_index", static_cast<std::int64_t>(i)).str("type", scene.is_game ? "game" : "static");
    SceneContent content;
    content.object = merged(own.text(), scene.client);
    content.object_members = members_of(content.object);
    // mug's waiting_room carries two of the scene's attributes; a scene's content has them
    // when the researcher copied its scene_metadata.
    rapidjson::Document client = parse(scene.client.empty() ? "{}" : scene.client);
    JsonObject waiting;
    waiting.num("ms_remaining", scene.waitroom_timeout_ms > 0 ? scene.waitroom_timeout_ms : kUnlimitedWaitMs);
    for (const char* key : {"waitroom_timeout_message", "hide_lobby_count"}) {
      auto it = client.FindMember(key);
      if (it != client.MemberEnd()) waiting.raw(key, text_of(it->value));
    }
    content.waiting_members = members_of(waiting.text());
    scene_index_[scene.scene_id] = static_cast<int>(i);
    scenes_.push_back(std::move(content));
  }
  completion_scene_field_ = experiment.completion.scene_field;
  experiment_config_ = experiment.client.empty() ? "{}" : experiment.client;
  rapidjson::Document client = parse(experiment_config_);
  JsonObject pong;
  pong.num("max_latency", int_member(client, "max_latency").value_or(kDefaultMaxLatency))
      .num("min_ping_measurements", int_member(client, "min_ping_measurements").value_or(kDefaultMinPingMeasurements));
  pong_ = pong.text();
  pong_members_ = members_of(pong_);
  auto turn = client.FindMember("turn_config");
  turn_config_ = turn != client.MemberEnd() && turn->value.IsObject() ? text_of(turn->value) : "null";
}

void ClientContent::follow(const Event& event) {
  std::visit(
      [&](const auto& body) {
        using B = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<B, ev::ExperimentConfigured>) {
          try {
            set_experiment(parse_experiment(body.experiment));
          } catch (const ConfigError&) {
            // The engine applied it, so it parses; a log that holds one that does not is refused
            // at start-up before anything is delivered.
          }
        } else if constexpr (std::is_same_v<B, ev::GameCreated>) {
          game_scene_[event.game] = event.scene;
        } else if constexpr (std::is_same_v<B, ev::GameEnded>) {
          game_scene_.erase(event.game);
        } else if constexpr (std::is_same_v<B, ev::SubjectRegistered> || std::is_same_v<B, ev::SubjectAdvanced>) {
          subject_scene_[event.subject] = event.scene;
        }
      },
      event.body);
}

int ClientContent::scene_of_game(GameId game) const {
  auto it = game_scene_.find(game);
  return it == game_scene_.end() ? -1 : it->second;
}

int ClientContent::scene_by_id(const std::string& scene_id) const {
  auto it = scene_index_.find(scene_id);
  return it == scene_index_.end() ? -1 : it->second;
}

std::string ClientContent::scene_object(int index) const {
  if (index < 0 || index >= static_cast<int>(scenes_.size())) return "";
  return scenes_[static_cast<std::size_t>(index)].object;
}

std::string ClientContent::args(const std::string& event, const std::string& engine_args) const {
  if (event == "pong") return engine_args == "{}" ? pong_ : merged(engine_args, pong_members_);
  if (event == "activate_scene") {
    SmallDocument args(engine_args);
    auto index = int_member(args.value(), "scene_index");
    if (!index || *index < 0 || *index >= static_cast<std::int64_t>(scenes_.size())) return engine_args;
    // A finished study's end scene: the code goes into the content under the key the config
    // names (completion.scene_field), over what the scene's `client` object has there.
    std::string own = engine_args;
    auto code = string_member(args.value(), "completion_code");
    if (code && !completion_scene_field_.empty()) {
      JsonObject field;
      field.str(completion_scene_field_, *code);
      own = merged(engine_args, field.text());
    }
    return merged(own, scenes_[static_cast<std::size_t>(*index)].object_members);
  }
  if (event == "start_game" || event == "pyodide_game_ready") {
    SmallDocument parsed(engine_args);
    const Value& args = parsed.value();
    if (args.HasMember("scene_metadata")) return engine_args;
    auto game = int_member(args, "game_id");
    int scene = game ? scene_of_game(*game) : -1;
    if (scene < 0) {
      if (auto id = string_member(args, "scene_id")) scene = scene_by_id(*id);
    }
    std::string metadata = scene_object(scene);
    std::string out = with_member(engine_args, "scene_metadata", metadata.empty() ? "{}" : metadata);
    if (event == "pyodide_game_ready" && !args.HasMember("turn_config")) out = with_member(out, "turn_config", turn_config_);
    return out;
  }
  if (event == "waiting_room") {
    SmallDocument args(engine_args);
    auto id = string_member(args.value(), "scene_id");
    int scene = id ? scene_by_id(*id) : -1;
    if (scene < 0) return engine_args;
    return merged(engine_args, scenes_[static_cast<std::size_t>(scene)].waiting_members);
  }
  if (event == "match_found_countdown") {
    SmallDocument parsed(engine_args);
    const Value& args = parsed.value();
    if (args.HasMember("countdown_seconds")) return engine_args;
    std::int64_t ms = int_member(args, "countdown_ms").value_or(0);
    // Whole seconds, rounded up: mug's client counts down by one a second to "Starting now!".
    return with_member(engine_args, "countdown_seconds", std::to_string(ms > 0 ? (ms + 999) / 1000 : 0));
  }
  return engine_args;
}

ClientFrame ClientContent::after_registered() const { return ClientFrame{"experiment_config", experiment_config_, {}}; }

std::optional<ClientFrame> ClientContent::for_event(const Event& event) const {
  if (!std::holds_alternative<ev::SubjectAdvanced>(event.body)) return std::nullopt;
  auto left = subject_scene_.find(event.subject);
  if (left == subject_scene_.end()) return std::nullopt;
  std::string object = scene_object(left->second);
  if (object.empty()) return std::nullopt;
  return ClientFrame{"terminate_scene", object, {}};
}

Rendered ClientContent::render(const Event& event) {
  Rendered out;
  if (auto frame = for_event(event)) out.frames.push_back(std::move(*frame));  // reads the scene before the event
  follow(event);
  const auto* note = std::get_if<ev::Notification>(&event.body);
  if (!note) return out;
  out.conn = note->conn;
  out.close = note->close;
  if (note->ack) {
    out.frames.push_back(ClientFrame{"", note->args, note->ack});
  } else if (note->event == "registered") {
    out.frames.push_back(ClientFrame{note->event, note->args, {}});
    out.frames.push_back(after_registered());
  } else {
    out.frames.push_back(ClientFrame{note->event, args(note->event, note->args), {}});
  }
  return out;
}

}  // namespace cohort
