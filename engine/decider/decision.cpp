#include "engine/decider/decision.h"

namespace cohort {

void Decision::emit(const std::string& subject, GameId game, int scene, EventBody body) {
  events_.push_back(Event{command_.at, subject, game, scene, std::move(body)});
  apply_(events_.back());
}

void Decision::notify(const std::string& subject, std::string_view event, JsonObject args) {
  notify_socket(kNoConn, subject, event, std::move(args), false);
}

void Decision::reply(std::string_view event, JsonObject args, bool close) {
  notify_socket(command_.conn, command_.subject, event, std::move(args), close);
}

void Decision::notify_socket(ConnId conn, const std::string& subject, std::string_view event, JsonObject args,
                             bool close) {
  emit(subject, kNoGame, kNoScene, ev::Notification{conn, std::string(event), args.text(), std::nullopt, close});
}

void Decision::ack(JsonObject args) {
  if (!command_.ack) return;
  emit(command_.subject, kNoGame, kNoScene, ev::Notification{command_.conn, "", args.text(), command_.ack, false});
}

void Decision::reject(std::string_view code, std::string message) {
  std::string event_name(command_name(command_.body));
  if (const auto* malformed = std::get_if<cmd::Malformed>(&command_.body)) event_name = malformed->event;
  emit(command_.subject, kNoGame, kNoScene, ev::CommandRejected{std::string(code), message});
  if (is_admin_command(command_.body)) return;  // no socket asked: the envelope's subject is its target
  auto error_args = [&] {
    JsonObject error;
    error.str("code", code).str("message", message);
    if (!event_name.empty()) error.str("event", event_name);
    return error;
  };
  reply("error", error_args());
  // mug's client shows a refused join only from `join_game_error` (its `message`), and listens
  // to no `error`: a refused join is told both ways, with the same stable code.
  if (event_name == cmd::JoinGame::name) reply("join_game_error", error_args());
  JsonObject status;
  status.str("status", "error").str("code", code).str("message", message);
  ack(std::move(status));
}

}  // namespace cohort
