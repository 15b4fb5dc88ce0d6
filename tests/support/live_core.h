#pragma once
// A ServerCore on a log file, with its io_context running on a thread of its own, and fake
// sockets in place of the network: the server's core as the transport drives it, without
// Beast. Destroying a LiveCore is a clean stop; a later LiveCore on the same file is a restart.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/core/resume_tokens.h"
#include "server/core/server_core.h"

namespace cohort::testing {

// What the transport would write to one client: every frame, in order.
class FakeSocket : public Outbound {
 public:
  explicit FakeSocket(ConnId conn) : conn_(conn) {}
  void send(std::string frame) override;
  void send_registered(std::string args, std::string token_hash) override;
  void close_after_send(bool going_away) override;

  ConnId conn() const { return conn_; }
  std::vector<std::string> frames() const;
  // The first frame at index `from` or later that contains `needle`, waited for up to
  // `timeout`; nullopt when none came.
  std::optional<std::string> wait_for(const std::string& needle, std::size_t from = 0,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  bool closed() const;

  std::string subject;  // what the transport remembers of a register_subject on this socket
  // The command for a register_subject presenting `token`, as the transport makes it.
  cmd::RegisterSubject registration(std::optional<std::string> token);

 private:
  ConnId conn_;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<std::string> frames_;
  bool closed_ = false;
  ResumeTokens tokens_;  // guarded by mutex_
};

class LiveCore {
 public:
  explicit LiveCore(const Config& config);
  ~LiveCore();

  ServerCore& core() { return *core_; }
  // A new socket, known to the registry.
  std::shared_ptr<FakeSocket> connect();
  // The socket sends a command, as the transport submits it.
  void send(FakeSocket& socket, CommandBody body, std::optional<std::int64_t> ack = std::nullopt);
  void register_subject(FakeSocket& socket, const std::string& subject, std::optional<std::string> token = std::nullopt);
  // The socket is gone (a close or a missed pong).
  void disconnect(FakeSocket& socket);
  // Returns once everything submitted so far is decided, committed and delivered.
  void settle();
  // The error of a failed commit, once the core reported one.
  std::optional<std::string> fatal() const;

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  mutable std::mutex mutex_;
  std::optional<std::string> fatal_;
  std::unique_ptr<ServerCore> core_;
  std::thread thread_;
  std::vector<std::shared_ptr<FakeSocket>> sockets_;
};

// The routing built from the whole log file, from its first record: what the registry must
// equal after any restart.
RoutingTable routing_from_log(const std::string& path, std::shared_ptr<const Experiment> experiment);
// The session map rebuilt from the whole log file.
SessionMap state_from_log(const std::string& path, std::shared_ptr<const Experiment> experiment);

}  // namespace cohort::testing
