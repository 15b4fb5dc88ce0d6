// Rules of a live game: start, validation, pause and resume, exclusion, episodes, metrics,
// and the one way every game ends.
#include <algorithm>

#include "engine/decider/rules.h"

namespace cohort::rules {
namespace {

bool attached(const Decision& d, const std::string& id, GameId game) {
  const Subject* subject = d.state().subject(id);
  return subject && subject->connected && subject->game == game;
}

JsonObject game_args(GameId game) {
  JsonObject args;
  args.num("game_id", game);
  return args;
}

void notify_players(Decision& d, const Game& game, std::string_view event, const std::string& except = {}) {
  std::vector<std::string> players = game.players;  // the game may change as we emit
  for (const std::string& id : players) {
    if (id != except && attached(d, id, game.id)) d.notify(id, event, game_args(game.id));
  }
}

void start(Decision& d, const Game& game) {
  GameId id = game.id;
  d.emit("", id, game.scene, ev::GameStarted{});
  const std::string& scene_id = d.state().scene(game.scene).scene_id;
  for (const std::string& player : game.players) {
    if (!attached(d, player, id)) continue;
    JsonObject args;
    args.num("game_id", id).str("scene_id", scene_id);
    d.notify(player, "start_game", std::move(args));
  }
}

bool is_exclusion_reason(const std::string& reason) {
  return reason == "sustained_ping" || reason == "tab_hidden" || reason == "custom_callback";
}

// A restart is not a disconnect: a game's countdown or validation falling due while one of
// its players is absent waits for that player (PROTOCOL.md 4.1).
bool defer_for_absent(Decision& d, const Game& game) {
  for (const std::string& id : game.players) {
    const Subject* subject = d.state().subject(id);
    if (subject && subject->absent) {
      d.emit("", game.id, game.scene, ev::GameDeadlineDeferred{});
      return true;
    }
  }
  return false;
}

// The game a player's command is about; kNoGame for a command that names none.
GameId named_game(const CommandBody& body) {
  return std::visit(
      [](const auto& c) -> GameId {
        if constexpr (requires { c.game_id; }) {
          return c.game_id;
        } else {
          return kNoGame;
        }
      },
      body);
}

void reject_wrong_status(Decision& d, const Game& game, const char* expected) {
  d.reject("invalid_state", std::string("game is ") + status_name(game.status) + ", not " + expected);
}

void store_metrics(Decision& d, const Subject& subject, GameId game, int scene, const cmd::EmitMetrics& c) {
  d.emit(subject.id, game, scene, ev::MetricsStored{c.metrics});
  JsonObject ok;
  ok.str("status", "ok");
  d.ack(std::move(ok));
}

// A late message about the subject's own game that has just ended. Metrics still count;
// anything else is let go without an answer.
void after_game_ended(Decision& d, const Subject& subject, GameId game, const CommandBody& body) {
  if (const auto* metrics = std::get_if<cmd::EmitMetrics>(&body)) store_metrics(d, subject, game, kNoScene, *metrics);
}

// The live game the command names, if the subject plays in it. Otherwise the command is
// answered here (a late report about the subject's ended game, or a rejection) and null returned.
const Game* players_game(Decision& d, const Subject& subject, const CommandBody& body) {
  GameId id = named_game(body);
  // Metrics that name no game (mug's client puts its game id inside the metrics, and may send
  // them after the game ended) are about the sender's current game, or the one it last played.
  if (id == kNoGame && std::holds_alternative<cmd::EmitMetrics>(body)) id = subject.last_game;
  const Game* game = d.state().game(id);
  if (!game) {
    if (id != kNoGame && id == subject.last_game) {
      after_game_ended(d, subject, id, body);
    } else if (id == kNoGame) {
      d.reject("unknown_game", "no game named, and subject " + subject.id + " has played none");
    } else {
      d.reject("unknown_game", "game " + std::to_string(id) + " is not a live game");
    }
    return nullptr;
  }
  if (subject.game != id) {
    d.reject("not_in_game", "subject " + subject.id + " is not a player of game " + std::to_string(id));
    return nullptr;
  }
  return game;
}

bool all_validated(const Game& game) {
  return std::all_of(game.validated.begin(), game.validated.end(), [](bool v) { return v; });
}

// A player validated its P2P connection; a repeated report counts once. mug's client reports as
// soon as `pyodide_game_ready` arrives, so a report during the countdown counts too. The last
// report is answered `p2p_validation_complete` at once; the game starts when the countdown is
// also over: here if it already is, else at its end (countdown_ended).
void validation_succeeded(Decision& d, const Subject& subject, const Game& game) {
  const auto seat = static_cast<std::size_t>(subject.player);
  const bool counting_down = game.status == GameStatus::matched && d.state().scene(game.scene).p2p_validation;
  if (game.status != GameStatus::validating && !counting_down) {
    reject_wrong_status(d, game, "validating");
    return;
  }
  if (game.validated[seat]) return;
  d.emit(subject.id, game.id, game.scene, ev::ValidationReported{static_cast<std::int64_t>(subject.player)});
  if (!all_validated(game)) return;
  notify_players(d, game, "p2p_validation_complete");
  if (game.status == GameStatus::validating) start(d, game);
}

void validation_failed(Decision& d, const Subject& subject, const Game& game, const cmd::ValidationFailed& c) {
  if (game.status != GameStatus::validating && game.status != GameStatus::matched) {
    reject_wrong_status(d, game, "validating");
    return;
  }
  end_game(d, game.id, Ending{.reason = "validation_failed", .initiator = subject.id, .validation_reason = c.reason});
}

// A player lost its P2P link: the game pauses for the scene's grace, or ends without one.
void connection_lost(Decision& d, const Subject& subject, const Game& game, const cmd::ConnectionLost& c) {
  if (game.status == GameStatus::paused) return;  // a second report changes nothing
  if (game.status != GameStatus::playing) {
    reject_wrong_status(d, game, "playing");
    return;
  }
  const GameId id = game.id;
  const Scene& scene = d.state().scene(game.scene);
  if (scene.reconnection_timeout_ms <= 0) {
    end_game(d, id, Ending{.reason = "reconnection_timeout", .initiator = subject.id, .frame = c.frame_number});
    return;
  }
  const auto player = static_cast<std::int64_t>(subject.player);
  d.emit(subject.id, id, game.scene,
         ev::GamePaused{"connection_lost", player, c.frame_number, d.at() + scene.reconnection_timeout_ms});
  for (const std::string& other : game.players) {
    if (!attached(d, other, id)) continue;
    JsonObject args;
    args.num("game_id", id).num("pause_frame", c.frame_number).num("detecting_player", player);
    d.notify(other, "p2p_pause", std::move(args));
  }
}

void reconnection_succeeded(Decision& d, const Subject& subject, const Game& game) {
  const auto seat = static_cast<std::size_t>(subject.player);
  if (game.status != GameStatus::paused || game.pause_cause != "connection_lost") {
    d.reject("invalid_state", "no P2P reconnection is awaited in this game");
    return;
  }
  if (game.reconnected[seat]) return;
  const GameId id = game.id;
  d.emit(subject.id, id, game.scene, ev::ReconnectionReported{static_cast<std::int64_t>(subject.player)});
  resume_if_complete(d, id);
}

// A player's client gave up on its P2P link (mug's client, when its own reconnection timer runs
// out): the game ends as the reconnection grace's end would end it now, `partner_disconnected`
// when a player's socket is gone, else `reconnection_timeout`. As mug's server does, every
// attached player, the sender included, is sent `p2p_game_ended` (the end has no initiator).
// Without a missing socket, the lost player is the first other than the one that detected the
// loss (the sender, when the server saw no pause).
void reconnection_timed_out(Decision& d, const Subject& subject, const Game& game) {
  if (game.status != GameStatus::playing && game.status != GameStatus::paused) {
    reject_wrong_status(d, game, "paused");
    return;
  }
  for (std::size_t seat = 0; seat < game.players.size(); ++seat) {
    if (!attached(d, game.players[seat], game.id)) {
      end_game(d, game.id, Ending{.reason = "partner_disconnected", .disconnected_player = static_cast<std::int64_t>(seat)});
      return;
    }
  }
  const std::int64_t detecting = game.status == GameStatus::paused ? game.pause_player : subject.player;
  const std::int64_t lost = detecting == 0 && game.players.size() > 1 ? 1 : 0;
  end_game(d, game.id, Ending{.reason = "reconnection_timeout", .disconnected_player = lost});
}

// A player's client excluded it mid-game (a sustained ping, a hidden tab, the experiment's
// own callback): the exclusion is recorded, and the game ends for its partners.
void exclude_player(Decision& d, const Subject& subject, const Game& game, const cmd::MidGameExclusion& c) {
  if (!is_exclusion_reason(c.reason)) {
    d.reject("bad_payload", "reason must be sustained_ping, tab_hidden or custom_callback");
    return;
  }
  const GameId id = game.id;
  const auto player = static_cast<std::int64_t>(subject.player);
  d.emit(subject.id, id, game.scene, ev::PlayerExcluded{player, c.reason, c.frame_number});
  end_game(d, id, Ending{.reason = "partner_exclusion", .initiator = subject.id, .frame = c.frame_number,
                         .excluded_player = player, .excluded_reason = c.reason});
}

// The last episode ends the game normally.
void episode_completed(Decision& d, const Subject& subject, const Game& game, const cmd::GameComplete& c) {
  if (c.max_episodes <= 0 || c.episode_num <= 0) {
    d.reject("bad_payload", "episode_num and max_episodes must be positive");
    return;
  }
  if (game.status != GameStatus::playing) {
    reject_wrong_status(d, game, "playing");
    return;
  }
  if (c.episode_num <= game.episodes) return;  // the partner's report of the same episode counts once
  const GameId id = game.id;
  d.emit(subject.id, id, game.scene, ev::EpisodeCompleted{c.episode_num, c.max_episodes});
  if (c.episode_num >= c.max_episodes) end_game(d, id, Ending{.reason = "normal", .initiator = subject.id});
}

}  // namespace

void countdown_ended(Decision& d, GameId id) {
  const Game& game = *d.state().game(id);
  if (defer_for_absent(d, game)) return;
  const Scene& scene = d.state().scene(game.scene);
  if (scene.p2p_validation && !all_validated(game)) {  // validated during the countdown: start now
    d.emit("", id, game.scene, ev::ValidationStarted{d.at() + std::max<Millis>(1, scene.validation_timeout_ms)});
  } else {
    start(d, game);
  }
}

void validation_timed_out(Decision& d, GameId id) {
  if (defer_for_absent(d, *d.state().game(id))) return;
  end_game(d, id, Ending{.reason = "validation_failed", .validation_reason = "timeout"});
}

void fire_deferred_if_complete(Decision& d, GameId id) {
  const Game* game = d.state().game(id);
  if (!game || !game->deferred) return;
  for (const std::string& player : game->players) {
    if (d.state().subject(player)->absent) return;
  }
  if (game->deadline_kind == DeadlineKind::countdown_end) {
    countdown_ended(d, id);
  } else {
    validation_timed_out(d, id);
  }
}

void reconnection_grace_ended(Decision& d, GameId id) {
  const Game& game = *d.state().game(id);
  for (std::size_t seat = 0; seat < game.players.size(); ++seat) {
    const Subject* subject = d.state().subject(game.players[seat]);
    if (!subject || !subject->connected) {
      end_game(d, id, Ending{.reason = "partner_disconnected", .disconnected_player = static_cast<std::int64_t>(seat)});
      return;
    }
  }
  end_game(d, id, Ending{.reason = "reconnection_timeout"});
}

void resume_if_complete(Decision& d, GameId id) {
  const Game* game = d.state().game(id);
  if (!game || game->status != GameStatus::paused) return;
  for (std::size_t seat = 0; seat < game->players.size(); ++seat) {
    const Subject* subject = d.state().subject(game->players[seat]);
    if (!subject || !subject->connected) return;
    if (game->pause_cause == "connection_lost" && !game->reconnected[seat]) return;
  }
  d.emit("", id, game->scene, ev::GameResumed{});
  notify_players(d, *game, "p2p_resume");
}

void player_missing(Decision& d, const Game& game, const Subject& subject) {
  const Scene& scene = d.state().scene(game.scene);
  const auto player = static_cast<std::int64_t>(subject.player);
  // A game that has not started, or a scene without grace, cannot wait for the player.
  bool started = game.status == GameStatus::playing || game.status == GameStatus::paused;
  if (!started || scene.reconnection_timeout_ms <= 0) {
    end_game(d, game.id, Ending{.reason = "partner_disconnected", .initiator = subject.id, .disconnected_player = player});
    return;
  }
  if (game.status == GameStatus::paused) return;  // already waiting; the grace runs on
  d.emit("", game.id, game.scene, ev::GamePaused{"disconnect", player, 0, d.at() + scene.reconnection_timeout_ms});
  for (const std::string& id : game.players) {
    if (id == subject.id || !attached(d, id, game.id)) continue;
    JsonObject args;
    args.num("game_id", game.id).num("pause_frame", 0).num("detecting_player", player);
    d.notify(id, "p2p_pause", std::move(args));
  }
}

// From idle or done there is nothing to leave, and that is no error: mug's client sends
// leave_game after every end_game and when its own waitroom timer runs out, by which time the
// engine has already put the subject back to idle. The command is journaled, with no event.
void leave_game(Decision& d, const Subject& subject) {
  if (subject.state == SubjectState::waiting) {
    leave_waitroom(d, subject, "left");
  } else if (subject.state == SubjectState::in_game) {
    end_game(d, subject.game, Ending{.reason = "partner_left", .initiator = subject.id});
  }
}

void game_command(Decision& d, const Subject& subject, const CommandBody& body) {
  const Game* game = players_game(d, subject, body);
  if (!game) return;
  std::visit(
      [&](const auto& c) {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, cmd::ValidationSuccess>) {
          validation_succeeded(d, subject, *game);
        } else if constexpr (std::is_same_v<C, cmd::ValidationFailed>) {
          validation_failed(d, subject, *game, c);
        } else if constexpr (std::is_same_v<C, cmd::ConnectionLost>) {
          connection_lost(d, subject, *game, c);
        } else if constexpr (std::is_same_v<C, cmd::ReconnectionSuccess>) {
          reconnection_succeeded(d, subject, *game);
        } else if constexpr (std::is_same_v<C, cmd::ReconnectionTimeout>) {
          reconnection_timed_out(d, subject, *game);
        } else if constexpr (std::is_same_v<C, cmd::MidGameExclusion>) {
          exclude_player(d, subject, *game, c);
        } else if constexpr (std::is_same_v<C, cmd::GameComplete>) {
          episode_completed(d, subject, *game, c);
        } else if constexpr (std::is_same_v<C, cmd::EmitMetrics>) {
          store_metrics(d, subject, game->id, game->scene, c);
        }
      },
      body);
}

