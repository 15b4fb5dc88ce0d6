#include "store/log_reader.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <filesystem>

#include "store/checksum.h"
#include "store/config_redaction.h"
#include "store/plain_tokens.h"
#include "store/schema.h"
#include "store/store_error.h"

namespace cohort {

struct LogReader::Connection {
  // A reader is used from one thread at a time: no per-call mutex.
  explicit Connection(const std::string& path) : db(path, SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX) {}
  SQLite::Database db;
};

LogReader::LogReader(const std::string& path) {
  if (!std::filesystem::exists(path)) throw StoreError(path + ": no such file");
  try {
    connection_ = std::make_unique<Connection>(path);
    connection_->db.setBusyTimeout(5000);
    schema_version_ = check_readable(connection_->db);
  } catch (const SQLite::Exception& error) {
    throw StoreError(path + ": cannot read it as a Cohort log (" + error.what() + ")");
  }
}

LogReader::~LogReader() = default;

Seq LogReader::last_seq() {
  return connection_->db.execAndGet("SELECT coalesce(max(seq), 0) FROM records").getInt64();
}

std::vector<Record> LogReader::read(Seq from, std::size_t limit) {
  std::vector<Record> out;
  if (limit == 0) return out;
  out.reserve(limit);
  scan(from, [&](const RecordView& record, std::uint64_t) {
    out.push_back(owned(record));
    return out.size() < limit;
  });
  return out;
}

namespace {

struct StatementCloser {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};

std::string_view text_column(sqlite3_stmt* row, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(row, column));
  return text ? std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(row, column))) : std::string_view{};
}

}  // namespace

void LogReader::scan(Seq from, const std::function<bool(const RecordView&, std::uint64_t)>& visit) {
  // The replay path reads millions of rows: the C API directly, and views into SQLite's row
  // buffers rather than copies.
  sqlite3* db = connection_->db.getHandle();
  sqlite3_stmt* raw = nullptr;
  const char* sql =
      "SELECT seq, at, kind, type, version, subject, game, scene, causation, payload, checksum "
      "FROM records WHERE seq >= ? ORDER BY seq";
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    throw StoreError(connection_->db.getFilename() + ": reading records failed (" + sqlite3_errmsg(db) + ")");
  }
  std::unique_ptr<sqlite3_stmt, StatementCloser> row(raw);
  sqlite3_bind_int64(raw, 1, from);
  RecordView r;
  int step;
  while ((step = sqlite3_step(raw)) == SQLITE_ROW) {
    r.seq = sqlite3_column_int64(raw, 0);
    r.at = sqlite3_column_int64(raw, 1);
    r.kind = text_column(raw, 2).starts_with('c') ? RecordKind::command : RecordKind::event;
    r.type = text_column(raw, 3);
    r.version = sqlite3_column_int(raw, 4);
    r.subject = text_column(raw, 5);
    r.game = sqlite3_column_type(raw, 6) == SQLITE_NULL ? kNoGame : sqlite3_column_int64(raw, 6);
    r.scene = sqlite3_column_type(raw, 7) == SQLITE_NULL ? kNoScene : sqlite3_column_int(raw, 7);
    r.causation = sqlite3_column_int64(raw, 8);
    r.payload = text_column(raw, 9);
    auto checksum = static_cast<std::uint64_t>(sqlite3_column_int64(raw, 10));
    std::optional<Record> upgraded;
    if (schema_version_ < 3 && (upgraded = without_plain_tokens(r))) {
      if (record_checksum(r) == checksum) checksum = record_checksum(*upgraded);
    }
    if (!visit(upgraded ? view_of(*upgraded) : r, checksum)) return;
    if (progress_ && r.seq % kProgressEvery == 0) progress_(r.seq);
  }
  if (step != SQLITE_DONE) {
    throw StoreError(connection_->db.getFilename() + ": reading records failed (" + sqlite3_errmsg(db) + ")");
  }
}

std::vector<Snapshot> LogReader::snapshots() {
  std::vector<Snapshot> out;
  if (schema_version_ < 3) return out;
  SQLite::Statement query(connection_->db,
                          "SELECT seq, projection, data, checksum FROM snapshots ORDER BY seq DESC, projection");
  while (query.executeStep()) {
    auto blob = query.getColumn(2);
    out.push_back(Snapshot{query.getColumn(0).getInt64(), query.getColumn(1).getString(),
                           std::string(static_cast<const char*>(blob.getBlob()), static_cast<std::size_t>(blob.getBytes())),
                           static_cast<std::uint64_t>(query.getColumn(3).getInt64())});
  }
  return out;
}

