#pragma once
// A row of the log as the store keeps it: commands and events share one shape.
#include <string>

#include "engine/vocabulary/ids.h"

namespace cohort {

enum class RecordKind { command, event };

struct Record {
  Seq seq = 0;                  // assigned by the store at commit
  Millis at = 0;
  RecordKind kind = RecordKind::event;
  std::string type;             // e.g. "join_game", "game_ended"
  int version = 1;              // schema version of this type's payload
  std::string subject;          // "" when none
  GameId game = kNoGame;
  int scene = kNoScene;
  Seq causation = 0;            // for events: the seq of their command
  std::string payload;          // key=value text, see field_text.h

  bool operator==(const Record&) const = default;
};

const char* kind_name(RecordKind kind);

}  // namespace cohort
