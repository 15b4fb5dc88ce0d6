#include "history/trusted_snapshot.h"

#include "history/rebuild.h"
#include "projections/snapshot.h"
#include "store/checksum.h"

namespace cohort {

std::optional<std::string> snapshot_fault(const Snapshot& snapshot, Seq last_record) {
  if (snapshot_checksum(snapshot.seq, snapshot.projection, snapshot.data) != snapshot.stored_checksum) {
    return "checksum mismatch";
  }
  try {
    Seq held = snapshot_position(snapshot.data);
    if (held != snapshot.seq) return "its header holds record " + std::to_string(held);
  } catch (const SnapshotError& error) {
    return std::string(error.what());
  }
  // Restoring it would put the state ahead of the log, and the next commit would reuse positions.
  if (snapshot.seq > last_record) return "beyond the last record (" + std::to_string(last_record) + ")";
  return std::nullopt;
}

Seq restore_from_log(LogReader& reader, Projector& projector, const SkippedSnapshot& skipped) {
  std::vector<Snapshot> snapshots = reader.snapshots();
  Seq last_record = reader.last_seq();
  Seq from_snapshot = 0;
  for (const Snapshot& snapshot : snapshots) {
    if (snapshot.projection != kSnapshotProjection) continue;
    auto fault = snapshot_fault(snapshot, last_record);
    if (!fault) {
      // Into a projector of its own: a snapshot refused halfway must leave nothing behind.
      Projector restored(projector.map.experiment);
      try {
        restore_snapshot(restored, snapshot.data);
        projector = std::move(restored);
        from_snapshot = snapshot.seq;
        break;
      } catch (const SnapshotError& error) {
        fault = error.what();
      }
    }
    skipped(snapshot.seq, *fault);
  }
  rebuild(reader, projector, from_snapshot + 1);
  return from_snapshot;
}

}  // namespace cohort
