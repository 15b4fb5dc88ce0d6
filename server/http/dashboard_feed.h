#pragma once
// The dashboard's live figures: the study as the projections have it (projections/dashboard_view)
// and the server's own figures from /metrics, pushed to every open GET /admin/events stream
// within a quarter second of a commit, and at least once a second so that ages move.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "server/core/latency_window.h"

namespace cohort {

struct ServerContext;
class SseStream;

class DashboardFeed : public std::enable_shared_from_this<DashboardFeed> {
 public:
  static constexpr auto kTick = std::chrono::milliseconds(250);
  static constexpr auto kRefresh = std::chrono::seconds(1);
  static constexpr auto kLatencySpan = std::chrono::seconds(10);

  explicit DashboardFeed(ServerContext& context);
  void start();
  void subscribe(std::shared_ptr<SseStream> stream);
  // The JSON one update carries, built now (GET /admin/dashboard). `done` runs on the engine thread.
  void build(std::function<void(std::string)> done);

 private:
  void arm();
  void tick();

  ServerContext& context_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::steady_timer timer_;
  std::mutex mutex_;  // guards what follows: the engine thread builds, the strand ticks
  std::vector<std::weak_ptr<SseStream>> subscribers_;
  LatencyWindow latency_{kLatencySpan};
  bool building_ = false;
  bool newcomer_ = false;  // a stream opened since the last update: it gets one at the next tick
  std::int64_t sent_seq_ = -1;
  std::chrono::steady_clock::time_point sent_at_{};
};

}  // namespace cohort
