// The config is part of the history (DESIGN.md rule 10, issue 16 item 3): the experiment in force
// is an event, every reader reads each record with the experiment of its time, and a start whose
// scene list no longer fits what is live is refused, or, when told to go on, makes it fit.
#include <catch2/catch.hpp>

#include <future>

#include "engine/decider/config_change.h"
#include "engine/vocabulary/experiment_json.h"
#include "engine/vocabulary/record_codec.h"
#include "history/log_experiment.h"
#include "history/rebuild.h"
#include "history/timeline.h"
#include "history/trusted_snapshot.h"
#include "history/verify.h"
#include "projections/sessions_export.h"
#include "projections/snapshot.h"
#include "replay-tool/rerun.h"
#include "replay-tool/state_table.h"
#include "server/config.h"
#include "store/log_writer.h"
#include "tests/support/engine_harness.h"
#include "tests/support/live_core.h"
#include "tests/support/temp_dir.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

using Strings = std::vector<std::string>;

Command configure(const Experiment& experiment) {
  return Command{0, "", kNoConn, std::nullopt, cmd::ConfigureExperiment{experiment_json(experiment)}};
}

Command started(std::int64_t nonce) { return Command{0, "", kNoConn, std::nullopt, cmd::ServerStarted{nonce}}; }

// A: consent, cramped_room (2 seats, 3 s countdown), end.
std::shared_ptr<Experiment> config_a() { return experiment_with(two_seat_game()); }

// B: scene 1 renamed, its countdown 1 s, and a survey before the end.
std::shared_ptr<Experiment> config_b() {
  auto b = config_a();
  b->scenes[1].scene_id = "cramped_room_v2";
  b->scenes[1].countdown_ms = 1000;
  Scene survey;
  survey.scene_id = "survey";
  b->scenes.insert(b->scenes.begin() + 2, survey);
  return b;
}

// Every command of a harness, with the events a fresh engine decides for it, appended to a log
// whose meta.config is `meta_config`, as a server writes one.
std::string write_log(const TempDir& dir, const Harness& h, std::shared_ptr<const Experiment> initial,
                      const std::string& meta_config, std::size_t snapshot_after = SIZE_MAX) {
  std::string path = dir.file("history.db");
  LogWriter writer({path, Durability::normal, meta_config, nullptr});
  Engine engine(std::move(initial));
  for (std::size_t i = 0; i < h.commands.size(); ++i) {
    AppendRequest request;
    request.command = to_record(h.commands[i]);
    for (const Event& event : engine.execute(h.commands[i])) request.events.push_back(to_record(event));
    writer.append(std::move(request), nullptr);
    if (i == snapshot_after) writer.save_snapshot({kSnapshotProjection, snapshot_of(engine.projections())}, nullptr);
  }
  writer.flush();
  return path;
}

Projector state_at(OpenedLog& opened, Seq to) {
  Projector projector(opened.experiment);
  rebuild(*opened.reader, projector, 1, to);
  return projector;
}

}  // namespace

