#include "tests/bench/workload.h"

#include "engine/vocabulary/experiment_json.h"
#include "engine/vocabulary/record_codec.h"
#include "store/log_writer.h"

namespace cohort::bench {

// A log starts as the server starts a new one: recording its experiment, so that readers find
// it at the first record (recorded_experiment.h) instead of searching the whole log.
Workload::Workload(std::shared_ptr<Experiment> experiment) : engine_(experiment) {
  run(Command{now_, "", kNoConn, std::nullopt, cmd::ConfigureExperiment{experiment_json(*experiment)}});
}

void Workload::play_wave(int pairs) {
  std::vector<std::pair<std::string, std::string>> wave;
  for (int i = 0; i < pairs; ++i) {
    std::string tag = std::to_string(next_pair_++);
    wave.emplace_back("subj-" + tag + "-a", "subj-" + tag + "-b");
  }
  for (auto& [a, b] : wave) {
    for (const auto& s : {a, b}) {
      conn_[s] = ++next_conn_;
      send(s, cmd::RegisterSubject{std::nullopt, "tok-" + s});
      send(s, cmd::AdvanceScene{});
      send(s, cmd::Ping{40, true});
    }
  }
  for (auto& [a, b] : wave) {
    send(a, cmd::JoinGame{40});
    send(b, cmd::JoinGame{40});
  }
  int reason = 0;
  for (auto& [a, b] : wave) {  // validation failures happen before the start
    if (reason_of(reason++) == 5) send(a, cmd::ValidationFailed{game_of(a), "ice"});
  }
  timer(3000);
  reason = 0;
  for (auto& [a, b] : wave) {
    GameId game = game_of(a);
    int r = reason_of(reason++);
    if (r == 5) continue;
    send(a, cmd::GameComplete{game, 1, 3});
    send(b, cmd::GameComplete{game, 1, 3});
    send(a, cmd::EmitMetrics{game, R"({"score":12,"actions":340})"}, 1);
    switch (r) {
      case 0: send(b, cmd::GameComplete{game, 3, 3}); break;
      case 1: send(a, cmd::LeaveGame{}); break;
      case 2: send(b, cmd::Disconnect{}); break;
      case 3: send(a, cmd::ConnectionLost{game, 900}); break;
      case 4: send(b, cmd::MidGameExclusion{game, "sustained_ping", 700}); break;
      case 6: send(a, cmd::AdvanceScene{}); break;
    }
  }
  timer(5000);  // reconnection graces end
  for (auto& [a, b] : wave) {
    for (const auto& s : {a, b}) {
      if (engine_.state().subject(s)->connected) send(s, cmd::AdvanceScene{});
    }
  }
}

void Workload::play_until(std::size_t target) {
  while (records < target) play_wave(500);
}

void Workload::write_log(const std::string& path, const std::string& config_json) const {
  LogWriter writer({path, Durability::normal, config_json, nullptr});
  for (std::size_t i = 0; i < commands.size(); ++i) {
    AppendRequest request;
    request.command = to_record(commands[i]);
    for (const Event& event : events[i]) request.events.push_back(to_record(event));
    writer.append(std::move(request), nullptr);
  }
  writer.flush();
}

GameId Workload::game_of(const std::string& s) { return engine_.state().subject(s)->game; }

void Workload::send(const std::string& s, CommandBody body, std::optional<std::int64_t> ack) {
  run(Command{now_, s, conn_[s], ack, std::move(body)});
}

void Workload::timer(Millis ms) {
  now_ += ms;
  run(Command{now_, "", kNoConn, std::nullopt, cmd::Timer{}});
}

void Workload::run(Command command) {
  now_ += 1;
  command.at = now_;
  events.push_back(engine_.execute(command));
  records += 1 + events.back().size();
  commands.push_back(std::move(command));
}

}  // namespace cohort::bench
