#include "history/verify.h"

#include "engine/vocabulary/record_codec.h"
#include "history/trusted_snapshot.h"
#include "store/checksum.h"

namespace cohort {

VerifyReport verify_log(const std::string& path) {
  LogReader reader(path);
  return verify_log(reader);
}

VerifyReport verify_log(LogReader& reader) {
  VerifyReport report;
  Seq expected = 1;
  Seq last_command = 0;
  auto fault = [&](Seq seq, const std::string& why) {
    report.first_fault = "record " + std::to_string(seq) + ": " + why;
    return false;
  };
  reader.scan(1, [&](const RecordView& record, std::uint64_t stored_checksum) {
    ++report.records;
    if (record.seq != expected) {
      return fault(record.seq, "position gap: expected " + std::to_string(expected));
    }
    ++expected;
    if (record_checksum(record) != stored_checksum) return fault(record.seq, "checksum mismatch");
    try {
      if (record.kind == RecordKind::command) {
        command_from_record(record);
        last_command = record.seq;
      } else {
        event_from_record(record);
        if (record.causation != last_command || last_command == 0) {
          return fault(record.seq, "causation " + std::to_string(record.causation) +
                                       " does not name the command before it");
        }
      }
    } catch (const CodecError& error) {
      return fault(record.seq, error.reason);
    }
    return true;
  });
  if (report.first_fault) return report;
  // The last record is read after the snapshots: on a live log, records committed since the
  // scan may be what a newer snapshot holds.
  std::vector<Snapshot> snapshots = reader.snapshots();
  Seq last_record = reader.last_seq();
  for (const Snapshot& snapshot : snapshots) {
    if (auto why = snapshot_fault(snapshot, last_record)) {
      report.first_fault = "snapshot " + std::to_string(snapshot.seq) + ": " + *why;
      break;
    }
  }
  return report;
}

}  // namespace cohort