TEST_CASE("an experiment's canonical JSON reads back equal, whatever layout it was given in", "[config-history]") {
  Experiment terse = parse_config(R"({"experiment_id":"x","scenes":[{"scene_id":"c","type":"static"},
    {"scene_id":"g","type":"game","human_seats":2,"matchmaker":{"kind":"latency_fifo","max_rtt_ms":150}}]})")
                         .experiment;
  Experiment spelled_out = parse_config(R"({ "scenes" : [ {"type":"static", "scene_id":"c"},
      {"human_seats":2, "type":"game", "scene_id":"g", "bot_seats":0, "validation_timeout_ms":10000,
       "matchmaker":{"max_rtt_ms":150, "kind":"latency_fifo"}} ],
    "server": {"port": 9000, "admin_token": "a-secret-admin-token"}, "experiment_id": "x" })")
                               .experiment;
  CHECK(experiment_json(terse) == experiment_json(spelled_out));
  CHECK(parse_experiment(experiment_json(terse)) == terse);
  CHECK(experiment_json(spelled_out).find("admin") == std::string::npos);
  CHECK(experiment_json(spelled_out).find("9000") == std::string::npos);

  Experiment every_key = parse_config(R"({"experiment_id":"y","scenes":[{"scene_id":"g","type":"game",
    "human_seats":3,"bot_seats":1,"waitroom_timeout_ms":5,"countdown_ms":6,"p2p_validation":true,
    "validation_timeout_ms":7,"reconnection_timeout_ms":8,
    "matchmaker":{"kind":"group_reunion","fallback":"wait","group_wait_timeout_ms":9},
    "messages":{"partner_excluded":"a \"b\"","partner_disconnected":"ç","waitroom_timeout":"\n","validation_failed":"d"}}]})")
                           .experiment;
  CHECK(parse_experiment(experiment_json(every_key)) == every_key);
  CHECK(experiment_json(every_key) != experiment_json(terse));

  // What experiment_configured records is an experiment alone: no server section travels in one.
  CHECK_THROWS_WITH(parse_experiment(R"({"experiment_id":"x","server":{},"scenes":[{"scene_id":"a","type":"static"}]})"),
                    "config: server: unknown key");
  CHECK_THROWS_WITH(parse_experiment("{"), "config: not valid JSON at offset 1: Missing a name for object member.");
}

TEST_CASE("an experiment_configured that does not parse is a record this build cannot decode", "[config-history]") {
  Event event{1, "", kNoGame, kNoScene, ev::ExperimentConfigured{R"({"experiment_id":"x","scenes":[]})"}};
  Record record = to_record(event, 1);
  record.seq = 7;
  CHECK_THROWS_WITH(event_from_record(record),
                    "record 7: experiment_configured: config: scenes: must be a non-empty array");
  Event good{1, "", kNoGame, kNoScene, ev::ExperimentConfigured{experiment_json(*config_a())}};
  CHECK(event_from_record(to_record(good, 1)) == good);
}

TEST_CASE("each record is read with the experiment in force at it: state, export, timeline, rerun", "[config-history]") {
  auto a = config_a();
  auto b = config_b();
  Harness h(a);
  h.run(configure(*a));  // a new log's first records
  h.run(started(11));
  GameId under_a = h.start_game({"ann", "bob"});
  h.send("ann", cmd::LeaveGame{});
  Seq before_b = h.projections().last_seq;
  h.run(configure(*b));
  Seq after_b = h.projections().last_seq;
  CHECK(*h.state().experiment == *b);
  CHECK(h.state().waitrooms.size() == 4);
  h.join("cat");
  h.join("dan");
  GameId under_b = h.subject("cat").game;
  const auto* created = h.find_event<ev::GameCreated>();
  REQUIRE(created);
  CHECK(created->countdown_deadline == h.now() + 1000);  // B's countdown
  h.advance(1000);
  CHECK(h.state().game(under_b)->status == GameStatus::playing);

  TempDir dir;
  // The server records the latest config in meta: it is not what the old records are read with.
  std::string path = write_log(dir, h, a, experiment_json(*b));
  OpenedLog opened = open_log(path);
  CHECK(*opened.experiment == *a);

  SECTION("state --at before and after the change") {
    Projector before = state_at(opened, before_b);
    CHECK(*before.map.experiment == *a);
    CHECK(state_table(before.map, before_b).find("waitrooms:\n  cramped_room: (empty)\n") != std::string::npos);
    Projector after = state_at(opened, after_b);
    CHECK(*after.map.experiment == *b);
    CHECK(state_table(after.map, after_b).find("waitrooms:\n  cramped_room_v2: (empty)\n") != std::string::npos);
    Projector at_end = state_at(opened, opened.reader->last_seq());
    CHECK(at_end.map == h.state());
  }
  SECTION("export: each game's rows name its scene as it was named at its match") {
    Projector whole(opened.experiment);
    rebuild(*opened.reader, whole);
    const auto& rows = whole.analytics.rows();
    CHECK(rows.at(under_a).front().scene_id == "cramped_room");
    CHECK(rows.at(under_b).front().scene_id == "cramped_room_v2");
    std::string csv = sessions_export(whole.analytics, ExportFormat::csv);
    CHECK(csv.find("\r\n" + std::to_string(under_a) + ",cramped_room,ann,") != std::string::npos);
    CHECK(csv.find("\r\n" + std::to_string(under_b) + ",cramped_room_v2,cat,") != std::string::npos);
  }
  SECTION("timeline: a game's title names its scene as it was then") {
    auto first = collect_timeline(*opened.reader, *opened.experiment, TraceTarget{"", under_a});
    auto second = collect_timeline(*opened.reader, *opened.experiment, TraceTarget{"", under_b});
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->title == "game " + std::to_string(under_a) + " · cramped_room");
    CHECK(second->title == "game " + std::to_string(under_b) + " · cramped_room_v2");
  }
  SECTION("rerun reproduces the experiment_configured events and every decision under each") {
    RerunResult result = rerun(*opened.reader, opened.experiment);
    CHECK_FALSE(result.first_difference);
    CHECK(result.commands == static_cast<Seq>(h.commands.size()));
    // The log starts with its experiment: what a reader starts from does not matter.
    CHECK_FALSE(rerun(*opened.reader, b).first_difference);
  }
  SECTION("verify reads it as sound") {
    CHECK_FALSE(verify_log(*opened.reader).first_fault);
  }
}

