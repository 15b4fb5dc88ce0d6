#include "engine/vocabulary/experiment_json.h"

#include <algorithm>
#include <cctype>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "engine/vocabulary/control_characters.h"
#include "engine/vocabulary/json_nesting.h"

namespace cohort {

using Value = rapidjson::Value;

// What the parse below needs of a ConfigObject and nobody else should: its value.
struct ConfigObjectAccess {
  static ConfigObject of(const Value& value, std::string path,
                         std::function<std::string(const std::string&)> elsewhere = {}) {
    if (!value.IsObject()) ConfigObject::fail(path.empty() ? "(top level)" : path, "must be an object");
    ConfigObject object(&value, std::move(path));
    object.elsewhere_ = std::move(elsewhere);
    return object;
  }
  static const std::set<std::string>& keys_read(const ConfigObject& object) { return object.read_; }
  static const Value& value(const ConfigObject& object) { return *static_cast<const Value*>(object.value_); }
  // A `client` object: what a browser client reads, not interpreted here. Kept as its compact
  // text, in the researcher's key order; an empty object is the same as none ("").
  static std::string client(ConfigObject& object) {
    const Value* v = find(object, "client");
    if (!v) return "";
    if (!v->IsObject()) ConfigObject::fail(object.child("client"), "must be an object");
    if (v->ObjectEmpty()) return "";
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    v->Accept(writer);  // nesting bounded by the check before the parse (json_nesting.h)
    return std::string(buffer.GetString(), buffer.GetSize());
  }
  static const Value* find(ConfigObject& object, const std::string& key) {
    object.read_.insert(key);
    const Value& value = ConfigObjectAccess::value(object);
    auto it = value.FindMember(key.c_str());
    return it == value.MemberEnd() ? nullptr : &it->value;
  }
};

namespace {

// The places a config key may appear, and the keys of each: what a key unknown in one place is
// checked against, to tell the researcher where it belongs. The server's keys are whatever
// server/config.cpp reads, learned during the parse.
enum class Place { top, static_scene, game_scene, matchmaker, messages, server };

const std::set<std::string> kTopKeys = {"experiment_id", "resume",      "server",
                                        "scenes",        "completion", "recruitment", "max_participants"};
const std::set<std::string> kSceneKeys = {"scene_id", "type"};
const std::set<std::string> kGameKeys = {"human_seats",    "bot_seats",           "waitroom_timeout_ms",
                                         "countdown_ms",   "p2p_validation",      "validation_timeout_ms",
                                         "reconnection_timeout_ms", "matchmaker", "messages"};
const std::set<std::string> kMatchmakerKeys = {"kind", "max_rtt_ms", "fallback", "group_wait_timeout_ms"};
const std::set<std::string> kMessageKeys = {"partner_excluded", "partner_disconnected", "waitroom_timeout",
                                            "validation_failed"};

// Where `key`, unknown in `here`, belongs; "" when it belongs nowhere.
std::string where_it_belongs(const std::string& key, Place here, const std::set<std::string>& server_keys) {
  bool in_scene = here == Place::static_scene || here == Place::game_scene;
  if (kGameKeys.count(key)) {
    if (here == Place::static_scene) return "not allowed in a static scene: it is a game scene's key (\"type\": \"game\")";
    return "a per-scene key: put it in a game scene (an object of \"scenes\" with \"type\": \"game\")";
  }
  if (kSceneKeys.count(key) && !in_scene) return "a scene's key: put it in an object of \"scenes\"";
  if (kTopKeys.count(key) && here != Place::top) return "a top-level key: put it at the top of the config, beside \"scenes\"";
  if (key == "client" && !in_scene && here != Place::top) return "a `client` object goes at the top level or in a scene";
  if (server_keys.count(key) && here != Place::server) return "a server setting: put it in the \"server\" object";
  if (kMatchmakerKeys.count(key)) {
    if (here != Place::matchmaker) return "a matchmaker key: put it in a game scene's \"matchmaker\" object";
    if (key == "max_rtt_ms") return "applies only to \"kind\": \"latency_fifo\"";
    return "applies only to \"kind\": \"group_reunion\"";
  }
  if (kMessageKeys.count(key) && here != Place::messages) {
    return "a message text: put it in a game scene's \"messages\" object";
  }
  return "";
}

// Levenshtein distance: a typo is a few insertions, deletions or substitutions away.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The known key closest to `key`, if close enough to be a typo of it (a quarter of the key's
// length, at least 3: `max_rtt` for `max_rtt_ms`); "" otherwise. Ties go to the first in order.
std::string nearest_key(const std::string& key, const std::set<std::string>& known) {
  std::size_t limit = key.size() <= 4 ? 1 : std::max<std::size_t>(3, key.size() / 4);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const std::string& candidate : known) {
    std::size_t distance = edit_distance(key, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

// A required key that is missing may be there misspelt: say which key looks like it.
template <class T>
T required(const ConfigObject& object, const std::string& key, const std::optional<T>& fallback) {
  if (fallback) return *fallback;
  const Value& value = ConfigObjectAccess::value(object);
  for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
    std::string given(it->name.GetString(), it->name.GetStringLength());
    if (nearest_key(given, {key}) == key) {
      ConfigObject::fail(object.child(key), "is required; did you mean it for " + object.child(given) + "?");
    }
  }
  ConfigObject::fail(object.child(key), "is required");
}

}  // namespace

ConfigObject::ConfigObject(const void* value, std::string path) : value_(value), path_(std::move(path)) {}

void ConfigObject::fail(const std::string& path, const std::string& why) {
  throw ConfigError("config: " + path + ": " + why);
}

void ConfigObject::finish() const {
  const Value& value = ConfigObjectAccess::value(*this);
  for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    if (read_.count(key)) continue;
    // A key of another object is more likely misplaced than misspelt (`scene_id` at the top is
    // not `scenes`), unless a key here is it with a unit added: `waitroom_timeout` in a game scene
    // is waitroom_timeout_ms, not the message of that name.
    std::string near = nearest_key(key, read_);
    std::string advice = elsewhere_ ? elsewhere_(key) : "";
    if (!near.empty() && (advice.empty() || near.starts_with(key))) fail(child(key), "unknown key; did you mean " + near + "?");
    fail(child(key), advice.empty() ? "unknown key" : advice);
  }
}

std::string ConfigObject::string(const std::string& key, std::optional<std::string> fallback) {
  const Value* v = ConfigObjectAccess::find(*this, key);
  if (!v) return required(*this, key, fallback);
  if (!v->IsString()) fail(child(key), "must be a string");
  return std::string(v->GetString(), v->GetStringLength());
}

std::int64_t ConfigObject::integer(const std::string& key, std::optional<std::int64_t> fallback, std::int64_t min,
                                   std::int64_t max) {
  const Value* v = ConfigObjectAccess::find(*this, key);
  if (!v) return required(*this, key, fallback);
  if (!v->IsInt64()) fail(child(key), "must be an integer");
  std::int64_t n = v->GetInt64();
  if (n < min) fail(child(key), "must be at least " + std::to_string(min));
  if (n > max) fail(child(key), "must be at most " + std::to_string(max));
  return n;
}

std::vector<std::string> ConfigObject::strings(const std::string& key) {
  const Value* v = ConfigObjectAccess::find(*this, key);
  if (!v) return {};
  if (!v->IsArray()) fail(child(key), "must be an array of strings");
  std::vector<std::string> out;
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    if (!(*v)[i].IsString()) fail(child(key) + "[" + std::to_string(i) + "]", "must be a string");
    out.emplace_back((*v)[i].GetString(), (*v)[i].GetStringLength());
  }
  return out;
}

