// The pieces of cohort-replay's state and export on a log written through the engine and the
// store, as the server writes one.
#include <catch2/catch.hpp>

#include "engine/vocabulary/payload_json.h"
#include "engine/vocabulary/record_codec.h"
#include "history/log_experiment.h"
#include "history/rebuild.h"
#include "history/trace.h"
#include "projections/state_json.h"
#include "replay-tool/audit_report.h"
#include "replay-tool/rerun.h"
#include "replay-tool/state_table.h"
#include "server/config.h"
#include "store/log_writer.h"
#include "store/store_error.h"
#include "tests/support/engine_harness.h"
#include "tests/support/harness_log.h"
#include "tests/support/temp_dir.h"

using namespace cohort;
using namespace cohort::testing;

TEST_CASE("a log opens with the experiment it records, and rebuilds to any position") {
  TempDir dir;
  Harness h(std::make_shared<Experiment>(demo_config().experiment));
  GameId game = h.start_game({"alice", "bob"});
  Seq while_playing = h.projections().last_seq;
  h.send("alice", cmd::LeaveGame{});
  std::string path = write_harness_log(dir, h);

  OpenedLog opened = open_log(path);
  CHECK(opened.experiment->experiment_id == "cohort-demo");
  Projector at_end(opened.experiment);
  rebuild(*opened.reader, at_end);
  // (The experiments are equal but separately loaded, so compare what the map holds.)
  CHECK(at_end.map.subjects == h.state().subjects);
  CHECK(at_end.map.games == h.state().games);
  CHECK(at_end.map.deadlines == h.state().deadlines);
  CHECK(state_json(at_end.map, 0) == state_json(h.state(), 0));
  Projector midway(opened.experiment);
  rebuild(*opened.reader, midway, 1, while_playing);
  REQUIRE(midway.map.game(game));
  CHECK(midway.map.game(game)->status == GameStatus::playing);
  CHECK_THAT(state_table(midway.map, while_playing),
             Catch::Contains("  1  cramped_room  playing  0=alice 1=bob\n") &&
                 Catch::Contains("subjects not idle (2 of 2):\n  alice  in_game  cramped_room  game 1\n"));
  CHECK(state_table(at_end.map, at_end.last_seq).find("games (0 live)") != std::string::npos);
}

TEST_CASE("a log without a recorded config cannot be opened for replay") {
  TempDir dir;
  std::string path = dir.file("bare.db");
  { LogWriter writer({path, Durability::normal, "", nullptr}); }
  CHECK_THROWS_WITH(open_log(path), Catch::Contains("records no experiment config"));
  CHECK_THROWS_AS(open_log(dir.file("absent.db")), StoreError);
}

