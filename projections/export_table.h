#pragma once
// A table written as an export: RFC 4180 CSV (a header row, CRLF line ends, fields quoted when
// needed) or JSON lines (one object per row, keys in column order). Every export of
// cohort-replay and the admin endpoints writes through this, so they read alike in pandas and R.
// A CSV text cell starting with =, +, -, @, tab or CR is written with a leading ' so that a
// spreadsheet shows it rather than runs it (docs/replay.md); JSON lines hold every value as is.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cohort {

enum class ExportFormat { csv, jsonl };

// A cell: text, an integer, a boolean, JSON (a number or an array as JSON text: written as is
// in JSON lines, as its text in CSV), or empty (unknown: an empty CSV field, JSON null).
struct Cell {
  enum class Kind { empty, text, integer, boolean, json } kind = Kind::empty;
  std::string text;  // text, or the JSON text
  std::int64_t integer = 0;
  bool boolean = false;
};

inline Cell text_cell(std::string s) { return Cell{Cell::Kind::text, std::move(s)}; }
inline Cell number_cell(std::optional<std::int64_t> n) { return n ? Cell{Cell::Kind::integer, {}, *n} : Cell{}; }
inline Cell flag_cell(std::optional<bool> b) { return b ? Cell{Cell::Kind::boolean, {}, 0, *b} : Cell{}; }
inline Cell json_cell(std::string json) { return Cell{Cell::Kind::json, std::move(json)}; }

class ExportTable {
 public:
  ExportTable(ExportFormat format, std::vector<std::string> columns);
  // `cells` in column order; a row shorter than the columns is padded with empty cells.
  void add_row(const std::vector<Cell>& cells);
  const std::string& text() const { return out_; }

 private:
  ExportFormat format_;
  std::vector<std::string> columns_;
  std::string out_;
};

}  // namespace cohort
