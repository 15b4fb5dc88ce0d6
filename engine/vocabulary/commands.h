#pragma once
// Commands: what a client or the server's own machinery asks of the engine.
// Every accepted or rejected command is journaled with the events it caused.
// Each body lists its fields once, in `fields`, which the codec walks both ways.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "engine/vocabulary/ids.h"

namespace cohort::cmd {

// Tokens travel here only as hashes (DESIGN.md rule 10): the socket hashes the token its client
// presented and the one it drew, and keeps the plain text for the `registered` frame it sends.
struct RegisterSubject {
  static constexpr std::string_view name = "register_subject";
  static constexpr int version = 3;  // 1 held both tokens in plain text (store/plain_tokens.h); 3 added params
  std::optional<std::string> resume_token_hash;  // of the token the client presented, if it did
  std::string issued_token_hash;                 // of a fresh token the socket drew, for a first registration
  // The recruitment ids the config keeps, as a JSON object of strings (docs/server.md
  // "Recruitment ids"); the server dropped every other key before this was journaled.
  std::optional<std::string> params;
  template <class S, class V> static void fields(S& s, V& v) {
    v("resume_token_hash", s.resume_token_hash);
    v("issued_token_hash", s.issued_token_hash);
    v("params", s.params);
  }
  // Without params the payload is version 2's: recorded as such (docs/log.md).
  int payload_version() const { return params ? version : 2; }
  bool operator==(const RegisterSubject&) const = default;
};

struct AdvanceScene {
  static constexpr std::string_view name = "advance_scene";
  template <class S, class V> static void fields(S&, V&) {}
  bool operator==(const AdvanceScene&) const = default;
};

struct JoinGame {
  static constexpr std::string_view name = "join_game";
  std::optional<std::int64_t> rtt_ms;
  template <class S, class V> static void fields(S& s, V& v) { v("rtt_ms", s.rtt_ms); }
  bool operator==(const JoinGame&) const = default;
};

struct LeaveGame {
  static constexpr std::string_view name = "leave_game";
  template <class S, class V> static void fields(S&, V&) {}
  bool operator==(const LeaveGame&) const = default;
};

// `ping_ms` is the client's measured RTT; mug's client sends its first ping without one.
struct Ping {
  static constexpr std::string_view name = "ping";
  std::optional<std::int64_t> ping_ms;
  std::optional<bool> document_in_focus;
  template <class S, class V> static void fields(S& s, V& v) {
    v("ping_ms", s.ping_ms);
    v("document_in_focus", s.document_in_focus);
  }
  bool operator==(const Ping&) const = default;
};

// The client asks for the scene its subject stands at again (mug's page, when its loading gate
// opens with no scene queued): answered with that scene's activate_scene.
struct RequestCurrentScene {
  static constexpr std::string_view name = "request_current_scene";
  template <class S, class V> static void fields(S&, V&) {}
  bool operator==(const RequestCurrentScene&) const = default;
};

struct ValidationSuccess {
  static constexpr std::string_view name = "p2p_validation_success";
  GameId game_id = kNoGame;
  template <class S, class V> static void fields(S& s, V& v) { v("game_id", s.game_id); }
  bool operator==(const ValidationSuccess&) const = default;
};

struct ValidationFailed {
  static constexpr std::string_view name = "p2p_validation_failed";
  GameId game_id = kNoGame;
  std::string reason;
  template <class S, class V> static void fields(S& s, V& v) {
    v("game_id", s.game_id);
    v("reason", s.reason);
  }
  bool operator==(const ValidationFailed&) const = default;
};

struct ConnectionLost {
  static constexpr std::string_view name = "p2p_connection_lost";
  GameId game_id = kNoGame;
  std::int64_t frame_number = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v("game_id", s.game_id);
    v("frame_number", s.frame_number);
  }
  bool operator==(const ConnectionLost&) const = default;
};

struct ReconnectionSuccess {
  static constexpr std::string_view name = "p2p_reconnection_success";
  GameId game_id = kNoGame;
  template <class S, class V> static void fields(S& s, V& v) { v("game_id", s.game_id); }
  bool operator==(const ReconnectionSuccess&) const = default;
};

