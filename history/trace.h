#pragma once
// `cohort-replay trace`: every command and event that touched a subject or a game, in order.
// A subject's trace includes the game-level events (creation, start, pauses, the end...) of
// every game it sat in. The researcher's commands show in the trace of the subject or game they
// name (the payload has the actor), and all of them in the admin trace.
#include <functional>
#include <string>

#include "engine/vocabulary/record.h"
#include "store/log_reader.h"

namespace cohort {

struct TraceTarget {
  std::string subject;   // trace a subject, or
  GameId game = kNoGame; // a game, or
  bool admin = false;    // every researcher's command (admin_*) and the events each caused
};

void trace(LogReader& reader, const TraceTarget& target, const std::function<void(const RecordView&)>& visit);

// One readable line: seq, UTC time, kind, type, subject, game, payload.
std::string trace_line(const RecordView& record);
// One JSON object per record; its payload an object (payload_json.h), its messages decoded.
std::string trace_json(const RecordView& record);

}  // namespace cohort
