// The config's `client` objects, and what delivery adds from them to what mug's client reads
// (server/core/client_content.h): given an experiment and the events so far, when a
// notification leaves, then it carries these fields.
#include <catch2/catch.hpp>

#include "engine/vocabulary/experiment_json.h"
#include "server/core/client_content.h"
#include "tests/support/engine_harness.h"

using namespace cohort;

namespace {

const char* const kClientContentConfig = R"({
  "experiment_id": "mug-study",
  "client": {"pyodide_config": {"needs_pyodide": false}, "entry_screening": {"max_ping": null},
             "max_latency": 250, "turn_config": {"username": "u", "credential": "c", "force_relay": false}},
  "scenes": [
    {"scene_id": "start", "type": "static",
     "client": {"scene_type": "StartScene", "scene_header": "Welcome", "scene_body": "<p>Hi</p>"}},
    {"scene_id": "cramped", "type": "game", "human_seats": 2, "countdown_ms": 2500,
     "client": {"scene_type": "GymScene", "pyodide_multiplayer": true, "fps": 10,
                "waitroom_timeout_message": "Nobody came.", "hide_lobby_count": true,
                "scene_id": "not-this-one"}},
    {"scene_id": "end", "type": "static"}
  ]
})";

Event content_event(std::string subject, GameId game, int scene, EventBody body) {
  return Event{1000, std::move(subject), game, scene, std::move(body)};
}

}  // namespace

TEST_CASE("the config's client objects are opaque JSON kept as compact text") {
  Experiment experiment = parse_experiment(kClientContentConfig);
  CHECK(experiment.client ==
        R"({"pyodide_config":{"needs_pyodide":false},"entry_screening":{"max_ping":null},"max_latency":250,)"
        R"("turn_config":{"username":"u","credential":"c","force_relay":false}})");
  CHECK(experiment.scenes[0].client == R"({"scene_type":"StartScene","scene_header":"Welcome","scene_body":"<p>Hi</p>"})");
  CHECK(experiment.scenes[2].client.empty());
  // The canonical text holds them, so experiment_configured records them and reads them back.
  std::string canonical = experiment_json(experiment);
  CHECK(canonical.find(R"("client":{"scene_type":"GymScene")") != std::string::npos);
  CHECK(parse_experiment(canonical) == experiment);
  // A config without them has the canonical text it had before they existed.
  Experiment plain = parse_experiment(R"({"experiment_id":"x","scenes":[{"scene_id":"a","type":"static"}]})");
  CHECK(experiment_json(plain) == R"({"experiment_id":"x","scenes":[{"scene_id":"a","type":"static"}]})");
  // An empty one is none.
  CHECK(parse_experiment(R"({"experiment_id":"x","client":{},"scenes":[{"scene_id":"a","type":"static","client":{}}]})") == plain);
  CHECK_THROWS_WITH(parse_experiment(R"({"experiment_id":"x","scenes":[{"scene_id":"a","type":"static","client":[1]}]})"),
                    "config: scenes[0].client: must be an object");
  CHECK_THROWS_WITH(parse_experiment(R"({"experiment_id":"x","client":"mug","scenes":[{"scene_id":"a","type":"static"}]})"),
                    "config: client: must be an object");
}

