// cohort-replay's subjects and metrics exports (issue 21 item 3) on a log written through the
// engine and the store: every way a subject's part can end gives its row its outcome, and
// metrics messages come out flattened.
#include <catch2/catch.hpp>

#include <map>

#include "history/log_experiment.h"
#include "replay-tool/study_exports.h"
#include "server/config.h"
#include "tests/support/engine_harness.h"
#include "tests/support/harness_log.h"
#include "tests/support/temp_dir.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

std::vector<std::string> csv_lines(const std::string& csv) {
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = csv.find("\r\n", start)) != std::string::npos; start = end + 2) {
    lines.push_back(csv.substr(start, end - start));
  }
  return lines;
}

// The rows of an export without quoted fields, by their first column.
std::map<std::string, std::vector<std::string>> rows_by_first_cell(const std::string& csv) {
  std::map<std::string, std::vector<std::string>> rows;
  auto lines = csv_lines(csv);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cells;
    std::size_t start = 0;
    for (std::size_t comma; (comma = lines[i].find(',', start)) != std::string::npos; start = comma + 1) {
      cells.push_back(lines[i].substr(start, comma - start));
    }
    cells.push_back(lines[i].substr(start));
    rows[cells[0]] = cells;
  }
  return rows;
}

constexpr Millis kStart = 1'700'000'000'000;

}  // namespace

TEST_CASE("subjects export: one row per subject ever registered, with how its part ended") {
  TempDir dir;
  Harness h(std::make_shared<Experiment>(demo_config().experiment));
  h.join("waiter");
  h.advance(120000);  // the demo's waitroom timeout
  h.join("quitter");
  h.send("quitter", cmd::LeaveGame{});
  h.join("lost");
  h.disconnect("lost");
  GameId played = h.start_game({"fin", "fin2"});
  h.send("fin", cmd::GameComplete{played, 1, 1});
  h.send("fin", cmd::AdvanceScene{});
  h.start_game({"leaver", "left_behind"});
  h.send("leaver", cmd::LeaveGame{});
  h.start_game({"dropper", "stayer"});
  h.disconnect("dropper");
  h.advance(5000);  // the reconnection grace
  GameId excluding = h.start_game({"cheater", "honest"});
  h.send("cheater", cmd::MidGameExclusion{excluding, "tab_hidden", 300});
  GameId lagging = h.start_game({"laggy", "laggy2"});
  h.send("laggy2", cmd::ReconnectionTimeout{lagging});
  h.start_game({"player", "player2"});
  h.connect("idler");
  REQUIRE(h.subject("fin").state == SubjectState::done);

  OpenedLog log = open_log(write_harness_log(dir, h));
  std::string csv = subjects_export(log, ExportFormat::csv);
  auto lines = csv_lines(csv);
  REQUIRE(lines.size() == 17);
  CHECK(lines[0] ==
        "subject_id,first_seen_at,last_seen_at,scene_id,scenes_reached,waitroom_joins,waited_ms,waitroom_timeouts,"
        "games_played,games_completed,outcome,excluded_reason,completion_code");
  // In order of registration; the waiter's wait is the whole timeout.
  CHECK(lines[1] == "waiter,1700000000000,1700000120000,cramped_room,consent;cramped_room,1,120000,1,0,0,"
                    "waitroom_timeout,,");
  auto rows = rows_by_first_cell(csv);
  std::string outcomes;  // in order of registration
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string subject = lines[i].substr(0, lines[i].find(','));
    outcomes += subject + "=" + rows[subject][10] + " ";
  }
  CHECK(outcomes ==
        "waiter=waitroom_timeout quitter=left_waitroom lost=disconnected fin=finished fin2=in_progress "
        "leaver=left_game left_behind=partner_left dropper=disconnected stayer=partner_disconnected "
        "cheater=excluded honest=partner_exclusion laggy=reconnection_timeout laggy2=reconnection_timeout "
        "player=in_progress player2=in_progress idler=in_progress ");
  CHECK(rows["cheater"][11] == "tab_hidden");
  CHECK(rows["honest"][11].empty());
  CHECK(rows["fin"][4] == "consent;cramped_room;end");  // reaching the last scene is the end of the study
  CHECK(rows["fin"][3] == "end");
  CHECK(rows["fin"][8] == "1");  // games_played
  CHECK(rows["fin"][9] == "1");  // games_completed
  CHECK(rows["leaver"][9] == "0");
  CHECK(rows["idler"][4] == "consent");
  CHECK(rows["idler"][5] == "0");
  CHECK(rows["quitter"][6] == "0");
  // The players of the game still running have played it, and completed none.
  CHECK(rows["player"][8] == "1");
  CHECK(rows["player"][9] == "0");
  CHECK(rows["dropper"][2] == std::to_string(kStart + 120000 + 3 * 3000 + 5000));  // the game's end

  std::string jsonl = subjects_export(log, ExportFormat::jsonl);
  CHECK(jsonl.find(R"({"subject_id":"cheater",)") != std::string::npos);
  CHECK(jsonl.find(R"("outcome":"excluded","excluded_reason":"tab_hidden","completion_code":null})") != std::string::npos);
  CHECK(jsonl.find(R"("outcome":"partner_exclusion","excluded_reason":null,"completion_code":null})") != std::string::npos);
}

TEST_CASE("subjects export on a log that is still being written: a waiter's wait so far is counted") {
  TempDir dir;
  Harness h(std::make_shared<Experiment>(demo_config().experiment));
  h.join("early");
  h.advance(1000);
  h.connect("late");  // the log's last event, 1 s after early began waiting
  OpenedLog log = open_log(write_harness_log(dir, h));
  auto rows = rows_by_first_cell(subjects_export(log, ExportFormat::csv));
  CHECK(rows["early"][6] == "1000");
  CHECK(rows["early"][10] == "in_progress");
  CHECK(rows["late"][1] == std::to_string(kStart + 1000));
}

TEST_CASE("metrics export: one row per message, nested keys dotted, arrays as JSON, numbers as sent") {
  TempDir dir;
  Harness h(std::make_shared<Experiment>(demo_config().experiment));
  GameId game = h.start_game({"ana", "ben"});
  h.send("ana", cmd::EmitMetrics{game, R"({"step":1,"score":{"me":2.5,"you":-1},"moves":[1,"a,b"],"note":"=x","ok":true})"});
  h.send("ben", cmd::EmitMetrics{game, R"({"step":2,"extra":null,"score":{"me":1e300}})"});
  OpenedLog log = open_log(write_harness_log(dir, h));
  auto lines = csv_lines(metrics_export(log, ExportFormat::csv));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "seq,at,subject_id,game_id,scene_id,metrics.step,metrics.score.me,metrics.score.you,"
                    "metrics.moves,metrics.note,metrics.ok,metrics.extra");
  // The seq is the record's: after the commands that started the game.
  CHECK(lines[1].substr(lines[1].find(',')) ==
        ",1700000003000,ana,1,cramped_room,1,2.5,-1,\"[1,\"\"a,b\"\"]\",'=x,true,");
  CHECK(lines[2].substr(lines[2].find(',')) == ",1700000003000,ben,1,cramped_room,2,1e300,,,,,");
  std::string jsonl = metrics_export(log, ExportFormat::jsonl);
  CHECK(jsonl.find(R"("subject_id":"ana","game_id":1,"scene_id":"cramped_room","metrics.step":1,)"
                   R"("metrics.score.me":2.5,"metrics.score.you":-1,"metrics.moves":[1,"a,b"],"metrics.note":"=x",)"
                   R"("metrics.ok":true,"metrics.extra":null})") != std::string::npos);
}
