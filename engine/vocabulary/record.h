#pragma once
// A row of the log as the store keeps it: commands and events share one shape.
#include <string>
#include <string_view>

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

// A record read in place: the strings point into a buffer the reader owns (valid until it
// moves on), so a scan over millions of rows copies nothing it does not need.
struct RecordView {
  Seq seq = 0;
  Millis at = 0;
  RecordKind kind = RecordKind::event;
  std::string_view type;
  int version = 1;
  std::string_view subject;
  GameId game = kNoGame;
  int scene = kNoScene;
  Seq causation = 0;
  std::string_view payload;
};

inline RecordView view_of(const Record& r) {
  return RecordView{r.seq, r.at, r.kind, r.type, r.version, r.subject, r.game, r.scene, r.causation, r.payload};
}

inline Record owned(const RecordView& v) {
  return Record{v.seq,
                v.at,
                v.kind,
                std::string(v.type),
                v.version,
                std::string(v.subject),
                v.game,
                v.scene,
                v.causation,
                std::string(v.payload)};
}

const char* kind_name(RecordKind kind);

}  // namespace cohort