TEST_CASE("a log without experiment_configured is read with meta.config; one adopted later, with its first", "[config-history]") {
  auto a = config_a();
  auto b = config_b();
  TempDir dir;
  SECTION("written before the event existed: meta.config, the config of its last run") {
    Harness h(a);
    h.run(started(3));
    h.start_game({"ann", "bob"});
    std::string path = write_log(dir, h, a, experiment_json(*a));
    OpenedLog opened = open_log(path);
    CHECK(*opened.experiment == *a);
    CHECK_FALSE(rerun(*opened.reader, opened.experiment).first_difference);
  }
  SECTION("its first start by this build records the experiment it ran with, then the new one") {
    Harness h(a);
    h.run(started(3));
    GameId game = h.start_game({"ann", "bob"});
    h.run(configure(*a));  // what the server records first on such a log: the one in force
    h.run(configure(*b));
    h.run(started(4));
    // meta.config is B's now; the records before the first experiment_configured were A's.
    std::string path = write_log(dir, h, a, experiment_json(*b));
    OpenedLog opened = open_log(path);
    CHECK(*opened.experiment == *a);
    Projector whole(opened.experiment);
    rebuild(*opened.reader, whole);
    CHECK(whole.analytics.rows().at(game).front().scene_id == "cramped_room");
    CHECK(*whole.map.experiment == *b);
    CHECK_FALSE(rerun(*opened.reader, opened.experiment).first_difference);
  }
}

