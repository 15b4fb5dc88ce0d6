#pragma once
// The rules, grouped by what they are about; decide.cpp dispatches commands to them.
#include <optional>
#include <string>

#include "engine/decider/decision.h"

namespace cohort::rules {

// subject_rules.cpp
void register_subject(Decision& d, const cmd::RegisterSubject& c);
void advance_scene(Decision& d, const Subject& subject);
void ping(Decision& d, const Subject& subject, const cmd::Ping& c);
void request_current_scene(Decision& d, const Subject& subject);
// The participant's data: filed under the subject, its game and the scene it names, then acked.
void store_data(Decision& d, const Subject& subject, const cmd::StoreData& c);
void disconnect(Decision& d, const Subject& subject);
void server_started(Decision& d, const cmd::ServerStarted& c);
// Who is still absent when the restart grace ends is disconnected now.
void restart_grace_ended(Decision& d);

// config_change.cpp: the experiment in force changes; what does not fit it goes first.
void configure_experiment(Decision& d, const cmd::ConfigureExperiment& c);

// waitroom_rules.cpp
void join_game(Decision& d, const Subject& subject, const cmd::JoinGame& c);
void leave_waitroom(Decision& d, const Subject& subject, const char* reason);
void waitroom_expired(Decision& d, const std::string& subject);
void reunion_wait_ended(Decision& d, const std::string& subject);
// The notifications that set a game up on a player's client, as at its creation; `to_sender`
// sends them to the command's socket (a returning player) instead of to the player.
void notify_game_set_up(Decision& d, GameId game, std::size_t seat, bool to_sender);
// Creates every game the scene's matchmaker can fill now.
void match_scene(Decision& d, int scene);
void broadcast_waiting_room(Decision& d, int scene);

// game_rules.cpp
// What a player reports about its game (P2P validation and reconnection, exclusion, episodes,
// metrics): checked against the game it names, then one rule per kind.
void game_command(Decision& d, const Subject& subject, const CommandBody& body);
void leave_game(Decision& d, const Subject& subject);
// A player's socket is gone: pause for the grace, or end the game.
void player_missing(Decision& d, const Game& game, const Subject& subject);
void countdown_ended(Decision& d, GameId game);
void validation_timed_out(Decision& d, GameId game);
void reconnection_grace_ended(Decision& d, GameId game);
void resume_if_complete(Decision& d, GameId game);
// A game whose deadline waited for absent players: fire it once none is absent.
void fire_deferred_if_complete(Decision& d, GameId game);

// completion_rules.cpp
// The experiment's `completion` entry for `ending` when it finishes the study, else null.
const CompletionEnding* finishing_ending(const Decision& d, const std::string& ending);
// Adds `completion_code` and `redirect_url`, each when present, to a notification's args.
void add_completion(JsonObject& args, const std::optional<std::string>& code, const std::optional<std::string>& url);
// The subject_done of `ending`: its code and redirect when the experiment's `completion` names it.
ev::SubjectDone subject_done(const Decision& d, const std::string& ending);
// activate_scene's args; with `done`, the code the subject's study finished with.
JsonObject activate_scene_args(const Decision& d, int index, const ev::SubjectDone* done = nullptr);
JsonObject experiment_complete_args(const ev::SubjectDone& done);
// The subject's study is finished by `ending`: to the last scene (activate_scene), then done
// (experiment_complete), each with the ending's code. Call once the subject is idle.
void finish_study(Decision& d, const std::string& subject, const std::string& ending);
// The same with the subject_done to record; nothing when the subject is done already.
void finish_study(Decision& d, const std::string& subject, const ev::SubjectDone& done);

// admin_rules.cpp: the researcher's commands from the dashboard.
void admin_end_game(Decision& d, const cmd::AdminEndGame& c);
// The subject the command's envelope names.
void admin_exclude_subject(Decision& d, const cmd::AdminExcludeSubject& c);
void admin_close_waitroom(Decision& d, const cmd::AdminCloseWaitroom& c);
void admin_open_waitroom(Decision& d, const cmd::AdminOpenWaitroom& c);
void admin_set_max_participants(Decision& d, const cmd::AdminSetMaxParticipants& c);

struct Ending {
  std::string reason;
  std::string initiator;  // the subject whose command ended it; "" for a timer
  std::optional<std::int64_t> frame;
  std::optional<std::int64_t> disconnected_player;
  std::optional<std::int64_t> excluded_player;
  std::string excluded_reason;
  std::string excluded_message;  // what the excluded player's end_game says ("" for none)
  std::string validation_reason;
};
// The one end of a game: notifications to every player still attached, then game_ended.
void end_game(Decision& d, GameId game, const Ending& ending);

}  // namespace cohort::rules
