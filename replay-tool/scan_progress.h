#pragma once
// Progress of a long read on stderr, for a person watching a terminal: nothing when stderr is
// not a terminal (scripts, CI, pipes) and nothing for a run under a second.
#include <chrono>

#include "store/log_reader.h"

namespace cohort {

class ScanProgress {
 public:
  // Reports the reader's scans against its last seq from now on.
  explicit ScanProgress(LogReader& reader);
  // Stops reporting and clears the progress line, so that the result starts on a clean line.
  void finish();
  ~ScanProgress() { finish(); }
  ScanProgress(const ScanProgress&) = delete;
  ScanProgress& operator=(const ScanProgress&) = delete;

 private:
  void report(Seq reached);

  LogReader& reader_;
  Seq last_seq_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point shown_{};
  bool showing_ = false;
};

}  // namespace cohort
