// cohort-server: the live server (PROTOCOL.md sections 1-5). See docs/server.md.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <sys/resource.h>
#include <thread>

#include "server/json_log.h"
#include "server/secrets.h"
#include "server/server_context.h"

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
  bool accept_config_change = false;
  app.add_flag("--accept-config-change", accept_config_change,
               "start even when the config's scenes no longer fit the games, waiters or subjects the log holds: "
               "end, take out or move them (docs/server.md)");
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
  config.accept_config_change = accept_config_change;
  std::string token = config.server.admin_token.empty() ? random_hex(16) : config.server.admin_token;
  net::io_context io;
  std::atomic<int> exit_code{0};
  std::unique_ptr<ServerCore> core;
  try {
    core = std::make_unique<ServerCore>(io, config, [&io, &exit_code](const std::string& error) {
      json_log::line("commit_failed", {{"error", error}, {"action", "stopping: the log is the truth"}});
      exit_code = 3;
      io.stop();
    });
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cohort-server: %s\n", error.what());
    return 1;
  }
  auto context = std::make_shared<ServerContext>(io, *core, config, token);
  context->dashboard = std::make_shared<DashboardFeed>(*context);
  context->dashboard->start();

  // Installed before the "started" line: a SIGTERM sent as soon as that line appears (a test,
  // a service manager) must stop the server cleanly, not kill it with the default action.
  net::signal_set signals(io, SIGINT, SIGTERM);
  net::steady_timer closing(io);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    json_log::line("stopping", {});
    context->stopping = true;
    core->stop();  // everything queued is decided and committed
    net::post(core->dispatcher(), [context] { close_all_sockets(*context); });
    closing.expires_after(std::chrono::milliseconds(300));  // let the going-away closes out
    closing.async_wait([&io](const boost::system::error_code&) { io.stop(); });
  });

  unsigned short bound = 0;
  try {
    bound = start_listener(context, address, static_cast<unsigned short>(config.server.port));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cohort-server: cannot listen on %s:%d: %s\n", address.c_str(), config.server.port, error.what());
    return 1;
  }
  rlim_t open_files = raise_open_file_limit();
  json_log::line("started", {{"experiment_id", config.experiment.experiment_id},
                             {"db", config.server.db},
                             {"address", address},
                             {"port", std::to_string(bound)},
                             {"last_seq", std::to_string(core->start_report().last_seq)},
                             {"run", std::to_string(core->start_report().run)},
                             {"violations_in_log", std::to_string(core->start_report().violations_in_log)},
                             {"open_file_limit", std::to_string(open_files)},
                             {"snapshot_seq", std::to_string(core->start_report().snapshot_seq)}});
  if (config.server.admin_token.empty()) {
    // A plain line, not a JSON log line: a service manager ships those to its journal, and the
    // token must not outlive this terminal. Printed once; a restart draws another.
    std::fprintf(stderr, "cohort-server: admin token (printed once): %s\n", token.c_str());
    std::fflush(stderr);
  }

  std::vector<std::thread> threads;
  unsigned workers = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 1; i < workers; ++i) threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  core->stop();
  json_log::line("stopped", {{"last_seq", std::to_string(core->writer().last_committed())}});
  return exit_code;
}