bool ConfigObject::boolean(const std::string& key, bool fallback) {
  const Value* v = ConfigObjectAccess::find(*this, key);
  if (!v) return fallback;
  if (!v->IsBool()) fail(child(key), "must be true or false");
  return v->GetBool();
}

std::string ConfigObject::choice(const std::string& key, std::optional<std::string> fallback,
                                 const std::set<std::string>& allowed) {
  std::string s = string(key, fallback);
  if (!allowed.count(s)) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    fail(child(key), "must be one of " + list);
  }
  return s;
}

namespace {

void read_matchmaker(ConfigObject& m, Matchmaker& out) {
  std::string kind = m.choice("kind", "fifo", {"fifo", "latency_fifo", "group_reunion"});
  if (kind == "latency_fifo") {
    out.kind = Matchmaker::Kind::latency_fifo;
    out.max_rtt_ms = m.integer("max_rtt_ms", std::nullopt, 1);
  } else if (kind == "group_reunion") {
    out.kind = Matchmaker::Kind::group_reunion;
    out.fallback = m.choice("fallback", "fifo", {"fifo", "wait"}) == "fifo" ? Matchmaker::Fallback::fifo
                                                                            : Matchmaker::Fallback::wait;
    out.group_wait_timeout_ms = m.integer("group_wait_timeout_ms", 60000, 0);
  }
  m.finish();
}

void read_messages(ConfigObject& m, SceneMessages& out) {
  out.partner_excluded = m.string("partner_excluded", out.partner_excluded);
  out.partner_disconnected = m.string("partner_disconnected", out.partner_disconnected);
  out.waitroom_timeout = m.string("waitroom_timeout", out.waitroom_timeout);
  out.validation_failed = m.string("validation_failed", out.validation_failed);
  m.finish();
}

constexpr std::size_t kMaxCompletionCode = 256;
constexpr std::size_t kMaxRedirectUrl = 2048;
constexpr std::size_t kMaxSceneField = 128;

// A code a participant copies into a recruitment platform: printable, bounded.
std::string read_code(ConfigObject& e) {
  std::string code = e.string("code", "");
  if (code.size() > kMaxCompletionCode) {
    ConfigObject::fail(e.child("code"), "must be at most " + std::to_string(kMaxCompletionCode) + " bytes");
  }
  if (has_control_character(code)) ConfigObject::fail(e.child("code"), "must not hold control characters");
  return code;
}

// Where the participant's browser is sent: an absolute http(s) URL with a host, nothing else
// (a javascript: or data: URL would run in the study's page).
std::string read_redirect_url(ConfigObject& e) {
  std::string url = e.string("redirect_url", "");
  if (url.empty()) return url;
  const std::string key = e.child("redirect_url");
  if (url.size() > kMaxRedirectUrl) ConfigObject::fail(key, "must be at most " + std::to_string(kMaxRedirectUrl) + " bytes");
  std::size_t host = url.rfind("https://", 0) == 0 ? 8 : url.rfind("http://", 0) == 0 ? 7 : 0;
  if (host == 0) ConfigObject::fail(key, "must be an http:// or https:// URL");
  if (host >= url.size() || url[host] == '/' || url[host] == '?' || url[host] == '#') {
    ConfigObject::fail(key, "must name a host after the scheme");
  }
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\') {
      ConfigObject::fail(key, "must not hold spaces, quotes, angle brackets, backslashes or control characters");
    }
  }
  return url;
}