TEST_CASE("what does not fit a new scene list is named, games first", "[config-history]") {
  auto a = config_a();
  Harness h(a);
  h.run(configure(*a));
  h.run(started(5));
  GameId game = h.start_game({"ann", "bob"});
  h.join("cat");  // waits alone
  h.connect("eve");
  h.send("eve", cmd::AdvanceScene{});
  h.send("eve", cmd::AdvanceScene{});  // at the end: done
  REQUIRE(h.subject("eve").state == SubjectState::done);
  auto texts = [&](const Experiment& next) {
    Strings out;
    for (const ConfigMisfit& misfit : config_misfits(h.state(), next)) out.push_back(misfit.what);
    return out;
  };
  const std::string g = "game " + std::to_string(game);

  CHECK(texts(*config_b()).empty());  // renamed, retimed, a scene added: everything fits

  Experiment static_scene = *a;
  static_scene.scenes[1].is_game = false;
  CHECK(texts(static_scene) == Strings{g + " is live in scene 1 (cramped_room), which the config makes a static scene",
                                       "subject cat waits in scene 1 (cramped_room), which the config makes a static scene"});

  Experiment three_seats = *a;
  three_seats.scenes[1].human_seats = 3;
  CHECK(texts(three_seats) == Strings{g + " is live in scene 1 (cramped_room), which the config gives 3 human seats, not 2"});

  Experiment shorter = *a;
  shorter.scenes.pop_back();
  CHECK(texts(shorter) == Strings{"subject eve is at scene 2 (end), past the config's last scene (1, cramped_room)"});

  Experiment only_consent = *a;
  only_consent.scenes.resize(1);
  CHECK(texts(only_consent) ==
        Strings{g + " is live in scene 1 (cramped_room), which the config no longer has",
                "subject cat waits in scene 1 (cramped_room), which the config no longer has",
                "subject ann is at scene 1 (cramped_room), past the config's last scene (0, consent)",
                "subject bob is at scene 1 (cramped_room), past the config's last scene (0, consent)",
                "subject cat is at scene 1 (cramped_room), past the config's last scene (0, consent)",
                "subject eve is at scene 2 (end), past the config's last scene (0, consent)"});
}

TEST_CASE("configure_experiment ends unfit games config_changed, takes unfit waiters out, moves subjects past the end",
          "[config-history]") {
  auto a = config_a();
  Harness h(a);
  h.run(configure(*a));
  h.run(started(5));
  GameId game = h.start_game({"ann", "bob"});
  h.join("cat");
  h.connect("eve");
  h.send("eve", cmd::AdvanceScene{});
  h.send("eve", cmd::AdvanceScene{});
  // consent, then scene 1 made static and the last: the game, the waiter and eve do not fit.
  Experiment next = *a;
  next.scenes[1].is_game = false;
  next.scenes.pop_back();

  h.run(configure(next));
  CHECK(h.event_types() ==
        Strings{"game_ended", "waitroom_left", "subject_advanced", "subject_done", "experiment_configured"});
  const auto* ended = h.find_event<ev::GameEnded>();
  REQUIRE(ended);
  CHECK(ended->reason == "config_changed");
  // Both players are told, as for any partial end without an initiator.
  CHECK(h.messages_to("ann") == Strings{"p2p_game_ended", "end_game"});
  CHECK(h.messages_to("bob") == Strings{"p2p_game_ended", "end_game"});
  CHECK(h.message_args("ann", "end_game") == R"({"game_id":)" + std::to_string(game) + R"(,"reason":"config_changed"})");
  CHECK(h.find_event<ev::WaitroomLeft>()->reason == "config_changed");
  CHECK(h.messages_to("eve") == Strings{"activate_scene", "experiment_complete"});
  CHECK(h.message_args("eve", "activate_scene") == R"({"scene_id":"cramped_room","scene_index":1,"type":"static"})");

  CHECK(*h.state().experiment == parse_experiment(experiment_json(next)));  // a static scene keeps no game keys
  CHECK(h.state().games.empty());
  CHECK(h.state().waitrooms == std::vector<Strings>(2));
  CHECK(h.state().waiting_count == 0);
  CHECK(h.subject("ann").state == SubjectState::idle);
  CHECK(h.subject("cat").state == SubjectState::idle);
  CHECK(h.subject("eve").state == SubjectState::done);
  CHECK(h.subject("eve").scene == 1);
  CHECK(h.state().deadlines.empty());
  CHECK(h.projections().audit.violations().empty());
  CHECK(h.projections().analytics.rows().at(game).front().termination_reason == "config_changed");
  CHECK(h.projections().analytics.rows().at(game).front().is_partial());

  // Rebuilt from its events alone, and re-decided, it comes out the same.
  Projector rebuilt(a);
  Seq seq = 0;
  for (const Event& event : h.events) rebuilt.apply_event(++seq, 0, event);
  CHECK(rebuilt.map == h.state());
}