// A player's client gave up waiting for its P2P link to come back (mug's own reconnection
// timer ran out): the game ends `reconnection_timeout` for every player, the sender included.
struct ReconnectionTimeout {
  static constexpr std::string_view name = "p2p_reconnection_timeout";
  GameId game_id = kNoGame;
  template <class S, class V> static void fields(S& s, V& v) { v("game_id", s.game_id); }
  bool operator==(const ReconnectionTimeout&) const = default;
};

struct MidGameExclusion {
  static constexpr std::string_view name = "mid_game_exclusion";
  GameId game_id = kNoGame;
  std::string reason;  // sustained_ping, tab_hidden or custom_callback
  std::int64_t frame_number = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v("game_id", s.game_id);
    v("reason", s.reason);
    v("frame_number", s.frame_number);
  }
  bool operator==(const MidGameExclusion&) const = default;
};

struct GameComplete {
  static constexpr std::string_view name = "multiplayer_game_complete";
  GameId game_id = kNoGame;
  std::int64_t episode_num = 0;
  std::int64_t max_episodes = 0;
  template <class S, class V> static void fields(S& s, V& v) {
    v("game_id", s.game_id);
    v("episode_num", s.episode_num);
    v("max_episodes", s.max_episodes);
  }
  bool operator==(const GameComplete&) const = default;
};

struct EmitMetrics {
  static constexpr std::string_view name = "emit_multiplayer_metrics";
  GameId game_id = kNoGame;
  std::string metrics;  // the client's JSON object, as text
  template <class S, class V> static void fields(S& s, V& v) {
    v("game_id", s.game_id);
    v("metrics", s.metrics);
  }
  bool operator==(const EmitMetrics&) const = default;
};

// The participant's data (mug's emit_episode_data, emit_remote_game_data,
// static_scene_data_emission, sync_globals): the command carries what the engine decides on;
// the data itself goes beside it, from the socket to the log's participant_data table in the
// command's transaction (docs/log.md), and never through the engine or the projections.
struct StoreData {
  static constexpr std::string_view name = "store_data";
  std::string kind;                     // the wire event
  std::optional<std::string> scene_id;  // the scene the client says the data is from
  std::int64_t bytes = 0;               // its JSON text and attachments together
  template <class S, class V> static void fields(S& s, V& v) {
    v("kind", s.kind);
    v("scene_id", s.scene_id);
    v("bytes", s.bytes);
  }
  bool operator==(const StoreData&) const = default;
};

// The socket closed, or missed its pong.
struct Disconnect {
  static constexpr std::string_view name = "disconnect";
  template <class S, class V> static void fields(S&, V&) {}
  bool operator==(const Disconnect&) const = default;
};

// The earliest deadline is due: fire every deadline at or before the command's time.
struct Timer {
  static constexpr std::string_view name = "timer";
  template <class S, class V> static void fields(S&, V&) {}
  bool operator==(const Timer&) const = default;
};

// The experiment in force from here on (DESIGN.md rule 10): the server sends it at start, before
// `server_started`, when the log is new or the config's experiment differs from the one in
// force. `experiment` is its JSON (experiment_json.h), never a `server` section.
struct ConfigureExperiment {
  static constexpr std::string_view name = "configure_experiment";
  std::string experiment;
  template <class S, class V> static void fields(S& s, V& v) { v("experiment", s.experiment); }
  bool operator==(const ConfigureExperiment&) const = default;
};

// The server came up on this log. `nonce` is drawn at random and recorded, so game
// seeds derived from it are reproducible on replay.
// `restart_grace_ms` (server.restart_grace_ms) is how long the subjects that were connected
// at the stop stay absent, waiting to come back, before they count as disconnected; absent in
// logs from before it existed, where a start disconnected everyone at once.
struct ServerStarted {
  static constexpr std::string_view name = "server_started";
  std::int64_t nonce = 0;
  std::optional<std::int64_t> restart_grace_ms;
  template <class S, class V> static void fields(S& s, V& v) {
    v("nonce", s.nonce);
    v("restart_grace_ms", s.restart_grace_ms);
  }
  bool operator==(const ServerStarted&) const = default;
};

// A frame the server could not turn into a command (unknown event, wrong field type...).
// Journaled so that every rejection is on the record.
struct Malformed {
  static constexpr std::string_view name = "malformed";
  std::string event;  // the wire event name, if one could be read
  std::string code;   // bad_payload, unknown_event, too_large
  std::string message;
  template <class S, class V> static void fields(S& s, V& v) {
    v("event", s.event);
    v("code", s.code);
    v("message", s.message);
  }
  bool operator==(const Malformed&) const = default;
};

