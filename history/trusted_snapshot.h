#pragma once
// Snapshots are a shortcut through the log, taken only when they can be trusted: intact, and
// holding exactly the state after the record their row names, which the log still holds.
// The server restores from one at start; `cohort-replay verify` checks each.
#include <functional>
#include <optional>
#include <string>

#include "projections/projector.h"
#include "store/log_reader.h"

namespace cohort {

// Why the snapshot cannot be trusted ("checksum mismatch", "its header holds record 118",
// "beyond the last record (97)", "unreadable snapshot header: ..."), or nullopt when it can.
std::optional<std::string> snapshot_fault(const Snapshot& snapshot, Seq last_record);

using SkippedSnapshot = std::function<void(Seq snapshot_seq, const std::string& why)>;

// Brings a fresh `projector` that builds every projection (a snapshot holds them all) to the state after the log's last record: from the newest
// snapshot of the projections that can be trusted and restored, and the records after it, else
// from the whole log. Each snapshot passed over goes to `skipped`, newest first. Returns the
// seq of the snapshot used, 0 when none. Throws what rebuild() throws.
Seq restore_from_log(LogReader& reader, Projector& projector, const SkippedSnapshot& skipped);

}  // namespace cohort
