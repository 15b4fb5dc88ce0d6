#include "tests/support/engine_harness.h"

#include "store/token_hash.h"

namespace cohort::testing {

Scene two_seat_game() {
  Scene scene;
  scene.scene_id = "cramped_room";
  scene.is_game = true;
  scene.human_seats = 2;
  scene.waitroom_timeout_ms = 60000;
  scene.countdown_ms = 3000;
  scene.reconnection_timeout_ms = 5000;
  return scene;
}

std::shared_ptr<Experiment> experiment_with(const Scene& game_scene) {
  auto experiment = std::make_shared<Experiment>();
  experiment->experiment_id = "test";
  Scene consent;
  consent.scene_id = "consent";
  Scene end;
  end.scene_id = "end";
  experiment->scenes = {consent, game_scene, end};
  return experiment;
}

Harness::Harness(std::shared_ptr<const Experiment> experiment) : engine_(std::move(experiment)) {}

const std::vector<Event>& Harness::run(Command command) {
  command.at = now_;
  commands.push_back(command);
  last = engine_.execute(command);
  events.insert(events.end(), last.begin(), last.end());
  return last;
}

const std::vector<Event>& Harness::connect(const std::string& subject, std::optional<std::string> token) {
  ConnId conn = next_conn_++;
  conns_[subject] = conn;
  // As the server's socket sends it: hashes only (server/core/resume_tokens.h).
  std::optional<std::string> presented;
  if (token) presented = token_hash(*token);
  return run(Command{0, subject, conn, std::nullopt, cmd::RegisterSubject{presented, token_hash("token-" + subject)}});
}

const std::vector<Event>& Harness::send(const std::string& subject, CommandBody body, std::optional<std::int64_t> ack) {
  auto it = conns_.find(subject);
  return run(Command{0, subject, it == conns_.end() ? 999999 : it->second, ack, std::move(body)});
}

const std::vector<Event>& Harness::disconnect(const std::string& subject) {
  return send(subject, cmd::Disconnect{});
}

const std::vector<Event>& Harness::advance(Millis ms) {
  now_ += ms;
  return run(Command{0, "", kNoConn, std::nullopt, cmd::Timer{}});
}

void Harness::join(const std::string& subject) {
  connect(subject);
  send(subject, cmd::AdvanceScene{});
  send(subject, cmd::JoinGame{});
}

GameId Harness::start_game(const std::vector<std::string>& subjects) {
  for (const auto& s : subjects) join(s);
  GameId game = state().subjects.at(subjects.front()).game;
  advance(state().scene(1).countdown_ms);
  return game;
}

std::vector<std::string> Harness::messages_to(const std::string& subject) const {
  std::vector<std::string> out;
  for (const Event& event : last) {
    const auto* note = std::get_if<ev::Notification>(&event.body);
    if (note && event.subject == subject) out.push_back(note->event.empty() ? "ack" : note->event);
  }
  return out;
}

std::string Harness::message_args(const std::string& subject, const std::string& name) const {
  for (const Event& event : last) {
    const auto* note = std::get_if<ev::Notification>(&event.body);
    if (note && event.subject == subject && (note->event == name || (name == "ack" && note->ack))) return note->args;
  }
  return "";
}

std::vector<std::string> Harness::event_types() const {
  std::vector<std::string> out;
  for (const Event& event : last) {
    if (!std::holds_alternative<ev::Notification>(event.body)) out.emplace_back(event_name(event.body));
  }
  return out;
}

}  // namespace cohort::testing
