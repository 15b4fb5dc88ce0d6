// The rules mug's browser client needs of the engine (issue 18), given / when / then: its P2P
// validation report during the countdown, leave_game after every end, no end_game at a normal
// end, join refusals it can read, its own reconnection timeout, metrics that name no game, and a
// page refresh that keeps no resume token (`resume: subject_id`), racing the old socket's close.
#include <catch2/catch.hpp>

#include "engine/vocabulary/experiment_json.h"
#include "store/token_hash.h"
#include "tests/support/engine_harness.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

using Strings = std::vector<std::string>;

Scene mug_validated_scene() {
  Scene scene = two_seat_game();  // countdown 3 s, reconnection grace 5 s
  scene.p2p_validation = true;
  scene.validation_timeout_ms = 4000;
  return scene;
}

std::shared_ptr<Experiment> mug_experiment(const Scene& scene, ResumePolicy resume) {
  auto experiment = experiment_with(scene);
  experiment->resume = resume;
  return experiment;
}

// A new socket registers the subject without a token, as mug's page does after a refresh.
const std::vector<Event>& mug_register(Harness& h, const std::string& subject, ConnId conn) {
  return h.run(Command{0, subject, conn, std::nullopt, cmd::RegisterSubject{std::nullopt, token_hash("drawn")}});
}

const std::vector<Event>& mug_disconnect(Harness& h, const std::string& subject, ConnId conn) {
  return h.run(Command{0, subject, conn, std::nullopt, cmd::Disconnect{}});
}

std::vector<ConnId> mug_conns_of(const Harness& h, const std::string& event) {
  std::vector<ConnId> out;
  for (const Event& e : h.last) {
    const auto* note = std::get_if<ev::Notification>(&e.body);
    if (note && note->event == event) out.push_back(note->conn);
  }
  return out;
}

}  // namespace

// --- validation during the countdown -------------------------------------------------------

TEST_CASE("mug validation: both report during the countdown, the game starts at the countdown's end") {
  Harness h(experiment_with(mug_validated_scene()));
  h.join("alice");
  h.join("bob");
  GameId game = h.subject("alice").game;
  h.advance(1000);
  h.send("alice", cmd::ValidationSuccess{game});
  CHECK(h.event_types() == Strings{"validation_reported"});
  CHECK(h.messages_to("alice").empty());
  h.send("alice", cmd::ValidationSuccess{game});  // a repeated report counts once
  CHECK(h.last.empty());
  h.send("bob", cmd::ValidationSuccess{game});
  CHECK(h.event_types() == Strings{"validation_reported"});
  CHECK(h.messages_to("alice") == Strings{"p2p_validation_complete"});
  CHECK(h.messages_to("bob") == Strings{"p2p_validation_complete"});
  CHECK(h.state().game(game)->status == GameStatus::matched);  // the countdown still runs
  h.advance(1999);
  CHECK(h.last.empty());
  h.advance(1);
  CHECK(h.event_types() == Strings{"game_started"});
  CHECK(h.messages_to("alice") == Strings{"start_game"});
  CHECK(h.state().game(game)->status == GameStatus::playing);
  CHECK(h.state().game(game)->deadline == 0);
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("mug validation: one reports during the countdown, the other after it; the game starts at the last report") {
  Harness h(experiment_with(mug_validated_scene()));
  h.join("alice");
  h.join("bob");
  GameId game = h.subject("alice").game;
  h.send("bob", cmd::ValidationSuccess{game});
  h.advance(3000);
  CHECK(h.event_types() == Strings{"validation_started"});
  CHECK(h.state().game(game)->status == GameStatus::validating);
  h.advance(500);
  h.send("alice", cmd::ValidationSuccess{game});
  CHECK(h.event_types() == Strings{"validation_reported", "game_started"});
  CHECK(h.messages_to("bob") == Strings{"p2p_validation_complete", "start_game"});
}

TEST_CASE("mug validation: a missing report after the countdown times out as before") {
  Harness h(experiment_with(mug_validated_scene()));
  h.join("alice");
  h.join("bob");
  GameId game = h.subject("alice").game;
  h.send("alice", cmd::ValidationSuccess{game});
  h.advance(3000);
  h.advance(4000);
  REQUIRE(h.find_event<ev::GameEnded>());
  CHECK(h.find_event<ev::GameEnded>()->reason == "validation_failed");
  CHECK(h.message_args("alice", "p2p_validation_repool").find(R"("reason":"timeout")") != std::string::npos);
}

TEST_CASE("mug validation: a restart's deferred countdown starts a game validated before the stop") {
  Harness h(experiment_with(mug_validated_scene()));
  h.join("alice");
  h.join("bob");
  GameId game = h.subject("alice").game;
  h.send("alice", cmd::ValidationSuccess{game});
  h.send("bob", cmd::ValidationSuccess{game});
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::ServerStarted{7, 15000}});
  h.advance(3000);
  CHECK(h.event_types() == Strings{"game_deadline_deferred"});
  h.connect("alice", "token-alice");
  h.connect("bob", "token-bob");
  CHECK(h.state().game(game)->status == GameStatus::playing);
  CHECK(h.projections().audit.violations().empty());
}

