// Completion codes (docs/server.md, "Paying participants: completion codes"): each way a
// participant's part can end, with `finishes` true (the study is done, with its code) and false
// (today's behaviour, no code).
#include <catch2/catch.hpp>

#include "projections/sessions_export.h"
#include "projections/subjects_export.h"
#include "tests/support/engine_harness.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

using Strings = std::vector<std::string>;

CompletionEnding ending_with(const std::string& code, bool finishes, const std::string& url = "") {
  CompletionEnding ending;
  ending.code = code;
  ending.redirect_url = url;
  ending.finishes = finishes;
  return ending;
}

std::shared_ptr<Experiment> paid_study(const std::string& ending, bool finishes, Scene game = two_seat_game()) {
  auto experiment = experiment_with(game);
  experiment->completion.endings[ending] = ending_with("C-" + ending, finishes, "https://pay.example.org/?c=" + ending);
  experiment->completion.scene_field = "completion_code";
  return experiment;
}

// The subject's study was finished by `ending`: moved to the end scene and told so with the code.
void expect_finished_by(Harness& h, const std::string& subject, const std::string& ending) {
  INFO(subject << " finished by " << ending);
  CHECK(h.subject(subject).state == SubjectState::done);
  CHECK(h.subject(subject).scene == 2);
  CHECK(h.subject(subject).completion_code == "C-" + ending);
  const std::string code = R"("completion_code":"C-)" + ending + R"(","redirect_url":"https://pay.example.org/?c=)" + ending + R"(")";
  CHECK(h.message_args(subject, "activate_scene") == R"({"scene_id":"end","scene_index":2,"type":"static",)" + code + "}");
  CHECK(h.message_args(subject, "experiment_complete") == "{" + code + "}");
  bool recorded = false;
  for (const Event& event : h.last) {
    const auto* done = std::get_if<ev::SubjectDone>(&event.body);
    if (!done || event.subject != subject) continue;
    recorded = true;
    CHECK(done->ending == ending);
    CHECK(done->completion_code == "C-" + ending);
  }
  CHECK(recorded);
  CHECK(h.projections().audit.violations().empty());
}

void expect_not_finished(Harness& h, const std::string& subject) {
  INFO(subject);
  CHECK(h.subject(subject).state == SubjectState::idle);
  CHECK(h.subject(subject).scene == 1);
  CHECK(h.message_args(subject, "experiment_complete").empty());
  for (const std::string& event : h.messages_to(subject)) CHECK(h.message_args(subject, event).find("completion_code") == std::string::npos);
}

}  // namespace

TEST_CASE("completion: reaching the last scene gives the `finished` code, and a return gives it again") {
  Harness h(paid_study("finished", true));
  h.connect("ann");
  h.send("ann", cmd::AdvanceScene{});
  h.send("ann", cmd::AdvanceScene{});
  CHECK(h.messages_to("ann") == Strings{"activate_scene", "experiment_complete"});
  expect_finished_by(h, "ann", "finished");
  h.send("ann", cmd::RequestCurrentScene{});
  CHECK(h.message_args("ann", "activate_scene").find(R"("completion_code":"C-finished")") != std::string::npos);
  h.disconnect("ann");
  h.connect("ann", "token-ann");
  CHECK(h.messages_to("ann") == Strings{"registered", "experiment_complete"});
  CHECK(h.message_args("ann", "experiment_complete") ==
        R"({"completion_code":"C-finished","redirect_url":"https://pay.example.org/?c=finished"})");
}

TEST_CASE("completion: without a `completion` entry the last scene records and sends what it always did") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("ann");
  h.send("ann", cmd::AdvanceScene{});
  h.send("ann", cmd::AdvanceScene{});
  CHECK(h.message_args("ann", "experiment_complete") == "{}");
  CHECK(h.message_args("ann", "activate_scene") == R"({"scene_id":"end","scene_index":2,"type":"static"})");
  REQUIRE(h.find_event<ev::SubjectDone>());
  CHECK(*h.find_event<ev::SubjectDone>() == ev::SubjectDone{});
  CHECK_FALSE(h.subject("ann").completion_code);
}

