#pragma once
// How many connections the server holds, so that the server, not its peers, decides what it
// can serve: participants' sockets are capped (`server.max_connections`, and per client
// address `server.max_connections_per_address`), and TCP connections as a whole a little above
// that, so that /healthz and the dashboard still answer when every participant's seat is taken.
#include <memory>
#include <string>
#include <unordered_map>

#include "base/mutex.h"

namespace cohort {

class ConnectionLimits {
 public:
  // TCP connections allowed beyond `max_sockets`, for HTTP requests.
  static constexpr int kHttpHeadroom = 64;

  // A held place; given back when the last copy goes.
  using Lease = std::shared_ptr<void>;

  ConnectionLimits(int max_sockets, int max_per_address);
  ConnectionLimits(const ConnectionLimits&) = delete;
  ConnectionLimits& operator=(const ConnectionLimits&) = delete;

  // A TCP connection: nullptr when max_sockets + kHttpHeadroom are open.
  Lease accept();
  // A participant's socket from `address`: nullptr when the server or that address is full.
  Lease open_socket(const std::string& address);
  int sockets() const;

 private:
  const int max_sockets_;
  const int max_per_address_;
  mutable Mutex mutex_;
  int connections_ GUARDED_BY(mutex_) = 0;
  int sockets_ GUARDED_BY(mutex_) = 0;
  std::unordered_map<std::string, int> per_address_ GUARDED_BY(mutex_);
};

}  // namespace cohort
