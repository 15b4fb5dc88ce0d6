#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <set>

#include "engine/vocabulary/record_codec.h"
#include "history/rebuild.h"
#include "history/trusted_snapshot.h"
#include "projections/snapshot.h"
#include "store/checksum.h"
#include "store/log_writer.h"
#include "tests/support/engine_harness.h"
#include "tests/support/temp_dir.h"

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

// The harness's commands through an engine into a log, as the server writes one, with a
// snapshot of the projections queued after each command whose index is in `snapshot_after`.
void write_log(const std::string& path, const Harness& h, const std::set<std::size_t>& snapshot_after) {
  LogWriter writer({path, Durability::normal, "", nullptr});
  Engine engine(h.state().experiment);
  for (std::size_t i = 0; i < h.commands.size(); ++i) {
    AppendRequest request;
    request.command = to_record(h.commands[i]);
    for (const Event& event : engine.execute(h.commands[i])) request.events.push_back(to_record(event));
    writer.append(std::move(request), nullptr);
    if (snapshot_after.count(i)) writer.save_snapshot({kSnapshotProjection, snapshot_of(engine.projections())}, nullptr);
  }
  writer.flush();
}

std::string stored_data(const std::string& path, Seq seq) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement query(db, "SELECT data FROM snapshots WHERE seq = ?");
  query.bind(1, static_cast<std::int64_t>(seq));
  REQUIRE(query.executeStep());
  return query.getColumn(0).getString();
}

// Replaces a snapshot's data; `reseal` recomputes its checksum, as a faulty writer would have.
void rewrite_snapshot(const std::string& path, Seq seq, const std::string& data, bool reseal) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE);
  SQLite::Statement update(db, reseal ? "UPDATE snapshots SET data = ?1, checksum = ?3 WHERE seq = ?2"
                                      : "UPDATE snapshots SET data = ?1 WHERE seq = ?2");
  update.bind(1, data.data(), static_cast<int>(data.size()));
  update.bind(2, static_cast<std::int64_t>(seq));
  if (reseal) update.bind(3, static_cast<std::int64_t>(snapshot_checksum(seq, kSnapshotProjection, data)));
  REQUIRE(update.exec() == 1);
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

TEST_CASE("an unreadable snapshot is refused; a readable one brings its own experiment", "[snapshot]") {
  Harness h = busy_study();
  std::string text = snapshot_of(h.projections());
  Projector fresh(h.state().experiment);
  CHECK_THROWS_AS(restore_snapshot(fresh, "kind=header version=99"), SnapshotError);
  // The experiment in force when it was taken, whatever the restoring projector was built on.
  Scene wider = two_seat_game();
  wider.human_seats = 3;
  Projector other(experiment_with(wider));
  restore_snapshot(other, text);
  CHECK(other.map == h.state());
  CHECK(*other.map.experiment == *h.state().experiment);
  std::string no_experiment = text;
  auto line = no_experiment.find("kind=experiment ");
  no_experiment.erase(line, no_experiment.find('\n', line) + 1 - line);
  Projector without(h.state().experiment);
  CHECK_THROWS_WITH(restore_snapshot(without, no_experiment), "snapshot without its experiment");
  std::string bad_experiment = text;
  bad_experiment.replace(bad_experiment.find("kind=experiment json="), 21, "kind=experiment json=x");
  Projector bad(h.state().experiment);
  CHECK_THROWS_WITH(restore_snapshot(bad, bad_experiment), Catch::StartsWith("snapshot's experiment: config: not valid JSON"));
  Projector garbage(h.state().experiment);
  CHECK_THROWS_AS(restore_snapshot(garbage, "kind=subject id=x state=banana"), SnapshotError);
  Projector headless(h.state().experiment);
  CHECK_THROWS_WITH(restore_snapshot(headless, ""), "snapshot without a header");
}

TEST_CASE("a snapshot's position is read from its header alone", "[snapshot]") {
  Harness h = busy_study();
  CHECK(snapshot_position(snapshot_of(h.projections())) == h.projections().last_seq);
  CHECK(snapshot_position("kind=header version=1 experiment_id=old last_seq=42 last_game_id=3 nonce=7\n") == 42);
  CHECK_THROWS_WITH(snapshot_position("kind=subject id=ana\nkind=header version=2"), "snapshot without a header");
  CHECK_THROWS_AS(snapshot_position("kind=header version=2 experiment_id=e"), SnapshotError);
  CHECK_THROWS_AS(snapshot_position(""), SnapshotError);
}

TEST_CASE("a snapshot is trusted when intact, at its row's position, within the log", "[snapshot]") {
  std::string data = "kind=header version=2 experiment_id=e last_seq=10 last_game_id=0 nonce=0\n";
  Snapshot snapshot{10, kSnapshotProjection, data, snapshot_checksum(10, kSnapshotProjection, data)};
  CHECK_FALSE(snapshot_fault(snapshot, 10));
  CHECK_FALSE(snapshot_fault(snapshot, 500));
  CHECK(snapshot_fault(snapshot, 9) == std::optional<std::string>("beyond the last record (9)"));
  Snapshot moved = snapshot;
  moved.seq = 12;  // the same data in another row
  CHECK(snapshot_fault(moved, 500) == std::optional<std::string>("checksum mismatch"));
  moved.stored_checksum = snapshot_checksum(12, kSnapshotProjection, data);
  CHECK(snapshot_fault(moved, 500) == std::optional<std::string>("its header holds record 10"));
}

