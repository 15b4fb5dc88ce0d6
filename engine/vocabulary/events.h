#pragma once
// Events: the facts the decider records. Only projections' apply() turns them into state.
// The envelope (Event) carries the ids every event may concern; bodies carry the rest.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/vocabulary/ids.h"

namespace cohort::ev {

#define COHORT_EVENT(type_name)                                  \
  static constexpr std::string_view name = type_name;            \
  static constexpr int version = 1;

struct SubjectRegistered {
  static constexpr std::string_view name = "subject_registered";
  static constexpr int version = 3;  // 1 held the token in plain text (store/plain_tokens.h); 3 added params
  std::string resume_token_hash;     // the subject's resume token, hashed by the server
  std::optional<std::string> params;  // its first registration's recruitment ids (cmd::RegisterSubject)
  template <class S, class V> static void fields(S& s, V& v) {
    v("resume_token_hash", s.resume_token_hash);
    v("params", s.params);
  }
  // Without params the payload is version 2's: recorded as such (docs/log.md).
  int payload_version() const { return params ? version : 2; }
  bool operator==(const SubjectRegistered&) const = default;
};

// A registration took a disconnected subject over without its token: the token drawn for that
// registration replaces the old one, so the new holder can resume later and the old one cannot.
struct ResumeTokenReissued {
  COHORT_EVENT("resume_token_reissued")
  std::string resume_token_hash;
  template <class S, class V> static void fields(S& s, V& v) { v("resume_token_hash", s.resume_token_hash); }
  bool operator==(const ResumeTokenReissued&) const = default;
};

struct SubjectConnected {
  COHORT_EVENT("subject_connected")
  ConnId conn = kNoConn;
  ConnId replaced_conn = kNoConn;  // the live socket this one took over from, if any
  template <class S, class V> static void fields(S& s, V& v) {
    v("conn", s.conn);
    v("replaced_conn", s.replaced_conn);
  }
  bool operator==(const SubjectConnected&) const = default;
};

struct SubjectDisconnected {
  COHORT_EVENT("subject_disconnected")
  ConnId conn = kNoConn;
  template <class S, class V> static void fields(S& s, V& v) { v("conn", s.conn); }
  bool operator==(const SubjectDisconnected&) const = default;
};

struct RttRecorded {
  COHORT_EVENT("rtt_recorded")
  std::int64_t rtt_ms = 0;
  template <class S, class V> static void fields(S& s, V& v) { v("rtt_ms", s.rtt_ms); }
  bool operator==(const RttRecorded&) const = default;
};

struct WaitroomJoined {
  COHORT_EVENT("waitroom_joined")
  Millis deadline = 0;         // waitroom expiry, 0 = none
  Millis reunion_deadline = 0; // group_reunion: until when earlier partners are waited for
  template <class S, class V> static void fields(S& s, V& v) {
    v("deadline", s.deadline);
    v("reunion_deadline", s.reunion_deadline);
  }
  bool operator==(const WaitroomJoined&) const = default;
};

struct WaitroomLeft {
  COHORT_EVENT("waitroom_left")
  std::string reason;  // left, disconnected, advanced, restarted
  template <class S, class V> static void fields(S& s, V& v) { v("reason", s.reason); }
  bool operator==(const WaitroomLeft&) const = default;
};

struct WaitroomTimedOut {
  COHORT_EVENT("waitroom_timed_out")
  template <class S, class V> static void fields(S&, V&) {}
  bool operator==(const WaitroomTimedOut&) const = default;
};

// group_reunion: the earlier partners did not come in time; the waiter is open to the fallback.
struct ReunionWaitEnded {
  COHORT_EVENT("reunion_wait_ended")
  template <class S, class V> static void fields(S&, V&) {}
  bool operator==(const ReunionWaitEnded&) const = default;
};

struct GameCreated {
  COHORT_EVENT("game_created")
  std::int64_t seed = 0;
  std::vector<std::string> players;  // subject ids in seat order: player_id = index
  Millis countdown_deadline = 0;     // 0 = no countdown
  template <class S, class V> static void fields(S& s, V& v) {
    v("seed", s.seed);
    v("players", s.players);
    v("countdown_deadline", s.countdown_deadline);
  }
  bool operator==(const GameCreated&) const = default;
};

struct ValidationStarted {
  COHORT_EVENT("validation_started")
  Millis deadline = 0;
  template <class S, class V> static void fields(S& s, V& v) { v("deadline", s.deadline); }
  bool operator==(const ValidationStarted&) const = default;
};

struct ValidationReported {
  COHORT_EVENT("validation_reported")
  std::int64_t player = 0;
  template <class S, class V> static void fields(S& s, V& v) { v("player", s.player); }
  bool operator==(const ValidationReported&) const = default;
};

struct GameStarted {
  COHORT_EVENT("game_started")
  template <class S, class V> static void fields(S&, V&) {}
  bool operator==(const GameStarted&) const = default;
};

struct GamePaused {
  COHORT_EVENT("game_paused")
  std::string cause;          // connection_lost or disconnect
  std::int64_t player = 0;    // the detecting (connection_lost) or missing (disconnect) player
  std::int64_t frame = 0;
  Millis deadline = 0;        // reconnection grace ends
  template <class S, class V> static void fields(S& s, V& v) {
    v("cause", s.cause);
    v("player", s.player);
    v("frame", s.frame);
    v("deadline", s.deadline);
  }
  bool operator==(const GamePaused&) const = default;
};

struct ReconnectionReported {
  COHORT_EVENT("reconnection_reported")
  std::int64_t player = 0;
  template <class S, class V> static void fields(S& s, V& v) { v("player", s.player); }
  bool operator==(const ReconnectionReported&) const = default;
};

struct GameResumed {
  COHORT_EVENT("game_resumed")
  template <class S, class V> static void fields(S&, V&) {}
  bool operator==(const GameResumed&) const = default;
};

struct PlayerExcluded {
  COHORT_EVENT("player_excluded")
  std::int64_t player = 0;
  std::string reason;  // sustained_ping, tab_hidden, custom_callback
  std::int64_t frame = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v("player", s.player);
    v("reason", s.reason);
    v("frame", s.frame);
  }
  bool operator==(const PlayerExcluded&) const = default;
};