TEST_CASE("a log whose recorded config nests 200,000 levels is refused with the limit, not parsed") {
  TempDir dir;
  std::string path = dir.file("deep.db");
  { LogWriter writer({path, Durability::normal, std::string(200'000, '[') + std::string(200'000, ']'), nullptr}); }
  CHECK_THROWS_WITH(open_log(path), path + ": the recorded config: nested deeper than 64 levels");
}

TEST_CASE("UTC times for --at") {
  CHECK(parse_utc_time("2026-11-22T14:05:00Z") == 1795356300000);
  CHECK(parse_utc_time("2026-11-22T14:05:00.25Z") == 1795356300250);
  CHECK(parse_utc_time("2026-11-22T14:05:00") == 1795356300000);
  CHECK_FALSE(parse_utc_time("yesterday"));
  CHECK_FALSE(parse_utc_time("2026-11-22 14:05"));
  CHECK(format_utc_time(1795356300250) == "2026-11-22T14:05:00.250Z");
}

TEST_CASE("trace of a subject: its own records and its games' events, nobody else's") {
  TempDir dir;
  Harness h(std::make_shared<Experiment>(demo_config().experiment));
  h.start_game({"alice", "bob"});
  h.start_game({"carol", "dave"});
  h.send("bob", cmd::LeaveGame{});
  std::string path = write_harness_log(dir, h);
  OpenedLog opened = open_log(path);

  std::vector<std::string> types;
  Seq previous = 0;
  trace(*opened.reader, TraceTarget{"alice", kNoGame}, [&](const RecordView& record) {
    CHECK((record.subject == "alice" || (record.subject.empty() && record.game == 1)));
    CHECK(record.seq > previous);
    previous = record.seq;
    types.emplace_back(record.type);
  });
  for (const char* expected : {"register_subject", "game_created", "game_started", "game_ended"}) {
    CHECK(std::find(types.begin(), types.end(), expected) != types.end());
  }
  std::size_t game_two = 0;
  trace(*opened.reader, TraceTarget{"", 2}, [&](const RecordView& record) {
    CHECK(record.game == 2);
    ++game_two;
  });
  CHECK(game_two >= 2);  // created and started
  RecordView sample{7, 1795356300250, RecordKind::event, "game_ended", 1, "", 3, 1, 5, "reason=normal"};
  CHECK(trace_line(sample) == "7  2026-11-22T14:05:00.250Z  event  game_ended  game=3  reason=normal");
  CHECK(trace_json(sample) ==
        R"({"seq":7,"at":1795356300250,"time":"2026-11-22T14:05:00.250Z","kind":"event","type":"game_ended","game":3,"causation":5,"payload":{"reason":"normal"}})");
}

TEST_CASE("trace: the researcher's commands with their actor, in the subject's, the game's and the admin trace") {
  TempDir dir;
  Harness h(std::make_shared<Experiment>(demo_config().experiment));
  GameId game = h.start_game({"alice", "bob"});
  h.join("carol");
  auto admin = [&](CommandBody body, const std::string& subject = "") {
    h.run(Command{0, subject, kNoConn, std::nullopt, std::move(body)});
  };
  admin(cmd::AdminEndGame{game, "admin", "192.0.2.7"});
  admin(cmd::AdminExcludeSubject{"Thank you.", "admin", "192.0.2.7"}, "carol");
  admin(cmd::AdminCloseWaitroom{"cramped_room", "admin", ""});
  admin(cmd::AdminCloseWaitroom{"cramped_room", "admin", ""});  // refused: already closed
  h.send("alice", cmd::JoinGame{});  // refused waitroom_closed: not the researcher's, not in the admin trace
  admin(cmd::AdminSetMaxParticipants{std::nullopt, "admin", ""});
  std::string path = write_harness_log(dir, h);
  OpenedLog opened = open_log(path);

  auto lines_of = [&](const TraceTarget& target) {
    std::vector<std::string> lines;
    trace(*opened.reader, target, [&](const RecordView& record) { lines.push_back(trace_line(record)); });
    return lines;
  };
  auto has_line = [](const std::vector<std::string>& lines, const std::string& part) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) { return line.find(part) != std::string::npos; });
  };
  const auto carol = lines_of(TraceTarget{"carol", kNoGame});
  CHECK(has_line(carol, "command  admin_exclude_subject  subject=carol  conn=0 message=Thank%20you. actor=admin address=192.0.2.7"));
  CHECK(has_line(carol, "event  subject_excluded  subject=carol  message=Thank%20you. actor=admin"));
  const auto of_game = lines_of(TraceTarget{"", game});
  CHECK(has_line(of_game, "command  admin_end_game  game=1  conn=0 game_id=1 actor=admin address=192.0.2.7"));
  CHECK(has_line(of_game, "event  game_ended  game=1  reason=admin_ended"));

  std::vector<std::string> types;
  std::vector<std::string> commands;
  trace(*opened.reader, TraceTarget{"", kNoGame, true}, [&](const RecordView& record) {
    types.emplace_back(record.type);
    if (record.kind == RecordKind::command) commands.emplace_back(record.type);
  });
  CHECK(commands == std::vector<std::string>{"admin_end_game", "admin_exclude_subject", "admin_close_waitroom",
                                             "admin_close_waitroom", "admin_set_max_participants"});
  for (const char* expected : {"game_ended", "subject_excluded", "waitroom_closed", "command_rejected", "max_participants_set"}) {
    CHECK(std::find(types.begin(), types.end(), expected) != types.end());
  }
  CHECK(std::find(types.begin(), types.end(), "join_game") == types.end());
  Projector rebuilt(opened.experiment);
  rebuild(*opened.reader, rebuilt);
  CHECK_THAT(state_table(rebuilt.map, rebuilt.last_seq), Catch::Contains("  cramped_room: (empty)  [closed by the researcher]\n"));
}

