#include "server/core/metrics.h"

#include <prometheus/text_serializer.h>

#include <limits>

namespace cohort {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      appended_(BuildCounter().Name("cohort_records_appended_total").Help("Records committed to the log").Register(*registry_).Add({})),
      batches_(BuildCounter().Name("cohort_commit_batches_total").Help("Group-commit transactions").Register(*registry_).Add({})),
      failed_batches_(BuildCounter().Name("cohort_commit_failures_total").Help("Transactions that failed").Register(*registry_).Add({})),
      commit_latency_(BuildHistogram()
                          .Name("cohort_commit_latency_seconds")
                          .Help("Duration of one group-commit transaction")
                          .Register(*registry_)
                          .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                                           0.05, 0.1, 0.25, 1})),
      match_notify_(BuildHistogram()
                        .Name("cohort_match_notify_seconds")
                        .Help("From reading the join that completes a match to writing the last frame of its notifications")
                        .Register(*registry_)
                        .Add({}, prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015,
                                                                         0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.02,
                                                                         0.05, 0.1, 0.25, 0.5, 1})),
      connections_(BuildGauge().Name("cohort_connections").Help("Open Socket.IO connections").Register(*registry_).Add({})),
      relayed_(BuildCounter().Name("cohort_relayed_messages_total").Help("Messages relayed between the players of a game").Register(*registry_).Add({})),
      rejected_(BuildCounter().Name("cohort_commands_rejected_total").Help("Commands answered with an error").Register(*registry_).Add({})),
      unjournaled_(BuildCounter().Name("cohort_rejections_unjournaled_total").Help("Rejected messages past a socket's per-second budget, dropped without a record").Register(*registry_).Add({})),
      violations_(BuildCounter().Name("cohort_invariant_violations_total").Help("Invariant violations found by the live audit").Register(*registry_).Add({})),
      waiters_(BuildGauge().Name("cohort_waiters").Help("Subjects waiting, per scene").Register(*registry_)),
      games_(BuildGauge().Name("cohort_games").Help("Live games, per status").Register(*registry_)),
      dropped_(BuildCounter().Name("cohort_client_events_dropped_total").Help("Client telemetry events counted and dropped, per event").Register(*registry_)),
      answered_(BuildCounter().Name("cohort_client_events_answered_total").Help("Client events answered by the socket without the engine, per event").Register(*registry_)) {}

MatchNotifyClock::~MatchNotifyClock() {
  histogram_.Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - read_at_).count());
}

void Metrics::committed(std::size_t records, double seconds, bool ok) {
  batches_.Increment();
  if (!ok) {
    failed_batches_.Increment();
    return;
  }
  appended_.Increment(static_cast<double>(records));
  commit_latency_.Observe(seconds);
}

void Metrics::state(const SessionMap& state) {
  for (std::size_t scene = 0; scene < state.waitrooms.size(); ++scene) {
    const Scene& s = state.scene(static_cast<int>(scene));
    if (s.is_game) waiters_.Add({{"scene", s.scene_id}}).Set(static_cast<double>(state.waitrooms[scene].size()));
  }
  for (GameStatus status : {GameStatus::matched, GameStatus::validating, GameStatus::playing, GameStatus::paused}) {
    double count = 0;
    for (const auto& [id, game] : state.games) count += game.status == status ? 1 : 0;
    games_.Add({{"status", status_name(status)}}).Set(count);
  }
}

std::string Metrics::text() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry_->Collect());
}

MetricTotals Metrics::totals() const {
  return MetricTotals{appended_.Value(), failed_batches_.Value(), connections_.Value(),
                      relayed_.Value(),  rejected_.Value(),       violations_.Value()};
}

HistogramReading Metrics::commit_latency() const {
  prometheus::ClientMetric metric = commit_latency_.Collect();
  HistogramReading reading;
  for (const auto& bucket : metric.histogram.bucket) {
    if (bucket.upper_bound != std::numeric_limits<double>::infinity()) reading.upper_bounds.push_back(bucket.upper_bound);
    reading.cumulative.push_back(static_cast<double>(bucket.cumulative_count));
  }
  reading.sum = metric.histogram.sample_sum;
  reading.count = static_cast<double>(metric.histogram.sample_count);
  return reading;
}

}  // namespace cohort