void read_completion(ConfigObject& c, Completion& out) {
  for (const char* name : kCompletionEndings) {
    const Value* v = ConfigObjectAccess::find(c, name);
    if (!v) continue;
    ConfigObject e = ConfigObjectAccess::of(*v, c.child(name));
    CompletionEnding ending;
    ending.code = read_code(e);
    ending.redirect_url = read_redirect_url(e);
    ending.finishes = e.boolean("finishes", false);
    e.finish();
    out.endings[name] = ending;
  }
  out.scene_field = c.string("scene_field", "");
  if (out.scene_field.size() > kMaxSceneField || has_control_character(out.scene_field)) {
    ConfigObject::fail(c.child("scene_field"), "must be at most " + std::to_string(kMaxSceneField) +
                                                   " bytes, without control characters");
  }
  if (out.scene_field == "scene_id" || out.scene_field == "scene_index" || out.scene_field == "type") {
    ConfigObject::fail(c.child("scene_field"), "must not be scene_id, scene_index or type (Cohort's own keys)");
  }
  c.finish();  // an ending name that is not one of kCompletionEndings is an unknown key
}

// A recruitment key: what a platform puts in a page's URL query (PROLIFIC_PID, workerId).
bool is_recruitment_key(const std::string& key) {
  if (key.empty() || key.size() > 64) return false;
  for (unsigned char c : key) {
    if (!std::isalnum(c) && c != '_' && c != '-' && c != '.') return false;
  }
  return true;
}