// --- leave_game from idle, no end_game at a normal end -------------------------------------

TEST_CASE("mug leave_game: from idle or done it is accepted and changes nothing") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("alice");
  SessionMap before = h.state();
  h.send("alice", cmd::LeaveGame{});
  CHECK(h.last.empty());  // no rejection, no message: the command alone is journaled
  CHECK(h.state() == before);
  // mug's client sends leave_game on end_game, and at its own waitroom timer's end, when
  // the engine's waitroom expiry has already made it idle.
  h.send("alice", cmd::AdvanceScene{});
  h.send("alice", cmd::JoinGame{});
  h.advance(60000);
  CHECK(h.subject("alice").state == SubjectState::idle);
  h.send("alice", cmd::LeaveGame{});
  CHECK(h.last.empty());
  h.send("alice", cmd::AdvanceScene{});
  CHECK(h.subject("alice").state == SubjectState::done);
  h.send("alice", cmd::LeaveGame{});
  CHECK(h.last.empty());
}

TEST_CASE("mug normal end: no end_game to anyone; the scene flow goes on from the client") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.send("alice", cmd::GameComplete{game, 1, 1});
  CHECK(h.event_types() == Strings{"episode_completed", "game_ended"});
  CHECK(h.messages_to("alice").empty());
  CHECK(h.messages_to("bob").empty());
  h.send("bob", cmd::LeaveGame{});  // what mug's client would send after an end_game: harmless
  CHECK(h.last.empty());
  h.send("bob", cmd::AdvanceScene{});
  CHECK(h.messages_to("bob") == Strings{"activate_scene", "experiment_complete"});
}

TEST_CASE("mug normal end: a player absent at a normal end is not sent end_game when back") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::ServerStarted{7, 15000}});
  h.connect("alice", "token-alice");
  h.send("alice", cmd::GameComplete{game, 1, 1});
  CHECK(h.state().game(game) == nullptr);
  h.connect("bob", "token-bob");
  CHECK(h.messages_to("bob") == Strings{"registered", "activate_scene"});
}

// --- join refusals as mug reads them -------------------------------------------------------

TEST_CASE("mug join refusals: join_game_error follows the error, with the same code and message") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("alice");
  h.send("alice", cmd::JoinGame{});  // consent is not a game scene
  CHECK(h.event_types() == Strings{"command_rejected"});
  CHECK(h.messages_to("alice") == Strings{"error", "join_game_error"});
  CHECK(h.message_args("alice", "join_game_error") == h.message_args("alice", "error"));
  CHECK(h.message_args("alice", "join_game_error").find(R"("code":"invalid_state")") != std::string::npos);
  CHECK(mug_conns_of(h, "join_game_error") == std::vector<ConnId>{h.conn("alice")});
  // Refused by the server's decoder, or from a socket that holds no subject: the same.
  h.send("alice", cmd::Malformed{"join_game", "bad_payload", "rtt_ms must be a number"});
  CHECK(h.messages_to("alice") == Strings{"error", "join_game_error"});
  h.send("ghost", cmd::JoinGame{});
  CHECK(h.messages_to("ghost") == Strings{"error", "join_game_error"});
  // Any other refusal is an error alone.
  h.send("alice", cmd::ValidationSuccess{99});
  CHECK(h.messages_to("alice") == Strings{"error"});
}

// --- the client's own reconnection timeout -------------------------------------------------

