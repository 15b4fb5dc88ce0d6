// A restart is not a disconnect (PROTOCOL.md 4.1): given a study in every state, when the
// server starts again with a restart grace, then who was connected is absent, keeps its place
// and its deadlines, and comes back where it was; who does not come back is disconnected when
// the grace ends, under the usual rules from that moment.
#include <catch2/catch.hpp>

#include "tests/support/engine_harness.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

using Strings = std::vector<std::string>;
constexpr Millis kGrace = 15000;

void restart(Harness& h) { h.run(Command{0, "", kNoConn, std::nullopt, cmd::ServerStarted{4242, kGrace}}); }

std::vector<std::string> types_of(const Harness& h) { return h.event_types(); }

bool has(const Strings& list, const std::string& name) { return std::find(list.begin(), list.end(), name) != list.end(); }

Scene validated_game() {
  Scene scene = two_seat_game();
  scene.p2p_validation = true;
  scene.validation_timeout_ms = 4000;
  return scene;
}

}  // namespace

TEST_CASE("restart: who was connected is absent, nobody is disconnected, one grace deadline for all") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("idle-ida");
  GameId game = h.start_game({"alice", "bob"});
  restart(h);
  CHECK(types_of(h) == Strings{"server_started", "subject_absent", "subject_absent", "subject_absent", "restart_grace_started"});
  for (const char* id : {"alice", "bob", "idle-ida"}) {
    CHECK(h.subject(id).absent);
    CHECK_FALSE(h.subject(id).connected);
  }
  CHECK(h.state().game(game)->status == GameStatus::playing);  // a playing game stays playing
  CHECK(h.state().restart_grace_deadline == h.now() + kGrace);
  CHECK(h.state().earliest_deadline()->kind == DeadlineKind::restart_grace);
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("restart: a player back within the grace gets its game set up again, and it never paused") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  restart(h);
  h.advance(2000);
  h.connect("alice", "token-alice");
  CHECK(h.messages_to("alice") == Strings{"registered", "activate_scene", "session_restored", "pyodide_player_assigned",
                                          "pyodide_game_ready", "start_game"});
  CHECK(h.message_args("alice", "pyodide_player_assigned").find(R"("game_id":1,"player_id":0)") != std::string::npos);
  CHECK_FALSE(h.subject("alice").absent);
  CHECK(h.subject("bob").absent);
  h.connect("bob", "token-bob");
  CHECK_FALSE(has(h.messages_to("bob"), "p2p_resume"));
  CHECK(h.state().game(game)->status == GameStatus::playing);
  h.advance(kGrace);  // the grace ends with nobody absent: nothing happens to anyone
  CHECK(types_of(h) == Strings{"restart_grace_ended"});
  CHECK(h.state().game(game)->status == GameStatus::playing);
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("restart: a player still absent at the grace's end is disconnected then, and its game's grace starts then") {
  Harness h(experiment_with(two_seat_game()));  // reconnection grace 5 s
  GameId game = h.start_game({"alice", "bob"});
  restart(h);
  h.connect("alice", "token-alice");
  h.advance(kGrace - 1);
  CHECK(h.state().game(game)->status == GameStatus::playing);
  h.advance(1);
  CHECK(types_of(h) == Strings{"restart_grace_ended", "subject_disconnected", "game_paused"});
  CHECK(h.messages_to("alice") == Strings{"p2p_pause"});
  CHECK(h.state().game(game)->deadline == h.now() + 5000);
  h.advance(5000);
  CHECK(h.state().game(game) == nullptr);
  CHECK(h.find_event<ev::GameEnded>()->reason == "partner_disconnected");
  CHECK(h.messages_to("alice") == Strings{"p2p_game_ended", "end_game"});
}

TEST_CASE("restart: an absent waiter keeps its place and its deadline, and is not matched until it is back") {
  Scene scene = two_seat_game();
  scene.waitroom_timeout_ms = 10000;
  Harness h(experiment_with(scene));
  h.join("wendy");
  Millis joined = h.now();
  h.advance(3000);
  restart(h);
  CHECK(h.subject("wendy").state == SubjectState::waiting);
  h.join("newcomer");  // the only other waiter is absent: no game
  CHECK(h.subject("newcomer").state == SubjectState::waiting);
  CHECK(h.state().games.empty());
  h.connect("wendy", "token-wendy");  // back: matched at once with the newcomer
  CHECK(h.subject("wendy").state == SubjectState::in_game);
  CHECK(h.state().game(h.subject("wendy").game)->players == Strings{"wendy", "newcomer"});
  CHECK(has(h.messages_to("wendy"), "pyodide_game_ready"));
  CHECK(has(h.messages_to("newcomer"), "pyodide_game_ready"));
  (void)joined;
}

TEST_CASE("restart: a waitroom timeout fires at join + timeout while absent, and is told when the waiter is back") {
  Scene scene = two_seat_game();
  scene.waitroom_timeout_ms = 10000;
  Harness h(experiment_with(scene));
  h.join("wendy");
  h.advance(3000);
  restart(h);
  h.advance(6999);
  CHECK(h.subject("wendy").state == SubjectState::waiting);
  h.advance(1);  // 10 s after joining, not after the restart
  CHECK(h.subject("wendy").state == SubjectState::idle);
  CHECK(h.messages_to("wendy").empty());  // absent: nobody to tell now
  h.connect("wendy", "token-wendy");
  CHECK(h.messages_to("wendy") == Strings{"registered", "activate_scene", "waitroom_timeout"});
}

