#pragma once
// `cohort-replay audit`: every record replayed with the invariants checked after each event;
// each violation printed with the chain that led to it: the command and the events it caused,
// then the last earlier records about the same subject or game.
#include <memory>
#include <string>

#include "engine/vocabulary/experiment.h"
#include "store/log_reader.h"

namespace cohort {

struct AuditReport {
  std::size_t violations = 0;
  std::string text;
};

AuditReport audit_log(LogReader& reader, std::shared_ptr<const Experiment> experiment, std::size_t earlier_records = 8);

}  // namespace cohort
