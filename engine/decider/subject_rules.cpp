// Rules about a subject's connection and its path through the scenes.
#include <algorithm>

#include "engine/decider/rules.h"

namespace cohort::rules {
namespace {

// What a done subject's study finished with, as subject_done recorded it.
ev::SubjectDone completion_of(const Subject& subject) {
  ev::SubjectDone done;
  done.completion_code = subject.completion_code;
  done.redirect_url = subject.redirect_url;
  return done;
}

// The game is paused for this subject's socket alone: its return resumes it.
bool waits_only_for(const Decision& d, const Game& game, const Subject& subject) {
  if (game.pause_cause != "disconnect") return false;
  return std::all_of(game.players.begin(), game.players.end(), [&](const std::string& id) {
    return id == subject.id || d.state().subject(id)->connected;
  });
}

// A player back in its game gets what sets the game up on its client, as at the match, and
// where the game stands now.
void reply_game_restored(Decision& d, const Subject& subject) {
  const Game& game = *d.state().game(subject.game);
  const std::string& scene_id = d.state().scene(game.scene).scene_id;
  JsonObject restored;
  restored.num("game_id", game.id).num("player_id", subject.player).str("scene_id", scene_id);
  d.reply("session_restored", std::move(restored));
  notify_game_set_up(d, game.id, static_cast<std::size_t>(subject.player), true);
  if (game.status == GameStatus::playing) {
    JsonObject start;
    start.num("game_id", game.id).str("scene_id", scene_id);
    d.reply("start_game", std::move(start));
  } else if (game.status == GameStatus::paused && !waits_only_for(d, game, subject)) {  // else p2p_resume follows
    JsonObject pause;
    pause.num("game_id", game.id).num("pause_frame", game.pause_frame).num("detecting_player", game.pause_player);
    d.reply("p2p_pause", std::move(pause));
  }
}

// What an absent subject's client was not told while the server was down or restarting.
void reply_missed(Decision& d, const Subject& before) {
  if (before.missed_waitroom_timeout) {
    const Scene& scene = d.state().scene(before.scene);
    JsonObject timeout;
    timeout.str("scene_id", scene.scene_id).str("message", scene.messages.waitroom_timeout);
    d.reply("waitroom_timeout", std::move(timeout));
  }
  if (!before.missed_game_end.empty() && before.missed_game_end != "normal") {  // as end_game at the end itself
    JsonObject end;
    end.num("game_id", before.last_game).str("reason", before.missed_game_end);
    d.reply("end_game", std::move(end));
  }
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
    d.reply("experiment_complete", experiment_complete_args(completion_of(subject)));
    return;
  }
  d.reply("activate_scene", activate_scene_args(d, subject.scene));
  if (subject.state == SubjectState::in_game) reply_game_restored(d, subject);
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
    const auto& cap = d.state().max_participants;
    if (cap && static_cast<std::int64_t>(d.state().subjects.size()) >= *cap) {
      // Past the cap only a new subject is refused: whoever registered before always returns.
      const std::string message = "This study is full: it takes no more participants.";
      d.reject("study_full", message);
      JsonObject full;
      full.str("message", message);
      d.reply("study_full", std::move(full));
      return;
    }
    d.emit(id, kNoGame, 0, ev::SubjectRegistered{c.issued_token_hash, c.params});
    d.emit(id, kNoGame, kNoScene, ev::SubjectConnected{conn, kNoConn});
    reply_registered(d, *d.state().subject(id));
    return;
  }
  if (existing->connected && existing->conn == conn) {  // the same socket asking again
    reply_registered(d, *existing);
    return;
  }
  bool token_ok = c.resume_token_hash && *c.resume_token_hash == existing->resume_token_hash;
  // Under `resume: subject_id` the subject id is the credential: a page refresh (which keeps no
  // token) resumes the subject whatever its state, and replaces a socket still open, so that a
  // refresh racing the old socket's close never ends in duplicate_session.
  bool may_take_over = token_ok || d.state().experiment->resume == ResumePolicy::subject_id;
  if (!may_take_over && (existing->connected || existing->state == SubjectState::in_game)) {
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
  const Subject before = *existing;  // connecting clears what it missed while absent
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
  reply_missed(d, before);
  if (subject.state == SubjectState::in_game) {
    GameId game = subject.game;
    resume_if_complete(d, game);
    fire_deferred_if_complete(d, game);
  } else if (subject.state == SubjectState::waiting) {  // an absent waiter is back: matchable again
    int scene = subject.scene;
    match_scene(d, scene);
    broadcast_waiting_room(d, scene);
  }
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
  const ev::SubjectDone done = subject_done(d, "finished");
  if (next > last) {  // an experiment of one scene: nothing to advance to
    d.emit(id, kNoGame, kNoScene, done);
    d.reply("experiment_complete", experiment_complete_args(done));
    return;
  }
  d.emit(id, kNoGame, next, ev::SubjectAdvanced{});
  d.reply("activate_scene", activate_scene_args(d, next, next == last ? &done : nullptr));
  if (next == last) {  // reaching the last scene completes the experiment
    d.emit(id, kNoGame, kNoScene, done);
    d.reply("experiment_complete", experiment_complete_args(done));
  }
}

void ping(Decision& d, const Subject& subject, const cmd::Ping& c) {
  if (c.ping_ms && *c.ping_ms < 0) {
    d.reject("bad_payload", "ping_ms must not be negative");
    return;
  }
  if (c.ping_ms && subject.rtt_ms != c.ping_ms) d.emit(subject.id, kNoGame, kNoScene, ev::RttRecorded{*c.ping_ms});
  d.reply("pong", JsonObject{});
}

void request_current_scene(Decision& d, const Subject& subject) {
  const ev::SubjectDone done = completion_of(subject);
  const bool is_done = subject.state == SubjectState::done;
  d.reply("activate_scene", activate_scene_args(d, subject.scene, is_done ? &done : nullptr));
}

// mug's client sends a scene's data as it leaves the scene (on terminate_scene, after the engine
// has moved the subject on), so the scene is the one the data names when it names one of the
// experiment, else the subject's. Game data belongs to the subject's game, or to the game it
// last played (sent after that game ended); answers and globals to a game only while in one.
void store_data(Decision& d, const Subject& subject, const cmd::StoreData& c) {
  int scene = subject.scene;
  const auto& scenes = d.state().experiment->scenes;
  for (std::size_t i = 0; c.scene_id && i < scenes.size(); ++i) {
    if (scenes[i].scene_id == *c.scene_id) scene = static_cast<int>(i);
  }
  bool game_data = c.kind == "emit_episode_data" || c.kind == "emit_remote_game_data";
  GameId game = subject.game != kNoGame ? subject.game : game_data ? subject.last_game : kNoGame;
  d.emit(subject.id, game, scene, ev::DataStored{c.kind, c.bytes});
  JsonObject ok;
  ok.str("status", "ok");
  d.ack(std::move(ok));
}

void disconnect(Decision& d, const Subject& subject) { lose_connection(d, subject); }

void server_started(Decision& d, const cmd::ServerStarted& c) {
  d.emit("", kNoGame, kNoScene, ev::ServerStarted{c.nonce});
  std::vector<std::string> connected;
  for (const auto& [id, subject] : d.state().subjects) {
    if (subject.connected) connected.push_back(id);
  }
  std::sort(connected.begin(), connected.end());  // the same order on every run
  Millis grace = c.restart_grace_ms.value_or(0);
  if (grace <= 0) {  // no grace: every socket of the previous run is gone, and counts as such now
    for (const std::string& id : connected) {
      const Subject* subject = d.state().subject(id);
      if (subject && subject->connected) lose_connection(d, *subject);
    }
    return;
  }
  // A restart is not a disconnect: who was connected is absent, keeps its place, and has until
  // the grace's end to come back (subjects still absent from an earlier start get as long).
  for (const std::string& id : connected) d.emit(id, kNoGame, kNoScene, ev::SubjectAbsent{});
  bool anyone_absent = std::any_of(d.state().subjects.begin(), d.state().subjects.end(),
                                   [](const auto& entry) { return entry.second.absent; });
  if (anyone_absent) d.emit("", kNoGame, kNoScene, ev::RestartGraceStarted{d.at() + grace});
}

void restart_grace_ended(Decision& d) {
  d.emit("", kNoGame, kNoScene, ev::RestartGraceEnded{});
  std::vector<std::string> absent;
  for (const auto& [id, subject] : d.state().subjects) {
    if (subject.absent) absent.push_back(id);
  }
  std::sort(absent.begin(), absent.end());
  for (const std::string& id : absent) lose_connection(d, *d.state().subject(id));
}

}  // namespace cohort::rules
