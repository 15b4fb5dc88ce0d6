// A simulation property test: simulated subjects send random valid and invalid commands while
// time advances at random. After every event every invariant holds; the session map rebuilt
// from the produced events alone (through the log codec) equals the live one; re-deciding the
// same commands gives the same events, byte for byte.
//
// Defaults keep it to seconds in CI. Longer: COHORT_SIM_SEEDS=20 COHORT_SIM_STEPS=1000000.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>
#include <set>

#include "engine/vocabulary/record_codec.h"
#include "tests/support/engine_harness.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

long env_or(const char* name, long fallback) {
  const char* value = std::getenv(name);
  return value ? std::strtol(value, nullptr, 10) : fallback;
}

std::shared_ptr<Experiment> simulation_experiment() {
  auto experiment = std::make_shared<Experiment>();
  experiment->experiment_id = "simulation";
  Scene consent;
  consent.scene_id = "consent";
  Scene validated = two_seat_game();
  validated.scene_id = "validated_pairs";
  validated.p2p_validation = true;
  validated.validation_timeout_ms = 4000;
  validated.waitroom_timeout_ms = 20000;
  validated.countdown_ms = 1000;
  validated.reconnection_timeout_ms = 3000;
  Scene reunion = two_seat_game();
  reunion.scene_id = "reunion";
  reunion.matchmaker.kind = Matchmaker::Kind::group_reunion;
  reunion.matchmaker.group_wait_timeout_ms = 5000;
  reunion.countdown_ms = 0;
  reunion.reconnection_timeout_ms = 0;
  Scene trio = two_seat_game();
  trio.scene_id = "trio";
  trio.human_seats = 3;
  trio.bot_seats = 1;
  trio.matchmaker.kind = Matchmaker::Kind::latency_fifo;
  trio.matchmaker.max_rtt_ms = 150;
  trio.waitroom_timeout_ms = 0;
  Scene end;
  end.scene_id = "end";
  experiment->scenes = {consent, validated, reunion, trio, end};
  return experiment;
}

class Simulation {
 public:
  Simulation(std::uint64_t seed, int subjects) : rng_(seed), subjects_(subjects), h_(simulation_experiment()) {}

  void step() {
    std::uniform_int_distribution<int> pick_subject(0, subjects_ - 1);
    std::string id = "s" + std::to_string(pick_subject(rng_));
    const Subject* subject = h_.state().subject(id);
    GameId game = subject ? (subject->game != kNoGame ? subject->game : subject->last_game) : kNoGame;
    if (roll(10) == 0) game = static_cast<GameId>(roll(static_cast<int>(h_.state().last_game_id) + 3));
    switch (roll(20)) {
      case 0: case 1: h_.advance(roll(2500)); break;
      case 2: {
        int token = roll(3);
        h_.connect(id, token == 0 ? std::nullopt : std::optional<std::string>(token == 1 ? "token-" + id : "bad"));
        break;
      }
      case 3: h_.disconnect(id); break;
      case 4: h_.send(id, cmd::AdvanceScene{}); break;
      case 5: case 6: case 7: h_.send(id, cmd::JoinGame{roll(2) ? std::optional<std::int64_t>(roll(120)) : std::nullopt}); break;
      case 8: h_.send(id, cmd::LeaveGame{}); break;
      case 9: h_.send(id, cmd::Ping{roll(200) - 5, std::nullopt}); break;
      case 10: case 11: h_.send(id, cmd::ValidationSuccess{game}); break;
      case 12: h_.send(id, cmd::ValidationFailed{game, "ice"}); break;
      case 13: h_.send(id, cmd::ConnectionLost{game, roll(1000)}); break;
      case 14: h_.send(id, cmd::ReconnectionSuccess{game}); break;
      case 15: h_.send(id, cmd::MidGameExclusion{game, roll(4) ? "tab_hidden" : "bored", roll(1000)}); break;
      case 16: case 17: h_.send(id, cmd::GameComplete{game, 1 + roll(3), 3}, roll(2) ? std::optional<std::int64_t>(7) : std::nullopt); break;
      case 18: h_.send(id, cmd::EmitMetrics{game, "{\"n\":1}"}, 3); break;
      case 19:
        if (roll(200) == 0) {
          h_.run(Command{0, "", kNoConn, std::nullopt, cmd::ServerStarted{roll(1 << 30)}});
        } else {
          h_.send(id, cmd::Malformed{"nonsense", "unknown_event", "no such event"});
        }
        break;
    }
  }

  Harness& harness() { return h_; }

 private:
  int roll(int n) { return std::uniform_int_distribution<int>(0, std::max(0, n - 1))(rng_); }
  std::mt19937_64 rng_;
  int subjects_;
  Harness h_;
};

}  // namespace

TEST_CASE("simulation: invariants hold, the map rebuilds from events, and decisions repeat exactly") {
  const long seeds = env_or("COHORT_SIM_SEEDS", 3);
  const long steps = env_or("COHORT_SIM_STEPS", 100'000);
  for (long seed = 1; seed <= seeds; ++seed) {
    INFO("seed " << seed);
    Simulation sim(static_cast<std::uint64_t>(seed), 200);
    Harness& h = sim.harness();
    for (long i = 0; i < steps; ++i) {
      sim.step();
      if (i % 5000 == 0) {
        Audit full;
        full.check_everything(static_cast<Seq>(i), h.state());
        REQUIRE(full.violations().empty());
      }
      if (!h.projections().audit.violations().empty()) {
        const Violation& v = h.projections().audit.violations().front();
        FAIL("invariant " << v.invariant << " at seq " << v.seq << ": " << v.detail);
      }
    }
    // The simulation really reaches every way a game can end.
    std::set<std::string> reasons;
    for (const Event& event : h.events) {
      if (const auto* end = std::get_if<ev::GameEnded>(&event.body)) reasons.insert(end->reason);
    }
    CHECK(reasons == std::set<std::string>{"normal", "partner_left", "partner_disconnected", "reconnection_timeout",
                                           "partner_exclusion", "validation_failed", "scene_completed"});
    Audit full;
    full.check_everything(0, h.state());
    CHECK(full.violations().empty());

    // Rebuild from the events alone, through the log's codec.
    Projector rebuilt(h.state().experiment);
    for (const Event& event : h.events) {
      Record record = to_record(event);
      apply(rebuilt.map, event_from_record(record));
    }
    CHECK(rebuilt.map == h.state());

    // Re-decide the same commands from an empty state: the same events, byte for byte.
    Engine again(h.state().experiment);
    std::size_t next = 0;
    bool same = true;
    for (const Command& command : h.commands) {
      for (const Event& event : again.execute(command)) {
        if (next >= h.events.size() || to_record(event) != to_record(h.events[next])) {
          same = false;
          break;
        }
        ++next;
      }
      if (!same) break;
    }
    CHECK(same);
    CHECK(next == h.events.size());
  }
}
