#pragma once
#include <cstdint>
#include <vector>

namespace cohort::bench {

// Nearest-rank percentile of `samples` (sorted in place); 0 when empty.
std::int64_t percentile(std::vector<std::int64_t>& samples, double p);

}  // namespace cohort::bench