void read_recruitment(ConfigObject& c, Recruitment& out) {
  if (ConfigObjectAccess::find(c, "keep")) {
    out.keep = c.strings("keep");
    std::set<std::string> seen;
    for (const std::string& key : out.keep) {
      if (!is_recruitment_key(key)) {
        ConfigObject::fail(c.child("keep"), "'" + key + "' is not a key: 1 to 64 letters, digits, '_', '-' or '.'");
      }
      if (!seen.insert(key).second) ConfigObject::fail(c.child("keep"), "'" + key + "' is listed twice");
    }
    if (out.keep.size() > 32) ConfigObject::fail(c.child("keep"), "must list at most 32 keys");
  }
  out.subject_id_from = c.string("subject_id_from", "");
  out.subject_id_is = c.string("subject_id_is", "");
  for (const auto& [key, value] : {std::pair{"subject_id_from", out.subject_id_from}, {"subject_id_is", out.subject_id_is}}) {
    if (!value.empty() && std::find(out.keep.begin(), out.keep.end(), value) == out.keep.end()) {
      ConfigObject::fail(c.child(key), "'" + value + "' must be one of recruitment.keep");
    }
  }
  c.finish();
}

// What each object of the parse is told about keys that belong elsewhere.
using Elsewhere = std::function<std::string(const std::string&)>;
Elsewhere elsewhere_of(Place here, const std::set<std::string>& server_keys) {
  return [here, &server_keys](const std::string& key) { return where_it_belongs(key, here, server_keys); };
}

Scene read_scene(const Value& value, const std::string& path, std::set<std::string>& ids,
                 const std::set<std::string>& server_keys) {
  ConfigObject r = ConfigObjectAccess::of(value, path, elsewhere_of(Place::game_scene, server_keys));
  Scene scene;
  scene.scene_id = r.string("scene_id");
  if (scene.scene_id.empty()) ConfigObject::fail(r.child("scene_id"), "must not be empty");
  if (!ids.insert(scene.scene_id).second) ConfigObject::fail(r.child("scene_id"), "repeats '" + scene.scene_id + "'");
  scene.is_game = r.choice("type", std::nullopt, {"static", "game"}) == "game";
  scene.client = ConfigObjectAccess::client(r);
  if (!scene.is_game) {
    // A static scene takes no game keys: said so, rather than "unknown key".
    ConfigObject static_scene = ConfigObjectAccess::of(value, path, elsewhere_of(Place::static_scene, server_keys));
    for (const std::string& key : ConfigObjectAccess::keys_read(r)) ConfigObjectAccess::find(static_scene, key);
    static_scene.finish();
    return scene;
  }
  scene.human_seats = static_cast<int>(r.integer("human_seats", std::nullopt, 1, 64));
  scene.bot_seats = static_cast<int>(r.integer("bot_seats", 0, 0, 64));
  scene.waitroom_timeout_ms = r.integer("waitroom_timeout_ms", 0, 0);
  scene.countdown_ms = r.integer("countdown_ms", 0, 0);
  scene.p2p_validation = r.boolean("p2p_validation", false);
  scene.validation_timeout_ms = r.integer("validation_timeout_ms", 10000, 1);
  scene.reconnection_timeout_ms = r.integer("reconnection_timeout_ms", 0, 0);
  if (const Value* mm = ConfigObjectAccess::find(r, "matchmaker")) {
    ConfigObject m = ConfigObjectAccess::of(*mm, r.child("matchmaker"), elsewhere_of(Place::matchmaker, server_keys));
    read_matchmaker(m, scene.matchmaker);
  }
  if (const Value* messages = ConfigObjectAccess::find(r, "messages")) {
    ConfigObject m = ConfigObjectAccess::of(*messages, r.child("messages"), elsewhere_of(Place::messages, server_keys));
    read_messages(m, scene.messages);
  }
  r.finish();
  return scene;
}

