// Every exit path of the Python server Cohort replaces, as a scenario. After each, the game
// is gone from every map, its subjects are idle or done, no deadline of it remains, the audit
// is clean, and two newcomers to the scene get a fresh game with nobody else in it.
#include <catch2/catch.hpp>

#include "tests/support/engine_harness.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

using Strings = std::vector<std::string>;

void expect_clean_end(Harness& h, GameId game, const Strings& players) {
  INFO("game " << game);
  CHECK(h.state().game(game) == nullptr);
  for (const auto& id : players) {
    const Subject& subject = h.subject(id);
    CHECK((subject.state == SubjectState::idle || subject.state == SubjectState::done));
    CHECK(subject.game == kNoGame);
  }
  for (const Deadline& deadline : h.state().deadlines) CHECK(deadline.game != game);
  CHECK(h.projections().audit.violations().empty());

  std::string a = "newcomer-a-" + std::to_string(game);
  std::string b = "newcomer-b-" + std::to_string(game);
  h.join(a);
  h.join(b);
  GameId fresh = h.subject(a).game;
  CHECK(fresh > game);
  REQUIRE(h.state().game(fresh));
  CHECK(h.state().game(fresh)->players == Strings{a, b});
  CHECK(h.projections().audit.violations().empty());
}

const SessionRow& row_of(const Harness& h, GameId game, int player) {
  return h.projections().analytics.rows().at(game).at(static_cast<std::size_t>(player));
}

}  // namespace

TEST_CASE("a matched pair sees countdown, assignment, readiness and start with one game id") {
  Harness h(experiment_with(two_seat_game()));
  h.join("alice");
  CHECK(h.messages_to("alice") == Strings{"waiting_room"});
  CHECK(h.message_args("alice", "waiting_room") ==
        R"({"scene_id":"cramped_room","cur_num_players":1,"players_needed":1,"ms_remaining":60000})");
  h.join("bob");
  GameId game = h.subject("alice").game;
  CHECK(game == 1);
  CHECK(h.messages_to("alice") == Strings{"match_found_countdown", "pyodide_player_assigned", "pyodide_game_ready"});
  CHECK(h.message_args("bob", "pyodide_game_ready") ==
        R"({"game_id":1,"players":[0,1],"player_subjects":{"0":"alice","1":"bob"}})");
  CHECK(h.state().game(game)->status == GameStatus::matched);
  h.advance(2999);
  CHECK(h.last.empty());
  h.advance(1);
  CHECK(h.messages_to("alice") == Strings{"start_game"});
  CHECK(h.message_args("bob", "start_game") == R"({"game_id":1,"scene_id":"cramped_room"})");
  CHECK(h.state().game(game)->status == GameStatus::playing);
}

TEST_CASE("exit path: normal completion after the last episode") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.send("alice", cmd::GameComplete{game, 1, 2});
  CHECK(h.event_types() == Strings{"episode_completed"});
  h.send("bob", cmd::GameComplete{game, 1, 2});  // the partner's report of the same episode
  CHECK(h.last.empty());
  h.send("bob", cmd::GameComplete{game, 2, 2});
  CHECK(h.event_types() == Strings{"episode_completed", "game_ended"});
  CHECK(h.messages_to("alice").empty());  // no end_game at a normal end (PROTOCOL.md 4.2)
  CHECK(h.find_event<ev::GameEnded>()->reason == "normal");
  h.send("alice", cmd::GameComplete{game, 2, 2});  // late report of the finished game: harmless
  CHECK(h.last.empty());
  const SessionRow& row = row_of(h, game, 0);
  CHECK_FALSE(row.is_partial());
  CHECK(row.completed_episodes == 2);
  expect_clean_end(h, game, {"alice", "bob"});
}

TEST_CASE("exit path: partner disconnects mid-game with no grace") {
  Scene scene = two_seat_game();
  scene.reconnection_timeout_ms = 0;
  Harness h(experiment_with(scene));
  GameId game = h.start_game({"alice", "bob"});
  h.disconnect("bob");
  CHECK(h.messages_to("alice") == Strings{"p2p_game_ended", "end_game"});
  CHECK(h.message_args("alice", "p2p_game_ended") ==
        R"({"game_id":1,"reason":"partner_disconnected","disconnected_player_id":1})");
  CHECK(row_of(h, game, 0).termination_reason == "partner_disconnected");
  CHECK(row_of(h, game, 0).disconnected_player_id == 1);
  expect_clean_end(h, game, {"alice", "bob"});
}

