#include "server/config.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include "engine/vocabulary/json_nesting.h"

namespace cohort {
namespace {

using Value = rapidjson::Value;

// Walks one JSON object, reading the keys it knows and refusing any other, with the path of
// each key in its error messages.
class ObjectReader {
 public:
  ObjectReader(const Value& value, std::string path) : value_(value), path_(std::move(path)) {
    if (!value.IsObject()) fail(path_.empty() ? "(top level)" : path_, "must be an object");
  }

  // Refuses keys nobody asked for. Call after reading every known key.
  void finish() const {
    for (auto it = value_.MemberBegin(); it != value_.MemberEnd(); ++it) {
      std::string key(it->name.GetString(), it->name.GetStringLength());
      if (!read_.count(key)) fail(child(key), "unknown key");
    }
  }

  const Value* find(const std::string& key) {
    read_.insert(key);
    auto it = value_.FindMember(key.c_str());
    return it == value_.MemberEnd() ? nullptr : &it->value;
  }

  std::string string(const std::string& key, std::optional<std::string> fallback = std::nullopt) {
    const Value* v = find(key);
    if (!v) return required(key, fallback);
    if (!v->IsString()) fail(child(key), "must be a string");
    return std::string(v->GetString(), v->GetStringLength());
  }

  std::int64_t integer(const std::string& key, std::optional<std::int64_t> fallback, std::int64_t min,
                       std::int64_t max = INT64_MAX) {
    const Value* v = find(key);
    if (!v) return required(key, fallback);
    if (!v->IsInt64()) fail(child(key), "must be an integer");
    std::int64_t n = v->GetInt64();
    if (n < min) fail(child(key), "must be at least " + std::to_string(min));
    if (n > max) fail(child(key), "must be at most " + std::to_string(max));
    return n;
  }

  std::vector<std::string> strings(const std::string& key) {
    const Value* v = find(key);
    if (!v) return {};
    if (!v->IsArray()) fail(child(key), "must be an array of strings");
    std::vector<std::string> out;
    for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
      if (!(*v)[i].IsString()) fail(child(key) + "[" + std::to_string(i) + "]", "must be a string");
      out.emplace_back((*v)[i].GetString(), (*v)[i].GetStringLength());
    }
    return out;
  }

  bool boolean(const std::string& key, bool fallback) {
    const Value* v = find(key);
    if (!v) return fallback;
    if (!v->IsBool()) fail(child(key), "must be true or false");
    return v->GetBool();
  }

  std::string choice(const std::string& key, std::optional<std::string> fallback, const std::set<std::string>& allowed) {
    std::string s = string(key, fallback);
    if (!allowed.count(s)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      fail(child(key), "must be one of " + list);
    }
    return s;
  }

