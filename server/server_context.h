#pragma once
// What every connection of the running server shares. Beast and Asio stay in server/*.cpp.
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "server/config.h"
#include "server/dashboard_feed.h"
#include "server/metrics.h"
#include "server/pipeline.h"
#include "server/registry.h"
#include "store/log_writer.h"

namespace cohort {

struct ServerContext {
  ServerContext(boost::asio::io_context& io_context, Config cfg, std::string token)
      : io(io_context), dispatcher(boost::asio::make_strand(io_context)), config(std::move(cfg)),
        admin_token(std::move(token)) {}

  boost::asio::io_context& io;
  // Delivery, relays and the registry run here, in commit order.
  boost::asio::strand<boost::asio::io_context::executor_type> dispatcher;
  Config config;
  std::string admin_token;
  Registry registry;  // written on the dispatcher; read by relays anywhere
  Metrics metrics;
  LogWriter* writer = nullptr;
  Pipeline* pipeline = nullptr;
  std::shared_ptr<DashboardFeed> dashboard;
  // Reads of the log file itself (the dashboard's timelines): a scan can take a while on a
  // big log, so it runs here, off the I/O threads and off the engine thread.
  boost::asio::thread_pool log_readers{1};
  std::atomic<ConnId> next_conn{0};
  std::atomic<bool> stopping{false};
};

// Starts accepting on the context's port; returns the port actually bound (for port 0).
unsigned short start_listener(const std::shared_ptr<ServerContext>& context, const std::string& address, unsigned short port);
// Hands a WebSocket upgrade over to a Socket.IO session (ws_session.cpp).
void close_all_sockets(ServerContext& context);

}  // namespace cohort
