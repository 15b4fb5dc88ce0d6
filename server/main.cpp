// cohort-server: the live server (PROTOCOL.md sections 1-5). See docs/server.md.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <sys/resource.h>
#include <thread>
#include <vector>

#include "server/json_log.h"
#include "server/secrets.h"
#include "server/server_context.h"

namespace net = boost::asio;
using namespace cohort;

namespace {

// Exit codes: 2 when the server could not run as asked (flags, config), 1 when it could not
// start (the log, the port), 3 when a commit failed while it ran (tests/cli/check_cli.py).
constexpr int kBadInvocation = 2;
constexpr int kCannotStart = 1;
constexpr int kCommitFailed = 3;

struct Flags {
  std::string config_path, db_path, admin_token_file, address = "0.0.0.0";
  int port = -1;
  bool accept_config_change = false;
};

// nullopt: go on with `flags`; otherwise the process exits with this code (--help, a bad flag).
std::optional<int> parse_flags(int argc, char** argv, Flags& flags) {
  CLI::App app{"cohort-server: the Cohort session server"};
  app.add_option("--config", flags.config_path, "experiment config (JSON); without it, the built-in demo");
  app.add_option("--db", flags.db_path, "the SQLite log (default: the config's server.db, else ./cohort.db)");
  app.add_option("--port", flags.port, "TCP port (default: the config's server.port, else 8080; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--address", flags.address,
                 "address to listen on: an IP address (0.0.0.0: every interface) or a host name, looked up once")
      ->capture_default_str();
  app.add_option("--admin-token-file", flags.admin_token_file,
                 "read the admin token from this file's first line instead of the config (systemd's LoadCredential=)");
  app.add_flag("--accept-config-change", flags.accept_config_change,
               "start even when the config's scenes no longer fit the games, waiters or subjects the log holds: "
               "end, take out or move them (docs/server.md)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    std::fprintf(stderr, "cohort-server: %s (see --help)\n", error.what());
    return kBadInvocation;
  }
  return std::nullopt;
}

// The config file (or the demo), with what the flags override; nullopt once the error is printed.
std::optional<Config> load_config(const Flags& flags) {
  Config config;
  try {
    config = flags.config_path.empty() ? demo_config() : load_config_file(flags.config_path);
    if (!flags.admin_token_file.empty()) config.server.admin_token = admin_token_from_file(flags.admin_token_file);
  } catch (const ConfigError& error) {
    std::fprintf(stderr, "cohort-server: %s\n", error.what());
    return std::nullopt;
  }
  if (!flags.db_path.empty()) config.server.db = flags.db_path;
  if (flags.port >= 0) config.server.port = flags.port;
  config.accept_config_change = flags.accept_config_change;
  return config;
}

// The address to listen on, as an IP address: a host name is looked up once (its first address);
// nullopt once the error is printed.
std::optional<std::string> resolve_listen_address(const std::string& address) {
  boost::system::error_code error;
  net::ip::make_address(address, error);
  if (!error) return address;
  net::io_context io;
  net::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(address, "", error);
  if (error || results.empty()) {
    std::fprintf(stderr,
                 "cohort-server: --address %s: not an IP address, and no host has that name; give an IP address "
                 "(127.0.0.1, or 0.0.0.0 for every interface)\n",
                 address.c_str());
    return std::nullopt;
  }
  return results.begin()->endpoint().address().to_string();
}

// SQLite's own words for a log in a missing directory ("unable to open database file") name
// neither; false once the error is printed.
bool log_directory_exists(const std::string& db) {
  std::filesystem::path directory = std::filesystem::path(db).parent_path();
  if (directory.empty()) return true;
  std::error_code error;
  if (std::filesystem::is_directory(directory, error)) return true;
  const char* why = std::filesystem::exists(directory, error) ? "is not a directory" : "does not exist";
  std::fprintf(stderr, "cohort-server: cannot open the log %s: %s %s\n", db.c_str(), directory.c_str(), why);
  return false;
}

// Reads the log and opens it for writing (ServerCore's constructor); nullptr once the error is
// printed. A commit that fails later stops the server with kCommitFailed: from then on the
// engine's state is ahead of the log, and the log is the truth.
std::unique_ptr<ServerCore> open_core(net::io_context& io, const Config& config, std::atomic<int>& exit_code) {
  auto stop_on_commit_failure = [&io, &exit_code](const std::string& error) {
    json_log::line("commit_failed", {{"error", error}, {"action", "stopping: the log is the truth"}});
    exit_code = kCommitFailed;
    io.stop();
  };
  try {
    return std::make_unique<ServerCore>(io, config, stop_on_commit_failure);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cohort-server: %s\n", error.what());
    return nullptr;
  }
}

// SIGINT or SIGTERM: everything queued is decided and committed, every socket is closed going
// away, and once those closes had a moment to get out the I/O threads return.
class GracefulStop {
 public:
  explicit GracefulStop(std::shared_ptr<ServerContext> context)
      : context_(std::move(context)), signals_(context_->io, SIGINT, SIGTERM), closing_(context_->io) {
    signals_.async_wait([this](const boost::system::error_code& ec, int) { on_signal(ec); });
  }