struct EpisodeCompleted {
  COHORT_EVENT("episode_completed")
  std::int64_t episode = 0;
  std::int64_t max_episodes = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v("episode", s.episode);
    v("max_episodes", s.max_episodes);
  }
  bool operator==(const EpisodeCompleted&) const = default;
};

// The one way a game ends (DESIGN.md rule 2).
struct GameEnded {
  COHORT_EVENT("game_ended")
  std::string reason;
  std::optional<std::int64_t> frame;
  std::optional<std::int64_t> disconnected_player;
  std::optional<std::int64_t> excluded_player;
  template <class S, class V> static void fields(S& s, V& v) {
    v("reason", s.reason);
    v("frame", s.frame);
    v("disconnected_player", s.disconnected_player);
    v("excluded_player", s.excluded_player);
  }
  bool operator==(const GameEnded&) const = default;
};

// The subject moved to the scene named by the envelope.
struct SubjectAdvanced {
  COHORT_EVENT("subject_advanced")
  template <class S, class V> static void fields(S&, V&) {}
  bool operator==(const SubjectAdvanced&) const = default;
};

// The subject's study is finished. `ending` says how (a `completion` ending name, docs/server.md
// "Paying participants: completion codes"), with the code and redirect the config gave it then.
// Version 1 had no fields: such a record reads as reaching the last scene without a code.
struct SubjectDone {
  static constexpr std::string_view name = "subject_done";
  static constexpr int version = 2;
  std::optional<std::string> ending;  // absent: "finished" (the last scene, or a config change)
  std::optional<std::string> completion_code;
  std::optional<std::string> redirect_url;
  template <class S, class V> static void fields(S& s, V& v) {
    v("ending", s.ending);
    v("completion_code", s.completion_code);
    v("redirect_url", s.redirect_url);
  }
  // Without any field the payload is version 1's: recorded as such (docs/log.md).
  int payload_version() const { return ending || completion_code || redirect_url ? version : 1; }
  bool operator==(const SubjectDone&) const = default;
};

struct MetricsStored {
  COHORT_EVENT("metrics_stored")
  std::string metrics;
  template <class S, class V> static void fields(S& s, V& v) { v("metrics", s.metrics); }
  bool operator==(const MetricsStored&) const = default;
};

// A store_data command was accepted: its data is in the participant_data table, under the
// command's position, with this event's subject, game and scene. Changes no state.
struct DataStored {
  COHORT_EVENT("data_stored")
  std::string kind;
  std::int64_t bytes = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v("kind", s.kind);
    v("bytes", s.bytes);
  }
  bool operator==(const DataStored&) const = default;
};

// The outbox (DESIGN.md rule 3): a message the server sends after the commit.
// Addressed to `conn` when set, else to the envelope subject's current socket.
struct Notification {
  COHORT_EVENT("notification")
  ConnId conn = kNoConn;
  std::string event;                // wire event name; "" with `ack` set: an ack reply
  std::string args;                 // JSON text of the argument
  std::optional<std::int64_t> ack;  // answer this Socket.IO ack id instead of emitting
  bool close = false;               // close the socket after sending
  template <class S, class V> static void fields(S& s, V& v) {
    v("conn", s.conn);
    v("event", s.event);
    v("args", s.args);
    v("ack", s.ack);
    v("close", s.close);
  }
  bool operator==(const Notification&) const = default;
};

struct CommandRejected {
  COHORT_EVENT("command_rejected")
  std::string code;
  std::string message;
  template <class S, class V> static void fields(S& s, V& v) {
    v("code", s.code);
    v("message", s.message);
  }
  bool operator==(const CommandRejected&) const = default;
};

