// The researcher's controls over HTTP (server/http/admin_actions.h): what each POST body becomes
// as a command for the engine, what is refused before the engine, and how the engine's decision,
// once committed, is answered.
#include <catch2/catch.hpp>

#include "server/http/admin_actions.h"

using namespace cohort;

namespace {

Command action_command(std::string_view action, std::string_view body) {
  auto parsed = admin_action_command("/admin/actions/" + std::string(action), body, "203.0.113.7");
  REQUIRE(std::holds_alternative<ActionCommand>(parsed));
  return std::get<ActionCommand>(parsed).command;
}

ActionAnswer action_refusal(std::string_view path, std::string_view body) {
  auto parsed = admin_action_command(path, body, "203.0.113.7");
  REQUIRE(std::holds_alternative<ActionAnswer>(parsed));
  return std::get<ActionAnswer>(parsed);
}

Event rejection_event(std::string code) { return Event{0, "", kNoGame, kNoScene, ev::CommandRejected{std::move(code), "why"}}; }

}  // namespace

TEST_CASE("admin actions: each body becomes its command, from no socket, by the admin, from the request's address",
          "[admin]") {
  Command end = action_command("end-game", R"({"game_id":12})");
  CHECK(end.conn == kNoConn);
  CHECK(end.body == CommandBody{cmd::AdminEndGame{12, "admin", "203.0.113.7"}});
  Command exclude = action_command("exclude-subject", R"({"subject_id":"p-7","message":"Thanks, that is all."})");
  CHECK(exclude.subject == "p-7");
  CHECK(exclude.body == CommandBody{cmd::AdminExcludeSubject{"Thanks, that is all.", "admin", "203.0.113.7"}});
  CHECK(std::get<cmd::AdminExcludeSubject>(action_command("exclude-subject", R"({"subject_id":"p-7"})").body).message.empty());
  CHECK(action_command("close-waitroom", R"({"scene_id":"lobby"})").body ==
        CommandBody{cmd::AdminCloseWaitroom{"lobby", "admin", "203.0.113.7"}});
  CHECK(action_command("open-waitroom", R"({"scene_id":"lobby"})").body ==
        CommandBody{cmd::AdminOpenWaitroom{"lobby", "admin", "203.0.113.7"}});
  CHECK(action_command("max-participants", R"({"max_participants":200})").body ==
        CommandBody{cmd::AdminSetMaxParticipants{200, "admin", "203.0.113.7"}});
  CHECK(action_command("max-participants", R"({"max_participants":null})").body ==
        CommandBody{cmd::AdminSetMaxParticipants{std::nullopt, "admin", "203.0.113.7"}});
}

TEST_CASE("admin actions: bad input is refused before the engine, with a stable code", "[admin]") {
  auto refused = [](std::string_view action, std::string_view body) {
    return action_refusal("/admin/actions/" + std::string(action), body);
  };
  CHECK(action_refusal("/admin/actions/reboot", "{}").status == 404);
  CHECK(action_refusal("/admin/actions/reboot", "{}").code == "unknown_action");
  CHECK(refused("end-game", std::string(kMaxActionBodyBytes + 1, ' ')).status == 413);
  for (std::string_view body : {"", "not json", "[1]", R"({"game_id":"12"})", R"({"game_id":0})", R"({"game_id":1.5})",
                                R"({"game_id":-3})", "{}"}) {
    CAPTURE(body);
    ActionAnswer answer = refused("end-game", body);
    CHECK(answer.status == 400);
    CHECK(answer.code == "bad_request");
  }
  CHECK(refused("exclude-subject", R"({"subject_id":""})").status == 400);
  CHECK(refused("exclude-subject", R"({"subject_id":"a\nb"})").status == 400);
  CHECK(refused("exclude-subject", R"({"subject_id":"a\u009bb"})").status == 400);  // a C1 control character
  CHECK(refused("exclude-subject", R"({"subject_id":")" + std::string(257, 'x') + R"("})").status == 400);
  CHECK(refused("exclude-subject", R"({"subject_id":"p","message":7})").status == 400);
  CHECK(refused("exclude-subject", "{\"subject_id\":\"\xff\"}").status == 400);  // not UTF-8
  CHECK(refused("close-waitroom", R"({"scene":"lobby"})").status == 400);
  // A body that forgot the cap must not lift it.
  CHECK(refused("max-participants", "{}").status == 400);
  CHECK(refused("max-participants", R"({"max_participants":"10"})").status == 400);
  // Nesting costs no stack.
  CHECK(refused("end-game", std::string(4000, '[') + std::string(4000, ']')).status == 400);
}

TEST_CASE("admin actions: the engine's decision, once committed, is the answer", "[admin]") {
  CommandOutcome accepted{true, 41, {Event{0, "", 3, 1, ev::WaitroomClosed{"admin"}}}, ""};
  ActionAnswer ok = admin_action_answer(accepted);
  CHECK(ok.status == 200);
  CHECK(ok.body == R"({"ok":true,"seq":41,"events":["waitroom_closed"]})");
  auto refusal = [](std::string code) {
    return admin_action_answer(CommandOutcome{true, 42, {rejection_event(std::move(code))}, ""});
  };
  CHECK(refusal("unknown_game").status == 404);
  CHECK(refusal("unknown_subject").status == 404);
  CHECK(refusal("unknown_scene").status == 404);
  CHECK(refusal("bad_payload").status == 400);
  CHECK(refusal("invalid_state").status == 409);
  CHECK(refusal("invalid_state").body == R"({"code":"invalid_state","message":"why"})");
  ActionAnswer failed = admin_action_answer(CommandOutcome{false, 0, {}, "disk I/O error"});
  CHECK(failed.status == 503);
  CHECK(failed.code == "unavailable");
}
