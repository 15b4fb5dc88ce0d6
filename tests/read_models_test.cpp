// The JSON of /admin/state and the sessions export, on a small scripted study.
#include <catch2/catch.hpp>

#include "projections/sessions_export.h"
#include "projections/state_json.h"
#include "tests/support/engine_harness.h"

using namespace cohort;
using namespace cohort::testing;

TEST_CASE("state JSON lists subjects, live games and waitrooms; ended games are absent") {
  Harness h(experiment_with(two_seat_game()));
  h.start_game({"alice", "bob"});
  h.join("carol");
  h.connect("dave");
  CHECK(state_json(h.state(), 42) ==
        R"({"last_seq":42,"subjects":{"alice":{"state":"in_game","scene_id":"cramped_room","game_id":1},)"
        R"("bob":{"state":"in_game","scene_id":"cramped_room","game_id":1},)"
        R"("carol":{"state":"waiting","scene_id":"cramped_room"},"dave":{"state":"idle","scene_id":"consent"}},)"
        R"("games":{"1":{"scene_id":"cramped_room","status":"playing","players":{"0":"alice","1":"bob"}}},)"
        R"("waitrooms":{"cramped_room":["carol"]},"closed_waitrooms":[],"max_participants":null})");
  h.send("alice", cmd::LeaveGame{});
  CHECK(state_json(h.state(), 43).find("\"games\":{}") != std::string::npos);
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::AdminCloseWaitroom{"cramped_room", "admin", ""}});
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::AdminSetMaxParticipants{40, "admin", ""}});
  CHECK(state_json(h.state(), 45).ends_with(R"("closed_waitrooms":["cramped_room"],"max_participants":40})"));
}

TEST_CASE("sessions export: CSV per RFC 4180 and JSON lines, a running game flagged") {
  Harness h(experiment_with(two_seat_game()));
  GameId first = h.start_game({"alice", "bob,jr"});
  h.send("bob,jr", cmd::MidGameExclusion{first, "tab_hidden", 300});
  h.start_game({"carol", "dave"});
  std::string csv = sessions_export(h.projections().analytics, ExportFormat::csv);
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = csv.find("\r\n", start)) != std::string::npos; start = end + 2) {
    lines.push_back(csv.substr(start, end - start));
  }
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] ==
        "game_id,scene_id,subject_id,player_id,partner_subject_ids,matched_at,started_at,ended_at,duration_ms,"
        "waited_ms,is_partial,termination_reason,termination_frame,completed_episodes,excluded_reason,"
        "disconnected_player_id,pause_count,total_pause_ms,running,completion_code");
  CHECK(lines[1] == "1,cramped_room,alice,0,\"bob,jr\",1700000000000,1700000003000,1700000003000,0,0,true,"
                    "partner_exclusion,300,0,tab_hidden,,0,0,false,");
  CHECK(lines[2] == "1,cramped_room,\"bob,jr\",1,alice,1700000000000,1700000003000,1700000003000,0,0,true,"
                    "tab_hidden,300,0,tab_hidden,,0,0,false,");
  CHECK(lines[3] == "2,cramped_room,carol,0,dave,1700000003000,1700000006000,,,0,,,,0,,,0,0,true,");
  std::string jsonl = sessions_export(h.projections().analytics, ExportFormat::jsonl);
  CHECK(jsonl.find(R"("subject_id":"dave","player_id":1)") != std::string::npos);
  CHECK(jsonl.find(R"("is_partial":null,"termination_reason":null)") != std::string::npos);
  CHECK(jsonl.find(R"("running":true)") != std::string::npos);
}

TEST_CASE("sessions export: a CSV cell a spreadsheet would run starts with ', JSON lines unchanged") {
  Harness h(experiment_with(two_seat_game()));
  h.start_game({"=HYPERLINK(\"http://x\")", "+1"});
  h.start_game({"@SUM(A1)", "\tx"});
  h.start_game({"\rx", "-2"});
  std::string csv = sessions_export(h.projections().analytics, ExportFormat::csv);
  std::vector<std::string> lines;
  for (std::size_t start = 0, end; (end = csv.find("\r\n", start)) != std::string::npos; start = end + 2) {
    lines.push_back(csv.substr(start, end - start));
  }
  REQUIRE(lines.size() == 7);
  // Quoted as RFC 4180 requires once the ' is in front; the numbers (game, player, times) stay numbers.
  CHECK(lines[1] == "1,cramped_room,\"'=HYPERLINK(\"\"http://x\"\")\",0,'+1,"
                    "1700000000000,1700000003000,,,0,,,,0,,,0,0,true,");
  CHECK(lines[2] == "1,cramped_room,'+1,1,\"'=HYPERLINK(\"\"http://x\"\")\","
                    "1700000000000,1700000003000,,,0,,,,0,,,0,0,true,");
  CHECK(lines[3].rfind("2,cramped_room,'@SUM(A1),0,'\tx,", 0) == 0);
  CHECK(lines[4].rfind("2,cramped_room,'\tx,1,'@SUM(A1),", 0) == 0);
  CHECK(lines[5].rfind("3,cramped_room,\"'\rx\",0,'-2,", 0) == 0);
  CHECK(lines[6].rfind("3,cramped_room,'-2,1,\"'\rx\",", 0) == 0);
  std::string jsonl = sessions_export(h.projections().analytics, ExportFormat::jsonl);
  CHECK(jsonl.find(R"J("subject_id":"=HYPERLINK(\"http://x\")","player_id":0,"partner_subject_ids":"+1")J") !=
        std::string::npos);
  CHECK(jsonl.find(R"("subject_id":"\rx","player_id":0,"partner_subject_ids":"-2")") != std::string::npos);
}
