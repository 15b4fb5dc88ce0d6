#include <catch2/catch.hpp>

#include "server/transport/wire_message.h"

using namespace cohort;

namespace {

WireMessage decode(std::string_view json) { return decode_wire_event(json, 4096); }

const cmd::Malformed* malformed(const WireMessage& m) {
  const auto* body = std::get_if<CommandBody>(&m.content);
  return body ? std::get_if<cmd::Malformed>(body) : nullptr;
}

template <class T>
const T* command(const WireMessage& m) {
  const auto* body = std::get_if<CommandBody>(&m.content);
  return body ? std::get_if<T>(body) : nullptr;
}

}  // namespace

TEST_CASE("client events become commands") {
  auto reg = decode(R"(["register_subject",{"subject_id":"P-1","resume_token":"t"}])");
  CHECK(reg.subject_id == "P-1");
  REQUIRE(command<cmd::RegisterSubject>(reg));
  // The presented token stays beside the command, for the socket to hash; the command holds no
  // token in plain text.
  CHECK(reg.resume_token == std::optional<std::string>("t"));
  CHECK(*command<cmd::RegisterSubject>(reg) == cmd::RegisterSubject{});
  CHECK(command<cmd::AdvanceScene>(decode(R"(["advance_scene"])")));
  CHECK(command<cmd::AdvanceScene>(decode(R"(["advance_scene",{}])")));
  CHECK(command<cmd::JoinGame>(decode(R"(["join_game",{"rtt_ms":41.6}])"))->rtt_ms == 42);
  CHECK(command<cmd::Ping>(decode(R"(["ping",{"ping_ms":12,"document_in_focus":false}])"))->document_in_focus == false);
  CHECK(command<cmd::ValidationSuccess>(decode(R"(["p2p_validation_success",{"game_id":"7"}])"))->game_id == 7);
  // The decoded messages are kept: command<>() points into them.
  auto exclusion_message = decode(R"(["mid_game_exclusion",{"game_id":3,"reason":"tab_hidden","frame_number":90}])");
  auto exclusion = command<cmd::MidGameExclusion>(exclusion_message);
  REQUIRE(exclusion);
  CHECK(exclusion->reason == "tab_hidden");
  CHECK(exclusion->frame_number == 90);
  auto metrics_message = decode(R"(["emit_multiplayer_metrics",{"game_id":3,"metrics":{"a": [1, 2]}}])");
  auto metrics = command<cmd::EmitMetrics>(metrics_message);
  REQUIRE(metrics);
  CHECK(metrics->metrics == R"({"a":[1,2]})");
}

TEST_CASE("relays are recognised and keep their payload") {
  auto signal = decode(R"(["webrtc_signal",{"game_id":2,"target_player_id":1,"type":"offer","payload":{"sdp":"v=0"}}])");
  const auto* relay = std::get_if<Relay>(&signal.content);
  REQUIRE(relay);
  CHECK(relay->kind == Relay::Kind::webrtc_signal);
  CHECK(relay->target_player == 1);
  CHECK(relay->data_json == R"({"sdp":"v=0"})");
  auto action = decode(R"(["pyodide_player_action",{"game_id":2,"action":4,"frame_number":77}])");
  relay = std::get_if<Relay>(&action.content);
  REQUIRE(relay);
  CHECK(relay->data_json == "4");
  CHECK(relay->frame_number == 77);
}

TEST_CASE("bad input becomes a malformed command with a stable code") {
  CHECK(malformed(decode("not json"))->code == "bad_payload");
  CHECK(malformed(decode("[]"))->code == "bad_payload");
  CHECK(malformed(decode("[1,2]"))->code == "bad_payload");
  CHECK(malformed(decode(R"(["join_game",[1]])"))->message == "the payload must be an object");
  CHECK(malformed(decode(R"(["join_game",{"rtt_ms":"fast"}])"))->message == "rtt_ms must be a number");
  CHECK(malformed(decode(R"(["register_subject",{}])"))->message == "subject_id is required");
  CHECK(malformed(decode(R"(["register_subject",{"subject_id":""}])"))->message == "subject_id must not be empty");
  CHECK(malformed(decode(R"(["register_subject",{"subject_id":5}])"))->message == "subject_id must be a string");
  CHECK(malformed(decode(R"(["p2p_validation_success",{"game_id":"seven"}])"))->message == "game_id must be a number");
  CHECK(malformed(decode(R"(["emit_multiplayer_metrics",{"game_id":1,"metrics":3}])"))->message ==
        "metrics must be an object");
  auto unknown = decode(R"(["shout",{}])");
  CHECK(malformed(unknown)->code == "unknown_event");
  CHECK(malformed(unknown)->event == "shout");
  std::string big = R"(["emit_multiplayer_metrics",{"game_id":1,"metrics":{"x":")" + std::string(5000, 'a') + "\"}}]";
  CHECK(malformed(decode(big))->code == "too_large");
  std::string near_limit = R"(["emit_multiplayer_metrics",{"game_id":1,"metrics":{"x":")" + std::string(4000, 'a') + "\"}}]";
  CHECK(malformed(decode_wire_event(near_limit, 4040))->code == "too_large");
}

