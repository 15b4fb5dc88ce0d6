// Rules about a subject's connection and its path through the scenes.
#include <algorithm>

#include "engine/decider/rules.h"

namespace cohort::rules {
namespace {

JsonObject activate_scene_args(const Scene& scene, int index) {
  JsonObject args;
  args.str("scene_id", scene.scene_id).num("scene_index", index).str("type", scene.is_game ? "game" : "static");
  return args;
}

void reply_registered(Decision& d, const Subject& subject) {
  const Scene& scene = d.state().scene(subject.scene);
  JsonObject registered;
  // No token here: the log keeps only its hash. The socket that asked puts the token in the
  // frame it sends, when it knows it (server/core/resume_tokens.h).
  registered.str("subject_id", subject.id)
      .str("state", state_name(subject.state))
      .str("scene_id", scene.scene_id)
      .num("scene_index", subject.scene);
  if (subject.game != kNoGame) registered.num("game_id", subject.game);
  d.reply("registered", std::move(registered));
  if (subject.state == SubjectState::done) {
    d.reply("experiment_complete", JsonObject{});
    return;
  }
  d.reply("activate_scene", activate_scene_args(scene, subject.scene));
  if (subject.state == SubjectState::in_game) {
    JsonObject restored;
    restored.num("game_id", subject.game).num("player_id", subject.player).str("scene_id", scene.scene_id);
    d.reply("session_restored", std::move(restored));
  }
}

// The subject's socket is gone: leave the waitroom at once, or pause (or end) its game.
void lose_connection(Decision& d, const Subject& subject) {
  d.emit(subject.id, kNoGame, kNoScene, ev::SubjectDisconnected{subject.conn});
  if (subject.state == SubjectState::waiting) {
    leave_waitroom(d, subject, "disconnected");
  } else if (subject.state == SubjectState::in_game) {
    if (const Game* game = d.state().game(subject.game)) player_missing(d, *game, subject);
  }
}

}  // namespace

void register_subject(Decision& d, const cmd::RegisterSubject& c) {
  const std::string& id = d.command().subject;
  const ConnId conn = d.command().conn;
  const Subject* existing = d.state().subject(id);
  if (!existing) {
    d.emit(id, kNoGame, 0, ev::SubjectRegistered{c.issued_token_hash});
    d.emit(id, kNoGame, kNoScene, ev::SubjectConnected{conn, kNoConn});
    reply_registered(d, *d.state().subject(id));
    return;
  }
  if (existing->connected && existing->conn == conn) {  // the same socket asking again
    reply_registered(d, *existing);
    return;
  }
  bool token_ok = c.resume_token_hash && *c.resume_token_hash == existing->resume_token_hash;
  if (!token_ok && (existing->connected || existing->state == SubjectState::in_game)) {
    // Another tab holds the subject, or its game awaits it: only its token may take it over.
    std::string message = existing->connected
                              ? "This participant is already connected in another window."
                              : "This participant's game can only be resumed with its resume token.";
    d.emit(id, kNoGame, kNoScene, ev::CommandRejected{"duplicate_session", message});
    JsonObject args;
    args.str("message", message);
    d.notify_socket(conn, id, "duplicate_session", std::move(args), false);
    return;
  }
  // Without its token, the new holder gets a new one: `registered` always carries a token,
  // and whoever held the old one can no longer take the subject back.
  if (!token_ok) d.emit(id, kNoGame, kNoScene, ev::ResumeTokenReissued{c.issued_token_hash});
  ConnId replaced = existing->connected ? existing->conn : kNoConn;
  d.emit(id, kNoGame, kNoScene, ev::SubjectConnected{conn, replaced});
  if (replaced != kNoConn) {
    JsonObject args;
    args.str("message", "This session was opened in another window.");
    d.notify_socket(replaced, id, "session_replaced", std::move(args), true);
  }
  const Subject& subject = *d.state().subject(id);
  reply_registered(d, subject);
  if (subject.state == SubjectState::in_game) resume_if_complete(d, subject.game);
}

void advance_scene(Decision& d, const Subject& subject) {
  if (subject.state == SubjectState::done) {
    d.reject("invalid_state", "the experiment is complete");
    return;
  }
  const std::string id = subject.id;
  if (subject.state == SubjectState::waiting) leave_waitroom(d, subject, "advanced");
  if (subject.state == SubjectState::in_game) end_game(d, subject.game, Ending{.reason = "scene_completed", .initiator = id});
  int next = d.state().subject(id)->scene + 1;
  int last = static_cast<int>(d.state().experiment->scenes.size()) - 1;
  if (next > last) {  // an experiment of one scene: nothing to advance to
    d.emit(id, kNoGame, kNoScene, ev::SubjectDone{});
    d.reply("experiment_complete", JsonObject{});
    return;
  }
  d.emit(id, kNoGame, next, ev::SubjectAdvanced{});
  d.reply("activate_scene", activate_scene_args(d.state().scene(next), next));
  if (next == last) {  // reaching the last scene completes the experiment
    d.emit(id, kNoGame, kNoScene, ev::SubjectDone{});
    d.reply("experiment_complete", JsonObject{});
  }
}

void ping(Decision& d, const Subject& subject, const cmd::Ping& c) {
  if (c.ping_ms < 0) {
    d.reject("bad_payload", "ping_ms must not be negative");
    return;
  }
  if (subject.rtt_ms != c.ping_ms) d.emit(subject.id, kNoGame, kNoScene, ev::RttRecorded{c.ping_ms});
  d.reply("pong", JsonObject{});
}

void disconnect(Decision& d, const Subject& subject) { lose_connection(d, subject); }

void server_started(Decision& d, const cmd::ServerStarted& c) {
  d.emit("", kNoGame, kNoScene, ev::ServerStarted{c.nonce});
  // Every socket of the previous run is gone; the usual rules and graces apply from now.
  std::vector<std::string> connected;
  for (const auto& [id, subject] : d.state().subjects) {
    if (subject.connected) connected.push_back(id);
  }
  std::sort(connected.begin(), connected.end());  // the same order on every run
  for (const std::string& id : connected) {
    const Subject* subject = d.state().subject(id);
    if (subject && subject->connected) lose_connection(d, *subject);
  }
}

}  // namespace cohort::rules
