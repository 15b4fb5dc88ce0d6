#pragma once
// What every connection of the running server shares. Beast stays out: it is included only by
// the sessions' headers (http/http_session.h, transport/ws_session.h), which only the sessions'
// and the listener's .cpp files include.
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

// Starts accepting on `address`:`port`, every connection as HTTP (http/listener.cpp); returns the
// port actually bound (for port 0). Throws what Asio throws when it cannot bind.
unsigned short start_listener(const std::shared_ptr<ServerContext>& context, const std::string& address, unsigned short port);
// Closes every participant's socket going away, once what is queued for it is sent
// (transport/ws_session.cpp). The stop (main.cpp) posts it to the core's dispatcher, behind the
// registrations of the sockets opened before it.
void close_all_sockets(ServerContext& context);

}  // namespace cohort