TEST_CASE("restart: an absent waiter who does not come back leaves the waitroom at the grace's end") {
  Harness h(experiment_with(two_seat_game()));
  h.join("wendy");
  restart(h);
  h.advance(kGrace);
  CHECK(h.subject("wendy").state == SubjectState::idle);
  CHECK(h.find_event<ev::WaitroomLeft>()->reason == "disconnected");
}

TEST_CASE("restart: a countdown falling due while a player is absent waits for it, then ends when it is back") {
  Harness h(experiment_with(two_seat_game()));  // countdown 3 s
  h.join("alice");
  h.join("bob");
  GameId game = h.subject("alice").game;
  h.advance(1000);
  restart(h);
  h.connect("alice", "token-alice");
  CHECK(h.message_args("alice", "match_found_countdown") == R"({"game_id":1,"countdown_ms":2000})");
  h.advance(2000);  // due, and bob is absent
  CHECK(types_of(h) == Strings{"game_deadline_deferred"});
  CHECK(h.state().game(game)->status == GameStatus::matched);
  h.advance(4000);
  CHECK(h.state().game(game)->status == GameStatus::matched);  // still waiting for bob
  h.connect("bob", "token-bob");
  CHECK(has(types_of(h), "game_started"));
  CHECK(has(h.messages_to("alice"), "start_game"));
  CHECK(has(h.messages_to("bob"), "start_game"));
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("restart: a countdown game whose absent player does not come back ends at the grace's end") {
  Harness h(experiment_with(two_seat_game()));
  h.join("alice");
  h.join("bob");
  GameId game = h.subject("alice").game;
  restart(h);
  h.connect("alice", "token-alice");
  h.advance(3000);
  CHECK(types_of(h) == Strings{"game_deadline_deferred"});
  h.advance(kGrace - 3000);
  CHECK(h.state().game(game) == nullptr);
  CHECK(h.find_event<ev::GameEnded>()->reason == "partner_disconnected");
  CHECK(has(h.messages_to("alice"), "end_game"));
}

TEST_CASE("restart: a validation timeout falling due while a player is absent waits for it") {
  Harness h(experiment_with(validated_game()));
  h.join("alice");
  h.join("bob");
  GameId game = h.subject("alice").game;
  h.advance(3000);
  REQUIRE(h.state().game(game)->status == GameStatus::validating);
  h.send("alice", cmd::ValidationSuccess{game});
  restart(h);
  h.connect("alice", "token-alice");
  h.advance(4000);
  CHECK(types_of(h) == Strings{"game_deadline_deferred"});
  CHECK(h.state().game(game)->status == GameStatus::validating);
  h.connect("bob", "token-bob");  // back, after its validation time: the timeout fires now
  CHECK(h.state().game(game) == nullptr);
  CHECK(h.find_event<ev::GameEnded>()->reason == "validation_failed");
}

TEST_CASE("restart: a validation that is reported in time after the return starts the game") {
  Harness h(experiment_with(validated_game()));
  h.join("alice");
  h.join("bob");
  GameId game = h.subject("alice").game;
  h.advance(3000);
  restart(h);
  h.connect("alice", "token-alice");
  h.connect("bob", "token-bob");
  h.send("alice", cmd::ValidationSuccess{game});
  h.send("bob", cmd::ValidationSuccess{game});
  CHECK(h.state().game(game)->status == GameStatus::playing);
}

TEST_CASE("restart: a paused game stays paused, and its reconnection grace ends at its logged time") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.send("alice", cmd::ConnectionLost{game, 42});
  Millis grace_end = h.state().game(game)->deadline;
  h.advance(1000);
  restart(h);
  CHECK(h.state().game(game)->status == GameStatus::paused);
  h.connect("alice", "token-alice");
  CHECK(h.messages_to("alice") == Strings{"registered", "activate_scene", "session_restored", "pyodide_player_assigned",
                                          "pyodide_game_ready", "p2p_pause"});
  CHECK(h.message_args("alice", "p2p_pause") == R"({"game_id":1,"pause_frame":42,"detecting_player":0})");
  h.advance(grace_end - h.now());
  CHECK(h.state().game(game) == nullptr);
}

TEST_CASE("restart: a player whose game ended while absent is told when back") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  restart(h);
  h.connect("alice", "token-alice");
  h.send("alice", cmd::LeaveGame{});
  CHECK(h.state().game(game) == nullptr);
  h.connect("bob", "token-bob");
  CHECK(h.messages_to("bob") == Strings{"registered", "activate_scene", "end_game"});
  CHECK(h.message_args("bob", "end_game") == R"({"game_id":1,"reason":"partner_left"})");
}

TEST_CASE("restart: a second restart during the grace keeps the absent absent, with a new grace") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  restart(h);
  h.advance(5000);
  restart(h);
  CHECK(h.subject("alice").absent);
  CHECK(h.state().restart_grace_deadline == h.now() + kGrace);
  h.advance(kGrace - 1);
  CHECK(h.state().game(game)->status == GameStatus::playing);
  h.connect("alice", "token-alice");
  h.connect("bob", "token-bob");
  h.advance(1);
  CHECK(h.state().game(game)->status == GameStatus::playing);
}

TEST_CASE("restart: without a grace every connected subject is disconnected at once, as before") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::ServerStarted{1, 0}});
  CHECK_FALSE(h.subject("alice").absent);
  CHECK(h.state().game(game)->status == GameStatus::paused);
  CHECK(h.state().restart_grace_deadline == 0);
}
