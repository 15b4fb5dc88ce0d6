#include "projections/subjects_export.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <utility>

namespace cohort {
namespace {

const std::vector<std::string> kSubjectColumns = {
    "subject_id",      "first_seen_at",   "last_seen_at", "scene_id",       "scenes_reached",
    "waitroom_joins",  "waited_ms",       "waitroom_timeouts", "games_played", "games_completed",
    "outcome",         "excluded_reason", "completion_code"};

using RecruitmentIds = std::vector<std::pair<std::string, std::string>>;

// A row's kept recruitment ids, from the JSON object of strings its registration recorded.
RecruitmentIds recruitment_ids(const std::string& params) {
  RecruitmentIds ids;
  rapidjson::Document doc;
  if (params.empty() || doc.Parse(params.data(), params.size()).HasParseError() || !doc.IsObject()) return ids;
  for (const auto& member : doc.GetObject()) {
    if (!member.value.IsString()) continue;
    ids.emplace_back(std::string(member.name.GetString(), member.name.GetStringLength()),
                     std::string(member.value.GetString(), member.value.GetStringLength()));
  }
  return ids;
}

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
  // One `params.KEY` column per recruitment id any subject registered with, in the order first seen.
  std::vector<RecruitmentIds> ids;
  std::vector<std::string> keys;
  for (const SubjectSummary& row : subjects.rows()) {
    ids.push_back(recruitment_ids(row.params));
    for (const auto& [key, value] : ids.back()) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
  }
  std::vector<std::string> columns = kSubjectColumns;
  for (const std::string& key : keys) columns.push_back("params." + key);
  ExportTable table(format, columns);
  for (std::size_t i = 0; i < subjects.rows().size(); ++i) {
    std::vector<Cell> cells = subject_cells(subjects.rows()[i], subjects.last_at());
    for (const std::string& key : keys) {
      auto it = std::find_if(ids[i].begin(), ids[i].end(), [&key](const auto& id) { return id.first == key; });
      cells.push_back(it == ids[i].end() ? Cell{} : text_cell(it->second));
    }
    table.add_row(cells);
  }
  return table.text();
}

}  // namespace cohort
