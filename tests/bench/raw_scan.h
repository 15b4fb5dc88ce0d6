#pragma once
// The ceiling of any reader of a log: its rows read through SQLite's C API, every column read
// as its type, nothing decoded, checked or copied. Replay benchmarks report against it.
#include <cstddef>
#include <string>

namespace cohort::bench {

struct RawScan {
  std::size_t records = 0;
  std::size_t bytes = 0;  // of the text columns
  double seconds = 0;
};

RawScan raw_scan(const std::string& path);

}  // namespace cohort::bench
