#include <catch2/catch.hpp>

#include "engine/vocabulary/experiment_json.h"
#include "server/config.h"

using namespace cohort;

namespace {

const char* kFull = R"({
  "experiment_id": "coop-study-3",
  "server": { "port": 9001, "db": "study.db", "durability": "normal",
              "admin_token": "change-me-0f3c9e2a71", "max_message_bytes": 65536 },
  "scenes": [
    { "scene_id": "consent", "type": "static" },
    { "scene_id": "cramped_room", "type": "game",
      "human_seats": 2, "bot_seats": 0,
      "matchmaker": { "kind": "latency_fifo", "max_rtt_ms": 200 },
      "waitroom_timeout_ms": 120000, "countdown_ms": 3000,
      "p2p_validation": true, "validation_timeout_ms": 10000,
      "reconnection_timeout_ms": 5000,
      "messages": { "partner_excluded": "Excluded.", "partner_disconnected": "Gone.",
                    "waitroom_timeout": "Nobody came." } },
    { "scene_id": "second", "type": "game", "human_seats": 3,
      "matchmaker": { "kind": "group_reunion", "fallback": "wait", "group_wait_timeout_ms": 30000 } },
    { "scene_id": "end", "type": "static" }
  ]
})";

std::string error_of(const std::string& json) {
  try {
    parse_config(json);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "accepted";
}

std::string with_scene(const std::string& scene_fields) {
  return R"({"experiment_id":"x","scenes":[{"scene_id":"g","type":"game",)" + scene_fields + "}]}";
}

}  // namespace

TEST_CASE("the config of PROTOCOL.md section 2 is read whole") {
  Config config = parse_config(kFull);
  CHECK(config.experiment.experiment_id == "coop-study-3");
  CHECK(config.server.port == 9001);
  CHECK(config.server.db == "study.db");
  CHECK(config.server.durability == Durability::normal);
  CHECK(config.server.admin_token == "change-me-0f3c9e2a71");
  CHECK(config.server.max_message_bytes == 65536);
  REQUIRE(config.experiment.scenes.size() == 4);
  const Scene& game = config.experiment.scenes[1];
  CHECK(game.is_game);
  CHECK(game.human_seats == 2);
  CHECK(game.matchmaker.kind == Matchmaker::Kind::latency_fifo);
  CHECK(game.matchmaker.max_rtt_ms == 200);
  CHECK(game.p2p_validation);
  CHECK(game.reconnection_timeout_ms == 5000);
  CHECK(game.messages.partner_disconnected == "Gone.");
  CHECK(game.messages.validation_failed == SceneMessages{}.validation_failed);
  const Scene& second = config.experiment.scenes[2];
  CHECK(second.matchmaker.kind == Matchmaker::Kind::group_reunion);
  CHECK(second.matchmaker.fallback == Matchmaker::Fallback::wait);
  CHECK(second.matchmaker.group_wait_timeout_ms == 30000);
  CHECK_FALSE(config.experiment.scenes[3].is_game);
}

TEST_CASE("the demo config is consent, one 2-seat game, end") {
  Config demo = demo_config();
  REQUIRE(demo.experiment.scenes.size() == 3);
  CHECK(demo.experiment.scenes[1].human_seats == 2);
  CHECK(demo.server.port == 8080);
  CHECK(demo.server.db == "cohort.db");
}