// The experiment in force from this record on: its canonical JSON (experiment_json.h). Applying
// it replaces the session map's experiment; each record is read with the one in force at it.
struct ExperimentConfigured {
  COHORT_EVENT("experiment_configured")
  std::string experiment;
  template <class S, class V> static void fields(S& s, V& v) { v("experiment", s.experiment); }
  bool operator==(const ExperimentConfigured&) const = default;
};

// Records the random nonce of a server start, from which game seeds derive.
struct ServerStarted {
  COHORT_EVENT("server_started")
  std::int64_t nonce = 0;
  template <class S, class V> static void fields(S& s, V& v) { v("nonce", s.nonce); }
  bool operator==(const ServerStarted&) const = default;
};

// A restart is not a disconnect (PROTOCOL.md 4.1): a subject that was connected when the
// server stopped is absent until it registers again or the restart grace ends.
struct SubjectAbsent {
  COHORT_EVENT("subject_absent")
  template <class S, class V> static void fields(S&, V&) {}
  bool operator==(const SubjectAbsent&) const = default;
};

// One deadline for every absent subject: server_started + restart_grace_ms.
struct RestartGraceStarted {
  COHORT_EVENT("restart_grace_started")
  Millis deadline = 0;
  template <class S, class V> static void fields(S& s, V& v) { v("deadline", s.deadline); }
  bool operator==(const RestartGraceStarted&) const = default;
};

// The restart grace is over; who is still absent is disconnected next, under the usual rules.
struct RestartGraceEnded {
  COHORT_EVENT("restart_grace_ended")
  template <class S, class V> static void fields(S&, V&) {}
  bool operator==(const RestartGraceEnded&) const = default;
};

// A game's countdown or validation deadline fell due while one of its players was absent: it
// waits for that player (it fires when the last absent player is back) or for the grace's end.
struct GameDeadlineDeferred {
  COHORT_EVENT("game_deadline_deferred")
  template <class S, class V> static void fields(S&, V&) {}
  bool operator==(const GameDeadlineDeferred&) const = default;
};

// A researcher excluded the subject (admin_exclude_subject): what it was told, and by whom.
// The events that take it out of its waitroom or game and finish its study follow.
struct SubjectExcluded {
  COHORT_EVENT("subject_excluded")
  std::string message;
  std::string actor;
  template <class S, class V> static void fields(S& s, V& v) {
    v("message", s.message);
    v("actor", s.actor);
  }
  bool operator==(const SubjectExcluded&) const = default;
};

// The waitroom of the envelope's scene is closed to new joins, or open again.
struct WaitroomClosed {
  COHORT_EVENT("waitroom_closed")
  std::string actor;
  template <class S, class V> static void fields(S& s, V& v) { v("actor", s.actor); }
  bool operator==(const WaitroomClosed&) const = default;
};

struct WaitroomOpened {
  COHORT_EVENT("waitroom_opened")
  std::string actor;
  template <class S, class V> static void fields(S& s, V& v) { v("actor", s.actor); }
  bool operator==(const WaitroomOpened&) const = default;
};

// The cap on distinct subjects ever registered from here on (absent: none), until the next
// one or the next experiment_configured, which brings its experiment's `max_participants`.
struct MaxParticipantsSet {
  COHORT_EVENT("max_participants_set")
  std::optional<std::int64_t> max_participants;
  std::string actor;
  template <class S, class V> static void fields(S& s, V& v) {
    v("max_participants", s.max_participants);
    v("actor", s.actor);
  }
  bool operator==(const MaxParticipantsSet&) const = default;
};

#undef COHORT_EVENT

}  // namespace cohort::ev

namespace cohort {

using EventBody =
    std::variant<ev::SubjectRegistered, ev::ResumeTokenReissued, ev::SubjectConnected, ev::SubjectDisconnected,
                 ev::RttRecorded, ev::WaitroomJoined, ev::WaitroomLeft, ev::WaitroomTimedOut,
                 ev::ReunionWaitEnded, ev::GameCreated, ev::ValidationStarted,
                 ev::ValidationReported, ev::GameStarted, ev::GamePaused,
                 ev::ReconnectionReported, ev::GameResumed, ev::PlayerExcluded,
                 ev::EpisodeCompleted, ev::GameEnded, ev::SubjectAdvanced, ev::SubjectDone,
                 ev::MetricsStored, ev::DataStored, ev::Notification, ev::CommandRejected, ev::ExperimentConfigured, ev::ServerStarted,
                 ev::SubjectAbsent, ev::RestartGraceStarted, ev::RestartGraceEnded, ev::GameDeadlineDeferred,
                 ev::SubjectExcluded, ev::WaitroomClosed, ev::WaitroomOpened, ev::MaxParticipantsSet>;

struct Event {
  Millis at = 0;
  std::string subject;  // "" when none
  GameId game = kNoGame;
  int scene = kNoScene;
  EventBody body;

  bool operator==(const Event&) const = default;
};

inline std::string_view event_name(const EventBody& body) {
  return std::visit([](const auto& b) { return std::decay_t<decltype(b)>::name; }, body);
}

}  // namespace cohort
