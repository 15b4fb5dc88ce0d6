#pragma once
// The benchmarks' study: waves of pairs of the demo experiment played through their whole life
// and ended by every reason in turn, recorded as commands with the events the engine decided.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/decider/engine.h"

namespace cohort::bench {

// Plays waves of pairs through their whole life, each wave ending its games by every reason
// in turn, and records the commands. The live engine's work per command is what is measured.
class Workload {
 public:
  explicit Workload(std::shared_ptr<Experiment> experiment);

  void play_wave(int pairs);
  // Plays waves of 500 pairs until the commands and events reach `records`.
  void play_until(std::size_t records);
  // Writes the commands and their events to a new log, as the server's store would.
  void write_log(const std::string& path, const std::string& config_json) const;

  std::vector<Command> commands;
  std::vector<std::vector<Event>> events;  // per command
  std::size_t records = 0;

 private:
  static int reason_of(int i) { return i % 7; }
  GameId game_of(const std::string& s);
  void send(const std::string& s, CommandBody body, std::optional<std::int64_t> ack = {});
  void timer(Millis ms);
  void run(Command command);

  Engine engine_;
  Millis now_ = 1'700'000'000'000;
  ConnId next_conn_ = 0;
  int next_pair_ = 0;
  std::map<std::string, ConnId> conn_;
};

}  // namespace cohort::bench
