#include "replay-tool/scan_progress.h"

#include <unistd.h>

#include <cstdio>

namespace cohort {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

ScanProgress::ScanProgress(LogReader& reader)
    : reader_(reader), last_seq_(reader.last_seq()), started_(steady_clock::now()) {
  if (isatty(STDERR_FILENO)) reader_.on_progress([this](Seq reached) { report(reached); });
}

void ScanProgress::finish() {
  reader_.on_progress(nullptr);
  if (showing_) std::fputs("\r\033[K", stderr);
  showing_ = false;
}

void ScanProgress::report(Seq reached) {
  auto now = steady_clock::now();
  if (now - started_ < milliseconds(1000) || now - shown_ < milliseconds(200)) return;
  shown_ = now;
  showing_ = true;
  // Some commands read the log twice (audit reads back a violation's context): the figure is
  // for the pass under way.
  int percent = last_seq_ > 0 ? static_cast<int>(100 * reached / last_seq_) : 100;
  std::fprintf(stderr, "\rcohort-replay: record %lld of %lld (%d%%)", static_cast<long long>(reached),
               static_cast<long long>(last_seq_), percent);
  std::fflush(stderr);
}

}  // namespace cohort