TEST_CASE("completion: a waitroom timeout that finishes the study carries its code") {
  Harness h(paid_study("waitroom_timeout", true));
  h.join("ann");
  h.advance(60000);
  CHECK(h.messages_to("ann") == Strings{"waitroom_timeout", "activate_scene", "experiment_complete"});
  CHECK(h.message_args("ann", "waitroom_timeout") ==
        R"({"scene_id":"cramped_room","message":"No partner could be found in time.","completion_code":"C-waitroom_timeout","redirect_url":"https://pay.example.org/?c=waitroom_timeout"})");
  expect_finished_by(h, "ann", "waitroom_timeout");
  h.send("ann", cmd::JoinGame{});  // a done subject plays no more
  CHECK(h.messages_to("ann") == Strings{"error", "join_game_error"});
}

TEST_CASE("completion: a waitroom timeout that does not finish the study leaves the waiter idle, without a code") {
  Harness h(paid_study("waitroom_timeout", false));
  h.join("ann");
  h.advance(60000);
  CHECK(h.messages_to("ann") == Strings{"waitroom_timeout"});
  expect_not_finished(h, "ann");
}

TEST_CASE("completion: a partner who leaves finishes the study of whoever stays, not the leaver's") {
  Harness h(paid_study("partner_left", true));
  GameId game = h.start_game({"ann", "bob"});
  h.send("bob", cmd::LeaveGame{});
  CHECK(h.messages_to("ann") == Strings{"p2p_game_ended", "end_game", "activate_scene", "experiment_complete"});
  CHECK(h.message_args("ann", "end_game") ==
        R"({"game_id":)" + std::to_string(game) +
            R"(,"reason":"partner_left","completion_code":"C-partner_left","redirect_url":"https://pay.example.org/?c=partner_left"})");
  expect_finished_by(h, "ann", "partner_left");
  CHECK(h.subject("bob").state == SubjectState::idle);
  CHECK(h.subject("bob").scene == 1);
}

TEST_CASE("completion: a partner who leaves, with finishes false, returns the other to play again") {
  Harness h(paid_study("partner_left", false));
  h.start_game({"ann", "bob"});
  h.send("bob", cmd::LeaveGame{});
  CHECK(h.messages_to("ann") == Strings{"p2p_game_ended", "end_game"});
  expect_not_finished(h, "ann");
}

TEST_CASE("completion: a partner's reconnection timeout is `partner_left` for whoever stayed") {
  for (bool finishes : {true, false}) {
    DYNAMIC_SECTION("finishes " << finishes) {
      Harness h(paid_study("partner_left", finishes));
      h.start_game({"ann", "bob"});
      h.disconnect("bob");
      h.advance(5000);
      REQUIRE(h.find_event<ev::GameEnded>());
      CHECK(h.find_event<ev::GameEnded>()->reason == "partner_disconnected");
      if (finishes) {
        expect_finished_by(h, "ann", "partner_left");
      } else {
        expect_not_finished(h, "ann");
      }
      CHECK(h.subject("bob").state == SubjectState::idle);  // the one who went away is not finished
    }
  }
}

TEST_CASE("completion: an excluded player gets the `excluded` code; the partner's is `partner_left`") {
  for (bool finishes : {true, false}) {
    DYNAMIC_SECTION("finishes " << finishes) {
      Harness h(paid_study("excluded", finishes));
      GameId game = h.start_game({"ann", "bob"});
      h.send("bob", cmd::MidGameExclusion{game, "tab_hidden", 40});
      if (finishes) {
        CHECK(h.message_args("bob", "end_game").find(R"("reason":"tab_hidden","completion_code":"C-excluded")") !=
              std::string::npos);
        expect_finished_by(h, "bob", "excluded");
      } else {
        CHECK(h.subject("bob").state == SubjectState::idle);
        CHECK(h.message_args("bob", "end_game").find("completion_code") == std::string::npos);
      }
      expect_not_finished(h, "ann");  // partner_left is not configured here
    }
  }
}

TEST_CASE("completion: a validation failure finishes every player's study when configured") {
  Scene game_scene = two_seat_game();
  game_scene.p2p_validation = true;
  for (bool finishes : {true, false}) {
    DYNAMIC_SECTION("finishes " << finishes) {
      Harness h(paid_study("validation_failed", finishes, game_scene));
      GameId game = h.start_game({"ann", "bob"});
      h.send("ann", cmd::ValidationFailed{game, "ice_failed"});
      for (const char* player : {"ann", "bob"}) {
        if (finishes) {
          CHECK(h.messages_to(player) ==
                Strings{"p2p_validation_repool", "end_game", "activate_scene", "experiment_complete"});
          expect_finished_by(h, player, "validation_failed");
        } else {
          CHECK(h.messages_to(player) == Strings{"p2p_validation_repool", "end_game"});
          expect_not_finished(h, player);
        }
      }
    }
  }
}

TEST_CASE("completion: a normal end and a partner's advance finish nobody early") {
  auto experiment = paid_study("partner_left", true);
  experiment->completion.endings["excluded"] = ending_with("X", true);
  experiment->completion.endings["validation_failed"] = ending_with("V", true);
  Harness h(experiment);
  GameId game = h.start_game({"ann", "bob"});
  h.send("ann", cmd::GameComplete{game, 1, 1});
  CHECK(h.subject("ann").state == SubjectState::idle);
  CHECK(h.subject("bob").state == SubjectState::idle);
  game = h.start_game({"cy", "dee"});
  h.send("cy", cmd::AdvanceScene{});  // scene_completed for dee
  CHECK(h.subject("dee").state == SubjectState::idle);
  CHECK(h.subject("dee").scene == 1);
}

TEST_CASE("completion: the sessions export names the code each subject's study finished with") {
  Harness h(paid_study("partner_left", true));
  h.start_game({"ann", "bob"});
  h.send("bob", cmd::LeaveGame{});
  std::string csv = sessions_export(h.projections().analytics, ExportFormat::csv);
  CHECK(csv.find(",completion_code\r\n") != std::string::npos);
  CHECK(csv.find(",ann,0,bob,") != std::string::npos);
  const auto ann_row = csv.substr(csv.find(",ann,0,"));
  CHECK(ann_row.substr(0, ann_row.find("\r\n")).ends_with(",C-partner_left"));
  const auto bob_row = csv.substr(csv.find(",bob,1,"));
  CHECK(bob_row.substr(0, bob_row.find("\r\n")).ends_with(","));
  std::string jsonl = sessions_export(h.projections().analytics, ExportFormat::jsonl);
  CHECK(jsonl.find(R"("completion_code":"C-partner_left")") != std::string::npos);
}

TEST_CASE("completion: the subjects export says which ending finished a study, and its code") {
  auto experiment = paid_study("waitroom_timeout", true);
  experiment->completion.endings["finished"] = ending_with("DONE1", false);
  Harness h(experiment);
  h.join("waiter");
  h.advance(60000);
  h.connect("finisher");
  h.send("finisher", cmd::AdvanceScene{});
  h.send("finisher", cmd::AdvanceScene{});
  h.join("idle-one");
  h.send("idle-one", cmd::LeaveGame{});
  SubjectSummaries subjects(*experiment);
  for (const Event& event : h.events) subjects.apply(event);
  std::string csv = subjects_export(subjects, ExportFormat::csv);
  CHECK(csv.substr(0, csv.find("\r\n")).ends_with(",outcome,excluded_reason,completion_code"));
  const auto line_of = [&](const std::string& subject) {
    auto start = csv.find("\r\n" + subject + ",");
    REQUIRE(start != std::string::npos);
    return csv.substr(start + 2, csv.find("\r\n", start + 2) - start - 2);
  };
  CHECK(line_of("waiter").ends_with(",waitroom_timeout,,C-waitroom_timeout"));
  CHECK(line_of("finisher").ends_with(",finished,,DONE1"));
  CHECK(line_of("idle-one").ends_with(",left_waitroom,,"));
}
