#include "store/schema.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <array>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "store/checksum.h"
#include "store/config_redaction.h"
#include "store/plain_tokens.h"
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

// Reads one row of `records` as the store wrote it.
RecordView record_of(SQLite::Statement& row) {
  RecordView r;
  r.seq = row.getColumn(0).getInt64();
  r.at = row.getColumn(1).getInt64();
  r.kind = std::string_view(row.getColumn(2).getText()).starts_with('c') ? RecordKind::command : RecordKind::event;
  r.type = row.getColumn(3).getText();
  r.version = row.getColumn(4).getInt();
  r.subject = row.getColumn(5).isNull() ? std::string_view{} : std::string_view(row.getColumn(5).getText());
  r.game = row.getColumn(6).isNull() ? kNoGame : row.getColumn(6).getInt64();
  r.scene = row.getColumn(7).isNull() ? kNoScene : row.getColumn(7).getInt();
  r.causation = row.getColumn(8).isNull() ? 0 : row.getColumn(8).getInt64();
  r.payload = std::string_view(row.getColumn(9).getText(), static_cast<std::size_t>(row.getColumn(9).getBytes()));
  return r;
}

// No secret in the file (DESIGN.md rule 10). The records that held a resume token in plain
// text get its hash instead (or lose it: the `registered` notifications), exactly as this
// build writes them, and a new checksum. A record whose stored checksum does not match is
// damage, and is refused rather than sealed again: the whole migration rolls back, and the
// file stays as it was. The admin token leaves meta.config; snapshots, which held the
// tokens too, are dropped (the log is the truth: the next start replays it all).
void no_secrets(SQLite::Database& db) {
  std::vector<std::pair<Record, std::uint64_t>> upgraded;  // the new records and checksums
  {
    SQLite::Statement rows(db, "SELECT seq, at, kind, type, version, subject, game, scene, causation, payload, checksum "
                               "FROM records WHERE type IN ('register_subject', 'subject_registered', 'notification') "
                               "ORDER BY seq");
    while (rows.executeStep()) {
      RecordView record = record_of(rows);
      auto stored = static_cast<std::uint64_t>(rows.getColumn(10).getInt64());
      auto without = without_plain_tokens(record);
      if (!without) continue;
      if (record_checksum(record) != stored) {
        throw StoreError(db.getFilename() + ": record " + std::to_string(record.seq) +
                         ": checksum mismatch; the log is damaged, and is left as it was rather than upgraded "
                         "(cohort-replay verify shows the first damaged record)");
      }
      std::uint64_t checksum = record_checksum(*without);
      upgraded.emplace_back(std::move(*without), checksum);
    }
  }
  SQLite::Statement update(db, "UPDATE records SET version = ?, payload = ?, checksum = ? WHERE seq = ?");
  for (const auto& [record, checksum] : upgraded) {
    update.bind(1, record.version);
    update.bind(2, record.payload);
    update.bind(3, static_cast<std::int64_t>(checksum));
    update.bind(4, static_cast<std::int64_t>(record.seq));
    update.exec();
    update.reset();
  }
  db.exec("DELETE FROM snapshots");
  SQLite::Statement config(db, "SELECT value FROM meta WHERE key = 'config'");
  if (config.executeStep()) {
    std::string without = config_without_admin_token(config.getColumn(0).getString());
    SQLite::Statement strip(db, "UPDATE meta SET value = ? WHERE key = 'config'");
    strip.bind(1, without);
    strip.exec();
  }
}

// The participant's data, beside the records: one row per store_data command, under its
// position, and its binary attachments. Nothing older changes, so a schema-3 log gains two
// empty tables.
void participant_data(SQLite::Database& db) {
  db.exec(R"sql(
    CREATE TABLE participant_data (
      seq         INTEGER PRIMARY KEY,         -- the store_data command that carried it
      at          INTEGER NOT NULL,            -- the command's time, ms since the Unix epoch
      kind        TEXT    NOT NULL,            -- the wire event, e.g. emit_episode_data
      subject     TEXT    NOT NULL,
      game        INTEGER,
      scene       INTEGER,                     -- the scene index
      json        TEXT    NOT NULL,            -- the event's object, placeholders in place
      attachments INTEGER NOT NULL,            -- rows in participant_attachments
      bytes       INTEGER NOT NULL,            -- json and attachments together
      checksum    INTEGER NOT NULL             -- xxh3-64 of the row and its attachments
    );
    CREATE TABLE participant_attachments (
      seq  INTEGER NOT NULL,                   -- participant_data.seq
      num  INTEGER NOT NULL,                   -- the placeholder's num
      data BLOB    NOT NULL,
      PRIMARY KEY (seq, num)
    );
  )sql");
}

using Migration = void (*)(SQLite::Database&);
constexpr std::array<Migration, kSchemaVersion> kMigrations = {create_version_1, snapshots_with_checksum, no_secrets,
                                                               participant_data};

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
  if (!config_json.empty()) set_meta(db, "config", config_without_admin_token(config_json));
  transaction.commit();
  if (version > 0 && version < 3) {
    // The old pages and WAL frames still hold what the migration took out: rebuild the file,
    // then fold the WAL into it and truncate it. A reader holding an old snapshot can keep
    // the WAL from being truncated; the next checkpoint that finds it unused does it.
    db.exec("VACUUM");
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
}

int check_readable(SQLite::Database& db) {
  refuse_foreign_or_newer(db);
  int version = user_version(db);
  if (version == 0) throw StoreError(db.getFilename() + ": not a Cohort log (no schema)");
  return version;
}

}  // namespace cohort
