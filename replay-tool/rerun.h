#pragma once
// `cohort-replay rerun`: the journaled commands, in order, through this build's decider from an
// empty state, compared with the events the log holds. How a fix is shown to prevent an
// incident recorded before it.
#include <memory>
#include <optional>
#include <string>

#include "engine/vocabulary/experiment.h"
#include "store/log_reader.h"

namespace cohort {

struct RerunResult {
  Seq commands = 0;
  // "record N: logged <...>, now <...>" at the first event that differs.
  std::optional<std::string> first_difference;
};

RerunResult rerun(LogReader& reader, std::shared_ptr<const Experiment> experiment);

}  // namespace cohort
