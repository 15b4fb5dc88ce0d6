#pragma once
// The sessions export (PROTOCOL.md section 6): one row per player per game, as RFC 4180 CSV
// (a header row, CRLF line ends, fields quoted when needed) or JSON lines. Empty where unknown.
// A CSV text cell starting with =, +, -, @, tab or CR is written with a leading ' so that a
// spreadsheet shows it rather than runs it; JSON lines hold every value as it is.
#include <string>

#include "projections/analytics.h"
#include "projections/export_table.h"
#include "projections/session_map.h"

namespace cohort {

// A row names its scene as the experiment in force at its match did (SessionRow::scene_id).
std::string sessions_export(const Analytics& analytics, ExportFormat format);

}  // namespace cohort
