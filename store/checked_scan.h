#pragma once
// Reading a log for its meaning (state, trace, audit, rerun, export, the server's rebuild)
// must not build on a record that is not as written: this scan checks each record's position
// and checksum on the way and stops with DamagedLog at the first one that is not.
#include <functional>

#include "store/log_reader.h"
#include "store/store_error.h"

namespace cohort {

struct DamagedLog : StoreError {
  DamagedLog(Seq at, const std::string& why);
  Seq seq;
};

// Streams records with seq >= from, in order, as LogReader::scan does; throws DamagedLog for a
// position gap or a checksum that does not match.
void checked_scan(LogReader& reader, Seq from, const std::function<bool(const RecordView&)>& visit);

}  // namespace cohort
