#include "projections/export_table.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string_view>

namespace cohort {
namespace {

void csv_text(std::string& out, std::string_view value) {
  // Subject ids and metrics come from clients: a text cell that a spreadsheet would read as a
  // formula (=, +, -, @) or that starts with a tab or CR gets a leading `'`, which makes Excel,
  // LibreOffice and Google Sheets show it as text (docs/replay.md). Integer, boolean and JSON
  // number cells are never text, so a negative number stays a number.
  std::string guarded;
  if (!value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos) {
    guarded = "'" + std::string(value);
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

void csv_field(std::string& out, const Cell& cell) {
  switch (cell.kind) {
    case Cell::Kind::empty: return;
    case Cell::Kind::integer: out += std::to_string(cell.integer); return;
    case Cell::Kind::boolean: out += cell.boolean ? "true" : "false"; return;
    case Cell::Kind::text: csv_text(out, cell.text); return;
    case Cell::Kind::json:
      // A number goes out as it is; an array is quoted as RFC 4180 needs (it holds commas).
      if (cell.text.find_first_of(",\"\r\n") == std::string::npos) {
        out += cell.text;
      } else {
        csv_text(out, cell.text);
      }
      return;
  }
}

}  // namespace

ExportTable::ExportTable(ExportFormat format, std::vector<std::string> columns)
    : format_(format), columns_(std::move(columns)) {
  if (format_ != ExportFormat::csv) return;
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    if (i) out_ += ',';
    csv_text(out_, columns_[i]);
  }
  out_ += "\r\n";
}

void ExportTable::add_row(const std::vector<Cell>& cells) {
  static const Cell kEmpty;
  auto cell = [&](std::size_t i) -> const Cell& { return i < cells.size() ? cells[i] : kEmpty; };
  if (format_ == ExportFormat::csv) {
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (i) out_ += ',';
      csv_field(out_, cell(i));
    }
    out_ += "\r\n";
    return;
  }
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    w.Key(columns_[i].c_str(), static_cast<rapidjson::SizeType>(columns_[i].size()));
    const Cell& c = cell(i);
    switch (c.kind) {
      case Cell::Kind::empty: w.Null(); break;
      case Cell::Kind::integer: w.Int64(c.integer); break;
      case Cell::Kind::boolean: w.Bool(c.boolean); break;
      case Cell::Kind::text: w.String(c.text.c_str(), static_cast<rapidjson::SizeType>(c.text.size())); break;
      case Cell::Kind::json:
        w.RawValue(c.text.c_str(), c.text.size(), c.text.starts_with('[') ? rapidjson::kArrayType : rapidjson::kNumberType);
        break;
    }
  }
  w.EndObject();
  out_.append(buffer.GetString(), buffer.GetSize());
  out_ += '\n';
}

}  // namespace cohort
