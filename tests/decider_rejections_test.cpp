// Every rejection code: the command is journaled as rejected, its socket gets an `error`
// (and an error ack when it asked for one), and nothing else changes.
#include <catch2/catch.hpp>

#include "store/token_hash.h"
#include "tests/support/engine_harness.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

using Strings = std::vector<std::string>;

// Runs `act` and checks that it was rejected with `code` and changed nothing.
template <class Act>
void expect_rejected(Harness& h, const std::string& code, Act act) {
  SessionMap before = h.state();
  act();
  CHECK(h.event_types() == Strings{"command_rejected"});
  REQUIRE(h.find_event<ev::CommandRejected>());
  CHECK(h.find_event<ev::CommandRejected>()->code == code);
  const auto* error = std::get_if<ev::Notification>(&h.last.at(1).body);
  REQUIRE(error);
  CHECK(error->event == "error");
  CHECK_THAT(error->args, Catch::Contains("\"code\":\"" + code + "\""));
  CHECK(error->conn == h.commands.back().conn);
  CHECK(h.state() == before);
}

}  // namespace

TEST_CASE("not_registered: a socket that has not registered, or no longer holds the subject") {
  Harness h(experiment_with(two_seat_game()));
  expect_rejected(h, "not_registered", [&] { h.send("ghost", cmd::JoinGame{}); });
  h.connect("alice");
  ConnId old_socket = h.conn("alice");
  h.connect("alice", "token-alice");  // a new tab takes over
  expect_rejected(h, "not_registered",
                  [&] { h.run(Command{0, "alice", old_socket, std::nullopt, cmd::AdvanceScene{}}); });
}

TEST_CASE("invalid_state: commands that do not fit the subject's or the game's state") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("alice");
  expect_rejected(h, "invalid_state", [&] { h.send("alice", cmd::JoinGame{}); });  // consent is not a game scene
  h.send("alice", cmd::AdvanceScene{});
  h.send("alice", cmd::JoinGame{});
  expect_rejected(h, "invalid_state", [&] { h.send("alice", cmd::JoinGame{}); });  // already waiting
  h.join("bob");
  GameId game = h.subject("alice").game;
  expect_rejected(h, "invalid_state", [&] { h.send("alice", cmd::JoinGame{}); });  // in a game
  expect_rejected(h, "invalid_state", [&] { h.send("alice", cmd::ConnectionLost{game, 1}); });  // not playing yet
  expect_rejected(h, "invalid_state", [&] { h.send("alice", cmd::GameComplete{game, 1, 1}); });
  expect_rejected(h, "invalid_state", [&] { h.send("alice", cmd::ValidationSuccess{game}); });  // no validation
  h.advance(3000);
  expect_rejected(h, "invalid_state", [&] { h.send("alice", cmd::ReconnectionSuccess{game}); });
  expect_rejected(h, "invalid_state", [&] { h.send("alice", cmd::ValidationFailed{game, "late"}); });
  h.send("alice", cmd::AdvanceScene{});  // to the end scene: done
  expect_rejected(h, "invalid_state", [&] { h.send("alice", cmd::AdvanceScene{}); });
}

TEST_CASE("unknown_game and not_in_game") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.start_game({"carol", "dave"});
  expect_rejected(h, "unknown_game", [&] { h.send("alice", cmd::MidGameExclusion{999, "tab_hidden", 1}); });
  expect_rejected(h, "not_in_game", [&] { h.send("carol", cmd::ConnectionLost{game, 1}); });
  expect_rejected(h, "not_in_game", [&] { h.send("carol", cmd::EmitMetrics{game, "{}"}, 4); });
  CHECK(h.message_args("carol", "ack") ==
        R"({"status":"error","code":"not_in_game","message":"subject carol is not a player of game 1"})");
}

TEST_CASE("bad_payload: values the protocol does not allow") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  expect_rejected(h, "bad_payload", [&] { h.send("alice", cmd::MidGameExclusion{game, "bored", 1}); });
  expect_rejected(h, "bad_payload", [&] { h.send("alice", cmd::Ping{-5, std::nullopt}); });
  expect_rejected(h, "bad_payload", [&] { h.send("alice", cmd::GameComplete{game, 1, 0}); });
}

