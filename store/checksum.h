#pragma once
#include <cstdint>
#include <string_view>

#include "engine/vocabulary/record.h"

namespace cohort {

// xxh3-64 over every column of a record but the checksum itself, so that `verify` catches a
// changed payload, type, id or position.
std::uint64_t record_checksum(const RecordView& record);
inline std::uint64_t record_checksum(const Record& record) { return record_checksum(view_of(record)); }

// xxh3-64 over a snapshot row: its position, its projection's name and its data, so that a
// changed byte, or a snapshot moved to another row, no longer matches.
std::uint64_t snapshot_checksum(Seq seq, std::string_view projection, std::string_view data);

}  // namespace cohort
