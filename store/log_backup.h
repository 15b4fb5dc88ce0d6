#pragma once
// A consistent copy of a log, taken while a server may be writing it (`cohort-replay backup`).
// SQLite's online backup API copies the file as of one read transaction: in WAL mode that
// neither blocks the writer nor is restarted by its commits, so the copy holds every record
// committed when the copy began and none after. The copy is one self-contained file (rollback
// journal, no -wal beside it), written beside its destination and renamed into place, so a
// failed or interrupted backup never leaves a half-written file under the destination's name.
#include <string>

#include "engine/vocabulary/ids.h"

namespace cohort {

struct BackupResult {
  Seq records = 0;  // the last seq in the copy
};

// Throws StoreError with one line: the source is not a readable Cohort log, `out` exists and
// `replace` is false, `out` is the log itself, or the copy could not be written.
BackupResult backup_log(const std::string& log, const std::string& out, bool replace);

}  // namespace cohort
