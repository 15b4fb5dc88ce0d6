#include "server/core/server_core.h"

#include <boost/asio/post.hpp>

#include <filesystem>
#include <future>
#include <random>

#include "replay-tool/trusted_snapshot.h"
#include "server/core/delivery.h"
#include "server/json_log.h"
#include "store/log_reader.h"
#include "store/store_error.h"

namespace cohort {
namespace {

// The state where the last run left it: from the newest trusted snapshot and the records
// after it, else from the whole log.
Projector restore_state(const std::string& path, std::shared_ptr<const Experiment> experiment, Seq& snapshot_seq) {
  Projector projector(std::move(experiment));
  snapshot_seq = 0;
  std::error_code missing;
  auto size = std::filesystem::file_size(path, missing);
  if (missing || size == 0) return projector;  // a new log
  LogReader reader(path);
  snapshot_seq = restore_from_log(reader, projector, [](Seq seq, const std::string& why) {
    json_log::line("snapshot_ignored", {{"seq", std::to_string(seq)}, {"reason", why}});
  });
  return projector;
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
  Projector projector = restore_state(config.server.db, experiment, start_.snapshot_seq);
  start_.violations_in_log = projector.audit.violation_count();
  // The routing as the log left it; from here on it follows the committed events.
  registry_.seed(projector.map);
  writer_ = std::make_unique<LogWriter>(LogWriter::Options{
      config.server.db, config.server.durability, config.json, [this](const CommitStats& stats) {
        metrics_.committed(stats.records, std::chrono::duration<double>(stats.duration).count(), stats.ok);
      }});
  pipeline_ = std::make_unique<Pipeline>(
      Engine(std::move(projector)), *writer_, metrics_,
      Pipeline::Hooks{
          .deliver = [this](std::vector<Event>&& events) {
            boost::asio::post(dispatcher_, [this, events = std::move(events)] { deliver(registry_, events); });
          },
          .arm_timer = [this](std::optional<Millis> at) { timer_.arm(at); },
          .fatal = std::move(on_fatal)},
      config.server.snapshot_every,
      Pipeline::Bounds{static_cast<std::size_t>(config.server.max_queued_commands), config.server.rejections_per_s});

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
