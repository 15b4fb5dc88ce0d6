#include "projections/subjects_export.h"

namespace cohort {
namespace {

const std::vector<std::string> kSubjectColumns = {
    "subject_id",      "first_seen_at",   "last_seen_at", "scene_id",       "scenes_reached",
    "waitroom_joins",  "waited_ms",       "waitroom_timeouts", "games_played", "games_completed",
    "outcome",         "excluded_reason", "completion_code"};

std::vector<Cell> subject_cells(const SubjectSummary& row, Millis log_end) {
  std::string scenes;
  for (const auto& scene : row.scenes_reached) scenes += (scenes.empty() ? "" : ";") + scene;
  return {text_cell(row.subject_id),
          number_cell(row.first_seen_at),
          number_cell(row.last_seen_at),
          text_cell(row.scenes_reached.empty() ? std::string() : row.scenes_reached.back()),
          text_cell(scenes),
          number_cell(row.waitroom_joins),
          number_cell(row.waited_until(log_end)),
          number_cell(row.waitroom_timeouts),
          number_cell(row.games_played),
          number_cell(row.games_completed),
          text_cell(row.outcome()),
          row.excluded_reason.empty() ? Cell{} : text_cell(row.excluded_reason),
          row.completion_code.empty() ? Cell{} : text_cell(row.completion_code)};
}

}  // namespace

std::string subjects_export(const SubjectSummaries& subjects, ExportFormat format) {
  ExportTable table(format, kSubjectColumns);
  for (const SubjectSummary& row : subjects.rows()) table.add_row(subject_cells(row, subjects.last_at()));
  return table.text();
}

}  // namespace cohort
