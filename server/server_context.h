#pragma once
// What every connection of the running server shares. Beast stays in the .cpp files of
// server/transport/ and server/http/.
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <memory>
#include <string>

#include "server/config.h"
#include "server/core/server_core.h"
#include "server/http/admin_auth.h"
#include "server/http/dashboard_feed.h"
#include "server/transport/connection_limits.h"

namespace cohort {

struct ServerContext {
  ServerContext(boost::asio::io_context& io_context, ServerCore& server_core, Config cfg, std::string token)
      : io(io_context),
        core(server_core),
        config(std::move(cfg)),
        admin(std::move(token), AdminPolicy{.secure_cookie = config.server.behind_https}),
        limits(config.server.max_connections, config.server.max_connections_per_address) {}

  boost::asio::io_context& io;
  ServerCore& core;  // REQUIRES: outlives every handler that runs on `io`
  Config config;
  AdminAccess admin;  // who may see /admin/*: the token, sign-in sessions, throttled guesses
  ConnectionLimits limits;
  std::shared_ptr<DashboardFeed> dashboard;
  // Reads of the log file itself (the dashboard's timelines): a scan can take a while on a
  // big log, so it runs here, off the I/O threads and off the engine thread.
  boost::asio::thread_pool log_readers{1};
  std::atomic<bool> stopping{false};
};

// Starts accepting on the context's port; returns the port actually bound (for port 0).
unsigned short start_listener(const std::shared_ptr<ServerContext>& context, const std::string& address, unsigned short port);
// Hands a WebSocket upgrade over to a Socket.IO session (ws_session.cpp).
void close_all_sockets(ServerContext& context);

}  // namespace cohort
