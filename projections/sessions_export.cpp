#include "projections/sessions_export.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

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
                                    "running"};

// A cell: text, an integer, a boolean, or empty (unknown).
struct Cell {
  enum class Kind { empty, text, integer, boolean } kind = Kind::empty;
  std::string text;
  std::int64_t integer = 0;
  bool boolean = false;
};

Cell text(std::string s) { return Cell{Cell::Kind::text, std::move(s)}; }
Cell number(std::optional<std::int64_t> n) { return n ? Cell{Cell::Kind::integer, {}, *n} : Cell{}; }
Cell flag(std::optional<bool> b) { return b ? Cell{Cell::Kind::boolean, {}, 0, *b} : Cell{}; }

std::vector<Cell> cells_of(const SessionRow& row) {
  std::string partners;
  for (const auto& p : row.partner_subject_ids) partners += (partners.empty() ? "" : ";") + p;
  bool running = !row.ended;
  return {number(row.game_id),
          text(row.scene_id),
          text(row.subject_id),
          number(row.player_id),
          text(partners),
          number(row.matched_at),
          number(row.started_at),
          number(row.ended_at),
          number(row.duration_ms()),
          number(row.waited_ms),
          running ? Cell{} : flag(row.is_partial()),
          running ? Cell{} : text(row.termination_reason),
          number(row.termination_frame),
          number(row.completed_episodes),
          row.excluded_reason.empty() ? Cell{} : text(row.excluded_reason),
          number(row.disconnected_player_id),
          number(row.pause_count),
          number(row.total_pause_ms),
          flag(running)};
}

void csv_field(std::string& out, const Cell& cell) {
  switch (cell.kind) {
    case Cell::Kind::empty: return;
    case Cell::Kind::integer: out += std::to_string(cell.integer); return;
    case Cell::Kind::boolean: out += cell.boolean ? "true" : "false"; return;
    case Cell::Kind::text: break;
  }
  // Subject ids, partner ids and reasons come from clients: a text cell that a spreadsheet
  // would read as a formula (=, +, -, @) or that starts with a tab or CR gets a leading `'`,
  // which makes Excel, LibreOffice and Google Sheets show it as text (docs/replay.md). Integer
  // and boolean cells are never text, so a negative number stays a number.
  std::string_view value = cell.text;
  std::string guarded;
  if (!value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos) {
    guarded = "'" + cell.text;
    value = guarded;
  }
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += value;
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string sessions_export(const Analytics& analytics, ExportFormat format) {
  std::string out;
  if (format == ExportFormat::csv) {
    for (std::size_t i = 0; i < std::size(kColumns); ++i) out += (i ? "," : "") + std::string(kColumns[i]);
    out += "\r\n";
  }
  for (const auto& [game, rows] : analytics.rows()) {
    for (const SessionRow& row : rows) {
      auto cells = cells_of(row);
      if (format == ExportFormat::csv) {
        for (std::size_t i = 0; i < cells.size(); ++i) {
          if (i) out += ',';
          csv_field(out, cells[i]);
        }
        out += "\r\n";
        continue;
      }
      rapidjson::StringBuffer buffer;
      rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
      w.StartObject();
      for (std::size_t i = 0; i < cells.size(); ++i) {
        w.Key(kColumns[i]);
        switch (cells[i].kind) {
          case Cell::Kind::empty: w.Null(); break;
          case Cell::Kind::integer: w.Int64(cells[i].integer); break;
          case Cell::Kind::boolean: w.Bool(cells[i].boolean); break;
          case Cell::Kind::text:
            w.String(cells[i].text.c_str(), static_cast<rapidjson::SizeType>(cells[i].text.size()));
            break;
        }
      }
      w.EndObject();
      out.append(buffer.GetString(), buffer.GetSize());
      out += '\n';
    }
  }
  return out;
}

}  // namespace cohort
