#pragma once
// A log opened for reading together with the experiment its first records were written under
// (store/recorded_experiment.h); the log's experiment_configured events change it as they come,
// so a reader that applies every event reads each record with the experiment of its time.
#include <memory>
#include <string>

#include "engine/vocabulary/experiment.h"
#include "store/log_reader.h"

namespace cohort {

struct OpenedLog {
  std::unique_ptr<LogReader> reader;
  std::shared_ptr<const Experiment> experiment;
};

// Throws StoreError (unreadable log) or ConfigError (no experiment recorded, or a bad meta.config).
OpenedLog open_log(const std::string& path);

// "2026-11-22T14:05:00Z", "2026-11-22T14:05:00.250Z" or without the Z (UTC either way) to ms
// since the epoch; nullopt if it is not such a time.
std::optional<Millis> parse_utc_time(const std::string& text);
std::string format_utc_time(Millis at);

}  // namespace cohort