TEST_CASE("configure_experiment with JSON that does not parse is refused and changes nothing", "[config-history]") {
  auto a = config_a();
  Harness h(a);
  h.run(configure(*a));
  SessionMap before = h.state();
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::ConfigureExperiment{R"({"experiment_id":"x"})"}});
  const auto* rejected = h.find_event<ev::CommandRejected>();
  REQUIRE(rejected);
  CHECK(rejected->code == "bad_payload");
  CHECK(rejected->message == "config: scenes: is required");
  CHECK(h.state() == before);
}

namespace {

Config core_config(const TempDir& dir, std::shared_ptr<Experiment> experiment, int snapshot_every = 10000) {
  Config config;
  config.experiment = *experiment;
  config.json = experiment_json(*experiment);
  config.server.db = dir.file("core.db");
  config.server.durability = Durability::normal;
  config.server.snapshot_every = snapshot_every;
  return config;
}

SessionMap live_state(LiveCore& live) {
  std::promise<SessionMap> state;
  live.core().pipeline().query([&](const Engine& engine) { state.set_value(engine.state()); });
  return state.get_future().get();
}

std::vector<Record> records_of_type(const std::string& path, const std::string& type) {
  LogReader reader(path);
  std::vector<Record> out;
  reader.scan(1, [&](const RecordView& record, std::uint64_t) {
    if (record.kind == RecordKind::event && record.type == type) out.push_back(owned(record));
    return true;
  });
  return out;
}

void join_live(LiveCore& live, const std::string& subject) {
  auto socket = live.connect();
  live.register_subject(*socket, subject);
  live.send(*socket, cmd::AdvanceScene{});
  live.send(*socket, cmd::JoinGame{});
}

}  // namespace

TEST_CASE("the server records the experiment at a new log's start and when it changes, not otherwise", "[config-history][core]") {
  TempDir dir;
  Config config = core_config(dir, config_a());
  {
    LiveCore live(config);
    live.settle();
  }
  LogReader first(config.server.db);
  auto records = first.read(1, 4);
  REQUIRE(records.size() == 4);
  CHECK(records[0].type == "configure_experiment");
  CHECK(records[1].type == "experiment_configured");
  CHECK(records[0].payload == "conn=0 " + records[1].payload);
  CHECK(records[2].type == "server_started");

  // The same experiment in another layout: nothing new recorded.
  config.json = R"({"scenes": [{"type": "static", "scene_id": "consent"},
    {"scene_id": "cramped_room", "type": "game", "human_seats": 2, "waitroom_timeout_ms": 60000, "countdown_ms": 3000,
     "reconnection_timeout_ms": 5000, "matchmaker": {"kind": "fifo"}, "bot_seats": 0},
    {"scene_id": "end", "type": "static"}],
   "experiment_id": "test", "server": {"port": 1234}})";
  config.experiment = parse_config(config.json).experiment;
  REQUIRE(config.experiment == *config_a());
  {
    LiveCore live(config);
    live.settle();
  }
  CHECK(records_of_type(config.server.db, "experiment_configured").size() == 1);

  config = core_config(dir, config_b());
  {
    LiveCore live(config);
    live.settle();
    CHECK(*live_state(live).experiment == *config_b());
  }
  auto configured = records_of_type(config.server.db, "experiment_configured");
  REQUIRE(configured.size() == 2);
  CHECK(configured[1].payload.find("cramped_room_v2") != std::string::npos);
  // Recorded before the start it belongs to.
  auto starts = records_of_type(config.server.db, "server_started");
  REQUIRE(starts.size() == 3);
  CHECK(configured[1].seq < starts[2].seq);
  CHECK(configured[1].seq > starts[1].seq);
}