TEST_CASE("exit path: partner disconnects mid-game and the grace expires") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.disconnect("bob");
  CHECK(h.state().game(game)->status == GameStatus::paused);
  CHECK(h.messages_to("alice") == Strings{"p2p_pause"});
  h.advance(4999);
  CHECK(h.state().game(game));
  h.advance(1);
  CHECK(h.messages_to("alice") == Strings{"p2p_game_ended", "end_game"});
  CHECK(h.find_event<ev::GameEnded>()->reason == "partner_disconnected");
  CHECK(row_of(h, game, 0).pause_count == 1);
  CHECK(row_of(h, game, 0).total_pause_ms == 5000);
  expect_clean_end(h, game, {"alice", "bob"});
}

TEST_CASE("exit path: everyone leaves while waiting") {
  Harness h(experiment_with(two_seat_game()));
  h.join("alice");
  h.send("alice", cmd::LeaveGame{});
  CHECK(h.subject("alice").state == SubjectState::idle);
  CHECK(h.state().waitrooms[1].empty());
  CHECK(h.state().deadlines.empty());
  h.join("bob");
  h.disconnect("bob");
  CHECK(h.state().waitrooms[1].empty());
  CHECK(h.state().waiting_count == 0);
  expect_clean_end(h, 0, {"alice", "bob"});
}

TEST_CASE("exit path: one leaves during the countdown") {
  Harness h(experiment_with(two_seat_game()));
  h.join("alice");
  h.join("bob");
  GameId game = h.subject("alice").game;
  h.send("bob", cmd::LeaveGame{});
  CHECK(h.messages_to("alice") == Strings{"p2p_game_ended", "end_game"});
  CHECK(h.messages_to("bob") == Strings{"end_game"});
  h.advance(3000);  // the countdown deadline went with the game
  CHECK(h.last.empty());
  CHECK_FALSE(row_of(h, game, 0).started_at);
  expect_clean_end(h, game, {"alice", "bob"});
}

TEST_CASE("exit path: disconnect and reconnect within the grace resumes the game") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.disconnect("bob");
  h.advance(2000);
  h.connect("bob", "token-bob");
  CHECK(h.messages_to("bob") == Strings{"registered", "activate_scene", "session_restored", "pyodide_player_assigned", "pyodide_game_ready", "p2p_resume"});
  CHECK(h.message_args("bob", "session_restored") == R"({"game_id":1,"player_id":1,"scene_id":"cramped_room"})");
  CHECK(h.messages_to("alice") == Strings{"p2p_resume"});
  CHECK(h.state().game(game)->status == GameStatus::playing);
  h.advance(10000);  // the grace is gone with the pause
  CHECK(h.state().game(game));
  h.send("alice", cmd::GameComplete{game, 1, 1});
  CHECK(row_of(h, game, 1).total_pause_ms == 2000);
  expect_clean_end(h, game, {"alice", "bob"});
}

TEST_CASE("exit path: reconnection timeout after p2p_connection_lost") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.send("alice", cmd::ConnectionLost{game, 420});
  CHECK(h.messages_to("bob") == Strings{"p2p_pause"});
  CHECK(h.message_args("bob", "p2p_pause") == R"({"game_id":1,"pause_frame":420,"detecting_player":0})");
  h.send("bob", cmd::ConnectionLost{game, 421});  // a second report changes nothing
  CHECK(h.last.empty());
  h.send("bob", cmd::ReconnectionSuccess{game});  // one of two: still paused
  CHECK(h.state().game(game)->status == GameStatus::paused);
  h.advance(5000);
  CHECK(h.find_event<ev::GameEnded>()->reason == "reconnection_timeout");
  CHECK(h.messages_to("alice") == Strings{"p2p_game_ended", "end_game"});
  expect_clean_end(h, game, {"alice", "bob"});
}

TEST_CASE("p2p reconnection reported by every player resumes the game") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.send("alice", cmd::ConnectionLost{game, 100});
  h.send("alice", cmd::ReconnectionSuccess{game});
  h.send("bob", cmd::ReconnectionSuccess{game});
  CHECK(h.messages_to("alice") == Strings{"p2p_resume"});
  CHECK(h.state().game(game)->status == GameStatus::playing);
  CHECK(h.state().game(game)->deadline == 0);
}

