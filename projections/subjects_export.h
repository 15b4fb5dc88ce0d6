#pragma once
// `cohort-replay export --subjects`: one row per subject ever registered, waiters that timed out
// and subjects that never played included, as CSV or JSON lines (projections/export_table.h).
// Columns and their meaning: docs/replay.md, "The subjects export".
#include <string>

#include "projections/export_table.h"
#include "projections/subject_summaries.h"

namespace cohort {

std::string subjects_export(const SubjectSummaries& subjects, ExportFormat format);

}  // namespace cohort
