#pragma once
// Analytics: one row per player per game, the columns of PROTOCOL.md section 6.
// Built from events alone, like every projection.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/vocabulary/events.h"
#include "engine/vocabulary/experiment.h"

namespace cohort {

struct SessionRow {
  GameId game_id = kNoGame;
  int scene = kNoScene;
  std::string scene_id;  // as the experiment in force at the match named it
  std::string subject_id;
  int player_id = 0;
  std::vector<std::string> partner_subject_ids;
  Millis matched_at = 0;
  std::optional<Millis> started_at;
  std::optional<Millis> ended_at;
  std::optional<Millis> waited_ms;              // from joining the waitroom to the match
  bool ended = false;                           // false: the game was still running at the end of the log
  std::string termination_reason;               // the game's reason; an excluded player's own row: its exclusion reason
  std::optional<std::int64_t> termination_frame;
  std::int64_t completed_episodes = 0;
  std::string excluded_reason;                  // set on every row of a game that ended by an exclusion
  std::optional<std::int64_t> disconnected_player_id;
  std::int64_t pause_count = 0;
  std::int64_t total_pause_ms = 0;

  template <class S, class V> static void fields(S& s, V& v) {
    v("game_id", s.game_id), v("scene", s.scene), v("scene_id", s.scene_id), v("subject_id", s.subject_id), v("player_id", s.player_id);
    v("partner_subject_ids", s.partner_subject_ids), v("matched_at", s.matched_at), v("started_at", s.started_at);
    v("ended_at", s.ended_at), v("waited_ms", s.waited_ms), v("ended", s.ended);
    v("termination_reason", s.termination_reason), v("termination_frame", s.termination_frame);
    v("completed_episodes", s.completed_episodes), v("excluded_reason", s.excluded_reason);
    v("disconnected_player_id", s.disconnected_player_id), v("pause_count", s.pause_count);
    v("total_pause_ms", s.total_pause_ms);
  }
  bool is_partial() const { return ended && termination_reason != "normal"; }
  // ended_at - started_at, or ended_at - matched_at for a game that never started.
  std::optional<Millis> duration_ms() const;
  bool operator==(const SessionRow&) const = default;
};

// The reason the game ended (its game_ended), read from its rows: an excluded player's own row
// carries the exclusion reason instead.
std::string game_end_reason(const std::vector<SessionRow>& rows);

class Analytics {
 public:
  // The experiment in force before the first event (experiment_configured changes it later):
  // rows name their scene by its id at the match, whatever scene lists came after.
  void configure(const Experiment& experiment);
  void apply(const Event& event);
  // Rows by game id, then player id.
  const std::map<GameId, std::vector<SessionRow>>& rows() const { return rows_; }
  // The completion code the subject's study finished with (subject_done), "" for none yet.
  const std::string& completion_code(const std::string& subject) const;
  bool operator==(const Analytics&) const = default;

 private:
  friend struct SnapshotCodec;
  std::unordered_map<std::string, Millis> joined_at_;  // subject -> when it last entered a waitroom
  std::map<GameId, std::vector<SessionRow>> rows_;
  std::map<GameId, Millis> paused_at_;
  std::map<GameId, std::pair<std::int64_t, std::string>> excluded_;  // game -> (player, reason)
  std::vector<std::string> scene_ids_;  // of the experiment in force, by scene index
  std::map<std::string, std::string> completion_codes_;  // subject -> completion code
};

}  // namespace cohort