TEST_CASE("delivery adds what mug's client reads, from the experiment in force") {
  SessionMap state(std::make_shared<const Experiment>(parse_experiment(kClientContentConfig)));
  ClientContent content;
  content.seed(state);

  SECTION("experiment_config follows registered, with the experiment-level client object") {
    ClientFrame config = content.after_registered();
    CHECK(config.event == "experiment_config");
    CHECK(config.args == parse_experiment(kClientContentConfig).client);
  }
  SECTION("activate_scene carries the scene's content; Cohort's own fields win") {
    std::string args = content.args("activate_scene", R"({"scene_id":"cramped","scene_index":1,"type":"game"})");
    CHECK(args == R"({"scene_id":"cramped","scene_index":1,"type":"game","scene_type":"GymScene",)"
                   R"("pyodide_multiplayer":true,"fps":10,"waitroom_timeout_message":"Nobody came.","hide_lobby_count":true})");
    // A scene without a client object: Cohort's fields alone.
    CHECK(content.args("activate_scene", R"({"scene_id":"end","scene_index":2,"type":"static"})") ==
          R"({"scene_id":"end","scene_index":2,"type":"static"})");
  }
  SECTION("terminate_scene for the scene a subject leaves, before the next activate_scene") {
    content.follow(content_event("ann", kNoGame, 0, ev::SubjectRegistered{"h"}));
    Event advanced = content_event("ann", kNoGame, 1, ev::SubjectAdvanced{});
    auto frame = content.for_event(advanced);
    REQUIRE(frame);
    CHECK(frame->event == "terminate_scene");
    CHECK(frame->args == R"({"scene_id":"start","scene_index":0,"type":"static","scene_type":"StartScene",)"
                         R"("scene_header":"Welcome","scene_body":"<p>Hi</p>"})");
    content.follow(advanced);
    CHECK(content.for_event(content_event("ann", kNoGame, 2, ev::SubjectAdvanced{}))->args.find(R"("scene_id":"cramped")") !=
          std::string::npos);
    CHECK_FALSE(content.for_event(content_event("bob", kNoGame, 1, ev::SubjectAdvanced{})));  // unknown subject
  }
  SECTION("start_game and pyodide_game_ready carry scene_metadata; the ready one turn_config") {
    content.follow(content_event("", 7, 1, ev::GameCreated{42, {"ann", "bob"}, 0}));
    std::string start = content.args("start_game", R"({"game_id":7,"scene_id":"cramped"})");
    CHECK(start == R"({"game_id":7,"scene_id":"cramped","scene_metadata":)" + content.scene_object(1) + "}");
    std::string ready = content.args("pyodide_game_ready", R"({"game_id":7,"players":[0,1],"player_subjects":{"0":"ann","1":"bob"}})");
    CHECK(ready == R"({"game_id":7,"players":[0,1],"player_subjects":{"0":"ann","1":"bob"},"scene_metadata":)" +
                       content.scene_object(1) + R"(,"turn_config":{"username":"u","credential":"c","force_relay":false}})");
    content.follow(content_event("", 7, kNoScene, ev::GameEnded{"normal"}));
    // A game the content no longer knows is found by its scene_id.
    CHECK(content.args("start_game", R"({"game_id":7,"scene_id":"cramped"})") == start);
  }
  SECTION("match_found_countdown counts in whole seconds; waiting_room always has ms_remaining") {
    CHECK(content.args("match_found_countdown", R"({"game_id":7,"countdown_ms":2500})") ==
          R"({"game_id":7,"countdown_ms":2500,"countdown_seconds":3})");
    CHECK(content.args("waiting_room", R"({"scene_id":"cramped","cur_num_players":1,"players_needed":1})") ==
          R"({"scene_id":"cramped","cur_num_players":1,"players_needed":1,"ms_remaining":86400000,)"
          R"("waitroom_timeout_message":"Nobody came.","hide_lobby_count":true})");
    // The engine's own ms_remaining (a waitroom timeout) is kept.
    CHECK(content.args("waiting_room", R"({"scene_id":"cramped","cur_num_players":1,"players_needed":1,"ms_remaining":5000})")
              .find(R"("ms_remaining":5000,"waitroom)") != std::string::npos);
  }
  SECTION("pong as mug's: max_latency and min_ping_measurements") {
    CHECK(content.args("pong", "{}") == R"({"max_latency":250,"min_ping_measurements":5})");
  }
  SECTION("render: what one committed event sends, as delivery sends it") {
    Rendered registered = content.render(content_event("ann", kNoGame, kNoScene, ev::Notification{5, "registered", R"({"subject_id":"ann"})", {}, false}));
    CHECK(registered.conn == 5);
    CHECK(registered.frames == std::vector<ClientFrame>{{"registered", R"({"subject_id":"ann"})", {}},
                                                         {"experiment_config", parse_experiment(kClientContentConfig).client, {}}});
    Rendered ack = content.render(content_event("ann", kNoGame, kNoScene, ev::Notification{5, "", R"({"status":"ok"})", 3, false}));
    CHECK(ack.frames == std::vector<ClientFrame>{{"", R"({"status":"ok"})", 3}});
    content.render(content_event("ann", kNoGame, 0, ev::SubjectRegistered{"h"}));
    Rendered advanced = content.render(content_event("ann", kNoGame, 1, ev::SubjectAdvanced{}));
    REQUIRE(advanced.frames.size() == 1);
    CHECK(advanced.frames[0].event == "terminate_scene");
    CHECK(advanced.conn == kNoConn);  // to the subject's socket
    CHECK(content.render(content_event("ann", kNoGame, kNoScene, ev::SubjectDone{})).frames.empty());
  }
  SECTION("other notifications leave as the engine wrote them") {
    CHECK(content.args("p2p_pause", R"({"game_id":1})") == R"({"game_id":1})");
  }
  SECTION("a new experiment in force changes what follows") {
    Experiment next = parse_experiment(kClientContentConfig);
    next.client = R"({"pyodide_config":{"needs_pyodide":true}})";
    next.scenes[0].client.clear();
    content.follow(content_event("", kNoGame, kNoScene, ev::ExperimentConfigured{experiment_json(next)}));
    CHECK(content.after_registered().args == next.client);
    CHECK(content.args("pong", "{}") == R"({"max_latency":100000,"min_ping_measurements":5})");
    CHECK(content.args("activate_scene", R"({"scene_id":"start","scene_index":0,"type":"static"})") ==
          R"({"scene_id":"start","scene_index":0,"type":"static"})");
  }
}

// The engine's side of two of mug's events: given a registered subject, when it sends them,
// then these events and messages.
TEST_CASE("mug's first ping, without ping_ms, is answered pong and records no RTT") {
  cohort::testing::Harness h(cohort::testing::experiment_with(cohort::testing::two_seat_game()));
  h.connect("alice");
  h.send("alice", cmd::Ping{std::nullopt, false});
  CHECK(h.event_types().empty());  // no rtt_recorded
  CHECK(h.messages_to("alice") == std::vector<std::string>{"pong"});
  CHECK(h.subject("alice").rtt_ms == std::nullopt);
  h.send("alice", cmd::Ping{30, true});
  CHECK(h.subject("alice").rtt_ms == 30);
  h.send("alice", cmd::Ping{std::nullopt, true});  // keeps the RTT it has
  CHECK(h.subject("alice").rtt_ms == 30);
}

TEST_CASE("request_current_scene answers the subject's current activate_scene, journaled, changing nothing") {
  cohort::testing::Harness h(cohort::testing::experiment_with(cohort::testing::two_seat_game()));
  h.connect("alice");
  h.send("alice", cmd::AdvanceScene{});
  h.send("alice", cmd::RequestCurrentScene{});
  CHECK(h.event_types().empty());  // nothing but the notification
  CHECK(h.messages_to("alice") == std::vector<std::string>{"activate_scene"});
  CHECK(h.message_args("alice", "activate_scene").find(R"("scene_index":1)") != std::string::npos);
  h.send("alice", cmd::AdvanceScene{});  // the last scene: done
  h.send("alice", cmd::RequestCurrentScene{});
  CHECK(h.message_args("alice", "activate_scene").find(R"("scene_index":2)") != std::string::npos);
  h.run(Command{0, "nobody", 99, std::nullopt, cmd::RequestCurrentScene{}});
  CHECK(h.messages_to("nobody") == std::vector<std::string>{"error"});
}
