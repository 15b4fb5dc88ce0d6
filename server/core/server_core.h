#pragma once
// The server's core, below its sockets: the log (read at start-up, then written by one
// writer), the engine thread, the registry and the deadline timer, wired so that every map
// they hold is a projection of the log (docs/server.md, "What the server holds in memory").
// The network sides (Socket.IO, HTTP) hold a ServerCore and only submit commands to it, query
// it, and register their sockets with it.
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "server/config.h"
#include "server/core/client_content.h"
#include "server/core/deadline_timer.h"
#include "server/core/metrics.h"
#include "server/core/pipeline.h"
#include "server/core/registry.h"
#include "store/log_lock.h"
#include "store/log_writer.h"

namespace cohort {

// The config's experiment does not fit the games, waiters or subjects the log holds live, and
// Config::accept_config_change is not set. Its text is the start's one line.
struct ConfigMisfitError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What the start found in the log.
struct StartReport {
  Seq last_seq = 0;           // after this start's own records
  Seq snapshot_seq = 0;       // the snapshot the state was restored from (0: none)
  std::size_t violations_in_log = 0;
  std::int64_t run = 0;       // this start's number on the log, from 1
};

class ServerCore {
 public:
  using Dispatcher = boost::asio::strand<boost::asio::io_context::executor_type>;
  // Connection ids of run r are r * kConnsPerRun + 1, + 2, ...: unique across runs, and the run
  // can be read off an id in the log.
  static constexpr ConnId kConnsPerRun = 1'000'000'000;

  // Reads the log (the newest sound snapshot, then every record after it, each with the
  // experiment of its time), opens it for writing, records the config's experiment when it is
  // not the one in force (`configure_experiment`; also the one in force when the log does not
  // record it yet) and this start (`server_started`), each decided by the engine, and returns
  // once that is committed. Deliveries and timers run on `io`, which need not run yet.
  // Throws StoreError (another server holds the log, or it cannot be used), DamagedLog,
  // CodecError, ConfigError (a recorded config it cannot read) or ConfigMisfitError; then
  // nothing has been written to it. `on_fatal` runs once, on the writer thread, if a commit fails.
  ServerCore(boost::asio::io_context& io, const Config& config, std::function<void(const std::string&)> on_fatal);
  ~ServerCore();
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  const StartReport& start_report() const { return start_; }
  // Any thread: an id for a new socket.
  ConnId new_conn() { return start_.run * kConnsPerRun + ++conns_opened_; }

  Pipeline& pipeline() { return *pipeline_; }
  Registry& registry() { return registry_; }
  Metrics& metrics() { return metrics_; }
  const DeadlineTimer& deadline_timer() const { return timer_; }
  const LogWriter& writer() const { return *writer_; }
  // Deliveries run here, in commit order; registry changes too.
  Dispatcher& dispatcher() { return dispatcher_; }

  // Decides and commits what is queued, then disarms the timer; later submits are dropped.
  void stop();

 private:
  Dispatcher dispatcher_;
  LogLock lock_;  // one writer per log, from before the first read until the writer has closed
  Metrics metrics_;
  Registry registry_;
  ClientContent content_;  // on the dispatcher only, like deliveries
  std::unique_ptr<LogWriter> writer_;
  DeadlineTimer timer_;
  std::unique_ptr<Pipeline> pipeline_;  // declared last: stopped before what it uses goes
  StartReport start_;
  std::atomic<ConnId> conns_opened_{0};
};

}  // namespace cohort