TEST_CASE("codes found by the server's decoder are journaled and answered the same way") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("alice");
  for (const char* code : {"bad_payload", "unknown_event", "too_large", "rate_limited"}) {
    expect_rejected(h, code, [&] { h.send("alice", cmd::Malformed{"shout", code, "refused"}); });
    CHECK(h.message_args("alice", "error") ==
          std::string(R"({"code":")") + code + R"(","message":"refused","event":"shout"})");
  }
  // Also from a socket that has not registered.
  expect_rejected(h, "unknown_event", [&] { h.send("nobody", cmd::Malformed{"x", "unknown_event", "?"}); });
}

TEST_CASE("duplicate_session: another socket holds the subject") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("alice");
  SessionMap before = h.state();
  h.connect("alice");
  CHECK(h.find_event<ev::CommandRejected>()->code == "duplicate_session");
  CHECK(h.messages_to("alice") == Strings{"duplicate_session"});
  CHECK(h.state() == before);
}

TEST_CASE("metrics are stored and acknowledged, also just after the game ended") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.send("alice", cmd::EmitMetrics{game, R"({"score":3})"}, 11);
  CHECK(h.find_event<ev::MetricsStored>()->metrics == R"({"score":3})");
  CHECK(h.message_args("alice", "ack") == R"({"status":"ok"})");
  h.send("bob", cmd::GameComplete{game, 1, 1});
  h.send("bob", cmd::EmitMetrics{game, R"({"score":4})"}, 12);
  CHECK(h.find_event<ev::MetricsStored>());
  CHECK(h.message_args("bob", "ack") == R"({"status":"ok"})");
}

TEST_CASE("ping stores a changed RTT and always answers pong") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("alice");
  h.send("alice", cmd::Ping{42, true});
  CHECK(h.event_types() == Strings{"rtt_recorded"});
  CHECK(h.messages_to("alice") == Strings{"pong"});
  h.send("alice", cmd::Ping{42, true});
  CHECK(h.event_types().empty());
  CHECK(h.messages_to("alice") == Strings{"pong"});
  CHECK(h.subject("alice").rtt_ms == 42);
}

TEST_CASE("registration of a new subject replies registered then activate_scene") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("alice");
  CHECK(h.event_types() == Strings{"subject_registered", "subject_connected"});
  CHECK(h.message_args("alice", "registered") ==
        R"({"subject_id":"alice","state":"idle","scene_id":"consent","scene_index":0})");
  CHECK(h.message_args("alice", "activate_scene") == R"({"scene_id":"consent","scene_index":0,"type":"static"})");
}

TEST_CASE("a takeover without the token reissues it: the new holder resumes the game, the old token does not") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("alice");
  h.disconnect("alice");
  // A new socket registers alice without a token; its socket drew "fresh".
  h.run(Command{0, "alice", 70, std::nullopt, cmd::RegisterSubject{std::nullopt, token_hash("fresh")}});
  REQUIRE(h.find_event<ev::ResumeTokenReissued>());
  CHECK(h.find_event<ev::ResumeTokenReissued>()->resume_token_hash == token_hash("fresh"));
  CHECK(h.messages_to("alice") == Strings{"registered", "activate_scene"});
  CHECK(h.subject("alice").resume_token_hash == token_hash("fresh"));
  // With the token, no new one is drawn.
  h.run(Command{0, "alice", 71, std::nullopt, cmd::RegisterSubject{token_hash("fresh"), token_hash("other")}});
  CHECK_FALSE(h.find_event<ev::ResumeTokenReissued>());
  CHECK(h.subject("alice").resume_token_hash == token_hash("fresh"));

  h.run(Command{0, "alice", 71, std::nullopt, cmd::AdvanceScene{}});
  h.run(Command{0, "alice", 71, std::nullopt, cmd::JoinGame{}});
  h.join("bob");
  h.advance(h.state().scene(1).countdown_ms);
  h.run(Command{0, "alice", 71, std::nullopt, cmd::Disconnect{}});
  REQUIRE(h.state().games.begin()->second.status == GameStatus::paused);
  h.run(Command{0, "alice", 72, std::nullopt, cmd::RegisterSubject{token_hash("token-alice"), token_hash("x")}});
  CHECK(h.find_event<ev::CommandRejected>()->code == "duplicate_session");  // the old token is void
  h.run(Command{0, "alice", 73, std::nullopt, cmd::RegisterSubject{token_hash("fresh"), token_hash("y")}});
  CHECK(h.messages_to("alice") == Strings{"registered", "activate_scene", "session_restored", "pyodide_player_assigned",
                                          "pyodide_game_ready", "p2p_resume"});
}
