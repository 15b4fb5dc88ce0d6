#include <catch2/catch.hpp>

#include "engine/vocabulary/record_codec.h"
#include "projections/snapshot.h"
#include "tests/support/engine_harness.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

// A study in many states at once: playing, paused, excluded, waiting, failed validation.
Harness busy_study() {
  Scene scene = two_seat_game();
  scene.p2p_validation = true;
  Harness h(experiment_with(scene));
  GameId playing = h.start_game({"p1", "p2"});
  h.send("p1", cmd::ValidationSuccess{playing});
  h.send("p2", cmd::ValidationSuccess{playing});
  GameId paused = h.start_game({"q1", "q2"});
  h.send("q1", cmd::ValidationSuccess{paused});
  h.send("q2", cmd::ValidationSuccess{paused});
  h.send("q1", cmd::ConnectionLost{paused, 40});
  GameId excluded = h.start_game({"x1", "x2"});
  h.send("x1", cmd::ValidationSuccess{excluded});
  h.send("x2", cmd::ValidationSuccess{excluded});
  h.send("x2", cmd::MidGameExclusion{excluded, "tab_hidden", 9});
  GameId failed = h.start_game({"f1", "f2"});
  h.send("f1", cmd::ValidationFailed{failed, "ice"});
  h.join("waiter");
  h.connect("idle-one");
  return h;
}

}  // namespace

TEST_CASE("a snapshot restores every projection, and the engine carries on identically", "[snapshot]") {
  Harness h = busy_study();
  std::string text = snapshot_of(h.projections());
  Projector restored(h.state().experiment);
  restore_snapshot(restored, text);
  CHECK(restored.map == h.state());
  CHECK(restored.analytics == h.projections().analytics);
  CHECK(restored.audit.violations() == h.projections().audit.violations());
  CHECK(restored.last_seq == h.projections().last_seq);
  CHECK(snapshot_of(restored) == text);

  // The same further commands through the original and the restored engine.
  Engine again(std::move(restored));
  auto both = [&](const std::vector<Event>& original) {
    auto continued = again.execute(h.commands.back());  // exactly the command the harness ran
    REQUIRE(original.size() == continued.size());
    for (std::size_t i = 0; i < original.size(); ++i) CHECK(to_record(original[i]) == to_record(continued[i]));
  };
  both(h.advance(6000));  // q's grace ends
  both(h.send("p1", cmd::GameComplete{1, 1, 1}));
  both(h.send("f1", cmd::JoinGame{}));
  both(h.send("f2", cmd::JoinGame{}));
  both(h.advance(60000));  // the waitroom expiries
  CHECK(again.state() == h.state());
  CHECK(again.projections().audit.violations().empty());
}

TEST_CASE("an unreadable snapshot, or one of another experiment, is refused", "[snapshot]") {
  Harness h = busy_study();
  std::string text = snapshot_of(h.projections());
  Projector fresh(h.state().experiment);
  CHECK_THROWS_AS(restore_snapshot(fresh, "kind=header version=99"), SnapshotError);
  Projector other(experiment_with(two_seat_game()));
  std::string renamed = text;
  renamed.replace(renamed.find("experiment_id=test"), 18, "experiment_id=else");
  CHECK_THROWS_WITH(restore_snapshot(other, renamed), "snapshot of another experiment");
  Projector garbage(h.state().experiment);
  CHECK_THROWS_AS(restore_snapshot(garbage, "kind=subject id=x state=banana"), SnapshotError);
  Projector headless(h.state().experiment);
  CHECK_THROWS_WITH(restore_snapshot(headless, ""), "snapshot without a header");
}
