#include "store/log_reader.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>

#include "store/schema.h"
#include "store/store_error.h"

namespace cohort {

struct LogReader::Connection {
  explicit Connection(const std::string& path) : db(path, SQLite::OPEN_READONLY) {}
  SQLite::Database db;
};

namespace {

Record record_from_row(SQLite::Statement& row) {
  Record r;
  r.seq = row.getColumn(0).getInt64();
  r.at = row.getColumn(1).getInt64();
  const char* kind = row.getColumn(2).getText();
  r.kind = kind[0] == 'c' ? RecordKind::command : RecordKind::event;
  r.type = row.getColumn(3).getString();
  r.version = row.getColumn(4).getInt();
  if (!row.isColumnNull(5)) r.subject = row.getColumn(5).getString();
  if (!row.isColumnNull(6)) r.game = row.getColumn(6).getInt64();
  if (!row.isColumnNull(7)) r.scene = row.getColumn(7).getInt();
  if (!row.isColumnNull(8)) r.causation = row.getColumn(8).getInt64();
  r.payload = row.getColumn(9).getString();
  return r;
}

}  // namespace

LogReader::LogReader(const std::string& path) {
  if (!std::filesystem::exists(path)) throw StoreError(path + ": no such file");
  try {
    connection_ = std::make_unique<Connection>(path);
    connection_->db.setBusyTimeout(5000);
    check_readable(connection_->db);
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
  scan(from, [&](const Record& record, std::uint64_t) {
    out.push_back(record);
    return out.size() < limit;
  });
  return out;
}

void LogReader::scan(Seq from, const std::function<bool(const Record&, std::uint64_t)>& visit) {
  try {
    SQLite::Statement query(connection_->db,
                            "SELECT seq, at, kind, type, version, subject, game, scene, causation, payload, "
                            "checksum FROM records WHERE seq >= ? ORDER BY seq");
    query.bind(1, static_cast<std::int64_t>(from));
    while (query.executeStep()) {
      Record record = record_from_row(query);
      auto checksum = static_cast<std::uint64_t>(query.getColumn(10).getInt64());
      if (!visit(record, checksum)) break;
    }
  } catch (const SQLite::Exception& error) {
    throw StoreError(connection_->db.getFilename() + ": reading records failed (" + error.what() + ")");
  }
}

std::optional<Snapshot> LogReader::latest_snapshot(const std::string& projection) {
  SQLite::Statement query(connection_->db,
                          "SELECT seq, data FROM snapshots WHERE projection = ? ORDER BY seq DESC LIMIT 1");
  query.bind(1, projection);
  if (!query.executeStep()) return std::nullopt;
  auto blob = query.getColumn(1);
  return Snapshot{query.getColumn(0).getInt64(),
                  std::string(static_cast<const char*>(blob.getBlob()), static_cast<std::size_t>(blob.getBytes()))};
}

std::optional<std::string> LogReader::meta(const std::string& key) {
  SQLite::Statement query(connection_->db, "SELECT value FROM meta WHERE key = ?");
  query.bind(1, key);
  if (!query.executeStep()) return std::nullopt;
  return query.getColumn(0).getString();
}

Seq LogReader::last_at_or_before(Millis at) {
  // Records are in time order only per writer run; the max seq at or before `at` is the answer.
  SQLite::Statement query(connection_->db, "SELECT coalesce(max(seq), 0) FROM records WHERE at <= ?");
  query.bind(1, static_cast<std::int64_t>(at));
  query.executeStep();
  return query.getColumn(0).getInt64();
}

}  // namespace cohort