TEST_CASE("bad configs are refused with the key's path") {
  CHECK(error_of("{") == "config: not valid JSON at offset 1: Missing a name for object member.");
  CHECK(error_of(R"({"scenes":[]})") == "config: experiment_id: is required");
  CHECK(error_of(R"({"experiment_id":"x","scenes":[]})") == "config: scenes: must be a non-empty array");
  CHECK(error_of(R"({"experiment_id":"x","colour":1,"scenes":[{"scene_id":"a","type":"static"}]})") ==
        "config: colour: unknown key");
  CHECK(error_of(with_scene(R"("human_seats":0)")) == "config: scenes[0].human_seats: must be at least 1");
  CHECK(error_of(with_scene(R"("human_seats":"two")")) == "config: scenes[0].human_seats: must be an integer");
  CHECK(error_of(with_scene("\"countdown_ms\":1")) == "config: scenes[0].human_seats: is required");
  CHECK(error_of(with_scene(R"("human_seats":2,"matchmaker":{"kind":"best"})")) ==
        "config: scenes[0].matchmaker.kind: must be one of fifo, group_reunion, latency_fifo");
  CHECK(error_of(with_scene(R"("human_seats":2,"matchmaker":{"kind":"latency_fifo"})")) ==
        "config: scenes[0].matchmaker.max_rtt_ms: is required");
  CHECK(error_of(with_scene(R"("human_seats":2,"messages":{"hello":"x"})")) ==
        "config: scenes[0].messages.hello: unknown key");
  CHECK(error_of(with_scene(R"("human_seats":2,"p2p_validation":"yes")")) ==
        "config: scenes[0].p2p_validation: must be true or false");
  CHECK(error_of(R"({"experiment_id":"x","scenes":[{"scene_id":"a","type":"static","human_seats":2}]})") ==
        "config: scenes[0].human_seats: not allowed in a static scene: it is a game scene's key (\"type\": \"game\")");
  CHECK(error_of(R"({"experiment_id":"x","scenes":[{"scene_id":"a","type":"static"},{"scene_id":"a","type":"static"}]})") ==
        "config: scenes[1].scene_id: repeats 'a'");
  CHECK(error_of(R"({"experiment_id":"x","server":{"durability":"maybe"},"scenes":[{"scene_id":"a","type":"static"}]})") ==
        "config: server.durability: must be one of full, normal");
  CHECK(error_of(R"({"experiment_id":"x","server":{"port":70000},"scenes":[{"scene_id":"a","type":"static"}]})") ==
        "config: server.port: must be at most 65535");
  CHECK(error_of(R"({"experiment_id":"x","scenes":[{"scene_id":"a","type":"video"}]})") ==
        "config: scenes[0].type: must be one of game, static");
  CHECK(error_of("[1,2]") == "config: (top level): must be an object");
}

TEST_CASE("max_participants: a positive integer, recorded with the experiment only when set") {
  const std::string one_scene = R"("scenes":[{"scene_id":"a","type":"static"}])";
  Config capped = parse_config(R"({"experiment_id":"x","max_participants":250,)" + one_scene + "}");
  CHECK(capped.experiment.max_participants == 250);
  CHECK(experiment_json(capped.experiment) == R"({"experiment_id":"x",)" + one_scene + R"(,"max_participants":250})");
  CHECK(parse_experiment(experiment_json(capped.experiment)) == capped.experiment);
  Config open = parse_config(R"({"experiment_id":"x",)" + one_scene + "}");
  CHECK(open.experiment.max_participants == std::nullopt);
  CHECK(experiment_json(open.experiment) == R"({"experiment_id":"x",)" + one_scene + "}");
  CHECK(error_of(R"({"experiment_id":"x","max_participants":0,)" + one_scene + "}") ==
        "config: max_participants: must be at least 1");
  CHECK(error_of(R"({"experiment_id":"x","max_participants":2.5,)" + one_scene + "}") ==
        "config: max_participants: must be an integer");
  CHECK(error_of(R"({"experiment_id":"x","max_participants":"200",)" + one_scene + "}") ==
        "config: max_participants: must be an integer");
  CHECK(error_of(R"({"experiment_id":"x","max_participants":1000000001,)" + one_scene + "}") ==
        "config: max_participants: must be at most 1000000000");
  CHECK(error_of(R"({"experiment_id":"x","server":{"max_participants":9},)" + one_scene + "}") ==
        "config: server.max_participants: a top-level key: put it at the top of the config, beside \"scenes\"");
}