namespace {

// What end_game says to every player of a game the researcher ended (admin_end_game).
constexpr const char* kAdminEndedMessage = "The researcher ended this game.";

// The `completion` ending a game's end is for the player in `seat`, "" for none: the excluded
// player is `excluded`; at a validation failure every player is `validation_failed`; when the
// researcher ended the game, every player is `admin`; whoever
// stays when a partner leaves, disconnects, loses its link or is excluded is `partner_left`.
// The leaver, the disconnected player and every player of a normal or scene_completed end are none.
std::string completion_ending(const Ending& ending, const std::string& player, std::size_t seat) {
  if (ending.excluded_player && static_cast<std::size_t>(*ending.excluded_player) == seat) return "excluded";
  if (ending.reason == "validation_failed") return "validation_failed";
  if (ending.reason == "admin_ended") return "admin";
  const bool partner_gone = ending.reason == "partner_left" || ending.reason == "partner_disconnected" ||
                            ending.reason == "reconnection_timeout" || ending.reason == "partner_exclusion";
  if (!partner_gone || player == ending.initiator) return "";
  if (ending.disconnected_player && static_cast<std::size_t>(*ending.disconnected_player) == seat) return "";
  return "partner_left";
}

}  // namespace

void end_game(Decision& d, GameId id, const Ending& ending) {
  const Game* live = d.state().game(id);
  if (!live) return;  // ending an ended game is impossible
  const Game game = *live;  // a copy: the live one is erased by game_ended
  const Scene& scene = d.state().scene(game.scene);
  // Whose study this end finishes, by the experiment's `completion`, in seat order.
  std::vector<std::pair<std::string, std::string>> finished;  // (subject, ending)
  for (std::size_t seat = 0; seat < game.players.size(); ++seat) {
    std::string name = completion_ending(ending, game.players[seat], seat);
    if (!name.empty() && finishing_ending(d, name)) finished.emplace_back(game.players[seat], name);
  }
  auto finishing_of = [&](const std::string& player) -> const std::string* {
    for (const auto& [subject, name] : finished) {
      if (subject == player) return &name;
    }
    return nullptr;
  };
  for (std::size_t seat = 0; seat < game.players.size(); ++seat) {
    const std::string& player = game.players[seat];
    if (!attached(d, player, id)) continue;
    const bool initiator = player == ending.initiator;
    const bool excluded = ending.excluded_player && static_cast<std::size_t>(*ending.excluded_player) == seat;
    std::string personal_reason = excluded ? ending.excluded_reason : ending.reason;
    std::string message = excluded ? ending.excluded_message : "";
    if (ending.reason == "partner_exclusion" && !excluded) {
      message = scene.messages.partner_excluded;
      JsonObject notice;
      notice.str("message", message).num("frame_number", ending.frame.value_or(0)).str("reason", "partner_exclusion");
      d.notify(player, "partner_excluded", std::move(notice));
      JsonObject export_args;
      export_args.boolean("is_partial", true)
          .str("termination_reason", "partner_exclusion")
          .num("termination_frame", ending.frame.value_or(0));
      d.notify(player, "trigger_data_export", std::move(export_args));
    } else if (ending.reason == "validation_failed") {
      message = scene.messages.validation_failed;
      JsonObject repool;
      repool.str("message", message).str("reason", ending.validation_reason);
      d.notify(player, "p2p_validation_repool", std::move(repool));
    } else if (!initiator && (ending.reason == "partner_left" || ending.reason == "scene_completed" ||
                              ending.reason == "config_changed" || ending.reason == "admin_ended" ||
                              ending.reason == "partner_disconnected" || ending.reason == "reconnection_timeout")) {
      if (ending.reason == "partner_disconnected" || ending.reason == "reconnection_timeout") {
        message = scene.messages.partner_disconnected;
      } else if (ending.reason == "admin_ended") {
        message = kAdminEndedMessage;
      }
      JsonObject ended;
      ended.num("game_id", id).str("reason", ending.reason);
      if (ending.disconnected_player) ended.num("disconnected_player_id", *ending.disconnected_player);
      d.notify(player, "p2p_game_ended", std::move(ended));
    }
    // No end_game at a normal end (PROTOCOL.md 4.2): mug's client tears the game down on it,
    // while after the last episode it moves on through the scene flow itself.
    if (ending.reason == "normal") continue;
    JsonObject end;
    end.num("game_id", id).str("reason", personal_reason);
    if (!message.empty()) end.str("message", message);
    if (const std::string* name = finishing_of(player)) {
      const ev::SubjectDone done = subject_done(d, *name);
      add_completion(end, done.completion_code, done.redirect_url);
    }
    d.notify(player, "end_game", std::move(end));
  }
  d.emit("", id, game.scene,
         ev::GameEnded{ending.reason, ending.frame, ending.disconnected_player, ending.excluded_player});
  for (const auto& [subject, name] : finished) finish_study(d, subject, name);
}

}  // namespace cohort::rules
