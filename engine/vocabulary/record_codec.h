#pragma once
// Commands and events to and from the log's Record shape. Decoding never trusts the
// record: an unknown type, a newer version or a bad field is a CodecError naming the seq (an
// experiment_configured whose experiment does not parse included).
#include <stdexcept>
#include <string>

#include "engine/vocabulary/commands.h"
#include "engine/vocabulary/events.h"
#include "engine/vocabulary/record.h"

namespace cohort {

struct CodecError : std::runtime_error {
  CodecError(Seq seq, const std::string& reason);
  Seq seq;
  std::string reason;
};

// The payload version of a command whose body declares none.
inline constexpr int kCommandVersion = 1;

Record to_record(const Command& command);
Record to_record(const Event& event, Seq causation = 0);

Command command_from_record(const RecordView& record);
Event event_from_record(const RecordView& record);
inline Command command_from_record(const Record& record) { return command_from_record(view_of(record)); }
inline Event event_from_record(const Record& record) { return event_from_record(view_of(record)); }

}  // namespace cohort
