// The audit catches each invariant of PROTOCOL.md section 7 when it is broken, whether by
// events a faulty decider emitted or by a state a faulty apply left.
#include <catch2/catch.hpp>

#include "projections/projector.h"
#include "tests/support/engine_harness.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

// Feeds hand-made events, one command each, straight to the projections (no decider).
class Feed {
 public:
  Feed() : p_(experiment_with(two_seat_game())) {}
  void command(const std::string& subject = "") {
    p_.begin_command(++seq_, subject);
    command_seq_ = seq_;
  }
  void event(const std::string& subject, GameId game, int scene, EventBody body) {
    p_.apply_event(++seq_, command_seq_, Event{1000, subject, game, scene, std::move(body)});
  }
  // One command carrying the events.
  void step(const std::string& subject, GameId game, int scene, EventBody body) {
    command();
    event(subject, game, scene, std::move(body));
    p_.end_command();
  }
  void connected_subject(const std::string& id) {
    step(id, kNoGame, 1, ev::SubjectRegistered{"t"});
    step(id, kNoGame, kNoScene, ev::SubjectConnected{7, kNoConn});
  }
  std::vector<int> invariants() const {
    std::vector<int> out;
    for (const auto& v : p_.audit.violations()) out.push_back(v.invariant);
    return out;
  }
  Projector p_;
  Seq seq_ = 0;
  Seq command_seq_ = 0;
};

}  // namespace

TEST_CASE("audit: a clean sequence has no violation") {
  Feed f;
  f.connected_subject("a");
  f.connected_subject("b");
  f.step("a", kNoGame, 1, ev::WaitroomJoined{0, 0});
  f.step("", 1, 1, ev::GameCreated{5, {"a", "b"}, 0});
  CHECK(f.invariants().empty());
}

TEST_CASE("audit invariant 1 and 2: a subject naming a game that is gone, a seat not named back") {
  Feed f;
  f.connected_subject("a");
  f.connected_subject("b");
  f.step("", 1, 1, ev::GameCreated{5, {"a", "b"}, 0});
  SessionMap broken = f.p_.map;
  broken.games.erase(1);  // as if an apply forgot the subjects when it erased the game
  Audit audit;
  audit.check_everything(9, broken);
  REQUIRE_FALSE(audit.violations().empty());
  CHECK(audit.violations().front().invariant == 1);

  SessionMap unseated = f.p_.map;
  unseated.subjects.at("b").game = kNoGame;
  unseated.subjects.at("b").state = SubjectState::idle;
  Audit second;
  second.check_everything(9, unseated);
  REQUIRE(second.violations().size() == 1);
  CHECK(second.violations().front().invariant == 2);
}

TEST_CASE("audit invariant 3: one subject in a game and a waitroom, or in two games") {
  Feed f;
  f.connected_subject("a");
  f.connected_subject("b");
  f.connected_subject("c");
  f.step("", 1, 1, ev::GameCreated{5, {"a", "b"}, 0});
  f.step("a", kNoGame, 1, ev::WaitroomJoined{0, 0});
  CHECK(f.invariants() == std::vector<int>{3});
  f.step("", 2, 1, ev::GameCreated{6, {"b", "c"}, 0});
  auto found = f.invariants();
  CHECK(std::count(found.begin(), found.end(), 3) >= 2);
}

TEST_CASE("audit invariant 3: a subject joins a waitroom the researcher closed") {
  Feed f;
  f.connected_subject("a");
  f.connected_subject("b");
  f.step("a", kNoGame, 1, ev::WaitroomJoined{0, 0});  // before the closing: fine, and it stays
  f.step("", kNoGame, 1, ev::WaitroomClosed{"admin"});
  CHECK(f.invariants().empty());
  f.step("b", kNoGame, 1, ev::WaitroomJoined{0, 0});
  CHECK(f.invariants() == std::vector<int>{3});
  f.step("b", kNoGame, 1, ev::WaitroomLeft{"left"});
  f.step("", kNoGame, 1, ev::WaitroomOpened{"admin"});
  f.step("b", kNoGame, 1, ev::WaitroomJoined{0, 0});
  CHECK(f.invariants() == std::vector<int>{3});
}

TEST_CASE("audit invariant 4: a game without every human seat filled") {
  Feed f;
  f.connected_subject("a");
  f.step("", 1, 1, ev::GameCreated{5, {"a"}, 0});
  CHECK(f.invariants() == std::vector<int>{4});
}

TEST_CASE("audit invariant 5: a game ended twice, or touched after its end") {
  Feed f;
  f.connected_subject("a");
  f.connected_subject("b");
  f.step("", 1, 1, ev::GameCreated{5, {"a", "b"}, 0});
  f.step("", 1, 1, ev::GameEnded{"normal", std::nullopt, std::nullopt, std::nullopt});
  CHECK(f.invariants().empty());
  f.step("", 1, 1, ev::GameEnded{"normal", std::nullopt, std::nullopt, std::nullopt});
  f.step("", 1, 1, ev::GamePaused{"disconnect", 0, 0, 5000});
  CHECK(f.invariants() == std::vector<int>{5, 5});
  CHECK_THAT(f.p_.audit.violations().front().detail, Catch::Contains("which has ended"));
}

TEST_CASE("audit invariant 5: the restart grace is the map's own deadline; one left after its end outlives its owner") {
  Feed f;
  f.connected_subject("a");
  f.step("a", kNoGame, kNoScene, ev::SubjectAbsent{});
  f.step("", kNoGame, kNoScene, ev::RestartGraceStarted{20000});
  Audit audit;
  audit.check_everything(9, f.p_.map);
  CHECK(audit.violations().empty());

  SessionMap leftover = f.p_.map;
  leftover.restart_grace_deadline = 0;  // as if an apply ended the grace but kept its deadline
  Audit second;
  second.check_everything(9, leftover);
  REQUIRE(second.violations().size() == 1);
  CHECK(second.violations().front().invariant == 5);
  CHECK_THAT(second.violations().front().detail, Catch::Contains("restart_grace"));
}

TEST_CASE("audit invariant 6: positions with a gap, an event naming the wrong command") {
  Feed f;
  f.command();
  f.seq_ += 1;  // a gap
  f.command();
  CHECK(f.invariants() == std::vector<int>{6});
  f.command_seq_ = 1;  // an event that names an earlier command
  f.event("", kNoGame, kNoScene, ev::ServerStarted{1});
  CHECK(f.invariants() == std::vector<int>{6, 6});
}

TEST_CASE("audit invariant 7: a partial end without a notification to a partner still attached") {
  Feed f;
  f.connected_subject("a");
  f.connected_subject("b");
  f.step("", 1, 1, ev::GameCreated{5, {"a", "b"}, 0});
  f.command("a");
  f.event("b", kNoGame, kNoScene, ev::Notification{0, "end_game", "{}", std::nullopt, false});
  f.event("", 1, 1, ev::GameEnded{"partner_left", std::nullopt, std::nullopt, std::nullopt});
  f.p_.end_command();
  CHECK(f.invariants().empty());  // b was told; a left by its own command

  f.step("", 2, 1, ev::GameCreated{6, {"a", "b"}, 0});
  f.command("a");
  f.event("", 2, 1, ev::GameEnded{"partner_left", std::nullopt, std::nullopt, std::nullopt});
  f.p_.end_command();
  CHECK(f.invariants() == std::vector<int>{7});
}
