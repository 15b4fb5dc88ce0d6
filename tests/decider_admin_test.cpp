// The researcher's commands from the dashboard (docs/server.md "Control from the dashboard"):
// given a study in some state, when the admin ends a game, excludes a subject, closes or opens a
// waitroom or caps the participants, then these events and these messages to the participants.
#include <catch2/catch.hpp>

#include "engine/vocabulary/experiment_json.h"
#include "projections/sessions_export.h"
#include "projections/subjects_export.h"
#include "tests/support/engine_harness.h"

using namespace cohort;
using namespace cohort::testing;

namespace {

using Strings = std::vector<std::string>;

// As the dashboard's endpoints submit them: from no socket, the actor and address in the body.
const std::vector<Event>& admin(Harness& h, CommandBody body, const std::string& subject = "") {
  return h.run(Command{0, subject, kNoConn, std::nullopt, std::move(body)});
}

const ev::CommandRejected* admin_rejection(const Harness& h) { return h.find_event<ev::CommandRejected>(); }

// A refused admin command is journaled as rejected and tells nobody anything.
void expect_admin_refused(const Harness& h, const std::string& code) {
  INFO("expected " << code);
  REQUIRE(admin_rejection(h) != nullptr);
  CHECK(admin_rejection(h)->code == code);
  CHECK(h.event_types() == Strings{"command_rejected"});
  CHECK(h.last.size() == 1);  // no notification to anyone
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::shared_ptr<Experiment> with_admin_ending(bool finishes) {
  auto experiment = experiment_with(two_seat_game());
  CompletionEnding ending;
  ending.code = "ADMIN-CODE";
  ending.finishes = finishes;
  experiment->completion.endings["admin"] = ending;
  return experiment;
}

cmd::AdminEndGame end_game_by_admin(GameId game) { return cmd::AdminEndGame{game, "admin", "192.0.2.7"}; }
cmd::AdminExcludeSubject exclusion(const std::string& message) { return cmd::AdminExcludeSubject{message, "admin", "192.0.2.7"}; }

}  // namespace

TEST_CASE("admin: ending a game tells every player as a partial end, and leaves them free to play again") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  admin(h, end_game_by_admin(game));
  CHECK(h.event_types() == Strings{"game_ended"});
  CHECK(h.find_event<ev::GameEnded>()->reason == "admin_ended");
  CHECK(h.state().game(game) == nullptr);
  for (const char* player : {"alice", "bob"}) {
    INFO(player);
    CHECK(h.messages_to(player) == Strings{"p2p_game_ended", "end_game"});
    CHECK(h.message_args(player, "p2p_game_ended") == R"({"game_id":1,"reason":"admin_ended"})");
    CHECK(h.message_args(player, "end_game") == R"({"game_id":1,"reason":"admin_ended","message":"The researcher ended this game."})");
    CHECK(h.subject(player).state == SubjectState::idle);
    CHECK(h.subject(player).scene == 1);
  }
  h.send("alice", cmd::JoinGame{});  // free to play again
  CHECK(h.subject("alice").state == SubjectState::waiting);
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("admin: ending a game with a finishing `completion.admin` finishes every player's study with its code") {
  Harness h(with_admin_ending(true));
  GameId game = h.start_game({"alice", "bob"});
  h.disconnect("bob");  // paused for bob's grace: bob is told nothing, but finished all the same
  admin(h, end_game_by_admin(game));
  CHECK(h.event_types() == Strings{"game_ended", "subject_advanced", "subject_done", "subject_advanced", "subject_done"});
  CHECK(h.messages_to("alice") == Strings{"p2p_game_ended", "end_game", "activate_scene", "experiment_complete"});
  CHECK(contains(h.message_args("alice", "end_game"), R"("completion_code":"ADMIN-CODE")"));
  CHECK(h.message_args("alice", "experiment_complete") == R"({"completion_code":"ADMIN-CODE"})");
  CHECK(h.messages_to("bob").empty());
  for (const char* player : {"alice", "bob"}) {
    INFO(player);
    CHECK(h.subject(player).state == SubjectState::done);
    CHECK(h.subject(player).completion_code == "ADMIN-CODE");
  }
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("admin: a `completion.admin` that does not finish leaves the players idle, without its code") {
  Harness h(with_admin_ending(false));
  GameId game = h.start_game({"alice", "bob"});
  admin(h, end_game_by_admin(game));
  CHECK(h.event_types() == Strings{"game_ended"});
  CHECK_FALSE(contains(h.message_args("alice", "end_game"), "completion_code"));
  CHECK(h.subject("alice").state == SubjectState::idle);
}

TEST_CASE("admin: ending a game that ended, or never was, is refused unknown_game") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  admin(h, end_game_by_admin(game));
  admin(h, end_game_by_admin(game));
  expect_admin_refused(h, "unknown_game");
  admin(h, end_game_by_admin(77));
  expect_admin_refused(h, "unknown_game");
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("admin: a waiting subject excluded leaves its waitroom, is told the message and is done for good") {
  Harness h(experiment_with(two_seat_game()));
  h.join("wendy");
  admin(h, exclusion("Thank you, we have enough data."), "wendy");
  CHECK(h.event_types() == Strings{"subject_excluded", "waitroom_left", "subject_advanced", "subject_done"});
  const auto* excluded = h.find_event<ev::SubjectExcluded>();
  CHECK(excluded->message == "Thank you, we have enough data.");
  CHECK(excluded->actor == "admin");
  CHECK(h.find_event<ev::WaitroomLeft>()->reason == "excluded");
  CHECK(h.find_event<ev::SubjectDone>()->ending == "excluded");
  CHECK(h.messages_to("wendy") == Strings{"excluded", "activate_scene", "experiment_complete"});
  CHECK(h.message_args("wendy", "excluded") == R"({"message":"Thank you, we have enough data."})");
  CHECK(h.subject("wendy").state == SubjectState::done);
  CHECK(h.state().waitrooms[1].empty());

  h.send("wendy", cmd::JoinGame{});  // never joins again
  CHECK(h.find_event<ev::CommandRejected>()->code == "invalid_state");
  h.disconnect("wendy");
  h.connect("wendy");  // a later registration of the id finds it done
  CHECK(h.messages_to("wendy") == Strings{"registered", "experiment_complete"});
  CHECK(contains(h.message_args("wendy", "registered"), R"("state":"done")"));
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("admin: a playing subject excluded ends its game as an exclusion does; the partner plays on") {
  Harness h(experiment_with(two_seat_game()));
  GameId game = h.start_game({"alice", "bob"});
  admin(h, exclusion("You were excluded for inactivity."), "bob");
  CHECK(h.event_types() == Strings{"subject_excluded", "player_excluded", "game_ended", "subject_advanced", "subject_done"});
  const auto* excluded = h.find_event<ev::PlayerExcluded>();
  CHECK(excluded->player == 1);
  CHECK(excluded->reason == "admin");
  const auto* ended = h.find_event<ev::GameEnded>();
  CHECK(ended->reason == "partner_exclusion");
  CHECK(ended->excluded_player == 1);
  CHECK(h.messages_to("bob") == Strings{"excluded", "end_game", "activate_scene", "experiment_complete"});
  CHECK(h.message_args("bob", "end_game") ==
        R"({"game_id":1,"reason":"admin","message":"You were excluded for inactivity."})");
  CHECK(h.messages_to("alice") == Strings{"partner_excluded", "trigger_data_export", "end_game"});
  CHECK(h.subject("bob").state == SubjectState::done);
  CHECK(h.subject("alice").state == SubjectState::idle);
  CHECK(h.state().game(game) == nullptr);
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("admin: an exclusion gives the `completion.excluded` code, finishing or not, and the export says so") {
  auto experiment = experiment_with(two_seat_game());
  CompletionEnding ending;
  ending.code = "SCREENED";
  ending.finishes = GENERATE(false, true);
  experiment->completion.endings["excluded"] = ending;
  Harness h(experiment);
  h.start_game({"alice", "bob"});
  admin(h, exclusion("Bye."), "bob");
  CHECK(h.subject("bob").state == SubjectState::done);
  CHECK(h.subject("bob").completion_code == "SCREENED");
  CHECK(h.message_args("bob", "experiment_complete") == R"({"completion_code":"SCREENED"})");
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("admin: an idle or disconnected subject excluded is done; a done or unknown one is refused") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("ida");
  admin(h, exclusion(""), "ida");
  CHECK(h.event_types() == Strings{"subject_excluded", "subject_advanced", "subject_done"});
  // An empty message: the participant is told a default one, and the log holds what was told.
  CHECK(h.find_event<ev::SubjectExcluded>()->message == "The researcher has ended your participation in this study.");
  CHECK(h.message_args("ida", "excluded") == R"({"message":"The researcher has ended your participation in this study."})");

  h.connect("gone");
  h.disconnect("gone");
  admin(h, exclusion("Bye."), "gone");
  CHECK(h.event_types() == Strings{"subject_excluded", "subject_advanced", "subject_done"});
  CHECK(h.messages_to("gone").empty());
  CHECK(h.subject("gone").state == SubjectState::done);

  admin(h, exclusion("again"), "ida");
  expect_admin_refused(h, "invalid_state");
  admin(h, exclusion("who?"), "nobody");
  expect_admin_refused(h, "unknown_subject");
  CHECK(h.state().subject("nobody") == nullptr);
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("admin: an exclusion message too long, with control characters or not UTF-8 is refused bad_payload") {
  Harness h(experiment_with(two_seat_game()));
  h.join("wendy");
  for (const std::string& message : {std::string(1001, 'x'), std::string("line\nbreak"), std::string("bell\x07"), std::string("csi \xc2\x9b" "31m"),
                                     std::string("caf\xe9"), std::string("\xc0\xaf")}) {
    INFO(message);
    admin(h, exclusion(message), "wendy");
    expect_admin_refused(h, "bad_payload");
    CHECK(h.subject("wendy").state == SubjectState::waiting);
  }
  admin(h, exclusion(std::string(1000, 'x')), "wendy");
  CHECK(h.subject("wendy").state == SubjectState::done);
  admin(h, exclusion("Merci, ça suffit. 🙏"), "");
  expect_admin_refused(h, "unknown_subject");
}

TEST_CASE("admin: a closed waitroom refuses joins waitroom_closed; opened again, it takes them") {
  Harness h(experiment_with(two_seat_game()));
  admin(h, cmd::AdminCloseWaitroom{"cramped_room", "admin", "192.0.2.7"});
  CHECK(h.event_types() == Strings{"waitroom_closed"});
  CHECK(h.last[0].scene == 1);
  CHECK(h.state().waitroom_closed(1));

  h.join("alice");
  CHECK(h.find_event<ev::CommandRejected>()->code == "waitroom_closed");
  CHECK(h.messages_to("alice") == Strings{"error", "join_game_error"});
  CHECK(contains(h.message_args("alice", "join_game_error"), "closed the waiting room"));
  CHECK(h.subject("alice").state == SubjectState::idle);

  admin(h, cmd::AdminOpenWaitroom{"cramped_room", "admin", ""});
  CHECK(h.event_types() == Strings{"waitroom_opened"});
  CHECK_FALSE(h.state().waitroom_closed(1));
  h.send("alice", cmd::JoinGame{});
  CHECK(h.subject("alice").state == SubjectState::waiting);
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("admin: closing a closed waitroom, opening an open one, a static or unknown scene are refused") {
  Harness h(experiment_with(two_seat_game()));
  admin(h, cmd::AdminOpenWaitroom{"cramped_room", "admin", ""});
  expect_admin_refused(h, "invalid_state");
  admin(h, cmd::AdminCloseWaitroom{"cramped_room", "admin", ""});
  admin(h, cmd::AdminCloseWaitroom{"cramped_room", "admin", ""});
  expect_admin_refused(h, "invalid_state");
  admin(h, cmd::AdminCloseWaitroom{"consent", "admin", ""});
  expect_admin_refused(h, "invalid_state");
  admin(h, cmd::AdminCloseWaitroom{"no_such_scene", "admin", ""});
  expect_admin_refused(h, "unknown_scene");
  admin(h, cmd::AdminOpenWaitroom{"no_such_scene", "admin", ""});
  expect_admin_refused(h, "unknown_scene");
}

TEST_CASE("admin: who waits in a waitroom when it closes stays, and is still matched") {
  Harness h(experiment_with(two_seat_game()));
  h.join("wendy");
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::ServerStarted{4242, 15000}});  // wendy absent: not matchable
  h.join("newcomer");
  admin(h, cmd::AdminCloseWaitroom{"cramped_room", "admin", ""});
  CHECK(h.subject("newcomer").state == SubjectState::waiting);
  h.connect("wendy", "token-wendy");  // back: matched in the closed room
  CHECK(h.subject("wendy").state == SubjectState::in_game);
  CHECK(h.subject("newcomer").state == SubjectState::in_game);
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("admin: past `max_participants` a new subject is refused study_full; who registered before returns") {
  auto experiment = experiment_with(two_seat_game());
  experiment->max_participants = 2;
  Harness h(experiment);
  h.connect("ann");
  h.connect("ben");
  h.connect("cat");
  CHECK(h.event_types() == Strings{"command_rejected"});
  CHECK(h.find_event<ev::CommandRejected>()->code == "study_full");
  CHECK(h.messages_to("cat") == Strings{"error", "study_full"});
  CHECK(h.message_args("cat", "study_full") == R"({"message":"This study is full: it takes no more participants."})");
  CHECK(h.state().subject("cat") == nullptr);

  h.disconnect("ann");
  h.connect("ann", "token-ann");  // a returning subject is never refused by the cap
  CHECK(h.messages_to("ann").front() == "registered");
  CHECK(h.subject("ann").connected);
  CHECK(h.projections().audit.violations().empty());
}

TEST_CASE("admin: the dashboard sets, lowers and lifts the cap; a new experiment brings its own") {
  Harness h(experiment_with(two_seat_game()));
  h.connect("ann");
  admin(h, cmd::AdminSetMaxParticipants{1, "admin", ""});
  CHECK(h.event_types() == Strings{"max_participants_set"});
  CHECK(h.state().max_participants == 1);
  h.connect("ben");
  CHECK(h.find_event<ev::CommandRejected>()->code == "study_full");

  admin(h, cmd::AdminSetMaxParticipants{std::nullopt, "admin", ""});  // lifted
  CHECK(h.state().max_participants == std::nullopt);
  h.connect("ben");
  CHECK(h.subject("ben").connected);

  admin(h, cmd::AdminSetMaxParticipants{0, "admin", ""});
  expect_admin_refused(h, "bad_payload");
  admin(h, cmd::AdminSetMaxParticipants{kLargestParticipantCap + 1, "admin", ""});
  expect_admin_refused(h, "bad_payload");

  admin(h, cmd::AdminSetMaxParticipants{2, "admin", ""});
  Experiment next = *h.state().experiment;
  next.max_participants = 5;
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::ConfigureExperiment{experiment_json(next)}});
  CHECK(h.state().max_participants == 5);  // the new config's, not the dashboard's
  next.max_participants.reset();
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::ConfigureExperiment{experiment_json(next)}});
  CHECK(h.state().max_participants == std::nullopt);
}

TEST_CASE("admin: a new experiment keeps a closed waitroom closed while its scene stays the same game scene") {
  Harness h(experiment_with(two_seat_game()));
  admin(h, cmd::AdminCloseWaitroom{"cramped_room", "admin", ""});
  Experiment next = *h.state().experiment;
  next.scenes[1].countdown_ms = 1000;
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::ConfigureExperiment{experiment_json(next)}});
  CHECK(h.state().waitroom_closed(1));
  next.scenes[1].scene_id = "renamed_room";
  h.run(Command{0, "", kNoConn, std::nullopt, cmd::ConfigureExperiment{experiment_json(next)}});
  CHECK_FALSE(h.state().waitroom_closed(1));
}

TEST_CASE("admin: the exports say a subject's study ended excluded, with its code, and a game admin_ended") {
  auto experiment = experiment_with(two_seat_game());
  CompletionEnding ending;
  ending.code = "SCREENED";
  experiment->completion.endings["excluded"] = ending;
  Harness h(experiment);
  h.join("wendy");
  admin(h, exclusion("Bye."), "wendy");
  GameId game = h.start_game({"alice", "bob"});
  admin(h, end_game_by_admin(game));
  SubjectSummaries subjects(*experiment);
  for (const Event& event : h.events) subjects.apply(event);
  std::string csv = subjects_export(subjects, ExportFormat::csv);
  auto start = csv.find("\r\nwendy,");
  REQUIRE(start != std::string::npos);
  CHECK(csv.substr(start, csv.find("\r\n", start + 2) - start).ends_with(",excluded,,SCREENED"));
  const std::string sessions = sessions_export(h.projections().analytics, ExportFormat::jsonl);
  CHECK(contains(sessions, R"("termination_reason":"admin_ended")"));
  CHECK(contains(sessions, R"("is_partial":true)"));
}