 private:
  static constexpr auto kGoingAwayGrace = std::chrono::milliseconds(300);

  void on_signal(const boost::system::error_code& ec) {
    if (ec) return;
    json_log::line("stopping", {});
    context_->stopping = true;
    context_->core.stop();
    net::post(context_->core.dispatcher(), [context = context_] { close_all_sockets(*context); });
    closing_.expires_after(kGoingAwayGrace);
    closing_.async_wait([this](const boost::system::error_code&) { context_->io.stop(); });
  }

  std::shared_ptr<ServerContext> context_;
  net::signal_set signals_;
  net::steady_timer closing_;
};

// The bound port; nullopt once the error is printed.
std::optional<unsigned short> start_listening(const std::shared_ptr<ServerContext>& context, const std::string& address) {
  int port = context->config.server.port;
  std::string why;
  try {
    return start_listener(context, address, static_cast<unsigned short>(port));
  } catch (const boost::system::system_error& error) {
    // The system's words alone: Boost's what() appends its source file and function.
    why = error.code().message();
    if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
    if (error.code() == boost::system::errc::permission_denied) why += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
  } catch (const std::exception& error) {
    why = error.what();
  }
  std::fprintf(stderr, "cohort-server: cannot listen on %s:%d: %s\n", address.c_str(), port, why.c_str());
  return std::nullopt;
}

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

void report_started(const ServerContext& context, const std::string& address, unsigned short port, rlim_t open_files) {
  const Config& config = context.config;
  const StartReport& start = context.core.start_report();
  json_log::line("started", {{"experiment_id", config.experiment.experiment_id},
                             {"db", config.server.db},
                             {"address", address},
                             {"port", std::to_string(port)},
                             {"last_seq", std::to_string(start.last_seq)},
                             {"run", std::to_string(start.run)},
                             {"violations_in_log", std::to_string(start.violations_in_log)},
                             {"open_file_limit", std::to_string(open_files)},
                             {"snapshot_seq", std::to_string(start.snapshot_seq)}});
}

// A plain line, not a JSON log line: a service manager ships those to its journal, and the
// token must not outlive this terminal. Printed once; a restart draws another.
void print_drawn_admin_token(const std::string& token) {
  std::fprintf(stderr, "cohort-server: admin token (printed once): %s\n", token.c_str());
  std::fflush(stderr);
}

// One I/O thread per core, this one included; returns once `io` is stopped.
void run_io_threads(net::io_context& io) {
  std::vector<std::thread> threads;
  unsigned workers = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 1; i < workers; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (auto exit = parse_flags(argc, argv, flags)) return *exit;
  std::optional<Config> config = load_config(flags);
  if (!config) return kBadInvocation;
  std::optional<std::string> address = resolve_listen_address(flags.address);
  if (!address) return kBadInvocation;
  if (!log_directory_exists(config->server.db)) return kCannotStart;
  bool draw_token = config->server.admin_token.empty();
  std::string token = draw_token ? random_hex(16) : config->server.admin_token;

  net::io_context io;
  std::atomic<int> exit_code{0};
  std::unique_ptr<ServerCore> core = open_core(io, *config, exit_code);
  if (!core) return kCannotStart;
  auto context = std::make_shared<ServerContext>(io, *core, std::move(*config), token);
  context->dashboard = std::make_shared<DashboardFeed>(*context);
  context->dashboard->start();

  // Installed before the "started" line: a SIGTERM sent as soon as that line appears (a test,
  // a service manager) must stop the server cleanly, not kill it with the default action.
  GracefulStop stop(context);
  std::optional<unsigned short> port = start_listening(context, *address);
  if (!port) return kCannotStart;
  report_started(*context, *address, *port, raise_open_file_limit());
  if (draw_token) print_drawn_admin_token(token);

  run_io_threads(io);
  core->stop();
  json_log::line("stopped", {{"last_seq", std::to_string(core->writer().last_committed())}});
  return exit_code;
}
