#pragma once
#include <cstdint>

#include "engine/vocabulary/record.h"

namespace cohort {

// xxh3-64 over every column of a record but the checksum itself, so that `verify` catches a
// changed payload, type, id or position.
std::uint64_t record_checksum(const RecordView& record);
inline std::uint64_t record_checksum(const Record& record) { return record_checksum(view_of(record)); }

}  // namespace cohort