Experiment parse(const std::string& json_text, const std::function<void(ConfigObject&)>* server) {
  // Cohort's own keys nest 4 levels (a `client` object as deep as the limit allows), but the text is the researcher's file or whatever
  // a copied log holds: depth is checked before parsing (no recursion in the check), and the
  // parser is RapidJSON's iterative one, whose stack is on the heap.
  if (json_nesting(json_text) > kMaxJsonNesting) {
    throw ConfigError("config: nested deeper than " + std::to_string(kMaxJsonNesting) + " levels");
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(json_text.c_str(), json_text.size());
  if (doc.HasParseError()) {
    throw ConfigError("config: not valid JSON at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                      rapidjson::GetParseError_En(doc.GetParseError()));
  }
  std::set<std::string> server_keys;  // learned from the server's reader, below
  ConfigObject top = ConfigObjectAccess::of(doc, "", elsewhere_of(Place::top, server_keys));
  Experiment experiment;
  experiment.experiment_id = top.string("experiment_id");
  if (top.choice("resume", "token", {"token", "subject_id"}) == "subject_id") experiment.resume = ResumePolicy::subject_id;
  if (server) {
    // Read even when absent (as an empty object): its defaults apply, and its keys are learned
    // for the advice on a server setting put elsewhere.
    const Value no_section(rapidjson::kObjectType);
    const Value* section = ConfigObjectAccess::find(top, "server");
    ConfigObject object = ConfigObjectAccess::of(section ? *section : no_section, "server",
                                                 elsewhere_of(Place::server, server_keys));
    if (*server) {
      (*server)(object);
      server_keys = ConfigObjectAccess::keys_read(object);
    }
  }
  const Value* scenes = ConfigObjectAccess::find(top, "scenes");
  if (!scenes) ConfigObject::fail("scenes", "is required");
  if (!scenes->IsArray() || scenes->Empty()) ConfigObject::fail("scenes", "must be a non-empty array");
  std::set<std::string> ids;
  for (rapidjson::SizeType i = 0; i < scenes->Size(); ++i) {
    experiment.scenes.push_back(read_scene((*scenes)[i], "scenes[" + std::to_string(i) + "]", ids, server_keys));
  }
  experiment.client = ConfigObjectAccess::client(top);
  if (const Value* completion = ConfigObjectAccess::find(top, "completion")) {
    ConfigObject c = ConfigObjectAccess::of(*completion, "completion");
    read_completion(c, experiment.completion);
  }
  if (const Value* recruitment = ConfigObjectAccess::find(top, "recruitment")) {
    ConfigObject c = ConfigObjectAccess::of(*recruitment, "recruitment");
    read_recruitment(c, experiment.recruitment);
  }
  if (ConfigObjectAccess::find(top, "max_participants")) {
    experiment.max_participants = top.integer("max_participants", std::nullopt, 1, kLargestParticipantCap);
  }
  top.finish();
  return experiment;
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer& w, const std::string& s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

// Written only when there is one, so that the canonical text of a config without `client`
// objects is what it was before they existed (and a log's experiment stays the one in force).
void write_client(Writer& w, const std::string& client) {
  if (client.empty()) return;
  w.Key("client");
  w.RawValue(client.data(), client.size(), rapidjson::kObjectType);
}

// Written only when the config has one, for the reason write_client gives.
void write_completion(Writer& w, const Completion& completion) {
  if (completion.endings.empty() && completion.scene_field.empty()) return;
  w.Key("completion");
  w.StartObject();
  for (const char* name : kCompletionEndings) {
    const CompletionEnding* ending = completion.ending(name);
    if (!ending) continue;
    w.Key(name);
    w.StartObject();
    w.Key("code");
    write_string(w, ending->code);
    w.Key("redirect_url");
    write_string(w, ending->redirect_url);
    w.Key("finishes");
    w.Bool(ending->finishes);
    w.EndObject();
  }
  w.Key("scene_field");
  write_string(w, completion.scene_field);
  w.EndObject();
}

// Written only when it is not the default, for the reason write_client gives.
void write_recruitment(Writer& w, const Recruitment& recruitment) {
  if (recruitment == Recruitment{}) return;
  w.Key("recruitment");
  w.StartObject();
  w.Key("keep");
  w.StartArray();
  for (const std::string& key : recruitment.keep) write_string(w, key);
  w.EndArray();
  w.Key("subject_id_from");
  write_string(w, recruitment.subject_id_from);
  w.Key("subject_id_is");
  write_string(w, recruitment.subject_id_is);
  w.EndObject();
}

void write_scene(Writer& w, const Scene& scene) {
  w.StartObject();
  w.Key("scene_id");
  write_string(w, scene.scene_id);
  w.Key("type");
  w.String(scene.is_game ? "game" : "static");
  write_client(w, scene.client);
  if (scene.is_game) {  // the parser refuses game keys on a static scene
    w.Key("human_seats");
    w.Int(scene.human_seats);
    w.Key("bot_seats");
    w.Int(scene.bot_seats);
    w.Key("matchmaker");
    w.StartObject();
    w.Key("kind");
    switch (scene.matchmaker.kind) {
      case Matchmaker::Kind::fifo: w.String("fifo"); break;
      case Matchmaker::Kind::latency_fifo:
        w.String("latency_fifo");
        w.Key("max_rtt_ms");
        w.Int64(scene.matchmaker.max_rtt_ms);
        break;
      case Matchmaker::Kind::group_reunion:
        w.String("group_reunion");
        w.Key("fallback");
        w.String(scene.matchmaker.fallback == Matchmaker::Fallback::fifo ? "fifo" : "wait");
        w.Key("group_wait_timeout_ms");
        w.Int64(scene.matchmaker.group_wait_timeout_ms);
        break;
    }
    w.EndObject();
    w.Key("waitroom_timeout_ms");
    w.Int64(scene.waitroom_timeout_ms);
    w.Key("countdown_ms");
    w.Int64(scene.countdown_ms);
    w.Key("p2p_validation");
    w.Bool(scene.p2p_validation);
    w.Key("validation_timeout_ms");
    w.Int64(scene.validation_timeout_ms);
    w.Key("reconnection_timeout_ms");
    w.Int64(scene.reconnection_timeout_ms);
    w.Key("messages");
    w.StartObject();
    w.Key("partner_excluded");
    write_string(w, scene.messages.partner_excluded);
    w.Key("partner_disconnected");
    write_string(w, scene.messages.partner_disconnected);
    w.Key("waitroom_timeout");
    write_string(w, scene.messages.waitroom_timeout);
    w.Key("validation_failed");
    write_string(w, scene.messages.validation_failed);
    w.EndObject();
  }
  w.EndObject();
}

}  // namespace

Experiment parse_experiment(const std::string& json_text, const std::function<void(ConfigObject&)>& server) {
  return parse(json_text, &server);
}

Experiment parse_experiment(const std::string& json_text) { return parse(json_text, nullptr); }

std::string experiment_json(const Experiment& experiment) {
  // Written from the struct, three levels deep at most, the `client` objects as the text they
  // were read to: nothing here recurses with its input.
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("experiment_id");
  write_string(w, experiment.experiment_id);
  // Only when it is not the default: a log recorded before the key existed re-decides to the
  // same bytes, and its experiment stays the one in force.
  if (experiment.resume == ResumePolicy::subject_id) {
    w.Key("resume");
    w.String("subject_id");
  }
  w.Key("scenes");
  w.StartArray();
  for (const Scene& scene : experiment.scenes) write_scene(w, scene);
  w.EndArray();
  write_client(w, experiment.client);
  write_completion(w, experiment.completion);
  write_recruitment(w, experiment.recruitment);
  // Only when set, for the reason `resume` gives.
  if (experiment.max_participants) {
    w.Key("max_participants");
    w.Int64(*experiment.max_participants);
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace cohort
