#include "store/schema.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <array>
#include <chrono>
#include <string>

#include "store/store_error.h"

namespace cohort {
namespace {

// kMigrations[v] takes a file from schema version v to v + 1; version 0 is an empty file.
void create_version_1(SQLite::Database& db) {
  db.exec(R"sql(
    CREATE TABLE records (
      seq       INTEGER PRIMARY KEY,           -- gap-free position, in commit order
      at        INTEGER NOT NULL,              -- ms since the Unix epoch
      kind      TEXT    NOT NULL CHECK (kind IN ('command', 'event')),
      type      TEXT    NOT NULL CHECK (length(type) > 0),
      version   INTEGER NOT NULL,
      subject   TEXT,
      game      INTEGER,
      scene     INTEGER,
      causation INTEGER,                       -- events: seq of their command
      payload   TEXT    NOT NULL,
      checksum  INTEGER NOT NULL               -- xxh3-64 of the other columns
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE snapshots (
      seq        INTEGER NOT NULL,             -- the last record the snapshot holds
      projection TEXT    NOT NULL,
      data       BLOB    NOT NULL,
      PRIMARY KEY (projection, seq)
    );
  )sql");
}

// Snapshots get a checksum. Those of version 1 have none to check and are dropped: the log
// is the truth, so the next start rebuilds from the records and the server writes new ones.
void snapshots_with_checksum(SQLite::Database& db) {
  db.exec(R"sql(
    DROP TABLE snapshots;
    CREATE TABLE snapshots (
      seq        INTEGER NOT NULL,             -- the last record the snapshot holds
      projection TEXT    NOT NULL,
      data       BLOB    NOT NULL,
      checksum   INTEGER NOT NULL,             -- xxh3-64 of seq, projection and data
      PRIMARY KEY (projection, seq)
    );
  )sql");
}

using Migration = void (*)(SQLite::Database&);
constexpr std::array<Migration, kSchemaVersion> kMigrations = {create_version_1, snapshots_with_checksum};

int user_version(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }
int application_id(SQLite::Database& db) { return db.execAndGet("PRAGMA application_id").getInt(); }

bool has_tables(SQLite::Database& db) {
  return db.execAndGet("SELECT count(*) FROM sqlite_schema").getInt() > 0;
}

void refuse_foreign_or_newer(SQLite::Database& db) {
  if (has_tables(db) && application_id(db) != kApplicationId) {
    throw StoreError(db.getFilename() + ": not a Cohort log (an SQLite file of something else)");
  }
  int version = user_version(db);
  if (version > kSchemaVersion) {
    throw StoreError(db.getFilename() + ": written by a newer Cohort (schema " + std::to_string(version) +
                     ", this build reads up to " + std::to_string(kSchemaVersion) + "); refusing to touch it");
  }
}

void set_meta(SQLite::Database& db, const char* key, const std::string& value) {
  SQLite::Statement upsert(db, "INSERT INTO meta(key, value) VALUES(?, ?) "
                               "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  upsert.bind(1, key);
  upsert.bind(2, value);
  upsert.exec();
}

}  // namespace

void prepare_for_writing(SQLite::Database& db, Durability durability, const std::string& config_json) {
  db.exec("PRAGMA journal_mode=WAL");
  db.exec(durability == Durability::full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  // Checkpoint policy (docs/log.md): SQLite copies the WAL back into the file once it passes
  // 1000 pages (4 MiB) and no reader needs the older frames; the file is then cut back to
  // at most 64 MiB, so a reader that held it open for a long while leaves no lasting bloat.
  db.exec("PRAGMA wal_autocheckpoint=1000");
  db.exec("PRAGMA journal_size_limit=" + std::to_string(kWalSizeLimitBytes));
  SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
  refuse_foreign_or_newer(db);
  int version = user_version(db);
  if (version == 0 && has_tables(db)) {
    throw StoreError(db.getFilename() + ": not a Cohort log (tables present, no schema version)");
  }
  for (int v = version; v < kSchemaVersion; ++v) kMigrations[v](db);
  if (version == 0) {
    db.exec("PRAGMA application_id=" + std::to_string(kApplicationId));
    set_meta(db, "created_by", COHORT_VERSION);
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    set_meta(db, "created_at_ms", std::to_string(now.count()));
  }
  if (version != kSchemaVersion) {
    db.exec("PRAGMA user_version=" + std::to_string(kSchemaVersion));
    set_meta(db, "schema_version", std::to_string(kSchemaVersion));
  }
  set_meta(db, "opened_by", COHORT_VERSION);
  if (!config_json.empty()) set_meta(db, "config", config_json);
  transaction.commit();
}

int check_readable(SQLite::Database& db) {
  refuse_foreign_or_newer(db);
  int version = user_version(db);
  if (version == 0) throw StoreError(db.getFilename() + ": not a Cohort log (no schema)");
  return version;
}

}  // namespace cohort
