#pragma once
// A ServerCore on a log file, with its io_context running on a thread of its own, and fake
// sockets in place of the network: the server's core as the transport drives it, without
// Beast. Destroying a LiveCore is a clean stop; a later LiveCore on the same file is a restart.
// Each fake socket notes, with every frame it is handed, the writer's committed position at
// that moment, so that a test can tell that the frame left only after the commit holding its
// notification (tests/support/delivered.h).
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server/core/resume_tokens.h"
#include "server/core/server_core.h"

namespace cohort::testing {

// One frame handed to a socket, and the writer's committed position when it was.
struct SentFrame {
  std::string text;
  Seq committed = 0;
};

// What the transport would write to one client: every frame, in order.
class FakeSocket : public Outbound {
 public:
  // `committed` reads the writer's committed position (none: every frame notes 0).
  explicit FakeSocket(ConnId conn, std::function<Seq()> committed = {})
      : conn_(conn), committed_(std::move(committed)) {}
  void send(std::string frame) override;
  // Each frame as if written at once: `until_written` is let go of before this returns.
  void send_batch(OutboundBatch batch) override;
  void close_after_send(bool going_away) override;

  ConnId conn() const { return conn_; }
  std::vector<std::string> frames() const;
  std::vector<SentFrame> sent() const;
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
  std::function<Seq()> committed_;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<SentFrame> frames_;
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
  // A frame arrives from the socket's client, e.g. `42["join_game",{}]` or `421["ping",{...}]`:
  // decoded and offered to the pipeline as the transport does. Throws std::invalid_argument for
  // a frame that is not an event the core acts on (a relay, broken framing): those never reach it.
  // A binary event (`451-["emit_episode_data",{...placeholder...}]`) comes with its attachments.
  void receive(FakeSocket& socket, std::string_view frame, std::vector<std::string> attachments = {});
  void register_subject(FakeSocket& socket, const std::string& subject, std::optional<std::string> token = std::nullopt);
  // The socket is gone (a close or a missed pong).
  void disconnect(FakeSocket& socket);
  // Returns once everything submitted so far is decided, committed and delivered.
  void settle();
  // The error of a failed commit, once the core reported one.
  std::optional<std::string> fatal() const;
  // The log's path, and the writer's committed position.
  const std::string& log_path() const { return path_; }
  Seq committed() const { return core_->writer().last_committed(); }

 private:
  std::string path_;
  std::int64_t max_message_bytes_;
  std::int64_t max_data_bytes_;
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
