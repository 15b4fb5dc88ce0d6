#pragma once
// The session map: subjects, live games, waitrooms and deadlines. The decider reads it;
// only apply() below writes it (DESIGN.md rule 1).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "engine/vocabulary/events.h"
#include "engine/vocabulary/experiment.h"

namespace cohort {

enum class SubjectState { idle, waiting, in_game, done };
enum class GameStatus { matched, validating, playing, paused, ended };
enum class DeadlineKind { waitroom_expiry, reunion_wait, countdown_end, validation_timeout, reconnection_grace, restart_grace };

const char* state_name(SubjectState state);
const char* status_name(GameStatus status);
const char* deadline_name(DeadlineKind kind);

struct Subject {
  std::string id;
  SubjectState state = SubjectState::idle;
  int scene = 0;
  GameId game = kNoGame;       // while in_game
  int player = -1;             // seat in `game`
  GameId last_game = kNoGame;  // the most recent game, kept after it ends: late messages about it are harmless
  std::string resume_token_hash;  // never the token itself (DESIGN.md rule 10)
  std::optional<std::int64_t> rtt_ms;
  bool connected = false;
  ConnId conn = kNoConn;
  Millis waiting_since = 0;
  Millis wait_deadline = 0;     // waitroom expiry, 0 = none
  Millis reunion_deadline = 0;  // group_reunion: earlier partners awaited until then, 0 = not waiting for them
  std::vector<std::string> last_partners;  // the other players of the last game that ended
  // Connected when the server last stopped, and not back yet (not connected meanwhile).
  bool absent = false;
  // What happened while absent that the subject's client was not told: said when it is back.
  bool missed_waitroom_timeout = false;
  std::string missed_game_end;  // the end reason of `last_game`, "" if none was missed
  // Once done: the completion code and redirect its study finished with (subject_done).
  std::optional<std::string> completion_code;
  std::optional<std::string> redirect_url;

  template <class S, class V> static void fields(S& s, V& v) {
    v("id", s.id), v("state", s.state), v("scene", s.scene), v("game", s.game), v("player", s.player);
    v("last_game", s.last_game), v("resume_token_hash", s.resume_token_hash), v("rtt_ms", s.rtt_ms);
    v("connected", s.connected), v("conn", s.conn), v("waiting_since", s.waiting_since);
    v("wait_deadline", s.wait_deadline), v("reunion_deadline", s.reunion_deadline);
    v("last_partners", s.last_partners), v("absent", s.absent);
    v("missed_waitroom_timeout", s.missed_waitroom_timeout), v("missed_game_end", s.missed_game_end);
    v("completion_code", s.completion_code), v("redirect_url", s.redirect_url);
  }
  bool operator==(const Subject&) const = default;
};

struct Game {
  GameId id = kNoGame;
  int scene = 0;
  GameStatus status = GameStatus::matched;
  std::vector<std::string> players;  // human seats in order: player_id = index
  std::int64_t seed = 0;
  Millis created_at = 0;
  Millis started_at = 0;
  std::int64_t episodes = 0;
  std::vector<bool> validated;    // p2p validation reported, per player
  std::vector<bool> reconnected;  // p2p reconnection reported during a connection_lost pause
  std::string pause_cause;        // connection_lost or disconnect, while paused
  std::int64_t pause_frame = 0;
  std::int64_t pause_player = 0;  // who detected the lost connection, or who is missing
  Millis paused_at = 0;
  DeadlineKind deadline_kind = DeadlineKind::countdown_end;
  Millis deadline = 0;  // the game's one pending deadline, 0 = none
  // Its countdown or validation deadline fell due while a player was absent: `deadline_kind`
  // fires when the last absent player is back (deadline is 0 meanwhile).
  bool deferred = false;

  template <class S, class V> static void fields(S& s, V& v) {
    v("id", s.id), v("scene", s.scene), v("status", s.status), v("players", s.players), v("seed", s.seed);
    v("created_at", s.created_at), v("started_at", s.started_at), v("episodes", s.episodes);
    v("validated", s.validated), v("reconnected", s.reconnected), v("pause_cause", s.pause_cause);
    v("pause_frame", s.pause_frame), v("pause_player", s.pause_player), v("paused_at", s.paused_at), v("deadline_kind", s.deadline_kind);
    v("deadline", s.deadline), v("deferred", s.deferred);
  }
  bool operator==(const Game&) const = default;
};

struct Deadline {
  Millis at = 0;
  DeadlineKind kind = DeadlineKind::waitroom_expiry;
  GameId game = kNoGame;
  std::string subject;
  auto operator<=>(const Deadline&) const = default;
};

struct SessionMap {
  explicit SessionMap(std::shared_ptr<const Experiment> experiment);

  ExperimentPtr experiment;  // the one in force: experiment_configured replaces it
  std::unordered_map<std::string, Subject> subjects;  // iteration order is not meaningful: sort where it matters
  std::map<GameId, Game> games;                     // live games only: an ended game is erased
  std::vector<std::vector<std::string>> waitrooms;  // per scene index, in arrival order
  std::size_t waiting_count = 0;                    // subjects in state waiting
  std::set<std::tuple<int, std::string, std::string>> failed_pairs;  // (scene, a, b), a < b
  std::set<Deadline> deadlines;                     // every pending deadline, earliest first
  GameId last_game_id = kNoGame;
  std::int64_t nonce = 0;  // of the last server start; game seeds derive from it
  std::int64_t server_starts = 0;  // runs of the server on this log; each run numbers its sockets apart
  Millis restart_grace_deadline = 0;  // until when absent subjects are waited for, 0 = none
  // Scene indices whose waitroom the researcher closed to new joins (waitroom_closed).
  std::set<int> closed_waitrooms;
  // The cap on distinct subjects ever registered: the experiment's `max_participants`, until a
  // max_participants_set changes it; nullopt = none.
  std::optional<std::int64_t> max_participants;

  const Subject* subject(const std::string& id) const;
  const Game* game(GameId id) const;
  const Scene& scene(int index) const { return experiment->scenes.at(static_cast<std::size_t>(index)); }
  // The index of the scene `scene_id`, or -1.
  int scene_index(const std::string& scene_id) const;
  bool waitroom_closed(int scene) const { return closed_waitrooms.count(scene) > 0; }
  std::optional<Deadline> earliest_deadline() const;
  bool failed_together(int scene, const std::string& a, const std::string& b) const;

  bool operator==(const SessionMap&) const = default;
};

// The one way the session map changes.
void apply(SessionMap& state, const Event& event);

}  // namespace cohort
