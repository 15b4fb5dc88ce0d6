#include "store/checked_scan.h"

#include "store/checksum.h"

namespace cohort {

DamagedLog::DamagedLog(Seq at, const std::string& why)
    : StoreError("record " + std::to_string(at) + ": " + why + "; the log is damaged (cohort-replay verify names the first fault)"),
      seq(at) {}

void checked_scan(LogReader& reader, Seq from, const std::function<bool(const RecordView&)>& visit) {
  Seq expected = from;
  reader.scan(from, [&](const RecordView& record, std::uint64_t stored_checksum) {
    if (record.seq != expected) throw DamagedLog(record.seq, "position gap, expected " + std::to_string(expected));
    ++expected;
    if (record_checksum(record) != stored_checksum) throw DamagedLog(record.seq, "checksum mismatch");
    return visit(record);
  });
}

}  // namespace cohort
