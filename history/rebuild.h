#pragma once
// Rebuilds projections from a log: the same apply code the live engine runs.
#include <cstdint>

#include "projections/projector.h"
#include "store/log_reader.h"

namespace cohort {

// Feeds every record from `from` to `to` (inclusive) to the projector, in order. Throws
// CodecError for a record this build cannot decode and DamagedLog for a gap or a checksum
// mismatch, each naming the seq.
void rebuild(LogReader& reader, Projector& projector, Seq from = 1, Seq to = INT64_MAX);

}  // namespace cohort