TEST_CASE("a restart restores from the newest snapshot it can trust, else from the whole log", "[snapshot]") {
  Harness h = busy_study();
  testing::TempDir dir;
  const std::string path = dir.file("log.db");
  write_log(path, h, {h.commands.size() / 3, 2 * h.commands.size() / 3});
  Projector whole(h.state().experiment);
  Seq newer = 0, older = 0;
  {
    LogReader reader(path);
    rebuild(reader, whole);
    auto snapshots = reader.snapshots();
    REQUIRE(snapshots.size() == 2);
    newer = snapshots[0].seq;
    older = snapshots[1].seq;
  }
  std::vector<std::pair<Seq, std::string>> skipped;
  // Every way of restoring ends in the state the whole log gives.
  auto restore = [&] {
    LogReader reader(path);
    Projector projector(h.state().experiment);
    Seq from = restore_from_log(reader, projector, [&](Seq seq, const std::string& why) { skipped.emplace_back(seq, why); });
    CHECK(projector.map == whole.map);
    CHECK(projector.analytics == whole.analytics);
    CHECK(projector.audit.violations() == whole.audit.violations());
    CHECK(projector.last_seq == whole.last_seq);
    return from;
  };
  using Skipped = std::vector<std::pair<Seq, std::string>>;

  SECTION("both sound: the newest") {
    CHECK(restore() == newer);
    CHECK(skipped.empty());
  }
  SECTION("a flipped byte in the newest: the older one") {
    std::string data = stored_data(path, newer);
    data[data.size() / 2] = static_cast<char>(data[data.size() / 2] ^ 0x01);
    rewrite_snapshot(path, newer, data, false);
    CHECK(restore() == older);
    CHECK(skipped == Skipped{{newer, "checksum mismatch"}});
  }
  SECTION("the newest holds another record than its row, though intact: the older one") {
    rewrite_snapshot(path, newer, stored_data(path, older), true);
    CHECK(restore() == older);
    CHECK(skipped == Skipped{{newer, "its header holds record " + std::to_string(older)}});
  }
  SECTION("the newest intact but not restorable: the older one") {
    std::string data = stored_data(path, newer);
    data.replace(data.find("kind=experiment json="), 21, "kind=experiment json=x");
    rewrite_snapshot(path, newer, data, true);
    CHECK(restore() == older);
    CHECK(skipped == Skipped{{newer, "snapshot's experiment: config: not valid JSON at offset 0: Invalid value."}});
  }
  SECTION("neither to be trusted: the whole log") {
    rewrite_snapshot(path, newer, "damaged", false);
    rewrite_snapshot(path, older, "kind=header", true);
    CHECK(restore() == 0);
    REQUIRE(skipped.size() == 2);
    CHECK(skipped[0] == std::pair<Seq, std::string>{newer, "checksum mismatch"});
    CHECK(skipped[1].first == older);
    CHECK_THAT(skipped[1].second, Catch::StartsWith("unreadable snapshot header"));
  }
}

TEST_CASE("the dashboard's closed waitrooms and participant cap come back from the log and from a snapshot", "[snapshot]") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("ann");
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::AdminCloseWaitroom{"cramped_room", "admin", ""}});
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::AdminSetMaxParticipants{1, "admin", ""}});
  h.connect("ben");  // refused study_full
  REQUIRE(h.state().waitroom_closed(1));
  REQUIRE(h.state().max_participants == 1);
  testing::TempDir dir;
  const std::string path = dir.file("log.db");
  const std::size_t last = h.commands.size() - 1;

  bool snapshot = false;
  SECTION("the whole log") {
    write_log(path, h, {});
  }
  SECTION("a snapshot at the end") {
    write_log(path, h, {last});
    snapshot = true;
  }
  // A restart from it, with the config's experiment (no cap, every waitroom open), ends where
  // the dashboard left the study.
  LogReader reader(path);
  Projector projector(h.state().experiment);
  Seq from = restore_from_log(reader, projector, [](Seq, const std::string& why) { FAIL(why); });
  CHECK((from > 0) == snapshot);
  CHECK(projector.map == h.state());
  CHECK(projector.map.closed_waitrooms == std::set<int>{1});
  CHECK(projector.map.max_participants == 1);
  Engine restarted(std::move(projector));
  Command join_again{h.now(), "carl", 50, std::nullopt, cmd::RegisterSubject{std::nullopt, "hash"}};
  auto events = restarted.execute(join_again);
  REQUIRE(!events.empty());
  REQUIRE(std::holds_alternative<ev::CommandRejected>(events[0].body));
  CHECK(std::get<ev::CommandRejected>(events[0].body).code == "study_full");
}

TEST_CASE("a snapshot written before the dashboard's controls restores with open waitrooms and the experiment's cap",
          "[snapshot]") {
  auto capped = experiment_with(two_seat_game());
  capped->max_participants = 3;
  Harness h(capped);
  h.connect("ann");
  std::string text = snapshot_of(h.projections());
  const auto controls = text.find("kind=controls");
  REQUIRE(controls != std::string::npos);
  text.erase(controls, text.find('\n', controls) + 1 - controls);
  Projector restored(experiment_with(two_seat_game()));  // the restoring server's config: no cap
  restore_snapshot(restored, text);
  CHECK(restored.map.max_participants == 3);
  CHECK(restored.map.closed_waitrooms.empty());
  CHECK(restored.map == h.state());
}
