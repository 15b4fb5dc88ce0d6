#include "server/core/latency_window.h"

namespace cohort {

double histogram_quantile(const HistogramReading& before, const HistogramReading& after, double q) {
  auto observed = [&](std::size_t bucket) {
    double earlier = bucket < before.cumulative.size() ? before.cumulative[bucket] : 0;
    return after.cumulative[bucket] - earlier;
  };
  if (after.cumulative.empty()) return 0;
  double total = observed(after.cumulative.size() - 1);
  if (total <= 0) return 0;
  double rank = q * total;
  double lower_bound = 0, below = 0;
  for (std::size_t bucket = 0; bucket < after.upper_bounds.size(); ++bucket) {
    double upper_bound = after.upper_bounds[bucket], at_or_below = observed(bucket);
    if (at_or_below >= rank) {
      double in_bucket = at_or_below - below;
      double fraction = in_bucket > 0 ? (rank - below) / in_bucket : 1;
      return lower_bound + (upper_bound - lower_bound) * fraction;
    }
    lower_bound = upper_bound;
    below = at_or_below;
  }
  return after.upper_bounds.empty() ? 0 : after.upper_bounds.back();
}

LatencyFigures LatencyWindow::add(std::chrono::steady_clock::time_point at, HistogramReading reading) {
  readings_.emplace_back(at, std::move(reading));
  // Keep one reading at or beyond the span's start, so the window covers the whole span.
  while (readings_.size() > 2 && readings_[1].first <= at - span_) readings_.pop_front();
  const HistogramReading& before = readings_.size() > 1 ? readings_.front().second : HistogramReading{};
  const HistogramReading& after = readings_.back().second;
  LatencyFigures figures;
  figures.commits = after.count - before.count;
  if (figures.commits <= 0) return {};
  figures.mean_ms = (after.sum - before.sum) / figures.commits * 1000;
  figures.p50_ms = histogram_quantile(before, after, 0.50) * 1000;
  figures.p99_ms = histogram_quantile(before, after, 0.99) * 1000;
  return figures;
}

}  // namespace cohort