TEST_CASE("mug p2p_reconnection_timeout: a game paused by a lost P2P link ends reconnection_timeout for both") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.send("bob", cmd::ConnectionLost{game, 120});  // bob (player 1) detected it: alice is the lost one
  h.advance(4000);
  h.send("bob", cmd::ReconnectionTimeout{game});
  REQUIRE(h.find_event<ev::GameEnded>());
  CHECK(h.find_event<ev::GameEnded>()->reason == "reconnection_timeout");
  CHECK(h.find_event<ev::GameEnded>()->disconnected_player == 0);
  // The sender too: mug's client shows its end overlay on p2p_game_ended.
  for (const char* id : {"alice", "bob"}) {
    CHECK(h.messages_to(id) == Strings{"p2p_game_ended", "end_game"});
    CHECK(h.message_args(id, "p2p_game_ended") ==
          R"({"game_id":1,"reason":"reconnection_timeout","disconnected_player_id":0})");
  }
  const SessionRow& row = h.projections().analytics.rows().at(game).at(1);
  CHECK(row.termination_reason == "reconnection_timeout");
  CHECK(row.total_pause_ms == 4000);
  h.send("alice", cmd::ReconnectionTimeout{game});  // the partner's own timer, late: harmless
  CHECK(h.last.empty());
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("mug p2p_reconnection_timeout: a playing game ends too, and a missing socket makes it partner_disconnected") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.send("alice", cmd::ReconnectionTimeout{game});  // the server saw no pause: bob is the lost one
  CHECK(h.find_event<ev::GameEnded>()->reason == "reconnection_timeout");
  CHECK(h.find_event<ev::GameEnded>()->disconnected_player == 1);

  GameId second = h.start_game({"carol", "dave"});
  h.disconnect("dave");
  CHECK(h.state().game(second)->status == GameStatus::paused);
  h.send("carol", cmd::ReconnectionTimeout{second});
  CHECK(h.find_event<ev::GameEnded>()->reason == "partner_disconnected");
  CHECK(h.message_args("carol", "p2p_game_ended") ==
        R"({"game_id":2,"reason":"partner_disconnected","disconnected_player_id":1})");
}

TEST_CASE("mug p2p_reconnection_timeout: before the game started it is refused") {
  Harness h(experiment_with(two_seat_game()));
  h.join("alice");
  h.join("bob");
  GameId game = h.subject("alice").game;
  SessionMap before = h.state();
  h.send("alice", cmd::ReconnectionTimeout{game});
  CHECK(h.find_event<ev::CommandRejected>()->code == "invalid_state");
  CHECK(h.state() == before);
}

// --- metrics that name no game -------------------------------------------------------------

TEST_CASE("mug metrics: without a game id they are about the sender's current or last game") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("zoe");
  h.send("zoe", cmd::EmitMetrics{kNoGame, "{}"}, 1);  // has played no game
  CHECK(h.find_event<ev::CommandRejected>()->code == "unknown_game");
  GameId game = h.start_game({"alice", "bob"});
  h.send("alice", cmd::EmitMetrics{kNoGame, R"({"gameId":"1"})"}, 2);
  REQUIRE(h.event_types() == Strings{"metrics_stored"});
  CHECK(h.last.front().game == game);
  CHECK(h.message_args("alice", "ack") == R"({"status":"ok"})");
  h.send("alice", cmd::GameComplete{game, 1, 1});
  h.send("bob", cmd::EmitMetrics{kNoGame, R"({"sessionStatus":{"isPartial":false}})"}, 3);
  REQUIRE(h.event_types() == Strings{"metrics_stored"});
  CHECK(h.last.front().game == game);
}

// --- a refresh without a token -------------------------------------------------------------

TEST_CASE("resume config: subject_id is read, written back, and only written when chosen") {
  const std::string base = R"({"experiment_id":"e","scenes":[{"scene_id":"s","type":"static"}]})";
  Experiment token = parse_experiment(base);
  CHECK(token.resume == ResumePolicy::token);
  CHECK(experiment_json(token) == base);  // the default is not spelled out: old logs read the same
  Experiment mug = parse_experiment(R"({"experiment_id":"e","resume":"subject_id","scenes":[{"scene_id":"s","type":"static"}]})");
  CHECK(mug.resume == ResumePolicy::subject_id);
  CHECK(parse_experiment(experiment_json(mug)) == mug);
  CHECK(parse_experiment(R"({"experiment_id":"e","resume":"token","scenes":[{"scene_id":"s","type":"static"}]})") == token);
  CHECK_THROWS_WITH(parse_experiment(R"({"experiment_id":"e","resume":"cookie","scenes":[{"scene_id":"s","type":"static"}]})"),
                    "config: resume: must be one of subject_id, token");
}

