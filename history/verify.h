#pragma once
// `cohort-replay verify`: is the log sound? Gap-free positions from 1, every checksum,
// every record decodable by this build, every event caused by an earlier command; then every
// snapshot intact, holding the record its row names, and not beyond the last record.
#include <optional>
#include <string>

#include "engine/vocabulary/ids.h"
#include "store/log_reader.h"

namespace cohort {

struct VerifyReport {
  Seq records = 0;
  std::optional<std::string> first_fault;  // "record N: why", or "snapshot N: why"
};

// Throws StoreError when the file cannot be read as a Cohort log at all.
VerifyReport verify_log(const std::string& path);
VerifyReport verify_log(LogReader& reader);

}  // namespace cohort
