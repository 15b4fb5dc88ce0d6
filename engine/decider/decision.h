#pragma once
// The context of one decision: the state as it stands, the command, and the events so far.
#include <string>
#include <string_view>
#include <vector>

#include "engine/decider/decide.h"
#include "engine/vocabulary/json_text.h"

namespace cohort {

class Decision {
 public:
  Decision(const SessionMap& state, const Command& command, const ApplyEvent& apply)
      : state_(state), command_(command), apply_(apply) {
    events_.reserve(8);
  }

  const SessionMap& state() const { return state_; }
  const Command& command() const { return command_; }
  Millis at() const { return command_.at; }
  // The subject the command comes from, when the socket is bound to a known subject.
  const Subject* sender() const { return state_.subject(command_.subject); }

  void emit(const std::string& subject, GameId game, int scene, EventBody body);
  // A message to a subject's current socket, sent after the commit.
  void notify(const std::string& subject, std::string_view event, JsonObject args);
  // A message to the socket the command came from.
  void reply(std::string_view event, JsonObject args, bool close = false);
  void notify_socket(ConnId conn, const std::string& subject, std::string_view event, JsonObject args, bool close);
  // Answers the command's Socket.IO ack, if it asked for one.
  void ack(JsonObject args);
  // Refuses the command: journaled as rejected, an `error` (and an error ack) to its socket
  // (none for a researcher's command: no socket asked),
  // nothing else changes; a refused join_game also gets `join_game_error`, as mug's client
  // expects. Must come before any other event of the command.
  void reject(std::string_view code, std::string message);

  std::vector<Event> take() { return std::move(events_); }

 private:
  const SessionMap& state_;
  const Command& command_;
  const ApplyEvent& apply_;
  std::vector<Event> events_;
};

}  // namespace cohort
