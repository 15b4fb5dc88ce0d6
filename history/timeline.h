#pragma once
// The records of one game or one subject laid out for drawing: which player's lane each record
// belongs on. `cohort-replay timeline` and the dashboard's GET /admin/timeline share it.
#include <optional>
#include <string>
#include <vector>

#include "engine/vocabulary/experiment.h"
#include "engine/vocabulary/record.h"
#include "history/trace.h"
#include "store/log_reader.h"

namespace cohort {

struct TimelineRecord {
  Record record;
  std::vector<int> lanes;  // a game-level record (no subject) is drawn on every lane of its game
};

struct Timeline {
  std::string title;                   // "game 3 · cramped_room" or "subject fay"
  std::vector<std::string> lanes;      // a game: "player 0 · eve" in seat order; a subject: its id
  std::vector<TimelineRecord> records; // in log order
  std::string end_reason;              // a game's end reason; "" while it runs (or for a subject)
};

// For a game: its players' records from the waitroom join that led to it, the game's own
// records, and the notifications sent with its end. For a subject: its trace. Pings and round
// trip reports are left out: they come every few seconds and say nothing about the session.
// nullopt when the log holds no such game or subject. Throws DamagedLog like every checked read.
// `experiment`: the one the log's first records are read with (store/recorded_experiment.h); a
// game's scene is named by the experiment in force at its creation.
std::optional<Timeline> collect_timeline(LogReader& reader, const Experiment& experiment, const TraceTarget& target);

}  // namespace cohort
