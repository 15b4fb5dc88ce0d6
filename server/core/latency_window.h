#pragma once
// Commit latency over the last few seconds, from the cumulative histogram behind /metrics: the
// dashboard shows what the commits are doing now, with the same figures a Prometheus scrape sees.
#include <chrono>
#include <deque>
#include <vector>

namespace cohort {

struct HistogramReading {
  std::vector<double> upper_bounds;   // finite bucket bounds in seconds, ascending
  std::vector<double> cumulative;     // observations <= each bound; one more entry for +Inf
  double sum = 0;
  double count = 0;
};

struct LatencyFigures {
  double commits = 0;    // in the window
  double mean_ms = 0;
  double p50_ms = 0;     // interpolated within a bucket, as Prometheus' histogram_quantile does
  double p99_ms = 0;
};

// The q-quantile (0..1) of the observations between two readings of one histogram, in seconds;
// 0 when there were none. Beyond the last finite bound, that bound.
double histogram_quantile(const HistogramReading& before, const HistogramReading& after, double q);

class LatencyWindow {
 public:
  explicit LatencyWindow(std::chrono::steady_clock::duration span) : span_(span) {}
  // Records a reading and returns the figures between it and the oldest one in the window.
  LatencyFigures add(std::chrono::steady_clock::time_point at, HistogramReading reading);

 private:
  std::chrono::steady_clock::duration span_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, HistogramReading>> readings_;
};

}  // namespace cohort