TEST_CASE("trace --json payloads: typed fields, text unescaped, a notification's args as JSON") {
  Event told{1000, "fay", 3, 1,
             ev::Notification{6, "end_game", R"({"game_id":3,"reason":"partner_left","message":"Your partner left."})",
                              std::nullopt, false}};
  CHECK(payload_json(view_of(to_record(told))) ==
        R"({"conn":6,"event":"end_game","args":{"game_id":3,"reason":"partner_left","message":"Your partner left."},"close":false})");
  Command refused{1000, "fay", 6, 4, cmd::Malformed{"join_game", "bad_payload", "rtt_ms: must be a number, 100% sure"}};
  CHECK(payload_json(view_of(to_record(refused))) ==
        R"({"conn":6,"ack":4,"event":"join_game","code":"bad_payload","message":"rtt_ms: must be a number, 100% sure"})");
  // A type this build does not know (a newer Cohort's): its pairs as strings, unescaped.
  RecordView newer{9, 1000, RecordKind::event, "teleported", 1, "fay", 0, 0, 8, "to=the%20moon n=3"};
  CHECK(payload_json(newer) == R"({"to":"the moon","n":"3"})");
}

TEST_CASE("rerun: the same build decides the logged events; an engine that decided otherwise is named") {
  TempDir dir;
  Harness h(std::make_shared<Experiment>(demo_config().experiment));
  h.start_game({"alice", "bob"});
  h.send("alice", cmd::MidGameExclusion{1, "tab_hidden", 20});
  std::string path = write_harness_log(dir, h);
  OpenedLog opened = open_log(path);
  RerunResult same = rerun(*opened.reader, opened.experiment);
  CHECK_FALSE(same.first_difference);
  CHECK(same.commands == static_cast<Seq>(h.commands.size()));

  // A log whose events were decided by an engine with another countdown than the config says.
  std::string variant_path = dir.file("variant.db");
  {
    Experiment variant = demo_config().experiment;
    variant.scenes[1].countdown_ms = 0;
    LogWriter writer({variant_path, Durability::normal, demo_config().json, nullptr});
    Engine engine(std::make_shared<Experiment>(variant));
    for (const Command& command : h.commands) {
      AppendRequest request;
      request.command = to_record(command);
      for (const Event& event : engine.execute(command)) request.events.push_back(to_record(event));
      writer.append(std::move(request), nullptr);
    }
    writer.flush();
  }
  OpenedLog variant = open_log(variant_path);
  RerunResult differs = rerun(*variant.reader, variant.experiment);
  REQUIRE(differs.first_difference);
  CHECK_THAT(*differs.first_difference, Catch::Contains("logged game_created game=1") &&
                                            Catch::Contains("countdown_deadline=0, now game_created"));
}

TEST_CASE("audit finds the stale entry a faulty decider left, and rerun names the same command") {
  TempDir dir;
  Harness h(std::make_shared<Experiment>(demo_config().experiment));
  h.start_game({"alice", "bob"});
  h.disconnect("bob");
  h.join("carol");
  // The log as a decider with a routing bug would have written it: on bob's disconnect it
  // moves bob on to the next scene without ending his game.
  std::string path = dir.file("buggy.db");
  Seq buggy_seq = 0;
  {
    LogWriter writer({path, Durability::normal, demo_config().json, nullptr});
    auto experiment = std::make_shared<Experiment>(demo_config().experiment);
    Engine engine(experiment);
    Seq next_seq = 1;
    for (const Command& command : h.commands) {
      AppendRequest request;
      request.command = to_record(command);
      std::vector<Event> events = engine.execute(command);
      if (std::holds_alternative<cmd::Disconnect>(command.body) && command.subject == "bob") {
        const Subject& bob = h.subject("bob");
        events = {Event{command.at, "bob", kNoGame, kNoScene, ev::SubjectDisconnected{h.conn("bob")}},
                  Event{command.at, "bob", kNoGame, bob.scene + 1, ev::SubjectAdvanced{}}};
        buggy_seq = next_seq + 2;  // the command, then its two events
      }
      next_seq += 1 + static_cast<Seq>(events.size());
      for (const Event& event : events) request.events.push_back(to_record(event));
      writer.append(std::move(request), nullptr);
    }
    writer.flush();
  }
  OpenedLog opened = open_log(path);
  AuditReport report = audit_log(*opened.reader, opened.experiment);
  REQUIRE(report.violations >= 1);
  CHECK_THAT(report.text, Catch::StartsWith("violation at record " + std::to_string(buggy_seq) + ": invariant "));
  CHECK_THAT(report.text, Catch::Contains("subject bob is idle with game 1") &&
                              Catch::Contains("subject_advanced  subject=bob   <-- here") &&
                              Catch::Contains("earlier records about subject bob:"));
  RerunResult rerun_result = rerun(*opened.reader, opened.experiment);
  REQUIRE(rerun_result.first_difference);
  CHECK_THAT(*rerun_result.first_difference, Catch::StartsWith("record " + std::to_string(buggy_seq) + ": logged subject_advanced"));
}
