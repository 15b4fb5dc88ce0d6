#pragma once
// `cohort-replay export --metrics`: one row per metrics message a client sent
// (emit_multiplayer_metrics, journaled as metrics_stored), with the record's seq and time, the
// subject, the game and its scene, then the message's keys flattened: a nested object's keys
// joined with dots under `metrics.` (`{"score": {"ana": 3}}` is the column `metrics.score.ana`),
// an array kept whole (JSON text in CSV, an array in JSON lines). Columns are the union of every
// message's keys, in the order they first appear; a message without a key leaves its cell empty.
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/vocabulary/events.h"
#include "engine/vocabulary/experiment.h"
#include "projections/export_table.h"

namespace cohort {

class MetricsMessages {
 public:
  explicit MetricsMessages(const Experiment& experiment) { configure(experiment); }
  // `seq`: the record's position, a row's stable id.
  void apply(Seq seq, const Event& event);
  std::string text(ExportFormat format) const;

 private:
  struct Message {
    Seq seq = 0;
    Millis at = 0;
    std::string subject;
    GameId game = kNoGame;
    std::string scene_id;
    std::vector<std::pair<std::size_t, Cell>> values;  // by index in keys_
  };
  void configure(const Experiment& experiment);

  std::vector<Message> messages_;
  std::vector<std::string> keys_;  // flattened, in the order they first appear
  std::unordered_map<std::string, std::size_t> key_index_;
  std::vector<std::string> scene_ids_;
};

}  // namespace cohort