TEST_CASE("resume token: a registration without the token while the old socket is open is a duplicate_session") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  ConnId old_socket = h.conn("alice");
  SessionMap before = h.state();
  mug_register(h, "alice", 50);  // the refreshed page, before the old socket's close arrives
  CHECK(h.find_event<ev::CommandRejected>()->code == "duplicate_session");
  CHECK(mug_conns_of(h, "duplicate_session") == std::vector<ConnId>{50});
  CHECK(h.state() == before);
  mug_disconnect(h, "alice", old_socket);
  CHECK(h.state().game(game)->status == GameStatus::paused);
  mug_register(h, "alice", 51);  // the game awaits her: only her token resumes it
  CHECK(h.find_event<ev::CommandRejected>()->code == "duplicate_session");
}

TEST_CASE("resume subject_id: a refresh racing the old socket's close replaces it, and the late close changes nothing") {
  Harness h(mug_experiment(two_seat_game(), ResumePolicy::subject_id));
  GameId game = h.start_game({"alice", "bob"});
  ConnId old_socket = h.conn("alice");
  mug_register(h, "alice", 50);
  CHECK_FALSE(h.find_event<ev::CommandRejected>());
  REQUIRE(h.find_event<ev::SubjectConnected>());
  CHECK(h.find_event<ev::SubjectConnected>()->replaced_conn == old_socket);
  CHECK(h.find_event<ev::ResumeTokenReissued>());  // the refreshed page holds the token now
  CHECK(mug_conns_of(h, "session_replaced") == std::vector<ConnId>{old_socket});
  for (const Event& e : h.last) {
    const auto* note = std::get_if<ev::Notification>(&e.body);
    if (note && note->event == "session_replaced") CHECK(note->close);  // the server closes the old socket after it
  }
  CHECK(mug_conns_of(h, "registered") == std::vector<ConnId>{50});
  CHECK(h.messages_to("alice") == Strings{"session_replaced", "registered", "activate_scene", "session_restored",
                                          "pyodide_player_assigned", "pyodide_game_ready", "start_game"});
  CHECK(h.messages_to("bob").empty());  // the game never paused
  mug_disconnect(h, "alice", old_socket);  // the old socket's close arrives after the new registration
  CHECK(h.last.empty());
  CHECK(h.subject("alice").connected);
  CHECK(h.subject("alice").conn == 50);
  CHECK(h.state().game(game)->status == GameStatus::playing);
  h.run(Command{0, "alice", old_socket, std::nullopt, cmd::GameComplete{game, 1, 1}});  // the old page is not alice
  CHECK(h.find_event<ev::CommandRejected>()->code == "not_registered");
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("resume subject_id: a refresh after the old socket's close resumes the paused game without a token") {
  Harness h(mug_experiment(two_seat_game(), ResumePolicy::subject_id));
  GameId game = h.start_game({"alice", "bob"});
  h.disconnect("alice");
  CHECK(h.state().game(game)->status == GameStatus::paused);
  mug_register(h, "alice", 50);
  CHECK(h.messages_to("alice") == Strings{"registered", "activate_scene", "session_restored", "pyodide_player_assigned",
                                          "pyodide_game_ready", "p2p_resume"});
  CHECK(h.messages_to("bob") == Strings{"p2p_resume"});
  CHECK(h.state().game(game)->status == GameStatus::playing);
}

TEST_CASE("resume subject_id: a subject left absent by a restart comes back without a token") {
  Harness h(mug_experiment(two_seat_game(), ResumePolicy::subject_id));
  GameId game = h.start_game({"alice", "bob"});
  h.join("wendy");
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::ServerStarted{7, 15000}});
  mug_register(h, "alice", 50);
  CHECK(h.messages_to("alice") == Strings{"registered", "activate_scene", "session_restored", "pyodide_player_assigned",
                                          "pyodide_game_ready", "start_game"});
  CHECK_FALSE(h.subject("alice").absent);
  mug_register(h, "wendy", 51);
  CHECK(h.subject("wendy").state == SubjectState::waiting);
  CHECK(h.messages_to("wendy") == Strings{"registered", "activate_scene", "waiting_room"});
  CHECK(h.state().game(game)->status == GameStatus::playing);
}
