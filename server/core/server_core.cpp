#include "server/core/server_core.h"

#include <boost/asio/post.hpp>

#include <filesystem>
#include <future>
#include <random>

#include "engine/decider/config_change.h"
#include "engine/vocabulary/experiment_json.h"
#include "history/trusted_snapshot.h"
#include "server/core/delivery.h"
#include "server/json_log.h"
#include "store/log_reader.h"
#include "store/recorded_experiment.h"
#include "store/store_error.h"

namespace cohort {
namespace {

// The state where the last run left it: from the newest trusted snapshot and the records
// after it, else from the whole log, each read with the experiment of its time (the config's
// for a new log). `configured`: whether the log records the experiment in force as an event.
// The participant's data each subject has stored, from the log (none in a new one).
StoredDataBytes stored_data_bytes(const std::string& path) {
  StoredDataBytes out;
  std::error_code missing;
  auto size = std::filesystem::file_size(path, missing);
  if (missing || size == 0) return out;
  LogReader reader(path);
  for (auto& [subject, bytes] : reader.data_bytes_by_subject()) out.emplace(std::move(subject), bytes);
  return out;
}

Projector restore_state(const std::string& path, std::shared_ptr<const Experiment> experiment, Seq& snapshot_seq,
                        bool& configured) {
  snapshot_seq = 0;
  configured = false;
  std::error_code missing;
  auto size = std::filesystem::file_size(path, missing);
  if (missing || size == 0) return Projector(std::move(experiment));  // a new log
  LogReader reader(path);
  std::optional<RecordedExperiment> recorded;
  try {
    recorded = recorded_experiment(reader);
  } catch (const ConfigError& error) {
    throw ConfigError(path + ": the recorded " + error.what());
  }
  if (recorded) {
    experiment = recorded->experiment;
    configured = recorded->from_event;
  }
  Projector projector(std::move(experiment));
  snapshot_seq = restore_from_log(reader, projector, [](Seq seq, const std::string& why) {
    json_log::line("snapshot_ignored", {{"seq", std::to_string(seq)}, {"reason", why}});
  });
  return projector;
}

// The start's one line when the config's experiment does not fit what the log holds live.
std::string refusal(const std::vector<ConfigMisfit>& misfits) {
  static const char* const action[] = {"end such games", "take such waiters out of their waitroom",
                                       "move such subjects to the last scene"};
  const ConfigMisfit& first = misfits.front();
  std::string line = "the new config does not fit the log: " + first.what;
  if (misfits.size() > 1) line += " (and " + std::to_string(misfits.size() - 1) + " more)";
  return line + "; start with --accept-config-change to " + action[static_cast<int>(first.kind)];
}

std::int64_t random_nonce() {
  std::random_device device;
  return (static_cast<std::int64_t>(device()) << 31) ^ device();
}

}  // namespace

ServerCore::ServerCore(boost::asio::io_context& io, const Config& config,
                       std::function<void(const std::string&)> on_fatal)
    : dispatcher_(boost::asio::make_strand(io)),
      lock_(config.server.db),
      timer_(dispatcher_, [this] { pipeline_->submit(Command{0, "", kNoConn, std::nullopt, cmd::Timer{}}); }) {
  auto experiment = std::make_shared<const Experiment>(config.experiment);
  // Under the lock, read and check what the log holds before opening it for writing: a damaged,
  // foreign or newer file is refused with nothing written to it, so the evidence stays as it was.
  bool configured = false;
  Projector projector = restore_state(config.server.db, experiment, start_.snapshot_seq, configured);
  // The experiment in force is part of the history (DESIGN.md rule 10). One that changes must
  // fit what is live, or be told to end what does not, before anything is written.
  const std::string in_force = experiment_json(*projector.map.experiment);
  const std::string wanted = experiment_json(config.experiment);
  if (in_force != wanted && !config.accept_config_change) {
    auto misfits = config_misfits(projector.map, config.experiment);
    if (!misfits.empty()) throw ConfigMisfitError(refusal(misfits));
  }
  start_.violations_in_log = projector.audit.violation_count();
  // The routing as the log left it; from here on it follows the committed events.
  registry_.seed(projector.map);
  content_.seed(projector.map);
  writer_ = std::make_unique<LogWriter>(LogWriter::Options{
      config.server.db, config.server.durability, config.json, [this](const CommitStats& stats) {
        metrics_.committed(stats.records, std::chrono::duration<double>(stats.duration).count(), stats.ok);
      }});
  pipeline_ = std::make_unique<Pipeline>(
      Engine(std::move(projector)), *writer_, metrics_,
      Pipeline::Hooks{
          .deliver = [this](Committed&& committed) {
            boost::asio::post(dispatcher_, [this, committed = std::move(committed)] {
              deliver(registry_, content_, metrics_, committed);
            });
          },
          .arm_timer = [this](std::optional<Millis> at) { timer_.arm(at); },
          .fatal = std::move(on_fatal)},
      config.server.snapshot_every,
      Pipeline::Bounds{static_cast<std::size_t>(config.server.max_queued_commands), config.server.rejections_per_s,
                       config.server.max_data_bytes_per_subject},
      stored_data_bytes(config.server.db));

  // A log that does not record its experiment yet (a new one, or one written before the event
  // existed) first records the one its records were written under; then a changed one.
  if (!configured) pipeline_->submit(Command{0, "", kNoConn, std::nullopt, cmd::ConfigureExperiment{in_force}});
  if (in_force != wanted) pipeline_->submit(Command{0, "", kNoConn, std::nullopt, cmd::ConfigureExperiment{wanted}});
  pipeline_->submit(Command{0, "", kNoConn, std::nullopt, cmd::ServerStarted{random_nonce(), config.server.restart_grace_ms}});
  // Sockets are numbered by this run, so wait until the engine has decided the start.
  std::promise<std::int64_t> run;
  pipeline_->query([&run](const Engine& engine) { run.set_value(engine.state().server_starts); });
  start_.run = run.get_future().get();
  pipeline_->flush();
  if (std::string failure = writer_->failure(); !failure.empty()) throw StoreError(config.server.db + ": " + failure);
  start_.last_seq = writer_->last_committed();
}

ServerCore::~ServerCore() { stop(); }

void ServerCore::stop() {
  pipeline_->stop();
  timer_.cancel();
}

}  // namespace cohort
