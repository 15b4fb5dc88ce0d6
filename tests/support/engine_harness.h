#pragma once
// Drives an Engine the way the server does: sockets get conn ids, commands carry the time,
// and every command and event is kept so that tests can rebuild, re-decide and inspect.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/decider/engine.h"

namespace cohort::testing {

// A consent scene, one game scene (index 1) configured by the test, and an end scene.
std::shared_ptr<Experiment> experiment_with(const Scene& game_scene);
Scene two_seat_game();

class Harness {
 public:
  explicit Harness(std::shared_ptr<const Experiment> experiment);

  // Runs a command and returns its events (also kept in `last`).
  const std::vector<Event>& run(Command command);
  // A new socket registers the subject (first time: token "token-<id>"). The command carries
  // the tokens' hashes, as the server sends it.
  const std::vector<Event>& connect(const std::string& subject, std::optional<std::string> token = std::nullopt);
  const std::vector<Event>& send(const std::string& subject, CommandBody body, std::optional<std::int64_t> ack = {});
  const std::vector<Event>& disconnect(const std::string& subject);
  // Moves the clock and sends a timer command, as the server's timer would.
  const std::vector<Event>& advance(Millis ms);
  // Registers, advances to the game scene and joins.
  void join(const std::string& subject);
  // Two (or n) subjects matched into a started game; returns its id.
  GameId start_game(const std::vector<std::string>& subjects);

  const SessionMap& state() const { return engine_.state(); }
  const Projector& projections() const { return engine_.projections(); }
  const Subject& subject(const std::string& id) const { return state().subjects.at(id); }
  ConnId conn(const std::string& subject) const { return conns_.at(subject); }
  Millis now() const { return now_; }

  // Messages of the last command to a subject, by wire event name, in order.
  std::vector<std::string> messages_to(const std::string& subject) const;
  // The JSON argument of the first message `event` to `subject` in the last command ("" if none).
  std::string message_args(const std::string& subject, const std::string& event) const;
  std::vector<std::string> event_types() const;
  template <class Body>
  const Body* find_event() const {
    for (const Event& event : last) {
      if (const auto* body = std::get_if<Body>(&event.body)) return body;
    }
    return nullptr;
  }

  std::vector<Event> last;
  std::vector<Command> commands;
  std::vector<Event> events;

 private:
  Engine engine_;
  Millis now_ = 1'700'000'000'000;
  ConnId next_conn_ = 1;
  std::map<std::string, ConnId> conns_;
};

}  // namespace cohort::testing