TEST_CASE("mug's client: every event it sends is a command, a relay, a reply or dropped telemetry") {
  // The first ping has no measurement yet.
  auto first_ping = decode(R"(["ping",{"document_in_focus":true}])");
  REQUIRE(command<cmd::Ping>(first_ping));
  CHECK(command<cmd::Ping>(first_ping)->ping_ms == std::nullopt);
  CHECK(command<cmd::Ping>(decode(R"(["ping",{}])")));
  CHECK(command<cmd::Ping>(decode(R"(["ping",{"ping_ms":null}])"))->ping_ms == std::nullopt);
  CHECK(command<cmd::Ping>(decode(R"(["ping",{"ping_ms":31.4}])"))->ping_ms == 31);
  CHECK(malformed(decode(R"(["ping",{"ping_ms":"x"}])"))->message == "ping_ms must be a number");
  CHECK(command<cmd::RequestCurrentScene>(decode(R"(["request_current_scene",{}])")));

  // emit_multiplayer_metrics as mug sends it: scene_id beside, the game inside the metrics.
  auto mug_metrics = decode(R"(["emit_multiplayer_metrics",{"scene_id":"g","metrics":{"gameId":"12","sessionStatus":{"x":1}}}])");
  REQUIRE(command<cmd::EmitMetrics>(mug_metrics));
  CHECK(command<cmd::EmitMetrics>(mug_metrics)->game_id == 12);
  CHECK(command<cmd::EmitMetrics>(mug_metrics)->metrics == R"({"gameId":"12","sessionStatus":{"x":1}})");
  // game_id, when given, wins; with neither the engine takes the sender's current game.
  CHECK(command<cmd::EmitMetrics>(decode(R"(["emit_multiplayer_metrics",{"game_id":4,"metrics":{"gameId":5}}])"))->game_id == 4);
  CHECK(command<cmd::EmitMetrics>(decode(R"(["emit_multiplayer_metrics",{"metrics":{}}])"))->game_id == kNoGame);
  CHECK(malformed(decode(R"(["emit_multiplayer_metrics",{"metrics":{"gameId":"x"}}])"))->message == "gameId must be a number");

  auto relay_of = [](const WireMessage& m) { return std::get_if<Relay>(&m.content); };
  auto sync = decode(R"(["p2p_state_sync",{"game_id":3,"sender_id":0,"frame_number":9,"state_hash":"ab"}])");
  REQUIRE(relay_of(sync));
  CHECK(relay_of(sync)->kind == Relay::Kind::state_sync);
  CHECK(relay_of(sync)->game == 3);
  CHECK(relay_of(sync)->data_json == R"({"game_id":3,"sender_id":0,"frame_number":9,"state_hash":"ab"})");
  auto request = decode(R"(["p2p_state_request",{"game_id":3,"requester_id":0,"target_id":1,"frame_number":9}])");
  REQUIRE(relay_of(request));
  CHECK(relay_of(request)->kind == Relay::Kind::state_request);
  CHECK(relay_of(request)->target_player == 1);
  auto response = decode(R"(["p2p_state_response",{"game_id":3,"sender_id":1,"target_id":"0","env_state":{"a":[1]}}])");
  REQUIRE(relay_of(response));
  CHECK(relay_of(response)->kind == Relay::Kind::state_response);
  CHECK(relay_of(response)->target_player == 0);
  CHECK(malformed(decode(R"(["p2p_state_request",{"game_id":3}])"))->message == "target_id is required");
  CHECK(malformed(decode(R"(["p2p_state_sync",{}])"))->message == "game_id is required");
  auto status = decode(R"(["p2p_validation_status",{"game_id":3,"status":"validating"}])");
  REQUIRE(relay_of(status));
  CHECK(relay_of(status)->kind == Relay::Kind::validation_status);
  CHECK(relay_of(status)->data_json == R"("validating")");

  auto entry = decode(R"(["execute_entry_callback",{"session_id":"s","scene_id":"a","context":{"ping":20}}])");
  REQUIRE(std::get_if<Reply>(&entry.content));
  CHECK(std::get<Reply>(entry.content).event == "entry_callback_result");
  CHECK(std::get<Reply>(entry.content).args == R"({"exclude":false,"message":null})");
  auto continuous = decode(R"(["execute_continuous_callback",{}])");
  REQUIRE(std::get_if<Reply>(&continuous.content));
  CHECK(std::get<Reply>(continuous.content).event == "continuous_callback_result");

  for (const char* name : {"client_console_log", "pyodide_loading_start", "pyodide_loading_complete", "p2p_health_report",
                           "participant_terminal_state", "waitroom_timeout_completion", "send_pressed_keys", "player_action"}) {
    auto dropped = decode(std::string(R"([")") + name + R"(",{"anything":[1,{"x":null}]}])");
    REQUIRE(std::get_if<Dropped>(&dropped.content));
    CHECK(std::get<Dropped>(dropped.content).event == name);
  }
  auto bare = decode(R"(["pyodide_loading_complete"])");
  CHECK(std::get_if<Dropped>(&bare.content));
  // Still an event: a payload that is not an object is refused, as for every event.
  CHECK(malformed(decode(R"(["client_console_log",[1]])"))->code == "bad_payload");
}

TEST_CASE("the participant's data: a store_data command, and its data beside it, bounded per message") {
  auto globals = decode(R"(["sync_globals",{"mugGlobals":{"subjectName":"ann","n":1}}])");
  REQUIRE(command<cmd::StoreData>(globals));
  CHECK(command<cmd::StoreData>(globals)->kind == "sync_globals");
  CHECK(command<cmd::StoreData>(globals)->scene_id == std::nullopt);
  REQUIRE(globals.data);
  CHECK(globals.data->json == R"({"mugGlobals":{"subjectName":"ann","n":1}})");
  CHECK(command<cmd::StoreData>(globals)->bytes == static_cast<std::int64_t>(globals.data->json.size()));

  // As mug's client sends an episode: the msgpack bytes as attachment 0, a placeholder in `data`.
  std::string blob("\x83\xa1t\x93\x00\x01\x02", 7);
  auto episode = decode_wire_event(
      R"(["emit_episode_data",{"data":{"_placeholder":true,"num":0},"scene_id":"room","episode_num":3}])", 4096, {blob});
  REQUIRE(command<cmd::StoreData>(episode));
  CHECK(command<cmd::StoreData>(episode)->scene_id == "room");
  REQUIRE(episode.data);
  CHECK(episode.data->attachments == std::vector<std::string>{blob});
  CHECK(command<cmd::StoreData>(episode)->bytes == static_cast<std::int64_t>(episode.data->json.size() + blob.size()));
  CHECK(command<cmd::StoreData>(decode(R"(["static_scene_data_emission",{"data":{"q1":"yes"},"scene_id":"survey"}])")));
  CHECK(command<cmd::StoreData>(decode(R"(["emit_remote_game_data",{"data":{"t":[]},"scene_id":"room"}])")));

  // Bounded per message, JSON and attachments together; refused data keeps nothing.
  auto over = decode_wire_event(R"(["emit_episode_data",{"data":{"_placeholder":true,"num":0}}])", 4096,
                                {std::string(2000, 'x')}, 1500);
  CHECK(malformed(over)->code == "too_large");
  CHECK_FALSE(over.data);
  CHECK(malformed(decode(R"(["sync_globals"])"))->message == "the payload must be an object");
  CHECK(malformed(decode(R"(["sync_globals",{"scene_id":4}])"))->message == "scene_id must be a string");
  // Attachments go only with data events.
  CHECK(malformed(decode_wire_event(R"(["ping",{"x":{"_placeholder":true,"num":0}}])", 4096, {"b"}))->code == "bad_payload");
}

TEST_CASE("relays go to the seats mug's server sends them to") {
  Relay sync{Relay::Kind::state_sync, 3, -1, "", R"({"game_id":3,"sender_id":1})", 0};
  RelayOut out = relay_out(sync, 1, 3);
  CHECK(out.seats == std::vector<int>{0, 2});
  CHECK(out.frame == R"(42["p2p_state_sync",{"game_id":3,"sender_id":1}])");
  Relay request{Relay::Kind::state_request, 3, 0, "", R"({"target_id":0})", 0};
  CHECK(relay_out(request, 1, 2).seats == std::vector<int>{0});
  CHECK(relay_out(request, 1, 2).frame == R"(42["p2p_state_request",{"target_id":0}])");
  request.target_player = 2;  // no such seat: nowhere
  CHECK(relay_out(request, 1, 2).seats.empty());
  Relay response{Relay::Kind::state_response, 3, 1, "", "{}", 0};
  CHECK(relay_out(response, 0, 2).frame == R"(42["p2p_state_response",{}])");
  Relay status{Relay::Kind::validation_status, 3, -1, "", R"("validating")", 0};
  CHECK(relay_out(status, 0, 2).seats == std::vector<int>{0, 1});  // the sender too, as mug's game room
  CHECK(relay_out(status, 0, 2).frame == R"(42["p2p_validation_status",{"status":"validating"}])");
  Relay signal{Relay::Kind::webrtc_signal, 3, 0, "offer", R"({"sdp":"x"})", 0};
  CHECK(relay_out(signal, 1, 2).frame ==
        R"(42["webrtc_signal",{"type":"offer","from_player_id":1,"game_id":3,"payload":{"sdp":"x"}}])");
  Relay action{Relay::Kind::player_action, 3, -1, "", "4", 7};
  CHECK(relay_out(action, 0, 3).seats == std::vector<int>{1, 2});
  CHECK(relay_out(action, 0, 3).frame == R"(42["pyodide_other_player_action",{"player_id":0,"action":4,"frame_number":7}])");
}
