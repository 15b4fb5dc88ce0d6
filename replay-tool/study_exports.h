#pragma once
// `cohort-replay export --subjects` and `--metrics`: the projections of projections/ fed from a
// whole log, checked record by record as every command that builds state does.
#include <string>

#include "history/log_experiment.h"
#include "projections/export_table.h"

namespace cohort {

std::string subjects_export(OpenedLog& log, ExportFormat format);
std::string metrics_export(OpenedLog& log, ExportFormat format);

}  // namespace cohort