TEST_CASE("exit path: exclusion notifies the partner, triggers its export and marks the session partial") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.send("bob", cmd::MidGameExclusion{game, "tab_hidden", 812});
  CHECK(h.messages_to("alice") == Strings{"partner_excluded", "trigger_data_export", "end_game"});
  CHECK(h.message_args("alice", "partner_excluded") ==
        R"({"message":"Your partner experienced a technical issue. The game has ended.","frame_number":812,"reason":"partner_exclusion"})");
  CHECK(h.message_args("alice", "trigger_data_export") ==
        R"({"is_partial":true,"termination_reason":"partner_exclusion","termination_frame":812})");
  CHECK(h.messages_to("bob") == Strings{"end_game"});
  CHECK(h.message_args("bob", "end_game") == R"({"game_id":1,"reason":"tab_hidden"})");
  CHECK(h.find_event<ev::GameEnded>()->reason == "partner_exclusion");
  const SessionRow& partner = row_of(h, game, 0);
  const SessionRow& excluded = row_of(h, game, 1);
  CHECK(partner.is_partial());
  CHECK(partner.termination_reason == "partner_exclusion");
  CHECK(partner.termination_frame == 812);
  CHECK(partner.excluded_reason == "tab_hidden");
  CHECK(excluded.termination_reason == "tab_hidden");
  expect_clean_end(h, game, {"alice", "bob"});
}

TEST_CASE("exit path: validation failure repools both and the pair is not matched again") {
  Scene scene = two_seat_game();
  scene.p2p_validation = true;
  scene.countdown_ms = 0;
  Harness h(experiment_with(scene));
  h.join("alice");
  h.join("bob");
  GameId game = h.subject("alice").game;
  CHECK(h.state().game(game)->status == GameStatus::validating);
  h.send("alice", cmd::ValidationFailed{game, "ice_failed"});
  CHECK(h.messages_to("alice") == Strings{"p2p_validation_repool", "end_game"});
  CHECK(h.messages_to("bob") == Strings{"p2p_validation_repool", "end_game"});
  CHECK(h.message_args("bob", "p2p_validation_repool") ==
        R"({"message":"A connection to your partner could not be established.","reason":"ice_failed"})");
  CHECK(h.subject("alice").state == SubjectState::idle);
  h.send("alice", cmd::JoinGame{});
  h.send("bob", cmd::JoinGame{});
  CHECK(h.subject("alice").state == SubjectState::waiting);
  CHECK(h.subject("bob").state == SubjectState::waiting);
  h.join("carol");  // carol pairs with alice, the first waiter; bob waits on
  CHECK(h.state().game(h.subject("carol").game)->players == Strings{"alice", "carol"});
  CHECK(h.subject("bob").state == SubjectState::waiting);
  h.send("bob", cmd::LeaveGame{});
  expect_clean_end(h, game, {"bob"});
}

TEST_CASE("validation succeeds when every player reports it, and times out otherwise") {
  Scene scene = two_seat_game();
  scene.p2p_validation = true;
  scene.validation_timeout_ms = 4000;
  Harness h(experiment_with(scene));
  GameId game = h.start_game({"alice", "bob"});
  h.send("alice", cmd::ValidationSuccess{game});
  CHECK(h.state().game(game)->status == GameStatus::validating);
  h.send("bob", cmd::ValidationSuccess{game});
  CHECK(h.messages_to("alice") == Strings{"p2p_validation_complete", "start_game"});
  CHECK(h.state().game(game)->status == GameStatus::playing);

  GameId second = h.start_game({"carol", "dave"});
  h.advance(4000);
  CHECK(h.find_event<ev::GameEnded>()->reason == "validation_failed");
  CHECK(h.message_args("carol", "p2p_validation_repool") ==
        R"({"message":"A connection to your partner could not be established.","reason":"timeout"})");
  expect_clean_end(h, second, {"carol", "dave"});
}

TEST_CASE("exit path: waitroom timeout") {
  Harness h(experiment_with(two_seat_game()));
  h.join("alice");
  h.advance(60000);
  CHECK(h.messages_to("alice") == Strings{"waitroom_timeout"});
  CHECK(h.message_args("alice", "waitroom_timeout") ==
        R"({"scene_id":"cramped_room","message":"No partner could be found in time."})");
  CHECK(h.subject("alice").state == SubjectState::idle);
  CHECK(h.state().deadlines.empty());
  expect_clean_end(h, 0, {"alice"});
}

