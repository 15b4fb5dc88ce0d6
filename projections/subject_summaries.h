#pragma once
// One row per subject ever registered, for paying and analysing a study (`cohort-replay export
// --subjects`): when it was first and last seen, the scenes it reached, its time in waitrooms,
// its games, and how its part in the study ended. Built from events alone, like every
// projection, so the same code can run on the live engine and on a log.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/vocabulary/events.h"
#include "engine/vocabulary/experiment.h"

namespace cohort {

struct SubjectSummary {
  std::string subject_id;
  Millis first_seen_at = 0;  // its registration
  Millis last_seen_at = 0;   // the last event about it (notifications aside)
  std::vector<std::string> scenes_reached;  // scene ids in the order reached, the first at registration
  int scene = 0;                            // the scene it stands at
  bool connected = false;
  bool done = false;
  bool waiting = false;
  GameId game = kNoGame;  // while in a game
  std::int64_t waitroom_joins = 0;
  std::int64_t waitroom_timeouts = 0;
  Millis waited_ms = 0;       // in waitrooms, stays that have ended
  Millis waiting_since = 0;   // while waiting
  std::int64_t games_played = 0;     // games it was seated in
  std::int64_t games_completed = 0;  // of those, ended `normal`
  // How its last stay in a waitroom or a game ended, when nothing came after it: waitroom_timeout,
  // left_waitroom, left_game, disconnected, excluded, or its game's end reason (partner_left,
  // partner_disconnected, partner_exclusion, ...). Empty once it moves on.
  std::string last_end;
  std::string excluded_reason;  // when it was excluded from a game
  // Once done: the `completion` ending that finished its study ("finished" for the last scene)
  // and the code it was given (docs/server.md, "Paying participants: completion codes").
  std::string study_ending;
  std::string completion_code;
  // Its first registration's recruitment ids, a JSON object of strings ("" when none were kept;
  // docs/server.md "Recruitment ids").
  std::string params;

  // finished (or, for a study an earlier ending finished, that ending: waitroom_timeout,
  // partner_left, excluded, validation_failed), in_progress (waiting or in a game at the end of
  // the log, or connected and not done), `last_end` when set, else disconnected.
  std::string outcome() const;
  // Time in waitrooms up to `now`, the stay still open included.
  Millis waited_until(Millis now) const { return waited_ms + (waiting ? now - waiting_since : 0); }
};

class SubjectSummaries {
 public:
  explicit SubjectSummaries(const Experiment& experiment) { configure(experiment); }
  // Who sent the command whose events follow ("" for a timer or the server itself): tells who
  // left a game from the partners it left.
  void begin_command(std::string_view subject) { command_subject_ = subject; }
  void apply(const Event& event);
  // In order of registration.
  const std::vector<SubjectSummary>& rows() const { return rows_; }
  // The time of the last event applied: a stay in a waitroom still open is counted up to it.
  Millis last_at() const { return last_at_; }

 private:
  void configure(const Experiment& experiment);
  SubjectSummary* find(const std::string& subject);
  std::string scene_id(int scene) const;
  void end_game(const Event& event, const ev::GameEnded& ended);

  std::vector<SubjectSummary> rows_;
  std::unordered_map<std::string, std::size_t> index_;
  std::map<GameId, std::vector<std::string>> games_;       // live games: players in seat order
  std::map<GameId, std::string> exclusion_reasons_;        // game -> its excluded player's reason
  std::vector<std::string> scene_ids_;                     // of the experiment in force
  std::string command_subject_;
  Millis last_at_ = 0;
};

}  // namespace cohort