// The researcher's commands, from the dashboard (docs/server.md "Control from the dashboard").
// Each names who gave it (`actor`: "admin" for the holder of the dashboard's token) and the
// address the server saw the request come from ("" when unknown), so that the log says who did
// what. They come from no socket (conn kNoConn): a refusal is journaled and answered to nobody.

// Ends a live game for every player, reason `admin_ended`.
struct AdminEndGame {
  static constexpr std::string_view name = "admin_end_game";
  GameId game_id = kNoGame;
  std::string actor;
  std::string address;
  template <class S, class V> static void fields(S& s, V& v) {
    v("game_id", s.game_id);
    v("actor", s.actor);
    v("address", s.address);
  }
  bool operator==(const AdminEndGame&) const = default;
};

// Excludes the subject the command's envelope names for good: out of its waitroom or game,
// its study finished with the ending `excluded`, and `message` shown to it.
struct AdminExcludeSubject {
  static constexpr std::string_view name = "admin_exclude_subject";
  std::string message;
  std::string actor;
  std::string address;
  template <class S, class V> static void fields(S& s, V& v) {
    v("message", s.message);
    v("actor", s.actor);
    v("address", s.address);
  }
  bool operator==(const AdminExcludeSubject&) const = default;
};

// Closes a game scene's waitroom to new joins (those waiting stay), or opens it again.
struct AdminCloseWaitroom {
  static constexpr std::string_view name = "admin_close_waitroom";
  std::string scene_id;
  std::string actor;
  std::string address;
  template <class S, class V> static void fields(S& s, V& v) {
    v("scene_id", s.scene_id);
    v("actor", s.actor);
    v("address", s.address);
  }
  bool operator==(const AdminCloseWaitroom&) const = default;
};

struct AdminOpenWaitroom {
  static constexpr std::string_view name = "admin_open_waitroom";
  std::string scene_id;
  std::string actor;
  std::string address;
  template <class S, class V> static void fields(S& s, V& v) {
    v("scene_id", s.scene_id);
    v("actor", s.actor);
    v("address", s.address);
  }
  bool operator==(const AdminOpenWaitroom&) const = default;
};

// The cap on distinct subjects ever registered; absent lifts it.
struct AdminSetMaxParticipants {
  static constexpr std::string_view name = "admin_set_max_participants";
  std::optional<std::int64_t> max_participants;
  std::string actor;
  std::string address;
  template <class S, class V> static void fields(S& s, V& v) {
    v("max_participants", s.max_participants);
    v("actor", s.actor);
    v("address", s.address);
  }
  bool operator==(const AdminSetMaxParticipants&) const = default;
};

}  // namespace cohort::cmd

namespace cohort {

using CommandBody =
    std::variant<cmd::RegisterSubject, cmd::AdvanceScene, cmd::JoinGame, cmd::LeaveGame, cmd::Ping, cmd::RequestCurrentScene,
                 cmd::ValidationSuccess, cmd::ValidationFailed, cmd::ConnectionLost,
                 cmd::ReconnectionSuccess, cmd::ReconnectionTimeout, cmd::MidGameExclusion, cmd::GameComplete,
                 cmd::EmitMetrics, cmd::StoreData, cmd::Disconnect, cmd::Timer, cmd::ConfigureExperiment, cmd::ServerStarted,
                 cmd::Malformed, cmd::AdminEndGame, cmd::AdminExcludeSubject, cmd::AdminCloseWaitroom,
                 cmd::AdminOpenWaitroom, cmd::AdminSetMaxParticipants>;

struct Command {
  Millis at = 0;
  std::string subject;              // the subject the socket is bound to ("" if none yet)
  ConnId conn = kNoConn;            // the socket it came from
  std::optional<std::int64_t> ack;  // Socket.IO ack id the client asked for
  CommandBody body;

  bool operator==(const Command&) const = default;
};

inline std::string_view command_name(const CommandBody& body) {
  return std::visit([](const auto& b) { return std::decay_t<decltype(b)>::name; }, body);
}

// A researcher's command from the dashboard: it has an `actor`, and no socket to answer.
inline bool is_admin_command(const CommandBody& body) {
  return std::visit([](const auto& b) { return requires { b.actor; }; }, body);
}

}  // namespace cohort