  std::string child(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  [[noreturn]] static void fail(const std::string& path, const std::string& why) {
    throw ConfigError("config: " + path + ": " + why);
  }

 private:
  template <class T>
  T required(const std::string& key, const std::optional<T>& fallback) {
    if (!fallback) fail(child(key), "is required");
    return *fallback;
  }

  const Value& value_;
  std::string path_;
  std::set<std::string> read_;
};

Scene read_scene(const Value& value, const std::string& path, std::set<std::string>& ids) {
  ObjectReader r(value, path);
  Scene scene;
  scene.scene_id = r.string("scene_id");
  if (scene.scene_id.empty()) ObjectReader::fail(r.child("scene_id"), "must not be empty");
  if (!ids.insert(scene.scene_id).second) ObjectReader::fail(r.child("scene_id"), "repeats '" + scene.scene_id + "'");
  scene.is_game = r.choice("type", std::nullopt, {"static", "game"}) == "game";
  if (!scene.is_game) {
    r.finish();  // a static scene takes no game keys
    return scene;
  }
  scene.human_seats = static_cast<int>(r.integer("human_seats", std::nullopt, 1, 64));
  scene.bot_seats = static_cast<int>(r.integer("bot_seats", 0, 0, 64));
  scene.waitroom_timeout_ms = r.integer("waitroom_timeout_ms", 0, 0);
  scene.countdown_ms = r.integer("countdown_ms", 0, 0);
  scene.p2p_validation = r.boolean("p2p_validation", false);
  scene.validation_timeout_ms = r.integer("validation_timeout_ms", 10000, 1);
  scene.reconnection_timeout_ms = r.integer("reconnection_timeout_ms", 0, 0);
  if (const Value* mm = r.find("matchmaker")) {
    ObjectReader m(*mm, r.child("matchmaker"));
    std::string kind = m.choice("kind", "fifo", {"fifo", "latency_fifo", "group_reunion"});
    if (kind == "latency_fifo") {
      scene.matchmaker.kind = Matchmaker::Kind::latency_fifo;
      scene.matchmaker.max_rtt_ms = m.integer("max_rtt_ms", std::nullopt, 1);
    } else if (kind == "group_reunion") {
      scene.matchmaker.kind = Matchmaker::Kind::group_reunion;
      scene.matchmaker.fallback =
          m.choice("fallback", "fifo", {"fifo", "wait"}) == "fifo" ? Matchmaker::Fallback::fifo : Matchmaker::Fallback::wait;
      scene.matchmaker.group_wait_timeout_ms = m.integer("group_wait_timeout_ms", 60000, 0);
    }
    m.finish();
  }
  if (const Value* messages = r.find("messages")) {
    ObjectReader m(*messages, r.child("messages"));
    auto& out = scene.messages;
    out.partner_excluded = m.string("partner_excluded", out.partner_excluded);
    out.partner_disconnected = m.string("partner_disconnected", out.partner_disconnected);
    out.waitroom_timeout = m.string("waitroom_timeout", out.waitroom_timeout);
    out.validation_failed = m.string("validation_failed", out.validation_failed);
    m.finish();
  }
  r.finish();
  return scene;
}

ServerSettings read_server(const Value& value) {
  ObjectReader r(value, "server");
  ServerSettings s;
  s.port = static_cast<int>(r.integer("port", s.port, 1, 65535));
  s.db = r.string("db", s.db);
  if (s.db.empty()) ObjectReader::fail("server.db", "must not be empty");
  s.durability = r.choice("durability", "full", {"full", "normal"}) == "full" ? Durability::full : Durability::normal;
  s.admin_token = r.string("admin_token", "");
  if (!s.admin_token.empty() && s.admin_token.size() < kMinAdminTokenLength) {
    ObjectReader::fail("server.admin_token", "must be at least " + std::to_string(kMinAdminTokenLength) +
                                                 " characters (or left out: the server then draws one)");
  }
  s.behind_https = r.boolean("behind_https", s.behind_https);
  s.max_message_bytes = r.integer("max_message_bytes", s.max_message_bytes, 1024, 64 * 1024 * 1024);
  s.rate_limit_per_s = static_cast<int>(r.integer("rate_limit_per_s", s.rate_limit_per_s, 1, 100000));
  s.ping_interval_ms = static_cast<int>(r.integer("ping_interval_ms", s.ping_interval_ms, 100, 3600000));
  s.ping_timeout_ms = static_cast<int>(r.integer("ping_timeout_ms", s.ping_timeout_ms, 100, 3600000));
  s.snapshot_every = static_cast<int>(r.integer("snapshot_every", s.snapshot_every, 10, 100000000));
  s.connect_timeout_ms = static_cast<int>(r.integer("connect_timeout_ms", s.connect_timeout_ms, 100, 3600000));
  s.rejections_per_s = static_cast<int>(r.integer("rejections_per_s", s.rejections_per_s, 1, 100000));
  s.max_connections = static_cast<int>(r.integer("max_connections", s.max_connections, 1, 1000000));
  s.max_connections_per_address =
      static_cast<int>(r.integer("max_connections_per_address", s.max_connections_per_address, 1, 1000000));
  s.max_queued_commands = static_cast<int>(r.integer("max_queued_commands", s.max_queued_commands, 100, 100000000));
  s.request_timeout_ms = static_cast<int>(r.integer("request_timeout_ms", s.request_timeout_ms, 100, 3600000));
  s.restart_grace_ms = static_cast<int>(r.integer("restart_grace_ms", s.restart_grace_ms, 0, 86400000));
  s.trusted_proxies = r.strings("trusted_proxies");
  s.allowed_origins = r.strings("allowed_origins");
  r.finish();
  return s;
}

}  // namespace

Config parse_config(const std::string& json_text) {
  // The deepest valid config nests 4 levels, but the text is the researcher's file or, for
  // cohort-replay, whatever a copied log's meta says: depth is checked before parsing (no
  // recursion in the check), and the parser is RapidJSON's iterative one, whose stack is on
  // the heap. Nothing here writes the parsed value back out (`config.json` is the text as
  // given); a writer that did (`Accept`) would recurse once per level, which this bound keeps
  // at 64.
  if (json_nesting(json_text) > kMaxJsonNesting) {
    throw ConfigError("config: nested deeper than " + std::to_string(kMaxJsonNesting) + " levels");
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json_text.c_str(), json_text.size());
  if (doc.HasParseError()) {
    throw ConfigError("config: not valid JSON at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                      rapidjson::GetParseError_En(doc.GetParseError()));
  }
  ObjectReader top(doc, "");
  Config config;
  config.json = json_text;
  config.experiment.experiment_id = top.string("experiment_id");
  if (const Value* server = top.find("server")) config.server = read_server(*server);
  const Value* scenes = top.find("scenes");
  if (!scenes) ObjectReader::fail("scenes", "is required");
  if (!scenes->IsArray() || scenes->Empty()) ObjectReader::fail("scenes", "must be a non-empty array");
  std::set<std::string> ids;
  for (rapidjson::SizeType i = 0; i < scenes->Size(); ++i) {
    config.experiment.scenes.push_back(read_scene((*scenes)[i], "scenes[" + std::to_string(i) + "]", ids));
  }
  top.finish();
  return config;
}

Config load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("config: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str());
}

Config demo_config() {
  return parse_config(R"({
  "experiment_id": "cohort-demo",
  "scenes": [
    {"scene_id": "consent", "type": "static"},
    {"scene_id": "cramped_room", "type": "game", "human_seats": 2, "waitroom_timeout_ms": 120000,
     "countdown_ms": 3000, "reconnection_timeout_ms": 5000},
    {"scene_id": "end", "type": "static"}
  ]
})");
}

}  // namespace cohort
