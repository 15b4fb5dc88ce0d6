#include "replay-tool/verify.h"

#include "engine/vocabulary/record_codec.h"
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
  return report;
}

}  // namespace cohort
