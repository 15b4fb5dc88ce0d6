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
