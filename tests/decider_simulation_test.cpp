// A simulation property test: simulated subjects send random valid and invalid commands while
// time advances at random. After every event every invariant holds; the session map rebuilt
// from the produced events alone (through the log codec) equals the live one; re-deciding the
// same commands gives the same events, byte for byte.
//
// Now and then the researcher acts from the dashboard: ends a game, excludes a subject, closes
// a waitroom for a while, sets the participant cap.
//
// The server restarts at random points, with a random restart grace (none, shorter or longer
// than the scenes' deadlines). Of the subjects it leaves absent, some come back with their token
// at a random time within the grace, some never do, and the rest are left to the random stream.
// What PROTOCOL.md 4.1 promises is checked after every command: an absent waiter is never
// matched; no countdown or validation deadline fires while a player of its game is absent; an
// absent subject stays where it was (or is idle because its game ended or its wait timed out
// meanwhile, and is told so when back); one back within the grace is where it was; after
// `restart_grace_ended` nobody is absent.
//
// Defaults keep it to seconds in CI. Longer: COHORT_SIM_SEEDS=20 COHORT_SIM_STEPS=1000000.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
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

// Where a subject stands, as far as a restart must leave it alone.
struct SimPlace {
  SubjectState state = SubjectState::idle;
  int scene = 0;
  GameId game = kNoGame;
  int player = -1;
  Millis waiting_since = 0;
  Millis wait_deadline = 0;
  bool operator==(const SimPlace&) const = default;
};

SimPlace sim_place_of(const Subject& s) {
  SimPlace place{s.state, s.scene, s.game, s.player, 0, 0};
  if (s.state == SubjectState::waiting) {
    place.waiting_since = s.waiting_since;
    place.wait_deadline = s.wait_deadline;
  }
  return place;
}

