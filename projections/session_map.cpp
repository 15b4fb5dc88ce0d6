#include "projections/session_map.h"

#include <algorithm>

#include "engine/vocabulary/experiment_json.h"

namespace cohort {

const char* state_name(SubjectState state) {
  switch (state) {
    case SubjectState::idle: return "idle";
    case SubjectState::waiting: return "waiting";
    case SubjectState::in_game: return "in_game";
    case SubjectState::done: return "done";
  }
  return "?";
}

const char* status_name(GameStatus status) {
  switch (status) {
    case GameStatus::matched: return "matched";
    case GameStatus::validating: return "validating";
    case GameStatus::playing: return "playing";
    case GameStatus::paused: return "paused";
    case GameStatus::ended: return "ended";
  }
  return "?";
}

const char* deadline_name(DeadlineKind kind) {
  switch (kind) {
    case DeadlineKind::waitroom_expiry: return "waitroom_expiry";
    case DeadlineKind::reunion_wait: return "reunion_wait";
    case DeadlineKind::countdown_end: return "countdown_end";
    case DeadlineKind::validation_timeout: return "validation_timeout";
    case DeadlineKind::reconnection_grace: return "reconnection_grace";
    case DeadlineKind::restart_grace: return "restart_grace";
  }
  return "?";
}

SessionMap::SessionMap(std::shared_ptr<const Experiment> exp)
    : experiment(std::move(exp)), waitrooms(experiment->scenes.size()), max_participants(experiment->max_participants) {}

int SessionMap::scene_index(const std::string& scene_id) const {
  const auto& scenes = experiment->scenes;
  for (std::size_t i = 0; i < scenes.size(); ++i) {
    if (scenes[i].scene_id == scene_id) return static_cast<int>(i);
  }
  return -1;
}

const Subject* SessionMap::subject(const std::string& id) const {
  auto it = subjects.find(id);
  return it == subjects.end() ? nullptr : &it->second;
}

const Game* SessionMap::game(GameId id) const {
  auto it = games.find(id);
  return it == games.end() ? nullptr : &it->second;
}

std::optional<Deadline> SessionMap::earliest_deadline() const {
  if (deadlines.empty()) return std::nullopt;
  return *deadlines.begin();
}

bool SessionMap::failed_together(int scene, const std::string& a, const std::string& b) const {
  return failed_pairs.count(a < b ? std::tuple{scene, a, b} : std::tuple{scene, b, a}) > 0;
}

namespace {

// Applies one event. Every helper keeps the deadline index in step with the entity fields.
class Applier {
 public:
  Applier(SessionMap& state, const Event& event) : s_(state), e_(event) {}

