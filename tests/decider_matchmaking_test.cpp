// The matchmakers: order, RTT limit, reunion with and without fallback, bots, larger games.
#include <catch2/catch.hpp>

#include "tests/support/engine_harness.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

using Strings = std::vector<std::string>;

const Strings& players_of(const Harness& h, const std::string& subject) {
  return h.state().game(h.subject(subject).game)->players;
}

void join_with_rtt(Harness& h, const std::string& subject, std::int64_t rtt) {
  h.connect(subject);
  h.send(subject, cmd::AdvanceScene{});
  h.send(subject, cmd::JoinGame{rtt});
}

}  // namespace

TEST_CASE("fifo pairs in arrival order") {
  Harness h(experiment_with(two_seat_game()));
  for (const char* s : {"a", "b", "c", "d", "e"}) h.join(s);
  CHECK(players_of(h, "a") == Strings{"a", "b"});
  CHECK(players_of(h, "c") == Strings{"c", "d"});
  CHECK(h.subject("e").state == SubjectState::waiting);
  CHECK(h.state().waitrooms[1] == Strings{"e"});
}

TEST_CASE("latency_fifo skips a pair whose RTTs sum above the limit; an unknown RTT is allowed") {
  Scene scene = two_seat_game();
  scene.matchmaker.kind = Matchmaker::Kind::latency_fifo;
  scene.matchmaker.max_rtt_ms = 100;
  Harness h(experiment_with(scene));
  join_with_rtt(h, "far", 90);
  join_with_rtt(h, "also-far", 30);  // 120 > 100: not together
  CHECK(h.subject("far").state == SubjectState::waiting);
  CHECK(h.subject("also-far").state == SubjectState::waiting);
  join_with_rtt(h, "near", 10);  // far + near = 100: the earliest waiter first
  CHECK(players_of(h, "near") == Strings{"far", "near"});
  h.join("unknown-rtt");  // no RTT: allowed with anyone
  CHECK(players_of(h, "unknown-rtt") == Strings{"also-far", "unknown-rtt"});
}

namespace {

// Two pairs play the first game scene to the end; then `arrivals` move on and join the
// reunion scene, in that order.
Harness after_first_games(Matchmaker::Fallback fallback, Millis waitroom_timeout_ms, const Strings& arrivals) {
  Scene first = two_seat_game();
  Scene second = two_seat_game();
  second.scene_id = "second_game";
  second.matchmaker.kind = Matchmaker::Kind::group_reunion;
  second.matchmaker.group_wait_timeout_ms = 10000;
  second.matchmaker.fallback = fallback;
  second.waitroom_timeout_ms = waitroom_timeout_ms;
  auto experiment = std::make_shared<Experiment>();
  Scene consent;
  consent.scene_id = "consent";
  Scene end;
  end.scene_id = "end";
  experiment->scenes = {consent, first, second, end};
  Harness h(experiment);
  GameId g1 = h.start_game({"a", "b"});
  GameId g2 = h.start_game({"c", "d"});
  h.send("a", cmd::GameComplete{g1, 1, 1});
  h.send("c", cmd::GameComplete{g2, 1, 1});
  for (const auto& s : arrivals) {
    h.send(s, cmd::AdvanceScene{});
    h.send(s, cmd::JoinGame{});
  }
  return h;
}

}  // namespace

TEST_CASE("group_reunion pairs earlier partners again") {
  Harness h = after_first_games(Matchmaker::Fallback::fifo, 60000, {"a", "c", "d", "b"});
  CHECK(players_of(h, "a") == Strings{"a", "b"});
  CHECK(players_of(h, "c") == Strings{"c", "d"});
}

TEST_CASE("group_reunion with fallback fifo pairs strangers after the group wait") {
  Harness h = after_first_games(Matchmaker::Fallback::fifo, 60000, {"a", "c"});
  CHECK(h.subject("a").state == SubjectState::waiting);
  CHECK(h.subject("c").state == SubjectState::waiting);
  h.advance(10000);
  CHECK(players_of(h, "a") == Strings{"a", "c"});
}

TEST_CASE("group_reunion with fallback wait never pairs strangers") {
  Harness h = after_first_games(Matchmaker::Fallback::wait, 0, {"a", "c"});
  h.advance(20000);
  CHECK(h.subject("a").state == SubjectState::waiting);
  CHECK(h.subject("c").state == SubjectState::waiting);
  h.send("b", cmd::AdvanceScene{});
  h.send("b", cmd::JoinGame{});
  CHECK(players_of(h, "b") == Strings{"a", "b"});
}

TEST_CASE("bot seats are never waited for and count in num_players") {
  Scene scene = two_seat_game();
  scene.human_seats = 1;
  scene.bot_seats = 1;
  scene.countdown_ms = 0;
  Harness h(experiment_with(scene));
  h.join("solo");
  GameId game = h.subject("solo").game;
  REQUIRE(game != kNoGame);
  CHECK(h.message_args("solo", "pyodide_player_assigned") ==
        R"({"game_id":1,"player_id":0,"game_seed":)" + std::to_string(h.state().game(game)->seed) +
            R"(,"num_players":2})");
  CHECK(h.messages_to("solo").back() == "start_game");
}

TEST_CASE("3- and 4-seat games fill every seat in one step") {
  for (int seats : {3, 4}) {
    Scene scene = two_seat_game();
    scene.human_seats = seats;
    Harness h(experiment_with(scene));
    Strings names;
    for (int i = 0; i < seats; ++i) {
      names.push_back("p" + std::to_string(i));
      h.join(names.back());
      if (i + 1 < seats) CHECK(h.subject(names.back()).state == SubjectState::waiting);
    }
    CHECK(h.event_types() == Strings{"waitroom_joined", "game_created"});
    CHECK(players_of(h, "p0") == names);
    CHECK(h.subject(names.back()).player == seats - 1);
    CHECK(h.projections().audit.violations().empty());
  }
}