bool sim_has(const std::vector<std::string>& list, const char* name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// How often each restart case was reached: the seeds must reach all of them.
struct RestartCoverage {
  long restarts_with_grace = 0;
  long absent = 0;
  std::set<std::string> back_within_grace;  // the state each returner was in: waiting, in_game, idle...
  long newcomers = 0;                       // joined a waitroom where a waiter was absent
  long matched_once_back = 0;               // a waiter matched by its return
  long deferred = 0;                        // game deadlines that waited for an absent player
  long deferred_fired_on_return = 0;
  long gone_at_grace_end = 0;
};

class Simulation {
 public:
  Simulation(std::uint64_t seed, int subjects)
      : rng_(seed), admin_rng_(seed + 1000), subjects_(subjects), h_(simulation_experiment()) {}

  void step() {
    if (++steps_ % 997 == 0) act_as_admin();
    std::uniform_int_distribution<int> pick_subject(0, subjects_ - 1);
    std::string id = "s" + std::to_string(pick_subject(rng_));
    // During a grace most subjects are absent: those back act more often, so that they join,
    // meet absent waiters and play with absent partners.
    if (!back_.empty() && roll(2) == 0) id = back_[static_cast<std::size_t>(roll(static_cast<int>(back_.size())))];
    const Subject* subject = h_.state().subject(id);
    GameId game = subject ? (subject->game != kNoGame ? subject->game : subject->last_game) : kNoGame;
    if (roll(10) == 0) game = static_cast<GameId>(roll(static_cast<int>(h_.state().last_game_id) + 3));
    const int what = roll(20);
    // A subject that never comes back sends nothing until the grace is over.
    if (staying_away_.count(id) && what > 1 && what != 19) return;
    switch (what) {
      case 0: case 1: advance(roll(2500)); break;
      case 2: {
        int token = roll(3);
        connect(id, token == 0 ? std::nullopt : std::optional<std::string>(token == 1 ? "token-" + id : "bad"));
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
      case 14:
        if (roll(4) == 0) {
          h_.send(id, cmd::ReconnectionTimeout{game});
        } else {
          h_.send(id, cmd::ReconnectionSuccess{game});
        }
        break;
      case 15: h_.send(id, cmd::MidGameExclusion{game, roll(4) ? "tab_hidden" : "bored", roll(1000)}); break;
      case 16: case 17: h_.send(id, cmd::GameComplete{game, 1 + roll(3), 3}, roll(2) ? std::optional<std::int64_t>(7) : std::nullopt); break;
      case 18: h_.send(id, cmd::EmitMetrics{game, "{\"n\":1}"}, 3); break;
      case 19:
        if (roll(100) == 0 || (roll(4) == 0 && game_starting())) {
          restart();
        } else if (roll(2) == 0 && newcomer_joins()) {
        } else {
          h_.send(id, cmd::Malformed{"nonsense", "unknown_event", "no such event"});
        }
        break;
    }
    observe();
  }

  Harness& harness() { return h_; }
  const RestartCoverage& coverage() const { return coverage_; }

 private:
  // Now and then the researcher acts from the dashboard, drawn from a stream of its own: ends a
  // game, excludes someone not absent (an absent subject must come back where it was), closes a
  // waitroom until the next time, or sets a cap above anyone the simulation registers.
  void act_as_admin() {
    auto admin_roll = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(admin_rng_); };
    auto admin = [&](CommandBody body, const std::string& subject = "") {
      h_.run(Command{0, subject, kNoConn, std::nullopt, std::move(body)});
      observe();
    };
    if (closed_scene_) {
      admin(cmd::AdminOpenWaitroom{*closed_scene_, "admin", ""});
      closed_scene_.reset();
    }
    const int what = admin_roll(10);
    if (what < 4) {  // mostly a live game; else any id, most of them ended
      const auto& games = h_.state().games;
      GameId game = static_cast<GameId>(admin_roll(static_cast<int>(h_.state().last_game_id) + 2));
      if (!games.empty() && admin_roll(4) != 0) game = std::next(games.begin(), admin_roll(static_cast<int>(games.size())))->first;
      admin(cmd::AdminEndGame{game, "admin", ""});
    } else if (what < 5) {
      const std::string id = "s" + std::to_string(admin_roll(subjects_));
      const Subject* subject = h_.state().subject(id);
      if (subject && !subject->absent) admin(cmd::AdminExcludeSubject{"Thank you.", "admin", ""}, id);
    } else if (what < 8) {
      closed_scene_ = std::vector<std::string>{"validated_pairs", "reunion", "trio"}[static_cast<std::size_t>(admin_roll(3))];
      admin(cmd::AdminCloseWaitroom{*closed_scene_, "admin", ""});
    } else {
      admin(cmd::AdminSetMaxParticipants{admin_roll(2) ? std::optional<std::int64_t>(100000) : std::nullopt, "admin", ""});
    }
  }

  int roll(int n) { return std::uniform_int_distribution<int>(0, std::max(0, n - 1))(rng_); }

  // A game in its countdown or validation: a restart then tests the deadlines that wait.
  bool game_starting() const {
    return std::any_of(h_.state().games.begin(), h_.state().games.end(), [](const auto& entry) {
      return entry.second.status == GameStatus::matched || entry.second.status == GameStatus::validating;
    });
  }

  // A participant new to the study arrives while a waiter is absent, and joins its waitroom.
  bool newcomer_joins() {
    std::vector<int> scenes;
    for (const auto& [id, then] : absent_) {
      if (then.state == SubjectState::waiting && h_.subject(id).state == SubjectState::waiting) scenes.push_back(then.scene);
    }
    if (scenes.empty()) return false;
    const int scene = scenes[static_cast<std::size_t>(roll(static_cast<int>(scenes.size())))];
    const std::string id = "newcomer" + std::to_string(++newcomers_);
    h_.connect(id);
    observe();
    for (int i = 0; i < scene; ++i) {
      h_.send(id, cmd::AdvanceScene{});
      observe();
    }
    h_.send(id, cmd::JoinGame{});
    observe();
    ++coverage_.newcomers;
    return true;
  }

  // Moves the clock by `ms`, stopping at each scheduled return on the way.
  void advance(Millis ms) {
    const Millis until = h_.now() + ms;
    while (!returns_.empty() && returns_.begin()->first <= until) {
      auto [at, id] = *returns_.begin();
      returns_.erase(returns_.begin());
      if (at > h_.now()) {
        h_.advance(at - h_.now());
        observe();
      }
      connect(id, "token-" + id);
      observe();
    }
    if (until > h_.now()) h_.advance(until - h_.now());
  }

  // A random restart grace: none (also as in logs from before it existed), shorter than every
  // deadline of the scenes, between them, or longer than the longest (the 20 s waitroom).
  void restart() {
    std::optional<std::int64_t> grace;
    switch (roll(5)) {
      case 0: break;
      case 1: grace = 0; break;
      case 2: grace = 1 + roll(1000); break;
      case 3: grace = 1000 + roll(5000); break;
      case 4: grace = 5000 + roll(40000); break;
    }
    if (grace.value_or(0) > 0) ++coverage_.restarts_with_grace;
    h_.run(Command{0, "", kNoConn, std::nullopt, cmd::ServerStarted{roll(1 << 30), grace}});
    const Millis grace_end = h_.state().restart_grace_deadline;
    // The players of a game often share their fate (a lab's network came back, or did not), so
    // that games whose every player is back within the grace are common too.
    std::map<GameId, int> shared_fate;
    for (const Event& event : h_.last) {
      if (!std::holds_alternative<ev::SubjectAbsent>(event.body)) continue;
      ++coverage_.absent;
      const GameId game = h_.subject(event.subject).game;
      int fate = roll(4);
      if (game != kNoGame && roll(2) == 0) fate = shared_fate.try_emplace(game, fate).first->second;
      switch (fate) {
        case 0: staying_away_.insert(event.subject); break;
        case 1: case 2: returns_.emplace(h_.now() + roll(static_cast<int>(grace_end - h_.now())), event.subject); break;
        default: break;  // up to the random stream: back with its token, without, or not at all
      }
    }
  }

  // A socket registers the subject. One absent until now must be back where it was.
  void connect(const std::string& id, std::optional<std::string> token) {
    const Subject* subject = h_.state().subject(id);
    const bool was_absent = subject && subject->absent;
    const Subject before = was_absent ? *subject : Subject{};
    const GameId last_game_before = h_.state().last_game_id;
    h_.connect(id, std::move(token));
    if (was_absent && h_.subject(id).connected) check_back(before, last_game_before);
  }

  void check_back(const Subject& before, GameId last_game_before) {
    const Subject& after = h_.subject(before.id);
    const std::vector<std::string> messages = h_.messages_to(before.id);
    INFO("subject " << before.id << " back from absence, was " << state_name(before.state));
    REQUIRE_FALSE(after.absent);
    REQUIRE(after.scene == before.scene);
    coverage_.back_within_grace.insert(state_name(before.state));
    back_.push_back(before.id);
    if (before.state == SubjectState::in_game) {
      REQUIRE(sim_has(messages, "session_restored"));
      const bool same_seat = after.game == before.game && after.player == before.player;
      // Its deferred validation timeout may fire now that nobody is absent: the game ends.
      bool ended_now = false;
      for (const Event& event : h_.last) {
        if (std::holds_alternative<ev::GameEnded>(event.body) && event.game == before.game) ended_now = true;
      }
      REQUIRE((same_seat || ended_now));
    } else if (before.state == SubjectState::waiting) {
      const bool same_place = after.state == SubjectState::waiting && after.waiting_since == before.waiting_since &&
                              after.wait_deadline == before.wait_deadline;
      const bool matched_now = after.state == SubjectState::in_game && after.game > last_game_before;
      REQUIRE((same_place || matched_now));
      if (matched_now) ++coverage_.matched_once_back;
    } else {
      REQUIRE(after.state == before.state);
    }
    if (before.missed_waitroom_timeout) REQUIRE(sim_has(messages, "waitroom_timeout"));
    // A normal end sends no end_game, then or later (PROTOCOL.md 4.2).
    if (!before.missed_game_end.empty()) REQUIRE(sim_has(messages, "end_game") == (before.missed_game_end != "normal"));
  }

  // Follows the last command's events in order, with who is absent at each of them.
  void observe() {
    if (h_.commands.size() == observed_) return;
    observed_ = h_.commands.size();
    const Command& command = h_.commands.back();
    const bool fires_deadlines = std::holds_alternative<cmd::Timer>(command.body) ||
                                 std::holds_alternative<cmd::RegisterSubject>(command.body);
    bool grace_ended = false;
    auto no_player_absent = [&](GameId game, const char* what) {
      auto players = players_.find(game);
      if (players == players_.end()) return;
      for (const std::string& player : players->second) {
        INFO(what << " of game " << game << " while its player " << player << " is absent");
        REQUIRE(absent_.count(player) == 0);
      }
    };
    for (const Event& event : h_.last) {
      const EventBody& body = event.body;
      if (std::holds_alternative<ev::SubjectAbsent>(body)) {
        absent_[event.subject] = sim_place_of(h_.subject(event.subject));
      } else if (std::holds_alternative<ev::SubjectConnected>(body) || std::holds_alternative<ev::SubjectDisconnected>(body)) {
        if (absent_.erase(event.subject) && grace_ended) ++coverage_.gone_at_grace_end;
      } else if (std::holds_alternative<ev::RestartGraceEnded>(body)) {
        grace_ended = true;
      } else if (const auto* created = std::get_if<ev::GameCreated>(&body)) {
        for (const std::string& player : created->players) {
          INFO("game " << event.game << " seats " << player << " while it is absent");
          REQUIRE(absent_.count(player) == 0);
        }
        players_[event.game] = created->players;
      } else if (std::holds_alternative<ev::GameDeadlineDeferred>(body)) {
        ++coverage_.deferred;
        deferred_.insert(event.game);
      } else if (std::holds_alternative<ev::ValidationStarted>(body) || std::holds_alternative<ev::GameStarted>(body)) {
        if (fires_deadlines) no_player_absent(event.game, "the countdown end");
        if (deferred_.erase(event.game) && std::holds_alternative<cmd::RegisterSubject>(command.body)) {
          ++coverage_.deferred_fired_on_return;
        }
      } else if (const auto* ended = std::get_if<ev::GameEnded>(&body)) {
        if (fires_deadlines && ended->reason == "validation_failed") no_player_absent(event.game, "the validation timeout");
        if (deferred_.erase(event.game) && std::holds_alternative<cmd::RegisterSubject>(command.body)) {
          ++coverage_.deferred_fired_on_return;
        }
        players_.erase(event.game);
      }
    }
    if (grace_ended) {
      staying_away_.clear();
      returns_.clear();
      back_.clear();
      REQUIRE(absent_.empty());
      for (const auto& [id, subject] : h_.state().subjects) {
        INFO("subject " << id << " still absent after restart_grace_ended");
        REQUIRE_FALSE(subject.absent);
      }
    }
    check_absent_in_place();
    for (GameId game : deferred_) {  // a deferred deadline waits for an absent player, no longer
      const Game* live = h_.state().game(game);
      REQUIRE(live);
      REQUIRE(live->deferred);
      const auto& players = live->players;
      INFO("game " << game << " deferred with nobody absent");
      REQUIRE(std::any_of(players.begin(), players.end(), [&](const std::string& p) { return absent_.count(p) > 0; }));
    }
  }

  // An absent subject is where the restart found it, unless its game ended or its wait timed
  // out meanwhile, in which case it is idle and its client will be told when it is back.
  void check_absent_in_place() {
    if (absent_.empty()) return;
    REQUIRE(h_.state().restart_grace_deadline > h_.now());
    for (const auto& [id, then] : absent_) {
      const Subject& subject = h_.subject(id);
      INFO("absent subject " << id);
      REQUIRE(subject.absent);
      const SimPlace now = sim_place_of(subject);
      if (now == then) continue;
      REQUIRE(now.state == SubjectState::idle);
      REQUIRE(now.scene == then.scene);
      if (then.state == SubjectState::in_game) REQUIRE(!subject.missed_game_end.empty());
      if (then.state == SubjectState::waiting) REQUIRE(subject.missed_waitroom_timeout);
    }
  }

  std::mt19937_64 rng_;
  std::mt19937_64 admin_rng_;
  long steps_ = 0;
  std::optional<std::string> closed_scene_;  // the waitroom the admin closed, opened at its next action
  int subjects_;
  Harness h_;
  // What the test knows from the events alone, to judge each event when it happens.
  std::map<std::string, SimPlace> absent_;  // absent subjects, and where the restart found them
  std::map<GameId, std::vector<std::string>> players_;  // live games' players
  std::set<GameId> deferred_;                            // games whose deadline waits for an absent player
  // The fates drawn at a restart.
  std::set<std::string> staying_away_;
  std::multimap<Millis, std::string> returns_;  // back with its token at that time, within the grace
  std::vector<std::string> back_;               // back within this grace
  RestartCoverage coverage_;
  std::size_t observed_ = 0;  // commands observed so far
  int newcomers_ = 0;
};

}  // namespace

TEST_CASE("simulation: invariants hold through restarts, the map rebuilds from events, and decisions repeat exactly",
          "[simulation]") {
  const long seeds = env_or("COHORT_SIM_SEEDS", 3);
  const long steps = env_or("COHORT_SIM_STEPS", 100'000);
  long matched_once_back = 0;         // a newcomer waited for an absent waiter, and was matched on its return
  long deferred_fired_on_return = 0;  // a countdown or validation that waited fired when its players were back
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
                                           "partner_exclusion", "validation_failed", "scene_completed", "admin_ended"});
    // And the cases of a restart: returns from each state, game deadlines that waited, subjects
    // gone at the grace's end. The rarer two are counted over all seeds, below.
    const RestartCoverage& restarts = sim.coverage();
    CHECK(restarts.back_within_grace == std::set<std::string>{"idle", "waiting", "in_game", "done"});
    CHECK(restarts.deferred > 0);
    CHECK(restarts.gone_at_grace_end > 0);
    matched_once_back += restarts.matched_once_back;
    deferred_fired_on_return += restarts.deferred_fired_on_return;
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
  CHECK(matched_once_back > 0);
  CHECK(deferred_fired_on_return > 0);
}