TEST_CASE("a snapshot taken under A, restored at a start under B, reads the records after it with A", "[config-history]") {
  auto a = config_a();
  Harness h(a);
  h.run(configure(*a));
  h.run(started(9));
  h.start_game({"ann", "bob"});
  std::size_t snapshot_after = h.commands.size() - 1;
  h.join("cat");
  h.join("dan");  // a game created after the snapshot, under A
  GameId later = h.subject("cat").game;
  TempDir dir;
  std::string path = write_log(dir, h, a, experiment_json(*config_b()), snapshot_after);
  LogReader reader(path);
  Projector whole(a);
  rebuild(reader, whole);
  // As a server started with B restores: its projector is built on B, the snapshot brings A.
  Projector restored(config_b());
  Seq from = restore_from_log(reader, restored, [](Seq, const std::string& why) { FAIL(why); });
  CHECK(from > 0);
  CHECK(restored.map == whole.map);
  CHECK(restored.analytics == whole.analytics);
  CHECK(*restored.map.experiment == *a);
  CHECK(restored.analytics.rows().at(later).front().scene_id == "cramped_room");
}

TEST_CASE("a server restarted under B on a log with snapshots under A has the state the whole log gives", "[config-history][core]") {
  TempDir dir;
  Config a = core_config(dir, config_a(), 10);
  {
    LiveCore live(a);
    join_live(live, "ann");
    join_live(live, "bob");
    join_live(live, "cat");
    live.settle();
  }
  REQUIRE_FALSE(LogReader(a.server.db).snapshots().empty());
  Config b = core_config(dir, config_b(), 10);
  LiveCore live(b);
  live.settle();
  CHECK(live.core().start_report().snapshot_seq > 0);
  SessionMap state = live_state(live);
  CHECK(*state.experiment == *config_b());
  CHECK(state == state_from_log(b.server.db, config_a()));
}

TEST_CASE("a start whose scene list does not fit what is live is refused, with nothing written", "[config-history][core]") {
  TempDir dir;
  Config a = core_config(dir, config_a());
  {
    LiveCore live(a);
    join_live(live, "ann");
    join_live(live, "bob");
    join_live(live, "cat");
    live.settle();
  }
  Seq last = LogReader(a.server.db).last_seq();
  auto refused = [&](const Experiment& next) {
    Config config = a;
    config.experiment = next;
    config.json = experiment_json(next);
    try {
      LiveCore live(config);
    } catch (const ConfigMisfitError& error) {
      return std::string(error.what());
    }
    return std::string("started");
  };
  Experiment static_scene = *config_a();
  static_scene.scenes[1].is_game = false;
  CHECK(refused(static_scene) ==
        "the new config does not fit the log: game 1 is live in scene 1 (cramped_room), which the config makes a "
        "static scene (and 1 more); start with --accept-config-change to end such games");
  Experiment shorter = *config_a();
  shorter.scenes.resize(1);
  CHECK(refused(shorter) ==
        "the new config does not fit the log: game 1 is live in scene 1 (cramped_room), which the config no longer "
        "has (and 4 more); start with --accept-config-change to end such games");
  CHECK(LogReader(a.server.db).last_seq() == last);

  SECTION("with --accept-config-change it starts, and what did not fit is gone") {
    Config config = a;
    config.experiment = static_scene;
    config.json = experiment_json(static_scene);
    config.accept_config_change = true;
    LiveCore live(config);
    live.settle();
    SessionMap state = live_state(live);
    CHECK(state.games.empty());
    CHECK(state.waiting_count == 0);
    CHECK(state.subject("cat")->state == SubjectState::idle);
    auto ends = records_of_type(a.server.db, "game_ended");
    REQUIRE(ends.size() == 1);
    CHECK(ends[0].payload == "reason=config_changed");
    auto left = records_of_type(a.server.db, "waitroom_left");
    REQUIRE_FALSE(left.empty());
    CHECK(left.back().payload == "reason=config_changed");
    CHECK(state == state_from_log(a.server.db, config_a()));
  }
}
