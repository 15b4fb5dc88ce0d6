#pragma once
// The participant's data (mug's episode data, game data, scene answers, globals): kept in the
// log's file beside the records, in its own tables (docs/log.md, "participant_data"), because
// it is not state: no projection, snapshot or rerun reads it. Each row sits under the position of
// the store_data command that carried it, written in that command's transaction.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/vocabulary/ids.h"

namespace cohort {

struct DataRecord {
  Seq seq = 0;     // the store_data command's position (the writer sets it)
  Millis at = 0;   // the command's time (the writer sets it)
  std::string kind;     // the wire event: emit_episode_data, emit_remote_game_data, ...
  std::string subject;
  GameId game = kNoGame;
  int scene = kNoScene;
  std::string json;     // the event's payload object as received, placeholders in place
  std::vector<std::string> attachments;  // binary attachments, in placeholder (num) order

  bool operator==(const DataRecord&) const = default;
};

// The JSON text and the attachments together: what the per-message and per-subject bounds count.
std::int64_t data_bytes(const DataRecord& data);

// xxh3-64 over every field, the attachments included, so that a changed byte, a row moved to
// another position or a lost attachment no longer matches.
std::uint64_t data_checksum(const DataRecord& data);

}  // namespace cohort
