// cohort-server: the live server (PROTOCOL.md sections 1-5).
// Foundation stage: it opens (creating or migrating) its log, records the experiment in
// force, reports one JSON line and waits for SIGINT/SIGTERM. The network side follows.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "store/log_writer.h"
#include "store/store_error.h"

int main(int argc, char** argv) {
  CLI::App app{"cohort-server: the Cohort session server"};
  std::string config_path;
  std::string db_path = "cohort.db";
  int port = 8080;
  app.add_option("--config", config_path, "experiment config (JSON); without it, the built-in demo")
      ->check(CLI::ExistingFile);
  app.add_option("--db", db_path, "the SQLite log");
  app.add_option("--port", port, "TCP port")->check(CLI::Range(1, 65535));
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    std::fprintf(stderr, "cohort-server: %s (see --help)\n", error.what());
    return 2;
  }
  try {
    cohort::LogWriter log({db_path, cohort::Durability::full, "", nullptr});
    std::fprintf(stderr, "{\"event\":\"started\",\"db\":\"%s\",\"last_seq\":%lld,\"port\":%d}\n", db_path.c_str(),
                 static_cast<long long>(log.last_committed()), port);
    boost::asio::io_context io;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
    io.run();
  } catch (const cohort::StoreError& error) {
    std::fprintf(stderr, "cohort-server: %s\n", error.what());
    return 1;
  }
  return 0;
}
