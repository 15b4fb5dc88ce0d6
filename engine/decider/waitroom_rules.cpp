// Rules of the waitroom: joining, leaving, expiry, and forming games.
#include "engine/decider/matchmaker.h"
#include "engine/decider/rules.h"

namespace cohort::rules {
namespace {

// Seeds are derived from the recorded server nonce and the game id (splitmix64), kept within
// JavaScript's safe integers.
std::int64_t game_seed(std::int64_t nonce, GameId game) {
  std::uint64_t z = static_cast<std::uint64_t>(nonce) + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(game);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<std::int64_t>(z & 0x7fffffffULL);
}

void create_game(Decision& d, int scene_index, const std::vector<std::string>& players) {
  const Scene& scene = d.state().scene(scene_index);
  GameId id = d.state().last_game_id + 1;
  std::int64_t seed = game_seed(d.state().nonce, id);
  Millis countdown_deadline = scene.countdown_ms > 0 ? d.at() + scene.countdown_ms : 0;
  d.emit("", id, scene_index, ev::GameCreated{seed, players, countdown_deadline});
  for (std::size_t seat = 0; seat < players.size(); ++seat) notify_game_set_up(d, id, seat, false);
  if (countdown_deadline == 0) countdown_ended(d, id);
}

}  // namespace

void notify_game_set_up(Decision& d, GameId id, std::size_t seat, bool to_sender) {
  const Game& game = *d.state().game(id);
  const Scene& scene = d.state().scene(game.scene);
  const std::string& player = game.players[seat];
  auto send = [&](std::string_view event, JsonObject args) {
    if (to_sender) {
      d.reply(event, std::move(args));
    } else {
      d.notify(player, event, std::move(args));
    }
  };
  if (game.status == GameStatus::matched) {  // what is left of the countdown
    JsonObject countdown;
    countdown.num("game_id", id).num("countdown_ms", game.deadline ? std::max<Millis>(0, game.deadline - d.at()) : 0);
    send("match_found_countdown", std::move(countdown));
  }
  JsonObject assigned;
  assigned.num("game_id", id)
      .num("player_id", static_cast<std::int64_t>(seat))
      .num("game_seed", game.seed)
      .num("num_players", scene.human_seats + scene.bot_seats);
  send("pyodide_player_assigned", std::move(assigned));
  std::string seat_list = "[";
  JsonObject player_subjects;
  for (std::size_t other = 0; other < game.players.size(); ++other) {
    seat_list += (other ? "," : "") + std::to_string(other);
    player_subjects.str(std::to_string(other), game.players[other]);
  }
  seat_list += "]";
  JsonObject ready;
  ready.num("game_id", id).raw("players", seat_list).raw("player_subjects", player_subjects.text());
  send("pyodide_game_ready", std::move(ready));
}

void broadcast_waiting_room(Decision& d, int scene_index) {
  const Scene& scene = d.state().scene(scene_index);
  const auto& room = d.state().waitrooms.at(static_cast<std::size_t>(scene_index));
  const auto count = static_cast<std::int64_t>(room.size());
  for (const std::string& id : room) {
    const Subject& waiter = *d.state().subject(id);
    JsonObject args;
    args.str("scene_id", scene.scene_id)
        .num("cur_num_players", count)
        .num("players_needed", std::max<std::int64_t>(0, scene.human_seats - count));
    if (waiter.wait_deadline) args.num("ms_remaining", waiter.wait_deadline - d.at());
    d.notify(id, "waiting_room", std::move(args));
  }
}

void match_scene(Decision& d, int scene_index) {
  while (auto group = find_group(d.state(), scene_index)) create_game(d, scene_index, *group);
}

void join_game(Decision& d, const Subject& subject, const cmd::JoinGame& c) {
  const Scene& scene = d.state().scene(subject.scene);
  if (!scene.is_game) {
    d.reject("invalid_state", "scene " + scene.scene_id + " is not a game scene");
    return;
  }
  if (subject.state != SubjectState::idle) {
    d.reject("invalid_state", std::string("cannot join a game while ") + state_name(subject.state));
    return;
  }
  if (d.state().waitroom_closed(subject.scene)) {
    d.reject("waitroom_closed", "The researcher has closed the waiting room of this game for now.");
    return;
  }
  if (c.rtt_ms && *c.rtt_ms < 0) {
    d.reject("bad_payload", "rtt_ms must not be negative");
    return;
  }
  if (c.rtt_ms && subject.rtt_ms != c.rtt_ms) d.emit(subject.id, kNoGame, kNoScene, ev::RttRecorded{*c.rtt_ms});
  Millis deadline = scene.waitroom_timeout_ms > 0 ? d.at() + scene.waitroom_timeout_ms : 0;
  Millis reunion = 0;
  if (scene.matchmaker.kind == Matchmaker::Kind::group_reunion && !subject.last_partners.empty()) {
    reunion = d.at() + std::max<Millis>(1, scene.matchmaker.group_wait_timeout_ms);
  }
  d.emit(subject.id, kNoGame, subject.scene, ev::WaitroomJoined{deadline, reunion});
  match_scene(d, subject.scene);
  broadcast_waiting_room(d, subject.scene);
}

void leave_waitroom(Decision& d, const Subject& subject, const char* reason) {
  int scene = subject.scene;
  d.emit(subject.id, kNoGame, scene, ev::WaitroomLeft{reason});
  broadcast_waiting_room(d, scene);
}

void waitroom_expired(Decision& d, const std::string& id) {
  const Subject& subject = *d.state().subject(id);
  const Scene& scene = d.state().scene(subject.scene);
  const int scene_index = subject.scene;
  const CompletionEnding* finishes = finishing_ending(d, "waitroom_timeout");
  d.emit(id, kNoGame, scene_index, ev::WaitroomTimedOut{});
  if (subject.connected) {
    JsonObject args;
    args.str("scene_id", scene.scene_id).str("message", scene.messages.waitroom_timeout);
    if (finishes) {
      const ev::SubjectDone done = subject_done(d, "waitroom_timeout");
      add_completion(args, done.completion_code, done.redirect_url);
    }
    d.notify(id, "waitroom_timeout", std::move(args));
  }
  broadcast_waiting_room(d, scene_index);
  if (finishes) finish_study(d, id, "waitroom_timeout");
}

void reunion_wait_ended(Decision& d, const std::string& id) {
  int scene = d.state().subject(id)->scene;
  d.emit(id, kNoGame, scene, ev::ReunionWaitEnded{});
  match_scene(d, scene);
  broadcast_waiting_room(d, scene);
}

}  // namespace cohort::rules
