#pragma once
// The experiment a log's first records are read with (DESIGN.md rule 10: each record is read
// with the config of its time). A log's experiment_configured events say which experiment is in
// force from each of them on; before the first one, the experiment is that event's own: a log
// written since the event exists starts with it, and a log written before was, at its first
// start by such a build, given one recording the experiment it had run with. A log that holds
// none (written before the event existed, and not started since) is read with `meta.config`:
// such logs carry only the config of their last run.
#include <memory>
#include <optional>

#include "engine/vocabulary/experiment.h"
#include "store/log_reader.h"

namespace cohort {

struct RecordedExperiment {
  std::shared_ptr<const Experiment> experiment;
  bool from_event = false;  // false: from meta.config (no experiment_configured in the log)
};

// nullopt when the log holds neither an experiment_configured nor a config. Throws ConfigError
// when meta.config does not parse (its `server` section is not read). A first
// experiment_configured that is damaged (its checksum) or unreadable is passed over for
// meta.config: the checked scan of whoever reads the log stops at it anyway.
std::optional<RecordedExperiment> recorded_experiment(LogReader& reader);

}  // namespace cohort
