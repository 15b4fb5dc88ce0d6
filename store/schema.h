#pragma once
// The log file's layout and its version. See docs/log.md.
#include <string>

namespace SQLite {
class Database;
}

namespace cohort {

// 1: records, meta, snapshots. 2: snapshots carry a checksum. 3: no secret in the file: resume
// tokens only as hashes, no admin token in meta.config (store/plain_tokens.h). 4: the
// participant's data (participant_data, participant_attachments; store/participant_data.h).
inline constexpr int kSchemaVersion = 4;
// PRAGMA application_id of every Cohort log ("Coh1"): tells our files from other SQLite files.
inline constexpr int kApplicationId = 0x436f6831;
// What the WAL is cut back to after a checkpoint (docs/log.md, checkpoint policy).
inline constexpr long long kWalSizeLimitBytes = 64LL * 1024 * 1024;

enum class Durability { full, normal };

// Writer side: creates a new log, migrates an older one in one transaction, or refuses a
// file that is not a Cohort log or was written by a newer schema (StoreError). Records
// `config_json` in meta without its admin token (store/config_redaction.h). A migration that
// took secrets out of the file is followed by a VACUUM, so that no page of the file, and no
// frame of its WAL, still holds them.
void prepare_for_writing(SQLite::Database& db, Durability durability, const std::string& config_json);

// Reader side: refuses what prepare_for_writing would refuse, and a file with no log yet.
// Returns the file's schema version: every version up to kSchemaVersion is read as it is, so
// the server can read a log before it migrates it, and cohort-replay never writes to one.
int check_readable(SQLite::Database& db);

}  // namespace cohort
