#include "projections/sessions_export.h"

#include <optional>
#include <string_view>
#include <vector>

namespace cohort {
namespace {

constexpr const char* kColumns[] = {"game_id", "scene_id", "subject_id", "player_id", "partner_subject_ids",
                                    "matched_at", "started_at", "ended_at", "duration_ms", "waited_ms",
                                    "is_partial", "termination_reason", "termination_frame", "completed_episodes",
                                    "excluded_reason", "disconnected_player_id", "pause_count", "total_pause_ms",
                                    // Beyond PROTOCOL.md 6: says outright that a game had not ended when the log did.
                                    "running",
                                    // The code the subject's study finished with (docs/server.md, "Paying participants").
                                    "completion_code"};

std::vector<Cell> cells_of(const SessionRow& row, const std::string& completion_code) {
  std::string partners;
  for (const auto& p : row.partner_subject_ids) partners += (partners.empty() ? "" : ";") + p;
  bool running = !row.ended;
  return {number_cell(row.game_id),
          text_cell(row.scene_id),
          text_cell(row.subject_id),
          number_cell(row.player_id),
          text_cell(partners),
          number_cell(row.matched_at),
          number_cell(row.started_at),
          number_cell(row.ended_at),
          number_cell(row.duration_ms()),
          number_cell(row.waited_ms),
          running ? Cell{} : flag_cell(row.is_partial()),
          running ? Cell{} : text_cell(row.termination_reason),
          number_cell(row.termination_frame),
          number_cell(row.completed_episodes),
          row.excluded_reason.empty() ? Cell{} : text_cell(row.excluded_reason),
          number_cell(row.disconnected_player_id),
          number_cell(row.pause_count),
          number_cell(row.total_pause_ms),
          flag_cell(running),
          completion_code.empty() ? Cell{} : text_cell(completion_code)};
}

}  // namespace

std::string sessions_export(const Analytics& analytics, ExportFormat format) {
  ExportTable table(format, std::vector<std::string>(std::begin(kColumns), std::end(kColumns)));
  for (const auto& [game, rows] : analytics.rows()) {
    for (const SessionRow& row : rows) table.add_row(cells_of(row, analytics.completion_code(row.subject_id)));
  }
  return table.text();
}

}  // namespace cohort