std::optional<std::string> LogReader::meta(const std::string& key) {
  SQLite::Statement query(connection_->db, "SELECT value FROM meta WHERE key = ?");
  query.bind(1, key);
  if (!query.executeStep()) return std::nullopt;
  if (key == "config") return config_without_admin_token(query.getColumn(0).getString());
  return query.getColumn(0).getString();
}

std::optional<std::pair<Record, std::uint64_t>> LogReader::first_of_type(const std::string& type) {
  SQLite::Statement query(connection_->db,
                          "SELECT seq, at, kind, version, subject, game, scene, causation, payload, checksum "
                          "FROM records WHERE type = ? ORDER BY seq LIMIT 1");
  query.bind(1, type);
  if (!query.executeStep()) return std::nullopt;
  Record r;
  r.seq = query.getColumn(0).getInt64();
  r.at = query.getColumn(1).getInt64();
  r.kind = query.getColumn(2).getString().starts_with('c') ? RecordKind::command : RecordKind::event;
  r.type = type;
  r.version = query.getColumn(3).getInt();
  r.subject = query.getColumn(4).getString();
  r.game = query.getColumn(5).isNull() ? kNoGame : query.getColumn(5).getInt64();
  r.scene = query.getColumn(6).isNull() ? kNoScene : query.getColumn(6).getInt();
  r.causation = query.getColumn(7).getInt64();
  r.payload = query.getColumn(8).getString();
  return std::pair{std::move(r), static_cast<std::uint64_t>(query.getColumn(9).getInt64())};
}

Seq LogReader::last_at_or_before(Millis at) {
  // Records are in time order only per writer run; the max seq at or before `at` is the answer.
  SQLite::Statement query(connection_->db, "SELECT coalesce(max(seq), 0) FROM records WHERE at <= ?");
  query.bind(1, static_cast<std::int64_t>(at));
  query.executeStep();
  return query.getColumn(0).getInt64();
}

}  // namespace cohort

namespace cohort {

void LogReader::scan_data(const std::function<bool(const DataRecord&, std::uint64_t)>& visit) {
  if (schema_version_ < 4) return;
  SQLite::Statement rows(connection_->db,
                         "SELECT seq, at, kind, subject, game, scene, json, checksum FROM participant_data ORDER BY seq");
  SQLite::Statement attachments(connection_->db, "SELECT data FROM participant_attachments WHERE seq = ? ORDER BY num");
  while (rows.executeStep()) {
    DataRecord data;
    data.seq = rows.getColumn(0).getInt64();
    data.at = rows.getColumn(1).getInt64();
    data.kind = rows.getColumn(2).getString();
    data.subject = rows.getColumn(3).getString();
    data.game = rows.getColumn(4).isNull() ? kNoGame : rows.getColumn(4).getInt64();
    data.scene = rows.getColumn(5).isNull() ? kNoScene : rows.getColumn(5).getInt();
    data.json = rows.getColumn(6).getString();
    auto stored = static_cast<std::uint64_t>(rows.getColumn(7).getInt64());
    attachments.bind(1, static_cast<std::int64_t>(data.seq));
    while (attachments.executeStep()) {
      const auto& blob = attachments.getColumn(0);
      data.attachments.emplace_back(static_cast<const char*>(blob.getBlob()), static_cast<std::size_t>(blob.getBytes()));
    }
    attachments.reset();
    if (!visit(data, stored)) return;
  }
}

std::vector<std::pair<std::string, std::int64_t>> LogReader::data_bytes_by_subject() {
  std::vector<std::pair<std::string, std::int64_t>> out;
  if (schema_version_ < 4) return out;
  SQLite::Statement rows(connection_->db, "SELECT subject, sum(bytes) FROM participant_data GROUP BY subject");
  while (rows.executeStep()) out.emplace_back(rows.getColumn(0).getString(), rows.getColumn(1).getInt64());
  return out;
}

}  // namespace cohort
