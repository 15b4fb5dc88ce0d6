// cohort-server: the live server (PROTOCOL.md sections 1-5). See docs/server.md.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/system_timer.hpp>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <future>
#include <random>
#include <sys/resource.h>
#include <thread>

#include "replay-tool/trusted_snapshot.h"
#include "server/json_log.h"
#include "server/server_context.h"
#include "server/socketio_frame.h"
#include "store/log_lock.h"
#include "store/log_reader.h"
#include "store/store_error.h"

namespace net = boost::asio;
using namespace cohort;

namespace {

// One descriptor per participant: a stock shell's 1024 would cap a study near a thousand.
rlim_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

std::string random_token() {
  std::random_device device;
  char buffer[33];
  for (int i = 0; i < 4; ++i) std::snprintf(buffer + 8 * i, 9, "%08x", device());
  return buffer;
}

// Sends what committed events say, in commit order: the registry follows them, and each
// notification goes to its socket.
void deliver(ServerContext& context, const std::vector<Event>& events) {
  for (const Event& event : events) {
    context.registry.follow(event);
    const auto* note = std::get_if<ev::Notification>(&event.body);
    if (!note) continue;
    auto socket = note->conn != kNoConn ? context.registry.socket(note->conn) : context.registry.socket_of(event.subject);
    if (!socket) continue;  // not connected now; the state tells it again when it registers
    socket->send(note->ack ? sio::ack_frame(*note->ack, note->args) : sio::event_frame(note->event, note->args));
    if (note->close) socket->close_after_send();
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cohort-server: the Cohort session server"};
  std::string config_path, db_path, address = "0.0.0.0";
  int port = -1;
  app.add_option("--config", config_path, "experiment config (JSON); without it, the built-in demo");
  app.add_option("--db", db_path, "the SQLite log (default: the config's server.db, else ./cohort.db)");
  app.add_option("--port", port, "TCP port (default: the config's server.port, else 8080; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--address", address, "address to listen on");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    std::fprintf(stderr, "cohort-server: %s (see --help)\n", error.what());
    return 2;
  }

  Config config;
  try {
    config = config_path.empty() ? demo_config() : load_config_file(config_path);
  } catch (const ConfigError& error) {
    std::fprintf(stderr, "cohort-server: %s\n", error.what());
    return 2;
  }
  if (!db_path.empty()) config.server.db = db_path;
  if (port >= 0) config.server.port = port;
  std::string token = config.server.admin_token.empty() ? random_token() : config.server.admin_token;
  auto experiment = std::make_shared<const Experiment>(config.experiment);

  net::io_context io;
  auto context = std::make_shared<ServerContext>(io, config, token);
  std::optional<LogLock> log_lock;  // declared before the writer: released only after it closes
  std::unique_ptr<LogWriter> writer;
  Projector projector(experiment);
  Seq snapshot_seq = 0;
  try {
    // One writer per log, from before the first read: a second server would rebuild a state
    // the first one goes on changing, and commit at positions the first one takes.
    log_lock.emplace(config.server.db);
    // Read and check what the log holds before opening it for writing: a damaged, foreign or
    // newer file is refused with nothing written to it, so the evidence stays as it was.
    std::error_code missing;
    auto size = std::filesystem::file_size(config.server.db, missing);
    if (!missing && size > 0) {
      LogReader reader(config.server.db);
      // The state where the last run left it: from the newest trusted snapshot, else from the start.
      snapshot_seq = restore_from_log(reader, projector, [](Seq seq, const std::string& why) {
        json_log::line("snapshot_ignored", {{"seq", std::to_string(seq)}, {"reason", why}});
      });
    }
    writer = std::make_unique<LogWriter>(LogWriter::Options{
        config.server.db, config.server.durability, config.json, [context](const CommitStats& stats) {
          context->metrics.committed(stats.records, std::chrono::duration<double>(stats.duration).count(), stats.ok);
        }});
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cohort-server: %s\n", error.what());
    return 1;
  }
  context->writer = writer.get();
  std::size_t past_violations = projector.audit.violation_count();

  std::atomic<int> exit_code{0};
  net::system_timer deadline_timer(context->dispatcher);
  Pipeline pipeline(Engine(std::move(projector)), *writer, context->metrics,
                    Pipeline::Hooks{
                        .deliver = [context](std::vector<Event>&& events) {
                          net::post(context->dispatcher, [context, events = std::move(events)] { deliver(*context, events); });
                        },
                        .arm_timer = [context, &deadline_timer](std::optional<Millis> at) {
                          net::post(context->dispatcher, [context, &deadline_timer, at] {
                            deadline_timer.cancel();
                            if (!at) return;
                            deadline_timer.expires_at(std::chrono::system_clock::time_point(std::chrono::milliseconds(*at)));
                            deadline_timer.async_wait([context](const boost::system::error_code& ec) {
                              if (!ec) context->pipeline->submit(Command{0, "", kNoConn, std::nullopt, cmd::Timer{}});
                            });
                          });
                        },
                        .fatal = [&io, &exit_code](const std::string& error) {
                          json_log::line("commit_failed", {{"error", error}, {"action", "stopping: the log is the truth"}});
                          exit_code = 3;
                          io.stop();
                        }},
                    config.server.snapshot_every);
  context->pipeline = &pipeline;
  context->dashboard = std::make_shared<DashboardFeed>(*context);
  context->dashboard->start();
  std::random_device device;
  pipeline.submit(Command{0, "", kNoConn, std::nullopt,
                          cmd::ServerStarted{(static_cast<std::int64_t>(device()) << 31) ^ device()}});
  // Listen only once the restart is on record: decided by the engine, then committed.
  std::promise<void> decided;
  pipeline.query([&decided](const Engine&) { decided.set_value(); });
  decided.get_future().wait();
  writer->flush();

  unsigned short bound = 0;
  try {
    bound = start_listener(context, address, static_cast<unsigned short>(config.server.port));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cohort-server: cannot listen on %s:%d: %s\n", address.c_str(), config.server.port, error.what());
    pipeline.stop();
    return 1;
  }
  rlim_t open_files = raise_open_file_limit();
  json_log::line("started", {{"experiment_id", config.experiment.experiment_id},
                             {"db", config.server.db},
                             {"address", address},
                             {"port", std::to_string(bound)},
                             {"last_seq", std::to_string(writer->last_committed())},
                             {"violations_in_log", std::to_string(past_violations)},
                             {"open_file_limit", std::to_string(open_files)},
                             {"snapshot_seq", std::to_string(snapshot_seq)}});
  if (config.server.admin_token.empty()) json_log::line("admin_token", {{"token", token}});

  net::signal_set signals(io, SIGINT, SIGTERM);
  std::thread stopper;
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    json_log::line("stopping", {});
    context->stopping = true;
    stopper = std::thread([&] {
      pipeline.stop();  // everything queued is decided and committed
      net::post(context->dispatcher, [context] { close_all_sockets(*context); });
      std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let the going-away closes out
      io.stop();
    });
  });

  std::vector<std::thread> threads;
  unsigned workers = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 1; i < workers; ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  if (stopper.joinable()) stopper.join();
  pipeline.stop();
  json_log::line("stopped", {{"last_seq", std::to_string(writer->last_committed())}});
  return exit_code;
}
