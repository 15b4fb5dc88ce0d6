// The routing table is a projection: derived from a session map, or followed event by event
// from the start of a log, it is the same table at every position.
#include <catch2/catch.hpp>

#include <random>

#include "projections/routing_table.h"
#include "projections/snapshot.h"
#include "tests/support/engine_harness.h"

using namespace cohort;
using namespace cohort::testing;

TEST_CASE("routing table: rooms and bindings follow the events that make them", "[routing]") {
  Harness h(experiment_with(two_seat_game()));
  RoutingTable table = RoutingTable::of(h.state());
  std::size_t followed = 0;
  auto follow_last = [&] {  // every event decided since the last call
    for (; followed < h.events.size(); ++followed) table.follow(h.events[followed]);
  };
  h.connect("alice");
  follow_last();
  CHECK(table.conn_of_subject.at("alice") == h.conn("alice"));
  CHECK(table.subject_of_conn.at(h.conn("alice")) == "alice");

  h.connect("alice", "token-alice");  // a second tab takes over with the token
  follow_last();
  CHECK(table.conn_of_subject.at("alice") == h.conn("alice"));
  CHECK(table.subject_of_conn.size() == 1);

  h.send("alice", cmd::AdvanceScene{});
  h.send("alice", cmd::JoinGame{});
  h.join("bob");
  follow_last();
  h.advance(h.state().scene(1).countdown_ms);  // the game starts: now it waits for who drops out
  follow_last();
  GameId game = h.subject("alice").game;
  REQUIRE(game != kNoGame);
  CHECK(table.rooms.at(game) == std::vector<std::string>{"alice", "bob"});

  h.disconnect("bob");
  follow_last();
  CHECK(table.conn_of_subject.count("bob") == 0);
  CHECK(table.rooms.count(game) == 1);  // the game waits for bob: so does its room

  h.advance(10000);  // bob's grace ends, and the game with it
  follow_last();
  CHECK(table.rooms.count(game) == 0);
  CHECK(table == RoutingTable::of(h.state()));
}

TEST_CASE("routing table: derived from any state, then followed, it equals the one followed from the start",
          "[routing]") {
  Scene scene = two_seat_game();
  scene.countdown_ms = 500;
  scene.reconnection_timeout_ms = 2000;
  auto experiment = experiment_with(scene);
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    auto roll = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
    Harness h(experiment);
    RoutingTable from_start = RoutingTable::of(h.state());
    std::optional<RoutingTable> from_restart;
    for (int step = 0; step < 20000; ++step) {
      std::string id = "s" + std::to_string(roll(30));
      const Subject* subject = h.state().subject(id);
      GameId game = subject ? subject->game : kNoGame;
      bool restarted = false;
      switch (roll(12)) {
        case 0: h.connect(id, roll(2) ? std::optional<std::string>("token-" + id) : std::nullopt); break;
        case 1: h.disconnect(id); break;
        case 2: case 3: h.send(id, cmd::AdvanceScene{}); break;
        case 4: case 5: h.send(id, cmd::JoinGame{}); break;
        case 6: h.send(id, cmd::LeaveGame{}); break;
        case 7: h.send(id, cmd::ConnectionLost{game, 3}); break;
        case 8: h.send(id, cmd::ReconnectionSuccess{game}); break;
        case 9: h.advance(roll(1500)); break;
        case 10: h.run(Command{0, "", kNoConn, std::nullopt, cmd::ServerStarted{step}}); break;
        case 11: {  // a restart: the state from a snapshot, the table derived from it
          Projector restored(experiment);
          restore_snapshot(restored, snapshot_of(h.projections()));
          REQUIRE(restored.map == h.state());
          from_restart = RoutingTable::of(restored.map);
          restarted = true;
          break;
        }
      }
      for (const Event& event : restarted ? std::vector<Event>{} : h.last) {
        from_start.follow(event);
        if (from_restart) from_restart->follow(event);
      }
      if (step % 97 == 0) {
        REQUIRE(from_start == RoutingTable::of(h.state()));
        if (from_restart) REQUIRE(*from_restart == from_start);
      }
    }
    CHECK(from_start == RoutingTable::of(h.state()));
  }
}
