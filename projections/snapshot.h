#pragma once
// A snapshot of every projection (session map, analytics, audit) as text, so that a restart
// replays only the records after it. The format is versioned; a snapshot this build cannot
// read is refused (SnapshotError) and the caller rebuilds from the whole log instead.
#include <stdexcept>
#include <string>
#include <string_view>

#include "projections/projector.h"

namespace cohort {

// 3: a subject holds its resume token's hash; 2 held the token itself.
// 4: absent subjects, deferred game deadlines and the restart grace (issue 16).
// 5: an `experiment` line holds the experiment in force (docs/log.md).
// Lines added since (docs/log.md) are optional, so a snapshot written before them still restores.
inline constexpr int kSnapshotVersion = 5;

struct SnapshotError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string snapshot_of(const Projector& projector);
// `projector` must be fresh; the experiment the snapshot records replaces its own.
void restore_snapshot(Projector& projector, std::string_view text);

// The name the snapshots of all projections are stored under in the log.
inline constexpr const char* kSnapshotProjection = "projections";
// The last record a snapshot holds, as its header says; read without restoring it, so that a
// snapshot of any format version can be checked against its row. Every version starts its
// header with version, experiment_id and last_seq. Throws SnapshotError without a header.
Seq snapshot_position(std::string_view text);

}  // namespace cohort