  void operator()(const ev::SubjectRegistered& b) {
    if (!scene_ok(e_.scene)) return;
    Subject& subject = s_.subjects[e_.subject];
    subject.id = e_.subject;
    subject.scene = e_.scene;
    subject.resume_token_hash = b.resume_token_hash;
  }
  void operator()(const ev::ResumeTokenReissued& b) {
    if (Subject* subject = subj()) subject->resume_token_hash = b.resume_token_hash;
  }
  void operator()(const ev::SubjectConnected& b) {
    Subject* found = subj();
    if (!found) return;
    Subject& subject = *found;
    subject.connected = true;
    subject.conn = b.conn;
    subject.absent = false;
    subject.missed_waitroom_timeout = false;
    subject.missed_game_end.clear();
  }
  void operator()(const ev::SubjectDisconnected&) {
    Subject* found = subj();
    if (!found) return;
    Subject& subject = *found;
    subject.connected = false;
    subject.conn = kNoConn;
    subject.absent = false;
  }
  void operator()(const ev::SubjectAbsent&) {
    Subject* found = subj();
    if (!found) return;
    Subject& subject = *found;
    subject.connected = false;
    subject.conn = kNoConn;
    subject.absent = true;
  }
  void operator()(const ev::RestartGraceStarted& b) {
    if (s_.restart_grace_deadline) s_.deadlines.erase(Deadline{s_.restart_grace_deadline, DeadlineKind::restart_grace, kNoGame, {}});
    s_.restart_grace_deadline = b.deadline;
    if (b.deadline) s_.deadlines.insert(Deadline{b.deadline, DeadlineKind::restart_grace, kNoGame, {}});
  }
  void operator()(const ev::RestartGraceEnded&) {
    if (s_.restart_grace_deadline) s_.deadlines.erase(Deadline{s_.restart_grace_deadline, DeadlineKind::restart_grace, kNoGame, {}});
    s_.restart_grace_deadline = 0;
  }
  void operator()(const ev::GameDeadlineDeferred&) {
    Game* found = gm();
    if (!found) return;
    Game& game = *found;
    set_game_deadline(game, game.deadline_kind, 0);
    game.deferred = true;
  }
  void operator()(const ev::RttRecorded& b) {
    if (Subject* subject = subj()) subject->rtt_ms = b.rtt_ms;
  }
  void operator()(const ev::WaitroomJoined& b) {
    Subject* found = subj();
    if (!found) return;
    Subject& subject = *found;
    set_waiting(subject, true);
    subject.waiting_since = e_.at;
    s_.waitrooms.at(static_cast<std::size_t>(subject.scene)).push_back(subject.id);
    set_subject_deadline(subject, DeadlineKind::waitroom_expiry, subject.wait_deadline, b.deadline);
    set_subject_deadline(subject, DeadlineKind::reunion_wait, subject.reunion_deadline, b.reunion_deadline);
  }
  void operator()(const ev::WaitroomLeft&) {
    if (Subject* subject = subj()) leave_waitroom(*subject);
  }
  void operator()(const ev::WaitroomTimedOut&) {
    Subject* subject = subj();
    if (!subject) return;
    leave_waitroom(*subject);
    if (subject->absent) subject->missed_waitroom_timeout = true;
  }
  void operator()(const ev::ReunionWaitEnded&) {
    Subject* found = subj();
    if (!found) return;
    Subject& subject = *found;
    set_subject_deadline(subject, DeadlineKind::reunion_wait, subject.reunion_deadline, 0);
  }
  void operator()(const ev::GameCreated& b) {
    if (s_.games.count(e_.game)) return;
    for (const std::string& id : b.players) {
      if (!s_.subjects.count(id)) return;
    }
    Game& game = s_.games[e_.game];
    game.id = e_.game;
    game.scene = e_.scene;
    game.players = b.players;
    game.seed = b.seed;
    game.created_at = e_.at;
    game.validated.assign(b.players.size(), false);
    game.reconnected.assign(b.players.size(), false);
    set_game_deadline(game, DeadlineKind::countdown_end, b.countdown_deadline);
    s_.last_game_id = std::max(s_.last_game_id, e_.game);
    for (std::size_t seat = 0; seat < b.players.size(); ++seat) {
      Subject& subject = s_.subjects.at(b.players[seat]);
      if (subject.state == SubjectState::waiting) leave_waitroom(subject);
      subject.state = SubjectState::in_game;
      subject.game = e_.game;
      subject.last_game = e_.game;
      subject.player = static_cast<int>(seat);
    }
  }
  void operator()(const ev::ValidationStarted& b) {
    Game* found = gm();
    if (!found) return;
    Game& game = *found;
    game.status = GameStatus::validating;
    game.deferred = false;
    set_game_deadline(game, DeadlineKind::validation_timeout, b.deadline);
  }
  void operator()(const ev::ValidationReported& b) {
    if (Game* game = gm(); game && seat_ok(*game, b.player)) game->validated[static_cast<std::size_t>(b.player)] = true;
  }
  void operator()(const ev::GameStarted&) {
    Game* found = gm();
    if (!found) return;
    Game& game = *found;
    game.status = GameStatus::playing;
    game.deferred = false;
    if (game.started_at == 0) game.started_at = e_.at;
    set_game_deadline(game, game.deadline_kind, 0);
  }
  void operator()(const ev::GamePaused& b) {
    Game* found = gm();
    if (!found) return;
    Game& game = *found;
    game.status = GameStatus::paused;
    game.pause_cause = b.cause;
    game.pause_frame = b.frame;
    game.pause_player = b.player;
    game.paused_at = e_.at;
    game.reconnected.assign(game.players.size(), false);
    set_game_deadline(game, DeadlineKind::reconnection_grace, b.deadline);
  }
  void operator()(const ev::ReconnectionReported& b) {
    if (Game* game = gm(); game && seat_ok(*game, b.player)) game->reconnected[static_cast<std::size_t>(b.player)] = true;
  }
  void operator()(const ev::GameResumed&) {
    Game* found = gm();
    if (!found) return;
    Game& game = *found;
    game.status = GameStatus::playing;
    game.pause_cause.clear();
    set_game_deadline(game, game.deadline_kind, 0);
  }
  void operator()(const ev::PlayerExcluded&) {}  // the game_ended that follows does the clearing
  void operator()(const ev::EpisodeCompleted& b) {
    if (Game* game = gm()) game->episodes = b.episode;
  }
  void operator()(const ev::GameEnded& b) {
    auto it = s_.games.find(e_.game);
    if (it == s_.games.end()) return;  // the audit reports an end of an unknown or ended game
    Game& game = it->second;
    set_game_deadline(game, game.deadline_kind, 0);
    for (const std::string& id : game.players) {
      auto subject_it = s_.subjects.find(id);
      if (subject_it == s_.subjects.end()) continue;
      Subject& subject = subject_it->second;
      subject.last_partners.clear();
      for (const std::string& other : game.players) {
        if (other != id) subject.last_partners.push_back(other);
      }
      if (subject.game != e_.game) continue;
      if (subject.absent) subject.missed_game_end = b.reason;
      subject.state = SubjectState::idle;
      subject.game = kNoGame;
      subject.player = -1;
    }
    if (b.reason == "validation_failed") {
      for (std::size_t i = 0; i < game.players.size(); ++i) {
        for (std::size_t j = i + 1; j < game.players.size(); ++j) {
          const auto& a = game.players[i];
          const auto& c = game.players[j];
          s_.failed_pairs.insert(a < c ? std::tuple{game.scene, a, c} : std::tuple{game.scene, c, a});
        }
      }
    }
    s_.games.erase(it);
  }
  void operator()(const ev::SubjectAdvanced&) {
    if (!scene_ok(e_.scene)) return;
    Subject* found = subj();
    if (!found) return;
    Subject& subject = *found;
    subject.scene = e_.scene;
    subject.state = SubjectState::idle;
  }
  void operator()(const ev::SubjectDone& b) {
    Subject* subject = subj();
    if (!subject) return;
    subject->state = SubjectState::done;
    subject->completion_code = b.completion_code;
    subject->redirect_url = b.redirect_url;
  }
  void operator()(const ev::MetricsStored&) {}
  void operator()(const ev::DataStored&) {}
  void operator()(const ev::Notification&) {}
  void operator()(const ev::CommandRejected&) {}
  void operator()(const ev::ExperimentConfigured& b) {
    // Decoding refuses an experiment that does not parse, and the decider writes only parsed
    // ones: the catch is for an event made by hand.
    const ExperimentPtr before = s_.experiment;
    try {
      s_.experiment = std::make_shared<const Experiment>(parse_experiment(b.experiment));
    } catch (const ConfigError&) {
      return;
    }
    // The decider empties the waitrooms of scenes that go (or stop being game scenes) first.
    s_.waitrooms.resize(s_.experiment->scenes.size());
    s_.max_participants = s_.experiment->max_participants;
    // A closed waitroom stays closed while its scene is the same game scene (same index and id).
    std::erase_if(s_.closed_waitrooms, [&](int scene) {
      const auto index = static_cast<std::size_t>(scene);
      const auto& scenes = s_.experiment->scenes;
      if (index >= scenes.size() || index >= before->scenes.size()) return true;
      return !scenes[index].is_game || scenes[index].scene_id != before->scenes[index].scene_id;
    });
  }
  void operator()(const ev::SubjectExcluded&) {}  // the events that follow it do the rest
  void operator()(const ev::WaitroomClosed&) {
    if (scene_ok(e_.scene)) s_.closed_waitrooms.insert(e_.scene);
  }
  void operator()(const ev::WaitroomOpened&) { s_.closed_waitrooms.erase(e_.scene); }
  void operator()(const ev::MaxParticipantsSet& b) { s_.max_participants = b.max_participants; }
  void operator()(const ev::ServerStarted& b) {
    s_.nonce = b.nonce;
    ++s_.server_starts;
  }