TEST_CASE("exit path: advance_scene mid-game ends it with scene_completed for the others") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.send("alice", cmd::AdvanceScene{});
  CHECK(h.messages_to("bob") == Strings{"p2p_game_ended", "end_game"});
  CHECK(h.message_args("bob", "p2p_game_ended") == R"({"game_id":1,"reason":"scene_completed"})");
  CHECK(h.messages_to("alice") == Strings{"end_game", "activate_scene", "experiment_complete"});
  CHECK(h.subject("alice").state == SubjectState::done);
  CHECK(h.subject("bob").state == SubjectState::idle);
  expect_clean_end(h, game, {"alice", "bob"});
}

TEST_CASE("exit path: page refresh (disconnect, then register with the token)") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.disconnect("alice");
  h.connect("alice", "token-alice");
  CHECK(h.messages_to("alice") == Strings{"registered", "activate_scene", "session_restored", "pyodide_player_assigned", "pyodide_game_ready", "p2p_resume"});
  CHECK(h.state().game(game)->status == GameStatus::playing);
  h.send("alice", cmd::LeaveGame{});
  expect_clean_end(h, game, {"alice", "bob"});
}

TEST_CASE("exit path: a duplicate tab without the token changes nothing; with it, it takes over") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  ConnId first = h.conn("alice");
  h.connect("alice");
  CHECK(h.event_types() == Strings{"command_rejected"});
  CHECK(h.messages_to("alice") == Strings{"duplicate_session"});
  CHECK(h.subject("alice").conn == first);
  h.connect("alice", "wrong-token");
  CHECK(h.event_types() == Strings{"command_rejected"});
  h.connect("alice", "token-alice");
  CHECK(h.messages_to("alice") == Strings{"session_replaced", "registered", "activate_scene", "session_restored", "pyodide_player_assigned", "pyodide_game_ready",
                                          "start_game"});
  const auto* replaced = std::get_if<ev::Notification>(&h.last[1].body);
  REQUIRE(replaced);
  CHECK(replaced->conn == first);
  CHECK(replaced->close);
  // The old socket's late close is stale and changes nothing.
  h.run(Command{0, "alice", first, std::nullopt, cmd::Disconnect{}});
  CHECK(h.last.empty());
  CHECK(h.state().game(game)->status == GameStatus::playing);
  h.send("bob", cmd::LeaveGame{});
  expect_clean_end(h, game, {"alice", "bob"});
}

TEST_CASE("exit path: restart in every state") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("idle-one");
  GameId playing = h.start_game({"p1", "p2"});
  GameId paused = h.start_game({"q1", "q2"});
  h.disconnect("q2");
  h.join("m1");
  h.join("m2");
  GameId matched = h.subject("m1").game;
  REQUIRE(h.state().game(matched)->status == GameStatus::matched);
  h.join("waiting-one");
  h.connect("done-one");
  h.send("done-one", cmd::AdvanceScene{});
  h.send("done-one", cmd::AdvanceScene{});
  REQUIRE(h.subject("done-one").state == SubjectState::done);

  h.run(Command{0, "", kNoConn, std::nullopt, cmd::ServerStarted{77}});
  for (const auto& [id, subject] : h.state().subjects) CHECK_FALSE(subject.connected);
  CHECK(h.subject("idle-one").state == SubjectState::idle);
  CHECK(h.subject("waiting-one").state == SubjectState::idle);  // a waiter leaves at once
  CHECK(h.state().game(playing)->status == GameStatus::paused);  // the grace starts now
  CHECK(h.state().game(matched) == nullptr);                     // not started: cannot wait
  CHECK(h.state().game(paused)->status == GameStatus::paused);
  CHECK(h.subject("done-one").state == SubjectState::done);
  CHECK(h.state().nonce == 77);
  CHECK(h.projections().audit.violations().empty());

  h.connect("p1", "token-p1");
  h.connect("p2", "token-p2");
  CHECK(h.messages_to("p1") == Strings{"p2p_resume"});
  CHECK(h.messages_to("p2") == Strings{"registered", "activate_scene", "session_restored", "pyodide_player_assigned", "pyodide_game_ready", "p2p_resume"});
  CHECK(h.state().game(playing)->status == GameStatus::playing);
  h.advance(5000);  // q1 and q2 did not come back
  CHECK(h.state().game(paused) == nullptr);
  h.connect("done-one", "token-done-one");
  CHECK(h.messages_to("done-one") == Strings{"registered", "experiment_complete"});
  h.send("p1", cmd::GameComplete{playing, 1, 1});
  expect_clean_end(h, playing, {"p1", "p2"});
}
