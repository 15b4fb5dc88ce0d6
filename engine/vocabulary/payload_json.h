#pragma once
// A record's payload as a JSON object, for people and scripts reading a log
// (`cohort-replay trace --json`): every field typed as its body declares it (integers as numbers,
// flags as true/false, lists as arrays, text unescaped), and the fields that carry JSON text
// (a notification's `args`, a client's `metrics`, an `experiment`) as the JSON values they hold.
// RapidJSON stays in the .cpp.
#include <string>

#include "engine/vocabulary/record.h"

namespace cohort {

// A record this build cannot decode (a newer type, a damaged payload) still gets an object: its
// `key=value` pairs as unescaped strings.
std::string payload_json(const RecordView& record);

}  // namespace cohort
