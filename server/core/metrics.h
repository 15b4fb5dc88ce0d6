#pragma once
// The figures of GET /metrics (Prometheus text format, names prefixed cohort_).
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "projections/session_map.h"
#include "server/core/latency_window.h"

namespace cohort {

// The counters the dashboard shows next to the study, as /metrics has them.
struct MetricTotals {
  double records_appended = 0;
  double commit_failures = 0;
  double connections = 0;
  double relayed = 0;
  double rejected = 0;
  double violations = 0;
};

// Started at the read of the client command that completed a match; observes
// cohort_match_notify_seconds when the last holder lets go of it, which is the socket that
// wrote the last frame of the match's notifications (or dropped them with a closed socket).
// Keeps the registry alive: a socket may let go after the server's core is gone.
class MatchNotifyClock {
 public:
  MatchNotifyClock(std::shared_ptr<prometheus::Registry> registry, prometheus::Histogram& histogram,
                   std::chrono::steady_clock::time_point read_at)
      : registry_(std::move(registry)), histogram_(histogram), read_at_(read_at) {}
  ~MatchNotifyClock();
  MatchNotifyClock(const MatchNotifyClock&) = delete;
  MatchNotifyClock& operator=(const MatchNotifyClock&) = delete;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Histogram& histogram_;
  std::chrono::steady_clock::time_point read_at_;
};

class Metrics {
 public:
  Metrics();
  void committed(std::size_t records, double seconds, bool ok);
  void relayed() { relayed_.Increment(); }
  void rejected() { rejected_.Increment(); }
  // A socket's rejection past its per-second budget: answered with nothing, journaled nowhere.
  void unjournaled_rejection() { unjournaled_.Increment(); }
  void violations(std::size_t count) { violations_.Increment(static_cast<double>(count)); }
  // A client event the server counts and drops (telemetry), or answers without the engine (a
  // fixed reply), by its name. REQUIRES: `event` is one of a fixed set of names (the decoder's),
  // never a name a client made up: each is a label.
  void dropped(std::string_view event) { dropped_.Add({{"event", std::string(event)}}).Increment(); }
  void answered(std::string_view event) { answered_.Add({{"event", std::string(event)}}).Increment(); }
  void connections(std::size_t count) { connections_.Set(static_cast<double>(count)); }
  // A match whose join was read at `read_at`; thread-safe.
  std::shared_ptr<MatchNotifyClock> match_notify_clock(std::chrono::steady_clock::time_point read_at) {
    return std::make_shared<MatchNotifyClock>(registry_, match_notify_, read_at);
  }
  // Per-scene waiters and games per status, read from the state when scraped.
  void state(const SessionMap& state);
  std::string text() const;
  MetricTotals totals() const;
  HistogramReading commit_latency() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter& appended_;
  prometheus::Counter& batches_;
  prometheus::Counter& failed_batches_;
  prometheus::Histogram& commit_latency_;
  prometheus::Histogram& match_notify_;
  prometheus::Gauge& connections_;
  prometheus::Counter& relayed_;
  prometheus::Counter& rejected_;
  prometheus::Counter& unjournaled_;
  prometheus::Counter& violations_;
  prometheus::Family<prometheus::Gauge>& waiters_;
  prometheus::Family<prometheus::Gauge>& games_;
  prometheus::Family<prometheus::Counter>& dropped_;
  prometheus::Family<prometheus::Counter>& answered_;
};

}  // namespace cohort