 private:
  // A damaged or buggy log can name what does not exist: such an event changes nothing
  // here, and the audit reports it.
  Subject* subj() {
    auto it = s_.subjects.find(e_.subject);
    return it == s_.subjects.end() ? nullptr : &it->second;
  }
  Game* gm() {
    auto it = s_.games.find(e_.game);
    return it == s_.games.end() ? nullptr : &it->second;
  }
  bool scene_ok(int scene) const { return scene >= 0 && scene < static_cast<int>(s_.waitrooms.size()); }
  static bool seat_ok(const Game& game, std::int64_t player) {
    return player >= 0 && player < static_cast<std::int64_t>(game.players.size());
  }

  void set_waiting(Subject& subject, bool waiting) {
    bool was = subject.state == SubjectState::waiting;
    if (was == waiting) return;
    subject.state = waiting ? SubjectState::waiting : SubjectState::idle;
    if (waiting) ++s_.waiting_count; else --s_.waiting_count;
  }

  void leave_waitroom(Subject& subject) {
    auto& room = s_.waitrooms.at(static_cast<std::size_t>(subject.scene));
    room.erase(std::remove(room.begin(), room.end(), subject.id), room.end());
    set_waiting(subject, false);
    set_subject_deadline(subject, DeadlineKind::waitroom_expiry, subject.wait_deadline, 0);
    set_subject_deadline(subject, DeadlineKind::reunion_wait, subject.reunion_deadline, 0);
  }

  void set_subject_deadline(Subject& subject, DeadlineKind kind, Millis& field, Millis at) {
    if (field) s_.deadlines.erase(Deadline{field, kind, kNoGame, subject.id});
    field = at;
    if (at) s_.deadlines.insert(Deadline{at, kind, kNoGame, subject.id});
  }

  void set_game_deadline(Game& game, DeadlineKind kind, Millis at) {
    if (game.deadline) s_.deadlines.erase(Deadline{game.deadline, game.deadline_kind, game.id, {}});
    game.deadline = at;
    game.deadline_kind = kind;
    if (at) s_.deadlines.insert(Deadline{at, kind, game.id, {}});
  }

  SessionMap& s_;
  const Event& e_;
};

}  // namespace

void apply(SessionMap& state, const Event& event) {
  Applier applier(state, event);
  std::visit(applier, event.body);
}

}  // namespace cohort