TEST_CASE("a config nested deeper than 64 levels is refused before it is parsed") {
  // top object, scenes array, scene object, messages object: 4 levels, then `extra` arrays.
  auto nested_message = [](std::size_t extra) {
    return with_scene(R"("human_seats":2,"messages":{"partner_excluded":)" + std::string(extra, '[') +
                      std::string(extra, ']') + "}");
  };
  // No key of the config takes arbitrary JSON: at 64 levels the text is parsed, and the schema
  // refuses it; at 65 the depth check refuses it first, naming the limit.
  CHECK(error_of(nested_message(60)) == "config: scenes[0].messages.partner_excluded: must be a string");
  CHECK(error_of(nested_message(61)) == "config: nested deeper than 64 levels");
  CHECK(error_of(std::string(200'000, '[') + std::string(200'000, ']')) == "config: nested deeper than 64 levels");
  CHECK(error_of(std::string(200'000, '{')) == "config: nested deeper than 64 levels");
  // Brackets inside strings are text, not nesting.
  Config config = parse_config(with_scene(R"("human_seats":2,"messages":{"partner_excluded":")" +
                                          std::string(1000, '[') + R"(\"{{{"})"));
  CHECK(config.experiment.scenes[0].messages.partner_excluded == std::string(1000, '[') + "\"{{{");
}

namespace {

std::string error_with_static_scene(const std::string& top_fields) {
  return error_of(R"({"experiment_id":"x",)" + top_fields + R"(,"scenes":[{"scene_id":"a","type":"static"}]})");
}

}  // namespace

TEST_CASE("a config error says what to do: the nearest key for a typo and where a misplaced key belongs") {
  // A typo: the nearest key of the same object.
  CHECK(error_of(with_scene(R"("human_seats":2,"waitroom_timeout":60000)")) ==
        "config: scenes[0].waitroom_timeout: unknown key; did you mean waitroom_timeout_ms?");
  CHECK(error_of(with_scene(R"("human_seat":2)")) ==
        "config: scenes[0].human_seats: is required; did you mean it for scenes[0].human_seat?");
  CHECK(error_of(R"({"experiment_ids":"x","scenes":[{"scene_id":"a","type":"static"}]})") ==
        "config: experiment_id: is required; did you mean it for experiment_ids?");
  CHECK(error_with_static_scene(R"("server":{"durabilty":"full"})") ==
        "config: server.durabilty: unknown key; did you mean durability?");
  CHECK(error_with_static_scene(R"("experiment":"y")") == "config: experiment: unknown key; did you mean experiment_id?");
  // Nothing close: no guess.
  CHECK(error_with_static_scene(R"("colour":1)") == "config: colour: unknown key");
  // A key of another object: where it belongs.
  CHECK(error_with_static_scene(R"("matchmaker":{"kind":"fifo"})") ==
        "config: matchmaker: a per-scene key: put it in a game scene (an object of \"scenes\" with \"type\": \"game\")");
  CHECK(error_of(R"({"experiment_id":"x","scenes":[{"scene_id":"a","type":"static","matchmaker":{"kind":"fifo"}}]})") ==
        "config: scenes[0].matchmaker: not allowed in a static scene: it is a game scene's key (\"type\": \"game\")");
  CHECK(error_with_static_scene(R"("port":9000)") == "config: port: a server setting: put it in the \"server\" object");
  CHECK(error_of(with_scene(R"("human_seats":2,"db":"x.db")")) ==
        "config: scenes[0].db: a server setting: put it in the \"server\" object");
  CHECK(error_with_static_scene(R"("server":{"experiment_id":"y"})") ==
        "config: server.experiment_id: a top-level key: put it at the top of the config, beside \"scenes\"");
  CHECK(error_of(with_scene(R"("human_seats":2,"max_rtt_ms":200)")) ==
        "config: scenes[0].max_rtt_ms: a matchmaker key: put it in a game scene's \"matchmaker\" object");
  CHECK(error_of(with_scene(R"("human_seats":2,"partner_excluded":"Bye.")")) ==
        "config: scenes[0].partner_excluded: a message text: put it in a game scene's \"messages\" object");
  CHECK(error_of(with_scene(R"("human_seats":2,"messages":{"countdown_ms":5})")) ==
        "config: scenes[0].messages.countdown_ms: a per-scene key: put it in a game scene (an object of \"scenes\" with \"type\": \"game\")");
  CHECK(error_with_static_scene(R"("scene_id":"a")") == "config: scene_id: a scene's key: put it in an object of \"scenes\"");
  // A matchmaker key of another kind.
  CHECK(error_of(with_scene(R"("human_seats":2,"matchmaker":{"kind":"fifo","max_rtt_ms":200})")) ==
        "config: scenes[0].matchmaker.max_rtt_ms: applies only to \"kind\": \"latency_fifo\"");
  CHECK(error_of(with_scene(R"("human_seats":2,"matchmaker":{"kind":"latency_fifo","max_rtt_ms":9,"fallback":"wait"})")) ==
        "config: scenes[0].matchmaker.fallback: applies only to \"kind\": \"group_reunion\"");
}

TEST_CASE("server.port 0 asks for a free port as --port 0 does") {
  Config config = parse_config(R"({"experiment_id":"x","server":{"port":0},"scenes":[{"scene_id":"a","type":"static"}]})");
  CHECK(config.server.port == 0);
  CHECK(error_of(R"({"experiment_id":"x","server":{"port":-1},"scenes":[{"scene_id":"a","type":"static"}]})") ==
        "config: server.port: must be at least 0");
}
